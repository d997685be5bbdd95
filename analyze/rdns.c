/*
 * rdns.c - active reverse lookups at analysis time (SPEC 2.3 `ptr-lookup`, 2.4) with c-ares
 * 1.18: PTR queries (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa) for the addresses not
 * yet in ptr_cache, at most opts->concurrency in flight, each bounded by opts->timeout_ms
 * (one try per server). Servers: opts->resolver ("IP", "IP:PORT", "[IPv6]:PORT") or the
 * system's (/etc/resolv.conf through c-ares). Every outcome is cached in ptr_cache with the
 * resolver and the time, failures too ('nxdomain' also covers a NOERROR answer without PTR,
 * 'servfail' also REFUSED), so a second run sends nothing.
 *
 * This module sends packets: callers must not call it with --no-resolve (cmd/ decides).
 * Addresses that cannot have a PTR (unspecified, multicast, broadcast), addresses of other
 * special ranges unless a resolver was named (private zones are answered locally, RFC 6303)
 * and strings that are not addresses are skipped without a packet or a cache row. More than
 * PD_RDNS_MAX_LOOKUPS uncached addresses, or a resolver that lets the first PD_RDNS_GIVE_UP lookups
 * time out: the rest stay unresolved and uncached, and errbuf holds a warning while PD_OK is
 * returned (errbuf[0] == 0 otherwise).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>

#include "decode.h"
#include "geo.h"
#include "rdns.h"

#define PD_RDNS_NAME_MAX 256

struct run;

struct lookup {
	const char *ip;
	struct run *run;
	struct pd_addr addr;
	const char *status; /* NULL until answered */
	char name[PD_RDNS_NAME_MAX];
};

/* After this many answers that were all timeouts the resolver is taken as unreachable and no
 * more queries are started: without it, 4096 addresses against a dead resolver would take
 * PD_RDNS_MAX_LOOKUPS / concurrency * timeout. */
#define PD_RDNS_GIVE_UP 8

struct run {
	ares_channel ch;
	struct lookup *l;
	size_t n, next, inflight, conc;
	size_t done, timeouts;
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_rc;

static void ares_init_lib(void)
{
	ares_init_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

static int parse_addr(const char *s, struct pd_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

static void reverse_name(const struct pd_addr *a, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;

	if (a->family == 4) {
		snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", a->a[3], a->a[2], a->a[1], a->a[0]);
		return;
	}
	for (i = 15; i >= 0 && o + 4 < len; i--) {
		out[o++] = hex[a->a[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[a->a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, len - o, "ip6.arpa");
}

static void start_next(struct run *r);

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lookup *l = arg;
	struct run *r;
	struct hostent *he = NULL;
	int rc;

	(void)timeouts;
	r = l->run;
	switch (status) {
	case ARES_SUCCESS:
		rc = ares_parse_ptr_reply(abuf, alen, l->addr.a, l->addr.family == 4 ? 4 : 16,
		                          l->addr.family == 4 ? AF_INET : AF_INET6, &he);
		if (rc == ARES_SUCCESS && he && he->h_name && he->h_name[0]) {
			size_t i;

			snprintf(l->name, sizeof(l->name), "%s", he->h_name);
			for (i = 0; l->name[i]; i++)
				if (l->name[i] >= 'A' && l->name[i] <= 'Z')
					l->name[i] = (char)(l->name[i] - 'A' + 'a');
			l->status = "ok";
		} else {
			l->name[0] = 0;
			l->status = rc == ARES_ENODATA ? "nxdomain" : "error";
		}
		if (he)
			ares_free_hostent(he);
		break;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		l->status = "nxdomain";
		break;
	case ARES_ETIMEOUT:
		l->status = "timeout";
		break;
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
		l->status = "servfail";
		break;
	default:
		l->status = "error";
		break;
	}
	if (strcmp(l->status, "ok") != 0)
		l->name[0] = 0;
	if (status == ARES_EDESTRUCTION)
		return;
	r->inflight--;
	r->done++;
	if (status == ARES_ETIMEOUT)
		r->timeouts++;
	start_next(r);
}

static void start_next(struct run *r)
{
	while (r->inflight < r->conc && r->next < r->n &&
	       !(r->done >= PD_RDNS_GIVE_UP && r->timeouts == r->done)) {
		struct lookup *l = &r->l[r->next++];
		char q[80];

		reverse_name(&l->addr, q, sizeof(q));
		l->run = r;
		r->inflight++;
		ares_query(r->ch, q, 1 /* IN */, 12 /* PTR */, on_answer, l);
	}
}

/* ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign bit for the last socket: our own. */
#define SOCK_READABLE(bits, i) (((unsigned)(bits) >> (i)) & 1u)
#define SOCK_WRITABLE(bits, i) (((unsigned)(bits) >> ((i) + ARES_GETSOCK_MAXNUM)) & 1u)

static void event_loop(struct run *r)
{
	start_next(r);
	while (r->inflight) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval tv, *tvp;
		int bits = ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM), i, np = 0, ms;

		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			if (!SOCK_READABLE(bits, i) && !SOCK_WRITABLE(bits, i))
				continue;
			pfd[np].fd = socks[i];
			pfd[np].events = (short)((SOCK_READABLE(bits, i) ? POLLIN : 0) |
			                         (SOCK_WRITABLE(bits, i) ? POLLOUT : 0));
			pfd[np].revents = 0;
			np++;
		}
		tvp = ares_timeout(r->ch, NULL, &tv);
		ms = tvp ? (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000) : 100;
		if (poll(pfd, (nfds_t)np, ms) <= 0) {
			ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < np; i++)
			ares_process_fd(r->ch,
			                (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			                        ? pfd[i].fd
			                        : ARES_SOCKET_BAD,
			                (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
	}
}

/* "IP:PORT,..." of the channel's servers, for the ptr_cache.resolver column. */
static void servers_str(ares_channel ch, char *out, size_t len)
{
	struct ares_addr_port_node *servers = NULL, *s;
	size_t o = 0;

	out[0] = 0;
	if (ares_get_servers_ports(ch, &servers) != ARES_SUCCESS)
		return;
	for (s = servers; s && o + 1 < len; s = s->next) {
		char ip[INET6_ADDRSTRLEN];
		int port = s->udp_port ? s->udp_port : 53, w;

		if (!inet_ntop(s->family, &s->addr, ip, sizeof(ip)))
			continue;
		w = snprintf(out + o, len - o, s->family == AF_INET6 ? "%s[%s]:%d" : "%s%s:%d",
		             o ? "," : "", ip, port);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	ares_free_data(servers);
}

static int cmp_ip(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum pd_err db_fail(sqlite3 *db, char *errbuf, const char *what)
{
	return pd_errf(errbuf, PD_ERR_DB, "reverse lookups: %s: %s", what, sqlite3_errmsg(db));
}

/* The addresses worth a query: valid, PTR-able, deduplicated, not in ptr_cache; special
 * ranges only when any_range (a resolver the user named). */
static enum pd_err select_todo(sqlite3 *db, const char *const *ips, size_t n, bool any_range,
                               bool refresh, struct lookup **out, size_t *nout, size_t *over,
                               char *errbuf)
{
	const char **sorted = NULL;
	struct lookup *l = NULL;
	sqlite3_stmt *st = NULL;
	size_t i, m = 0;

	*out = NULL;
	*nout = *over = 0;
	if (!n)
		return PD_OK;
	sorted = malloc(n * sizeof(*sorted));
	l = calloc(n < PD_RDNS_MAX_LOOKUPS ? n : PD_RDNS_MAX_LOOKUPS, sizeof(*l));
	if (!sorted || !l) {
		free(sorted);
		free(l);
		return pd_errf(errbuf, PD_ERR_NOMEM, "reverse lookups: out of memory");
	}
	memcpy(sorted, ips, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_ip);
	/* cached: an answer, or a failure younger than its TTL (unless refreshing failures) */
	if (sqlite3_prepare_v2(db,
	                       "SELECT 1 FROM ptr_cache WHERE ip = ?1 AND (status IN ('ok', "
	                       "'nxdomain') OR (?2 = 0 AND looked_up_at > ?3))",
	                       -1, &st, NULL) != SQLITE_OK) {
		free(sorted);
		free(l);
		return db_fail(db, errbuf, "reading ptr_cache");
	}
	for (i = 0; i < n; i++) {
		struct pd_addr a;
		const char *label;
		int rc;

		if (!sorted[i] || (i && sorted[i - 1] && strcmp(sorted[i], sorted[i - 1]) == 0))
			continue;
		if (parse_addr(sorted[i], &a) < 0)
			continue;
		label = pd_special_range(&a);
		if (label && (!strcmp(label, "unspecified") || !strcmp(label, "multicast") ||
		              !strcmp(label, "broadcast")))
			continue;
		/* Private, loopback, link-local, CGNAT and documentation addresses have their
		 * reverse zones served locally (RFC 6303): the system's resolver can only say
		 * NXDOMAIN, so ask about them only a resolver the user named (--resolver). */
		if (label && !any_range)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, sorted[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, refresh);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL) - PD_RDNS_FAIL_TTL_S);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			free(sorted);
			free(l);
			return db_fail(db, errbuf, "reading ptr_cache");
		}
		if (m == PD_RDNS_MAX_LOOKUPS) {
			(*over)++;
			continue;
		}
		l[m].ip = sorted[i];
		l[m].addr = a;
		m++;
	}
	sqlite3_finalize(st);
	free(sorted);
	*out = l;
	*nout = m;
	return PD_OK;
}

static enum pd_err store(sqlite3 *db, const struct lookup *l, size_t n, const char *resolver,
                         char *errbuf)
{
	sqlite3_stmt *st = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if (sqlite3_exec(db, "SAVEPOINT pd_rdns", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, errbuf, "writing ptr_cache");
	if (sqlite3_prepare_v2(db,
	                       "INSERT OR REPLACE INTO ptr_cache (ip, name, status, resolver,"
	                       " looked_up_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	                       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if (!l[i].status)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, l[i].ip, -1, SQLITE_STATIC);
		if (l[i].name[0])
			sqlite3_bind_text(st, 2, l[i].name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_text(st, 3, l[i].status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, resolver, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "RELEASE pd_rdns", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, errbuf, "writing ptr_cache");
	return PD_OK;
fail:
	db_fail(db, errbuf, "writing ptr_cache");
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK TO pd_rdns", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE pd_rdns", NULL, NULL, NULL);
	return PD_ERR_DB;
}

enum pd_err pd_rdns_resolve(sqlite3 *db, const char *const *ips, size_t n,
                            const struct pd_rdns_opts *opts, char errbuf[PD_ERRBUF_SIZE])
{
	struct ares_options ao;
	struct lookup *l = NULL;
	struct run r;
	char resolver[512];
	size_t m, over;
	enum pd_err err;
	int rc;

	errbuf[0] = 0;
	err = select_todo(db, ips, n, opts && opts->resolver, opts && opts->refresh_failed, &l, &m,
	                  &over, errbuf);
	if (err)
		return err;
	if (!m) {
		free(l);
		return PD_OK;
	}
	pthread_once(&ares_once, ares_init_lib);
	if (ares_init_rc != ARES_SUCCESS) {
		free(l);
		return pd_errf(errbuf, PD_ERR_IO, "reverse lookups: c-ares: %s",
		               ares_strerror(ares_init_rc));
	}
	memset(&ao, 0, sizeof(ao));
	ao.timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : PD_RDNS_TIMEOUT_MS;
	ao.tries = 1;
	/* NOCHECKRESP: a SERVFAIL/REFUSED answer is the result (cached as 'servfail'), not a
	 * reason to retry elsewhere */
	ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	memset(&r, 0, sizeof(r));
	rc = ares_init_options(&r.ch, &ao, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
	if (rc != ARES_SUCCESS) {
		free(l);
		return pd_errf(errbuf, PD_ERR_IO, "reverse lookups: c-ares: %s", ares_strerror(rc));
	}
	if (opts && opts->resolver && opts->resolver[0]) {
		rc = ares_set_servers_ports_csv(r.ch, opts->resolver);
		if (rc != ARES_SUCCESS) {
			ares_destroy(r.ch);
			free(l);
			return pd_errf(errbuf, PD_ERR_USAGE,
			               "--resolver %s: not IP, IP:PORT or [IPv6]:PORT (%s)",
			               opts->resolver, ares_strerror(rc));
		}
	}
	servers_str(r.ch, resolver, sizeof(resolver));
	r.l = l;
	r.n = m;
	r.conc = opts && opts->concurrency > 0 ? (size_t)opts->concurrency : PD_RDNS_CONCURRENCY;
	event_loop(&r);
	ares_destroy(r.ch);
	err = store(db, l, m, resolver[0] ? resolver : "system", errbuf);
	free(l);
	if (!err && r.next < r.n)
		pd_errf(errbuf, PD_OK,
		        "reverse lookups: resolver %s does not answer (%zu timeouts in a row); %zu"
		        " addresses not looked up",
		        resolver[0] ? resolver : "system", r.timeouts, r.n - r.next);
	else if (!err && over)
		pd_errf(errbuf, PD_OK,
		        "reverse lookups: %zu addresses not looked up (more than %d per run)", over,
		        PD_RDNS_MAX_LOOKUPS);
	return err;
}
