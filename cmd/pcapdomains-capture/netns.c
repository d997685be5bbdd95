/*
 * netns.c - entering the target's network namespace with setns(2) (namespaces(7)): the
 * namespace file (/proc/PID/ns/net or a bind mount such as /run/netns/NAME) is opened first and
 * its inode recorded as the namespace's identity; setns() then moves this (single-threaded)
 * process into it. A namespace equal to our own is not entered, so no CAP_SYS_ADMIN is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

int pd_cap_netns_open(struct pd_cap_netns *ns, const char *path, const char *what,
                      char errbuf[PD_CAP_ERRBUF])
{
	struct stat st, self;
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			snprintf(errbuf, PD_CAP_ERRBUF,
			         "%s: cannot open %s: %s (needs root, or CAP_SYS_PTRACE for "
			         "another user's process)",
			         what, path, strerror(e));
		else if (e == ENOENT)
			snprintf(errbuf, PD_CAP_ERRBUF,
			         "%s: %s does not exist (the process or namespace is gone)", what,
			         path);
		else
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: cannot open %s: %s", what, path,
			         strerror(e));
		return -1;
	}
	if (fstat(ns->fd, &st) < 0) {
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: %s: %s", what, path, strerror(errno));
		close(ns->fd);
		ns->fd = -1;
		return -1;
	}
	ns->inode = (uint64_t)st.st_ino;
	ns->same = stat("/proc/self/ns/net", &self) == 0 && self.st_ino == st.st_ino &&
	           self.st_dev == st.st_dev;
	return 0;
}

int pd_cap_netns_enter(struct pd_cap_netns *ns, const char *what, char errbuf[PD_CAP_ERRBUF])
{
	int rc = 0;
	if (!ns->same && setns(ns->fd, CLONE_NEWNET) < 0) {
		int e = errno;
		if (e == EINVAL)
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: not a network namespace", what);
		else if (e == EPERM)
			snprintf(errbuf, PD_CAP_ERRBUF,
			         "%s: cannot enter its network namespace: missing capability "
			         "CAP_SYS_ADMIN (run with sudo)",
			         what);
		else
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: setns: %s", what, strerror(e));
		rc = -1;
	}
	close(ns->fd);
	ns->fd = -1;
	return rc;
}
