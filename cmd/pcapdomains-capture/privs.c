/*
 * privs.c - privileges of the capture helper (capabilities(7), credentials(7)).
 *
 * Before: entering another network namespace needs CAP_SYS_ADMIN (setns(2)), opening a packet
 * socket needs CAP_NET_RAW; a missing one is named. After the capture handles and the first
 * output file are open, the helper becomes the invoking user (SUDO_UID/SUDO_GID, -Z USER, else
 * nobody): setgroups(0), setresgid, setresuid, every capability cleared from the bounding,
 * ambient, inheritable, permitted and effective sets, PR_SET_NO_NEW_PRIVS; then it checks that
 * the drop holds (ids, capability sets, setuid(0) refused). The only exception is CAP_NET_RAW,
 * kept while interfaces are rescanned, to open the ones that appear later; -i or --no-rescan
 * keep nothing.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return (int)syscall(SYS_capget, &h, d);
}

static int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return (int)syscall(SYS_capset, &h, d);
}

static bool has(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1u;
}

int pd_cap_privs_check(bool need_setns, char errbuf[PD_CAP_ERRBUF])
{
	struct __user_cap_data_struct d[2];
	char missing[256] = "";
	if (caps_get(d) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "capget: %s", strerror(errno));
		return -1;
	}
	if (!has(d, CAP_NET_RAW))
		strcat(missing, "CAP_NET_RAW (to open packet sockets)");
	if (need_setns && !has(d, CAP_SYS_ADMIN))
		strcat(strcat(missing, missing[0] ? " and " : ""),
		       "CAP_SYS_ADMIN (to enter the target's network namespace with setns)");
	if (!missing[0])
		return 0;
	snprintf(errbuf, PD_CAP_ERRBUF,
	         "missing capability %s: run it with sudo (or grant them: setcap "
	         "cap_net_raw,cap_sys_admin+ep)",
	         missing);
	return -1;
}

static int numeric(const char *s, unsigned long *v)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (*end || errno || *v > 0x7fffffffu) ? -1 : 0;
}

int pd_cap_privs_choose(struct pd_cap_privs *p, const char *user_opt, char errbuf[PD_CAP_ERRBUF])
{
	unsigned long u, g;
	memset(p, 0, sizeof *p);
	p->change_user = geteuid() == 0;
	if (user_opt) {
		struct passwd *pw = getpwnam(user_opt);
		if (pw) {
			p->uid = pw->pw_uid;
			p->gid = pw->pw_gid;
		} else if (numeric(user_opt, &u) == 0) {
			p->uid = (uid_t)u;
			p->gid = (gid_t)u;
		} else {
			snprintf(errbuf, PD_CAP_ERRBUF, "-Z %s: no such user", user_opt);
			return -1;
		}
		snprintf(p->user, sizeof p->user, "%s", user_opt);
	} else if (numeric(getenv("SUDO_UID"), &u) == 0) {
		if (numeric(getenv("SUDO_GID"), &g) < 0)
			g = u;
		p->uid = (uid_t)u;
		p->gid = (gid_t)g;
		snprintf(p->user, sizeof p->user, "uid %lu (SUDO_UID)", u);
	} else {
		struct passwd *pw = getpwnam("nobody");
		p->uid = pw ? pw->pw_uid : 65534;
		p->gid = pw ? pw->pw_gid : 65534;
		snprintf(p->user, sizeof p->user, "nobody");
	}
	if (!p->change_user) {
		p->uid = getuid();
		p->gid = getgid();
	}
	return 0;
}

static int last_cap(void)
{
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (f) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int pd_cap_privs_drop(const struct pd_cap_privs *p, char errbuf[PD_CAP_ERRBUF])
{
	struct __user_cap_data_struct d[2];
	uint32_t keep0 = p->keep_net_raw ? 1u << CAP_NET_RAW : 0; /* CAP_NET_RAW is 13 */

	if (caps_get(d) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "capget: %s", strerror(errno));
		return -1;
	}
	if (has(d, CAP_SETPCAP)) {
		int last = last_cap();
		for (int c = 0; c <= last; c++)
			if (!(c == CAP_NET_RAW && p->keep_net_raw) &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
				snprintf(errbuf, PD_CAP_ERRBUF, "dropping capability %d: %s", c,
				         strerror(errno));
				return -1;
			}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (p->change_user) {
		if (p->keep_net_raw && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
			snprintf(errbuf, PD_CAP_ERRBUF, "PR_SET_KEEPCAPS: %s", strerror(errno));
			return -1;
		}
		if (setgroups(0, NULL) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
		    setresuid(p->uid, p->uid, p->uid) < 0) {
			snprintf(errbuf, PD_CAP_ERRBUF, "cannot become %s (uid %u gid %u): %s",
			         p->user, (unsigned)p->uid, (unsigned)p->gid, strerror(errno));
			return -1;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	memset(d, 0, sizeof d);
	d[0].permitted = d[0].effective = keep0;
	if (caps_set(d) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "clearing capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}

	/* Verify: a drop that did not happen must not go unnoticed. */
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    (p->change_user && (r != p->uid || e != p->uid || s != p->uid || rg != p->gid ||
	                        eg != p->gid || sg != p->gid || getgroups(0, NULL) != 0))) {
		snprintf(errbuf, PD_CAP_ERRBUF, "privilege drop did not hold (ids)");
		return -1;
	}
	if (caps_get(d) < 0 || d[0].effective != keep0 || d[0].permitted != keep0 ||
	    d[0].inheritable || d[1].effective || d[1].permitted || d[1].inheritable) {
		snprintf(errbuf, PD_CAP_ERRBUF, "privilege drop did not hold (capabilities)");
		return -1;
	}
	if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(errbuf, PD_CAP_ERRBUF, "privilege drop did not hold (setuid(0) worked)");
		return -1;
	}
	return 0;
}
