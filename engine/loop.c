/* loop — epoll for file descriptors, a binary heap for timers; see loop.h.
 *
 * Watches live in a table indexed by fd.  Each registration gets a fresh
 * generation number, carried in the epoll event, so an event that epoll
 * reported for a watch removed (or replaced by a new registration of the
 * same fd number) earlier in the same batch is recognised and skipped.
 *
 * Timers are ordered by (deadline, creation sequence): equal deadlines fire
 * in the order they were set.  A round runs only the timers that were due
 * when it started, so a callback that sets a timer for "now" cannot starve
 * the file descriptors. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define MAX_EVENTS 64
#define NOT_IN_HEAP SIZE_MAX

struct watch {
	loop_fd_fn fn;
	void *ctx;
	uint32_t events;
	uint32_t gen;      /* 0: no watch */
};

struct loop_timer {
	int64_t at;
	uint64_t seq;
	loop_timer_fn fn;
	void *ctx;
	size_t idx;        /* position in the heap, or NOT_IN_HEAP while firing */
};

struct loop {
	int epfd;
	struct watch *watches;
	size_t nwatches;
	uint32_t next_gen;
	loop_timer **heap;
	size_t nheap, capheap;
	uint64_t next_seq;
	loop_timer *firing;    /* the timer whose callback is running */
	bool stopped;
};

int64_t loop_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

loop *loop_new(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return NULL;
	loop *l = xcalloc(1, sizeof(*l));
	l->epfd = epfd;
	l->next_gen = 1;
	return l;
}

void loop_free(loop **lp)
{
	loop *l = *lp;
	if (!l)
		return;
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->watches);
	close(l->epfd);
	free(l);
	*lp = NULL;
}

/* ---- fd watches ---- */

static uint64_t pack(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

int loop_watch(loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	if ((size_t)fd >= l->nwatches) {
		size_t n = l->nwatches ? l->nwatches : 64;
		while (n <= (size_t)fd)
			n *= 2;
		l->watches = xrealloc(l->watches, n * sizeof(*l->watches));
		memset(l->watches + l->nwatches, 0,
		       (n - l->nwatches) * sizeof(*l->watches));
		l->nwatches = n;
	}
	struct watch *w = &l->watches[fd];
	uint32_t gen = l->next_gen++;
	if (l->next_gen == 0)
		l->next_gen = 1;
	struct epoll_event ev = { .events = events, .data.u64 = pack(fd, gen) };
	/* The table may think the fd is watched when it was closed without an
	 * unwatch (epoll forgot it), or not when it is; try both ways. */
	int op = w->gen ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, fd, &ev) < 0) {
		int e = errno;
		if (op == EPOLL_CTL_MOD && e == ENOENT)
			op = EPOLL_CTL_ADD;
		else if (op == EPOLL_CTL_ADD && e == EEXIST)
			op = EPOLL_CTL_MOD;
		else
			return -e;
		if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
			return -errno;
	}
	*w = (struct watch){ .fn = fn, .ctx = ctx, .events = events, .gen = gen };
	return 0;
}

int loop_unwatch(loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nwatches || !l->watches[fd].gen)
		return -ENOENT;
	l->watches[fd].gen = 0;
	/* The fd may already be closed, which removed it from epoll. */
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 &&
	    errno != EBADF && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- timer heap ---- */

static bool timer_before(const loop_timer *a, const loop_timer *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_set(loop *l, size_t i, loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void heap_up(loop *l, size_t i)
{
	loop_timer *t = l->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!timer_before(t, l->heap[p]))
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void heap_down(loop *l, size_t i)
{
	loop_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(loop *l, loop_timer *t)
{
	size_t i = t->idx;
	loop_timer *last = l->heap[--l->nheap];
	t->idx = NOT_IN_HEAP;
	if (last == t)
		return;
	heap_set(l, i, last);
	if (i > 0 && timer_before(last, l->heap[(i - 1) / 2]))
		heap_up(l, i);
	else
		heap_down(l, i);
}

loop_timer *loop_timer_at(loop *l, int64_t at_ms, loop_timer_fn fn, void *ctx)
{
	loop_timer *t = xcalloc(1, sizeof(*t));
	t->at = at_ms;
	t->seq = l->next_seq++;
	t->fn = fn;
	t->ctx = ctx;
	l->heap = xgrow(l->heap, &l->capheap, l->nheap + 1, sizeof(*l->heap));
	l->nheap++;
	heap_set(l, l->nheap - 1, t);
	heap_up(l, l->nheap - 1);
	return t;
}

void loop_timer_cancel(loop *l, loop_timer *t)
{
	/* Cancelling the running timer from its own callback is harmless: it
	 * has left the heap and is freed when the callback returns. */
	if (!t || t == l->firing || t->idx == NOT_IN_HEAP)
		return;
	heap_remove(l, t);
	free(t);
}

/* Runs the timers due at `now` that existed before the round began. */
static int run_timers(loop *l, int64_t now, uint64_t seq_limit)
{
	int ran = 0;
	while (l->nheap > 0) {
		loop_timer *t = l->heap[0];
		if (t->at > now || t->seq >= seq_limit)
			break;
		heap_remove(l, t);
		l->firing = t;
		t->fn(t->ctx);
		l->firing = NULL;
		free(t);
		ran++;
	}
	return ran;
}

static int wait_ms(const loop *l, int timeout_ms, int64_t now)
{
	if (l->nheap == 0)
		return timeout_ms;
	int64_t until = l->heap[0]->at - now;
	if (until < 0)
		until = 0;
	if (until > INT32_MAX)
		until = INT32_MAX;
	if (timeout_ms < 0 || until < timeout_ms)
		return (int)until;
	return timeout_ms;
}

static int run_events(loop *l, const struct epoll_event *evs, int n)
{
	int ran = 0;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		if ((size_t)fd >= l->nwatches || l->watches[fd].gen != gen)
			continue;   /* removed or replaced earlier in this batch */
		struct watch w = l->watches[fd];
		w.fn(w.ctx, fd, evs[i].events);
		ran++;
	}
	return ran;
}

int loop_run_once(loop *l, int timeout_ms)
{
	uint64_t seq_limit = l->next_seq;
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(l->epfd, evs, MAX_EVENTS,
			   wait_ms(l, timeout_ms, loop_now()));
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	int ran = run_events(l, evs, n);
	return ran + run_timers(l, loop_now(), seq_limit);
}

void loop_run(loop *l)
{
	l->stopped = false;
	while (!l->stopped) {
		int r = loop_run_once(l, -1);
		if (r < 0 && r != -EINTR)
			break;
	}
}

void loop_stop(loop *l)
{
	l->stopped = true;
}

bool loop_stopped(const loop *l)
{
	return l->stopped;
}
