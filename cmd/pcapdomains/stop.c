/*
 * stop.c - the one line a command prints when SIGINT or SIGTERM stopped it (issue 18): which
 * signal, what was kept, and that the work in progress was rolled back and temporary files
 * removed (the error paths did that before main() gets here). Exit status 128 + signal.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cmd.h"
#include "interrupt.h"

static char kept[1024];

void pd_cmd_kept(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kept, sizeof(kept), fmt, ap);
	va_end(ap);
}

int pd_cmd_stopped(int sig)
{
	fflush(stdout);
	fprintf(stderr,
	        "pcapdomains: interrupted by %s: %s; work in progress rolled back, no temporary "
	        "files left\n",
	        pd_interrupt_name(sig), kept[0] ? kept : "nothing was changed");
	return PD_EXIT_SIGNAL_BASE + sig;
}
