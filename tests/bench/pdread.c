/*
 * pdread.c - the benchmark's second baseline: our own capture reader (analyze/reader.c, the
 * path `pcapdomains` takes) in a loop that touches every frame the way pdbare does, optionally
 * followed by the decoder and the flow table. It separates the cost of reading from the cost of
 * analysis when comparing `report` with the bare libpcap loop.
 *
 *   pdread [-d] FILE    prints "packets bytes seconds"; -d also decodes and counts flows
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "decode.h"
#include "flow.h"

static void drop(void *arg, struct pd_flow *f)
{
	(void)arg;
	(void)f;
}

int main(int argc, char **argv)
{
	char eb[PD_ERRBUF_SIZE];
	struct timespec t0, t1;
	struct pd_decoder *d = NULL;
	struct pd_flow_table *ft = NULL;
	struct pd_reader *r;
	struct pd_frame f;
	struct pd_pkt pkt;
	uint64_t packets = 0, bytes = 0, sum = 0;
	enum pd_err e;
	int decode = argc == 3 && !strcmp(argv[1], "-d"), dir;

	if (argc != 2 + decode) {
		fprintf(stderr, "usage: pdread [-d] FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = pd_reader_open(argv[1 + decode], NULL, &e, eb);
	if (!r) {
		fprintf(stderr, "pdread: %s\n", eb);
		return 2;
	}
	if (decode) {
		d = pd_decoder_new();
		ft = pd_flow_table_new(0, 0, drop, NULL);
		if (!d || !ft) {
			fprintf(stderr, "pdread: out of memory\n");
			return 2;
		}
	}
	while ((e = pd_reader_next(r, &f, eb)) == PD_OK) {
		packets++;
		bytes += f.caplen;
		sum += f.caplen ? f.data[0] : 0;
		if (decode && pd_decode(d, &f, &pkt) == PD_OK)
			(void)pd_flow_packet(ft, &pkt, &dir);
	}
	if (e != PD_ERR_NOTFOUND)
		fprintf(stderr, "pdread: %s\n", eb);
	pd_flow_table_free(ft);
	pd_decoder_free(d);
	pd_reader_free(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu %llu %.6f %llu\n", (unsigned long long)packets, (unsigned long long)bytes,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)(sum & 1));
	return 0;
}
