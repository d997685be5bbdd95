/*
 * fuzz_ingest.c - libFuzzer harness for the ingest pipeline (flows, TCP reassembly, DNS over
 * UDP/TCP, TLS/HTTP/QUIC hand-off, rows into SQLite). The input is turned into a classic pcap
 * file in memory (memfd) and ingested into an in-memory database.
 *
 * Input: byte 0 = 0xff: the rest is a whole capture file (pcap or pcapng, any link type), so
 * the readers, the decoder and everything after them run on it as `pcapdomains ingest` would.
 * Otherwise byte 0 picks the server port (udp/53, tcp/443, tcp/80, tcp/53, udp/5353, udp/443,
 * tcp/853); then records of
 *   [dir:1][tcp flags:1][seq offset:2][len:2][payload:len]
 * each becoming one Ethernet/IPv4 TCP (or UDP) packet between two fixed endpoints, so that the
 * fuzzer spends its time on stream and parser states rather than on finding header layouts
 * (fuzz_decode covers those). Whatever was stored is then reported in every format.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ingest.h"
#include "report.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * What was stored goes through the report model and every writer (to /dev/null), so that
 * fuzzed names, SNIs, hosts, paths and counts reach report/model.c and the writers as they
 * would from a hostile capture. No GeoIP, no policy, no reverse lookups (no packets sent).
 */
static void report_all(struct pd_store *s)
{
	static const enum pd_format fmts[] = { PD_FMT_TEXT, PD_FMT_HTML, PD_FMT_CSV, PD_FMT_MD,
		                               PD_FMT_JSON };
	static FILE *null;
	struct pd_report_opts ro;
	struct pd_model *m = NULL;
	char err[PD_ERRBUF_SIZE];
	size_t i;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	memset(&ro, 0, sizeof(ro));
	ro.color = true;
	ro.width = 80;
	if (pd_model_build(pd_store_db(s), &ro, &m, err) != PD_OK)
		abort(); /* the database was just written by ingest: it must be reportable */
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		pd_report_write(m, fmts[i], &ro, null);
	pd_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 53, 443, 80, 53, 5353, 443, 853 };
	static struct pd_store *s;
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	uint8_t pkt[14 + 20 + 20 + 65535 + 16];
	struct pd_ingest_opts o;
	struct pd_ingest_result res;
	char err[PD_ERRBUF_SIZE], path[64];
	size_t pos = 1;
	unsigned sel, n = 0;
	int fd, udp;
	uint16_t sport;

	if (size < 1)
		return 0;
	if (!s && pd_store_open(NULL, false, &s, err) != PD_OK)
		abort();
	fd = memfd_create("fuzz_ingest", 0);
	if (fd < 0)
		return 0;
	if (data[0] == 0xff) {
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1))
			goto ingest;
		goto out;
	}
	sel = data[0] % 7;
	udp = sel == 0 || sel == 4 || sel == 5;
	sport = ports[sel];
	le32(hdr + 16, 65535);
	le32(hdr + 20, 1); /* Ethernet */
	if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		goto out;
	while (pos + 6 <= size && n < 4096) {
		int dir = data[pos] & 1;
		uint8_t flags = data[pos + 1];
		uint32_t seq = 1000u + ((uint32_t)data[pos + 2] << 8 | data[pos + 3]);
		size_t len = (size_t)data[pos + 4] << 8 | data[pos + 5], l4 = udp ? 8 : 20, tot;
		uint8_t *ip = pkt + 14 + 16, *t;

		pos += 6;
		if (len > size - pos)
			len = size - pos;
		memset(pkt, 0, 14 + 16 + 20 + l4);
		/* pcap record header (little endian) then the frame */
		le32(pkt, n);
		le32(pkt + 4, 0);
		tot = 14 + 20 + l4 + len;
		le32(pkt + 8, (uint32_t)tot);
		le32(pkt + 12, (uint32_t)tot);
		put16(pkt + 16 + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + l4 + len));
		ip[8] = 64;
		ip[9] = udp ? 17 : 6;
		memcpy(ip + (dir ? 16 : 12), "\x0a\x04\x00\x02", 4);
		memcpy(ip + (dir ? 12 : 16), "\x0a\x04\x00\x35", 4);
		t = ip + 20;
		put16(t, dir ? sport : 40000);
		put16(t + 2, dir ? 40000 : sport);
		if (udp) {
			put16(t + 4, (unsigned)(8 + len));
		} else {
			put32(t + 4, seq);
			t[12] = 5 << 4;
			t[13] = flags;
		}
		memcpy(t + l4, data + pos, len);
		pos += len;
		if (write(fd, pkt, 16 + tot) != (ssize_t)(16 + tot))
			goto out;
		n++;
	}
ingest:
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&o, 0, sizeof(o));
	if (pd_ingest_file(s, path, &o, &res, err) == PD_OK && !res.already) {
		report_all(s);
		if (pd_store_exec(s, "DELETE FROM captures", "clearing", err) != PD_OK)
			abort();
	}
out:
	close(fd);
	return 0;
}
