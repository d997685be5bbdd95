/*
 * fuzz_escape.c - libFuzzer harness for report/escape.c: any bytes through all five escapers,
 * and each output checked against the promises of escape.h (aborting when one is broken):
 *   - every output is valid UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF);
 *   - no C0 control, DEL, C1 control or bidi override is ever emitted raw;
 *   - HTML: no raw < > " ' (data can never open a tag or leave an attribute), every & starts
 *     one of the five entities the escaper writes;
 *   - CSV: the field parses back by RFC 4180 section 2 (quoted with doubled quotes, or
 *     unquoted without , " CR LF) and never starts with a formula character;
 *   - Markdown: no raw | < > and no line break (a cell stays one cell);
 *   - JSON: one well-formed string (RFC 8259 section 7) with no raw < > & U+2028 U+2029;
 *   - terminal: printable ASCII or valid UTF-8 text only (no ESC), pd_esc_term_width() equals
 *     the columns of what pd_esc_term() wrote, and pd_esc_term_fit() fills exactly width;
 *   - for clean input (valid UTF-8 without controls or bidi), unescaping HTML, CSV and JSON
 *     gives back the input exactly (the ' formula prefix aside).
 *
 * Input: byte 0 = width for pd_esc_term_fit (its low bit = right-aligned), the rest is the
 * string (cut at the first NUL, as C strings from the report model are).
 * The checks below are written independently of escape.c (their own UTF-8 decoder).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_escape: %s:%d: %s failed\n", __FILE__, __LINE__,     \
			        #c);                                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Strict UTF-8 decode of one sequence; returns its length, or 0 when invalid. */
static size_t dec(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int bidi(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	       c == 0x200f || c == 0x061c;
}

static int control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

/* Valid UTF-8 with no control or bidi code point; *cols gets the code point count. */
static void check_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		l = dec(p + i, n - i, &cp);
		CHECK(l != 0);
		CHECK(!control(cp));
		CHECK(!bidi(cp));
		i += l;
	}
}

/* Clean input: what every escaper must pass through unchanged (after unescaping). */
static int clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;
	uint32_t cp;

	while (i < n) {
		l = dec(p + i, n - i, &cp);
		if (!l || control(cp) || bidi(cp) || cp == 0x2028 || cp == 0x2029)
			return 0;
		i += l;
	}
	return 1;
}

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	CHECK(o->f != NULL);
}

static void out_close(struct out *o)
{
	CHECK(fclose(o->f) == 0);
	CHECK(strlen(o->buf) == o->len); /* no NUL byte written */
}

static void fuzz_html(const char *s, int is_clean)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char lit[] = "&<>\"'";
	struct out o;
	char *back, *w;
	size_t i, k;

	out_open(&o);
	pd_esc_html(o.f, s);
	out_close(&o);
	check_text(o.buf, o.len);
	CHECK(!strpbrk(o.buf, "<>\"'"));
	back = malloc(o.len + 1);
	CHECK(back != NULL);
	for (i = 0, w = back; i < o.len;) {
		if (o.buf[i] != '&') {
			*w++ = o.buf[i++];
			continue;
		}
		for (k = 0; k < 5 && strncmp(o.buf + i, ent[k], strlen(ent[k])); k++)
			;
		CHECK(k < 5);
		*w++ = lit[k];
		i += strlen(ent[k]);
	}
	*w = 0;
	if (is_clean)
		CHECK(strcmp(back, s) == 0);
	free(back);
	free(o.buf);
}

static void fuzz_csv(const char *s, int is_clean)
{
	struct out o;
	char *back, *w;
	const char *v;
	size_t i;

	out_open(&o);
	pd_esc_csv(o.f, s);
	out_close(&o);
	check_text(o.buf, o.len);
	back = malloc(o.len + 1);
	CHECK(back != NULL);
	w = back;
	if (o.len && o.buf[0] == '"') {
		/* quoted: "..." with "" for a quote and nothing after the closing quote */
		for (i = 1;; i++) {
			CHECK(i < o.len);
			if (o.buf[i] == '"') {
				if (i + 1 < o.len && o.buf[i + 1] == '"') {
					*w++ = '"';
					i++;
					continue;
				}
				CHECK(i + 1 == o.len);
				break;
			}
			*w++ = o.buf[i];
		}
	} else {
		CHECK(!strpbrk(o.buf, ",\"\r\n"));
		memcpy(w, o.buf, o.len);
		w += o.len;
	}
	*w = 0;
	CHECK(!back[0] || !strchr("=+-@\t\r", back[0]));
	if (is_clean) {
		v = back;
		if (s[0] && strchr("=+-@", s[0])) {
			CHECK(back[0] == '\'');
			v++;
		}
		CHECK(strcmp(v, s) == 0);
	}
	free(back);
	free(o.buf);
}

static void fuzz_md(const char *s)
{
	struct out o;
	size_t i;

	out_open(&o);
	pd_esc_md(o.f, s);
	out_close(&o);
	check_text(o.buf, o.len);
	CHECK(!strpbrk(o.buf, "<>"));
	/* every | is escaped by a backslash that is not itself escaped */
	for (i = 0; i < o.len; i++) {
		if (o.buf[i] == '\\') {
			CHECK(i + 1 < o.len);
			i++;
		} else {
			CHECK(o.buf[i] != '|' && o.buf[i] != '`');
		}
	}
	free(o.buf);
}

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	CHECK(!"hex digit");
	return 0;
}

/* Appends code point cp as UTF-8. */
static char *put_utf8(char *w, uint32_t cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | cp >> 6);
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xe0 | cp >> 12);
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

static void fuzz_json(const char *s, int is_clean)
{
	struct out o;
	char *back, *w;
	size_t i, l;
	uint32_t cp;

	out_open(&o);
	pd_esc_json(o.f, s);
	out_close(&o);
	if (!s) {
		CHECK(strcmp(o.buf, "null") == 0);
		free(o.buf);
		return;
	}
	check_text(o.buf, o.len);
	CHECK(o.len >= 2 && o.buf[0] == '"' && o.buf[o.len - 1] == '"');
	back = malloc(3 * o.len + 1);
	CHECK(back != NULL);
	for (i = 1, w = back; i < o.len - 1;) {
		unsigned char c = (unsigned char)o.buf[i];

		CHECK(c != '"' && c != '<' && c != '>' && c != '&');
		if (c != '\\') {
			l = dec((const unsigned char *)o.buf + i, o.len - 1 - i, &cp);
			CHECK(l != 0);
			CHECK(cp != 0x2028 && cp != 0x2029);
			memcpy(w, o.buf + i, l);
			w += l;
			i += l;
			continue;
		}
		CHECK(i + 1 < o.len - 1);
		switch (o.buf[i + 1]) {
		case '"':
		case '\\':
		case '/':
			*w++ = o.buf[i + 1];
			i += 2;
			break;
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			*w++ = '?'; /* a control character: never part of clean input */
			i += 2;
			break;
		case 'u':
			CHECK(i + 6 <= o.len - 1);
			cp = hexval(o.buf[i + 2]) << 12 | hexval(o.buf[i + 3]) << 8 |
			     hexval(o.buf[i + 4]) << 4 | hexval(o.buf[i + 5]);
			CHECK(cp < 0xd800 ||
			      cp > 0xdfff); /* the escaper writes no surrogate pairs */
			w = put_utf8(w, cp);
			i += 6;
			break;
		default:
			CHECK(!"valid JSON escape");
		}
	}
	*w = 0;
	if (is_clean)
		CHECK(strcmp(back, s) == 0);
	free(back);
	free(o.buf);
}

/* Columns of terminal output, counted as escape.c's contract says (independently). */
static void fuzz_term(const char *s, size_t width, int right)
{
	struct out o;
	size_t i, l;
	uint32_t cp;

	out_open(&o);
	pd_esc_term(o.f, s);
	out_close(&o);
	check_text(o.buf, o.len);
	for (i = 0; i < o.len; i += l) {
		l = dec((const unsigned char *)o.buf + i, o.len - i, &cp);
		CHECK(l != 0 && cp != 0x2028 && cp != 0x2029);
	}
	/* the output is plain text: measuring it again gives the same width */
	CHECK(pd_esc_term_width(o.buf) == pd_esc_term_width(s));
	if (s && clean(s))
		CHECK(strcmp(o.buf, s) == 0);
	free(o.buf);

	out_open(&o);
	pd_esc_term_fit(o.f, s, width, right);
	out_close(&o);
	check_text(o.buf, o.len);
	CHECK(pd_esc_term_width(o.buf) == width);
	free(o.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int is_clean;
	size_t width;

	if (size < 1)
		return 0;
	width = data[0] >> 1;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	is_clean = clean(s);
	fuzz_html(s, is_clean);
	fuzz_csv(s, is_clean);
	fuzz_md(s);
	fuzz_json(s, is_clean);
	fuzz_json(NULL, 0);
	fuzz_term(s, width, data[0] & 1);
	fuzz_term(NULL, width, 0);
	free(s);
	return 0;
}
