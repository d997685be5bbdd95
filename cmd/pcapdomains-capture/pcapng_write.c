/*
 * pcapng_write.c - our own pcapng writer (draft-ietf-opsawg-pcapng; libpcap cannot write
 * pcapng): section header, interface description, enhanced packet and interface statistics
 * blocks, in host byte order (the byte-order magic tells readers which).
 *
 * Every block is built whole in the write buffer and the buffer only ever holds whole blocks,
 * so each write(2) ends on a block boundary: a file cut by a crash between writes reads to its
 * last complete block. A failed or short write truncates the file back to the last boundary
 * written and is reported; later calls fail. No allocation per packet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapng.h"
#include "helper.h"

#define PAD4(n) (((n) + 3u) & ~(size_t)3u)

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Size of an option holding vlen bytes of value (header + padded value). */
static size_t optsz(size_t vlen)
{
	return 4 + PAD4(vlen);
}

/* Writes an option at p; returns the bytes used. Values are at most 0xffff bytes. */
static size_t opt(uint8_t *p, uint16_t code, const void *v, size_t vlen)
{
	put16(p, code);
	put16(p + 2, (uint16_t)vlen);
	memcpy(p + 4, v, vlen);
	memset(p + 4 + vlen, 0, PAD4(vlen) - vlen);
	return optsz(vlen);
}

static size_t optstr_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0xfff0 ? 0xfff0 : n;
}

int pd_cap_w_init(struct pd_cap_w *w, int fd, const char *path, char errbuf[PD_CAP_ERRBUF])
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	snprintf(w->path, sizeof w->path, "%s", path);
	w->buf = malloc(PD_CAP_WBUF_SIZE);
	if (!w->buf) {
		snprintf(errbuf, PD_CAP_ERRBUF, "out of memory");
		close(fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

int pd_cap_w_flush(struct pd_cap_w *w)
{
	size_t done = 0;
	if (w->sys_errno)
		return -1;
	while (done < w->len) {
		ssize_t r = write(w->fd, w->buf + done, w->len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			w->sys_errno = r < 0 ? errno : EIO;
			/* Back to the last block boundary on disk (no-op for pipes). */
			struct stat st;
			if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    ftruncate(w->fd, (off_t)(w->file_bytes - w->len)) < 0) {
				/* The reader stops at the cut block: nothing more to do. */
			}
			w->len = 0;
			return -1;
		}
		done += (size_t)r;
		w->written += (uint64_t)r;
	}
	w->len = 0;
	return 0;
}

/* Room for a whole block of n bytes at the end of the buffer, or NULL. */
static uint8_t *reserve(struct pd_cap_w *w, size_t n)
{
	if (w->sys_errno)
		return NULL;
	if (n > PD_CAP_WBUF_SIZE) {
		w->sys_errno = EFBIG;
		return NULL;
	}
	if (n > PD_CAP_WBUF_SIZE - w->len && pd_cap_w_flush(w) < 0)
		return NULL;
	return w->buf + w->len;
}

static void commit(struct pd_cap_w *w, uint8_t *b, uint32_t type, size_t n)
{
	put32(b, type);
	put32(b + 4, (uint32_t)n);
	put32(b + n - 4, (uint32_t)n);
	w->len += n;
	w->file_bytes += n;
}

int pd_cap_w_shb(struct pd_cap_w *w, const struct pd_cap_shb_info *in)
{
	size_t plen = strlen(PD_META_PREFIX);
	size_t n = 28 + 4; /* header, magic, version, section length; end of options */
	if (in->comment)
		n += optsz(optstr_len(in->comment));
	for (unsigned i = 0; i < in->n_meta; i++)
		n += optsz(plen + strlen(in->meta_keys[i]) + 1 + optstr_len(in->meta_vals[i]));
	n += optsz(optstr_len(in->hardware)) + optsz(optstr_len(in->os)) +
	     optsz(optstr_len(in->userappl));
	uint8_t *b = reserve(w, n);
	if (!b)
		return -1;
	put32(b + 8, PD_PCAPNG_BYTE_ORDER_MAGIC);
	put16(b + 12, 1);
	put16(b + 14, 0);
	put64(b + 16, UINT64_MAX); /* section length not known */
	size_t o = 24;
	if (in->comment)
		o += opt(b + o, PD_OPT_COMMENT, in->comment, optstr_len(in->comment));
	for (unsigned i = 0; i < in->n_meta; i++) {
		char kv[PD_CAP_META_MAX + 64];
		int k = snprintf(kv, sizeof kv, "%s%s=%.*s", PD_META_PREFIX, in->meta_keys[i],
		                 (int)optstr_len(in->meta_vals[i]), in->meta_vals[i]);
		size_t want = plen + strlen(in->meta_keys[i]) + 1 + optstr_len(in->meta_vals[i]);
		size_t kl = (size_t)k < sizeof kv ? (size_t)k : sizeof kv - 1;
		/* Truncated values keep the reserved size: pad with spaces to keep n exact. */
		memset(b + o + 4, ' ', PAD4(want));
		put16(b + o, PD_OPT_COMMENT);
		put16(b + o + 2, (uint16_t)want);
		memcpy(b + o + 4, kv, kl);
		memset(b + o + 4 + want, 0, PAD4(want) - want);
		o += optsz(want);
	}
	o += opt(b + o, PD_SHB_HARDWARE, in->hardware ? in->hardware : "",
	         optstr_len(in->hardware));
	o += opt(b + o, PD_SHB_OS, in->os ? in->os : "", optstr_len(in->os));
	o += opt(b + o, PD_SHB_USERAPPL, in->userappl ? in->userappl : "",
	         optstr_len(in->userappl));
	put32(b + o, 0); /* opt_endofopt */
	commit(w, b, PD_PCAPNG_SHB, n);
	return 0;
}

int pd_cap_w_idb(struct pd_cap_w *w, int linktype, uint32_t snaplen, const char *name,
                 const char *description, int tsresol, const char *filter,
                 const struct pd_cap_ifaddr *addrs, unsigned n_addrs)
{
	size_t fl = filter && *filter ? optstr_len(filter) + 1 : 0; /* first byte: 0 = libpcap */
	size_t n = 16 + 4 + 4 + optsz(optstr_len(name)) + optsz(1);
	if (description)
		n += optsz(optstr_len(description));
	if (n_addrs > PD_CAP_MAX_IFADDRS)
		n_addrs = PD_CAP_MAX_IFADDRS;
	for (unsigned i = 0; i < n_addrs; i++)
		n += addrs[i].family == 4 ? optsz(8) : addrs[i].family == 6 ? optsz(17) : 0;
	if (fl)
		n += optsz(fl);
	uint8_t *b = reserve(w, n);
	if (!b)
		return -1;
	put16(b + 8, (uint16_t)linktype);
	put16(b + 10, 0);
	put32(b + 12, snaplen);
	size_t o = 16;
	o += opt(b + o, PD_IF_NAME, name, optstr_len(name));
	if (description)
		o += opt(b + o, PD_IF_DESCRIPTION, description, optstr_len(description));
	for (unsigned i = 0; i < n_addrs; i++) {
		const struct pd_cap_ifaddr *a = &addrs[i];
		uint8_t v[17];
		if (a->family == 4) {
			/* address, then the netmask: prefix one bits (RFC 4632 section 3.1) */
			uint32_t m = a->prefix >= 32 ? 0xffffffffu
			             : a->prefix     ? ~(0xffffffffu >> a->prefix)
			                             : 0;
			memcpy(v, a->addr, 4);
			v[4] = (uint8_t)(m >> 24);
			v[5] = (uint8_t)(m >> 16);
			v[6] = (uint8_t)(m >> 8);
			v[7] = (uint8_t)m;
			o += opt(b + o, PD_IF_IPV4ADDR, v, 8);
		} else if (a->family == 6) {
			memcpy(v, a->addr, 16);
			v[16] = a->prefix > 128 ? 128 : a->prefix;
			o += opt(b + o, PD_IF_IPV6ADDR, v, 17);
		}
	}
	uint8_t res = (uint8_t)tsresol;
	o += opt(b + o, PD_IF_TSRESOL, &res, 1);
	if (fl) {
		put16(b + o, PD_IF_FILTER);
		put16(b + o + 2, (uint16_t)fl);
		b[o + 4] = 0;
		memcpy(b + o + 5, filter, fl - 1);
		memset(b + o + 4 + fl, 0, PAD4(fl) - fl);
		o += optsz(fl);
	}
	put32(b + o, 0);
	commit(w, b, PD_PCAPNG_IDB, n);
	return 0;
}

int pd_cap_w_epb(struct pd_cap_w *w, uint32_t ifid, uint64_t ts, const uint8_t *data,
                 uint32_t caplen, uint32_t origlen, uint32_t flags)
{
	size_t n = 28 + PAD4((size_t)caplen) + 4 + (flags ? optsz(4) + 4 : 0);
	uint8_t *b = reserve(w, n);
	if (!b)
		return -1;
	put32(b + 8, ifid);
	put32(b + 12, (uint32_t)(ts >> 32));
	put32(b + 16, (uint32_t)ts);
	put32(b + 20, caplen);
	put32(b + 24, origlen);
	memcpy(b + 28, data, caplen);
	size_t o = 28 + caplen;
	memset(b + o, 0, PAD4((size_t)caplen) - caplen);
	o = 28 + PAD4((size_t)caplen);
	if (flags) {
		o += opt(b + o, PD_EPB_FLAGS, &flags, 4);
		put32(b + o, 0);
	}
	commit(w, b, PD_PCAPNG_EPB, n);
	w->packets++;
	return 0;
}

static size_t opt64(uint8_t *p, uint16_t code, uint64_t v)
{
	/* Timestamps are two 32-bit words, high first; counters are plain 64-bit values. */
	return opt(p, code, &v, 8);
}

static size_t optts(uint8_t *p, uint16_t code, uint64_t ts)
{
	uint32_t hl[2] = { (uint32_t)(ts >> 32), (uint32_t)ts };
	return opt(p, code, hl, 8);
}

int pd_cap_w_isb(struct pd_cap_w *w, uint32_t ifid, const struct pd_cap_isb *s)
{
	size_t n = 20 + 4 + optsz(8) * (s->has_recv ? 3 : 1) + 4;
	if (s->start)
		n += optsz(8);
	if (s->end)
		n += optsz(8);
	uint8_t *b = reserve(w, n);
	if (!b)
		return -1;
	put32(b + 8, ifid);
	put32(b + 12, (uint32_t)(s->ts >> 32));
	put32(b + 16, (uint32_t)s->ts);
	size_t o = 20;
	if (s->start)
		o += optts(b + o, PD_ISB_STARTTIME, s->start);
	if (s->end)
		o += optts(b + o, PD_ISB_ENDTIME, s->end);
	if (s->has_recv) {
		o += opt64(b + o, PD_ISB_IFRECV, s->ifrecv);
		o += opt64(b + o, PD_ISB_IFDROP, s->ifdrop);
	}
	o += opt64(b + o, PD_ISB_USRDELIV, s->usrdeliv);
	put32(b + o, 0);
	commit(w, b, PD_PCAPNG_ISB, n);
	return 0;
}

int pd_cap_w_close(struct pd_cap_w *w, char errbuf[PD_CAP_ERRBUF])
{
	int rc = 0;
	if (w->fd < 0)
		return 0;
	if (pd_cap_w_flush(w) < 0)
		rc = -1;
	struct stat st;
	if (rc == 0 && fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(w->fd) < 0)
		w->sys_errno = errno, rc = -1;
	if (close(w->fd) < 0 && rc == 0)
		w->sys_errno = errno, rc = -1;
	w->fd = -1;
	if (rc < 0 || w->sys_errno) {
		snprintf(errbuf, PD_CAP_ERRBUF, "writing %s: %s", w->path,
		         strerror(w->sys_errno ? w->sys_errno : EIO));
		rc = -1;
	}
	return rc;
}

void pd_cap_w_clear(struct pd_cap_w *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
}
