/*
 * fuzz_decode.c - libFuzzer harness for the decoder. The first byte picks the link type (one of
 * those decode.c knows, or an unknown one); the rest is split into frames by 2-byte big-endian
 * length prefixes so that fragment reassembly sees several related frames. Each frame's
 * timestamp advances by a byte taken from the input, in seconds, to reach the reassembly
 * timeout. A fresh decoder per input keeps runs reproducible. Tunnels are peeled inside
 * pd_decode; the seeds tunnel-* start inside each of them.
 */
#include <stdint.h>
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Appended only: the seeds' first byte indexes this table (tests/fuzz/make_tunnel_corpus.py). */
static const int links[] = { PD_LINK_NULL, PD_LINK_ETHERNET, PD_LINK_RAW,        12,
	                     14,           PD_LINK_LOOP,     PD_LINK_LINUX_SLL,  PD_LINK_NFLOG,
	                     PD_LINK_IPV4, PD_LINK_IPV6,     PD_LINK_LINUX_SLL2, 147,
	                     PD_LINK_PPP,  PD_LINK_PPP_HDLC, PD_LINK_PPP_ETHER,  PD_LINK_C_HDLC };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_decoder *d;
	struct pd_frame f;
	struct pd_pkt p;
	size_t len;
	char buf[64];

	if (size < 1)
		return 0;
	d = pd_decoder_new();
	if (!d)
		return 0;
	memset(&f, 0, sizeof(f));
	f.linktype = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	data++;
	size--;
	while (size >= 3) {
		len = ((size_t)data[0] << 8) | data[1];
		f.ts_ns += (int64_t)data[2] * 1000000000;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		f.data = data;
		f.caplen = f.origlen = (uint32_t)len;
		if (pd_decode(d, &f, &p) == PD_OK) {
			/* Touch every byte handed out: ASan checks the spans. */
			volatile uint8_t sink = 0;
			uint32_t i;
			for (i = 0; i < p.payload_len; i++)
				sink ^= p.payload[i];
			(void)sink;
			pd_addr_str(&p.src, buf, sizeof(buf));
			if (p.n_tun) {
				char t[PD_TUNNEL_STR_MAX];
				pd_tunnel_str(p.tun, p.n_tun, true, true, t, sizeof(t));
			}
		}
		data += len;
		size -= len;
	}
	(void)pd_decoder_stats(d);
	pd_decoder_free(d);
	return 0;
}
