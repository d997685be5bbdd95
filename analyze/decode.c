/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include <stdio.h>
#include "decode.h"
struct pd_decoder *pd_decoder_new(void) { return NULL; }
void pd_decoder_free(struct pd_decoder *d) { }
enum pd_err pd_decode(struct pd_decoder *d, const struct pd_frame *f, struct pd_pkt *pkt) { return PD_ERR_UNSUPPORTED; }
const struct pd_decode_stats *pd_decoder_stats(const struct pd_decoder *d) { return NULL; }
char *pd_addr_str(const struct pd_addr *a, char *buf, size_t len) { snprintf(buf, len, "?"); return buf; }
enum pd_err pd_addr_parse(const char *s, struct pd_addr *a) { return PD_ERR_UNSUPPORTED; }
