/*
 * reasm.h - bounded reassembly of one direction of a TCP stream (RFC 9293 sequence space).
 *
 * Segments are placed by sequence number relative to the stream start into a window of at
 * most `max` bytes; out-of-order segments are held until the gap before them is filled,
 * retransmitted bytes are ignored, and nothing is ever guessed across a missing segment: only
 * the contiguous prefix is handed out. The window can slide (pd_reasm_consume) for streams of
 * length-prefixed messages (DNS over TCP). The buffer grows on demand (never past max) and is
 * charged against a shared byte budget so that many half-finished streams cannot exhaust
 * memory.
 */
#ifndef PD_REASM_H
#define PD_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PD_REASM_MAX_HOLES 8 /* out-of-order ranges held beyond the contiguous prefix */

struct pd_reasm_range {
	uint32_t start, end; /* offsets from the window start, end exclusive */
};

struct pd_reasm {
	uint8_t *buf;
	uint32_t cap;    /* allocated bytes */
	uint32_t max;    /* window size limit */
	uint32_t base;   /* sequence number of buf[0] */
	uint32_t contig; /* bytes [0, contig) are present */
	bool have_base;
	bool overflow;     /* a segment fell beyond the window or the budget */
	unsigned n_ranges; /* held ranges beyond contig, sorted, disjoint */
	struct pd_reasm_range ranges[PD_REASM_MAX_HOLES];
	uint64_t *budget; /* shared bytes left for all buffers (NULL: unlimited) */
};

/* Sets up an empty stream with window max; budget may be NULL. No allocation yet. */
void pd_reasm_init(struct pd_reasm *r, uint32_t max, uint64_t *budget);
/* Frees the buffer and gives its bytes back to the budget. */
void pd_reasm_clear(struct pd_reasm *r);

/* The stream's first byte has sequence number seq (SYN's seq + 1). Ignored once set. */
void pd_reasm_set_base(struct pd_reasm *r, uint32_t seq);

/*
 * Adds a segment (seq, data, len). When no base was set the first segment defines it.
 * Returns the number of bytes by which the contiguous prefix grew (0: nothing new to parse).
 */
uint32_t pd_reasm_add(struct pd_reasm *r, uint32_t seq, const uint8_t *data, size_t len);

/* The contiguous prefix: *len bytes at the returned pointer (NULL when empty). */
static inline const uint8_t *pd_reasm_data(const struct pd_reasm *r, uint32_t *len)
{
	*len = r->contig;
	return r->contig ? r->buf : NULL;
}

/* Drops the first n bytes of the contiguous prefix (n <= contig), sliding the window. */
void pd_reasm_consume(struct pd_reasm *r, uint32_t n);

#endif
