/*
 * fuzz_http.c - libFuzzer harness for the HTTP/1.x request parser. Checks that the strings it
 * fills stay terminated within their fields and that a prefix never succeeds where the whole
 * input is no request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_http_req r;
	enum pd_err e;

	(void)pd_http_maybe((const char *)data, size);
	e = pd_http_parse_request((const char *)data, size, &r);
	if (strlen(r.host) >= sizeof(r.host) || strlen(r.authority) >= sizeof(r.authority) ||
	    strlen(r.method) >= sizeof(r.method))
		abort();
	if (e == PD_ERR_UNSUPPORTED && size > 1 && size < PD_HTTP_MAX_HEAD &&
	    pd_http_parse_request((const char *)data, size - 1, &r) == PD_OK)
		abort();
	return 0;
}
