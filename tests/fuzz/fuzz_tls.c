/*
 * fuzz_tls.c - libFuzzer harness for the TLS ClientHello parser: the input is the start of a
 * client's TCP stream (pd_tls_parse_stream), and also a bare handshake message
 * (pd_tls_parse_handshake, as QUIC carries it). A prefix of the input is parsed too, and the
 * result must then be "need more" or the same as the whole input's when the whole is complete.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_hello h, p;
	enum pd_err whole, part;

	(void)pd_tls_maybe(data, size);
	whole = pd_tls_parse_stream(data, size, &h);
	if (strlen(h.sni) >= sizeof(h.sni) || strlen(h.alpn) >= sizeof(h.alpn))
		abort();
	if (size > 1) {
		part = pd_tls_parse_stream(data, size / 2, &p);
		/* A prefix that already holds the whole hello gives the same answer. */
		if (part == PD_OK && (whole != PD_OK || strcmp(h.sni, p.sni) != 0))
			abort();
	}
	(void)pd_tls_parse_handshake(data, size, &h);
	return 0;
}
