/* compat.bpf.h — how records leave the kernel: the BPF ring buffer, or a
 * perf buffer on kernels without one, chosen by the loader (use_ringbuf);
 * and the per-CPU counters.
 *
 * With the ring buffer a record is reserved in place, filled and
 * submitted.  With the perf buffer it is built in a per-CPU scratch area
 * and copied out; that is only safe because such old kernels (< 5.8) run
 * BPF programs with preemption disabled.  The loader turns the "events"
 * map into a BPF_MAP_TYPE_PERF_EVENT_ARRAY in that case; the verifier
 * never sees the other branch, as use_ringbuf is a read-only constant. */
#ifndef BPFALERT_COMPAT_BPF_H
#define BPFALERT_COMPAT_BPF_H

const volatile bool use_ringbuf = true;

/* Measurement only (tests/bench/cost_parts.sh): built with -DCOST_CUT=N,
 * the file programs return at cut point N, keeping what was computed. */
#ifndef COST_CUT
#define COST_CUT 0
#endif
#define CUT(n, v)                                                              \
	do {                                                                   \
		if (COST_CUT == (n)) {                                         \
			__asm__ volatile("" : : "r"(v));                       \
			return 0;                                              \
		}                                                              \
	} while (0)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);     /* resized by the loader */
} events SEC(".maps");

/* Large enough for the largest record. */
struct scratch_buf {
	char data[sizeof(struct probe_exec)];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch_buf);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	/* Atomic: on preemptible kernels two programs may share a CPU. */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void *rec_reserve(__u64 size)
{
	void *rec;

	if (use_ringbuf) {
		rec = bpf_ringbuf_reserve(&events, size, 0);
	} else {
		__u32 zero = 0;
		rec = bpf_map_lookup_elem(&scratch, &zero);
	}
	if (!rec)
		stat_inc(PROBE_STAT_LOST);
	return rec;
}

static __always_inline void rec_submit(void *ctx, void *rec, __u64 size)
{
	if (use_ringbuf) {
		bpf_ringbuf_submit(rec, 0);
		return;
	}
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, rec, size))
		stat_inc(PROBE_STAT_LOST);
}

/* True while at most half the ring buffer holds unread records: repeats
 * (see probe.bpf.c) leave the other half to first accesses.  The perf
 * buffer cannot tell. */
static __always_inline bool ring_has_room(void)
{
	if (!use_ringbuf)
		return true;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) <=
	       bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2;
}

/* A record not worth sending after all. */
static __always_inline void rec_discard(void *rec)
{
	if (use_ringbuf)
		bpf_ringbuf_discard(rec, 0);
}

#define RESERVE(type) ((type *)rec_reserve(sizeof(type)))
#define SUBMIT(ctx, rec) rec_submit(ctx, rec, sizeof(*(rec)))

#endif
