/*
 * cmd_merge.c - `pcapdomains merge --db OUT IN.db...`: combine databases made on other
 * machines (SPEC 5: one ingest per capture as jobs of an existing scheduler, then merge).
 *
 * Each input is attached and copied capture by capture, in one transaction per input: a
 * capture whose content hash OUT already holds is skipped (merging is idempotent, like
 * ingest). Row ids change, so the child rows are copied with their capture_id remapped and
 * dns_answers ids shifted by a constant offset (flows.dns_answer_id shifts with them).
 * Column lists are read from the schema (PRAGMA table_info), not written out here, so a new
 * column needs no change in this file. The caches (ptr_cache, geo_cache) are unioned, the
 * rows already in OUT winning.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "interrupt.h"
#include "store.h"

static const char help[] =
        "usage: pcapdomains merge --db OUT IN.db...\n"
        "\n"
        "Copies every capture of each IN database into OUT (created when absent), with its\n"
        "flows, DNS answers, names, findings and counters; captures OUT already holds (same\n"
        "SHA-256) are skipped, so merging twice changes nothing. Reverse-lookup and GeoIP caches\n"
        "are combined. Each input is merged in one transaction: all of it or none.\n"
        "\n"
        "  --db OUT    the database to merge into\n"
        "  --quiet     no per-input summary\n"
        "\n"
        "Example: run one `pcapdomains ingest --db job-N.db capture-N.pcapng` per CI job, then\n"
        "  pcapdomains merge --db fleet.db job-*.db && pcapdomains report --db fleet.db -o "
        "fleet.html\n"
        "Exit codes: 0 ok, 2 error (the inputs merged before the failing one stay merged).\n";

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Copies one capture (old id in src) into main, unless main has its content hash. */
static enum pd_err copy_capture(sqlite3 *db, int64_t old_id, int *copied,
                                char errbuf[PD_ERRBUF_SIZE])
{
	char sql[256];
	int64_t new_id;
	enum pd_err err;

	*copied = 0;
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM main.captures WHERE sha256 = "
	         "(SELECT sha256 FROM src.captures WHERE id = %" PRId64 ")",
	         old_id);
	if (query_int(db, sql) != 0)
		return PD_OK;
	if ((err = pd_store_copy_capture(db, "src", old_id, &new_id, errbuf)))
		return err;
	*copied = 1;
	return PD_OK;
}

static enum pd_err merge_one(sqlite3 *db, const char *path, int *n_copied, int *n_skipped,
                             char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3_stmt *st;
	enum pd_err err = PD_OK;
	int64_t version, *ids = NULL;
	size_t n_ids = 0, cap = 0, i;
	FILE *f;

	*n_copied = *n_skipped = 0;
	/* ATTACH would create a missing file: check first. */
	f = fopen(path, "rb");
	if (!f)
		return pd_errf(errbuf, PD_ERR_IO, "%s: cannot open", path);
	fclose(f);
	if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK)
		return pd_errf(errbuf, PD_ERR_DB, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		pd_errf(errbuf, PD_ERR_DB, "%s: cannot attach: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return PD_ERR_DB;
	}
	sqlite3_finalize(st);
	version = query_int(db, "PRAGMA src.user_version");
	if (version != PD_SCHEMA_VERSION) {
		err = pd_errf(errbuf, PD_ERR_DB,
		              "%s: not a pcapdomains database of schema version %d (it has %" PRId64
		              ")",
		              path, PD_SCHEMA_VERSION, version);
		goto detach;
	}
	if (sqlite3_prepare_v2(db, "SELECT id FROM src.captures ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK) {
		err = pd_errf(errbuf, PD_ERR_DB, "%s: %s", path, sqlite3_errmsg(db));
		goto detach;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n_ids == cap) {
			int64_t *n = realloc(ids, (cap = cap ? cap * 2 : 64) * sizeof(*ids));
			if (!n) {
				sqlite3_finalize(st);
				err = pd_errf(errbuf, PD_ERR_NOMEM, "out of memory");
				goto detach;
			}
			ids = n;
		}
		ids[n_ids++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if ((err = pd_sql_exec(db, "BEGIN IMMEDIATE", path, errbuf)))
		goto detach;
	for (i = 0; i < n_ids && !err; i++) {
		int copied;
		if (pd_interrupted()) {
			err = pd_errf(errbuf, PD_ERR_INTERRUPTED, "interrupted");
			break;
		}
		err = copy_capture(db, ids[i], &copied, errbuf);
		*n_copied += copied;
		*n_skipped += !copied;
	}
	/* The caches have the same columns in the same order (same schema version). */
	if (!err)
		err = pd_sql_exec(
		        db, "INSERT OR IGNORE INTO main.ptr_cache SELECT * FROM src.ptr_cache",
		        "ptr_cache", errbuf);
	if (!err)
		err = pd_sql_exec(
		        db, "INSERT OR IGNORE INTO main.geo_cache SELECT * FROM src.geo_cache",
		        "geo_cache", errbuf);
	if (!err)
		err = pd_sql_exec(db, "COMMIT", path, errbuf);
	if (err) {
		char detail[PD_ERRBUF_SIZE];
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		memcpy(detail, errbuf, PD_ERRBUF_SIZE);
		pd_errf(errbuf, err, "%s: %.300s", path, detail);
	}
detach:
	free(ids);
	sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
	return err;
}

int pd_cmd_merge(int argc, char **argv)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_store *store;
	struct stat out_st, in_st;
	struct pd_opts o;
	int rc, i, total = 0;

	if (pd_opts_parse(argc, argv, help, &o, &rc))
		return rc;
	if (!o.db || o.n_args < 1) {
		pd_cmd_error("merge: needs --db OUT and at least one input database");
		fputs(help, stderr);
		return PD_EXIT_ERROR;
	}
	if (pd_store_open(o.db, false, &store, errbuf)) {
		pd_cmd_error("%s", errbuf);
		return PD_EXIT_ERROR;
	}
	if (stat(o.db, &out_st)) {
		pd_cmd_error("merge: %s: %s", o.db, strerror(errno));
		pd_store_close(store);
		return PD_EXIT_ERROR;
	}
	for (i = 0; i < o.n_args; i++) {
		int copied, skipped;
		/* `merge --db fleet.db *.db` may name the output among the inputs: it already
		 * holds itself (attaching it would only deadlock on our own write lock). */
		if (stat(o.args[i], &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
		    in_st.st_ino == out_st.st_ino) {
			if (!o.quiet)
				fprintf(stderr, "%s: the output database itself, skipped\n",
				        o.args[i]);
			continue;
		}
		if (merge_one(pd_store_db(store), o.args[i], &copied, &skipped, errbuf)) {
			pd_cmd_kept("%d input%s merged into %s before %s (%d capture%s), that one "
			            "and the rest not",
			            i, i == 1 ? "" : "s", o.db, o.args[i], total,
			            total == 1 ? "" : "s");
			pd_cmd_error("merge: %s", errbuf);
			pd_store_close(store);
			return PD_EXIT_ERROR;
		}
		total += copied;
		if (!o.quiet)
			fprintf(stderr, "%s: %d capture%s merged, %d already present\n", o.args[i],
			        copied, copied == 1 ? "" : "s", skipped);
	}
	pd_store_close(store);
	if (!o.quiet)
		fprintf(stderr, "%s: %d capture%s added from %d database%s\n", o.db, total,
		        total == 1 ? "" : "s", o.n_args, o.n_args == 1 ? "" : "s");
	return PD_EXIT_OK;
}
