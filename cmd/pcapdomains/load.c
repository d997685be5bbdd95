/*
 * load.c - inputs to a store, and the destination list (see load.h).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "load.h"

bool pd_load_is_db(const char *path)
{
	char head[16];
	FILE *f = fopen(path, "rb");
	bool db;

	if (!f)
		return false;
	db = fread(head, 1, sizeof(head), f) == sizeof(head) &&
	     !memcmp(head, "SQLite format 3", 16);
	fclose(f);
	return db;
}

int pd_load_inputs(const struct pd_opts *o, char **inputs, int n_inputs, struct pd_store **out,
                   char **sel)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_ingest_opts io;
	struct pd_store *s;
	const char *dbpath = o->db;
	size_t len = 0;
	int i;

	*out = NULL;
	*sel = NULL;
	if (n_inputs == 1 && pd_load_is_db(inputs[0])) {
		if (o->db) {
			pd_cmd_error("%s is a database: give it as --db or as the input, not both",
			             inputs[0]);
			return PD_EXIT_ERROR;
		}
		dbpath = inputs[0];
		n_inputs = 0;
	}
	if (n_inputs == 0 && !dbpath) {
		pd_cmd_error("no capture or database given");
		return PD_EXIT_ERROR;
	}
	if (pd_store_open(dbpath, n_inputs == 0, &s, errbuf)) {
		pd_cmd_error("%s", errbuf);
		return PD_EXIT_ERROR;
	}
	if (n_inputs > 0 && !(*sel = malloc((size_t)n_inputs * 22 + 3))) {
		pd_cmd_error("out of memory");
		pd_store_close(s);
		return PD_EXIT_ERROR;
	}
	memset(&io, 0, sizeof(io));
	io.bpf = o->bpf;
	io.quiet = o->quiet;
	io.attr.dns_grace_ns = o->dns_grace_ns;
	for (i = 0; i < n_inputs; i++) {
		struct pd_ingest_result res;
		memset(&res, 0, sizeof(res));
		if (pd_load_is_db(inputs[i])) {
			pd_cmd_error("%s: a database among captures (use merge to combine "
			             "databases)",
			             inputs[i]);
			goto fail;
		}
		if (pd_ingest_file(s, inputs[i], &io, &res, errbuf)) {
			pd_cmd_error("%s", errbuf);
			goto fail;
		}
		len += (size_t)sprintf(*sel + len, "%c%lld", i ? ',' : '[',
		                       (long long)res.capture_id);
		if (res.cut && !o->quiet)
			fprintf(stderr, "pcapdomains: warning: %s (what came before is included)\n",
			        res.cut_msg);
	}
	if (*sel)
		memcpy(*sel + len, "]", 2);
	*out = s;
	return PD_EXIT_OK;
fail:
	free(*sel);
	*sel = NULL;
	pd_store_close(s);
	return PD_EXIT_ERROR;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Evidence and protocol are tokens our own code writes, but a merged database may come from
 * anywhere: anything but [a-z0-9-] becomes "?" so writers may print them unescaped. */
static char *dup_token(sqlite3_stmt *st, int i)
{
	char *s = dup_col(st, i), *p;

	for (p = s; p && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			*p = '?';
	return s;
}

/* Addresses too: ingest writes inet_ntop text, anything else becomes '?'s (no newline can
 * reach a policy line, no escape sequence the terminal). */
static char *dup_addr(sqlite3_stmt *st, int i)
{
	char *s = dup_col(st, i), *p;

	for (p = s; p && *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F') || *p == '.' || *p == ':'))
			*p = '?';
	return s;
}

enum pd_err pd_load_dests(sqlite3 *db, const char *sel, struct pd_dest **out, size_t *n,
                          char errbuf[PD_ERRBUF_SIZE])
{
	/* Evidence rank: the strongest evidence a group's flows carry names the group.
	 * ICMPv6 to link-scope addresses (neighbour and router solicitations, MLD reports) is
	 * the IPv6 stack keeping its link alive, sent by every host whatever it runs: not a
	 * destination, and which solicited-node groups show up depends on timing. */
	static const char sql[] =
	        "SELECT name, server_ip, server_port, proto, "
	        " CASE min(CASE evidence WHEN 'sni' THEN 1 WHEN 'quic-sni' THEN 2 "
	        "  WHEN 'http-host' THEN 3 WHEN 'socks' THEN 4 WHEN 'dns' THEN 5 "
	        "  WHEN 'dns-other-client' THEN 6 WHEN 'dns-expired' THEN 7 "
	        "  WHEN 'ptr-capture' THEN 8 ELSE 9 END) "
	        "  WHEN 1 THEN 'sni' WHEN 2 THEN 'quic-sni' WHEN 3 THEN 'http-host' "
	        "  WHEN 4 THEN 'socks' WHEN 5 THEN 'dns' WHEN 6 THEN 'dns-other-client' "
	        "  WHEN 7 THEN 'dns-expired' WHEN 8 THEN 'ptr-capture' ELSE 'none' END, "
	        " max(candidates), count(*), sum(bytes_out), sum(bytes_in), min(first_ns), "
	        " max(last_ns), via_ip, via_port, "
	        " (SELECT n.name FROM names n WHERE n.ip = flows.via_ip AND n.source = 'dns' "
	        "  GROUP BY n.name ORDER BY sum(n.count) DESC, n.name LIMIT 1) "
	        "FROM flows WHERE (?1 IS NULL OR capture_id IN (SELECT value FROM json_each(?1))) "
	        " AND NOT (proto = 'icmp6' AND (server_ip LIKE 'ff02:%' OR server_ip LIKE "
	        "'fe80:%')) "
	        "GROUP BY name, server_ip, server_port, proto, via_ip, via_port "
	        "ORDER BY name IS NULL, name, server_ip, server_port, proto, via_ip, via_port";
	struct pd_dest *d = NULL, *nd;
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return pd_errf(errbuf, PD_ERR_DB, "listing destinations: %s", sqlite3_errmsg(db));
	if (sel)
		sqlite3_bind_text(st, 1, sel, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pd_dest *x;
		if (*n == cap) {
			nd = realloc(d, (cap = cap ? cap * 2 : 256) * sizeof(*d));
			if (!nd) {
				sqlite3_finalize(st);
				pd_load_dests_free(d, *n);
				*n = 0;
				return pd_errf(errbuf, PD_ERR_NOMEM, "out of memory");
			}
			d = nd;
		}
		x = &d[(*n)++];
		memset(x, 0, sizeof(*x));
		x->name = dup_col(st, 0);
		x->server_ip = dup_addr(st, 1);
		x->port = (uint16_t)sqlite3_column_int(st, 2);
		x->evidence = dup_token(st, 3); /* the protocol, through the same filter */
		snprintf(x->proto, sizeof(x->proto), "%s", x->evidence ? x->evidence : "");
		free(x->evidence);
		x->evidence = dup_token(st, 4);
		x->candidates = dup_col(st, 5);
		x->flows = (uint64_t)sqlite3_column_int64(st, 6);
		x->bytes_out = (uint64_t)sqlite3_column_int64(st, 7);
		x->bytes_in = (uint64_t)sqlite3_column_int64(st, 8);
		x->first_ns = sqlite3_column_int64(st, 9);
		x->last_ns = sqlite3_column_int64(st, 10);
		if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
			x->via_ip = dup_addr(st, 11);
			x->via_port = (uint16_t)sqlite3_column_int(st, 12);
			x->via_name = dup_col(st, 13);
		}
		if (!x->server_ip || !x->evidence ||
		    (sqlite3_column_type(st, 11) != SQLITE_NULL && !x->via_ip)) {
			sqlite3_finalize(st);
			pd_load_dests_free(d, *n);
			*n = 0;
			return pd_errf(errbuf, PD_ERR_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		pd_load_dests_free(d, *n);
		*n = 0;
		return pd_errf(errbuf, PD_ERR_DB, "listing destinations: %s", sqlite3_errmsg(db));
	}
	*out = d;
	return PD_OK;
}

void pd_load_dests_free(struct pd_dest *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(d[i].name);
		free(d[i].server_ip);
		free(d[i].evidence);
		free(d[i].candidates);
		free(d[i].via_ip);
		free(d[i].via_name);
	}
	free(d);
}

/* Flushes and closes f; returns 0 or the errno of the first failure. */
static int finish(FILE *f, bool do_sync)
{
	int err = 0;

	if (fflush(f) || ferror(f))
		err = errno ? errno : EIO;
	if (!err && do_sync && fsync(fileno(f)))
		err = errno;
	if (f != stdout && fclose(f) && !err)
		err = errno;
	return err;
}

int pd_load_write(const char *path, void (*fn)(FILE *f, void *arg), void *arg)
{
	char *tmp = NULL, *dirc;
	struct stat sb;
	mode_t um;
	FILE *f;
	int fd, err;

	errno = 0;
	if (!path || !strcmp(path, "-")) {
		fn(stdout, arg);
		if ((err = finish(stdout, false))) {
			pd_cmd_error("cannot write to stdout: %s", strerror(err));
			return PD_EXIT_ERROR;
		}
		return PD_EXIT_OK;
	}
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (!(f = fopen(path, "w"))) {
			pd_cmd_error("cannot write %s: %s", path, strerror(errno));
			return PD_EXIT_ERROR;
		}
		fn(f, arg);
		if ((err = finish(f, false))) {
			pd_cmd_error("cannot write %s: %s", path, strerror(err));
			return PD_EXIT_ERROR;
		}
		return PD_EXIT_OK;
	}
	if (!(dirc = strdup(path)) ||
	    asprintf(&tmp, "%s/.pcapdomains-out.XXXXXX", dirname(dirc)) < 0) {
		free(dirc);
		pd_cmd_error("out of memory");
		return PD_EXIT_ERROR;
	}
	free(dirc);
	if ((fd = mkstemp(tmp)) < 0) {
		pd_cmd_error("cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return PD_EXIT_ERROR;
	}
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if (!(f = fdopen(fd, "w"))) {
		err = errno;
		close(fd);
	} else {
		fn(f, arg);
		err = finish(f, true);
	}
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		pd_cmd_error("cannot write %s: %s", path, strerror(err));
	}
	free(tmp);
	return err ? PD_EXIT_ERROR : PD_EXIT_OK;
}
