/*
 * ingest.h - one capture file into the database: reader -> decoder -> flow table -> protocol
 * parsers (dns, tls, quic, http) -> store, then attribution (names.c), all in one transaction.
 *
 * Memory grows with live flows and names, never with packets: flows idle longer than
 * PD_FLOW_IDLE_NS (capture time) are written out and released, and the flow table is capped.
 */
#ifndef PD_INGEST_H
#define PD_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "names.h"
#include "store.h"
#include "subject.h"

#define PD_FLOW_IDLE_NS   (300LL * 1000000000LL) /* a flow idle this long is written out */
#define PD_MAX_LIVE_FLOWS 200000                 /* beyond this the oldest-idle flows are flushed */

struct pd_ingest_opts {
	const char *bpf;          /* offline filter, NULL for none */
	struct pd_attr_opts attr; /* attribution options */
	bool quiet;
	bool no_attribute; /* skip attribution (batch staging: it runs at merge) */
	/* --local: the subject's addresses/ranges (with the file's own, if any); NULL/0: none */
	const struct pd_local *locals;
	size_t n_locals;
	/* Progress callback (bytes read so far, file size); may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	/*
	 * May be NULL. Called once every row of the capture is written (flows, DNS answers,
	 * attribution, findings, the capture row with a provisional sha256 and size) inside the
	 * capture's transaction, while the content hash may still be running: work that reads
	 * the database there overlaps the hash, the longer of ingest's two threads (report
	 * builds its model here). What it read is void when the capture turns out to be present
	 * already (res->already: all of it is rolled back). pd_ingest_batch with jobs > 1 does
	 * not call it.
	 */
	void (*rows_written)(void *arg, int64_t capture_id);
	void *rows_written_arg;
};

struct pd_ingest_result {
	int64_t capture_id; /* row id (existing row when already ingested) */
	bool already;       /* same content hash was already in the database */
	bool cut;           /* file was truncated/corrupt: data before the cut is in */
	uint64_t packets, bytes, flows, dns_answers;
	char sha256[65];              /* content hash (hex) */
	uint64_t size;                /* bytes the hash covers (the file's size) */
	char cut_msg[PD_ERRBUF_SIZE]; /* message naming file and offset when cut */
};

/*
 * Ingests path into s in one transaction. Returns PD_OK (also when the file was cut: see
 * res->cut; the caller reports it), or an error with errbuf naming the file: PD_ERR_IO,
 * PD_ERR_FORMAT (not a capture / empty), PD_ERR_DB (nothing of this capture is stored).
 */
PD_MUST_CHECK enum pd_err pd_ingest_file(struct pd_store *s, const char *path,
                                         const struct pd_ingest_opts *opts,
                                         struct pd_ingest_result *res, char errbuf[PD_ERRBUF_SIZE]);

/* Called by pd_ingest_batch() once per capture, in input order, when it is stored or failed
 * (e != PD_OK: errbuf says why; res is then zeroed). i indexes paths. */
typedef void (*pd_ingest_done_fn)(void *arg, size_t i, enum pd_err e,
                                  const struct pd_ingest_result *res, const char *errbuf);

/*
 * Ingests paths[0..n) into s, each in its own transaction, with results equal to ingesting
 * them one by one in order. jobs > 1 parses up to jobs captures at once on worker threads,
 * each into a private staging database in $TMPDIR; this thread (the one writer, owning s)
 * copies each into s in input order, attributes it and commits. opts->progress is not called
 * when jobs > 1 (done() marks progress). Returns PD_OK, or PD_ERR_NOMEM when the workers
 * could not be started (then nothing was ingested); per-capture failures go to done().
 */
PD_MUST_CHECK enum pd_err pd_ingest_batch(struct pd_store *s, char *const *paths, size_t n,
                                          unsigned jobs, const struct pd_ingest_opts *opts,
                                          pd_ingest_done_fn done, void *arg);

#endif
