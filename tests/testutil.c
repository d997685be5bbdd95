/*
 * testutil.c - see testutil.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

uint8_t *pd_test_read_file(const char *path, size_t *len)
{
	char full[4096];
	uint8_t *buf;
	FILE *f;
	long n;

	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", PD_SOURCE_DIR, path);
	f = fopen(full, "rb");
	if (!f) {
		perror(full);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

char *pd_test_write_temp(const void *buf, size_t len, const char *suffix)
{
	char *path = malloc(256);
	int fd;

	snprintf(path, 256, "/tmp/pdtest-XXXXXX%s", suffix ? suffix : "");
	fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

int pd_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
