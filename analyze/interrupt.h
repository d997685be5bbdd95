/*
 * interrupt.h - SIGINT and SIGTERM as a request to stop at a safe point (issue 18).
 *
 * pd_interrupt_install() (cmd/, once at start) makes SIGINT and SIGTERM set a flag instead of
 * killing the process, and makes SIGPIPE and SIGXFSZ ordinary write errors (EPIPE, EFBIG).
 * Long loops poll pd_interrupted() (the ingest packet loop, -j, merge, report output) and
 * SQLite statements stop through a progress handler (pd_interrupt_sqlite), so the work in
 * progress is rolled back and temporary files removed by the ordinary error paths; the command
 * then prints one line and exits with 128 + the signal's number. A third signal while
 * stopping kills the process the default way.
 */
#ifndef PD_INTERRUPT_H
#define PD_INTERRUPT_H

#include <sqlite3.h>

/* Installs the handlers described above. */
void pd_interrupt_install(void);
/* The signal that asked us to stop (SIGINT, SIGTERM), 0 when none. */
int pd_interrupted(void);
/* Makes SQLite statements on db fail with SQLITE_INTERRUPT once a stop was requested. */
void pd_interrupt_sqlite(sqlite3 *db);
/* "SIGINT", "SIGTERM", ... */
const char *pd_interrupt_name(int sig);

#endif
