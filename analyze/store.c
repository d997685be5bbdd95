/*
 * store.c - the SQLite database: open/create, schema version and migrations, pragmas.
 *
 * Schema: analyze/schema.sql (compiled in as pd_schema_sql). PRAGMA user_version holds the
 * schema version; a database at version 0 with no tables is new and gets the schema; an older
 * version is migrated step by step (migrations[] below, each in its own transaction); a newer
 * version is refused, because an older tool would misread it.
 *
 * Sharing (issue 18): a database file is opened in WAL journal mode (set by the first writer,
 * persistent), so readers (report --db, check, diff, allowlist, sqlite3) never wait for an
 * ingest and an ingest never waits for them; a file system that cannot do WAL is an error
 * that says so. Writers queue: the busy handler waits as long as it takes (interruptible by
 * SIGINT/SIGTERM) and prints a line when the wait passes a second, then every 30 s. Schema
 * creation and migration re-read the version inside their BEGIN IMMEDIATE, so concurrent
 * first ingests into a new file agree. Read-only commands use a read-write handle when the
 * file is writable (a hot journal or WAL left by a crash is recovered; they write nothing but
 * temporary tables), an immutable one on read-only media, and otherwise explain a hot journal.
 * Only regular files are databases (`--db /dev/null` is refused, not given a -journal).
 * synchronous=NORMAL, foreign keys on.
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "store.h"

#define PD_STORE_BUSY_NOTE_MS   1000     /* a waiting writer says so after this long */
#define PD_STORE_BUSY_EVERY_MS  30000    /* and again this often */
#define PD_STORE_WAL_LIMIT      67108864 /* bytes: -wal truncated to this after checkpoints */
#define PD_STORE_TEMP_CACHE_KIB 16384    /* page cache of the temporary database */
#define PD_STR_(x)              #x
#define PD_STR(x)               PD_STR_(x)

struct pd_store {
	sqlite3 *db;
	char path[4096];
	bool readonly;
	bool quiet_busy;   /* a staging database: nobody else opens it */
	int64_t busy_next; /* busy handler: when to print the next waiting line (ms of waiting) */
};

/*
 * Migrations: migrations[i] takes a database from version i+1 to i+2 (one step per schema
 * version, each in its own transaction); a schema change appends its ALTER/CREATE statements
 * here and bumps PD_SCHEMA_VERSION (and schema.sql, which new databases get).
 */
static const char *const migrations[] = {
	/* 1 -> 2 */
	/* subject (issue 14): per-capture local addresses, flow direction. Flows of version-1
	 * databases had no local addresses: transit. */
	"CREATE TABLE IF NOT EXISTS capture_locals ("
	" capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
	" ip TEXT NOT NULL, prefix INTEGER NOT NULL, link_prefix INTEGER,"
	" source TEXT NOT NULL, iface TEXT, PRIMARY KEY (capture_id, ip, prefix));"
	"ALTER TABLE flows ADD COLUMN direction TEXT NOT NULL DEFAULT 'transit';"
	/* decap (issue 15): flows.tunnel (decapsulation, tunnel.c); same step, one string */
	"ALTER TABLE flows ADD COLUMN tunnel TEXT;"
	/* capture sessions (session.c) */
	"ALTER TABLE captures ADD COLUMN session_id TEXT;"
	"ALTER TABLE captures ADD COLUMN session_seq INTEGER;"
	"ALTER TABLE captures ADD COLUMN session_prev TEXT;"
	"ALTER TABLE flows ADD COLUMN continued INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE IF NOT EXISTS flow_carry (capture_id INTEGER NOT NULL REFERENCES captures(id)"
	" ON DELETE CASCADE, proto TEXT NOT NULL, client_ip TEXT NOT NULL, client_port INTEGER"
	" NOT NULL, server_ip TEXT NOT NULL, server_port INTEGER NOT NULL, last_ns INTEGER NOT "
	"NULL,"
	" tcp INTEGER NOT NULL, syn_seq_c INTEGER NOT NULL, syn_seq_s INTEGER NOT NULL, state"
	" INTEGER NOT NULL, app INTEGER NOT NULL, mode INTEGER NOT NULL, sni TEXT, alpn TEXT,"
	" http_host TEXT, http_connect TEXT, quic_version INTEGER, ech INTEGER NOT NULL DEFAULT 0,"
	" cs_seq INTEGER, cs BLOB, sc_seq INTEGER, sc BLOB, PRIMARY KEY (capture_id, proto,"
	" client_ip, client_port, server_ip, server_port));"
	/* proxy (issue 15): a flow through an HTTP or SOCKS proxy is stored under its real
	 * destination, the proxy as via */
	"ALTER TABLE flows ADD COLUMN proxy TEXT;"
	"ALTER TABLE flows ADD COLUMN proxy_target TEXT;"
	"ALTER TABLE flows ADD COLUMN via_ip TEXT;"
	"ALTER TABLE flows ADD COLUMN via_port INTEGER;"
	/* proxy: Hosts of later requests on a keep-alive connection */
	"ALTER TABLE flows ADD COLUMN http_hosts TEXT;",
	NULL
};
#define PD_N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]) - 1)

_Static_assert(PD_N_MIGRATIONS + 1 == PD_SCHEMA_VERSION, "one migration per schema version");

sqlite3 *pd_store_db(struct pd_store *s)
{
	return s ? s->db : NULL;
}

static const char *store_name(const struct pd_store *s)
{
	static char tmpname[200];

	if (s->path[0])
		return s->path;
	/* the private temporary database of `report CAPTURE` lives in $TMPDIR, not in memory */
	snprintf(tmpname, sizeof(tmpname), "the temporary database in %.150s",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp (TMPDIR)");
	return tmpname;
}

/* Formats an SQLite failure naming the database and what was being done. */
static enum pd_err db_error(struct pd_store *s, int rc, const char *what,
                            char errbuf[PD_ERRBUF_SIZE])
{
	int base = rc & 0xff;

	if (base == SQLITE_INTERRUPT || (pd_interrupted() && base == SQLITE_BUSY))
		return pd_errf(errbuf, PD_ERR_INTERRUPTED, "%s: interrupted while %s",
		               store_name(s), what);
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return pd_errf(errbuf, PD_ERR_DB,
		               "%s: database is locked by another process while %s", store_name(s),
		               what);
	if (rc == SQLITE_READONLY_ROLLBACK || rc == SQLITE_READONLY_RECOVERY)
		return pd_errf(
		        errbuf, PD_ERR_DB,
		        "%s: a writer crashed and left a hot %s that a read-only open cannot "
		        "recover; open it once with write permission (any pcapdomains "
		        "command run by a user who can write the file and its directory)",
		        store_name(s), rc == SQLITE_READONLY_ROLLBACK ? "journal" : "WAL");
	if (base == SQLITE_READONLY)
		return pd_errf(errbuf, PD_ERR_DB, "%s: database is read-only (%s) while %s",
		               store_name(s), s->db ? sqlite3_errmsg(s->db) : "no write permission",
		               what);
	if (base == SQLITE_FULL)
		return pd_errf(errbuf, PD_ERR_DB, "%s: disk full while %s", store_name(s), what);
	if (base == SQLITE_CANTOPEN && !s->path[0])
		return pd_errf(errbuf, PD_ERR_DB, "%s: cannot create a file there while %s",
		               store_name(s), what);
	if (base == SQLITE_NOTADB)
		return pd_errf(errbuf, PD_ERR_DB, "%s: not an SQLite database", store_name(s));
	if (base == SQLITE_CORRUPT)
		return pd_errf(errbuf, PD_ERR_DB, "%s: database file is corrupt (%s) while %s",
		               store_name(s), s->db ? sqlite3_errmsg(s->db) : "", what);
	return pd_errf(errbuf, PD_ERR_DB, "%s: %s while %s", store_name(s),
	               s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), what);
}

enum pd_err pd_store_exec(struct pd_store *s, const char *sql, const char *what,
                          char errbuf[PD_ERRBUF_SIZE])
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(s, rc, what, errbuf);
	return PD_OK;
}

static enum pd_err query_int(struct pd_store *s, const char *sql, int64_t *out,
                             char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "reading the schema version", errbuf);
	return PD_OK;
}

/* Checks before SQLite tries, so the message says what is wrong with which path. */
static enum pd_err check_path(const char *path, bool readonly, char errbuf[PD_ERRBUF_SIZE])
{
	struct stat sb;
	char dir[4096];

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return pd_errf(errbuf, PD_ERR_IO, "%s: is a directory, not a database file",
			               path);
		/* SQLite would write PATH-journal beside a device (/dev/null-journal as root) */
		if (!S_ISREG(sb.st_mode))
			return pd_errf(
			        errbuf, PD_ERR_IO,
			        "%s: not a regular file; a database is a file (without --db, "
			        "report keeps nothing)",
			        path);
		if (access(path, readonly ? R_OK : R_OK | W_OK) != 0)
			return pd_errf(
			        errbuf, PD_ERR_IO, "%s: %s", path,
			        errno == EACCES || errno == EROFS
			                ? (readonly ? "not readable" : "not writable (read-only)")
			                : strerror(errno));
		return PD_OK;
	}
	if (errno != ENOENT)
		return pd_errf(errbuf, PD_ERR_IO, "%s: %s", path, strerror(errno));
	if (readonly)
		return pd_errf(errbuf, PD_ERR_IO, "%s: no such database", path);
	snprintf(dir, sizeof(dir), "%s", path);
	{
		const char *d = dirname(dir);

		if (stat(d, &sb) != 0)
			return pd_errf(errbuf, PD_ERR_IO,
			               "%s: cannot create database: directory %s: %s", path, d,
			               strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return pd_errf(errbuf, PD_ERR_IO,
			               "%s: cannot create database: %s is not a directory", path,
			               d);
		if (access(d, W_OK) != 0)
			return pd_errf(errbuf, PD_ERR_IO,
			               "%s: cannot create database: directory %s is not writable",
			               path, d);
	}
	return PD_OK;
}

/*
 * Indexes added to schema.sql within a schema version (speed only, no change to what is
 * stored): a database made before them gets every `CREATE INDEX IF NOT EXISTS` of schema.sql
 * when opened for writing. One that exists costs a read of the schema; a failure (read-only
 * file, locked database) only leaves the database as fast as it was.
 */
static void add_missing_indexes(struct pd_store *s)
{
	static const char create[] = "CREATE INDEX IF NOT EXISTS";
	const char *p = pd_schema_sql, *tail, *q;
	sqlite3_stmt *st;

	while (*p) {
		if (sqlite3_prepare_v2(s->db, p, -1, &st, &tail) != SQLITE_OK)
			break;
		if (!st)
			break; /* only comments left */
		q = sqlite3_sql(st);
		for (;;) { /* the statement's text starts after the previous ';' */
			while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
				q++;
			if (q[0] != '-' || q[1] != '-')
				break;
			while (*q && *q != '\n')
				q++;
		}
		if (strncmp(q, create, sizeof(create) - 1) == 0)
			while (sqlite3_step(st) == SQLITE_ROW)
				;
		sqlite3_finalize(st);
		p = tail;
	}
}

/* Creates or migrates the schema; refuses a newer one. */
static enum pd_err apply_schema(struct pd_store *s, char errbuf[PD_ERRBUF_SIZE])
{
	int64_t version = 0, tables = 0;
	enum pd_err e;
	char sql[64];

	if ((e = query_int(s, "PRAGMA user_version", &version, errbuf)) != PD_OK)
		return e;
	if (version > PD_SCHEMA_VERSION)
		return pd_errf(errbuf, PD_ERR_DB,
		               "%s: database schema version %lld is newer than this pcapdomains "
		               "understands (%d): use a newer pcapdomains",
		               store_name(s), (long long)version, PD_SCHEMA_VERSION);
	if (version == PD_SCHEMA_VERSION) {
		if (!s->readonly)
			add_missing_indexes(s);
		return PD_OK;
	}
	if (s->readonly)
		return pd_errf(errbuf, PD_ERR_DB,
		               "%s: database schema version %lld needs migrating to %d, which a "
		               "read-only open cannot do",
		               store_name(s), (long long)version, PD_SCHEMA_VERSION);
	if ((e = pd_store_exec(s, "BEGIN IMMEDIATE", "starting the schema transaction", errbuf)) !=
	    PD_OK)
		return e;
	/* Another process may have created or migrated the schema while we waited for the
	 * write lock: the version read inside the transaction decides. */
	e = query_int(s, "PRAGMA user_version", &version, errbuf);
	if (e == PD_OK && version == PD_SCHEMA_VERSION) {
		e = pd_store_exec(s, "COMMIT", "committing the schema", errbuf);
		if (e != PD_OK)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return e;
	}
	if (e == PD_OK && version > PD_SCHEMA_VERSION) {
		e = pd_errf(errbuf, PD_ERR_DB,
		            "%s: database schema version %lld is newer than this pcapdomains "
		            "understands (%d): use a newer pcapdomains",
		            store_name(s), (long long)version, PD_SCHEMA_VERSION);
	} else if (e == PD_OK && version == 0) {
		e = query_int(s,
		              "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT "
		              "LIKE 'sqlite_%'",
		              &tables, errbuf);
		if (e == PD_OK && tables > 0)
			e = pd_errf(errbuf, PD_ERR_DB,
			            "%s: an SQLite database with tables but no pcapdomains schema "
			            "version: not a pcapdomains database",
			            store_name(s));
		if (e == PD_OK)
			e = pd_store_exec(s, pd_schema_sql, "creating the schema", errbuf);
	} else if (e == PD_OK) {
		for (; e == PD_OK && version < PD_SCHEMA_VERSION; version++)
			e = pd_store_exec(s, migrations[version - 1], "migrating the schema",
			                  errbuf);
	}
	if (e == PD_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", PD_SCHEMA_VERSION);
		e = pd_store_exec(s, sql, "setting the schema version", errbuf);
	}
	if (e == PD_OK)
		e = pd_store_exec(s, "COMMIT", "committing the schema", errbuf);
	if (e != PD_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return e;
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

/*
 * Before SQLite's first use: no memory-use statistics. With them on, every sqlite3_malloc and
 * sqlite3_free takes a global mutex (about 2.5% of a `report` run under callgrind); nothing here
 * reads them. Fails harmlessly (SQLITE_MISUSE) if SQLite was initialized already.
 */
static void sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Another connection holds the lock we need: wait (1, 2, 5, 10, then 50 ms steps) for as long
 * as it takes, printing a line after PD_STORE_BUSY_NOTE_MS and every PD_STORE_BUSY_EVERY_MS;
 * give up only when asked to stop (SIGINT/SIGTERM).
 */
static int busy_wait(void *arg, int n)
{
	static const int steps[] = { 1, 2, 5, 10, 20, 50 };
	struct pd_store *s = arg;
	static __thread int64_t since;
	int64_t waited;

	if (pd_interrupted())
		return 0;
	if (n == 0) {
		since = mono_ms();
		s->busy_next = PD_STORE_BUSY_NOTE_MS;
	}
	waited = mono_ms() - since;
	if (!s->quiet_busy && waited >= s->busy_next) {
		fprintf(stderr,
		        "pcapdomains: %s: another process is writing; waiting for it (%lld s)\n",
		        store_name(s), (long long)(waited / 1000));
		s->busy_next = waited + PD_STORE_BUSY_EVERY_MS;
	}
	usleep(1000 * (useconds_t)steps[n < 6 ? n : 5]);
	return 1;
}

/* "file:PATH?immutable=1" with PATH percent-encoded where URIs need it. */
static void immutable_uri(const char *path, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	o += (size_t)snprintf(out, len, "file:");
	for (; *path && o + 4 < len; path++) {
		unsigned char ch = (unsigned char)*path;

		if (ch == '%' || ch == '?' || ch == '#' || ch < 0x20 || ch >= 0x7f) {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = 0;
	snprintf(out + o, len - o, "?immutable=1");
}

/* Read-only media: SQLite can neither create -shm nor recover a journal there, and nothing
 * can change the file, so it is opened immutable. */
static bool on_readonly_media(const char *path)
{
	struct statvfs vs;

	return statvfs(path, &vs) == 0 && (vs.f_flag & ST_RDONLY);
}

static bool dir_writable(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	return access(dirname(dir), W_OK) == 0;
}

enum pd_err pd_store_open_flags(const char *path, unsigned flags_in, struct pd_store **out,
                                char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_store *s;
	/* No path: a private temporary database (SQLite's "" file name), not ":memory:". Its page
	 * cache is bounded (PD_STORE_TEMP_CACHE_KIB) and it spills to an unlinked temporary file
	 * beyond that, so `report CAPTURE` stays within its memory bound however many flows the
	 * capture holds; small captures never touch the disk. */
	bool readonly = flags_in & PD_STORE_READONLY;
	bool temp = !path;
	bool mem = !temp && !strcmp(path, ":memory:");
	bool file = !mem && !temp, immutable = false;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char uri[4200];
	enum pd_err e;
	int rc;

	*out = NULL;
	pthread_once(&sqlite_once, sqlite_setup);
	if (file && (e = check_path(path, readonly, errbuf)) != PD_OK)
		return e;
	s = calloc(1, sizeof(*s));
	if (!s)
		return pd_errf(errbuf, PD_ERR_NOMEM, "out of memory opening the database");
	if (file)
		snprintf(s->path, sizeof(s->path), "%s", path);
	s->readonly = readonly && file;
	s->quiet_busy = flags_in & PD_STORE_PRIVATE;
	/* A read-only command opens a file it may write read-write (and query_only), so that a
	 * hot journal or WAL left by a crashed writer is recovered instead of failing with
	 * "database is read-only"; on read-only media it opens the file immutable. */
	if (s->readonly) {
		char wal[4200];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		/* read-only media, or a directory we cannot write (no -shm can be made) with no
		 * WAL in it: nothing of ours can change the file meanwhile */
		if (on_readonly_media(path) || (!dir_writable(path) && access(wal, F_OK) != 0)) {
			immutable = true;
			flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
			immutable_uri(path, uri, sizeof(uri));
		} else if (access(path, W_OK) != 0 || !dir_writable(path)) {
			flags = SQLITE_OPEN_READONLY; /* SQLite reads a WAL file without -shm then
			                               */
		} else {
			flags = SQLITE_OPEN_READWRITE;
		}
	}
	/* The name alone (":memory:", or "" for a temporary database) decides; SQLITE_OPEN_MEMORY
	 * would also make every ATTACHed file in-memory, and the staged -j ingest attaches its
	 * staging files. */
	rc = sqlite3_open_v2(mem         ? ":memory:"
	                     : temp      ? ""
	                     : immutable ? uri
	                                 : path,
	                     &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		e = db_error(s, rc, "opening", errbuf);
		pd_store_close(s);
		return e;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_handler(s->db, busy_wait, s);
	pd_interrupt_sqlite(s->db);
	e = pd_store_exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", errbuf);
	if (e == PD_OK && file && !readonly && !(flags_in & PD_STORE_PRIVATE)) {
		/* WAL: persistent in the file once set; readers and the writer stop blocking
		 * each other. journal_mode answers the mode it ended up in. */
		sqlite3_stmt *st = NULL;
		const char *mode = NULL;

		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(st, 0);
		if (rc != SQLITE_ROW)
			e = db_error(s, rc, "switching to WAL journal mode", errbuf);
		else if (!mode || strcmp(mode, "wal"))
			e = pd_errf(errbuf, PD_ERR_DB,
			            "%s: the file system cannot hold a WAL database (journal mode "
			            "stays '%s'); several processes share a database only in WAL "
			            "mode: put it on a local file system",
			            store_name(s), mode ? mode : "?");
		sqlite3_finalize(st);
		if (e == PD_OK)
			e = pd_store_exec(s,
			                  "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit "
			                  "= " PD_STR(PD_STORE_WAL_LIMIT),
			                  "setting synchronous", errbuf);
	}
	/* A temporary database is deleted on close: nothing to recover after a crash, so its
	 * journal stays in memory (it holds only pages that existed before a transaction). */
	if (e == PD_OK && temp)
		e = pd_store_exec(s,
		                  "PRAGMA journal_mode = MEMORY; PRAGMA cache_size = -" PD_STR(
		                          PD_STORE_TEMP_CACHE_KIB),
		                  "setting up the temporary database", errbuf);
	/* Sorts and temporary tables (GROUP BY, DISTINCT, the report's capture selection) spill
	 * to temporary files past a bounded cache: with temp_store = MEMORY they stayed whole in
	 * memory (report of 1,976,824 flows: 191 MB for one GROUP BY, 8.7 MB with files, same
	 * time). */
	if (e == PD_OK)
		e = pd_store_exec(s, "PRAGMA temp_store = FILE", "setting temp_store", errbuf);
	if (e == PD_OK)
		e = apply_schema(s, errbuf);
	if (e != PD_OK) {
		pd_store_close(s);
		return e;
	}
	*out = s;
	return PD_OK;
}

enum pd_err pd_store_open(const char *path, bool readonly, struct pd_store **out,
                          char errbuf[PD_ERRBUF_SIZE])
{
	return pd_store_open_flags(path, readonly ? PD_STORE_READONLY : 0, out, errbuf);
}

void pd_store_close(struct pd_store *s)
{
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	free(s);
}

/* "a", "b", ... the columns of main.table except id, capture_id and dns_answer_id. */
static enum pd_err copy_columns(sqlite3 *db, const char *table, char *out, size_t len,
                                char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3_stmt *st = NULL;
	char sql[128];
	size_t used = 0;
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA main.table_info(%s)", table);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	out[0] = 0;
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 1);

		if (!c || !strcmp(c, "id") || !strcmp(c, "capture_id") ||
		    !strcmp(c, "dns_answer_id"))
			continue;
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s\"%s\"",
		                         used ? ", " : "", c);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || used >= len || !used)
		return pd_errf(errbuf, PD_ERR_DB, "reading the columns of %s: %s", table,
		               sqlite3_errmsg(db));
	return PD_OK;
}

enum pd_err pd_sql_exec(sqlite3 *db, const char *sql, const char *what, char errbuf[PD_ERRBUF_SIZE])
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return PD_OK;
	pd_errf(errbuf, PD_ERR_DB, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return PD_ERR_DB;
}

enum pd_err pd_store_copy_capture(sqlite3 *db, const char *schema, int64_t id, int64_t *new_id,
                                  char errbuf[PD_ERRBUF_SIZE])
{
	/* Parents before children; dns_answers before the flows that point at them. */
	static const char *const tables[] = { "interfaces",     "dns_answers", "flows",
		                              "names",          "findings",    "counters",
		                              "capture_locals", "flow_carry" };
	char cols[4096], sql[9000], what[64];
	sqlite3_stmt *st = NULL;
	int64_t offset = 0;
	enum pd_err e;
	size_t i;

	if ((e = copy_columns(db, "captures", cols, sizeof(cols), errbuf)) != PD_OK)
		return e;
	snprintf(sql, sizeof(sql),
	         "INSERT INTO main.captures (%s) SELECT %s FROM %s.captures WHERE id = %" PRId64,
	         cols, cols, schema, id);
	if ((e = pd_sql_exec(db, sql, "copying a capture", errbuf)) != PD_OK)
		return e;
	*new_id = sqlite3_last_insert_rowid(db);
	/* dns_answers keep their relative ids: new = old + offset, above every id in main. */
	snprintf(sql, sizeof(sql),
	         "SELECT coalesce((SELECT max(id) FROM main.dns_answers), 0) + 1 - "
	         "coalesce((SELECT min(id) FROM %s.dns_answers WHERE capture_id = %" PRId64 "), 0)",
	         schema, id);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		offset = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const char *t = tables[i];

		if ((e = copy_columns(db, t, cols, sizeof(cols), errbuf)) != PD_OK)
			return e;
		if (!strcmp(t, "dns_answers"))
			snprintf(sql, sizeof(sql),
			         "INSERT INTO main.dns_answers (id, capture_id, %s) SELECT id + "
			         "%" PRId64 ", %" PRId64 ", %s FROM %s.dns_answers WHERE "
			         "capture_id = %" PRId64 " ORDER BY id",
			         cols, offset, *new_id, cols, schema, id);
		else if (!strcmp(t, "flows"))
			snprintf(sql, sizeof(sql),
			         "INSERT INTO main.flows (capture_id, dns_answer_id, %s) SELECT "
			         "%" PRId64 ", dns_answer_id + %" PRId64 ", %s FROM %s.flows "
			         "WHERE capture_id = %" PRId64 " ORDER BY id",
			         cols, *new_id, offset, cols, schema, id);
		else
			snprintf(sql, sizeof(sql),
			         "INSERT INTO main.%s (capture_id, %s) SELECT %" PRId64 ", %s "
			         "FROM %s.%s WHERE capture_id = %" PRId64 " ORDER BY rowid",
			         t, cols, *new_id, cols, schema, t, id);
		snprintf(what, sizeof(what), "copying %s", t);
		if ((e = pd_sql_exec(db, sql, what, errbuf)) != PD_OK)
			return e;
	}
	return PD_OK;
}
