/*
 * http.c - the first HTTP/1.x request of a client stream (RFC 9112 sections 2-5): method,
 * request target, version, then the header lines up to the empty line, looking for Host
 * (RFC 9110 section 7.2). CONNECT's authority-form target (RFC 9112 section 3.2.3) gives the
 * proxied destination; an absolute-form target's authority overrides Host (section 3.2.2).
 *
 * Only the first PD_HTTP_MAX_HEAD bytes are looked at. Bare LF line ends are accepted
 * (section 2.2). A stream is rejected as not HTTP from its first bytes: the method must be an
 * upper-case token followed by one space, and the request line must end in HTTP/1.x.
 */
#include <string.h>
#include <strings.h>

#include "hostname.h"
#include "http.h"

/* Upper-case method characters: every registered method is A-Z and '-' or '_'. */
static int method_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_';
}

/* RFC 9110 section 5.6.2 tchar. */
static int tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool pd_http_maybe(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < sizeof(((struct pd_http_req *)0)->method); i++) {
		if (buf[i] == ' ')
			return i > 0;
		if (!method_char((unsigned char)buf[i]))
			return false;
	}
	return i == len; /* all method characters so far: a prefix of a request line */
}

/*
 * Splits an authority "host", "host:port", "[v6]" or "[v6]:port" (RFC 3986 section 3.2.2),
 * after dropping userinfo ("user@"). Writes the host into dst, the port into *port (0 when
 * absent or empty). Returns 0 when the syntax is broken (an unclosed bracket, a bad port).
 */
static int split_authority(const char *s, size_t n, char *dst, size_t cap, unsigned *port)
{
	const char *at = memchr(s, '@', n), *h, *colon;
	size_t hl, i, pos = 0;
	unsigned long p = 0;

	if (at) {
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	*port = 0;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return 0;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1 < s + n ? close + 1 : NULL;
		if (colon && *colon != ':')
			return 0;
	} else {
		h = s;
		colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
	}
	if (colon) {
		for (i = (size_t)(colon + 1 - s); i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return 0;
			p = p * 10 + (unsigned long)(s[i] - '0');
			if (p > 65535)
				return 0;
		}
		*port = (unsigned)p;
	}
	pd_hostname_put(dst, cap, &pos, (const uint8_t *)h, hl, true);
	return 1;
}

/* Finds the end of the line starting at p: *eol is the CR or LF, returns the next line. */
static const char *line_end(const char *p, const char *end, const char **eol)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (!lf)
		return NULL;
	*eol = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
	return lf + 1;
}

enum pd_err pd_http_parse_request(const char *buf, size_t len, struct pd_http_req *out)
{
	const char *p = buf, *end, *sp, *target, *eol, *next, *ver;
	size_t mlen, tlen, i;
	bool host_seen = false, host_from_target = false;

	memset(out, 0, sizeof(*out));
	out->content_length = -1;
	if (len > PD_HTTP_MAX_HEAD)
		len = PD_HTTP_MAX_HEAD;
	end = buf + len;
	/* A server ignores empty lines before the request line (RFC 9112 section 2.2). */
	for (i = 0; i < 2 && p < end && (*p == '\r' || *p == '\n'); i++)
		p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
	if (!pd_http_maybe(p, (size_t)(end - p)))
		return PD_ERR_UNSUPPORTED;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		return len >= PD_HTTP_MAX_HEAD ? PD_ERR_UNSUPPORTED : PD_ERR_NEED_MORE;
	mlen = (size_t)(sp - p);
	memcpy(out->method, p, mlen);
	out->method[mlen] = '\0';
	out->connect = strcmp(out->method, "CONNECT") == 0;

	/* request-target: visible characters up to one space */
	target = sp + 1;
	for (sp = target; sp < end && *sp != ' '; sp++)
		if ((unsigned char)*sp <= 0x20 || (unsigned char)*sp == 0x7f)
			return PD_ERR_UNSUPPORTED; /* HTTP/0.9 or not HTTP */
	if (sp == end)
		return len >= PD_HTTP_MAX_HEAD ? PD_ERR_LIMIT : PD_ERR_NEED_MORE;
	tlen = (size_t)(sp - target);
	if (tlen == 0)
		return PD_ERR_UNSUPPORTED;

	/* HTTP-version: "HTTP/1." DIGIT, checked on as many bytes as are here */
	ver = sp + 1;
	{
		static const char v[] = "HTTP/1.";
		size_t have = (size_t)(end - ver);
		if (memcmp(ver, v, have < 7 ? have : 7) != 0)
			return PD_ERR_UNSUPPORTED;
		if (have < 9)
			return PD_ERR_NEED_MORE;
		if (ver[7] < '0' || ver[7] > '9' || (ver[8] != '\r' && ver[8] != '\n'))
			return PD_ERR_UNSUPPORTED;
	}
	next = line_end(ver, end, &eol);
	if (!next)
		return PD_ERR_NEED_MORE;

	if (out->connect) {
		if (!split_authority(target, tlen, out->authority, sizeof(out->authority),
		                     &out->port) ||
		    !out->authority[0])
			return PD_ERR_MALFORMED;
	} else if (tlen > 7 && (strncasecmp(target, "http://", 7) == 0 ||
	                        (tlen > 8 && strncasecmp(target, "https://", 8) == 0))) {
		const char *a = target + (target[4] == ':' ? 7 : 8), *ae = a;
		while (ae < target + tlen && *ae != '/' && *ae != '?' && *ae != '#')
			ae++;
		if (!split_authority(a, (size_t)(ae - a), out->host, sizeof(out->host), &out->port))
			return PD_ERR_MALFORMED;
		host_from_target = out->host[0] != '\0';
		out->absolute = host_from_target;
		out->https = target[4] != ':';
	}

	/* header lines until the empty line */
	for (p = next;; p = next) {
		const char *colon, *v, *ve;
		unsigned port = 0;

		next = line_end(p, end, &eol);
		if (!next)
			break;
		if (eol == p) /* the empty line: end of the header block */
			return PD_OK;
		if (*p == ' ' || *p == '\t')
			continue; /* obsolete line folding: a continuation, ignored */
		for (colon = p; colon < eol && tchar((unsigned char)*colon); colon++)
			;
		if (colon == p || colon == eol || *colon != ':')
			return PD_ERR_MALFORMED; /* no name, or whitespace before ':' */
		if (colon - p == 14 && strncasecmp(p, "content-length", 14) == 0) {
			/* RFC 9112 6.3: the body length of a request without Transfer-Encoding */
			int64_t n = 0;
			for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			for (ve = v; ve < eol && *ve >= '0' && *ve <= '9' && n < (1LL << 50); ve++)
				n = n * 10 + (*ve - '0');
			out->content_length = ve > v ? n : -1;
			continue;
		}
		if (colon - p == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
			for (ve = eol; ve > colon && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
				;
			out->chunked = true; /* chunked or read to the end: no length known */
			continue;
		}
		if (host_seen || colon - p != 4 || strncasecmp(p, "host", 4) != 0)
			continue;
		host_seen = true; /* a second Host is an error to servers; the first counts here */
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		if (host_from_target)
			continue;
		if (!split_authority(v, (size_t)(ve - v), out->host, sizeof(out->host), &port))
			return PD_ERR_MALFORMED;
		if (!out->connect)
			out->port = port;
	}
	if (len >= PD_HTTP_MAX_HEAD)
		/* Oversized head (cookies): a Host seen in complete lines is still the answer. */
		return (host_seen || host_from_target || out->connect) ? PD_OK : PD_ERR_LIMIT;
	return PD_ERR_NEED_MORE;
}
