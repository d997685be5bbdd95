/*
 * cmd_diff.c - `pcapdomains diff OLD NEW`: the destinations added and removed between two
 * captures or databases ("what does the new image call that the old one did not?").
 *
 * A destination here is (name, port, protocol), or (address, port, protocol) where no name is
 * known, so a service that moved to another address of the same name is not a change. Names
 * compare case-insensitively (DNS names are), so WWW.Example.com in an SNI is not drift.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "diff.h"
#include "load.h"

static const char help[] =
        "usage: pcapdomains diff [options] OLD NEW\n"
        "\n"
        "OLD and NEW are each a capture (pcap/pcapng) or a pcapdomains database. Lists the\n"
        "destinations (name or, when unnamed, address; with port and protocol) that NEW has and\n"
        "OLD has not (added) and the reverse (removed).\n"
        "\n"
        "  -o FILE            write the diff to FILE; the format follows the extension\n"
        "                     (.html .csv .md .json .txt; '-' is stdout with --format);\n"
        "                     repeatable\n"
        "  --format FMT       text, html, csv, md or json (default: text on stdout)\n"
        "  --fail-on-new      exit 1 when something was added\n"
        "  --quiet            nothing on stdout (-o files are still written)\n"
        "  -f, --filter BPF   only packets matching this filter\n"
        "  --dns-grace SEC    seconds past a DNS TTL an answer still names a flow (default 60)\n"
        "  --local ADDR|CIDR  the audited subject's address or network (repeatable); without\n"
        "                     it: the capture's interface addresses, else inferred\n"
        "  --inbound          also judge inbound connections (someone connecting to the subject)\n"
        "  --internal         also judge internal traffic (both ends local, loopback)\n"
        "  --control          also judge link-local control traffic (ND, DHCP, mDNS, ...)\n"
        "\n"
        "Example: pcapdomains diff --fail-on-new -o drift.md release-1.4.pcapng "
        "release-1.5.pcapng\n";

struct side {
	struct pd_store *store;
	struct pd_dest *d;
	size_t n;
	struct pd_diff_item *items;
	size_t n_items;
};

static void side_free(struct side *s)
{
	pd_diff_items_free(s->items, s->n_items);
	pd_load_dests_free(s->d, s->n);
	pd_store_close(s->store);
}

/* The destinations as diff rows (one per address), folded into items. */
static enum pd_err fold(struct side *s)
{
	struct pd_diff_item *rows = calloc(s->n ? s->n : 1, sizeof(*rows));
	enum pd_err err;
	size_t i;

	if (!rows)
		return PD_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		const struct pd_dest *d = &s->d[i];
		rows[i].key = pd_dest_key(d);
		rows[i].addresses = d->server_ip;
		rows[i].port = d->port;
		rows[i].proto = d->proto;
		rows[i].evidence = d->evidence;
		rows[i].flows = d->flows;
		rows[i].bytes_out = d->bytes_out;
		rows[i].bytes_in = d->bytes_in;
		rows[i].first_ns = d->first_ns;
		rows[i].last_ns = d->last_ns;
	}
	err = pd_diff_fold(rows, s->n, &s->items, &s->n_items);
	free(rows);
	return err;
}

static int load_side(const struct pd_opts *o, char *input, struct side *s)
{
	char errbuf[PD_ERRBUF_SIZE], dirs[80];
	char *sel;
	enum pd_err err;
	int rc = pd_load_inputs(o, &input, 1, &s->store, &sel);

	if (rc)
		return rc;
	err = pd_load_dests(pd_store_db(s->store), sel, pd_load_dirs(o, dirs), &s->d, &s->n,
	                    errbuf);
	free(sel);
	if (err) {
		pd_cmd_error("%s", errbuf);
		return PD_EXIT_ERROR;
	}
	if (fold(s)) {
		pd_cmd_error("out of memory");
		return PD_EXIT_ERROR;
	}
	return PD_EXIT_OK;
}

struct out {
	const struct pd_diff *d;
	enum pd_format fmt;
};

static void write_diff(FILE *f, void *arg)
{
	const struct out *o = arg;

	pd_diff_write(o->d, o->fmt, f);
}

/* The format of an output (path NULL or "-": stdout, in format or text). */
static int output_format(const char *path, const char *format, enum pd_format *fmt)
{
	struct stat sb;
	bool to_stdout = !path || !strcmp(path, "-") ||
	                 (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode));

	*fmt = PD_FMT_TEXT;
	if (format ? pd_format_parse(format, false, fmt)
	           : (!to_stdout && pd_format_parse(path, true, fmt))) {
		pd_cmd_error(
		        "diff: unknown format for %s (use .html .csv .md .json .txt or --format)",
		        format ? format : path);
		return PD_EXIT_ERROR;
	}
	return PD_EXIT_OK;
}

static int write_out(const struct pd_diff *d, const char *path, const char *format)
{
	struct out o = { d, PD_FMT_TEXT };
	int rc = output_format(path, format, &o.fmt);

	return rc ? rc : pd_load_write(path, write_diff, &o);
}

int pd_cmd_diff(int argc, char **argv)
{
	struct side old = { 0 }, new = { 0 };
	struct pd_diff d = { 0 };
	enum pd_format fmt;
	struct pd_opts o;
	unsigned k;
	int rc;

	if (pd_opts_parse(argc, argv, help, &o, &rc))
		return rc;
	if (o.n_args != 2) {
		pd_cmd_error("diff: needs OLD and NEW (captures or databases)");
		return PD_EXIT_ERROR;
	}
	/* Formats first: a typo in -o should not cost two ingests. */
	if (o.n_outputs == 0 && o.format && (rc = output_format(NULL, o.format, &fmt)))
		return rc;
	for (k = 0; k < o.n_outputs; k++)
		if ((rc = output_format(o.outputs[k], strcmp(o.outputs[k], "-") ? NULL : o.format,
		                        &fmt)))
			return rc;
	if ((rc = load_side(&o, o.args[0], &old)) || (rc = load_side(&o, o.args[1], &new)))
		goto out;
	if (pd_diff_compare(old.items, old.n_items, new.items, new.n_items, &d)) {
		pd_cmd_error("out of memory");
		rc = PD_EXIT_ERROR;
		goto out;
	}
	d.old_label = o.args[0];
	d.new_label = o.args[1];
	rc = PD_EXIT_OK;
	if (o.n_outputs == 0 && !o.quiet) /* --quiet: the exit status (and -o files) only */
		rc = write_out(&d, NULL, o.format);
	for (k = 0; k < o.n_outputs && !rc; k++)
		rc = write_out(&d, o.outputs[k], strcmp(o.outputs[k], "-") ? NULL : o.format);
	if (!rc && o.fail_on_new && d.n_added)
		rc = PD_EXIT_VIOLATION;
out:
	pd_diff_clear(&d);
	side_free(&old);
	side_free(&new);
	return rc;
}
