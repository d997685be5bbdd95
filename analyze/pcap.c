/*
 * pcap.c - classic pcap files read through libpcap (tcpdump.org/manpages/pcap-savefile.5.html):
 * microsecond and nanosecond magic, either byte order; libpcap scales both to nanoseconds.
 *
 * libpcap does the record parsing; we keep the file offset of every record from the record
 * sizes (24-byte file header, 16-byte record header + caplen) so that errors name an offset, and
 * on a libpcap error we look at the record ourselves to tell a cut file from a corrupt one.
 * The BPF filter runs per record with pcap_offline_filter() so skipped records keep the offset
 * count right.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_impl.h"

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR  16

static uint32_t get32(const uint8_t *b, bool swapped)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

enum pd_err pd_pcap_open(struct pd_reader *r, char errbuf[PD_ERRBUF_SIZE])
{
	char perr[PCAP_ERRBUF_SIZE];
	uint8_t hdr[PCAP_FILE_HDR];
	struct stat st;
	uint32_t magic;
	ssize_t n;
	enum pd_err e;

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
	if (r->bpf) {
		e = pd_reader_compile(r, r->linktype, r->info.snaplen, &r->prog, &r->prog_on_ip,
		                      errbuf);
		if (e != PD_OK)
			return e;
		r->has_prog = true;
	}
	return PD_OK;
}

/* After libpcap failed at r->off: a cut file or a corrupt record header? */
static enum pd_err record_error(struct pd_reader *r, const char *perr, char errbuf[PD_ERRBUF_SIZE])
{
	uint64_t left = r->size > r->off ? r->size - r->off : 0;
	uint8_t rh[PCAP_REC_HDR];
	uint64_t need;
	struct stat st;

	/* Prefer the current size: the file may still be growing. */
	if (fstat(fileno(pcap_file(r->pc)), &st) == 0 && (uint64_t)st.st_size > r->size) {
		r->size = (uint64_t)st.st_size;
		left = r->size - r->off;
	}
	if (left < PCAP_REC_HDR)
		return pd_errf(errbuf, PD_ERR_TRUNCATED,
		               "%s: truncated at offset %llu: record needs %d bytes, %llu left",
		               r->path, (unsigned long long)r->off, PCAP_REC_HDR,
		               (unsigned long long)left);
	if (pread(fileno(pcap_file(r->pc)), rh, sizeof(rh), (off_t)r->off) != PCAP_REC_HDR)
		return pd_errf(errbuf, PD_ERR_IO, "%s: offset %llu: %s", r->path,
		               (unsigned long long)r->off, perr);
	need = PCAP_REC_HDR + (uint64_t)get32(rh + 8, r->swapped);
	if (need > left)
		return pd_errf(errbuf, PD_ERR_TRUNCATED,
		               "%s: truncated at offset %llu: record needs %llu bytes, %llu left",
		               r->path, (unsigned long long)r->off, (unsigned long long)need,
		               (unsigned long long)left);
	return pd_errf(errbuf, PD_ERR_MALFORMED, "%s: offset %llu: corrupt record: %s", r->path,
	               (unsigned long long)r->off, perr);
}

enum pd_err pd_pcap_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	for (;;) {
		rc = pcap_next_ex(r->pc, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return PD_ERR_NOTFOUND;
		if (rc != 1)
			return record_error(r, pcap_geterr(r->pc), errbuf);
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
}
