/*
 * source.c - captures read once as a stream, decompressed by their magic bytes and hashed as
 * read (see source.h).
 *
 * Magic numbers: gzip 1f 8b (RFC 1952 2.3.1); zstd frame 28 b5 2f fd, little-endian 0xFD2FB528
 * (RFC 8878 3.1.1); LZ4 frame 04 22 4d 18, little-endian 0x184D2204 (lz4 Frame format 1.6.x);
 * xz fd 37 7a 58 5a 00 (The .xz File Format 1.2.0, 2.1.1.1). Concatenated members/frames/streams
 * are read as one, as gzip -d, zstd -d, lz4 -d and xz -d do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "source.h"

#define RAW_BUF (1u << 18)

struct pd_source {
	int fd;
	char *name;
	enum pd_compress comp;
	EVP_MD_CTX *md;
	uint64_t raw_bytes;
	bool raw_eof;
	bool ended;   /* the decompressor saw the end of the data (for a truncation check) */
	bool started; /* a member/frame began since the last end */
	uint8_t *raw; /* compressed bytes read, not yet consumed */
	size_t raw_pos, raw_len;
	z_stream z;
	bool z_init;
	ZSTD_DStream *zs;
	LZ4F_dctx *lz;
	lzma_stream xz;
	bool xz_init;
};

enum pd_compress pd_compress_sniff(const uint8_t *b, size_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return PD_COMP_GZIP;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return PD_COMP_ZSTD;
	if (n >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18)
		return PD_COMP_LZ4;
	if (n >= 6 && !memcmp(b,
	                      "\xfd"
	                      "7zXZ\0",
	                      6))
		return PD_COMP_XZ;
	return PD_COMP_NONE;
}

const char *pd_compress_name(enum pd_compress c)
{
	switch (c) {
	case PD_COMP_GZIP:
		return "gzip";
	case PD_COMP_ZSTD:
		return "zstd";
	case PD_COMP_LZ4:
		return "lz4";
	case PD_COMP_XZ:
		return "xz";
	default:
		return "none";
	}
}

enum pd_err pd_source_new(int fd, const uint8_t *peek, size_t n_peek, enum pd_compress comp,
                          const char *name, struct pd_source **out, char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_source *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->name = strdup(name)) || !(s->raw = malloc(RAW_BUF)) ||
	    !(s->md = EVP_MD_CTX_new()) || n_peek > RAW_BUF) {
		if (s) {
			free(s->name);
			free(s->raw);
			EVP_MD_CTX_free(s->md);
		}
		free(s);
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", name);
	}
	s->fd = fd;
	s->comp = comp;
	if (EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		s->fd = -1; /* the caller's on failure */
		pd_source_free(s);
		return pd_errf(errbuf, PD_ERR_CRYPTO, "%s: SHA-256 unavailable", name);
	}
	memcpy(s->raw, peek, n_peek);
	s->raw_len = n_peek;
	s->raw_bytes = n_peek;
	EVP_DigestUpdate(s->md, peek, n_peek);
	switch (comp) {
	case PD_COMP_GZIP:
		/* 15 + 32: any window size, gzip or zlib header detected */
		if (inflateInit2(&s->z, 15 + 32) != Z_OK)
			goto nomem;
		s->z_init = true;
		break;
	case PD_COMP_ZSTD:
		if (!(s->zs = ZSTD_createDStream()))
			goto nomem;
		ZSTD_initDStream(s->zs);
		break;
	case PD_COMP_LZ4:
		if (LZ4F_isError(LZ4F_createDecompressionContext(&s->lz, LZ4F_VERSION)))
			goto nomem;
		break;
	case PD_COMP_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		s->xz = init;
		if (lzma_stream_decoder(&s->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			goto nomem;
		s->xz_init = true;
		break;
	}
	default:
		break;
	}
	*out = s;
	return PD_OK;
nomem:
	s->fd = -1;
	pd_source_free(s);
	return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory for the %s decoder", name,
	               pd_compress_name(comp));
}

/* Refills s->raw when it is used up. 0 ok (raw_eof may be set), -1 read error. */
static int raw_fill(struct pd_source *s, enum pd_err *err, char errbuf[PD_ERRBUF_SIZE])
{
	ssize_t got;

	if (s->raw_pos < s->raw_len || s->raw_eof)
		return 0;
	s->raw_pos = s->raw_len = 0;
	do
		got = read(s->fd, s->raw, RAW_BUF);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		*err = pd_errf(errbuf, PD_ERR_IO, "%s: read error after %llu bytes: %s", s->name,
		               (unsigned long long)s->raw_bytes, strerror(errno));
		return -1;
	}
	if (got == 0) {
		s->raw_eof = true;
		return 0;
	}
	s->raw_len = (size_t)got;
	s->raw_bytes += (uint64_t)got;
	EVP_DigestUpdate(s->md, s->raw, (size_t)got);
	return 0;
}

static ssize_t corrupt(struct pd_source *s, const char *what, enum pd_err *err,
                       char errbuf[PD_ERRBUF_SIZE])
{
	*err = pd_errf(errbuf, PD_ERR_MALFORMED,
	               "%s: corrupt %s data near compressed offset %llu: %s", s->name,
	               pd_compress_name(s->comp),
	               (unsigned long long)(s->raw_bytes - (s->raw_len - s->raw_pos)), what);
	return -1;
}

ssize_t pd_source_read(struct pd_source *s, void *buf, size_t n, enum pd_err *err,
                       char errbuf[PD_ERRBUF_SIZE])
{
	size_t in_left, out_done = 0;

	*err = PD_OK;
	if (n == 0)
		return 0;
	for (;;) {
		if (raw_fill(s, err, errbuf))
			return -1;
		in_left = s->raw_len - s->raw_pos;
		/* (xz gives its last bytes only when told the input is finished) */
		if (s->raw_eof && in_left == 0 &&
		    !(s->comp == PD_COMP_XZ && s->started && !s->ended)) {
			if (out_done)
				return (ssize_t)out_done;
			if (s->comp != PD_COMP_NONE && s->started && !s->ended) {
				*err = pd_errf(errbuf, PD_ERR_TRUNCATED,
				               "%s: %s data cut after %llu compressed bytes",
				               s->name, pd_compress_name(s->comp),
				               (unsigned long long)s->raw_bytes);
				s->ended = true; /* said once */
				return -1;
			}
			return 0;
		}
		switch (s->comp) {
		case PD_COMP_NONE: {
			size_t k = in_left < n ? in_left : n;
			memcpy(buf, s->raw + s->raw_pos, k);
			s->raw_pos += k;
			return (ssize_t)k;
		}
		case PD_COMP_GZIP: {
			int rc;
			if (s->ended) { /* another member follows */
				inflateReset(&s->z);
				s->ended = false;
			}
			s->started = true;
			s->z.next_in = s->raw + s->raw_pos;
			s->z.avail_in = (uInt)in_left;
			s->z.next_out = (Bytef *)buf + out_done;
			s->z.avail_out =
			        (uInt)(n - out_done > UINT32_MAX ? UINT32_MAX : n - out_done);
			rc = inflate(&s->z, Z_NO_FLUSH);
			out_done = (size_t)((uint8_t *)s->z.next_out - (uint8_t *)buf);
			s->raw_pos = s->raw_len - s->z.avail_in;
			if (rc == Z_STREAM_END)
				s->ended = true;
			else if (rc != Z_OK && rc != Z_BUF_ERROR)
				return corrupt(s, s->z.msg ? s->z.msg : "inflate failed", err,
				               errbuf);
			break;
		}
		case PD_COMP_ZSTD: {
			ZSTD_inBuffer in = { s->raw + s->raw_pos, in_left, 0 };
			ZSTD_outBuffer out = { (uint8_t *)buf + out_done, n - out_done, 0 };
			size_t rc = ZSTD_decompressStream(s->zs, &out, &in);
			s->started = true;
			if (ZSTD_isError(rc))
				return corrupt(s, ZSTD_getErrorName(rc), err, errbuf);
			s->raw_pos += in.pos;
			out_done += out.pos;
			s->ended = rc == 0; /* a frame is complete */
			break;
		}
		case PD_COMP_LZ4: {
			size_t src = in_left, dst = n - out_done;
			size_t rc = LZ4F_decompress(s->lz, (uint8_t *)buf + out_done, &dst,
			                            s->raw + s->raw_pos, &src, NULL);
			s->started = true;
			if (LZ4F_isError(rc))
				return corrupt(s, LZ4F_getErrorName(rc), err, errbuf);
			s->raw_pos += src;
			out_done += dst;
			s->ended = rc == 0;
			break;
		}
		case PD_COMP_XZ: {
			lzma_ret rc;
			size_t before = out_done;
			s->xz.next_in = s->raw + s->raw_pos;
			s->xz.avail_in = in_left;
			s->xz.next_out = (uint8_t *)buf + out_done;
			s->xz.avail_out = n - out_done;
			rc = lzma_code(&s->xz, s->raw_eof ? LZMA_FINISH : LZMA_RUN);
			s->started = true;
			out_done = (size_t)(s->xz.next_out - (uint8_t *)buf);
			s->raw_pos = s->raw_len - s->xz.avail_in;
			if (rc == LZMA_STREAM_END) {
				s->ended = true;
				s->raw_pos = s->raw_len; /* LZMA_CONCATENATED consumed the rest */
			} else if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) {
				return corrupt(s, "xz decoder error", err, errbuf);
			} else if (s->raw_eof && s->raw_pos == s->raw_len && out_done == before) {
				s->ended = true; /* no end marker will come: said once */
				if (out_done)
					return (ssize_t)out_done;
				*err = pd_errf(errbuf, PD_ERR_TRUNCATED,
				               "%s: xz data cut after %llu compressed bytes",
				               s->name, (unsigned long long)s->raw_bytes);
				return -1;
			}
			break;
		}
		}
		if (out_done == n || (out_done > 0 && s->raw_pos == s->raw_len))
			return (ssize_t)out_done;
	}
}

enum pd_err pd_source_hash(struct pd_source *s, char hex[65], uint64_t *size,
                           char errbuf[PD_ERRBUF_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;
	enum pd_err e = PD_OK;

	s->raw_pos = s->raw_len;
	while (!s->raw_eof) {
		if (raw_fill(s, &e, errbuf))
			return e;
		s->raw_pos = s->raw_len;
	}
	if (EVP_DigestFinal_ex(s->md, md, &len) != 1 || len != 32)
		return pd_errf(errbuf, PD_ERR_CRYPTO, "%s: SHA-256 failed", s->name);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*size = s->raw_bytes;
	return PD_OK;
}

uint64_t pd_source_raw_bytes(const struct pd_source *s)
{
	return s->raw_bytes;
}

void pd_source_free(struct pd_source *s)
{
	if (!s)
		return;
	if (s->z_init)
		inflateEnd(&s->z);
	ZSTD_freeDStream(s->zs);
	if (s->lz)
		LZ4F_freeDecompressionContext(s->lz);
	if (s->xz_init)
		lzma_end(&s->xz);
	EVP_MD_CTX_free(s->md);
	if (s->fd >= 0)
		close(s->fd);
	free(s->raw);
	free(s->name);
	free(s);
}
