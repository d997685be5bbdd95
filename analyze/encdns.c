/*
 * encdns.c - the table of well-known encrypted-DNS resolvers, see encdns.h.
 *
 * Names are matched exactly or, for operators that give each customer a subdomain
 * (NextDNS, Control D, Cloudflare for Teams), as a suffix on a label boundary. Addresses are
 * the operators' published anycast resolver addresses (IPv4 and IPv6).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>

#include "encdns.h"

struct encdns_name {
	const char *name;
	const char *op;
	int suffix; /* also matches any subdomain */
};

static const struct encdns_name doh_names[] = {
	{ "dns.google", "Google", 0 },
	{ "dns.google.com", "Google", 0 },
	{ "8888.google", "Google", 0 },
	{ "cloudflare-dns.com", "Cloudflare", 1 },
	{ "one.one.one.one", "Cloudflare", 0 },
	{ "cloudflare-gateway.com", "Cloudflare", 1 },
	{ "dns.quad9.net", "Quad9", 0 },
	{ "dns9.quad9.net", "Quad9", 0 },
	{ "dns10.quad9.net", "Quad9", 0 },
	{ "dns11.quad9.net", "Quad9", 0 },
	{ "doh.opendns.com", "OpenDNS", 0 },
	{ "doh.familyshield.opendns.com", "OpenDNS", 0 },
	{ "dns.adguard.com", "AdGuard", 0 },
	{ "dns.adguard-dns.com", "AdGuard", 1 },
	{ "dns.nextdns.io", "NextDNS", 1 },
	{ "doh.cleanbrowsing.org", "CleanBrowsing", 1 },
	{ "doh.mullvad.net", "Mullvad", 1 },
	{ "dns.mullvad.net", "Mullvad", 0 },
	{ "doh.dns.sb", "DNS.SB", 0 },
	{ "dns.alidns.com", "AliDNS", 0 },
	{ "doh.pub", "DNSPod", 0 },
	{ "dns.controld.com", "Control D", 1 },
	{ "freedns.controld.com", "Control D", 0 },
	{ "dns0.eu", "DNS0.EU", 1 },
	{ "ordns.he.net", "Hurricane Electric", 0 },
};

struct encdns_addr {
	const char *addr;
	const char *op;
};

static const struct encdns_addr doh_addrs[] = {
	{ "1.1.1.1", "Cloudflare" },
	{ "1.0.0.1", "Cloudflare" },
	{ "1.1.1.2", "Cloudflare" },
	{ "1.0.0.2", "Cloudflare" },
	{ "1.1.1.3", "Cloudflare" },
	{ "1.0.0.3", "Cloudflare" },
	{ "2606:4700:4700::1111", "Cloudflare" },
	{ "2606:4700:4700::1001", "Cloudflare" },
	{ "8.8.8.8", "Google" },
	{ "8.8.4.4", "Google" },
	{ "2001:4860:4860::8888", "Google" },
	{ "2001:4860:4860::8844", "Google" },
	{ "9.9.9.9", "Quad9" },
	{ "149.112.112.112", "Quad9" },
	{ "9.9.9.10", "Quad9" },
	{ "9.9.9.11", "Quad9" },
	{ "2620:fe::fe", "Quad9" },
	{ "2620:fe::9", "Quad9" },
	{ "208.67.222.222", "OpenDNS" },
	{ "208.67.220.220", "OpenDNS" },
	{ "2620:119:35::35", "OpenDNS" },
	{ "2620:119:53::53", "OpenDNS" },
	{ "94.140.14.14", "AdGuard" },
	{ "94.140.15.15", "AdGuard" },
	{ "194.242.2.2", "Mullvad" },
	{ "76.76.2.0", "Control D" },
	{ "76.76.10.0", "Control D" },
};

const char *pd_encdns_by_name(const char *name)
{
	size_t i, n, l;

	if (!name || !*name)
		return NULL;
	n = strlen(name);
	for (i = 0; i < sizeof(doh_names) / sizeof(doh_names[0]); i++) {
		const struct encdns_name *e = &doh_names[i];

		l = strlen(e->name);
		if (n == l && !strcmp(name, e->name))
			return e->op;
		if (e->suffix && n > l + 1 && name[n - l - 1] == '.' &&
		    !strcmp(name + n - l, e->name))
			return e->op;
	}
	return NULL;
}

static struct pd_addr parsed[sizeof(doh_addrs) / sizeof(doh_addrs[0])];
static pthread_once_t parsed_once = PTHREAD_ONCE_INIT;

static void parse_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(doh_addrs) / sizeof(doh_addrs[0]); i++) {
		memset(&parsed[i], 0, sizeof(parsed[i]));
		if (inet_pton(AF_INET, doh_addrs[i].addr, parsed[i].a) == 1)
			parsed[i].family = 4;
		else if (inet_pton(AF_INET6, doh_addrs[i].addr, parsed[i].a) == 1)
			parsed[i].family = 6;
	}
}

const char *pd_encdns_by_addr(const struct pd_addr *a)
{
	size_t i;

	pthread_once(&parsed_once, parse_table);
	for (i = 0; i < sizeof(doh_addrs) / sizeof(doh_addrs[0]); i++)
		if (parsed[i].family == a->family &&
		    !memcmp(parsed[i].a, a->a, a->family == 4 ? 4 : 16))
			return doh_addrs[i].op;
	return NULL;
}
