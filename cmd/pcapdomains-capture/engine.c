/*
 * engine.c - asks Docker or Podman about a container through the Engine API on a unix socket:
 * GET /containers/{id}/json (Docker Engine API; Podman serves the same "compat" endpoint) over
 * a minimal HTTP/1.1 client (RFC 9112: status line, headers, Content-Length, chunked transfer
 * coding, or a body delimited by the server closing the connection).
 *
 * Assumes the daemon may answer anything: the answer is capped at PD_CAP_MAX_HTTP bytes, every
 * length is checked, and the JSON is read by json.c. Only the fields Id, Name, Config.Image,
 * State.Pid, State.Running and State.Status are used.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define HTTP_TIMEOUT_MS 10000

static const char *memmem_ci(const char *h, size_t hn, const char *needle)
{
	size_t nn = strlen(needle);
	for (size_t i = 0; i + nn <= hn; i++)
		if (strncasecmp(h + i, needle, nn) == 0)
			return h + i;
	return NULL;
}

/* Finds header name (with the colon, e.g. "content-length:") at a line start in hdr[0..n). */
static const char *header(const char *hdr, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *p = hdr, *end = hdr + n;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) >= nl && strncasecmp(p, name, nl) == 0) {
			p += nl;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			return p;
		}
		p = eol + 1;
	}
	return NULL;
}

static int parse_u64(const char *p, const char *end, int base, uint64_t *v)
{
	uint64_t x = 0;
	const char *s = p;
	while (p < end) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		x = x * (uint64_t)base + (uint64_t)d;
		p++;
	}
	*v = x;
	return p > s ? (int)(p - s) : -1;
}

int pd_cap_http_parse(const char *msg, size_t len, int *status, char **body, size_t *body_len,
                      char errbuf[PD_CAP_ERRBUF])
{
	*body = NULL;
	*body_len = 0;
	if (len < 12 || memcmp(msg, "HTTP/1.", 7) != 0 || msg[8] != ' ') {
		snprintf(errbuf, PD_CAP_ERRBUF, "not an HTTP/1.x answer");
		return -1;
	}
	uint64_t code;
	if (parse_u64(msg + 9, msg + 12, 10, &code) != 3) {
		snprintf(errbuf, PD_CAP_ERRBUF, "bad HTTP status line");
		return -1;
	}
	*status = (int)code;
	const char *hend = memmem(msg, len, "\r\n\r\n", 4);
	size_t hsep = 4;
	if (!hend) {
		hend = memmem(msg, len, "\n\n", 2);
		hsep = 2;
	}
	if (!hend) {
		snprintf(errbuf, PD_CAP_ERRBUF, "HTTP answer cut in its headers (%zu bytes)", len);
		return -1;
	}
	size_t hlen = (size_t)(hend - msg);
	const char *b = hend + hsep, *end = msg + len;
	const char *te = header(msg, hlen, "transfer-encoding:");
	const char *cl = header(msg, hlen, "content-length:");
	char *out = malloc((size_t)(end - b) + 1);
	size_t n = 0;
	if (!out) {
		snprintf(errbuf, PD_CAP_ERRBUF, "out of memory");
		return -1;
	}
	if (te) {
		const char *eol = memchr(te, '\n', (size_t)(end - te));
		if (!eol || !memmem_ci(te, (size_t)(eol - te), "chunked")) {
			free(out);
			snprintf(errbuf, PD_CAP_ERRBUF, "unsupported HTTP transfer coding");
			return -1;
		}
		/* chunk = size [;ext] CRLF data CRLF; last chunk size 0. */
		for (;;) {
			uint64_t sz;
			int k = parse_u64(b, end, 16, &sz);
			const char *eolc = k > 0 ? memchr(b, '\n', (size_t)(end - b)) : NULL;
			if (k < 0 || !eolc) {
				free(out);
				snprintf(errbuf, PD_CAP_ERRBUF,
				         "HTTP chunked body cut or malformed");
				return -1;
			}
			b = eolc + 1;
			if (sz == 0)
				break;
			if (sz > (uint64_t)(end - b)) {
				free(out);
				snprintf(errbuf, PD_CAP_ERRBUF,
				         "HTTP chunk longer than the answer");
				return -1;
			}
			memcpy(out + n, b, (size_t)sz);
			n += (size_t)sz;
			b += sz;
			if (b < end && *b == '\r')
				b++;
			if (b < end && *b == '\n')
				b++;
		}
	} else if (cl) {
		uint64_t sz;
		if (parse_u64(cl, hend, 10, &sz) < 0 || sz > (uint64_t)(end - b)) {
			free(out);
			snprintf(errbuf, PD_CAP_ERRBUF,
			         "HTTP body shorter than its Content-Length");
			return -1;
		}
		memcpy(out, b, (size_t)sz);
		n = (size_t)sz;
	} else {
		memcpy(out, b, (size_t)(end - b));
		n = (size_t)(end - b);
	}
	out[n] = '\0';
	*body = out;
	*body_len = n;
	return 0;
}

/* Is the message complete (so we need not wait for the server to close)? */
static bool http_complete(const char *msg, size_t len)
{
	const char *hend = memmem(msg, len, "\r\n\r\n", 4);
	if (!hend)
		return false;
	size_t hlen = (size_t)(hend - msg);
	const char *b = hend + 4;
	const char *cl = header(msg, hlen, "content-length:");
	uint64_t sz;
	if (header(msg, hlen, "transfer-encoding:")) {
		/* Chunked: complete once the last chunk has come (a server keeping the
		 * connection open despite "Connection: close" is not waited for). */
		if ((size_t)(msg + len - b) < 5 || memcmp(msg + len - 5, "0\r\n\r\n", 5) != 0)
			return false;
		int st;
		char *body, e[PD_CAP_ERRBUF];
		size_t bl;
		if (pd_cap_http_parse(msg, len, &st, &body, &bl, e) < 0)
			return false;
		free(body);
		return true;
	}
	if (cl && parse_u64(cl, hend, 10, &sz) > 0)
		return (uint64_t)(msg + len - b) >= sz;
	return false;
}

int pd_cap_http_get_unix(const char *path, const char *target, int *status, char **body,
                         size_t *body_len, int *sys_errno, char errbuf[PD_CAP_ERRBUF])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	*sys_errno = 0;
	if (strlen(path) >= sizeof sa.sun_path) {
		*sys_errno = ENAMETOOLONG;
		snprintf(errbuf, PD_CAP_ERRBUF, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		*sys_errno = errno;
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char req[1024];
	int rn = snprintf(
	        req, sizeof req,
	        "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pcapdomains-capture/" PD_VERSION
	        "\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
	        target);
	if (rn < 0 || (size_t)rn >= sizeof req || write(fd, req, (size_t)rn) != rn) {
		*sys_errno = errno;
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: cannot send the request: %s", path,
		         strerror(errno));
		close(fd);
		return -1;
	}
	size_t cap = 64 * 1024, len = 0;
	char *msg = malloc(cap + 1);
	if (!msg) {
		close(fd);
		snprintf(errbuf, PD_CAP_ERRBUF, "out of memory");
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, HTTP_TIMEOUT_MS);
		if (pr == 0) {
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: no answer within %d s", path,
			         HTTP_TIMEOUT_MS / 1000);
			goto fail;
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			*sys_errno = errno;
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (len == cap) {
			if (cap >= PD_CAP_MAX_HTTP) {
				snprintf(errbuf, PD_CAP_ERRBUF, "%s: answer larger than %u bytes",
				         path, PD_CAP_MAX_HTTP);
				goto fail;
			}
			cap *= 2;
			char *m = realloc(msg, cap + 1);
			if (!m) {
				snprintf(errbuf, PD_CAP_ERRBUF, "out of memory");
				goto fail;
			}
			msg = m;
		}
		ssize_t r = read(fd, msg + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*sys_errno = errno;
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (http_complete(msg, len))
			break;
	}
	close(fd);
	msg[len] = '\0';
	char perr[PD_CAP_ERRBUF];
	int rc = pd_cap_http_parse(msg, len, status, body, body_len, perr);
	free(msg);
	if (rc < 0)
		snprintf(errbuf, PD_CAP_ERRBUF, "bad answer from %s: %s", path, perr);
	return rc;
fail:
	close(fd);
	free(msg);
	return -1;
}

bool pd_cap_ref_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

enum pd_cap_eng_res pd_cap_engine_inspect(const char *path, struct pd_cap_target *t,
                                          char errbuf[PD_CAP_ERRBUF])
{
	const char *rt = t->runtime == PD_CAP_RT_PODMAN ? "Podman" : "Docker";
	const char *ref = t->ref[0] == '/' ? t->ref + 1 : t->ref;
	char target[512], err[PD_CAP_ERRBUF];
	int status = 0, e = 0;
	char *body = NULL;
	size_t blen = 0;

	snprintf(t->via, sizeof t->via, "%s", path);
	if (!pd_cap_ref_ok(ref)) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: '%s' is not a container name or id (letters, digits, '_', '.', '-')",
		         t->spec, ref);
		return PD_CAP_ENG_ERROR;
	}
	snprintf(target, sizeof target, "/containers/%s/json", ref);
	if (pd_cap_http_get_unix(path, target, &status, &body, &blen, &e, err) < 0) {
		if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) {
			snprintf(errbuf, PD_CAP_ERRBUF,
			         "%s: %s socket %s %s (is %s running? point DOCKER_HOST%s or "
			         "--socket at its unix socket)",
			         t->spec, rt, path,
			         e == ECONNREFUSED ? "refuses connections" : "not found", rt,
			         t->runtime == PD_CAP_RT_PODMAN ? "/CONTAINER_HOST" : "");
			return PD_CAP_ENG_NOSOCK;
		}
		if (e == EACCES || e == EPERM) {
			snprintf(
			        errbuf, PD_CAP_ERRBUF,
			        "%s: permission denied on the %s socket %s (run with sudo, or as a "
			        "member of the group owning the socket)",
			        t->spec, rt, path);
			return PD_CAP_ENG_ERROR;
		}
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: asking %s at %s: %s", t->spec, rt, path, err);
		return PD_CAP_ENG_ERROR;
	}
	enum pd_cap_eng_res res = PD_CAP_ENG_ERROR;
	char msg[256] = "";
	pd_cap_json_get(body, blen, "message", msg, sizeof msg);
	if (status == 404) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: no such container '%s' in %s (%s ps -a lists them)", t->spec, ref, rt,
		         t->runtime == PD_CAP_RT_PODMAN ? "podman" : "docker");
		res = PD_CAP_ENG_NOTFOUND;
		goto out;
	}
	if (status != 200) {
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: %s at %s answered HTTP %d%s%s", t->spec, rt,
		         path, status, msg[0] ? ": " : "", msg);
		goto out;
	}
	char pid[32] = "", running[16] = "";
	int tp = pd_cap_json_get(body, blen, "State.Pid", pid, sizeof pid);
	int tr = pd_cap_json_get(body, blen, "State.Running", running, sizeof running);
	int ti = pd_cap_json_get(body, blen, "Id", t->id, sizeof t->id);
	if (tp != PD_CAP_JSON_NUMBER || (tr != PD_CAP_JSON_TRUE && tr != PD_CAP_JSON_FALSE) ||
	    ti != PD_CAP_JSON_STRING) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: bad answer from %s at %s: no State.Pid, State.Running or Id in the "
		         "container's JSON",
		         t->spec, rt, path);
		goto out;
	}
	pd_cap_json_get(body, blen, "Name", t->name, sizeof t->name);
	if (t->name[0] == '/')
		memmove(t->name, t->name + 1, strlen(t->name));
	pd_cap_json_get(body, blen, "Config.Image", t->image, sizeof t->image);
	pd_cap_json_get(body, blen, "State.Status", t->status, sizeof t->status);
	char *endp;
	long p = strtol(pid, &endp, 10);
	if (tr == PD_CAP_JSON_FALSE || p <= 0) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: container %s is not running (status %s): start it first (%s start "
		         "%s)",
		         t->spec, t->name[0] ? t->name : ref, t->status[0] ? t->status : "unknown",
		         t->runtime == PD_CAP_RT_PODMAN ? "podman" : "docker", ref);
		goto out;
	}
	if (*endp) {
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: bad answer from %s: State.Pid is '%s'",
		         t->spec, path, pid);
		goto out;
	}
	t->pid = p;
	snprintf(t->netns_path, sizeof t->netns_path, "/proc/%ld/ns/net", p);
	res = PD_CAP_ENG_OK;
out:
	free(body);
	return res;
}
