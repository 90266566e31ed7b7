/* evbuf — ring buffer or perf buffer; see evbuf.h. */
#include "evbuf.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct evbuf {
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	evbuf_record_fn on_record;
	evbuf_lost_fn on_lost;
	void *ctx;
	size_t budget, handed;
	void *copy;                /* perf samples, realigned */
	size_t copy_cap;
};

/* Returning a negative value makes libbpf stop after this record (which
 * counts as consumed): that is how the budget is enforced. */
static int ring_sample(void *ctx, void *data, size_t size)
{
	evbuf *b = ctx;

	b->on_record(b->ctx, data, size);
	if (++b->handed >= b->budget)
		return -EAGAIN;
	return 0;
}

/* A perf sample's data follows a 4-byte size, so it is only 4-byte
 * aligned; records hold 64-bit fields, so they are copied first. */
static void perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	evbuf *b = ctx;

	(void)cpu;
	b->handed++;
	if ((uintptr_t)data % 8) {
		b->copy = xgrow(b->copy, &b->copy_cap, size ? size : 1, 1);
		memcpy(b->copy, data, size);
		data = b->copy;
	}
	b->on_record(b->ctx, data, size);
}

static void perf_lost(void *ctx, int cpu, __u64 count)
{
	evbuf *b = ctx;

	(void)cpu;
	if (b->on_lost)
		b->on_lost(b->ctx, count);
}

evbuf *evbuf_new(int map_fd, bool ringbuf, size_t perf_pages,
		 evbuf_record_fn on_record, evbuf_lost_fn on_lost, void *ctx)
{
	evbuf *b = xcalloc(1, sizeof(*b));

	b->on_record = on_record;
	b->on_lost = on_lost;
	b->ctx = ctx;
	if (ringbuf)
		b->rb = ring_buffer__new(map_fd, ring_sample, b, NULL);
	else
		b->pb = perf_buffer__new(map_fd, perf_pages, perf_sample, perf_lost, b, NULL);
	if (!b->rb && !b->pb) {
		int e = errno ? errno : EINVAL;

		free(b);
		errno = e;
		return NULL;
	}
	return b;
}

void evbuf_free(evbuf **pb)
{
	evbuf *b = *pb;

	if (!b)
		return;
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	free(b->copy);
	free(b);
	*pb = NULL;
}

int evbuf_fd(const evbuf *b)
{
	return b->rb ? ring_buffer__epoll_fd(b->rb) : perf_buffer__epoll_fd(b->pb);
}

int evbuf_drain(evbuf *b, size_t budget)
{
	int err;

	b->budget = budget ? budget : 1;
	b->handed = 0;
	if (b->rb)
		err = ring_buffer__consume(b->rb);
	else
		err = perf_buffer__consume(b->pb);
	if (err < 0 && err != -EAGAIN)
		return err;
	return (int)b->handed;
}
