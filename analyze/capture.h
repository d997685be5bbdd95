/*
 * capture.h - reading capture files: classic pcap (through libpcap) and pcapng (our own block
 * reader, analyze/pcapng.c, so that mixed link types, interface names, comments, container
 * metadata and statistics are all available).
 *
 * pd_reader_open() sniffs the magic number and picks the reader. Frames come out one at a time;
 * a frame's data points into the reader's buffer and is valid until the next call.
 * A BPF filter (-f) is applied offline per interface with pcap_offline_filter().
 */
#ifndef PD_CAPTURE_H
#define PD_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define PD_MAX_IFACES 256      /* interfaces per file (all sections together) */
#define PD_MAX_META 32         /* metadata key=value pairs kept */
#define PD_MAX_COMMENTS 16     /* section comments kept */
#define PD_MAX_BLOCK (16u << 20) /* largest pcapng block accepted */
#define PD_MAX_IFACE_ADDRS 16  /* if_IPv4addr/if_IPv6addr options kept per interface */

/* Link types (LINKTYPE_* numbers from tcpdump.org/linktypes.html). */
enum {
	PD_LINK_NULL = 0,
	PD_LINK_ETHERNET = 1,
	PD_LINK_PPP = 9,        /* PPP, 0xff 0x03 optional (RFC 1661, 1662) */
	PD_LINK_PPP_HDLC = 50,  /* PPP in HDLC-like framing, or Cisco HDLC */
	PD_LINK_PPP_ETHER = 51, /* PPPoE header first (RFC 2516) */
	PD_LINK_C_HDLC = 104,   /* Cisco HDLC */
	PD_LINK_RAW = 101,
	PD_LINK_LOOP = 108,
	PD_LINK_LINUX_SLL = 113,
	PD_LINK_NFLOG = 239,
	PD_LINK_IPV4 = 228,
	PD_LINK_IPV6 = 229,
	PD_LINK_LINUX_SLL2 = 276,
};

struct pd_frame {
	int64_t ts_ns;        /* capture time, nanoseconds since the Unix epoch (UTC) */
	uint32_t caplen;      /* bytes captured, available at data */
	uint32_t origlen;     /* bytes on the wire */
	int linktype;         /* LINKTYPE_* of this frame's interface */
	uint32_t iface;       /* interface index within the file (0 for classic pcap) */
	uint32_t epb_flags;   /* pcapng epb_flags (direction in bits 0-1), 0 if absent */
	uint64_t offset;      /* file offset of the record header */
	const uint8_t *data;  /* valid until the next pd_reader_next() */
};

/* One address of an interface (pcapng if_IPv4addr / if_IPv6addr), network byte order. */
struct pd_iface_addr {
	uint8_t family;       /* 4 or 6 */
	uint8_t prefix;       /* prefix length: 0-32 or 0-128 */
	uint8_t addr[16];     /* IPv4 in the first 4 bytes */
};

struct pd_iface {
	char name[64];        /* if_name, "" when absent */
	char description[256];
	int linktype;
	uint32_t snaplen;
	bool has_stats;       /* an interface statistics block was seen */
	uint64_t received;    /* isb_ifrecv */
	uint64_t dropped;     /* isb_ifdrop (+ isb_osdrop when that is all there is) */
	unsigned n_addrs;     /* addresses from if_IPv4addr/if_IPv6addr, at most the first
	                         PD_MAX_IFACE_ADDRS; malformed ones are left out */
	struct pd_iface_addr addrs[PD_MAX_IFACE_ADDRS];
};

struct pd_meta {
	char key[32];         /* PD_META_* without the prefix */
	char value[256];
};

struct pd_capinfo {
	const char *format;   /* "pcap" or "pcapng" */
	unsigned sections;    /* pcapng section header blocks seen */
	unsigned n_ifaces;
	struct pd_iface ifaces[PD_MAX_IFACES];
	unsigned n_comments;  /* section comments that are not pcapdomains metadata */
	char comments[PD_MAX_COMMENTS][256];
	unsigned n_meta;
	struct pd_meta meta[PD_MAX_META];
	char hardware[128], os[128], userappl[128];
	uint32_t snaplen;     /* classic pcap snaplen */
};

struct pd_reader;

/*
 * Opens path (pcap or pcapng by magic). bpf may be NULL. On failure returns NULL with a
 * one-line message in errbuf naming the file (and offset, where there is one) and *err set:
 * PD_ERR_IO (cannot open/read), PD_ERR_FORMAT (not a capture, empty file), PD_ERR_TRUNCATED or
 * PD_ERR_MALFORMED (pcap file header or first pcapng section header cut short or corrupt),
 * PD_ERR_USAGE (bad BPF expression), PD_ERR_UNSUPPORTED (link type unknown to the filter
 * compiler, pcapng version other than 1.x).
 */
struct pd_reader *pd_reader_open(const char *path, const char *bpf, enum pd_err *err,
				 char errbuf[PD_ERRBUF_SIZE]);

/*
 * Reads the next frame that passes the filter. Returns PD_OK with *f filled,
 * PD_ERR_NOTFOUND at a clean end of file, or an error (PD_ERR_TRUNCATED: file cut mid-record;
 * PD_ERR_MALFORMED: corrupt block length and the like; PD_ERR_LIMIT: more than PD_MAX_IFACES
 * interfaces; PD_ERR_UNSUPPORTED: pcapng version other than 1.x, or a pcapng interface whose
 * link type the filter cannot be compiled for; PD_ERR_IO) with errbuf naming the file and
 * offset. After an error the reader is finished: frames before it are valid and were
 * returned.
 */
enum pd_err pd_reader_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE]);

/* Interfaces, comments, metadata, statistics seen so far (complete after the last frame). */
const struct pd_capinfo *pd_reader_info(const struct pd_reader *r);

/* Bytes of the file consumed so far (progress bars). */
uint64_t pd_reader_tell(const struct pd_reader *r);

/*
 * True when the capture is read as a stream (standard input "-", a pipe, FIFO or socket, or a
 * compressed file: source.h): read once, and hashed while read, so its hash comes from
 * pd_reader_stream_hash (which reads what the reader left, to the end) rather than filehash.c.
 */
bool pd_reader_is_stream(const struct pd_reader *r);
enum pd_err pd_reader_stream_hash(struct pd_reader *r, char hex[65], uint64_t *size,
                                  char errbuf[PD_ERRBUF_SIZE]);

void pd_reader_free(struct pd_reader *r);

/* "ether", "linux-sll2", ... for a LINKTYPE_* (a static string; "linktype-N" for others). */
const char *pd_link_name(int linktype);

/* Value of metadata key (without prefix) or NULL. */
const char *pd_capinfo_meta(const struct pd_capinfo *ci, const char *key);

#endif
