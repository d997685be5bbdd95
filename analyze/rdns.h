/*
 * rdns.h - active reverse lookups at analysis time with c-ares: parallel with a concurrency
 * bound and a timeout, against --resolver IP[:PORT] or the system's resolvers. Results,
 * failures included, go to the ptr_cache table so a second report sends nothing.
 */
#ifndef PD_RDNS_H
#define PD_RDNS_H

#include <stddef.h>

#include <stdbool.h>

#include <sqlite3.h>

#include "err.h"

#define PD_RDNS_CONCURRENCY 32
#define PD_RDNS_TIMEOUT_MS  2000
/* A failed lookup (timeout, servfail, error: the resolver, not the answer) is cached this long;
 * answers (a name, NXDOMAIN) are cached for good. */
#define PD_RDNS_FAIL_TTL_S  3600
#define PD_RDNS_MAX_LOOKUPS 4096 /* per run; more addresses are left unresolved with a warning */

struct pd_rdns_opts {
	const char *resolver; /* "IP", "IP:PORT", "[IPv6]:PORT"; NULL = system resolvers */
	int timeout_ms;       /* 0 = PD_RDNS_TIMEOUT_MS */
	int concurrency;      /* 0 = PD_RDNS_CONCURRENCY */
	bool refresh_failed;  /* --refresh-ptr: ask again about failed lookups within their TTL */
};

/*
 * Looks up the addresses not yet in ptr_cache and stores the results. Sends packets: never call
 * it under --no-resolve. Returns PD_OK with a warning in errbuf (errbuf[0] != 0) when some
 * addresses were left unresolved (over PD_RDNS_MAX_LOOKUPS, or an unreachable resolver);
 * PD_ERR_USAGE for a bad resolver string.
 */
PD_MUST_CHECK enum pd_err pd_rdns_resolve(sqlite3 *db, const char *const *ips, size_t n,
                                          const struct pd_rdns_opts *opts,
                                          char errbuf[PD_ERRBUF_SIZE]);

#endif
