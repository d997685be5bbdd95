/*
 * quic.h - QUIC Initial packets (RFC 9000, 9001; version 2 RFC 9369): header protection and
 * AEAD removed with the version's initial secrets (HKDF-SHA256, AES-128-GCM, AES-128-ECB for
 * the header-protection mask, via OpenSSL libcrypto), CRYPTO frames reassembled across
 * several Initial packets and out of order, then the ClientHello handed to tls.c.
 *
 * State is per flow, created on the first client Initial and freed with the flow (about 35 KB:
 * the CRYPTO buffer, one packet's plaintext and two cipher contexts); free it as soon as
 * pd_quic_feed() has answered anything but PD_ERR_NEED_MORE / a per-datagram error. States of
 * different flows may be used from different threads; one state from one thread at a time.
 */
#ifndef PD_QUIC_H
#define PD_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tls.h"

#define PD_QUIC_MAX_CRYPTO    16384 /* CRYPTO stream bytes buffered per flow */
#define PD_QUIC_MAX_PACKET    16384 /* largest Initial payload decrypted (clients send ~1200-1500) */
#define PD_QUIC_MAX_FRAMES    1024  /* frames in one Initial, PADDING runs not counted */
#define PD_QUIC_MAX_COALESCED 16    /* long-header packets walked in one datagram */
#define PD_QUIC_V1            0x00000001u
#define PD_QUIC_V2            0x6b3343cfu

struct pd_quic;

/* Cheap test: long header, fixed bit, Initial packet type for a known version. */
bool pd_quic_maybe_initial(const uint8_t *buf, size_t len);

/*
 * Feeds one client-to-server UDP payload (may hold several coalesced QUIC packets). *st is
 * created on the first Initial (it stays NULL when the datagram is not one). Returns PD_OK when
 * the ClientHello is complete (out filled, *version set), PD_ERR_NEED_MORE (keep feeding),
 * PD_ERR_UNSUPPORTED (not QUIC / unknown version: stop), PD_ERR_CRYPTO (a packet failed
 * authentication), PD_ERR_MALFORMED / PD_ERR_TRUNCATED / PD_ERR_LIMIT (a packet could not be
 * read). CRYPTO, MALFORMED, TRUNCATED and LIMIT concern this datagram only: the state is
 * kept and a later Initial may still complete the hello, so the caller may keep feeding.
 * Once the hello was decided, later calls return the same result and out again without work.
 * Besides v1 and v2, draft-23..32, draft v2 (0x709a50c4), mvfst 0xfaceb002 and Google
 * T050/T051 Initials are read.
 */
enum pd_err pd_quic_feed(struct pd_quic **st, const uint8_t *buf, size_t len, struct pd_hello *out,
                         uint32_t *version);

void pd_quic_free(struct pd_quic *st);

#endif
