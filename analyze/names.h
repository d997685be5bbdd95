/*
 * names.h - attribution (SPEC 2.3): for every flow of a capture, the destination name and the
 * evidence behind it, strongest first: sni / quic-sni / http-host, dns (same client, before
 * the flow, within TTL + grace), dns-other-client / dns-expired, ptr-capture, none.
 * Also registrable domains (libpsl) and CDN naming (cdn.c table).
 *
 * Runs on the database rows of one capture, inside the ingest transaction.
 */
#ifndef PD_NAMES_H
#define PD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"

#define PD_MAX_CANDIDATES      16  /* candidate names kept per flow */
#define PD_MAX_NAMES_PER_ADDR  256 /* distinct names remembered per address */
#define PD_DNS_GRACE_DEFAULT_S 60  /* seconds past TTL an answer still counts as `dns` */

struct pd_attr_opts {
	int64_t dns_grace_ns; /* --dns-grace; 0 = the default, < 0 = no grace */
};

/* Attributes every flow of capture_id and fills the names table. */
PD_MUST_CHECK enum pd_err pd_names_attribute(sqlite3 *db, int64_t capture_id,
                                             const struct pd_attr_opts *opts,
                                             char errbuf[PD_ERRBUF_SIZE]);

/*
 * The address a complete reverse name stands for ("4.3.2.1.in-addr.arpa", 32-nibble ip6.arpa),
 * as inet_ntop text into out (at least 46 bytes). Returns 0, or -1 when qname is not one.
 */
int pd_names_ptr_addr(const char *qname, char *out, size_t len);

/*
 * Registrable domain (eTLD+1) of name by the Public Suffix List, into out. When name is an
 * address, a public suffix itself or unknown, copies name. Returns out.
 */
char *pd_registrable(const char *name, char *out, size_t len);

/* pd_registrable() for many names: the Public Suffix List is asked once per distinct suffix
 * (libpsl walks every suffix of a name). Same result; NULL when out of memory. */
struct pd_psl_memo;
struct pd_psl_memo *pd_psl_memo_new(void);
void pd_psl_memo_free(struct pd_psl_memo *m);
char *pd_registrable_memo(struct pd_psl_memo *m, const char *name, char *out, size_t len);

/* CDN operator for a CNAME target or final name ("Amazon CloudFront", "Akamai", ...) or NULL;
 * name may be a '>'-joined CNAME chain (the last element naming a CDN wins). */
const char *pd_cdn_from_name(const char *name);
/* CDN operator for an ASN organisation name, or NULL. */
const char *pd_cdn_from_as_org(const char *as_org);
/* Row i of the CNAME-suffix table (cdn.c) into *suffix / *cdn when i < the row count, which is
 * returned: lets tests and docs walk the table. */
size_t pd_cdn_table(size_t i, const char **suffix, const char **cdn);

#endif
