/* render — alert messages from templates and event values.
 *
 * A message template names flattened fields in braces: "{field}".  Each
 * placeholder is replaced by the event's value(s) of that field: several
 * values (a multi-valued field) are joined with ", ", numbers are written
 * in canonical text (integers in decimal, other numbers in the shortest
 * form that reads back exactly), booleans as true/false.  A placeholder
 * whose field is unknown or absent from the event is left as literal text,
 * as Parseable leaves it.  A placeholder runs from a '{' to the next '}' on
 * the same line (Parseable's `\{(.*?)\}`).
 *
 * Output is capped at RENDER_MAX_LEN bytes (cut on a UTF-8 boundary and
 * ended with "..."), so hostile field values cannot make messages grow
 * without bound. */
#ifndef BPFALERT_RENDER_H
#define BPFALERT_RENDER_H

#include <stddef.h>

#include "event.h"
#include "fields.h"

#define RENDER_MAX_LEN 4096

/* The message for `ev`; caller frees. */
char *render_message(const char *tmpl, const event *ev, const field_table *ft);

/* One value's canonical text into buf (always NUL-terminated, cut to fit).
 * Returns the length written. */
size_t render_value(const value *v, char *buf, size_t bufsize);

/* Cuts s[0..len) to at most `max` bytes without splitting a UTF-8
 * sequence; returns the new length. */
size_t render_utf8_cut(const char *s, size_t len, size_t max);

#endif
