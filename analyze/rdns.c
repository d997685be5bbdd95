/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "rdns.h"
enum pd_err pd_rdns_resolve(sqlite3 *db, const char *const *ips, size_t n, const struct pd_rdns_opts *opts, char errbuf[PD_ERRBUF_SIZE]) { return PD_OK; }
