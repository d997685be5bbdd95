/*
 * cmd.h - the pcapdomains command line: options common to all subcommands (parsed once, in
 * opts.c) and one entry point per subcommand (cmd_<name>.c). Only cmd/ decides exit codes.
 */
#ifndef PD_CMD_H
#define PD_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define PD_MAX_OUTPUTS 16
#define PD_MAX_GEOIP   8
#define PD_MAX_SELECT  256

struct pd_opts {
	const char *db;                      /* --db FILE */
	const char *outputs[PD_MAX_OUTPUTS]; /* -o FILE (repeatable; "-" = stdout) */
	unsigned n_outputs;
	const char *format;              /* --format NAME */
	const char *geoip[PD_MAX_GEOIP]; /* --geoip FILE|DIR (repeatable) */
	unsigned n_geoip;
	const char *resolver;              /* --resolver IP[:PORT] */
	bool no_resolve;                   /* --no-resolve */
	const char *bpf;                   /* -f BPF */
	unsigned jobs;                     /* -j N (default 1) */
	bool quiet;                        /* --quiet */
	const char *title;                 /* --title */
	unsigned top;                      /* --top N */
	const char *select[PD_MAX_SELECT]; /* --capture ID|SHA256|PATH (repeatable) */
	unsigned n_select;
	const char *allow;    /* --allow POLICY */
	int64_t dns_grace_ns; /* --dns-grace SECONDS (0: default, -1: none) */
	bool fail_on_new;     /* --fail-on-new */
	char **args;          /* positional arguments */
	int n_args;
};

/* Option sets a subcommand accepts (bit mask over the options above). */
enum {
	PD_O_DB = 1 << 0,
	PD_O_OUTPUT = 1 << 1,
	PD_O_FORMAT = 1 << 2,
	PD_O_GEOIP = 1 << 3,
	PD_O_RESOLVER = 1 << 4,
	PD_O_BPF = 1 << 5,
	PD_O_JOBS = 1 << 6,
	PD_O_TITLE = 1 << 7,
	PD_O_TOP = 1 << 8,
	PD_O_SELECT = 1 << 9,
	PD_O_ALLOW = 1 << 10,
	PD_O_GRACE = 1 << 11,
	PD_O_FAIL_ON_NEW = 1 << 12,
};

/*
 * Parses argv (argv[0] is the subcommand name) accepting the options in mask, plus --quiet
 * and --help. On --help prints usage (help text) and returns -1 with *exit_code 0; on a usage
 * error prints "pcapdomains SUB: message" and the usage line, returns -1 with *exit_code 2.
 */
int pd_opts_parse(int argc, char **argv, unsigned mask, const char *help, struct pd_opts *o,
                  int *exit_code);

/* Prints "pcapdomains: " + message to stderr (one line). */
void pd_cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int pd_cmd_report(int argc, char **argv);
int pd_cmd_ingest(int argc, char **argv);
int pd_cmd_check(int argc, char **argv);
int pd_cmd_diff(int argc, char **argv);
int pd_cmd_allowlist(int argc, char **argv);
int pd_cmd_merge(int argc, char **argv);

#endif
