/* probe_cost — the kernel-side cost of bpfalert's programs, from the
 * kernel's own BPF statistics (kernel.bpf_stats_enabled: run_cnt and
 * run_time_ns of each program), against empty programs on the same hooks
 * measured in the same run.
 *   probe_cost [ITERATIONS] [nodir]
 * ITERATIONS (200,000) open+read+close of an UNWATCHED file, three times:
 * without programs, with bpfalert's probes loaded (the shipped watch list
 * plus a file and a directory of its own, so the directory checks run
 * even where the shipped directories do not exist), and with an
 * empty program ("r0 = 0; exit") attached where each of bpfalert's
 * programs that ran is attached.  Prints, per program: its hook, runs per
 * iteration, ns per run, the empty program's ns per run and the ratio;
 * then the kernel time per iteration of all of them (programs that ran
 * fewer than 0.05 times per iteration, for other processes, are left
 * out), and the wall-clock
 * ratio with and without the probes.  `nodir`: no directory of its own
 * (the shipped list's directories only, absent on most machines).  BPFALERT_PROBE_HOOKS chooses the
 * hook path as for the daemon.  Needs root; prints figures, asserts none. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bpf_source.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define MAXP 128
#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

struct row {
	char name[64], section[128];
	unsigned long long runs, ns;       /* bpfalert's program, during the run */
	unsigned long long eruns, ens;     /* the empty program on its hook */
	int efd, elink;                    /* the empty program and its link */
};

static struct row rows[MAXP];
static size_t nrows;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ns per open+read+close: the fastest of ROUNDS rounds, as other work on
 * the machine only ever makes a round slower. */
#define ROUNDS 5
static double loop_ns(const char *path, long n)
{
	char buf[64];
	double best = 0;

	for (int r = 0; r < ROUNDS; r++) {
		int64_t t0 = now_ns();
		double ns;

		for (long i = 0; i < n / ROUNDS + 1; i++) {
			int fd = open(path, O_RDONLY);

			if (fd < 0 || read(fd, buf, sizeof(buf)) < 0) {
				perror(path);
				exit(1);
			}
			close(fd);
		}
		ns = (double)(now_ns() - t0) / (double)(n / ROUNDS + 1);
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

static void sink(void *ctx, struct json_object *root, const char *origin)
{
	(void)ctx;
	(void)origin;
	json_object_put(root);
}

static int write_sysctl(const char *path, const char *v)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fputs(v, f);
	return fclose(f);
}

/* ---- empty programs on the same hooks ---------------------------------- */

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_empty(enum bpf_prog_type type, enum bpf_attach_type attach, int btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach,
		    .attach_btf_id = (__u32)btf_id);

	return bpf_prog_load(type, "empty", "GPL", ret0, 2, &o);
}

static int perf_open(struct perf_event_attr *a)
{
	return (int)syscall(SYS_perf_event_open, a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

/* A perf event (tracepoint or kprobe) running prog; the event's fd. */
static int perf_attach(struct perf_event_attr *a, int prog)
{
	int fd = perf_open(a);

	if (fd < 0)
		return -1;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tracepoint_id(const char *tp)
{
	char path[256];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", tp);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

static int kprobe_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "re");
	int t = -1;

	if (f) {
		if (fscanf(f, "%d", &t) != 1)
			t = -1;
		fclose(f);
	}
	return t;
}

/* Attaches an empty program where section says ("tracepoint/a/b",
 * "fentry/f", "lsm/h", "kprobe/f", "tp_btf/t", "raw_tp/t"). */
static int attach_empty(struct btf *btf, struct row *r)
{
	const char *t = strchr(r->section, '/') + 1;
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1, .wakeup_events = 1 };
	char fn[160];

	r->efd = r->elink = -1;
	if (!strncmp(r->section, "tracepoint/", 11)) {
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = (__u64)tracepoint_id(t);
		r->efd = load_empty(BPF_PROG_TYPE_TRACEPOINT, 0, 0);
		r->elink = r->efd < 0 ? -1 : perf_attach(&a, r->efd);
	} else if (!strncmp(r->section, "kprobe/", 7)) {
		a.type = (__u32)kprobe_type();
		a.config1 = (__u64)(uintptr_t)t;
		r->efd = load_empty(BPF_PROG_TYPE_KPROBE, 0, 0);
		r->elink = r->efd < 0 ? -1 : perf_attach(&a, r->efd);
	} else if (!strncmp(r->section, "raw_tp/", 7)) {
		r->efd = load_empty(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
		r->elink = r->efd < 0 ? -1 : bpf_raw_tracepoint_open(t, r->efd);
	} else {
		bool lsm = !strncmp(r->section, "lsm/", 4), tp = !strncmp(r->section, "tp_btf/", 7);

		snprintf(fn, sizeof(fn), "%s%s", lsm ? "bpf_lsm_" : tp ? "btf_trace_" : "", t);
		r->efd = load_empty(lsm ? BPF_PROG_TYPE_LSM : BPF_PROG_TYPE_TRACING,
				    lsm ? BPF_LSM_MAC : tp ? BPF_TRACE_RAW_TP : BPF_TRACE_FENTRY,
				    btf__find_by_name_kind(btf, fn, tp ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC));
		r->elink = r->efd < 0 ? -1 : bpf_raw_tracepoint_open(NULL, r->efd);
	}
	return r->elink < 0 ? -1 : 0;
}

static void prog_info(int fd, unsigned long long *runs, unsigned long long *ns)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	bpf_obj_get_info_by_fd(fd, &info, &len);
	*runs = info.run_cnt;
	*ns = info.run_time_ns;
}

/* ---- the three runs ----------------------------------------------------- */

static bpf_source *load(loop *l, const char *watched, const char *wdir, char *err,
		        size_t errlen)
{
	static const char *watch[] = { "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow",
				       "/etc/sudoers", "/etc/sudoers.d/", "/root/.ssh/", NULL, NULL };
	struct bpf_source_config cfg = {
		.exec = true, .exit = true, .fork = true, .watch = watch, .nwatch = 9,
		.ring_buffer_mb = 8, .proc_root = "/proc", .cgroup_root = "/sys/fs/cgroup",
		.pods_root = "/var/log/pods", .node_name = "bench",
	};
	struct source_sink s = { .object = sink };

	watch[7] = watched;
	watch[8] = wdir;
	cfg.nwatch = wdir ? 9 : 8;
	return bpf_source_new(l, &cfg, &s, err, errlen);
}

/* bpfalert's programs: rows for those that ran during the loop. */
static double run_probes(const char *unwatched, const char *watched, const char *wdir, long n,
			 const char **hook)
{
	static struct probe_prog_stat a[MAXP], b[MAXP];
	static char files_hook[128];
	loop *l = loop_new();
	char err[512];
	bpf_source *s = load(l, watched, wdir, err, sizeof(err));
	const char *const *names, *const *hooks;
	size_t na, nb, nh;
	double wall;

	if (!s) {
		fprintf(stderr, "probe_cost: cannot load the probes: %s\n", err);
		exit(1);
	}
	nh = bpf_source_hooks(s, &names, &hooks);
	for (size_t i = 0; i < nh; i++)
		if (!strcmp(names[i], "files"))
			snprintf(files_hook, sizeof(files_hook), "%s", hooks[i]);
	*hook = files_hook;
	na = bpf_source_prog_stats(s, a, MAXP);
	wall = loop_ns(unwatched, n);
	nb = bpf_source_prog_stats(s, b, MAXP);
	for (size_t i = 0; i < nb && i < na && i < MAXP; i++) {
		struct row *r = &rows[nrows];

		if (b[i].runs <= a[i].runs)
			continue;
		snprintf(r->name, sizeof(r->name), "%s", b[i].name);
		snprintf(r->section, sizeof(r->section), "%s", b[i].section);
		r->runs = b[i].runs - a[i].runs;
		r->ns = b[i].run_ns - a[i].run_ns;
		nrows++;
	}
	bpf_source_free(&s);
	loop_free(&l);
	return wall;
}

static double run_empty(const char *unwatched, long n)
{
	struct btf *btf = btf__load_vmlinux_btf();
	unsigned long long r0[MAXP], n0[MAXP];
	double wall;

	for (size_t i = 0; i < nrows; i++) {
		if (attach_empty(btf, &rows[i]))
			fprintf(stderr, "probe_cost: no empty program on %s: %s\n", rows[i].section,
				strerror(errno));
		prog_info(rows[i].efd, &r0[i], &n0[i]);
	}
	wall = loop_ns(unwatched, n);
	for (size_t i = 0; i < nrows; i++) {
		prog_info(rows[i].efd, &rows[i].eruns, &rows[i].ens);
		rows[i].eruns -= r0[i];
		rows[i].ens -= n0[i];
		if (rows[i].elink >= 0)
			close(rows[i].elink);
		if (rows[i].efd >= 0)
			close(rows[i].efd);
	}
	btf__free(btf);
	return wall;
}

static double per(unsigned long long a, unsigned long long b)
{
	return b ? (double)a / (double)b : 0;
}

static void print_table(long n, const char *hook, double bare, double probes, double empty)
{
	double k = 0, ek = 0;

	printf("%-22s %-40s %8s %9s %9s %6s\n", "program", "hook", "runs/op", "ns/run",
	       "empty ns", "ratio");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		double ns = per(r->ns, r->runs), ens = per(r->ens, r->eruns);

		/* Programs run by the rest of the machine meanwhile. */
		if ((double)r->runs < 0.05 * (double)n)
			continue;
		printf("%-22s %-40s %8.2f %9.0f %9.0f %6.2f\n", r->name, r->section,
		       (double)r->runs / (double)n, ns, ens, ens > 0 ? ns / ens : 0);
		k += (double)r->ns / (double)n;
		ek += (double)r->ens / (double)n;
	}
	printf("kernel time per open+read+close, files via %s: %.0f ns, empty programs %.0f ns, "
	       "ratio %.2f (goal <= 2)\n", hook, k, ek, ek > 0 ? k / ek : 0);
	printf("wall clock per open+read+close: %.0f ns bare, %.0f ns with the probes, %.0f ns "
	       "with empty programs; ratio with/without the probes %.2f (goal <= 1.10)\n",
	       bare, probes, empty, probes / bare);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	char dir[] = "/tmp/probe-cost-XXXXXX", *unwatched, *watched, *wdir, old[8] = "0";
	double bare, probes, empty;
	const char *hook = "?";
	FILE *f;

	log_set_level(LOG_LEVEL_WARN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	unwatched = xasprintf("%s/unwatched", dir);
	watched = xasprintf("%s/watched", dir);
	wdir = xasprintf("%s/wdir/", dir);
	if (mkdir(wdir, 0700)) {
		perror(wdir);
		return 1;
	}
	f = fopen(STATS_SYSCTL, "re");
	if (!f || !fgets(old, sizeof(old), f) || write_sysctl(STATS_SYSCTL, "1")) {
		fprintf(stderr, "probe_cost: cannot turn on %s (root needed)\n", STATS_SYSCTL);
		return 1;
	}
	fclose(f);
	for (int i = 0; i < 2; i++) {
		FILE *w = fopen(i ? watched : unwatched, "we");

		if (!w)
			return 1;
		fputs("bench\n", w);
		fclose(w);
	}
	loop_ns(unwatched, n / 10);         /* warm the caches */
	bare = loop_ns(unwatched, n);
	probes = run_probes(unwatched, watched,
			    argc > 2 && !strcmp(argv[2], "nodir") ? NULL : wdir, n, &hook);
	empty = run_empty(unwatched, n);
	write_sysctl(STATS_SYSCTL, old);
	print_table(n, hook, bare, probes, empty);
	unlink(unwatched);
	unlink(watched);
	rmdir(wdir);
	rmdir(dir);
	free(unwatched);
	free(watched);
	free(wdir);
	return 0;
}
