/* PD_PLACEHOLDER: replaced by the module owner; must not survive to a release. */
#include "escape.h"
void pd_esc_html(FILE *f, const char *s) { }
void pd_esc_csv(FILE *f, const char *s) { }
void pd_esc_md(FILE *f, const char *s) { }
void pd_esc_json(FILE *f, const char *s) { }
void pd_esc_term(FILE *f, const char *s) { }
size_t pd_esc_term_width(const char *s) { return 0; }
