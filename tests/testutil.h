/*
 * testutil.h - shared helpers for the Check suites: reading test files, building small
 * captures in memory, running a suite with fork mode on.
 */
#ifndef PD_TESTUTIL_H
#define PD_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

/* Reads a whole file (path relative to the source tree when not absolute); aborts on failure. */
uint8_t *pd_test_read_file(const char *path, size_t *len);
/* Writes len bytes to a fresh temporary file and returns its path (free() it). */
char *pd_test_write_temp(const void *buf, size_t len, const char *suffix);
/* Runs the suite (fork mode unless CK_FORK=no) and returns the process exit status. */
int pd_test_run(Suite *s);

#endif
