/*
 * load.h - what check, allowlist and diff share: turning command-line inputs (captures or
 * databases) into a store, and listing its destinations one row per (name, server address,
 * port, protocol).
 */
#ifndef PD_LOAD_H
#define PD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd.h"
#include "store.h"

struct pd_dest {
	char *name; /* attributed name, NULL when none */
	char *server_ip;
	uint16_t port;
	char proto[8];
	char *evidence;   /* strongest evidence among the flows */
	char *candidates; /* '|'-joined, NULL when none */
	uint64_t flows, bytes_out, bytes_in;
	int64_t first_ns, last_ns;
	unsigned captures; /* in how many of the selected captures it was seen */
	char *via_ip;      /* through a proxy: its address (NULL when direct), port and DNS name */
	uint16_t via_port;
	char *via_name;
};

/* How many captures the selection holds (sel from pd_load_inputs; NULL: every capture). */
unsigned pd_load_n_captures(sqlite3 *db, const char *sel);

/* Capture paths from command-line arguments (pd_load_expand). */
struct pd_paths {
	char **v;
	size_t n, cap;
};

/*
 * Appends arg, or for a directory every capture directly inside it in name order: a regular
 * file not starting with '.' whose first bytes are a pcap or pcapng magic, or a gzip, zstd,
 * lz4 or xz magic (by content, whatever its name; the compressed ones are checked when read).
 * Other files are skipped with one note naming how many (unless quiet). Returns 0, or -1 after
 * printing an error. The same rules for ingest, report, check, diff and allowlist.
 */
int pd_load_expand(struct pd_paths *l, const char *arg, bool quiet);
void pd_paths_free(struct pd_paths *l);

/*
 * Says (stderr, unless quiet) that input i is the same content as an earlier input of this
 * run or a capture already in the database, naming both paths; ids[0..i) are the capture ids
 * of the inputs before it. Used by every subcommand that reads captures.
 */
void pd_load_note_duplicate(sqlite3 *db, char *const *paths, const int64_t *ids, size_t i,
                            int64_t id, bool quiet);

/* True when path is an SQLite database (by its header), false for anything else. */
bool pd_load_is_db(const char *path);

/*
 * Opens the store for inputs: an existing database (a single .db input, or --db with no
 * inputs), or --db/in-memory with each capture ingested (cut captures warned about on
 * stderr unless quiet). *sel is set to the captures to look at: NULL for every capture of
 * the store (a database given whole), else a JSON array of the ingested captures' ids
 * (free() it), so `--db audit.db new.pcapng` looks at new.pcapng only. Returns an exit code:
 * PD_EXIT_OK with *out set, or PD_EXIT_ERROR after printing the error.
 */
int pd_load_inputs(const struct pd_opts *o, char **inputs, int n_inputs, struct pd_store **out,
                   char **sel);

/* Every destination of the selected captures (sel from pd_load_inputs; NULL: all), sorted by
 * name then address; ICMPv6 to ff02::/16 and fe80::/10 (neighbour discovery, MLD) left out. */
PD_MUST_CHECK enum pd_err pd_load_dests(sqlite3 *db, const char *sel, const char *dirs,
                                        struct pd_dest **out, size_t *n,
                                        char errbuf[PD_ERRBUF_SIZE]);

/* The directions the gates judge (JSON array for pd_load_dests): egress and transit, plus
 * ingress (--inbound), internal (--internal) and control (--control). */
const char *pd_load_dirs(const struct pd_opts *o, char buf[80]);
void pd_load_dests_free(struct pd_dest *d, size_t n);

/*
 * Writes an output through fn(f, arg): to stdout for NULL or "-", else to a temporary file
 * next to path renamed over it when complete, so a failed run leaves no half-written file
 * (a path that exists and is not a regular file, like /dev/null, is written in place).
 * Returns PD_EXIT_OK, or PD_EXIT_ERROR after printing a message naming the file.
 */
int pd_load_write(const char *path, void (*fn)(FILE *f, void *arg), void *arg);

/* The destination's display key: its name, or its address when unnamed. */
static inline const char *pd_dest_key(const struct pd_dest *d)
{
	return d->name ? d->name : d->server_ip;
}

#endif
