/*
 * tls.h - TLS ClientHello parser (RFC 8446 4.1.2; SNI RFC 6066; ALPN RFC 7301; ECH
 * draft-ietf-tls-esni, extension 0xfe0d).
 *
 * pd_tls_parse_stream() reads the first bytes a client sent on a TCP connection: TLS records
 * (one ClientHello may span several records, and the records several TCP segments; the caller
 * reassembles segments). pd_tls_parse_handshake() reads a bare handshake message, as QUIC
 * carries it in CRYPTO frames.
 */
#ifndef PD_TLS_H
#define PD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PD_TLS_MAX_HELLO      16384 /* client bytes buffered per flow to find a ClientHello */
#define PD_TLS_MAX_EXTENSIONS 256   /* extensions in one ClientHello (real ones: ~20) */
#define PD_TLS_MAX_NAMES      64    /* entries in a server_name or ALPN list */

struct pd_hello {
	char sni[256];  /* server_name host_name, lowercased; bytes outside printable ASCII and
	                   '\\' escaped \xHH; cut at a whole character if longer; "" none */
	char alpn[256]; /* protocol names joined with ',', e.g. "h2,http/1.1"; "" none */
	bool ech;       /* encrypted_client_hello extension present (real or GREASE): sni
	                   is then the outer (public) name, not necessarily the destination */
	uint16_t legacy_version; /* ClientHello legacy_version */
	bool tls13;              /* supported_versions offers TLS 1.3 */
};

/*
 * Parses the start of a client's TCP byte stream. Returns PD_OK (out filled), PD_ERR_NEED_MORE
 * (a valid prefix of a ClientHello: call again with more bytes), PD_ERR_UNSUPPORTED (not a TLS
 * handshake: the caller stops trying on this flow), PD_ERR_LIMIT (the ClientHello is longer than
 * PD_TLS_MAX_HELLO: stop) or PD_ERR_MALFORMED. The decision "not TLS" is made from the first
 * 6 bytes (record type 22, version 3.x, ClientHello handshake type). buf is only read.
 */
enum pd_err pd_tls_parse_stream(const uint8_t *buf, size_t len, struct pd_hello *out);

/* Parses one handshake message (type, 24-bit length, body). Same returns as above. */
enum pd_err pd_tls_parse_handshake(const uint8_t *buf, size_t len, struct pd_hello *out);

/* Cheap test on the first bytes of a stream: could this be a TLS handshake record? */
bool pd_tls_maybe(const uint8_t *buf, size_t len);

#endif
