/*
 * fuzz_escape.c - libFuzzer harness for report/escape.c: any bytes (cut at the first NUL, as
 * a C string from a packet would be) through every escaper, and each output checked against
 * the promises in escape.h, which are what keeps a capture from injecting into a report:
 *   all formats: valid UTF-8; no C0 control, DEL, C1 control or bidi override emitted raw;
 *   HTML: no raw < > " ', every & starts a character reference;
 *   CSV:  a quoted field is closed and its quotes doubled; no leading = + - @ TAB CR;
 *   Markdown: every | is backslash-escaped;
 *   JSON: one string, quotes and backslash escapes well formed, no raw < > &;
 *   terminal: pd_esc_term_fit output is exactly the requested number of columns.
 * The first input byte is the width for pd_esc_term_fit; the rest is the string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes one UTF-8 sequence strictly (RFC 3629 section 4); -1 when invalid. */
static long utf8_next(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	unsigned c = *p, n, i;
	unsigned long v, min;

	if (c < 0x80) {
		*pp = p + 1;
		return (long)c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3, v = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (n > (size_t)(end - p - 1))
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*pp = p + n + 1;
	return (long)v;
}

/* The rules every format shares. */
static void check_text(const char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)out, *end = p + len;
	long cp;

	while (p < end) {
		cp = utf8_next(&p, end);
		if (cp < 0)
			abort(); /* invalid UTF-8 emitted */
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			abort(); /* control character emitted raw */
		if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			abort(); /* bidi override emitted raw */
	}
}

static void check_html(const char *o, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (o[i] == '<' || o[i] == '>' || o[i] == '"' || o[i] == '\'')
			abort();
		if (o[i] == '&') {
			/* a reference: &name; or &#digits; or &#xhex; */
			for (j = i + 1; j < n && j < i + 12 && o[j] != ';'; j++)
				if (!((o[j] >= 'a' && o[j] <= 'z') ||
				      (o[j] >= 'A' && o[j] <= 'Z') ||
				      (o[j] >= '0' && o[j] <= '9') || o[j] == '#'))
					abort();
			if (j >= n || o[j] != ';' || j == i + 1)
				abort();
		}
	}
}

static void check_csv(const char *o, size_t n)
{
	size_t i, start = 0;

	if (n && o[0] == '"') {
		if (n < 2 || o[n - 1] != '"')
			abort();
		for (i = 1; i < n - 1; i++) {
			if (o[i] == '"') {
				if (o[i + 1] != '"' || i + 1 == n - 1)
					abort();
				i++;
			}
		}
		start = 1;
	} else {
		for (i = 0; i < n; i++)
			if (o[i] == '"' || o[i] == ',' || o[i] == '\n' || o[i] == '\r')
				abort(); /* needed quoting */
	}
	if (start < n && strchr("=+-@\t\r", o[start]) && o[start] != '\0')
		abort(); /* formula injection */
}

static void check_md(const char *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (o[i] == '\\') {
			i++; /* an escaped character */
			continue;
		}
		if (o[i] == '|')
			abort();
	}
}

static void check_json(const char *o, size_t n)
{
	size_t i, k;

	if (n < 2 || o[0] != '"' || o[n - 1] != '"')
		abort();
	for (i = 1; i < n - 1; i++) {
		if (o[i] == '"' || o[i] == '<' || o[i] == '>' || o[i] == '&')
			abort();
		if (o[i] != '\\')
			continue;
		if (i + 1 >= n - 1)
			abort();
		i++;
		if (o[i] == 'u') {
			for (k = 1; k <= 4; k++)
				if (i + k >= n - 1 || !strchr("0123456789abcdefABCDEF", o[i + k]) ||
				    o[i + k] == '\0')
					abort();
			i += 4;
		} else if (!strchr("\"\\/bfnrt", o[i]) || o[i] == '\0') {
			abort();
		}
	}
}

/* Runs fn(f, s) into memory and returns the output (caller frees); *n its length. */
static char *capture(void (*fn)(FILE *, const char *), const char *s, size_t *n)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);

	if (!f)
		return NULL;
	fn(f, s);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		void (*fn)(FILE *, const char *);
		void (*check)(const char *, size_t);
	} fmts[] = {
		{ pd_esc_html, check_html }, { pd_esc_csv, check_csv }, { pd_esc_md, check_md },
		{ pd_esc_json, check_json }, { pd_esc_term, NULL },
	};
	char *s, *out = NULL;
	size_t width, n, i;
	FILE *f;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	width = data[0];
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		out = capture(fmts[i].fn, s, &n);
		if (!out)
			continue;
		check_text(out, n);
		if (fmts[i].check)
			fmts[i].check(out, n);
		free(out);
	}

	f = open_memstream(&out, &n);
	if (f) {
		pd_esc_term_fit(f, s, width, (int)(width & 1));
		if (fclose(f) == 0) {
			check_text(out, n);
			if (pd_esc_term_width(out) != width)
				abort(); /* not exactly the requested columns */
		}
		free(out);
	}
	free(s);
	return 0;
}
