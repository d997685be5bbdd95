/*
 * session.h - capture sessions: files that continue one another (pcapdomains-capture's
 * -C/-G/-W files, a capture cut in pieces with editcap) are one session, and flows, stream
 * reassembly and the DNS map carry across their boundaries (README "Capture sessions").
 *
 * Which capture a new one continues (its predecessor P), from the capture C's identity:
 *  1. both carry the helper's run id (pcapdomains.session): P has the same id and the file
 *     sequence number (pcapdomains.file_seq) just before C's;
 *  2. otherwise P has the same identity (runtime, container id, network namespace inode, host,
 *     run id and sequence number: all equal or all absent, as in the pieces of one file), the
 *     same interfaces (names and link types), and contiguous times: P starts before C, ends at
 *     most PD_SESSION_OVERLAP_NS after C's first frame and at most PD_SESSION_GAP_NS (the flow
 *     idle timeout) before it. The latest such P wins.
 * A session is the chain of captures linked so (captures.session_prev).
 *
 * How state crosses a boundary:
 *  - at the end of every capture, ingest writes the flows still open (flow_carry rows): their
 *    orientation, TCP events, evidence and up to a ClientHello's / a DNS message's worth of
 *    unparsed stream bytes;
 *  - ingesting C after P (one run or a later one, sequentially) loads P's carried flows; a flow
 *    of C with the same addresses, ports and protocol that does not open anew (no SYN without
 *    ACK) and whose first packet in C is within the idle timeout of its last one in P continues
 *    it: P's orientation, TCP state and evidence, and its buffered bytes go on through the
 *    reassembly, so a ClientHello or DNS/TCP message cut by the boundary parses whole;
 *  - captures parsed in parallel (-j N) cannot see each other: the writer thread links them
 *    when it stores C (pd_session_attribute): the same rule on the stored rows, re-orienting
 *    a reversed flow; reassembly across that boundary is then not possible (documented);
 *  - attribution reads the DNS answers of C and of the captures before it in its session as
 *    one map (evidence `dns`, as within one file); answers of earlier captures of the same
 *    subject that are not in the session give `dns-earlier-capture` (medium);
 *  - a continued flow takes the attribution of the segment it continues; a segment naming
 *    itself (a ClientHello completed after the boundary) names the segments before it.
 *    Reports count a continued flow once (flows.continued).
 */
#ifndef PD_SESSION_H
#define PD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "capture.h"
#include "decode.h"
#include "err.h"
#include "names.h"

#define PD_SESSION_GAP_NS      (300LL * 1000000000LL) /* = PD_FLOW_IDLE_NS */
#define PD_SESSION_OVERLAP_NS  (1000000000LL) /* interfaces written out of order by a second */
#define PD_SESSION_MAX_CHAIN   1024           /* earlier session members whose DNS answers count */
#define PD_SESSION_MAX_EARLIER 32   /* earlier captures of the subject whose answers count */
#define PD_SESSION_KEY_MAX     1024 /* interface list text compared */

/* One carried flow: what ingest needs to continue it (pointers valid until the next call). */
struct pd_carry_flow {
	uint8_t proto;
	struct pd_addr cli, srv;
	uint16_t cport, sport;
	int64_t last_ns;
	uint8_t tcp;              /* PD_FLOW_TCP_* */
	uint32_t syn_seq[2];      /* client, server */
	uint8_t state, app, mode; /* ingest's own codes */
	const char *sni, *alpn, *http_host, *http_connect;
	uint32_t quic_version;
	bool ech;
	bool has_cs, has_sc;
	uint32_t cs_seq, sc_seq;
	const uint8_t *cs, *sc;
	uint32_t cs_len, sc_len;
};

struct pd_session_carry;

/*
 * At a capture's first frame (first_ns; interfaces and metadata read so far in ci): finds the
 * capture it continues and loads that capture's carried flows. *out is NULL when there is
 * none; *prev_sha then "" (else the predecessor's sha256, at least 65 bytes). Errors:
 * PD_ERR_DB, PD_ERR_NOMEM with errbuf set.
 */
PD_MUST_CHECK enum pd_err pd_session_open(sqlite3 *db, const struct pd_capinfo *ci,
                                          int first_linktype, int64_t first_ns,
                                          struct pd_session_carry **out, char *prev_sha,
                                          char errbuf[PD_ERRBUF_SIZE]);
void pd_session_carry_free(struct pd_session_carry *c);

/*
 * The carried flow for a new flow whose first packet went src -> dst (proto, ports) at ts, or
 * NULL. *reversed says the carried orientation is dst -> src. A flow is taken once.
 */
const struct pd_carry_flow *pd_session_carry_take(struct pd_session_carry *c, uint8_t proto,
                                                  const struct pd_addr *src, uint16_t sport,
                                                  const struct pd_addr *dst, uint16_t dport,
                                                  int64_t ts, bool *reversed);

/* At the end of capture_id: the carried flows it did not continue that are within the idle
 * timeout of its end (end_ns) go on as its own carried flows (a quiet connection spans files
 * it has no packet in). Call before the flows open at its end are written (they win). Returns
 * SQLITE_DONE or the failing step's code. */
int pd_session_carry_rest(struct pd_session_carry *c, sqlite3_stmt *st, int64_t capture_id,
                          int64_t end_ns);

/* Writes one flow open at the end of capture_id into flow_carry (st from
 * pd_session_carry_prepare). Returns the SQLite result code of the step. */
int pd_session_carry_prepare(sqlite3 *db, sqlite3_stmt **st);
int pd_session_carry_write(sqlite3_stmt *st, int64_t capture_id, const struct pd_carry_flow *f);

/* Stores the session columns of capture_id: run id and sequence from ci, prev_sha ("" none). */
PD_MUST_CHECK enum pd_err pd_session_note(sqlite3 *db, int64_t capture_id,
                                          const struct pd_capinfo *ci, const char *prev_sha,
                                          char errbuf[PD_ERRBUF_SIZE]);

/*
 * Attribution of capture_id as a session member, in place of pd_names_attribute: links its
 * flows to the capture it continues when ingest could not (captures parsed in parallel),
 * attributes (names.c, with the session's DNS answers), then carries names along continued
 * flows both ways. Runs inside the caller's transaction.
 */
PD_MUST_CHECK enum pd_err pd_session_attribute(sqlite3 *db, int64_t capture_id,
                                               const struct pd_attr_opts *opts,
                                               char errbuf[PD_ERRBUF_SIZE]);

/*
 * For names.c: JSON arrays of the capture ids whose DNS answers count for capture_id: its
 * session (itself and the members before it) and earlier captures of the same subject outside
 * the session. *session is NULL when it is capture_id alone, *earlier NULL when none. free()
 * both.
 */
PD_MUST_CHECK enum pd_err pd_session_answer_scope(sqlite3 *db, int64_t capture_id, char **session,
                                                  char **earlier, char errbuf[PD_ERRBUF_SIZE]);

#endif
