/* hexdig — hexadecimal digits of JSON's \uXXXX escapes (and libconfig's
 * \xHH), shared by the readers of JSON text. */
#ifndef BPFALERT_HEXDIG_H
#define BPFALERT_HEXDIG_H

#include <stddef.h>

/* The value of a hex digit, or -1. */
static inline int hexdig_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four hex digits at t[i..i+4) (within len) as a number, or -1. */
static inline long hexdig_4(const char *t, size_t len, size_t i)
{
	if (i + 4 > len)
		return -1;
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		int h = hexdig_value(t[i + k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

#endif
