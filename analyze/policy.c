/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include <stddef.h>
#include "policy.h"
enum pd_err pd_policy_parse(const char *text, size_t len, const char *origin, struct pd_policy **out, char errbuf[PD_ERRBUF_SIZE]) { *out = NULL; return pd_errf(errbuf, PD_ERR_UNSUPPORTED, "policy not built yet"); }
enum pd_err pd_policy_load(const char *path, struct pd_policy **out, char errbuf[PD_ERRBUF_SIZE]) { *out = NULL; return pd_errf(errbuf, PD_ERR_UNSUPPORTED, "policy not built yet"); }
void pd_policy_free(struct pd_policy *p) { }
bool pd_policy_allows(const struct pd_policy *p, const char *name, const struct pd_addr *addr, uint16_t port, const char *proto, const char **rule) { return false; }
