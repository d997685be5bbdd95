/*
 * reader_impl.h - state shared by the capture readers (reader.c dispatches, pcap.c reads classic
 * pcap through libpcap, pcapng.c is our own pcapng block reader). Private to analyze/.
 *
 * Offsets in messages are file offsets of the record (pcap) or block (pcapng) that failed.
 */
#ifndef PD_READER_IMPL_H
#define PD_READER_IMPL_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "capture.h"
#include "cur.h"

enum pd_reader_kind { PD_READER_PCAP = 1, PD_READER_PCAPNG };

/* Per-interface state of the pcapng reader (timestamp scaling, offline filter). */
struct pd_ng_iface {
	uint64_t units;      /* timestamp units per second (if_tsresol), 1e6 by default */
	int64_t tsoffset_ns; /* if_tsoffset in nanoseconds */
	struct bpf_program prog;
	bool has_prog;
	bool prog_on_ip; /* prog was compiled for raw IP (see pd_reader_match) */
};

struct pd_reader {
	enum pd_reader_kind kind;
	char *path; /* as given to pd_reader_open (owned) */
	char *bpf;  /* filter expression (owned) or NULL */
	bool done;  /* an error or the end was reached */
	struct pd_capinfo info;

	/* classic pcap */
	pcap_t *pc;
	FILE *fp;
	uint64_t off;  /* file offset of the next record */
	uint64_t size; /* file size at open */
	bool swapped;  /* file byte order differs from ours */
	int linktype;
	uint32_t snapshot; /* libpcap's snaplen: records are cut to it */
	bool nano;         /* nanosecond timestamps */
	struct bpf_program prog;
	bool has_prog;
	bool prog_on_ip;

	/* pcapng, and classic pcap read by our own record reader (then pc is NULL) */
	int fd;
	uint8_t *buf;         /* read buffer, PD_READER_BUF bytes, grown up to PD_MAX_BLOCK */
	size_t cap, len, pos; /* buffer size, bytes held, next unread */
	uint64_t buf_off;     /* file offset of buf[0] */
	bool eof;
	bool be;            /* current section is big-endian */
	unsigned sec_first; /* global index of the section's interface 0 */
	unsigned sec_n;     /* interfaces in the current section */
	int64_t last_ts;    /* for simple packet blocks, which carry no time */
	struct pd_ng_iface ng[PD_MAX_IFACES];

	/* a stream (stdin, pipe, compressed file: source.h), read once; fd is then -1 */
	struct pd_source *src;
	char src_cut[PD_ERRBUF_SIZE]; /* the source ended early: said at the end */
	char src_err[PD_ERRBUF_SIZE]; /* the source failed inside libpcap's reads */
	enum pd_err src_err_code;
};

/*
 * Reads up to n capture bytes of a stream reader (r->src): > 0, 0 at the end (also when the
 * compressed data was cut: r->src_cut then says so), -1 on an error (r->src_err, code in
 * r->src_err_code).
 */
ssize_t pd_reader_src_read(struct pd_reader *r, void *buf, size_t n);

/* Initial read buffer of pd_reader_fill(). 256 KiB stays in L2: pdread read the 540 MB bench
 * capture in 111 ms with it, 115 ms with 1 MiB, 130 ms with 4 MiB (medians of 5). */
#define PD_READER_BUF (1u << 18)

/*
 * Makes n bytes (n <= PD_MAX_BLOCK) available at r->buf + r->pos, reading r->fd as needed into
 * r->buf (grown when n is bigger). *have gets the bytes available, fewer than n only at the end
 * of the file. Moves the buffer contents: any pointer into the buffer from before is invalid
 * afterwards. Used by pcapng.c and by the classic pcap fast path.
 */
enum pd_err pd_reader_fill(struct pd_reader *r, size_t n, size_t *have,
                           char errbuf[PD_ERRBUF_SIZE]);

/* Both fill r (already zeroed, path/bpf set, file known to carry the right magic). */
enum pd_err pd_pcap_open(struct pd_reader *r, char errbuf[PD_ERRBUF_SIZE]);
enum pd_err pd_pcap_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE]);
void pd_pcap_close(struct pd_reader *r);
/* For tests: true reads every classic pcap file through libpcap (the reference path). */
void pd_pcap_libpcap_only(bool on);

enum pd_err pd_pcapng_open(struct pd_reader *r, char errbuf[PD_ERRBUF_SIZE]);
enum pd_err pd_pcapng_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE]);
void pd_pcapng_close(struct pd_reader *r);

/*
 * Compiles r->bpf for linktype into prog. For NFLOG, which libpcap cannot filter, the program is
 * compiled for raw IP and *on_ip set. PD_ERR_USAGE when the expression is bad for any link type,
 * PD_ERR_UNSUPPORTED when only this link type cannot carry it; message in errbuf.
 */
enum pd_err pd_reader_compile(struct pd_reader *r, int linktype, uint32_t snaplen,
                              struct bpf_program *prog, bool *on_ip, char errbuf[PD_ERRBUF_SIZE]);

#define PD_NFULA_PAYLOAD  9  /* NFLOG TLV holding the packet (linux/netfilter/nfnetlink_log.h) */
#define PD_NFLOG_MAX_TYPE 32 /* NFULA_* types are small numbers; larger means wrong byte order */

/*
 * Finds the NFULA_PAYLOAD TLV of an NFLOG frame (decode.c). PD_OK with *payload over the IP
 * packet, PD_ERR_UNSUPPORTED when there is none, PD_ERR_TRUNCATED or PD_ERR_MALFORMED.
 */
enum pd_err pd_nflog_payload(const uint8_t *data, size_t len, struct pd_cur *payload);

/*
 * Runs a compiled filter on a frame. With on_ip the program was compiled for raw IP because
 * libpcap cannot filter the link type (NFLOG): it runs on the IP packet inside.
 */
bool pd_reader_match(const struct bpf_program *prog, bool on_ip, const uint8_t *data,
                     uint32_t caplen, uint32_t origlen);

#endif
