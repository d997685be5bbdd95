/*
 * test_filehash.c - the content hash (analyze/filehash.c): equal to SHA-256 computed in one go
 * by libcrypto, for files empty, of a few bytes, spanning several mapping windows, not ending
 * on a window; read through pread when the file cannot be mapped; the cut file's hash when it
 * shrinks under the mapping (the SIGBUS case), while a SIGBUS meant for another thread still
 * kills the process as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "filehash.h"
#include "testutil.h"

static void sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned len = 0, i;

	ck_assert(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The hash of buf[0..n) written to a temporary file, by the thread and by the inline call. */
static void check_file(const uint8_t *buf, size_t n)
{
	char *path = pd_test_write_temp(buf, n, ".bin");
	char want[65], got[65], err[PD_ERRBUF_SIZE];
	struct pd_filehash *fh;
	uint64_t size = 0;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	sha256_hex(buf, n, want);
	ck_assert_msg(pd_filehash_fd(fd, path, got, &size, err) == PD_OK, "%s", err);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(size, n);
	ck_assert_int_eq(pd_filehash_start(&fh, fd, path, err), PD_OK);
	size = 0;
	ck_assert_msg(pd_filehash_finish(fh, got, &size, err) == PD_OK, "%s", err);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(size, n);
	close(fd);
	unlink(path);
	free(path);
}

START_TEST(valid)
{
	size_t big = 2 * PD_FILEHASH_WINDOW + 12345, i;
	uint8_t *buf = malloc(big);
	char got[65], err[PD_ERRBUF_SIZE];
	uint64_t size;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < big; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	check_file(buf, 0);
	check_file((const uint8_t *)"abc", 3);
	check_file(buf, PD_FILEHASH_WINDOW); /* exactly one window */
	check_file(buf, big);                /* three windows, the last one short */
	free(buf);

	/* FIPS 180-2 appendix B.1: SHA-256("abc") */
	{
		char *path = pd_test_write_temp("abc", 3, ".bin");
		int fd = open(path, O_RDONLY);
		ck_assert_int_eq(pd_filehash_fd(fd, path, got, &size, err), PD_OK);
		ck_assert_str_eq(
		        got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		close(fd);
		unlink(path);
		free(path);
	}
}
END_TEST

/* A pipe cannot be mapped: the pread fallback says why it cannot read either (ESPIPE). */
START_TEST(unmappable)
{
	char got[65], err[PD_ERRBUF_SIZE] = "";
	uint64_t size;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	ck_assert_int_eq(pd_filehash_fd(p[0], "a-pipe", got, &size, err), PD_ERR_IO);
	ck_assert_msg(strstr(err, "a-pipe: read error at offset 0") != NULL, "%s", err);
	close(p[0]);
	close(p[1]);

	/* a closed descriptor: a message, no crash */
	ck_assert_int_eq(pd_filehash_fd(p[0], "closed", got, &size, err), PD_ERR_IO);
	ck_assert_msg(strstr(err, "closed:") == err, "%s", err);
}
END_TEST

struct shrink {
	char *path;
	unsigned delay_us;
};

static void *shrink_later(void *arg)
{
	struct shrink *s = arg;

	usleep(s->delay_us);
	ck_assert_int_eq(truncate(s->path, 4096), 0);
	return NULL;
}

/*
 * A 64 MiB file (sparse: zeros, taking no disk) cut to 4 KiB while the thread hashes it, as
 * when a capture being ingested is rewritten. Hashing 64 MiB takes ~45 ms at 1.5 GB/s, the cut
 * comes after 1-8 ms: the hasher meets the cut (the mapping past the new end raises SIGBUS),
 * starts again and returns the hash of the 4 KiB the file now holds. A few tries, so a
 * scheduler that delays the cutting thread cannot make the test pass without reaching that
 * path; under ASan (which keeps SIGBUS for itself) the hasher reads instead of mapping and
 * meets the cut as an end before what it hashed: it starts again there too.
 */
START_TEST(hostile)
{
	char got[65], want[65], err[PD_ERRBUF_SIZE];
	static const uint8_t zeros[4096];
	struct pd_filehash *fh;
	unsigned long restarts = pd_filehash_restarts();
	uint64_t size;
	int try;

	sha256_hex(zeros, sizeof(zeros), want);
	for (try = 0; try < 8 && pd_filehash_restarts() == restarts; try++) {
		struct shrink s = { pd_test_write_temp("", 0, ".bin"), 1000u << (try % 4) };
		pthread_t t;
		int fd;

		ck_assert_int_eq(truncate(s.path, 64 << 20), 0);
		fd = open(s.path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pd_filehash_start(&fh, fd, s.path, err), PD_OK);
		ck_assert_int_eq(pthread_create(&t, NULL, shrink_later, &s), 0);
		ck_assert_msg(pd_filehash_finish(fh, got, &size, err) == PD_OK, "%s", err);
		pthread_join(t, NULL);
		if (size == sizeof(zeros))
			ck_assert_str_eq(got, want);
		else /* done before the cut */
			ck_assert_uint_eq(size, 64 << 20);
		close(fd);
		unlink(s.path);
		free(s.path);
	}
	ck_assert_msg(pd_filehash_restarts() > restarts, "the file was never cut while hashed");
}
END_TEST

/*
 * After the hasher installed its handler, a SIGBUS outside the hasher still does what it did
 * before: kills the process with SIGBUS. (Under ASan, which handles SIGBUS itself, the hasher
 * leaves it alone and reads instead: then the check is whether ASan's handler still runs.)
 */
START_TEST(foreign_sigbus)
{
	struct sigaction before;
	int status;
	pid_t pid;

	ck_assert_int_eq(sigaction(SIGBUS, NULL, &before), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *path = pd_test_write_temp("abc", 3, ".bin");
		char got[65], err[PD_ERRBUF_SIZE];
		uint64_t size;
		int fd = open(path, O_RDONLY);

		if (pd_filehash_fd(fd, path, got, &size, err) != PD_OK)
			_exit(3);
		unlink(path);
		raise(SIGBUS);
		_exit(4);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (before.sa_handler == SIG_DFL && !(before.sa_flags & SA_SIGINFO))
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS, "status %#x",
		              status);
	else /* a sanitizer's handler reports and aborts */
		ck_assert_msg(WIFSIGNALED(status) ||
		                      (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		                       WEXITSTATUS(status) != 3 && WEXITSTATUS(status) != 4),
		              "status %#x", status);
}
END_TEST

/* Cancelling stops the thread at the next window and frees it (ASan: no leak). */
START_TEST(cancel)
{
	char *path = pd_test_write_temp("", 0, ".bin");
	char err[PD_ERRBUF_SIZE];
	struct pd_filehash *fh;
	int fd;

	ck_assert_int_eq(truncate(path, 256 << 20), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(pd_filehash_start(&fh, fd, path, err), PD_OK);
	pd_filehash_cancel(fh);
	pd_filehash_cancel(NULL);
	close(fd);
	unlink(path);
	free(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("filehash");
	TCase *t = tcase_create("filehash");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, valid);
	tcase_add_test(t, unmappable);
	tcase_add_test(t, hostile);
	tcase_add_test(t, cancel);
	tcase_add_test(t, foreign_sigbus);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
