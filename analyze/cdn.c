/*
 * cdn.c - naming the CDN behind an address (SPEC 2.3 "shared addresses"): from the CNAME
 * targets of its DNS answers (suffix table below) and from the organisation of its ASN
 * (GeoLite2-ASN / DB-IP autonomous_system_organization, substring table below).
 *
 * The tables are data: add a row to teach a new CDN (tests/test_names.c checks every row).
 * Suffixes are matched on label boundaries, case-insensitively, trailing dot ignored.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "names.h"

struct cdn_suffix {
	const char *suffix;
	const char *cdn;
};

/* CNAME target suffixes of CDN edge names (from the operators' documented hostnames). */
static const struct cdn_suffix cdn_suffixes[] = {
	{ "cloudfront.net", "Amazon CloudFront" },
	{ "akamaiedge.net", "Akamai" },
	{ "akamai.net", "Akamai" },
	{ "akamaized.net", "Akamai" },
	{ "akamaihd.net", "Akamai" },
	{ "edgekey.net", "Akamai" },
	{ "edgesuite.net", "Akamai" },
	{ "akamaitechnologies.com", "Akamai" },
	{ "fastly.net", "Fastly" },
	{ "fastlylb.net", "Fastly" },
	{ "cdn.cloudflare.net", "Cloudflare" },
	{ "azureedge.net", "Azure CDN" },
	{ "azurefd.net", "Azure Front Door" },
	{ "t-msedge.net", "Azure Front Door" },
	{ "msecnd.net", "Azure CDN" },
	{ "edgecastcdn.net", "Edgio (Edgecast)" },
	{ "systemcdn.net", "Edgio (Edgecast)" },
	{ "llnwd.net", "Edgio (Limelight)" },
	{ "llnwi.net", "Edgio (Limelight)" },
	{ "googleusercontent.com", "Google Cloud" },
	{ "googlehosted.com", "Google" },
	{ "cdn77.org", "CDN77" },
	{ "cdn77.net", "CDN77" },
	{ "b-cdn.net", "bunny.net" },
	{ "stackpathdns.com", "StackPath" },
	{ "stackpathcdn.com", "StackPath" },
	{ "hwcdn.net", "StackPath (Highwinds)" },
	{ "incapdns.net", "Imperva" },
	{ "impervadns.net", "Imperva" },
	{ "kxcdn.com", "KeyCDN" },
	{ "cdngc.net", "CDNetworks" },
	{ "footprint.net", "Lumen CDN" },
	{ "cachefly.net", "CacheFly" },
	{ "alikunlun.com", "Alibaba Cloud CDN" },
	{ "kunlunsl.com", "Alibaba Cloud CDN" },
	{ "cdn.dnsv1.com", "Tencent Cloud CDN" },
	{ "vercel-dns.com", "Vercel" },
	{ "netlifyglobalcdn.com", "Netlify" },
	{ "sucuri.net", "Sucuri" },
	{ "gcdn.co", "Gcore" },
};

struct cdn_org {
	const char *needle; /* case-insensitive substring of the AS organisation */
	const char *cdn;
};

/* AS organisation names as GeoLite2-ASN and DB-IP ASN lite spell them. */
static const struct cdn_org cdn_orgs[] = {
	{ "cloudflare", "Cloudflare" },
	{ "akamai", "Akamai" },
	{ "fastly", "Fastly" },
	{ "amazon", "Amazon" },
	{ "google", "Google" },
	{ "microsoft", "Microsoft" },
	{ "edgecast", "Edgio (Edgecast)" },
	{ "edgio", "Edgio" },
	{ "limelight", "Edgio (Limelight)" },
	{ "incapsula", "Imperva" },
	{ "imperva", "Imperva" },
	{ "stackpath", "StackPath" },
	{ "highwinds", "StackPath (Highwinds)" },
	{ "cdn77", "CDN77" },
	{ "datacamp limited", "CDN77" },
	{ "bunnyway", "bunny.net" },
	{ "cdnetworks", "CDNetworks" },
	{ "cachefly", "CacheFly" },
	{ "g-core", "Gcore" },
	{ "gcore", "Gcore" },
	{ "alibaba", "Alibaba Cloud" },
	{ "tencent", "Tencent Cloud" },
	{ "vercel", "Vercel" },
	{ "netlify", "Netlify" },
	{ "sucuri", "Sucuri" },
};

/* Does the name [s, s+n) end with suffix on a label boundary? */
static int ends_with_label(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (m > n)
		return 0;
	if (strncasecmp(s + n - m, suffix, m) != 0)
		return 0;
	return m == n || s[n - m - 1] == '.';
}

static const char *cdn_of_span(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cdn_suffixes) / sizeof(cdn_suffixes[0]); i++)
		if (ends_with_label(s, n, cdn_suffixes[i].suffix))
			return cdn_suffixes[i].cdn;
	return NULL;
}

/*
 * name may also be a '>'-joined CNAME chain (flows.cname_chain, dns_answers.chain): the last
 * element naming a CDN wins, so the final edge name decides.
 */
const char *pd_cdn_from_name(const char *name)
{
	const char *end, *gt, *cdn;

	if (!name)
		return NULL;
	end = name + strlen(name);
	for (;;) {
		gt = end;
		while (gt > name && gt[-1] != '>')
			gt--;
		cdn = cdn_of_span(gt, (size_t)(end - gt));
		if (cdn)
			return cdn;
		if (gt == name)
			return NULL;
		end = gt - 1;
	}
}

const char *pd_cdn_from_as_org(const char *as_org)
{
	size_t i;

	if (!as_org || !*as_org)
		return NULL;
	for (i = 0; i < sizeof(cdn_orgs) / sizeof(cdn_orgs[0]); i++)
		if (strcasestr(as_org, cdn_orgs[i].needle))
			return cdn_orgs[i].cdn;
	return NULL;
}

size_t pd_cdn_table(size_t i, const char **suffix, const char **cdn)
{
	size_t n = sizeof(cdn_suffixes) / sizeof(cdn_suffixes[0]);

	if (i < n) {
		*suffix = cdn_suffixes[i].suffix;
		*cdn = cdn_suffixes[i].cdn;
	}
	return n;
}
