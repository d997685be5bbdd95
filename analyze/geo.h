/*
 * geo.h - GeoIP/ASN through libmaxminddb: GeoLite2/GeoIP2 Country, City and ASN databases and
 * DB-IP's mmdb files. Discovery: --geoip paths, then $PCAPDOMAINS_GEOIP (a file or directory,
 * ':'-separated), /usr/share/GeoIP, /var/lib/GeoIP. Special ranges are labelled without any
 * lookup.
 */
#ifndef PD_GEO_H
#define PD_GEO_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "err.h"

#define PD_GEO_MAX_DBS 8

struct pd_geo_db_info {
	char path[512];
	char type[64];       /* database_type from metadata: "GeoLite2-ASN", "DBIP-City-Lite" ... */
	int64_t build_epoch; /* build_epoch from metadata */
};

struct pd_geo_result {
	char country[8]; /* ISO code, "" unknown */
	char city[128];
	uint32_t asn; /* 0 unknown */
	char as_org[256];
	const char *label; /* special range ("private", "loopback", ...) or NULL */
	char error[320];   /* "" or "DB: message" of a database whose lookup failed (corrupt
	                    * search tree, bad data): what it would have said is unknown */
};

struct pd_geo;

/*
 * Opens the databases given (paths may be files or directories) or, with n == 0, discovered
 * ones. A corrupt database is an error naming it; finding none is not an error
 * (pd_geo_count() == 0: reports say "GeoIP not configured").
 */
PD_MUST_CHECK enum pd_err pd_geo_open(const char *const *paths, unsigned n, struct pd_geo **out,
                                      char errbuf[PD_ERRBUF_SIZE]);
void pd_geo_close(struct pd_geo *g);

/*
 * Databases inside a directory that could not be opened (corrupt, not a MaxMind DB file):
 * skipped, not fatal; each as "PATH: reason". A file named directly stays an error.
 */
unsigned pd_geo_skipped_count(const struct pd_geo *g);
const char *pd_geo_skipped(const struct pd_geo *g, unsigned i);
unsigned pd_geo_count(const struct pd_geo *g);
const struct pd_geo_db_info *pd_geo_info(const struct pd_geo *g, unsigned i);

/* The database set as text for geo_cache.db_key: "type@build_epoch,..." in open order. */
char *pd_geo_key(const struct pd_geo *g, char *buf, size_t len);

/* Looks a up in every database; fills what is known. A database whose lookup fails (a corrupt
 * search tree or data section) is named in r->error, never silently empty. */
void pd_geo_lookup(const struct pd_geo *g, const struct pd_addr *a, struct pd_geo_result *r);

/* "private", "loopback", "link-local", "multicast", "cgnat", "documentation", "unspecified",
 * "broadcast", "reserved" for special ranges, NULL for global addresses. */
const char *pd_special_range(const struct pd_addr *a);

#endif
