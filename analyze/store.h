/*
 * store.h - the SQLite database (schema.sql): opening with migrations, one transaction per
 * capture, prepared statements for the hot inserts.
 *
 * Ownership: pd_store_open()/pd_store_close(). The sqlite3 handle is exposed for the modules
 * that run their own queries (names.c, report/model.c, policy, merge).
 */
#ifndef PD_STORE_H
#define PD_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"

#define PD_SCHEMA_VERSION 2

extern const char pd_schema_sql[]; /* generated from schema.sql */

struct pd_store;

/*
 * Opens (creating when absent) the database at path, or an in-memory one for NULL/":memory:".
 * Applies the schema / migrations. readonly opens without creating or migrating.
 * Errors (PD_ERR_DB, PD_ERR_IO) name the file in errbuf: not writable, locked, newer schema.
 */
PD_MUST_CHECK enum pd_err pd_store_open(const char *path, bool readonly, struct pd_store **out,
                                        char errbuf[PD_ERRBUF_SIZE]);
/* pd_store_open with flags: PD_STORE_READONLY (as readonly above); PD_STORE_PRIVATE for a
 * file no other process opens (-j staging): no WAL, no waiting lines. */
enum { PD_STORE_READONLY = 1, PD_STORE_PRIVATE = 2 };
PD_MUST_CHECK enum pd_err pd_store_open_flags(const char *path, unsigned flags,
                                              struct pd_store **out, char errbuf[PD_ERRBUF_SIZE]);
void pd_store_close(struct pd_store *s);
sqlite3 *pd_store_db(struct pd_store *s);

/* Runs SQL with no result rows; errors name the statement's purpose (what) in errbuf. */
PD_MUST_CHECK enum pd_err pd_store_exec(struct pd_store *s, const char *sql, const char *what,
                                        char errbuf[PD_ERRBUF_SIZE]);

/* sqlite3_exec on a bare connection (one with attached databases): on failure PD_ERR_DB and
 * "what: SQLite's message" in errbuf. */
PD_MUST_CHECK enum pd_err pd_sql_exec(sqlite3 *db, const char *sql, const char *what,
                                      char errbuf[PD_ERRBUF_SIZE]);

/*
 * Copies capture `id` of the attached database `schema` ("src", "stage") into main with every
 * row that references it; *new_id is its id in main. dns_answers ids shift by one offset, so
 * flows.dns_answer_id stays right. Column lists come from main's schema (PRAGMA table_info),
 * so a new column needs no change here; the attached database must have the same schema.
 * The caller holds the transaction and has checked that main lacks the content hash.
 */
PD_MUST_CHECK enum pd_err pd_store_copy_capture(sqlite3 *db, const char *schema, int64_t id,
                                                int64_t *new_id, char errbuf[PD_ERRBUF_SIZE]);

#endif
