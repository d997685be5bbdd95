/*
 * test_dbfaults.c - the report model (report/model.c) on databases made elsewhere: a corrupt
 * counters page (the double free of issue 18: a failed step left the finalized statement to be
 * finalized again), counts whose sums pass INT64_MAX, and every column of every table holding
 * a value of the wrong type or out of range. The model must fail with a message or build;
 * ASan+UBSan (the sanitizer suite) turn any memory or overflow fault into a failure.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "store.h"
#include "testutil.h"

static const char fixture[] =
        "INSERT INTO captures(id, path, size, sha256, format, link_types, packets, bytes, "
        "ingested_at, tool_version) VALUES (1, 'a.pcap', 10, 'aa', 'pcap', 'ether', 5, 500, 0, "
        "'0'), (2, 'b.pcap', 10, 'bb', 'pcap', 'ether', 5, 500, 0, '0');"
        "INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, server_port, "
        "first_ns, last_ns, packets_out, bytes_out, packets_in, bytes_in, name, evidence, "
        "confidence) VALUES (1, 'tcp', '10.0.0.2', 4000, '192.0.2.1', 443, 1, 2, 1, 10, 1, "
        "10, 'www.example.com', 'sni', 'high'), (2, 'tcp', '10.0.0.2', 4001, '192.0.2.1', "
        "443, 3, 4, 1, 10, 1, 10, 'www.example.com', 'sni', 'high'), (2, 'udp', '10.0.0.2', "
        "4002, '192.0.2.9', 53, 3, 4, 1, 10, 1, 10, NULL, 'none', 'low');"
        "INSERT INTO names(capture_id, ip, name, source, count, first_ns) VALUES "
        "(1, '192.0.2.1', 'www.example.com', 'dns', 3, 1);"
        "INSERT INTO dns_answers(capture_id, ts_ns, client_ip, resolver_ip, resolver_port, "
        "transport, qname, qtype, rcode, rr_type, answer) VALUES (1, 1, '10.0.0.2', "
        "'10.0.0.1', 53, 'udp', 'unused.example', 'A', 'NOERROR', 'A', '198.51.100.1');"
        "INSERT INTO findings(capture_id, kind, severity, subject, detail, count, first_ns) "
        "VALUES (1, 'bound', 'warning', 'x', 'y', 9223372036854775807, 1), "
        "(2, 'bound', 'warning', 'x', 'y', 9223372036854775807, 1);"
        "INSERT INTO counters(capture_id, kind, what, n) VALUES "
        "(1, 'dns', 'records-dropped', 9223372036854775807), "
        "(2, 'dns', 'records-dropped', 9223372036854775807);";

static sqlite3 *make_db(const char *path)
{
	char *err = NULL;
	sqlite3 *db;

	if (path)
		unlink(path);
	ck_assert_int_eq(sqlite3_open(path ? path : ":memory:", &db), SQLITE_OK);
	if (sqlite3_exec(db, pd_schema_sql, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(db, fixture, NULL, NULL, &err) != SQLITE_OK)
		ck_abort_msg("fixture: %s", err);
	return db;
}

/* Builds the model and writes every format to /dev/null; returns the build's result. */
static enum pd_err build_and_write(sqlite3 *db, char errbuf[PD_ERRBUF_SIZE])
{
	static const enum pd_format fmts[] = { PD_FMT_TEXT, PD_FMT_HTML, PD_FMT_CSV, PD_FMT_MD,
		                               PD_FMT_JSON };
	struct pd_report_opts o;
	struct pd_model *m = NULL;
	enum pd_err e;
	FILE *null = fopen("/dev/null", "w");
	size_t i;

	ck_assert_ptr_nonnull(null);
	memset(&o, 0, sizeof(o));
	o.width = 80;
	e = pd_model_build(db, &o, &m, errbuf);
	if (e == PD_OK)
		for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
			pd_report_write(m, fmts[i], &o, null);
	pd_model_free(m);
	fclose(null);
	return e;
}

/* valid: sums past INT64_MAX saturate instead of failing the report. */
START_TEST(valid)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_report_opts o;
	struct pd_model *m = NULL;
	sqlite3 *db = make_db(NULL);
	size_t i;

	memset(&o, 0, sizeof(o));
	if (pd_model_build(db, &o, &m, errbuf) != PD_OK)
		ck_abort_msg("%s", errbuf);
	ck_assert_uint_eq(m->n_counters, 1);
	ck_assert_int_eq(m->counters[0].n, INT64_MAX);
	for (i = 0; i < m->n_findings; i++)
		if (!strcmp(m->findings[i].kind, "bound"))
			ck_assert_int_eq(m->findings[i].count, INT64_MAX);
	pd_model_free(m);
	sqlite3_close(db);
}
END_TEST

/* truncated: the counters table's root page overwritten (a corrupt page, as in 3 of 200
 * randomly corrupted databases): stepping fails and the model reports it, once. Before the
 * fix this freed the counters statement twice (ASan: attempting double-free). */
START_TEST(truncated)
{
	char path[] = "/tmp/pd-dbfaults-XXXXXX", errbuf[PD_ERRBUF_SIZE], page[4096];
	sqlite3_stmt *st;
	int64_t root = 0, psize = 0;
	sqlite3 *db;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	db = make_db(path);
	/* enough counter rows that the table has pages below its root */
	ck_assert_int_eq(
	        sqlite3_exec(db,
	                     "DELETE FROM findings; DELETE FROM counters; "
	                     "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
	                     "WHERE i < 2000) INSERT INTO counters(capture_id, kind, what, n) "
	                     "SELECT 1, 'k' || i, 'w', i FROM n",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	                                    "SELECT rootpage, (SELECT page_size FROM "
	                                    "pragma_page_size) FROM sqlite_master WHERE name = "
	                                    "'counters'",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	root = sqlite3_column_int64(st, 0);
	psize = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	ck_assert_int_le(psize, (int64_t)sizeof(page));
	/* an interior page whose cells point nowhere */
	memset(page, 0, sizeof(page));
	page[0] = 0x05;                 /* interior table b-tree page */
	page[3] = 0, page[4] = 1;       /* one cell */
	page[8] = 0x7f, page[9] = 0x7f; /* right-most child: a page past the end */
	page[10] = 0x7f, page[11] = 0x7f;
	page[12] = 0x0f, page[13] = (char)0xf0; /* cell offset past the page */
	f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, (long)((root - 1) * psize), SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(page, 1, (size_t)psize, f), (size_t)psize);
	ck_assert_int_eq(fclose(f), 0);

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	ck_assert_int_eq(build_and_write(db, errbuf), PD_ERR_DB);
	ck_assert_msg(strstr(errbuf, "counters"), "%s", errbuf);
	sqlite3_close(db);
	unlink(path);
}
END_TEST

/* hostile: every column of every table, in turn, given each value of the wrong type or out
 * of range; the model builds or fails with a message, never a memory or overflow fault. */
START_TEST(hostile)
{
	static const char *const tables[] = { "captures", "interfaces",  "flows",
		                              "names",    "dns_answers", "findings",
		                              "counters", "ptr_cache",   "geo_cache" };
	static const char *const values[] = { "NULL",
		                              "X'00ff00'",
		                              "''",
		                              "'not a number'",
		                              "-1",
		                              "9223372036854775807",
		                              "-9223372036854775808",
		                              "1e308",
		                              "-0.5",
		                              "'9223372036854775808'",
		                              "4294967296",
		                              "65536",
		                              "'\xff\xfe invalid utf-8 \xc3'" };
	char errbuf[PD_ERRBUF_SIZE], sql[512];
	sqlite3_stmt *cols;
	sqlite3 *db = make_db(NULL);
	size_t t, v, runs = 0;

	/* column constraints do not hold in a database made elsewhere */
	ck_assert_int_eq(
	        sqlite3_exec(db, "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", tables[t]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &cols, NULL), SQLITE_OK);
		while (sqlite3_step(cols) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(cols, 0);

			for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
				ck_assert_int_eq(sqlite3_exec(db, "SAVEPOINT h", NULL, NULL, NULL),
				                 SQLITE_OK);
				snprintf(sql, sizeof(sql), "UPDATE OR IGNORE %s SET \"%s\" = %s",
				         tables[t], c, values[v]);
				(void)sqlite3_exec(db, sql, NULL, NULL,
				                   NULL); /* NOT NULL may refuse */
				(void)build_and_write(db, errbuf);
				ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK TO h; RELEASE h", NULL,
				                              NULL, NULL),
				                 SQLITE_OK);
				runs++;
			}
		}
		sqlite3_finalize(cols);
	}
	ck_assert_uint_gt(runs, 100);
	sqlite3_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dbfaults");
	TCase *tc = tcase_create("dbfaults");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
