/*
 * target.c - what to capture: TARGET syntax (docker:NAME|ID, podman:NAME|ID, cri:ID, pid:N,
 * netns:PATH, or a bare container name tried in Docker, then Podman) and its lookup into a pid,
 * a network namespace file and the identity written into the capture.
 *
 * Sockets, first match wins: --socket PATH; Docker: DOCKER_HOST=unix://PATH, then
 * /var/run/docker.sock; Podman: CONTAINER_HOST=unix://PATH, then /run/podman/podman.sock, then
 * $XDG_RUNTIME_DIR/podman/podman.sock and /run/user/$SUDO_UID/podman/podman.sock (rootless).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

const char *pd_cap_runtime_name(enum pd_cap_runtime rt)
{
	switch (rt) {
	case PD_CAP_RT_DOCKER:
		return "docker";
	case PD_CAP_RT_PODMAN:
		return "podman";
	case PD_CAP_RT_CRI:
		return "cri";
	case PD_CAP_RT_PID:
		return "pid";
	case PD_CAP_RT_NETNS:
		return "netns";
	case PD_CAP_RT_AUTO:
		break;
	}
	return "auto";
}

int pd_cap_target_parse(struct pd_cap_target *t, const char *spec, char errbuf[PD_CAP_ERRBUF])
{
	static const struct {
		const char *prefix;
		enum pd_cap_runtime rt;
	} kinds[] = {
		{ "docker:", PD_CAP_RT_DOCKER }, { "podman:", PD_CAP_RT_PODMAN },
		{ "cri:", PD_CAP_RT_CRI },       { "pid:", PD_CAP_RT_PID },
		{ "netns:", PD_CAP_RT_NETNS },
	};
	const char *ref = spec;
	memset(t, 0, sizeof *t);
	t->runtime = PD_CAP_RT_AUTO;
	if (strlen(spec) >= sizeof t->spec) {
		snprintf(errbuf, PD_CAP_ERRBUF, "target too long");
		return -1;
	}
	snprintf(t->spec, sizeof t->spec, "%s", spec);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i].prefix);
		if (strncmp(spec, kinds[i].prefix, n) == 0) {
			t->runtime = kinds[i].rt;
			ref = spec + n;
			break;
		}
	}
	if (t->runtime == PD_CAP_RT_AUTO && strchr(spec, ':')) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: unknown target kind (use docker:, podman:, cri:, pid: or netns:)",
		         spec);
		return -1;
	}
	if (!*ref) {
		snprintf(errbuf, PD_CAP_ERRBUF, "%s: empty target", spec);
		return -1;
	}
	snprintf(t->ref, sizeof t->ref, "%s", ref);
	if (t->runtime == PD_CAP_RT_PID) {
		char *end;
		errno = 0;
		long p = strtol(ref, &end, 10);
		if (*end || p <= 0 || errno) {
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: not a process id", spec);
			return -1;
		}
		t->pid = p;
	}
	return 0;
}

/* "unix:///x" -> "/x"; other schemes are refused. */
static int from_env(const char *var, char *dst, size_t dstsz, const char *spec,
                    char errbuf[PD_CAP_ERRBUF])
{
	const char *v = getenv(var);
	if (!v || !*v)
		return 0;
	if (strncmp(v, "unix://", 7) != 0) {
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: %s=%s: only unix:// sockets are supported (run the helper on the "
		         "host that runs the container)",
		         spec, var, v);
		return -1;
	}
	snprintf(dst, dstsz, "%s", v + 7);
	return 1;
}

static enum pd_cap_eng_res ask(struct pd_cap_target *t, enum pd_cap_runtime rt,
                               char errbuf[PD_CAP_ERRBUF])
{
	char paths[4][256];
	unsigned n = 0;
	t->runtime = rt;
	if (t->socket[0]) {
		snprintf(paths[n++], sizeof paths[0], "%s", t->socket);
	} else if (rt == PD_CAP_RT_DOCKER) {
		int r = from_env("DOCKER_HOST", paths[n], sizeof paths[0], t->spec, errbuf);
		if (r < 0)
			return PD_CAP_ENG_ERROR;
		n += (unsigned)r;
		if (!n)
			snprintf(paths[n++], sizeof paths[0], "/var/run/docker.sock");
	} else {
		int r = from_env("CONTAINER_HOST", paths[n], sizeof paths[0], t->spec, errbuf);
		if (r < 0)
			return PD_CAP_ENG_ERROR;
		n += (unsigned)r;
		if (!n) {
			const char *xdg = getenv("XDG_RUNTIME_DIR");
			const char *su = getenv("SUDO_UID");
			snprintf(paths[n++], sizeof paths[0], "/run/podman/podman.sock");
			if (xdg && *xdg)
				snprintf(paths[n++], sizeof paths[0], "%.200s/podman/podman.sock",
				         xdg);
			if (su && *su && strspn(su, "0123456789") == strlen(su))
				snprintf(paths[n++], sizeof paths[0],
				         "/run/user/%.20s/podman/podman.sock", su);
		}
	}
	/* The first socket that exists is asked; when none exists, the first is named. */
	unsigned pick = 0;
	for (unsigned i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 || errno != ENOENT) {
			pick = i;
			break;
		}
	}
	return pd_cap_engine_inspect(paths[pick], t, errbuf);
}

int pd_cap_target_resolve(struct pd_cap_target *t, char errbuf[PD_CAP_ERRBUF])
{
	switch (t->runtime) {
	case PD_CAP_RT_DOCKER:
	case PD_CAP_RT_PODMAN:
		return ask(t, t->runtime, errbuf) == PD_CAP_ENG_OK ? 0 : -1;
	case PD_CAP_RT_AUTO: {
		char derr[PD_CAP_ERRBUF];
		enum pd_cap_eng_res d = ask(t, PD_CAP_RT_DOCKER, derr);
		if (d == PD_CAP_ENG_OK)
			return 0;
		if (d == PD_CAP_ENG_ERROR) {
			snprintf(errbuf, PD_CAP_ERRBUF, "%s", derr);
			return -1;
		}
		enum pd_cap_eng_res p = ask(t, PD_CAP_RT_PODMAN, errbuf);
		if (p == PD_CAP_ENG_OK)
			return 0;
		if (p == PD_CAP_ENG_ERROR)
			return -1;
		t->runtime = PD_CAP_RT_AUTO;
		snprintf(errbuf, PD_CAP_ERRBUF,
		         "%s: no container of that name in Docker or Podman (%s; %s) (use "
		         "cri:ID, pid:N or netns:PATH for other runtimes)",
		         t->spec,
		         d == PD_CAP_ENG_NOTFOUND ? "docker: not found" : "docker: no socket",
		         p == PD_CAP_ENG_NOTFOUND ? "podman: not found" : "podman: no socket");
		return -1;
	}
	case PD_CAP_RT_CRI:
		return pd_cap_cri_inspect(t, errbuf);
	case PD_CAP_RT_PID: {
		char comm[64] = "";
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/comm", t->pid);
		FILE *f = fopen(path, "r");
		if (!f) {
			snprintf(errbuf, PD_CAP_ERRBUF, "%s: no process %ld", t->spec, t->pid);
			return -1;
		}
		if (fgets(comm, sizeof comm, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		snprintf(t->name, sizeof t->name, "%s", comm);
		snprintf(t->netns_path, sizeof t->netns_path, "/proc/%ld/ns/net", t->pid);
		snprintf(t->via, sizeof t->via, "/proc");
		return 0;
	}
	case PD_CAP_RT_NETNS: {
		const char *base = strrchr(t->ref, '/');
		long p = 0;
		snprintf(t->netns_path, sizeof t->netns_path, "%s", t->ref);
		/* /proc/N/ns/net names a process; /run/netns/NAME names the namespace. */
		if (sscanf(t->ref, "/proc/%ld/ns/net", &p) == 1 && p > 0)
			t->pid = p;
		else if (strcmp(t->ref, "/proc/self/ns/net") == 0)
			t->pid = (long)getpid();
		else if (strncmp(t->ref, "/proc/", 6) != 0)
			snprintf(t->name, sizeof t->name, "%s", base ? base + 1 : t->ref);
		snprintf(t->via, sizeof t->via, "%s", t->ref);
		return 0;
	}
	}
	return -1;
}
