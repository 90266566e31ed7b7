/* goquote — see goquote.h. */
#include "goquote.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

/* One well-formed UTF-8 sequence at s[0..n): its code point and length,
 * or length 0 if the bytes there are not one (Go then takes one byte). */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Ranges of characters Go's unicode.IsPrint refuses above U+007F. */
static const struct { uint32_t lo, hi; } unprintable[] = {
	{ 0x0080, 0x00a0 }, { 0x00ad, 0x00ad }, { 0x0600, 0x0605 }, { 0x061c, 0x061c },
	{ 0x06dd, 0x06dd }, { 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 },
	{ 0x1680, 0x1680 }, { 0x180e, 0x180e }, { 0x2000, 0x200f }, { 0x2028, 0x202f },
	{ 0x205f, 0x2064 }, { 0x2066, 0x206f }, { 0x3000, 0x3000 }, { 0xd800, 0xf8ff },
	{ 0xfdd0, 0xfdef }, { 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
	{ 0xf0000, 0x10ffff },
};

static bool printable(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 0x20 && cp != 0x7f;
	if ((cp & 0xfffe) == 0xfffe)
		return false;   /* U+xFFFE and U+xFFFF of every plane */
	for (size_t i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++)
		if (cp >= unprintable[i].lo && cp <= unprintable[i].hi)
			return false;
	return true;
}

bool goquote_needed(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = decode(p + i, n - i, &cp);
		if (!len || cp == '"' || cp == '\\' || !printable(cp))
			return true;
		i += len;
	}
	return false;
}

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	*buf = xgrow(*buf, cap, *len + n + 1, 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The escape Go writes for an unprintable character (strconv's
 * appendEscapedRune). */
static int escape(char *out, size_t size, uint32_t cp)
{
	static const char named[] = "\aa\bb\ff\nn\rr\tt\vv";
	for (size_t i = 0; i + 1 < sizeof(named); i += 2)
		if ((uint32_t)(unsigned char)named[i] == cp)
			return snprintf(out, size, "\\%c", named[i + 1]);
	if (cp < 0x20 || cp == 0x7f)
		return snprintf(out, size, "\\x%02x", (unsigned)cp);
	if (cp < 0x10000)
		return snprintf(out, size, "\\u%04x", (unsigned)cp);
	return snprintf(out, size, "\\U%08x", (unsigned)cp);
}

void goquote_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	put(buf, len, cap, "\"", 1);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = decode(p + i, n - i, &cp);
		char esc[16];
		if (!k) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			put(buf, len, cap, esc, 4);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			esc[0] = '\\', esc[1] = (char)cp;
			put(buf, len, cap, esc, 2);
		} else if (printable(cp)) {
			put(buf, len, cap, s + i, k);
		} else {
			int m = escape(esc, sizeof(esc), cp);
			put(buf, len, cap, esc, (size_t)m);
		}
		i += k;
	}
	put(buf, len, cap, "\"", 1);
}
