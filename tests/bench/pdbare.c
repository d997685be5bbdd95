/*
 * pdbare.c - the benchmark's baseline: a bare libpcap read loop that touches every packet
 * (sums captured lengths and the first byte) and nothing else. Its time is the floor any
 * analyzer reading the same file through libpcap pays.
 *
 *   pdbare FILE    prints "packets bytes seconds"
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec t0, t1;
	uint64_t packets = 0, bytes = 0, sum = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pdbare FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "pdbare: %s\n", errbuf);
		return 2;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
		sum += data[0];
	}
	if (rc == -1)
		fprintf(stderr, "pdbare: %s\n", pcap_geterr(p));
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu %llu %.6f %llu\n", (unsigned long long)packets, (unsigned long long)bytes,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)(sum & 1));
	return 0;
}
