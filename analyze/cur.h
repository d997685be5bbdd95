/*
 * cur.h - the byte cursor through which every parser reads hostile bytes.
 *
 * A cursor spans [p, end) of one message; base is the message start (DNS compression offsets).
 * The error is sticky: the first failed read sets err and every later read returns 0 and
 * consumes nothing, so a parser does a run of reads and checks c->err once.
 * Bounds are compared as `n > (size_t)(end - p)`, never by forming p + n past end.
 * Spans returned by pd_cur_bytes()/pd_cur_sub() point into the caller's buffer.
 */
#ifndef PD_CUR_H
#define PD_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

struct pd_cur {
	const uint8_t *base; /* start of the message (DNS compression offsets) */
	const uint8_t *p;    /* next unread byte */
	const uint8_t *end;  /* one past the last captured byte */
	enum pd_err err;     /* first failure; once set, reads return 0 */
};

static inline struct pd_cur pd_cur_make(const uint8_t *buf, size_t len)
{
	struct pd_cur c = { buf, buf, buf + len, PD_OK };
	return c;
}

static inline size_t pd_cur_left(const struct pd_cur *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline size_t pd_cur_offset(const struct pd_cur *c)
{
	return (size_t)(c->p - c->base);
}

/* Fails with PD_ERR_TRUNCATED unless n bytes remain; returns 1 when they do. */
static inline int pd_cur_need(struct pd_cur *c, size_t n)
{
	if (c->err)
		return 0;
	if (n > (size_t)(c->end - c->p)) {
		c->err = PD_ERR_TRUNCATED;
		return 0;
	}
	return 1;
}

/* Marks the cursor failed with err unless it already failed (first error wins). */
static inline void pd_cur_fail(struct pd_cur *c, enum pd_err err)
{
	if (!c->err)
		c->err = err;
}

static inline uint8_t pd_cur_u8(struct pd_cur *c)
{
	if (!pd_cur_need(c, 1))
		return 0;
	return *c->p++;
}

static inline uint16_t pd_cur_be16(struct pd_cur *c)
{
	uint16_t v;
	if (!pd_cur_need(c, 2))
		return 0;
	v = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint32_t pd_cur_be24(struct pd_cur *c)
{
	uint32_t v;
	if (!pd_cur_need(c, 3))
		return 0;
	v = ((uint32_t)c->p[0] << 16) | ((uint32_t)c->p[1] << 8) | c->p[2];
	c->p += 3;
	return v;
}

static inline uint32_t pd_cur_be32(struct pd_cur *c)
{
	uint32_t v;
	if (!pd_cur_need(c, 4))
		return 0;
	v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) |
	    c->p[3];
	c->p += 4;
	return v;
}

static inline uint64_t pd_cur_be64(struct pd_cur *c)
{
	uint64_t hi = pd_cur_be32(c);
	uint64_t lo = pd_cur_be32(c);
	return (hi << 32) | lo;
}

static inline uint16_t pd_cur_le16(struct pd_cur *c)
{
	uint16_t v;
	if (!pd_cur_need(c, 2))
		return 0;
	v = (uint16_t)(c->p[0] | (c->p[1] << 8));
	c->p += 2;
	return v;
}

static inline uint32_t pd_cur_le32(struct pd_cur *c)
{
	uint32_t v;
	if (!pd_cur_need(c, 4))
		return 0;
	v = c->p[0] | ((uint32_t)c->p[1] << 8) | ((uint32_t)c->p[2] << 16) |
	    ((uint32_t)c->p[3] << 24);
	c->p += 4;
	return v;
}

static inline uint64_t pd_cur_le64(struct pd_cur *c)
{
	uint64_t lo = pd_cur_le32(c);
	uint64_t hi = pd_cur_le32(c);
	return (hi << 32) | lo;
}

/* QUIC variable-length integer (RFC 9000 section 16). */
static inline uint64_t pd_cur_varint(struct pd_cur *c)
{
	uint64_t v;
	size_t n, i;
	if (!pd_cur_need(c, 1))
		return 0;
	n = (size_t)1 << (c->p[0] >> 6);
	if (!pd_cur_need(c, n))
		return 0;
	v = c->p[0] & 0x3f;
	for (i = 1; i < n; i++)
		v = (v << 8) | c->p[i];
	c->p += n;
	return v;
}

static inline void pd_cur_skip(struct pd_cur *c, size_t n)
{
	if (pd_cur_need(c, n))
		c->p += n;
}

/* Returns a pointer to the next n bytes and consumes them, or NULL (and err set). */
static inline const uint8_t *pd_cur_bytes(struct pd_cur *c, size_t n)
{
	const uint8_t *s;
	if (!pd_cur_need(c, n))
		return NULL;
	s = c->p;
	c->p += n;
	return s;
}

/* Copies n bytes out; on failure dst is zeroed. */
static inline void pd_cur_copy(struct pd_cur *c, void *dst, size_t n)
{
	const uint8_t *s = pd_cur_bytes(c, n);
	if (s)
		memcpy(dst, s, n);
	else
		memset(dst, 0, n);
}

/*
 * A sub-cursor over the next n bytes (a length-prefixed field), consumed from c. It shares c's
 * base. If fewer than n bytes remain, c fails with PD_ERR_TRUNCATED and the sub-cursor is
 * empty and failed the same way.
 */
static inline struct pd_cur pd_cur_sub(struct pd_cur *c, size_t n)
{
	struct pd_cur s = { c->base, c->p, c->p, PD_OK };
	if (!pd_cur_need(c, n)) {
		s.err = c->err;
		return s;
	}
	s.end = c->p + n;
	c->p += n;
	return s;
}

#endif
