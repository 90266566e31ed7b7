/* The event loop: timers in deadline order, cancellation, fd watches, and
 * callbacks that add or remove watches and timers while the loop runs. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "testutil.h"
#include "xalloc.h"

struct record {
	int order[4096];
	size_t n;
};

struct tctx {
	struct record *rec;
	int id;
	loop *l;
	loop_timer *other;     /* a timer to cancel or a handle to keep */
};

static void note(void *ctx)
{
	struct tctx *c = ctx;
	c->rec->order[c->rec->n++] = c->id;
}

/* Runs rounds until nothing is pending within `ms` of quiet. */
static void drain(loop *l)
{
	while (loop_run_once(l, 50) > 0)
		;
}

START_TEST(timers_fire_in_deadline_order)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	int64_t now = loop_now();
	int64_t offsets[] = { 30, 10, 20, 0, 25, 5 };
	struct tctx c[6];
	for (int i = 0; i < 6; i++) {
		c[i] = (struct tctx){ .rec = &rec, .id = (int)offsets[i] };
		loop_timer_at(l, now + offsets[i], note, &c[i]);
	}
	int64_t end = now + 10000;
	while (rec.n < 6 && loop_now() < end)
		loop_run_once(l, 100);
	ck_assert_uint_eq(rec.n, 6);
	int expect[] = { 0, 5, 10, 20, 25, 30 };
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(rec.order[i], expect[i]);
	loop_free(&l);
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(equal_deadlines_fire_in_creation_order)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	struct tctx c[50];
	int64_t at = loop_now() - 1;
	for (int i = 0; i < 50; i++) {
		c[i] = (struct tctx){ .rec = &rec, .id = i };
		loop_timer_at(l, at, note, &c[i]);
	}
	ck_assert_int_eq(loop_run_once(l, 0), 50);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(rec.order[i], i);
	loop_free(&l);
}
END_TEST

START_TEST(cancelled_timer_never_fires)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	struct tctx a = { .rec = &rec, .id = 1 }, b = { .rec = &rec, .id = 2 };
	int64_t at = loop_now() - 1;
	loop_timer *ta = loop_timer_at(l, at, note, &a);
	loop_timer_at(l, at, note, &b);
	loop_timer_cancel(l, ta);
	loop_timer_cancel(l, NULL);
	drain(l);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_int_eq(rec.order[0], 2);
	loop_free(&l);
}
END_TEST

static void cancel_other(void *ctx)
{
	struct tctx *c = ctx;
	note(c);
	loop_timer_cancel(c->l, c->other);
}

START_TEST(callback_cancels_a_timer_due_in_the_same_round)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	int64_t at = loop_now() - 1;
	struct tctx victim = { .rec = &rec, .id = 2 };
	struct tctx killer = { .rec = &rec, .id = 1, .l = l };
	loop_timer *first = loop_timer_at(l, at, cancel_other, &killer);
	killer.other = loop_timer_at(l, at, note, &victim);
	(void)first;
	drain(l);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_int_eq(rec.order[0], 1);
	loop_free(&l);
}
END_TEST

static void cancel_self(void *ctx)
{
	struct tctx *c = ctx;
	note(c);
	/* The handle is the running timer: cancelling it is a no-op. */
	loop_timer_cancel(c->l, c->other);
}

START_TEST(callback_cancelling_itself_is_harmless)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	struct tctx c = { .rec = &rec, .id = 7, .l = l };
	c.other = loop_timer_at(l, loop_now() - 1, cancel_self, &c);
	drain(l);
	ck_assert_uint_eq(rec.n, 1);
	loop_free(&l);
}
END_TEST

static void rearm(void *ctx)
{
	struct tctx *c = ctx;
	note(c);
	if (c->rec->n < 5)
		loop_timer_at(c->l, loop_now(), rearm, c);
}

START_TEST(timer_set_for_now_waits_for_the_next_round)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	struct tctx c = { .rec = &rec, .id = 1, .l = l };
	loop_timer_at(l, loop_now() - 1, rearm, &c);
	/* Each round runs only what was due when it started: no starvation. */
	ck_assert_int_eq(loop_run_once(l, 0), 1);
	ck_assert_int_eq(loop_run_once(l, 0), 1);
	drain(l);
	ck_assert_uint_eq(rec.n, 5);
	loop_free(&l);
}
END_TEST

START_TEST(heap_keeps_order_under_random_adds_and_cancels)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	enum { N = 2000 };
	struct tctx *c = xcalloc(N, sizeof(*c));
	loop_timer **h = xcalloc(N, sizeof(*h));
	bool *cancelled = xcalloc(N, sizeof(*cancelled));
	int64_t base = loop_now() - 100000;
	srand(42);
	for (int i = 0; i < N; i++) {
		c[i] = (struct tctx){ .rec = &rec, .id = i };
		h[i] = loop_timer_at(l, base + rand() % 1000, note, &c[i]);
	}
	size_t ncancel = 0;
	for (int i = 0; i < N; i += 3) {
		loop_timer_cancel(l, h[i]);
		cancelled[i] = true;
		ncancel++;
	}
	drain(l);
	ck_assert_uint_eq(rec.n, N - ncancel);
	/* Non-decreasing deadline; equal deadlines by creation order. */
	int64_t prev_at = INT64_MIN;
	int prev_id = -1;
	srand(42);
	int64_t *at = xcalloc(N, sizeof(*at));
	for (int i = 0; i < N; i++)
		at[i] = base + rand() % 1000;
	for (size_t k = 0; k < rec.n; k++) {
		int id = rec.order[k];
		ck_assert(!cancelled[id]);
		ck_assert(at[id] > prev_at || (at[id] == prev_at && id > prev_id));
		prev_at = at[id];
		prev_id = id;
	}
	free(at);
	free(c);
	free(h);
	free(cancelled);
	loop_free(&l);
}
END_TEST

START_TEST(free_with_pending_timers_releases_them)
{
	loop *l = loop_new();
	struct record rec = { 0 };
	struct tctx c = { .rec = &rec, .id = 1 };
	for (int i = 0; i < 10; i++)
		loop_timer_at(l, loop_now() + 100000, note, &c);
	loop_free(&l);   /* ASan reports a leak if they are not freed */
	ck_assert_uint_eq(rec.n, 0);
}
END_TEST

/* ---- fd watches ---- */

struct fdctx {
	loop *l;
	int calls;
	uint32_t events;
	int unwatch_fd;       /* fd to unwatch from the callback, or -1 */
	struct fdctx *peer;
};

static void on_readable(void *ctx, int fd, uint32_t events)
{
	struct fdctx *c = ctx;
	char buf[64];
	c->calls++;
	c->events = events;
	ssize_t r = read(fd, buf, sizeof(buf));
	(void)r;
	if (c->unwatch_fd >= 0)
		loop_unwatch(c->l, c->unwatch_fd);
}

START_TEST(fd_watch_reports_readiness)
{
	loop *l = loop_new();
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct fdctx c = { .l = l, .unwatch_fd = -1 };
	ck_assert_int_eq(loop_watch(l, p[0], EPOLLIN, on_readable, &c), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(c.calls, 1);
	ck_assert(c.events & EPOLLIN);
	/* Unwatched: readiness is no longer reported. */
	ck_assert_int_eq(loop_unwatch(l, p[0]), 0);
	ck_assert_int_eq(write(p[1], "y", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(loop_unwatch(l, p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	loop_free(&l);
}
END_TEST

START_TEST(second_watch_on_an_fd_replaces_the_first)
{
	loop *l = loop_new();
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct fdctx a = { .l = l, .unwatch_fd = -1 }, b = { .l = l, .unwatch_fd = -1 };
	ck_assert_int_eq(loop_watch(l, p[0], EPOLLIN, on_readable, &a), 0);
	ck_assert_int_eq(loop_watch(l, p[0], EPOLLIN, on_readable, &b), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_int_eq(b.calls, 1);
	close(p[0]);
	close(p[1]);
	loop_free(&l);
}
END_TEST

START_TEST(callback_unwatching_a_ready_fd_suppresses_its_event)
{
	loop *l = loop_new();
	int p[2], q[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(q), 0);
	struct fdctx a = { .l = l, .unwatch_fd = q[0] };
	struct fdctx b = { .l = l, .unwatch_fd = p[0] };
	loop_watch(l, p[0], EPOLLIN, on_readable, &a);
	loop_watch(l, q[0], EPOLLIN, on_readable, &b);
	/* Both ready in the same batch; whichever runs first removes the
	 * other, whose already-reported event must then be skipped. */
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(write(q[1], "x", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(a.calls + b.calls, 1);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	loop_free(&l);
}
END_TEST

START_TEST(watch_survives_fd_closed_and_reused)
{
	loop *l = loop_new();
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct fdctx a = { .l = l, .unwatch_fd = -1 };
	loop_watch(l, p[0], EPOLLIN, on_readable, &a);
	int old = p[0];
	close(p[0]);          /* closed without unwatch: epoll forgets it */
	close(p[1]);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(p[0], old);
	struct fdctx b = { .l = l, .unwatch_fd = -1 };
	ck_assert_int_eq(loop_watch(l, p[0], EPOLLIN, on_readable, &b), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(a.calls, 0);
	close(p[0]);
	close(p[1]);
	loop_free(&l);
}
END_TEST

START_TEST(watch_rejects_bad_arguments)
{
	loop *l = loop_new();
	struct fdctx a = { .l = l, .unwatch_fd = -1 };
	ck_assert_int_eq(loop_watch(l, -1, EPOLLIN, on_readable, &a), -EINVAL);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(loop_watch(l, p[0], EPOLLIN, on_readable, &a), -EBADF);
	loop_free(&l);
}
END_TEST

struct stopctx {
	loop *l;
	int fired;
};

static void stop_loop(void *ctx)
{
	struct stopctx *s = ctx;
	s->fired++;
	loop_stop(s->l);
}

static void never(void *ctx)
{
	struct stopctx *s = ctx;
	s->fired += 100;
}

START_TEST(stop_ends_loop_run)
{
	loop *l = loop_new();
	struct stopctx s = { .l = l };
	loop_timer_at(l, loop_now() + 5, stop_loop, &s);
	loop_timer_at(l, loop_now() + 600000, never, &s);
	ck_assert(!loop_stopped(l));
	loop_run(l);
	ck_assert(loop_stopped(l));
	ck_assert_int_eq(s.fired, 1);
	loop_free(&l);
}
END_TEST

START_TEST(clocks_move_forward)
{
	int64_t a = loop_now();
	usleep(2000);
	ck_assert(loop_now() >= a);
	/* Wall clock is ms since the epoch: after 2020-01-01. */
	ck_assert(loop_wall_ms() > 1577836800000LL);
}
END_TEST

Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("timers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, timers_fire_in_deadline_order);
	tcase_add_test(tc, equal_deadlines_fire_in_creation_order);
	tcase_add_test(tc, cancelled_timer_never_fires);
	tcase_add_test(tc, callback_cancels_a_timer_due_in_the_same_round);
	tcase_add_test(tc, callback_cancelling_itself_is_harmless);
	tcase_add_test(tc, timer_set_for_now_waits_for_the_next_round);
	tcase_add_test(tc, heap_keeps_order_under_random_adds_and_cancels);
	tcase_add_test(tc, free_with_pending_timers_releases_them);
	tcase_add_test(tc, stop_ends_loop_run);
	tcase_add_test(tc, clocks_move_forward);
	suite_add_tcase(s, tc);

	tc = tcase_create("watches");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fd_watch_reports_readiness);
	tcase_add_test(tc, second_watch_on_an_fd_replaces_the_first);
	tcase_add_test(tc, callback_unwatching_a_ready_fd_suppresses_its_event);
	tcase_add_test(tc, watch_survives_fd_closed_and_reused);
	tcase_add_test(tc, watch_rejects_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}
