#include "fields.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct name_entry {
	char *name;
	size_t len;
	unsigned long long hash;
};

struct field_table {
	struct name_entry *names; /* by slot */
	size_t count, cap;
	int *buckets;             /* open addressing: slot + 1, 0 = empty */
	size_t nbuckets;          /* power of two */
	unsigned generation;
};

field_table *field_table_new(void)
{
	field_table *ft = xcalloc(1, sizeof(*ft));
	ft->nbuckets = 64;
	ft->buckets = xcalloc(ft->nbuckets, sizeof(int));
	return ft;
}

void field_table_free(field_table **pft)
{
	field_table *ft = *pft;
	if (!ft)
		return;
	for (size_t i = 0; i < ft->count; i++)
		free(ft->names[i].name);
	free(ft->names);
	free(ft->buckets);
	free(ft);
	*pft = NULL;
}

static size_t find_bucket(const field_table *ft, const char *name, size_t len,
			  unsigned long long h)
{
	size_t mask = ft->nbuckets - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		int s = ft->buckets[i];
		if (!s)
			return i;
		const struct name_entry *e = &ft->names[s - 1];
		if (e->hash == h && e->len == len && !memcmp(e->name, name, len))
			return i;
	}
}

static void rehash(field_table *ft)
{
	free(ft->buckets);
	ft->nbuckets *= 2;
	ft->buckets = xcalloc(ft->nbuckets, sizeof(int));
	for (size_t s = 0; s < ft->count; s++) {
		struct name_entry *e = &ft->names[s];
		ft->buckets[find_bucket(ft, e->name, e->len, e->hash)] = (int)s + 1;
	}
}

int field_table_lookup(const field_table *ft, const char *name, size_t len)
{
	int s = ft->buckets[find_bucket(ft, name, len, fields_hash(name, len))];
	return s - 1;
}

int field_table_intern(field_table *ft, const char *name, size_t len)
{
	unsigned long long h = fields_hash(name, len);
	size_t b = find_bucket(ft, name, len, h);
	if (ft->buckets[b])
		return ft->buckets[b] - 1;
	ft->names = xgrow(ft->names, &ft->cap, ft->count + 1, sizeof(*ft->names));
	struct name_entry *e = &ft->names[ft->count];
	e->name = xstrndup(name, len);
	e->len = len;
	e->hash = h;
	ft->buckets[b] = (int)++ft->count;
	ft->generation++;
	if (ft->count * 2 > ft->nbuckets)
		rehash(ft);
	return (int)ft->count - 1;
}

size_t field_table_count(const field_table *ft) { return ft->count; }

const char *field_table_name(const field_table *ft, int slot)
{
	if (slot < 0 || (size_t)slot >= ft->count)
		return NULL;
	return ft->names[slot].name;
}

unsigned field_table_generation(const field_table *ft) { return ft->generation; }
