/* rules_native — native rule files: libconfig `alerts = ( {...}, ... );`
 * (DESIGN §6.2).
 *
 * The text is first scanned by jsonpos, which follows libconfig's grammar:
 * a syntax error is reported with its line and column ("syntax error:
 * expected '=' or ':' after the name").  Well-formed text is then parsed by
 * libconfig (which still names duplicate settings and mixed arrays, by
 * line), converted to its JSON form (groups become objects, arrays and
 * lists become arrays) and checked by alertdef_load_all.  Positions come
 * from the scan, so a rule error inside a string literal points at its
 * column in the file, through escapes and concatenated literals.
 *
 * `@include` is refused: a drop-in directory is how rule files compose,
 * and an include could make loading read any file. */
#ifndef BPFALERT_RULES_NATIVE_H
#define BPFALERT_RULES_NATIVE_H

#include <stddef.h>

#include "alertdef.h"
#include "diag.h"
#include "fields.h"

/* Loads the alerts of `text` (the content of `file`, used in reports).
 * Appends every alert without errors to `out`; returns the errors. */
unsigned rules_native_parse(const char *file, const char *text, size_t len,
			    field_table *ft, diag *d, alert_list *out);

#endif
