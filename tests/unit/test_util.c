/* Shared test helpers (testutil.h) and tests of the small core modules:
 * xalloc, fields, event, diag. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "event.h"
#include "fields.h"
#include "testutil.h"
#include "textfile.h"
#include "xalloc.h"

static const char *env_path(const char *var, const char *fallback,
			    const char *rel)
{
	static char buf[8][4096];
	static int next;
	const char *base = getenv(var);
	char *out = buf[next++ % 8];
	snprintf(out, sizeof(buf[0]), "%s/%s", base ? base : fallback, rel);
	return out;
}

const char *src_path(const char *rel)
{
	return env_path("BPFALERT_SRC", ".", rel);
}

const char *testdata_path(const char *rel)
{
	return env_path("BPFALERT_TESTDATA", "tests/data", rel);
}

const char *bpfalert_bin(void)
{
	const char *b = getenv("BPFALERT_BIN");
	return b ? b : "./build/bpfalert";
}

char *slurp(const char *path, size_t *len)
{
	size_t n;
	char *text = textfile_read(path, (size_t)4 << 30, &n);
	if (text && len)
		*len = n;
	return text;
}

char *run_capture(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	do {
		buf = xgrow(buf, &cap, n + 65536 + 1, 1);
		r = fread(buf + n, 1, 65536, p);
		n += r;
	} while (r > 0);
	buf[n] = '\0';
	int st = pclose(p);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return buf;
}

double test_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void test_timing(const char *what, double t0)
{
	if (getenv("BPFALERT_TEST_TIMINGS"))
		fprintf(stderr, "timing: %s in %.1f s\n", what, test_clock() - t0);
}

char *make_temp_dir(void)
{
	char *t = xstrdup("/tmp/bpfalert-test-XXXXXX");
	if (!mkdtemp(t)) {
		free(t);
		return NULL;
	}
	return t;
}

void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "rm_rf %s failed\n", path);
	free(cmd);
}

char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

void on_done(void *ctx, enum delivery_result result, const char *detail)
{
	struct outcome *o = ctx;
	o->calls++;
	o->result = result;
	snprintf(o->detail, sizeof(o->detail), "%s", detail ? detail : "");
}

/* ---- fields ---- */

START_TEST(fields_intern_and_lookup)
{
	field_table *ft = field_table_new();
	ck_assert_int_eq(field_table_intern(ft, "a", 1), 0);
	ck_assert_int_eq(field_table_intern(ft, "b_c", 3), 1);
	ck_assert_int_eq(field_table_intern(ft, "a", 1), 0);
	ck_assert_int_eq(field_table_lookup(ft, "b_c", 3), 1);
	ck_assert_int_eq(field_table_lookup(ft, "b_cd", 3), 1);
	ck_assert_int_eq(field_table_lookup(ft, "zz", 2), -1);
	ck_assert_str_eq(field_table_name(ft, 1), "b_c");
	ck_assert_uint_eq(field_table_count(ft), 2);
	field_table_free(&ft);
	ck_assert_ptr_null(ft);
}
END_TEST

START_TEST(fields_many_names_rehash)
{
	field_table *ft = field_table_new();
	char name[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof(name), "field_%d", i);
		ck_assert_int_eq(field_table_intern(ft, name, (size_t)n), i);
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof(name), "field_%d", i);
		ck_assert_int_eq(field_table_lookup(ft, name, (size_t)n), i);
	}
	field_table_free(&ft);
}
END_TEST

/* ---- event ---- */

START_TEST(event_multi_values_and_reset)
{
	event *ev = event_new();
	event_reset(ev, 3);
	value v = { .type = VALUE_INT, .i = 1 };
	ck_assert(!event_has(ev, 1));
	event_add(ev, 1, &v);
	v.i = 2;
	event_add(ev, 1, &v);
	v.i = 3;
	event_add(ev, 2, &v);
	ck_assert_uint_eq(event_count(ev, 1), 2);
	const value *x = event_first(ev, 1);
	ck_assert_int_eq(x->i, 1);
	x = event_next(ev, x);
	ck_assert_int_eq(x->i, 2);
	ck_assert_ptr_null(event_next(ev, x));
	event_reset(ev, 5);
	ck_assert(!event_has(ev, 1));
	ck_assert(!event_has(ev, 4));
	ck_assert_ptr_null(event_first(ev, 2));
	event_free(&ev);
}
END_TEST

START_TEST(event_value_cap)
{
	event *ev = event_new();
	event_reset(ev, 1);
	value v = { .type = VALUE_BOOL };
	for (int i = 0; i < EVENT_MAX_VALUES; i++)
		ck_assert_int_eq(event_add(ev, 0, &v), 0);
	ck_assert_int_eq(event_add(ev, 0, &v), -1);
	ck_assert(ev->truncated);
	event_free(&ev);
}
END_TEST

START_TEST(number_text)
{
	value v = { 0 };
	ck_assert(value_parse_number("1277", 4, &v));
	ck_assert(v.is_integer && v.i == 1277);
	ck_assert(value_parse_number("-2.5e3", 6, &v));
	ck_assert(!v.is_integer || v.i == -2500);
	ck_assert(v.d == -2500.0);
	ck_assert(!value_parse_number("12a", 3, &v));
	ck_assert(!value_parse_number("", 0, &v));
	ck_assert(!value_parse_number("1.", 2, &v));
	ck_assert(!value_parse_number(" 1", 2, &v));
	ck_assert(value_parse_number("18446744073709551615", 20, &v));
	ck_assert(!v.is_integer);
}
END_TEST

/* ---- diag ---- */

START_TEST(diag_caret_under_column)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diag *d = diag_new(f);
	const char *src = "    rule = \"process_exec_process_uid => 1000\";";
	diag_report(d, DIAG_ERROR, "rules.d/ssh.rules", 12, 41, src, strlen(src),
		    "unknown operator '%s' (did you mean '%s'?)", "=>", ">=");
	diag_report(d, DIAG_WARNING, "x.rules", 3, 0, NULL, 0, "w");
	fclose(f);
	ck_assert_str_eq(buf,
		"rules.d/ssh.rules:12:41: error: unknown operator '=>' (did you mean '>='?)\n"
		"        rule = \"process_exec_process_uid => 1000\";\n"
		"                                            ^\n"
		"x.rules:3: warning: w\n");
	ck_assert_uint_eq(diag_errors(d), 1);
	ck_assert_uint_eq(diag_warnings(d), 1);
	diag_free(&d);
	free(buf);
}
END_TEST

START_TEST(diag_line_lookup)
{
	const char *t = "one\ntwo\r\nthree";
	size_t n;
	const char *l = diag_line_of(t, strlen(t), 2, &n);
	ck_assert_int_eq((int)n, 3);
	ck_assert(!strncmp(l, "two", 3));
	l = diag_line_of(t, strlen(t), 3, &n);
	ck_assert_int_eq((int)n, 5);
	ck_assert_ptr_null(diag_line_of(t, strlen(t), 4, &n));
}
END_TEST

Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, fields_intern_and_lookup);
	tcase_add_test(tc, fields_many_names_rehash);
	tcase_add_test(tc, event_multi_values_and_reset);
	tcase_add_test(tc, event_value_cap);
	tcase_add_test(tc, number_text);
	tcase_add_test(tc, diag_caret_under_column);
	tcase_add_test(tc, diag_line_lookup);
	suite_add_tcase(s, tc);
	return s;
}
