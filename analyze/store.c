/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include <stddef.h>
#include "store.h"
enum pd_err pd_store_open(const char *path, bool readonly, struct pd_store **out, char errbuf[PD_ERRBUF_SIZE]) { *out = NULL; return pd_errf(errbuf, PD_ERR_DB, "store not built yet"); }
void pd_store_close(struct pd_store *s) { }
sqlite3 *pd_store_db(struct pd_store *s) { return NULL; }
enum pd_err pd_store_exec(struct pd_store *s, const char *sql, const char *what, char errbuf[PD_ERRBUF_SIZE]) { return PD_ERR_DB; }
