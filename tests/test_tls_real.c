/*
 * test_tls_real.c - the TLS, QUIC and HTTP parsers on real client traffic: curl, openssl
 * s_client, ngtcp2's gtlsclient (QUIC v1, Retry, IPv6, v2-draft) and chromium (post-quantum
 * hello over two TCP segments, QUIC hello over several Initials), recorded by
 * testdata/tls/record.sh into testdata/tls/real.pcap, with tshark's reading in real.tsv.
 *
 * The capture holds client-to-server packets only, on Ethernet; this test's own small decoder
 * (IPv4/IPv6 without options or extension headers, TCP in order) is all it needs.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "quic.h"
#include "testutil.h"
#include "tls.h"

#define MAX_FLOWS  64
#define MAX_DGRAMS 16

struct flow {
	char key[160], dst[64];
	unsigned port;
	int udp;
	uint32_t next_seq;
	uint8_t buf[PD_TLS_MAX_HELLO];
	size_t len;
	uint8_t *dgram[MAX_DGRAMS]; /* UDP payloads, in order */
	size_t dlen[MAX_DGRAMS];
	size_t ndgram;
};

static struct flow flows[MAX_FLOWS];
static size_t nflows;

static struct flow *flow_get(const char *key)
{
	size_t i;

	for (i = 0; i < nflows; i++)
		if (strcmp(flows[i].key, key) == 0)
			return &flows[i];
	ck_assert_uint_lt(nflows, MAX_FLOWS);
	memset(&flows[nflows], 0, sizeof(flows[0]));
	snprintf(flows[nflows].key, sizeof(flows[0].key), "%s", key);
	return &flows[nflows++];
}

/* Reads real.pcap into flows[]: each TCP flow's first client bytes, each UDP flow's datagrams. */
static void load(void)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(PD_SOURCE_DIR "/testdata/tls/real.pcap", eb);
	struct pcap_pkthdr *hd;
	const u_char *d;

	ck_assert_msg(p != NULL, "%s", eb);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
	nflows = 0;
	while (pcap_next_ex(p, &hd, &d) == 1) {
		const u_char *ip = d + 14, *l4, *pl, *end = d + hd->caplen;
		char src[64], dst[64], key[160];
		unsigned et = (unsigned)(d[12] << 8 | d[13]), proto, sp, dp;
		struct flow *f;
		size_t n;

		if (et == 0x0800) {
			inet_ntop(AF_INET, ip + 12, src, sizeof(src));
			inet_ntop(AF_INET, ip + 16, dst, sizeof(dst));
			proto = ip[9];
			l4 = ip + (ip[0] & 15) * 4;
			if (ip + (ip[2] << 8 | ip[3]) < end)
				end = ip + (ip[2] << 8 | ip[3]);
		} else if (et == 0x86dd) {
			inet_ntop(AF_INET6, ip + 8, src, sizeof(src));
			inet_ntop(AF_INET6, ip + 24, dst, sizeof(dst));
			proto = ip[6];
			l4 = ip + 40;
			if (ip + 40 + (ip[4] << 8 | ip[5]) < end)
				end = ip + 40 + (ip[4] << 8 | ip[5]);
		} else {
			continue;
		}
		sp = (unsigned)(l4[0] << 8 | l4[1]);
		dp = (unsigned)(l4[2] << 8 | l4[3]);
		snprintf(key, sizeof(key), "%u %s %u %s %u", proto, src, sp, dst, dp);
		f = flow_get(key);
		snprintf(f->dst, sizeof(f->dst), "%s", dst);
		f->port = dp;
		f->udp = proto == 17;
		if (proto == 17) {
			pl = l4 + 8;
			n = (size_t)(end - pl);
			if (f->ndgram < MAX_DGRAMS) {
				f->dgram[f->ndgram] = malloc(n ? n : 1);
				memcpy(f->dgram[f->ndgram], pl, n);
				f->dlen[f->ndgram++] = n;
			}
		} else if (proto == 6) {
			uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 |
			               (uint32_t)l4[6] << 8 | l4[7];
			pl = l4 + (l4[12] >> 4) * 4;
			n = pl < end ? (size_t)(end - pl) : 0;
			if (l4[13] & 0x02) {
				f->next_seq = seq + 1;
				continue;
			}
			if (n == 0 || seq != f->next_seq)
				continue; /* retransmission or a gap: this client's bytes, in order
				           */
			f->next_seq = seq + (uint32_t)n;
			if (n > sizeof(f->buf) - f->len)
				n = sizeof(f->buf) - f->len;
			memcpy(f->buf + f->len, pl, n);
			f->len += n;
		}
	}
	pcap_close(p);
}

/* Runs the parsers over one flow as ingest would; writes a real.tsv-style line or "". */
static void analyse(struct flow *f, char *line, size_t cap)
{
	struct pd_hello h;
	struct pd_http_req r;
	uint32_t ver = 0;
	size_t i;

	line[0] = '\0';
	if (f->udp) {
		struct pd_quic *st = NULL;
		enum pd_err e = PD_ERR_NEED_MORE;
		for (i = 0; i < f->ndgram; i++) {
			e = pd_quic_feed(&st, f->dgram[i], f->dlen[i], &h, &ver);
			if (e == PD_OK || e == PD_ERR_UNSUPPORTED)
				break;
		}
		pd_quic_free(st);
		if (e == PD_OK)
			snprintf(line, cap, "%s\t%u\tudp\t%s\t%s\t%x", f->dst, f->port, h.sni,
			         h.alpn, ver);
		return;
	}
	if (pd_tls_parse_stream(f->buf, f->len, &h) == PD_OK) {
		snprintf(line, cap, "%s\t%u\ttcp\t%s\t%s\t-", f->dst, f->port, h.sni, h.alpn);
	} else if (pd_http_parse_request((const char *)f->buf, f->len, &r) == PD_OK) {
		snprintf(line, cap, "%s\t%u\ttcp\t%s\t%s\t-", f->dst, f->port,
		         r.connect ? r.authority : r.host, r.method);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_flows(void)
{
	size_t i, k;

	for (i = 0; i < nflows; i++)
		for (k = 0; k < flows[i].ndgram; k++)
			free(flows[i].dgram[k]);
}

START_TEST(valid)
{
	size_t tlen, i, k, ngot = 0, nwant = 0;
	uint8_t *truth = pd_test_read_file("testdata/tls/real.tsv", &tlen);
	char *got[MAX_FLOWS], *want[MAX_FLOWS], line[600], *s, *save = NULL;

	load();
	ck_assert_uint_ge(nflows, 10);
	for (i = 0; i < nflows; i++) {
		analyse(&flows[i], line, sizeof(line));
		if (line[0])
			got[ngot++] = strdup(line);
	}
	truth = realloc(truth, tlen + 1);
	truth[tlen] = '\0';
	for (s = strtok_r((char *)truth, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_lt(nwant, MAX_FLOWS);
		want[nwant++] = s;
	}
	qsort(got, ngot, sizeof(got[0]), cmp_str);
	qsort(want, nwant, sizeof(want[0]), cmp_str);
	/* real.tsv lists distinct lines (chromium opens some connections twice): compare sets */
	for (i = 1, k = 1; i < ngot; i++) {
		if (strcmp(got[i], got[k - 1]) == 0)
			free(got[i]);
		else
			got[k++] = got[i];
	}
	if (ngot)
		ngot = k;
	for (i = 0; i < ngot && i < nwant; i++)
		ck_assert_str_eq(got[i], want[i]);
	ck_assert_uint_eq(ngot, nwant);
	for (i = 0; i < ngot; i++)
		free(got[i]);
	free(truth);
	free_flows();
}
END_TEST

START_TEST(truncated)
{
	/* Every prefix of every real TCP client stream: NEED_MORE until the hello or head is
	   complete. Every prefix (in steps) of every real QUIC datagram, to a fresh flow: an
	   answer, never a crash, and never a different name. */
	size_t i, k, n;
	struct pd_hello h, full;
	struct pd_http_req r;
	uint32_t ver;

	load();
	for (i = 0; i < nflows; i++) {
		struct flow *f = &flows[i];
		if (!f->udp && f->len) {
			int tls = pd_tls_parse_stream(f->buf, f->len, &full) == PD_OK;
			for (n = 1; n < f->len; n++) {
				enum pd_err e =
				        tls ? pd_tls_parse_stream(f->buf, n, &h)
				            : pd_http_parse_request((const char *)f->buf, n, &r);
				ck_assert_msg(e == PD_ERR_NEED_MORE || e == PD_OK,
				              "%s prefix %zu: %s", f->key, n, pd_strerror(e));
				if (tls && e == PD_OK)
					ck_assert_str_eq(h.sni, full.sni);
			}
		}
		for (k = 0; k < f->ndgram; k++) {
			for (n = 0; n < f->dlen[k]; n += 7) {
				struct pd_quic *st = NULL;
				enum pd_err e = pd_quic_feed(&st, f->dgram[k], n, &h, &ver);
				ck_assert_int_lt(e, PD_ERR__COUNT);
				pd_quic_free(st);
			}
		}
	}
	free_flows();
}
END_TEST

START_TEST(hostile)
{
	/* The real client bytes with bytes overwritten by a fixed-seed xorshift generator
	   (4 bytes per mutant, 300 mutants per flow): any answer, no crash, terminated strings.
	   Run under PD_SANITIZE=1 this catches out-of-bounds reads. */
	static uint8_t m[PD_TLS_MAX_HELLO];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i, j, k;
	struct pd_hello h;
	struct pd_http_req r;
	uint32_t ver;

	load();
	for (i = 0; i < nflows; i++) {
		struct flow *f = &flows[i];
		for (j = 0; j < 300; j++) {
			struct pd_quic *st = NULL;
			size_t len = f->udp ? (f->ndgram ? f->dlen[0] : 0) : f->len;
			if (len == 0)
				break;
			memcpy(m, f->udp ? f->dgram[0] : f->buf, len < sizeof(m) ? len : sizeof(m));
			len = len < sizeof(m) ? len : sizeof(m);
			for (k = 0; k < 4; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				m[(x >> 8) % len] = (uint8_t)x;
			}
			if (f->udp) {
				ck_assert_int_lt(pd_quic_feed(&st, m, len, &h, &ver),
				                 PD_ERR__COUNT);
				for (k = 1; k < f->ndgram; k++)
					(void)pd_quic_feed(&st, f->dgram[k], f->dlen[k], &h, &ver);
				pd_quic_free(st);
			} else {
				if (pd_tls_parse_stream(m, len, &h) == PD_OK)
					ck_assert_uint_lt(strlen(h.sni), sizeof(h.sni));
				if (pd_http_parse_request((const char *)m, len, &r) == PD_OK)
					ck_assert_uint_lt(strlen(r.host), sizeof(r.host));
			}
		}
	}
	free_flows();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls_real");
	TCase *tc = tcase_create("tls_real");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
