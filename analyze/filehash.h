/*
 * filehash.h - the SHA-256 of a whole capture file, computed on a thread of its own while the
 * caller parses the same file (SPEC 2.5: captures.sha256 is the content hash that makes a
 * second ingest of the same bytes a no-op).
 *
 * The file is hashed through read-only memory mappings of PD_FILEHASH_WINDOW bytes, each
 * unmapped once hashed: no copy of the bytes and no second read(2) (a pread loop cost the
 * hasher ~12% of its time, and the hasher is the longer of ingest's two threads on a bulk
 * capture: SHA-256 runs at ~1.5 GB/s with SHA-NI, the parser faster). Resident memory stays
 * at one window whatever the file's size. Where mapping fails (a file system without mmap) it
 * falls back to pread(2).
 *
 * A file that shrinks while it is mapped raises SIGBUS: the hasher catches it (a process-wide
 * handler, installed once unless SIGBUS is handled already, that acts on the hashing threads
 * only and re-raises for every other thread) and hashes the file again from the start with
 * pread(2), as it is now: the hash is then that of the cut file, whose readable part the
 * parser stored (SPEC 3). A file that grows is hashed to its end as found after the last
 * window. Either way the hash covers exactly the bytes counted in *size.
 */
#ifndef PD_FILEHASH_H
#define PD_FILEHASH_H

#include <stdint.h>

#include "err.h"

#define PD_FILEHASH_WINDOW (4u << 20)

struct pd_filehash;

/*
 * Starts hashing the regular file open on fd (the caller keeps fd open until finish or
 * cancel; the hasher never moves its offset). path only names the file in messages.
 */
enum pd_err pd_filehash_start(struct pd_filehash **out, int fd, const char *path,
                              char errbuf[PD_ERRBUF_SIZE]);

/* Waits for the hash: hex (64 lowercase digits and NUL) and the bytes it covers. Frees fh. */
enum pd_err pd_filehash_finish(struct pd_filehash *fh, char hex[65], uint64_t *size,
                               char errbuf[PD_ERRBUF_SIZE]);

/* Abandons the hash (it stops at the next window) and frees fh. NULL is a no-op. */
void pd_filehash_cancel(struct pd_filehash *fh);

/* How many hashes restarted because their file shrank under the mapping (tests). */
unsigned long pd_filehash_restarts(void);

/* The same on the calling thread (tools, the benchmark's floor, tests). */
enum pd_err pd_filehash_fd(int fd, const char *path, char hex[65], uint64_t *size,
                           char errbuf[PD_ERRBUF_SIZE]);

#endif
