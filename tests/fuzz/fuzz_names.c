/*
 * fuzz_names.c - libFuzzer harness for attribution: the input is read as a little program of
 * 8-byte records that insert DNS answers, PTR answers and flows (addresses, names, times and
 * TTLs drawn from small pools so that they collide) into an in-memory database, then
 * pd_names_attribute() runs and every flow must carry a known evidence. The raw input is also
 * given, as a string, to the reverse-name, registrable-domain and CDN helpers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ips[] = { "10.5.0.1",    "10.5.0.2", "192.0.2.1", "192.0.2.2",
	                           "2001:db8::1", "::1",      "127.0.0.1", "198.51.100.7" };
static const char *const names[] = {
	"a.example",
	"www.a.example",
	"b.test",
	"x.co.uk",
	"A.Example.",
	"c|d.example",
	"e.cloudfront.net",
	"",
	"7.100.51.198.in-addr.arpa",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static sqlite3 *db;

static void run(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "A", "AAAA", "HINT", "PTR", "CNAME" };
	char errbuf[PD_ERRBUF_SIZE], buf[512], *s;
	sqlite3_stmt *fl, *an, *chk;
	size_t i;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	(void)pd_names_ptr_addr(s, buf, sizeof(buf));
	(void)pd_registrable(s, buf, sizeof(buf));
	(void)pd_cdn_from_name(s);
	(void)pd_cdn_from_as_org(s);
	free(s);

	if (!db) {
		if (sqlite3_open(":memory:", &db) != SQLITE_OK)
			abort();
		run(pd_schema_sql);
		run("INSERT INTO captures (id, path, size, sha256, format, link_types, packets,"
		    " bytes, ingested_at, tool_version) VALUES (1, 'f', 0, 'x', 'pcap', 'ether', 0,"
		    " 0, 0, 'fuzz')");
	}
	run("BEGIN");
	run("DELETE FROM flows; DELETE FROM dns_answers; DELETE FROM names; DELETE FROM findings");
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO flows (capture_id, proto, client_ip, client_port,"
	                       " server_ip, server_port, first_ns, last_ns, packets_out, bytes_out,"
	                       " packets_in, bytes_in, app_proto, sni, ech, http_host) VALUES (1,"
	                       " 'tcp', ?1, 1, ?2, 443, ?3, ?3, 1, 1, 1, 1, ?4, ?5, ?6, ?7)",
	                       -1, &fl, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "INSERT INTO dns_answers (capture_id, ts_ns, client_ip, resolver_ip,"
	                       " resolver_port, transport, qname, qtype, rcode, rr_name, rr_type,"
	                       " answer, ttl, chain) VALUES (1, ?1, ?2, '10.5.0.53', 53, 'udp', ?3,"
	                       " ?4, 'NOERROR', ?3, ?4, ?5, ?6, ?7)",
	                       -1, &an, NULL) != SQLITE_OK)
		abort();
	for (i = 0; i + 8 <= size; i += 8) {
		const uint8_t *r = data + i;
		int64_t ts = (int64_t)(r[4] | r[5] << 8) * 100000000LL;

		if (r[0] & 1) { /* flow: client, server, name, flags */
			sqlite3_reset(fl);
			sqlite3_bind_text(fl, 1, ips[r[1] % N(ips)], -1, SQLITE_STATIC);
			sqlite3_bind_text(fl, 2, ips[r[2] % N(ips)], -1, SQLITE_STATIC);
			sqlite3_bind_int64(fl, 3, ts);
			sqlite3_bind_text(fl, 4, (r[0] & 2) ? "quic" : "tls", -1, SQLITE_STATIC);
			if (r[0] & 4)
				sqlite3_bind_text(fl, 5, names[r[3] % N(names)], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(fl, 5);
			sqlite3_bind_int(fl, 6, (r[0] >> 3) & 1);
			if (r[0] & 16)
				sqlite3_bind_text(fl, 7, names[r[6] % N(names)], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(fl, 7);
			if (sqlite3_step(fl) != SQLITE_DONE)
				abort();
		} else { /* answer: client, answer address or name, qname, type, ttl */
			const char *type = types[(r[0] >> 1) % N(types)];
			int name_answer = !strcmp(type, "PTR") || !strcmp(type, "CNAME");

			sqlite3_reset(an);
			sqlite3_bind_int64(an, 1, ts);
			sqlite3_bind_text(an, 2, ips[r[1] % N(ips)], -1, SQLITE_STATIC);
			sqlite3_bind_text(an, 3, names[r[3] % N(names)], -1, SQLITE_STATIC);
			sqlite3_bind_text(an, 4, type, -1, SQLITE_STATIC);
			sqlite3_bind_text(an, 5,
			                  name_answer ? names[r[2] % N(names)] : ips[r[2] % N(ips)],
			                  -1, SQLITE_STATIC);
			sqlite3_bind_int64(an, 6, (int64_t)(int8_t)r[6] * 7);
			if (r[7] & 1)
				sqlite3_bind_text(an, 7, "a.example>e.cloudfront.net", -1,
				                  SQLITE_STATIC);
			else
				sqlite3_bind_null(an, 7);
			if (sqlite3_step(an) != SQLITE_DONE)
				abort();
		}
	}
	sqlite3_finalize(fl);
	sqlite3_finalize(an);
	if (pd_names_attribute(db, 1, NULL, errbuf) != PD_OK)
		abort();
	if (sqlite3_prepare_v2(
	            db,
	            "SELECT count(*) FROM flows WHERE evidence NOT IN ('sni', 'quic-sni',"
	            " 'http-host', 'dns', 'dns-other-client', 'dns-expired',"
	            " 'ptr-capture', 'none') OR (evidence != 'none' AND name IS NULL)",
	            -1, &chk, NULL) != SQLITE_OK ||
	    sqlite3_step(chk) != SQLITE_ROW || sqlite3_column_int(chk, 0) != 0)
		abort();
	sqlite3_finalize(chk);
	run("COMMIT");
	return 0;
}
