/*
 * escape.c - untrusted text made safe for HTML, CSV, Markdown, JSON and the terminal
 * (escape.h states the rules).
 *
 * Specs: UTF-8 per RFC 3629 section 4 (the well-formed byte sequences table: no overlongs, no
 * surrogates, nothing above U+10FFFF); HTML character references (HTML Living Standard 13.1.4);
 * CSV per RFC 4180 section 2 plus the OWASP "CSV injection" neutralisation (a leading
 * = + - @ TAB CR is prefixed with '); GitHub-flavoured Markdown backslash escapes (any ASCII
 * punctuation) and table cells (| must be escaped); JSON strings per RFC 8259 section 7.
 *
 * Assumes: input strings are NUL-terminated; anything else about them may be hostile.
 */
#include <stdint.h>
#include <string.h>

#include "escape.h"

enum cls {
	C_OK,      /* printable, passes through */
	C_BAD,     /* invalid UTF-8 byte */
	C_CTRL,    /* C0 or DEL */
	C_C1,      /* U+0080..U+009F */
	C_BIDI,    /* bidirectional override / isolate */
	C_LINESEP, /* U+2028, U+2029: valid text, but line breaks for JavaScript */
};

/*
 * Decodes one UTF-8 sequence at s (s[0] != 0). Returns its length and the code point in *cp;
 * an invalid sequence consumes one byte and sets *cp = -1. The NUL terminator is never a
 * continuation byte, so reads stop at the end of the string.
 */
static size_t utf8_dec(const unsigned char *s, int32_t *cp)
{
	unsigned c = s[0], n, i;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*cp = -1; /* continuation byte, C0/C1 overlong lead, F5..FF */
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		*cp = -1;
		return 1;
	}
	*cp = (int32_t)v;
	return n;
}

static enum cls classify(int32_t cp)
{
	if (cp < 0)
		return C_BAD;
	if (cp < 0x20 || cp == 0x7f)
		return C_CTRL;
	if (cp >= 0x80 && cp <= 0x9f)
		return C_C1;
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	    cp == 0x200f || cp == 0x061c)
		return C_BIDI;
	if (cp == 0x2028 || cp == 0x2029)
		return C_LINESEP;
	return C_OK;
}

/* The visible form used by the text formats (HTML, CSV, Markdown) for what cannot pass. */
static void put_visible(FILE *f, enum cls k, int32_t cp)
{
	if (k == C_BAD)
		fputs("\xef\xbf\xbd", f); /* U+FFFD */
	else if (k == C_CTRL)
		fprintf(f, "\\x%02x", (unsigned)cp);
	else
		fprintf(f, "\\u%04x", (unsigned)cp);
}

/*
 * Writes the run of printable ASCII at p that holds none of special (the format's characters
 * to escape) with one fwrite, and returns its length: per-character fwrite calls were most of
 * the time of writing a JSON report.
 */
static size_t put_run(FILE *f, const unsigned char *p, const char *special)
{
	size_t n = 0;

	while (p[n] >= 0x20 && p[n] < 0x7f && !strchr(special, p[n]))
		n++;
	if (n)
		fwrite(p, 1, n, f);
	return n;
}

/* One code point a format escaper writes: its bytes p[0..n), its value and class. */
typedef void (*put_cp_fn)(FILE *f, const unsigned char *p, size_t n, int32_t cp, enum cls k);

/* The walk every format escaper shares: plain runs as they are, every other code point
 * through put_cp. */
static void esc_walk(FILE *f, const char *s, const char *special, put_cp_fn put_cp)
{
	const unsigned char *p = (const unsigned char *)s;
	int32_t cp;
	size_t n;

	while (*p) {
		if ((n = put_run(f, p, special))) {
			p += n;
			continue;
		}
		n = utf8_dec(p, &cp);
		put_cp(f, p, n, cp, classify(cp));
		p += n;
	}
}

static void html_cp(FILE *f, const unsigned char *p, size_t n, int32_t cp, enum cls k)
{
	if (k != C_OK && k != C_LINESEP) {
		put_visible(f, k, cp);
		return;
	}
	switch (cp) {
	case '&':
		fputs("&amp;", f);
		break;
	case '<':
		fputs("&lt;", f);
		break;
	case '>':
		fputs("&gt;", f);
		break;
	case '"':
		fputs("&quot;", f);
		break;
	case '\'':
		fputs("&#39;", f);
		break;
	default:
		fwrite(p, 1, n, f);
	}
}

void pd_esc_html(FILE *f, const char *s)
{
	if (s)
		esc_walk(f, s, "&<>\"'", html_cp);
}

static void csv_cp(FILE *f, const unsigned char *p, size_t n, int32_t cp, enum cls k)
{
	if (k != C_OK && k != C_LINESEP) {
		put_visible(f, k, cp);
		return;
	}
	if (cp == '"')
		fputc('"', f);
	fwrite(p, 1, n, f);
}

void pd_esc_csv(FILE *f, const char *s)
{
	size_t len;
	int quote;

	if (!s || !*s)
		return;
	len = strlen(s);
	quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[len - 1] == ' ';
	if (quote)
		fputc('"', f);
	if (strchr("=+-@\t\r", s[0]))
		fputc('\'', f);
	esc_walk(f, s, "\"", csv_cp);
	if (quote)
		fputc('"', f);
}

static void md_cp(FILE *f, const unsigned char *p, size_t n, int32_t cp, enum cls k)
{
	if (k != C_OK)
		put_visible(f, k, cp);
	else if (cp == '<')
		fputs("&lt;", f);
	else if (cp == '>')
		fputs("&gt;", f);
	else if (cp == '&')
		fputs("&amp;", f);
	else if (cp < 0x80 && strchr("\\`*_{}[]()#+!|~$", (int)cp))
		fprintf(f, "\\%c", (char)cp);
	else
		fwrite(p, 1, n, f);
}

void pd_esc_md(FILE *f, const char *s)
{
	if (s)
		esc_walk(f, s, "<>&\\`*_{}[]()#+!|~$", md_cp);
}

static void json_cp(FILE *f, const unsigned char *p, size_t n, int32_t cp, enum cls k)
{
	if (k == C_BAD) {
		fputs("\\ufffd", f);
	} else if (k != C_OK) {
		switch (cp) {
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			fprintf(f, "\\u%04x", (unsigned)cp);
		}
	} else if (cp == '"' || cp == '\\') {
		fputc('\\', f);
		fputc((int)cp, f);
	} else if (cp == '<' || cp == '>' || cp == '&') {
		fprintf(f, "\\u%04x", (unsigned)cp);
	} else {
		fwrite(p, 1, n, f);
	}
}

void pd_esc_json(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	esc_walk(f, s, "\"\\<>&", json_cp);
	fputc('"', f);
}

/* Columns a printable code point takes: 0 for combining marks, 2 for East Asian wide. */
static size_t cp_cols(int32_t cp)
{
	if ((cp >= 0x300 && cp <= 0x36f) || cp == 0x200b || cp == 0x200c || cp == 0x200d ||
	    (cp >= 0xfe00 && cp <= 0xfe0f))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/*
 * One terminal token at p: writes its output form into buf (NUL-terminated, at most 17
 * bytes), its display columns into *cols, and returns the input bytes consumed. Everything
 * that is not printable text becomes \xHH per input byte, so the output is pure text.
 */
static size_t term_tok(const unsigned char *p, char buf[20], size_t *cols)
{
	int32_t cp;
	size_t n = utf8_dec(p, &cp), i;
	enum cls k = classify(cp);

	if (k == C_OK) {
		memcpy(buf, p, n);
		buf[n] = 0;
		*cols = cp_cols(cp);
	} else {
		for (i = 0; i < n; i++)
			snprintf(buf + 4 * i, 5, "\\x%02x", p[i]);
		*cols = 4 * n;
	}
	return n;
}

void pd_esc_term(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char buf[20];
	size_t cols;

	if (!s)
		return;
	while (*p) {
		p += term_tok(p, buf, &cols);
		fputs(buf, f);
	}
}

size_t pd_esc_term_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char buf[20];
	size_t cols, w = 0;

	if (!s)
		return 0;
	while (*p) {
		p += term_tok(p, buf, &cols);
		w += cols;
	}
	return w;
}

void pd_esc_term_fit(FILE *f, const char *s, size_t width, int right)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t total = pd_esc_term_width((const char *)p), used = 0, cols, n;
	char buf[20];

	if (total <= width) {
		if (right)
			fprintf(f, "%*s", (int)(width - total), "");
		pd_esc_term(f, (const char *)p);
		if (!right)
			fprintf(f, "%*s", (int)(width - total), "");
		return;
	}
	if (width == 0)
		return;
	while (*p) {
		n = term_tok(p, buf, &cols);
		if (used + cols > width - 1)
			break;
		fputs(buf, f);
		used += cols;
		p += n;
	}
	fputc('~', f);
	fprintf(f, "%*s", (int)(width - 1 - used), "");
}
