/*
 * bench_names.c - times pd_names_attribute() on a generated capture: N flows (default
 * 1,000,000) from 50 clients to 20,000 servers, a DNS answer for most servers, a third of the
 * flows with an SNI. Usage: bench_names [FLOWS]. Prints seconds and flows per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "names.h"
#include "store.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	long nflows = argc > 1 ? atol(argv[1]) : 1000000, i;
	const int64_t t0 = 1700000000LL * 1000000000LL;
	char errbuf[PD_ERRBUF_SIZE], ip[64], cl[64], name[64];
	sqlite3_stmt *fl, *an;
	sqlite3 *db;
	double t;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return 2;
	run(db, pd_schema_sql);
	run(db,
	    "INSERT INTO captures (id, path, size, sha256, format, link_types, packets, bytes,"
	    " ingested_at, tool_version) VALUES (1, 'b', 0, 'x', 'pcap', 'ether', 0, 0, 0, 'b')");
	run(db, "BEGIN");
	sqlite3_prepare_v2(
	        db,
	        "INSERT INTO dns_answers (capture_id, ts_ns, client_ip, resolver_ip,"
	        " resolver_port, transport, qname, qtype, rcode, rr_name, rr_type, answer,"
	        " ttl, chain) VALUES (1, ?1, ?2, '10.0.0.53', 53, 'udp', ?3, 'A',"
	        " 'NOERROR', ?3, 'A', ?4, 300, ?3)",
	        -1, &an, NULL);
	sqlite3_prepare_v2(
	        db,
	        "INSERT INTO flows (capture_id, proto, client_ip, client_port, server_ip,"
	        " server_port, first_ns, last_ns, packets_out, bytes_out, packets_in,"
	        " bytes_in, sni) VALUES (1, 'tcp', ?1, 40000, ?2, 443, ?3, ?3, 1, 1, 1, 1,"
	        " ?4)",
	        -1, &fl, NULL);
	for (i = 0; i < 50000; i++) {
		long s = i % 20000;

		snprintf(ip, sizeof(ip), "198.18.%ld.%ld", s / 250, s % 250);
		snprintf(cl, sizeof(cl), "10.0.0.%ld", i % 50);
		snprintf(name, sizeof(name), "host%ld.domain%ld.example", s, s % 5000);
		sqlite3_reset(an);
		sqlite3_bind_int64(an, 1, t0 + i * 1000000LL);
		sqlite3_bind_text(an, 2, cl, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(an, 3, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(an, 4, ip, -1, SQLITE_TRANSIENT);
		sqlite3_step(an);
	}
	for (i = 0; i < nflows; i++) {
		long s = (i * 7919) % 21000;

		snprintf(ip, sizeof(ip), "198.18.%ld.%ld", s / 250, s % 250);
		snprintf(cl, sizeof(cl), "10.0.0.%ld", i % 50);
		snprintf(name, sizeof(name), "sni%ld.example", s);
		sqlite3_reset(fl);
		sqlite3_bind_text(fl, 1, cl, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(fl, 2, ip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(fl, 3, t0 + 50000000000LL + i * 100000LL);
		if (i % 3 == 0)
			sqlite3_bind_text(fl, 4, name, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(fl, 4);
		sqlite3_step(fl);
	}
	sqlite3_finalize(an);
	sqlite3_finalize(fl);
	t = now();
	if (pd_names_attribute(db, 1, NULL, errbuf) != PD_OK) {
		fprintf(stderr, "%s\n", errbuf);
		return 2;
	}
	t = now() - t;
	run(db, "COMMIT");
	printf("attributed %ld flows in %.2f s (%.0f flows/s)\n", nflows, t, nflows / t);
	sqlite3_close(db);
	return 0;
}
