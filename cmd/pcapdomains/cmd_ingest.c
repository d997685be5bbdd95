/*
 * cmd_ingest.c - `pcapdomains ingest --db FILE [-f BPF] [-j N] [--quiet] CAPTURE|DIR...`:
 * adds captures to a persistent database (SPEC 2, 2.5), one transaction per capture.
 *
 * A directory stands for every capture directly inside it, in name order, told by content
 * (pd_load_expand: pcap, pcapng, gzip/zstd/lz4/xz). '-' is standard input. A capture that fails is
 * reported and does not spoil the others; the exit status is 2 when any failed (or the database
 * could not be opened), else 0. A capture already in the database (same content hash) is a no-op.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "load.h"
#include "ingest.h"
#include "interrupt.h"
#include "store.h"

static const char help[] =
        "usage: pcapdomains ingest --db FILE [-f BPF] [-j N] [--dns-grace S] [--quiet] "
        "CAPTURE|DIR...\n"
        "\n"
        "Adds pcap/pcapng captures to the SQLite database FILE (created when absent), one\n"
        "transaction per capture: a capture is stored whole or not at all. A directory means\n"
        "every capture directly inside it, in name order, told by content (pcap, pcapng, and\n"
        "gzip/zstd/lz4/xz-compressed ones). '-' reads standard input (a pipe: tcpdump -w -).\n"
        "A capture whose content (SHA-256 of the file as given, compressed or not) is already\n"
        "in the database is skipped, naming the earlier path. A truncated or corrupt capture is\n"
        "stored up to the cut and reported.\n"
        "\n"
        "  --db FILE        the database (required); query it with sqlite3, see the README\n"
        "  -f, --filter BPF only frames matching this capture filter\n"
        "  -j, --jobs N     parse up to N captures at once (results equal to -j 1)\n"
        "  --dns-grace S    seconds past a DNS answer's TTL it still attributes (default 60)\n"
        "  --local ADDR|CIDR  the audited subject's address or network (repeatable); without\n"
        "                   it: the capture's interface addresses, else inferred (README)\n"
        "  --quiet          print only errors, cut-capture warnings and the final summary\n"
        "\n"
        "Exit status: 0 all captures stored (or already present), 2 any capture failed or a\n"
        "usage/database error.\n";

struct progress {
	bool on;
	size_t file, nfiles;
	uint64_t done_before, total; /* bytes of finished files, of all files */
	struct timespec start;
	int64_t last_draw_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	int64_t t = now_ms(), start = (int64_t)p->start.tv_sec * 1000 + p->start.tv_nsec / 1000000;
	double secs = (double)(t - start) / 1000.0, rate, eta;
	uint64_t all = p->done_before + (done < total ? done : total);

	if (!p->on || t - p->last_draw_ms < 200)
		return;
	p->last_draw_ms = t;
	rate = secs > 0 ? (double)all / secs : 0;
	eta = rate > 0 && p->total > all ? (double)(p->total - all) / rate : 0;
	fprintf(stderr, "\r\033[K[%zu/%zu] %.1f/%.1f MB  %.0f MB/s  ETA %.0f s", p->file + 1,
	        p->nfiles, (double)all / 1e6, (double)p->total / 1e6, rate / 1e6, eta);
	fflush(stderr);
}

static void progress_clear(struct progress *p)
{
	if (p->on && p->last_draw_ms) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

struct run {
	const struct pd_opts *o;
	char **files;
	struct progress *prog;
	size_t n_ok, n_already, n_cut, n_failed, n_stopped;
	uint64_t packets, bytes, flows, answers;
	sqlite3 *db;
	int64_t *ids; /* capture id per file, for naming duplicates */
};

/* One capture finished (in input order). */
static void on_done(void *arg, size_t i, enum pd_err e, const struct pd_ingest_result *res,
                    const char *errbuf)
{
	struct run *r = arg;
	const char *path = r->files[i];
	struct stat sb;

	if (stat(path, &sb) == 0)
		r->prog->done_before += (uint64_t)sb.st_size;
	progress_clear(r->prog);
	if (e != PD_OK && pd_interrupted()) {
		r->n_stopped++; /* rolled back or not started: said in the one line at the end */
		return;
	}
	if (e != PD_OK) {
		char line[PD_ERRBUF_SIZE + 4200];

		if (errbuf && errbuf[0] && strstr(errbuf, path)) /* messages name the file */
			snprintf(line, sizeof(line), "%s", errbuf);
		else
			snprintf(line, sizeof(line), "%s: %s", path,
			         errbuf && errbuf[0] ? errbuf : pd_strerror(e));
		fprintf(stderr, "pcapdomains: failed: %s\n", line);
		r->n_failed++; /* said once, here; the summary counts it */
		return;
	}
	if (res->already) {
		r->n_already++;
		pd_load_note_duplicate(r->db, r->files, r->ids, i, res->capture_id, r->o->quiet);
		r->ids[i] = res->capture_id;
		return;
	}
	r->ids[i] = res->capture_id;
	r->n_ok++;
	r->packets += res->packets;
	r->bytes += res->bytes;
	r->flows += res->flows;
	r->answers += res->dns_answers;
	if (res->cut) {
		r->n_cut++;
		fprintf(stderr, "pcapdomains: warning: %s (data before the cut was stored)\n",
		        res->cut_msg);
	}
	if (!r->o->quiet)
		printf("%s: capture %" PRId64 ": %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
		       " flows, %" PRIu64 " DNS answer rows%s\n",
		       path, res->capture_id, res->packets, res->bytes, res->flows,
		       res->dns_answers, res->cut ? " (cut)" : "");
	fflush(stdout);
	r->prog->file = i + 1 < r->prog->nfiles ? i + 1 : i;
	if (r->o->jobs > 1)
		progress_cb(r->prog, 0, 0);
}

int pd_cmd_ingest(int argc, char **argv)
{
	struct pd_opts o;
	struct pd_paths files = { 0 };
	struct pd_store *s = NULL;
	struct pd_ingest_opts io;
	struct progress prog;
	struct run run;
	char errbuf[PD_ERRBUF_SIZE];
	size_t i;
	int ec, rc = PD_EXIT_OK;
	struct stat sb;

	if (pd_opts_parse(argc, argv, help, &o, &ec))
		return ec;
	if (!o.db) {
		fprintf(stderr, "pcapdomains ingest: --db FILE is required\n");
		fprintf(stderr, "Try 'pcapdomains ingest --help'.\n");
		return PD_EXIT_ERROR;
	}
	if (o.n_args < 1) {
		fprintf(stderr, "pcapdomains ingest: no capture given\n");
		fprintf(stderr, "Try 'pcapdomains ingest --help'.\n");
		return PD_EXIT_ERROR;
	}
	for (ec = 0; ec < o.n_args; ec++)
		if (pd_load_expand(&files, o.args[ec], o.quiet) != 0)
			rc = PD_EXIT_ERROR;
	if (!files.n) {
		pd_cmd_error("no capture files to ingest");
		free(files.v);
		return PD_EXIT_ERROR;
	}
	memset(&run, 0, sizeof(run));
	if (!(run.ids = calloc(files.n, sizeof(*run.ids)))) {
		pd_cmd_error("out of memory");
		pd_paths_free(&files);
		return PD_EXIT_ERROR;
	}
	if (pd_store_open(o.db, false, &s, errbuf) != PD_OK) {
		pd_cmd_error("%s", errbuf);
		rc = PD_EXIT_ERROR;
		goto out;
	}

	memset(&io, 0, sizeof(io));
	io.bpf = o.bpf;
	io.quiet = o.quiet;
	io.attr.dns_grace_ns = o.dns_grace_ns;
	io.locals = o.local;
	io.n_locals = o.n_local;
	memset(&prog, 0, sizeof(prog));
	prog.on = !o.quiet && isatty(STDERR_FILENO);
	prog.nfiles = files.n;
	for (i = 0; i < files.n; i++)
		if (stat(files.v[i], &sb) == 0)
			prog.total += (uint64_t)sb.st_size;
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	if (prog.on) {
		io.progress = progress_cb;
		io.progress_arg = &prog;
	}
	run.o = &o;
	run.db = pd_store_db(s);
	run.files = files.v;
	run.prog = &prog;
	if (pd_ingest_batch(s, files.v, files.n, o.jobs, &io, on_done, &run) != PD_OK) {
		pd_cmd_error("cannot start the ingest threads");
		rc = PD_EXIT_ERROR;
		goto out;
	}
	progress_clear(&prog);
	if (pd_interrupted()) {
		pd_cmd_kept("%zu of %zu capture%s stored in %s (%zu already present, %zu failed), "
		            "%zu not stored",
		            run.n_ok, files.n, files.n == 1 ? "" : "s", o.db, run.n_already,
		            run.n_failed, run.n_stopped);
		rc = PD_EXIT_ERROR;
		goto out;
	}
	if (run.n_failed)
		rc = PD_EXIT_ERROR;
	printf("%zu capture%s: %zu stored (%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
	       " flows, %" PRIu64 " DNS answer rows), %zu already present, %zu cut, %zu failed\n",
	       files.n, files.n == 1 ? "" : "s", run.n_ok, run.packets, run.bytes, run.flows,
	       run.answers, run.n_already, run.n_cut, run.n_failed);
out:
	pd_store_close(s);
	pd_paths_free(&files);
	free(run.ids);
	return rc;
}
