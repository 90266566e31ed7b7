#include "timefmt.h"

#include <stdbool.h>
#include <stdio.h>

#define NS_PER_SEC 1000000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse: year, month, day of a day number. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
					      31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly `n` digits at s[*i]; -1 if they are not all there. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0;
	for (int k = 0; k < n; k++, (*i)++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[*i] - '0');
	}
	return v;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

/* Fraction after the '.', as nanoseconds; -1 without a digit. */
static int64_t fraction(const char *s, size_t len, size_t *i)
{
	size_t start = *i;
	int64_t frac = 0;
	int n = 0;
	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		if (n < 9) {
			frac = frac * 10 + (s[*i] - '0');
			n++;
		}
	}
	if (*i == start)
		return -1;
	for (; n < 9; n++)
		frac *= 10;
	return frac;
}

/* Zone: "Z" or "+hh:mm"/"-hh:mm"; sets the offset east of UTC in seconds. */
static bool zone(const char *s, size_t len, size_t *i, int64_t *off)
{
	if (*i < len && (s[*i] == 'Z' || s[*i] == 'z')) {
		(*i)++;
		*off = 0;
		return true;
	}
	if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
		return false;
	int sign = s[(*i)++] == '-' ? -1 : 1;
	int hh = digits(s, len, i, 2);
	if (hh < 0 || hh > 23 || !expect(s, len, i, ':'))
		return false;
	int mm = digits(s, len, i, 2);
	if (mm < 0 || mm > 59)
		return false;
	*off = sign * (hh * 3600 + mm * 60);
	return true;
}

int timefmt_parse(const char *s, size_t len, int64_t *ns)
{
	size_t i = 0;
	int y = digits(s, len, &i, 4);
	if (y < 0 || !expect(s, len, &i, '-'))
		return -1;
	int mo = digits(s, len, &i, 2);
	if (mo < 1 || mo > 12 || !expect(s, len, &i, '-'))
		return -1;
	int d = digits(s, len, &i, 2);
	if (d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
		return -1;
	if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -1;
	i++;
	int hh = digits(s, len, &i, 2);
	if (hh < 0 || hh > 23 || !expect(s, len, &i, ':'))
		return -1;
	int mi = digits(s, len, &i, 2);
	if (mi < 0 || mi > 59 || !expect(s, len, &i, ':'))
		return -1;
	int ss = digits(s, len, &i, 2);
	if (ss < 0 || ss > 59)
		return -1;
	int64_t frac = 0;
	if (i < len && s[i] == '.') {
		i++;
		if ((frac = fraction(s, len, &i)) < 0)
			return -1;
	}
	int64_t off;
	if (!zone(s, len, &i, &off) || i != len)
		return -1;

	/* Years 0000-9999 keep this far from int64 overflow. */
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		       hh * 3600 + mi * 60 + ss - off;
	if (secs < 0 && frac > 0) { /* keep the product in range near the low end */
		secs++;
		frac -= NS_PER_SEC;
	}
	int64_t out;
	if (__builtin_mul_overflow(secs, NS_PER_SEC, &out) ||
	    __builtin_add_overflow(out, frac, &out))
		return -1;
	*ns = out;
	return 0;
}

size_t timefmt_format(int64_t ns, char *buf, size_t size)
{
	/* Floor division, so times before 1970 get a positive fraction. */
	int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
	if (frac < 0) {
		frac += NS_PER_SEC;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);

	char fr[11] = "";
	if (frac % 1000000 == 0 && frac)
		snprintf(fr, sizeof(fr), ".%03d", (int)(frac / 1000000));
	else if (frac % 1000 == 0 && frac)
		snprintf(fr, sizeof(fr), ".%06d", (int)(frac / 1000));
	else if (frac)
		snprintf(fr, sizeof(fr), ".%09d", (int)frac);
	int n = snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02d%sZ", (int)y,
			 m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
			 (int)(rem % 60), fr);
	return n < 0 ? 0 : (size_t)n;
}
