/* template — the {field} placeholders of alert messages (DESIGN §5.1).
 *
 * A placeholder is Parseable's: a '{', the shortest run of characters up to
 * the next '}' with no newline in it, and that '}' (its regex is
 * `\{(.*?)\}`).  So "{a}" names field a, "{a{b}" names field "a{b", and
 * "{}" names nothing and stays as written.
 *
 * Loading lists the fields a message names and interns them, so the
 * flattener materialises them (rendering is render.h's). */
#ifndef BPFALERT_TEMPLATE_H
#define BPFALERT_TEMPLATE_H

#include <stddef.h>

#include "fields.h"

/* Called for each placeholder: the field name (not NUL-terminated) and
 * where the whole "{name}" lies in the text: [start, end). */
typedef void template_field_fn(void *arg, const char *name, size_t len,
			       size_t start, size_t end);

/* Lists the placeholders of `text` in order; returns their number.
 * Placeholders with an empty name are not listed.  Linear time. */
size_t template_scan(const char *text, size_t len, template_field_fn *fn,
		     void *arg);

/* Interns the field of every placeholder in `ft`; returns their number. */
size_t template_intern(const char *text, size_t len, field_table *ft);

#endif
