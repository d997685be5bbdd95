/*
 * escape.h - the one place where untrusted strings (names, SNI, Host, comments, paths: all of
 * it may come from a packet or a file) are made safe for an output format. Every writer in
 * report/ prints packet-derived text only through these functions.
 *
 * Common rules: invalid UTF-8 never reaches the output (each bad byte becomes U+FFFD, or \xHH
 * where the format is ASCII-only); control characters (C0, DEL, C1) are never emitted raw.
 */
#ifndef PD_ESCAPE_H
#define PD_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* HTML text and attribute values: & < > " ' as entities. NULL prints nothing. */
void pd_esc_html(FILE *f, const char *s);
/* One CSV field (RFC 4180): quoted when needed; a leading = + - @ TAB CR gets a ' prefix. */
void pd_esc_csv(FILE *f, const char *s);
/* Markdown table cell text: metacharacters backslash-escaped, | escaped, newlines as spaces. */
void pd_esc_md(FILE *f, const char *s);
/* A JSON string including the quotes; NULL prints null. */
void pd_esc_json(FILE *f, const char *s);
/* Terminal text: control characters (ESC...) shown as \xHH, invalid UTF-8 as \xHH. */
void pd_esc_term(FILE *f, const char *s);
/* Display columns pd_esc_term would use for s (for fitting table widths). */
size_t pd_esc_term_width(const char *s);

#endif
