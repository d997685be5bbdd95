/*
 * interrupt.c - SIGINT/SIGTERM as a stop request polled at safe points; SIGPIPE and SIGXFSZ
 * ignored so that writes fail with EPIPE/EFBIG and take the ordinary error path (exit 2)
 * instead of killing the process (exit 141/153). See interrupt.h.
 */
#include <signal.h>
#include <string.h>

#include "interrupt.h"

static volatile sig_atomic_t stop_sig, stop_count;

static void on_stop(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
	/* the third request: the user insists, the default action (killed by the signal) */
	if (++stop_count >= 3) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

void pd_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	/* SA_RESTART: a write to a pipe is not cut short by EINTR; loops poll the flag */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int pd_interrupted(void)
{
	return stop_sig;
}

static int sqlite_progress(void *arg)
{
	(void)arg;
	return stop_sig != 0;
}

void pd_interrupt_sqlite(sqlite3 *db)
{
	/* every 10,000 virtual machine steps: a few microseconds */
	sqlite3_progress_handler(db, 10000, sqlite_progress, NULL);
}

const char *pd_interrupt_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	default:
		return "a signal";
	}
}
