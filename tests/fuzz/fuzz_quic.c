/*
 * fuzz_quic.c - libFuzzer harness for QUIC Initial parsing. The input is a list of datagrams,
 * each a 2-byte big-endian length and that many bytes, all fed to one flow state.
 *
 * Random bytes never pass AES-GCM authentication, so the first input byte picks a mode: even,
 * the datagrams are fed as they are (header parsing, coalescing, header protection); odd, each
 * datagram is taken as the plaintext payload of an Initial that the harness protects itself
 * (v1 or v2 by bit 1, keys from the RFC 9001 example DCID, packet numbers 0, 1, 2, ...), so
 * frame parsing, CRYPTO reassembly and the ClientHello parser are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

struct keys {
	uint8_t key[16], iv[12], hp[16];
};

static void hkdf(int mode, const uint8_t *salt, const uint8_t *key, size_t key_len,
                 const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[6], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t) "SHA256",
	                                        0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)key,
	                                         key_len);
	if (salt)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		                                         (void *)(uintptr_t)salt, 20);
	if (info)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		                                         (void *)(uintptr_t)info, info_len);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, p) != 1)
		abort();
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

static void label(const uint8_t *secret, const char *pfx, const char *what, uint8_t *out, size_t n)
{
	uint8_t info[64];
	size_t pl = strlen(pfx), wl = strlen(what), i = 0;

	info[i++] = 0, info[i++] = (uint8_t)n, info[i++] = (uint8_t)(6 + pl + wl);
	memcpy(info + i, "tls13 ", 6), i += 6;
	memcpy(info + i, pfx, pl), i += pl;
	memcpy(info + i, what, wl), i += wl;
	info[i++] = 0;
	hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, secret, 32, info, i, out, n);
}

static void derive(int v2, struct keys *k)
{
	static const uint8_t s1[20] = {
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a
	};
	static const uint8_t s2[20] = {
		0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9
	};
	uint8_t initial[32], client[32];
	const char *pfx = v2 ? "quicv2 " : "quic ";

	hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, v2 ? s2 : s1, dcid, 8, NULL, 0, initial, 32);
	label(initial, "", "client in", client, 32);
	label(client, pfx, "key", k->key, 16);
	label(client, pfx, "iv", k->iv, 12);
	label(client, pfx, "hp", k->hp, 16);
}

/* Protects payload as a v1/v2 Initial with a 2-byte packet number; returns its size. */
static size_t protect(const struct keys *k, int v2, uint16_t pn, const uint8_t *pl, size_t n,
                      uint8_t *out)
{
	static const uint8_t ver1[4] = { 0, 0, 0, 1 }, ver2[4] = { 0x6b, 0x33, 0x43, 0xcf };
	uint8_t nonce[12], mask[16];
	size_t at = 0, pn_off, i;
	int outl;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	out[at++] = (uint8_t)(0xc0 | ((v2 ? 1 : 0) << 4) | 1);
	memcpy(out + at, v2 ? ver2 : ver1, 4), at += 4;
	out[at++] = 8;
	memcpy(out + at, dcid, 8), at += 8;
	out[at++] = 0; /* scid */
	out[at++] = 0; /* token */
	out[at++] = (uint8_t)(0x40 | ((2 + n + 16) >> 8));
	out[at++] = (uint8_t)(2 + n + 16);
	pn_off = at;
	out[at++] = (uint8_t)(pn >> 8), out[at++] = (uint8_t)pn;
	memcpy(nonce, k->iv, 12);
	nonce[10] ^= (uint8_t)(pn >> 8), nonce[11] ^= (uint8_t)pn;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce);
	EVP_EncryptUpdate(c, NULL, &outl, out, (int)at);
	EVP_EncryptUpdate(c, out + at, &outl, pl, (int)n);
	EVP_EncryptFinal_ex(c, out + at + outl, &outl);
	at += n;
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + at);
	at += 16;
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL);
	EVP_EncryptUpdate(c, mask, &outl, out + pn_off + 4, 16);
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 2; i++)
		out[pn_off + i] ^= mask[1 + i];
	return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keys k1, k2;
	static int ready;
	static uint8_t pkt[4200], pl[4096];
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver;
	uint16_t pn = 0;
	int mode, v2;
	size_t off = 1;

	if (!ready) {
		derive(0, &k1);
		derive(1, &k2);
		ready = 1;
	}
	if (size < 1)
		return 0;
	mode = data[0] & 1;
	v2 = (data[0] >> 1) & 1;
	(void)pd_quic_maybe_initial(data + 1, size - 1);
	while (off + 2 <= size) {
		size_t n = ((size_t)data[off] << 8) | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		if (mode == 0) {
			(void)pd_quic_feed(&st, data + off, n, &h, &ver);
		} else {
			size_t m = n < sizeof(pl) - 20 ? n : sizeof(pl) - 20;
			memcpy(pl, data + off, m);
			if (m < 20) { /* long enough to sample */
				memset(pl + m, 0, 20 - m);
				m = 20;
			}
			m = protect(v2 ? &k2 : &k1, v2, pn++, pl, m, pkt);
			(void)pd_quic_feed(&st, pkt, m, &h, &ver);
		}
		off += n;
	}
	pd_quic_free(st);
	return 0;
}
