/*
 * pcapng.c - our own pcapng block reader (draft-ietf-opsawg-pcapng, "PCAP Now Generic").
 *
 * Why not libpcap: libpcap refuses files whose interfaces have different link types and drops
 * interface names, comments and statistics. This reader handles several sections (each with its
 * own byte order; interface numbers restart per section and are mapped to one global index),
 * interface descriptions (if_name, if_description, if_tsresol in both forms, if_tsoffset),
 * enhanced, simple and obsolete packet blocks, interface statistics, section comments (our
 * "pcapdomains.KEY=VALUE" metadata) and skips every other block.
 *
 * Input is hostile: every block length is checked (>= 12, multiple of 4, equal trailer,
 * <= PD_MAX_BLOCK) before the block is touched, and options are read through the byte cursor,
 * bounded by their block. The file is read with read(2) into one buffer (256 KiB, grown only for
 * a bigger block); frames point into it, so nothing is allocated per packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cur.h"
#include "pcapng.h"
#include "reader_impl.h"

#define NG_MIN_BLOCK 12

static inline uint32_t rd32(struct pd_cur *c, bool be)
{
	return be ? pd_cur_be32(c) : pd_cur_le32(c);
}

static inline uint16_t rd16(struct pd_cur *c, bool be)
{
	return be ? pd_cur_be16(c) : pd_cur_le16(c);
}

static inline uint64_t rd64(struct pd_cur *c, bool be)
{
	return be ? pd_cur_be64(c) : pd_cur_le64(c);
}

static inline uint32_t get32(const uint8_t *p, bool be)
{
	return be ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]
	          : ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static enum pd_err next_block(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE]);

enum pd_err pd_pcapng_open(struct pd_reader *r, char errbuf[PD_ERRBUF_SIZE])
{
	struct bpf_program prog;
	bool on_ip;
	enum pd_err e;

	if (!r->src) { /* a stream (source.c) comes with its buffer and first bytes */
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			return pd_errf(errbuf, PD_ERR_IO, "%s: cannot open: %s", r->path,
			               strerror(errno));
		r->buf = malloc(PD_READER_BUF);
		if (!r->buf)
			return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", r->path);
		r->cap = PD_READER_BUF;
	}
	if (r->bpf) {
		/* Catch a bad expression now; each interface compiles its own program later. */
		e = pd_reader_compile(r, PD_LINK_ETHERNET, 0, &prog, &on_ip, errbuf);
		if (e != PD_OK)
			return e;
		pcap_freecode(&prog);
	}
	/* The first block (a section header, by the magic) is read now: a broken header fails
	 * the open, and the section's comments and metadata are known before the first frame. */
	e = next_block(r, NULL, errbuf);
	return e == PD_ERR_NEED_MORE ? PD_OK : e == PD_OK ? PD_ERR_MALFORMED : e;
}

void pd_pcapng_close(struct pd_reader *r)
{
	unsigned i;

	for (i = 0; i < r->info.n_ifaces && i < PD_MAX_IFACES; i++)
		if (r->ng[i].has_prog)
			pcap_freecode(&r->ng[i].prog);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
}

/*
 * Next option of a block: PD_OK with *code and *val, PD_ERR_NOTFOUND at opt_endofopt or the end
 * of the options, PD_ERR_MALFORMED when an option's value runs past its block. A missing final
 * padding is tolerated (some writers omit it after the last option).
 */
static enum pd_err opt_next(struct pd_cur *c, bool be, uint16_t *code, struct pd_cur *val)
{
	uint16_t len;

	if (pd_cur_left(c) < 4)
		return PD_ERR_NOTFOUND;
	*code = rd16(c, be);
	len = rd16(c, be);
	if (*code == PD_OPT_ENDOFOPT)
		return PD_ERR_NOTFOUND;
	*val = pd_cur_sub(c, len);
	if (c->err)
		return PD_ERR_MALFORMED;
	len = (uint16_t)((4u - (len & 3u)) & 3u);
	if (len > pd_cur_left(c))
		len = (uint16_t)pd_cur_left(c);
	pd_cur_skip(c, len);
	return PD_OK;
}

/* Copies an option's UTF-8 text into dst (NUL-terminated, cut at size or at an embedded NUL). */
static void opt_str(char *dst, size_t size, const struct pd_cur *val)
{
	size_t n = pd_cur_left(val), i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n && val->p[i]; i++)
		dst[i] = (char)val->p[i];
	dst[i] = 0;
}

static enum pd_err opt_error(struct pd_reader *r, uint64_t boff, const char *what,
                             char errbuf[PD_ERRBUF_SIZE])
{
	return pd_errf(errbuf, PD_ERR_MALFORMED,
	               "%s: offset %llu: corrupt %s block: an option runs past the block", r->path,
	               (unsigned long long)boff, what);
}

static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void shb_comment(struct pd_capinfo *ci, const struct pd_cur *val)
{
	char text[300];
	const char *eq;
	size_t plen = strlen(PD_META_PREFIX), klen;

	opt_str(text, sizeof(text), val);
	eq = strchr(text, '=');
	if (strncmp(text, PD_META_PREFIX, plen) == 0 && eq) {
		if (ci->n_meta >= PD_MAX_META)
			return;
		klen = (size_t)(eq - text) - plen;
		if (klen >= sizeof(ci->meta[0].key))
			klen = sizeof(ci->meta[0].key) - 1;
		memcpy(ci->meta[ci->n_meta].key, text + plen, klen);
		ci->meta[ci->n_meta].key[klen] = 0;
		copy_cut(ci->meta[ci->n_meta].value, sizeof(ci->meta[0].value), eq + 1);
		ci->n_meta++;
		return;
	}
	if (ci->n_comments < PD_MAX_COMMENTS)
		copy_cut(ci->comments[ci->n_comments++], sizeof(ci->comments[0]), text);
}

static enum pd_err do_shb(struct pd_reader *r, struct pd_cur *c, uint64_t boff,
                          char errbuf[PD_ERRBUF_SIZE])
{
	uint16_t major, minor, code;
	struct pd_cur val;
	enum pd_err e;

	pd_cur_skip(c, 4); /* byte-order magic, already read */
	major = rd16(c, r->be);
	minor = rd16(c, r->be);
	pd_cur_skip(c, 8); /* section length, often -1 */
	if (c->err)
		return pd_errf(errbuf, PD_ERR_MALFORMED,
		               "%s: offset %llu: section header block too short", r->path,
		               (unsigned long long)boff);
	if (major != 1)
		return pd_errf(errbuf, PD_ERR_UNSUPPORTED,
		               "%s: offset %llu: pcapng version %u.%u not supported", r->path,
		               (unsigned long long)boff, major, minor);
	r->info.sections++;
	r->sec_first = r->info.n_ifaces;
	r->sec_n = 0;
	while ((e = opt_next(c, r->be, &code, &val)) == PD_OK) {
		switch (code) {
		case PD_OPT_COMMENT:
			shb_comment(&r->info, &val);
			break;
		case PD_SHB_HARDWARE:
			opt_str(r->info.hardware, sizeof(r->info.hardware), &val);
			break;
		case PD_SHB_OS:
			opt_str(r->info.os, sizeof(r->info.os), &val);
			break;
		case PD_SHB_USERAPPL:
			opt_str(r->info.userappl, sizeof(r->info.userappl), &val);
			break;
		}
	}
	return e == PD_ERR_MALFORMED ? opt_error(r, boff, "section header", errbuf) : PD_OK;
}

/*
 * if_IPv4addr (address, netmask) and if_IPv6addr (address, prefix length), in network byte
 * order whatever the section's byte order. A value of another length, a netmask that is not a
 * run of leading ones or a prefix over 128 is left out (the interface is still read); so are
 * addresses past PD_MAX_IFACE_ADDRS.
 */
static void idb_addr(struct pd_iface *ifc, uint16_t code, struct pd_cur *val)
{
	struct pd_iface_addr a;
	const uint8_t *p;
	uint32_t mask;

	memset(&a, 0, sizeof(a));
	if (ifc->n_addrs >= PD_MAX_IFACE_ADDRS)
		return;
	if (code == PD_IF_IPV4ADDR) {
		if (pd_cur_left(val) != 8)
			return;
		p = pd_cur_bytes(val, 8);
		mask = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) |
		       p[7];
		if (~mask & (~mask + 1u))
			return; /* a one after a zero: not a netmask */
		a.family = 4;
		a.prefix = (uint8_t)__builtin_popcount(mask);
		memcpy(a.addr, p, 4);
	} else {
		if (pd_cur_left(val) != 17)
			return;
		p = pd_cur_bytes(val, 17);
		if (p[16] > 128)
			return;
		a.family = 6;
		a.prefix = p[16];
		memcpy(a.addr, p, 16);
	}
	ifc->addrs[ifc->n_addrs++] = a;
}

static enum pd_err do_idb(struct pd_reader *r, struct pd_cur *c, uint64_t boff,
                          char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_iface *ifc;
	struct pd_ng_iface *ng;
	struct pd_cur val;
	uint16_t code;
	uint8_t res;
	enum pd_err e;
	int64_t off;

	if (r->info.n_ifaces >= PD_MAX_IFACES)
		return pd_errf(errbuf, PD_ERR_LIMIT,
		               "%s: offset %llu: more than %d interfaces in one file", r->path,
		               (unsigned long long)boff, PD_MAX_IFACES);
	ifc = &r->info.ifaces[r->info.n_ifaces];
	ng = &r->ng[r->info.n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	memset(ng, 0, sizeof(*ng));
	ifc->linktype = rd16(c, r->be);
	pd_cur_skip(c, 2);
	ifc->snaplen = rd32(c, r->be);
	if (c->err)
		return pd_errf(errbuf, PD_ERR_MALFORMED,
		               "%s: offset %llu: interface description block too short", r->path,
		               (unsigned long long)boff);
	ng->units = 1000000;
	while ((e = opt_next(c, r->be, &code, &val)) == PD_OK) {
		switch (code) {
		case PD_IF_NAME:
			opt_str(ifc->name, sizeof(ifc->name), &val);
			break;
		case PD_IF_DESCRIPTION:
			opt_str(ifc->description, sizeof(ifc->description), &val);
			break;
		case PD_IF_IPV4ADDR:
		case PD_IF_IPV6ADDR:
			idb_addr(ifc, code, &val);
			break;
		case PD_IF_TSRESOL:
			res = pd_cur_u8(&val);
			if (val.err)
				break;
			/* High bit set: a negative power of 2, else of 10. */
			if ((res & 0x80) ? (res & 0x7f) > 63 : res > 19)
				return pd_errf(errbuf, PD_ERR_MALFORMED,
				               "%s: offset %llu: impossible if_tsresol 0x%02x",
				               r->path, (unsigned long long)boff, res);
			if (res & 0x80) {
				ng->units = (uint64_t)1 << (res & 0x7f);
			} else {
				ng->units = 1;
				while (res--)
					ng->units *= 10;
			}
			break;
		case PD_IF_TSOFFSET:
			off = (int64_t)rd64(&val, r->be);
			if (!val.err &&
			    __builtin_mul_overflow(off, (int64_t)1000000000, &ng->tsoffset_ns))
				return pd_errf(errbuf, PD_ERR_MALFORMED,
				               "%s: offset %llu: impossible if_tsoffset %lld",
				               r->path, (unsigned long long)boff, (long long)off);
			break;
		}
	}
	if (e == PD_ERR_MALFORMED)
		return opt_error(r, boff, "interface description", errbuf);
	if (r->bpf) {
		e = pd_reader_compile(r, ifc->linktype, ifc->snaplen, &ng->prog, &ng->prog_on_ip,
		                      errbuf);
		if (e != PD_OK)
			return e;
		ng->has_prog = true;
	}
	r->info.n_ifaces++;
	r->sec_n++;
	return PD_OK;
}

static void do_isb(struct pd_reader *r, struct pd_cur *c)
{
	struct pd_iface *ifc;
	struct pd_cur val;
	uint32_t id;
	uint16_t code;
	uint64_t v;
	bool have_ifdrop = false;

	id = rd32(c, r->be);
	pd_cur_skip(c, 8); /* timestamp */
	if (c->err || id >= r->sec_n)
		return; /* statistics for an interface that does not exist: ignored */
	ifc = &r->info.ifaces[r->sec_first + id];
	while (opt_next(c, r->be, &code, &val) == PD_OK) {
		if (pd_cur_left(&val) != 8)
			continue;
		v = rd64(&val, r->be);
		switch (code) {
		case PD_ISB_IFRECV:
			ifc->received = v;
			ifc->has_stats = true;
			break;
		case PD_ISB_IFDROP:
			ifc->dropped = v;
			have_ifdrop = true;
			ifc->has_stats = true;
			break;
		case PD_ISB_OSDROP:
			if (!have_ifdrop)
				ifc->dropped = v;
			ifc->has_stats = true;
			break;
		}
	}
}

static int64_t ts_ns(const struct pd_ng_iface *ng, uint64_t t)
{
	uint64_t ns;

	if (ng->units == 1000000)
		ns = t * 1000;
	else if (ng->units == 1000000000)
		ns = t;
	else
		ns = (uint64_t)((unsigned __int128)t * 1000000000u / ng->units);
	/* Unsigned addition: hostile values wrap instead of overflowing. */
	return (int64_t)(ns + (uint64_t)ng->tsoffset_ns);
}

/*
 * A packet block (enhanced, obsolete or simple) into *f. Returns PD_OK, PD_ERR_NOTFOUND when
 * the filter rejects it, or an error.
 */
static enum pd_err do_packet(struct pd_reader *r, uint32_t type, struct pd_cur *c, uint64_t boff,
                             struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	const struct pd_ng_iface *ng;
	const struct pd_iface *ifc;
	struct pd_cur val;
	uint32_t id, caplen, origlen;
	uint64_t t = 0;
	uint16_t code;
	enum pd_err e;

	f->epb_flags = 0;
	if (type == PD_PCAPNG_SPB) {
		id = 0;
		origlen = rd32(c, r->be);
		caplen = origlen;
	} else {
		if (type == PD_PCAPNG_EPB) {
			id = rd32(c, r->be);
		} else {
			id = rd16(c, r->be);
			pd_cur_skip(c, 2); /* drops count */
		}
		t = (uint64_t)rd32(c, r->be) << 32;
		t |= rd32(c, r->be);
		caplen = rd32(c, r->be);
		origlen = rd32(c, r->be);
	}
	if (c->err)
		return pd_errf(errbuf, PD_ERR_MALFORMED, "%s: offset %llu: packet block too short",
		               r->path, (unsigned long long)boff);
	if (id >= r->sec_n)
		return pd_errf(errbuf, PD_ERR_MALFORMED,
		               "%s: offset %llu: packet on interface %u, but the section describes "
		               "%u",
		               r->path, (unsigned long long)boff, id, r->sec_n);
	ifc = &r->info.ifaces[r->sec_first + id];
	ng = &r->ng[r->sec_first + id];
	if (type == PD_PCAPNG_SPB) {
		/* The captured length is whatever the block holds, up to the snaplen. */
		if (caplen > pd_cur_left(c))
			caplen = (uint32_t)pd_cur_left(c);
		if (ifc->snaplen && caplen > ifc->snaplen)
			caplen = ifc->snaplen;
	} else if (caplen > pd_cur_left(c)) {
		return pd_errf(errbuf, PD_ERR_MALFORMED,
		               "%s: offset %llu: packet block claims %u captured bytes, holds %zu",
		               r->path, (unsigned long long)boff, caplen, pd_cur_left(c));
	}
	f->data = pd_cur_bytes(c, caplen);
	f->caplen = caplen;
	f->origlen = origlen < caplen ? caplen : origlen;
	f->linktype = ifc->linktype;
	f->iface = r->sec_first + id;
	f->offset = boff;
	if (type == PD_PCAPNG_SPB) {
		f->ts_ns = r->last_ts; /* a simple packet block has no time: keep the last one */
	} else {
		f->ts_ns = ts_ns(ng, t);
		r->last_ts = f->ts_ns;
		pd_cur_skip(c, (4u - (caplen & 3u)) & 3u);
		while ((e = opt_next(c, r->be, &code, &val)) == PD_OK)
			if (code == PD_EPB_FLAGS && pd_cur_left(&val) == 4)
				f->epb_flags = rd32(&val, r->be);
		if (e == PD_ERR_MALFORMED)
			return opt_error(r, boff, "packet", errbuf);
	}
	if (ng->has_prog &&
	    !pd_reader_match(&ng->prog, ng->prog_on_ip, f->data, f->caplen, f->origlen))
		return PD_ERR_NOTFOUND;
	return PD_OK;
}

/*
 * Reads and handles one block. PD_OK with *f filled for a packet that passes the filter,
 * PD_ERR_NEED_MORE for any other block, PD_ERR_NOTFOUND at a clean end, or an error.
 */
static enum pd_err next_block(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	const uint8_t *p;
	struct pd_cur c;
	uint32_t type, len, bom;
	uint64_t boff;
	size_t have;
	enum pd_err e;

	{
		boff = r->buf_off + r->pos;
		e = pd_reader_fill(r, NG_MIN_BLOCK, &have, errbuf);
		if (e != PD_OK)
			return e;
		if (have == 0)
			return PD_ERR_NOTFOUND;
		if (have < NG_MIN_BLOCK)
			return pd_errf(
			        errbuf, PD_ERR_TRUNCATED,
			        "%s: truncated at offset %llu: block needs at least %d bytes, "
			        "%zu left",
			        r->path, (unsigned long long)boff, NG_MIN_BLOCK, have);
		p = r->buf + r->pos;
		type = get32(p, r->be);
		if (type == PD_PCAPNG_SHB) {
			/* The byte-order magic decides how this section, its own header
			 * included, is read. */
			bom = get32(p + 8, true);
			if (bom == PD_PCAPNG_BYTE_ORDER_MAGIC)
				r->be = true;
			else if (bom == 0x4D3C2B1Au)
				r->be = false;
			else
				return pd_errf(errbuf, PD_ERR_MALFORMED,
				               "%s: offset %llu: bad byte-order magic %08x in "
				               "section header",
				               r->path, (unsigned long long)boff, bom);
		} else if (r->info.sections == 0) {
			return pd_errf(
			        errbuf, PD_ERR_MALFORMED,
			        "%s: offset %llu: block type 0x%08x before any section header",
			        r->path, (unsigned long long)boff, type);
		}
		len = get32(p + 4, r->be);
		if (len < NG_MIN_BLOCK || (len & 3u) || len > PD_MAX_BLOCK)
			return pd_errf(errbuf, PD_ERR_MALFORMED,
			               "%s: offset %llu: corrupt block length %u (0x%08x) in block "
			               "type 0x%08x",
			               r->path, (unsigned long long)boff, len, len, type);
		e = pd_reader_fill(r, len, &have, errbuf);
		if (e != PD_OK)
			return e;
		if (have < len)
			return pd_errf(
			        errbuf, PD_ERR_TRUNCATED,
			        "%s: truncated at offset %llu: block needs %u bytes, %zu left",
			        r->path, (unsigned long long)boff, len, have);
		p = r->buf + r->pos;
		if (get32(p + len - 4, r->be) != len)
			return pd_errf(errbuf, PD_ERR_MALFORMED,
			               "%s: offset %llu: corrupt block: length %u at its start, %u "
			               "at its end",
			               r->path, (unsigned long long)boff, len,
			               get32(p + len - 4, r->be));
		r->pos += len; /* the bytes stay in the buffer until the next pd_reader_fill() */
		c = pd_cur_make(p + 8, len - NG_MIN_BLOCK);
		switch (type) {
		case PD_PCAPNG_SHB:
			e = do_shb(r, &c, boff, errbuf);
			break;
		case PD_PCAPNG_IDB:
			e = do_idb(r, &c, boff, errbuf);
			break;
		case PD_PCAPNG_EPB:
		case PD_PCAPNG_PB:
		case PD_PCAPNG_SPB:
			e = do_packet(r, type, &c, boff, f, errbuf);
			if (e == PD_ERR_NOTFOUND)
				e = PD_ERR_NEED_MORE; /* filtered out */
			return e;
		case PD_PCAPNG_ISB:
			do_isb(r, &c);
			break;
		default:
			break; /* name resolution, decryption secrets, custom, unknown: skipped */
		}
		return e == PD_OK ? PD_ERR_NEED_MORE : e;
	}
}

enum pd_err pd_pcapng_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE])
{
	enum pd_err e;

	while ((e = next_block(r, f, errbuf)) == PD_ERR_NEED_MORE)
		;
	return e;
}
