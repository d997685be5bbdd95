/*
 * capture.c - the capture loop: one libpcap handle per interface of the (already entered)
 * network namespace, polled together; frames go unchanged into pcapng enhanced packet blocks
 * (pcapng_write.c). Interfaces that appear later are picked up by a rescan every second
 * (if_nameindex(3), which asks the current namespace over netlink), interfaces that disappear
 * are reported and closed. Rotation by size (-C) and time (-G) into a ring of -W files; each
 * file is a whole section (SHB with the target's metadata, every IDB, then packets, then one
 * ISB per interface with pcap_stats() counters).
 *
 * Statistics: isb_ifrecv = ps_recv, isb_ifdrop = ps_drop (dropped by the kernel for lack of
 * buffer space), isb_usrdeliv = frames written, all counted from the start of the capture.
 * ps_ifdrop is not used: on Linux libpcap reads it from /sys, which shows the host's namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "pcapng.h"
#include "helper.h"

struct iface {
	char name[IF_NAMESIZE + 1];
	pcap_t *h; /* NULL once gone */
	int fd;
	int linktype;
	uint32_t snaplen;
	int tsresol;    /* 6 or 9 */
	uint64_t start; /* open time, interface units */
	uint64_t pkts, bytes;
	uint64_t recv, drop;           /* pcap_stats, cumulative over reopenings */
	uint64_t recv_base, drop_base; /* counters of earlier handles on this name */
	bool has_stats;
};

struct run {
	const struct pd_cap_opts *o;
	const struct pd_cap_target *t;
	const struct pd_cap_privs *privs;
	uint64_t netns_inode;
	struct iface ifs[PD_CAP_MAX_IFACES];
	unsigned n;
	struct pd_cap_w w;
	bool w_open;
	bool to_stdout;
	bool rotating;
	unsigned long seq;   /* number of the current file */
	unsigned long files; /* files written */
	double file_t0;      /* monotonic start of the current file */
	uint64_t total_pkts, total_bytes;
	bool done;
	bool failed;
	bool progress; /* stderr is a terminal */
	bool line_shown;
	bool addr_noted; /* an address problem was reported once */
	char failed_names[64][IF_NAMESIZE + 1];
	unsigned n_failed;
	/* Section header contents. */
	char comment[1024];
	char meta_vals[16][PD_CAP_META_MAX];
	const char *meta_keys[16];
	unsigned n_meta;
	char hardware[128], os[256], userappl[64];
	char errbuf[PD_CAP_ERRBUF];
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_units(int tsresol)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (tsresol == 9)
		return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Messages between progress updates start on a clean line. */
__attribute__((format(printf, 2, 3))) static void note(struct run *r, const char *fmt, ...)
{
	va_list ap;
	if (r->o->quiet)
		return;
	if (r->line_shown)
		fputs("\r\033[K", stderr);
	r->line_shown = false;
	fputs("pcapdomains-capture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pd_cap_rotated_name(char *dst, size_t dstsz, const char *out, unsigned long seq, unsigned ring)
{
	size_t n = strlen(out);
	const char *ext = "";
	if (n > 7 && strcmp(out + n - 7, ".pcapng") == 0) {
		n -= 7;
		ext = ".pcapng";
	}
	snprintf(dst, dstsz, "%.*s-%03lu%s", (int)n, out, ring ? seq % ring : seq, ext);
}

/* LINKTYPE_* for libpcap's DLT_* (they differ only for a few historical values). */
static int linktype_of(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
		return 101;
#ifdef DLT_ATM_RFC1483
	case DLT_ATM_RFC1483:
		return 100;
#endif
	default:
		return dlt;
	}
}

static void sanitize(char *dst, size_t dstsz, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < dstsz; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

static void add_meta(struct run *r, const char *key, const char *val)
{
	if (!val || !*val || r->n_meta >= 16)
		return;
	r->meta_keys[r->n_meta] = key;
	sanitize(r->meta_vals[r->n_meta], sizeof r->meta_vals[0], val);
	r->n_meta++;
}

static void build_shb(struct run *r)
{
	const struct pd_cap_target *t = r->t;
	char pid[32] = "", ino[32], host[256] = "", filt[PD_CAP_META_MAX] = "";
	struct utsname u;
	if (t->pid > 0)
		snprintf(pid, sizeof pid, "%ld", t->pid);
	snprintf(ino, sizeof ino, "%llu", (unsigned long long)r->netns_inode);
	gethostname(host, sizeof host - 1);
	sanitize(filt, sizeof filt, r->o->filter);
	add_meta(r, PD_META_RUNTIME, pd_cap_runtime_name(t->runtime));
	add_meta(r, PD_META_ID, t->id);
	add_meta(r, PD_META_NAME, t->name);
	add_meta(r, PD_META_IMAGE, t->image);
	add_meta(r, PD_META_PID, pid);
	add_meta(r, PD_META_NETNS, ino);
	add_meta(r, PD_META_HOST, host);
	add_meta(r, PD_META_FILTER, filt);
	add_meta(r, PD_META_VERSION, PD_VERSION);
	if (r->rotating) {
		/* one id for the run: the analyzer joins its files into one capture session */
		unsigned char rnd[16];
		char sid[40];
		size_t i;
		if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
			unsigned long long v =
			        (unsigned long long)time(NULL) << 20 ^ (unsigned long long)getpid();
			memcpy(rnd, &v, sizeof v);
			v ^= (unsigned long long)(uintptr_t)r * 0x9e3779b97f4a7c15ULL;
			memcpy(rnd + 8, &v, sizeof v);
		}
		for (i = 0; i < sizeof rnd; i++)
			snprintf(sid + 2 * i, 3, "%02x", rnd[i]);
		add_meta(r, PD_META_SESSION, sid);
	}

	char what[600];
	const char *kind = t->runtime == PD_CAP_RT_PID     ? "process"
	                   : t->runtime == PD_CAP_RT_NETNS ? "network namespace"
	                                                   : "container";
	snprintf(what, sizeof what, "%s %s %s", pd_cap_runtime_name(t->runtime), kind,
	         t->name[0] ? t->name : t->ref);
	int k = snprintf(r->comment, sizeof r->comment,
	                 "Captured by pcapdomains-capture %s from %.300s", PD_VERSION, what);
	if (t->id[0] && strcmp(t->id, t->name) != 0)
		k += snprintf(r->comment + k, sizeof r->comment - (size_t)k, " (id %.12s)", t->id);
	if (t->image[0])
		k += snprintf(r->comment + k, sizeof r->comment - (size_t)k, ", image %.200s",
		              t->image);
	if (pid[0])
		k += snprintf(r->comment + k, sizeof r->comment - (size_t)k, ", pid %s", pid);
	k += snprintf(r->comment + k, sizeof r->comment - (size_t)k,
	              ", network namespace %s, on host %.100s", ino, host);
	if (filt[0])
		snprintf(r->comment + k, sizeof r->comment - (size_t)k, ", filter \"%.200s\"",
		         filt);
	sanitize(r->comment, sizeof r->comment, r->comment);
	if (uname(&u) == 0) {
		snprintf(r->hardware, sizeof r->hardware, "%s", u.machine);
		snprintf(r->os, sizeof r->os, "%s %s", u.sysname, u.release);
	}
	snprintf(r->userappl, sizeof r->userappl, "pcapdomains-capture %s", PD_VERSION);
}

static int write_idb(struct run *r, unsigned i)
{
	struct iface *f = &r->ifs[i];
	char desc[512];
	const struct pd_cap_target *t = r->t;
	snprintf(desc, sizeof desc, "%s in %s %.200s", f->name, pd_cap_runtime_name(t->runtime),
	         t->name[0] ? t->name : t->ref);
	sanitize(desc, sizeof desc, desc);
	/* Its addresses as they are now: each rotated file's block has the current ones. */
	struct pd_cap_ifaddr addrs[PD_CAP_MAX_IFADDRS];
	char err[PD_CAP_ERRBUF];
	bool more;
	int na = pd_cap_ifaddr_get(f->name, addrs, PD_CAP_MAX_IFADDRS, &more, err);
	if (na < 0) {
		if (!r->addr_noted)
			note(r, "%s (its interface block lists none)", err);
		r->addr_noted = true;
		na = 0;
	} else if (more && !r->addr_noted) {
		note(r, "%s has more than %d addresses; its interface block lists the first %d",
		     f->name, PD_CAP_MAX_IFADDRS, PD_CAP_MAX_IFADDRS);
		r->addr_noted = true;
	}
	return pd_cap_w_idb(&r->w, f->linktype, f->snaplen, f->name, desc, f->tsresol, r->o->filter,
	                    addrs, (unsigned)na);
}

/* Opens the output: the file itself, or the rotated name for seq; writes SHB and IDBs. */
static int open_output(struct run *r)
{
	char path[1100];
	int fd;
	if (r->to_stdout) {
		fd = dup(STDOUT_FILENO);
		snprintf(path, sizeof path, "standard output");
	} else {
		if (r->rotating)
			pd_cap_rotated_name(path, sizeof path, r->o->out, r->seq, r->o->ring);
		else
			snprintf(path, sizeof path, "%s", r->o->out);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		snprintf(r->errbuf, PD_CAP_ERRBUF, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (!r->to_stdout && r->privs && r->privs->change_user && geteuid() == 0 &&
	    fchown(fd, r->privs->uid, r->privs->gid) < 0) {
		snprintf(r->errbuf, PD_CAP_ERRBUF, "cannot give %s to %s: %s", path, r->privs->user,
		         strerror(errno));
		close(fd);
		return -1;
	}
	if (pd_cap_w_init(&r->w, fd, path, r->errbuf) < 0)
		return -1;
	r->w_open = true;
	r->files++;
	r->file_t0 = mono();
	struct pd_cap_shb_info in = { .comment = r->comment,
		                      .n_meta = r->n_meta,
		                      .hardware = r->hardware,
		                      .os = r->os,
		                      .userappl = r->userappl };
	for (unsigned i = 0; i < r->n_meta; i++) {
		in.meta_keys[i] = r->meta_keys[i];
		in.meta_vals[i] = r->meta_vals[i];
	}
	char seq[24];
	if (r->rotating && in.n_meta < 16) {
		snprintf(seq, sizeof seq, "%lu", r->seq);
		in.meta_keys[in.n_meta] = PD_META_FILE_SEQ;
		in.meta_vals[in.n_meta++] = seq;
	}
	int rc = pd_cap_w_shb(&r->w, &in);
	for (unsigned i = 0; rc == 0 && i < r->n; i++)
		rc = write_idb(r, i);
	if (rc < 0 || pd_cap_w_flush(&r->w) < 0) {
		snprintf(r->errbuf, PD_CAP_ERRBUF, "writing %s: %s", r->w.path,
		         strerror(r->w.sys_errno));
		return -1;
	}
	return 0;
}

static void update_stats(struct iface *f)
{
	struct pcap_stat ps;
	if (f->h && pcap_stats(f->h, &ps) == 0) {
		f->recv = f->recv_base + ps.ps_recv;
		f->drop = f->drop_base + ps.ps_drop;
		f->has_stats = true;
	}
}

static int close_output(struct run *r)
{
	if (!r->w_open)
		return 0;
	int rc = 0;
	for (unsigned i = 0; i < r->n; i++) {
		struct iface *f = &r->ifs[i];
		update_stats(f);
		struct pd_cap_isb s = { .ts = now_units(f->tsresol),
			                .start = f->start,
			                .end = now_units(f->tsresol),
			                .ifrecv = f->recv,
			                .ifdrop = f->drop,
			                .usrdeliv = f->pkts,
			                .has_recv = f->has_stats };
		if (pd_cap_w_isb(&r->w, i, &s) < 0)
			rc = -1;
	}
	char err[PD_CAP_ERRBUF];
	if (pd_cap_w_close(&r->w, err) < 0 || rc < 0) {
		if (rc < 0)
			snprintf(err, sizeof err, "writing %s: %s", r->w.path,
			         strerror(r->w.sys_errno));
		snprintf(r->errbuf, PD_CAP_ERRBUF, "%s", err);
		rc = -1;
	}
	pd_cap_w_clear(&r->w);
	r->w_open = false;
	return rc;
}

static int rotate(struct run *r)
{
	if (close_output(r) < 0)
		return -1;
	r->seq++;
	return open_output(r);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data);

struct cbctx {
	struct run *r;
	unsigned idx;
};
static struct cbctx cbs[PD_CAP_MAX_IFACES];

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct cbctx *c = (struct cbctx *)(void *)user;
	struct run *r = c->r;
	struct iface *f = &r->ifs[c->idx];
	if (r->done || r->failed)
		return;
	if (r->o->rotate_bytes && r->w.packets > 0 &&
	    r->w.file_bytes + 32 + h->caplen + 3 > r->o->rotate_bytes && rotate(r) < 0) {
		r->failed = true;
		pcap_breakloop(f->h);
		return;
	}
	uint64_t ts = (uint64_t)h->ts.tv_sec * (f->tsresol == 9 ? 1000000000u : 1000000u) +
	              (uint64_t)h->ts.tv_usec;
	if (pd_cap_w_epb(&r->w, c->idx, ts, data, h->caplen, h->len, 0) < 0) {
		snprintf(r->errbuf, PD_CAP_ERRBUF, "writing %s: %s", r->w.path,
		         strerror(r->w.sys_errno));
		r->failed = true;
		pcap_breakloop(f->h);
		return;
	}
	f->pkts++;
	f->bytes += h->len;
	r->total_pkts++;
	r->total_bytes += h->len;
	if (r->o->count && r->total_pkts >= r->o->count) {
		r->done = true;
		pcap_breakloop(f->h);
	}
}

/* Opens a handle on name; -1 with a message on failure (*fatal for a bad filter). */
static pcap_t *open_handle(struct run *r, const char *name, int *tsresol, bool *fatal,
                           char err[PD_CAP_ERRBUF])
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	const struct pd_cap_opts *o = r->o;
	*fatal = false;
	pcap_t *h = pcap_create(name, ebuf);
	if (!h) {
		snprintf(err, PD_CAP_ERRBUF, "%s: %s", name, ebuf);
		return NULL;
	}
	pcap_set_snaplen(h, o->snaplen);
	pcap_set_promisc(h, 0);
	pcap_set_immediate_mode(h, 1);
	pcap_set_timeout(h, 100);
	pcap_set_buffer_size(h, o->buffer_kib * 1024);
	pcap_set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(h);
	if (rc < 0) {
		switch (rc) {
		case PCAP_ERROR_PERM_DENIED:
			snprintf(err, PD_CAP_ERRBUF,
			         "%s: permission denied: missing capability CAP_NET_RAW (run with "
			         "sudo)",
			         name);
			*fatal = true;
			break;
		case PCAP_ERROR_NO_SUCH_DEVICE:
			snprintf(err, PD_CAP_ERRBUF, "%s: no such interface (gone?)", name);
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			snprintf(err, PD_CAP_ERRBUF, "%s: interface is down", name);
			break;
		default:
			snprintf(err, PD_CAP_ERRBUF, "%s: %s", name, pcap_geterr(h));
		}
		pcap_close(h);
		return NULL;
	}
	*tsresol = pcap_get_tstamp_precision(h) == PCAP_TSTAMP_PRECISION_NANO ? 9 : 6;
	if (o->filter) {
		struct bpf_program prog;
		if (pcap_compile(h, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
		    pcap_setfilter(h, &prog) < 0) {
			snprintf(err, PD_CAP_ERRBUF, "bad filter -f '%s' on %s: %s", o->filter,
			         name, pcap_geterr(h));
			*fatal = true;
			pcap_close(h);
			return NULL;
		}
		pcap_freecode(&prog);
	}
	if (pcap_setnonblock(h, 1, ebuf) < 0 || pcap_get_selectable_fd(h) < 0) {
		snprintf(err, PD_CAP_ERRBUF, "%s: cannot poll: %s", name, ebuf);
		pcap_close(h);
		return NULL;
	}
	return h;
}

/* Adds or reopens interface name; returns 0, -1 (skipped, err set), -2 (fatal). */
static int add_iface(struct run *r, const char *name, char err[PD_CAP_ERRBUF])
{
	int tsresol = 9;
	bool fatal;
	unsigned i;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->ifs[i].name, name) == 0 && !r->ifs[i].h)
			break;
	if (i == r->n && r->n >= PD_CAP_MAX_IFACES) {
		snprintf(err, PD_CAP_ERRBUF, "%s: more than %d interfaces", name,
		         PD_CAP_MAX_IFACES);
		return -1;
	}
	pcap_t *h = open_handle(r, name, &tsresol, &fatal, err);
	if (!h)
		return fatal ? -2 : -1;
	int lt = linktype_of(pcap_datalink(h));
	uint32_t snap = (uint32_t)pcap_snapshot(h);
	if (i < r->n &&
	    (r->ifs[i].linktype != lt || r->ifs[i].snaplen != snap || r->ifs[i].tsresol != tsresol))
		i = r->n; /* came back different: a new interface block */
	if (i == r->n && r->n >= PD_CAP_MAX_IFACES) {
		pcap_close(h);
		snprintf(err, PD_CAP_ERRBUF, "%s: more than %d interfaces", name,
		         PD_CAP_MAX_IFACES);
		return -1;
	}
	struct iface *f = &r->ifs[i];
	if (i == r->n) {
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", name);
		f->linktype = lt;
		f->snaplen = snap;
		f->tsresol = tsresol;
		f->start = now_units(tsresol);
		r->n++;
		if (r->w_open && write_idb(r, i) < 0) {
			snprintf(err, PD_CAP_ERRBUF, "writing %s: %s", r->w.path,
			         strerror(r->w.sys_errno));
			pcap_close(h);
			return -2;
		}
	} else {
		f->recv_base = f->recv;
		f->drop_base = f->drop;
	}
	f->h = h;
	f->fd = pcap_get_selectable_fd(h);
	cbs[i].r = r;
	cbs[i].idx = i;
	return 0;
}

static bool failed_before(struct run *r, const char *name)
{
	for (unsigned i = 0; i < r->n_failed; i++)
		if (strcmp(r->failed_names[i], name) == 0)
			return true;
	if (r->n_failed < 64)
		snprintf(r->failed_names[r->n_failed++], IF_NAMESIZE + 1, "%s", name);
	return false;
}

static void forget_failed(struct run *r, const char *name)
{
	for (unsigned i = 0; i < r->n_failed; i++)
		if (strcmp(r->failed_names[i], name) == 0) {
			r->failed_names[i][0] = '\0';
		}
}

static bool is_open(struct run *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->ifs[i].h && strcmp(r->ifs[i].name, name) == 0)
			return true;
	return false;
}

/* Every interface of the namespace not yet captured. Returns -1 on a fatal error. */
static int rescan(struct run *r, bool first)
{
	struct if_nameindex *ni = if_nameindex();
	if (!ni) {
		snprintf(r->errbuf, PD_CAP_ERRBUF, "listing interfaces: %s", strerror(errno));
		return first ? -1 : 0;
	}
	int rc = 0;
	for (struct if_nameindex *p = ni; p->if_name; p++) {
		char err[PD_CAP_ERRBUF];
		if (is_open(r, p->if_name))
			continue;
		/* A new interface waits for its carrier, so its block has its addresses. */
		if (!first && !pd_cap_ifaddr_ready(p->if_name))
			continue;
		int a = add_iface(r, p->if_name, err);
		if (a == -2) {
			snprintf(r->errbuf, PD_CAP_ERRBUF, "%s", err);
			rc = -1;
			break;
		}
		if (a == 0) {
			forget_failed(r, p->if_name);
			if (!first)
				note(r, "capturing on new interface %s", p->if_name);
		} else if (!failed_before(r, p->if_name)) {
			note(r, "not capturing on %s (retried every second)", err);
		}
	}
	if_freenameindex(ni);
	return rc;
}

static void list_names(char *dst, size_t dstsz)
{
	struct if_nameindex *ni = if_nameindex();
	size_t k = 0;
	dst[0] = '\0';
	for (struct if_nameindex *p = ni; p && p->if_name && k < dstsz; p++)
		k += (size_t)snprintf(dst + k, dstsz - k, "%s%s", k ? ", " : "", p->if_name);
	if (ni)
		if_freenameindex(ni);
}

static void human(char *dst, size_t dstsz, uint64_t b)
{
	if (b < 10000)
		snprintf(dst, dstsz, "%llu B", (unsigned long long)b);
	else if (b < 10000000)
		snprintf(dst, dstsz, "%.1f kB", (double)b / 1e3);
	else if (b < 10000000000ull)
		snprintf(dst, dstsz, "%.1f MB", (double)b / 1e6);
	else
		snprintf(dst, dstsz, "%.1f GB", (double)b / 1e9);
}

static void show_progress(struct run *r)
{
	char line[512], hb[32];
	size_t k = 0;
	uint64_t drops = 0;
	for (unsigned i = 0; i < r->n; i++)
		drops += r->ifs[i].drop;
	human(hb, sizeof hb, r->total_bytes);
	k += (size_t)snprintf(line, sizeof line, "%llu pkts, %s, %llu dropped |",
	                      (unsigned long long)r->total_pkts, hb, (unsigned long long)drops);
	for (unsigned i = 0; i < r->n && k < sizeof line - 40; i++) {
		struct iface *f = &r->ifs[i];
		human(hb, sizeof hb, f->bytes);
		k += (size_t)snprintf(line + k, sizeof line - k, " %s%s: %llu pkts %s %llu drop",
		                      f->name, f->h ? "" : " (gone)", (unsigned long long)f->pkts,
		                      hb, (unsigned long long)f->drop);
	}
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	r->line_shown = true;
}

static int loop(struct run *r)
{
	const struct pd_cap_opts *o = r->o;
	struct pollfd pfds[PD_CAP_MAX_IFACES + 1];
	unsigned map[PD_CAP_MAX_IFACES];
	double t0 = mono(), last_tick = t0;

	while (!pd_cap_stop && !r->done && !r->failed) {
		unsigned np = 0;
		for (unsigned i = 0; i < r->n; i++)
			if (r->ifs[i].h) {
				pfds[np] = (struct pollfd){ .fd = r->ifs[i].fd, .events = POLLIN };
				map[np++] = i;
			}
		unsigned npd = np;
		if (o->target_pidfd >= 0)
			pfds[np++] = (struct pollfd){ .fd = o->target_pidfd, .events = POLLIN };
		int pr = poll(pfds, np, 200);
		if (pr > 0 && npd < np && pfds[npd].revents) {
			/* The container's process ended: its namespace is going away too. */
			note(r, "%s: the target process %ld exited; stopping", r->t->spec,
			     r->t->pid);
			break;
		}
		np = npd;
		if (pr < 0 && errno != EINTR) {
			snprintf(r->errbuf, PD_CAP_ERRBUF, "poll: %s", strerror(errno));
			return -1;
		}
		for (unsigned k = 0; pr > 0 && k < np && !r->done && !r->failed; k++) {
			struct iface *f = &r->ifs[map[k]];
			if (!pfds[k].revents)
				continue;
			int d = pcap_dispatch(f->h, -1, on_packet, (u_char *)&cbs[map[k]]);
			if (d == PCAP_ERROR) {
				char msg[PCAP_ERRBUF_SIZE + 64];
				snprintf(msg, sizeof msg, "%s", pcap_geterr(f->h));
				update_stats(f);
				pcap_close(f->h);
				f->h = NULL;
				note(r, "interface %s gone: %s", f->name, msg);
				if (o->n_ifaces && !o->rescan) {
					bool any = false;
					for (unsigned i = 0; i < r->n; i++)
						any |= r->ifs[i].h != NULL;
					if (!any) {
						snprintf(r->errbuf, PD_CAP_ERRBUF,
						         "every interface given with -i is gone");
						return -1;
					}
				}
			}
		}
		if (r->failed)
			return -1;
		double now = mono();
		if (o->duration > 0 && now - t0 >= o->duration)
			break;
		if (o->rotate_secs > 0 && now - r->file_t0 >= o->rotate_secs && rotate(r) < 0)
			return -1;
		if (r->to_stdout && pd_cap_w_flush(&r->w) < 0) {
			/* The reader went away (EPIPE): stop as if interrupted. */
			if (r->w.sys_errno == EPIPE)
				break;
			snprintf(r->errbuf, PD_CAP_ERRBUF, "writing to standard output: %s",
			         strerror(r->w.sys_errno));
			return -1;
		}
		if (now - last_tick >= 1.0) {
			last_tick = now;
			if (pd_cap_w_flush(&r->w) < 0) {
				snprintf(r->errbuf, PD_CAP_ERRBUF, "writing %s: %s", r->w.path,
				         strerror(r->w.sys_errno));
				return -1;
			}
			for (unsigned i = 0; i < r->n; i++)
				update_stats(&r->ifs[i]);
			if (o->rescan && rescan(r, false) < 0)
				return -1;
			if (r->progress)
				show_progress(r);
		}
	}
	return r->failed ? -1 : 0;
}

static bool dir_writable_by(const char *out, uid_t uid, gid_t gid)
{
	char dir[1100];
	struct stat st;
	const char *slash = strrchr(out, '/');
	if (uid == 0)
		return true;
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == out)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
	if (stat(dir, &st) < 0)
		return false;
	if (st.st_uid == uid)
		return (st.st_mode & 0300) == 0300;
	if (st.st_gid == gid)
		return (st.st_mode & 0030) == 0030;
	return (st.st_mode & 0003) == 0003;
}

int pd_cap_capture(const struct pd_cap_opts *o, const struct pd_cap_target *t, uint64_t netns_inode,
                   const struct pd_cap_privs *privs, char errbuf[PD_CAP_ERRBUF])
{
	struct run *r = calloc(1, sizeof *r);
	int rc = -1;
	if (!r) {
		snprintf(errbuf, PD_CAP_ERRBUF, "out of memory");
		return -1;
	}
	r->o = o;
	r->t = t;
	r->privs = privs;
	r->netns_inode = netns_inode;
	r->to_stdout = strcmp(o->out, "-") == 0;
	r->rotating = o->rotate_bytes || o->rotate_secs > 0;
	r->progress = isatty(STDERR_FILENO) && !o->quiet;
	build_shb(r);

	if (r->rotating && privs->change_user && !dir_writable_by(o->out, privs->uid, privs->gid)) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "rotated files are created after dropping privileges to %s, who cannot "
		         "write in the directory of %s (choose another directory or -Z USER)",
		         privs->user, o->out);
		goto out;
	}
	if (o->n_ifaces) {
		for (unsigned i = 0; i < o->n_ifaces; i++) {
			char err[PD_CAP_ERRBUF], have[300];
			if (is_open(r, o->ifaces[i]))
				continue;
			if (add_iface(r, o->ifaces[i], err) < 0) {
				list_names(have, sizeof have);
				if (!if_nametoindex(o->ifaces[i]))
					snprintf(r->errbuf, PD_CAP_ERRBUF,
					         "%s: no interface %s in its network namespace "
					         "(it has: %s)",
					         t->spec, o->ifaces[i], have);
				else
					snprintf(r->errbuf, PD_CAP_ERRBUF, "%s: %s", t->spec, err);
				goto fail;
			}
		}
	} else {
		if (rescan(r, true) < 0)
			goto fail;
		if (r->n == 0) {
			char have[300];
			list_names(have, sizeof have);
			snprintf(r->errbuf, PD_CAP_ERRBUF,
			         "%s: no interface could be opened in its network namespace (it "
			         "has: %s)",
			         t->spec, have[0] ? have : "none");
			goto fail;
		}
	}
	if (open_output(r) < 0)
		goto fail;
	if (pd_cap_privs_drop(privs, r->errbuf) < 0)
		goto fail;
	if (!o->quiet) {
		char names[600];
		size_t k = 0;
		names[0] = '\0';
		for (unsigned i = 0; i < r->n && k < sizeof names; i++)
			k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", i ? ", " : "",
			                      r->ifs[i].name);
		char pid[32] = "";
		if (t->pid > 0)
			snprintf(pid, sizeof pid, "pid %ld, ", t->pid);
		fprintf(stderr,
		        "pcapdomains-capture: capturing %s (%snetns %llu) on %s into %s as %s\n",
		        t->spec, pid, (unsigned long long)netns_inode, names, r->w.path,
		        privs->change_user ? privs->user : "the current user");
	}
	rc = loop(r);
	if (rc < 0)
		snprintf(errbuf, PD_CAP_ERRBUF, "%s", r->errbuf);
	/* A reader of standard output that went away (EPIPE) ends the capture, as a failure:
	 * what it did not read is lost, and the caller's pipeline should know. */
	if (close_output(r) < 0 && rc == 0) {
		if (r->to_stdout && r->w.sys_errno == EPIPE)
			snprintf(errbuf, PD_CAP_ERRBUF,
			         "standard output was closed by its reader after %llu bytes (%llu "
			         "packets captured): the capture stopped early and the rest was not "
			         "written",
			         (unsigned long long)r->w.written,
			         (unsigned long long)r->total_pkts);
		else
			snprintf(errbuf, PD_CAP_ERRBUF, "%s", r->errbuf);
		rc = -1;
	}
	if (r->line_shown)
		fputs("\r\033[K", stderr);
	{
		char per[800], hb[32];
		size_t k = 0;
		uint64_t drops = 0;
		per[0] = '\0';
		for (unsigned i = 0; i < r->n; i++) {
			drops += r->ifs[i].drop;
			if (k < sizeof per)
				k += (size_t)snprintf(per + k, sizeof per - k, "%s%s %llu",
				                      i ? ", " : "", r->ifs[i].name,
				                      (unsigned long long)r->ifs[i].pkts);
		}
		hb[0] = '\0';
		if (r->total_bytes >= 10000) {
			hb[0] = ',';
			hb[1] = ' ';
			human(hb + 2, sizeof hb - 2, r->total_bytes);
		}
		char last[1100];
		if (r->rotating)
			snprintf(last, sizeof last, " in %lu file%s (last %s)", r->files,
			         r->files == 1 ? "" : "s", r->w.path);
		else
			snprintf(last, sizeof last, " into %s", r->w.path);
		fprintf(stderr,
		        "pcapdomains-capture: %llu packets (%llu bytes%s) on %u interface%s "
		        "(%s), "
		        "%llu dropped by the kernel,%s\n",
		        (unsigned long long)r->total_pkts, (unsigned long long)r->total_bytes, hb,
		        r->n, r->n == 1 ? "" : "s", per, (unsigned long long)drops, last);
	}
	goto out;
fail:
	snprintf(errbuf, PD_CAP_ERRBUF, "%s", r->errbuf);
	if (r->w_open) {
		pd_cap_w_clear(&r->w);
		r->w_open = false;
	}
	rc = -1;
out:
	for (unsigned i = 0; i < r->n; i++)
		if (r->ifs[i].h)
			pcap_close(r->ifs[i].h);
	if (r->w_open)
		pd_cap_w_clear(&r->w);
	free(r);
	return rc;
}
