/*
 * policy.h - allowlist policy files (SPEC 2.7): one entry a line,
 *   example.com          exact name
 *   *.example.com        any subdomain (not example.com itself)
 *   10.0.0.0/8, 2001:db8::/32, 192.0.2.1   addresses
 * each optionally followed by :PORT[-PORT] and/or /PROTO (tcp|udp|icmp|icmp6|any), e.g.
 * `*.example.com:443/tcp`,
 * `[2001:db8::1]:53/udp`; `#` starts a comment. Names compare case-insensitively.
 * `via proxy.corp:3128` allows a proxy as a hop (pd_policy_allows_via).
 */
#ifndef PD_POLICY_H
#define PD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "err.h"

#define PD_POLICY_MAX_RULES 100000

struct pd_policy;

/* Parses text; a syntax error returns PD_ERR_POLICY with "ORIGIN:LINE: message" in errbuf. */
PD_MUST_CHECK enum pd_err pd_policy_parse(const char *text, size_t len, const char *origin,
                                          struct pd_policy **out, char errbuf[PD_ERRBUF_SIZE]);
PD_MUST_CHECK enum pd_err pd_policy_load(const char *path, struct pd_policy **out,
                                         char errbuf[PD_ERRBUF_SIZE]);
void pd_policy_free(struct pd_policy *p);
/* The first entry that allows every address (0.0.0.0/0, ::/0), NULL when none: a policy with
 * one passes everything, which deserves a warning. */
const char *pd_policy_catch_all(const struct pd_policy *p);

/*
 * Can name be written into a policy as an exact-name entry that reads back as that name?
 * False for names with characters the grammar has no room for (':', '/', '*', spaces...), an
 * empty label, a label over 63 or a name over 253 bytes, and names that read as an address.
 */
bool pd_policy_name_ok(const char *name);

/*
 * Is a connection to (name, addr, port, proto) allowed? name may be NULL (unattributed);
 * proto is "tcp"/"udp"/... On a match *rule (if rule) points to the matching line's text.
 */
bool pd_policy_allows(const struct pd_policy *p, const char *name, const struct pd_addr *addr,
                      uint16_t port, const char *proto, const char **rule);

/*
 * Is a proxy (HTTP or SOCKS, name may be NULL) at addr:port allowed as a hop? By a
 * `via HOST[:PORT]` entry, or by a plain entry that allows it as a TCP destination. The
 * destination behind it is judged by pd_policy_allows on its own.
 */
bool pd_policy_allows_via(const struct pd_policy *p, const char *name, const struct pd_addr *addr,
                          uint16_t port, const char **rule);
/*
 * The name a policy may judge a destination by: its attributed name, except a name from a
 * reverse lookup (evidence ptr-capture or ptr-lookup), which the address's owner chooses and
 * could make "api.github.com": such destinations are judged by their address only.
 */
static inline const char *pd_policy_name(const char *name, const char *evidence)
{
	if (evidence && !strncmp(evidence, "ptr-", 4))
		return NULL;
	return name;
}

#endif
