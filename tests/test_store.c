/*
 * test_store.c - opening the database: creation with the schema and user_version, reopening,
 * foreign keys, a newer schema refused, not-a-database and foreign databases refused, paths
 * that cannot be created, and a database locked by another connection.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ingest-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

START_TEST(valid)
{
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s;

	snprintf(path, sizeof(path), "%s/a.db", dir);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_OK);
	ck_assert_int_eq(scalar(pd_store_db(s), "PRAGMA user_version"), PD_SCHEMA_VERSION);
	ck_assert_int_eq(scalar(pd_store_db(s), "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(scalar(pd_store_db(s), "SELECT count(*) FROM sqlite_master WHERE "
	                                        "name IN ('captures','flows','dns_answers','names',"
	                                        "'findings','counters','ptr_cache','geo_cache',"
	                                        "'interfaces','meta')"),
	                 10);
	ck_assert_int_eq(pd_store_exec(s,
	                               "INSERT INTO captures(path,size,sha256,format,link_types,"
	                               "packets,bytes,ingested_at,tool_version) VALUES "
	                               "('x',1,'ab','pcap','ether',0,0,0,'t')",
	                               "inserting", err),
	                 PD_OK);
	/* foreign keys are enforced */
	ck_assert_int_eq(pd_store_exec(s,
	                               "INSERT INTO counters(capture_id,kind,what,n) VALUES "
	                               "(99,'a','b',1)",
	                               "inserting a counter", err),
	                 PD_ERR_DB);
	ck_assert_ptr_nonnull(strstr(err, "inserting a counter"));
	pd_store_close(s);

	/* reopening keeps the data; read-only open works */
	ck_assert_int_eq(pd_store_open(path, true, &s, err), PD_OK);
	ck_assert_int_eq(scalar(pd_store_db(s), "SELECT count(*) FROM captures"), 1);
	pd_store_close(s);

	/* schema.sql alone (sqlite3 db < schema.sql) makes a database of the current version */
	{
		sqlite3 *raw;
		ck_assert_int_eq(sqlite3_open(":memory:", &raw), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(raw, pd_schema_sql, NULL, NULL, NULL), SQLITE_OK);
		ck_assert_int_eq(scalar(raw, "PRAGMA user_version"), PD_SCHEMA_VERSION);
		sqlite3_close(raw);
	}

	/* in-memory */
	ck_assert_int_eq(pd_store_open(NULL, false, &s, err), PD_OK);
	ck_assert_int_eq(scalar(pd_store_db(s), "PRAGMA user_version"), PD_SCHEMA_VERSION);
	pd_store_close(s);
	pd_store_close(NULL);
}
END_TEST

START_TEST(newer_schema)
{
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/new.db", dir);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_OK);
	pd_store_close(s);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_ERR_DB);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "newer"));
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

START_TEST(truncated)
{
	/* a database file cut to half a page: not a database (bytes made here) */
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cut.db", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs("SQLite format 3", f); /* the magic without its NUL and header */
	fclose(f);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_ERR_DB);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

START_TEST(hostile)
{
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s;
	sqlite3 *db;
	FILE *f;

	/* not a database at all (text written here) */
	snprintf(path, sizeof(path), "%s/text.db", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database, just text\n", f);
	fclose(f);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_ERR_DB);
	ck_assert_ptr_nonnull(strstr(err, "not an SQLite database"));

	/* an SQLite database of another program: refused, left alone */
	snprintf(path, sizeof(path), "%s/other.db", dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_ERR_DB);
	ck_assert_ptr_nonnull(strstr(err, "not a pcapdomains database"));

	/* a directory that does not exist, a directory as the database */
	snprintf(path, sizeof(path), "%s/nodir/x.db", dir);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "cannot create database"));
	ck_assert_int_eq(pd_store_open(dir, false, &s, err), PD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	/* read-only open of a missing file */
	snprintf(path, sizeof(path), "%s/missing.db", dir);
	ck_assert_int_eq(pd_store_open(path, true, &s, err), PD_ERR_IO);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

static void *release_later(void *arg)
{
	sqlite3 *other = arg;

	usleep(1500000);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	return NULL;
}

/* Shared database (issue 18): WAL, so a reader is not blocked by a writer's transaction, and
 * a second writer waits for the lock (queued) instead of failing. */
START_TEST(locked)
{
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s, *r;
	struct timespec t0, t1;
	sqlite3_stmt *st;
	pthread_t th;
	sqlite3 *other;

	snprintf(path, sizeof(path), "%s/lock.db", dir);
	ck_assert_int_eq(pd_store_open(path, false, &s, err), PD_OK);
	ck_assert_int_eq(
	        scalar(pd_store_db(s), "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other,
	                              "BEGIN IMMEDIATE; INSERT INTO ptr_cache(ip, status, "
	                              "looked_up_at) VALUES ('192.0.2.1', 'ok', 1)",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	/* a reader opens and reads at once, without the uncommitted row */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pd_store_open(path, true, &r, err), PD_OK);
	ck_assert_int_eq(
	        sqlite3_prepare_v2(pd_store_db(r), "SELECT count(*) FROM ptr_cache", -1, &st, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	pd_store_close(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 1);
	/* a writer waits until the holder is done */
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, other), 0);
	ck_assert_msg(pd_store_exec(s, "BEGIN IMMEDIATE; ROLLBACK", "starting", err) == PD_OK, "%s",
	              err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	sqlite3_close(other);
	ck_assert_int_ge(t1.tv_sec - t0.tv_sec, 1);
	pd_store_close(s);
}
END_TEST

/* Four first opens of one new file at once all get the one schema (it was created twice, or
 * refused as "tables but no pcapdomains schema version"). Processes, as four ingests are. */
START_TEST(create_race)
{
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s;
	pid_t pid[4];
	int i, status;

	snprintf(path, sizeof(path), "%s/race.db", dir);
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			_exit(pd_store_open(path, false, &s, err) == PD_OK
			              ? 0
			              : (fprintf(stderr, "%s\n", err), 1));
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "open %d failed", i);
	}
	ck_assert_int_eq(pd_store_open(path, true, &s, err), PD_OK);
	pd_store_close(s);
}
END_TEST

/* Not a regular file: refused before SQLite writes a PATH-journal beside it. */
START_TEST(devnull)
{
	char err[PD_ERRBUF_SIZE];
	struct pd_store *s;

	ck_assert_int_eq(pd_store_open("/dev/null", false, &s, err), PD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_ne(access("/dev/null-journal", F_OK), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store");
	TCase *t = tcase_create("store");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, valid);
	tcase_add_test(t, newer_schema);
	tcase_add_test(t, truncated);
	tcase_add_test(t, hostile);
	tcase_add_test(t, locked);
	tcase_add_test(t, create_race);
	tcase_add_test(t, devnull);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
