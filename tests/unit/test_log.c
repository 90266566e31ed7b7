/* The logger: levels, the stderr line format (plain and journald), and
 * rate limiting. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"
#include "xalloc.h"

static char captured[8192];

static void sink(void *ctx, enum log_level level, const char *msg)
{
	size_t n = strlen(captured);
	snprintf(captured + n, sizeof(captured) - n, "%s|%s\n",
		 log_level_name(level), msg);
}

START_TEST(levels_filter_messages)
{
	captured[0] = '\0';
	log_set_sink(sink, NULL);
	log_set_level(LOG_LEVEL_WARN);
	log_error("e%d", 1);
	log_warn("w%d", 2);
	log_info("i%d", 3);
	log_debug("d%d", 4);
	ck_assert_str_eq(captured, "error|e1\nwarning|w2\n");
	log_set_level(LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_DEBUG);
	log_debug("d");
	ck_assert_str_eq(captured, "error|e1\nwarning|w2\ndebug|d\n");
	log_set_sink(NULL, NULL);
	log_set_level(LOG_LEVEL_INFO);
}
END_TEST

START_TEST(level_names_parse)
{
	ck_assert_int_eq(log_level_parse("error"), LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_level_parse("WARN"), LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_parse("warning"), LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_parse("info"), LOG_LEVEL_INFO);
	ck_assert_int_eq(log_level_parse("Debug"), LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_level_parse("verbose"), -1);
	ck_assert_int_eq(log_level_parse(NULL), -1);
	ck_assert_str_eq(log_level_name(LOG_LEVEL_ERROR), "error");
}
END_TEST

/* Runs fn with stderr redirected to a file; returns what was written. */
static char *stderr_of(void (*fn)(const char *path), const char *dir)
{
	char *path = xasprintf("%s/stderr.txt", dir);
	int saved = dup(STDERR_FILENO);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fn(path);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char *text = slurp(path, NULL);
	free(path);
	return text;
}

static void log_two(const char *path)
{
	log_error("spool: cannot write '%s'", "x");
	log_info("started");
}

START_TEST(stderr_lines_name_program_and_level)
{
	char *dir = make_temp_dir();
	unsetenv("JOURNAL_STREAM");
	char *text = stderr_of(log_two, dir);
	ck_assert_str_eq(text, "bpfalert: error: spool: cannot write 'x'\n"
			       "bpfalert: info: started\n");
	free(text);
	rm_rf(dir);
	free(dir);
}
END_TEST

static void log_two_journal(const char *path)
{
	struct stat st;
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	char *js = xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
			     (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	free(js);
	log_two(path);
}

START_TEST(journal_lines_carry_priorities)
{
	char *dir = make_temp_dir();
	char *text = stderr_of(log_two_journal, dir);
	ck_assert_str_eq(text, "<3>spool: cannot write 'x'\n<6>started\n");
	free(text);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(ratelimit_lets_a_burst_through_then_counts)
{
	captured[0] = '\0';
	log_set_sink(sink, NULL);
	struct log_ratelimit rl = { .interval_ms = 50, .burst = 3 };
	for (int i = 1; i <= 7; i++)
		log_ratelimited(&rl, LOG_LEVEL_WARN, "drop %d", i);
	ck_assert_str_eq(captured, "warning|drop 1\nwarning|drop 2\nwarning|drop 3\n");
	usleep(80000);   /* a new window */
	log_ratelimited(&rl, LOG_LEVEL_WARN, "drop %d", 8);
	ck_assert_str_eq(captured, "warning|drop 1\nwarning|drop 2\nwarning|drop 3\n"
				   "warning|drop 8 (4 similar messages suppressed)\n");
	/* Filtered by level before counting. */
	log_ratelimited(&rl, LOG_LEVEL_DEBUG, "hidden");
	ck_assert_ptr_null(strstr(captured, "hidden"));
	log_set_sink(NULL, NULL);
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	tcase_add_test(tc, levels_filter_messages);
	tcase_add_test(tc, level_names_parse);
	tcase_add_test(tc, stderr_lines_name_program_and_level);
	tcase_add_test(tc, journal_lines_carry_priorities);
	tcase_add_test(tc, ratelimit_lets_a_burst_through_then_counts);
	suite_add_tcase(s, tc);
	return s;
}
