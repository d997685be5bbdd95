/*
 * fuzz_policy.c - libFuzzer harness for the policy parser and matcher: any bytes as a policy
 * file, then a few lookups against whatever parsed.
 */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_policy *p = NULL;
	struct pd_addr a4 = { 4, { 10, 1, 2, 3 } }, a6 = { 6, { 0x20, 0x01, 0x0d, 0xb8 } };

	if (pd_policy_parse((const char *)data, size, "fuzz", &p, errbuf) != PD_OK)
		return 0;
	(void)pd_policy_allows(p, "a.b.example.com", &a4, 443, "tcp", NULL);
	(void)pd_policy_allows(p, "example.com.", &a6, 53, "udp", NULL);
	(void)pd_policy_allows(p, NULL, &a4, 1, NULL, NULL);
	pd_policy_free(p);
	return 0;
}
