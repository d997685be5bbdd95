/*
 * fuzz_policy.c - libFuzzer harness for the policy parser and matcher: any bytes as a policy
 * file, then lookups against whatever parsed; and the same bytes as a name from a packet,
 * holding `allowlist`'s promise: a name pd_policy_name_ok() accepts, written as a policy
 * line, parses and allows that name (any case, with a trailing dot) and nothing below it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void name_roundtrip(const uint8_t *data, size_t size)
{
	char errbuf[PD_ERRBUF_SIZE], name[300], other[310];
	struct pd_policy *p = NULL;
	struct pd_addr a4 = { 4, { 192, 0, 2, 1 } };
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;

	memcpy(name, data, n);
	name[n] = 0;
	if (strlen(name) != n || !pd_policy_name_ok(name))
		return;
	if (pd_policy_parse(name, n, "fuzz", &p, errbuf) != PD_OK)
		abort(); /* allowlist would write a policy that check cannot read */
	if (!pd_policy_allows(p, name, &a4, 443, "tcp", NULL))
		abort();
	memcpy(other, "x.", 2);
	memcpy(other + 2, name, n + 1);
	if (name[n - 1] != '.' && pd_policy_allows(p, other, NULL, 443, "tcp", NULL))
		abort(); /* an exact entry allowed a name below it */
	pd_policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_policy *p = NULL;
	struct pd_addr a4 = { 4, { 10, 1, 2, 3 } }, a6 = { 6, { 0x20, 0x01, 0x0d, 0xb8 } };

	name_roundtrip(data, size);
	if (pd_policy_parse((const char *)data, size, "fuzz", &p, errbuf) != PD_OK)
		return 0;
	(void)pd_policy_allows(p, "a.b.example.com", &a4, 443, "tcp", NULL);
	(void)pd_policy_allows(p, "example.com.", &a6, 53, "udp", NULL);
	(void)pd_policy_allows(p, NULL, &a4, 1, NULL, NULL);
	(void)pd_policy_allows(p, "", &a4, 0, "icmp", NULL);
	pd_policy_free(p);
	return 0;
}
