/*
 * fuzz_socks.c - libFuzzer harness for the SOCKS handshake parser (socks.c). Checks that the
 * name stays terminated within its field, that a parsed head never claims more bytes than
 * were given, and that a prefix of a handshake never fails where the whole succeeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_socks_req r, p;
	enum pd_err e;

	(void)pd_socks_maybe(data, size);
	e = pd_socks_parse(data, size, &r);
	if (strnlen(r.host, sizeof(r.host)) >= sizeof(r.host))
		abort();
	if (e == PD_OK) {
		if (r.head_len == 0 || r.head_len > size || r.head_len > PD_SOCKS_MAX_HEAD)
			abort();
		/* the head alone parses the same */
		if (pd_socks_parse(data, r.head_len, &p) != PD_OK || strcmp(p.host, r.host) ||
		    p.port != r.port)
			abort();
		if (r.head_len > 1 && pd_socks_parse(data, r.head_len - 1, &p) != PD_ERR_NEED_MORE)
			abort();
	}
	return 0;
}
