/*
 * test_geo.c - GeoIP/ASN lookups against the databases made by
 * testdata/geoip/make-test-mmdb.pl and MaxMind's test databases in /work/shared/geoip (when
 * present), database discovery, corrupt databases, special-range labels.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo.h"
#include "names.h"
#include "testutil.h"

#define TD     PD_SOURCE_DIR "/testdata/geoip"
#define SHARED "/work/shared/geoip"

static struct pd_addr addr(const char *s)
{
	struct pd_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = 6;
	else
		ck_abort_msg("bad address %s", s);
	return a;
}

static struct pd_geo *open1(const char *path)
{
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_geo *g = NULL;

	ck_assert_msg(pd_geo_open(&path, 1, &g, errbuf) == PD_OK, "%s", errbuf);
	return g;
}

static void check(const struct pd_geo *g, const char *ip, const char *cc, const char *city,
                  uint32_t asn, const char *org)
{
	struct pd_addr a = addr(ip);
	struct pd_geo_result r;

	pd_geo_lookup(g, &a, &r);
	ck_assert_msg(!strcmp(r.country, cc), "%s: country %s", ip, r.country);
	ck_assert_msg(!strcmp(r.city, city), "%s: city %s", ip, r.city);
	ck_assert_msg(r.asn == asn, "%s: asn %u", ip, r.asn);
	ck_assert_msg(!strcmp(r.as_org, org), "%s: org %s", ip, r.as_org);
}

START_TEST(test_databases)
{
	struct pd_geo *g = open1(TD);
	struct pd_geo_result r;
	struct pd_addr a;
	char key[512];
	unsigned i;
	int seen_city = 0, seen_dbip = 0;

	ck_assert_uint_eq(pd_geo_count(g), 5);
	for (i = 0; i < pd_geo_count(g); i++) {
		const struct pd_geo_db_info *in = pd_geo_info(g, i);

		ck_assert_int_eq(in->build_epoch, 1700000000);
		seen_city += !strcmp(in->type, "GeoLite2-City");
		seen_dbip += !strcmp(in->type, "DBIP-ASN-Lite (compat=GeoLite2-ASN)");
		ck_assert_ptr_nonnull(strstr(in->path, ".mmdb"));
	}
	ck_assert_int_eq(seen_city, 1);
	ck_assert_int_eq(seen_dbip, 1);
	ck_assert_ptr_null(pd_geo_info(g, 5));
	pd_geo_key(g, key, sizeof(key));
	ck_assert_ptr_nonnull(strstr(key, "GeoLite2-City@1700000000"));

	check(g, "10.2.3.4", "FR", "Paris", 64502, "Fastly, Inc.");
	check(g, "10.8.0.1", "BR", "S\xc3\xa3o Paulo", 64508, "Exemplo Telecom Ltda");
	check(g, "10.200.1.1", "NL", "Amsterdam", 64500, "Example Net B.V.");
	check(g, "fd00:3::1", "JP", "Tokyo", 64503, "Cloudflare, Inc.");
	check(g, "fd00:5::10", "GB", "London", 64505, "Akamai Technologies, Inc.");
	check(g, "::ffff:10.1.2.3", "DE", "Berlin", 64501, "Example Transit GmbH");
	check(g, "8.8.8.8", "", "", 0, "");
	check(g, "2001:db8::1", "", "", 0, "");

	a = addr("10.2.3.4");
	pd_geo_lookup(g, &a, &r);
	ck_assert_str_eq(r.label, "private");
	ck_assert_str_eq(pd_cdn_from_as_org(r.as_org), "Fastly");
	pd_geo_close(g);

	/* one file: only the fields its type carries */
	g = open1(TD "/pd-test-ASN.mmdb");
	ck_assert_str_eq(pd_geo_info(g, 0)->type, "GeoLite2-ASN");
	check(g, "10.2.3.4", "", "", 64502, "Fastly, Inc.");
	pd_geo_close(g);
	g = open1(TD "/pd-test-Country.mmdb");
	check(g, "10.2.3.4", "FR", "", 0, "");
	pd_geo_close(g);
}
END_TEST

START_TEST(maxmind_test_databases)
{
	const char *paths[] = { SHARED "/GeoIP2-City-Test.mmdb", SHARED "/GeoLite2-ASN-Test.mmdb",
		                SHARED "/GeoIP2-Country-Test.mmdb" };
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_geo *g = NULL;

	if (access(paths[0], R_OK) != 0) {
		fprintf(stderr, "test_geo: %s missing, MaxMind test databases not checked\n",
		        paths[0]);
		return;
	}
	ck_assert_msg(pd_geo_open(paths, 3, &g, errbuf) == PD_OK, "%s", errbuf);
	ck_assert_uint_eq(pd_geo_count(g), 3);
	ck_assert_str_eq(pd_geo_info(g, 0)->type, "GeoIP2-City");
	check(g, "81.2.69.142", "GB", "London", 0, "");
	check(g, "2.125.160.216", "GB", "Boxford", 0, "");
	check(g, "89.160.20.112", "SE", "Link\xc3\xb6ping", 29518, "Bredband2 AB");
	check(g, "2001:218::", "JP", "", 0, "");
	pd_geo_close(g);
}
END_TEST

START_TEST(discovery)
{
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_geo *g = NULL;

	setenv("PCAPDOMAINS_GEOIP", TD "/pd-test-ASN.mmdb:" TD "/pd-test-City.mmdb", 1);
	ck_assert_msg(pd_geo_open(NULL, 0, &g, errbuf) == PD_OK, "%s", errbuf);
	ck_assert_uint_eq(pd_geo_count(g), 2);
	check(g, "10.3.0.1", "JP", "Tokyo", 64503, "Cloudflare, Inc.");
	pd_geo_close(g);

	/* the same file twice counts once */
	setenv("PCAPDOMAINS_GEOIP", TD ":" TD "/pd-test-ASN.mmdb", 1);
	ck_assert_msg(pd_geo_open(NULL, 0, &g, errbuf) == PD_OK, "%s", errbuf);
	ck_assert_uint_eq(pd_geo_count(g), 5);
	pd_geo_close(g);

	/* a directory without databases: none is not an error */
	setenv("PCAPDOMAINS_GEOIP", PD_SOURCE_DIR "/analyze", 1);
	ck_assert_msg(pd_geo_open(NULL, 0, &g, errbuf) == PD_OK, "%s", errbuf);
	ck_assert_uint_eq(pd_geo_count(g), 0);
	pd_geo_close(g);

	/* a named path that does not exist is */
	setenv("PCAPDOMAINS_GEOIP", "/nonexistent/attr-geo", 1);
	ck_assert_int_eq(pd_geo_open(NULL, 0, &g, errbuf), PD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(errbuf, "/nonexistent/attr-geo"));
	ck_assert_ptr_null(g);

	/* the system directories: whatever is installed, opening works */
	unsetenv("PCAPDOMAINS_GEOIP");
	ck_assert_msg(pd_geo_open(NULL, 0, &g, errbuf) == PD_OK, "%s", errbuf);
	pd_geo_close(g);
	ck_assert_uint_eq(pd_geo_count(NULL), 0);
	pd_geo_close(NULL);
}
END_TEST

START_TEST(special_ranges)
{
	static const char *const cases[][2] = {
		{ "10.1.2.3", "private" },
		{ "172.16.0.1", "private" },
		{ "172.31.255.255", "private" },
		{ "172.32.0.1", NULL },
		{ "192.168.1.1", "private" },
		{ "127.0.0.1", "loopback" },
		{ "169.254.1.1", "link-local" },
		{ "224.0.0.251", "multicast" },
		{ "239.255.255.250", "multicast" },
		{ "100.64.0.1", "cgnat" },
		{ "100.127.255.255", "cgnat" },
		{ "100.128.0.1", NULL },
		{ "192.0.2.1", "documentation" },
		{ "198.51.100.1", "documentation" },
		{ "203.0.113.9", "documentation" },
		{ "0.0.0.0", "unspecified" },
		{ "255.255.255.255", "broadcast" },
		{ "240.0.0.1", "reserved" },
		{ "0.1.2.3", "reserved" },
		{ "198.18.0.1", "reserved" },
		{ "8.8.8.8", NULL },
		{ "1.1.1.1", NULL },
		{ "::", "unspecified" },
		{ "::1", "loopback" },
		{ "fd00:5::1", "private" },
		{ "fc00::1", "private" },
		{ "fe80::1", "link-local" },
		{ "ff02::fb", "multicast" },
		{ "2001:db8::1", "documentation" },
		{ "3fff::1", "documentation" },
		{ "2606:4700::1111", NULL },
		{ "::ffff:192.168.0.1", "private" },
		{ "::ffff:8.8.8.8", NULL },
		{ "100::1", "reserved" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pd_addr a = addr(cases[i][0]);
		const char *l = pd_special_range(&a);

		if (cases[i][1])
			ck_assert_msg(l && !strcmp(l, cases[i][1]), "%s: %s", cases[i][0],
			              l ? l : "NULL");
		else
			ck_assert_msg(!l, "%s: %s", cases[i][0], l);
	}
}
END_TEST

START_TEST(no_database)
{
	struct pd_addr a = addr("192.168.1.1");
	struct pd_geo_result r;

	pd_geo_lookup(NULL, &a, &r);
	ck_assert_str_eq(r.label, "private");
	ck_assert_str_eq(r.country, "");
	ck_assert_uint_eq(r.asn, 0);
}
END_TEST

START_TEST(truncated)
{
	/* the first half of a database the generator made: the metadata marker is gone */
	size_t len;
	uint8_t *buf = pd_test_read_file("testdata/geoip/pd-test-City.mmdb", &len);
	char *path = pd_test_write_temp(buf, len / 2, ".mmdb");
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_geo *g = NULL;
	const char *p = path;

	ck_assert_int_eq(pd_geo_open(&p, 1, &g, errbuf), PD_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(errbuf, path));
	ck_assert_ptr_null(g);
	unlink(path);
	free(path);
	free(buf);
	p = "/nonexistent/attr.mmdb";
	ck_assert_int_eq(pd_geo_open(&p, 1, &g, errbuf), PD_ERR_IO);
}
END_TEST

START_TEST(hostile)
{
	/* MaxMind's own corrupt test database (invalid node count in its metadata) */
	const char *p = SHARED "/GeoIP2-City-Test-Invalid-Node-Count.mmdb";
	static const char text[] = "not a database\n";
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_geo *g = NULL;
	char *path;

	if (access(p, R_OK) == 0) {
		ck_assert_int_eq(pd_geo_open(&p, 1, &g, errbuf), PD_ERR_FORMAT);
		ck_assert_ptr_nonnull(strstr(errbuf, "Invalid-Node-Count"));
		ck_assert_ptr_null(g);
	}
	/* a text file named .mmdb, written here */
	path = pd_test_write_temp(text, sizeof(text) - 1, ".mmdb");
	p = path;
	ck_assert_int_eq(pd_geo_open(&p, 1, &g, errbuf), PD_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(errbuf, path));
	/* the good databases and a corrupt one: the whole open fails, naming the bad one */
	{
		const char *two[] = { TD "/pd-test-ASN.mmdb", path };

		ck_assert_int_eq(pd_geo_open(two, 2, &g, errbuf), PD_ERR_FORMAT);
		ck_assert_ptr_nonnull(strstr(errbuf, path));
	}
	unlink(path);
	free(path);
}
END_TEST

/* A bad .mmdb inside a --geoip DIR is skipped with a warning naming it; a database whose
 * search tree is corrupt opens, and every lookup names it in r.error (never silently empty). */
START_TEST(bad_in_dir)
{
	static const char text[] = "not a database\n";
	char dir[] = "/tmp/pdgeo-XXXXXX", path[600], errbuf[PD_ERRBUF_SIZE] = "";
	const char *p = dir;
	struct pd_geo *g = NULL;
	struct pd_addr a = addr("81.2.69.160");
	struct pd_geo_result r;
	size_t len;
	uint8_t *buf = pd_test_read_file("testdata/geoip/pd-test-ASN.mmdb", &len);
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a-good.mmdb", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b-bad.mmdb", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	ck_assert_msg(pd_geo_open(&p, 1, &g, errbuf) == PD_OK, "%s", errbuf);
	ck_assert_uint_eq(pd_geo_count(g), 1);
	ck_assert_uint_eq(pd_geo_skipped_count(g), 1);
	ck_assert_ptr_nonnull(strstr(pd_geo_skipped(g, 0), "b-bad.mmdb"));
	pd_geo_close(g);
	unlink(path);

	/* the search tree overwritten: opens (metadata intact), lookups fail by name */
	memset(buf, 0xff, 64);
	snprintf(path, sizeof(path), "%s/c-tree.mmdb", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
	g = open1(path);
	pd_geo_lookup(g, &a, &r);
	ck_assert_msg(strstr(r.error, "c-tree.mmdb") && strstr(r.error, "corrupt"), "%s", r.error);
	ck_assert_uint_eq(r.asn, 0);
	pd_geo_close(g);
	/* a good database: no error */
	snprintf(path, sizeof(path), "%s/a-good.mmdb", dir);
	g = open1(path);
	pd_geo_lookup(g, &a, &r);
	ck_assert_str_eq(r.error, "");
	pd_geo_close(g);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c-tree.mmdb", dir);
	unlink(path);
	rmdir(dir);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("geo");
	TCase *v = tcase_create("valid"), *t = tcase_create("truncated"),
	      *h = tcase_create("hostile");

	tcase_add_test(v, test_databases);
	tcase_add_test(v, maxmind_test_databases);
	tcase_add_test(v, discovery);
	tcase_add_test(v, special_ranges);
	tcase_add_test(v, no_database);
	tcase_add_test(t, truncated);
	tcase_add_test(h, hostile);
	tcase_add_test(h, bad_in_dir);
	suite_add_tcase(s, v);
	suite_add_tcase(s, t);
	suite_add_tcase(s, h);
	return pd_test_run(s);
}
