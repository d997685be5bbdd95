/*
 * test_pcap.c - classic pcap through libpcap: micro- and nanosecond files in both byte orders
 * (built by tests/capbuild.h), files written by libpcap's own pcap_dump, BPF filters, our error
 * messages for empty, foreign, cut and corrupt files; and, when the shared real captures are
 * present, frame counts and link types of every one of them against the table in their README.
 * Files without a filter are read by our own record reader (pcap.c's fast path); the
 * `fast_path` case checks that it returns exactly what libpcap returns, frame by frame and
 * error by error, on built, cut, corrupted and real files.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capbuild.h"
#include "capture.h"
#include "reader_impl.h"
#include "testutil.h"

static const uint8_t A4[4] = { 10, 1, 0, 1 }, B4[4] = { 10, 1, 0, 2 };

static size_t eth_frame(uint8_t *out, uint8_t proto, size_t n)
{
	uint8_t pl[256], l4[300], ip[340];
	size_t u;
	memset(pl, 'y', n);
	u = proto == 17 ? pk_udp(l4, 1234, 53, pl, n) : pk_tcp(l4, 1234, 80, 1, 2, 0x18, pl, n);
	return pk_eth(out, 0x0800, ip, pk_ip4(ip, proto, A4, B4, 7, 0, l4, u));
}

static struct pd_reader *open_buf(const struct cb *c, const char *bpf, enum pd_err *err, char *eb)
{
	char *path = pd_test_write_temp(c->b, c->len, ".pcap");
	struct pd_reader *r = pd_reader_open(path, bpf, err, eb);
	unlink(path);
	free(path);
	return r;
}

/* Three records, the second cut by the snaplen. */
static void build(struct cb *c, bool be, bool nano, uint32_t linktype)
{
	uint8_t fr[400];
	size_t n;

	memset(c, 0, sizeof(*c));
	c->be = be;
	cb_pcap_header(c, nano, 100, linktype);
	n = eth_frame(fr, 17, 20);
	cb_pcap_record(c, nano, 1700000000123456789ll, fr, (uint32_t)n, (uint32_t)n);
	n = eth_frame(fr, 6, 200);
	cb_pcap_record(c, nano, 1700000001000000000ll, fr, 100, (uint32_t)n);
	n = eth_frame(fr, 17, 0);
	cb_pcap_record(c, nano, 1700000002000001000ll, fr, (uint32_t)n, (uint32_t)n);
}

START_TEST(valid)
{
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	struct pd_frame f;
	struct cb c;
	enum pd_err e;
	int i;

	for (i = 0; i < 4; i++) {
		bool be = i & 1, nano = i & 2;
		build(&c, be, nano, PD_LINK_ETHERNET);
		r = open_buf(&c, NULL, &e, eb);
		ck_assert_msg(r != NULL, "%s", eb);
		ck_assert_str_eq(pd_reader_info(r)->format, "pcap");
		ck_assert_uint_eq(pd_reader_info(r)->snaplen, 100);
		ck_assert_uint_eq(pd_reader_info(r)->n_ifaces, 1);
		ck_assert_int_eq(pd_reader_info(r)->ifaces[0].linktype, PD_LINK_ETHERNET);

		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
		ck_assert_int_eq(f.ts_ns, nano ? 1700000000123456789ll : 1700000000123456000ll);
		ck_assert_uint_eq(f.offset, 24);
		ck_assert_uint_eq(f.caplen, 62);
		ck_assert_uint_eq(f.origlen, 62);
		ck_assert_int_eq(f.linktype, PD_LINK_ETHERNET);
		ck_assert_uint_eq(f.data[23], 17);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
		ck_assert_uint_eq(f.offset, 24 + 16 + 62);
		ck_assert_uint_eq(f.caplen, 100);
		ck_assert_uint_eq(f.origlen, 254);
		ck_assert_int_eq(f.ts_ns, 1700000001000000000ll);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
		ck_assert_int_eq(f.ts_ns, 1700000002000001000ll);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
		ck_assert_uint_eq(pd_reader_tell(r), c.len);
		pd_reader_free(r);
		free(c.b);
	}

	/* Link types: names, and frames of an unknown link type are still returned. */
	ck_assert_str_eq(pd_link_name(PD_LINK_ETHERNET), "ether");
	ck_assert_str_eq(pd_link_name(PD_LINK_LINUX_SLL), "linux-sll");
	ck_assert_str_eq(pd_link_name(PD_LINK_LINUX_SLL2), "linux-sll2");
	ck_assert_str_eq(pd_link_name(PD_LINK_RAW), "rawip");
	ck_assert_str_eq(pd_link_name(PD_LINK_NULL), "null");
	ck_assert_str_eq(pd_link_name(PD_LINK_NFLOG), "nflog");
	ck_assert_str_eq(pd_link_name(147), "linktype-147");
	build(&c, false, false, 147);
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(f.linktype, 147);
	pd_reader_free(r);
	free(c.b);
}
END_TEST

/* Written by libpcap itself (pcap_dump), read back with and without a filter. */
START_TEST(libpcap_written)
{
	char eb[PD_ERRBUF_SIZE];
	char *path = pd_test_write_temp("", 0, ".pcap");
	struct pcap_pkthdr h;
	struct pd_reader *r;
	pcap_dumper_t *dp;
	struct pd_frame f;
	uint8_t fr[400];
	enum pd_err e;
	pcap_t *p;
	int i;

	p = pcap_open_dead(DLT_EN10MB, 65535);
	dp = pcap_dump_open(p, path);
	ck_assert_ptr_nonnull(dp);
	for (i = 0; i < 10; i++) {
		h.caplen = h.len = (uint32_t)eth_frame(fr, i % 3 ? 6 : 17, (size_t)i * 10);
		h.ts.tv_sec = 1000 + i;
		h.ts.tv_usec = 5;
		pcap_dump((u_char *)dp, &h, fr);
	}
	pcap_dump_close(dp);
	pcap_close(p);

	r = pd_reader_open(path, NULL, &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	for (i = 0; pd_reader_next(r, &f, eb) == PD_OK; i++)
		ck_assert_int_eq(f.ts_ns, (1000ll + i) * 1000000000 + 5000);
	ck_assert_int_eq(i, 10);
	pd_reader_free(r);

	/* Frames 0, 3, 6, 9 are UDP; offsets still count the skipped records. */
	r = pd_reader_open(path, "udp port 53", &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	for (i = 0; pd_reader_next(r, &f, eb) == PD_OK; i++)
		ck_assert_int_eq(f.ts_ns, (1000ll + i * 3) * 1000000000 + 5000);
	ck_assert_int_eq(i, 4);
	ck_assert_uint_eq(f.offset, pd_reader_tell(r) - 16 - f.caplen);
	pd_reader_free(r);

	r = pd_reader_open(path, "port port", &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_USAGE);

	/* A path longer than 256 bytes opens too (two directories of 150-byte names). */
	{
		char d1[300], d2[500], longp[600];
		snprintf(d1, sizeof(d1), "%s.d%0150d", path, 1);
		snprintf(d2, sizeof(d2), "%s/%0150d", d1, 2);
		ck_assert_int_eq(mkdir(d1, 0700), 0);
		ck_assert_int_eq(mkdir(d2, 0700), 0);
		snprintf(longp, sizeof(longp), "%s/x.pcap", d2);
		ck_assert_uint_gt(strlen(longp), 300);
		ck_assert_int_eq(rename(path, longp), 0);
		r = pd_reader_open(longp, NULL, &e, eb);
		ck_assert_msg(r != NULL, "%s", eb);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
		pd_reader_free(r);
		unlink(longp);
		rmdir(d2);
		rmdir(d1);
	}
	free(path);
}
END_TEST

START_TEST(truncated)
{
	char eb[PD_ERRBUF_SIZE], want[200];
	struct pd_reader *r;
	struct pd_frame f;
	struct cb c;
	enum pd_err e;
	size_t full;

	/* Cut in the middle of the third record's data. */
	build(&c, true, true, PD_LINK_ETHERNET);
	full = c.len;
	c.len -= 5;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_TRUNCATED);
	snprintf(want, sizeof(want), "truncated at offset %zu: record needs 58 bytes, 53 left",
	         full - 58);
	ck_assert_msg(strstr(eb, want) != NULL, "%s", eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
	pd_reader_free(r);

	/* Cut inside the third record's header. */
	c.len = full - 58 + 7;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_TRUNCATED);
	snprintf(want, sizeof(want), "truncated at offset %zu: record needs 16 bytes, 7 left",
	         full - 58);
	ck_assert_msg(strstr(eb, want) != NULL, "%s", eb);
	pd_reader_free(r);

	/* Only part of the file header. */
	c.len = 10;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_TRUNCATED);
	ck_assert_msg(strstr(eb, "truncated at offset 0: pcap file header needs 24 bytes, 10 left"),
	              "%s", eb);

	/* Empty file. */
	c.len = 0;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_FORMAT);
	ck_assert_msg(strstr(eb, "empty file") != NULL, "%s", eb);

	/* A header and no records: a valid, empty capture. */
	c.len = 24;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
	pd_reader_free(r);
	free(c.b);
}
END_TEST

/* Foreign and corrupt files, made by overwriting fields of build()'s output. */
START_TEST(hostile)
{
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	struct pd_frame f;
	struct cb c = { 0 };
	enum pd_err e;
	uint8_t *big;

	cb_bytes(&c, "hello world\n", 12); /* a text file */
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_FORMAT);
	ck_assert_msg(strstr(eb, "not a capture file: magic 68656c6c at offset 0"), "%s", eb);
	c.b[0] = 0x1f; /* gzip magic */
	c.b[1] = 0x8b;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_MALFORMED); /* read as gzip (source.c): not gzip inside */
	ck_assert_msg(strstr(eb, "corrupt gzip data") != NULL, "%s", eb);
	c.len = 3;
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_TRUNCATED);
	ck_assert_msg(strstr(eb, "gzip data cut after 3 compressed bytes") != NULL, "%s", eb);
	free(c.b);

	/* A record claiming 0xFFFFFFFF captured bytes: corrupt (no snaplen allows it), not cut. */
	build(&c, false, false, PD_LINK_ETHERNET);
	cb_put32(&c, 24 + 8, 0xFFFFFFFFu);
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_MALFORMED);
	ck_assert_msg(strstr(eb, "offset 24: corrupt record: capture length 4294967295 is larger "
	                         "than the snaplen"),
	              "%s", eb);
	pd_reader_free(r);
	free(c.b);

	/* A record of 300000 bytes really present: bigger than libpcap accepts. */
	build(&c, false, false, PD_LINK_ETHERNET);
	c.len = 24;
	big = calloc(1, 300000);
	cb_pcap_record(&c, false, 0, big, 300000, 300000);
	free(big);
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_MALFORMED);
	ck_assert_msg(strstr(eb, "offset 24: corrupt record") != NULL, "%s", eb);
	pd_reader_free(r);
	free(c.b);

	/* Records longer than the file's snaplen (100): libpcap cuts them to the snaplen and
	 * skips the rest; offsets must still be right. Made from build() by raising the header's
	 * snaplen field only for the writer's view: the file says 100, the records hold 254. */
	build(&c, false, false, PD_LINK_ETHERNET);
	c.len = 24;
	{
		uint8_t fr[400];
		size_t n = eth_frame(fr, 6, 200);
		cb_pcap_record(&c, false, 1000, fr, (uint32_t)n, (uint32_t)n);
		cb_pcap_record(&c, false, 2000, fr, 60, (uint32_t)n);
		r = open_buf(&c, NULL, &e, eb);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
		ck_assert_uint_eq(f.caplen, 100);
		ck_assert_uint_eq(f.origlen, n);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
		ck_assert_uint_eq(f.offset, 24 + 16 + n);
		ck_assert_uint_eq(f.caplen, 60);
		ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
		ck_assert_uint_eq(pd_reader_tell(r), c.len);
		pd_reader_free(r);
	}
	free(c.b);

	/* libpcap cannot filter NFLOG: our filter runs on the IP packet in NFULA_PAYLOAD. Frames:
	 * NFLOG header + NFULA_PAYLOAD TLV (little-endian) around UDP, TCP, then a frame whose
	 * TLV length runs past the frame (hostile: no payload to filter, so it does not match). */
	memset(&c, 0, sizeof(c));
	cb_pcap_header(&c, false, 65535, PD_LINK_NFLOG);
	{
		uint8_t fr[400], eth[400];
		int k;
		for (k = 0; k < 3; k++) {
			size_t n = eth_frame(eth, k == 1 ? 6 : 17, 10) - 14;
			memcpy(fr, "\x02\x00\x00\x05", 4);
			fr[4] = (uint8_t)(4 + n);
			fr[5] = k == 2 ? 0x7f : 0;
			fr[6] = 9;
			fr[7] = 0;
			memcpy(fr + 8, eth + 14, n);
			cb_pcap_record(&c, false, k * 1000, fr, (uint32_t)(8 + n),
			               (uint32_t)(8 + n));
		}
	}
	r = open_buf(&c, "udp port 53", &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(f.ts_ns, 0);
	ck_assert_int_eq(f.linktype, PD_LINK_NFLOG);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
	pd_reader_free(r);
	free(c.b);

	/* A filter cannot be compiled for link type 147 (USER0). */
	build(&c, false, false, 147);
	r = open_buf(&c, "udp", &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(eb, "linktype-147") != NULL, "%s", eb);
	free(c.b);
}
END_TEST

static const char *captures_dir(void)
{
	static const char *const dirs[] = { PD_SOURCE_DIR "/../shared/captures",
		                            PD_SOURCE_DIR "/../../shared/captures" };
	size_t i;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (access(dirs[i], R_OK) == 0)
			return dirs[i];
	return NULL;
}

/* A pipe as the capture (`pcapdomains report <(zcat x.pcap.gz)`): refused by name, since
 * the reader and the content hash each read the file; the bytes are build()'s output. */
START_TEST(hostile_pipe)
{
	char path[64], eb[PD_ERRBUF_SIZE];
	struct cb c = { 0 };
	enum pd_err e;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_pcap.fifo.%ld", (long)getpid());
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	fd = open(path, O_RDWR); /* a writer, so that the reader's open does not block */
	ck_assert_int_ge(fd, 0);
	build(&c, false, false, PD_LINK_ETHERNET);
	ck_assert_int_eq(write(fd, c.b, c.len), (ssize_t)c.len);
	{
		/* read once, as a stream (issue 17): every frame, then the end, and the hash of
		 * exactly the bytes written */
		struct pd_reader *r = pd_reader_open(path, NULL, &e, eb);
		struct pd_frame f;
		unsigned n = 0;
		char hex[65];
		uint64_t size = 0;

		ck_assert_msg(r != NULL, "%s", eb);
		close(fd); /* the last writer: the reader sees the end after the bytes */
		ck_assert(pd_reader_is_stream(r));
		while ((e = pd_reader_next(r, &f, eb)) == PD_OK)
			n++;
		ck_assert_int_eq(e, PD_ERR_NOTFOUND);
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(pd_reader_stream_hash(r, hex, &size, eb), PD_OK);
		ck_assert_uint_eq(size, c.len);
		pd_reader_free(r);
	}
	unlink(path);
	free(c.b);
}
END_TEST

/*
 * The real captures in ../shared/captures (not part of the repository): every file listed in
 * the README table must read to the end with the packet count and link type tshark showed.
 */
START_TEST(real_captures)
{
	const char *dir = captures_dir();
	char path[1024], line[2048], eb[PD_ERRBUF_SIZE];
	unsigned checked = 0, n;
	struct pd_reader *r;
	struct pd_frame f;
	enum pd_err e;
	FILE *readme;

	if (!dir) {
		printf("real_captures: ../shared/captures absent, nothing to compare\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/README.md", dir);
	readme = fopen(path, "r");
	ck_assert_ptr_nonnull(readme);
	while (fgets(line, sizeof(line), readme)) {
		char *col[6] = { 0 }, *p = line, *save = NULL;
		int i;
		/* | file | source | packets | link | ... */
		if (strncmp(line, "| ", 2) != 0 || !strstr(line, ".pcap"))
			continue;
		for (i = 0; i < 6 && (p = strtok_r(i ? NULL : line, "|", &save)); i++) {
			while (*p == ' ')
				p++;
			col[i] = p;
			p += strcspn(p, " ");
			*p = 0;
		}
		if (i < 4)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, col[0]);
		r = pd_reader_open(path, NULL, &e, eb);
		ck_assert_msg(r != NULL, "%s", eb);
		for (n = 0; (e = pd_reader_next(r, &f, eb)) == PD_OK; n++)
			ck_assert_msg(strcmp(pd_link_name(f.linktype), col[3]) == 0,
			              "%s: link %s, README says %s", col[0],
			              pd_link_name(f.linktype), col[3]);
		ck_assert_msg(e == PD_ERR_NOTFOUND, "%s", eb);
		ck_assert_msg(n == (unsigned)atoi(col[2]), "%s: %u frames, README says %s", col[0],
		              n, col[2]);
		pd_reader_free(r);
		checked++;
	}
	fclose(readme);
	printf("real_captures: %u captures in %s match their README counts\n", checked, dir);
	ck_assert_uint_gt(checked, 10);
}
END_TEST

/* Everything a reader returned for one file: frames (with a copy of their bytes) and the end. */
struct trace {
	struct cb out; /* the frames, serialized */
	enum pd_err open_err, end_err;
	char open_msg[PD_ERRBUF_SIZE], end_msg[PD_ERRBUF_SIZE];
	uint64_t tell;
	unsigned frames;
};

static void trace_file(const char *path, bool libpcap, struct trace *t)
{
	struct pd_reader *r;
	struct pd_frame f;

	memset(t, 0, sizeof(*t));
	pd_pcap_libpcap_only(libpcap);
	r = pd_reader_open(path, NULL, &t->open_err, t->open_msg);
	pd_pcap_libpcap_only(false);
	if (!r)
		return;
	while ((t->end_err = pd_reader_next(r, &f, t->end_msg)) == PD_OK) {
		cb_bytes(&t->out, &f.ts_ns, sizeof(f.ts_ns));
		cb_bytes(&t->out, &f.caplen, sizeof(f.caplen));
		cb_bytes(&t->out, &f.origlen, sizeof(f.origlen));
		cb_bytes(&t->out, &f.linktype, sizeof(f.linktype));
		cb_bytes(&t->out, &f.offset, sizeof(f.offset));
		cb_bytes(&t->out, f.data, f.caplen);
		t->frames++;
	}
	t->tell = pd_reader_tell(r);
	pd_reader_free(r);
}

/* Reads path both ways and fails unless both saw the same; returns the frames read. */
static unsigned same_both_ways(const char *path, const char *what)
{
	struct trace a, b;

	trace_file(path, false, &a);
	trace_file(path, true, &b);
	ck_assert_msg(a.open_err == b.open_err && strcmp(a.open_msg, b.open_msg) == 0,
	              "%s: open: ours %d \"%s\", libpcap %d \"%s\"", what, a.open_err, a.open_msg,
	              b.open_err, b.open_msg);
	ck_assert_msg(a.frames == b.frames, "%s: %u frames ours, %u libpcap", what, a.frames,
	              b.frames);
	ck_assert_msg(a.out.len == b.out.len &&
	                      (!a.out.len || memcmp(a.out.b, b.out.b, a.out.len) == 0),
	              "%s: frames differ", what);
	ck_assert_msg(a.end_err == b.end_err && strcmp(a.end_msg, b.end_msg) == 0,
	              "%s: end: ours %d \"%s\", libpcap %d \"%s\"", what, a.end_err, a.end_msg,
	              b.end_err, b.end_msg);
	ck_assert_msg(a.tell == b.tell, "%s: tell %llu ours, %llu libpcap", what,
	              (unsigned long long)a.tell, (unsigned long long)b.tell);
	free(a.out.b);
	free(b.out.b);
	return a.frames;
}

static unsigned same_buf(const struct cb *c, const char *what)
{
	char *path = pd_test_write_temp(c->b, c->len, ".pcap");
	unsigned n = same_both_ways(path, what);
	unlink(path);
	free(path);
	return n;
}

/* xorshift64: the corruption below is deterministic. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Our record reader against libpcap (the reference) on: build()'s files in both byte orders
 * and resolutions, cut at every length; records with extreme timestamps, over-long and
 * oversized records; link types the fast path leaves to libpcap; 2000 files corrupted by
 * overwriting random record-header bytes of build()'s output with random values; and the
 * shared real captures.
 */
START_TEST(fast_path)
{
	const char *dir = captures_dir();
	char what[1200], path[1400];
	uint64_t seed = 0x5eed;
	struct cb c, d;
	size_t cut, full;
	uint8_t fr[400];
	unsigned real = 0;
	int i, k;

	for (i = 0; i < 4; i++) {
		bool be = i & 1, nano = i & 2;
		build(&c, be, nano, PD_LINK_ETHERNET);
		full = c.len;
		for (cut = 0; cut <= full; cut++) {
			c.len = cut;
			snprintf(what, sizeof(what), "be=%d nano=%d cut at %zu", be, nano, cut);
			same_buf(&c, what);
		}
		free(c.b);

		/* Timestamps with the top bit set in seconds and fraction, a fraction over one
		 * second; a record over the snaplen (100) and one of 262145 bytes. */
		memset(&c, 0, sizeof(c));
		c.be = be;
		cb_pcap_header(&c, nano, 100, PD_LINK_ETHERNET);
		for (k = 0; k < 3; k++) {
			size_t n = eth_frame(fr, 17, 20);
			cb_u32(&c, k == 0 ? 0x80000001u : 1700000000u);
			cb_u32(&c, k == 1 ? 0xFFFFFFF0u : 1999999999u);
			cb_u32(&c, (uint32_t)n);
			cb_u32(&c, (uint32_t)n);
			cb_bytes(&c, fr, n);
		}
		{
			uint8_t *big = calloc(1, 262145);
			cb_pcap_record(&c, nano, 5, big, 150, 150);
			cb_pcap_record(&c, nano, 6, big, 262145, 262145);
			free(big);
		}
		snprintf(what, sizeof(what), "be=%d nano=%d extremes", be, nano);
		ck_assert_uint_eq(same_buf(&c, what), 4);
		free(c.b);

		/* Link types and versions left to libpcap must read the same too (trivially). */
		build(&c, be, nano, PD_LINK_LINUX_SLL);
		snprintf(what, sizeof(what), "be=%d nano=%d sll", be, nano);
		ck_assert_uint_eq(same_buf(&c, what), 3);
		cb_put32(&c, 20, 147);
		snprintf(what, sizeof(what), "be=%d nano=%d user0", be, nano);
		ck_assert_uint_eq(same_buf(&c, what), 3);
		free(c.b);
	}

	/* Random record-header corruption (the bytes: build()'s files, overwritten here). */
	for (i = 0; i < 2000; i++) {
		uint64_t v = rnd(&seed);
		build(&c, v & 1, v & 2, PD_LINK_ETHERNET);
		d = c;
		for (k = 0; k < 1 + (int)(v >> 8) % 3; k++) {
			/* a byte of one of the three record headers, at 24, 102 or 292 */
			static const size_t hdr_at[3] = { 24, 24 + 16 + 62,
				                          24 + 16 + 62 + 16 + 100 };
			uint64_t w = rnd(&seed);
			d.b[hdr_at[w % 3] + (w >> 8) % 16] = (uint8_t)(w >> 16);
		}
		snprintf(what, sizeof(what), "corruption %d", i);
		same_buf(&d, what);
		free(c.b);
	}

	if (dir) {
		DIR *dh;
		struct dirent *de;
		char sub[1100];
		static const char *const subs[] = { "",         "/arkime", "/mercury", "/ndpi",
			                            "/tcpdump", "/zeek",   "/truth" };
		for (k = 0; k < (int)(sizeof(subs) / sizeof(subs[0])); k++) {
			snprintf(sub, sizeof(sub), "%s%s", dir, subs[k]);
			dh = opendir(sub);
			while (dh && (de = readdir(dh))) {
				size_t l = strlen(de->d_name);
				if (l < 5 || strcmp(de->d_name + l - 5, ".pcap") != 0)
					continue;
				snprintf(path, sizeof(path), "%s/%s", sub, de->d_name);
				same_both_ways(path, path);
				real++;
			}
			if (dh)
				closedir(dh);
		}
		printf("fast_path: %u real classic pcap files read the same as libpcap\n", real);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = tcase_create("pcap");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, libpcap_written);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, hostile_pipe);
	tcase_add_test(tc, real_captures);
	tcase_add_test(tc, fast_path);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
