/* evbuf — the channel records come through from the kernel: a BPF ring
 * buffer, or a per-CPU perf buffer on kernels without one (< 5.8), behind
 * one small type.
 *
 *   evbuf *b = evbuf_new(map_fd, ringbuf, pages, on_record, on_lost, ctx);
 *   loop_watch(l, evbuf_fd(b), EPOLLIN, ...);   then evbuf_drain(b, 4096)
 *
 * Records are handed to on_record in the order the channel gives them: the
 * ring buffer keeps the kernel's order across CPUs, the perf buffer only
 * per CPU.  on_lost reports records the perf buffer overwrote (the ring
 * buffer counts its losses in the kernel instead). */
#ifndef BPFALERT_EVBUF_H
#define BPFALERT_EVBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct evbuf evbuf;

typedef void (*evbuf_record_fn)(void *ctx, const void *data, size_t size);
typedef void (*evbuf_lost_fn)(void *ctx, unsigned long long count);

/* map_fd: a BPF_MAP_TYPE_RINGBUF (ringbuf true) or
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY; perf_pages: pages per CPU, a power of
 * two.  NULL with errno set on failure. */
evbuf *evbuf_new(int map_fd, bool ringbuf, size_t perf_pages,
		 evbuf_record_fn on_record, evbuf_lost_fn on_lost, void *ctx);
void evbuf_free(evbuf **b);

/* A descriptor that is readable while records wait (an epoll set). */
int evbuf_fd(const evbuf *b);

/* Hands out waiting records, at most `budget` of them with the ring buffer
 * (the perf buffer is drained whole); returns how many, or -errno.  Stops
 * early so that a flood cannot starve the rest of the event loop; the
 * descriptor stays readable while records remain. */
int evbuf_drain(evbuf *b, size_t budget);

#endif
