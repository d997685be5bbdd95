/*
 * escape.h - the one place where untrusted strings (names, SNI, Host, comments, paths: all of
 * it may come from a packet or a file) are made safe for an output format. Every writer in
 * report/ prints packet-derived text only through these functions.
 *
 * Common rules: invalid UTF-8 (overlong forms, surrogates, code points above U+10FFFF,
 * truncated or stray continuation bytes) never reaches the output: each bad byte becomes
 * U+FFFD, or \xHH where the format is ASCII-only (the terminal). Control characters (C0, DEL,
 * C1) and bidirectional overrides (U+202A..U+202E, U+2066..U+2069, "Trojan Source") are never
 * emitted raw: they are shown visibly as \xHH (C0, DEL) or \uHHHH (C1, bidi), in JSON as
 * \u00HH escapes.
 */
#ifndef PD_ESCAPE_H
#define PD_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* HTML text and attribute values: & < > " ' as entities. NULL prints nothing. */
void pd_esc_html(FILE *f, const char *s);
/*
 * One CSV field (RFC 4180): quoted when it holds , " or a space at either end; a leading
 * = + - @ TAB CR gets a ' prefix (spreadsheet formula injection). NULL prints an empty field.
 */
void pd_esc_csv(FILE *f, const char *s);
/* Markdown table cell text: metacharacters backslash-escaped, | escaped, newlines visible. */
void pd_esc_md(FILE *f, const char *s);
/* A JSON string including the quotes; NULL prints null. < > & are \u escaped too, so the
 * output can be embedded in HTML. */
void pd_esc_json(FILE *f, const char *s);
/* Terminal text: control characters (ESC...) shown as \xHH, invalid UTF-8 as \xHH. */
void pd_esc_term(FILE *f, const char *s);
/* Display columns pd_esc_term would use for s (for fitting table widths). */
size_t pd_esc_term_width(const char *s);
/*
 * Terminal text fitted to exactly width columns: padded with spaces, or cut with a trailing
 * '~' when longer (never cutting inside an escape or a UTF-8 sequence). right aligns right.
 */
void pd_esc_term_fit(FILE *f, const char *s, size_t width, int right);

#endif
