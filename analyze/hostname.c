/*
 * hostname.c - see hostname.h.
 */
#include "hostname.h"

void pd_hostname_put(char *dst, size_t cap, size_t *pos, const uint8_t *s, size_t n, bool fold)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, at = *pos;

	for (i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if (ch >= 0x21 && ch <= 0x7e && ch != '\\') {
			if (at + 1 >= cap)
				break;
			if (fold && ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			dst[at++] = (char)ch;
		} else {
			if (at + 4 >= cap)
				break;
			dst[at++] = '\\';
			dst[at++] = 'x';
			dst[at++] = hex[ch >> 4];
			dst[at++] = hex[ch & 15];
		}
	}
	dst[at] = '\0';
	*pos = at;
}
