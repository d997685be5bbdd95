/*
 * reasm.c - bounded TCP stream reassembly, see reasm.h.
 *
 * Sequence numbers wrap (RFC 9293 3.4): offsets are computed as the signed 32-bit difference
 * from the window start, so a segment before the window (a retransmission of consumed bytes)
 * has a negative offset and is trimmed. Bytes already present are never overwritten: the first
 * copy wins, so a retransmission with different content cannot change what was parsed.
 */
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

void pd_reasm_init(struct pd_reasm *r, uint32_t max, uint64_t *budget)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	r->budget = budget;
}

void pd_reasm_clear(struct pd_reasm *r)
{
	if (r->buf && r->budget)
		*r->budget += r->cap;
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
	r->contig = 0;
	r->n_ranges = 0;
}

void pd_reasm_set_base(struct pd_reasm *r, uint32_t seq)
{
	if (r->have_base)
		return;
	r->base = seq;
	r->have_base = true;
}

/* Makes the buffer at least need bytes (need <= max); false when out of memory/budget. */
static bool reserve(struct pd_reasm *r, uint32_t need)
{
	uint32_t ncap;
	uint8_t *nb;

	if (need <= r->cap)
		return true;
	ncap = r->cap ? r->cap : 2048;
	while (ncap < need)
		ncap *= 2;
	if (ncap > r->max)
		ncap = r->max;
	if (r->budget && (uint64_t)(ncap - r->cap) > *r->budget)
		return false;
	nb = realloc(r->buf, ncap);
	if (!nb)
		return false;
	if (r->budget)
		*r->budget -= ncap - r->cap;
	r->buf = nb;
	r->cap = ncap;
	return true;
}

/* Copies the parts of [off, off+len) not yet present into buf. */
static void copy_new(struct pd_reasm *r, uint32_t off, const uint8_t *data, uint32_t len)
{
	uint32_t end = off + len, pos = off;
	unsigned i;

	if (pos < r->contig)
		pos = r->contig;
	for (i = 0; i < r->n_ranges && pos < end; i++) {
		const struct pd_reasm_range *g = &r->ranges[i];

		if (g->end <= pos)
			continue;
		if (g->start >= end)
			break;
		if (g->start > pos)
			memcpy(r->buf + pos, data + (pos - off), g->start - pos);
		pos = g->end;
	}
	if (pos < end)
		memcpy(r->buf + pos, data + (pos - off), end - pos);
}

/* Records [start, end) as present and merges; false when too many holes. */
static bool add_range(struct pd_reasm *r, uint32_t start, uint32_t end)
{
	unsigned i;
	bool merged = false;

	if (start <= r->contig) {
		if (end > r->contig)
			r->contig = end;
	} else {
		/* widen the first range it overlaps or touches (order by start is kept) */
		for (i = 0; i < r->n_ranges && !merged; i++) {
			struct pd_reasm_range *g = &r->ranges[i];

			if (start <= g->end && end >= g->start) {
				if (start < g->start)
					g->start = start;
				if (end > g->end)
					g->end = end;
				merged = true;
			}
		}
		if (!merged) {
			if (r->n_ranges == PD_REASM_MAX_HOLES)
				return false;
			for (i = 0; i < r->n_ranges && r->ranges[i].start < start; i++)
				;
			memmove(&r->ranges[i + 1], &r->ranges[i],
			        (r->n_ranges - i) * sizeof(r->ranges[0]));
			r->ranges[i].start = start;
			r->ranges[i].end = end;
			r->n_ranges++;
		}
		for (i = 0; i + 1 < r->n_ranges;) {
			if (r->ranges[i + 1].start <= r->ranges[i].end) {
				if (r->ranges[i + 1].end > r->ranges[i].end)
					r->ranges[i].end = r->ranges[i + 1].end;
				memmove(&r->ranges[i + 1], &r->ranges[i + 2],
				        (r->n_ranges - i - 2) * sizeof(r->ranges[0]));
				r->n_ranges--;
			} else {
				i++;
			}
		}
	}
	/* absorb held ranges that now touch the contiguous prefix */
	while (r->n_ranges && r->ranges[0].start <= r->contig) {
		if (r->ranges[0].end > r->contig)
			r->contig = r->ranges[0].end;
		memmove(&r->ranges[0], &r->ranges[1], (r->n_ranges - 1) * sizeof(r->ranges[0]));
		r->n_ranges--;
	}
	return true;
}

uint32_t pd_reasm_add(struct pd_reasm *r, uint32_t seq, const uint8_t *data, size_t len)
{
	int32_t rel;
	uint32_t off, n, before = r->contig;

	if (!len)
		return 0;
	if (!r->have_base)
		pd_reasm_set_base(r, seq);
	rel = (int32_t)(seq - r->base);
	if (rel < 0) {
		/* starts before the window: keep only the part inside it */
		uint32_t skip = (uint32_t)(-(int64_t)rel);
		if (skip >= len)
			return 0;
		data += skip;
		len -= skip;
		rel = 0;
	}
	off = (uint32_t)rel;
	if (off >= r->max) {
		r->overflow = true;
		return 0;
	}
	n = len > (size_t)(r->max - off) ? r->max - off : (uint32_t)len;
	if (n < len)
		r->overflow = true;
	if (off + n <= r->contig)
		return 0; /* retransmission of bytes already held */
	if (!reserve(r, off + n)) {
		r->overflow = true;
		return 0;
	}
	copy_new(r, off, data, n);
	if (!add_range(r, off, off + n)) {
		r->overflow = true;
		return 0;
	}
	return r->contig - before;
}

void pd_reasm_consume(struct pd_reasm *r, uint32_t n)
{
	unsigned i;
	uint32_t last;

	if (n > r->contig)
		n = r->contig;
	if (!n)
		return;
	last = r->n_ranges ? r->ranges[r->n_ranges - 1].end : r->contig;
	memmove(r->buf, r->buf + n, last - n);
	r->contig -= n;
	for (i = 0; i < r->n_ranges; i++) {
		r->ranges[i].start -= n;
		r->ranges[i].end -= n;
	}
	r->base += n;
}
