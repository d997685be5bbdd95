/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "ingest.h"
enum pd_err pd_ingest_file(struct pd_store *s, const char *path, const struct pd_ingest_opts *opts, struct pd_ingest_result *res, char errbuf[PD_ERRBUF_SIZE]) { return pd_errf(errbuf, PD_ERR_UNSUPPORTED, "ingest not built yet"); }
