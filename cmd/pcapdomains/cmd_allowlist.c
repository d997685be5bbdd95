/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "cmd.h"
int pd_cmd_allowlist(int argc, char **argv) { pd_cmd_error("allowlist: not built yet"); return PD_EXIT_ERROR; }
