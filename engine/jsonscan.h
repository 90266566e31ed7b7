/* jsonscan — one event's JSON text read on demand (DESIGN §3.2).
 *
 * Walks the text once, checking all of it, and descends only into the
 * keys that lead to an interned field (fieldidx); everything else is
 * stepped over without building anything.  What it fills is exactly what
 * the json-c walk of flatten.c fills from the same text: the same values
 * in the same order, the same top-level keys, kind and time, the same
 * truncation.
 *
 * It only ever accepts.  Text it cannot vouch for is declined, and the
 * caller parses it with json-c, whose verdict and error message stand;
 * so the set of accepted lines and every error report are json-c's by
 * construction.  Declined besides every syntax error: nesting deeper than
 * 32 levels, more than 16 top-level keys, a key that repeats where it
 * matters (json-c keeps the last value), \u escapes of NUL or surrogates
 * in a key or a value read, integers of more than 18 digits, numbers
 * strtod cannot hold, unescaped control characters in strings, NaN and
 * Infinity, a document that is not an object.  The differential fuzz
 * harness (tests/fuzz/fuzz_jsondiff.c) holds it to that: whatever it
 * accepts, json-c accepts and flattens to the same event. */
#ifndef BPFALERT_JSONSCAN_H
#define BPFALERT_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "fieldidx.h"

/* Fills `ev` (already reset, sized to the index's table) from
 * text[0..len).  `steps` bounds the walk as the json-c walk is bounded.
 * Returns false if the text is declined; `ev` is then left partly filled
 * and must be reset. */
bool jsonscan_fill(const fieldidx *ix, const char *text, size_t len,
		   size_t steps, event *ev);

#endif
