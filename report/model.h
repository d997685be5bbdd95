/*
 * model.h - the in-memory report model shared by the writers in report/ (internal to the
 * folder; the public contract is report.h). model.c fills it from the database; every
 * writer prints the same fields, untrusted strings only through escape.h.
 *
 * Strings live in the model's arena and may be NULL (unknown); every string here can come
 * from a packet or a file and is untrusted unless marked "ours".
 */
#ifndef PD_MODEL_H
#define PD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define PD_REPORT_SCHEMA_VERSION 1
#define PD_NS_NONE               INT64_MIN /* an unknown time or count */
#define PD_RM_MAX_SIDES          2000      /* inbound + internal + control rows kept */
#define PD_RM_MAX_TUNNELS        8 /* distinct tunnel paths listed per row, then "(+N more)" */

struct pd_rm_iface {
	int64_t idx;
	char *name, *description, *link_type;
	int64_t snaplen, received, dropped; /* PD_NS_NONE when unknown */
};

/* A local address of the audited subject (capture_locals). */
struct pd_rm_local {
	char *ip;
	int64_t prefix; /* bits matched: 32/128 for one address */
	char *source;   /* file | option | inferred */
	char *iface;    /* interface name (file) or NULL */
};

struct pd_rm_capture {
	int64_t id, size, first_ns, last_ns, packets, bytes;
	int64_t drops, cut_at, pid; /* PD_NS_NONE when unknown */
	char *path, *sha256, *format, *link_types, *error, *tool_version;
	char *runtime, *container_id, *container_name, *image, *capture_host, *capture_filter;
	char *capture_app, *comment;
	struct pd_rm_iface *ifaces;
	size_t n_ifaces;
	struct pd_rm_local *locals; /* none: no subject known, every flow transit */
	size_t n_locals;
};

/*
 * Traffic that is not a destination: one row per (direction, local/server address, port,
 * protocol). direction: ingress (the Inbound section: who connected to which local service,
 * with the names they asked for), internal, control.
 */
struct pd_rm_side {
	const char *direction; /* ours: ingress | internal | control */
	const char
	        *label; /* ours: control class ("nd", "mdns", ...) or runtime resolver, or NULL */
	char *server_ip;
	unsigned port;
	char *proto, *app_proto;
	char *clients; /* distinct client addresses, ", "-joined, cut (n_clients says) */
	int64_t n_clients;
	char *names; /* SNI / Host the clients asked for, ", "-joined, or NULL */
	int64_t flows, packets_out, bytes_out, packets_in, bytes_in, first_ns, last_ns;
	char *captures;
};

#define PD_RM_N_EVIDENCE 11   /* sni ... ptr-lookup, none: pd_rm_evidence_names */
#define PD_RM_N_TCP      5    /* pd_rm_tcp_state_names */
#define PD_RM_CONNS_MAX  1000 /* connections kept per row; the rest only counted */

extern const char *const pd_rm_evidence_names[PD_RM_N_EVIDENCE];
/* established, syn-only, refused, midstream, other (NULL: not TCP, not counted) */
extern const char *const pd_rm_tcp_state_names[PD_RM_N_TCP];

/* One flow of a row (the flows table): who opened it, how it went, how long it lasted. */
struct pd_rm_conn {
	struct pd_rm_conn *next;
	char *client_ip;
	unsigned client_port;
	int tcp_state; /* index into pd_rm_tcp_state_names, -1: not TCP */
	int64_t first_ns, last_ns, bytes_out, bytes_in, capture_id;
};

/* One (domain, server address, port, protocol): a CSV row. */
struct pd_rm_row {
	char *domain;           /* NULL: unattributed */
	char *registrable;      /* eTLD+1 of domain, NULL when unattributed */
	const char *evidence;   /* ours: sni ... ptr-lookup, none */
	const char *confidence; /* ours: high | medium | low */
	char *candidates;       /* '|'-joined, NULL when none */
	char *server_ip;
	unsigned port;
	char *proto, *app_proto, *cname_chain;
	int64_t flows, packets_out, bytes_out, packets_in, bytes_in, first_ns, last_ns, ech_flows;
	bool ambiguous, shared, looked_up; /* looked_up: name from a PTR lookup at report time */
	char country[8];
	uint32_t asn;
	char *as_org, *city;
	const char *label;  /* ours: special range or NULL */
	const char *cdn;    /* ours (names.c table) or NULL */
	const char *policy; /* ours: allowed | violation | unchecked */
	char *policy_rule;  /* the matching policy line, or NULL */
	char *captures;     /* ours: capture ids, comma-separated */
	char *ptr_status;   /* unattributed: ptr_cache status, NULL when never looked up */
	int64_t ptr_at;     /* unattributed: Unix seconds of that lookup */
	char *via_ip;       /* through a proxy (README "Proxies"): its address, NULL when direct */
	unsigned via_port;
	char *via_name;         /* the proxy's name (DNS answers for its address), NULL when none */
	const char *via_policy; /* ours, with a policy: "allowed" | "violation" for the hop */
	/* its flows, scan order: the first PD_RM_CONNS_MAX (n_conns), flows - n_conns omitted */
	struct pd_rm_conn *conns, *conns_tail;
	size_t n_conns;
	int64_t ev_flows[PD_RM_N_EVIDENCE]; /* flows per evidence: the evidence mix */
	int64_t tcp_flows[PD_RM_N_TCP];     /* TCP flows per state */
	int64_t max_duration_ns;            /* the longest flow */
	const char *direction; /* ours: egress when any of its flows is, else transit */
	char *tunnels; /* flows.tunnel of its flows, '|'-joined, at most PD_RM_MAX_TUNNELS */
};

/* Destination: rows grouped by registrable domain (rows[first .. first + n)). */
struct pd_rm_dest {
	char *registrable;
	size_t first, n;
	char *names, *addresses, *ports, *countries, *asns, *candidates, *captures; /* joined */
	const char *evidence, *confidence, *cdn, *policy;
	int64_t flows, packets_out, bytes_out, packets_in, bytes_in, first_ns, last_ns;
	size_t n_addresses;
	bool shared, looked_up;
	char *shared_with; /* shared: the other names seen on its addresses, ", "-joined */
	char *vias;        /* proxies the connections went through ("name addr:port", ", "-joined),
	                      NULL when all were direct */
	int64_t ev_flows[PD_RM_N_EVIDENCE]; /* the evidence mix of its rows */
	size_t n_violations;                /* rows (names) of the group in violation */
};

/* An address no evidence named. */
struct pd_rm_unres {
	char *ip, *ports, *captures;
	int64_t flows, bytes_out, bytes_in, first_ns, last_ns;
	char country[8];
	uint32_t asn;
	char *as_org;
	const char *label;
	char *ptr_status; /* ptr_cache status ('nxdomain', 'timeout', ...) or NULL: not looked up */
	int64_t ptr_at;   /* Unix seconds of the lookup, PD_NS_NONE when none */
	const char *policy;
};

struct pd_rm_namecount {
	char *name;
	char *registrable; /* of name */
	int64_t count;     /* DNS answers and flows that showed the name for the address */
};

struct pd_rm_shared {
	char *ip;
	struct pd_rm_namecount *names; /* sorted by name */
	size_t n_names;
	size_t n_domains; /* distinct registrable domains */
	const char *cdn;
};

struct pd_rm_unused {
	char *qname, *qtypes, *rcodes, *answers, *captures;
	int64_t count, first_ns;
};

struct pd_rm_finding {
	char *kind, *severity, *subject, *detail, *captures;
	int64_t count, first_ns;
};

struct pd_rm_counter {
	char *kind, *what;
	int64_t n;
};

struct pd_rm_summary {
	size_t captures, destinations, domains, unresolved, shared;
	int64_t flows, packets_out, bytes_out, packets_in, bytes_in, first_ns, last_ns;
	int64_t encrypted_dns_flows, ech_flows, ech_dns_answers, encrypted_dns_findings;
	int64_t packets, bytes, drops;
	size_t cut_captures;
};

struct pd_model {
	char *title;
	struct pd_rm_summary sum;
	struct pd_rm_capture *caps;
	size_t n_caps;
	struct pd_rm_row *rows; /* attributed rows in destination order, then unattributed */
	size_t n_rows, n_attributed;
	struct pd_rm_dest *dests; /* by bytes, largest first */
	size_t n_dests;
	struct pd_rm_unres *unres;
	size_t n_unres;
	struct pd_rm_shared *shared;
	size_t n_shared;
	struct pd_rm_unused *unused;
	size_t n_unused;
	struct pd_rm_finding *findings;
	size_t n_findings;
	struct pd_rm_counter *counters;
	size_t n_counters;
	struct pd_rm_side *sides; /* ingress rows, then internal, then control; by bytes */
	size_t n_sides, n_ingress, n_internal, n_control;
	int64_t sides_cut; /* rows beyond PD_RM_MAX_SIDES left out */
	/* GeoIP databases ("GeoIP not configured" when n_geo == 0); types and build dates. */
	char **geo_types;
	int64_t *geo_built;
	unsigned n_geo;
	bool policy_checked, resolved;
	char *notes[8]; /* ours or escaped-on-output: warnings met while building (rdns failure) */
	size_t n_notes;
	struct pd_arena *arena;
};

/* "10.77.0.2 (file, eth0), 10.1.0.0/16 (option)" into buf; "none (every flow transit)"
 * when the capture has none. */
const char *pd_rm_locals_str(const struct pd_rm_capture *c, char *buf, size_t len);

/* "Inbound", "Internal", "Control" rows of m->sides: *first and the count. */
size_t pd_rm_sides_of(const struct pd_model *m, const char *direction, size_t *first);

/* "2026-11-24T02:31:45.123Z" (UTC, milliseconds) into buf[32]; "" for PD_NS_NONE. */
const char *pd_rm_time(int64_t ns, char buf[32]);
/* Human byte count: "512 B", "1.5 kB", "12.3 MB" into buf[32]. */
const char *pd_rm_bytes(int64_t n, char buf[32]);

/* a + b saturating at INT64_MIN/INT64_MAX (counts from a merged database may be anything). */
int64_t pd_rm_sat_sum(int64_t a, int64_t b);

/* last_ns - first_ns, or 0 when that is negative or overflows (times from a database made
 * elsewhere may be anything). */
int64_t pd_rm_duration_ns(int64_t first_ns, int64_t last_ns);

void pd_write_text(const struct pd_model *m, const struct pd_report_opts *o, FILE *f);
void pd_write_csv(const struct pd_model *m, const struct pd_report_opts *o, FILE *f);
void pd_write_md(const struct pd_model *m, const struct pd_report_opts *o, FILE *f);
void pd_write_json(const struct pd_model *m, const struct pd_report_opts *o, FILE *f);
void pd_write_html(const struct pd_model *m, const struct pd_report_opts *o, FILE *f);

#endif
