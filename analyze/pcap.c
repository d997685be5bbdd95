/*
 * pcap.c - classic pcap files (tcpdump.org/manpages/pcap-savefile.5.html): microsecond and
 * nanosecond magic, either byte order; timestamps are scaled to nanoseconds.
 *
 * libpcap always opens the file: it checks the file header and gives the snapshot length, so a
 * bad header fails with libpcap's own words. Records are then read one of two ways:
 *  - with a BPF filter, or for link types and file versions libpcap rewrites (see
 *    fast_path_ok), through pcap_next_ex(), the reference: the filter runs per record with
 *    pcap_offline_filter() so skipped records keep the offset count right;
 *  - otherwise by our own buffered reader (pd_reader_fill: 256 KiB read(2)s, frames point into
 *    the buffer). libpcap copies every record twice (stdio's 4 KiB buffer, then its packet
 *    buffer) and issues a read(2) per 4 KiB; this path copies once. It reproduces libpcap's
 *    record semantics exactly: 32-bit seconds and fraction (signed unless byte-swapped),
 *    records longer than the snapshot length cut to it (the rest skipped), records over 262144
 *    bytes refused, and the same messages; tests/test_pcap.c compares both paths frame by
 *    frame and error by error.
 *
 * Either way we keep the file offset of every record (24-byte file header, 16-byte record
 * header + caplen) so that errors name an offset, and on a failure we look at the record to tell
 * a cut file from a corrupt one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_impl.h"

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR  16
/* libpcap's MAXIMUM_SNAPLEN: the largest record it accepts for the link types of the fast path */
#define PCAP_MAX_CAPLEN 262144u

/* For tests: read every file through libpcap (the reference), never the fast path. */
static bool libpcap_only;

void pd_pcap_libpcap_only(bool on)
{
	libpcap_only = on;
}

/*
 * Can our own record reader stand in for libpcap? Only where libpcap hands records over
 * untouched: file version 2.4 (older versions may have caplen and len interchanged), and link
 * types whose frames libpcap does not rewrite (in a file of the other byte order it swaps the
 * pseudo-headers of Linux SLL/SLL2, NFLOG, USB and PFLOG; it fixes up USB lengths) and whose
 * largest record is PCAP_MAX_CAPLEN (libpcap allows more for D-Bus, USBPcap, EBHSCR).
 */
static bool fast_path_ok(const struct pd_reader *r, pcap_t *pc)
{
	if (libpcap_only || r->bpf || pcap_major_version(pc) != 2 || pcap_minor_version(pc) != 4)
		return false;
	switch (r->linktype) {
	case PD_LINK_NULL:
	case PD_LINK_ETHERNET:
	case PD_LINK_RAW:
	case PD_LINK_LOOP:
	case PD_LINK_IPV4:
	case PD_LINK_IPV6:
	case PD_LINK_PPP:
	case PD_LINK_PPP_HDLC:
	case PD_LINK_PPP_ETHER:
	case PD_LINK_C_HDLC:
		return true;
	case PD_LINK_LINUX_SLL:
	case PD_LINK_LINUX_SLL2:
	case PD_LINK_NFLOG:
		return !r->swapped;
	default:
		return false;
	}
}

static uint32_t get32(const uint8_t *b, bool swapped)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/* fopencookie read of a stream reader: what r->buf holds first, then the source. */
static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	struct pd_reader *r = c;
	ssize_t got;

	if (r->pos < r->len) {
		size_t k = r->len - r->pos < n ? r->len - r->pos : n;
		memcpy(buf, r->buf + r->pos, k);
		r->pos += k;
		return (ssize_t)k;
	}
	got = pd_reader_src_read(r, buf, n);
	if (got < 0)
		errno = EIO;
	return got;
}

static int cookie_close(void *c)
{
	(void)c; /* the source belongs to the reader */
	return 0;
}

/*
 * A stream (r->src, its first bytes in r->buf): the file header is read from the buffer and
 * checked by libpcap through a memory FILE; records then come from our own reader, or from
 * libpcap through a FILE whose reads drain r->buf and then the source (fopencookie).
 */
static enum pd_err pcap_open_stream(struct pd_reader *r, char errbuf[PD_ERRBUF_SIZE])
{
	char perr[PCAP_ERRBUF_SIZE];
	uint8_t hdr[PCAP_FILE_HDR];
	cookie_io_functions_t io = { cookie_read, NULL, NULL, cookie_close };
	size_t have;
	uint32_t magic;
	FILE *hf;
	enum pd_err e;

	if ((e = pd_reader_fill(r, PCAP_FILE_HDR, &have, errbuf)) != PD_OK)
		return e;
	if (have < PCAP_FILE_HDR)
		return pd_errf(
		        errbuf, PD_ERR_TRUNCATED,
		        "%s: truncated at offset 0: pcap file header needs %d bytes, %zu left",
		        r->path, PCAP_FILE_HDR, have);
	memcpy(hdr, r->buf + r->pos, PCAP_FILE_HDR);
	memcpy(&magic, hdr, 4);
	r->swapped = magic == 0xD4C3B2A1u || magic == 0x4D3CB2A1u;
	r->linktype = (int)(get32(hdr + 20, r->swapped) & 0xFFFFu);
	r->info.snaplen = get32(hdr + 16, r->swapped);
	r->info.n_ifaces = 1;
	r->info.ifaces[0].linktype = r->linktype;
	r->info.ifaces[0].snaplen = r->info.snaplen;
	r->nano = magic == 0x4D3CB2A1u || magic == 0xA1B23C4Du;
	if (!(hf = fmemopen(hdr, sizeof(hdr), "rb")))
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", r->path);
	r->pc = pcap_fopen_offline_with_tstamp_precision(hf, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!r->pc) {
		fclose(hf);
		return pd_errf(errbuf, PD_ERR_FORMAT, "%s: offset 0: bad pcap file header: %s",
		               r->path, perr);
	}
	r->snapshot = (uint32_t)pcap_snapshot(r->pc);
	r->off = PCAP_FILE_HDR;
	if (fast_path_ok(r, r->pc)) {
		pcap_close(r->pc);
		r->pc = NULL;
		r->pos += PCAP_FILE_HDR;
		return PD_OK;
	}
	pcap_close(r->pc);
	r->pc = NULL;
	if (!(r->fp = fopencookie(r, "rb", io)))
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", r->path);
	r->pc = pcap_fopen_offline_with_tstamp_precision(r->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!r->pc)
		return pd_errf(errbuf, PD_ERR_FORMAT, "%s: offset 0: bad pcap file header: %s",
		               r->path, perr);
	r->fp = NULL; /* libpcap owns it now and closes it */
	if (r->bpf) {
		e = pd_reader_compile(r, r->linktype, r->info.snaplen, &r->prog, &r->prog_on_ip,
		                      errbuf);
		if (e != PD_OK)
			return e;
		r->has_prog = true;
	}
	return PD_OK;
}

enum pd_err pd_pcap_open(struct pd_reader *r, char errbuf[PD_ERRBUF_SIZE])
{
	char perr[PCAP_ERRBUF_SIZE];
	uint8_t hdr[PCAP_FILE_HDR];
	struct stat st;
	uint32_t magic;
	ssize_t n;
	enum pd_err e;

	if (r->src)
		return pcap_open_stream(r, errbuf);
	r->fp = fopen(r->path, "rb");
	if (!r->fp)
		return pd_errf(errbuf, PD_ERR_IO, "%s: cannot open: %s", r->path, strerror(errno));
	if (fstat(fileno(r->fp), &st) != 0)
		return pd_errf(errbuf, PD_ERR_IO, "%s: cannot stat: %s", r->path, strerror(errno));
	r->size = (uint64_t)st.st_size;
	n = pread(fileno(r->fp), hdr, sizeof(hdr), 0);
	if (n < 0)
		return pd_errf(errbuf, PD_ERR_IO, "%s: cannot read: %s", r->path, strerror(errno));
	if (n < PCAP_FILE_HDR)
		return pd_errf(
		        errbuf, PD_ERR_TRUNCATED,
		        "%s: truncated at offset 0: pcap file header needs %d bytes, %zd left",
		        r->path, PCAP_FILE_HDR, n);
	memcpy(&magic, hdr, 4);
	r->swapped = magic == 0xD4C3B2A1u || magic == 0x4D3CB2A1u;
	/* The link type is the low 16 bits; the rest may carry FCS information. */
	r->linktype = (int)(get32(hdr + 20, r->swapped) & 0xFFFFu);
	r->info.snaplen = get32(hdr + 16, r->swapped);
	r->info.n_ifaces = 1;
	r->info.ifaces[0].linktype = r->linktype;
	r->info.ifaces[0].snaplen = r->info.snaplen;

	r->pc = pcap_fopen_offline_with_tstamp_precision(r->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!r->pc)
		return pd_errf(errbuf, PD_ERR_FORMAT, "%s: offset 0: bad pcap file header: %s",
		               r->path, perr);
	r->fp = NULL; /* libpcap owns it now and closes it */
	r->snapshot = (uint32_t)pcap_snapshot(r->pc);
	r->off = PCAP_FILE_HDR;
	r->nano = magic == 0x4D3CB2A1u || magic == 0xA1B23C4Du;
	if (fast_path_ok(r, r->pc)) {
		/* Our own descriptor, positioned after the file header; libpcap is done. */
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			return pd_errf(errbuf, PD_ERR_IO, "%s: cannot open: %s", r->path,
			               strerror(errno));
		r->buf = malloc(PD_READER_BUF);
		if (!r->buf)
			return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", r->path);
		r->cap = PD_READER_BUF;
		r->buf_off = PCAP_FILE_HDR;
		if (lseek(r->fd, PCAP_FILE_HDR, SEEK_SET) != PCAP_FILE_HDR)
			return pd_errf(errbuf, PD_ERR_IO, "%s: cannot seek: %s", r->path,
			               strerror(errno));
		pcap_close(r->pc);
		r->pc = NULL;
		return PD_OK;
	}
	if (r->bpf) {
		e = pd_reader_compile(r, r->linktype, r->info.snaplen, &r->prog, &r->prog_on_ip,
		                      errbuf);
		if (e != PD_OK)
			return e;
		r->has_prog = true;
	}
	return PD_OK;
}

/*
 * After a record at r->off could not be read (perr says why, in libpcap's words): a cut file or
 * a corrupt record header? fd reads the same file.
 */
static enum pd_err record_error(struct pd_reader *r, int fd, const char *perr,
                                char errbuf[PD_ERRBUF_SIZE])
{
	uint64_t left = r->size > r->off ? r->size - r->off : 0;
	uint8_t rh[PCAP_REC_HDR];
	uint64_t need;
	struct stat st;

	if (r->src && r->src_err[0]) /* the stream itself failed (corrupt compressed data) */
		return pd_errf(errbuf, r->src_err_code, "%s", r->src_err);
	if (r->src && r->pc) /* libpcap read the stream: its words */
		return pd_errf(errbuf,
		               strstr(perr, "truncated") ? PD_ERR_TRUNCATED : PD_ERR_MALFORMED,
		               "%s: offset %llu: %s%s%s", r->path, (unsigned long long)r->off, perr,
		               r->src_cut[0] ? "; " : "", r->src_cut);
	if (r->src) { /* our reader at the stream's end: what the buffer holds is what is left */
		left = r->len - r->pos;
		if (left >= PCAP_REC_HDR)
			memcpy(rh, r->buf + r->pos, PCAP_REC_HDR);
	} else if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > r->size) {
		/* Prefer the current size: the file may still be growing. */
		r->size = (uint64_t)st.st_size;
		left = r->size - r->off;
	}
	if (left < PCAP_REC_HDR)
		return pd_errf(errbuf, PD_ERR_TRUNCATED,
		               "%s: truncated at offset %llu: record needs %d bytes, %llu left",
		               r->path, (unsigned long long)r->off, PCAP_REC_HDR,
		               (unsigned long long)left);
	if (!r->src && pread(fd, rh, sizeof(rh), (off_t)r->off) != PCAP_REC_HDR)
		return pd_errf(errbuf, PD_ERR_IO, "%s: offset %llu: %s", r->path,
		               (unsigned long long)r->off, perr);
	need = PCAP_REC_HDR + (uint64_t)get32(rh + 8, r->swapped);
	/* A length no snaplen allows is a corrupt header, not a cut file (libpcap's own bound is
	 * 256 KiB for most link types). */
	if (need - PCAP_REC_HDR > PCAP_MAX_CAPLEN && need - PCAP_REC_HDR > r->info.snaplen)
		return pd_errf(
		        errbuf, PD_ERR_MALFORMED,
		        "%s: offset %llu: corrupt record: capture length %llu is larger than "
		        "the snaplen %u",
		        r->path, (unsigned long long)r->off,
		        (unsigned long long)(need - PCAP_REC_HDR), r->info.snaplen);
	if (need > left)
		return pd_errf(errbuf, PD_ERR_TRUNCATED,
		               "%s: truncated at offset %llu: record needs %llu bytes, %llu left",
		               r->path, (unsigned long long)r->off, (unsigned long long)need,
		               (unsigned long long)left);
	return pd_errf(errbuf, PD_ERR_MALFORMED, "%s: offset %llu: corrupt record: %s", r->path,
	               (unsigned long long)r->off, perr);
}

/*
 * A timestamp field (seconds or fraction) as libpcap 1.10 hands it over: signed 32 bits in a
 * file of our byte order, unsigned 32 bits after its byte swap (its SWAPLONG yields u_int).
 * The two differ only for values with the top bit set (hostile, or after 2038).
 */
static int64_t ts_field(const struct pd_reader *r, const uint8_t *b)
{
	uint32_t v = get32(b, r->swapped);
	return r->swapped ? (int64_t)v : (int64_t)(int32_t)v;
}

/* The fast path: the next record from our own buffer (see the top of the file). */
static enum pd_err fast_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	char perr[PCAP_ERRBUF_SIZE];
	const uint8_t *h;
	uint32_t caplen;
	size_t have;
	enum pd_err e;

	e = pd_reader_fill(r, PCAP_REC_HDR, &have, errbuf);
	if (e != PD_OK)
		return e;
	if (have == 0)
		return PD_ERR_NOTFOUND;
	if (have < PCAP_REC_HDR)
		return record_error(r, r->fd, "", errbuf); /* a cut record header */
	h = r->buf + r->pos;
	caplen = get32(h + 8, r->swapped);
	if (caplen > PCAP_MAX_CAPLEN) {
		/* libpcap's words (the snapshot is at most PCAP_MAX_CAPLEN, so it is exceeded) */
		snprintf(perr, sizeof(perr),
		         "invalid packet capture length %u, bigger than snaplen of %u", caplen,
		         r->snapshot);
		return record_error(r, r->fd, perr, errbuf);
	}
	e = pd_reader_fill(r, PCAP_REC_HDR + (size_t)caplen, &have, errbuf);
	if (e != PD_OK)
		return e;
	if (have < PCAP_REC_HDR + (size_t)caplen)
		return record_error(r, r->fd, "", errbuf); /* cut record data */
	h = r->buf + r->pos;                               /* the fill may have moved the buffer */
	f->offset = r->off;
	f->ts_ns = ts_field(r, h) * 1000000000 + ts_field(r, h + 4) * (r->nano ? 1 : 1000);
	/* Longer than the snapshot: libpcap cuts the record to it and skips the rest. */
	f->caplen = caplen > r->snapshot ? r->snapshot : caplen;
	f->origlen = get32(h + 12, r->swapped);
	f->linktype = r->linktype;
	f->iface = 0;
	f->epb_flags = 0;
	f->data = h + PCAP_REC_HDR;
	r->pos += PCAP_REC_HDR + (size_t)caplen;
	r->off += PCAP_REC_HDR + (uint64_t)caplen;
	return PD_OK;
}

enum pd_err pd_pcap_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (!r->pc)
		return fast_next(r, f, errbuf);
	for (;;) {
		rc = pcap_next_ex(r->pc, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return PD_ERR_NOTFOUND;
		if (rc != 1)
			return record_error(r, r->src ? -1 : fileno(pcap_file(r->pc)),
			                    pcap_geterr(r->pc), errbuf);
		f->offset = r->off;
		if (h->caplen < r->snapshot) {
			r->off += PCAP_REC_HDR + (uint64_t)h->caplen;
		} else {
			/* At the snaplen libpcap may have cut a longer record and skipped the
			 * rest: ask the stream where it is. */
			off_t pos = ftello(pcap_file(r->pc));
			r->off = pos > 0 ? (uint64_t)pos : r->off + PCAP_REC_HDR + h->caplen;
		}
		if (r->has_prog &&
		    !pd_reader_match(&r->prog, r->prog_on_ip, data, h->caplen, h->len))
			continue;
		/* With nanosecond precision requested, tv_usec holds nanoseconds. */
		f->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
		f->caplen = h->caplen;
		f->origlen = h->len;
		f->linktype = r->linktype;
		f->iface = 0;
		f->epb_flags = 0;
		f->data = data;
		return PD_OK;
	}
}

void pd_pcap_close(struct pd_reader *r)
{
	if (r->has_prog)
		pcap_freecode(&r->prog);
	if (r->pc)
		pcap_close(r->pc);
	if (r->fp)
		fclose(r->fp);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
}
