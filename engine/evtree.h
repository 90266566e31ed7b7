/* evtree — an event document built in place by a source, with no JSON.
 *
 * bpfalert's kernel probes describe each record as a Tetragon-schema
 * document (DESIGN §3.1).  They build it here: objects, arrays, strings
 * and integers in one growable node array and one text buffer, reused
 * from record to record.  The flattener reads the fields the rules need
 * straight from it (flattener_fill_tree), exactly as it reads them from
 * the same document in JSON; a json-c document is made from the tree only
 * when a notification, an export or `events -o json` needs one
 * (evtree_json, or lazily through evtree_doc).
 *
 * Members keep the order they were added in, as json-c objects do.
 * Keys and strings are copied (NUL-terminated); nodes are addressed by
 * index, EVTREE_ROOT being the top-level object. */
#ifndef BPFALERT_EVTREE_H
#define BPFALERT_EVTREE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct evdoc;

enum evtree_kind { EVTREE_OBJECT, EVTREE_ARRAY, EVTREE_STRING, EVTREE_INT };

#define EVTREE_ROOT 0
#define EVTREE_NONE (-1)

typedef struct evtree_node {
	uint32_t key, key_len;   /* member key in the text buffer (objects) */
	uint32_t str, len;       /* EVTREE_STRING: text */
	int64_t i;               /* EVTREE_INT */
	int32_t first, last;     /* containers: children, EVTREE_NONE if none */
	int32_t next;            /* next sibling, EVTREE_NONE at the end */
	uint8_t kind;            /* enum evtree_kind */
	uint8_t has_key;
} evtree_node;

typedef struct evtree evtree;

evtree *evtree_new(void);
void evtree_free(evtree **t);
/* Back to an empty top-level object (storage is kept). */
void evtree_clear(evtree *t);
evtree *evtree_copy(const evtree *t);

/* Adding under `parent` (an object: `key` names the member; an array:
 * key is NULL).  Return the new node. */
int evtree_object(evtree *t, int parent, const char *key);
int evtree_array(evtree *t, int parent, const char *key);
int evtree_string(evtree *t, int parent, const char *key, const char *s, size_t len);
int evtree_int(evtree *t, int parent, const char *key, int64_t v);

const evtree_node *evtree_node_at(const evtree *t, int id);
/* The NUL-terminated text at offset off (a key or a string). */
const char *evtree_text(const evtree *t, uint32_t off);

/* The subtree at `id` as a new json-c document. */
struct json_object *evtree_json(const evtree *t, int id);
/* A document (evdoc) holding a copy of the tree, turned into JSON when
 * first asked; an event's make_doc for events filled from a tree. */
struct evdoc *evtree_doc(const void *t);

#endif
