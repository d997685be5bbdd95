/*
 * diff.h - writing the destinations added and removed between two captures or databases
 * (`pcapdomains diff`), in every report format.
 */
#ifndef PD_DIFF_H
#define PD_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "report.h"

/* One destination: a name (or an address where none is known), a port and a protocol. */
struct pd_diff_item {
	const char *key; /* name, or address when unnamed */
	char *addresses; /* server addresses, ' '-joined (owned by folded items) */
	uint16_t port;
	const char *proto;
	const char *evidence;
	uint64_t flows, bytes_out, bytes_in;
	int64_t first_ns, last_ns;
};

struct pd_diff {
	const char *old_label, *new_label;    /* the inputs as given */
	struct pd_diff_item *added, *removed; /* owned: pd_diff_clear */
	size_t n_added, n_removed, n_same;
};

/*
 * Folds rows, one per (key, server address, port, protocol) with `addresses` holding that one
 * address, into items, one per (key, port, protocol) with keys compared case-insensitively:
 * addresses ' '-joined (each once), the strongest evidence, counts summed, times widened.
 * Sorts rows in place. *out (free with pd_diff_items_free) points into rows' strings, except
 * each item's addresses, which it owns. Returns PD_OK or PD_ERR_NOMEM.
 */
PD_MUST_CHECK enum pd_err pd_diff_fold(struct pd_diff_item *rows, size_t n,
                                       struct pd_diff_item **out, size_t *n_out);
void pd_diff_items_free(struct pd_diff_item *items, size_t n);

/*
 * Compares two folded lists: d->added what new has and old has not, d->removed the reverse
 * (arrays of copies, free with pd_diff_clear), d->n_same the rest. Labels are left alone.
 */
PD_MUST_CHECK enum pd_err pd_diff_compare(const struct pd_diff_item *old, size_t n_old,
                                          const struct pd_diff_item *new_items, size_t n_new,
                                          struct pd_diff *d);
void pd_diff_clear(struct pd_diff *d);

/* Rank of an evidence name, strongest first (sni = 0); unknown ones rank last. */
int pd_diff_evidence_rank(const char *evidence);

void pd_diff_write(const struct pd_diff *d, enum pd_format fmt, FILE *f);

#endif
