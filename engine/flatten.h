/* flatten — Tetragon JSON events to slot-addressed fields (DESIGN §3.2).
 *
 * Field names are key paths joined by "_" (keys verbatim); array element i
 * adds "_i", and the same path without the index is multi-valued; with
 * nested arrays every subset of indices may be left out.  null is absent.
 * Only names interned in the field_table are materialised, and subtrees
 * that cannot lead to one are not walked, so the cost does not grow with
 * fields nobody reads.
 *
 * The flattener caches a prefix index built from the field_table; it
 * rebuilds it when the table's generation changes. */
#ifndef BPFALERT_FLATTEN_H
#define BPFALERT_FLATTEN_H

#include <stddef.h>

#include "event.h"
#include "fields.h"

struct json_object;
typedef struct flattener flattener;

enum flatten_status {
	FLATTEN_OK = 0,
	FLATTEN_BAD_JSON,    /* syntax error or truncated document */
	FLATTEN_NOT_OBJECT,  /* valid JSON but not an object */
};

flattener *flattener_new(const field_table *ft);
void flattener_free(flattener **fl);

/* Parses one JSON document of `len` bytes and fills `ev` (which is reset
 * first, sized to the table's slots).  On failure writes a one-line reason
 * to err (e.g. "unexpected end of input at byte 120"). */
enum flatten_status flattener_parse(flattener *fl, const char *text,
				    size_t len, event *ev, char *err,
				    size_t errlen);

/* Fills `ev` from an already parsed document; takes ownership of root. */
enum flatten_status flattener_fill(flattener *fl, struct json_object *root,
				   event *ev);

#endif
