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
#include <strings.h>

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
        "  -f, --filter BPF   only packets matching this filter\n"
        "  --dns-grace SEC    seconds past a DNS TTL an answer still names a flow (default 60)\n"
        "\n"
        "Example: pcapdomains diff --fail-on-new -o drift.md release-1.4.pcapng "
        "release-1.5.pcapng\n";

static int evidence_rank(const char *e)
{
	static const char *const order[] = { "sni",         "quic-sni",         "http-host",
		                             "dns",         "dns-other-client", "dns-expired",
		                             "ptr-capture", "ptr-lookup" };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(e, order[i]))
			return (int)i;
	return 99;
}

struct side {
	struct pd_store *store;
	struct pd_dest *d;
	size_t n;
	struct pd_diff_item *items;
	char **addrs;
	size_t n_items;
};

static int cmp_dest(const void *a, const void *b)
{
	const struct pd_dest *x = a, *y = b;
	int c = strcasecmp(pd_dest_key(x), pd_dest_key(y));

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = strcmp(x->proto, y->proto)))
		return c;
	return strcmp(x->server_ip, y->server_ip);
}

static int same_item(const struct pd_diff_item *i, const struct pd_dest *d)
{
	return !strcasecmp(i->key, pd_dest_key(d)) && i->port == d->port &&
	       !strcmp(i->proto, d->proto);
}

/* Folds the sorted destinations into items, one per (key, port, proto). */
static int fold(struct side *s)
{
	size_t i;

	qsort(s->d, s->n, sizeof(*s->d), cmp_dest);
	s->items = calloc(s->n ? s->n : 1, sizeof(*s->items));
	s->addrs = calloc(s->n ? s->n : 1, sizeof(*s->addrs));
	if (!s->items || !s->addrs)
		return -1;
	for (i = 0; i < s->n; i++) {
		const struct pd_dest *d = &s->d[i];
		struct pd_diff_item *it = s->n_items ? &s->items[s->n_items - 1] : NULL;
		char **a;
		if (!it || !same_item(it, d)) {
			it = &s->items[s->n_items++];
			it->key = pd_dest_key(d);
			it->port = d->port;
			it->proto = d->proto;
			it->evidence = d->evidence;
			it->first_ns = d->first_ns;
			it->last_ns = d->last_ns;
		}
		a = &s->addrs[s->n_items - 1];
		if (!*a) {
			*a = strdup(d->server_ip);
		} else {
			char *n = malloc(strlen(*a) + strlen(d->server_ip) + 2);
			if (n)
				sprintf(n, "%s %s", *a, d->server_ip);
			free(*a);
			*a = n;
		}
		if (!*a)
			return -1;
		it->addresses = *a;
		if (evidence_rank(d->evidence) < evidence_rank(it->evidence))
			it->evidence = d->evidence;
		it->flows += d->flows;
		it->bytes_out += d->bytes_out;
		it->bytes_in += d->bytes_in;
		if (d->first_ns < it->first_ns)
			it->first_ns = d->first_ns;
		if (d->last_ns > it->last_ns)
			it->last_ns = d->last_ns;
	}
	return 0;
}

static int cmp_item(const struct pd_diff_item *x, const struct pd_diff_item *y)
{
	int c = strcasecmp(x->key, y->key);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

static void side_free(struct side *s)
{
	size_t i;

	for (i = 0; s->addrs && i < s->n_items; i++)
		free(s->addrs[i]);
	free(s->addrs);
	free(s->items);
	pd_load_dests_free(s->d, s->n);
	pd_store_close(s->store);
}

static int load_side(const struct pd_opts *o, char *input, struct side *s)
{
	char errbuf[PD_ERRBUF_SIZE];
	char *sel;
	enum pd_err err;
	int rc = pd_load_inputs(o, &input, 1, &s->store, &sel);

	if (rc)
		return rc;
	err = pd_load_dests(pd_store_db(s->store), sel, &s->d, &s->n, errbuf);
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
	bool to_stdout = !path || !strcmp(path, "-");

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
	struct pd_diff_item *added = NULL, *removed = NULL;
	enum pd_format fmt;
	struct pd_diff d;
	struct pd_opts o;
	size_t i = 0, j = 0, na = 0, nr = 0, same = 0;
	unsigned k;
	int rc;

	if (pd_opts_parse(argc, argv,
	                  PD_O_OUTPUT | PD_O_FORMAT | PD_O_BPF | PD_O_GRACE | PD_O_FAIL_ON_NEW,
	                  help, &o, &rc))
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
	added = calloc(new.n_items + 1, sizeof(*added));
	removed = calloc(old.n_items + 1, sizeof(*removed));
	if (!added || !removed) {
		pd_cmd_error("out of memory");
		rc = PD_EXIT_ERROR;
		goto out;
	}
	while (i < old.n_items || j < new.n_items) {
		int c = i == old.n_items   ? 1
		        : j == new.n_items ? -1
		                           : cmp_item(&old.items[i], &new.items[j]);
		if (c < 0)
			removed[nr++] = old.items[i++];
		else if (c > 0)
			added[na++] = new.items[j++];
		else
			i++, j++, same++;
	}
	d.old_label = o.args[0];
	d.new_label = o.args[1];
	d.added = added;
	d.n_added = na;
	d.removed = removed;
	d.n_removed = nr;
	d.n_same = same;
	rc = PD_EXIT_OK;
	if (o.n_outputs == 0)
		rc = write_out(&d, NULL, o.format);
	for (k = 0; k < o.n_outputs && !rc; k++)
		rc = write_out(&d, o.outputs[k], strcmp(o.outputs[k], "-") ? NULL : o.format);
	if (!rc && o.fail_on_new && na)
		rc = PD_EXIT_VIOLATION;
out:
	free(added);
	free(removed);
	side_free(&old);
	side_free(&new);
	return rc;
}
