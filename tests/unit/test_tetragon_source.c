/* The Tetragon file source on real files, real inotify and the real loop:
 * appends, partial lines, rotation by rename, copy-truncate, files and
 * directories that appear late, restarts from the saved position, streams
 * (stdin, FIFOs) and rejected lines.  Deadlines are only there to stop a
 * broken build from hanging; nothing asserts how fast anything is. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "tetragon_source.h"
#include "testutil.h"
#include "xalloc.h"

#define DEADLINE_MS 15000
#define QUIET_MS 400

struct got {
	char *text[256];
	size_t lineno[256];
	size_t n;
	unsigned bad[JSONL_BAD_KINDS];
	char *where;
};

static void on_line(void *ctx, const char *text, size_t len, const char *where,
		    size_t lineno, const char *origin)
{
	struct got *g = ctx;
	ck_assert_str_eq(origin, "tetragon");
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_uint_lt(g->n, 256);
	g->text[g->n] = xstrndup(text, len);
	g->lineno[g->n++] = lineno;
	free(g->where);
	g->where = xstrdup(where);
}

static void on_bad(void *ctx, int kind, const char *origin)
{
	struct got *g = ctx;
	ck_assert_int_ge(kind, 0);
	ck_assert_int_lt(kind, JSONL_BAD_KINDS);
	g->bad[kind]++;
}

static void got_clear(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->text[i]);
	free(g->where);
	memset(g, 0, sizeof(*g));
}

struct logs {
	char *text[64];
	size_t n;
};

static void capture_log(void *ctx, enum log_level level, const char *msg)
{
	struct logs *lg = ctx;
	if (lg->n < 64)
		lg->text[lg->n++] = xstrdup(msg);
}

static size_t logs_matching(const struct logs *lg, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < lg->n; i++)
		if (strstr(lg->text[i], needle))
			n++;
	return n;
}

static void logs_clear(struct logs *lg)
{
	for (size_t i = 0; i < lg->n; i++)
		free(lg->text[i]);
	lg->n = 0;
}

struct fixture {
	char *dir, *path, *state;
	loop *l;
	struct got got;
	struct source_sink sink;
	struct tetragon_source_config cfg;
	struct logs lg;
};

static void fixture_init(struct fixture *fx, const char *name)
{
	memset(fx, 0, sizeof(*fx));
	fx->dir = make_temp_dir();
	ck_assert_ptr_nonnull(fx->dir);
	fx->path = xasprintf("%s/%s", fx->dir, name);
	fx->state = xasprintf("%s/state", fx->dir);
	ck_assert_int_eq(mkdir(fx->state, 0700), 0);
	fx->l = loop_new();
	log_set_sink(capture_log, &fx->lg);
	fx->sink = (struct source_sink){ .line = on_line, .bad = on_bad, .ctx = &fx->got };
	fx->cfg = (struct tetragon_source_config){
		.path = fx->path, .follow = true, .state_dir = fx->state, .poll_ms = 50,
	};
}

static void fixture_fini(struct fixture *fx)
{
	got_clear(&fx->got);
	log_set_sink(NULL, NULL);
	logs_clear(&fx->lg);
	loop_free(&fx->l);
	rm_rf(fx->dir);
	free(fx->dir);
	free(fx->path);
	free(fx->state);
}

static tetragon_source *start(struct fixture *fx)
{
	char err[256] = "";
	tetragon_source *s = tetragon_source_new(fx->l, &fx->cfg, &fx->sink, err,
						 sizeof(err));
	ck_assert_msg(s != NULL, "tetragon_source_new: %s", err);
	return s;
}

static void write_at(const char *path, int flags, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void append(const char *path, const char *text)
{
	write_at(path, O_APPEND, text);
}

/* Runs the loop until `n` lines have arrived (or the deadline passes). */
static void wait_lines(struct fixture *fx, size_t n)
{
	int64_t end = loop_now() + DEADLINE_MS;
	while (fx->got.n < n && loop_now() < end)
		loop_run_once(fx->l, 50);
	ck_assert_uint_eq(fx->got.n, n);
}

/* Runs the loop for a while, long enough for several polls, so that
 * anything the source would hand out has been handed out. */
static void settle(struct fixture *fx)
{
	int64_t end = loop_now() + QUIET_MS;
	while (loop_now() < end)
		loop_run_once(fx->l, 20);
}

static void expect_line(const struct fixture *fx, size_t i, const char *text,
			size_t lineno)
{
	ck_assert_uint_gt(fx->got.n, i);
	ck_assert_str_eq(fx->got.text[i], text);
	ck_assert_uint_eq(fx->got.lineno[i], lineno);
}

START_TEST(appended_lines_arrive_history_is_skipped)
{
	struct fixture fx;
	fixture_init(&fx, "tetragon.log");
	write_at(fx.path, O_TRUNC, "{\"old\":1}\n{\"old\":2}\n");
	tetragon_source *s = start(&fx);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 0);
	append(fx.path, "{\"new\":3}\n{\"new\":4}\n");
	wait_lines(&fx, 2);
	append(fx.path, "{\"new\":5}\n");
	wait_lines(&fx, 3);
	expect_line(&fx, 0, "{\"new\":3}", 3);
	expect_line(&fx, 1, "{\"new\":4}", 4);
	expect_line(&fx, 2, "{\"new\":5}", 5);
	ck_assert_str_eq(fx.got.where, fx.path);
	const struct jsonl_counters *c = tetragon_source_counters(s);
	ck_assert_uint_eq(c->events, 3);
	ck_assert(!tetragon_source_done(s));
	tetragon_source_free(&s);
	ck_assert_ptr_null(s);
	fixture_fini(&fx);
}
END_TEST

START_TEST(from_start_reads_existing_file)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	fx.cfg.from_start = true;
	fx.cfg.state_dir = NULL;
	write_at(fx.path, O_TRUNC, "{\"a\":1}\n\n{\"a\":2}\n");
	tetragon_source *s = start(&fx);
	wait_lines(&fx, 2);
	expect_line(&fx, 0, "{\"a\":1}", 1);
	expect_line(&fx, 1, "{\"a\":2}", 3);   /* the blank line keeps its number */
	tetragon_source_free(&s);
	fixture_fini(&fx);
}
END_TEST

struct seq {
	size_t n;
	bool in_order;
};

static void on_seq_line(void *ctx, const char *text, size_t len, const char *where,
			size_t lineno, const char *origin)
{
	struct seq *q = ctx;
	char want[32];
	snprintf(want, sizeof(want), "{\"i\":%zu}", q->n);
	if (strcmp(text, want) || lineno != q->n + 1)
		q->in_order = false;
	q->n++;
}

START_TEST(large_backlog_is_handed_out_in_batches)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	fx.cfg.from_start = true;
	enum { N = 20000 };
	FILE *f = fopen(fx.path, "w");
	for (int i = 0; i < N; i++)
		fprintf(f, "{\"i\":%d}\n", i);
	fclose(f);
	struct seq q = { .in_order = true };
	fx.sink = (struct source_sink){ .line = on_seq_line, .ctx = &q };
	tetragon_source *s = start(&fx);
	/* One turn of the loop does not take the whole backlog... */
	loop_run_once(fx.l, 0);
	ck_assert_uint_lt(q.n, N);
	/* ...but the rest follows, in order, without waiting for a poll. */
	int turns = 0;
	while (q.n < N && turns++ < 1000)
		loop_run_once(fx.l, 0);
	ck_assert_uint_eq(q.n, N);
	ck_assert(q.in_order);
	tetragon_source_free(&s);
	fixture_fini(&fx);
}
END_TEST

START_TEST(partial_line_waits_for_its_newline)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	append(fx.path, "{\"a\":1}\n{\"b\":");
	wait_lines(&fx, 1);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 1);
	append(fx.path, "2}");
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 1);
	append(fx.path, "\n");
	wait_lines(&fx, 2);
	expect_line(&fx, 1, "{\"b\":2}", 2);
	tetragon_source_free(&s);
	fixture_fini(&fx);
}
END_TEST

START_TEST(rename_rotation_reads_old_file_to_its_end_first)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	append(fx.path, "{\"n\":1}\n{\"n\":2}\n");
	wait_lines(&fx, 2);
	char *rotated = xasprintf("%s.1", fx.path);
	ck_assert_int_eq(rename(fx.path, rotated), 0);
	settle(&fx);
	/* The writer still has the old file open. */
	append(rotated, "{\"n\":3}\n");
	wait_lines(&fx, 3);
	append(rotated, "{\"n\":4}");        /* its last line, unterminated */
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 3);
	write_at(fx.path, O_TRUNC, "{\"n\":5}\n");
	wait_lines(&fx, 5);
	expect_line(&fx, 2, "{\"n\":3}", 3);
	expect_line(&fx, 3, "{\"n\":4}", 4);
	expect_line(&fx, 4, "{\"n\":5}", 1);
	append(fx.path, "{\"n\":6}\n");
	append(rotated, "\n{\"late\":1}\n");  /* never read: the old file is done */
	wait_lines(&fx, 6);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 6);
	expect_line(&fx, 5, "{\"n\":6}", 2);
	tetragon_source_free(&s);
	free(rotated);
	fixture_fini(&fx);
}
END_TEST

START_TEST(rotation_seen_all_at_once_keeps_order)
{
	/* Everything happens between two turns of the loop. */
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	char *rotated = xasprintf("%s.1", fx.path);
	append(fx.path, "{\"n\":1}\n");
	ck_assert_int_eq(rename(fx.path, rotated), 0);
	append(rotated, "{\"n\":2}\n");
	write_at(fx.path, O_TRUNC, "{\"n\":3}\n");
	wait_lines(&fx, 3);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 3);
	for (size_t i = 0; i < 3; i++) {
		char want[16];
		snprintf(want, sizeof(want), "{\"n\":%zu}", i + 1);
		ck_assert_str_eq(fx.got.text[i], want);
	}
	tetragon_source_free(&s);
	free(rotated);
	fixture_fini(&fx);
}
END_TEST

START_TEST(copy_truncate_starts_again_from_zero)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	append(fx.path, "{\"before\":1}\n{\"before\":2}\n{\"before\":3}\n");
	wait_lines(&fx, 3);
	ck_assert_int_eq(truncate(fx.path, 0), 0);
	append(fx.path, "{\"after\":1}\n");
	wait_lines(&fx, 4);
	expect_line(&fx, 3, "{\"after\":1}", 1);
	append(fx.path, "{\"after\":2}\n");
	wait_lines(&fx, 5);
	expect_line(&fx, 4, "{\"after\":2}", 2);
	tetragon_source_free(&s);
	fixture_fini(&fx);
}
END_TEST

START_TEST(file_created_after_start_is_read_from_its_start)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	tetragon_source *s = start(&fx);
	settle(&fx);
	settle(&fx);
	/* Said once, not on every poll. */
	ck_assert_uint_eq(logs_matching(&fx.lg, "waiting for"), 1);
	write_at(fx.path, O_TRUNC, "{\"a\":1}\n{\"a\":2}\n");
	wait_lines(&fx, 2);
	expect_line(&fx, 0, "{\"a\":1}", 1);
	expect_line(&fx, 1, "{\"a\":2}", 2);
	tetragon_source_free(&s);
	fixture_fini(&fx);
}
END_TEST

START_TEST(directory_created_after_start)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	char *sub = xasprintf("%s/sub/dir", fx.dir);
	char *path = xasprintf("%s/tetragon.log", sub);
	fx.cfg.path = path;
	tetragon_source *s = start(&fx);
	settle(&fx);
	char *mid = xasprintf("%s/sub", fx.dir);
	ck_assert_int_eq(mkdir(mid, 0755), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	settle(&fx);
	write_at(path, O_TRUNC, "{\"a\":1}\n");
	wait_lines(&fx, 1);
	append(path, "{\"a\":2}\n");
	wait_lines(&fx, 2);
	expect_line(&fx, 1, "{\"a\":2}", 2);
	tetragon_source_free(&s);
	free(mid);
	free(sub);
	free(path);
	fixture_fini(&fx);
}
END_TEST

static char *read_text(const char *path)
{
	char *t = slurp(path, NULL);
	ck_assert_ptr_nonnull(t);
	return t;
}

START_TEST(restart_resumes_at_saved_position)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "{\"old\":1}\n{\"old\":2}\n");
	tetragon_source *s = start(&fx);
	append(fx.path, "{\"n\":3}\n{\"n\":4}\n{\"n\":5");
	wait_lines(&fx, 2);
	tetragon_source_free(&s);

	/* The saved position: after the last whole line, with its number. */
	struct stat st;
	ck_assert_int_eq(stat(fx.path, &st), 0);
	char *pos_path = xasprintf("%s/tetragon.position", fx.state);
	char *pos = read_text(pos_path);
	char *want = xasprintf("%llu %llu %zu 4 %s\n", (unsigned long long)st.st_dev,
			       (unsigned long long)st.st_ino,
			       strlen("{\"old\":1}\n{\"old\":2}\n{\"n\":3}\n{\"n\":4}\n"),
			       fx.path);
	ck_assert_str_eq(pos, want);

	/* Written while stopped, including the end of the partial line. */
	append(fx.path, "}\n{\"n\":6}\n");
	s = start(&fx);
	wait_lines(&fx, 4);
	expect_line(&fx, 2, "{\"n\":5}", 5);
	expect_line(&fx, 3, "{\"n\":6}", 6);
	append(fx.path, "{\"n\":7}\n");
	wait_lines(&fx, 5);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 5);
	expect_line(&fx, 4, "{\"n\":7}", 7);
	tetragon_source_free(&s);

	/* Restarting with nothing new hands out nothing. */
	s = start(&fx);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 5);
	tetragon_source_free(&s);
	free(pos);
	free(want);
	free(pos_path);
	fixture_fini(&fx);
}
END_TEST

START_TEST(restart_after_rotation_or_truncation_reads_from_start)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	append(fx.path, "{\"a\":1}\n{\"a\":2}\n");
	wait_lines(&fx, 2);
	tetragon_source_free(&s);

	/* Rotated while stopped: a new inode at the path. */
	char *rotated = xasprintf("%s.1", fx.path);
	ck_assert_int_eq(rename(fx.path, rotated), 0);
	write_at(fx.path, O_TRUNC, "{\"b\":1}\n");
	s = start(&fx);
	wait_lines(&fx, 3);
	expect_line(&fx, 2, "{\"b\":1}", 1);
	ck_assert_uint_eq(logs_matching(&fx.lg, "replaced while stopped"), 1);
	append(fx.path, "{\"b\":2}\n{\"b\":3}\n");
	wait_lines(&fx, 5);
	tetragon_source_free(&s);

	/* Truncated while stopped: same inode, shorter than the position. */
	ck_assert_int_eq(truncate(fx.path, 0), 0);
	append(fx.path, "{\"c\":1}\n");
	s = start(&fx);
	wait_lines(&fx, 6);
	expect_line(&fx, 5, "{\"c\":1}", 1);
	ck_assert_uint_eq(logs_matching(&fx.lg, "truncated while stopped"), 1);
	tetragon_source_free(&s);
	free(rotated);
	fixture_fini(&fx);
}
END_TEST

START_TEST(position_for_another_path_is_ignored)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "{\"a\":1}\n");
	struct stat st;
	ck_assert_int_eq(stat(fx.path, &st), 0);
	char *text = xasprintf("%llu %llu 0 0 /elsewhere/tetragon.log\n",
			       (unsigned long long)st.st_dev,
			       (unsigned long long)st.st_ino);
	free(write_file(fx.state, "tetragon.position", text));
	tetragon_source *s = start(&fx);
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 0);  /* treated as a first start: at the end */
	append(fx.path, "{\"a\":2}\n");
	wait_lines(&fx, 1);
	expect_line(&fx, 0, "{\"a\":2}", 2);
	tetragon_source_free(&s);
	free(text);
	fixture_fini(&fx);
}
END_TEST

START_TEST(bad_lines_are_counted_and_reported_with_line_numbers)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	size_t big = JSONL_MAX_LINE + 10;
	char *text = xmalloc(big + 200);
	size_t n = 0;
	n += (size_t)sprintf(text + n, "{\"ok\":1}\n");
	memcpy(text + n, "{\"nul\":\"\0\"}\n", 12);
	n += 12;
	n += (size_t)sprintf(text + n, "{\"utf8\":\"\xff\"}\n");
	memset(text + n, 'x', big);
	n += big;
	text[n++] = '\n';
	n += (size_t)sprintf(text + n, "{\"ok\":5}\n");
	int fd = open(fx.path, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	wait_lines(&fx, 2);
	expect_line(&fx, 0, "{\"ok\":1}", 1);
	expect_line(&fx, 1, "{\"ok\":5}", 5);
	ck_assert_uint_eq(fx.got.bad[JSONL_BAD_NUL], 1);
	ck_assert_uint_eq(fx.got.bad[JSONL_BAD_UTF8], 1);
	ck_assert_uint_eq(fx.got.bad[JSONL_BAD_TOO_LONG], 1);
	const struct jsonl_counters *c = tetragon_source_counters(s);
	ck_assert_uint_eq(c->bad[JSONL_BAD_NUL], 1);
	ck_assert_uint_eq(c->lines, 5);
	char *where = xasprintf("%s:2: error: NUL byte", fx.path);
	ck_assert_uint_eq(logs_matching(&fx.lg, where), 1);
	free(where);
	where = xasprintf("%s:3: error: invalid UTF-8", fx.path);
	ck_assert_uint_eq(logs_matching(&fx.lg, where), 1);
	free(where);
	where = xasprintf("%s:4: error: line longer than", fx.path);
	ck_assert_uint_eq(logs_matching(&fx.lg, where), 1);
	free(where);
	tetragon_source_free(&s);
	free(text);
	fixture_fini(&fx);
}
END_TEST

START_TEST(reported_rejections_are_rate_limited)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	write_at(fx.path, O_TRUNC, "");
	tetragon_source *s = start(&fx);
	char *text = xmalloc(100 * 8);
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(text + n, "\"\xfe\"\n");
	n += (size_t)sprintf(text + n, "{}\n");
	append(fx.path, text);
	wait_lines(&fx, 1);
	ck_assert_uint_eq(fx.got.bad[JSONL_BAD_UTF8], 100);
	ck_assert_uint_lt(logs_matching(&fx.lg, "invalid UTF-8"), 20);
	ck_assert_uint_ge(logs_matching(&fx.lg, "invalid UTF-8"), 1);
	tetragon_source_free(&s);
	free(text);
	fixture_fini(&fx);
}
END_TEST

START_TEST(read_once_without_follow)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	fx.cfg.follow = false;
	write_at(fx.path, O_TRUNC, "{\"a\":1}\n{\"a\":2}");
	tetragon_source *s = start(&fx);
	int64_t end = loop_now() + DEADLINE_MS;
	while (!tetragon_source_done(s) && loop_now() < end)
		loop_run_once(fx.l, 50);
	ck_assert(tetragon_source_done(s));
	ck_assert_uint_eq(fx.got.n, 2);
	expect_line(&fx, 1, "{\"a\":2}", 2);   /* the unterminated end counts */
	tetragon_source_free(&s);
	/* No position is kept for a file read once. */
	char *pos = xasprintf("%s/tetragon.position", fx.state);
	ck_assert_int_ne(access(pos, F_OK), 0);
	free(pos);
	fixture_fini(&fx);
}
END_TEST

static void wait_done(struct fixture *fx, tetragon_source *s)
{
	int64_t end = loop_now() + DEADLINE_MS;
	while (!tetragon_source_done(s) && loop_now() < end)
		loop_run_once(fx->l, 50);
	ck_assert(tetragon_source_done(s));
}

START_TEST(stdin_pipe_is_read_to_its_end)
{
	struct fixture fx;
	fixture_init(&fx, "unused");
	fx.cfg.path = "-";
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	int saved = dup(0);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	close(p[0]);
	tetragon_source *s = start(&fx);
	ck_assert_int_eq(write(p[1], "{\"a\":1}\n{\"a\":", 13), 13);
	wait_lines(&fx, 1);
	/* The loop is not blocked on the half line: other work runs. */
	ck_assert(!tetragon_source_done(s));
	settle(&fx);
	ck_assert_uint_eq(fx.got.n, 1);
	ck_assert_int_eq(write(p[1], "2}\n{\"a\":3}", 10), 10);
	close(p[1]);
	wait_done(&fx, s);
	ck_assert_uint_eq(fx.got.n, 3);
	expect_line(&fx, 1, "{\"a\":2}", 2);
	expect_line(&fx, 2, "{\"a\":3}", 3);
	ck_assert_str_eq(fx.got.where, "<stdin>");
	/* stdin's own description was left blocking. */
	ck_assert_int_eq(fcntl(0, F_GETFL) & O_NONBLOCK, 0);
	tetragon_source_free(&s);
	dup2(saved, 0);
	close(saved);
	fixture_fini(&fx);
}
END_TEST

START_TEST(stdin_regular_file_is_read_to_its_end)
{
	struct fixture fx;
	fixture_init(&fx, "in.jsonl");
	write_at(fx.path, O_TRUNC, "{\"a\":1}\n{\"a\":2}\n");
	int fd = open(fx.path, O_RDONLY);
	int saved = dup(0);
	ck_assert_int_eq(dup2(fd, 0), 0);
	close(fd);
	fx.cfg.path = "-";
	tetragon_source *s = start(&fx);
	wait_done(&fx, s);
	ck_assert_uint_eq(fx.got.n, 2);
	tetragon_source_free(&s);
	dup2(saved, 0);
	close(saved);
	fixture_fini(&fx);
}
END_TEST

START_TEST(fifo_is_read_as_a_stream)
{
	struct fixture fx;
	fixture_init(&fx, "events.fifo");
	ck_assert_int_eq(mkfifo(fx.path, 0600), 0);
	tetragon_source *s = start(&fx);
	settle(&fx);
	ck_assert(!tetragon_source_done(s));   /* no writer yet is not the end */
	int w = open(fx.path, O_WRONLY);
	ck_assert_int_ge(w, 0);
	ck_assert_int_eq(write(w, "{\"a\":1}\n", 8), 8);
	wait_lines(&fx, 1);
	close(w);
	wait_done(&fx, s);
	ck_assert_uint_eq(fx.got.n, 1);
	tetragon_source_free(&s);
	fixture_fini(&fx);
}
END_TEST

START_TEST(unusable_configurations_are_errors)
{
	struct fixture fx;
	fixture_init(&fx, "t.log");
	char err[256];
	fx.cfg.path = fx.dir;
	ck_assert_ptr_null(tetragon_source_new(fx.l, &fx.cfg, &fx.sink, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	fx.cfg.path = "";
	ck_assert_ptr_null(tetragon_source_new(fx.l, &fx.cfg, &fx.sink, err, sizeof(err)));
	fx.cfg.path = fx.path;
	fx.cfg.follow = false;
	ck_assert_ptr_null(tetragon_source_new(fx.l, &fx.cfg, &fx.sink, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	fixture_fini(&fx);
}
END_TEST

Suite *tetragon_source_suite(void)
{
	Suite *s = suite_create("tetragon_source");
	TCase *tc = tcase_create("follow");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, appended_lines_arrive_history_is_skipped);
	tcase_add_test(tc, from_start_reads_existing_file);
	tcase_add_test(tc, large_backlog_is_handed_out_in_batches);
	tcase_add_test(tc, partial_line_waits_for_its_newline);
	tcase_add_test(tc, rename_rotation_reads_old_file_to_its_end_first);
	tcase_add_test(tc, rotation_seen_all_at_once_keeps_order);
	tcase_add_test(tc, copy_truncate_starts_again_from_zero);
	tcase_add_test(tc, file_created_after_start_is_read_from_its_start);
	tcase_add_test(tc, directory_created_after_start);
	tcase_add_test(tc, restart_resumes_at_saved_position);
	tcase_add_test(tc, restart_after_rotation_or_truncation_reads_from_start);
	tcase_add_test(tc, position_for_another_path_is_ignored);
	tcase_add_test(tc, bad_lines_are_counted_and_reported_with_line_numbers);
	tcase_add_test(tc, reported_rejections_are_rate_limited);
	suite_add_tcase(s, tc);
	tc = tcase_create("streams");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, read_once_without_follow);
	tcase_add_test(tc, stdin_pipe_is_read_to_its_end);
	tcase_add_test(tc, stdin_regular_file_is_read_to_its_end);
	tcase_add_test(tc, fifo_is_read_as_a_stream);
	tcase_add_test(tc, unusable_configurations_are_errors);
	suite_add_tcase(s, tc);
	return s;
}
