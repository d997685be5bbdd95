/*
 * fuzz_dns.c - libFuzzer harness for pd_dns_parse: any bytes, one message.
 *
 * Build by hand: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ianalyze analyze/dns.c
 * analyze/err.c analyze/decode.c tests/fuzz/fuzz_dns.c -o fuzz_dns; run with the seed corpus
 * tests/fuzz/corpus/dns (made by tests/fuzz/make_dns_corpus.sh). Besides the sanitizers it
 * checks the result's promises: counts within bounds, names NUL-terminated printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n = strnlen(s, PD_DNS_NAME_MAX);
	size_t i;

	if (n == PD_DNS_NAME_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || (s[i] >= 'A' && s[i] <= 'Z'))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_dns_msg m;
	enum pd_err err = pd_dns_parse(data, size, &m);
	unsigned i;

	if (err != PD_OK && err != PD_ERR_TRUNCATED && err != PD_ERR_MALFORMED)
		abort();
	if (m.n_rr > PD_DNS_MAX_RR || m.n_rr + m.n_rr_dropped > m.ancount)
		abort();
	check_name(m.qname);
	for (i = 0; i < m.n_rr; i++) {
		check_name(m.rr[i].name);
		check_name(m.rr[i].target);
		if (m.rr[i].n_hints > PD_DNS_MAX_HINTS)
			abort();
	}
	(void)pd_dns_type_name(m.qtype);
	(void)pd_dns_rcode_name(m.rcode);
	return 0;
}
