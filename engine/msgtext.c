#include "msgtext.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define QUOTE_MAX 80
/* Longer words are never near a short candidate; bounding them bounds the
 * distance table too. */
#define SUGGEST_MAX 64

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* Optimal string alignment distance, case-insensitive. */
static size_t distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			unsigned char ca = lower((unsigned char)a[i - 1]);
			unsigned char cb = lower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
				       d[i - 1][j - 1] + cost);
			bool swapped = i > 1 && j > 1 &&
				       ca == lower((unsigned char)b[j - 2]) &&
				       lower((unsigned char)a[i - 2]) == cb;
			if (swapped && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[n][m];
}

const char *msgtext_suggest(const char *word, size_t len,
			    const char *const *candidates)
{
	if (len == 0 || len > SUGGEST_MAX)
		return NULL;
	size_t limit = len <= 3 ? 1 : 2;
	const char *best = NULL;
	size_t best_d = limit + 1;
	for (size_t k = 0; candidates[k]; k++) {
		size_t clen = strlen(candidates[k]);
		if (clen > SUGGEST_MAX)
			continue;
		size_t dist = distance(word, len, candidates[k], clen);
		if (dist < best_d) {
			best = candidates[k];
			best_d = dist;
		}
	}
	if (best || len < 4)
		return best;
	/* A cut-short key: "skip_tls" for "skip_tls_check". */
	for (size_t k = 0; candidates[k]; k++)
		if (strncasecmp(candidates[k], word, len) == 0 &&
		    (!best || strlen(candidates[k]) < strlen(best)))
			best = candidates[k];
	return best;
}

char *msgtext_quote(const char *s, size_t len)
{
	size_t n = len;
	if (n > QUOTE_MAX) {
		n = QUOTE_MAX;
		/* Do not cut a UTF-8 sequence in two. */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *out = xmalloc(n * 4 + 4);
	char *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\r') {
			*o++ = '\\';
			*o++ = 'r';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c < 0x20 || c == 0x7F) {
			o += sprintf(o, "\\x%02X", c);
		} else {
			*o++ = (char)c;
		}
	}
	if (n < len)
		o = stpcpy(o, "...");
	*o = '\0';
	return out;
}
