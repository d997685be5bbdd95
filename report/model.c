/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include <stddef.h>
#include "report.h"
enum pd_err pd_model_build(sqlite3 *db, const struct pd_report_opts *o, struct pd_model **out, char errbuf[PD_ERRBUF_SIZE]) { *out = NULL; return pd_errf(errbuf, PD_ERR_UNSUPPORTED, "report not built yet"); }
void pd_model_free(struct pd_model *m) { }
void pd_report_write(const struct pd_model *m, enum pd_format fmt, const struct pd_report_opts *o, FILE *f) { }
enum pd_err pd_format_parse(const char *s, bool is_path, enum pd_format *fmt) { return PD_ERR_USAGE; }
