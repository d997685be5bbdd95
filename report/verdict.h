/*
 * verdict.h - what every report format opens with (report/verdict.c): the policy violations,
 * the share of traffic no name explains, the findings by severity; and the small explanations
 * the writers share (why a name is only medium or low, the evidence mix of a group, plurals,
 * durations, captures by file name). Internal to report/.
 */
#ifndef PD_VERDICT_H
#define PD_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* A name or an unnamed address in violation of the policy. */
struct pd_rm_viol {
	const char *what; /* the name, or the address (unnamed) */
	const char *rule; /* the matching policy line, or NULL (no rule allowed it) */
	bool address;
	int64_t flows, bytes;
};

struct pd_rm_verdict {
	size_t violations; /* distinct names + unnamed addresses in violation */
	int64_t flows, bytes, unres_flows, unres_bytes;
	size_t warnings, infos, others; /* findings (rows) by severity */
	int64_t warning_events;         /* their counts summed */
	size_t low, medium;             /* destinations whose best confidence is low / medium */
};

void pd_rm_verdict_get(const struct pd_model *m, struct pd_rm_verdict *v);

/* Up to max violations into out (names by destination order, then addresses); the total. */
size_t pd_rm_violations(const struct pd_model *m, struct pd_rm_viol *out, size_t max);

/* Percent of part in whole, "0" for an empty whole, into buf[16]: "79", "0.4", "<0.1". */
const char *pd_rm_pct(int64_t part, int64_t whole, char buf[16]);

/* Why a row's name is medium or low (or "" when high), in words, into buf. */
const char *pd_rm_why(const struct pd_rm_row *r, char *buf, size_t n);

/* "sni 3, dns 1, ptr-capture 1" (flows per evidence, strongest first) into buf. */
const char *pd_rm_evidence_mix(const int64_t ev[PD_RM_N_EVIDENCE], char *buf, size_t n);

/* one when n == 1, else many. */
const char *pd_rm_plural(int64_t n, const char *one, const char *many);

/* "850 ms", "12.4 s", "3 min 05 s", "2 h 04 min" into buf[32]; "" for a negative span. */
const char *pd_rm_duration(int64_t ns, char buf[32]);

/* The file name (after the last '/') of capture id, NULL when not in the model. Untrusted. */
const char *pd_rm_capture_file(const struct pd_model *m, int64_t id);

/* Calls fn(ctx, name) for each capture of a comma-separated id list, by file name (the id
 * itself, as text, when the model has no such capture). */
void pd_rm_capture_files(const struct pd_model *m, const char *ids,
                         void (*fn)(void *ctx, const char *name, size_t i), void *ctx);

/* The row's flows' Community ID (client -> server; "" when it cannot be computed). */
const char *pd_rm_conn_cid(const struct pd_rm_row *r, const struct pd_rm_conn *c, char out[32]);

#endif
