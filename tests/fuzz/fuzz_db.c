/*
 * fuzz_db.c - libFuzzer harness for databases made elsewhere (issue 18: `merge` takes databases
 * from other machines, `report --db`, `check` and `diff` read them). A valid pcapdomains
 * database (schema.sql plus a few rows of every table) is corrupted as the input says, written
 * to a file, and given to the real subcommands in-process: report --db (every format), check
 * DB, diff SEED DB and merge --db OUT DB. They may fail (exit 2 with a message); they must not
 * corrupt memory, overflow, leak or hang.
 *
 * Input: a list of operations, each one byte of kind then its operands:
 *   0 set:    [table:1][column:1][row:1][type:1][payload:8] one cell gets a value of the type
 *             (NULL, integer, extreme integer, real, text, blob, invalid UTF-8, long text)
 *   1 delete: [table:1][row:1] a row goes (orphans the rows that point at it)
 *   2 copy:   [table:1][row:1] a row is inserted again (duplicates, constraint paths)
 *   3 page:   [page:1][offset:2][len:1][bytes:len] raw bytes over the file, after the SQL ops
 * The harness redirects stderr to /dev/null while the subcommands run (their messages are
 * expected); sanitizer reports go to the original stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "cmd.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char seed_rows[] =
        "INSERT INTO captures(id, path, size, sha256, format, link_types, packets, bytes, "
        "first_ns, last_ns, drops, ingested_at, tool_version) VALUES "
        "(1, 'a.pcapng', 100, 'aa11', 'pcapng', 'ether', 5, 500, 1000, 9000, 0, 0, '0'),"
        "(2, 'b.pcap', 100, 'bb22', 'pcap', 'ether', 5, 500, 2000, 8000, 3, 0, '0');"
        "INSERT INTO interfaces(capture_id, idx, name, link_type, snaplen, received, dropped) "
        "VALUES (1, 0, 'eth0', 'ether', 65535, 10, 0), (2, 0, 'any', 'linux-sll2', 262144, 5, "
        "1);"
        "INSERT INTO dns_answers(id, capture_id, ts_ns, client_ip, resolver_ip, resolver_port, "
        "transport, qname, qtype, rcode, rr_name, rr_type, answer, ttl, chain, ech) VALUES "
        "(1, 1, 1000, '10.0.0.2', '10.0.0.1', 53, 'udp', 'www.example.com', 'A', 'NOERROR', "
        "'www.example.com', 'A', '192.0.2.1', 60, 'www.example.com', 0),"
        "(2, 1, 1100, '10.0.0.2', '10.0.0.1', 53, 'udp', 'cdn.example.net', 'HTTPS', "
        "'NOERROR', 'cdn.example.net', 'HINT', '192.0.2.7', 60, NULL, 1),"
        "(3, 2, 2100, '10.0.0.3', '10.0.0.1', 53, 'tcp', 'unused.example.org', 'AAAA', "
        "'NXDOMAIN', NULL, NULL, NULL, NULL, NULL, 0),"
        "(4, 2, 2200, '10.0.0.3', '10.0.0.1', 53, 'udp', '1.2.0.192.in-addr.arpa', 'PTR', "
        "'NOERROR', '1.2.0.192.in-addr.arpa', 'PTR', 'host.example.com', 60, NULL, 0);"
        "INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, server_port, "
        "first_ns, last_ns, packets_out, bytes_out, packets_in, bytes_in, name, evidence, "
        "confidence, candidates, app_proto, cname_chain, dns_answer_id, ech, ambiguous) VALUES "
        "(1, 'tcp', '10.0.0.2', 40000, '192.0.2.1', 443, 1000, 2000, 3, 300, 4, 4000, "
        "'www.example.com', 'dns+sni', 'high', 'www.example.com|a.example.com', 'tls', "
        "'www.example.com', 1, 0, 0),"
        "(1, 'udp', '10.0.0.2', 40001, '192.0.2.7', 443, 1100, 2100, 3, 300, 4, 4000, "
        "'cdn.example.net', 'dns', 'medium', NULL, 'quic', NULL, 2, 1, 1),"
        "(2, 'tcp', '10.0.0.3', 40002, '198.51.100.9', 853, 2000, 3000, 1, 60, 1, 60, NULL, "
        "'none', 'low', NULL, 'dot', NULL, NULL, 0, 0),"
        "(2, 'tcp', '10.0.0.3', 40003, '192.0.2.1', 80, 2500, 3500, 2, 200, 2, 200, "
        "'host.example.com', 'ptr-capture', 'low', NULL, 'http', NULL, NULL, 0, 0);"
        "INSERT INTO names(capture_id, ip, name, registrable, source, count, first_ns, "
        "last_ns) VALUES (1, '192.0.2.1', 'www.example.com', 'example.com', 'dns', 2, 1000, "
        "2000), (2, '192.0.2.1', 'host.example.com', 'example.com', 'ptr-capture', 1, 2500, "
        "2500);"
        "INSERT INTO findings(capture_id, kind, severity, subject, detail, count, first_ns) "
        "VALUES (1, 'encrypted-dns', 'info', '198.51.100.9', 'DNS over TLS', 1, 2000),"
        "(2, 'limit', 'warning', 'dns', 'records dropped', 5, 2100);"
        "INSERT INTO counters(capture_id, kind, what, n) VALUES (1, 'dns', 'seen', 4),"
        "(2, 'dns', 'records-dropped', 5), (2, 'frame', 'seen', 5);"
        "INSERT INTO ptr_cache(ip, name, status, resolver, looked_up_at) VALUES "
        "('198.51.100.9', 'dot.example.org', 'ok', '10.0.0.1', 100);"
        "INSERT INTO geo_cache(ip, db_key, country, city, asn, as_org) VALUES "
        "('192.0.2.1', 'k', 'NL', 'Amsterdam', 64500, 'Example AS');";

static const char *const tables[] = { "captures", "interfaces", "dns_answers", "flows",    "names",
	                              "findings", "counters",   "ptr_cache",   "geo_cache" };
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static unsigned char *seed;
static sqlite3_int64 seed_len;
static char dir[64], db_path[128], seed_path[128], out_path[128], policy_path[128];
static char out_html[128], out_json[128], out_md[128], out_csv[128], out_txt[128];
static int null_fd = -1, err_fd = -1;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_db: %s\n", what);
	abort();
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sqlite3 *db;
	char *err = NULL;

	(void)argc;
	(void)argv;
	/* tmpfs when there is one: every input is written and synced several times */
	snprintf(dir, sizeof(dir), "%s/pd-fuzz-db-%ld",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		die("mkdir");
	snprintf(db_path, sizeof(db_path), "%s/in.db", dir);
	snprintf(seed_path, sizeof(seed_path), "%s/seed.db", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.db", dir);
	snprintf(policy_path, sizeof(policy_path), "%s/policy.txt", dir);
	snprintf(out_html, sizeof(out_html), "%s/r.html", dir);
	snprintf(out_json, sizeof(out_json), "%s/r.json", dir);
	snprintf(out_md, sizeof(out_md), "%s/r.md", dir);
	snprintf(out_csv, sizeof(out_csv), "%s/r.csv", dir);
	snprintf(out_txt, sizeof(out_txt), "%s/r.txt", dir);
	write_file(policy_path, "example.com\n192.0.2.0/24\n", 25);
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, pd_schema_sql, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(db, seed_rows, NULL, NULL, &err) != SQLITE_OK)
		die(err ? err : "seed database");
	{
		char v[64];

		snprintf(v, sizeof(v), "PRAGMA user_version = %d", PD_SCHEMA_VERSION);
		if (sqlite3_exec(db, v, NULL, NULL, &err) != SQLITE_OK)
			die(err);
	}
	seed = sqlite3_serialize(db, "main", &seed_len, 0);
	if (!seed)
		die("serialize");
	write_file(seed_path, seed, (size_t)seed_len);
	sqlite3_close(db);
	null_fd = open("/dev/null", O_WRONLY);
	err_fd = dup(2);
	if (null_fd < 0 || err_fd < 0)
		die("/dev/null");
	__sanitizer_set_report_fd((void *)(intptr_t)err_fd);
	return 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* One value of a kind picked by t, from 8 bytes of payload, bound to parameter 1. */
static void bind_value(sqlite3_stmt *st, uint8_t t, const uint8_t *p)
{
	static const int64_t extremes[] = {
		INT64_MAX, INT64_MIN,  -1,        0,         65535,
		65536,     4294967296, INT32_MAX, INT32_MIN, INT64_MAX / 2 + 1
	};
	static char longtext[70000];
	uint64_t v = get64(p);

	switch (t % 9) {
	case 0:
		sqlite3_bind_null(st, 1);
		break;
	case 1:
		sqlite3_bind_int64(st, 1, (int64_t)v);
		break;
	case 2:
		sqlite3_bind_int64(st, 1, extremes[v % (sizeof(extremes) / sizeof(extremes[0]))]);
		break;
	case 3: {
		double d;

		memcpy(&d, &v, sizeof(d)); /* NaN and infinities included */
		sqlite3_bind_double(st, 1, d);
		break;
	}
	case 4:
		sqlite3_bind_text(st, 1, (const char *)p, 8, SQLITE_TRANSIENT);
		break;
	case 5:
		sqlite3_bind_blob(st, 1, p, 8, SQLITE_TRANSIENT);
		break;
	case 6:
		sqlite3_bind_text(st, 1, "\xff\xfe\xc3(\xe2\x82\x1b[31m", -1, SQLITE_STATIC);
		break;
	case 7:
		memset(longtext, 'a' + (int)(v % 26), sizeof(longtext) - 1);
		sqlite3_bind_text(st, 1, longtext, (int)(v % (sizeof(longtext) - 1)),
		                  SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_text(st, 1, "", 0, SQLITE_STATIC);
		break;
	}
}

/* The column name of table t number c (modulo the column count). */
static int column_name(sqlite3 *db, const char *t, unsigned c, char *out, size_t len)
{
	char sql[128];
	sqlite3_stmt *st;
	int n = 0, found = 0;

	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", t);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		n++;
	sqlite3_reset(st);
	while (n && sqlite3_step(st) == SQLITE_ROW)
		if (c % (unsigned)n == (unsigned)found++) {
			snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
			break;
		}
	sqlite3_finalize(st);
	return n > 0;
}

static void run(int (*fn)(int, char **), int argc, const char **argv)
{
	char *args[32];
	int i;

	for (i = 0; i < argc && i < 32; i++)
		args[i] = (char *)(uintptr_t)argv[i]; /* getopt's prototype; nothing writes them */
	fflush(stderr);
	dup2(null_fd, 2);
	(void)fn(argc, args);
	fflush(stderr);
	fflush(stdout);
	dup2(err_fd, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *img;
	sqlite3_int64 len;
	sqlite3_stmt *st;
	sqlite3 *db;
	char sql[256], col[64];
	size_t i = 0, n_ops = 0;

	if (size > 4096)
		return 0;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		die("open");
	img = sqlite3_malloc64((sqlite3_uint64)seed_len);
	if (!img)
		die("malloc");
	memcpy(img, seed, (size_t)seed_len);
	if (sqlite3_deserialize(db, "main", img, seed_len, seed_len,
	                        SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK)
		die("deserialize");
	(void)sqlite3_exec(db, "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON",
	                   NULL, NULL, NULL);
	/* SQL operations first (the raw page patches apply to the file afterwards) */
	while (i < size && n_ops < 64) {
		uint8_t op = data[i] % 4;
		const char *t;

		if (op == 3) { /* page patches: later */
			break;
		}
		if (i + 3 > size)
			break;
		t = tables[data[i + 1] % N_TABLES];
		if (op == 0) {
			if (i + 13 > size)
				break;
			if (column_name(db, t, data[i + 2], col, sizeof(col))) {
				snprintf(sql, sizeof(sql),
				         "UPDATE OR IGNORE %s SET \"%s\" = ?1 WHERE rowid IN "
				         "(SELECT "
				         "rowid FROM %s LIMIT 1 OFFSET %u)",
				         t, col, t, data[i + 3] % 8);
				if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
					bind_value(st, data[i + 4], data + i + 5);
					(void)sqlite3_step(st);
					sqlite3_finalize(st);
				}
			}
			i += 13;
		} else {
			if (op == 1)
				snprintf(sql, sizeof(sql),
				         "DELETE FROM %s WHERE rowid IN (SELECT rowid FROM %s "
				         "LIMIT 1 "
				         "OFFSET %u)",
				         t, t, data[i + 2] % 8);
			else
				snprintf(sql, sizeof(sql),
				         "INSERT OR IGNORE INTO %s SELECT * FROM %s LIMIT 1 OFFSET "
				         "%u",
				         t, t, data[i + 2] % 8);
			(void)sqlite3_exec(db, sql, NULL, NULL, NULL);
			i += 3;
		}
		n_ops++;
	}
	img = sqlite3_serialize(db, "main", &len, 0);
	sqlite3_close(db);
	if (!img)
		return 0;
	/* raw page patches */
	while (i + 5 <= size && data[i] % 4 == 3) {
		size_t off = (size_t)data[i + 1] * 4096 + ((size_t)data[i + 2] << 8 | data[i + 3]);
		size_t n = data[i + 4];

		i += 5;
		if (n > size - i)
			n = size - i;
		if (off < (size_t)len) {
			size_t k = n < (size_t)len - off ? n : (size_t)len - off;

			memcpy(img + off, data + i, k);
		}
		i += n;
	}
	{ /* no WAL or journal of the previous input may apply to this one */
		static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
		char p[160];
		size_t k;

		for (k = 0; k < sizeof(sfx) / sizeof(*sfx); k++) {
			snprintf(p, sizeof(p), "%s%s", db_path, sfx[k]);
			unlink(p);
			snprintf(p, sizeof(p), "%s%s", out_path, sfx[k]);
			unlink(p);
		}
	}
	write_file(db_path, img, (size_t)len);
	sqlite3_free(img);

	{
		const char *report[] = { "report",  "--db",    db_path,     "--no-resolve",
			                 "--quiet", "--allow", policy_path, "--top",
			                 "0",       "-o",      out_html,    "-o",
			                 out_json,  "-o",      out_md,      "-o",
			                 out_csv,   "-o",      out_txt };
		const char *check[] = { "check", "--allow", policy_path, "--quiet", db_path };
		const char *diff[] = { "diff", "--quiet", seed_path, db_path, "-o", "/dev/null" };
		const char *merge[] = { "merge", "--quiet", "--db", out_path, db_path };

		run(pd_cmd_report, sizeof(report) / sizeof(*report), report);
		run(pd_cmd_check, sizeof(check) / sizeof(*check), check);
		run(pd_cmd_diff, sizeof(diff) / sizeof(*diff), diff);
		run(pd_cmd_merge, sizeof(merge) / sizeof(*merge), merge);
	}
	return 0;
}
