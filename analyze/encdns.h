/*
 * encdns.h - well-known encrypted-DNS resolvers (DNS over HTTPS/TLS/QUIC endpoints), by name
 * and by address, so that a TLS or QUIC flow to one of them can be flagged as likely DoH: such
 * traffic hides lookups from the DNS map (SPEC 2.2).
 *
 * The table lists public resolvers as their operators document them; it is deliberately
 * small (a hint, not a classifier) and tested in tests/test_flow.c.
 */
#ifndef PD_ENCDNS_H
#define PD_ENCDNS_H

#include "decode.h"

/* Operator name ("Google", "Cloudflare", ...) when name is a known DoH host, else NULL. */
const char *pd_encdns_by_name(const char *name);
/* Operator name when a is a known public resolver address, else NULL. */
const char *pd_encdns_by_addr(const struct pd_addr *a);

#endif
