/* evdoc — an event's whole document, kept for later and built only when
 * asked for.
 *
 * The rule engine needs only an event's fields; its whole JSON document is
 * needed when a notification carries it.  An evdoc holds what the document
 * can be built from — a parsed json-c document, the JSON text, or a
 * builder (the kernel probes' records) — and builds the json-c document on
 * the first evdoc_json.  Documents are reference counted: every alert
 * instance that keeps the same matching event shares one.
 *
 * Text documents are parsed as the flattener parses (strict, 64 levels),
 * so a notification carries what it carried when every event was parsed
 * by json-c up front. */
#ifndef BPFALERT_EVDOC_H
#define BPFALERT_EVDOC_H

#include <stddef.h>

struct json_object;
typedef struct evdoc evdoc;

/* Takes the reference to root. */
evdoc *evdoc_from_json(struct json_object *root);
/* Copies text[0..len). */
evdoc *evdoc_from_text(const char *text, size_t len);
/* build(data) makes the document (a new reference) on first use;
 * release(data) runs when the last reference goes.  Takes data. */
evdoc *evdoc_from_builder(struct json_object *(*build)(const void *data),
			  void (*release)(void *data), void *data);

evdoc *evdoc_ref(evdoc *d);
void evdoc_unref(evdoc **d);

/* The document (borrowed, valid while d is), built on first use; NULL if
 * the text does not parse. */
struct json_object *evdoc_json(evdoc *d);

#endif
