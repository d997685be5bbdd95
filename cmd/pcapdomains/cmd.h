/*
 * cmd.h - the pcapdomains command line: options common to all subcommands (parsed once, in
 * opts.c) and one entry point per subcommand (cmd_<name>.c). Only cmd/ decides exit codes.
 */
#ifndef PD_CMD_H
#define PD_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "subject.h"

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
	bool refresh_ptr;                  /* --refresh-ptr */
	const char *bpf;                   /* -f BPF */
	unsigned jobs;                     /* -j N (default 1) */
	bool quiet;                        /* --quiet */
	const char *title;                 /* --title */
	unsigned top;                      /* --top N */
	bool top_set;                      /* --top given (0 means all) */
	const char *select[PD_MAX_SELECT]; /* --capture ID|SHA256|PATH (repeatable) */
	unsigned n_select;
	const char *allow;                     /* --allow POLICY */
	int64_t dns_grace_ns;                  /* --dns-grace SECONDS (0: default, -1: none) */
	bool fail_on_new;                      /* --fail-on-new */
	struct pd_local local[PD_SUBJECT_MAX]; /* --local ADDR|CIDR (repeatable) */
	unsigned n_local;
	bool inbound, internal, control; /* --inbound, --internal, --control */
	unsigned sub;                    /* PD_SUB_* of the subcommand parsed */
	char **args;                     /* positional arguments */
	int n_args;
};

/* Subcommands, as bits of struct pd_optdef.subs (order: main.c's list). */
enum {
	PD_SUB_REPORT = 1 << 0,
	PD_SUB_INGEST = 1 << 1,
	PD_SUB_CHECK = 1 << 2,
	PD_SUB_DIFF = 1 << 3,
	PD_SUB_ALLOWLIST = 1 << 4,
	PD_SUB_MERGE = 1 << 5,
};

/* One row of the option table (opts.c): every option of every subcommand. */
struct pd_optdef {
	const char *lng;  /* long name without "--" */
	char shrt;        /* short letter or 0 */
	const char *arg;  /* argument name, NULL for a flag */
	int id;           /* getopt value */
	unsigned subs;    /* PD_SUB_* accepting it */
	unsigned ignored; /* PD_SUB_* accepting it without effect (documented) */
	const char *help; /* one line for the README table */
};
extern const struct pd_optdef pd_optdefs[];

/*
 * Parses argv (argv[0] is the subcommand name, which selects the options accepted through the
 * table). On --help prints help and returns -1 with *exit_code 0; on a usage error prints
 * "pcapdomains SUB: OPTION: message", the usage line (help's first line), and returns -1 with
 * *exit_code 2. '-' (standard input) given more than once and the same -o twice are errors.
 */
int pd_opts_parse(int argc, char **argv, const char *help, struct pd_opts *o, int *exit_code);

/* A usage error of subcommand sub: the message, then help's first line (exit code is 2). */
void pd_opts_usage_error(const char *sub, const char *help, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Usage error: --format and the extension of -o path disagree. */
void pd_opts_format_conflict(const struct pd_opts *o, const char *help, const char *path);

/* The README's option table (Markdown) from the option table. */
void pd_opts_markdown(FILE *f);

/* Prints "pcapdomains: " + message to stderr (one line). */
void pd_cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* After SIGINT/SIGTERM (analyze/interrupt.h): what the command kept, for the one line main()
 * prints ("interrupted by SIGTERM: KEPT; ..."). The last call wins. */
void pd_cmd_kept(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints that line and returns the exit status (128 + signal number). */
int pd_cmd_stopped(int sig);

int pd_cmd_report(int argc, char **argv);
int pd_cmd_ingest(int argc, char **argv);
int pd_cmd_check(int argc, char **argv);
int pd_cmd_diff(int argc, char **argv);
int pd_cmd_allowlist(int argc, char **argv);
int pd_cmd_merge(int argc, char **argv);

#endif
