/*
 * test_rdns.c - reverse lookups against a tiny fake DNS server run by the test itself: a UDP
 * socket on 127.0.0.1 (an ephemeral port) served by a thread that answers PTR queries from a
 * fixed table (name, NXDOMAIN, SERVFAIL, NOERROR without answer, silence, odd bytes, a
 * truncated reply). Checks ptr_cache rows and that a second run sends nothing.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rdns.h"
#include "store.h"
#include "testutil.h"

struct fake {
	int fd, port, stop, queries;
	pthread_t th;
};

static struct fake fk;
static sqlite3 *db;
static char resolver[64];

/* Appends a dotted name as DNS labels; returns the new offset. */
static size_t put_name(uint8_t *b, size_t o, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		b[o++] = (uint8_t)n;
		memcpy(b + o, name, n);
		o += n;
		name += n + (dot ? 1 : 0);
	}
	b[o++] = 0;
	return o;
}

static void *serve(void *arg)
{
	uint8_t q[512], a[1024];

	(void)arg;
	while (!__atomic_load_n(&fk.stop, __ATOMIC_SEQ_CST)) {
		struct pollfd p = { fk.fd, POLLIN, 0 };
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char qname[300];
		size_t qo = 12, no = 0, o, end_q;
		const char *ptr = NULL;
		int rcode = 0;
		ssize_t n;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recvfrom(fk.fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		if (n < 17)
			continue;
		__atomic_add_fetch(&fk.queries, 1, __ATOMIC_SEQ_CST);
		while (qo < (size_t)n && q[qo] && q[qo] < 64 && qo + 1 + q[qo] < (size_t)n &&
		       no + q[qo] + 2 < sizeof(qname)) {
			if (no)
				qname[no++] = '.';
			memcpy(qname + no, q + qo + 1, q[qo]);
			no += q[qo];
			qo += 1u + q[qo];
		}
		qname[no] = 0;
		end_q = qo + 5;
		if (end_q > (size_t)n)
			continue;
		if (!strcmp(qname, "1.0.5.10.in-addr.arpa"))
			ptr = "host1.attr.test";
		else if (!strcmp(qname, "2.0.5.10.in-addr.arpa"))
			rcode = 3;
		else if (!strcmp(qname, "3.0.5.10.in-addr.arpa"))
			rcode = 2;
		else if (!strcmp(qname, "4.0.5.10.in-addr.arpa") ||
		         (no > 20 && !strcmp(qname + no - 20, ".4.5.10.in-addr.arpa")))
			continue; /* silence for 10.5.0.4 and 10.5.4.0/24: the client times out */
		else if (!strcmp(qname, "5.0.5.10.in-addr.arpa"))
			ptr = NULL; /* NOERROR, no answer */
		else if (!strcmp(qname, "6.0.5.10.in-addr.arpa"))
			ptr = "bad\x01<b>.attr.test";
		else if (!strcmp(qname, "7.0.5.10.in-addr.arpa"))
			ptr = "Upper.ATTR.test";
		else if (!strcmp(qname, "8.0.5.10.in-addr.arpa") ||
		         !strcmp(qname, "9.0.5.10.in-addr.arpa")) {
			/* a reply announcing one answer, cut after its question (8) or after its
			 * header (9) */
			int hdr_only = qname[0] == '9';

			memcpy(a, q, end_q);
			a[2] = 0x81;
			a[3] = 0x80;
			a[4] = 0;
			a[5] = hdr_only ? 0 : 1;
			a[6] = 0;
			a[7] = 1;
			memset(a + 8, 0, 4);
			sendto(fk.fd, a, hdr_only ? 12 : end_q, 0, (struct sockaddr *)&from, fl);
			continue;
		} else if (!strncmp(qname,
		                    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.5.0.0.0."
		                    "0.0.d.f.ip6.arpa",
		                    200))
			ptr = "v6.attr.test";
		else
			ptr = "bulk.attr.test";
		memcpy(a, q, end_q);
		a[2] = 0x81; /* QR, RD */
		a[3] = (uint8_t)(0x80 | rcode);
		a[4] = 0;
		a[5] = 1;
		a[6] = 0;
		a[7] = ptr && !rcode ? 1 : 0;
		memset(a + 8, 0, 4);
		o = end_q;
		if (ptr && !rcode) {
			size_t rdl;

			a[o++] = 0xc0; /* name: pointer to the question */
			a[o++] = 12;
			a[o++] = 0;
			a[o++] = 12; /* PTR */
			a[o++] = 0;
			a[o++] = 1; /* IN */
			a[o++] = 0;
			a[o++] = 0;
			a[o++] = 0;
			a[o++] = 60; /* TTL */
			rdl = put_name(a, o + 2, ptr) - (o + 2);
			a[o] = (uint8_t)(rdl >> 8);
			a[o + 1] = (uint8_t)rdl;
			o += 2 + rdl;
		}
		sendto(fk.fd, a, o, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void setup(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(&fk, 0, sizeof(fk));
	fk.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fk.fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fk.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fk.fd, (struct sockaddr *)&sa, &sl), 0);
	fk.port = ntohs(sa.sin_port);
	snprintf(resolver, sizeof(resolver), "127.0.0.1:%d", fk.port);
	ck_assert_int_eq(pthread_create(&fk.th, NULL, serve, NULL), 0);
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, pd_schema_sql, NULL, NULL, NULL), SQLITE_OK);
}

static void teardown(void)
{
	__atomic_store_n(&fk.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(fk.th, NULL);
	close(fk.fd);
	sqlite3_close(db);
}

static enum pd_err resolve(const char *const *ips, size_t n, int timeout_ms, int conc, char *errbuf)
{
	struct pd_rdns_opts o = { resolver, timeout_ms, conc, false };

	return pd_rdns_resolve(db, ips, n, &o, errbuf);
}

/* "status|name|resolver" of an address's cache row, or "" */
static const char *row(const char *ip)
{
	static char out[512];
	sqlite3_stmt *st;

	out[0] = 0;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	                                    "SELECT status, name, resolver FROM ptr_cache"
	                                    " WHERE ip = ?1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s|%s|%s", sqlite3_column_text(st, 0),
		         sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "",
		         sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return out;
}

static int64_t count_rows(void)
{
	sqlite3_stmt *st;
	int64_t n;

	sqlite3_prepare_v2(db, "SELECT count(*) FROM ptr_cache", -1, &st, NULL);
	sqlite3_step(st);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

START_TEST(valid)
{
	const char *ips[] = { "10.5.0.1", "10.5.0.2", "10.5.0.3",  "10.5.0.5",  "fd00:5::1",
		              "10.5.0.7", "10.5.0.1", "not-an-ip", "224.0.0.1", "0.0.0.0" };
	char errbuf[PD_ERRBUF_SIZE], want[128];
	int q;

	ck_assert_int_eq(resolve(ips, 10, 1000, 0, errbuf), PD_OK);
	ck_assert_str_eq(errbuf, "");
	snprintf(want, sizeof(want), "ok|host1.attr.test|%s", resolver);
	ck_assert_str_eq(row("10.5.0.1"), want);
	snprintf(want, sizeof(want), "nxdomain||%s", resolver);
	ck_assert_str_eq(row("10.5.0.2"), want);
	ck_assert_str_eq(row("10.5.0.5"), want);
	snprintf(want, sizeof(want), "servfail||%s", resolver);
	ck_assert_str_eq(row("10.5.0.3"), want);
	snprintf(want, sizeof(want), "ok|v6.attr.test|%s", resolver);
	ck_assert_str_eq(row("fd00:5::1"), want);
	snprintf(want, sizeof(want), "ok|upper.attr.test|%s", resolver);
	ck_assert_str_eq(row("10.5.0.7"), want);
	ck_assert_str_eq(row("not-an-ip"), "");
	ck_assert_str_eq(row("224.0.0.1"), "");
	ck_assert_int_eq(count_rows(), 6);
	q = __atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(q, 6);

	/* a second run sends nothing */
	ck_assert_int_eq(resolve(ips, 10, 1000, 0, errbuf), PD_OK);
	ck_assert_int_eq(__atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST), q);
	ck_assert_int_eq(count_rows(), 6);
}
END_TEST

/* A failed lookup (the resolver down) is cached for PD_RDNS_FAIL_TTL_S only, and
 * refresh_failed (--refresh-ptr) asks again at once; answers stay cached. */
START_TEST(failure_ttl)
{
	const char *ips[] = { "10.5.0.1", "10.5.0.2" };
	char errbuf[PD_ERRBUF_SIZE], want[128], sql[256];
	struct pd_rdns_opts o = { resolver, 1000, 0, true };
	int q;

	snprintf(sql, sizeof(sql),
	         "INSERT INTO ptr_cache VALUES ('10.5.0.1', NULL, 'timeout', 'x', %lld);"
	         "INSERT INTO ptr_cache VALUES ('10.5.0.2', NULL, 'nxdomain', 'x', %lld)",
	         (long long)time(NULL) - 60, (long long)time(NULL) - 86400 * 30);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	/* within its TTL: nothing sent */
	ck_assert_int_eq(resolve(ips, 2, 1000, 0, errbuf), PD_OK);
	ck_assert_int_eq(__atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST), 0);
	ck_assert_str_eq(row("10.5.0.1"), "timeout||x");
	/* --refresh-ptr: the failure is asked about again, the NXDOMAIN answer is not */
	ck_assert_int_eq(pd_rdns_resolve(db, ips, 2, &o, errbuf), PD_OK);
	ck_assert_int_eq(__atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST), 1);
	snprintf(want, sizeof(want), "ok|host1.attr.test|%s", resolver);
	ck_assert_str_eq(row("10.5.0.1"), want);
	ck_assert_str_eq(row("10.5.0.2"), "nxdomain||x");
	/* a failure older than its TTL is asked about again without the option */
	snprintf(sql, sizeof(sql),
	         "UPDATE ptr_cache SET status = 'servfail', name = NULL, looked_up_at = %lld "
	         "WHERE ip = '10.5.0.1'",
	         (long long)time(NULL) - PD_RDNS_FAIL_TTL_S - 5);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	q = __atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(resolve(ips, 2, 1000, 0, errbuf), PD_OK);
	ck_assert_int_eq(__atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST), q + 1);
	ck_assert_str_eq(row("10.5.0.1"), want);
}
END_TEST

/* With the system's resolvers (no --resolver), special-range addresses are never asked
 * about: their reverse zones are local (RFC 6303), so no packet and no cache row. */
START_TEST(system_skips_special)
{
	const char *ips[] = { "10.5.0.1",  "192.168.1.1", "127.0.0.1",  "169.254.1.1",
		              "fd00:5::1", "fe80::1",     "100.64.0.1", "192.0.2.1" };
	struct pd_rdns_opts o = { NULL, 200, 0, false };
	char errbuf[PD_ERRBUF_SIZE];

	ck_assert_int_eq(pd_rdns_resolve(db, ips, 8, &o, errbuf), PD_OK);
	ck_assert_int_eq(count_rows(), 0);
	ck_assert_int_eq(__atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST), 0);
}
END_TEST

START_TEST(timeout_and_bulk)
{
	const char *slow[] = { "10.5.0.4" };
	char **many = calloc(300, sizeof(*many));
	char errbuf[PD_ERRBUF_SIZE], want[128];
	struct timespec t0, t1;
	double el;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(resolve(slow, 1, 300, 0, errbuf), PD_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(el >= 0.25 && el < 2.0, "timeout took %.2f s", el);
	snprintf(want, sizeof(want), "timeout||%s", resolver);
	ck_assert_str_eq(row("10.5.0.4"), want);

	/* more addresses than the concurrency bound: all answered */
	for (i = 0; i < 300; i++) {
		char *s = malloc(32);

		snprintf(s, 32, "10.5.%d.%d", 10 + i / 200, i % 200 + 1);
		many[i] = s;
	}
	ck_assert_int_eq(resolve((const char *const *)many, 300, 1000, 4, errbuf), PD_OK);
	snprintf(want, sizeof(want), "ok|bulk.attr.test|%s", resolver);
	for (i = 0; i < 300; i++)
		ck_assert_str_eq(row(many[i]), want);
	for (i = 0; i < 300; i++)
		free(many[i]);
	free(many);
}
END_TEST

START_TEST(dead_resolver)
{
	/* the fake server never answers for 10.5.4.0/24: after the first timeouts no more
	 * queries are started */
	char *ips[40], errbuf[PD_ERRBUF_SIZE];
	struct timespec t0, t1;
	double el;
	int i;

	for (i = 0; i < 40; i++) {
		ips[i] = malloc(32);
		snprintf(ips[i], 32, "10.5.4.%d", i + 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(resolve((const char *const *)ips, 40, 200, 8, errbuf), PD_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(el < 1.0, "gave up after %.2f s", el);
	ck_assert_ptr_nonnull(strstr(errbuf, "does not answer"));
	ck_assert_int_ge(count_rows(), 8);
	ck_assert_int_lt(count_rows(), 40);
	ck_assert_int_lt(__atomic_load_n(&fk.queries, __ATOMIC_SEQ_CST), 40);
	for (i = 0; i < 40; i++)
		free(ips[i]);
}
END_TEST

START_TEST(truncated)
{
	/* the fake server's replies: for 10.5.0.8 cut after the question although it announces
	 * an answer (a malformed answer); for 10.5.0.9 a bare header, which c-ares cannot match
	 * to the query and drops (the lookup times out) */
	const char *ips[] = { "10.5.0.8", "10.5.0.9" };
	char errbuf[PD_ERRBUF_SIZE], want[128];

	ck_assert_int_eq(resolve(ips, 2, 500, 0, errbuf), PD_OK);
	snprintf(want, sizeof(want), "error||%s", resolver);
	ck_assert_str_eq(row("10.5.0.8"), want);
	snprintf(want, sizeof(want), "timeout||%s", resolver);
	ck_assert_str_eq(row("10.5.0.9"), want);
}
END_TEST

START_TEST(hostile)
{
	/* the fake server answers 10.5.0.6 with a PTR name holding a control byte and markup */
	const char *ips[] = { "10.5.0.6" };
	char errbuf[PD_ERRBUF_SIZE], want[128];
	struct pd_rdns_opts bad = { "300.1.1.1:53", 100, 1, false };

	ck_assert_int_eq(resolve(ips, 1, 500, 0, errbuf), PD_OK);
	snprintf(want, sizeof(want), "error||%s", resolver);
	ck_assert_str_eq(row("10.5.0.6"), want);
	/* a --resolver that is no address: a usage error, nothing sent */
	ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM ptr_cache", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(pd_rdns_resolve(db, ips, 1, &bad, errbuf), PD_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "300.1.1.1"));
	ck_assert_int_eq(count_rows(), 0);
}
END_TEST

/*
 * Run by tests/e2e/test_rdns_dnsmasq.sh inside its client namespace, with
 * PD_RDNS_E2E_RESOLVER naming the real dnsmasq it started (--ptr-record for 10.5.0.5 and
 * fd00:5::5, --bogus-priv so other private addresses are NXDOMAIN).
 */
START_TEST(dnsmasq)
{
	const char *ips[] = { "10.5.0.5", "fd00:5::5", "10.5.0.77" };
	struct pd_rdns_opts o = { getenv("PD_RDNS_E2E_RESOLVER"), 2000, 0, false };
	char errbuf[PD_ERRBUF_SIZE], want[128];
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, pd_schema_sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(resolver, sizeof(resolver), "%s", o.resolver);
	if (!strchr(resolver, ':'))
		snprintf(resolver, sizeof(resolver), "%s:53", o.resolver);
	ck_assert_msg(pd_rdns_resolve(db, ips, 3, &o, errbuf) == PD_OK, "%s", errbuf);
	snprintf(want, sizeof(want), "ok|web.attr.test|%s", resolver);
	ck_assert_str_eq(row("10.5.0.5"), want);
	snprintf(want, sizeof(want), "ok|web6.attr.test|%s", resolver);
	ck_assert_str_eq(row("fd00:5::5"), want);
	snprintf(want, sizeof(want), "nxdomain||%s", resolver);
	ck_assert_str_eq(row("10.5.0.77"), want);
	ck_assert_int_eq(
	        sqlite3_prepare_v2(db, "SELECT looked_up_at FROM ptr_cache", -1, &st, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_gt(sqlite3_column_int64(st, 0), 1700000000);
	sqlite3_finalize(st);
	sqlite3_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rdns");
	TCase *v = tcase_create("valid"), *t = tcase_create("truncated"),
	      *h = tcase_create("hostile");

	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(v, valid);
	tcase_add_test(v, timeout_and_bulk);
	tcase_add_test(v, system_skips_special);
	tcase_add_test(v, dead_resolver);
	tcase_add_test(v, failure_ttl);
	tcase_add_test(t, truncated);
	tcase_add_test(h, hostile);
	suite_add_tcase(s, v);
	suite_add_tcase(s, t);
	suite_add_tcase(s, h);
	if (getenv("PD_RDNS_E2E_RESOLVER")) {
		TCase *e = tcase_create("e2e");

		tcase_add_test(e, dnsmasq);
		suite_add_tcase(s, e);
	}
	return pd_test_run(s);
}
