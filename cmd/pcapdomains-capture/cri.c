/*
 * cri.c - Kubernetes nodes (containerd, CRI-O): the target's pid and identity come from
 * `crictl inspect ID` (for a pod sandbox id, `crictl inspectp ID`), run as a child process with
 * its stdout read through a pipe. crictl reads /etc/crictl.yaml or CONTAINER_RUNTIME_ENDPOINT
 * for the runtime socket. Fields used: info.pid, status.id, status.metadata.name,
 * status.image.image, status.state (CRI API, k8s.io/cri-api v1).
 *
 * Assumes crictl's output may be anything: it is capped at PD_CAP_MAX_CRICTL bytes and read by
 * json.c. The program run is "crictl" from PATH, or $CRICTL when set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

/* Runs prog sub id; *out gets stdout (NUL-terminated), *status the wait status. */
static int run(const char *prog, const char *sub, const char *id, char **out, size_t *outlen,
               int *wstatus, char *errline, size_t errsz, char errbuf[PD_CAP_ERRBUF])
{
	int pfd[2];
	/* crictl's stderr goes to a memory file: its last line goes into our one-line message. */
	int efd = memfd_create("crictl-stderr", MFD_CLOEXEC);
	errline[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		if (efd >= 0)
			dup2(efd, STDERR_FILENO);
		execlp(prog, prog, sub, id, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(pfd[1]);
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap + 1);
	bool big = false;
	for (;;) {
		if (buf && len == cap) {
			if (cap >= PD_CAP_MAX_CRICTL) {
				big = true;
				break;
			}
			cap *= 2;
			char *b = realloc(buf, cap + 1);
			if (!b) {
				free(buf);
				buf = NULL;
			} else {
				buf = b;
			}
		}
		if (!buf)
			break;
		ssize_t r = read(pfd[0], buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(pfd[0]);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	if (efd >= 0) {
		char e[1024];
		ssize_t k = pread(efd, e, sizeof e - 1, 0);
		close(efd);
		if (k > 0) {
			e[k] = '\0';
			while (k > 0 && (e[k - 1] == '\n' || e[k - 1] == '\r'))
				e[--k] = '\0';
			const char *last = strrchr(e, '\n');
			last = last ? last + 1 : e;
			size_t i = 0;
			for (; last[i] && i + 1 < errsz; i++)
				errline[i] = (unsigned char)last[i] < 0x20 ? ' ' : last[i];
			errline[i] = '\0';
		}
	}
	if (!buf || big) {
		free(buf);
		snprintf(errbuf, PD_CAP_ERRBUF, "%s %s: %s", prog, sub,
		         big ? "output too large" : "out of memory");
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int pd_cap_cri_parse(const char *doc, size_t len, struct pd_cap_target *t,
                     char errbuf[PD_CAP_ERRBUF])
{
	char pid[32] = "";
	if (pd_cap_json_get(doc, len, "info.pid", pid, sizeof pid) != PD_CAP_JSON_NUMBER) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: bad answer from crictl: no info.pid (is the container running? "
		         "crictl needs a runtime with verbose inspect)",
		         t->spec);
		return -1;
	}
	pd_cap_json_get(doc, len, "status.id", t->id, sizeof t->id);
	pd_cap_json_get(doc, len, "status.metadata.name", t->name, sizeof t->name);
	pd_cap_json_get(doc, len, "status.image.image", t->image, sizeof t->image);
	pd_cap_json_get(doc, len, "status.state", t->status, sizeof t->status);
	if (!t->id[0])
		snprintf(t->id, sizeof t->id, "%s", t->ref);
	char *end;
	long p = strtol(pid, &end, 10);
	if (t->status[0] && strcmp(t->status, "CONTAINER_RUNNING") != 0 &&
	    strcmp(t->status, "SANDBOX_READY") != 0) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: container %s is not running (state %s): start it first", t->spec,
		         t->name[0] ? t->name : t->ref, t->status);
		return -1;
	}
	if (*end || p <= 0) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: container %s has no process (info.pid %s): is it running?", t->spec,
		         t->name[0] ? t->name : t->ref, pid);
		return -1;
	}
	t->pid = p;
	snprintf(t->netns_path, sizeof t->netns_path, "/proc/%ld/ns/net", p);
	return 0;
}

int pd_cap_cri_inspect(struct pd_cap_target *t, char errbuf[PD_CAP_ERRBUF])
{
	const char *prog = getenv("CRICTL");
	if (!prog || !*prog)
		prog = "crictl";
	if (t->ref[0] == '-' || !pd_cap_ref_ok(t->ref)) { /* not an option to crictl */
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: '%s' is not a CRI container id", t->spec,
		         t->ref);
		return -1;
	}
	snprintf(t->via, sizeof t->via, "%s inspect", prog);
	const char *subs[2] = { "inspect", "inspectp" };
	char said[200] = "";
	for (int i = 0; i < 2; i++) {
		char *out = NULL;
		size_t len = 0;
		int ws = 0;
		if (run(prog, subs[i], t->ref, &out, &len, &ws, said, sizeof said, errbuf) < 0)
			return -1;
		if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127) {
			free(out);
			snprintf(
			        errbuf, PD_CAP_ERRBUF,
			        "%s: %s not found: install crictl (cri-tools) or set CRICTL to its "
			        "path",
			        t->spec, prog);
			return -1;
		}
		if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
			int rc = pd_cap_cri_parse(out, len, t, errbuf);
			free(out);
			return rc;
		}
		free(out);
	}
	snprintf(errbuf, PD_CAP_ERRBUF,
	         "%s: crictl knows no container or pod '%s' (crictl ps -a lists them; is "
	         "crictl's runtime endpoint set?)",
	         t->spec, t->ref);
	return -1;
}
