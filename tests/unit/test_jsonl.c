/* JSON-lines reading of hostile input (engine/jsonl.h) and UTF-8
 * validation (engine/utf8.h). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "jsonl.h"
#include "testutil.h"
#include "utf8.h"
#include "xalloc.h"

#define MAX_GOT 64

/* What one pass over an input produced. */
struct run {
	int n;
	char *text[MAX_GOT];
	size_t len[MAX_GOT];
	size_t lineno[MAX_GOT];
	struct jsonl_counters c;
	char *report;
};

static void run_free(struct run *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->text[i]);
	free(r->report);
}

/* Reads `f` to the end; when `json`, hands each line to the flattener
 * and counts its JSON failures as a caller would. */
static void read_all(FILE *f, bool json, struct run *out)
{
	memset(out, 0, sizeof(*out));
	size_t rlen;
	FILE *rep = open_memstream(&out->report, &rlen);
	jsonl_reader *r = jsonl_reader_new(f, "events.jsonl");
	field_table *ft = field_table_new();
	field_table_intern(ft, "a", 1);
	flattener *fl = flattener_new(ft);
	event *ev = event_new();
	const char *line;
	size_t len, lineno;
	while (jsonl_next(r, &line, &len, &lineno, rep)) {
		ck_assert_uint_eq(strlen(line), len); /* NUL-terminated, no NULs */
		if (json) {
			char err[200];
			enum flatten_status st = flattener_parse(fl, line, len, ev, err,
								 sizeof(err));
			if (st != FLATTEN_OK) {
				jsonl_count_bad(r, st == FLATTEN_NOT_OBJECT
						       ? JSONL_BAD_NOT_OBJECT
						       : JSONL_BAD_JSON,
						lineno, err, rep);
				continue;
			}
		}
		if (out->n < MAX_GOT) {
			out->text[out->n] = xstrndup(line, len);
			out->len[out->n] = len;
			out->lineno[out->n++] = lineno;
		}
	}
	/* the end is sticky */
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, rep), 0);
	out->c = *jsonl_counters(r);
	event_free(&ev);
	flattener_free(&fl);
	field_table_free(&ft);
	jsonl_reader_free(&r);
	ck_assert_ptr_null(r);
	fclose(rep);
}

/* Through a stream without a descriptor (stdio reads). */
static void read_mem(const char *data, size_t len, bool json, struct run *out)
{
	FILE *f = fmemopen((void *)data, len, "r");
	ck_assert_ptr_nonnull(f);
	read_all(f, json, out);
	fclose(f);
}

/* Through a real file (read(2) on its descriptor). */
static void read_file(const char *data, size_t len, bool json, struct run *out)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fflush(f);
	rewind(f);
	read_all(f, json, out);
	fclose(f);
}

static void read_both(const char *data, size_t len, bool json, struct run *out)
{
	struct run other;
	read_file(data, len, json, &other);
	read_mem(data, len, json, out);
	/* both ways of reading agree */
	ck_assert_int_eq(other.n, out->n);
	for (int i = 0; i < out->n; i++) {
		ck_assert_uint_eq(other.len[i], out->len[i]);
		ck_assert(!memcmp(other.text[i], out->text[i], out->len[i]));
		ck_assert_uint_eq(other.lineno[i], out->lineno[i]);
	}
	ck_assert(!memcmp(&other.c, &out->c, sizeof(other.c)));
	ck_assert_uint_eq(out->c.bytes, len); /* all of it, at the end */
	ck_assert_str_eq(other.report, out->report);
	run_free(&other);
}

static unsigned long long bad_total(const struct run *r)
{
	unsigned long long n = 0;
	for (int k = 0; k < JSONL_BAD_KINDS; k++)
		n += r->c.bad[k];
	return n;
}

/* ---- line splitting ---- */

START_TEST(lines_crlf_blank_and_last_line)
{
	static const char in[] = "{\"a\":1}\r\n"
				 "\n"
				 "   \t \r\n"
				 "{\"a\":2}\n"
				 "\r\n"
				 "{\"a\":3}";
	struct run r;
	read_both(in, sizeof(in) - 1, true, &r);
	ck_assert_int_eq(r.n, 3);
	ck_assert_str_eq(r.text[0], "{\"a\":1}");
	ck_assert_uint_eq(r.lineno[0], 1);
	ck_assert_str_eq(r.text[1], "{\"a\":2}");
	ck_assert_uint_eq(r.lineno[1], 4);
	ck_assert_str_eq(r.text[2], "{\"a\":3}");
	ck_assert_uint_eq(r.lineno[2], 6);
	ck_assert_uint_eq(r.c.lines, 6);
	ck_assert_uint_eq(r.c.events, 3);
	ck_assert_uint_eq(r.c.bytes, sizeof(in) - 1);
	ck_assert_uint_eq(bad_total(&r), 0);
	ck_assert_str_eq(r.report, ""); /* blank lines are silent */
	run_free(&r);
}
END_TEST

START_TEST(empty_inputs)
{
	struct run r;
	read_both("", 0, true, &r);
	ck_assert_int_eq(r.n, 0);
	ck_assert_uint_eq(r.c.lines, 0);
	run_free(&r);
	read_both("\n\n\n", 3, true, &r);
	ck_assert_int_eq(r.n, 0);
	ck_assert_uint_eq(r.c.lines, 3);
	run_free(&r);
	/* a lone "\r" with no newline is a blank last line */
	read_both("x\n\r", 3, false, &r);
	ck_assert_int_eq(r.n, 1);
	run_free(&r);
}
END_TEST

/* A JSON line of exactly `len` bytes: {"a":"xxx...x"} */
static char *json_line(char *p, size_t len)
{
	memcpy(p, "{\"a\":\"", 6);
	memset(p + 6, 'x', len - 8);
	memcpy(p + len - 2, "\"}", 2);
	return p + len;
}

START_TEST(too_long_line_is_skipped_and_reported_once)
{
	size_t big = JSONL_MAX_LINE + 1;
	char *in = xmalloc(3 * JSONL_MAX_LINE + 100), *p = in;
	p += sprintf(p, "{\"a\":1}\n");
	p = json_line(p, big);
	*p++ = '\n';
	p += sprintf(p, "{\"a\":2}\n");
	p = json_line(p, JSONL_MAX_LINE); /* exactly at the limit: fine */
	p += sprintf(p, "\r\n{\"a\":3}\n");
	struct run r;
	read_both(in, (size_t)(p - in), true, &r);
	ck_assert_int_eq(r.n, 4);
	ck_assert_str_eq(r.text[0], "{\"a\":1}");
	ck_assert_str_eq(r.text[1], "{\"a\":2}");
	ck_assert_uint_eq(r.lineno[1], 3);
	ck_assert_uint_eq(r.len[2], JSONL_MAX_LINE);
	ck_assert_uint_eq(r.lineno[2], 4);
	ck_assert_str_eq(r.text[3], "{\"a\":3}");
	ck_assert_uint_eq(r.lineno[3], 5);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_TOO_LONG], 1);
	ck_assert_uint_eq(r.c.lines, 5);
	ck_assert_str_eq(r.report,
			 "events.jsonl:2: error: line longer than 1048576 bytes, skipped\n");
	run_free(&r);
	free(in);
}
END_TEST

START_TEST(huge_lines_stream_through)
{
	/* 5 MiB without a newline, then more bad lines, then a good one; and
	 * a too-long last line without a newline */
	size_t huge = 5 * JSONL_MAX_LINE;
	char *in = xmalloc(huge + 2 * JSONL_MAX_LINE + 100), *p = in;
	memset(p, 'z', huge);
	p += huge;
	*p++ = '\n';
	memset(p, '{', JSONL_MAX_LINE + 2);
	p += JSONL_MAX_LINE + 2;
	p += sprintf(p, "\r\n{\"a\":9}\n");
	memset(p, 'q', JSONL_MAX_LINE + 10);
	p += JSONL_MAX_LINE + 10;
	struct run r;
	read_both(in, (size_t)(p - in), true, &r);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.text[0], "{\"a\":9}");
	ck_assert_uint_eq(r.lineno[0], 3);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_TOO_LONG], 3);
	ck_assert_uint_eq(r.c.lines, 4);
	ck_assert_uint_eq(r.c.bytes, (size_t)(p - in));
	ck_assert_str_eq(r.report,
			 "events.jsonl:1: error: line longer than 1048576 bytes, skipped\n"
			 "events.jsonl:2: error: line longer than 1048576 bytes, skipped\n"
			 "events.jsonl:4: error: line longer than 1048576 bytes, skipped\n");
	run_free(&r);
	free(in);
}
END_TEST

START_TEST(one_byte_over_the_limit_before_crlf)
{
	/* MAX+1 bytes then "\r\n": the "\r" does not count, the byte does */
	char *in = xmalloc(JSONL_MAX_LINE + 100), *p = in;
	p = json_line(p, JSONL_MAX_LINE + 1);
	p += sprintf(p, "\r\n{\"a\":1}");
	struct run r;
	read_both(in, (size_t)(p - in), true, &r);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.lineno[0], 2);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_TOO_LONG], 1);
	run_free(&r);
	free(in);
}
END_TEST

/* ---- rejected lines ---- */

START_TEST(nul_bytes)
{
	static const char in[] = "{\"a\":1}\n{\"a\":\0\"x\"}\n\0\n{\"a\":2}\n";
	struct run r;
	read_both(in, sizeof(in) - 1, true, &r);
	ck_assert_int_eq(r.n, 2);
	ck_assert_uint_eq(r.lineno[1], 4);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_NUL], 2);
	ck_assert_str_eq(r.report,
			 "events.jsonl:2: error: NUL byte at byte 5, line skipped\n"
			 "events.jsonl:3: error: NUL byte at byte 0, line skipped\n");
	run_free(&r);
}
END_TEST

START_TEST(invalid_utf8_lines)
{
	static const char *const bad[] = {
		"{\"a\":\"\xC0\x80\"}",         /* overlong NUL */
		"{\"a\":\"\xC1\xBF\"}",         /* overlong */
		"{\"a\":\"\xE0\x80\xAF\"}",     /* overlong '/' */
		"{\"a\":\"\xF0\x80\x80\xAF\"}", /* overlong */
		"{\"a\":\"\xED\xA0\x80\"}",     /* surrogate U+D800 */
		"{\"a\":\"\xED\xBF\xBF\"}",     /* surrogate U+DFFF */
		"{\"a\":\"\xF4\x90\x80\x80\"}", /* U+110000 */
		"{\"a\":\"\xF5\x80\x80\x80\"}",
		"{\"a\":\"\xE2\x82\"}",         /* truncated euro sign */
		"{\"a\":\"\x80\"}",             /* lone continuation */
		"{\"a\":\"\xFF\"}",
		"{\"a\":\"x\xF0\x9F\x98\"}",     /* truncated emoji */
	};
	size_t n = sizeof(bad) / sizeof(bad[0]);
	char in[1024] = "";
	for (size_t i = 0; i < n; i++) {
		strcat(in, bad[i]);
		strcat(in, "\n");
	}
	strcat(in, "{\"a\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E\xEF\xBF\xBF\xF4\x8F\xBF\xBF\"}\n");
	struct run r;
	read_both(in, strlen(in), true, &r);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.lineno[0], n + 1);
	ck_assert_str_eq(r.text[0], "{\"a\":\"é€𝄞\xEF\xBF\xBF\xF4\x8F\xBF\xBF\"}");
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_UTF8], n);
	ck_assert(strstr(r.report, "events.jsonl:1: error: invalid UTF-8 at byte 6, line skipped\n"));
	ck_assert(strstr(r.report, "events.jsonl:12: error: invalid UTF-8 at byte 7, line skipped\n"));
	run_free(&r);
}
END_TEST

START_TEST(json_failures_are_counted_with_line_numbers)
{
	static const char in[] = "{\"a\":1}\n"
				 "{\"a\":1,\"b\":\n"        /* truncated */
				 "[1,2,3]\n"                /* not an object */
				 "\"just a string\"\n"
				 "42\n"
				 "{\"a\":2} trailing\n"
				 "{\"a\":3}\n";
	struct run r;
	read_both(in, sizeof(in) - 1, true, &r);
	ck_assert_int_eq(r.n, 2);
	ck_assert_uint_eq(r.lineno[0], 1);
	ck_assert_uint_eq(r.lineno[1], 7);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_JSON], 2);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_NOT_OBJECT], 3);
	ck_assert_uint_eq(r.c.events, 7); /* handed out, then rejected */
	ck_assert_str_eq(r.report,
		"events.jsonl:2: error: truncated JSON: unexpected end of input at byte 11\n"
		"events.jsonl:3: error: JSON document is an array, not an object\n"
		"events.jsonl:4: error: JSON document is a string, not an object\n"
		"events.jsonl:5: error: JSON document is a number, not an object\n"
		"events.jsonl:6: error: invalid JSON at byte 8: unexpected character\n");
	run_free(&r);
}
END_TEST

START_TEST(random_garbage)
{
	/* Binary noise lands in some rejection; good lines still come
	 * through, with their line numbers, and every line is accounted for. */
	size_t len = 3 * 1024 * 1024;
	char *in = xmalloc(len);
	unsigned long long x = 0x243F6A8885A308D3ULL;
	size_t nl = 0;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		in[i] = (char)(x >> 24);
		if (in[i] == '\n')
			nl++;
	}
	/* one long run with no newline at all */
	memset(in + len / 2, 'g', JSONL_MAX_LINE + 5);
	static const char good[] = "\n{\"a\":\"ok\"}\n";
	memcpy(in + len - 100, good, sizeof(good) - 1);
	struct run r;
	read_both(in, len, true, &r);
	ck_assert_int_ge(r.n, 1);
	ck_assert_str_eq(r.text[r.n - 1], "{\"a\":\"ok\"}");
	ck_assert_uint_ge(r.c.bad[JSONL_BAD_TOO_LONG], 1);
	ck_assert_uint_gt(r.c.bad[JSONL_BAD_UTF8] + r.c.bad[JSONL_BAD_NUL], 100);
	/* every line is an event, a rejection, or blank */
	ck_assert_uint_le(r.c.events + r.c.bad[JSONL_BAD_TOO_LONG] +
				  r.c.bad[JSONL_BAD_NUL] + r.c.bad[JSONL_BAD_UTF8],
			  r.c.lines);
	ck_assert_uint_eq(r.c.events, r.c.bad[JSONL_BAD_JSON] +
					      r.c.bad[JSONL_BAD_NOT_OBJECT] +
					      (unsigned long long)r.n);
	/* line numbers only grow */
	for (int i = 1; i < r.n; i++)
		ck_assert_uint_gt(r.lineno[i], r.lineno[i - 1]);
	run_free(&r);
	free(in);
}
END_TEST

START_TEST(reports_may_go_nowhere)
{
	static const char in[] = "\xff\n{\"a\":1}\n";
	FILE *f = fmemopen((void *)in, sizeof(in) - 1, "r");
	jsonl_reader *r = jsonl_reader_new(f, NULL);
	const char *line;
	size_t len, lineno;
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_uint_eq(lineno, 2);
	jsonl_count_bad(r, JSONL_BAD_JSON, 2, "whatever", NULL);
	jsonl_count_bad(r, JSONL_BAD_KINDS, 2, "ignored", NULL);
	ck_assert_uint_eq(jsonl_counters(r)->bad[JSONL_BAD_UTF8], 1);
	ck_assert_uint_eq(jsonl_counters(r)->bad[JSONL_BAD_JSON], 1);
	jsonl_reader_free(&r);
	fclose(f);
}
END_TEST

START_TEST(bad_kind_names)
{
	ck_assert_str_eq(jsonl_bad_name(JSONL_BAD_TOO_LONG), "too_long");
	ck_assert_str_eq(jsonl_bad_name(JSONL_BAD_NUL), "nul");
	ck_assert_str_eq(jsonl_bad_name(JSONL_BAD_UTF8), "utf8");
	ck_assert_str_eq(jsonl_bad_name(JSONL_BAD_JSON), "json");
	ck_assert_str_eq(jsonl_bad_name(JSONL_BAD_NOT_OBJECT), "not_object");
	ck_assert_str_eq(jsonl_bad_name(JSONL_BAD_KINDS), "unknown");
}
END_TEST

/* ---- pipes and following ---- */

static void write_str(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

START_TEST(pipe_lines_arrive_before_the_writer_closes)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	FILE *f = fdopen(p[0], "r");
	jsonl_reader *r = jsonl_reader_new(f, "-");
	const char *line;
	size_t len, lineno;
	/* were the reader waiting for a full chunk, this would block */
	write_str(p[1], "{\"a\":1}\n{\"a\"");
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_str_eq(line, "{\"a\":1}");
	write_str(p[1], ":2}\n");
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_str_eq(line, "{\"a\":2}");
	ck_assert_uint_eq(lineno, 2);
	write_str(p[1], "{\"a\":3}");
	close(p[1]);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_str_eq(line, "{\"a\":3}");
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	jsonl_reader_free(&r);
	fclose(f);
}
END_TEST

START_TEST(follow_keeps_a_partial_last_line)
{
	char *dir = make_temp_dir();
	char *path = write_file(dir, "t.jsonl", "{\"a\":1}\n{\"a\":");
	FILE *f = fopen(path, "r");
	jsonl_reader *r = jsonl_reader_new(f, "t.jsonl");
	jsonl_reader_set_follow(r, true);
	const char *line;
	size_t len, lineno;
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	/* the partial line is not consumed: a restart resumes before it */
	ck_assert_uint_eq(jsonl_counters(r)->bytes, 8);
	FILE *w = fopen(path, "a");
	fputs("2}\n{\"a\":3}", w);
	fclose(w);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_str_eq(line, "{\"a\":2}");
	ck_assert_uint_eq(lineno, 2);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	/* leaving follow mode makes the end final */
	jsonl_reader_set_follow(r, false);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_str_eq(line, "{\"a\":3}");
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	jsonl_reader_free(&r);
	fclose(f);
	rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(nonblocking_pipe_with_nothing_yet)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	FILE *f = fdopen(p[0], "r");
	jsonl_reader *r = jsonl_reader_new(f, "-");
	const char *line;
	size_t len, lineno;
	write_str(p[1], "{\"a\":");
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	write_str(p[1], "1}\n");
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 1);
	ck_assert_str_eq(line, "{\"a\":1}");
	close(p[1]);
	ck_assert_int_eq(jsonl_next(r, &line, &len, &lineno, NULL), 0);
	jsonl_reader_free(&r);
	fclose(f);
}
END_TEST

START_TEST(real_events_file)
{
	FILE *f = fopen(testdata_path("tetragon/events.jsonl"), "r");
	ck_assert_ptr_nonnull(f);
	struct run r;
	read_all(f, true, &r);
	fclose(f);
	ck_assert_int_eq(r.n, 26);
	ck_assert_uint_eq(r.lineno[25], 26);
	ck_assert_uint_eq(bad_total(&r), 0);
	ck_assert_str_eq(r.report, "");
	run_free(&r);
}
END_TEST

/* ---- UTF-8 ---- */

static size_t check(const char *s)
{
	return utf8_check(s, strlen(s));
}

START_TEST(utf8_valid_sequences)
{
	ck_assert_uint_eq(check(""), 0);
	ck_assert_uint_eq(check("plain ascii, long enough for the word loop"), 42);
	ck_assert_uint_eq(check("\xC2\x80"), 2);                 /* U+0080 */
	ck_assert_uint_eq(check("\xDF\xBF"), 2);                 /* U+07FF */
	ck_assert_uint_eq(check("\xE0\xA0\x80"), 3);             /* U+0800 */
	ck_assert_uint_eq(check("\xED\x9F\xBF"), 3);             /* U+D7FF */
	ck_assert_uint_eq(check("\xEE\x80\x80"), 3);             /* U+E000 */
	ck_assert_uint_eq(check("\xF0\x90\x80\x80"), 4);         /* U+10000 */
	ck_assert_uint_eq(check("\xF4\x8F\xBF\xBF"), 4);         /* U+10FFFF */
	ck_assert_uint_eq(utf8_check("a\0b", 3), 3);              /* NUL is ASCII */
}
END_TEST

START_TEST(utf8_invalid_sequences_and_offsets)
{
	ck_assert_uint_eq(check("\xC0\xAF"), 0);
	ck_assert_uint_eq(check("\xC1\x81"), 0);
	ck_assert_uint_eq(check("abcdefghij\xE0\x9F\xBF"), 10);    /* overlong */
	ck_assert_uint_eq(check("\xED\xA0\x80"), 0);               /* surrogate */
	ck_assert_uint_eq(check("\xF0\x8F\xBF\xBF"), 0);           /* overlong */
	ck_assert_uint_eq(check("\xF4\x90\x80\x80"), 0);           /* > U+10FFFF */
	ck_assert_uint_eq(check("\xF8\x88\x80\x80\x80"), 0);       /* 5 bytes */
	ck_assert_uint_eq(check("ok\xC3"), 2);                     /* cut short */
	ck_assert_uint_eq(check("ok\xE2\x82"), 2);
	ck_assert_uint_eq(check("ok\xE2\x82x"), 2);
	ck_assert_uint_eq(check("\xC3\xA9\x80"), 2);               /* stray */
	/* the length bounds the check: a sequence cut by it is invalid */
	ck_assert_uint_eq(utf8_check("\xC3\xA9", 1), 0);
}
END_TEST

/* The reader's one-pass check: any NUL or byte above 0x7F, wherever it
 * falls in the 16-byte steps, sends the line to the full checks. */
START_TEST(plain_ascii_is_ascii_without_nul)
{
	char buf[80];
	memset(buf, 'a', sizeof(buf));
	ck_assert(utf8_plain_ascii(buf, sizeof(buf)));
	ck_assert(utf8_plain_ascii(buf, 0));
	for (size_t at = 0; at < sizeof(buf); at++) {
		buf[at] = '\0';
		ck_assert_msg(!utf8_plain_ascii(buf, sizeof(buf)), "NUL at %zu", at);
		ck_assert(utf8_plain_ascii(buf, at));
		buf[at] = (char)0xC3;
		ck_assert_msg(!utf8_plain_ascii(buf, sizeof(buf)), "0xC3 at %zu", at);
		buf[at] = 0x7F;
		ck_assert(utf8_plain_ascii(buf, sizeof(buf)));
		buf[at] = 'a';
	}
}
END_TEST

Suite *jsonl_suite(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("lines");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, lines_crlf_blank_and_last_line);
	tcase_add_test(tc, empty_inputs);
	tcase_add_test(tc, too_long_line_is_skipped_and_reported_once);
	tcase_add_test(tc, huge_lines_stream_through);
	tcase_add_test(tc, one_byte_over_the_limit_before_crlf);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, invalid_utf8_lines);
	tcase_add_test(tc, json_failures_are_counted_with_line_numbers);
	tcase_add_test(tc, random_garbage);
	tcase_add_test(tc, reports_may_go_nowhere);
	tcase_add_test(tc, bad_kind_names);
	tcase_add_test(tc, real_events_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("streams");
	tcase_add_test(tc, pipe_lines_arrive_before_the_writer_closes);
	tcase_add_test(tc, follow_keeps_a_partial_last_line);
	tcase_add_test(tc, nonblocking_pipe_with_nothing_yet);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_test(tc, utf8_valid_sequences);
	tcase_add_test(tc, utf8_invalid_sequences_and_offsets);
	tcase_add_test(tc, plain_ascii_is_ascii_without_nul);
	suite_add_tcase(s, tc);
	return s;
}
