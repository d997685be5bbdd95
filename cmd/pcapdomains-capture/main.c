/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include <stdio.h>
int main(void) { fputs("pcapdomains-capture: not built yet\n", stderr); return 2; }
