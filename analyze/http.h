/*
 * http.h - the first HTTP/1.x request of a connection (RFC 9112): its Host header, or for
 * CONNECT (a client talking through a proxy) the request-target authority.
 */
#ifndef PD_HTTP_H
#define PD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PD_HTTP_MAX_HEAD 8192 /* request line + headers searched for Host */

struct pd_http_req {
	char method[16];
	char host[256];      /* Host header value without port, lowercase; "" when absent */
	char authority[256]; /* CONNECT target host (no port), lowercase; "" otherwise */
	unsigned port;       /* port from Host or CONNECT authority, 0 when none */
	bool connect;
	int64_t content_length; /* Content-Length, -1 when absent or unreadable */
	bool chunked;           /* Transfer-Encoding present: the body's length is not known */
	bool absolute;          /* absolute-form target ("GET http://h/"): a request to a proxy */
	bool https;             /* ... with the https scheme (default port 443) */
};

/*
 * Parses the start of a client stream. Returns PD_OK, PD_ERR_NEED_MORE (headers not yet
 * complete and under PD_HTTP_MAX_HEAD), PD_ERR_UNSUPPORTED (not an HTTP/1.x request),
 * PD_ERR_LIMIT (PD_HTTP_MAX_HEAD bytes without the end of the head and without a Host line:
 * stop) or PD_ERR_MALFORMED. When the head is longer than PD_HTTP_MAX_HEAD but a Host line was
 * complete within it, PD_OK. Bytes outside printable ASCII and '\\' in host names are escaped
 * as \xHH. For an absolute-form target ("GET http://h/ HTTP/1.1") host is the target's host.
 */
enum pd_err pd_http_parse_request(const char *buf, size_t len, struct pd_http_req *out);

/* Cheap test: does buf start with an HTTP method token and a space? */
bool pd_http_maybe(const char *buf, size_t len);

#endif
