/*
 * report.h - the report model (report/model.c: database queries -> one in-memory model) and
 * the writers, one per format (html.c, csv.c, md.c, json.c, text.c). Every format carries the
 * same content (SPEC 2.6): captures, summary, destinations by registrable domain, unresolved
 * addresses, names looked up but never connected to, findings.
 */
#ifndef PD_REPORT_H
#define PD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "err.h"
#include "geo.h"
#include "policy.h"
#include "rdns.h"

enum pd_format { PD_FMT_TEXT, PD_FMT_HTML, PD_FMT_CSV, PD_FMT_MD, PD_FMT_JSON };

struct pd_report_opts {
	const char *title;          /* NULL: a default naming the captures */
	unsigned top;               /* rows in compact formats (md, text); 0 = all */
	const int64_t *capture_ids; /* selection; NULL/0 = every capture in the database */
	size_t n_capture_ids;
	const struct pd_policy *policy; /* NULL: policy status "unchecked" */
	struct pd_geo *geo;             /* NULL or no database: "GeoIP not configured" */
	bool resolve;                   /* active reverse lookups for unnamed addresses */
	struct pd_rdns_opts rdns;
	bool color;     /* text format: ANSI colour */
	unsigned width; /* text format: terminal columns (0 = 100) */
};

struct pd_model;

PD_MUST_CHECK enum pd_err pd_model_build(sqlite3 *db, const struct pd_report_opts *o,
                                         struct pd_model **out, char errbuf[PD_ERRBUF_SIZE]);
void pd_model_free(struct pd_model *m);

/*
 * Sets the content hash and size of capture capture_id in m: for a model built while ingest's
 * hash thread was still running (pd_ingest_opts.rows_written), when the capture row still had
 * its provisional hash. PD_ERR_NOMEM or PD_OK.
 */
PD_MUST_CHECK enum pd_err pd_model_set_hash(struct pd_model *m, int64_t capture_id,
                                            const char *sha256, int64_t size);

/* Writes m in fmt to f. I/O errors are reported by the caller from ferror()/fclose(). */
void pd_report_write(const struct pd_model *m, enum pd_format fmt, const struct pd_report_opts *o,
                     FILE *f);

/* Format from a name ("html", "csv", "md"/"markdown", "json", "text") or a path's extension. */
PD_MUST_CHECK enum pd_err pd_format_parse(const char *s, bool is_path, enum pd_format *fmt);

#endif
