/*
 * cmd_report.c - `pcapdomains report [options] CAPTURE...` and `report --db FILE [--capture
 * ID|SHA256|PATH]...` (SPEC 2, 2.6): ingest the captures (into --db FILE or an in-memory
 * database), enrich (GeoIP, reverse lookups unless --no-resolve, policy status with --allow),
 * build the report model and write every -o FILE in the format of its extension, or the
 * readable table on stdout.
 *
 * Output files are written to a temporary file in the same directory and renamed into
 * place, so a failed write never leaves half a report; a target that is not a regular file
 * (a device, a pipe) is written directly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "interrupt.h"
#include "load.h"
#include "geo.h"
#include "ingest.h"
#include "model.h"
#include "policy.h"
#include "report.h"
#include "store.h"

static const char help[] =
        "usage: pcapdomains report [options] CAPTURE...\n"
        "       pcapdomains report --db FILE [--capture ID|SHA256|PATH]... [options]\n"
        "\n"
        "Reads the captures (pcap, pcapng), attributes every connection to a destination name\n"
        "with its evidence, and reports destinations, unresolved addresses, shared (CDN)\n"
        "addresses, DNS names never connected to and findings. Without -o, a table on stdout.\n"
        "\n"
        "  -o, --output FILE    write a report; the format comes from the extension: .html .csv\n"
        "                       .md .json (.txt: the table); '-' is stdout (see --format).\n"
        "                       Repeatable: one run can write several formats.\n"
        "  --format NAME        html, csv, md, json or text: for '-o -' and for stdout\n"
        "  --db FILE            keep the database in FILE (default: in memory); with no\n"
        "                       CAPTURE, report from FILE\n"
        "  --capture SEL        with --db: report only this capture (id, SHA-256 or path as\n"
        "                       ingested); repeatable. Default: every capture in the database\n"
        "  --geoip FILE|DIR     GeoIP/ASN mmdb databases (repeatable; default $PCAPDOMAINS_GEOIP,\n"
        "                       /usr/share/GeoIP, /var/lib/GeoIP)\n"
        "  --resolver IP[:PORT] DNS server for reverse lookups of unnamed addresses\n"
        "  --no-resolve         no reverse lookups: never send a packet (cached results are used)\n"
        "  --refresh-ptr        ask again about addresses whose cached lookup failed (a failure\n"
        "                       is otherwise cached for an hour, answers for good)\n"
        "  --allow POLICY       policy file: each destination is marked allowed or violation\n"
        "  -f, --filter BPF     offline filter applied while reading the captures\n"
        "  -j, --jobs N         read up to N captures at once (default 1)\n"
        "  --dns-grace SECONDS  how long past its TTL a DNS answer still counts as `dns` (60)\n"
        "  --local ADDR|CIDR    the audited subject's address or network (repeatable); without\n"
        "                       it: the capture's interface addresses, else inferred (README)\n"
        "  --title TEXT         report title (default: names the captures)\n"
        "  --top N              rows in the table and the Markdown report (default 25; 0 = all)\n"
        "  --quiet              no warnings about cut captures\n"
        "  -h, --help           this text\n"
        "\n"
        "Examples:\n"
        "  pcapdomains report capture.pcapng\n"
        "  pcapdomains report -o report.html -o flows.csv -o summary.md -o all.json "
        "capture.pcapng\n"
        "  pcapdomains report --format json -o - capture.pcapng | jq .summary\n"
        "  pcapdomains report --db audit.db --capture 2 --allow policy.txt -o audit.html\n"
        "Colour on a terminal unless NO_COLOR is set. Exit codes: 0 ok, 2 usage, input or\n"
        "output error (a report with policy violations still exits 0: use `check` to fail).\n";

#define DEFAULT_TOP 25

/* Resolves one --capture selector to a capture id. */
static enum pd_err select_one(sqlite3 *db, const char *sel, int64_t *id, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	enum pd_err e = PD_ERR_NOTFOUND;
	size_t n = strlen(sel);

	if (n && strspn(sel, "0123456789") == n)
		sqlite3_prepare_v2(db, "SELECT id FROM captures WHERE id = CAST(?1 AS INTEGER)", -1,
		                   &st, NULL);
	else if (n == 64 && strspn(sel, "0123456789abcdefABCDEF") == n)
		sqlite3_prepare_v2(db, "SELECT id FROM captures WHERE sha256 = lower(?1)", -1, &st,
		                   NULL);
	else
		sqlite3_prepare_v2(db, "SELECT id FROM captures WHERE path = ?1 ORDER BY id", -1,
		                   &st, NULL);
	if (!st)
		return pd_errf(errbuf, PD_ERR_DB, "--capture %s: %s", sel, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, sel, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		e = PD_OK;
	} else {
		pd_errf(errbuf, PD_ERR_NOTFOUND, "--capture %s: no such capture in the database",
		        sel);
	}
	sqlite3_finalize(st);
	return e;
}

struct ingest_run {
	int64_t *ids;   /* capture id per input, in input order */
	char **paths;   /* the inputs (directories expanded) */
	size_t n, done; /* inputs, inputs done (stored, already present or failed) */
	bool quiet, failed;
	/* The model built inside the last capture's transaction while its hash thread runs
	 * (pd_ingest_opts.rows_written): the report's own work overlaps the hash, which is
	 * otherwise alone on the critical path (SPEC 4). Void if that capture is already in. */
	struct pd_store *store;
	const struct pd_report_opts *ro;
	struct pd_model *early;
	struct pd_ingest_result last; /* the last capture's result */
};

/* pd_ingest_opts.rows_written: on the last capture, with all before it in, build the model. */
static void build_early(void *arg, int64_t capture_id)
{
	struct ingest_run *run = arg;
	char errbuf[PD_ERRBUF_SIZE];
	size_t k;

	if (run->done + 1 != run->n || run->failed)
		return;
	for (k = 0; k < run->done; k++) /* the last input repeats an earlier one */
		if (run->ids[k] == capture_id)
			return;
	run->ids[run->done] = capture_id;
	/* on failure the model is built again afterwards, which says why */
	if (pd_model_build(pd_store_db(run->store), run->ro, &run->early, errbuf) != PD_OK)
		run->early = NULL;
}

/* pd_ingest_batch's report for one capture: errors and cut captures are said at once. */
static void on_done(void *arg, size_t i, enum pd_err e, const struct pd_ingest_result *res,
                    const char *errbuf)
{
	struct ingest_run *run = arg;

	run->done++;
	if (e == PD_OK && res->already)
		pd_load_note_duplicate(pd_store_db(run->store), run->paths, run->ids, i,
		                       res->capture_id, run->quiet);
	if (e != PD_OK) {
		pd_cmd_error("%s", errbuf && *errbuf ? errbuf : pd_strerror(e));
		run->failed = true;
		return;
	}
	run->ids[i] = res->capture_id;
	if (i + 1 == run->n)
		run->last = *res;
	if (res->cut && !run->quiet)
		fprintf(stderr, "pcapdomains: warning: %s (the data before it is reported)\n",
		        res->cut_msg);
}

static unsigned term_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	long v;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	if (c && (v = strtol(c, NULL, 10)) >= 20 && v <= 1000)
		return (unsigned)v;
	return 100;
}

/* One report output for pd_load_write (atomic file, device or stdout, errors named). */
struct report_out {
	const struct pd_model *m;
	enum pd_format fmt;
	const struct pd_report_opts *ro;
};

static void write_report(FILE *f, void *arg)
{
	const struct report_out *r = arg;

	pd_report_write(r->m, r->fmt, r->ro, f);
}

int pd_cmd_report(int argc, char **argv)
{
	struct pd_opts o;
	struct pd_report_opts ro;
	struct pd_ingest_opts io;
	struct ingest_run run = { 0 };
	enum pd_format fmts[PD_MAX_OUTPUTS], stdout_fmt = PD_FMT_TEXT;
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_store *store = NULL;
	struct pd_geo *geo = NULL;
	struct pd_policy *policy = NULL;
	struct pd_model *m = NULL;
	int64_t *ids = NULL;
	size_t n_ids = 0;
	struct pd_paths files = { 0 };
	int rc, i, ret = PD_EXIT_ERROR;
	unsigned k, w = 0; /* w: -o outputs written */

	if (pd_opts_parse(argc, argv, help, &o, &rc) < 0)
		return rc;
	if (o.n_args == 0 && !o.db) {
		fprintf(stderr, "pcapdomains report: no capture given (or --db FILE to report from)"
		                "\nTry 'pcapdomains report --help'.\n");
		return PD_EXIT_ERROR;
	}
	if (o.n_select && !o.db) {
		pd_cmd_error("report: --capture selects from a database: give --db FILE");
		return PD_EXIT_ERROR;
	}
	if (o.format && pd_format_parse(o.format, false, &stdout_fmt) != PD_OK) {
		pd_opts_usage_error("report", help,
		                    "--format: unknown format '%s' (html, csv, md, "
		                    "json, text)",
		                    o.format);
		return PD_EXIT_ERROR;
	}
	for (k = 0; k < o.n_outputs; k++) {
		if (!strcmp(o.outputs[k], "-"))
			fmts[k] = stdout_fmt;
		else if (pd_format_parse(o.outputs[k], true, &fmts[k]) != PD_OK) {
			struct stat sb;
			if (!o.format && stat(o.outputs[k], &sb) == 0 && !S_ISREG(sb.st_mode) &&
			    !S_ISDIR(sb.st_mode)) {
				fmts[k] = stdout_fmt; /* a device or pipe: as stdout would be */
				continue;
			}
			if (!o.format) {
				pd_opts_usage_error(
				        "report", help,
				        "-o/--output %s: cannot tell the format from its "
				        "extension (.html .csv .md .json .txt); add --format",
				        o.outputs[k]);
				return PD_EXIT_ERROR;
			}
			fmts[k] = stdout_fmt;
		} else if (o.format && fmts[k] != stdout_fmt) {
			pd_opts_format_conflict(&o, help, o.outputs[k]);
			return PD_EXIT_ERROR;
		}
	}

	/* Reporting from a database that is not there is a typo, not an empty report. */
	if (o.n_args == 0 && access(o.db, F_OK) != 0) {
		pd_cmd_error("%s: no such database", o.db);
		goto out;
	}
	/* Reporting from a database it cannot write (read-only media, a directory without write
	 * permission): read-only, without the caches' updates. */
	if (pd_store_open(o.db, false, &store, errbuf) != PD_OK &&
	    (o.n_args || pd_store_open(o.db, true, &store, errbuf) != PD_OK)) {
		pd_cmd_error("%s", errbuf);
		goto out;
	}
	for (i = 0; i < o.n_args; i++)
		if (pd_load_expand(&files, o.args[i], o.quiet))
			goto out;
	if (o.n_args && !files.n) {
		pd_cmd_error("no capture files among the inputs");
		goto out;
	}
	ids = calloc(files.n + o.n_select + 1, sizeof(*ids));
	if (!ids) {
		pd_cmd_error("out of memory");
		goto out;
	}
	if (pd_geo_open(o.geoip, o.n_geoip, &geo, errbuf) != PD_OK) {
		pd_cmd_error("%s", errbuf);
		goto out;
	}
	if (o.allow && pd_policy_load(o.allow, &policy, errbuf) != PD_OK) {
		pd_cmd_error("%s", errbuf);
		goto out;
	}
	if (pd_policy_catch_all(policy) && !o.quiet)
		fprintf(stderr, "pcapdomains: warning: %s: '%s' allows every address\n", o.allow,
		        pd_policy_catch_all(policy));
	memset(&ro, 0, sizeof(ro));
	ro.title = o.title;
	ro.top = o.top_set ? o.top : DEFAULT_TOP;
	ro.capture_ids = files.n ? ids : NULL;
	ro.n_capture_ids = files.n;
	ro.policy = policy;
	ro.geo = geo;
	ro.resolve = !o.no_resolve;
	ro.rdns.resolver = o.resolver;
	ro.rdns.refresh_failed = o.refresh_ptr;
	ro.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
	           !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
	ro.width = term_width();

	memset(&io, 0, sizeof(io));
	io.bpf = o.bpf;
	io.attr.dns_grace_ns = o.dns_grace_ns;
	io.locals = o.local;
	io.n_locals = o.n_local;
	io.quiet = o.quiet;
	run.ids = ids;
	run.n = files.n;
	run.paths = files.v;
	run.quiet = o.quiet;
	run.store = store;
	run.ro = &ro;
	if (!o.n_select) { /* selected captures join the list only after the ingest */
		io.rows_written = build_early;
		io.rows_written_arg = &run;
	}
	if (files.n &&
	    pd_ingest_batch(store, files.v, files.n, o.jobs, &io, on_done, &run) != PD_OK) {
		pd_cmd_error("report: cannot start the ingest workers: out of memory");
		goto out;
	}
	if (run.failed)
		goto out;
	n_ids = files.n;
	for (k = 0; k < o.n_select; k++) {
		if (select_one(pd_store_db(store), o.select[k], &ids[n_ids], errbuf) != PD_OK) {
			pd_cmd_error("%s", errbuf);
			goto out;
		}
		n_ids++;
	}
	ro.capture_ids = n_ids ? ids : NULL;
	ro.n_capture_ids = n_ids;

	/* the early model holds the last capture's provisional hash: the real one goes in */
	if (run.early && !run.last.already) {
		m = run.early;
		run.early = NULL;
		if (pd_model_set_hash(m, run.last.capture_id, run.last.sha256,
		                      (int64_t)run.last.size) != PD_OK) {
			pd_cmd_error("out of memory");
			goto out;
		}
	} else if (pd_model_build(pd_store_db(store), &ro, &m, errbuf) != PD_OK) {
		pd_cmd_error("%s", errbuf);
		goto out;
	}
	for (k = 0; !o.quiet && k < m->n_notes; k++) /* the notes are in the report too */
		fprintf(stderr, "pcapdomains: warning: %s\n", m->notes[k]);
	ret = PD_EXIT_OK;
	if (!o.n_outputs) {
		struct report_out r = { m, stdout_fmt, &ro };

		if (pd_load_write(NULL, write_report, &r))
			ret = PD_EXIT_ERROR;
	}
	for (k = 0; k < o.n_outputs; k++) {
		struct pd_report_opts fo = ro;
		struct report_out r = { m, fmts[k], &fo };

		if (strcmp(o.outputs[k], "-") || !isatty(STDOUT_FILENO))
			fo.color = false;
		if (pd_load_write(o.outputs[k], write_report, &r))
			ret = PD_EXIT_ERROR;
		else
			w++;
	}
out:
	if (pd_interrupted()) {
		if (o.db)
			pd_cmd_kept("%s keeps the captures stored before the signal; %s", o.db,
			            w ? "reports finished before it are in place"
			              : "no report written");
		else
			pd_cmd_kept("%s", w ? "reports finished before it are in place"
			                    : "no report written");
	}
	pd_model_free(run.early);
	pd_model_free(m);
	pd_policy_free(policy);
	pd_geo_close(geo);
	pd_store_close(store);
	free(ids);
	pd_paths_free(&files);
	return ret;
}
