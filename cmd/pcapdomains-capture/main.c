/*
 * main.c - pcapdomains-capture: records a container's traffic from inside its network
 * namespace into pcapng, with the container's identity in the file (SPEC 1).
 *
 * Order of work: parse options; look the target up (Engine API, crictl or /proc) as the
 * invoking root; check capabilities; open the namespace file and setns(2) into it; open one
 * capture handle per interface and the first output file; drop privileges; capture until
 * SIGINT/SIGTERM, -c or --duration; write statistics; exit 0. Any error: one line on stderr
 * naming the target and what to do, exit 2.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

#define EXIT_OK  0
#define EXIT_ERR 2

volatile int pd_cap_stop;

static void on_signal(int sig)
{
	(void)sig;
	pd_cap_stop = 1;
}

static void usage(FILE *f)
{
	fputs("usage: pcapdomains-capture [options] TARGET -w OUT.pcapng\n"
	      "\n"
	      "Records the traffic of a container (or any network namespace) into pcapng, with\n"
	      "the container's identity (runtime, id, name, image, pid, netns) in the file.\n"
	      "\n"
	      "TARGET:\n"
	      "  docker:NAME|ID     Docker container (Engine API on DOCKER_HOST or\n"
	      "                     /var/run/docker.sock)\n"
	      "  podman:NAME|ID     Podman container (CONTAINER_HOST, /run/podman/podman.sock,\n"
	      "                     $XDG_RUNTIME_DIR/podman/podman.sock)\n"
	      "  cri:ID             containerd/CRI-O container or pod (runs `crictl inspect ID`)\n"
	      "  pid:N              the network namespace of process N\n"
	      "  netns:PATH         a namespace file: /run/netns/NAME, /proc/N/ns/net\n"
	      "  NAME               a container name or id: Docker, then Podman\n"
	      "\n"
	      "options:\n"
	      "  -w FILE            output pcapng file ('-' for standard output); required\n"
	      "  -i IFACE           capture on IFACE only (repeatable); default: every interface,\n"
	      "                     and interfaces that appear later\n"
	      "  -f BPF             capture filter (pcap-filter(7)), e.g. -f 'not port 22'\n"
	      "  -s SNAPLEN         bytes kept per packet (default 262144)\n"
	      "  -B KIB             kernel buffer per interface in KiB (default 8192)\n"
	      "  -c COUNT           stop after COUNT packets\n"
	      "  --duration SECS    stop after SECS seconds\n"
	      "  -C MB              start a new file when this one reaches MB million bytes\n"
	      "  -G SECS            start a new file every SECS seconds\n"
	      "  -W N               keep a ring of N files (with -C/-G): FILE-000.pcapng ...\n"
	      "  -Z USER            drop privileges to USER (default: SUDO_UID/SUDO_GID, else\n"
	      "                     nobody); output files belong to that user\n"
	      "  --socket PATH      Engine API unix socket for docker:/podman: targets\n"
	      "  --name NAME        container name to record (when the runtime cannot be asked)\n"
	      "  --no-rescan        do not pick up interfaces that appear later (keeps no\n"
	      "                     capability at all after the privilege drop)\n"
	      "  -q, --quiet        no start message and no live progress\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Stop with Ctrl-C or SIGTERM: statistics are written and files closed.\n"
	      "Exit status: 0 success, 2 error.\n",
	      f);
}

static void die(const char *msg)
{
	fprintf(stderr, "pcapdomains-capture: %s\n", msg);
	exit(EXIT_ERR);
}

static double num(const char *opt, const char *s, double min, double max)
{
	char *end, msg[256];
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= min && v <= max)) {
		snprintf(msg, sizeof msg, "%s %s: expected a number from %g to %g", opt, s, min,
		         max);
		die(msg);
	}
	return v;
}

int main(int argc, char **argv)
{
	enum { OPT_DURATION = 256, OPT_SOCKET, OPT_NORESCAN, OPT_NAME };
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "no-rescan", no_argument, NULL, OPT_NORESCAN },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct pd_cap_opts o;
	static struct pd_cap_target t;
	const char *sock = NULL, *name = NULL;
	bool norescan = false;
	char err[PD_CAP_ERRBUF];
	int c;

	o.snaplen = 262144;
	o.buffer_kib = 8192;
	while ((c = getopt_long(argc, argv, "w:i:f:s:B:c:C:G:W:Z:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o.out = optarg;
			break;
		case 'i':
			if (o.n_ifaces >= PD_CAP_MAX_IFACES)
				die("too many -i");
			o.ifaces[o.n_ifaces++] = optarg;
			break;
		case 'f':
			o.filter = optarg;
			break;
		case 's':
			o.snaplen = (int)num("-s", optarg, 64, 262144);
			break;
		case 'B':
			o.buffer_kib = (int)num("-B", optarg, 64, 1048576);
			break;
		case 'c':
			o.count = (uint64_t)num("-c", optarg, 1, 1e18);
			break;
		case 'C':
			o.rotate_bytes = (uint64_t)(num("-C", optarg, 0.001, 1e9) * 1e6);
			break;
		case 'G':
			o.rotate_secs = num("-G", optarg, 0.1, 1e9);
			break;
		case 'W':
			o.ring = (unsigned)num("-W", optarg, 1, 100000);
			break;
		case 'Z':
			o.user = optarg;
			break;
		case OPT_DURATION:
			o.duration = num("--duration", optarg, 0.001, 1e9);
			break;
		case OPT_SOCKET:
			sock = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_NORESCAN:
			norescan = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("pcapdomains-capture %s\n", PD_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_ERR;
		}
	}
	if (optind != argc - 1) {
		fputs(optind == argc ? "pcapdomains-capture: no TARGET given\n"
		                     : "pcapdomains-capture: more than one TARGET given\n",
		      stderr);
		usage(stderr);
		return EXIT_ERR;
	}
	if (!o.out)
		die("no output file: -w OUT.pcapng (or -w - for standard output)");
	if (o.ring && !o.rotate_bytes && o.rotate_secs <= 0)
		die("-W needs -C or -G");
	if (strcmp(o.out, "-") == 0 && (o.rotate_bytes || o.rotate_secs > 0))
		die("-C and -G need a file, not standard output");
	if (strcmp(o.out, "-") == 0 && isatty(STDOUT_FILENO))
		die("-w -: standard output is a terminal; pipe it into a program or use a file");
	o.rescan = o.n_ifaces == 0 && !norescan;

	if (pd_cap_target_parse(&t, argv[optind], err) < 0)
		die(err);
	if (sock)
		snprintf(t.socket, sizeof t.socket, "%s", sock);
	if (pd_cap_target_resolve(&t, err) < 0)
		die(err);
	if (name)
		snprintf(t.name, sizeof t.name, "%s", name);

	/* Is the target's namespace ours already? Then setns() and CAP_SYS_ADMIN are not needed. */
	struct stat a, b;
	bool need_setns = !(stat(t.netns_path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
	                    a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	if (!need_setns && !o.quiet && t.runtime != PD_CAP_RT_NETNS)
		fprintf(stderr,
		        "pcapdomains-capture: note: %s shares this host's network namespace "
		        "(host networking?): every host interface is captured\n",
		        t.spec);
	char what[300];
	if (pd_cap_privs_check(need_setns, err) < 0) {
		snprintf(what, sizeof what, "%s: %s", t.spec, err);
		die(what);
	}
	struct pd_cap_privs privs;
	if (pd_cap_privs_choose(&privs, o.user, err) < 0)
		die(err);
	privs.keep_net_raw = o.rescan;

	/* A pidfd turns readable when the process exits (pidfd_open(2), Linux 5.3). */
	o.target_pidfd = t.pid > 0 ? (int)syscall(SYS_pidfd_open, (pid_t)t.pid, 0) : -1;

	struct pd_cap_netns ns;
	if (pd_cap_netns_open(&ns, t.netns_path, t.spec, err) < 0 ||
	    pd_cap_netns_enter(&ns, t.spec, err) < 0)
		die(err);

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (pd_cap_capture(&o, &t, ns.inode, &privs, err) < 0)
		die(err);
	return EXIT_OK;
}
