/* timefmt — RFC 3339 timestamps to and from nanoseconds since the epoch.
 *
 * Tetragon writes times as protojson Timestamps ("2023-11-16T02:33:50.
 * 429221745Z"); other producers add an offset ("+02:00").  Times are held
 * as int64 nanoseconds since 1970-01-01T00:00:00Z, which covers
 * 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z. */
#ifndef BPFALERT_TIMEFMT_H
#define BPFALERT_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest text timefmt_format writes, with its NUL. */
#define TIMEFMT_MAX 32

/* Parses the whole of s[0..len) as an RFC 3339 date-time:
 * YYYY-MM-DD("T"|"t"|" ")hh:mm:ss[.fraction]("Z"|"z"|("+"|"-")hh:mm).
 * Fraction digits past the ninth are truncated.  Leap seconds (":60") are
 * refused, as Tetragon never writes them.  Returns 0 and sets *ns, or -1
 * if the text is not such a time or lies outside the int64 range. */
int timefmt_parse(const char *s, size_t len, int64_t *ns);

/* Writes ns as UTC with "Z", fraction digits as protojson does: none, 3, 6
 * or 9, the fewest that hold the value exactly.  Returns the length (as
 * snprintf would; the text is cut if size is below TIMEFMT_MAX). */
size_t timefmt_format(int64_t ns, char *buf, size_t size);

#endif
