/* utf8 — strict UTF-8 validation (RFC 3629).
 *
 * Accepts exactly the well-formed sequences of Unicode's table 3-7:
 * overlong forms, UTF-16 surrogates (U+D800..U+DFFF), code points above
 * U+10FFFF and sequences cut short are all rejected. */
#ifndef BPFALERT_UTF8_H
#define BPFALERT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Returns the offset of the first byte that does not start a well-formed
 * sequence, or `len` if all of s[0..len) is valid UTF-8. */
size_t utf8_check(const char *s, size_t len);

/* True if s[0..len) is ASCII without a NUL byte (so valid UTF-8 without
 * NUL): one pass where most event lines need no other. */
bool utf8_plain_ascii(const char *s, size_t len);

#endif
