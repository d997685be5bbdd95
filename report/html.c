/*
 * html.c - the HTML report: one self-contained file (HTML Living Standard). No external
 * resource of any kind; a Content-Security-Policy meta element (CSP Level 3) allows only the
 * one inline stylesheet and the one inline script, each by its SHA-256 hash, so neither a
 * capture's text nor anything else can load or run code (no style attributes either: bars
 * are <progress> elements and SVG attributes).
 *
 * Layout, for a reviewer: the verdict first (violations per name, the unnamed share of flows
 * and bytes, findings by severity, weak names, each linked to its section), then the
 * violations, unnamed addresses and findings, then charts, destinations, connections and the
 * rest. Tables scroll inside their own box (so their headers stick), sort by a typed key
 * (data-v: numbers, confidence rank, addresses as fixed-width hex) and filter with a row
 * count; a filter word of digits matches a whole token only ("443" is not "4430"). Lists in
 * cells show their first values and the rest in <details>; values never break inside (IPv6
 * addresses), names only between labels. Print keeps policy and confidence and says
 * "violation" in text; prefers-color-scheme gives a dark theme. Untrusted text only through
 * pd_esc_html.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "escape.h"
#include "model.h"
#include "verdict.h"

#define CELL_SHOW   3  /* values of a list shown before "+N more" */
#define CHART_BARS  12 /* bars of the bytes chart */
#define CHART_CAPS  12 /* captures with their own timeline; the rest are counted */
#define VERDICT_MAX 20
#define CHART_POINTS                                                                               \
	300 /* beyond this, a step line instead of one dot per destination */ /* violations listed \
	                                                                         in the verdict;   \
	                                                                         all in their      \
	                                                                         section */

static const char css[] =
        ":root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--mut:#666;--line:#d6d6d6;"
        "--head:#f0f0f0;--viol:#b00020;--violbg:#fde8e8;--warn:#8a5300;--ok:#1b6e2a;"
        "--bar:#3b6fb6;--bar2:#86a8d8;--bar3:#d08a2b;--barn:#8a8a8a;--card:#f7f7f9}"
        "@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#141416;--mut:#a0a0a0;"
        "--line:#3a3a3e;--head:#24242a;--viol:#ff7b8a;--violbg:#3a1a1f;--warn:#f0b060;"
        "--ok:#7fd08f;--bar:#6a9be0;--bar2:#3f6399;--bar3:#e0a050;--barn:#777;--card:#1e1e22}}"
        "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1400px;"
        "padding:0 1em 2em;color:var(--fg);background:var(--bg)}"
        "a{color:inherit}h1{font-size:1.45em;margin:.6em 0 .3em}"
        "h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid var(--line)}"
        "nav{font-size:13px;color:var(--mut)}"
        ".verdict{border:2px solid var(--line);border-radius:8px;padding:.5em 1em;"
        "background:var(--card);margin:.6em 0}"
        ".verdict.bad{border-color:var(--viol)}.verdict h2{margin:.2em 0;border:0}"
        ".verdict ul{margin:.3em 0;padding-left:1.2em}.verdict li{margin:.15em 0}"
        ".big{font-size:1.25em;font-weight:700}.viol{color:var(--viol);font-weight:600}"
        ".warn{color:var(--warn)}.ok{color:var(--ok)}.muted{color:var(--mut)}"
        ".scroll{overflow:auto;max-height:85vh;-webkit-overflow-scrolling:touch;"
        "border:1px solid var(--line)}"
        "table{border-collapse:separate;border-spacing:0;font-size:13px;min-width:100%}"
        "th,td{border-right:1px solid var(--line);border-bottom:1px solid var(--line);"
        "padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:var(--head);position:sticky;top:0;z-index:1;white-space:nowrap}"
        "td.n,th.n{text-align:right;white-space:nowrap}td{white-space:normal}"
        ".v{white-space:nowrap}td.w{min-width:10em;max-width:30em}"
        "th[data-sortable]{cursor:pointer}th[aria-sort=ascending]::after{content:' \\25b2'}"
        "th[aria-sort=descending]::after{content:' \\25bc'}"
        "tr.violation td:first-child{box-shadow:inset 4px 0 var(--viol)}"
        "mark.viol{background:var(--violbg);color:var(--viol);padding:0 2px}"
        "details{display:inline}details[open]{display:block}summary{cursor:pointer;"
        "color:var(--mut);white-space:nowrap}"
        ".ftools{display:flex;gap:.6em;align-items:center;flex-wrap:wrap;margin:.4em 0}"
        ".ftools[hidden]{display:none}"
        "input.filter{padding:4px;width:min(24em,100%)}output.count{color:var(--mut);"
        "font-size:13px}"
        "dl.sum{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}"
        "dt{font-weight:600}dl.legend{grid-template-columns:max-content 1fr}"
        ".charts{display:flex;flex-wrap:wrap;gap:1.5em}.charts figure{margin:0;"
        "flex:1 1 22em;max-width:44em}"
        "table.bars{font-size:13px;min-width:0;width:100%}table.bars td{border:0;"
        "padding:1px 4px}table.bars td.l{max-width:14em;overflow:hidden;"
        "text-overflow:ellipsis;white-space:nowrap}"
        "progress{width:100%;min-width:5em;height:14px;appearance:none;border:0;"
        "background:var(--head)}progress::-webkit-progress-bar{background:var(--head)}"
        "progress::-webkit-progress-value{background:var(--bar)}"
        "progress::-moz-progress-bar{background:var(--bar)}"
        "progress.medium::-webkit-progress-value{background:var(--bar2)}"
        "progress.low::-webkit-progress-value{background:var(--bar3)}"
        "progress.unnamed::-webkit-progress-value{background:var(--barn)}"
        "progress.violation::-webkit-progress-value{background:var(--viol)}"
        "svg.tl{width:100%;max-width:36em;height:auto;display:block}.pt{display:none}"
        "td:first-child{min-width:8em}td.viol{white-space:nowrap}"
        "svg.tl text{fill:currentColor;font-size:13px}svg.tl .ax{stroke:var(--mut)}"
        "svg.tl .grid{stroke:var(--line)}svg.tl circle{fill:var(--bar)}"
        "svg.tl circle.violation{fill:var(--viol)}svg.tl circle.low{fill:var(--bar3)}"
        "@media (max-width:600px){body{padding:0 .4em 1em;font-size:14px}table{font-size:12px}"
        ".scroll{max-height:75vh}}"
        "@media print{nav,.ftools,summary{display:none}details>*{display:inline}"
        ".scroll{overflow:visible;max-height:none;border:0}th{position:static}"
        "body{max-width:none;font-size:10pt;color:#000;background:#fff}"
        "table{font-size:8pt;min-width:0;width:100%}td.w{min-width:0;max-width:none}"
        "th,td{white-space:normal;border-color:#999}tr{break-inside:avoid}"
        "#dest .pr,#conn .pr,#unres .pr{display:none}"
        ".pt{display:inline}mark.viol,.viol{color:#000;background:none;font-weight:700;text-"
        "decoration:underline}"
        "tr.violation td:first-child{box-shadow:none;border-left:3px solid #000}}";

static const char js[] =
        "(function(){'use strict';"
        "function key(td,num){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;"
        "if(num){var x=parseFloat(v);return isNaN(x)?-Infinity:x;}return v.toLowerCase();}"
        "function toks(s){return s.split(/[\\s,|\\/()\\[\\]=;]+/);}"
        "function match(r,qs){var t=Array.prototype.map.call(r.cells,function(c){"
        "return c.textContent;}).join(' ').toLowerCase(),tk=null;"
        "return qs.every(function(q){if(/^[0-9]+$/.test(q)){tk=tk||toks(t);"
        "return tk.indexOf(q)>=0;}return t.indexOf(q)>=0;});}"
        "document.querySelectorAll('.ftools').forEach(function(box){"
        "var inp=box.querySelector('input'),out=box.querySelector('output');"
        "var t=document.getElementById(inp.getAttribute('data-table'));if(!t)return;"
        "var rows=t.tBodies[0].rows,n=rows.length;box.hidden=false;"
        "function count(k){out.textContent=k+' of '+n+' shown';}count(n);"
        "inp.addEventListener('input',function(){"
        "var qs=inp.value.toLowerCase().split(/\\s+/).filter(Boolean),k=0;"
        "Array.prototype.forEach.call(rows,function(r){r.hidden=qs.length>0&&!match(r,qs);"
        "if(!r.hidden)k++;});count(k);});});"
        "document.querySelectorAll('table.sortable').forEach(function(t){"
        "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
        "th.setAttribute('data-sortable','');th.tabIndex=0;"
        "function sort(){var num=th.getAttribute('data-k')==='n';"
        "var asc=th.getAttribute('aria-sort')!=='ascending';"
        "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(o){"
        "o.removeAttribute('aria-sort');});"
        "th.setAttribute('aria-sort',asc?'ascending':'descending');"
        "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
        "rows.sort(function(x,y){var a=key(x.cells[i],num),c=key(y.cells[i],num);"
        "return (a<c?-1:a>c?1:0)*(asc?1:-1);});"
        "rows.forEach(function(r){b.appendChild(r);});}"
        "th.addEventListener('click',sort);"
        "th.addEventListener('keydown',function(e){if(e.key==='Enter')sort();});});});"
        "})();";

/* 'sha256-BASE64' of s for the CSP. */
static void csp_hash(const char *s, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = 0;
	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return;
	EVP_EncodeBlock((unsigned char *)out, md, (int)n);
}

/* A column: its head, its sort key kind, whether print drops it. */
struct colspec {
	const char *head;
	char kind;  /* 'n': number (right-aligned), 'r': rank/number key (left), 'a': address
	             * key (text order of fixed-width hex), 't': text */
	bool print; /* kept on paper */
	bool wide;  /* a list or prose: may wrap between values */
};

/* The table being written: cells take their classes from the column they are in. */
struct tbl {
	FILE *f;
	const struct colspec *cols;
	size_t n_cols, i;
};

static void table_open(struct tbl *t, FILE *f, const char *id, const char *label,
                       const struct colspec *cols, size_t n_cols)
{
	size_t i;

	t->f = f;
	t->cols = cols;
	t->n_cols = n_cols;
	t->i = 0;
	fprintf(f,
	        "<div class=ftools hidden><input class=filter type=search placeholder=\"Filter "
	        "%s\" "
	        "aria-label=\"Filter %s\" data-table=\"%s\"><output class=count></output></div>\n"
	        "<div class=scroll tabindex=0><table class=sortable id=\"%s\"><thead><tr>",
	        label, label, id, id);
	for (i = 0; i < n_cols; i++)
		fprintf(f, "<th%s%s%s>%s</th>",
		        cols[i].kind == 'n' || cols[i].kind == 'r' ? " data-k=n" : "",
		        cols[i].kind == 'n' && !cols[i].wide ? " class=n" : "",
		        cols[i].print ? "" : " class=pr", cols[i].head);
	fputs("</tr></thead>\n<tbody>\n", f);
}

static void table_close(struct tbl *t)
{
	fputs("</tbody></table></div>\n", t->f);
}

static void row_open(struct tbl *t, bool violation, const char *id)
{
	t->i = 0;
	fputs("<tr", t->f);
	if (id)
		fprintf(t->f, " id=\"%s\"", id);
	fputs(violation ? " class=violation>" : ">", t->f);
}

static void row_close(struct tbl *t)
{
	fputs("</tr>\n", t->f);
}

/* Opens the next cell: classes from its column plus extra; data-v when key is not NULL. */
static void cell(struct tbl *t, const char *extra, const char *key)
{
	const struct colspec *c = t->i < t->n_cols ? &t->cols[t->i] : NULL;
	bool num = c && c->kind == 'n' && !c->wide, pr = c && !c->print, w = c && c->wide;

	t->i++;
	fputs("<td", t->f);
	if (num || pr || w || extra)
		fprintf(t->f, " class=\"%s%s%s%s%s%s%s\"", num ? "n" : "",
		        num && (pr || w) ? " " : "", pr ? "pr" : "", pr && w ? " " : "",
		        w ? "w" : "", extra && (num || pr || w) ? " " : "", extra ? extra : "");
	if (key) {
		fputs(" data-v=\"", t->f);
		pd_esc_html(t->f, key);
		fputc('"', t->f);
	}
	fputc('>', t->f);
}

static void td(struct tbl *t, const char *s)
{
	cell(t, NULL, NULL);
	pd_esc_html(t->f, s);
	fputs("</td>", t->f);
}

static void td_num(struct tbl *t, int64_t v)
{
	char k[24];

	snprintf(k, sizeof(k), "%" PRId64, v);
	cell(t, NULL, NULL);
	fputs(k, t->f);
	fputs("</td>", t->f);
}

static void td_bytes(struct tbl *t, int64_t v)
{
	char b[32], k[24];

	snprintf(k, sizeof(k), "%" PRId64, v);
	cell(t, NULL, k);
	fputs(pd_rm_bytes(v, b), t->f);
	fputs("</td>", t->f);
}

static void td_time(struct tbl *t, int64_t ns)
{
	char tb[32];

	pd_rm_time(ns, tb);
	cell(t, NULL, tb);
	fprintf(t->f, "<span class=v>%s</span></td>", tb);
}

/* Confidence with its rank as the key: sorting descending gives high, medium, low. */
static void td_conf(struct tbl *t, const char *conf, const char *why)
{
	const char *k = !strcmp(conf, "high") ? "3" : !strcmp(conf, "medium") ? "2" : "1";

	cell(t, strcmp(conf, "high") ? "warn" : NULL, k);
	fputs(conf, t->f);
	if (why && *why) {
		fputs(" <span class=muted>(", t->f);
		pd_esc_html(t->f, why);
		fputs(")</span>", t->f);
	}
	fputs("</td>", t->f);
}

/* A sort key for an address: family digit + fixed-width hex, so text order is numeric. */
static const char *addr_key(const char *ip, char out[40])
{
	uint8_t a[16];
	int i, n;

	if (ip && inet_pton(AF_INET, ip, a) == 1)
		n = 4, out[0] = '4';
	else if (ip && inet_pton(AF_INET6, ip, a) == 1)
		n = 16, out[0] = '6';
	else {
		snprintf(out, 40, "9%.38s", ip ? ip : "");
		return out;
	}
	for (i = 0; i < n; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", a[i]);
	return out;
}

/* A name that may break only between labels (after each dot); its title is the whole name. */
static void name_html(FILE *f, const char *s)
{
	const char *p = s, *d;
	char part[256];
	size_t n;

	/* the whole name in title: a tooltip, and one string for a search of the file */
	fputs("<span class=v title=\"", f);
	pd_esc_html(f, s);
	fputs("\">", f);
	while (p && *p) {
		d = strchr(p, '.');
		n = d ? (size_t)(d - p) + 1 : strlen(p);
		while (n) { /* chunks: pd_esc_html wants a string */
			size_t k = n < sizeof(part) - 1 ? n : sizeof(part) - 1;

			memcpy(part, p, k);
			part[k] = 0;
			pd_esc_html(f, part);
			p += k;
			n -= k;
		}
		if (d && *p)
			fputs("<wbr>", f);
	}
	fputs("</span>", f);
}

/* A bounded list: the first CELL_SHOW values, the rest in <details> ("+N more"). */
struct blist {
	FILE *f;
	size_t i, total;
	bool names;
};

static void blist_start(struct blist *b, FILE *f, size_t total, bool names)
{
	b->f = f;
	b->i = 0;
	b->total = total;
	b->names = names;
}

static void blist_item(struct blist *b, const char *s, const char *mark)
{
	if (b->i == CELL_SHOW && b->total > CELL_SHOW + 1)
		fprintf(b->f, " <details><summary>+%zu more</summary>", b->total - CELL_SHOW);
	else if (b->i)
		fputs(", ", b->f);
	if (mark)
		fprintf(b->f, "<mark class=viol title=\"%s\">&#x2716;&#xfe0e; ", mark);
	if (b->names)
		name_html(b->f, s);
	else {
		fputs("<span class=v>", b->f);
		pd_esc_html(b->f, s);
		fputs("</span>", b->f);
	}
	if (mark)
		fprintf(b->f, "<span class=pt> (%s)</span></mark>", mark);
	b->i++;
}

static void blist_end(struct blist *b)
{
	if (b->i > CELL_SHOW && b->total > CELL_SHOW + 1)
		fputs("</details>", b->f);
}

/* A ", "-joined list of our own values (addresses, ports) as a bounded list. */
static void joined_list(FILE *f, const char *s)
{
	struct blist b;
	const char *p, *e;
	char item[256];
	size_t n = 0, len;

	for (p = s; p && *p; p = e ? e + 2 : NULL, n++)
		e = strstr(p, ", ");
	blist_start(&b, f, n, false);
	for (p = s; p && *p; p = e ? e + 2 : NULL) {
		e = strstr(p, ", ");
		len = e ? (size_t)(e - p) : strlen(p);
		snprintf(item, sizeof(item), "%.*s", (int)(len < 255 ? len : 255), p);
		blist_item(&b, item, NULL);
	}
	blist_end(&b);
}

static void td_joined(struct tbl *t, const char *s, const char *key)
{
	cell(t, NULL, key);
	joined_list(t->f, s);
	fputs("</td>", t->f);
}

struct capctx {
	struct blist b;
};

static void cap_item(void *ctx, const char *name, size_t i)
{
	(void)i;
	blist_item(&((struct capctx *)ctx)->b, name, NULL);
}

/* Captures of a row by file name; the key is how many. */
static void td_caps(struct tbl *t, const struct pd_model *m, const char *ids)
{
	struct capctx c;
	const char *p;
	size_t n = ids && *ids ? 1 : 0;
	char k[24];

	for (p = ids; p && *p; p++)
		n += *p == ',';
	snprintf(k, sizeof(k), "%zu", n);
	cell(t, NULL, k);
	blist_start(&c.b, t->f, n, false);
	pd_rm_capture_files(m, ids, cap_item, &c);
	blist_end(&c.b);
	fputs("</td>", t->f);
}

static void td_policy(struct tbl *t, const char *policy, const char *extra)
{
	bool v = !strcmp(policy, "violation");

	cell(t, v ? "viol" : NULL,
	     !strcmp(policy, "violation") ? "2"
	     : !strcmp(policy, "allowed") ? "0"
	                                  : "1");
	fputs(v ? "&#x2716;&#xfe0e; violation" : policy, t->f);
	if (extra)
		fputs(extra, t->f);
	fputs("</td>", t->f);
}

/* ---- the verdict ---- */

static void verdict(FILE *f, const struct pd_model *m)
{
	struct pd_rm_verdict v;
	struct pd_rm_viol vl[VERDICT_MAX];
	char p1[16], p2[16], b1[32];
	size_t i, n;

	pd_rm_verdict_get(m, &v);
	fprintf(f,
	        "<section class=\"verdict%s\" id=verdict aria-label=Verdict><h2>Verdict</h2>\n<ul>",
	        v.violations ? " bad" : "");
	if (!m->policy_checked) {
		fputs("<li><span class=big>Policy not checked</span> <span class=muted>(no --allow "
		      "file)</span></li>",
		      f);
	} else if (!v.violations) {
		fputs("<li><span class=\"big ok\">0 violations</span>: every name and address is "
		      "allowed by the policy</li>",
		      f);
	} else {
		n = pd_rm_violations(m, vl, VERDICT_MAX);
		fprintf(f,
		        "<li><a class=\"big viol\" href=\"#violations\">%zu %s</a> of the policy: ",
		        v.violations,
		        pd_rm_plural((int64_t)v.violations, "violation", "violations"));
		for (i = 0; i < n && i < VERDICT_MAX; i++) {
			if (i)
				fputs(", ", f);
			fputs("<span class=v>", f);
			pd_esc_html(f, vl[i].what);
			fputs("</span>", f);
		}
		if (n > VERDICT_MAX)
			fprintf(f, " and %zu more", n - VERDICT_MAX);
		fputs("</li>", f);
	}
	fprintf(f,
	        "<li><a href=\"#unresolved\"><span class=big>%s%%</span> of flows, "
	        "<span class=big>%s%%</span> of bytes</a> went to addresses no name explains "
	        "(%" PRId64 " of %" PRId64 " %s, %s)</li>",
	        pd_rm_pct(v.unres_flows, v.flows, p1), pd_rm_pct(v.unres_bytes, v.bytes, p2),
	        v.unres_flows, v.flows, pd_rm_plural(v.flows, "flow", "flows"),
	        pd_rm_bytes(v.unres_bytes, b1));
	fprintf(f,
	        "<li><a href=\"#findings\"><span class=\"big%s\">%zu %s</span></a>, %zu "
	        "informational %s, %zu of another severity</li>",
	        v.warnings ? " warn" : "", v.warnings,
	        pd_rm_plural((int64_t)v.warnings, "warning", "warnings"), v.infos,
	        pd_rm_plural((int64_t)v.infos, "finding", "findings"), v.others);
	fprintf(f,
	        "<li><a href=\"#destinations\">%zu %s</a>: %zu with low and %zu with medium "
	        "confidence names</li>",
	        m->n_dests, pd_rm_plural((int64_t)m->n_dests, "destination", "destinations"), v.low,
	        v.medium);
	fputs("</ul></section>\n", f);
}

static void violations(FILE *f, const struct pd_model *m)
{
	static const struct colspec cols[] = {
		{ "Name or address", 't', true, false }, { "Kind", 't', true, false },
		{ "Flows", 'n', true, false },           { "Bytes", 'n', true, false },
		{ "Section", 't', true, false },
	};
	struct pd_rm_viol *vl;
	struct tbl t;
	size_t n, i;
	char b[32], k[24];

	if (!m->policy_checked)
		return;
	n = pd_rm_violations(m, NULL, 0);
	fputs("<h2 id=violations>Policy violations</h2>\n", f);
	if (!n) {
		fputs("<p class=ok>None: the policy allows every name and address.</p>\n", f);
		return;
	}
	vl = calloc(n, sizeof(*vl));
	if (!vl)
		return;
	n = pd_rm_violations(m, vl, n);
	table_open(&t, f, "viol", "violations", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < n; i++) {
		row_open(&t, true, NULL);
		cell(&t, "viol", NULL);
		if (vl[i].address)
			fprintf(f, "<span class=v>");
		else
			fputs("<span>", f);
		pd_esc_html(f, vl[i].what);
		fputs("</span></td>", f);
		td(&t, vl[i].address ? "unnamed address" : "name");
		td_num(&t, vl[i].flows);
		snprintf(k, sizeof(k), "%" PRId64, vl[i].bytes);
		cell(&t, NULL, k);
		fprintf(f, "%s</td>", pd_rm_bytes(vl[i].bytes, b));
		cell(&t, NULL, NULL);
		fprintf(f, "<a href=\"#%s\">%s</a></td>",
		        vl[i].address ? "unresolved" : "destinations",
		        vl[i].address ? "Unnamed addresses" : "Destinations");
		row_close(&t);
	}
	table_close(&t);
	free(vl);
}

/* ---- charts ---- */

struct bar {
	const char *label;
	int64_t v;
	const char *cls; /* high medium low unnamed violation */
	bool unnamed;
};

static int cmp_bar(const void *a, const void *b)
{
	const struct bar *x = a, *y = b;

	return x->v != y->v ? (x->v > y->v ? -1 : 1) : strcmp(x->label, y->label);
}

/* Top destinations and unnamed addresses by bytes, as one ranking: <progress> bars. */
static void chart_bytes(FILE *f, const struct pd_model *m)
{
	struct bar *b = calloc(m->n_dests + m->n_unres + 1, sizeof(*b));
	size_t i, n = 0, k;
	int64_t max = 1;
	char t[32];

	fputs("<figure><figcaption><b>Top destinations by bytes</b> (in + out; unnamed "
	      "addresses are bars of their own)</figcaption>\n",
	      f);
	for (i = 0; b && i < m->n_dests; i++) {
		b[n].label = m->dests[i].registrable;
		b[n].v = pd_rm_sat_sum(m->dests[i].bytes_out, m->dests[i].bytes_in);
		b[n++].cls = !strcmp(m->dests[i].policy, "violation") ? "violation"
		                                                      : m->dests[i].confidence;
	}
	for (i = 0; b && i < m->n_unres; i++) {
		b[n].label = m->unres[i].ip;
		b[n].v = pd_rm_sat_sum(m->unres[i].bytes_out, m->unres[i].bytes_in);
		b[n].unnamed = true;
		b[n++].cls = !strcmp(m->unres[i].policy, "violation") ? "violation" : "unnamed";
	}
	if (!n) {
		fputs("<p class=muted>Nothing to chart: no traffic.</p></figure>\n", f);
		free(b);
		return;
	}
	qsort(b, n, sizeof(*b), cmp_bar);
	max = b[0].v > 0 ? b[0].v : 1;
	fputs("<table class=bars>", f);
	for (k = 0; k < n && k < CHART_BARS; k++) {
		fputs("<tr><td class=l title=\"", f);
		pd_esc_html(f, b[k].label);
		fputs("\">", f);
		if (b[k].unnamed)
			fputs("<span class=muted>(no name)</span> ", f);
		pd_esc_html(f, b[k].label);
		fprintf(f,
		        "</td><td><progress class=%s max=\"%" PRId64 "\" value=\"%" PRId64
		        "\"></progress></td><td class=n>%s%s</td></tr>\n",
		        b[k].cls, max, b[k].v, pd_rm_bytes(b[k].v, t),
		        !strcmp(b[k].cls, "violation") ? " <span class=viol>violation</span>" : "");
	}
	fputs("</table>", f);
	if (n > CHART_BARS)
		fprintf(f, "<p class=muted>%zu more not charted.</p>", n - CHART_BARS);
	fputs("<p class=muted>Colour: blue high, light blue medium, orange low confidence, grey "
	      "unnamed, red violation.</p></figure>\n",
	      f);
	free(b);
}

/* A tick step (ns) giving 3..8 ticks over span. */
static int64_t tick_step(int64_t span)
{
	static const int64_t steps[] = {
		1000000LL,        2000000LL,        5000000LL,         10000000LL,
		20000000LL,       50000000LL,       100000000LL,       200000000LL,
		500000000LL,      1000000000LL,     2000000000LL,      5000000000LL,
		10000000000LL,    15000000000LL,    30000000000LL,     60000000000LL,
		120000000000LL,   300000000000LL,   600000000000LL,    900000000000LL,
		1800000000000LL,  3600000000000LL,  7200000000000LL,   21600000000000LL,
		43200000000000LL, 86400000000000LL, 604800000000000LL,
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 6)
			return steps[i];
	return span / 5 > 0 ? span / 5 : 1;
}

/* Offset label for a tick: "+850 ms", "+12 s", "+3 min". */
static void tick_label(int64_t off, int64_t step, char out[32])
{
	if (step < 1000000000LL)
		snprintf(out, 32, "+%" PRId64 " ms", off / 1000000);
	else if (step < 60000000000LL)
		snprintf(out, 32, "+%" PRId64 " s", off / 1000000000);
	else if (step < 3600000000000LL)
		snprintf(out, 32, "+%" PRId64 " min", off / (int64_t)60000000000LL);
	else
		snprintf(out, 32, "+%" PRId64 " h", off / (int64_t)3600000000000LL);
}

struct tpoint {
	int64_t t;
	size_t d; /* destination index */
};

static int cmp_tpoint(const void *a, const void *b)
{
	const struct tpoint *x = a, *y = b;

	return x->t != y->t ? (x->t < y->t ? -1 : 1) : (x->d < y->d ? -1 : x->d > y->d);
}

/* First contact of each destination within one capture, on that capture's own time axis. */
static void timeline_one(FILE *f, const struct pd_model *m, const struct pd_rm_capture *c,
                         struct tpoint *p)
{
	const struct pd_rm_conn *cn;
	size_t i, k, n = 0;
	int64_t t0, t1, span, step, x;
	char tb[32], lb[32];
	const char *file = pd_rm_capture_file(m, c->id);
	double px, py;

	for (i = 0; i < m->n_dests; i++) {
		int64_t best = INT64_MAX;

		for (k = m->dests[i].first; k < m->dests[i].first + m->dests[i].n; k++)
			for (cn = m->rows[k].conns; cn; cn = cn->next)
				if (cn->capture_id == c->id && cn->first_ns < best)
					best = cn->first_ns;
		if (best != INT64_MAX) {
			p[n].t = best;
			p[n++].d = i;
		}
	}
	fputs("<figure><figcaption><b>First contact</b> in <span class=v>", f);
	pd_esc_html(f, file ? file : "?");
	fputs("</span></figcaption>\n", f);
	if (!n) {
		fputs("<p class=muted>Nothing to chart: no named destination in this "
		      "capture.</p></figure>\n",
		      f);
		return;
	}
	qsort(p, n, sizeof(*p), cmp_tpoint);
	t0 = c->first_ns != PD_NS_NONE && c->first_ns <= p[0].t ? c->first_ns : p[0].t;
	t1 = c->last_ns != PD_NS_NONE && c->last_ns >= p[n - 1].t ? c->last_ns : p[n - 1].t;
	/* capture times from a database made elsewhere may be anything: no overflow */
	if (__builtin_sub_overflow(t1, t0, &span))
		span = INT64_MAX;
	else if (span <= 0)
		span = 1;
	step = tick_step(span);
	fprintf(f,
	        "<svg class=tl xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 420 190\" "
	        "role=img aria-label=\"First contact over time, %zu %s\">\n",
	        n, pd_rm_plural((int64_t)n, "destination", "destinations"));
	/* axes: y = destinations seen so far (0..n), x = time since the capture's start */
	fputs("<line class=ax x1=\"40\" y1=\"150\" x2=\"410\" y2=\"150\"/>"
	      "<line class=ax x1=\"40\" y1=\"10\" x2=\"40\" y2=\"150\"/>\n",
	      f);
	for (k = 0; k <= 2; k++) {
		py = 150 - 140.0 * (double)k / 2;
		fprintf(f,
		        "<line class=grid x1=\"40\" y1=\"%.1f\" x2=\"410\" y2=\"%.1f\"/>"
		        "<text x=\"36\" y=\"%.1f\" text-anchor=\"end\">%zu</text>\n",
		        py, py, py + 4, (n * k + 1) / 2 * (k ? 1 : 0));
	}
	for (x = 0; x <= span; x += step) {
		px = 40 + 370.0 * (double)x / (double)span;
		tick_label(x, step, lb);
		fprintf(f,
		        "<line class=ax x1=\"%.1f\" y1=\"150\" x2=\"%.1f\" y2=\"155\"/>"
		        "<text x=\"%.1f\" y=\"170\" text-anchor=\"%s\">%s</text>\n",
		        px, px, px,
		        x == 0     ? "start"
		        : px > 385 ? "end"
		                   : "middle",
		        lb);
		if (span / step > 64 || x > span - step)
			break;
	}
	fprintf(f, "<text x=\"40\" y=\"187\">%s UTC</text>\n", pd_rm_time(t0, tb));
	if (n <= CHART_POINTS) {
		for (i = 0; i < n; i++) {
			const struct pd_rm_dest *d = &m->dests[p[i].d];

			px = 40 + 370.0 * ((double)p[i].t - (double)t0) / (double)span;
			py = 150 - 140.0 * (double)(i + 1) / (double)n;
			fprintf(f, "<circle class=%s cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>",
			        !strcmp(d->policy, "violation") ? "violation" : d->confidence, px,
			        py);
			pd_esc_html(f, d->registrable);
			fprintf(f, " %s</title></circle>\n", pd_rm_time(p[i].t, tb));
		}
	} else {
		/* one point per horizontal unit: the count reached by then */
		size_t bx;

		fputs("<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" "
		      "points=\"40,150",
		      f);
		for (i = 0, bx = 0; bx <= 370; bx++) {
			while (i < n && 370.0 * ((double)p[i].t - (double)t0) / (double)span <= (double)bx)
				i++;
			fprintf(f, " %zu,%.1f", 40 + bx, 150 - 140.0 * (double)i / (double)n);
		}
		fputs("\"/>\n", f);
	}
	fputs("</svg>", f);
	fputs("</figure>\n", f);
}

static void charts(FILE *f, const struct pd_model *m)
{
	struct tpoint *p = malloc((m->n_dests ? m->n_dests : 1) * sizeof(*p));
	size_t i;

	fputs("<h2 id=charts>Charts</h2>\n<div class=charts>\n", f);
	chart_bytes(f, m);
	if (!m->n_caps)
		fputs("<figure><p class=muted>Nothing to chart: no capture.</p></figure>\n", f);
	for (i = 0; p && i < m->n_caps && i < CHART_CAPS; i++)
		timeline_one(f, m, &m->caps[i], p);
	if (m->n_caps > CHART_CAPS)
		fprintf(f, "<p class=muted>%zu more captures without a timeline.</p>\n",
		        m->n_caps - CHART_CAPS);
	fputs("</div>\n", f);
	free(p);
}

/* ---- tables ---- */

static void legend(FILE *f)
{
	fputs("<details class=legend><summary>How to read a name's evidence and "
	      "confidence</summary><dl class=\"sum legend\">"
	      "<dt>sni, quic-sni</dt><dd>the name the client sent in its TLS or QUIC ClientHello "
	      "(high; medium when ECH was offered: the SNI may be the provider's outer name)</dd>"
	      "<dt>http-host</dt><dd>the Host of a plain HTTP request (high)</dd>"
	      "<dt>dns</dt><dd>a DNS answer to this client for this address, within its TTL "
	      "(high)</dd>"
	      "<dt>dns-other-client</dt><dd>a DNS answer seen, but to another client "
	      "(medium)</dd>"
	      "<dt>dns-expired</dt><dd>a DNS answer to this client past its TTL (low)</dd>"
	      "<dt>ptr-capture, ptr-lookup</dt><dd>a reverse (PTR) name, chosen by the "
	      "address owner: in the capture, or looked up at report time (low)</dd>"
	      "<dt>shared address</dt><dd>the address carried names of several registrable "
	      "domains (a CDN): one step less sure</dd>"
	      "<dt>Community ID</dt><dd>the flow hash of corelight's community-id-spec v1, as "
	      "Zeek, Suricata and Arkime log it</dd></dl></details>\n",
	      f);
}

/* Distinct names of a destination, violating ones marked. */
static void dest_names(FILE *f, const struct pd_model *m, const struct pd_rm_dest *d,
                       size_t *n_viol, size_t *n_names)
{
	struct blist b;
	size_t k, j, n = 0;
	const struct pd_rm_row *r;
	int pass;

	*n_viol = 0;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			blist_start(&b, f, n, true);
		for (k = d->first; k < d->first + d->n; k++) {
			r = &m->rows[k];
			if (!r->domain)
				continue;
			for (j = d->first; j < k; j++)
				if (m->rows[j].domain && !strcmp(m->rows[j].domain, r->domain))
					break;
			if (j < k)
				continue;
			if (pass == 0) {
				n++;
				continue;
			}
			bool v = false;

			for (j = k; j < d->first + d->n; j++)
				if (m->rows[j].domain && !strcmp(m->rows[j].domain, r->domain) &&
				    !strcmp(m->rows[j].policy, "violation"))
					v = true;
			*n_viol += v;
			blist_item(&b, r->domain, v ? "violation" : NULL);
		}
	}
	blist_end(&b);
	*n_names = n;
}

static void destinations(FILE *f, const struct pd_model *m)
{
	static const struct colspec cols[] = {
		{ "Domain", 't', true, false },      { "Names", 't', true, true },
		{ "Policy", 'r', true, false },      { "Confidence", 'r', true, true },
		{ "Evidence mix", 't', true, true }, { "Flows", 'n', true, false },
		{ "Out", 'n', true, false },         { "In", 'n', true, false },
		{ "Addresses", 'a', false, true },   { "Ports", 'r', false, true },
		{ "First seen", 't', false, false }, { "Last seen", 't', false, false },
		{ "Country", 't', false, false },    { "ASN / org", 't', false, true },
		{ "CDN", 't', false, false },        { "Shared / candidates", 't', false, true },
		{ "Captures", 'r', false, true },
	};
	const struct pd_rm_dest *d;
	const struct pd_rm_row *r;
	struct tbl t;
	size_t i, nv, nn;
	char key[48], mix[512], why[512], id[32], pk[16];
	char *names = NULL;
	size_t nlen = 0;
	FILE *nf;

	fputs("<h2 id=destinations>Destinations</h2>\n<p>One row per registrable domain; policy "
	      "status is per name (marked), confidence is the group's best with the reasons of "
	      "its weakest name.</p>\n",
	      f);
	legend(f);
	table_open(&t, f, "dest", "destinations", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < m->n_dests; i++) {
		d = &m->dests[i];
		r = &m->rows[d->first];
		snprintf(id, sizeof(id), "dest-%zu", i);
		/* names first into a buffer: the policy cell needs their violation count */
		nf = open_memstream(&names, &nlen);
		if (!nf)
			return;
		dest_names(nf, m, d, &nv, &nn);
		fclose(nf);
		row_open(&t, nv > 0, id);
		cell(&t, NULL, NULL);
		name_html(f, d->registrable);
		fputs("</td>", f);
		cell(&t, NULL, NULL);
		fputs(names ? names : "", f);
		fputs("</td>", f);
		free(names);
		names = NULL;
		if (nv) {
			char ex[64];

			snprintf(ex, sizeof(ex), " <span class=muted>(%zu of %zu %s)</span>", nv,
			         nn, pd_rm_plural((int64_t)nn, "name", "names"));
			td_policy(&t, "violation", ex);
		} else {
			td_policy(&t, d->policy, NULL);
		}
		/* the weakest row's reasons explain a medium/low group */
		why[0] = 0;
		for (size_t k = d->first; k < d->first + d->n; k++)
			if (strcmp(m->rows[k].confidence, "high") && !why[0])
				pd_rm_why(&m->rows[k], why, sizeof(why));
		td_conf(&t, d->confidence, strcmp(d->confidence, "high") ? why : NULL);
		cell(&t, NULL, NULL);
		pd_esc_html(f, pd_rm_evidence_mix(d->ev_flows, mix, sizeof(mix)));
		if (d->looked_up)
			fputs(" <span class=muted>(looked up at report time)</span>", f);
		fputs("</td>", f);
		td_num(&t, d->flows);
		td_bytes(&t, d->bytes_out);
		td_bytes(&t, d->bytes_in);
		cell(&t, NULL, addr_key(r->server_ip, key));
		joined_list(f, d->addresses);
		if (d->vias) { /* through a proxy (README "Proxies") */
			fputs(" <span class=muted>via ", f);
			pd_esc_html(f, d->vias);
			fputs("</span>", f);
		}
		fputs("</td>", f);
		snprintf(pk, sizeof(pk), "%u", r->port);
		td_joined(&t, d->ports, pk);
		td_time(&t, d->first_ns);
		td_time(&t, d->last_ns);
		td(&t, d->countries);
		cell(&t, NULL, NULL);
		pd_esc_html(f, d->asns);
		if (r->as_org) {
			fputs(" ", f);
			pd_esc_html(f, r->as_org);
		}
		fputs("</td>", f);
		td(&t, d->cdn);
		cell(&t, NULL, NULL);
		if (d->shared) {
			fputs("shared address", f);
			if (d->shared_with) {
				fputs(" with ", f);
				pd_esc_html(f, d->shared_with);
			}
			fputs("; ", f);
		}
		if (d->candidates) {
			fputs("candidates: ", f);
			pd_esc_html(f, d->candidates);
		}
		fputs("</td>", f);
		td_caps(&t, m, d->captures);
		row_close(&t);
	}
	table_close(&t);
}

static void connections(FILE *f, const struct pd_model *m)
{
	static const struct colspec cols[] = {
		{ "Domain", 't', true, true },        { "Policy", 'r', true, false },
		{ "Confidence", 'r', true, true },    { "Evidence", 't', true, false },
		{ "Server", 'a', true, false },       { "Port", 'n', true, false },
		{ "Proto", 't', true, false },        { "Client", 'a', false, true },
		{ "TCP", 't', false, true },          { "Duration", 'n', false, false },
		{ "Flows", 'n', true, false },        { "Out", 'n', true, false },
		{ "In", 'n', true, false },           { "App", 't', false, false },
		{ "First", 't', false, false },       { "Last", 't', false, false },
		{ "Community ID", 't', false, true }, { "Candidates", 't', false, true },
		{ "Country", 't', false, false },     { "ASN", 'n', false, false },
		{ "AS org", 't', false, false },      { "CDN", 't', false, false },
		{ "Range", 't', false, false },       { "Shared", 't', false, false },
		{ "Captures", 'r', false, true },
	};
	const struct pd_rm_row *r;
	const struct pd_rm_conn *c;
	struct tbl t;
	struct blist b;
	size_t i;
	int s;
	bool any;
	char key[48], why[512], cl[80], cid[32], k2[24], du[32];

	fputs("<h2 id=connections>Connections</h2>\n<p>One row per (domain, server address, "
	      "port, protocol), as in the CSV report, with its flows' clients, TCP states, "
	      "longest duration and Community IDs.</p>\n",
	      f);
	table_open(&t, f, "conn", "connections", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < m->n_rows; i++) {
		r = &m->rows[i];
		row_open(&t, !strcmp(r->policy, "violation"), NULL);
		cell(&t, NULL, NULL);
		if (r->domain)
			name_html(f, r->domain);
		else
			fputs("<span class=muted>(no name)</span>", f);
		fputs("</td>", f);
		td_policy(&t, r->policy, NULL);
		td_conf(&t, r->confidence, pd_rm_why(r, why, sizeof(why)));
		cell(&t, NULL, NULL);
		pd_esc_html(f, r->evidence);
		if (r->looked_up)
			fputs(" <span class=muted>(looked up at report time)</span>", f);
		fputs("</td>", f);
		cell(&t, NULL, addr_key(r->server_ip, key));
		fputs("<span class=v>", f);
		pd_esc_html(f, r->server_ip);
		fputs("</span></td>", f);
		if (!strcmp(r->proto, "tcp") || !strcmp(r->proto, "udp") || r->port)
			td_num(&t, r->port);
		else
			td(&t, "");
		td(&t, r->proto);
		cell(&t, NULL, r->conns ? addr_key(r->conns->client_ip, key) : "");
		blist_start(&b, f, r->n_conns + (size_t)(r->flows - (int64_t)r->n_conns), false);
		for (c = r->conns; c; c = c->next) {
			snprintf(cl, sizeof(cl),
			         strchr(c->client_ip ? c->client_ip : "", ':') ? "[%s]:%u"
			                                                       : "%s:%u",
			         c->client_ip ? c->client_ip : "?", c->client_port);
			blist_item(&b, cl, NULL);
		}
		if ((int64_t)r->n_conns < r->flows)
			fprintf(f, " (%" PRId64 " not listed)", r->flows - (int64_t)r->n_conns);
		blist_end(&b);
		fputs("</td>", f);
		cell(&t, NULL, NULL);
		for (s = 0, any = false; s < PD_RM_N_TCP; s++)
			if (r->tcp_flows[s]) {
				fprintf(f, "%s<span class=v>%s", any ? ", " : "",
				        pd_rm_tcp_state_names[s]);
				if (r->flows > 1)
					fprintf(f, " %" PRId64, r->tcp_flows[s]);
				fputs("</span>", f);
				any = true;
			}
		fputs("</td>", f);
		snprintf(k2, sizeof(k2), "%" PRId64, r->max_duration_ns);
		cell(&t, NULL, k2);
		fputs(pd_rm_duration(r->max_duration_ns, du), f);
		fputs("</td>", f);
		td_num(&t, r->flows);
		td_bytes(&t, r->bytes_out);
		td_bytes(&t, r->bytes_in);
		td(&t, r->app_proto);
		td_time(&t, r->first_ns);
		td_time(&t, r->last_ns);
		cell(&t, NULL, NULL);
		blist_start(&b, f, r->n_conns, false);
		for (c = r->conns; c; c = c->next)
			if (*pd_rm_conn_cid(r, c, cid))
				blist_item(&b, cid, NULL);
		blist_end(&b);
		fputs("</td>", f);
		cell(&t, NULL, NULL);
		pd_esc_html(f, r->candidates);
		fputs("</td>", f);
		td(&t, r->country);
		if (r->asn)
			td_num(&t, r->asn);
		else
			td(&t, "");
		td(&t, r->as_org);
		td(&t, r->cdn);
		td(&t, r->label);
		td(&t, r->shared ? "yes" : "no");
		td_caps(&t, m, r->captures);
		row_close(&t);
	}
	table_close(&t);
}

static void unresolved(FILE *f, const struct pd_model *m)
{
	static const struct colspec cols[] = {
		{ "Address", 'a', true, false },  { "Policy", 'r', true, false },
		{ "Ports", 'r', true, true },     { "Flows", 'n', true, false },
		{ "Out", 'n', true, false },      { "In", 'n', true, false },
		{ "First", 't', false, false },   { "Last", 't', false, false },
		{ "Country", 't', false, false }, { "ASN / org", 't', false, true },
		{ "Range", 't', true, false },    { "Reverse lookup", 't', false, false },
		{ "Captures", 'r', false, true },
	};
	const struct pd_rm_unres *u;
	struct tbl t;
	size_t i;
	char key[48], pk[16];

	fputs("<h2 id=unresolved>Unnamed addresses</h2>\n", f);
	if (!m->n_unres) {
		fputs("<p>None: every connection has a name.</p>\n", f);
		return;
	}
	table_open(&t, f, "unres", "addresses", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < m->n_unres; i++) {
		u = &m->unres[i];
		row_open(&t, !strcmp(u->policy, "violation"), NULL);
		cell(&t, NULL, addr_key(u->ip, key));
		fputs("<span class=v>", f);
		pd_esc_html(f, u->ip);
		fputs("</span></td>", f);
		td_policy(&t, u->policy, NULL);
		snprintf(pk, sizeof(pk), "%ld", u->ports ? strtol(u->ports, NULL, 10) : 0L);
		td_joined(&t, u->ports, pk);
		td_num(&t, u->flows);
		td_bytes(&t, u->bytes_out);
		td_bytes(&t, u->bytes_in);
		td_time(&t, u->first_ns);
		td_time(&t, u->last_ns);
		td(&t, u->country);
		cell(&t, NULL, NULL);
		if (u->asn)
			fprintf(f, "AS%" PRIu32 " ", u->asn);
		pd_esc_html(f, u->as_org);
		fputs("</td>", f);
		td(&t, u->label);
		td(&t, u->ptr_status ? u->ptr_status : "not looked up");
		td_caps(&t, m, u->captures);
		row_close(&t);
	}
	table_close(&t);
}

static void findings(FILE *f, const struct pd_model *m)
{
	static const struct colspec cols[] = {
		{ "Severity", 'r', true, false }, { "Kind", 't', true, false },
		{ "Subject", 't', true, true },   { "Detail", 't', true, true },
		{ "Count", 'n', true, false },    { "First seen", 't', false, false },
		{ "Captures", 'r', false, true },
	};
	struct tbl t;
	size_t i;
	int pass;
	bool warn;

	fputs("<h2 id=findings>Findings</h2>\n", f);
	if (!m->n_findings) {
		fputs("<p>None.</p>\n", f);
		return;
	}
	table_open(&t, f, "findings-t", "findings", cols, sizeof(cols) / sizeof(cols[0]));
	for (pass = 0; pass < 2; pass++) /* warnings first */
		for (i = 0; i < m->n_findings; i++) {
			warn = m->findings[i].severity &&
			       !strcmp(m->findings[i].severity, "warning");
			if (warn != (pass == 0))
				continue;
			row_open(&t, false, NULL);
			cell(&t, warn ? "warn" : NULL, warn ? "2" : "1");
			pd_esc_html(f, m->findings[i].severity);
			fputs("</td>", f);
			td(&t, m->findings[i].kind);
			td(&t, m->findings[i].subject);
			td(&t, m->findings[i].detail);
			td_num(&t, m->findings[i].count);
			td_time(&t, m->findings[i].first_ns);
			td_caps(&t, m, m->findings[i].captures);
			row_close(&t);
		}
	table_close(&t);
}

static void summary(FILE *f, const struct pd_model *m)
{
	const struct pd_rm_summary *s = &m->sum;
	char b1[32], b2[32], t1[32], t2[32];
	unsigned i;

	fprintf(f,
	        "<h2 id=summary>Summary</h2>\n<dl class=sum>"
	        "<dt>Destinations</dt><dd>%zu %s (%zu %s)</dd>"
	        "<dt>Unnamed addresses</dt><dd>%zu</dd>"
	        "<dt>Shared addresses</dt><dd>%zu</dd>"
	        "<dt>Flows</dt><dd>%" PRId64 " (%s out, %s in)</dd>"
	        "<dt>Time span</dt><dd>%s – %s</dd>"
	        "<dt>Encrypted DNS</dt><dd>%" PRId64 " %s, %" PRId64 " %s</dd>"
	        "<dt>ECH</dt><dd>%" PRId64 " %s, %" PRId64 " DNS %s</dd>"
	        "<dt>Policy</dt><dd>%s</dd><dt>Reverse lookups</dt><dd>%s</dd><dt>GeoIP</dt><dd>",
	        s->destinations,
	        pd_rm_plural((int64_t)s->destinations, "destination", "destinations"), s->domains,
	        pd_rm_plural((int64_t)s->domains, "domain", "domains"), s->unresolved, s->shared,
	        s->flows, pd_rm_bytes(s->bytes_out, b1), pd_rm_bytes(s->bytes_in, b2),
	        s->first_ns == PD_NS_NONE ? "?" : pd_rm_time(s->first_ns, t1),
	        s->last_ns == PD_NS_NONE ? "?" : pd_rm_time(s->last_ns, t2), s->encrypted_dns_flows,
	        pd_rm_plural(s->encrypted_dns_flows, "flow", "flows"), s->encrypted_dns_findings,
	        pd_rm_plural(s->encrypted_dns_findings, "finding", "findings"), s->ech_flows,
	        pd_rm_plural(s->ech_flows, "flow", "flows"), s->ech_dns_answers,
	        pd_rm_plural(s->ech_dns_answers, "answer", "answers"),
	        m->policy_checked ? "checked (see the verdict)" : "not checked",
	        m->resolved ? "made at report time (marked)" : "none made (cached results only)");
	if (!m->n_geo)
		fputs("GeoIP not configured", f);
	for (i = 0; i < m->n_geo; i++) {
		if (i)
			fputs(", ", f);
		pd_esc_html(f, m->geo_types[i]);
		fprintf(f, " (built %.10s)",
		        pd_rm_time(m->geo_built[i] == PD_NS_NONE ? PD_NS_NONE
		                                                 : m->geo_built[i] * 1000000000LL,
		                   t1));
	}
	fputs("</dd></dl>\n", f);
	for (i = 0; i < m->n_notes; i++) {
		fputs("<p class=warn>Note: ", f);
		pd_esc_html(f, m->notes[i]);
		fputs("</p>\n", f);
	}
}

static void captures(FILE *f, const struct pd_model *m)
{
	static const struct colspec cols[] = {
		{ "File", 't', true, true },         { "Id", 'n', true, false },
		{ "SHA-256", 't', false, true },     { "Format", 't', false, false },
		{ "Link types", 't', false, false }, { "First", 't', true, false },
		{ "Last", 't', true, false },        { "Packets", 'n', true, false },
		{ "Bytes", 'n', true, false },       { "Drops", 'n', true, false },
		{ "Container", 't', false, true },   { "Interfaces", 't', false, true },
		{ "Status", 't', true, true },
	};
	const struct pd_rm_capture *c;
	struct tbl t;
	size_t i, k;
	const char *file;

	fputs("<h2 id=captures>Captures</h2>\n", f);
	table_open(&t, f, "captures-t", "captures", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < m->n_caps; i++) {
		c = &m->caps[i];
		row_open(&t, false, NULL);
		file = pd_rm_capture_file(m, c->id);
		cell(&t, NULL, NULL);
		fputs("<span class=v>", f);
		pd_esc_html(f, file);
		fputs("</span>", f);
		if (c->path && file && strcmp(c->path, file)) {
			fputs(" <span class=muted>", f);
			pd_esc_html(f, c->path);
			fputs("</span>", f);
		}
		fputs("</td>", f);
		td_num(&t, c->id);
		cell(&t, NULL, NULL);
		fputs("<code>", f);
		pd_esc_html(f, c->sha256);
		fputs("</code></td>", f);
		td(&t, c->format);
		td(&t, c->link_types);
		td_time(&t, c->first_ns);
		td_time(&t, c->last_ns);
		td_num(&t, c->packets);
		td_bytes(&t, c->bytes);
		if (c->drops == PD_NS_NONE) {
			cell(&t, NULL, "-1");
			fputs("?</td>", f);
		} else {
			td_num(&t, c->drops);
		}
		cell(&t, NULL, NULL);
		if (c->container_name || c->container_id || c->image) {
			pd_esc_html(f, c->container_name);
			fputs(" ", f);
			pd_esc_html(f, c->image);
			fputs(" <span class=muted>", f);
			pd_esc_html(f, c->runtime);
			fputs(" ", f);
			pd_esc_html(f, c->container_id);
			if (c->pid != PD_NS_NONE)
				fprintf(f, " pid %" PRId64, c->pid);
			if (c->capture_host) {
				fputs(" on ", f);
				pd_esc_html(f, c->capture_host);
			}
			fputs("</span>", f);
		}
		if (c->comment) {
			fputs(" <span class=muted>", f);
			pd_esc_html(f, c->comment);
			fputs("</span>", f);
		}
		fputs("</td>", f);
		cell(&t, NULL, NULL);
		for (k = 0; k < c->n_ifaces; k++) {
			if (k)
				fputs(", ", f);
			pd_esc_html(f, c->ifaces[k].name);
			fputs(" (", f);
			pd_esc_html(f, c->ifaces[k].link_type);
			if (c->ifaces[k].dropped != PD_NS_NONE && c->ifaces[k].dropped)
				fprintf(f, ", %" PRId64 " dropped", c->ifaces[k].dropped);
			fputs(")", f);
		}
		fputs("</td>", f);
		if (c->cut_at != PD_NS_NONE) {
			cell(&t, "warn", NULL);
			fprintf(f, "cut at offset %" PRId64 ": ", c->cut_at);
			pd_esc_html(f, c->error);
			fputs("</td>", f);
		} else {
			td(&t, "complete");
		}
		row_close(&t);
	}
	table_close(&t);
	fputs("<p>Local addresses of the audited subject:", f);
	for (i = 0; i < m->n_caps; i++) {
		char buf[1024];
		fputs(i ? "; <span class=v>" : " <span class=v>", f);
		pd_esc_html(f, pd_rm_capture_file(m, m->caps[i].id));
		fputs("</span>: ", f);
		pd_esc_html(f, pd_rm_locals_str(&m->caps[i], buf, sizeof(buf)));
	}
	fputs("</p>\n", f);
}

/* A short section of traffic that is not a destination (model.h pd_rm_side). */
static void sides(FILE *f, const struct pd_model *m, const char *dir, const char *id,
                  const char *title)
{
	static const struct colspec cols[] = {
		{ "Service", 'a', true, false },    { "Port", 'n', true, false },
		{ "Proto", 't', true, false },      { "Kind", 't', true, false },
		{ "Names asked", 't', true, true }, { "Clients", 't', true, true },
		{ "Flows", 'n', true, false },      { "Out", 'n', true, false },
		{ "In", 'n', true, false },         { "First", 't', false, false },
		{ "Last", 't', false, false },
	};
	size_t first, n = pd_rm_sides_of(m, dir, &first), i;
	struct tbl t;
	char key[48];

	fprintf(f, "<h2 id=%s>%s</h2>\n", id, title);
	if (!n) {
		fputs("<p>None.</p>\n", f);
		return;
	}
	table_open(&t, f, id, "rows", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = first; i < first + n; i++) {
		const struct pd_rm_side *r = &m->sides[i];

		row_open(&t, false, NULL);
		cell(&t, NULL, addr_key(r->server_ip, key));
		fputs("<span class=v>", f);
		pd_esc_html(f, r->server_ip);
		fputs("</span></td>", f);
		td_num(&t, r->port);
		td(&t, r->proto);
		td(&t, r->label ? r->label : r->app_proto);
		cell(&t, NULL, NULL);
		joined_list(f, r->names);
		fputs("</td>", f);
		cell(&t, NULL, NULL);
		joined_list(f, r->clients);
		fputs("</td>", f);
		td_num(&t, r->flows);
		td_bytes(&t, r->bytes_out);
		td_bytes(&t, r->bytes_in);
		td_time(&t, r->first_ns);
		td_time(&t, r->last_ns);
		row_close(&t);
	}
	table_close(&t);
}

static void others(FILE *f, const struct pd_model *m)
{
	static const struct colspec sh[] = {
		{ "Address", 'a', true, false },
		{ "Domains", 'n', true, false },
		{ "CDN", 't', true, false },
		{ "Names (count)", 't', true, true },
	};
	static const struct colspec nh[] = {
		{ "Name", 't', true, true },       { "Types", 't', true, false },
		{ "Result", 't', true, false },    { "Answers", 't', true, true },
		{ "Responses", 'n', true, false }, { "First seen", 't', true, false },
		{ "Captures", 'r', true, true },
	};
	static const struct colspec ch[] = {
		{ "Kind", 't', true, false },
		{ "What", 't', true, false },
		{ "Count", 'n', true, false },
	};
	struct tbl t;
	struct blist b;
	size_t i, k;
	char key[48], nm[300];

	fputs("<h2 id=shared>Shared addresses</h2>\n<p>Addresses that carried names of several "
	      "registrable domains (CDNs): the name on such a connection is less certain.</p>\n",
	      f);
	table_open(&t, f, "shared-t", "shared addresses", sh, sizeof(sh) / sizeof(sh[0]));
	for (i = 0; i < m->n_shared; i++) {
		row_open(&t, false, NULL);
		cell(&t, NULL, addr_key(m->shared[i].ip, key));
		fputs("<span class=v>", f);
		pd_esc_html(f, m->shared[i].ip);
		fputs("</span></td>", f);
		td_num(&t, (int64_t)m->shared[i].n_domains);
		td(&t, m->shared[i].cdn);
		cell(&t, NULL, NULL);
		blist_start(&b, f, m->shared[i].n_names, false);
		for (k = 0; k < m->shared[i].n_names; k++) {
			snprintf(nm, sizeof(nm), "%.250s (%" PRId64 ")", m->shared[i].names[k].name,
			         m->shared[i].names[k].count);
			blist_item(&b, nm, NULL);
		}
		blist_end(&b);
		fputs("</td>", f);
		row_close(&t);
	}
	table_close(&t);

	sides(f, m, "ingress", "inbound", "Inbound (connections to the subject; not destinations)");
	sides(f, m, "internal", "internal", "Internal (both ends local)");
	sides(f, m, "control", "control", "Link-local control traffic (not judged by policies)");

	fputs("<h2 id=unused>DNS names looked up but never connected to</h2>\n", f);
	table_open(&t, f, "unused-t", "names", nh, sizeof(nh) / sizeof(nh[0]));
	for (i = 0; i < m->n_unused; i++) {
		row_open(&t, false, NULL);
		cell(&t, NULL, NULL);
		name_html(f, m->unused[i].qname);
		fputs("</td>", f);
		td(&t, m->unused[i].qtypes);
		td(&t, m->unused[i].rcodes);
		td(&t, m->unused[i].answers);
		td_num(&t, m->unused[i].count);
		td_time(&t, m->unused[i].first_ns);
		td_caps(&t, m, m->unused[i].captures);
		row_close(&t);
	}
	table_close(&t);

	fputs("<h2 id=counters>Parser counters</h2>\n", f);
	table_open(&t, f, "counters-t", "counters", ch, sizeof(ch) / sizeof(ch[0]));
	for (i = 0; i < m->n_counters; i++) {
		row_open(&t, false, NULL);
		td(&t, m->counters[i].kind);
		td(&t, m->counters[i].what);
		td_num(&t, m->counters[i].n);
		row_close(&t);
	}
	table_close(&t);
}

void pd_write_html(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	char hs[64], hj[64];

	(void)o;
	csp_hash(css, hs);
	csp_hash(js, hj);
	fputs("<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
	      "<meta name=viewport content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=color-scheme content=\"light dark\">\n",
	      f);
	fprintf(f,
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'sha256-%s'; script-src 'sha256-%s'; base-uri 'none'; "
	        "form-action 'none'\">\n",
	        hs, hj);
	fputs("<meta name=referrer content=no-referrer>\n<meta name=generator "
	      "content=pcapdomains>\n"
	      "<title>",
	      f);
	pd_esc_html(f, m->title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	pd_esc_html(f, m->title);
	fputs("</h1>\n<nav><a href=\"#verdict\">Verdict</a> · <a "
	      "href=\"#violations\">Violations</a> · <a href=\"#unresolved\">Unnamed</a> · "
	      "<a href=\"#findings\">Findings</a> · <a href=\"#charts\">Charts</a> · "
	      "<a href=\"#destinations\">Destinations</a> · <a "
	      "href=\"#connections\">Connections</a> · <a href=\"#shared\">Shared</a> · "
	      "<a href=\"#unused\">Unused names</a> · <a href=\"#summary\">Summary</a> · "
	      "<a href=\"#captures\">Captures</a> · <a href=\"#inbound\">Inbound</a> · "
	      "<a href=\"#internal\">Internal</a> · <a href=\"#control\">Control</a></nav>\n",
	      f);
	verdict(f, m);
	violations(f, m);
	unresolved(f, m);
	findings(f, m);
	charts(f, m);
	destinations(f, m);
	connections(f, m);
	sides(f, m, "ingress", "inbound", "Inbound (connections to the subject; not destinations)");
	sides(f, m, "internal", "internal", "Internal (both ends local)");
	sides(f, m, "control", "control", "Link-local control traffic (not judged by policies)");
	others(f, m);
	summary(f, m);
	captures(f, m);
	fprintf(f, "<script>%s</script>\n</body>\n</html>\n", js);
}
