/*
 * geo.c - GeoIP/ASN enrichment (SPEC 2.4) through libmaxminddb, and the special-range labels.
 *
 * Databases: MaxMind DB files (https://maxmind.github.io/MaxMind-DB/). The kind of a database
 * comes from its metadata database_type: "GeoLite2-City"/"GeoIP2-City" and "DBIP-City-Lite"
 * (country + city), "...-Country" (country), "...-ASN" / "DBIP-ASN-Lite (compat=GeoLite2-ASN)"
 * / "...-ISP" (ASN + organisation). GeoIP2 and DB-IP lite files share the field names
 * country.iso_code, city.names.en, autonomous_system_number, autonomous_system_organization;
 * a database of an unknown type is tried with those and with the flat names of ip-location-db
 * style files (country_code, asn "AS123", as_name). The first database, in the order given,
 * that knows a field fills it.
 * Discovery when no path is given: $PCAPDOMAINS_GEOIP (':'-separated files or directories;
 * when set, only those), else every *.mmdb in /usr/share/GeoIP and /var/lib/GeoIP. Directories
 * are read in name order. A database that does not open is an error naming it; no database at
 * all is not an error.
 * Special ranges (RFC 1918, 6598, 3927, 5737, 6890, 4193, 4291, 3849, 9637) are labelled from
 * the address alone; the lookup is still made (test databases cover private networks).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "geo.h"

#define KIND_COUNTRY 1u
#define KIND_CITY    2u
#define KIND_ASN     4u
#define KIND_ANY     8u /* unknown type: try every field name we know */

#define PD_GEO_MAX_FILES   64 /* *.mmdb files looked at in one directory */
#define PD_GEO_MAX_SKIPPED 8  /* bad files of directories remembered (more are counted) */

struct pd_geo {
	MMDB_s mmdb[PD_GEO_MAX_DBS];
	unsigned kind[PD_GEO_MAX_DBS];
	struct pd_geo_db_info info[PD_GEO_MAX_DBS];
	char real[PD_GEO_MAX_DBS][PATH_MAX];
	unsigned n;
	char skipped[PD_GEO_MAX_SKIPPED][PD_ERRBUF_SIZE]; /* bad files of a directory */
	unsigned n_skipped;
};

static unsigned kind_of(const char *type)
{
	if (strstr(type, "ASN") || strstr(type, "ISP"))
		return KIND_ASN;
	if (strstr(type, "City"))
		return KIND_CITY | KIND_COUNTRY;
	if (strstr(type, "Country"))
		return KIND_COUNTRY;
	return KIND_ANY;
}

static enum pd_err open_file(struct pd_geo *g, const char *path, char *errbuf)
{
	char real[PATH_MAX];
	unsigned i;
	int rc;

	if (!realpath(path, real))
		return pd_errf(errbuf, PD_ERR_IO, "GeoIP database %s: %s", path, strerror(errno));
	for (i = 0; i < g->n; i++)
		if (strcmp(g->real[i], real) == 0)
			return PD_OK; /* the same file named twice */
	if (g->n == PD_GEO_MAX_DBS)
		return pd_errf(errbuf, PD_ERR_LIMIT,
		               "GeoIP database %s: more than %d databases given", path,
		               PD_GEO_MAX_DBS);
	rc = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb[g->n]);
	if (rc != MMDB_SUCCESS) {
		if (rc == MMDB_IO_ERROR)
			return pd_errf(errbuf, PD_ERR_IO, "GeoIP database %s: %s: %s", path,
			               MMDB_strerror(rc), strerror(errno));
		return pd_errf(errbuf, PD_ERR_FORMAT,
		               "GeoIP database %s: %s (corrupt or not a"
		               " MaxMind DB file)",
		               path, MMDB_strerror(rc));
	}
	snprintf(g->info[g->n].path, sizeof(g->info[g->n].path), "%s", path);
	snprintf(g->info[g->n].type, sizeof(g->info[g->n].type), "%s",
	         g->mmdb[g->n].metadata.database_type ? g->mmdb[g->n].metadata.database_type : "");
	g->info[g->n].build_epoch = (int64_t)g->mmdb[g->n].metadata.build_epoch;
	g->kind[g->n] = kind_of(g->info[g->n].type);
	memcpy(g->real[g->n], real, sizeof(real));
	g->n++;
	return PD_OK;
}

static int has_mmdb_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".mmdb") == 0 && name[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Opens every *.mmdb in dir, in name order. missing_ok: a missing directory is no error. */
static enum pd_err open_dir(struct pd_geo *g, const char *dir, int missing_ok, char *errbuf)
{
	char *names[PD_GEO_MAX_FILES], path[PATH_MAX];
	enum pd_err err = PD_OK;
	unsigned n = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		if (missing_ok && (errno == ENOENT || errno == ENOTDIR))
			return PD_OK;
		return pd_errf(errbuf, PD_ERR_IO, "GeoIP directory %s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (!has_mmdb_suffix(de->d_name))
			continue;
		if (n == PD_GEO_MAX_FILES) {
			err = pd_errf(errbuf, PD_ERR_LIMIT,
			              "GeoIP directory %s: more than %d .mmdb files", dir,
			              PD_GEO_MAX_FILES);
			break;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			err = pd_errf(errbuf, PD_ERR_NOMEM, "GeoIP directory %s: out of memory",
			              dir);
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		err = open_file(g, path, errbuf);
		/* one bad database in a directory is skipped, with a warning naming it */
		if (err == PD_ERR_FORMAT || err == PD_ERR_IO) {
			if (g->n_skipped < PD_GEO_MAX_SKIPPED)
				snprintf(g->skipped[g->n_skipped], sizeof(g->skipped[0]), "%s",
				         errbuf);
			g->n_skipped++;
			errbuf[0] = '\0';
			err = PD_OK;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return err;
}

static enum pd_err open_path(struct pd_geo *g, const char *path, int missing_ok, char *errbuf)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (missing_ok && errno == ENOENT)
			return PD_OK;
		return pd_errf(errbuf, PD_ERR_IO, "GeoIP database %s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return open_dir(g, path, missing_ok, errbuf);
	return open_file(g, path, errbuf);
}

enum pd_err pd_geo_open(const char *const *paths, unsigned n, struct pd_geo **out,
                        char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_geo *g = calloc(1, sizeof(*g));
	enum pd_err err = PD_OK;
	const char *env;
	unsigned i;

	*out = NULL;
	if (!g)
		return pd_errf(errbuf, PD_ERR_NOMEM, "GeoIP: out of memory");
	env = getenv("PCAPDOMAINS_GEOIP");
	if (n) {
		for (i = 0; i < n && !err; i++)
			err = open_path(g, paths[i], 0, errbuf);
	} else if (env && *env) {
		char *copy = strdup(env), *save = NULL, *p;

		if (!copy) {
			pd_geo_close(g);
			return pd_errf(errbuf, PD_ERR_NOMEM, "GeoIP: out of memory");
		}
		for (p = strtok_r(copy, ":", &save); p && !err; p = strtok_r(NULL, ":", &save))
			err = open_path(g, p, 0, errbuf);
		free(copy);
	} else {
		err = open_path(g, "/usr/share/GeoIP", 1, errbuf);
		if (!err)
			err = open_path(g, "/var/lib/GeoIP", 1, errbuf);
	}
	if (err) {
		pd_geo_close(g);
		return err;
	}
	*out = g;
	return PD_OK;
}

unsigned pd_geo_skipped_count(const struct pd_geo *g)
{
	return g ? (g->n_skipped < PD_GEO_MAX_SKIPPED ? g->n_skipped : PD_GEO_MAX_SKIPPED) : 0;
}

const char *pd_geo_skipped(const struct pd_geo *g, unsigned i)
{
	return g && i < pd_geo_skipped_count(g) ? g->skipped[i] : NULL;
}

void pd_geo_close(struct pd_geo *g)
{
	unsigned i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++)
		MMDB_close(&g->mmdb[i]);
	free(g);
}

unsigned pd_geo_count(const struct pd_geo *g)
{
	return g ? g->n : 0;
}

const struct pd_geo_db_info *pd_geo_info(const struct pd_geo *g, unsigned i)
{
	return g && i < g->n ? &g->info[i] : NULL;
}

char *pd_geo_key(const struct pd_geo *g, char *buf, size_t len)
{
	size_t o = 0;
	unsigned i;

	if (!len)
		return buf;
	buf[0] = 0;
	for (i = 0; g && i < g->n && o < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s@%lld", i ? "," : "", g->info[i].type,
		                 (long long)g->info[i].build_epoch);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	return buf;
}

/* Copies a UTF-8 string value at the path into out; returns 1 when found. */
static int get_str(MMDB_entry_s *e, char *out, size_t len, const char *const *path)
{
	MMDB_entry_data_s d;
	size_t n;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
		return 0;
	n = d.data_size < len - 1 ? d.data_size : len - 1;
	memcpy(out, d.utf8_string, n);
	out[n] = 0;
	return 1;
}

static uint32_t get_asn(MMDB_entry_s *e, const char *const *path)
{
	MMDB_entry_data_s d;
	char tmp[16];
	size_t n;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
		return 0;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT32:
		return d.uint32;
	case MMDB_DATA_TYPE_UINT16:
		return d.uint16;
	case MMDB_DATA_TYPE_UTF8_STRING: /* "AS13335" */
		n = d.data_size < sizeof(tmp) - 1 ? d.data_size : sizeof(tmp) - 1;
		memcpy(tmp, d.utf8_string, n);
		tmp[n] = 0;
		return (uint32_t)strtoul(tmp + ((tmp[0] == 'A' || tmp[0] == 'a') ? 2 : 0), NULL,
		                         10);
	default:
		return 0;
	}
}

void pd_geo_lookup(const struct pd_geo *g, const struct pd_addr *a, struct pd_geo_result *r)
{
	static const char *const p_country[] = { "country", "iso_code", NULL };
	static const char *const p_reg_country[] = { "registered_country", "iso_code", NULL };
	static const char *const p_country_flat[] = { "country_code", NULL };
	static const char *const p_city[] = { "city", "names", "en", NULL };
	static const char *const p_asn[] = { "autonomous_system_number", NULL };
	static const char *const p_asn_flat[] = { "asn", NULL };
	static const char *const p_org[] = { "autonomous_system_organization", NULL };
	static const char *const p_org_flat[] = { "as_name", NULL };
	struct sockaddr_storage ss;
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->label = pd_special_range(a);
	if (!g || !g->n)
		return;
	memset(&ss, 0, sizeof(ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->a, 4);
	} else if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->a, 16);
	} else {
		return;
	}
	for (i = 0; i < g->n; i++) {
		const MMDB_s *m = &g->mmdb[i];
		unsigned k = g->kind[i];
		MMDB_lookup_result_s res;
		int merr = 0;

		res = MMDB_lookup_sockaddr(m, (const struct sockaddr *)&ss, &merr);
		if (merr != MMDB_SUCCESS) {
			if (!r->error[0])
				snprintf(r->error, sizeof(r->error), "%s: %s", g->info[i].path,
				         MMDB_strerror(merr));
			continue;
		}
		if (!res.found_entry)
			continue;
		if ((k & (KIND_COUNTRY | KIND_ANY)) && !r->country[0]) {
			if (!get_str(&res.entry, r->country, sizeof(r->country), p_country) &&
			    !get_str(&res.entry, r->country, sizeof(r->country), p_reg_country) &&
			    (k & KIND_ANY))
				get_str(&res.entry, r->country, sizeof(r->country), p_country_flat);
		}
		if ((k & (KIND_CITY | KIND_ANY)) && !r->city[0])
			get_str(&res.entry, r->city, sizeof(r->city), p_city);
		if ((k & (KIND_ASN | KIND_ANY)) && !r->asn) {
			r->asn = get_asn(&res.entry, p_asn);
			if (!r->asn && (k & KIND_ANY))
				r->asn = get_asn(&res.entry, p_asn_flat);
		}
		if ((k & (KIND_ASN | KIND_ANY)) && !r->as_org[0]) {
			if (!get_str(&res.entry, r->as_org, sizeof(r->as_org), p_org) &&
			    (k & KIND_ANY))
				get_str(&res.entry, r->as_org, sizeof(r->as_org), p_org_flat);
		}
	}
}

struct range {
	uint8_t prefix[16];
	uint8_t bits;
	const char *label;
};

/* IPv4 special ranges (RFC 6890 registry), most specific first where they nest. */
static const struct range v4_ranges[] = {
	{ { 0, 0, 0, 0 }, 32, "unspecified" },
	{ { 255, 255, 255, 255 }, 32, "broadcast" },
	{ { 0 }, 8, "reserved" },     /* "this network" */
	{ { 10 }, 8, "private" },     /* RFC 1918 */
	{ { 100, 64 }, 10, "cgnat" }, /* RFC 6598 */
	{ { 127 }, 8, "loopback" },
	{ { 169, 254 }, 16, "link-local" }, /* RFC 3927 */
	{ { 172, 16 }, 12, "private" },
	{ { 192, 0, 0 }, 24, "reserved" },      /* IETF protocol assignments */
	{ { 192, 0, 2 }, 24, "documentation" }, /* RFC 5737 TEST-NET-1 */
	{ { 192, 88, 99 }, 24, "reserved" },    /* 6to4 relay anycast, deprecated */
	{ { 192, 168 }, 16, "private" },
	{ { 198, 18 }, 15, "reserved" }, /* benchmarking, RFC 2544 */
	{ { 198, 51, 100 }, 24, "documentation" },
	{ { 203, 0, 113 }, 24, "documentation" },
	{ { 224 }, 4, "multicast" },
	{ { 240 }, 4, "reserved" },
};

static const struct range v6_ranges[] = {
	{ { 0 }, 128, "unspecified" },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, "loopback" },
	{ { 0x01, 0x00 }, 64, "reserved" },                         /* discard-only, RFC 6666 */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, "documentation" },        /* RFC 3849 */
	{ { 0x3f, 0xff, 0x00 }, 20, "documentation" },              /* RFC 9637 */
	{ { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 }, 48, "reserved" }, /* benchmarking */
	{ { 0xfc }, 7, "private" },                                 /* unique local, RFC 4193 */
	{ { 0xfe, 0x80 }, 10, "link-local" },
	{ { 0xfe, 0xc0 }, 10, "reserved" }, /* site-local, deprecated */
	{ { 0xff }, 8, "multicast" },
	{ { 0 }, 8, "reserved" }, /* ::/8 beyond :: and ::1 */
};

static int in_range(const uint8_t *a, const struct range *r)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (memcmp(a, r->prefix, full) != 0)
		return 0;
	if (!rest)
		return 1;
	return (a[full] & (uint8_t)(0xff << (8 - rest))) == r->prefix[full];
}

static const char *v4_label(const uint8_t *a)
{
	size_t i;

	for (i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++)
		if (in_range(a, &v4_ranges[i]))
			return v4_ranges[i].label;
	return NULL;
}

const char *pd_special_range(const struct pd_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	size_t i;

	if (a->family == 4)
		return v4_label(a->a);
	if (a->family != 6)
		return NULL;
	if (memcmp(a->a, mapped, 12) == 0) /* ::ffff:a.b.c.d is the IPv4 address */
		return v4_label(a->a + 12);
	for (i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++)
		if (in_range(a->a, &v6_ranges[i]))
			return v6_ranges[i].label;
	return NULL;
}
