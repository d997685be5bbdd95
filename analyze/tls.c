/*
 * tls.c - TLS ClientHello parser: server_name (RFC 6066 section 3), ALPN (RFC 7301),
 * supported_versions (RFC 8446 section 4.2.1) and the encrypted_client_hello extension
 * (0xfe0d, draft-ietf-tls-esni).
 *
 * pd_tls_parse_stream() reads the first bytes of a client's TCP stream as TLS records
 * (RFC 8446 section 5.1). The handshake message may be fragmented over several records and the
 * records split anywhere by TCP: the record payloads are gathered until the ClientHello's
 * 24-bit length is covered. The stream is rejected (PD_ERR_UNSUPPORTED) from its first bytes when
 * it cannot be a TLS handshake, so the caller stops buffering such flows early.
 * pd_tls_parse_handshake() reads one bare handshake message (QUIC CRYPTO stream, RFC 9001).
 *
 * Assumes nothing about its input: every length is checked through the byte cursor.
 */
#include <string.h>

#include "cur.h"
#include "hostname.h"
#include "tls.h"

#define TLS_CT_HANDSHAKE    22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_RECORD_MAX      (16384 + 2048) /* TLSCiphertext bound (RFC 8446 section 5.2) */
#define TLS_HELLO_MIN       38             /* version + random + session id length + ... */

#define TLS_EXT_SERVER_NAME        0x0000
#define TLS_EXT_ALPN               0x0010
#define TLS_EXT_SUPPORTED_VERSIONS 0x002b
#define TLS_EXT_ECH                0xfe0d

/* server_name extension body: ServerNameList (RFC 6066 section 3). First host_name wins. */
static enum pd_err parse_sni(struct pd_cur *e, struct pd_hello *out)
{
	struct pd_cur list = pd_cur_sub(e, pd_cur_be16(e));
	unsigned n = 0;

	if (e->err || pd_cur_left(e))
		return PD_ERR_MALFORMED;
	while (pd_cur_left(&list)) {
		uint8_t type = pd_cur_u8(&list);
		uint16_t len = pd_cur_be16(&list);
		const uint8_t *name = pd_cur_bytes(&list, len);
		if (list.err)
			return PD_ERR_MALFORMED;
		if (++n > PD_TLS_MAX_NAMES)
			return PD_ERR_MALFORMED;
		if (type == 0 && len > 0 && out->sni[0] == '\0') {
			size_t pos = 0;
			pd_hostname_put(out->sni, sizeof(out->sni), &pos, name, len, true);
		}
	}
	return PD_OK;
}

/* ALPN extension body: ProtocolNameList (RFC 7301 section 3.1), joined with ','. */
static enum pd_err parse_alpn(struct pd_cur *e, struct pd_hello *out)
{
	struct pd_cur list = pd_cur_sub(e, pd_cur_be16(e));
	size_t pos = 0;
	unsigned n = 0;

	if (e->err || pd_cur_left(e))
		return PD_ERR_MALFORMED;
	out->alpn[0] = '\0';
	while (pd_cur_left(&list)) {
		uint8_t len = pd_cur_u8(&list);
		const uint8_t *name = pd_cur_bytes(&list, len);
		if (list.err || len == 0 || ++n > PD_TLS_MAX_NAMES)
			return PD_ERR_MALFORMED;
		if (pos > 0 && pos + 1 < sizeof(out->alpn)) {
			out->alpn[pos++] = ',';
			out->alpn[pos] = '\0';
		}
		pd_hostname_put(out->alpn, sizeof(out->alpn), &pos, name, len, false);
	}
	return PD_OK;
}

/* supported_versions in a ClientHello: a one-byte length, then 16-bit versions. */
static enum pd_err parse_versions(struct pd_cur *e, struct pd_hello *out)
{
	uint8_t len = pd_cur_u8(e);
	struct pd_cur list = pd_cur_sub(e, len);

	if (e->err || pd_cur_left(e) || (len & 1))
		return PD_ERR_MALFORMED;
	while (pd_cur_left(&list))
		if (pd_cur_be16(&list) == 0x0304)
			out->tls13 = true;
	return PD_OK;
}

/* The ClientHello body (after the 4-byte handshake header), RFC 8446 section 4.1.2. */
static enum pd_err parse_hello_body(const uint8_t *buf, size_t len, struct pd_hello *out)
{
	struct pd_cur c = pd_cur_make(buf, len), exts;
	uint8_t sid_len, comp_len;
	uint16_t cs_len;
	unsigned n = 0;

	if (len < TLS_HELLO_MIN)
		return PD_ERR_MALFORMED;
	out->legacy_version = pd_cur_be16(&c);
	pd_cur_skip(&c, 32); /* random */
	sid_len = pd_cur_u8(&c);
	pd_cur_skip(&c, sid_len);
	cs_len = pd_cur_be16(&c);
	pd_cur_skip(&c, cs_len);
	comp_len = pd_cur_u8(&c);
	pd_cur_skip(&c, comp_len);
	if (c.err || (out->legacy_version >> 8) != 3 || sid_len > 32 || cs_len < 2 ||
	    (cs_len & 1) || comp_len < 1)
		return PD_ERR_MALFORMED;
	if (pd_cur_left(&c) == 0)
		return PD_OK; /* no extensions (SSL 3.0 style hello) */
	exts = pd_cur_sub(&c, pd_cur_be16(&c));
	if (c.err)
		return PD_ERR_MALFORMED;
	while (pd_cur_left(&exts)) {
		uint16_t type = pd_cur_be16(&exts);
		struct pd_cur e = pd_cur_sub(&exts, pd_cur_be16(&exts));
		enum pd_err err = PD_OK;

		if (exts.err || ++n > PD_TLS_MAX_EXTENSIONS)
			return PD_ERR_MALFORMED;
		switch (type) {
		case TLS_EXT_SERVER_NAME:
			if (pd_cur_left(&e)) /* a server's empty echo is not sent by clients */
				err = parse_sni(&e, out);
			break;
		case TLS_EXT_ALPN:
			err = parse_alpn(&e, out);
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			err = parse_versions(&e, out);
			break;
		case TLS_EXT_ECH:
			out->ech = true;
			break;
		default: /* unknown and GREASE (RFC 8701) extensions are skipped */
			break;
		}
		if (err)
			return err;
	}
	return PD_OK;
}

enum pd_err pd_tls_parse_handshake(const uint8_t *buf, size_t len, struct pd_hello *out)
{
	uint32_t hlen;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return PD_ERR_NEED_MORE;
	if (buf[0] != TLS_HS_CLIENT_HELLO)
		return PD_ERR_UNSUPPORTED;
	if (len < 4)
		return PD_ERR_NEED_MORE;
	hlen = ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
	if (hlen > PD_TLS_MAX_HELLO - 4)
		return PD_ERR_LIMIT;
	if (hlen > len - 4)
		return PD_ERR_NEED_MORE;
	return parse_hello_body(buf + 4, hlen, out);
}

/*
 * A record header that cannot start or continue a TLS handshake: content type 22, major
 * version 3, minor 0..4 (TLS 1.0-1.3 and SSL 3.0 use 0x0300..0x0304 in the record layer),
 * a non-empty length within the record bound.
 */
static int record_bad(const uint8_t *h, size_t have)
{
	if (have >= 1 && h[0] != TLS_CT_HANDSHAKE)
		return 1;
	if (have >= 2 && h[1] != 3)
		return 1;
	if (have >= 3 && h[2] > 4)
		return 1;
	if (have >= 5) {
		unsigned rl = ((unsigned)h[3] << 8) | h[4];
		if (rl == 0 || rl > TLS_RECORD_MAX)
			return 1;
	}
	return 0;
}

bool pd_tls_maybe(const uint8_t *buf, size_t len)
{
	if (len == 0 || record_bad(buf, len < 5 ? len : 5))
		return false;
	return len < 6 || buf[5] == TLS_HS_CLIENT_HELLO;
}

enum pd_err pd_tls_parse_stream(const uint8_t *buf, size_t len, struct pd_hello *out)
{
	uint8_t hs[PD_TLS_MAX_HELLO]; /* handshake bytes gathered from several records */
	size_t got = 0, need = 0;     /* need: 0 until the 4-byte header is known */
	struct pd_cur c = pd_cur_make(buf, len);
	int first = 1;

	memset(out, 0, sizeof(*out));
	while (pd_cur_left(&c)) {
		const uint8_t *h = c.p;
		size_t have = pd_cur_left(&c), rl, take;
		const uint8_t *frag;

		if (record_bad(h, have < 5 ? have : 5))
			/* The first record decides whether this is TLS at all; a broken record
			   after a valid one is a damaged TLS stream. */
			return first ? PD_ERR_UNSUPPORTED : PD_ERR_MALFORMED;
		if (have < 5)
			return PD_ERR_NEED_MORE;
		pd_cur_skip(&c, 3);
		rl = pd_cur_be16(&c);
		if (first && pd_cur_left(&c) >= 1 && c.p[0] != TLS_HS_CLIENT_HELLO)
			return PD_ERR_UNSUPPORTED; /* a server's stream or another handshake */
		take = pd_cur_left(&c) < rl ? pd_cur_left(&c) : rl;
		frag = pd_cur_bytes(&c, take);
		if (first && take >= 4 &&
		    4 + (((size_t)frag[1] << 16) | ((size_t)frag[2] << 8) | frag[3]) <= take)
			/* The common case: the whole hello in the first record, read in place. */
			return pd_tls_parse_handshake(frag, take, out);
		first = 0;
		if (need == 0 || got < need) {
			size_t room = sizeof(hs) - got;
			size_t n = take < room ? take : room;
			memcpy(hs + got, frag, n);
			got += n;
		}
		if (need == 0 && got >= 4) {
			enum pd_err err = pd_tls_parse_handshake(hs, 4, out);
			if (err != PD_ERR_NEED_MORE)
				return err; /* not a ClientHello, or longer than PD_TLS_MAX_HELLO */
			need = 4 + (((size_t)hs[1] << 16) | ((size_t)hs[2] << 8) | hs[3]);
		}
		if (need && got >= need)
			return pd_tls_parse_handshake(hs, need, out);
		if (take < rl)
			return got >= sizeof(hs) ? PD_ERR_LIMIT : PD_ERR_NEED_MORE;
	}
	return got >= sizeof(hs) ? PD_ERR_LIMIT : PD_ERR_NEED_MORE;
}
