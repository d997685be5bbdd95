/*
 * fuzz_reader.c - libFuzzer harness for whole capture files: the input is written to a memfd
 * and opened by path (/proc/self/fd/N) like any capture, every frame is read and decoded.
 * Exercises magic sniffing, libpcap's pcap reader with our offset bookkeeping, our pcapng block
 * reader (lengths, options, sections, interfaces), per-interface BPF and the decoders behind
 * them.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_decoder *dec;
	char path[64], eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	struct pd_frame f;
	struct pd_pkt p;
	enum pd_err e;
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = memfd_create("fuzz_reader", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	dec = pd_decoder_new(); /* fresh per input: runs are reproducible */
	if (!dec) {
		close(fd);
		return 0;
	}
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Some inputs also run a filter, compiled per interface (by the input's length, so the
	 * file bytes stay the fuzzer's). */
	r = pd_reader_open(path, size % 5 == 0 ? "udp or (ip6 and tcp)" : NULL, &e, eb);
	if (r) {
		while (pd_reader_next(r, &f, eb) == PD_OK) {
			(void)pd_decode(dec, &f, &p);
		}
		(void)pd_reader_info(r);
		(void)pd_reader_tell(r);
		pd_reader_free(r);
	}
	pd_decoder_free(dec);
	close(fd);
	return 0;
}
