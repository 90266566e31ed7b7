/* The compact view against Tetragon's own encoder tests
 * (pkg/encoder/encoder_test.go): every case of those tests, its event in
 * protojson as Tetragon exports it and the line tetra prints for it, in
 * tests/data/compact/tetra-encoder.{jsonl,txt} (--timestamps cases in
 * tetra-encoder-timestamps.*).  The tests run tetra without colours, so
 * lines without CAP_SYS_ADMIN carry no padding; the seed's sample, taken
 * from a terminal, is tetra's coloured output (padded) without its codes. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_events.h"
#include "compact.h"
#include "goquote.h"
#include "testutil.h"
#include "xalloc.h"

static char *run_print(const char *input, bool color, bool timestamps)
{
	char *out = NULL, *err = NULL;
	size_t outlen = 0, errlen = 0;
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	FILE *o = open_memstream(&out, &outlen), *e = open_memstream(&err, &errlen);
	struct events_options opt = { .in = in, .in_name = "in", .out = o, .report = e,
				      .color = color, .timestamps = timestamps };
	ck_assert_int_eq(events_print(&opt, NULL), 0);
	fclose(in);
	fclose(o);
	fclose(e);
	ck_assert_str_eq(err, "");
	free(err);
	return out;
}

/* Each line of `events` rendered alone, against the same line of `want`,
 * then the whole file through events_print. */
static void check_pair(const char *events, const char *want_file, unsigned flags)
{
	char *in = slurp(testdata_path(events), NULL);
	char *want = slurp(testdata_path(want_file), NULL);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(want);
	char *in_copy = xstrdup(in), *want_copy = xstrdup(want);
	size_t n = 0;
	char *ip = in_copy, *wp = want_copy;
	for (char *inl; (inl = strchr(ip, '\n')); ip = inl + 1) {
		char *wnl = strchr(wp, '\n');
		ck_assert_ptr_nonnull(wnl);
		*inl = *wnl = '\0';
		n++;
		struct json_object *o = json_tokener_parse(ip);
		ck_assert_ptr_nonnull(o);
		char *line = compact_render(o, flags);
		ck_assert_msg(!strcmp(line, wp), "%s:%zu:\n got [%s]\nwant [%s]", events, n,
			      line, wp);
		free(line);
		json_object_put(o);
		wp = wnl + 1;
	}
	ck_assert_str_eq(wp, "");
	ck_assert_uint_gt(n, 0);
	char *out = run_print(in, false, flags & COMPACT_TIMESTAMPS);
	ck_assert_str_eq(out, want);
	free(out);
	free(in_copy);
	free(want_copy);
	free(in);
	free(want);
}

START_TEST(encoder_test_cases)
{
	check_pair("compact/tetra-encoder.jsonl", "compact/tetra-encoder.txt", 0);
}
END_TEST

START_TEST(encoder_timestamp_cases)
{
	check_pair("compact/tetra-encoder-timestamps.jsonl", "compact/tetra-encoder-timestamps.txt",
		   COMPACT_TIMESTAMPS);
}
END_TEST

/* Every rendered line of the encoder cases holds no control character:
 * what the strings held is shown escaped. */
START_TEST(no_control_characters_reach_the_terminal)
{
	char *in = slurp(testdata_path("compact/tetra-encoder.jsonl"), NULL);
	char *out = run_print(in, false, false);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		ck_assert(*p == '\n' || (*p >= 0x20 && *p != 0x7f));
	free(out);
	free(in);
}
END_TEST

static char *quote(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	goquote_append(&buf, &len, &cap, s, n);
	return buf;
}

/* strconv.Quote's output for each input (from Go's strconv tests and
 * its escape table). */
START_TEST(go_quoting)
{
	static const struct {
		const char *in;
		size_t n;
		bool needed;
		const char *want;
	} cases[] = {
		{ "plain /usr/bin/x", 16, false, "\"plain /usr/bin/x\"" },
		{ "\a\b\f\r\n\t\v", 7, true, "\"\\a\\b\\f\\r\\n\\t\\v\"" },
		{ "\\", 1, true, "\"\\\\\"" },
		{ "\"q\"", 3, true, "\"\\\"q\\\"\"" },
		{ "\x00", 1, true, "\"\\x00\"" },
		{ "\x7f", 1, true, "\"\\x7f\"" },
		{ "\xff", 1, true, "\"\\xff\"" },
		{ "\xc0\x80", 2, true, "\"\\xc0\\x80\"" },           /* overlong */
		{ "\xed\xa0\x80", 3, true, "\"\\xed\\xa0\\x80\"" },   /* surrogate */
		{ "\xc2\x85", 2, true, "\"\\u0085\"" },
		{ "\xc2\xa0", 2, true, "\"\\u00a0\"" },
		{ "\xe2\x80\xae", 3, true, "\"\\u202e\"" },          /* right-to-left override */
		{ "\xef\xbb\xbf", 3, true, "\"\\ufeff\"" },
		{ "\xf3\xa0\x80\x81", 4, true, "\"\\U000e0001\"" },
		{ "日本語 ☺ 🚀", 18, false, "\"日本語 ☺ 🚀\"" },
		{ "abc\xe2\x82", 5, true, "\"abc\\xe2\\x82\"" },      /* cut short */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(goquote_needed(cases[i].in, cases[i].n) == cases[i].needed,
			      "case %zu", i);
		char *q = quote(cases[i].in, cases[i].n);
		ck_assert_msg(!strcmp(q, cases[i].want), "case %zu: got [%s] want [%s]", i, q,
			      cases[i].want);
		free(q);
	}
}
END_TEST

/* Colours: the coloured line is always padded to 120 bytes counting its
 * codes; the plain one only before a capability note. */
START_TEST(padding_follows_the_note)
{
	static const char plain_ev[] =
		"{\"process_exec\":{\"process\":{\"binary\":\"/bin/a\",\"arguments\":\"x\"}},\"node_name\":\"n\"}";
	static const char caps_ev[] =
		"{\"process_exec\":{\"process\":{\"binary\":\"/bin/a\",\"arguments\":\"x\","
		"\"cap\":{\"effective\":[\"CAP_SYS_ADMIN\"]}}},\"node_name\":\"n\"}";
	struct json_object *a = json_tokener_parse(plain_ev), *b = json_tokener_parse(caps_ev);
	char *p = compact_render(a, 0), *pc = compact_render(a, COMPACT_COLOR);
	char *q = compact_render(b, 0);
	ck_assert_str_eq(p, "🚀 process n /bin/a x");
	/* 59 bytes with codes: padding 61, " " and 61 - 9 spaces before the
	 * note's 9 bytes of codes. */
	char *cwant = xasprintf("\x1b[34m🚀 process\x1b[0m \x1b[32mn\x1b[0m \x1b[35m/bin/a\x1b[0m "
				"\x1b[36mx\x1b[0m %*s\x1b[35m\x1b[0m", 52, "");
	ck_assert_str_eq(pc, cwant);
	free(cwant);
	/* 23 bytes, then padding = 97: " " and 97 - 15 runes of spaces */
	char *want = xasprintf("🚀 process n /bin/a x %*s🛑 CAP_SYS_ADMIN", 82, "");
	ck_assert_str_eq(q, want);
	free(want);
	free(p);
	free(pc);
	free(q);
	json_object_put(a);
	json_object_put(b);
}
END_TEST

Suite *compact_tetra_suite(void)
{
	Suite *s = suite_create("compact_tetra");
	TCase *tc = tcase_create("encoder");
	tcase_add_test(tc, encoder_test_cases);
	tcase_add_test(tc, encoder_timestamp_cases);
	tcase_add_test(tc, no_control_characters_reach_the_terminal);
	tcase_add_test(tc, go_quoting);
	tcase_add_test(tc, padding_follows_the_note);
	suite_add_tcase(s, tc);
	return s;
}
