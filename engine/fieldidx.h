/* fieldidx — the prefix index of a field_table, for flattening (DESIGN §3.2).
 *
 * Every interned name, and every prefix of one that ends right before a
 * '_' (the only places a key boundary can fall), is an entry.  Walking a
 * document, a flattener asks for the entry of a child key or array index
 * of the entry it stands on; NULL means nothing below can be wanted, so the
 * subtree is skipped.  A 64-bit filter over the first two bytes of a
 * segment turns most unwanted keys away before they are hashed.
 *
 * Both readers of events use it: the json-c walk (flatten.c) and the
 * on-demand text scanner (jsonscan.c).  The index borrows the table and
 * rebuilds itself (fieldidx_sync) when the table's generation changed. */
#ifndef BPFALERT_FIELDIDX_H
#define BPFALERT_FIELDIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"

/* Longer paths are never materialised (nor are longer field names). */
#define FIELDIDX_MAX_PATH 4096

typedef struct fieldidx_entry {
	unsigned long long hash; /* fields_hash of the path */
	uint64_t follow;         /* filter bits of every segment that can follow */
	uint32_t off, len;       /* path text inside the index */
	int32_t slot;            /* slot of the name equal to the path, or -1 */
	bool prefix;             /* some name continues past it with '_' */
	bool used;
} fieldidx_entry;

typedef struct fieldidx fieldidx;

fieldidx *fieldidx_new(const field_table *ft);
void fieldidx_free(fieldidx **ix);

/* Rebuilds the index if names were interned since it was built. */
void fieldidx_sync(fieldidx *ix);

/* The entry of key k[0..len) below `parent` (NULL: a top-level key), or
 * NULL if no interned name has that path or prefix. */
const fieldidx_entry *fieldidx_key(const fieldidx *ix, const fieldidx_entry *parent,
				   const char *k, size_t len);

/* The entry of array index i below `parent`, or NULL. */
const fieldidx_entry *fieldidx_elem(const fieldidx *ix, const fieldidx_entry *parent,
				    size_t i);

#endif
