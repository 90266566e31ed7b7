/* RFC 3339 parsing and formatting (engine/timefmt.h). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "timefmt.h"

static int parse(const char *s, int64_t *ns)
{
	return timefmt_parse(s, strlen(s), ns);
}

static int64_t must_parse(const char *s)
{
	int64_t ns = 0;
	ck_assert_msg(parse(s, &ns) == 0, "'%s' was refused", s);
	return ns;
}

START_TEST(epoch_and_tetragon_time)
{
	ck_assert_int_eq(must_parse("1970-01-01T00:00:00Z"), 0);
	/* date -u -d 2023-11-16T02:33:50Z +%s gives 1700102030 */
	ck_assert_int_eq(must_parse("2023-11-16T02:33:50.429221745Z"),
			 1700102030LL * 1000000000LL + 429221745LL);
	ck_assert_int_eq(must_parse("2000-03-01T00:00:00Z"), 951868800LL * 1000000000LL);
}
END_TEST

START_TEST(fraction_digits)
{
	static const struct { const char *text; int64_t frac; } cases[] = {
		{"2022-05-11T12:54:45Z", 0},
		{"2022-05-11T12:54:45.6Z", 600000000},
		{"2022-05-11T12:54:45.61Z", 610000000},
		{"2022-05-11T12:54:45.615Z", 615000000},
		{"2022-05-11T12:54:45.6154Z", 615400000},
		{"2022-05-11T12:54:45.61543Z", 615430000},
		{"2022-05-11T12:54:45.615432Z", 615432000},
		{"2022-05-11T12:54:45.6154321Z", 615432100},
		{"2022-05-11T12:54:45.61543219Z", 615432190},
		{"2022-05-11T12:54:45.615432198Z", 615432198},
		/* digits past the ninth are cut, not rounded */
		{"2022-05-11T12:54:45.6154321989Z", 615432198},
	};
	int64_t base = must_parse("2022-05-11T12:54:45Z");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_int_eq(must_parse(cases[i].text) - base, cases[i].frac);
}
END_TEST

START_TEST(offsets)
{
	int64_t z = must_parse("2023-08-30T11:01:22.847554295Z");
	ck_assert_int_eq(must_parse("2023-08-30T13:01:22.847554295+02:00"), z);
	ck_assert_int_eq(must_parse("2023-08-30T05:31:22.847554295-05:30"), z);
	ck_assert_int_eq(must_parse("2023-08-30T11:01:22.847554295-00:00"), z);
	ck_assert_int_eq(must_parse("2023-08-30t11:01:22.847554295z"), z);
	ck_assert_int_eq(must_parse("2023-08-30 11:01:22.847554295Z"), z);
	/* an offset can move the date across a year boundary */
	ck_assert_int_eq(must_parse("2024-01-01T01:00:00+02:00"),
			 must_parse("2023-12-31T23:00:00Z"));
}
END_TEST

START_TEST(invalid_inputs)
{
	static const char *const bad[] = {
		"", "2023", "2023-11-16", "2023-11-16T02:33:50",
		"2023-11-16T02:33:50.Z", "2023-11-16T02:33:50.429221745",
		"2023-13-01T00:00:00Z", "2023-00-01T00:00:00Z",
		"2023-02-29T00:00:00Z", "2023-04-31T00:00:00Z",
		"2023-01-00T00:00:00Z", "2023-01-01T24:00:00Z",
		"2023-01-01T00:60:00Z", "2023-01-01T00:00:60Z",
		"2023-01-01T00:00:00+24:00", "2023-01-01T00:00:00+02:60",
		"2023-01-01T00:00:00+0200", "2023-01-01T00:00:00+02",
		"2023-01-01T00:00:00Zjunk", "2023-01-01T00:00:00 Z",
		"2023-1-01T00:00:00Z", "23-01-01T00:00:00Z",
		"2023/01/01T00:00:00Z", "2023-01-01X00:00:00Z",
		"+2023-01-01T00:00:00Z", "2023-01-01T00:00:00.-1Z",
		"１９７０-01-01T00:00:00Z",
		/* outside the int64 nanosecond range */
		"1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775808Z",
		"9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns = 12345;
		ck_assert_msg(parse(bad[i], &ns) == -1, "'%s' was accepted", bad[i]);
		ck_assert_int_eq(ns, 12345);
	}
	/* leap day of a leap year, and the range's ends, are fine */
	int64_t ns;
	ck_assert_int_eq(parse("2024-02-29T00:00:00Z", &ns), 0);
	ck_assert_int_eq(parse("2000-02-29T00:00:00Z", &ns), 0);
	ck_assert_int_eq(parse("1900-02-29T00:00:00Z", &ns), -1);
	ck_assert_int_eq(must_parse("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
	ck_assert_int_eq(must_parse("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
}
END_TEST

START_TEST(length_is_respected)
{
	/* the text need not be NUL-terminated where the time ends */
	const char *s = "2023-11-16T02:33:50Z\"}";
	int64_t ns;
	ck_assert_int_eq(timefmt_parse(s, 20, &ns), 0);
	ck_assert_int_eq(timefmt_parse(s, 21, &ns), -1);
	ck_assert_int_eq(timefmt_parse(s, 19, &ns), -1);
}
END_TEST

static const char *fmt(int64_t ns, char *buf)
{
	size_t n = timefmt_format(ns, buf, TIMEFMT_MAX);
	ck_assert_uint_eq(n, strlen(buf));
	return buf;
}

START_TEST(format_protojson_digits)
{
	char buf[TIMEFMT_MAX];
	ck_assert_str_eq(fmt(0, buf), "1970-01-01T00:00:00Z");
	ck_assert_str_eq(fmt(must_parse("2023-11-16T02:33:50.429221745Z"), buf),
			 "2023-11-16T02:33:50.429221745Z");
	ck_assert_str_eq(fmt(must_parse("2022-05-11T12:54:45.615Z"), buf),
			 "2022-05-11T12:54:45.615Z");
	ck_assert_str_eq(fmt(must_parse("2022-05-11T12:54:45.6Z"), buf),
			 "2022-05-11T12:54:45.600Z");
	ck_assert_str_eq(fmt(must_parse("2022-05-11T12:54:45.6154Z"), buf),
			 "2022-05-11T12:54:45.615400Z");
	ck_assert_str_eq(fmt(must_parse("2023-08-30T11:01:22.847638990Z"), buf),
			 "2023-08-30T11:01:22.847638990Z");
	ck_assert_str_eq(fmt(must_parse("2023-08-30T13:01:22+02:00"), buf),
			 "2023-08-30T11:01:22Z");
	ck_assert_str_eq(fmt(-1, buf), "1969-12-31T23:59:59.999999999Z");
	ck_assert_str_eq(fmt(INT64_MIN, buf), "1677-09-21T00:12:43.145224192Z");
	ck_assert_str_eq(fmt(INT64_MAX, buf), "2262-04-11T23:47:16.854775807Z");
}
END_TEST

START_TEST(format_truncates_to_buffer)
{
	char small[8];
	size_t n = timefmt_format(0, small, sizeof(small));
	ck_assert_uint_eq(n, strlen("1970-01-01T00:00:00Z"));
	ck_assert_str_eq(small, "1970-01");
}
END_TEST

START_TEST(round_trips)
{
	/* a spread of instants across the whole range, every digit count */
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	char buf[TIMEFMT_MAX];
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t ns = (int64_t)x;
		switch (i % 4) {
		case 1: ns -= ns % 1000; break;
		case 2: ns -= ns % 1000000; break;
		case 3: ns -= ns % 1000000000; break;
		}
		int64_t back;
		fmt(ns, buf);
		ck_assert_msg(timefmt_parse(buf, strlen(buf), &back) == 0,
			      "'%s' does not parse", buf);
		ck_assert_int_eq(back, ns);
	}
	/* and text -> ns -> text for day boundaries across leap years */
	for (int y = 1970; y <= 2100; y += 3) {
		char in[64];
		snprintf(in, sizeof(in), "%04d-02-28T23:59:59.999999999Z", y);
		ck_assert_str_eq(fmt(must_parse(in), buf), in);
		snprintf(in, sizeof(in), "%04d-03-01T00:00:00Z", y);
		ck_assert_str_eq(fmt(must_parse(in), buf), in);
	}
}
END_TEST

Suite *timefmt_suite(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("timefmt");
	tcase_add_test(tc, epoch_and_tetragon_time);
	tcase_add_test(tc, fraction_digits);
	tcase_add_test(tc, offsets);
	tcase_add_test(tc, invalid_inputs);
	tcase_add_test(tc, length_is_respected);
	tcase_add_test(tc, format_protojson_digits);
	tcase_add_test(tc, format_truncates_to_buffer);
	tcase_add_test(tc, round_trips);
	suite_add_tcase(s, tc);
	return s;
}
