/*
 * socks.c - the client's half of a SOCKS handshake, read from the start of a TCP stream.
 *
 *   SOCKS4  (Ying-Da Lee, "SOCKS: A protocol for TCP proxy across firewalls"):
 *           VN=4 CD DSTPORT(2) DSTIP(4) USERID NUL
 *   SOCKS4a (Ying-Da Lee, "SOCKS 4A: A Simple Extension to SOCKS 4 Protocol"): DSTIP 0.0.0.x
 *           with x != 0, then after USERID's NUL the host name and a NUL
 *   SOCKS5  (RFC 1928): greeting VER=5 NMETHODS METHODS, the server picks one; with
 *           username/password (RFC 1929: VER=1 ULEN UNAME PLEN PASSWD) the client sends that
 *           sub-negotiation next; then the request VER=5 CMD RSV=0 ATYP DST.ADDR DST.PORT
 *           (ATYP 1 IPv4, 3 length-prefixed DOMAINNAME, 4 IPv6).
 *
 * Only the client's bytes are read (the server's replies are not needed: after the greeting a
 * client byte 1 can only start RFC 1929 auth and 5 the request). Whatever follows the
 * request is the tunnelled stream, the flow's own protocol (TLS, HTTP) as if no proxy were
 * there. Every count comes from the packet and is bounded; nothing is allocated. Other SOCKS5
 * methods (GSSAPI, RFC 1961) wrap what follows: PD_ERR_UNSUPPORTED.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cur.h"
#include "hostname.h"
#include "socks.h"

const char *pd_socks_name(enum pd_socks_ver v)
{
	return v == PD_SOCKS5 ? "socks5" : v == PD_SOCKS4A ? "socks4a" : "socks4";
}

/* RFC 1928 section 3: 0x00-0x09 assigned (IANA), 0x80-0xFE private; 0xFF is the refusal. */
static bool method_ok(uint8_t m)
{
	return m <= 0x09 || (m >= 0x80 && m <= 0xfe);
}

bool pd_socks_maybe(const uint8_t *d, size_t len)
{
	size_t i;

	if (len < 1)
		return true;
	if (d[0] == 4)
		return len < 2 || d[1] == 1 || d[1] == 2;
	if (d[0] != 5)
		return false;
	if (len < 2)
		return true;
	if (d[1] == 0)
		return false;
	for (i = 0; i < d[1] && 2 + i < len; i++)
		if (!method_ok(d[2 + i]))
			return false;
	return true;
}

/* Reads a NUL-terminated string of at most max bytes; *s and *n are set to it (without NUL).
 * PD_ERR_NEED_MORE when the NUL is not here yet and max is not reached. */
static enum pd_err cstring(struct pd_cur *c, size_t max, const uint8_t **s, size_t *n)
{
	size_t left = pd_cur_left(c), lim = left < max + 1 ? left : max + 1;
	const uint8_t *nul = memchr(c->p, 0, lim);

	if (!nul)
		return left > max ? PD_ERR_LIMIT : PD_ERR_NEED_MORE;
	*s = c->p;
	*n = (size_t)(nul - c->p);
	c->p = nul + 1;
	return PD_OK;
}

static void put_addr(struct pd_socks_req *out)
{
	if (!inet_ntop(out->addr.family == 6 ? AF_INET6 : AF_INET, out->addr.a, out->host,
	               sizeof(out->host)))
		snprintf(out->host, sizeof(out->host), "?");
}

static enum pd_err parse4(struct pd_cur *c, struct pd_socks_req *out)
{
	const uint8_t *s;
	size_t n, pos = 0;
	enum pd_err e;

	out->version = PD_SOCKS4;
	pd_cur_skip(c, 1);
	out->command = pd_cur_u8(c);
	out->port = pd_cur_be16(c);
	pd_cur_copy(c, out->addr.a, 4);
	if (c->err)
		return PD_ERR_NEED_MORE;
	if (out->command != 1 && out->command != 2)
		return PD_ERR_UNSUPPORTED;
	out->addr.family = 4;
	if ((e = cstring(c, PD_SOCKS_MAX_USERID, &s, &n)) != PD_OK)
		return e; /* the USERID is not kept */
	if (!out->addr.a[0] && !out->addr.a[1] && !out->addr.a[2] && out->addr.a[3]) {
		out->version = PD_SOCKS4A;
		if ((e = cstring(c, 255, &s, &n)) != PD_OK)
			return e;
		if (!n)
			return PD_ERR_MALFORMED;
		memset(&out->addr, 0, sizeof(out->addr));
		pd_hostname_put(out->host, sizeof(out->host), &pos, s, n, true);
	} else {
		put_addr(out);
	}
	out->head_len = pd_cur_offset(c);
	return PD_OK;
}

static enum pd_err parse5(struct pd_cur *c, struct pd_socks_req *out)
{
	const uint8_t *s;
	uint8_t nmethods, atyp, n;
	size_t i, pos = 0;

	out->version = PD_SOCKS5;
	pd_cur_skip(c, 1);
	nmethods = pd_cur_u8(c);
	s = pd_cur_bytes(c, nmethods);
	if (c->err)
		return PD_ERR_NEED_MORE;
	if (!nmethods)
		return PD_ERR_MALFORMED;
	for (i = 0; i < nmethods; i++)
		if (!method_ok(s[i]))
			return PD_ERR_UNSUPPORTED;
	if (!pd_cur_left(c))
		return PD_ERR_NEED_MORE;
	if (*c->p == 1) {
		/* RFC 1929: VER ULEN UNAME PLEN PASSWD, skipped whole */
		out->auth = true;
		pd_cur_skip(c, 1);
		pd_cur_skip(c, pd_cur_u8(c));
		pd_cur_skip(c, pd_cur_u8(c));
		if (c->err)
			return PD_ERR_NEED_MORE;
	}
	if (!pd_cur_left(c))
		return PD_ERR_NEED_MORE;
	if (*c->p != 5)
		return PD_ERR_UNSUPPORTED; /* another method's sub-negotiation */
	pd_cur_skip(c, 1);
	out->command = pd_cur_u8(c);
	(void)pd_cur_u8(c); /* RSV */
	atyp = pd_cur_u8(c);
	if (c->err)
		return PD_ERR_NEED_MORE;
	if (out->command < 1 || out->command > 3)
		return PD_ERR_MALFORMED;
	switch (atyp) {
	case 1:
		out->addr.family = 4;
		pd_cur_copy(c, out->addr.a, 4);
		break;
	case 4:
		out->addr.family = 6;
		pd_cur_copy(c, out->addr.a, 16);
		break;
	case 3:
		n = pd_cur_u8(c);
		s = pd_cur_bytes(c, n);
		if (!c->err && !n)
			return PD_ERR_MALFORMED;
		if (s)
			pd_hostname_put(out->host, sizeof(out->host), &pos, s, n, true);
		break;
	default:
		return PD_ERR_MALFORMED;
	}
	out->port = pd_cur_be16(c);
	if (c->err) {
		memset(out->host, 0, sizeof(out->host));
		memset(&out->addr, 0, sizeof(out->addr));
		return PD_ERR_NEED_MORE;
	}
	if (out->addr.family)
		put_addr(out);
	out->head_len = pd_cur_offset(c);
	return PD_OK;
}

enum pd_err pd_socks_parse(const uint8_t *d, size_t len, struct pd_socks_req *out)
{
	struct pd_cur c;
	enum pd_err e;

	memset(out, 0, sizeof(*out));
	if (len > PD_SOCKS_MAX_HEAD)
		len = PD_SOCKS_MAX_HEAD;
	if (!len)
		return PD_ERR_NEED_MORE;
	if (!pd_socks_maybe(d, len))
		return PD_ERR_UNSUPPORTED;
	c = pd_cur_make(d, len);
	e = d[0] == 4 ? parse4(&c, out) : parse5(&c, out);
	if (e == PD_ERR_NEED_MORE && len == PD_SOCKS_MAX_HEAD)
		e = PD_ERR_LIMIT;
	if (e != PD_OK) {
		enum pd_socks_ver v = out->version;
		memset(out, 0, sizeof(*out));
		out->version = v;
	}
	return e;
}
