/*
 * test_pcapng_write.c - the capture helper's own code that needs no root: the pcapng writer
 * (read back with the analyzer's reader, analyze/pcapng.c, and with libpcap), the JSON reader
 * and the HTTP answer parser used for the Engine API.
 *
 * The helper is an executable, not a library, so its source files are compiled in here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "../cmd/pcapdomains-capture/engine.c"
#include "../cmd/pcapdomains-capture/ifaddr.c"
#include "../cmd/pcapdomains-capture/json.c"
#include "../cmd/pcapdomains-capture/pcapng_write.c"
#include "capture.h"
#include "testutil.h"

/* eth0's addresses in the sample: 10.77.0.2/16, a labelled 192.0.2.9/32, fd00:77::2/64, ::1/128. */
static const struct pd_cap_ifaddr sample_addrs[] = {
	{ 4, 16, { 10, 77, 0, 2 } },
	{ 4, 32, { 192, 0, 2, 9 } },
	{ 6, 64, { 0xfd, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } },
	{ 6, 128, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
};

/*
 * The if_IPv4addr/if_IPv6addr option values of the idx-th IDB of a file written by this
 * (little- or big-endian: host order) writer, concatenated as "4:HEX;" / "5:HEX;". A walker of
 * its own, independent of the analyzer's reader.
 */
static void idb_addr_opts(const uint8_t *d, size_t len, unsigned idx, char *out, size_t outsz)
{
	size_t o = 0, k = 0;
	unsigned seen = 0;
	out[0] = '\0';
	while (o + 12 <= len) {
		uint32_t type, blen;
		memcpy(&type, d + o, 4);
		memcpy(&blen, d + o + 4, 4);
		ck_assert_uint_ge(blen, 12);
		ck_assert_uint_le(o + blen, len);
		if (type == PD_PCAPNG_IDB && seen++ == idx) {
			size_t p = o + 16;
			while (p + 4 <= o + blen - 4) {
				uint16_t code, vlen;
				memcpy(&code, d + p, 2);
				memcpy(&vlen, d + p + 2, 2);
				if (code == PD_OPT_ENDOFOPT)
					break;
				if (code == PD_IF_IPV4ADDR || code == PD_IF_IPV6ADDR) {
					k += (size_t)snprintf(out + k, outsz - k, "%u:", code);
					for (uint16_t i = 0; i < vlen; i++)
						k += (size_t)snprintf(out + k, outsz - k, "%02x",
						                      d[p + 4 + i]);
					k += (size_t)snprintf(out + k, outsz - k, ";");
					ck_assert_uint_lt(k, outsz);
				}
				p += 4 + PAD4(vlen);
			}
			return;
		}
		o += blen;
	}
	ck_abort_msg("no IDB %u", idx);
}

/* One getifaddrs(3)-like entry with the storage its pointers point into. */
struct test_ifa {
	struct ifaddrs a;
	struct sockaddr_storage sa, mask;
	char name[32];
};

static void ifa_set(struct test_ifa *t, struct test_ifa *next, const char *name, int family,
                    const char *addr, const char *maskstr)
{
	struct ifaddrs *a = &t->a;
	struct sockaddr_storage *sa = &t->sa, *mask = &t->mask;
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	a->ifa_next = next ? &next->a : NULL;
	a->ifa_name = t->name;
	a->ifa_addr = (struct sockaddr *)sa;
	sa->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		ck_assert_int_eq(inet_pton(AF_INET, addr, &((struct sockaddr_in *)sa)->sin_addr),
		                 1);
	else if (family == AF_INET6)
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)sa)->sin6_addr),
		                 1);
	if (maskstr) {
		a->ifa_netmask = (struct sockaddr *)mask;
		mask->ss_family = (sa_family_t)family;
		if (family == AF_INET)
			ck_assert_int_eq(inet_pton(AF_INET, maskstr,
			                           &((struct sockaddr_in *)mask)->sin_addr),
			                 1);
		else
			ck_assert_int_eq(inet_pton(AF_INET6, maskstr,
			                           &((struct sockaddr_in6 *)mask)->sin6_addr),
			                 1);
	}
}

static char *fmt_addr(const struct pd_cap_ifaddr *a, char *buf, size_t sz)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, t, sizeof t);
	snprintf(buf, sz, "%s/%u", t, a->prefix);
	return buf;
}

/* Builds a small capture: SHB with metadata, two interfaces, npkts packets, statistics. */
static char *write_sample(unsigned npkts, bool mixed, uint64_t *ends, size_t *nends)
{
	char path[] = "/tmp/pd-test-pcapng-write-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	struct pd_cap_w w;
	char err[PD_CAP_ERRBUF];
	ck_assert_int_eq(pd_cap_w_init(&w, fd, path, err), 0);
	struct pd_cap_shb_info in = {
		.comment = "Captured by test",
		.meta_keys = { "runtime", "container_name", "pid", "netns_inode" },
		.meta_vals = { "docker", "web", "4242", "4026531840" },
		.n_meta = 4,
		.hardware = "x86_64",
		.os = "Linux 6.1",
		.userappl = "pcapdomains-capture test",
	};
	size_t k = 0;
	ck_assert_int_eq(pd_cap_w_shb(&w, &in), 0);
	ck_assert_int_eq(pd_cap_w_idb(&w, 1, 262144, "eth0", "eth0 in docker web", 9, "port 53",
	                              sample_addrs, 4),
	                 0);
	ck_assert_int_eq(pd_cap_w_idb(&w, mixed ? 101 : 1, mixed ? 65535 : 262144, "tun0", NULL, 6,
	                              NULL, NULL, 0),
	                 0);
	ends[k++] = w.file_bytes;
	for (unsigned i = 0; i < npkts; i++) {
		uint8_t data[1500];
		uint32_t len = (i * 37) % 1500; /* 0, 37, 74, ...: every padding case */
		for (uint32_t j = 0; j < len; j++)
			data[j] = (uint8_t)(i + j);
		uint64_t ts = i % 2 ? 1700000000000000ull + i : 1700000000000000000ull + i;
		ck_assert_int_eq(pd_cap_w_epb(&w, i % 2, ts, data, len, len + 4, i % 3), 0);
		ends[k++] = w.file_bytes;
	}
	struct pd_cap_isb s = { .ts = 1700000000000000001ull,
		                .start = 1700000000000000000ull,
		                .end = 1700000000000000002ull,
		                .ifrecv = 1000,
		                .ifdrop = 7,
		                .usrdeliv = npkts / 2,
		                .has_recv = true };
	ck_assert_int_eq(pd_cap_w_isb(&w, 0, &s), 0);
	ends[k++] = w.file_bytes;
	*nends = k;
	ck_assert_int_eq(pd_cap_w_close(&w, err), 0);
	pd_cap_w_clear(&w);
	return strdup(path);
}

START_TEST(valid)
{
	uint64_t ends[1100];
	size_t nends;
	char *path = write_sample(1000, true, ends, &nends);
	char err[PD_ERRBUF_SIZE];
	enum pd_err e;
	struct pd_reader *r = pd_reader_open(path, NULL, &e, err);
	ck_assert_msg(r != NULL, "%s", err);
	struct pd_frame f;
	unsigned n = 0;
	while ((e = pd_reader_next(r, &f, err)) == PD_OK) {
		uint32_t len = (n * 37) % 1500;
		ck_assert_uint_eq(f.caplen, len);
		ck_assert_uint_eq(f.origlen, len + 4);
		ck_assert_uint_eq(f.iface, n % 2);
		ck_assert_int_eq(f.linktype, n % 2 ? 101 : 1);
		/* Interface 1 has microseconds: its timestamps come out scaled to nanoseconds. */
		int64_t want = n % 2 ? (int64_t)(1700000000000000ull + n) * 1000
		                     : (int64_t)(1700000000000000000ull + n);
		ck_assert_int_eq(f.ts_ns, want);
		ck_assert_uint_eq(f.epb_flags, n % 3);
		for (uint32_t j = 0; j < len; j++)
			ck_assert_uint_eq(f.data[j], (uint8_t)(n + j));
		n++;
	}
	ck_assert_msg(e == PD_ERR_NOTFOUND, "%s", err);
	ck_assert_uint_eq(n, 1000);
	const struct pd_capinfo *ci = pd_reader_info(r);
	ck_assert_uint_eq(ci->n_ifaces, 2);
	ck_assert_str_eq(ci->ifaces[0].name, "eth0");
	ck_assert_str_eq(ci->ifaces[0].description, "eth0 in docker web");
	ck_assert_str_eq(ci->ifaces[1].name, "tun0");
	ck_assert_uint_eq(ci->ifaces[0].snaplen, 262144);
	ck_assert(ci->ifaces[0].has_stats);
	ck_assert_uint_eq(ci->ifaces[0].received, 1000);
	ck_assert_uint_eq(ci->ifaces[0].dropped, 7);
	ck_assert_str_eq(pd_capinfo_meta(ci, "runtime"), "docker");
	ck_assert_str_eq(pd_capinfo_meta(ci, "container_name"), "web");
	ck_assert_str_eq(pd_capinfo_meta(ci, "pid"), "4242");
	ck_assert_str_eq(pd_capinfo_meta(ci, "netns_inode"), "4026531840");
	ck_assert_str_eq(ci->hardware, "x86_64");
	ck_assert_str_eq(ci->os, "Linux 6.1");
	ck_assert_str_eq(ci->userappl, "pcapdomains-capture test");
	/* The analyzer's reader takes eth0's four addresses back as written; tun0 has none. */
	ck_assert_uint_eq(ci->ifaces[0].n_addrs, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(ci->ifaces[0].addrs[i].family, sample_addrs[i].family);
		ck_assert_uint_eq(ci->ifaces[0].addrs[i].prefix, sample_addrs[i].prefix);
		ck_assert_mem_eq(ci->ifaces[0].addrs[i].addr, sample_addrs[i].addr,
		                 sample_addrs[i].family == 4 ? 4 : 16);
	}
	ck_assert_uint_eq(ci->ifaces[1].n_addrs, 0);
	pd_reader_free(r);

	/* eth0's block has its four addresses in order, IPv4 with netmasks; tun0's has none. */
	size_t flen;
	uint8_t *fb = pd_test_read_file(path, &flen);
	char opts[512];
	idb_addr_opts(fb, flen, 0, opts, sizeof opts);
	ck_assert_str_eq(opts, "4:0a4d0002ffff0000;4:c0000209ffffffff;"
	                       "5:fd000077000000000000000000000002"
	                       "40;"
	                       "5:00000000000000000000000000000001"
	                       "80;");
	idb_addr_opts(fb, flen, 1, opts, sizeof opts);
	ck_assert_str_eq(opts, "");
	free(fb);

	unlink(path);
	free(path);

	/* libpcap reads it too (it wants one link type in a file). */
	path = write_sample(1000, false, ends, &nends);
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, perr);
	ck_assert_msg(p != NULL, "%s", perr);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned pn = 0;
	int pr;
	while ((pr = pcap_next_ex(p, &h, &d)) == 1)
		pn++;
	ck_assert_msg(pr == PCAP_ERROR_BREAK, "libpcap: %s", pcap_geterr(p));
	ck_assert_uint_eq(pn, 1000);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
	pcap_close(p);
	unlink(path);
	free(path);

	/*
	 * An interface's addresses from a getifaddrs(3) list: its own IPv4 and IPv6 entries and
	 * labelled aliases ("eth0:web"), in order; not another interface's, not "eth00"'s, not
	 * the link (AF_PACKET) entry.
	 */
	{
		struct test_ifa l[7];
		ifa_set(&l[6], NULL, "eth0", AF_INET6, "fe80::1", "ffff:ffff:ffff:ffff::");
		ifa_set(&l[5], &l[6], "eth00", AF_INET, "10.9.9.9", "255.0.0.0");
		ifa_set(&l[4], &l[5], "eth0", AF_INET6, "fd00:77::2", "ffff:ffff:ffff:ffff::");
		ifa_set(&l[3], &l[4], "eth0:web", AF_INET, "10.77.0.9", "255.255.255.255");
		ifa_set(&l[2], &l[3], "lo", AF_INET, "127.0.0.1", "255.0.0.0");
		ifa_set(&l[1], &l[2], "eth0", AF_PACKET, NULL, NULL);
		ifa_set(&l[0], &l[1], "eth0", AF_INET, "10.77.0.2", "255.255.0.0");
		struct pd_cap_ifaddr got[8];
		bool more;
		char b[64];
		ck_assert_uint_eq(pd_cap_ifaddr_collect(&l[0].a, "eth0", got, 8, &more), 4);
		ck_assert(!more);
		ck_assert_str_eq(fmt_addr(&got[0], b, sizeof b), "10.77.0.2/16");
		ck_assert_str_eq(fmt_addr(&got[1], b, sizeof b), "10.77.0.9/32");
		ck_assert_str_eq(fmt_addr(&got[2], b, sizeof b), "fd00:77::2/64");
		ck_assert_str_eq(fmt_addr(&got[3], b, sizeof b), "fe80::1/64");
		ck_assert_uint_eq(pd_cap_ifaddr_collect(&l[0].a, "lo", got, 8, &more), 1);
		ck_assert_str_eq(fmt_addr(&got[0], b, sizeof b), "127.0.0.1/8");
		ck_assert_uint_eq(pd_cap_ifaddr_collect(&l[0].a, "eth", got, 8, &more), 0);
		ck_assert_uint_eq(pd_cap_ifaddr_collect(NULL, "eth0", got, 8, &more), 0);
		/* Room for two: the first two, and "more". */
		ck_assert_uint_eq(pd_cap_ifaddr_collect(&l[0].a, "eth0", got, 2, &more), 2);
		ck_assert(more);
		ck_assert_str_eq(fmt_addr(&got[1], b, sizeof b), "10.77.0.9/32");
	}

	/* The JSON reader on an Engine API-like answer. */
	const char *doc = "{\"Id\":\"abc\",\"Args\":[\"a\",{\"x\":[1,2,{}]}],\"State\":{\"Health\":"
	                  "{\"Pid\":9},\"Pid\":1234,\"Running\":true},\"Name\":\"/w\\u00e9b\\n\","
	                  "\"Config\":{\"Image\":\"nginx:1\"},\"Neg\":-1.5e3,\"N\":null}";
	char out[64];
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "State.Pid", out, sizeof out),
	                 PD_CAP_JSON_NUMBER);
	ck_assert_str_eq(out, "1234");
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "State.Running", out, sizeof out),
	                 PD_CAP_JSON_TRUE);
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "Name", out, sizeof out),
	                 PD_CAP_JSON_STRING);
	ck_assert_str_eq(out, "/w\xc3\xa9"
	                      "b?");
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "Config.Image", out, sizeof out),
	                 PD_CAP_JSON_STRING);
	ck_assert_str_eq(out, "nginx:1");
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "Neg", out, sizeof out),
	                 PD_CAP_JSON_NUMBER);
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "N", out, sizeof out), PD_CAP_JSON_NULL);
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "State.Nope", out, sizeof out),
	                 PD_CAP_JSON_NONE);
	ck_assert_int_eq(pd_cap_json_get(doc, strlen(doc), "Id.x", out, sizeof out),
	                 PD_CAP_JSON_NONE);

	/* HTTP: Content-Length and chunked (with an extension) bodies. */
	const char *m1 = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4"
	                 "\r\n\r\n{}xx";
	const char *m2 = "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3;a=b\r\n"
	                 "{\"m\r\n5\r\n\":1}\n\r\n0\r\n\r\n";
	int st;
	char *body;
	size_t blen;
	ck_assert_int_eq(pd_cap_http_parse(m1, strlen(m1), &st, &body, &blen, err), 0);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(body, "{}xx");
	free(body);
	ck_assert_int_eq(pd_cap_http_parse(m2, strlen(m2), &st, &body, &blen, err), 0);
	ck_assert_int_eq(st, 404);
	ck_assert_str_eq(body, "{\"m\":1}\n");
	free(body);
}
END_TEST

START_TEST(truncated)
{
	/* A file cut anywhere reads to its last whole block; cut on a block end, it reads clean. */
	uint64_t ends[64];
	size_t nends;
	char *path = write_sample(40, true, ends, &nends);
	size_t len;
	uint8_t *all = pd_test_read_file(path, &len);
	ck_assert_uint_eq(len, ends[nends - 1]);
	for (size_t cut = ends[0]; cut <= len; cut++) {
		char *p = pd_test_write_temp(all, cut, ".pcapng");
		char err[PD_ERRBUF_SIZE];
		enum pd_err e;
		struct pd_reader *r = pd_reader_open(p, NULL, &e, err);
		ck_assert_msg(r != NULL, "cut %zu: %s", cut, err);
		struct pd_frame f;
		unsigned n = 0;
		while ((e = pd_reader_next(r, &f, err)) == PD_OK)
			n++;
		unsigned whole = 0;
		bool boundary = false;
		for (size_t i = 1; i < nends; i++) {
			if (ends[i] <= cut && i < nends - 1)
				whole = (unsigned)i;
			boundary |= ends[i] == cut;
		}
		boundary |= ends[0] == cut;
		ck_assert_msg(n == whole, "cut %zu: %u packets, want %u", cut, n, whole);
		ck_assert_msg(boundary ? e == PD_ERR_NOTFOUND : e == PD_ERR_TRUNCATED,
		              "cut %zu: %s (%s)", cut, pd_strerror(e), err);
		pd_reader_free(r);
		unlink(p);
		free(p);
	}
	free(all);
	unlink(path);
	free(path);

	/*
	 * A write that fails halfway (file size limit, as on a full disk) leaves the file at the
	 * last block boundary, and the writer refuses further blocks.
	 */
	char tpath[] = "/tmp/pd-test-pcapng-fsize-XXXXXX";
	int fd = mkstemp(tpath);
	ck_assert_int_ge(fd, 0);
	uint64_t good = 0;
	char err[PD_CAP_ERRBUF];
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	/* In a child of our own: Check's own result file must not hit the size limit. */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = { 3000, 3000 };
		struct pd_cap_w w;
		struct pd_cap_shb_info in = { .hardware = "h", .os = "o", .userappl = "u" };
		uint8_t data[1000] = { 0 };
		int bad = 0;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0 || pd_cap_w_init(&w, fd, tpath, err) < 0 ||
		    pd_cap_w_shb(&w, &in) < 0 ||
		    pd_cap_w_idb(&w, 1, 1500, "eth0", NULL, 9, NULL, NULL, 0) < 0 ||
		    pd_cap_w_flush(&w) < 0)
			_exit(10);
		good = w.file_bytes;
		for (int i = 0; i < 5; i++)
			bad |= pd_cap_w_epb(&w, 0, 1, data, sizeof data, sizeof data, 0) != 0;
		bad |= (pd_cap_w_flush(&w) != -1) << 1; /* the write hits the limit */
		bad |= (w.sys_errno != EFBIG) << 2;
		bad |= (pd_cap_w_epb(&w, 0, 1, data, 10, 10, 0) != -1) << 3; /* refused after */
		bad |= (pd_cap_w_close(&w, err) != -1) << 4;
		bad |= (strstr(err, "File too large") == NULL) << 5;
		if (write(pfd[1], &good, sizeof good) != sizeof good)
			bad |= 1 << 6;
		_exit(bad);
	}
	int ws;
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child status %d", ws);
	ck_assert_int_eq(read(pfd[0], &good, sizeof good), sizeof good);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	struct stat st;
	ck_assert_int_eq(stat(tpath, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, good);
	unlink(tpath);

	/* Engine answers cut short. */
	const char *cuts[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\":",          /* body short */
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",                     /* headers cut */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"", /* chunk cut */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",         /* no chunk size */
		"HTTP/1.1",
	};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		int status;
		char *body = NULL;
		size_t blen;
		ck_assert_msg(pd_cap_http_parse(cuts[i], strlen(cuts[i]), &status, &body, &blen,
		                                err) == -1,
		              "cut answer %zu accepted", i);
		ck_assert_ptr_null(body);
	}
	const char *jcuts = "{\"State\":{\"Pid\":12";
	for (size_t n = 0; n < strlen(jcuts); n++) {
		char out[32];
		int t = pd_cap_json_get(jcuts, n, "State.Pid", out, sizeof out);
		ck_assert_msg(t == -1 || t == PD_CAP_JSON_NONE, "cut json %zu gave %d", n, t);
	}
}
END_TEST

START_TEST(hostile)
{
	char err[PD_CAP_ERRBUF], out[64];
	int status;
	char *body;
	size_t blen;

	/*
	 * JSON a misbehaving daemon or crictl could print (bytes written for this test): nesting
	 * past the depth limit, bad escapes, lone surrogates, control characters in strings, a
	 * key longer than the key buffer that must not match by its prefix.
	 */
	char deep[4096];
	memset(deep, '[', sizeof deep);
	ck_assert_int_eq(pd_cap_json_get(deep, sizeof deep, "a", out, sizeof out), -1);
	char deepobj[8192];
	size_t k = 0;
	for (int i = 0; i < 1000; i++)
		k += (size_t)snprintf(deepobj + k, sizeof deepobj - k, "{\"a\":");
	ck_assert_int_eq(pd_cap_json_get(deepobj, k, "a.a.a", out, sizeof out), -1);
	const char *bad[] = {
		"{\"a\":\"\\x\"}",       "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}",
		"{\"a\":\"x\ny\"}",      "{\"b\":tru,\"a\":1}", "{\"b\" 1,\"a\":1}",
		"{\"b\":[1 2],\"a\":1}", "{\"b\":\"\\u12\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(pd_cap_json_get(bad[i], strlen(bad[i]), "a", out, sizeof out) == -1,
		              "bad json %zu accepted", i);
	char longkey[400];
	memset(longkey, 0, sizeof longkey);
	strcpy(longkey, "{\"");
	memset(longkey + 2, 'P', 200);
	strcpy(longkey + 202, "\":1,\"P\":2}");
	ck_assert_int_eq(pd_cap_json_get(longkey, strlen(longkey), "P", out, sizeof out),
	                 PD_CAP_JSON_NUMBER);
	ck_assert_str_eq(out, "2");
	/* A long string is cut to the output buffer, control characters replaced. */
	const char *ctl =
	        "{\"a\":\"\\u001b[31mred\\u0000\\t0123456789012345678901234567890123456789"
	        "0123456789012345678901234567890\"}";
	ck_assert_int_eq(pd_cap_json_get(ctl, strlen(ctl), "a", out, sizeof out),
	                 PD_CAP_JSON_STRING);
	ck_assert_uint_eq(strlen(out), sizeof out - 1);
	ck_assert(strncmp(out, "?[31mred??0123", 14) == 0);

	/*
	 * HTTP answers a hostile socket could send (written for this test): chunk sizes that
	 * overflow 64 bits or exceed the answer, a Content-Length beyond the body, an unknown
	 * transfer coding, garbage instead of a status line.
	 */
	const char *h[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nx\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		"chunked\r\n\r\n7fffffffffffffff\r\nx\r\n0\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}",
		"SSH-2.0-OpenSSH_9.2\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
		body = NULL;
		ck_assert_msg(pd_cap_http_parse(h[i], strlen(h[i]), &status, &body, &blen, err) ==
		                      -1,
		              "hostile answer %zu accepted", i);
		ck_assert_ptr_null(body);
	}

	/*
	 * Addresses a confused caller or kernel could hand over (made up for this test): more than
	 * PD_CAP_MAX_IFADDRS (the first 64 are written), an unknown family (left out), prefix
	 * lengths past the family's width (clamped: /32 and /128), prefix 0, an address entry with
	 * no address or no netmask, and a netmask that is not contiguous (its leading ones count).
	 */
	{
		struct pd_cap_ifaddr many[70];
		memset(many, 0, sizeof many);
		for (unsigned i = 0; i < 70; i++) {
			many[i].family = 4;
			many[i].prefix = (uint8_t)(i == 1 ? 200 : 24);
			many[i].addr[0] = 10;
			many[i].addr[3] = (uint8_t)i;
		}
		many[0].prefix = 0;
		many[2].family = 7;
		many[3].family = 6;
		many[3].prefix = 255;
		char hp[] = "/tmp/pd-test-pcapng-addrs-XXXXXX";
		int hfd = mkstemp(hp);
		ck_assert_int_ge(hfd, 0);
		struct pd_cap_w hw;
		ck_assert_int_eq(pd_cap_w_init(&hw, hfd, hp, err), 0);
		struct pd_cap_shb_info hin = { .hardware = "h", .os = "o", .userappl = "u" };
		ck_assert_int_eq(pd_cap_w_shb(&hw, &hin), 0);
		ck_assert_int_eq(pd_cap_w_idb(&hw, 1, 1500, "eth0", NULL, 9, NULL, many, 70), 0);
		ck_assert_int_eq(pd_cap_w_close(&hw, err), 0);
		pd_cap_w_clear(&hw);
		size_t hlen;
		uint8_t *hb = pd_test_read_file(hp, &hlen);
		char opts[4096];
		idb_addr_opts(hb, hlen, 0, opts, sizeof opts);
		ck_assert(strncmp(opts,
		                  "4:0a00000000000000;4:0a000001ffffffff;"
		                  "5:0a00000300000000000000000000000080;4:0a000004ffffff00;",
		                  strlen("4:0a00000000000000;4:0a000001ffffffff;5:0a000003000000000"
		                         "00000000000000080;4:0a000004ffffff00;")) == 0);
		unsigned nopt = 0;
		for (const char *q = opts; (q = strchr(q, ';')); q++)
			nopt++;
		ck_assert_uint_eq(nopt, 63); /* 64 written, one of them of family 7 left out */
		ck_assert_ptr_nonnull(strstr(opts, "4:0a00003fffffff00;")); /* the 64th */
		ck_assert_ptr_null(strstr(opts, "4:0a000040ffffff00;"));    /* the 65th */
		free(hb);
		char rerr2[PD_ERRBUF_SIZE];
		enum pd_err e2;
		struct pd_reader *r2 = pd_reader_open(hp, NULL, &e2, rerr2);
		ck_assert_msg(r2 != NULL, "%s", rerr2);
		pd_reader_free(r2);
		unlink(hp);

		struct test_ifa l[4];
		ifa_set(&l[3], NULL, "eth0", AF_INET6, "fd00::5", NULL);
		ifa_set(&l[2], &l[3], "eth0", AF_INET, "10.0.0.4", NULL);
		ifa_set(&l[1], &l[2], "eth0", AF_INET, "10.0.0.3", "255.0.255.0");
		ifa_set(&l[0], &l[1], "eth0", AF_INET, "10.0.0.2", "255.255.255.0");
		l[0].a.ifa_addr = NULL;
		struct pd_cap_ifaddr got[4];
		bool more;
		char b[64];
		ck_assert_uint_eq(pd_cap_ifaddr_collect(&l[0].a, "eth0", got, 4, &more), 3);
		ck_assert_str_eq(fmt_addr(&got[0], b, sizeof b), "10.0.0.3/8");
		ck_assert_str_eq(fmt_addr(&got[1], b, sizeof b), "10.0.0.4/32");
		ck_assert_str_eq(fmt_addr(&got[2], b, sizeof b), "fd00::5/128");
	}

	/* The writer caps option values at 0xfff0 bytes; the block stays readable. */
	char path[] = "/tmp/pd-test-pcapng-hostile-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	struct pd_cap_w w;
	ck_assert_int_eq(pd_cap_w_init(&w, fd, path, err), 0);
	char *huge = malloc(70000);
	memset(huge, 'x', 69999);
	huge[69999] = '\0';
	struct pd_cap_shb_info in = {
		.comment = huge, .hardware = "", .os = NULL, .userappl = "u"
	};
	ck_assert_int_eq(pd_cap_w_shb(&w, &in), 0);
	ck_assert_int_eq(pd_cap_w_idb(&w, 1, 100, "", huge, 9, huge, NULL, 0), 0);
	uint8_t d[4] = { 1, 2, 3, 4 };
	ck_assert_int_eq(pd_cap_w_epb(&w, 0, 5, d, 4, 4, 0), 0);
	ck_assert_int_eq(pd_cap_w_close(&w, err), 0);
	pd_cap_w_clear(&w);
	free(huge);
	char rerr[PD_ERRBUF_SIZE];
	enum pd_err e;
	struct pd_reader *r = pd_reader_open(path, NULL, &e, rerr);
	ck_assert_msg(r != NULL, "%s", rerr);
	struct pd_frame f;
	ck_assert_int_eq(pd_reader_next(r, &f, rerr), PD_OK);
	ck_assert_uint_eq(f.caplen, 4);
	ck_assert_int_eq(pd_reader_next(r, &f, rerr), PD_ERR_NOTFOUND);
	pd_reader_free(r);
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pcapng_write");
	TCase *tc = tcase_create("pcapng_write");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
