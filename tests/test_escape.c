/*
 * test_escape.c - report/escape.c: every output format's escaping of untrusted text, with
 * valid text, truncated UTF-8 sequences and hostile strings.
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "testutil.h"

/* Runs fn on s into a string (free() it). */
static char *esc(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, s);
	fclose(f);
	return buf;
}

#define CHECK_ESC(fn, in, want)                                                                    \
	do {                                                                                       \
		char *got_ = esc(fn, in);                                                          \
		ck_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

static void fit10(FILE *f, const char *s)
{
	pd_esc_term_fit(f, s, 10, 0);
}

static void fit6r(FILE *f, const char *s)
{
	pd_esc_term_fit(f, s, 6, 1);
}

START_TEST(valid)
{
	/* Plain names pass unchanged everywhere. */
	CHECK_ESC(pd_esc_html, "www.example.com", "www.example.com");
	CHECK_ESC(pd_esc_csv, "www.example.com", "www.example.com");
	CHECK_ESC(pd_esc_md, "www.example.com", "www.example.com");
	CHECK_ESC(pd_esc_json, "www.example.com", "\"www.example.com\"");
	CHECK_ESC(pd_esc_term, "www.example.com", "www.example.com");
	/* Valid multi-byte UTF-8 (2, 3 and 4 bytes) passes. */
	CHECK_ESC(pd_esc_html, "b\xc3\xbc\x63her.de \xe2\x82\xac \xf0\x9f\x98\x80",
	          "b\xc3\xbc\x63her.de \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK_ESC(pd_esc_json, "\xc3\xbc", "\"\xc3\xbc\"");
	CHECK_ESC(pd_esc_term, "\xc3\xbc", "\xc3\xbc");
	ck_assert_uint_eq(pd_esc_term_width("b\xc3\xbc\x63her"), 6);
	ck_assert_uint_eq(pd_esc_term_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* two CJK: wide */
	/* NULL handling. */
	CHECK_ESC(pd_esc_json, NULL, "null");
	CHECK_ESC(pd_esc_html, NULL, "");
	CHECK_ESC(pd_esc_csv, NULL, "");
	/* CSV quoting per RFC 4180. */
	CHECK_ESC(pd_esc_csv, "a,b", "\"a,b\"");
	CHECK_ESC(pd_esc_csv, "say \"hi\"", "\"say \"\"hi\"\"\"");
	CHECK_ESC(pd_esc_csv, " pad", "\" pad\"");
	/* Fitting to a width: padding, alignment, cut with ~. */
	CHECK_ESC(fit10, "abc", "abc       ");
	CHECK_ESC(fit6r, "42", "    42");
	CHECK_ESC(fit10, "abcdefghijklmnop", "abcdefghi~");
	CHECK_ESC(fit10,
	          "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	          "\xc3\xbc\xc3\xbc\xc3\xbc",
	          "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc~");
}
END_TEST

START_TEST(truncated)
{
	/* UTF-8 sequences cut short (as a snaplen or a length field would cut a name). */
	CHECK_ESC(pd_esc_html, "a\xc3", "a\xef\xbf\xbd");
	CHECK_ESC(pd_esc_html, "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(pd_esc_json, "a\xf0\x9f\x98", "\"a\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESC(pd_esc_term, "a\xf0\x9f\x98", "a\\xf0\\x9f\\x98");
	CHECK_ESC(pd_esc_csv, "\xe2\x82x", "\xef\xbf\xbd\xef\xbf\xbdx");
	CHECK_ESC(pd_esc_md, "\xc3", "\xef\xbf\xbd");
	ck_assert_uint_eq(pd_esc_term_width("\xc3"), 4);
	/* A cut never splits an escape: 12 columns of \x escapes into 10. */
	CHECK_ESC(fit10, "\x1b\x1b\x1b", "\\x1b\\x1b~ ");
}
END_TEST

START_TEST(hostile)
{
	/* Bytes below are the classic injection strings (OWASP XSS and CSV injection cheat
	 * sheets, the "Trojan Source" paper's bidi overrides, ANSI escape sequences), written
	 * by hand; they are what a hostile capture can put into a DNS name, SNI or Host. */
	CHECK_ESC(pd_esc_html, "<script>alert('x')</script>&",
	          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;");
	CHECK_ESC(pd_esc_html, "\" onload=\"x", "&quot; onload=&quot;x");
	CHECK_ESC(pd_esc_html, "a\nb\x1b[31m", "a\\x0ab\\x1b[31m");
	/* Overlong '<' (C0 BC), overlong NUL (C0 80), encoded surrogate, above U+10FFFF. */
	CHECK_ESC(pd_esc_html, "\xc0\xbc", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(pd_esc_html, "\xe0\x80\xbc", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(pd_esc_html, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(pd_esc_html, "\xf4\x90\x80\x80",
	          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(pd_esc_html, "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd");
	/* C1 CSI (U+009B) and a right-to-left override are shown, not applied. */
	CHECK_ESC(pd_esc_html,
	          "a\xc2\x9b"
	          "b",
	          "a\\u009bb");
	CHECK_ESC(pd_esc_html, "\xe2\x80\xaegnp.exe", "\\u202egnp.exe");
	CHECK_ESC(pd_esc_term, "\xe2\x80\xaex", "\\xe2\\x80\\xaex");
	CHECK_ESC(pd_esc_term,
	          "a\xc2\x9b"
	          "b",
	          "a\\xc2\\x9bb");

	/* CSV: formula prefixes neutralised, quotes doubled, line breaks visible. */
	CHECK_ESC(pd_esc_csv, "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0");
	CHECK_ESC(pd_esc_csv, "+1", "'+1");
	CHECK_ESC(pd_esc_csv, "-2+3", "'-2+3");
	CHECK_ESC(pd_esc_csv, "@SUM(A1)", "'@SUM(A1)");
	CHECK_ESC(pd_esc_csv, "\t=1", "'\\x09=1");
	CHECK_ESC(pd_esc_csv, "\r=1", "\"'\\x0d=1\"");
	CHECK_ESC(pd_esc_csv, "=HYPERLINK(\"http://x\",\"y\")",
	          "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	CHECK_ESC(pd_esc_csv, "a\r\nb", "\"a\\x0d\\x0ab\"");

	/* Markdown: table pipes, markup, links, HTML, newlines. */
	CHECK_ESC(pd_esc_md, "a|b", "a\\|b");
	CHECK_ESC(pd_esc_md, "[x](javascript:alert(1))", "\\[x\\]\\(javascript:alert\\(1\\)\\)");
	CHECK_ESC(pd_esc_md, "<img src=x>", "&lt;img src=x&gt;");
	CHECK_ESC(pd_esc_md, "*b*_i_`c`\\", "\\*b\\*\\_i\\_\\`c\\`\\\\");
	CHECK_ESC(pd_esc_md, "a\nb|", "a\\x0ab\\|");

	/* JSON: quotes, backslashes, controls, HTML-significant characters, line separators. */
	CHECK_ESC(pd_esc_json, "\"\\\n\x01<>&", "\"\\\"\\\\\\n\\u0001\\u003c\\u003e\\u0026\"");
	CHECK_ESC(pd_esc_json, "\xe2\x80\xa8", "\"\\u2028\"");
	CHECK_ESC(pd_esc_json, "\x7f\xc2\x85", "\"\\u007f\\u0085\"");

	/* Terminal: ESC, BEL, DEL never raw. */
	CHECK_ESC(pd_esc_term, "\x1b]0;pwned\x07\x1b[2J\x7f", "\\x1b]0;pwned\\x07\\x1b[2J\\x7f");
	ck_assert_uint_eq(pd_esc_term_width("\x1b[2J"), 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
