/*
 * quic.c - client Initial packets of QUIC (RFC 9000 sections 17.2 and 19, RFC 9001 section 5,
 * version 2: RFC 9369), decrypted to read the ClientHello in their CRYPTO frames.
 *
 * Per datagram: walk the coalesced long-header packets (RFC 9000 section 12.2), skipping those
 * that are not Initial by their Length field; per Initial: derive the client Initial keys once
 * per flow from the original Destination Connection ID and the version's salt and labels
 * (RFC 9001 section 5.2, RFC 9369 section 3.3), remove header protection (AES-128-ECB mask,
 * RFC 9001 section 5.4), decrypt and authenticate the payload (AES-128-GCM, the nonce is the IV
 * XOR the packet number), walk its frames and copy CRYPTO data at its offset into a per-flow
 * buffer. Once the bytes from offset 0 cover the handshake message the ClientHello goes to
 * tls.c. Pre-RFC draft versions 23-32, draft v2 0x709a50c4, mvfst's 0xfaceb002 and Google's
 * T050/T051 (same packet layout, other salts; T05x carry CRYPTO as frame type 0x08 among
 * Google frame types, of which only CRYPTO is read) are accepted too: captures still have them.
 *
 * After a Retry the client protects its Initials with keys from the new DCID (RFC 9001
 * section 5.2): when a packet fails authentication under the flow's keys and carries another
 * DCID, keys from that DCID are tried and kept if they succeed.
 *
 * Cipher contexts are created once per flow; a packet costs one AES block for the mask and
 * one GCM pass. Assumes buf is one UDP payload sent by the client.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cur.h"
#include "quic.h"

#define QUIC_MAX_CID    20 /* RFC 9000 section 17.2: v1 and v2 connection IDs */
#define QUIC_TAG_LEN    16 /* AES-128-GCM */
#define QUIC_SAMPLE_LEN 16 /* header protection sample */
#define QUIC_MAX_VARINT ((1ull << 62) - 1)

/* One known version: its Initial salt, its HKDF label prefix and its Initial type bits. */
struct quic_version {
	uint32_t version;
	uint8_t salt[20];
	const char *prefix; /* "quic" (labels "quic key", ...) or "quicv2" */
	uint8_t initial_type;
};

static const struct quic_version quic_versions[] = {
	{ PD_QUIC_V1,
	  { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	  "quic",
	  0 },
	/* draft-ietf-quic-v2 (0x709a50c4, sent by ngtcp2 0.12): v2 labels and types, own salt */
	{ 0x709a50c4,
	  { 0xa7, 0x07, 0xc2, 0x03, 0xa5, 0x9b, 0x47, 0x18, 0x4a, 0x1d,
	    0x62, 0xca, 0x57, 0x04, 0x06, 0xea, 0x7a, 0xe3, 0xe5, 0xd3 },
	  "quicv2",
	  1 },
	{ PD_QUIC_V2,
	  { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	  "quicv2",
	  1 },
};

/* draft-ietf-quic-tls-29..32 salt, and draft-23..28 (also mvfst 0xfaceb002, draft-27 based). */
static const uint8_t salt_draft29[20] = { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2,
	                                  0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
	                                  0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 };
static const uint8_t salt_draft23[20] = { 0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb,
	                                  0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4,
	                                  0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02 };

/* Google QUIC "T050" and "T051" (TLS handshake, IETF packet layout). */
static const uint8_t salt_t050[20] = { 0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
	                               0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10 };
static const uint8_t salt_t051[20] = { 0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
	                               0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d };

/* The salt, label prefix and Initial type of a version, or NULL when it is not handled. */
static const uint8_t *version_params(uint32_t v, const char **prefix, uint8_t *initial_type)
{
	size_t i;

	*prefix = "quic";
	*initial_type = 0;
	for (i = 0; i < sizeof(quic_versions) / sizeof(quic_versions[0]); i++)
		if (quic_versions[i].version == v) {
			*prefix = quic_versions[i].prefix;
			*initial_type = quic_versions[i].initial_type;
			return quic_versions[i].salt;
		}
	if (v >= 0xff00001d && v <= 0xff000020)
		return salt_draft29;
	if ((v >= 0xff000017 && v <= 0xff00001c) || v == 0xfaceb002)
		return salt_draft23;
	if (v == 0x54303530)
		return salt_t050;
	if (v == 0x54303531)
		return salt_t051;
	return NULL;
}

struct pd_quic {
	uint32_t version; /* of the keys below; 0 before the first Initial */
	uint8_t odcid[QUIC_MAX_CID];
	size_t odcid_len;
	bool keyed;
	uint8_t iv[12];
	EVP_CIPHER_CTX *aead; /* AES-128-GCM, keyed with the client Initial key */
	EVP_CIPHER_CTX *hp;   /* AES-128-ECB, keyed with the header-protection key */
	int64_t largest_pn;   /* -1 before the first authenticated packet */
	bool done;            /* hello below is final */
	enum pd_err final;    /* result returned again for later datagrams once done */
	struct pd_hello hello;
	size_t contig;                        /* CRYPTO bytes present from offset 0 */
	uint8_t have[PD_QUIC_MAX_CRYPTO / 8]; /* bitmap of CRYPTO bytes received */
	uint8_t crypto[PD_QUIC_MAX_CRYPTO];   /* CRYPTO stream, by offset */
	uint8_t pt[PD_QUIC_MAX_PACKET];       /* decrypted payload of the current packet */
};

bool pd_quic_maybe_initial(const uint8_t *buf, size_t len)
{
	const char *prefix;
	uint8_t itype;
	uint32_t v;

	if (len < 7 || (buf[0] & 0xc0) != 0xc0)
		return false;
	v = ((uint32_t)buf[1] << 24) | ((uint32_t)buf[2] << 16) | ((uint32_t)buf[3] << 8) | buf[4];
	if (!version_params(v, &prefix, &itype))
		return false;
	return ((buf[0] >> 4) & 3) == itype && buf[5] <= QUIC_MAX_CID;
}

/*
 * Algorithms fetched once per process: OpenSSL 3 looks names up under a lock on every implicit
 * fetch (EVP_sha256(), EVP_aes_128_gcm() in an Init), which costs more than the work itself.
 * They live as long as the process.
 */
static EVP_MD *alg_sha256;
static EVP_CIPHER *alg_gcm, *alg_ecb;
static pthread_once_t alg_once = PTHREAD_ONCE_INIT;

static void alg_fetch(void)
{
	alg_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	alg_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	alg_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
}

/* HMAC-SHA256 (RFC 2104) over msg with a key of at most one block. */
static int hmac_sha256(EVP_MD_CTX *md, const uint8_t *key, size_t klen, const uint8_t *msg,
                       size_t mlen, uint8_t out[32])
{
	uint8_t pad[64], inner[32];
	unsigned n = 0;
	size_t i;

	if (klen > sizeof(pad))
		return 0;
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < klen; i++)
		pad[i] ^= key[i];
	if (EVP_DigestInit_ex(md, alg_sha256, NULL) != 1 || EVP_DigestUpdate(md, pad, 64) != 1 ||
	    EVP_DigestUpdate(md, msg, mlen) != 1 || EVP_DigestFinal_ex(md, inner, &n) != 1)
		return 0;
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	return EVP_DigestInit_ex(md, alg_sha256, NULL) == 1 && EVP_DigestUpdate(md, pad, 64) == 1 &&
	       EVP_DigestUpdate(md, inner, 32) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1;
}

/*
 * HKDF-Expand-Label (RFC 8446 section 7.1, HKDF RFC 5869) with an empty context; out_len <= 32,
 * so one HMAC block T(1) suffices.
 */
static int expand_label(EVP_MD_CTX *md, const uint8_t secret[32], const char *prefix,
                        const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[64], block[32];
	size_t pl = strlen(prefix), ll = strlen(label), n = 0;

	if (6 + pl + ll + 5 > sizeof(info) || out_len > sizeof(block))
		return 0;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + pl + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, prefix, pl);
	n += pl;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;    /* context length */
	info[n++] = 0x01; /* HKDF-Expand counter T(1) */
	if (!hmac_sha256(md, secret, 32, info, n, block))
		return 0;
	memcpy(out, block, out_len);
	return 1;
}

/*
 * Derives the client Initial key, IV and header-protection key for version v and dcid
 * (RFC 9001 section 5.2; labels "quic key"/"quicv2 key" etc.). These are public values (the
 * salt and the DCID are on the wire), so nothing is wiped. Returns 0 when libcrypto fails or
 * the version is unknown.
 */
static int derive_keys(uint32_t v, const uint8_t *dcid, size_t dcid_len, uint8_t key[16],
                       uint8_t iv[12], uint8_t hpkey[16])
{
	const char *prefix;
	uint8_t itype, initial[32], client[32];
	const uint8_t *salt = version_params(v, &prefix, &itype);
	EVP_MD_CTX *md;
	char pfx[16];
	int ok;

	if (!salt || !alg_sha256 || !(md = EVP_MD_CTX_new()))
		return 0;
	snprintf(pfx, sizeof(pfx), "%s ", prefix);
	ok = hmac_sha256(md, salt, 20, dcid, dcid_len, initial) && /* HKDF-Extract */
	     expand_label(md, initial, "", "client in", client, 32) &&
	     expand_label(md, client, pfx, "key", key, 16) &&
	     expand_label(md, client, pfx, "iv", iv, 12) &&
	     expand_label(md, client, pfx, "hp", hpkey, 16);
	EVP_MD_CTX_free(md);
	return ok;
}

/* Keys the flow's cipher contexts for version v and dcid. */
static int set_keys(struct pd_quic *q, uint32_t v, const uint8_t *dcid, size_t dcid_len)
{
	uint8_t key[16], hpkey[16];
	int ok = derive_keys(v, dcid, dcid_len, key, q->iv, hpkey);

	ok = ok && EVP_DecryptInit_ex(q->aead, NULL, NULL, key, NULL) == 1;
	ok = ok && EVP_EncryptInit_ex(q->hp, NULL, NULL, hpkey, NULL) == 1;
	q->keyed = ok;
	q->version = ok ? (uint32_t)v : 0;
	return ok;
}

static struct pd_quic *quic_new(void)
{
	/* The CRYPTO and plaintext buffers need no zeroing: only bytes marked in have[] are read.
	 */
	struct pd_quic *q = malloc(sizeof(*q));

	if (!q)
		return NULL;
	memset(q, 0, offsetof(struct pd_quic, crypto));
	q->largest_pn = -1;
	pthread_once(&alg_once, alg_fetch);
	q->aead = EVP_CIPHER_CTX_new();
	q->hp = EVP_CIPHER_CTX_new();
	if (!alg_gcm || !alg_ecb || !q->aead || !q->hp ||
	    EVP_DecryptInit_ex(q->aead, alg_gcm, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(q->aead, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_EncryptInit_ex(q->hp, alg_ecb, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(q->hp, 0) != 1) {
		pd_quic_free(q);
		return NULL;
	}
	return q;
}

void pd_quic_free(struct pd_quic *st)
{
	if (!st)
		return;
	EVP_CIPHER_CTX_free(st->aead);
	EVP_CIPHER_CTX_free(st->hp);
	free(st);
}

/* RFC 9000 appendix A.3: the full packet number nearest to the next expected one. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned bits)
{
	uint64_t expected = (uint64_t)(largest + 1);
	uint64_t win = 1ull << bits, hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < (1ull << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Records CRYPTO bytes [off, off + n) of the stream, clipped to the buffer. */
static void crypto_add(struct pd_quic *q, uint64_t off, const uint8_t *data, uint64_t n)
{
	uint64_t i, end;

	if (off >= PD_QUIC_MAX_CRYPTO)
		return;
	end = n > PD_QUIC_MAX_CRYPTO - off ? PD_QUIC_MAX_CRYPTO : off + n;
	memcpy(q->crypto + off, data, (size_t)(end - off));
	for (i = off; i < end; i++)
		q->have[i >> 3] |= (uint8_t)(1u << (i & 7));
	while (q->contig < PD_QUIC_MAX_CRYPTO && (q->have[q->contig >> 3] >> (q->contig & 7)) & 1)
		q->contig++;
}

/*
 * Walks the frames of one decrypted Initial payload (RFC 9000 section 19; section 12.4 lists
 * the frames an Initial may carry). Any other frame type is a protocol violation.
 */
static enum pd_err walk_frames(struct pd_quic *q, const uint8_t *pt, size_t len)
{
	bool gquic = (q->version >> 8) == 0x543035; /* "T05": Google QUIC frame types */
	struct pd_cur c = pd_cur_make(pt, len);
	unsigned frames = 0;

	while (pd_cur_left(&c)) {
		uint64_t type, n, i, off;

		if (*c.p == 0x00) { /* PADDING runs are long: skip them without the frame limit */
			while (c.p < c.end && *c.p == 0x00)
				c.p++;
			continue;
		}
		if (++frames > PD_QUIC_MAX_FRAMES)
			return PD_ERR_LIMIT;
		type = pd_cur_varint(&c);
		if (gquic && type != 0x08)
			break; /* Google frames other than CRYPTO are not read: stop, keep data */
		if (gquic)
			type = 0x06; /* T05x CRYPTO: type 0x08, then offset and length varints */
		switch (type) {
		case 0x01: /* PING */
			break;
		case 0x02:                 /* ACK */
		case 0x03:                 /* ACK with ECN counts */
			pd_cur_varint(&c); /* largest acknowledged */
			pd_cur_varint(&c); /* ack delay */
			n = pd_cur_varint(&c);
			pd_cur_varint(&c); /* first ACK range */
			if (n > pd_cur_left(&c) / 2)
				return PD_ERR_MALFORMED; /* each range takes at least 2 bytes */
			for (i = 0; i < n && !c.err; i++) {
				pd_cur_varint(&c); /* gap */
				pd_cur_varint(&c); /* range length */
			}
			if (type == 0x03) {
				pd_cur_varint(&c); /* ECT0, ECT1, ECN-CE */
				pd_cur_varint(&c);
				pd_cur_varint(&c);
			}
			break;
		case 0x06: { /* CRYPTO */
			const uint8_t *data;
			off = pd_cur_varint(&c);
			n = pd_cur_varint(&c);
			if (c.err)
				break;
			if (n > pd_cur_left(&c) || off > QUIC_MAX_VARINT - n)
				return PD_ERR_MALFORMED;
			data = pd_cur_bytes(&c, (size_t)n);
			crypto_add(q, off, data, n);
			break;
		}
		case 0x1c:                 /* CONNECTION_CLOSE (transport) */
			pd_cur_varint(&c); /* error code */
			pd_cur_varint(&c); /* frame type */
			n = pd_cur_varint(&c);
			if (n > pd_cur_left(&c))
				return PD_ERR_MALFORMED;
			pd_cur_skip(&c, (size_t)n);
			break;
		default:
			return PD_ERR_MALFORMED;
		}
		if (c.err)
			return PD_ERR_MALFORMED;
	}
	return PD_OK;
}

/*
 * Removes header protection from a copy of the header fields, then decrypts the payload of the
 * Initial [pkt, pkt_end) whose packet number starts at pn_off, into q->pt.
 * Returns PD_OK with *pt_len set, PD_ERR_CRYPTO (tag mismatch), PD_ERR_MALFORMED or
 * PD_ERR_LIMIT.
 */
static enum pd_err open_packet(struct pd_quic *q, const uint8_t *pkt, size_t pn_off, size_t pkt_len,
                               size_t *pt_len, uint64_t *pn_out)
{
	uint8_t mask[32], first, pnb[4], nonce[12];
	size_t pn_len, i, ct_off, ct_len;
	uint64_t trunc = 0, pn;
	int outl = 0, finl = 0;

	if (pkt_len < pn_off + 4 + QUIC_SAMPLE_LEN)
		return PD_ERR_MALFORMED; /* too short to sample (RFC 9001 section 5.4.2) */
	if (EVP_EncryptUpdate(q->hp, mask, &outl, pkt + pn_off + 4, QUIC_SAMPLE_LEN) != 1 ||
	    outl != QUIC_SAMPLE_LEN)
		return PD_ERR_CRYPTO;
	first = pkt[0] ^ (mask[0] & 0x0f);
	pn_len = (size_t)(first & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		pnb[i] = pkt[pn_off + i] ^ mask[1 + i];
		trunc = (trunc << 8) | pnb[i];
	}
	ct_off = pn_off + pn_len;
	if (pkt_len < ct_off + QUIC_TAG_LEN)
		return PD_ERR_MALFORMED;
	ct_len = pkt_len - ct_off - QUIC_TAG_LEN;
	if (ct_len > sizeof(q->pt))
		return PD_ERR_LIMIT;
	pn = decode_pn(q->largest_pn, trunc, (unsigned)(8 * pn_len));
	memcpy(nonce, q->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	/* The header, unprotected, is the associated data: fed in three pieces to avoid a copy. */
	if (EVP_DecryptInit_ex(q->aead, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(q->aead, NULL, &outl, &first, 1) != 1 ||
	    EVP_DecryptUpdate(q->aead, NULL, &outl, pkt + 1, (int)(pn_off - 1)) != 1 ||
	    EVP_DecryptUpdate(q->aead, NULL, &outl, pnb, (int)pn_len) != 1 ||
	    EVP_DecryptUpdate(q->aead, q->pt, &outl, pkt + ct_off, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(q->aead, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
	                        (void *)(uintptr_t)(pkt + ct_off + ct_len)) != 1 ||
	    EVP_DecryptFinal_ex(q->aead, q->pt + outl, &finl) != 1)
		return PD_ERR_CRYPTO;
	*pt_len = (size_t)outl + (size_t)finl;
	*pn_out = pn;
	return PD_OK;
}

/* Decrypts one Initial and takes in its frames. */
static enum pd_err take_initial(struct pd_quic *q, uint32_t v, const uint8_t *pkt, size_t pn_off,
                                size_t pkt_len, const uint8_t *dcid, size_t dcid_len)
{
	size_t pt_len = 0;
	uint64_t pn = 0;
	enum pd_err err;

	if (!q->keyed || q->version != v) {
		/* The first Initial fixes the original DCID; a version change (compatible
		   version negotiation, RFC 9368) keeps it and takes the new version's salt. */
		if (!q->keyed && q->version == 0) {
			memcpy(q->odcid, dcid, dcid_len);
			q->odcid_len = dcid_len;
		}
		if (!set_keys(q, v, q->odcid, q->odcid_len))
			return PD_ERR_CRYPTO;
	}
	err = open_packet(q, pkt, pn_off, pkt_len, &pt_len, &pn);
	if (err == PD_ERR_CRYPTO &&
	    (dcid_len != q->odcid_len || memcmp(dcid, q->odcid, dcid_len) != 0)) {
		/* After a Retry the keys come from the DCID the server chose. */
		if (!set_keys(q, v, dcid, dcid_len))
			return PD_ERR_CRYPTO;
		err = open_packet(q, pkt, pn_off, pkt_len, &pt_len, &pn);
		if (err == PD_OK) {
			memcpy(q->odcid, dcid, dcid_len);
			q->odcid_len = dcid_len;
		} else if (!set_keys(q, v, q->odcid, q->odcid_len)) {
			return PD_ERR_CRYPTO;
		}
	}
	if (err)
		return err;
	if ((int64_t)pn > q->largest_pn)
		q->largest_pn = (int64_t)pn;
	return walk_frames(q, q->pt, pt_len);
}

/* Is the ClientHello complete in the CRYPTO buffer? Fills q->hello and q->final when so. */
static bool hello_ready(struct pd_quic *q)
{
	size_t need;

	if (q->contig < 4)
		return false;
	need = 4 + (((size_t)q->crypto[1] << 16) | ((size_t)q->crypto[2] << 8) | q->crypto[3]);
	if (q->crypto[0] == 1 && need > PD_QUIC_MAX_CRYPTO) {
		q->final = PD_ERR_LIMIT;
	} else if (q->crypto[0] != 1) {
		q->final = PD_ERR_MALFORMED; /* a client's first handshake message is its hello */
	} else if (q->contig < need) {
		return false;
	} else {
		q->final = pd_tls_parse_handshake(q->crypto, need, &q->hello);
	}
	q->done = true;
	return true;
}

enum pd_err pd_quic_feed(struct pd_quic **st, const uint8_t *buf, size_t len, struct pd_hello *out,
                         uint32_t *version)
{
	struct pd_cur c = pd_cur_make(buf, len);
	struct pd_quic *q = *st;
	enum pd_err perr = PD_OK; /* worst per-packet error in this datagram */
	unsigned packets = 0;

	if (!pd_quic_maybe_initial(buf, len) && (!q || !q->version))
		return PD_ERR_UNSUPPORTED;
	if (q && q->done)
		goto done;
	while (pd_cur_left(&c) && packets < PD_QUIC_MAX_COALESCED) {
		const uint8_t *pkt = c.p, *dcid;
		uint8_t first = pd_cur_u8(&c), type, itype, dlen, slen;
		uint32_t v;
		const char *prefix;
		uint64_t n;
		size_t pn_off;

		if (!(first & 0x80))
			break; /* a short-header packet takes the rest of the datagram */
		v = pd_cur_be32(&c);
		if (c.err || !version_params(v, &prefix, &itype))
			break; /* not a version we read (or trailing junk): nothing more here */
		type = (first >> 4) & 3;
		dlen = pd_cur_u8(&c);
		dcid = pd_cur_bytes(&c, dlen);
		slen = pd_cur_u8(&c);
		pd_cur_skip(&c, slen);
		if (c.err || dlen > QUIC_MAX_CID || slen > QUIC_MAX_CID) {
			perr = PD_ERR_MALFORMED;
			break;
		}
		if (type == ((itype + 3) & 3)) /* Retry (3 in v1, 0 in v2): no Length; a server's */
			break;
		if (type == itype) {
			n = pd_cur_varint(&c); /* token length */
			if (n > pd_cur_left(&c)) {
				perr = PD_ERR_MALFORMED;
				break;
			}
			pd_cur_skip(&c, (size_t)n);
		}
		n = pd_cur_varint(&c); /* Length: packet number and payload */
		if (c.err || n > pd_cur_left(&c)) {
			perr = c.err ? PD_ERR_MALFORMED : PD_ERR_TRUNCATED;
			break;
		}
		pn_off = pd_cur_offset(&c) - (size_t)(pkt - buf);
		pd_cur_skip(&c, (size_t)n);
		packets++;
		if (type != itype)
			continue; /* 0-RTT or Handshake: skipped by its Length */
		if (dlen < 8 && (!q || !q->version)) {
			perr = PD_ERR_MALFORMED; /* a first Initial's DCID has 8+ bytes (9000 7.2)
			                          */
			break;
		}
		if (!q) {
			q = *st = quic_new();
			if (!q)
				return PD_ERR_NOMEM;
		}
		{
			enum pd_err e =
			        take_initial(q, v, pkt, pn_off, pn_off + (size_t)n, dcid, dlen);
			if (e && (perr == PD_OK || e == PD_ERR_CRYPTO))
				perr = e;
		}
		if (hello_ready(q))
			goto done;
	}
	if (packets == 0 && perr == PD_OK)
		return PD_ERR_UNSUPPORTED;
	return perr ? perr : PD_ERR_NEED_MORE;
done:
	*out = q->hello;
	*version = q->version;
	return q->final;
}
