/*
 * reader.c - opens a capture file, sniffs its magic number and hands it to the classic pcap
 * reader (pcap.c, through libpcap) or to our pcapng block reader (pcapng.c).
 *
 * Magic numbers: pcap 0xA1B2C3D4 (microseconds) and 0xA1B23C4D (nanoseconds) in either byte
 * order (tcpdump.org/manpages/pcap-savefile.5.html); pcapng section header 0x0A0D0D0A
 * (draft-ietf-opsawg-pcapng). Anything else is "not a capture file" with the magic shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_impl.h"
#include "source.h"

ssize_t pd_reader_src_read(struct pd_reader *r, void *buf, size_t n)
{
	enum pd_err e;
	char msg[PD_ERRBUF_SIZE];
	ssize_t got = pd_source_read(r->src, buf, n, &e, msg);

	if (got >= 0)
		return got;
	if (e == PD_ERR_TRUNCATED) { /* a cut compressed stream: what came before counts */
		snprintf(r->src_cut, sizeof(r->src_cut), "%s", msg);
		return 0;
	}
	snprintf(r->src_err, sizeof(r->src_err), "%s", msg);
	r->src_err_code = e;
	return -1;
}

static struct pd_reader *reader_new(const char *path, const char *bpf, enum pd_err *err,
                                    char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
		return NULL;
	}
	r->fd = -1;
	r->path = strdup(path);
	if (bpf && *bpf)
		r->bpf = strdup(bpf);
	if (!r->path || (bpf && *bpf && !r->bpf)) {
		free(r->path);
		free(r->bpf);
		free(r);
		*err = pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
		return NULL;
	}
	return r;
}

/* Opens by the capture magic m (4 bytes; n read); comp names the compression around it. */
static struct pd_reader *open_kind(struct pd_reader *r, const uint8_t *m, ssize_t n,
                                   enum pd_compress comp, enum pd_err *err,
                                   char errbuf[PD_ERRBUF_SIZE])
{
	const char *path = r->path;
	char inside[48] = "";
	uint32_t magic;

	if (comp != PD_COMP_NONE)
		snprintf(inside, sizeof(inside), " inside its %s compression",
		         pd_compress_name(comp));
	if (n < 4 && r->src_cut[0]) { /* compressed data cut before the capture's header */
		*err = pd_errf(errbuf, PD_ERR_TRUNCATED, "%s", r->src_cut);
		goto fail;
	}
	if (n == 0) {
		*err = pd_errf(errbuf, PD_ERR_FORMAT, "%s: empty %s, not a capture", path,
		               comp != PD_COMP_NONE ? "file after decompression"
		               : r->src             ? "input"
		                                    : "file");
		goto fail;
	}
	if (n < 4) {
		*err = pd_errf(errbuf, PD_ERR_FORMAT,
		               "%s: not a capture file: only %zd bytes at offset 0%s", path, n,
		               inside);
		goto fail;
	}
	magic = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];
	switch (magic) {
	case 0xA1B2C3D4u:
	case 0xD4C3B2A1u:
	case 0xA1B23C4Du:
	case 0x4D3CB2A1u:
		r->kind = PD_READER_PCAP;
		r->info.format = "pcap";
		*err = pd_pcap_open(r, errbuf);
		break;
	case 0x0A0D0D0Au:
		r->kind = PD_READER_PCAPNG;
		r->info.format = "pcapng";
		*err = pd_pcapng_open(r, errbuf);
		break;
	default:
		*err = pd_errf(errbuf, PD_ERR_FORMAT,
		               "%s: not a capture file: magic %02x%02x%02x%02x at offset 0%s is "
		               "neither pcap nor pcapng",
		               path, m[0], m[1], m[2], m[3], inside);
		break;
	}
	if (*err == PD_OK)
		return r;
fail:
	pd_reader_free(r);
	return NULL;
}

struct pd_reader *pd_reader_open(const char *path, const char *bpf, enum pd_err *err,
                                 char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_reader *r;
	uint8_t m[8];
	struct stat st;
	ssize_t n, got;
	enum pd_compress comp;
	bool is_stdin = !strcmp(path, "-");
	int fd;

	*err = PD_OK;
	fd = is_stdin ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: cannot open: %s",
		               is_stdin ? "standard input" : path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: is a directory", path);
		close(fd);
		return NULL;
	}
	/* A regular file is peeked at without moving its offset; a stream is read once. */
	n = 0;
	do {
		got = S_ISREG(st.st_mode) ? pread(fd, m + n, sizeof(m) - (size_t)n, n)
		                          : read(fd, m + n, sizeof(m) - (size_t)n);
		if (got > 0)
			n += got;
	} while ((got > 0 && n < (ssize_t)sizeof(m)) || (got < 0 && errno == EINTR));
	if (got < 0) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	comp = pd_compress_sniff(m, (size_t)n);
	if (!(r = reader_new(path, bpf, err, errbuf))) {
		close(fd);
		return NULL;
	}
	if (S_ISREG(st.st_mode) && comp == PD_COMP_NONE) {
		/* a plain file: the readers open it by path, filehash.c hashes it */
		close(fd);
		return open_kind(r, m, n, comp, err, errbuf);
	}
	/* a stream or a compressed file: through source.c, its first bytes into r->buf */
	*err = pd_source_new(fd, m, S_ISREG(st.st_mode) ? 0 : (size_t)n, comp, path, &r->src,
	                     errbuf);
	if (*err != PD_OK) {
		close(fd);
		pd_reader_free(r);
		return NULL;
	}
	if (S_ISREG(st.st_mode))
		lseek(fd, 0, SEEK_SET);
	if (!(r->buf = malloc(PD_READER_BUF))) {
		*err = pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
		pd_reader_free(r);
		return NULL;
	}
	r->cap = PD_READER_BUF;
	{
		size_t have = 0;
		*err = pd_reader_fill(r, 4, &have, errbuf);
		if (*err != PD_OK) {
			pd_reader_free(r);
			return NULL;
		}
		return open_kind(r, r->buf, (ssize_t)(have < 4 ? have : 4), comp, err, errbuf);
	}
}

bool pd_reader_is_stream(const struct pd_reader *r)
{
	return r->src != NULL;
}

enum pd_err pd_reader_stream_hash(struct pd_reader *r, char hex[65], uint64_t *size,
                                  char errbuf[PD_ERRBUF_SIZE])
{
	return pd_source_hash(r->src, hex, size, errbuf);
}

enum pd_err pd_reader_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	enum pd_err e;

	if (r->done)
		return PD_ERR_NOTFOUND;
	e = r->kind == PD_READER_PCAP ? pd_pcap_next(r, f, errbuf) : pd_pcapng_next(r, f, errbuf);
	if (e == PD_ERR_NOTFOUND && r->src_cut[0]) /* a clean end of a cut compressed stream */
		e = pd_errf(errbuf, PD_ERR_TRUNCATED, "%s", r->src_cut);
	if (e != PD_OK)
		r->done = true;
	return e;
}

const struct pd_capinfo *pd_reader_info(const struct pd_reader *r)
{
	return &r->info;
}

uint64_t pd_reader_tell(const struct pd_reader *r)
{
	return r->kind == PD_READER_PCAP ? r->off : r->buf_off + r->pos;
}

void pd_reader_free(struct pd_reader *r)
{
	if (!r)
		return;
	if (r->kind == PD_READER_PCAP)
		pd_pcap_close(r);
	else if (r->kind == PD_READER_PCAPNG)
		pd_pcapng_close(r);
	else
		free(r->buf);
	pd_source_free(r->src);
	free(r->bpf);
	free(r->path);
	free(r);
}

/* Contract in reader_impl.h. */
enum pd_err pd_reader_fill(struct pd_reader *r, size_t n, size_t *have, char errbuf[PD_ERRBUF_SIZE])
{
	ssize_t got;

	if (r->len - r->pos >= n || r->eof) {
		*have = r->len - r->pos;
		return PD_OK;
	}
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->buf_off += r->pos;
		r->len -= r->pos;
		r->pos = 0;
	}
	if (n > r->cap) {
		size_t cap = r->cap;
		uint8_t *nb;
		while (cap < n)
			cap *= 2;
		if (cap > PD_MAX_BLOCK)
			cap = PD_MAX_BLOCK;
		nb = realloc(r->buf, cap);
		if (!nb)
			return pd_errf(errbuf, PD_ERR_NOMEM,
			               "%s: out of memory for a %zu-byte block", r->path, n);
		r->buf = nb;
		r->cap = cap;
	}
	while (r->len < n) {
		if (r->src) {
			got = pd_reader_src_read(r, r->buf + r->len, r->cap - r->len);
			if (got < 0)
				return pd_errf(errbuf, r->src_err_code, "%s", r->src_err);
		} else {
			got = read(r->fd, r->buf + r->len, r->cap - r->len);
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return pd_errf(errbuf, PD_ERR_IO, "%s: read error at offset %llu: %s",
			               r->path, (unsigned long long)(r->buf_off + r->len),
			               strerror(errno));
		if (got == 0) {
			r->eof = true;
			break;
		}
		r->len += (size_t)got;
	}
	*have = r->len - r->pos;
	return PD_OK;
}

/* LINKTYPE_* (file) to DLT_* (libpcap's compiler) where they differ on this platform. */
static int link_to_dlt(int linktype)
{
	switch (linktype) {
	case PD_LINK_RAW:
		return DLT_RAW;
#ifdef DLT_LOOP
	case PD_LINK_LOOP:
		return DLT_LOOP;
#endif
	default:
		return linktype;
	}
}

enum pd_err pd_reader_compile(struct pd_reader *r, int linktype, uint32_t snaplen,
                              struct bpf_program *prog, bool *on_ip, char errbuf[PD_ERRBUF_SIZE])
{
	pcap_t *p;
	char msg[PCAP_ERRBUF_SIZE];
	enum pd_err e = PD_OK;

	if (snaplen == 0 || snaplen > 262144)
		snaplen = 262144;
	*on_ip = linktype == PD_LINK_NFLOG;
	p = pcap_open_dead(*on_ip ? DLT_RAW : link_to_dlt(linktype), (int)snaplen);
	if (!p)
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", r->path);
	if (pcap_compile(p, prog, r->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(msg, sizeof(msg), "%s", pcap_geterr(p));
		pcap_close(p);
		/* Bad for every link type, or only for this one? */
		p = pcap_open_dead(DLT_EN10MB, 262144);
		if (p && pcap_compile(p, prog, r->bpf, 1, PCAP_NETMASK_UNKNOWN) == 0) {
			pcap_freecode(prog);
			e = pd_errf(errbuf, PD_ERR_UNSUPPORTED,
			            "%s: filter \"%s\" cannot be applied to link type %s: %s",
			            r->path, r->bpf, pd_link_name(linktype), msg);
		} else {
			e = pd_errf(errbuf, PD_ERR_USAGE, "bad filter \"%s\": %s", r->bpf, msg);
		}
	}
	if (p)
		pcap_close(p);
	return e;
}

bool pd_reader_match(const struct bpf_program *prog, bool on_ip, const uint8_t *data,
                     uint32_t caplen, uint32_t origlen)
{
	struct pcap_pkthdr h;
	struct pd_cur ip;

	if (on_ip) {
		if (pd_nflog_payload(data, caplen, &ip) != PD_OK)
			return false; /* no IP packet inside: a filter on IP cannot match */
		origlen -= caplen - (uint32_t)pd_cur_left(&ip);
		caplen = (uint32_t)pd_cur_left(&ip);
		data = ip.p;
	}
	memset(&h, 0, sizeof(h));
	h.caplen = caplen;
	h.len = origlen;
	return pcap_offline_filter(prog, &h, data) != 0;
}

const char *pd_link_name(int linktype)
{
	static __thread char other[24];

	switch (linktype) {
	case PD_LINK_NULL:
		return "null";
	case PD_LINK_ETHERNET:
		return "ether";
	case PD_LINK_RAW:
	case 12:
	case 14:
		return "rawip";
	case PD_LINK_LOOP:
		return "loop";
	case PD_LINK_LINUX_SLL:
		return "linux-sll";
	case PD_LINK_LINUX_SLL2:
		return "linux-sll2";
	case PD_LINK_NFLOG:
		return "nflog";
	case PD_LINK_IPV4:
		return "ipv4";
	case PD_LINK_IPV6:
		return "ipv6";
	case PD_LINK_PPP:
		return "ppp";
	case PD_LINK_PPP_HDLC:
		return "ppp-hdlc";
	case PD_LINK_PPP_ETHER:
		return "pppoe";
	case PD_LINK_C_HDLC:
		return "c-hdlc";
	default:
		snprintf(other, sizeof(other), "linktype-%d", linktype);
		return other;
	}
}

const char *pd_capinfo_meta(const struct pd_capinfo *ci, const char *key)
{
	unsigned i;

	for (i = 0; i < ci->n_meta && i < PD_MAX_META; i++)
		if (strcmp(ci->meta[i].key, key) == 0)
			return ci->meta[i].value;
	return NULL;
}
