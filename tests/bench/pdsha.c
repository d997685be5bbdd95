/*
 * pdsha.c - the benchmark's third baseline: the SHA-256 of the whole file through the very
 * hasher `pcapdomains` runs beside its parser (analyze/filehash.c). Every ingest pays it (the
 * content hash of SPEC 2.5), on a thread of its own: it is the floor under `report`'s time
 * once parsing, attribution and writing all overlap with it.
 *
 *   pdsha FILE    prints "sha256 bytes seconds"
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filehash.h"

int main(int argc, char **argv)
{
	char hex[65], eb[PD_ERRBUF_SIZE];
	struct timespec t0, t1;
	uint64_t size = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: pdsha FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	if (pd_filehash_fd(fd, argv[1], hex, &size, eb) != PD_OK) {
		fprintf(stderr, "pdsha: %s\n", eb);
		return 2;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s %llu %.6f\n", hex, (unsigned long long)size,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
