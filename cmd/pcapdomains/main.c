/*
 * main.c - pcapdomains: which destinations did this capture talk to, and how sure are we?
 * Dispatches to one cmd_<sub>.c per subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "interrupt.h"

static const char usage[] =
        "usage: pcapdomains SUBCOMMAND [options] ...\n"
        "\n"
        "  report  [options] CAPTURE...      ingest, attribute and report (the main job)\n"
        "  report  --db FILE [options]       report from an existing database\n"
        "  ingest  --db FILE CAPTURE|DIR...  add captures to a persistent database\n"
        "  check   --allow POLICY CAPTURE... exit 1 when a destination is outside the policy\n"
        "  diff    OLD NEW                   destinations added/removed (captures or databases)\n"
        "  allowlist CAPTURE...              write a policy from what was observed\n"
        "  merge   --db OUT IN.db...         combine databases made elsewhere\n"
        "\n"
        "'pcapdomains SUBCOMMAND --help' describes each. --version prints the version.\n"
        "Exit codes: 0 ok, 1 policy violation (check, diff --fail-on-new), 2 usage or input "
        "error\n"
        "(a write to a closed pipe or past ulimit -f included), 130 SIGINT, 143 SIGTERM (work\n"
        "in progress rolled back, temporary files removed).\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} subs[] = {
	{ "report", pd_cmd_report }, { "ingest", pd_cmd_ingest },       { "check", pd_cmd_check },
	{ "diff", pd_cmd_diff },     { "allowlist", pd_cmd_allowlist }, { "merge", pd_cmd_merge },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(usage, stderr);
		return PD_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("pcapdomains %s\n", PD_VERSION);
		return PD_EXIT_OK;
	}
	if (!strcmp(argv[1], "--options-markdown")) { /* the README's option table */
		pd_opts_markdown(stdout);
		return PD_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return PD_EXIT_OK;
	}
	pd_interrupt_install();
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name)) {
			int rc = subs[i].fn(argc - 1, argv + 1);

			return pd_interrupted() ? pd_cmd_stopped(pd_interrupted()) : rc;
		}
	pd_cmd_error("unknown subcommand '%s'", argv[1]);
	fputs(usage, stderr);
	return PD_EXIT_ERROR;
}
