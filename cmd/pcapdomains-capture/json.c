/*
 * json.c - a minimal JSON reader (RFC 8259) for the few fields the capture helper needs from the
 * Docker/Podman Engine API and from `crictl inspect`: it walks the text once per lookup, following
 * a dotted path of object keys, skipping everything else.
 *
 * Assumes nothing about its input: every read is bounds-checked against end, nesting is capped
 * at PD_CAP_MAX_JSON_DEPTH, strings are decoded (escapes, \u surrogate pairs) into a bounded
 * buffer with control characters replaced by '?', so a value can go into a pcapng comment as is.
 */
#include <string.h>

#include "helper.h"

struct jp {
	const char *p;
	const char *end;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(struct jp *j, unsigned *v)
{
	*v = 0;
	if (4 > j->end - j->p)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Appends one code point as UTF-8 when it fits whole; *n counts bytes kept. */
static void put_cp(char *out, size_t outsz, size_t *n, unsigned cp)
{
	char b[4];
	size_t k;
	if (cp < 0x20 || cp == 0x7f) {
		b[0] = '?';
		k = 1;
	} else if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (out && outsz > 0 && k < outsz - *n) {
		memcpy(out + *n, b, k);
		*n += k;
		out[*n] = '\0';
	}
}

/* At the opening quote: decodes the string into out (may be NULL). */
static int string(struct jp *j, char *out, size_t outsz, size_t *outlen)
{
	size_t n = 0;
	if (out && outsz)
		out[0] = '\0';
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		if (c == '"') {
			if (outlen)
				*outlen = n;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			/* UTF-8 bytes pass through one by one; a cut sequence is harmless here. */
			if (out && outsz > 0 && n + 1 < outsz) {
				out[n++] = (char)c;
				out[n] = '\0';
			}
			continue;
		}
		if (j->p >= j->end)
			return -1;
		c = (unsigned char)*j->p++;
		unsigned cp;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (hex4(j, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;
				if (2 > j->end - j->p || j->p[0] != '\\' || j->p[1] != 'u')
					return -1;
				j->p += 2;
				if (hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return -1;
			}
			break;
		default:
			return -1;
		}
		put_cp(out, outsz, &n, cp);
	}
	return -1;
}

static int value(struct jp *j, int depth);

static int container(struct jp *j, int depth, char close)
{
	if (depth >= PD_CAP_MAX_JSON_DEPTH)
		return -1;
	j->p++; /* '{' or '[' */
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		ws(j);
		if (close == '}') {
			if (string(j, NULL, 0, NULL) < 0)
				return -1;
			ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -1;
			j->p++;
		}
		if (value(j, depth + 1) < 0)
			return -1;
		ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		return -1;
	}
}

static int literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if (n > (size_t)(j->end - j->p) || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int number(struct jp *j)
{
	const char *s = j->p;
	while (j->p < j->end && (strchr("+-.eE", *j->p) || (*j->p >= '0' && *j->p <= '9')))
		j->p++;
	return j->p > s ? 0 : -1;
}

/* Skips one value; returns its type or -1. */
static int value(struct jp *j, int depth)
{
	ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return container(j, depth, '}') < 0 ? -1 : PD_CAP_JSON_OBJECT;
	case '[':
		return container(j, depth, ']') < 0 ? -1 : PD_CAP_JSON_ARRAY;
	case '"':
		return string(j, NULL, 0, NULL) < 0 ? -1 : PD_CAP_JSON_STRING;
	case 't':
		return literal(j, "true") < 0 ? -1 : PD_CAP_JSON_TRUE;
	case 'f':
		return literal(j, "false") < 0 ? -1 : PD_CAP_JSON_FALSE;
	case 'n':
		return literal(j, "null") < 0 ? -1 : PD_CAP_JSON_NULL;
	default:
		return number(j) < 0 ? -1 : PD_CAP_JSON_NUMBER;
	}
}

int pd_cap_json_get(const char *doc, size_t len, const char *path, char *out, size_t outsz)
{
	struct jp j = { doc, doc + len };
	const char *comp = path;
	int depth = 0;

	if (out && outsz)
		out[0] = '\0';
	ws(&j);
	for (;;) {
		/* At a value that must be an object holding the key comp[0..clen). */
		const char *dot = strchr(comp, '.');
		size_t clen = dot ? (size_t)(dot - comp) : strlen(comp);
		bool found = false;

		if (j.p >= j.end)
			return -1;
		if (*j.p != '{')
			return value(&j, depth) < 0 ? -1 : PD_CAP_JSON_NONE;
		if (++depth >= PD_CAP_MAX_JSON_DEPTH)
			return -1;
		j.p++;
		ws(&j);
		if (j.p < j.end && *j.p == '}')
			return PD_CAP_JSON_NONE;
		while (!found) {
			char key[128];
			size_t klen = 0;
			ws(&j);
			if (string(&j, key, sizeof key, &klen) < 0)
				return -1;
			ws(&j);
			if (j.p >= j.end || *j.p != ':')
				return -1;
			j.p++;
			ws(&j);
			if (klen == clen && klen < sizeof key - 1 && memcmp(key, comp, clen) == 0) {
				found = true;
				break;
			}
			if (value(&j, depth) < 0)
				return -1;
			ws(&j);
			if (j.p >= j.end)
				return -1;
			if (*j.p == '}')
				return PD_CAP_JSON_NONE;
			if (*j.p != ',')
				return -1;
			j.p++;
		}
		if (dot) {
			comp = dot + 1;
			continue;
		}
		/* The value itself. */
		if (j.p >= j.end)
			return -1;
		if (*j.p == '"')
			return string(&j, out, outsz, NULL) < 0 ? -1 : PD_CAP_JSON_STRING;
		const char *s = j.p;
		int type = value(&j, depth);
		/* Inside an object a value is followed by ',' or '}': a cut document is malformed.
		 */
		if (type < 0 || j.p >= j.end)
			return -1;
		if (out && outsz && type != PD_CAP_JSON_OBJECT && type != PD_CAP_JSON_ARRAY) {
			size_t n = (size_t)(j.p - s);
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, s, n);
			out[n] = '\0';
		}
		return type;
	}
}
