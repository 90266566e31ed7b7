/* flatten — Tetragon JSON events to slot-addressed fields (DESIGN §3.2).
 *
 * Field names are key paths joined by "_" (keys verbatim); array element i
 * adds "_i", and the same path without the index is multi-valued; with
 * nested arrays every subset of indices may be left out.  null is absent.
 * Only names interned in the field_table are materialised, and subtrees
 * that cannot lead to one are not walked, so the cost does not grow with
 * fields nobody reads.
 *
 * The flattener caches a prefix index built from the field_table
 * (fieldidx); it rebuilds it when the table's generation changes.
 *
 * Text is read on demand (jsonscan): only the keys leading to a wanted
 * field are descended into, nothing is built for the rest, and the whole
 * text is still checked.  What the scanner declines — every malformed
 * document among others — is parsed by json-c, so verdicts, error
 * messages and offsets are json-c's.  Events filled from text point to it
 * (event.text, so it must stay valid while the event is evaluated) for
 * their document, built only if someone asks (event_doc);
 * json-c-parsed ones keep the document itself in event.root.
 *
 * Values: strings (also marked numeric when wholly a number, as Tetragon
 * writes 64-bit integers as strings), integers (above INT64_MAX: doubles),
 * doubles, booleans.  Objects and arrays are not values themselves.  The
 * event's top-level keys, kind (first key holding an object) and "time"
 * (RFC 3339) are filled in as well.
 *
 * Limits, so hostile input costs bounded time and memory: JSON nesting of
 * at most 64 levels (deeper is a JSON error); paths longer than 4096 bytes
 * are never materialised; and when the walk would take more than a fixed
 * number of steps (nested arrays multiply the paths to a value) or the
 * event reaches EVENT_MAX_VALUES, it stops and sets ev->truncated. */
#ifndef BPFALERT_FLATTEN_H
#define BPFALERT_FLATTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "fields.h"

struct json_object;
struct evtree;
typedef struct flattener flattener;

enum flatten_status {
	FLATTEN_OK = 0,
	FLATTEN_BAD_JSON,    /* syntax error or truncated document */
	FLATTEN_NOT_OBJECT,  /* valid JSON but not an object */
};

flattener *flattener_new(const field_table *ft);
void flattener_free(flattener **fl);

/* Off: every document is parsed by json-c and kept in event.root (for
 * callers that need each whole document, and to compare). */
void flattener_set_scan(flattener *fl, bool on);

struct flatten_counts {
	unsigned long long scanned;   /* documents read by the scanner */
	unsigned long long declined;  /* ... left to json-c */
};
const struct flatten_counts *flattener_counts(const flattener *fl);

/* Parses one JSON document of exactly `len` bytes (strict JSON: no
 * comments, trailing commas or leading zeros; only whitespace may follow
 * the document) and fills `ev`, which is reset first, sized to the
 * table's slots, and left empty on failure.  On failure writes a one-line
 * reason naming the byte offset (0-based) to err, which may be NULL:
 * "truncated JSON: unexpected end of input at byte 120", "invalid JSON at
 * byte 17: unexpected character", "JSON document is an array, not an
 * object". */
enum flatten_status flattener_parse(flattener *fl, const char *text,
				    size_t len, event *ev, char *err,
				    size_t errlen);

/* Fills `ev` from an already parsed document; takes ownership of root
 * (the event holds it, whatever the status, until its next reset). */
enum flatten_status flattener_fill(flattener *fl, struct json_object *root,
				   event *ev);

/* Fills `ev` from a document built as a tree (the kernel probes'), with
 * the same fields as from that document in JSON.  The event borrows the
 * tree (its strings, and the source of its document, event_doc) until
 * the tree changes. */
void flattener_fill_tree(flattener *fl, const struct evtree *t, event *ev);

#endif
