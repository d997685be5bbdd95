/*
 * opts.c - one getopt_long table for every subcommand; each subcommand passes the mask of
 * options it accepts, so an option means the same thing everywhere.
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

enum {
	OPT_DB = 256,
	OPT_FORMAT,
	OPT_GEOIP,
	OPT_RESOLVER,
	OPT_NO_RESOLVE,
	OPT_QUIET,
	OPT_TITLE,
	OPT_TOP,
	OPT_CAPTURE,
	OPT_ALLOW,
	OPT_GRACE,
	OPT_FAIL_ON_NEW,
	OPT_HELP,
	OPT_VERSION,
	OPT_LOCAL,
	OPT_INBOUND,
	OPT_INTERNAL,
	OPT_CONTROL,
};

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "geoip", required_argument, NULL, OPT_GEOIP },
	{ "resolver", required_argument, NULL, OPT_RESOLVER },
	{ "no-resolve", no_argument, NULL, OPT_NO_RESOLVE },
	{ "filter", required_argument, NULL, 'f' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "dns-grace", required_argument, NULL, OPT_GRACE },
	{ "fail-on-new", no_argument, NULL, OPT_FAIL_ON_NEW },
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "inbound", no_argument, NULL, OPT_INBOUND },
	{ "internal", no_argument, NULL, OPT_INTERNAL },
	{ "control", no_argument, NULL, OPT_CONTROL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void pd_cmd_error(const char *fmt, ...)
{
	va_list ap;

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

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Which mask bit an option needs (0: always accepted). */
static unsigned opt_bit(int c)
{
	switch (c) {
	case OPT_DB:
		return PD_O_DB;
	case 'o':
		return PD_O_OUTPUT;
	case OPT_FORMAT:
		return PD_O_FORMAT;
	case OPT_GEOIP:
		return PD_O_GEOIP;
	case OPT_RESOLVER:
	case OPT_NO_RESOLVE:
		return PD_O_RESOLVER;
	case 'f':
		return PD_O_BPF;
	case 'j':
		return PD_O_JOBS;
	case OPT_TITLE:
		return PD_O_TITLE;
	case OPT_TOP:
		return PD_O_TOP;
	case OPT_CAPTURE:
		return PD_O_SELECT;
	case OPT_ALLOW:
		return PD_O_ALLOW;
	case OPT_GRACE:
		return PD_O_GRACE;
	case OPT_FAIL_ON_NEW:
		return PD_O_FAIL_ON_NEW;
	case OPT_LOCAL:
		return PD_O_LOCAL;
	case OPT_INBOUND:
	case OPT_INTERNAL:
	case OPT_CONTROL:
		return PD_O_DIRS;
	default:
		return 0;
	}
}

static int usage_error(const char *sub, const char *help, int *exit_code, const char *msg,
                       const char *arg)
{
	const char *nl = strchr(help, '\n');

	fprintf(stderr, "pcapdomains %s: %s%s%s\n", sub, msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "%.*s\n", nl ? (int)(nl - help) : (int)strlen(help), help);
	fprintf(stderr, "Try 'pcapdomains %s --help'.\n", sub);
	*exit_code = PD_EXIT_ERROR;
	return -1;
}

int pd_opts_parse(int argc, char **argv, unsigned mask, const char *help, struct pd_opts *o,
                  int *exit_code)
{
	const char *sub = argv[0];
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->jobs = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:j:h", long_opts, NULL)) != -1) {
		if (c == '?')
			return usage_error(sub, help, exit_code, "unknown option",
			                   argv[optind - 1]);
		if (c == ':')
			return usage_error(sub, help, exit_code, "option needs an argument",
			                   argv[optind - 1]);
		if (opt_bit(c) && !(opt_bit(c) & mask))
			return usage_error(sub, help, exit_code, "option not accepted here",
			                   argv[optind - 1]);
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
			o->db = optarg;
			break;
		case 'o':
			if (o->n_outputs == PD_MAX_OUTPUTS)
				return usage_error(sub, help, exit_code, "too many -o", NULL);
			o->outputs[o->n_outputs++] = optarg;
			break;
		case OPT_FORMAT:
			o->format = optarg;
			break;
		case OPT_GEOIP:
			if (o->n_geoip == PD_MAX_GEOIP)
				return usage_error(sub, help, exit_code, "too many --geoip", NULL);
			o->geoip[o->n_geoip++] = optarg;
			break;
		case OPT_RESOLVER:
			o->resolver = optarg;
			break;
		case OPT_NO_RESOLVE:
			o->no_resolve = true;
			break;
		case 'f':
			o->bpf = optarg;
			break;
		case 'j':
			if (parse_uint(optarg, 256, &v) || v == 0)
				return usage_error(sub, help, exit_code, "-j needs 1..256", optarg);
			o->jobs = (unsigned)v;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_TOP:
			if (parse_uint(optarg, 1000000, &v))
				return usage_error(sub, help, exit_code, "--top needs a number",
				                   optarg);
			o->top = (unsigned)v;
			break;
		case OPT_CAPTURE:
			if (o->n_select == PD_MAX_SELECT)
				return usage_error(sub, help, exit_code, "too many --capture",
				                   NULL);
			o->select[o->n_select++] = optarg;
			break;
		case OPT_ALLOW:
			o->allow = optarg;
			break;
		case OPT_GRACE:
			if (parse_uint(optarg, 86400 * 365, &v))
				return usage_error(sub, help, exit_code,
				                   "--dns-grace needs seconds", optarg);
			/* 0 in struct pd_attr_opts means "the default": an explicit 0 is -1, no
			 * grace. */
			o->dns_grace_ns = v ? (int64_t)v * 1000000000LL : -1;
			break;
		case OPT_FAIL_ON_NEW:
			o->fail_on_new = true;
			break;
		case OPT_LOCAL: {
			char eb[PD_ERRBUF_SIZE];

			if (o->n_local == PD_SUBJECT_MAX)
				return usage_error(sub, help, exit_code, "too many --local", NULL);
			if (pd_local_parse(optarg, &o->local[o->n_local], eb) != PD_OK)
				return usage_error(sub, help, exit_code,
				                   "--local needs an IPv4/IPv6 address or CIDR",
				                   optarg);
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
	if (o->resolver && o->no_resolve)
		return usage_error(sub, help, exit_code, "--resolver and --no-resolve conflict",
		                   NULL);
	o->args = argv + optind;
	o->n_args = argc - optind;
	return 0;
}
