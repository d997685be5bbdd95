/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "http.h"
enum pd_err pd_http_parse_request(const char *buf, size_t len, struct pd_http_req *out) { return PD_ERR_UNSUPPORTED; }
bool pd_http_maybe(const char *buf, size_t len) { return false; }
