/* jsonpos: where values and string bytes of JSON and libconfig text lie. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "testutil.h"

static const jsonpos_path ROOT = { .n = 0 };

/* Builds a path from "a.b[2].c" (keys without dots or brackets). */
static jsonpos_path P(const char *spec)
{
	static char store[16][64];
	static int next;
	jsonpos_path p = ROOT;
	const char *s = spec;
	while (*s) {
		if (*s == '.') {
			s++;
		} else if (*s == '[') {
			p = jsonpos_index(&p, strtoul(s + 1, NULL, 10));
			s = strchr(s, ']') + 1;
		} else {
			size_t n = strcspn(s, ".[");
			char *k = store[next++ % 16];
			memcpy(k, s, n);
			k[n] = '\0';
			p = jsonpos_key(&p, k);
			s += n;
		}
	}
	return p;
}

static struct jsonpos_loc value_at(const jsonpos *jp, const char *spec)
{
	struct jsonpos_loc v = { 0 };
	jsonpos_path p = P(spec);
	ck_assert_msg(jsonpos_find(jp, &p, &v, NULL), "%s not found", spec);
	return v;
}

static struct jsonpos_loc key_at(const jsonpos *jp, const char *spec)
{
	struct jsonpos_loc v, k = { 0 };
	jsonpos_path p = P(spec);
	ck_assert_msg(jsonpos_find(jp, &p, &v, &k), "%s not found", spec);
	return k;
}

static struct jsonpos_loc byte_at(const jsonpos *jp, const char *spec,
				  size_t offset)
{
	struct jsonpos_loc l = { 0 };
	jsonpos_path p = P(spec);
	ck_assert_msg(jsonpos_string_at(jp, &p, offset, &l), "%s not a string",
		      spec);
	return l;
}

#define ck_loc(l, ln, cl)                                                  \
	do {                                                               \
		struct jsonpos_loc l_ = (l);                               \
		ck_assert_int_eq(l_.line, ln);                             \
		ck_assert_int_eq(l_.col, cl);                              \
	} while (0)

START_TEST(json_paths)
{
	const char *t = "{\"a\": {\"b\": [1, \"x\",\n  {\"c\": \"d\"}]},\n"
			" \"e\": true}";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, ""), 1, 1);
	ck_loc(value_at(jp, "a"), 1, 7);
	ck_loc(key_at(jp, "a"), 1, 2);
	ck_loc(value_at(jp, "a.b"), 1, 13);
	ck_loc(value_at(jp, "a.b[0]"), 1, 14);
	ck_loc(value_at(jp, "a.b[1]"), 1, 17);
	ck_loc(value_at(jp, "a.b[2]"), 2, 3);
	ck_loc(value_at(jp, "a.b[2].c"), 2, 9);
	ck_loc(key_at(jp, "a.b[2].c"), 2, 4);
	ck_loc(value_at(jp, "e"), 3, 7);
	jsonpos_path miss[] = { P("x"), P("a.b[3]"), P("a.b.c"), P("e.f"),
				P("a[0]") };
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		ck_assert(!jsonpos_find(jp, &miss[i], NULL, NULL));
	struct jsonpos_loc l;
	jsonpos_path not_string = P("a.b[0]");
	ck_assert(!jsonpos_string_at(jp, &not_string, 0, &l));
	jsonpos_free(&jp);
	ck_assert_ptr_null(jp);
}
END_TEST

START_TEST(json_duplicate_key_last_wins)
{
	const char *t = "{\"k\": 1, \"k\": 2}";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, "k"), 1, 15);
	jsonpos_free(&jp);
}
END_TEST

START_TEST(json_escaped_key)
{
	const char *t = "{\"a\\u0062\": 1, \"q\\\"\": 2}";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, "ab"), 1, 13);
	ck_loc(value_at(jp, "q\""), 1, 23);
	jsonpos_free(&jp);
}
END_TEST

START_TEST(json_string_escapes)
{
	/* "a\"b\u00e9c\ud83d\ude00d\/e\n" decodes to
	 * a " b é(2) c 😀(4) d / e \n: 14 bytes. */
	const char *t = "{\"s\": \"a\\\"b\\u00e9c\\ud83d\\ude00d\\/e\\n\"}";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(byte_at(jp, "s", 0), 1, 8);   /* a */
	ck_loc(byte_at(jp, "s", 1), 1, 9);   /* \" */
	ck_loc(byte_at(jp, "s", 2), 1, 11);  /* b */
	ck_loc(byte_at(jp, "s", 3), 1, 12);  /* \u00e9, first byte */
	ck_loc(byte_at(jp, "s", 4), 1, 12);  /* \u00e9, second byte */
	ck_loc(byte_at(jp, "s", 5), 1, 18);  /* c */
	ck_loc(byte_at(jp, "s", 6), 1, 19);  /* surrogate pair, 4 bytes */
	ck_loc(byte_at(jp, "s", 9), 1, 19);
	ck_loc(byte_at(jp, "s", 10), 1, 31); /* d */
	ck_loc(byte_at(jp, "s", 11), 1, 32); /* \/ */
	ck_loc(byte_at(jp, "s", 12), 1, 34); /* e */
	ck_loc(byte_at(jp, "s", 13), 1, 35); /* \n */
	ck_loc(byte_at(jp, "s", 14), 1, 37); /* the end: closing quote */
	ck_loc(byte_at(jp, "s", 999), 1, 37);
	jsonpos_free(&jp);
}
END_TEST

START_TEST(json_lone_surrogates)
{
	/* json-c turns a lone surrogate into U+FFFD (3 bytes). */
	const char *t = "[\"\\ud83dx\\ude00y\\ud83d\\u0041z\"]";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(byte_at(jp, "[0]", 2), 1, 3);   /* \ud83d */
	ck_loc(byte_at(jp, "[0]", 3), 1, 9);   /* x */
	ck_loc(byte_at(jp, "[0]", 4), 1, 10);  /* \ude00 */
	ck_loc(byte_at(jp, "[0]", 7), 1, 16);  /* y */
	ck_loc(byte_at(jp, "[0]", 8), 1, 17);  /* \ud83d */
	ck_loc(byte_at(jp, "[0]", 11), 1, 23); /* \u0041 */
	ck_loc(byte_at(jp, "[0]", 12), 1, 29); /* z */
	jsonpos_free(&jp);
}
END_TEST

START_TEST(json_utf8_columns_are_bytes)
{
	const char *t = "{\"é\": \"ü=x\"}";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, "é"), 1, 8);
	ck_loc(byte_at(jp, "é", 2), 1, 11);  /* '=' after the 2-byte ü */
	jsonpos_free(&jp);
}
END_TEST

START_TEST(json_multiline_crlf)
{
	const char *t = "{\r\n  \"alerts\": [\r\n    {\"name\": \"x\",\r\n"
			"     \"rule\": \"a => b\"}\r\n  ]\r\n}\r\n";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, "alerts"), 2, 13);
	ck_loc(value_at(jp, "alerts[0]"), 3, 5);
	ck_loc(value_at(jp, "alerts[0].name"), 3, 14);
	ck_loc(byte_at(jp, "alerts[0].rule", 2), 4, 17);
	/* \r is part of the line: the end of line 4 is after it */
	size_t cr = (size_t)(strstr(t, "}\r\n  ]") - t) + 1;
	struct jsonpos_loc l = jsonpos_loc_of(jp, cr);
	ck_loc(l, 4, 23);
	jsonpos_free(&jp);
}
END_TEST

START_TEST(json_deep_nesting_is_skipped_not_fatal)
{
	size_t depth = 5000;
	char *t = malloc(depth * 2 + 64);
	char *p = t;
	p += sprintf(p, "{\"deep\": ");
	for (size_t i = 0; i < depth; i++)
		*p++ = '[';
	for (size_t i = 0; i < depth; i++)
		*p++ = ']';
	p += sprintf(p, ", \"after\": \"x\"}");
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, "after"), 1, (int)(depth * 2 + 21));
	ck_loc(value_at(jp, "deep[0][0]"), 1, 12);
	jsonpos_free(&jp);
	free(t);
}
END_TEST

START_TEST(json_garbage_indexes_what_it_can)
{
	const char *bad[] = { "", "{", "{\"a\": [1, 2", "{\"a\" 1}", "]]]",
			      "{\"a\": \"unterminated", "\"\\u12\"",
			      "{\"a\":\"\\q\"}", "{\"a\": 1,, \"b\": 2}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);
		jsonpos *jp = jsonpos_scan(bad[i], len, JSONPOS_JSON);
		struct jsonpos_loc l;
		jsonpos_path p = P("a");
		jsonpos_find(jp, &p, &l, &l);
		jsonpos_string_at(jp, &p, 3, &l);
		jsonpos_free(&jp);
	}
	const char *t = "{\"a\": 1, \"b\": [2, oops";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	ck_loc(value_at(jp, "a"), 1, 7);
	jsonpos_free(&jp);
}
END_TEST

START_TEST(libconfig_paths)
{
	const char *t = "# comment\n"
			"alerts = (\n"
			"  { name = \"x\";   // trailing\n"
			"    group_by = [ \"a\", \"b\" ];\n"
			"    repeat : { times = 5; interval = \"10s\" }, },\n"
			"  /* block\n comment */ { name = \"y\" }\n"
			");\n"
			"other = 0x10L;";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_LIBCONFIG);
	jsonpos_path root = ROOT;
	ck_assert(!jsonpos_find(jp, &root, NULL, NULL));  /* no place */
	ck_loc(value_at(jp, "alerts"), 2, 10);
	ck_loc(key_at(jp, "alerts"), 2, 1);
	ck_loc(value_at(jp, "alerts[0]"), 3, 3);
	ck_loc(value_at(jp, "alerts[0].name"), 3, 12);
	ck_loc(key_at(jp, "alerts[0].group_by"), 4, 5);
	ck_loc(value_at(jp, "alerts[0].group_by[1]"), 4, 23);
	ck_loc(value_at(jp, "alerts[0].repeat.interval"), 5, 38);
	ck_loc(value_at(jp, "alerts[1]"), 7, 13);
	ck_loc(value_at(jp, "alerts[1].name"), 7, 22);
	ck_loc(value_at(jp, "other"), 9, 9);
	jsonpos_free(&jp);
}
END_TEST

START_TEST(libconfig_escapes_and_concatenation)
{
	/* decoded: x \ q y z A \ " p q = r  (\x00 adds nothing) */
	const char *t = "a = \"x\\qy\\x00z\\x41\\\\\\\"\";\n"
			"b = \"p\"  # c\n"
			"  /* x */ \"q\"\n"
			" \"=r\";\n"
			"c = \"m\nn\";\n";
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_LIBCONFIG);
	ck_loc(byte_at(jp, "a", 0), 1, 6);   /* x */
	ck_loc(byte_at(jp, "a", 1), 1, 7);   /* \ standing for itself */
	ck_loc(byte_at(jp, "a", 2), 1, 8);   /* q */
	ck_loc(byte_at(jp, "a", 3), 1, 9);   /* y */
	ck_loc(byte_at(jp, "a", 4), 1, 14);  /* z, after the empty \x00 */
	ck_loc(byte_at(jp, "a", 5), 1, 15);  /* \x41 */
	ck_loc(byte_at(jp, "a", 6), 1, 19);  /* \\ */
	ck_loc(byte_at(jp, "a", 7), 1, 21);  /* \" */
	ck_loc(byte_at(jp, "a", 8), 1, 23);  /* end */
	ck_loc(byte_at(jp, "b", 0), 2, 6);
	ck_loc(byte_at(jp, "b", 1), 3, 12);
	ck_loc(byte_at(jp, "b", 2), 4, 3);
	ck_loc(byte_at(jp, "b", 3), 4, 4);
	ck_loc(byte_at(jp, "b", 4), 4, 5);   /* end: the last closing quote */
	ck_loc(byte_at(jp, "c", 2), 6, 1);   /* raw newline inside a string */
	jsonpos_free(&jp);
}
END_TEST

START_TEST(libconfig_garbage)
{
	const char *bad[] = { "", "a", "a =", "a = {", "a = (1, 2", "= 3",
			      "a = \"x", "a = /* open", "a = [1 2]", "{}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jsonpos *jp = jsonpos_scan(bad[i], strlen(bad[i]),
					   JSONPOS_LIBCONFIG);
		struct jsonpos_loc l;
		jsonpos_path p = P("a");
		jsonpos_find(jp, &p, &l, &l);
		jsonpos_string_at(jp, &p, 0, &l);
		jsonpos_free(&jp);
	}
}
END_TEST

START_TEST(text_loc)
{
	const char *t = "ab\ncd\r\nef";
	ck_loc(jsonpos_text_loc(t, strlen(t), 0), 1, 1);
	ck_loc(jsonpos_text_loc(t, strlen(t), 2), 1, 3);
	ck_loc(jsonpos_text_loc(t, strlen(t), 3), 2, 1);
	ck_loc(jsonpos_text_loc(t, strlen(t), 7), 3, 1);
	ck_loc(jsonpos_text_loc(t, strlen(t), 99), 3, 3);
	jsonpos *jp = jsonpos_scan(t, strlen(t), JSONPOS_JSON);
	for (size_t i = 0; i <= strlen(t) + 1; i++) {
		struct jsonpos_loc a = jsonpos_loc_of(jp, i);
		struct jsonpos_loc b = jsonpos_text_loc(t, strlen(t), i);
		ck_assert_int_eq(a.line, b.line);
		ck_assert_int_eq(a.col, b.col);
	}
	jsonpos_free(&jp);
}
END_TEST

START_TEST(paths_are_bounded)
{
	jsonpos_path p = ROOT;
	for (int i = 0; i < JSONPOS_MAX_PATH + 5; i++)
		p = jsonpos_key(&p, "k");
	ck_assert_uint_eq(p.n, JSONPOS_MAX_PATH);
}
END_TEST

START_TEST(syntax_check)
{
	static const struct {
		const char *text;
		enum jsonpos_syntax syn;
		size_t stop;   /* 0: complete */
		const char *why;
	} cases[] = {
		{ "{\"a\": [1, {}], \"b\": \"\\u00e9\"}", JSONPOS_JSON, 0, NULL },
		{ "{\"a\": 1} x", JSONPOS_JSON, 9, "unexpected text after the value" },
		{ "{\"a\" 1}", JSONPOS_JSON, 5, "expected ':'" },
		{ "{\"a\": 1 \"b\"}", JSONPOS_JSON, 8, "expected ',' or '}'" },
		{ "{\"a\": 1", JSONPOS_JSON, 7, "unexpected end of file" },
		{ "a = 1; b = ( \"x\" \"y\", { c = [1, 2]; } );\n",
		  JSONPOS_LIBCONFIG, 0, NULL },
		{ "", JSONPOS_LIBCONFIG, 0, NULL },
		{ "# only a comment", JSONPOS_LIBCONFIG, 0, NULL },
		{ "a = ;", JSONPOS_LIBCONFIG, 4, "expected a value" },
		{ "a = 1 \"x\"", JSONPOS_LIBCONFIG, 6, "expected a setting name" },
		{ "g = { \"x\" }", JSONPOS_LIBCONFIG, 6,
		  "expected a setting name or '}'" },
		{ "a 1", JSONPOS_LIBCONFIG, 2, "expected '=' or ':' after the name" },
		{ "a = { b = 1;", JSONPOS_LIBCONFIG, 12, "unexpected end of file" },
		{ "a = \"x", JSONPOS_LIBCONFIG, 4, "unterminated string" },
		{ "a = (1 2)", JSONPOS_LIBCONFIG, 7, "expected ',' or ')'" },
		{ "a = [1 2]", JSONPOS_LIBCONFIG, 7, "expected ',' or ']'" },
		{ "a = (1, )", JSONPOS_LIBCONFIG, 8, "expected a value" },
		{ "a = 1; /* open", JSONPOS_LIBCONFIG, 0, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;
		jsonpos *jp = jsonpos_scan(t, strlen(t), cases[i].syn);
		size_t stop = 0;
		const char *why = NULL;
		bool ok = jsonpos_complete(jp, &stop, &why);
		ck_assert_msg(ok == !cases[i].why, "%s", t);
		if (!ok) {
			ck_assert_uint_eq(stop, cases[i].stop);
			ck_assert_str_eq(why, cases[i].why);
		}
		jsonpos_free(&jp);
	}
	/* libconfig nesting deeper than the index goes is refused */
	char deep[700] = "a = ";
	memset(deep + 4, '(', 300);
	memset(deep + 304, ')', 300);
	jsonpos *jp = jsonpos_scan(deep, strlen(deep), JSONPOS_LIBCONFIG);
	size_t stop;
	const char *why;
	ck_assert(!jsonpos_complete(jp, &stop, &why));
	ck_assert_str_eq(why, "settings nested too deep");
	jsonpos_free(&jp);
}
END_TEST

static char *report(const char *text, enum jsonpos_syntax syn,
		    void (*fn)(docsrc *))
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	diag *d = diag_new(f);
	docsrc s = { .file = "f.json", .text = text, .len = strlen(text),
		     .syntax = syn, .d = d };
	s.pos = jsonpos_scan(text, s.len, syn);
	fn(&s);
	ck_assert_uint_eq(s.errors, diag_errors(d));
	jsonpos_free(&s.pos);
	diag_free(&d);
	fclose(f);
	return out;
}

static void report_some(docsrc *s)
{
	jsonpos_path a = P("a"), missing = P("a.zz.yy");
	docsrc_report(s, DIAG_ERROR, &a, false, "bad %s", "value");
	docsrc_report(s, DIAG_WARNING, &a, true, "at the key");
	docsrc_report_string(s, DIAG_ERROR, &a, 2, "third byte");
	docsrc_report(s, DIAG_ERROR, &missing, true, "nearest place");
	docsrc_report_at(s, DIAG_ERROR, 0, 0, "no place");
}

START_TEST(docsrc_reports)
{
	char *out = report("{\n  \"a\": \"x\\ty\"\n}", JSONPOS_JSON,
			   report_some);
	ck_assert_str_eq(out,
			 "f.json:2:8: error: bad value\n"
			 "      \"a\": \"x\\ty\"\n"
			 "           ^\n"
			 "f.json:2:3: warning: at the key\n"
			 "      \"a\": \"x\\ty\"\n"
			 "      ^\n"
			 "f.json:2:12: error: third byte\n"
			 "      \"a\": \"x\\ty\"\n"
			 "               ^\n"
			 "f.json:2:8: error: nearest place\n"
			 "      \"a\": \"x\\ty\"\n"
			 "           ^\n"
			 "f.json: error: no place\n");
	free(out);
}
END_TEST

static void report_root(docsrc *s)
{
	jsonpos_path root = ROOT;
	docsrc_report(s, DIAG_ERROR, &root, false, "root");
}

START_TEST(docsrc_libconfig_root_has_no_place)
{
	char *out = report("a = 1;\n", JSONPOS_LIBCONFIG, report_root);
	ck_assert_str_eq(out, "f.json: error: root\n");
	free(out);
}
END_TEST

Suite *jsonpos_suite(void)
{
	Suite *s = suite_create("jsonpos");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, json_paths);
	tcase_add_test(tc, json_duplicate_key_last_wins);
	tcase_add_test(tc, json_escaped_key);
	tcase_add_test(tc, json_string_escapes);
	tcase_add_test(tc, json_lone_surrogates);
	tcase_add_test(tc, json_utf8_columns_are_bytes);
	tcase_add_test(tc, json_multiline_crlf);
	tcase_add_test(tc, json_deep_nesting_is_skipped_not_fatal);
	tcase_add_test(tc, json_garbage_indexes_what_it_can);
	tcase_add_test(tc, libconfig_paths);
	tcase_add_test(tc, libconfig_escapes_and_concatenation);
	tcase_add_test(tc, libconfig_garbage);
	tcase_add_test(tc, text_loc);
	tcase_add_test(tc, paths_are_bounded);
	tcase_add_test(tc, syntax_check);
	tcase_add_test(tc, docsrc_reports);
	tcase_add_test(tc, docsrc_libconfig_root_has_no_place);
	suite_add_tcase(s, tc);
	return s;
}
