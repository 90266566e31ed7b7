/* fields — the registry of flattened field names a rule set refers to.
 *
 * Every field name that a loaded rule, message template or group_by names
 * is interned here once and gets a small integer slot.  Compiled rules
 * address fields by slot; the flattener materialises only fields that have
 * a slot (DESIGN §3.2).  Names are byte strings, compared exactly. */
#ifndef BPFALERT_FIELDS_H
#define BPFALERT_FIELDS_H

#include <stddef.h>

typedef struct field_table field_table;

field_table *field_table_new(void);
void field_table_free(field_table **ft);

/* Returns the slot of `name`, adding it if new.  Slots are dense, from 0. */
int field_table_intern(field_table *ft, const char *name, size_t len);
/* Returns the slot of `name`, or -1 if it was never interned. */
int field_table_lookup(const field_table *ft, const char *name, size_t len);
size_t field_table_count(const field_table *ft);
const char *field_table_name(const field_table *ft, int slot);
/* Bumped by every intern that adds a name; lets a flattener know when its
 * prefix index is stale. */
unsigned field_table_generation(const field_table *ft);

/* FNV-1a, shared by every string hash in the engine. */
static inline unsigned long long fields_hash(const char *s, size_t len)
{
	unsigned long long h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#endif
