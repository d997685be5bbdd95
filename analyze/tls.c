/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "tls.h"
enum pd_err pd_tls_parse_stream(const uint8_t *buf, size_t len, struct pd_hello *out) { return PD_ERR_UNSUPPORTED; }
enum pd_err pd_tls_parse_handshake(const uint8_t *buf, size_t len, struct pd_hello *out) { return PD_ERR_UNSUPPORTED; }
bool pd_tls_maybe(const uint8_t *buf, size_t len) { return false; }
