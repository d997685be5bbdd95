/*
 * ifaddr.c - the addresses of one interface of the current network namespace, for the pcapng
 * interface description block's if_IPv4addr and if_IPv6addr options (draft-ietf-opsawg-pcapng
 * section 4.2: option 4 holds an IPv4 address and its netmask, option 5 an IPv6 address and its
 * prefix length). They tell the analyzer which end of a flow is the captured subject.
 *
 * getifaddrs(3) asks the kernel over netlink in the calling thread's network namespace, so the
 * helper calls it after setns(2): the addresses are the target's, not the host's. No privilege
 * is needed, so it works after the privilege drop too. IPv4 addresses with a label ("eth0:1",
 * ip-address(8) `label`) are listed under that label: a label is the interface name, or the
 * name followed by ':', and both count as the interface's.
 *
 * An interface that appears during a capture is set up in steps (created, addresses given,
 * brought up, carrier: then the kernel adds its IPv6 link-local address). The helper opens it
 * once it is up with a carrier (pd_cap_ifaddr_ready), when no packet can have passed yet and
 * its addresses are in place, so its block lists them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "helper.h"

static bool label_is(const char *label, const char *name)
{
	size_t n = strlen(name);
	return label && strncmp(label, name, n) == 0 && (label[n] == '\0' || label[n] == ':');
}

/* Leading one bits of a netmask of len bytes (a non-contiguous mask counts to its first 0). */
static uint8_t prefix_of(const uint8_t *mask, size_t len)
{
	uint8_t bits = 0;
	for (size_t i = 0; i < len; i++) {
		for (int b = 7; b >= 0; b--) {
			if (!(mask[i] >> b & 1))
				return bits;
			bits++;
		}
	}
	return bits;
}

unsigned pd_cap_ifaddr_collect(const struct ifaddrs *list, const char *name,
                               struct pd_cap_ifaddr *out, unsigned max, bool *more)
{
	unsigned n = 0;
	*more = false;
	for (const struct ifaddrs *a = list; a; a = a->ifa_next) {
		if (!a->ifa_addr || !label_is(a->ifa_name, name))
			continue;
		struct pd_cap_ifaddr x;
		memset(&x, 0, sizeof x);
		if (a->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)a->ifa_addr;
			const struct sockaddr_in *m = (const void *)a->ifa_netmask;
			x.family = 4;
			memcpy(x.addr, &s->sin_addr, 4);
			x.prefix = 32;
			if (m && m->sin_family == AF_INET)
				x.prefix = prefix_of((const uint8_t *)&m->sin_addr, 4);
		} else if (a->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)a->ifa_addr;
			const struct sockaddr_in6 *m = (const void *)a->ifa_netmask;
			x.family = 6;
			memcpy(x.addr, &s->sin6_addr, 16);
			x.prefix = 128;
			if (m && m->sin6_family == AF_INET6)
				x.prefix = prefix_of((const uint8_t *)&m->sin6_addr, 16);
		} else {
			continue; /* AF_PACKET: the link itself, no address */
		}
		if (n == max) {
			*more = true;
			break;
		}
		out[n++] = x;
	}
	return n;
}

int pd_cap_ifaddr_get(const char *name, struct pd_cap_ifaddr *out, unsigned max, bool *more,
                      char errbuf[PD_CAP_ERRBUF])
{
	struct ifaddrs *list;
	*more = false;
	if (getifaddrs(&list) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "reading the addresses of %s: %s", name,
		         strerror(errno));
		return -1;
	}
	unsigned n = pd_cap_ifaddr_collect(list, name, out, max, more);
	freeifaddrs(list);
	return (int)n;
}

bool pd_cap_ifaddr_ready(const char *name)
{
	struct ifaddrs *list;
	bool ready = true; /* when it cannot be told, as before: open it */
	if (getifaddrs(&list) < 0)
		return true;
	for (const struct ifaddrs *a = list; a; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_PACKET && a->ifa_name &&
		    strcmp(a->ifa_name, name) == 0) {
			ready = (a->ifa_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
			break;
		}
	freeifaddrs(list);
	return ready;
}
