/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "quic.h"
bool pd_quic_maybe_initial(const uint8_t *buf, size_t len) { return false; }
enum pd_err pd_quic_feed(struct pd_quic **st, const uint8_t *buf, size_t len, struct pd_hello *out, uint32_t *version) { return PD_ERR_UNSUPPORTED; }
void pd_quic_free(struct pd_quic *st) { }
