/*
 * cmd_ingest.c - `pcapdomains ingest --db FILE [-f BPF] [-j N] [--quiet] CAPTURE|DIR...`:
 * adds captures to a persistent database (SPEC 2, 2.5), one transaction per capture.
 *
 * A directory stands for every *.pcap, *.pcapng and *.cap file directly inside it, in name
 * order. A capture that fails is reported and does not spoil the others; the exit status is 2
 * when any failed (or the database could not be opened), else 0. A capture already in the
 * database (same content hash) is a no-op.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "ingest.h"
#include "store.h"

static const char help[] =
        "usage: pcapdomains ingest --db FILE [-f BPF] [-j N] [--dns-grace S] [--quiet] "
        "CAPTURE|DIR...\n"
        "\n"
        "Adds pcap/pcapng captures to the SQLite database FILE (created when absent), one\n"
        "transaction per capture: a capture is stored whole or not at all. A directory means\n"
        "every *.pcap, *.pcapng and *.cap file directly inside it, in name order. A capture\n"
        "whose content (SHA-256) is already in the database is skipped. A truncated or corrupt\n"
        "capture is stored up to the cut and reported.\n"
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

struct file_list {
	char **v;
	size_t n, cap;
};

static int list_add(struct file_list *l, const char *path)
{
	char *d;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		char **nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	d = strdup(path);
	if (!d)
		return -1;
	l->v[l->n++] = d;
	return 0;
}

static int capture_name(const struct dirent *de)
{
	const char *n = de->d_name, *dot = strrchr(n, '.');

	if (n[0] == '.' || !dot)
		return 0;
	return !strcmp(dot, ".pcap") || !strcmp(dot, ".pcapng") || !strcmp(dot, ".cap");
}

/* Adds arg (a file, or a directory's captures). Returns 0, or -1 with a message printed. */
static int expand(struct file_list *l, const char *arg)
{
	struct dirent **ents = NULL;
	struct stat sb;
	char path[4096];
	int n, i, rc = 0;

	if (stat(arg, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return list_add(l, arg); /* a missing file fails later with its own message */
	n = scandir(arg, &ents, capture_name, alphasort);
	if (n < 0) {
		pd_cmd_error("%s: %s", arg, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%s%s", arg, arg[strlen(arg) - 1] == '/' ? "" : "/",
		         ents[i]->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && list_add(l, path) != 0)
			rc = -1;
		free(ents[i]);
	}
	free(ents);
	if (n == 0)
		fprintf(stderr, "pcapdomains: %s: no *.pcap, *.pcapng or *.cap files inside\n",
		        arg);
	return rc;
}

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
	size_t n_ok, n_already, n_cut, n_failed;
	uint64_t packets, bytes, flows, answers;
	char **failed;
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
	if (e != PD_OK) {
		char line[PD_ERRBUF_SIZE + 4200];

		if (errbuf && errbuf[0] && strstr(errbuf, path)) /* messages name the file */
			snprintf(line, sizeof(line), "%s", errbuf);
		else
			snprintf(line, sizeof(line), "%s: %s", path,
			         errbuf && errbuf[0] ? errbuf : pd_strerror(e));
		fprintf(stderr, "pcapdomains: failed: %s\n", line);
		r->failed[r->n_failed++] = strdup(line);
		return;
	}
	if (res->already) {
		r->n_already++;
		if (!r->o->quiet)
			printf("%s: already in the database (capture %" PRId64 ")\n", path,
			       res->capture_id);
		return;
	}
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
	struct file_list files = { 0 };
	struct pd_store *s = NULL;
	struct pd_ingest_opts io;
	struct progress prog;
	struct run run;
	char errbuf[PD_ERRBUF_SIZE];
	size_t i;
	int ec, rc = PD_EXIT_OK;
	struct stat sb;

	if (pd_opts_parse(argc, argv, PD_O_DB | PD_O_BPF | PD_O_JOBS | PD_O_GRACE | PD_O_LOCAL,
	                  help, &o, &ec))
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
		if (expand(&files, o.args[ec]) != 0)
			rc = PD_EXIT_ERROR;
	if (!files.n) {
		pd_cmd_error("no capture files to ingest");
		free(files.v);
		return PD_EXIT_ERROR;
	}
	memset(&run, 0, sizeof(run));
	run.failed = calloc(files.n + 1, sizeof(*run.failed));
	if (!run.failed) {
		pd_cmd_error("out of memory");
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
	run.files = files.v;
	run.prog = &prog;
	if (pd_ingest_batch(s, files.v, files.n, o.jobs, &io, on_done, &run) != PD_OK) {
		pd_cmd_error("cannot start the ingest threads");
		rc = PD_EXIT_ERROR;
		goto out;
	}
	progress_clear(&prog);
	if (run.n_failed)
		rc = PD_EXIT_ERROR;
	printf("%zu capture%s: %zu stored (%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
	       " flows, %" PRIu64 " DNS answer rows), %zu already present, %zu cut, %zu failed\n",
	       files.n, files.n == 1 ? "" : "s", run.n_ok, run.packets, run.bytes, run.flows,
	       run.answers, run.n_already, run.n_cut, run.n_failed);
	for (i = 0; i < run.n_failed; i++)
		fprintf(stderr, "pcapdomains: not stored: %s\n",
		        run.failed[i] ? run.failed[i] : "(out of memory)");
out:
	pd_store_close(s);
	for (i = 0; i < files.n; i++)
		free(files.v[i]);
	free(files.v);
	for (i = 0; run.failed && i < run.n_failed; i++)
		free(run.failed[i]);
	free(run.failed);
	return rc;
}
