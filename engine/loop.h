/* loop — the one event loop: file descriptors (epoll) and timers.
 *
 * Everything that waits in bpfalert waits here: sources, signalfd, the
 * metrics server's wakeups and libcurl's sockets.  Timers are kept in a
 * binary heap and fire in deadline order; the loop sleeps in epoll_wait
 * until the earliest one.  Times are CLOCK_MONOTONIC milliseconds.
 * Callbacks may add or remove watches and timers, including their own. */
#ifndef BPFALERT_LOOP_H
#define BPFALERT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct loop loop;
typedef struct loop_timer loop_timer;

typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);
typedef void (*loop_timer_fn)(void *ctx);

loop *loop_new(void);
void loop_free(loop **l);

int64_t loop_now(void);     /* CLOCK_MONOTONIC, ms */
int64_t loop_wall_ms(void); /* CLOCK_REALTIME, ms since the epoch */

/* events: EPOLLIN / EPOLLOUT.  A second watch on the same fd replaces it. */
int loop_watch(loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
int loop_unwatch(loop *l, int fd);

/* A one-shot timer at `at_ms` (loop_now() clock).  The handle stays valid
 * until it fires or is cancelled. */
loop_timer *loop_timer_at(loop *l, int64_t at_ms, loop_timer_fn fn, void *ctx);
void loop_timer_cancel(loop *l, loop_timer *t);

/* Waits up to timeout_ms (-1: until something happens) and runs what is
 * ready.  Returns the number of callbacks run, or -errno. */
int loop_run_once(loop *l, int timeout_ms);
/* Runs until loop_stop. */
void loop_run(loop *l);
void loop_stop(loop *l);
bool loop_stopped(const loop *l);

#endif
