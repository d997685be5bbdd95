/*
 * load.c - inputs to a store, and the destination list (see load.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "interrupt.h"
#include "load.h"
#include "source.h"

void pd_paths_free(struct pd_paths *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int paths_add(struct pd_paths *l, const char *path)
{
	char *d;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		char **nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	if (!(d = strdup(path)))
		return -1;
	l->v[l->n++] = d;
	return 0;
}

/* A capture by its first bytes: pcap, pcapng, or compressed (checked when read). */
static bool looks_like_capture(const char *path)
{
	uint8_t m[8];
	ssize_t n;
	uint32_t magic;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	n = read(fd, m, sizeof(m));
	close(fd);
	if (n < 4)
		return false;
	if (pd_compress_sniff(m, (size_t)n) != PD_COMP_NONE)
		return true;
	magic = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];
	return magic == 0xA1B2C3D4u || magic == 0xD4C3B2A1u || magic == 0xA1B23C4Du ||
	       magic == 0x4D3CB2A1u || magic == 0x0A0D0D0Au;
}

static int not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int pd_load_expand(struct pd_paths *l, const char *arg, bool quiet)
{
	struct dirent **ents = NULL;
	struct stat sb;
	char *path;
	size_t before = l->n, other = 0;
	int n, i, rc = 0;

	if (stat(arg, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		if (paths_add(l, arg)) { /* a missing file fails later with its own message */
			pd_cmd_error("out of memory");
			return -1;
		}
		return 0;
	}
	n = scandir(arg, &ents, not_hidden, alphasort);
	if (n < 0) {
		pd_cmd_error("%s: %s", arg, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&path, "%s%s%s", arg, arg[strlen(arg) - 1] == '/' ? "" : "/",
		             ents[i]->d_name) < 0) {
			path = NULL;
			rc = -1;
		} else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		           looks_like_capture(path)) {
			if (paths_add(l, path))
				rc = -1;
		} else {
			other++;
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	if (rc) {
		pd_cmd_error("out of memory");
		return -1;
	}
	if (l->n == before)
		fprintf(stderr, "pcapdomains: %s: no capture files inside\n", arg);
	else if (other && !quiet)
		fprintf(stderr,
		        "pcapdomains: %s: %zu entr%s that %s not a capture file (pcap, pcapng, "
		        "gzip, zstd, lz4, xz) skipped\n",
		        arg, other, other == 1 ? "y" : "ies", other == 1 ? "is" : "are");
	return 0;
}

void pd_load_note_duplicate(sqlite3 *db, char *const *paths, const int64_t *ids, size_t i,
                            int64_t id, bool quiet)
{
	sqlite3_stmt *st = NULL;
	size_t k;

	if (quiet)
		return;
	for (k = 0; k < i; k++)
		if (ids[k] == id) {
			fprintf(stderr,
			        "pcapdomains: %s: same content (SHA-256) as %s: counted once\n",
			        paths[i], paths[k]);
			return;
		}
	if (db && sqlite3_prepare_v2(db, "SELECT path FROM captures WHERE id = ?1", -1, &st,
	                             NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			fprintf(stderr,
			        "pcapdomains: %s: same content (SHA-256) as %s, capture %" PRId64
			        " in the database: counted once\n",
			        paths[i], (const char *)sqlite3_column_text(st, 0), id);
			sqlite3_finalize(st);
			return;
		}
	}
	sqlite3_finalize(st);
	fprintf(stderr, "pcapdomains: %s: already in the database as capture %" PRId64 "\n",
	        paths[i], id);
}

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

struct load_run {
	const struct pd_opts *o;
	sqlite3 *db;
	char **paths;
	int64_t *ids;
	bool failed;
};

static void load_done(void *arg, size_t i, enum pd_err e, const struct pd_ingest_result *res,
                      const char *errbuf)
{
	struct load_run *run = arg;

	if (e != PD_OK) {
		pd_cmd_error("%s", errbuf && *errbuf ? errbuf : pd_strerror(e));
		run->failed = true;
		return;
	}
	if (res->already)
		pd_load_note_duplicate(run->db, run->paths, run->ids, i, res->capture_id,
		                       run->o->quiet);
	run->ids[i] = res->capture_id;
	if (res->cut && !run->o->quiet)
		fprintf(stderr, "pcapdomains: warning: %s (what came before is included)\n",
		        res->cut_msg);
}

int pd_load_inputs(const struct pd_opts *o, char **inputs, int n_inputs, struct pd_store **out,
                   char **sel)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_ingest_opts io;
	struct pd_paths files = { 0 };
	struct load_run run;
	struct pd_store *s;
	const char *dbpath = o->db;
	size_t len = 0, i;
	int k;

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
	for (k = 0; k < n_inputs; k++) {
		if (pd_load_is_db(inputs[k])) {
			pd_cmd_error("%s: a database among captures (use merge to combine "
			             "databases)",
			             inputs[k]);
			pd_paths_free(&files);
			return PD_EXIT_ERROR;
		}
		if (pd_load_expand(&files, inputs[k], o->quiet)) {
			pd_paths_free(&files);
			return PD_EXIT_ERROR;
		}
	}
	if (n_inputs > 0 && files.n == 0) {
		pd_cmd_error("no capture files among the inputs");
		return PD_EXIT_ERROR;
	}
	if (pd_store_open(dbpath, n_inputs == 0, &s, errbuf)) {
		pd_cmd_error("%s", errbuf);
		pd_paths_free(&files);
		return PD_EXIT_ERROR;
	}
	memset(&run, 0, sizeof(run));
	if (files.n > 0 && (!(*sel = malloc(files.n * 22 + 3)) ||
	                    !(run.ids = calloc(files.n, sizeof(*run.ids))))) {
		pd_cmd_error("out of memory");
		goto fail;
	}
	memset(&io, 0, sizeof(io));
	io.bpf = o->bpf;
	io.quiet = o->quiet;
	io.attr.dns_grace_ns = o->dns_grace_ns;
	io.locals = o->local;
	io.n_locals = o->n_local;
	run.o = o;
	run.db = pd_store_db(s);
	run.paths = files.v;
	if (files.n &&
	    pd_ingest_batch(s, files.v, files.n, o->jobs, &io, load_done, &run) != PD_OK) {
		pd_cmd_error("cannot start the ingest workers: out of memory");
		goto fail;
	}
	if (run.failed)
		goto fail;
	for (i = 0; i < files.n; i++)
		len += (size_t)sprintf(*sel + len, "%c%lld", i ? ',' : '[', (long long)run.ids[i]);
	if (*sel)
		memcpy(*sel + len, "]", 2);
	free(run.ids);
	pd_paths_free(&files);
	*out = s;
	return PD_EXIT_OK;
fail:
	free(run.ids);
	free(*sel);
	*sel = NULL;
	pd_paths_free(&files);
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

const char *pd_load_dirs(const struct pd_opts *o, char buf[80])
{
	snprintf(buf, 80, "[\"egress\",\"transit\"%s%s%s]", o->inbound ? ",\"ingress\"" : "",
	         o->internal ? ",\"internal\"" : "", o->control ? ",\"control\"" : "");
	return buf;
}

enum pd_err pd_load_dests(sqlite3 *db, const char *sel, const char *dirs, struct pd_dest **out,
                          size_t *n, char errbuf[PD_ERRBUF_SIZE])
{
	/* Evidence rank: the strongest evidence a group's flows carry names the group.
	 * ICMPv6 to link-scope addresses (neighbour and router solicitations, MLD reports) is
	 * the IPv6 stack keeping its link alive, sent by every host whatever it runs: not a
	 * destination, and which solicited-node groups show up depends on timing. */
	static const char sql[] =
	        "SELECT name, server_ip, server_port, proto, "
	        " CASE min(CASE evidence WHEN 'sni' THEN 1 WHEN 'quic-sni' THEN 2 "
	        "  WHEN 'http-host' THEN 3 WHEN 'socks' THEN 4 WHEN 'dns' THEN 5 "
	        "  WHEN 'dns-earlier-capture' THEN 6 WHEN 'dns-other-client' THEN 7 "
	        "  WHEN 'dns-expired' THEN 8 WHEN 'ptr-capture' THEN 9 ELSE 10 END) "
	        "  WHEN 1 THEN 'sni' WHEN 2 THEN 'quic-sni' WHEN 3 THEN 'http-host' "
	        "  WHEN 4 THEN 'socks' WHEN 5 THEN 'dns' WHEN 6 THEN 'dns-earlier-capture' "
	        "  WHEN 7 THEN 'dns-other-client' WHEN 8 THEN 'dns-expired' "
	        "  WHEN 9 THEN 'ptr-capture' ELSE 'none' END, "
	        /* a connection continued across files of a session counts once (session.c) */
	        " max(candidates), sum(NOT (continued AND EXISTS (SELECT 1 FROM captures cc JOIN "
	        "  captures pp ON pp.sha256 = cc.session_prev WHERE cc.id = flows.capture_id AND "
	        "  (?1 IS NULL OR pp.id IN (SELECT value FROM json_each(?1)))))), "
	        " sum(bytes_out), sum(bytes_in), min(first_ns), "
	        " max(last_ns), count(DISTINCT capture_id), via_ip, via_port, "
	        " (SELECT n.name FROM names n WHERE n.ip = flows.via_ip AND n.source = 'dns' "
	        "  GROUP BY n.name ORDER BY sum(n.count) DESC, n.name LIMIT 1) "
	        "FROM flows WHERE (?1 IS NULL OR capture_id IN (SELECT value FROM json_each(?1))) "
	        " AND direction IN (SELECT value FROM json_each(?2)) "
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
	sqlite3_bind_text(st, 2, dirs ? dirs : "[\"egress\",\"transit\"]", -1, SQLITE_STATIC);
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
		x->captures = (unsigned)sqlite3_column_int64(st, 11);
		if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
			x->via_ip = dup_addr(st, 12);
			x->via_port = (uint16_t)sqlite3_column_int(st, 13);
			x->via_name = dup_col(st, 14);
		}
		if (!x->server_ip || !x->evidence ||
		    (sqlite3_column_type(st, 12) != SQLITE_NULL && !x->via_ip)) {
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

unsigned pd_load_n_captures(sqlite3 *db, const char *sel)
{
	sqlite3_stmt *st = NULL;
	unsigned n = 0;

	if (sqlite3_prepare_v2(db,
	                       "SELECT count(*) FROM captures WHERE ?1 IS NULL OR id IN "
	                       "(SELECT value FROM json_each(?1))",
	                       -1, &st, NULL) == SQLITE_OK) {
		if (sel)
			sqlite3_bind_text(st, 1, sel, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (unsigned)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
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
	if (!err && pd_interrupted()) /* SIGINT/SIGTERM while writing: no half-made output */
		err = EINTR;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		pd_cmd_error("cannot write %s: %s", path, strerror(err));
	}
	free(tmp);
	return err ? PD_EXIT_ERROR : PD_EXIT_OK;
}
