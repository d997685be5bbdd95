/*
 * test_policy.c - policy grammar (SPEC 2.7) and matching rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "testutil.h"

static struct pd_policy *parse_ok(const char *text)
{
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_policy *p = NULL;
	enum pd_err err = pd_policy_parse(text, strlen(text), "test.policy", &p, errbuf);

	ck_assert_msg(err == PD_OK, "parse failed: %s", errbuf);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void parse_fails(const char *text, const char *expect)
{
	char errbuf[PD_ERRBUF_SIZE] = "";
	struct pd_policy *p = NULL;
	enum pd_err err = pd_policy_parse(text, strlen(text), "test.policy", &p, errbuf);

	ck_assert_int_eq(err, PD_ERR_POLICY);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(errbuf, expect), "error '%s' lacks '%s'", errbuf, expect);
}

static bool allows(const struct pd_policy *p, const char *name, const char *ip, uint16_t port,
                   const char *proto)
{
	struct pd_addr a;

	ck_assert_int_eq(pd_addr_parse(ip, &a), PD_OK);
	return pd_policy_allows(p, name, &a, port, proto, NULL);
}

/* Issue 18: catch-all entries are reported (a warning at load); UTF-8 names are refused with
 * the reason and what to write instead, invalid UTF-8 called so. */
START_TEST(catch_all_utf8)
{
	struct pd_policy *p = parse_ok("example.com\n10.0.0.0/8\n");

	ck_assert_ptr_null(pd_policy_catch_all(p));
	pd_policy_free(p);
	p = parse_ok("example.com\n::/0 # everything\n");
	ck_assert_str_eq(pd_policy_catch_all(p), "::/0");
	pd_policy_free(p);
	p = parse_ok("0.0.0.0/0/tcp\n");
	ck_assert_ptr_nonnull(pd_policy_catch_all(p));
	pd_policy_free(p);
	parse_fails("b\xc3\xbc"
	            "cher.example\n",
	            "non-ASCII (UTF-8) name at column 2");
	parse_fails("b\xc3\xbc"
	            "cher.example\n",
	            "xn--");
	parse_fails("b\xfc"
	            "cher.example\n",
	            "invalid UTF-8 at column 2");
	parse_fails("ok.test\n\xed\xa0\x80.test\n", "test.policy:2: invalid UTF-8"); /* surrogate */
	parse_fails("\xe0\x80\x80.test\n", "invalid UTF-8");                         /* overlong */
}
END_TEST

START_TEST(valid)
{
	struct pd_policy *p = parse_ok("# egress policy for the shop image\n"
	                               "\n"
	                               "api.example.com            # exact\n"
	                               "*.cdn.example.net\n"
	                               "  Mixed.Case.ORG.  \n"
	                               "10.20.0.0/16\n"
	                               "192.0.2.7:53/udp\n"
	                               "registry.test:443/tcp\n"
	                               "[2001:db8::53]:853\n"
	                               "2001:db8:1::/48/udp\n"
	                               "ports.test:8000-8100\n"
	                               "host1\n");
	const char *rule;
	struct pd_addr a;

	ck_assert(allows(p, "api.example.com", "203.0.113.1", 443, "tcp"));
	ck_assert(allows(p, "API.Example.COM.", "203.0.113.1", 80, "udp"));
	ck_assert(!allows(p, "www.api.example.com", "203.0.113.1", 443, "tcp"));
	ck_assert(allows(p, "a.cdn.example.net", "203.0.113.1", 443, "tcp"));
	ck_assert(allows(p, "x.y.cdn.example.net", "203.0.113.1", 443, "tcp"));
	ck_assert(!allows(p, "cdn.example.net", "203.0.113.1", 443, "tcp")); /* not itself */
	ck_assert(!allows(p, "evilcdn.example.net", "203.0.113.1", 443, "tcp"));
	ck_assert(allows(p, "mixed.case.org", "203.0.113.1", 1, "tcp"));
	ck_assert(allows(p, NULL, "10.20.255.1", 22, "tcp"));
	ck_assert(!allows(p, NULL, "10.21.0.1", 22, "tcp"));
	ck_assert(allows(p, NULL, "192.0.2.7", 53, "udp"));
	ck_assert(!allows(p, NULL, "192.0.2.7", 53, "tcp"));
	ck_assert(!allows(p, NULL, "192.0.2.7", 54, "udp"));
	ck_assert(allows(p, "registry.test", "203.0.113.9", 443, "tcp"));
	ck_assert(!allows(p, "registry.test", "203.0.113.9", 443, "udp"));
	ck_assert(!allows(p, "registry.test", "203.0.113.9", 80, "tcp"));
	ck_assert(allows(p, NULL, "2001:db8::53", 853, "tcp"));
	ck_assert(!allows(p, NULL, "2001:db8::54", 853, "tcp"));
	ck_assert(allows(p, NULL, "2001:db8:1:ffff::1", 53, "udp"));
	ck_assert(!allows(p, NULL, "2001:db8:2::1", 53, "udp"));
	ck_assert(allows(p, "ports.test", "203.0.113.1", 8050, "tcp"));
	ck_assert(!allows(p, "ports.test", "203.0.113.1", 8101, "tcp"));
	ck_assert(allows(p, "host1", "203.0.113.1", 1, "tcp"));
	ck_assert(!allows(p, "unknown.test", "203.0.113.1", 443, "tcp"));

	/* The matching rule's text is returned as written. */
	ck_assert_int_eq(pd_addr_parse("10.20.1.1", &a), PD_OK);
	ck_assert(pd_policy_allows(p, NULL, &a, 80, "tcp", &rule));
	ck_assert_str_eq(rule, "10.20.0.0/16");
	ck_assert(pd_policy_allows(p, "b.cdn.example.net", &a, 80, "tcp", &rule));
	ck_assert_str_eq(rule, "*.cdn.example.net");
	pd_policy_free(p);

	/* An empty policy allows nothing; NULL policy allows nothing. */
	p = parse_ok("# nothing\n");
	ck_assert(!allows(p, "api.example.com", "10.0.0.1", 443, "tcp"));
	pd_policy_free(p);
	ck_assert(!pd_policy_allows(NULL, "a", NULL, 1, "tcp", NULL));
	pd_policy_free(NULL);
}
END_TEST

START_TEST(cidr_edges)
{
	struct pd_policy *p = parse_ok("0.0.0.0/0:443/tcp\n10.1.2.3/32\n::/0/udp\n10.9.9.9/4\n");

	ck_assert(allows(p, NULL, "198.51.100.1", 443, "tcp"));
	ck_assert(!allows(p, NULL, "198.51.100.1", 80, "tcp"));
	ck_assert(allows(p, NULL, "10.1.2.3", 80, "tcp"));
	ck_assert(allows(p, NULL, "2001:db8::1", 5353, "udp"));
	ck_assert(!allows(p, NULL, "2001:db8::1", 5353, "tcp"));
	/* 10.9.9.9/4 has host bits set: they are masked, so 0.0.0.0/4 ... 15.255.255.255. */
	ck_assert(allows(p, NULL, "15.1.1.1", 80, "tcp"));
	ck_assert(!allows(p, NULL, "16.1.1.1", 80, "tcp"));
	pd_policy_free(p);
}
END_TEST

START_TEST(truncated)
{
	/* Last line without a newline; a file ending inside a comment. */
	struct pd_policy *p = parse_ok("a.test\nb.test");

	ck_assert(allows(p, "b.test", "10.0.0.1", 1, "tcp"));
	pd_policy_free(p);
	p = parse_ok("a.test # trailing comment without newline");
	ck_assert(allows(p, "a.test", "10.0.0.1", 1, "tcp"));
	pd_policy_free(p);
	parse_fails("ok.test\n[2001:db8::1", "test.policy:2: missing ']'");
	parse_fails("ok.test\nexample.com:", "test.policy:2: bad port");
}
END_TEST

START_TEST(hostile)
{
	char *big;
	size_t i;

	/* Malformed lines an operator could type; each error names file and line. */
	parse_fails("ok.test\n\n*.\n", "test.policy:3: bad name");
	parse_fails("a.*.example.com\n", "test.policy:1: '*' is only allowed");
	parse_fails("*example.com\n", "test.policy:1: '*' is only allowed");
	parse_fails("example.com:0\n", "test.policy:1: bad port");
	parse_fails("example.com:65536\n", "bad port");
	parse_fails("example.com:http\n", "bad port");
	parse_fails("example.com:90-80\n", "bad port range");
	parse_fails("example.com/sctp\n", "unknown protocol");
	parse_fails("10.0.0.0/33\n", "bad address or CIDR");
	parse_fails("2001:db8::/129\n", "bad address or CIDR");
	parse_fails("2001:db8::zz\n", "bad address or CIDR");
	parse_fails("999.1.1.1\n", "bad address or CIDR");
	parse_fails("10.0.0.0/33\n", "bad address or CIDR");
	parse_fails("a.test b.test\n", "one entry a line");
	parse_fails("exa mple.com\n", "one entry a line");
	parse_fails("bad..name\n", "bad name");
	parse_fails("<script>.test\n", "bad name");
	parse_fails("[2001:db8::1]x\n", "unexpected text after ']'");
	parse_fails(":443\n", "missing name or address");
	parse_fails("\xff\xfe.test\n", "invalid UTF-8");
	{
		/* A NUL byte inside a line (binary file given by mistake). */
		char errbuf[PD_ERRBUF_SIZE];
		struct pd_policy *p;
		ck_assert_int_eq(pd_policy_parse("a.test\nb\0c\n", 11, "bin", &p, errbuf),
		                 PD_ERR_POLICY);
		ck_assert_str_eq(errbuf, "bin:2: NUL byte in line");
	}
	/* A 64-character label and a line over the length limit. */
	big = malloc(4096);
	memset(big, 'a', 4095);
	big[4095] = 0;
	parse_fails(big, "longer than");
	memcpy(big + 64, ".test\n", 7);
	parse_fails(big, "bad name");
	free(big);
	/* Many rules: matching stays correct with a large hash table. */
	{
		size_t len = 0, cap = 50000 * 24;
		char *text = malloc(cap);
		struct pd_policy *p;
		for (i = 0; i < 50000; i++)
			len += (size_t)snprintf(text + len, cap - len, "h%zu.bulk.test\n", i);
		p = parse_ok(text);
		ck_assert(allows(p, "h49999.bulk.test", "10.0.0.1", 1, "tcp"));
		ck_assert(!allows(p, "h50000.bulk.test", "10.0.0.1", 1, "tcp"));
		pd_policy_free(p);
		free(text);
	}
	/* A name longer than any DNS name matches nothing and does not overflow. */
	{
		struct pd_policy *p = parse_ok("*.test\n");
		char name[600];
		memset(name, 'x', sizeof(name) - 6);
		memcpy(name + sizeof(name) - 6, ".test", 6);
		ck_assert(!allows(p, name, "10.0.0.1", 1, "tcp"));
		pd_policy_free(p);
	}
}
END_TEST

START_TEST(load)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_policy *p;
	char *path = pd_test_write_temp("a.test\n*.b.test:443/tcp\n", 24, ".policy");

	ck_assert_int_eq(pd_policy_load(path, &p, errbuf), PD_OK);
	ck_assert(allows(p, "x.b.test", "10.0.0.1", 443, "tcp"));
	pd_policy_free(p);
	unlink(path);
	ck_assert_int_eq(pd_policy_load(path, &p, errbuf), PD_ERR_IO);
	ck_assert_msg(strstr(errbuf, "cannot open policy"), "%s", errbuf);
	free(path);
}
END_TEST

/* Grammar corners met while testing against real traffic and hand-written policies. */
START_TEST(edges)
{
	struct pd_policy *p;
	char errbuf[PD_ERRBUF_SIZE];
	const char *rule;
	struct pd_addr a;

	/* A byte order mark and CRLF line ends, as a Windows editor saves the file. */
	p = parse_ok("\xef\xbb\xbf"
	             "bom.test:443/tcp\r\n10.9.0.0/24:53/udp\r\n");
	ck_assert(allows(p, "bom.test", "192.0.2.1", 443, "tcp"));
	ck_assert(allows(p, NULL, "10.9.0.1", 53, "udp"));
	ck_assert(!allows(p, NULL, "10.9.0.1", 53, "tcp"));
	pd_policy_free(p);

	/* A CIDR with a port, the port before the protocol; portless ICMP rules. */
	p = parse_ok("10.0.0.0/8:443/tcp\n192.0.2.1/icmp\n[fd00:9::/64]:8000\nfd00:a::/120\n");
	ck_assert(allows(p, NULL, "10.1.2.3", 443, "tcp"));
	ck_assert(!allows(p, NULL, "10.1.2.3", 443, "udp"));
	ck_assert(allows(p, NULL, "192.0.2.1", 0, "icmp"));
	ck_assert(!allows(p, NULL, "192.0.2.1", 0, "icmp6"));
	ck_assert(allows(p, NULL, "fd00:9::14", 8000, "tcp"));
	ck_assert(allows(p, NULL, "fd00:9::14", 8000, "udp"));
	ck_assert(!allows(p, NULL, "fd00:9::14", 8001, "tcp"));
	ck_assert(allows(p, NULL, "fd00:a::ff", 1, "udp"));
	ck_assert(!allows(p, NULL, "fd00:a::100", 1, "udp"));
	/* An IPv4 rule never matches an IPv6 address, even a mapped one. */
	ck_assert(!allows(p, NULL, "::ffff:10.1.2.3", 443, "tcp"));
	pd_policy_free(p);

	/* A named destination is also allowed by its address; the rule says which line. */
	p = parse_ok("other.test\n10.9.0.10\n");
	ck_assert_int_eq(pd_addr_parse("10.9.0.10", &a), PD_OK);
	ck_assert(pd_policy_allows(p, "x.alpha.test", &a, 443, "tcp", &rule));
	ck_assert_str_eq(rule, "10.9.0.10");
	/* No address (unparseable server_ip): judged by the name alone. */
	ck_assert(pd_policy_allows(p, "other.test", NULL, 443, "tcp", &rule));
	ck_assert(!pd_policy_allows(p, "x.alpha.test", NULL, 443, "tcp", &rule));
	ck_assert_ptr_null(rule);
	pd_policy_free(p);

	/* Wildcards: below the name only, at any depth, not a longer label ending the same. */
	p = parse_ok("*.x.alpha.test\n");
	ck_assert(!allows(p, "x.alpha.test", "10.0.0.1", 1, "tcp"));
	ck_assert(allows(p, "a.b.x.alpha.test", "10.0.0.1", 1, "tcp"));
	ck_assert(!allows(p, "ax.alpha.test", "10.0.0.1", 1, "tcp"));
	ck_assert(!allows(p, "", "10.0.0.1", 1, "tcp"));
	ck_assert(!allows(p, ".", "10.0.0.1", 1, "tcp"));
	pd_policy_free(p);

	parse_fails("*\n", "'*'");
	parse_fails("*.\n", "bad name");
	parse_fails(":443\n", "missing name or address");
	parse_fails("a.test:443/tcp/udp\n", "bad port");
	parse_fails("a.test:80-\n", "bad port range");
	parse_fails("fd00::/8:443\n", "bad address");
	parse_fails("[fd00::1]53\n", "unexpected text after ']'");
	parse_fails("a..test\n", "bad name");
	parse_fails("b\xc3\xbc"
	            "cher.test\n",
	            "non-ASCII (UTF-8) name");
	ck_assert_int_eq(pd_policy_parse("ok.test\n\nbad:0\n", 15, "f.policy", &p, errbuf),
	                 PD_ERR_POLICY);
	ck_assert_str_eq(errbuf, "f.policy:3: bad port (expected 1-65535): 'bad:0'");
}
END_TEST

/* pd_policy_name_ok: what `allowlist` may write as a name entry. */
START_TEST(name_ok)
{
	char long_label[80], long_name[300];

	ck_assert(pd_policy_name_ok("x.alpha.test"));
	ck_assert(pd_policy_name_ok("Mixed-Case_1.Example.COM"));
	ck_assert(pd_policy_name_ok("localhost"));
	ck_assert(pd_policy_name_ok("x.alpha.test.")); /* reads back as x.alpha.test */
	ck_assert(!pd_policy_name_ok(""));
	ck_assert(!pd_policy_name_ok("a..b"));
	ck_assert(!pd_policy_name_ok(".a.b"));
	ck_assert(!pd_policy_name_ok("host:8080"));
	ck_assert(!pd_policy_name_ok("a/b"));
	ck_assert(!pd_policy_name_ok("*.a.b"));
	ck_assert(!pd_policy_name_ok("a b"));
	ck_assert(!pd_policy_name_ok("a\\x00b"));
	/* Names that read as addresses: an IP in an SNI or Host, a typo'd address. */
	ck_assert(!pd_policy_name_ok("10.9.0.1"));
	ck_assert(!pd_policy_name_ok("999.1.1.1"));
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".test", 6);
	ck_assert(!pd_policy_name_ok(long_label));
	memmove(long_label, long_label + 1, strlen(long_label)); /* 63 a's, then .test */
	ck_assert(pd_policy_name_ok(long_label));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	for (size_t i = 50; i < sizeof(long_name) - 1; i += 50)
		long_name[i] = '.';
	ck_assert(!pd_policy_name_ok(long_name)); /* 299 bytes: over 253 */
	long_name[250] = 0;
	ck_assert(pd_policy_name_ok(long_name));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, catch_all_utf8);
	tcase_add_test(tc, cidr_edges);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, load);
	tcase_add_test(tc, edges);
	tcase_add_test(tc, name_ok);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
