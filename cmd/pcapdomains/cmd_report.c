/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "cmd.h"
int pd_cmd_report(int argc, char **argv) { pd_cmd_error("report: not built yet"); return PD_EXIT_ERROR; }
