/*
 * helper.h - internal interfaces of pcapdomains-capture, the companion capture helper (SPEC 1).
 *
 * One file per concern: main.c (options, orchestration, exit codes), target.c (TARGET syntax and
 * lookup), engine.c (Docker/Podman Engine API over a unix socket: a minimal HTTP/1.1 client),
 * json.c (a minimal JSON path reader for the few fields needed), cri.c (`crictl inspect`),
 * netns.c (setns(2)), ifaddr.c (an interface's addresses), privs.c (capability checks and the
 * privilege drop), pcapng_write.c (our own pcapng writer), capture.c (pcap handles, poll loop,
 * rotation, statistics).
 *
 * The helper never parses packets: it moves opaque frames from libpcap into pcapng blocks.
 * Errors: functions return 0 on success and -1 on failure with a one-line message for people in
 * the caller's errbuf (PD_CAP_ERRBUF bytes); the helper links only libpcap, not the analyzer's
 * library, so it has no enum pd_err. Only main.c exits; capture.c prints the start line, notes,
 * the live progress line and the summary.
 */
#ifndef PD_CAP_HELPER_H
#define PD_CAP_HELPER_H

/* Messages are cut to their buffer on purpose (paths and names from a runtime can be long). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PD_CAP_ERRBUF         512
#define PD_CAP_MAX_IFACES     256        /* interfaces per capture (the analyzer keeps as many) */
#define PD_CAP_MAX_HTTP       (4u << 20) /* largest Engine API answer read */
#define PD_CAP_MAX_CRICTL     (4u << 20) /* largest crictl output read */
#define PD_CAP_MAX_JSON_DEPTH 64         /* nesting accepted by the JSON reader */
#define PD_CAP_META_MAX       256        /* metadata value bytes kept (the analyzer keeps 255) */
#define PD_CAP_WBUF_SIZE      (1u << 20) /* pcapng write buffer (whole blocks only) */
#define PD_CAP_MAX_IFADDRS    64         /* addresses written per interface block */

/* ---- target.c ---- */

enum pd_cap_runtime {
	PD_CAP_RT_DOCKER,
	PD_CAP_RT_PODMAN,
	PD_CAP_RT_CRI,
	PD_CAP_RT_PID,
	PD_CAP_RT_NETNS,
	PD_CAP_RT_AUTO, /* bare name: docker, then podman */
};

struct pd_cap_target {
	enum pd_cap_runtime runtime;
	char spec[256];   /* TARGET as given, for messages */
	char ref[256];    /* the part after "docker:" etc. */
	char socket[256]; /* --socket override, "" for the defaults */
	/* Filled by pd_cap_target_resolve(). */
	char id[PD_CAP_META_MAX];
	char name[PD_CAP_META_MAX];
	char image[PD_CAP_META_MAX];
	char status[64];
	long pid;             /* 0 when the target is a netns path */
	char netns_path[512]; /* what is opened for setns */
	char via[256];        /* socket or command asked, for messages */
};

const char *pd_cap_runtime_name(enum pd_cap_runtime rt);

/* Container names and ids as the engines and crictl are asked for them: letters, digits,
 * '_', '.', '-' (Docker and Podman allow no others), so they go into a URL or an argument
 * without escaping. */
bool pd_cap_ref_ok(const char *s);

/* Parses "docker:web", "pid:42", a bare name, ... Fails on an empty or malformed reference. */
int pd_cap_target_parse(struct pd_cap_target *t, const char *spec, char errbuf[PD_CAP_ERRBUF]);

/* Asks the runtime (or /proc) for the target's pid and identity and sets netns_path. */
int pd_cap_target_resolve(struct pd_cap_target *t, char errbuf[PD_CAP_ERRBUF]);

/* ---- engine.c ---- */

/* Outcome of one Engine API lookup; PD_CAP_ENG_NOSOCK lets a bare name fall back to podman. */
enum pd_cap_eng_res {
	PD_CAP_ENG_OK,
	PD_CAP_ENG_NOSOCK,   /* socket missing or nobody listening */
	PD_CAP_ENG_NOTFOUND, /* 404 */
	PD_CAP_ENG_ERROR,    /* anything else, message in errbuf */
};

/*
 * GET /containers/{ref}/json on the unix socket at path; fills t's id, name, image, status and
 * pid. A container that is not running is an error (PD_CAP_ENG_ERROR with a message).
 */
enum pd_cap_eng_res pd_cap_engine_inspect(const char *path, struct pd_cap_target *t,
                                          char errbuf[PD_CAP_ERRBUF]);

/*
 * The minimal HTTP/1.1 GET over a unix socket. On success *body (malloc'd, NUL-terminated,
 * caller frees) and *status are set. Handles Content-Length, chunked and read-to-close bodies.
 * Returns 0, or -1 with errno-based message in errbuf and *sys_errno set (0 for protocol errors).
 */
int pd_cap_http_get_unix(const char *path, const char *target, int *status, char **body,
                         size_t *body_len, int *sys_errno, char errbuf[PD_CAP_ERRBUF]);

/* Decodes an HTTP/1.1 message already read whole (exposed for tests). */
int pd_cap_http_parse(const char *msg, size_t len, int *status, char **body, size_t *body_len,
                      char errbuf[PD_CAP_ERRBUF]);

/* ---- json.c ---- */

enum pd_cap_json_type {
	PD_CAP_JSON_NONE, /* path not found */
	PD_CAP_JSON_STRING,
	PD_CAP_JSON_NUMBER,
	PD_CAP_JSON_TRUE,
	PD_CAP_JSON_FALSE,
	PD_CAP_JSON_NULL,
	PD_CAP_JSON_OBJECT,
	PD_CAP_JSON_ARRAY,
};

/*
 * Looks up a dotted path of object keys ("State.Pid") in the JSON text doc[0..len). Returns the
 * type found (PD_CAP_JSON_NONE when absent) or -1 when the document is malformed up to that point.
 * For strings, the decoded value (UTF-8, control characters replaced by '?') is copied into
 * out (truncated to outsz-1); for numbers and literals their text is copied.
 */
int pd_cap_json_get(const char *doc, size_t len, const char *path, char *out, size_t outsz);

/* ---- cri.c ---- */

/* Runs `crictl inspect ID` (then `crictl inspectp ID` for a pod sandbox); fills t. */
int pd_cap_cri_inspect(struct pd_cap_target *t, char errbuf[PD_CAP_ERRBUF]);

/* Fills t from crictl's JSON output (exposed for tests). */
int pd_cap_cri_parse(const char *doc, size_t len, struct pd_cap_target *t,
                     char errbuf[PD_CAP_ERRBUF]);

/* ---- netns.c ---- */

struct pd_cap_netns {
	int fd;         /* the namespace file, open until pd_cap_netns_enter() */
	uint64_t inode; /* its inode number: the namespace's identity */
	bool same;      /* already our own network namespace: setns() not needed */
};

int pd_cap_netns_open(struct pd_cap_netns *ns, const char *path, const char *what,
                      char errbuf[PD_CAP_ERRBUF]);
int pd_cap_netns_enter(struct pd_cap_netns *ns, const char *what, char errbuf[PD_CAP_ERRBUF]);

/* ---- ifaddr.c ---- */

/* One address of an interface, as the IDB's if_IPv4addr/if_IPv6addr options hold it. */
struct pd_cap_ifaddr {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefix;   /* netmask length: 0-32 or 0-128 */
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
};

struct ifaddrs;
/*
 * The IPv4 and IPv6 addresses of interface name in a getifaddrs(3) list, in its order, at most
 * max; *more says some were left out. Exposed for tests.
 */
unsigned pd_cap_ifaddr_collect(const struct ifaddrs *list, const char *name,
                               struct pd_cap_ifaddr *out, unsigned max, bool *more);

/* Addresses of interface name in the current network namespace: their count, or -1 (errbuf). */
int pd_cap_ifaddr_get(const char *name, struct pd_cap_ifaddr *out, unsigned max, bool *more,
                      char errbuf[PD_CAP_ERRBUF]);

/* Interface name is up with a carrier (IFF_UP and IFF_RUNNING), or that cannot be told. */
bool pd_cap_ifaddr_ready(const char *name);

/* ---- privs.c ---- */

struct pd_cap_privs {
	uid_t uid; /* the user to become */
	gid_t gid;
	bool change_user;  /* we are root: switch to uid/gid */
	char user[64];     /* for messages */
	bool keep_net_raw; /* keep CAP_NET_RAW (interfaces that appear later are opened) */
};

/*
 * Checks before anything is opened that the process can enter a namespace (need_setns) and
 * capture; the message names each missing capability.
 */
int pd_cap_privs_check(bool need_setns, char errbuf[PD_CAP_ERRBUF]);

/* Picks the user: user_opt (-Z), else SUDO_UID/SUDO_GID, else nobody. */
int pd_cap_privs_choose(struct pd_cap_privs *p, const char *user_opt, char errbuf[PD_CAP_ERRBUF]);

/* Drops: setgroups(0), setresgid, setresuid, capabilities, no_new_privs; then verifies. */
int pd_cap_privs_drop(const struct pd_cap_privs *p, char errbuf[PD_CAP_ERRBUF]);

/* ---- pcapng_write.c ---- */

struct pd_cap_shb_info {
	const char *comment;       /* one human-readable comment, may be NULL */
	const char *meta_keys[16]; /* PD_META_* keys, each written "pcapdomains.KEY=VALUE" */
	const char *meta_vals[16];
	unsigned n_meta;
	const char *hardware, *os, *userappl;
};

struct pd_cap_w {
	int fd;
	char path[1024];
	uint8_t *buf; /* whole blocks waiting for write(2) */
	size_t len;
	uint64_t file_bytes; /* bytes written to the file and buffered */
	uint64_t packets;    /* EPBs in this file */
	int sys_errno;       /* first write error */
	uint64_t written;    /* bytes write(2) took (what a reader of a pipe got) */
};

/* Takes fd (consumes it: pd_cap_w_close() closes it). */
int pd_cap_w_init(struct pd_cap_w *w, int fd, const char *path, char errbuf[PD_CAP_ERRBUF]);
int pd_cap_w_shb(struct pd_cap_w *w, const struct pd_cap_shb_info *info);
/*
 * tsresol: 6 (microseconds) or 9 (nanoseconds); filter may be NULL. Each of the n_addrs
 * addresses becomes one if_IPv4addr (address, netmask) or if_IPv6addr (address, prefix length)
 * option; at most PD_CAP_MAX_IFADDRS are written.
 */
int pd_cap_w_idb(struct pd_cap_w *w, int linktype, uint32_t snaplen, const char *name,
                 const char *description, int tsresol, const char *filter,
                 const struct pd_cap_ifaddr *addrs, unsigned n_addrs);
/* ts in units of the interface's tsresol; flags 0 omits epb_flags. */
int pd_cap_w_epb(struct pd_cap_w *w, uint32_t ifid, uint64_t ts, const uint8_t *data,
                 uint32_t caplen, uint32_t origlen, uint32_t flags);
struct pd_cap_isb {
	uint64_t ts, start, end; /* interface units; start/end 0 omits the option */
	uint64_t ifrecv, ifdrop, usrdeliv;
	bool has_recv;
};
int pd_cap_w_isb(struct pd_cap_w *w, uint32_t ifid, const struct pd_cap_isb *s);
/* write(2)s the buffered whole blocks. */
int pd_cap_w_flush(struct pd_cap_w *w);
/* Flushes, fsyncs (regular files) and closes; returns -1 if any write failed. */
int pd_cap_w_close(struct pd_cap_w *w, char errbuf[PD_CAP_ERRBUF]);
void pd_cap_w_clear(struct pd_cap_w *w);

/* ---- capture.c ---- */

struct pd_cap_opts {
	const char *out; /* -w */
	const char *ifaces[PD_CAP_MAX_IFACES];
	unsigned n_ifaces;     /* -i, 0: every interface, rescanned each second */
	const char *filter;    /* -f */
	int snaplen;           /* -s */
	int buffer_kib;        /* -B */
	uint64_t count;        /* -c, 0: unlimited */
	double duration;       /* --duration, 0: unlimited */
	uint64_t rotate_bytes; /* -C MB */
	double rotate_secs;    /* -G */
	unsigned ring;         /* -W */
	bool rescan;           /* pick up interfaces that appear later */
	bool quiet;
	const char *user; /* -Z */
	int target_pidfd; /* pidfd of the target process (stop when it exits), or -1 */
};

/* The rotated file name for sequence number seq (see README): OUT-NNN.pcapng. */
void pd_cap_rotated_name(char *dst, size_t dstsz, const char *out, unsigned long seq,
                         unsigned ring);

/*
 * Runs a capture in the current network namespace: opens the handles and the first output
 * file, calls drop() (the privilege drop), loops until a signal, -c or --duration, then writes
 * statistics and closes. Returns 0 or -1 with errbuf.
 */
struct pd_cap_run;
int pd_cap_capture(const struct pd_cap_opts *o, const struct pd_cap_target *t, uint64_t netns_inode,
                   const struct pd_cap_privs *privs, char errbuf[PD_CAP_ERRBUF]);

/* Set by the signal handlers in main.c. */
extern volatile int pd_cap_stop;

#endif
