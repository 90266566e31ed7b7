/* msgtext — user text inside error messages.
 *
 * Rule files are hostile input as far as messages go: a key or value
 * quoted in a report must not break the one-line file:line:col format, and
 * a typo deserves a suggestion ("unknown key 'severtiy' (did you mean
 * 'severity'?)"). */
#ifndef BPFALERT_MSGTEXT_H
#define BPFALERT_MSGTEXT_H

#include <stddef.h>

/* The candidate (NULL-terminated list) nearest to `word` by edit distance
 * (insertions, deletions, substitutions and transpositions, ignoring ASCII
 * case), or NULL when none is near: at most 1 edit for words of up to 3
 * bytes, else at most 2.  Ties go to the earlier candidate.  Failing that,
 * a word of 4 bytes or more may be the start of a candidate (the shortest
 * such is taken). */
const char *msgtext_suggest(const char *word, size_t len,
			    const char *const *candidates);

/* `s` made fit for a one-line message: control bytes escaped (\n \r \t,
 * else \xHH), cut after 80 bytes with "...".  Returns a malloc'd string. */
char *msgtext_quote(const char *s, size_t len);

#endif
