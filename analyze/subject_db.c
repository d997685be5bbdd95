/*
 * subject_db.c - the subject's local addresses in the database (capture_locals), inference of
 * them from a capture's flows, and flows.direction (see subject.h).
 *
 * Inference (only when neither the file nor --local gave any address), conservative:
 *   0. The capture's own marks: the source addresses of packets the capturing host sent
 *      (Linux cooked captures' packet type, as `tcpdump -i any` writes; pcapng epb_flags
 *      outbound) that never were the source of a packet it received (a router or bridge
 *      receives, then sends, other hosts' packets), if there are at most PD_SUBJECT_MAX_HOST
 *      of them (more: this rule is not used).
 *   1. Else every non-loopback address that asked a DNS server (a DNS flow to port 53, udp or tcp)
 *      is local, if there are at most PD_SUBJECT_MAX_INFERRED of them: the subject resolves
 *      names through the capture's DNS. More than that is a host or bridge capture of many
 *      clients: nothing is inferred.
 *   2. With no DNS client: the address that opened (TCP SYN seen) at least 2 connections and
 *      more than half of all the connections whose opening was seen is local.
 *   Otherwise nothing: every flow is transit (each client its own subject) and the report
 *   lists every flow's server as a destination, as for a capture with no subject at all.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "decode.h"
#include "flow.h"
#include "subject.h"

static enum pd_err db_fail(sqlite3 *db, const char *what, char errbuf[PD_ERRBUF_SIZE])
{
	return pd_errf(errbuf, PD_ERR_DB, "%s while %s", sqlite3_errmsg(db), what);
}

static void add_inferred(struct pd_subject *s, const char *ip)
{
	struct pd_local l;

	memset(&l, 0, sizeof(l));
	if (!ip || pd_addr_parse(ip, &l.addr) != PD_OK)
		return;
	l.prefix = l.link_prefix = l.addr.family == 4 ? 32 : 128;
	l.source = PD_LOCAL_INFERRED;
	pd_subject_add(s, &l);
}

enum pd_err pd_subject_infer(sqlite3 *db, int64_t capture_id, const struct pd_subject *host,
                             struct pd_subject *s, char errbuf[PD_ERRBUF_SIZE])
{
	struct pd_subject found;
	sqlite3_stmt *st = NULL;
	struct pd_addr a;
	int64_t total = 0, top = 0;
	const char *ip;
	int rc;
	unsigned n = 0;

	if (s->n)
		return PD_OK;
	if (host && host->n) {
		*s = *host;
		return PD_OK;
	}
	memset(&found, 0, sizeof(found));
	rc = sqlite3_prepare_v2(db,
	                        "SELECT DISTINCT client_ip FROM flows WHERE capture_id = ?1 AND "
	                        "app_proto = 'dns' AND server_port = 53 AND proto IN "
	                        "('udp', 'tcp') ORDER BY client_ip",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, "inferring local addresses", errbuf);
	sqlite3_bind_int64(st, 1, capture_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ip = (const char *)sqlite3_column_text(st, 0);
		if (!ip || pd_addr_parse(ip, &a) != PD_OK || pd_subject_is_local(NULL, &a))
			continue; /* loopback is local anyway */
		if (++n <= PD_SUBJECT_MAX_INFERRED)
			add_inferred(&found, ip);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "inferring local addresses", errbuf);
	if (n > PD_SUBJECT_MAX_INFERRED)
		return PD_OK; /* many clients: no single subject */
	if (n) {
		*s = found;
		return PD_OK;
	}
	rc = sqlite3_prepare_v2(db,
	                        "SELECT client_ip, count(*), (SELECT count(*) FROM flows WHERE "
	                        "capture_id = ?1 AND tcp_state IS NOT NULL AND tcp_state <> "
	                        "'midstream') FROM flows WHERE capture_id = ?1 AND tcp_state IS "
	                        "NOT NULL AND tcp_state <> 'midstream' GROUP BY client_ip ORDER "
	                        "BY 2 DESC, 1 LIMIT 1",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, "inferring local addresses", errbuf);
	sqlite3_bind_int64(st, 1, capture_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ip = (const char *)sqlite3_column_text(st, 0);
		top = sqlite3_column_int64(st, 1);
		total = sqlite3_column_int64(st, 2);
		if (top >= 2 && 2 * top > total && ip && pd_addr_parse(ip, &a) == PD_OK &&
		    !pd_subject_is_local(NULL, &a))
			add_inferred(s, ip);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, "inferring local addresses", errbuf);
	return PD_OK;
}

/* pd_flow_dir(proto, client_ip, client_port, server_ip, server_port) */
static void fn_dir(sqlite3_context *fc, int argc, sqlite3_value **v)
{
	const struct pd_subject *s = sqlite3_user_data(fc);
	const char *proto = (const char *)sqlite3_value_text(v[0]);
	const char *ci = (const char *)sqlite3_value_text(v[1]);
	const char *si = (const char *)sqlite3_value_text(v[3]);
	struct pd_addr c, a;
	uint8_t p = 0;

	(void)argc;
	if (!proto || !ci || !si || pd_addr_parse(ci, &c) != PD_OK ||
	    pd_addr_parse(si, &a) != PD_OK) {
		sqlite3_result_text(fc, "transit", -1, SQLITE_STATIC);
		return;
	}
	if (!strcmp(proto, "tcp"))
		p = PD_L4_TCP;
	else if (!strcmp(proto, "udp"))
		p = PD_L4_UDP;
	else if (!strcmp(proto, "icmp"))
		p = PD_L4_ICMP;
	else if (!strcmp(proto, "icmp6"))
		p = PD_L4_ICMP6;
	else if (!strncmp(proto, "ip-", 3))
		p = (uint8_t)atoi(proto + 3);
	sqlite3_result_text(
	        fc,
	        pd_dir_name(pd_subject_flow_dir(s, p, &c, (uint16_t)sqlite3_value_int(v[2]), &a,
	                                        (uint16_t)sqlite3_value_int(v[4]))),
	        -1, SQLITE_STATIC);
}

enum pd_err pd_subject_store(sqlite3 *db, int64_t capture_id, const struct pd_subject *s,
                             char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3_stmt *st = NULL;
	char ip[64];
	unsigned i;
	int rc;

	rc = sqlite3_prepare_v2(db,
	                        "INSERT OR IGNORE INTO capture_locals(capture_id, ip, prefix, "
	                        "link_prefix, source, iface) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                        -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i < s->n; i++) {
		const struct pd_local *l = &s->l[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, capture_id);
		sqlite3_bind_text(st, 2, pd_addr_str(&l->addr, ip, sizeof(ip)), -1,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, l->prefix);
		if (l->source == PD_LOCAL_FILE)
			sqlite3_bind_int(st, 4, l->link_prefix);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, pd_local_source_name(l->source), -1, SQLITE_STATIC);
		if (l->iface[0])
			sqlite3_bind_text(st, 6, l->iface, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 6);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return db_fail(db, "storing local addresses", errbuf);
	if (sqlite3_create_function(db, "pd_flow_dir", 5, SQLITE_UTF8, (void *)(uintptr_t)s, fn_dir,
	                            NULL, NULL) != SQLITE_OK)
		return db_fail(db, "registering pd_flow_dir", errbuf);
	rc = sqlite3_prepare_v2(db,
	                        "UPDATE flows SET direction = pd_flow_dir(proto, client_ip, "
	                        "client_port, server_ip, server_port) WHERE capture_id = ?1 AND "
	                        "direction IS NOT pd_flow_dir(proto, client_ip, client_port, "
	                        "server_ip, server_port)",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, capture_id);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	sqlite3_create_function(db, "pd_flow_dir", 5, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, "setting flow directions", errbuf);
	return PD_OK;
}

enum pd_err pd_subject_load(sqlite3 *db, int64_t capture_id, struct pd_subject *s,
                            char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3_stmt *st = NULL;
	struct pd_local l;
	const char *ip, *src, *ifc;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = sqlite3_prepare_v2(db,
	                        "SELECT ip, prefix, link_prefix, source, iface FROM capture_locals "
	                        "WHERE capture_id = ?1 ORDER BY rowid",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, "reading local addresses", errbuf);
	sqlite3_bind_int64(st, 1, capture_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof(l));
		ip = (const char *)sqlite3_column_text(st, 0);
		if (!ip || pd_addr_parse(ip, &l.addr) != PD_OK)
			continue;
		l.prefix = (uint8_t)sqlite3_column_int(st, 1);
		if (l.prefix > (l.addr.family == 4 ? 32 : 128))
			continue;
		l.link_prefix = (uint8_t)sqlite3_column_int(st, 2);
		src = (const char *)sqlite3_column_text(st, 3);
		l.source = src && !strcmp(src, "file")     ? PD_LOCAL_FILE
		           : src && !strcmp(src, "option") ? PD_LOCAL_OPTION
		                                           : PD_LOCAL_INFERRED;
		ifc = (const char *)sqlite3_column_text(st, 4);
		if (ifc)
			snprintf(l.iface, sizeof(l.iface), "%s", ifc);
		pd_subject_add(s, &l);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "reading local addresses", errbuf);
	return PD_OK;
}
