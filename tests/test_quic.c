/*
 * test_quic.c - QUIC Initial decryption and CRYPTO reassembly.
 *
 * Vectors: RFC 9001 appendix A (v1) and RFC 9369 appendix A (v2): the client Initial keys for
 * DCID 8394c8f03e515708 and the 1200-byte protected client Initial carrying a ClientHello for
 * "example.com". Other packets are built here by a small test-only protector (protect()) that
 * uses OpenSSL's HKDF (EVP_KDF, not the HMAC path quic.c uses) and AES-GCM/ECB; it is first
 * checked against the RFC packets, byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "quic.h"
#include "testutil.h"

static const char rfc_dcid_hex[] = "8394c8f03e515708";

/* RFC 9001 A.2 (and RFC 9369 A.2): the unprotected payload before its 917 PADDING bytes. */
static const char rfc_payload_hex[] =
        "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
        "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
        "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
        "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
        "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
        "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
        "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
        "75300901100f088394c8f03e51570806048000ffff";

/* RFC 9001 A.2: the protected client Initial (1200 bytes). */
static const char rfc9001_packet_hex[] =
        "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
        "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
        "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
        "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
        "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
        "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
        "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
        "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
        "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
        "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
        "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
        "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
        "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
        "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
        "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
        "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
        "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
        "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
        "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
        "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
        "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
        "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
        "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
        "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
        "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
        "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
        "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
        "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
        "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
        "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
        "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
        "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
        "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
        "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
        "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
        "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
        "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
        "e221af44860018ab0856972e194cd934";

/* RFC 9369 A.2: the protected v2 client Initial (1200 bytes). */
static const char rfc9369_packet_hex[] =
        "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
        "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
        "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
        "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
        "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
        "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
        "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
        "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
        "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
        "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
        "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
        "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
        "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
        "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
        "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
        "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
        "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
        "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
        "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
        "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
        "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
        "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
        "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
        "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
        "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
        "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
        "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
        "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
        "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
        "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
        "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
        "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
        "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
        "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
        "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
        "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
        "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
        "a18b2faa745b6fe189cf772a9f84cbfc";

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < cap) {
		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* ---- test-only packet protector ---- */

struct keys {
	uint8_t key[16], iv[12], hp[16];
};

static void hkdf(int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key, size_t key_len,
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
		                                         (void *)(uintptr_t)salt, salt_len);
	if (info)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		                                         (void *)(uintptr_t)info, info_len);
	*q = OSSL_PARAM_construct_end();
	ck_assert_int_eq(EVP_KDF_derive(ctx, out, out_len, p), 1);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

static void expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t n)
{
	uint8_t info[64];
	size_t ll = strlen(label), i = 0;

	info[i++] = 0, info[i++] = (uint8_t)n, info[i++] = (uint8_t)(6 + ll);
	memcpy(info + i, "tls13 ", 6), i += 6;
	memcpy(info + i, label, ll), i += ll;
	info[i++] = 0;
	hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, secret, 32, info, i, out, n);
}

static void derive(uint32_t version, const uint8_t *dcid, size_t dlen, struct keys *k)
{
	static const char v1_salt[] = "38762cf7f55934b34d179ae6a4c80cadccbb7f0a";
	static const char v2_salt[] = "0dede3def700a6db819381be6e269dcbf9bd2ed9";
	/* draft-ietf-quic-tls-29 section 5.2, and Google's T051 (as Wireshark's dissector) */
	static const char d29_salt[] = "afbfec289993d24c9e9786f19c6111e04390a899";
	static const char t51_salt[] = "7a4edef4e7ccee5fa4506c19124fc8ccda6e033d";
	const char *pfx = version == PD_QUIC_V2 ? "quicv2" : "quic";
	uint8_t salt[20], initial[32], client[32];
	char label[32];

	unhex(version == PD_QUIC_V2   ? v2_salt
	      : version == 0xff00001d ? d29_salt
	      : version == 0x54303531 ? t51_salt
	                              : v1_salt,
	      salt, 20);
	hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, 20, dcid, dlen, NULL, 0, initial, 32);
	expand_label(initial, "client in", client, 32);
	snprintf(label, sizeof(label), "%s key", pfx);
	expand_label(client, label, k->key, 16);
	snprintf(label, sizeof(label), "%s iv", pfx);
	expand_label(client, label, k->iv, 12);
	snprintf(label, sizeof(label), "%s hp", pfx);
	expand_label(client, label, k->hp, 16);
}

/*
 * Builds a protected long-header packet: type bits, version, dcid, empty scid, a token for
 * Initials, Length (2-byte varint), packet number pn in pn_len bytes, payload. Returns its size.
 */
static size_t protect(const struct keys *k, uint32_t version, unsigned type, const uint8_t *dcid,
                      size_t dlen, uint64_t pn, size_t pn_len, const uint8_t *payload, size_t plen,
                      uint8_t *out)
{
	uint8_t nonce[12], mask[16];
	size_t n = 0, pn_off, i;
	unsigned initial = version == PD_QUIC_V2 ? 1 : 0; /* drafts and T05x: as v1 */
	int outl;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	out[n++] = (uint8_t)(0xc0 | (type << 4) | (pn_len - 1));
	out[n++] = (uint8_t)(version >> 24), out[n++] = (uint8_t)(version >> 16);
	out[n++] = (uint8_t)(version >> 8), out[n++] = (uint8_t)version;
	out[n++] = (uint8_t)dlen;
	memcpy(out + n, dcid, dlen), n += dlen;
	out[n++] = 0;
	if (type == initial)
		out[n++] = 0; /* token length */
	out[n++] = (uint8_t)(0x40 | ((pn_len + plen + 16) >> 8));
	out[n++] = (uint8_t)(pn_len + plen + 16);
	pn_off = n;
	for (i = 0; i < pn_len; i++)
		out[n++] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	ck_assert_int_eq(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(c, NULL, &outl, out, (int)n), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(c, out + n, &outl, payload, (int)plen), 1);
	ck_assert_int_eq(EVP_EncryptFinal_ex(c, out + n + outl, &outl), 1);
	n += plen;
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n), 1);
	n += 16;
	ck_assert_int_eq(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(c, mask, &outl, out + pn_off + 4, 16), 1);
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		out[pn_off + i] ^= mask[1 + i];
	return n;
}

/* Appends a CRYPTO frame (2-byte varints) for hello[off, off + n). */
static size_t crypto_frame(uint8_t *out, const uint8_t *hello, size_t off, size_t n)
{
	size_t i = 0;

	out[i++] = 0x06;
	out[i++] = (uint8_t)(0x40 | (off >> 8)), out[i++] = (uint8_t)off;
	out[i++] = (uint8_t)(0x40 | (n >> 8)), out[i++] = (uint8_t)n;
	memcpy(out + i, hello + off, n);
	return i + n;
}

/* The RFC's ClientHello (245 bytes: the CRYPTO frame data) and the RFC DCID. */
static size_t rfc_hello(uint8_t *hello, uint8_t *dcid)
{
	uint8_t payload[400];
	size_t n = unhex(rfc_payload_hex, payload, sizeof(payload));

	unhex(rfc_dcid_hex, dcid, 8);
	memcpy(hello, payload + 4, n - 4);
	return n - 4;
}

/* One packet with a PING, an ACK with ECN counts, the CRYPTO range, then PADDING. */
static size_t mk_initial(uint32_t v, const struct keys *k, const uint8_t *dcid, size_t dlen,
                         uint64_t pn, const uint8_t *hello, size_t off, size_t n, uint8_t *out)
{
	uint8_t pl[1400];
	size_t i = 0;

	pl[i++] = 0x01; /* PING */
	/* ACK largest 5, delay 0, 1 range beyond the first (first 1, gap 0, length 1), ECN
	   counts 2, 3, 4 */
	memcpy(pl + i, "\x03\x05\x00\x01\x01\x00\x01\x02\x03\x04", 10);
	i += 10;
	i += crypto_frame(pl + i, hello, off, n);
	memset(pl + i, 0, 60); /* PADDING */
	i += 60;
	return protect(k, v, v == PD_QUIC_V2 ? 1 : 0, dcid, dlen, pn, 2, pl, i, out);
}

static void rfc_check(uint32_t v, const char *hex, const char *key, const char *iv, const char *hp)
{
	uint8_t dcid[8], exp[1200], pkt[1300], payload[1162], x[16];
	struct keys k;
	size_t n, pl;
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver = 0;

	unhex(rfc_dcid_hex, dcid, 8);
	derive(v, dcid, 8, &k);
	ck_assert_mem_eq(k.key, x, unhex(key, x, 16));
	ck_assert_mem_eq(k.iv, x, unhex(iv, x, 12));
	ck_assert_mem_eq(k.hp, x, unhex(hp, x, 16));
	memset(payload, 0, sizeof(payload));
	pl = unhex(rfc_payload_hex, payload, sizeof(payload));
	ck_assert_uint_eq(pl, 245);
	n = protect(&k, v, v == PD_QUIC_V2 ? 1 : 0, dcid, 8, 2, 4, payload, sizeof(payload), pkt);
	ck_assert_uint_eq(n, 1200);
	ck_assert_uint_eq(unhex(hex, exp, sizeof(exp)), 1200);
	ck_assert_mem_eq(pkt, exp, 1200); /* the test protector reproduces the RFC packet */

	ck_assert(pd_quic_maybe_initial(exp, sizeof(exp)));
	ck_assert_int_eq(pd_quic_feed(&st, exp, sizeof(exp), &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	ck_assert_str_eq(h.alpn, "alpn");
	ck_assert(h.tls13);
	ck_assert_uint_eq(ver, v);
	/* Later datagrams of a decided flow return the same answer without work. */
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(pd_quic_feed(&st, exp, 10, &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	pd_quic_free(st);
}

START_TEST(valid)
{
	/* RFC 9001 A.1 client key, iv, hp and A.2 packet. */
	rfc_check(PD_QUIC_V1, rfc9001_packet_hex, "1f369613dd76d5467730efcbe3b1a22d",
	          "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2");
	/* RFC 9369 A.1 and A.2. */
	rfc_check(PD_QUIC_V2, rfc9369_packet_hex, "8b1a0bc121284290a29e0971b5cd045d",
	          "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9");
	pd_quic_free(NULL);
}
END_TEST

/* CRYPTO spread over three Initials, fed out of order, with an overlap and a duplicate. */
static void multi(uint32_t v)
{
	uint8_t hello[300], dcid[8], p1[1500], p2[1500], p3[1500];
	size_t hn = rfc_hello(hello, dcid), n1, n2, n3;
	struct keys k;
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver = 0;

	derive(v, dcid, 8, &k);
	n1 = mk_initial(v, &k, dcid, 8, 0, hello, 0, 100, p1);
	n2 = mk_initial(v, &k, dcid, 8, 1, hello, 80, 100, p2); /* overlaps p1 by 20 */
	n3 = mk_initial(v, &k, dcid, 8, 2, hello, 180, hn - 180, p3);
	ck_assert_int_eq(pd_quic_feed(&st, p3, n3, &h, &ver), PD_ERR_NEED_MORE);
	ck_assert_int_eq(pd_quic_feed(&st, p3, n3, &h, &ver), PD_ERR_NEED_MORE); /* duplicate */
	ck_assert_int_eq(pd_quic_feed(&st, p2, n2, &h, &ver), PD_ERR_NEED_MORE);
	ck_assert_int_eq(pd_quic_feed(&st, p1, n1, &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	ck_assert_uint_eq(ver, v);
	pd_quic_free(st);
}

START_TEST(multi_packet)
{
	multi(PD_QUIC_V1);
	multi(PD_QUIC_V2);
}
END_TEST

START_TEST(coalesced)
{
	/* One datagram: a Handshake-type packet (skipped by its Length), the first Initial
	   half, and trailing zero padding; then a second Initial with the rest. */
	uint8_t hello[300], dcid[8], d[3000], junk[64], p2[1500];
	size_t hn = rfc_hello(hello, dcid), n = 0, n2;
	struct keys k;
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver;

	derive(PD_QUIC_V1, dcid, 8, &k);
	memset(junk, 0xab, sizeof(junk));
	n = mk_initial(PD_QUIC_V1, &k, dcid, 8, 0, hello, 0, 120, d);
	n += protect(&k, PD_QUIC_V1, 2, dcid, 8, 1, 1, junk, sizeof(junk), d + n);
	memset(d + n, 0, 100);
	n += 100;
	n2 = mk_initial(PD_QUIC_V1, &k, dcid, 8, 2, hello, 120, hn - 120, p2);
	ck_assert_int_eq(pd_quic_feed(&st, d, n, &h, &ver), PD_ERR_NEED_MORE);
	ck_assert_int_eq(pd_quic_feed(&st, p2, n2, &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	pd_quic_free(st);

	/* The Handshake packet first, then the whole hello in an Initial, same datagram. */
	st = NULL;
	n = protect(&k, PD_QUIC_V1, 2, dcid, 8, 1, 1, junk, sizeof(junk), d);
	n += mk_initial(PD_QUIC_V1, &k, dcid, 8, 0, hello, 0, hn, d + n);
	/* A client's first datagram starts with its Initial (RFC 9000 section 12.2: coalesced
	   packets go in order of encryption level); anything else is not a flow start. */
	ck_assert(!pd_quic_maybe_initial(d, n));
	ck_assert_int_eq(pd_quic_feed(&st, d, n, &h, &ver), PD_ERR_UNSUPPORTED);
	ck_assert_ptr_null(st);
}
END_TEST

START_TEST(dcid_change)
{
	/* The server picked a new connection ID: later Initials carry it as DCID but the keys
	   stay those of the original DCID (RFC 9001 section 5.2). */
	uint8_t hello[300], dcid[8], p1[1500], p2[1500], other[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	size_t hn = rfc_hello(hello, dcid), n1, n2;
	struct keys k, kr;
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver;

	derive(PD_QUIC_V1, dcid, 8, &k);
	n1 = mk_initial(PD_QUIC_V1, &k, dcid, 8, 0, hello, 0, 100, p1);
	n2 = mk_initial(PD_QUIC_V1, &k, other, 8, 1, hello, 100, hn - 100, p2);
	ck_assert_int_eq(pd_quic_feed(&st, p1, n1, &h, &ver), PD_ERR_NEED_MORE);
	ck_assert_int_eq(pd_quic_feed(&st, p2, n2, &h, &ver), PD_OK);
	pd_quic_free(st);

	/* After a Retry the client's Initials use keys from the Retry's connection ID. */
	st = NULL;
	derive(PD_QUIC_V1, other, 8, &kr);
	n2 = mk_initial(PD_QUIC_V1, &kr, other, 8, 1, hello, 100, hn - 100, p2);
	ck_assert_int_eq(pd_quic_feed(&st, p1, n1, &h, &ver), PD_ERR_NEED_MORE);
	ck_assert_int_eq(pd_quic_feed(&st, p2, n2, &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	pd_quic_free(st);
}
END_TEST

START_TEST(drafts)
{
	/* draft-29 carries the same frames as v1 under its own salt; Google T051 carries the
	   hello in its CRYPTO frame type 0x08 and other frame types that are not read (here a
	   0x40-style ACK after the CRYPTO frame ends the walk, not the flow). */
	uint8_t hello[300], dcid[8], pl[400], pkt[600];
	size_t hn = rfc_hello(hello, dcid), n;
	struct keys k;
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver = 0;

	derive(0xff00001d, dcid, 8, &k);
	n = crypto_frame(pl, hello, 0, hn);
	n = protect(&k, 0xff00001d, 0, dcid, 8, 0, 1, pl, n, pkt);
	ck_assert(pd_quic_maybe_initial(pkt, n));
	ck_assert_int_eq(pd_quic_feed(&st, pkt, n, &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	ck_assert_uint_eq(ver, 0xff00001d);
	pd_quic_free(st);

	st = NULL;
	derive(0x54303531, dcid, 8, &k);
	n = crypto_frame(pl, hello, 0, hn);
	pl[0] = 0x08;
	pl[n++] = 0x45; /* a Google ACK frame type, not parsed */
	pl[n++] = 0x01;
	n = protect(&k, 0x54303531, 0, dcid, 8, 0, 1, pl, n, pkt);
	ck_assert_int_eq(pd_quic_feed(&st, pkt, n, &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	pd_quic_free(st);

	/* An unknown draft (0xff000016, draft-22) is not read. */
	pkt[1] = 0xff, pkt[2] = 0x00, pkt[3] = 0x00, pkt[4] = 0x16;
	st = NULL;
	ck_assert_int_eq(pd_quic_feed(&st, pkt, n, &h, &ver), PD_ERR_UNSUPPORTED);
}
END_TEST

START_TEST(auth_failure)
{
	/* One flipped ciphertext bit: PD_ERR_CRYPTO, and the flow still completes. */
	uint8_t pkt[1200], bad[1200];
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver;

	unhex(rfc9001_packet_hex, pkt, sizeof(pkt));
	memcpy(bad, pkt, sizeof(bad));
	bad[600] ^= 0x01;
	ck_assert_int_eq(pd_quic_feed(&st, bad, sizeof(bad), &h, &ver), PD_ERR_CRYPTO);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(pd_quic_feed(&st, pkt, sizeof(pkt), &h, &ver), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	pd_quic_free(st);
}
END_TEST

START_TEST(truncated)
{
	/* Every prefix of the RFC 9001 packet, each to a fresh flow: never OK, never a crash;
	   a 2-byte-short packet fails its Length, not its tag. */
	uint8_t pkt[1200];
	size_t i;
	struct pd_hello h;
	uint32_t ver;

	unhex(rfc9001_packet_hex, pkt, sizeof(pkt));
	for (i = 0; i < sizeof(pkt); i++) {
		struct pd_quic *st = NULL;
		enum pd_err e = pd_quic_feed(&st, pkt, i, &h, &ver);
		ck_assert_int_ne(e, PD_OK);
		ck_assert_int_ne(e, PD_ERR_NEED_MORE);
		pd_quic_free(st);
	}
	{
		struct pd_quic *st = NULL;
		ck_assert_int_eq(pd_quic_feed(&st, pkt, 1198, &h, &ver), PD_ERR_TRUNCATED);
		pd_quic_free(st);
	}
}
END_TEST

/* Feeds one Initial whose decrypted payload is pl to a fresh flow; returns the result. */
static enum pd_err feed_payload(const uint8_t *pl, size_t n)
{
	uint8_t dcid[8], pkt[2000];
	struct keys k;
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver;
	enum pd_err e;
	size_t pn;

	unhex(rfc_dcid_hex, dcid, 8);
	derive(PD_QUIC_V1, dcid, 8, &k);
	pn = protect(&k, PD_QUIC_V1, 0, dcid, 8, 0, 2, pl, n, pkt);
	e = pd_quic_feed(&st, pkt, pn, &h, &ver);
	pd_quic_free(st);
	return e;
}

START_TEST(hostile)
{
	/* Each payload is hand-made (frame layouts of RFC 9000 section 19 with out-of-range
	   values), padded to be long enough to sample, then protected with the RFC keys. */
	uint8_t pl[200];
	struct pd_quic *st = NULL;
	struct pd_hello h;
	uint32_t ver;
	uint8_t raw[64];

#define FEED(bytes, expect)                                                                        \
	do {                                                                                       \
		memset(pl, 0, sizeof(pl));                                                         \
		memcpy(pl, bytes, sizeof(bytes) - 1);                                              \
		ck_assert_int_eq(feed_payload(pl, 40), expect);                                    \
	} while (0)

	/* CRYPTO at offset 2^62-1 with one byte: past the largest stream offset. */
	FEED("\x06\xff\xff\xff\xff\xff\xff\xff\xff\x01\x41", PD_ERR_MALFORMED);
	/* CRYPTO at offset 2^62-2 with one byte: legal, far beyond our window, ignored. */
	FEED("\x06\xff\xff\xff\xff\xff\xff\xff\xfe\x01\x41", PD_ERR_NEED_MORE);
	/* CRYPTO straddling the end of PD_QUIC_MAX_CRYPTO: clipped. */
	FEED("\x06\x7f\xfe\x04\x41\x41\x41\x41", PD_ERR_NEED_MORE);
	/* CRYPTO whose length runs past the packet. */
	FEED("\x06\x00\x7f\xff\x41", PD_ERR_MALFORMED);
	/* ACK with 2^62-1 ranges, and an ACK cut short. */
	FEED("\x02\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00", PD_ERR_MALFORMED);
	/* A STREAM frame and a huge 8-byte frame type: not allowed in an Initial. */
	FEED("\x08\x00\x01\x41", PD_ERR_MALFORMED);
	FEED("\xff\xff\xff\xff\xff\xff\xff\xff", PD_ERR_MALFORMED);
	/* CONNECTION_CLOSE whose reason length runs past the packet. */
	FEED("\x1c\x00\x00\x7f\xff", PD_ERR_MALFORMED);
	/* A handshake message announced as 0xffffff bytes: over PD_QUIC_MAX_CRYPTO. */
	FEED("\x06\x00\x04\x01\xff\xff\xff", PD_ERR_LIMIT);
	/* A first handshake message that is not a ClientHello. */
	FEED("\x06\x00\x04\x02\x00\x00\x00", PD_ERR_MALFORMED);
	/* A complete but broken hello (too short). */
	FEED("\x06\x00\x06\x01\x00\x00\x02\x03\x03", PD_ERR_MALFORMED);

	/* Header fields, hand-made: DCID length 21 (over 20), SCID length 255, a DCID of 4
	   bytes in a first Initial, a Length varint of 2^62-1, a token length past the end. */
	memcpy(raw, "\xc0\x00\x00\x00\x01\x15", 6);
	memset(raw + 6, 0, sizeof(raw) - 6);
	ck_assert(!pd_quic_maybe_initial(raw, sizeof(raw)));
	ck_assert_int_eq(pd_quic_feed(&st, raw, sizeof(raw), &h, &ver), PD_ERR_UNSUPPORTED);
	ck_assert_ptr_null(st);
	memcpy(raw, "\xc0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\xff", 15);
	ck_assert_int_eq(pd_quic_feed(&st, raw, sizeof(raw), &h, &ver), PD_ERR_MALFORMED);
	memcpy(raw, "\xc0\x00\x00\x00\x01\x04\x01\x02\x03\x04\x00\x00\x20", 13);
	ck_assert_int_eq(pd_quic_feed(&st, raw, sizeof(raw), &h, &ver), PD_ERR_MALFORMED);
	memcpy(raw,
	       "\xc0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00"
	       "\xff\xff\xff\xff\xff\xff\xff\xff",
	       24);
	ck_assert_int_eq(pd_quic_feed(&st, raw, sizeof(raw), &h, &ver), PD_ERR_TRUNCATED);
	memcpy(raw, "\xc0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00\x7f\xff", 17);
	ck_assert_int_eq(pd_quic_feed(&st, raw, sizeof(raw), &h, &ver), PD_ERR_MALFORMED);
	/* Length 5: too short to take a header-protection sample. */
	memcpy(raw, "\xc0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x05", 17);
	ck_assert_int_eq(pd_quic_feed(&st, raw, sizeof(raw), &h, &ver), PD_ERR_MALFORMED);
	pd_quic_free(st);
	st = NULL;
	/* Not QUIC: a short header, an unknown version, version negotiation, DNS bytes. */
	ck_assert_int_eq(
	        pd_quic_feed(&st, (const uint8_t *)"\x40\x01\x02\x03\x04\x05\x06\x07", 8, &h, &ver),
	        PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(
	        pd_quic_feed(&st, (const uint8_t *)"\xc0\xba\xba\xba\xba\x08\x01\x02", 8, &h, &ver),
	        PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(
	        pd_quic_feed(&st, (const uint8_t *)"\x80\x00\x00\x00\x00\x08\x01\x02", 8, &h, &ver),
	        PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(
	        pd_quic_feed(&st, (const uint8_t *)"\x12\x34\x01\x00\x00\x01", 6, &h, &ver),
	        PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_quic_feed(&st, NULL, 0, &h, &ver), PD_ERR_UNSUPPORTED);
	ck_assert_ptr_null(st);
#undef FEED
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quic");
	TCase *tc = tcase_create("quic");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, multi_packet);
	tcase_add_test(tc, coalesced);
	tcase_add_test(tc, dcid_change);
	tcase_add_test(tc, drafts);
	tcase_add_test(tc, auth_failure);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
