/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include <stddef.h>
#include "capture.h"
struct pd_reader *pd_reader_open(const char *path, const char *bpf, enum pd_err *err, char errbuf[PD_ERRBUF_SIZE])
{ *err = pd_errf(errbuf, PD_ERR_UNSUPPORTED, "%s: reader not built yet", path); return NULL; }
enum pd_err pd_reader_next(struct pd_reader *r, struct pd_frame *f, char errbuf[PD_ERRBUF_SIZE]) { return PD_ERR_NOTFOUND; }
const struct pd_capinfo *pd_reader_info(const struct pd_reader *r) { return NULL; }
uint64_t pd_reader_tell(const struct pd_reader *r) { return 0; }
void pd_reader_free(struct pd_reader *r) { }
const char *pd_link_name(int linktype) { return "unknown"; }
const char *pd_capinfo_meta(const struct pd_capinfo *ci, const char *key) { return NULL; }
