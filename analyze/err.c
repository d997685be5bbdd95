/*
 * err.c - names for enum pd_err and the errbuf formatter.
 */
#include <stdio.h>

#include "err.h"

static const char *const pd_err_names[PD_ERR__COUNT] = {
	[PD_OK] = "success",
	[PD_ERR_TRUNCATED] = "truncated",
	[PD_ERR_MALFORMED] = "malformed",
	[PD_ERR_LIMIT] = "limit exceeded",
	[PD_ERR_UNSUPPORTED] = "unsupported",
	[PD_ERR_NEED_MORE] = "incomplete, more data needed",
	[PD_ERR_NOMEM] = "out of memory",
	[PD_ERR_IO] = "input/output error",
	[PD_ERR_FORMAT] = "not a capture file",
	[PD_ERR_DB] = "database error",
	[PD_ERR_CRYPTO] = "decryption failed",
	[PD_ERR_NOTFOUND] = "not found",
	[PD_ERR_USAGE] = "usage error",
	[PD_ERR_POLICY] = "policy syntax error",
	[PD_ERR_INTERRUPTED] = "interrupted",
};

const char *pd_strerror(enum pd_err err)
{
	if ((unsigned)err >= PD_ERR__COUNT || !pd_err_names[err])
		return "unknown error";
	return pd_err_names[err];
}

enum pd_err pd_errf(char *errbuf, enum pd_err err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf) {
		va_start(ap, fmt);
		vsnprintf(errbuf, PD_ERRBUF_SIZE, fmt, ap);
		va_end(ap);
	}
	return err;
}
