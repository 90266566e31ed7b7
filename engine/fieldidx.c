#include "fieldidx.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define FNV_BASIS 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

struct fieldidx {
	const field_table *ft;
	unsigned gen;            /* table generation the index was built from */
	bool built;
	fieldidx_entry *tab;     /* open addressing, power-of-two size */
	size_t mask;
	char *text;              /* copies of the indexed names */
	bool collisions;         /* two indexed paths share length and hash */
	uint64_t root_follow;    /* filter bits of every top-level key wanted */
};

static inline unsigned long long fnv_step(unsigned long long h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

/* First bucket of a hash.  FNV-1a's low bits depend only on the low bits
 * of every step, so they are folded with the high ones. */
static inline size_t bucket(const fieldidx *ix, unsigned long long h)
{
	return (size_t)(h ^ (h >> 29) ^ (h >> 47)) & ix->mask;
}

fieldidx *fieldidx_new(const field_table *ft)
{
	fieldidx *ix = xcalloc(1, sizeof(*ix));
	ix->ft = ft;
	return ix;
}

void fieldidx_free(fieldidx **pix)
{
	fieldidx *ix = *pix;
	if (!ix)
		return;
	free(ix->tab);
	free(ix->text);
	free(ix);
	*pix = NULL;
}

/* The filter bit of a segment's first two bytes (0 past its end). */
static inline uint64_t seg_bit(unsigned char c0, unsigned char c1)
{
	return 1ULL << (((uint32_t)(c0 << 8 | c1) * 0x9E3779B1u) >> 26);
}

static inline uint64_t key_bit(const char *k, size_t len)
{
	return seg_bit(len ? (unsigned char)k[0] : 0, len > 1 ? (unsigned char)k[1] : 0);
}

/* seg_bit of every segment name[s..b) where b is the end of the name or
 * one of its '_': the keys that can follow a boundary just before s. */
static uint64_t follow_bits(const char *name, size_t len, size_t s)
{
	const unsigned char *u = (const unsigned char *)name;
	uint64_t m = 0;
	if (s == len || u[s] == '_')
		m |= seg_bit(0, 0);
	if (s < len && (s + 1 == len || u[s + 1] == '_'))
		m |= seg_bit(u[s], 0);
	if (s + 2 <= len)
		m |= seg_bit(u[s], u[s + 1]);
	return m;
}

static fieldidx_entry *index_add(fieldidx *ix, uint32_t off, uint32_t len, int slot)
{
	const char *p = ix->text + off;
	unsigned long long h = fields_hash(p, len);
	size_t i = bucket(ix, h);
	for (;; i = (i + 1) & ix->mask) {
		fieldidx_entry *e = &ix->tab[i];
		if (!e->used) {
			*e = (fieldidx_entry){.hash = h, .off = off, .len = len,
					      .slot = -1, .used = true};
			break;
		}
		if (e->hash == h && e->len == len) {
			if (!memcmp(ix->text + e->off, p, len))
				break;
			ix->collisions = true;
		}
	}
	if (slot >= 0)
		ix->tab[i].slot = slot;
	else
		ix->tab[i].prefix = true;
	return &ix->tab[i];
}

/* The name of `slot` if it can be indexed: NULL for names longer than
 * FIELDIDX_MAX_PATH or holding a NUL byte (no key path can spell them). */
static const char *indexable_name(const field_table *ft, int slot, size_t *len)
{
	const char *name = field_table_name(ft, slot);
	*len = strnlen(name, FIELDIDX_MAX_PATH + 1);
	if (*len > FIELDIDX_MAX_PATH || field_table_lookup(ft, name, *len) != slot)
		return NULL;
	return name;
}

static void index_build(fieldidx *ix)
{
	int n = (int)field_table_count(ix->ft);
	size_t bytes = 0, entries = 0, len;

	for (int s = 0; s < n; s++) {
		const char *name = indexable_name(ix->ft, s, &len);
		if (!name)
			continue;
		bytes += len;
		entries++;
		for (size_t i = 0; i < len; i++)
			entries += name[i] == '_';
	}
	size_t nb = 16;
	while (nb < 2 * entries)
		nb *= 2;
	free(ix->tab);
	free(ix->text);
	ix->tab = xcalloc(nb, sizeof(*ix->tab));
	ix->mask = nb - 1;
	ix->text = xmalloc(bytes ? bytes : 1);
	ix->collisions = false;
	ix->root_follow = 0;

	uint32_t off = 0;
	for (int s = 0; s < n; s++) {
		const char *name = indexable_name(ix->ft, s, &len);
		if (!name)
			continue;
		memcpy(ix->text + off, name, len);
		index_add(ix, off, (uint32_t)len, s);
		ix->root_follow |= follow_bits(name, len, 0);
		for (size_t i = 0; i < len; i++)
			if (name[i] == '_')
				index_add(ix, off, (uint32_t)i, -1)->follow |=
					follow_bits(name, len, i + 1);
		off += (uint32_t)len;
	}
	ix->gen = field_table_generation(ix->ft);
	ix->built = true;
}

void fieldidx_sync(fieldidx *ix)
{
	if (!ix->built || ix->gen != field_table_generation(ix->ft))
		index_build(ix);
}

/* The entry for the path of `parent` (NULL: the root) + sep + seg, whose
 * hash is h, or NULL if no indexed name has that path or prefix.
 *
 * Only the new segment needs comparing.  The parent's path P is known to
 * be right, and a candidate's text is Q + "_" + seg with Q an indexed
 * prefix as long as P.  Each FNV-1a step is a bijection of the hash
 * state, so equal hashes after the same suffix mean equal hashes of P and
 * Q: two distinct indexed paths of one length and hash, which building
 * the index detects (and then every byte is compared). */
static const fieldidx_entry *index_find(const fieldidx *ix,
					const fieldidx_entry *parent,
					unsigned long long h, bool sep,
					const char *seg, size_t seglen)
{
	size_t plen = parent ? parent->len : 0, clen = plen + sep + seglen;
	if (clen > FIELDIDX_MAX_PATH)
		return NULL;
	for (size_t i = bucket(ix, h);; i = (i + 1) & ix->mask) {
		const fieldidx_entry *e = &ix->tab[i];
		if (!e->used)
			return NULL;
		if (e->hash != h || e->len != clen)
			continue;
		const char *t = ix->text + e->off;
		if ((!sep || t[plen] == '_') &&
		    !memcmp(t + plen + sep, seg, seglen) &&
		    (!ix->collisions || !plen ||
		     !memcmp(t, ix->text + parent->off, plen)))
			return e;
	}
}

const fieldidx_entry *fieldidx_key(const fieldidx *ix, const fieldidx_entry *parent,
				   const char *k, size_t len)
{
	uint64_t follow = parent ? parent->follow : ix->root_follow;
	if (!(follow & key_bit(k, len)) || len > FIELDIDX_MAX_PATH)
		return NULL;
	unsigned long long h = parent ? fnv_step(parent->hash, '_') : FNV_BASIS;
	for (size_t n = 0; n < len; n++)
		h = fnv_step(h, (unsigned char)k[n]);
	return index_find(ix, parent, h, parent != NULL, k, len);
}

const fieldidx_entry *fieldidx_elem(const fieldidx *ix, const fieldidx_entry *parent,
				    size_t i)
{
	char tmp[24], num[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	for (size_t k = 0; k < n; k++)
		num[k] = tmp[n - 1 - k];
	return fieldidx_key(ix, parent, num, n);
}
