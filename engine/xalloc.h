/* xalloc — allocation that cannot fail.
 *
 * Every allocation in bpfalert goes through these wrappers.  On exhaustion
 * they print one line and abort: a half-built rule set or event is never
 * worth carrying on with, and one place handles it (STYLE §10). */
#ifndef BPFALERT_XALLOC_H
#define BPFALERT_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least `need` elements of `size` bytes,
 * doubling; *cap is updated.  Returns the (possibly moved) array. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
