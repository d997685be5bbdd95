/*
 * diff.h - writing the destinations added and removed between two captures or databases
 * (`pcapdomains diff`), in every report format.
 */
#ifndef PD_DIFF_H
#define PD_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* One destination: a name (or an address where none is known), a port and a protocol. */
struct pd_diff_item {
	const char *key;       /* name, or address when unnamed */
	const char *addresses; /* server addresses, ' '-joined */
	uint16_t port;
	const char *proto;
	const char *evidence;
	uint64_t flows, bytes_out, bytes_in;
	int64_t first_ns, last_ns;
};

struct pd_diff {
	const char *old_label, *new_label; /* the inputs as given */
	const struct pd_diff_item *added, *removed;
	size_t n_added, n_removed, n_same;
};

void pd_diff_write(const struct pd_diff *d, enum pd_format fmt, FILE *f);

#endif
