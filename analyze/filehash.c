/*
 * filehash.c - SHA-256 of a whole file on a thread of its own (see filehash.h for why it maps
 * the file in windows, and how a file that shrinks under the mapping is caught).
 *
 * Assumes a POSIX system with mmap(2); SIGBUS on access past the end of a mapped file is the
 * documented Linux behaviour (mmap(2), "Use of a mapped region can result in these signals").
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "filehash.h"

#define READ_SIZE    (1u << 20) /* the pread fallback's buffer */
#define MAX_RESTARTS 3          /* hashes of a file cut while hashed */

struct pd_filehash {
	pthread_t thread;
	int fd;
	char *path;
	int stop; /* atomic: abandon at the next window */
	enum pd_err err;
	char errbuf[PD_ERRBUF_SIZE];
	char hex[65];
	uint64_t size;
};

/* ---- SIGBUS while a window is mapped -------------------------------------------------- */

static __thread sigjmp_buf *bus_jump; /* set while this thread reads a mapped window */
static struct sigaction bus_prev;
static bool bus_ours; /* our handler is installed: mapping is safe */
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static unsigned long restarts; /* atomic: pd_filehash_restarts() */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jump)
		siglongjmp(*bus_jump, 1);
	/* Not a hashing thread: what SIGBUS did before us. The signal is blocked while this
	 * handler runs, so the raised one is delivered (default action) once it returns; a
	 * fault instead re-faults on return, now without us. */
	sigaction(SIGBUS, &bus_prev, NULL);
	raise(sig);
}

/* Installs the handler unless somebody else handles SIGBUS already (then we read). */
static void bus_install(void)
{
	struct sigaction sa;

	if (sigaction(SIGBUS, NULL, &bus_prev) != 0 || bus_prev.sa_handler != SIG_DFL ||
	    (bus_prev.sa_flags & SA_SIGINFO))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	bus_ours = sigaction(SIGBUS, &sa, NULL) == 0;
}

/* ---- the hash ------------------------------------------------------------------------- */

static bool stopped(struct pd_filehash *fh)
{
	return __atomic_load_n(&fh->stop, __ATOMIC_RELAXED) != 0;
}

static enum pd_err cancelled(struct pd_filehash *fh)
{
	return pd_errf(fh->errbuf, PD_ERR_IO, "%s: hashing abandoned", fh->path);
}

/*
 * The file's size now (a file that grew is hashed on to its new end); PD_ERR_UNSUPPORTED for
 * what is not a regular file, whose size says nothing (a pipe: the caller reads it).
 */
static enum pd_err file_size(struct pd_filehash *fh, uint64_t *size)
{
	struct stat sb;

	if (fstat(fh->fd, &sb) != 0)
		return pd_errf(fh->errbuf, PD_ERR_IO, "%s: %s", fh->path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return PD_ERR_UNSUPPORTED;
	*size = (uint64_t)sb.st_size;
	return PD_OK;
}

/*
 * Hashes from *done on through mapped windows. Returns PD_ERR_UNSUPPORTED, with *done where
 * it stopped, when the file cannot be mapped (the caller reads the rest), PD_ERR_TRUNCATED
 * when it shrank under a window (ctx is then undefined).
 */
static enum pd_err hash_mapped(struct pd_filehash *fh, EVP_MD_CTX *ctx, uint64_t *done)
{
	sigjmp_buf jump;
	void *volatile map = NULL;
	volatile size_t maplen = 0;
	volatile uint64_t size = 0; /* volatile: all three live across sigsetjmp */
	enum pd_err e = PD_OK;
	size_t n;

	if (!bus_ours)
		return PD_ERR_UNSUPPORTED;
	if (sigsetjmp(jump, 1)) { /* the file shrank under the window */
		bus_jump = NULL;
		munmap(map, maplen);
		return PD_ERR_TRUNCATED;
	}
	for (;;) {
		if (stopped(fh))
			return cancelled(fh);
		if (*done >= size) {
			uint64_t now;
			if ((e = file_size(fh, &now)) != PD_OK)
				return e;
			size = now;
			if (*done >= size)
				return PD_OK;
		}
		n = size - *done < PD_FILEHASH_WINDOW ? (size_t)(size - *done) : PD_FILEHASH_WINDOW;
		map = mmap(NULL, n, PROT_READ, MAP_SHARED | MAP_POPULATE, fh->fd, (off_t)*done);
		if (map == MAP_FAILED) {
			map = NULL;
			return PD_ERR_UNSUPPORTED;
		}
		maplen = n;
		bus_jump = &jump;
		if (!EVP_DigestUpdate(ctx, map, n))
			e = pd_errf(fh->errbuf, PD_ERR_CRYPTO, "%s: libcrypto failed to hash",
			            fh->path);
		bus_jump = NULL;
		munmap(map, n);
		map = NULL;
		if (e != PD_OK)
			return e;
		*done += n;
	}
}

/* Hashes from *done to the end of the file with pread(2); PD_ERR_TRUNCATED when the file
 * ends before what was hashed already (it was cut meanwhile). */
static enum pd_err hash_read(struct pd_filehash *fh, EVP_MD_CTX *ctx, uint64_t *done)
{
	uint64_t size = 0;
	unsigned char *buf = malloc(READ_SIZE);
	enum pd_err e = PD_OK;
	ssize_t n;

	if (!buf)
		return pd_errf(fh->errbuf, PD_ERR_NOMEM, "%s: out of memory", fh->path);
	for (;;) {
		if (stopped(fh)) {
			e = cancelled(fh);
			break;
		}
		n = pread(fh->fd, buf, READ_SIZE, (off_t)*done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = pd_errf(fh->errbuf, PD_ERR_IO, "%s: read error at offset %llu: %s",
			            fh->path, (unsigned long long)*done, strerror(errno));
			break;
		}
		if (n == 0) {
			/* the end, unless the file was cut behind us */
			if (file_size(fh, &size) == PD_OK && size < *done)
				e = PD_ERR_TRUNCATED;
			break;
		}
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
			e = pd_errf(fh->errbuf, PD_ERR_CRYPTO, "%s: libcrypto failed to hash",
			            fh->path);
			break;
		}
		*done += (uint64_t)n;
	}
	free(buf);
	return e;
}

static void hash_file(struct pd_filehash *fh)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0, i;
	uint64_t done = 0, size = 0;
	unsigned attempt;
	bool mapped;
	enum pd_err e;

	pthread_once(&bus_once, bus_install);
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		e = pd_errf(fh->errbuf, PD_ERR_CRYPTO, "%s: libcrypto cannot hash", fh->path);
		goto out;
	}
	e = file_size(fh, &size);
	if (e != PD_OK && e != PD_ERR_UNSUPPORTED)
		goto out;
	mapped = e == PD_OK;
	/* A file cut while hashed is hashed again, as it is now, from the start (and read). */
	for (attempt = 0;; attempt++) {
		e = mapped && !attempt ? hash_mapped(fh, ctx, &done) : PD_ERR_UNSUPPORTED;
		if (e == PD_ERR_UNSUPPORTED)
			e = hash_read(fh, ctx, &done);
		if (e != PD_ERR_TRUNCATED)
			break;
		if (attempt == MAX_RESTARTS) {
			e = pd_errf(fh->errbuf, PD_ERR_IO,
			            "%s: the file keeps shrinking while it is read", fh->path);
			goto out;
		}
		__atomic_add_fetch(&restarts, 1, __ATOMIC_RELAXED);
		done = 0;
		if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
			e = pd_errf(fh->errbuf, PD_ERR_CRYPTO, "%s: libcrypto cannot hash",
			            fh->path);
			goto out;
		}
	}
	if (e != PD_OK)
		goto out;
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != sizeof(md)) {
		e = pd_errf(fh->errbuf, PD_ERR_CRYPTO, "%s: libcrypto failed to hash", fh->path);
		goto out;
	}
	for (i = 0; i < sizeof(md); i++)
		snprintf(fh->hex + 2 * i, 3, "%02x", md[i]);
	fh->size = done;
out:
	EVP_MD_CTX_free(ctx);
	fh->err = e;
}

static void *hash_main(void *arg)
{
	hash_file(arg);
	return NULL;
}

/* ---- the interface ---------------------------------------------------------------------- */

static struct pd_filehash *filehash_new(int fd, const char *path)
{
	struct pd_filehash *fh = calloc(1, sizeof(*fh));

	if (fh && !(fh->path = strdup(path))) {
		free(fh);
		fh = NULL;
	}
	if (fh)
		fh->fd = fd;
	return fh;
}

static void filehash_free(struct pd_filehash *fh)
{
	free(fh->path);
	free(fh);
}

enum pd_err pd_filehash_start(struct pd_filehash **out, int fd, const char *path,
                              char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_filehash *fh = filehash_new(fd, path);

	*out = NULL;
	if (!fh)
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
	if (pthread_create(&fh->thread, NULL, hash_main, fh) != 0) {
		filehash_free(fh);
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: cannot start the hashing thread", path);
	}
	*out = fh;
	return PD_OK;
}

/* Copies the outcome out of fh and frees it (the thread, if any, has ended). */
static enum pd_err filehash_result(struct pd_filehash *fh, char hex[65], uint64_t *size,
                                   char errbuf[PD_ERRBUF_SIZE])
{
	enum pd_err e = fh->err;

	if (e == PD_OK) {
		memcpy(hex, fh->hex, 65);
		*size = fh->size;
	} else {
		snprintf(errbuf, PD_ERRBUF_SIZE, "%s", fh->errbuf);
	}
	filehash_free(fh);
	return e;
}

enum pd_err pd_filehash_finish(struct pd_filehash *fh, char hex[65], uint64_t *size,
                               char errbuf[PD_ERRBUF_SIZE])
{
	pthread_join(fh->thread, NULL);
	return filehash_result(fh, hex, size, errbuf);
}

void pd_filehash_cancel(struct pd_filehash *fh)
{
	if (!fh)
		return;
	__atomic_store_n(&fh->stop, 1, __ATOMIC_RELAXED);
	pthread_join(fh->thread, NULL);
	filehash_free(fh);
}

unsigned long pd_filehash_restarts(void)
{
	return __atomic_load_n(&restarts, __ATOMIC_RELAXED);
}

enum pd_err pd_filehash_fd(int fd, const char *path, char hex[65], uint64_t *size,
                           char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_filehash *fh = filehash_new(fd, path);

	if (!fh)
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
	hash_file(fh);
	return filehash_result(fh, hex, size, errbuf);
}
