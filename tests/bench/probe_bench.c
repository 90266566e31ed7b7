/* probe_bench — what the kernel probes cost and how fast they report.
 *   probe_bench [OPENS] [LATENCY_SAMPLES]
 * 1. OPENS (1,000,000) open+close, then open+read+close, of an UNWATCHED
 *    file without and with the probes loaded: ns per call and the ratio.
 * 2. LATENCY_SAMPLES (2000) opens of a WATCHED file, each by a new process:
 *    time from just before open() to the sink receiving the event (p50,
 *    p90, p99, max); a sample whose event has not come in 2 s is left out.
 * Needs root; prints figures only. */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_source.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct lat {
	int64_t sent;
	int64_t got;
	const char *path;
};

static void on_event(void *ctx, struct json_object *root, const char *origin)
{
	struct lat *l = ctx;
	struct json_object *k, *a;

	(void)origin;
	if (json_object_object_get_ex(root, "process_kprobe", &k) &&
	    json_object_object_get_ex(k, "args", &a) && !l->got) {
		const char *p = json_object_get_string(json_object_object_get(
			json_object_object_get(json_object_array_get_idx(a, 0), "file_arg"), "path"));

		if (p && !strcmp(p, l->path))
			l->got = now_ns();
	}
	json_object_put(root);
}

static double opens(const char *path, long n, bool with_read)
{
	char buf[64];
	int64_t t0 = now_ns();

	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			perror(path);
			exit(1);
		}
		if (with_read && read(fd, buf, sizeof(buf)) < 0)
			exit(1);
		close(fd);
	}
	return (double)(now_ns() - t0) / (double)n;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long samples = argc > 2 ? atol(argv[2]) : 2000;
	char dir[] = "/tmp/probe-bench-XXXXXX";
	char *other, *watched, err[512];
	double base_o, base_r, with_o, with_r;
	struct lat lat = { 0 };
	int64_t *d, *opened;
	long got = 0;
	loop *l;
	bpf_source *s;
	FILE *f;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	other = xasprintf("%s/unwatched", dir);
	watched = xasprintf("%s/watched", dir);
	f = fopen(other, "w");
	fputs("unwatched\n", f);
	fclose(f);
	f = fopen(watched, "w");
	fputs("watched\n", f);
	fclose(f);
	lat.path = watched;

	log_set_level(LOG_LEVEL_WARN);
	opens(other, n / 10, true);        /* warm the caches */
	base_o = opens(other, n, false);
	base_r = opens(other, n, true);

	l = loop_new();
	{
		const char *watch[] = { watched, "/etc/passwd", "/etc/shadow", "/root/.ssh/" };
		struct bpf_source_config cfg = {
			.exec = true, .exit = true, .fork = true, .watch = watch, .nwatch = 4,
			.ring_buffer_mb = 8, .proc_root = "/proc", .pods_root = "/var/log/pods",
			.node_name = "bench",
		};
		struct source_sink sink = { .object = on_event, .ctx = &lat };
		int64_t t0 = now_ns();

		s = bpf_source_new(l, &cfg, &sink, err, sizeof(err));
		if (!s) {
			fprintf(stderr, "probe_bench: %s\n", err);
			return 1;
		}
		printf("probes loaded in %.2f s\n", (double)(now_ns() - t0) / 1e9);
	}
	with_o = opens(other, n, false);
	with_r = opens(other, n, true);
	printf("open+close, unwatched file:      %7.0f ns without probes, %7.0f ns with (x%.2f)\n",
	       base_o, with_o, with_o / base_o);
	printf("open+read+close, unwatched file: %7.0f ns without probes, %7.0f ns with (x%.2f)\n",
	       base_r, with_r, with_r / base_r);

	/* Each sample is a new process's first open: the kernel reports
	 * repeats of one process's access once. */
	d = xcalloc((size_t)samples, sizeof(*d));
	opened = mmap(NULL, sizeof(*opened), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	for (long i = 0; i < samples; i++) {
		pid_t pid;
		int64_t give_up;

		lat.got = 0;
		pid = fork();
		if (pid == 0) {
			*opened = now_ns();
			close(open(watched, O_RDONLY));
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		give_up = now_ns() + 2000000000LL;
		while (!lat.got && now_ns() < give_up)
			loop_run_once(l, 100);
		if (lat.got)
			d[got++] = lat.got - *opened;
	}
	qsort(d, (size_t)got, sizeof(*d), cmp);
	if (got)
		printf("open() to sink, watched file, %ld of %ld samples: p50 %.1f us, p90 %.1f us, "
		       "p99 %.1f us, max %.1f us\n", got, samples, (double)d[got / 2] / 1e3,
		       (double)d[got * 9 / 10] / 1e3, (double)d[got * 99 / 100] / 1e3,
		       (double)d[got - 1] / 1e3);
	else
		printf("open() to sink: no event arrived\n");
	munmap(opened, sizeof(*opened));
	{
		struct bpf_source_stats st;

		bpf_source_get_stats(s, &st);
		printf("kernel: %llu file accesses checked, %llu matched, %llu lost\n",
		       st.file_events_in_kernel, st.file_events_matched, st.lost);
	}
	bpf_source_free(&s);
	loop_free(&l);
	unlink(other);
	unlink(watched);
	rmdir(dir);
	free(other);
	free(watched);
	free(d);
	return 0;
}
