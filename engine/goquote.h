/* goquote — strings as Go's strconv.Quote writes them, for text that
 * must show what a string holds without letting it act on a terminal.
 *
 * goquote_needed says whether the quoted form differs from the text
 * between its quotes, i.e. whether the string holds a byte or character
 * Go would escape: a double quote, a backslash, a control character, a
 * character Go does not count as printable, or bytes that are not UTF-8.
 * Tetragon's compact encoder quotes exactly those strings and prints the
 * others unchanged.
 *
 * Printable follows Go's unicode.IsPrint (letters, marks, numbers,
 * punctuation, symbols and the ASCII space) for the characters that are
 * not: controls, format characters, separators other than U+0020,
 * private use and non-characters.  Characters that Unicode leaves
 * unassigned count as printable here. */
#ifndef BPFALERT_GOQUOTE_H
#define BPFALERT_GOQUOTE_H

#include <stdbool.h>
#include <stddef.h>

bool goquote_needed(const char *s, size_t n);

/* Appends the quoted form of s[0..n), quotes included, to *buf (of *len
 * bytes used, *cap allocated; grown as needed, NUL-terminated). */
void goquote_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

#endif
