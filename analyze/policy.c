/*
 * policy.c - allowlist policy files (SPEC 2.7) and matching.
 *
 * Grammar, one entry a line, '#' to end of line is a comment, blank lines ignored:
 *
 *   line   = entry | "via" SP entry
 *   entry  = host [ ":" ports ] [ "/" proto ]
 *   host   = name | "*." name | ipv4 [ "/" len ] | ipv6 [ "/" len ] | "[" ipv6 [ "/" len ] "]"
 *   ports  = port | port "-" port            (1..65535)
 *   proto  = "tcp" | "udp" | "icmp" | "icmp6" | "any"
 *
 * An unbracketed IPv6 address cannot carry a port (the colons would be ambiguous): write
 * [2001:db8::1]:53/udp. "*.example.com" matches every name below example.com, not
 * example.com itself. Names compare case-insensitively, a trailing dot ignored.
 *
 * "via" entries allow proxies as hops (README "Proxies"): a connection through an HTTP or
 * SOCKS proxy is judged by its destination as if the proxy were not there, and its proxy must
 * be allowed too: by a via entry, or by a plain entry that allows the proxy as a destination.
 *
 * Matching must stay cheap for a million flows against a large policy: exact names and
 * wildcard suffixes live in one open-addressing hash table (a name is checked against itself
 * and each of its parent suffixes: one probe per label), address rules in a list scanned
 * linearly (policies rarely hold many).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define PD_POLICY_MAX_LINE 1024
#define PD_POLICY_MAX_FILE (64u << 20)

enum rule_kind { RULE_EXACT, RULE_WILDCARD, RULE_CIDR };

struct rule {
	enum rule_kind kind;
	char *text;                /* the entry as written (trimmed), for reports */
	char *name;                /* RULE_EXACT / RULE_WILDCARD: lowercase, without "*." */
	struct pd_addr net;        /* RULE_CIDR */
	unsigned prefix;           /* RULE_CIDR: bits */
	uint16_t port_lo, port_hi; /* 0, 65535 when any */
	char proto[8];             /* "" when any */
	struct rule *next;         /* next rule with the same name in the hash table */
};

struct pd_policy {
	struct rule *rules;
	size_t n, cap;
	struct rule **slots; /* hash of exact and wildcard names, chained through rule.next */
	size_t n_slots;
	size_t *cidr; /* indexes of RULE_CIDR rules */
	size_t n_cidr;
	struct pd_policy *via; /* the "via" entries, NULL when none */
};

static uint64_t hash_name(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int valid_name(const char *s)
{
	size_t label = 0;

	if (!*s || strlen(s) > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Parses "ADDR" or "ADDR/LEN" into net/prefix, masking host bits. */
static int parse_cidr(char *s, struct pd_addr *net, unsigned *prefix)
{
	char *slash = strchr(s, '/');
	unsigned long len;
	unsigned max, i;
	char *end;

	if (slash)
		*slash = 0;
	if (pd_addr_parse(s, net) != PD_OK)
		return -1;
	max = net->family == 4 ? 32 : 128;
	len = max;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > max)
			return -1;
	}
	*prefix = (unsigned)len;
	for (i = (unsigned)len; i < max; i++)
		net->a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	return 0;
}

/* Colons, a prefix length or an all-digit last label ("10.1.2.3", "999.1.1.1") mean an
 * address: no top-level domain is all digits, so such a name is a typo, not a name. */
static int looks_like_address(const char *host)
{
	const char *last = strrchr(host, '.');

	if (strchr(host, ':') || strchr(host, '/'))
		return 1;
	last = last ? last + 1 : host;
	if (!*last)
		return 0;
	for (; *last; last++)
		if (!isdigit((unsigned char)*last))
			return 0;
	return 1;
}

static int add_rule(struct pd_policy *p, const struct rule *r)
{
	struct rule *nr;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		nr = realloc(p->rules, cap * sizeof(*nr));
		if (!nr)
			return -1;
		p->rules = nr;
		p->cap = cap;
	}
	p->rules[p->n++] = *r;
	return 0;
}

/* Parses one trimmed, comment-free entry into r. Returns NULL or an error message. */
static const char *parse_entry(char *e, struct rule *r)
{
	char *host = e, *ports = NULL, *proto = NULL, *slash, *colon, *dash;

	memset(r, 0, sizeof(*r));
	r->port_hi = 65535;

	/* A trailing "/word" is a protocol; "/digits" stays with the host (a prefix length). */
	slash = strrchr(e, '/');
	if (slash && isalpha((unsigned char)slash[1])) {
		*slash = 0;
		proto = slash + 1;
		lower(proto);
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "icmp") &&
		    strcmp(proto, "icmp6") && strcmp(proto, "any"))
			return "unknown protocol (expected tcp, udp, icmp, icmp6 or any)";
		if (strcmp(proto, "any"))
			snprintf(r->proto, sizeof(r->proto), "%s", proto);
	}
	if (*host == '[') {
		char *close = strchr(host, ']');
		if (!close)
			return "missing ']' after an IPv6 address";
		*close = 0;
		host++;
		if (close[1] == ':')
			ports = close + 2;
		else if (close[1])
			return "unexpected text after ']'";
	} else {
		colon = strchr(host, ':');
		if (colon && !strchr(colon + 1, ':')) {
			*colon = 0;
			ports = colon + 1;
		}
	}
	if (ports) {
		dash = strchr(ports, '-');
		if (dash)
			*dash = 0;
		if (parse_port(ports, &r->port_lo))
			return "bad port (expected 1-65535)";
		r->port_hi = r->port_lo;
		if (dash && (parse_port(dash + 1, &r->port_hi) || r->port_hi < r->port_lo))
			return "bad port range";
	}
	if (!*host)
		return "missing name or address";
	if (looks_like_address(host)) {
		if (parse_cidr(host, &r->net, &r->prefix))
			return "bad address or CIDR";
		r->kind = RULE_CIDR;
		return NULL;
	}
	lower(host);
	if (!strncmp(host, "*.", 2)) {
		r->kind = RULE_WILDCARD;
		host += 2;
	} else {
		r->kind = RULE_EXACT;
	}
	if (*host && host[strlen(host) - 1] == '.') /* a fully qualified name */
		host[strlen(host) - 1] = 0;
	if (strchr(host, '*'))
		return "'*' is only allowed as a leading '*.' label";
	if (!valid_name(host))
		return "bad name (letters, digits, '-', '_' and dots)";
	r->name = strdup(host);
	return r->name ? NULL : "out of memory";
}

bool pd_policy_name_ok(const char *name)
{
	char buf[PD_POLICY_MAX_LINE + 1];
	const char *p;
	struct rule r;
	size_t len = strlen(name);
	bool ok;

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	memcpy(buf, name, len + 1);
	ok = parse_entry(buf, &r) == NULL && r.kind == RULE_EXACT;
	free(r.name);
	return ok;
}

static int build_index(struct pd_policy *p)
{
	size_t i, n_names = 0;

	for (i = 0; i < p->n; i++)
		if (p->rules[i].kind == RULE_CIDR)
			p->n_cidr++;
		else
			n_names++;
	p->n_slots = 16;
	while (p->n_slots < n_names * 2)
		p->n_slots *= 2;
	p->slots = calloc(p->n_slots, sizeof(*p->slots));
	p->cidr = calloc(p->n_cidr ? p->n_cidr : 1, sizeof(*p->cidr));
	if (!p->slots || !p->cidr)
		return -1;
	p->n_cidr = 0;
	for (i = 0; i < p->n; i++) {
		struct rule *r = &p->rules[i];
		size_t h;
		if (r->kind == RULE_CIDR) {
			p->cidr[p->n_cidr++] = i;
			continue;
		}
		h = hash_name(r->name, strlen(r->name)) & (p->n_slots - 1);
		r->next = p->slots[h];
		p->slots[h] = r;
	}
	return 0;
}

/* Is s (up to its end) well-formed UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF)? */
static bool utf8_valid(const char *str)
{
	const unsigned char *u = (const unsigned char *)str;

	while (*u) {
		unsigned c = *u, n, cp, k;

		if (c < 0x80) {
			u++;
			continue;
		}
		n = c >= 0xf0 && c <= 0xf4 ? 3
		    : c >= 0xe0            ? (c <= 0xef ? 2 : 0)
		    : c >= 0xc2            ? 1
		                           : 0;
		if (!n)
			return false;
		cp = c & (0x3f >> n);
		for (k = 1; k <= n; k++) {
			if ((u[k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		u += n + 1;
	}
	return true;
}

const char *pd_policy_catch_all(const struct pd_policy *p)
{
	size_t i;

	for (i = 0; p && i < p->n; i++)
		if (p->rules[i].kind == RULE_CIDR && p->rules[i].prefix == 0)
			return p->rules[i].text;
	return NULL;
}

enum pd_err pd_policy_parse(const char *text, size_t len, const char *origin,
                            struct pd_policy **out, char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_policy *p = calloc(1, sizeof(*p));
	char line[PD_POLICY_MAX_LINE + 1];
	size_t pos = 0, lineno = 0;

	*out = NULL;
	if (!p)
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", origin);
	/* A UTF-8 byte order mark, as some Windows editors write. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *s, *e, *hash;
		const char *msg;
		struct rule r;
		struct pd_policy *dst;

		lineno++;
		if (n > PD_POLICY_MAX_LINE) {
			pd_policy_free(p);
			return pd_errf(errbuf, PD_ERR_POLICY, "%s:%zu: line longer than %d bytes",
			               origin, lineno, PD_POLICY_MAX_LINE);
		}
		memcpy(line, text + pos, n);
		line[n] = 0;
		pos += n + (nl ? 1 : 0);
		if (memchr(line, 0, n)) {
			pd_policy_free(p);
			return pd_errf(errbuf, PD_ERR_POLICY, "%s:%zu: NUL byte in line", origin,
			               lineno);
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = 0;
		if (!*s)
			continue;
		dst = p;
		if (!strncmp(s, "via", 3) && (s[3] == ' ' || s[3] == '\t')) {
			for (s += 3; *s == ' ' || *s == '\t'; s++)
				;
			if (!p->via && !(p->via = calloc(1, sizeof(*p->via)))) {
				pd_policy_free(p);
				return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", origin);
			}
			dst = p->via;
		}
		for (e = s; *e; e++)
			if (isspace((unsigned char)*e) || !isprint((unsigned char)*e))
				break;
		if ((unsigned char)*e >= 0x80) { /* say why, rather than "unexpected character" */
			bool utf8 = utf8_valid(e);

			pd_policy_free(p);
			return pd_errf(
			        errbuf, PD_ERR_POLICY,
			        "%s:%zu: %s at column %zu: names are compared as written in "
			        "DNS, so write an internationalized name as its IDNA A-label "
			        "(xn--...; e.g. `idn2 NAME` prints it)",
			        origin, lineno, utf8 ? "a non-ASCII (UTF-8) name" : "invalid UTF-8",
			        (size_t)(e - line) + 1);
		}
		if (*e) {
			pd_policy_free(p);
			return pd_errf(
			        errbuf, PD_ERR_POLICY,
			        "%s:%zu: one entry a line (unexpected character at column %zu)",
			        origin, lineno, (size_t)(e - line) + 1);
		}
		if (p->n + (p->via ? p->via->n : 0) == PD_POLICY_MAX_RULES) {
			pd_policy_free(p);
			return pd_errf(errbuf, PD_ERR_POLICY, "%s:%zu: more than %d entries",
			               origin, lineno, PD_POLICY_MAX_RULES);
		}
		{
			char copy[PD_POLICY_MAX_LINE + 1];
			memcpy(copy, s, strlen(s) + 1);
			msg = parse_entry(s, &r);
			if (msg) {
				free(r.name);
				pd_policy_free(p);
				return pd_errf(errbuf, PD_ERR_POLICY, "%s:%zu: %s: '%s'", origin,
				               lineno, msg, copy);
			}
			r.text = strdup(copy);
		}
		if (!r.text || add_rule(dst, &r)) {
			free(r.name);
			free(r.text);
			pd_policy_free(p);
			return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", origin);
		}
	}
	if (build_index(p) || (p->via && build_index(p->via))) {
		pd_policy_free(p);
		return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", origin);
	}
	*out = p;
	return PD_OK;
}

enum pd_err pd_policy_load(const char *path, struct pd_policy **out, char errbuf[PD_ERRBUF_SIZE])
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	enum pd_err err;

	*out = NULL;
	if (!f)
		return pd_errf(errbuf, PD_ERR_IO, "%s: cannot open policy: %s", path,
		               strerror(errno));
	do {
		if (cap - len < 65536) {
			char *nb;
			cap = cap ? cap * 2 : 65536;
			if (cap > PD_POLICY_MAX_FILE) {
				free(buf);
				fclose(f);
				return pd_errf(errbuf, PD_ERR_POLICY,
				               "%s: policy larger than %u MiB", path,
				               PD_POLICY_MAX_FILE >> 20);
			}
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return pd_errf(errbuf, PD_ERR_IO, "%s: read error", path);
	}
	fclose(f);
	err = pd_policy_parse(buf ? buf : "", len, path, out, errbuf);
	free(buf);
	return err;
}

void pd_policy_free(struct pd_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->rules[i].name);
		free(p->rules[i].text);
	}
	free(p->rules);
	free(p->slots);
	free(p->cidr);
	pd_policy_free(p->via);
	free(p);
}

bool pd_policy_allows_via(const struct pd_policy *p, const char *name, const struct pd_addr *addr,
                          uint16_t port, const char **rule)
{
	if (rule)
		*rule = NULL;
	if (!p)
		return false;
	if (p->via && pd_policy_allows(p->via, name, addr, port, "tcp", rule))
		return true;
	return pd_policy_allows(p, name, addr, port, "tcp", rule);
}

static int ports_proto_match(const struct rule *r, uint16_t port, const char *proto)
{
	if (port < r->port_lo || port > r->port_hi)
		return 0;
	return !r->proto[0] || (proto && !strcmp(r->proto, proto));
}

static int cidr_match(const struct rule *r, const struct pd_addr *a)
{
	unsigned full = r->prefix / 8, rest = r->prefix % 8;

	if (a->family != r->net.family)
		return 0;
	if (memcmp(a->a, r->net.a, full))
		return 0;
	return !rest || ((a->a[full] ^ r->net.a[full]) & (0xff00u >> rest)) == 0;
}

/* Looks up suffix s (length len) among the names; wildcard tells which kind may match. */
static const struct rule *name_lookup(const struct pd_policy *p, const char *s, size_t len,
                                      int wildcard, uint16_t port, const char *proto)
{
	const struct rule *r = p->slots[hash_name(s, len) & (p->n_slots - 1)];

	for (; r; r = r->next)
		if ((r->kind == RULE_WILDCARD) == wildcard && strlen(r->name) == len &&
		    !memcmp(r->name, s, len) && ports_proto_match(r, port, proto))
			return r;
	return NULL;
}

bool pd_policy_allows(const struct pd_policy *p, const char *name, const struct pd_addr *addr,
                      uint16_t port, const char *proto, const char **rule)
{
	const struct rule *hit = NULL;
	size_t i;

	if (rule)
		*rule = NULL;
	if (!p)
		return false;
	if (name && *name) {
		char low[256];
		size_t len = strlen(name), j;
		if (len < sizeof(low)) {
			for (j = 0; j < len; j++)
				low[j] = (char)tolower((unsigned char)name[j]);
			if (len && low[len - 1] == '.')
				len--;
			low[len] = 0;
			hit = name_lookup(p, low, len, 0, port, proto);
			/* Each parent suffix: a.b.example.com -> b.example.com -> example.com... */
			for (j = 0; !hit && j < len; j++)
				if (low[j] == '.')
					hit = name_lookup(p, low + j + 1, len - j - 1, 1, port,
					                  proto);
		}
	}
	for (i = 0; !hit && addr && i < p->n_cidr; i++)
		if (cidr_match(&p->rules[p->cidr[i]], addr) &&
		    ports_proto_match(&p->rules[p->cidr[i]], port, proto))
			hit = &p->rules[p->cidr[i]];
	if (hit && rule)
		*rule = hit->text;
	return hit != NULL;
}
