/*
 * batch.c - ingesting many captures, optionally in parallel (`ingest -j N`, SPEC 2 and 4).
 *
 * SQLite has one writer at a time, so parsing is what runs in parallel: each worker thread
 * takes the next capture, opens a private staging database (a temporary file with the same
 * schema, no journal sync) and runs the ordinary pd_ingest_file() into it without attribution.
 * The calling thread is the only one touching the user's database: it waits for captures in
 * input order, skips one whose content hash is already stored, and otherwise copies the
 * staged rows in one BEGIN IMMEDIATE ... COMMIT (columns taken from the schema itself, rows in
 * their staged order, so ids come out as with -j 1), runs attribution and commits. Files of one
 * capture session (session.c) are parsed without each other: the writer links each to the one
 * it continues when it stores it (flows, names, DNS map); only reassembly across that boundary
 * needs -j 1. Workers
 * stay at most 2*jobs captures ahead of the writer, which bounds the staging files on disk.
 *
 * Staging costs about 5 ms a capture whatever its size (a file, its schema created with
 * fsyncs, ATTACH, copy, DETACH, unlink): on 202 captures of 40 kB, -j 2 took 1.4 s against
 * 0.6 s for -j 1. So only captures of PD_BATCH_STAGE_MIN bytes or more are staged by the
 * workers; the writer ingests the smaller ones itself, directly, in their turn (meanwhile the
 * workers parse the large ones ahead). All small: the -j 1 path; all large: as before.
 *
 * Each ingest already keeps two threads busy (parser and hasher, filehash.c), so workers
 * beyond half the online CPUs only compete with each other and add the staging copy: on 2
 * CPUs 4 captures of 170 MB took 2.3-2.7 s with -j 2 against 1.8-2.1 s with -j 1. jobs is
 * capped at max(1, CPUs / 2). PCAPDOMAINS_STAGE_MIN=BYTES (tests) sets the staging threshold
 * and lifts the cap, so the staging path can be exercised on small captures and small hosts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "interrupt.h"
#include "session.h"

enum slot_state { SLOT_WAITING, SLOT_RUNNING, SLOT_DONE };

/* Captures smaller than this are ingested by the writer directly, not staged. */
#define PD_BATCH_STAGE_MIN (4u << 20)

struct slot {
	enum slot_state state;
	bool staged; /* a worker parses it (large enough); else the writer does */
	enum pd_err err;
	char stage[4096]; /* staging database path ("" when none) */
	struct pd_ingest_result res;
	char errbuf[PD_ERRBUF_SIZE];
};

struct batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *const *paths;
	size_t n, next, written; /* next capture to parse; captures the writer has finished */
	size_t ahead;            /* how far parsing may run ahead of the writer */
	struct slot *slots;
	struct pd_ingest_opts opts;
};

static void *worker(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		struct slot *sl;
		struct pd_store *st = NULL;
		size_t i;
		int fd;

		pthread_mutex_lock(&b->mu);
		for (;;) { /* the next capture to stage, not too far ahead of the writer */
			while (b->next < b->n && !b->slots[b->next].staged)
				b->next++;
			if (b->next >= b->n || b->next < b->written + b->ahead)
				break;
			pthread_cond_wait(&b->cv, &b->mu);
		}
		if (b->next >= b->n) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		i = b->next++;
		sl = &b->slots[i];
		sl->state = SLOT_RUNNING;
		pthread_mutex_unlock(&b->mu);

		if (pd_interrupted()) { /* stopping: the rest is not started */
			sl->err = pd_errf(sl->errbuf, PD_ERR_INTERRUPTED, "%s: not started",
			                  b->paths[i]);
			goto done;
		}
		snprintf(sl->stage, sizeof(sl->stage), "%s/pcapdomains-stage-XXXXXX",
		         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		fd = mkstemp(sl->stage);
		if (fd < 0) {
			sl->err = pd_errf(sl->errbuf, PD_ERR_IO, "%s: staging file %s: %s",
			                  b->paths[i], sl->stage, strerror(errno));
			sl->stage[0] = 0;
		} else {
			close(fd); /* an empty file: pd_store_open gives it the schema */
			sl->err = pd_store_open_flags(sl->stage, PD_STORE_PRIVATE, &st, sl->errbuf);
		}
		if (sl->err == PD_OK)
			sl->err = pd_store_exec(
			        st, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF",
			        "tuning the staging database", sl->errbuf);
		if (sl->err == PD_OK)
			sl->err = pd_ingest_file(st, b->paths[i], &b->opts, &sl->res, sl->errbuf);
		pd_store_close(st);
	done:
		pthread_mutex_lock(&b->mu);
		sl->state = SLOT_DONE;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
}

/* Copies a staged capture into the user's database (the writer's half of -j). */
static enum pd_err merge_stage(struct pd_store *s, struct slot *sl,
                               const struct pd_ingest_opts *opts, char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3 *db = pd_store_db(s);
	sqlite3_stmt *st = NULL;
	int64_t id = 0, existing = 0, staged = 0;
	bool attached = false, in_tx = false;
	enum pd_err e;
	int rc;

	rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS stage", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, sl->stage, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return pd_errf(errbuf, PD_ERR_DB, "attaching the staging database %s: %s",
		               sl->stage, sqlite3_errmsg(db));
	attached = true;
	if ((e = pd_store_exec(s, "BEGIN IMMEDIATE", "starting the capture transaction", errbuf)) !=
	    PD_OK)
		goto out;
	in_tx = true;
	rc = sqlite3_prepare_v2(db,
	                        "SELECT s.id, (SELECT m.id FROM main.captures m WHERE "
	                        "m.sha256 = s.sha256) FROM stage.captures s",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		staged = sqlite3_column_int64(st, 0);
		existing = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (existing) {
		sl->res.already = true;
		sl->res.capture_id = existing;
		sl->res.flows = sl->res.dns_answers = 0;
		e = PD_OK;
		goto out;
	}
	if ((e = pd_store_copy_capture(db, "stage", staged, &id, errbuf)) != PD_OK)
		goto out;
	if ((e = pd_session_attribute(db, id, &opts->attr, errbuf)) != PD_OK)
		goto out;
	if ((e = pd_store_exec(s, "COMMIT", "committing the capture", errbuf)) != PD_OK)
		goto out;
	in_tx = false;
	sl->res.capture_id = id;
out:
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (attached)
		sqlite3_exec(db, "DETACH DATABASE stage", NULL, NULL, NULL);
	return e;
}

static void remove_stage(struct slot *sl)
{
	char j[4200];

	if (!sl->stage[0])
		return;
	unlink(sl->stage);
	snprintf(j, sizeof(j), "%s-journal", sl->stage);
	unlink(j);
	snprintf(j, sizeof(j), "%s-wal", sl->stage);
	unlink(j);
	snprintf(j, sizeof(j), "%s-shm", sl->stage);
	unlink(j);
	sl->stage[0] = 0;
}

enum pd_err pd_ingest_batch(struct pd_store *s, char *const *paths, size_t n, unsigned jobs,
                            const struct pd_ingest_opts *opts, pd_ingest_done_fn done, void *arg)
{
	struct pd_ingest_opts o;
	struct batch b;
	pthread_t th[256];
	unsigned nth = 0, k;
	size_t i;

	memset(&o, 0, sizeof(o));
	if (opts)
		o = *opts;
	if (jobs <= 1 || n <= 1) {
		for (i = 0; i < n; i++) {
			struct pd_ingest_result res;
			char errbuf[PD_ERRBUF_SIZE] = "";
			enum pd_err e = pd_interrupted()
			                        ? pd_errf(errbuf, PD_ERR_INTERRUPTED,
			                                  "%s: not started", paths[i])
			                        : pd_ingest_file(s, paths[i], &o, &res, errbuf);

			if (e != PD_OK)
				memset(&res, 0, sizeof(res));
			done(arg, i, e, &res, errbuf);
		}
		return PD_OK;
	}
	memset(&b, 0, sizeof(b));
	b.paths = paths;
	b.n = n;
	b.opts = o;
	b.opts.no_attribute = true;
	b.opts.progress = NULL;
	b.opts.rows_written = NULL;
	b.ahead = 2 * (size_t)jobs;
	b.slots = calloc(n, sizeof(*b.slots));
	if (!b.slots)
		return PD_ERR_NOMEM;
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	{
		size_t n_staged = 0;
		const char *env = getenv("PCAPDOMAINS_STAGE_MIN");
		uint64_t min = PD_BATCH_STAGE_MIN;
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		if (env && *env)
			min = strtoull(env, NULL, 10);
		else if (jobs > (cpus >= 4 ? (unsigned)(cpus / 2) : 1u))
			jobs = cpus >= 4 ? (unsigned)(cpus / 2) : 1u;
		for (i = 0; i < n; i++) {
			struct stat sb;
			b.slots[i].staged = jobs > 1 && stat(paths[i], &sb) == 0 &&
			                    S_ISREG(sb.st_mode) && (uint64_t)sb.st_size >= min;
			n_staged += b.slots[i].staged;
		}
		if (jobs > n_staged)
			jobs = (unsigned)n_staged;
	}
	if (jobs > 256)
		jobs = 256;
	for (k = 0; k < jobs; k++)
		if (pthread_create(&th[nth], NULL, worker, &b) == 0)
			nth++;
	if (!nth && jobs) {
		free(b.slots);
		return PD_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct slot *sl = &b.slots[i];
		enum pd_err e;

		if (!sl->staged) { /* small: directly, as -j 1 would (no progress with -j) */
			struct pd_ingest_opts od = o;
			od.progress = NULL;
			sl->errbuf[0] = 0;
			e = pd_ingest_file(s, paths[i], &od, &sl->res, sl->errbuf);
			if (e != PD_OK)
				memset(&sl->res, 0, sizeof(sl->res));
			done(arg, i, e, &sl->res, sl->errbuf);
			pthread_mutex_lock(&b.mu);
			b.written = i + 1;
			pthread_cond_broadcast(&b.cv);
			pthread_mutex_unlock(&b.mu);
			continue;
		}
		pthread_mutex_lock(&b.mu);
		while (sl->state != SLOT_DONE)
			pthread_cond_wait(&b.cv, &b.mu);
		pthread_mutex_unlock(&b.mu);
		e = sl->err;
		if (e == PD_OK && pd_interrupted())
			e = pd_errf(sl->errbuf, PD_ERR_INTERRUPTED, "%s: interrupted", paths[i]);
		if (e == PD_OK)
			e = merge_stage(s, sl, &o, sl->errbuf);
		remove_stage(sl);
		if (e != PD_OK)
			memset(&sl->res, 0, sizeof(sl->res));
		done(arg, i, e, &sl->res, sl->errbuf);
		pthread_mutex_lock(&b.mu);
		b.written = i + 1;
		pthread_cond_broadcast(&b.cv);
		pthread_mutex_unlock(&b.mu);
	}
	for (k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&b.mu);
	pthread_cond_destroy(&b.cv);
	free(b.slots);
	return PD_OK;
}
