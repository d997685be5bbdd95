/*
 * socks.h - the client side of a SOCKS handshake (SOCKS4, SOCKS4a, SOCKS5 RFC 1928): the
 * destination a client asked a SOCKS proxy to reach, and where its tunnelled bytes start.
 */
#ifndef PD_SOCKS_H
#define PD_SOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "err.h"

#define PD_SOCKS_MAX_USERID 255  /* SOCKS4 USERID bytes before its NUL (RFC: no limit) */
#define PD_SOCKS_MAX_HEAD   1100 /* greeting + RFC 1929 auth + request: the most read */

enum pd_socks_ver { PD_SOCKS4 = 4, PD_SOCKS4A = 0x4a, PD_SOCKS5 = 5 };

struct pd_socks_req {
	enum pd_socks_ver version;
	uint8_t command;     /* 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE (SOCKS5) */
	char host[256];      /* requested name (4a, 5 DOMAINNAME), escaped like hostname.h; or
	                        the requested address as text */
	struct pd_addr addr; /* requested address; family 0 when the request named a host */
	uint16_t port;
	size_t head_len; /* client bytes of the handshake: the tunnelled bytes follow */
	bool auth;       /* an RFC 1929 username/password exchange was skipped (not kept) */
};

/*
 * Cheap test on the first client bytes of a TCP stream: could they open a SOCKS handshake?
 * (SOCKS4: version 4 and command CONNECT or BIND; SOCKS5: version 5, 1..255 methods each an
 * assigned or private method number.) len may be short: true means "maybe".
 */
bool pd_socks_maybe(const uint8_t *d, size_t len);

/*
 * Parses the client bytes of a SOCKS handshake from the start of the stream. Returns PD_OK
 * with *out filled (the request read), PD_ERR_NEED_MORE (a prefix of a handshake, under
 * PD_SOCKS_MAX_HEAD), PD_ERR_UNSUPPORTED (not SOCKS, or an authentication method other than
 * none and RFC 1929 username/password: its bytes cannot be followed), PD_ERR_LIMIT (a SOCKS4
 * USERID or name past its bound) or PD_ERR_MALFORMED. The password of RFC 1929 is skipped,
 * never copied.
 */
enum pd_err pd_socks_parse(const uint8_t *d, size_t len, struct pd_socks_req *out);

/* "socks4", "socks4a", "socks5" */
const char *pd_socks_name(enum pd_socks_ver v);

#endif
