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

struct pd_reader *pd_reader_open(const char *path, const char *bpf, enum pd_err *err,
                                 char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_reader *r;
	uint8_t m[4];
	struct stat st;
	ssize_t n;
	uint32_t magic;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	/* The readers and the content hash each read the file on their own (pread, reopening):
	 * a pipe cannot be read twice, so it is refused by name rather than half read. */
	if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		close(fd);
		*err = pd_errf(errbuf, PD_ERR_IO,
		               "%s: cannot read a capture from a pipe: save it to a file first",
		               path);
		return NULL;
	}
	do
		n = pread(fd, m, sizeof(m), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if (n == 0) {
		*err = pd_errf(errbuf, PD_ERR_FORMAT, "%s: empty file, not a capture", path);
		return NULL;
	}
	if (n < 4) {
		*err = pd_errf(errbuf, PD_ERR_FORMAT,
		               "%s: not a capture file: only %zd bytes at offset 0", path, n);
		return NULL;
	}
	magic = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];

	r = calloc(1, sizeof(*r));
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
		if (m[0] == 0x1f && m[1] == 0x8b)
			*err = pd_errf(errbuf, PD_ERR_FORMAT,
			               "%s: gzip-compressed file (magic 1f8b at offset 0): "
			               "decompress it first",
			               path);
		else if (magic == 0x28B52FFDu)
			*err = pd_errf(errbuf, PD_ERR_FORMAT,
			               "%s: zstd-compressed file (magic 28b52ffd at offset 0): "
			               "decompress it first",
			               path);
		else
			*err = pd_errf(errbuf, PD_ERR_FORMAT,
			               "%s: not a capture file: magic %02x%02x%02x%02x at offset 0 "
			               "is neither pcap nor pcapng",
			               path, m[0], m[1], m[2], m[3]);
		break;
	}
	if (*err != PD_OK) {
		pd_reader_free(r);
		return NULL;
	}
	return r;
}

enum pd_err pd_reader_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	enum pd_err e;

	if (r->done)
		return PD_ERR_NOTFOUND;
	e = r->kind == PD_READER_PCAP ? pd_pcap_next(r, f, errbuf) : pd_pcapng_next(r, f, errbuf);
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
		got = read(r->fd, r->buf + r->len, r->cap - r->len);
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
