/*
 * source.h - a capture read once, as a stream: standard input, a pipe or FIFO, a socket, or a
 * compressed file (gzip RFC 1952, zstd RFC 8878, LZ4 frame format, xz). The compression is
 * told by the content (magic bytes), never by the file name. The SHA-256 stored for the capture
 * (captures.sha256, SPEC 2.5) is of the bytes as given: the compressed file, the stream's bytes,
 * hashed while they are read, so a stream is read exactly once.
 *
 * A plain (uncompressed) regular file is not a source: the readers read it by path and
 * filehash.c hashes it on its own thread.
 */
#ifndef PD_SOURCE_H
#define PD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

enum pd_compress { PD_COMP_NONE, PD_COMP_GZIP, PD_COMP_ZSTD, PD_COMP_LZ4, PD_COMP_XZ };

/* The compression its first bytes announce (n of them, n may be short). */
enum pd_compress pd_compress_sniff(const uint8_t *b, size_t n);
/* "gzip", "zstd", "lz4", "xz" or "none". */
const char *pd_compress_name(enum pd_compress c);

struct pd_source;

/*
 * Takes fd (closed by pd_source_free; on failure it stays the caller's). peek[0..n_peek) are the
 * first bytes already read from it (they are hashed and decompressed first). name names the input
 * in messages.
 */
enum pd_err pd_source_new(int fd, const uint8_t *peek, size_t n_peek, enum pd_compress comp,
                          const char *name, struct pd_source **out, char errbuf[PD_ERRBUF_SIZE]);

/*
 * Reads up to n decompressed bytes: > 0 bytes, 0 at the end, -1 on an error (read error:
 * *err PD_ERR_IO; corrupt compressed data: PD_ERR_MALFORMED; a compressed stream that ends
 * before its end marker: PD_ERR_TRUNCATED, after every byte before the cut was returned).
 */
ssize_t pd_source_read(struct pd_source *s, void *buf, size_t n, enum pd_err *err,
                       char errbuf[PD_ERRBUF_SIZE]);

/* Reads (and hashes) what is left of the input, then gives its SHA-256 and size. */
enum pd_err pd_source_hash(struct pd_source *s, char hex[65], uint64_t *size,
                           char errbuf[PD_ERRBUF_SIZE]);

/* Bytes of the input (compressed) read so far. */
uint64_t pd_source_raw_bytes(const struct pd_source *s);

void pd_source_free(struct pd_source *s);

#endif
