/*
 * err.h - the one error type of pcapdomains.
 *
 * Functions return enum pd_err and callers propagate it. Messages for people are written at
 * I/O and database edges into a caller's char errbuf[PD_ERRBUF_SIZE], naming the file and, for
 * captures, the byte offset. Only cmd/ turns errors into exit codes (see enum pd_exit).
 */
#ifndef PD_ERR_H
#define PD_ERR_H

#include <stdarg.h>

#define PD_ERRBUF_SIZE 512

#define PD_MUST_CHECK __attribute__((warn_unused_result))

enum pd_err {
	PD_OK = 0,
	PD_ERR_TRUNCATED,   /* input ended before a field it announced */
	PD_ERR_MALFORMED,   /* a field holds an impossible value */
	PD_ERR_LIMIT,       /* a named limit (PD_MAX_*) was reached */
	PD_ERR_UNSUPPORTED, /* well-formed but not handled (link type, version, not this protocol) */
	PD_ERR_NEED_MORE,   /* stream parser: a complete message needs more bytes */
	PD_ERR_NOMEM,
	PD_ERR_IO,      /* read/write/open failed: see errbuf */
	PD_ERR_FORMAT,  /* not a capture file at all */
	PD_ERR_DB,      /* SQLite failed: see errbuf */
	PD_ERR_CRYPTO,  /* libcrypto failed or authentication tag mismatch */
	PD_ERR_NOTFOUND,
	PD_ERR_USAGE,   /* bad option or argument */
	PD_ERR_POLICY,  /* policy file syntax error: see errbuf */
	PD_ERR_INTERRUPTED, /* SIGINT/SIGTERM (interrupt.h): work stopped and rolled back */
	PD_ERR__COUNT
};

/* Exit codes of both programs (README "Exit codes"). */
enum pd_exit {
	PD_EXIT_OK = 0,        /* success; for check: no violation */
	PD_EXIT_VIOLATION = 1, /* check: a destination outside the policy; diff --fail-on-new: added */
	PD_EXIT_ERROR = 2,     /* usage error, unreadable input, database or output failure */
	PD_EXIT_SIGNAL_BASE = 128, /* + signal number: 130 SIGINT, 143 SIGTERM (stopped) */
};

const char *pd_strerror(enum pd_err err);

/* Formats into errbuf (PD_ERRBUF_SIZE bytes), truncating; returns err for `return pd_errf(...)`. */
enum pd_err pd_errf(char *errbuf, enum pd_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
