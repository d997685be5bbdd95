/*
 * opts.c - the one option table of every subcommand. Each row says which subcommands accept the
 * option, in which it is accepted but has no effect (documented, so scripts can pass the same
 * options everywhere), and its help text. The README's option table is generated from it
 * (`pcapdomains --options-markdown`; tests/e2e/test_options.sh keeps them in sync).
 *
 * Every usage error names the option at fault ("--top: needs a number, got 'x'") and prints
 * the subcommand's usage line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "interrupt.h"

enum {
	OPT_DB = 256,
	OPT_FORMAT,
	OPT_GEOIP,
	OPT_RESOLVER,
	OPT_NO_RESOLVE,
	OPT_REFRESH_PTR,
	OPT_QUIET,
	OPT_TITLE,
	OPT_TOP,
	OPT_CAPTURE,
	OPT_ALLOW,
	OPT_GRACE,
	OPT_FAIL_ON_NEW,
	OPT_VERSION,
	OPT_LOCAL,
	OPT_INBOUND,
	OPT_INTERNAL,
	OPT_CONTROL,
};

#define ALL                                                                                        \
	(PD_SUB_REPORT | PD_SUB_INGEST | PD_SUB_CHECK | PD_SUB_DIFF | PD_SUB_ALLOWLIST |           \
	 PD_SUB_MERGE)
#define READS  (PD_SUB_REPORT | PD_SUB_INGEST | PD_SUB_CHECK | PD_SUB_DIFF | PD_SUB_ALLOWLIST)
#define JUDGES (PD_SUB_CHECK | PD_SUB_DIFF | PD_SUB_ALLOWLIST)

/* The table. New options go here (and into struct pd_opts and the switch below). */
const struct pd_optdef pd_optdefs[] = {
	{ "db", 0, "FILE", OPT_DB, ALL, 0,
	  "the database: kept there (report, check, diff, allowlist), required by ingest and "
	  "merge (the output)" },
	{ "output", 'o', "FILE", 'o', PD_SUB_REPORT | PD_SUB_CHECK | PD_SUB_DIFF | PD_SUB_ALLOWLIST,
	  0,
	  "write to FILE, format from its extension or --format; '-' is stdout (once); "
	  "devices and pipes are written in place" },
	{ "format", 0, "NAME", OPT_FORMAT,
	  PD_SUB_REPORT | PD_SUB_CHECK | PD_SUB_DIFF | PD_SUB_ALLOWLIST, 0,
	  "output format for stdout and '-o -'; must agree with an -o extension" },
	{ "geoip", 0, "FILE|DIR", OPT_GEOIP, PD_SUB_REPORT | JUDGES, JUDGES,
	  "GeoIP/ASN .mmdb databases (repeatable); a bad one in a DIR is skipped with a warning" },
	{ "resolver", 0, "IP[:PORT]", OPT_RESOLVER, PD_SUB_REPORT | JUDGES, JUDGES,
	  "DNS server for reverse lookups of unnamed addresses" },
	{ "no-resolve", 0, NULL, OPT_NO_RESOLVE, PD_SUB_REPORT | JUDGES, JUDGES,
	  "no reverse lookups (cached answers are used)" },
	{ "refresh-ptr", 0, NULL, OPT_REFRESH_PTR, PD_SUB_REPORT | JUDGES, JUDGES,
	  "look up again addresses whose cached reverse lookup failed, even within its TTL" },
	{ "filter", 'f', "BPF", 'f', READS, 0, "only frames matching this capture filter" },
	{ "jobs", 'j', "N", 'j', READS, 0, "read up to N captures at once (1..256, default 1)" },
	{ "dns-grace", 0, "SECONDS", OPT_GRACE, READS, 0,
	  "how long past its TTL a DNS answer still names a flow (default 60)" },
	{ "allow", 0, "POLICY", OPT_ALLOW, PD_SUB_REPORT | PD_SUB_CHECK, 0,
	  "policy file: report marks each destination, check requires it" },
	{ "capture", 0, "SEL", OPT_CAPTURE, PD_SUB_REPORT, 0,
	  "with --db: only this capture (id, SHA-256 or path); repeatable" },
	{ "title", 0, "TEXT", OPT_TITLE, PD_SUB_REPORT, 0, "report title" },
	{ "top", 0, "N", OPT_TOP, PD_SUB_REPORT, 0,
	  "rows in the table and the Markdown report (default 25; 0 = all)" },
	{ "fail-on-new", 0, NULL, OPT_FAIL_ON_NEW, PD_SUB_DIFF, 0,
	  "exit 1 when NEW has a destination OLD has not" },
	{ "quiet", 0, NULL, OPT_QUIET, ALL, 0,
	  "no warnings or progress; check: nothing when all is allowed; diff: no output, "
	  "the exit status only" },
	{ "local", 0, "ADDR|CIDR", OPT_LOCAL, READS, 0,
	  "the audited subject's own address or range (repeatable); otherwise read from the "
	  "capture's interface blocks or inferred" },
	{ "inbound", 0, NULL, OPT_INBOUND, JUDGES, 0,
	  "also judge inbound connections (to the subject's services)" },
	{ "internal", 0, NULL, OPT_INTERNAL, JUDGES, 0,
	  "also judge internal connections (both ends local)" },
	{ "control", 0, NULL, OPT_CONTROL, JUDGES, 0,
	  "also judge link-local control traffic (ND, MLD, IGMP, DHCP, mDNS, LLMNR, SSDP)" },
	{ "help", 'h', NULL, 'h', ALL, 0, "this subcommand's help" },
	{ "version", 0, NULL, OPT_VERSION, ALL, 0, "the version" },
	{ NULL, 0, NULL, 0, 0, 0, NULL },
};

static const char *const sub_names[] = {
	"report", "ingest", "check", "diff", "allowlist", "merge"
};

static unsigned sub_bit(const char *name)
{
	unsigned i;

	for (i = 0; i < sizeof(sub_names) / sizeof(sub_names[0]); i++)
		if (!strcmp(name, sub_names[i]))
			return 1u << i;
	return 0;
}

void pd_cmd_error(const char *fmt, ...)
{
	va_list ap;

	if (pd_interrupted()) /* the failures a stop causes: main() says it in one line */
		return;
	fputs("pcapdomains: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static const struct pd_optdef *def_of(int id)
{
	const struct pd_optdef *d;

	for (d = pd_optdefs; d->lng; d++)
		if (d->id == id)
			return d;
	return NULL;
}

/* "--name" or "-x/--name" of an option, for messages. */
static const char *opt_label(const struct pd_optdef *d, char *buf, size_t n)
{
	if (d->shrt)
		snprintf(buf, n, "-%c/--%s", d->shrt, d->lng);
	else
		snprintf(buf, n, "--%s", d->lng);
	return buf;
}

void pd_opts_usage_error(const char *sub, const char *help, const char *fmt, ...)
{
	const char *nl = strchr(help, '\n');
	va_list ap;

	fprintf(stderr, "pcapdomains %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, "%.*s\n", nl ? (int)(nl - help) : (int)strlen(help), help);
	fprintf(stderr, "Try 'pcapdomains %s --help'.\n", sub);
}

int pd_opts_parse(int argc, char **argv, const char *help, struct pd_opts *o, int *exit_code)
{
	struct option lopts[sizeof(pd_optdefs) / sizeof(pd_optdefs[0])];
	char shorts[64] = ":", lbl[64];
	const char *sub = argv[0];
	const struct pd_optdef *d;
	unsigned bit = sub_bit(sub), n = 0;
	size_t sl = 1;
	unsigned long v;
	int c, li;

	memset(o, 0, sizeof(*o));
	o->jobs = 1;
	o->sub = bit;
	for (d = pd_optdefs; d->lng; d++, n++) {
		lopts[n].name = d->lng;
		lopts[n].has_arg = d->arg ? required_argument : no_argument;
		lopts[n].flag = NULL;
		lopts[n].val = d->id;
		if (d->shrt && sl + 3 < sizeof(shorts)) {
			shorts[sl++] = d->shrt;
			if (d->arg)
				shorts[sl++] = ':';
		}
	}
	memset(&lopts[n], 0, sizeof(lopts[n]));
	shorts[sl] = '\0';
	*exit_code = PD_EXIT_ERROR;
	optind = 1;
	opterr = 0;
	for (;;) {
		li = -1;
		optopt = 0;
		c = getopt_long(argc, argv, shorts, lopts, &li);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			char name[64];
			const char *a = argv[optind - 1];
			if (optopt && optopt < 256)
				snprintf(name, sizeof(name), "-%c", optopt);
			else if (optopt && (d = def_of(optopt)))
				snprintf(name, sizeof(name), "--%s", d->lng);
			else
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
			pd_opts_usage_error(
			        sub, help,
			        c == '?' ? "%s: unknown option" : "%s: needs an argument", name);
			return -1;
		}
		d = def_of(c);
		if (!d)
			continue;
		if (!(d->subs & bit)) {
			pd_opts_usage_error(sub, help, "%s: not an option of %s",
			                    opt_label(d, lbl, sizeof(lbl)), sub);
			return -1;
		}
		opt_label(d, lbl, sizeof(lbl));
		switch (c) {
		case 'h':
			fputs(help, stdout);
			*exit_code = PD_EXIT_OK;
			return -1;
		case OPT_VERSION:
			printf("pcapdomains %s\n", PD_VERSION);
			*exit_code = PD_EXIT_OK;
			return -1;
		case OPT_DB:
			if (o->db) {
				pd_opts_usage_error(sub, help, "%s: given twice", lbl);
				return -1;
			}
			o->db = optarg;
			break;
		case 'o': {
			unsigned k;
			if (o->n_outputs == PD_MAX_OUTPUTS) {
				pd_opts_usage_error(sub, help, "%s: more than %d outputs", lbl,
				                    PD_MAX_OUTPUTS);
				return -1;
			}
			if (!*optarg) {
				pd_opts_usage_error(sub, help, "%s: empty file name", lbl);
				return -1;
			}
			for (k = 0; k < o->n_outputs; k++)
				if (!strcmp(o->outputs[k], optarg)) {
					pd_opts_usage_error(sub, help, "%s: '%s' given twice", lbl,
					                    optarg);
					return -1;
				}
			o->outputs[o->n_outputs++] = optarg;
			break;
		}
		case OPT_FORMAT:
			if (o->format) {
				pd_opts_usage_error(sub, help, "%s: given twice", lbl);
				return -1;
			}
			o->format = optarg;
			break;
		case OPT_GEOIP:
			if (o->n_geoip == PD_MAX_GEOIP) {
				pd_opts_usage_error(sub, help, "%s: more than %d", lbl,
				                    PD_MAX_GEOIP);
				return -1;
			}
			o->geoip[o->n_geoip++] = optarg;
			break;
		case OPT_RESOLVER:
			o->resolver = optarg;
			break;
		case OPT_NO_RESOLVE:
			o->no_resolve = true;
			break;
		case OPT_REFRESH_PTR:
			o->refresh_ptr = true;
			break;
		case 'f':
			o->bpf = optarg;
			break;
		case 'j':
			if (parse_uint(optarg, 256, &v) || v == 0) {
				pd_opts_usage_error(sub, help, "%s: needs 1..256, got '%s'", lbl,
				                    optarg);
				return -1;
			}
			o->jobs = (unsigned)v;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_TOP:
			if (parse_uint(optarg, 1000000, &v)) {
				pd_opts_usage_error(sub, help, "%s: needs a number, got '%s'", lbl,
				                    optarg);
				return -1;
			}
			o->top = (unsigned)v;
			o->top_set = true;
			break;
		case OPT_CAPTURE:
			if (o->n_select == PD_MAX_SELECT) {
				pd_opts_usage_error(sub, help, "%s: more than %d", lbl,
				                    PD_MAX_SELECT);
				return -1;
			}
			o->select[o->n_select++] = optarg;
			break;
		case OPT_ALLOW:
			o->allow = optarg;
			break;
		case OPT_GRACE:
			if (parse_uint(optarg, 86400 * 365, &v)) {
				pd_opts_usage_error(sub, help, "%s: needs seconds, got '%s'", lbl,
				                    optarg);
				return -1;
			}
			/* 0 in struct pd_attr_opts means "the default": an explicit 0 is -1, no
			 * grace. */
			o->dns_grace_ns = v ? (int64_t)v * 1000000000LL : -1;
			break;
		case OPT_FAIL_ON_NEW:
			o->fail_on_new = true;
			break;
		case OPT_LOCAL: {
			char eb[PD_ERRBUF_SIZE];

			if (o->n_local == PD_SUBJECT_MAX) {
				pd_opts_usage_error(sub, help, "--local: more than %d",
				                    PD_SUBJECT_MAX);
				return -1;
			}
			if (pd_local_parse(optarg, &o->local[o->n_local], eb) != PD_OK) {
				pd_opts_usage_error(
				        sub, help,
				        "--local: needs an IPv4/IPv6 address or CIDR, got '%s'",
				        optarg);
				return -1;
			}
			o->n_local++;
			break;
		}
		case OPT_INBOUND:
			o->inbound = true;
			break;
		case OPT_INTERNAL:
			o->internal = true;
			break;
		case OPT_CONTROL:
			o->control = true;
			break;
		}
	}
	if (o->resolver && o->no_resolve) {
		pd_opts_usage_error(sub, help, "--resolver and --no-resolve: conflict");
		return -1;
	}
	o->args = argv + optind;
	o->n_args = argc - optind;
	{
		int i, stdin_args = 0;
		for (i = 0; i < o->n_args; i++)
			if (!strcmp(o->args[i], "-"))
				stdin_args++;
		if (stdin_args > 1) {
			pd_opts_usage_error(sub, help, "'-' (standard input) given %d times",
			                    stdin_args);
			return -1;
		}
	}
	*exit_code = PD_EXIT_OK;
	return 0;
}

void pd_opts_format_conflict(const struct pd_opts *o, const char *help, const char *path)
{
	pd_opts_usage_error(sub_names[__builtin_ctz(o->sub ? o->sub : 1)], help,
	                    "--format %s conflicts with -o/--output %s (its extension says "
	                    "another format)",
	                    o->format, path);
}

/* Markdown table cell text: '|' escaped. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void pd_opts_markdown(FILE *f)
{
	const struct pd_optdef *d;
	unsigned i, ns = sizeof(sub_names) / sizeof(sub_names[0]);
	char lbl[64];

	fputs("| Option |", f);
	for (i = 0; i < ns; i++)
		fprintf(f, " %s |", sub_names[i]);
	fputs(" What it does |\n|---|", f);
	for (i = 0; i < ns; i++)
		fputs(":-:|", f);
	fputs("---|\n", f);
	for (d = pd_optdefs; d->lng; d++) {
		if (d->shrt)
			snprintf(lbl, sizeof(lbl), "`-%c`, `--%s%s%s`", d->shrt, d->lng,
			         d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(lbl, sizeof(lbl), "`--%s%s%s`", d->lng, d->arg ? " " : "",
			         d->arg ? d->arg : "");
		fputs("| ", f);
		md_cell(f, lbl);
		fputs(" |", f);
		for (i = 0; i < ns; i++)
			fputs(!(d->subs & (1u << i))     ? " |"
			      : (d->ignored & (1u << i)) ? " ignored |"
			                                 : " yes |",
			      f);
		fputc(' ', f);
		md_cell(f, d->help);
		fputs(" |\n", f);
	}
}
