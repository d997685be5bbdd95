/*
 * hostname.h - copying a name taken from a packet (TLS SNI, ALPN, HTTP Host) into a fixed
 * buffer as printable ASCII: bytes outside 0x21-0x7e, and '\', become \xHH, so whatever a
 * packet carried, the stored name is one unambiguous printable string.
 */
#ifndef PD_HOSTNAME_H
#define PD_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Appends s[0..n) to dst (capacity cap, NUL-terminated) at *pos, escaped as above, ASCII
 * letters lowercased when fold. Stops before an escape or a byte that would not fit whole;
 * *pos is left at the terminating NUL.
 */
void pd_hostname_put(char *dst, size_t cap, size_t *pos, const uint8_t *s, size_t n, bool fold);

#endif
