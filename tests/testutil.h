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

/* Messages for capture builders, written into the caller's buffer (returns their length):
 * a DNS name in wire form (no compression); a DNS response for qname (the A record of
 * cdn.example.net, 93.184.216.34, before the CNAME qname -> cdn.example.net, TTL 300); a TLS
 * record holding a ClientHello naming sni, with an encrypted_client_hello extension when ech.
 */
size_t pd_test_dname(uint8_t *p, const char *name);
size_t pd_test_dns_response(uint8_t *m, uint16_t id, const char *qname);
size_t pd_test_client_hello_ech(uint8_t *r, const char *sni, int ech);
size_t pd_test_client_hello(uint8_t *r, const char *sni);

#endif
