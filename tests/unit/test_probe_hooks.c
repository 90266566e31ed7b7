/* The file probe's hook path as an operator's choice (probes.hooks, or
 * BPFALERT_PROBE_HOOKS): only the listed paths are used, in their order,
 * and each one gives the same events.  make test-kernels runs this suite
 * with every path forced in turn on Debian's own kernels, where it checks
 * that the forced path is the one in use.
 *
 * Needs root on a kernel with BTF and BPF, as the probes suite; where the
 * probes cannot be loaded the tests fail and say why. */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_source.h"
#include "loop.h"
#include "testutil.h"
#include "xalloc.h"

#define WAIT_MS 10000

static struct {
	loop *l;
	char *dir, *watched;
	char *env;              /* BPFALERT_PROBE_HOOKS as the suite found it */
	struct json_object **ev;
	size_t n, cap;
} H;

static void collect(void *ctx, struct json_object *root, const char *origin)
{
	(void)ctx;
	(void)origin;
	H.ev = xgrow(H.ev, &H.cap, H.n + 1, sizeof(*H.ev));
	H.ev[H.n++] = root;
}

static void clear_events(void)
{
	for (size_t i = 0; i < H.n; i++)
		json_object_put(H.ev[i]);
	H.n = 0;
}

static void setup(void)
{
	const char *env = getenv("BPFALERT_PROBE_HOOKS");

	H.l = loop_new();
	H.dir = make_temp_dir();
	H.watched = write_file(H.dir, "watched", "secret\n");
	H.env = env ? xstrdup(env) : NULL;
}

static void teardown(void)
{
	clear_events();
	free(H.ev);
	loop_free(&H.l);
	rm_rf(H.dir);
	free(H.dir);
	free(H.watched);
	if (H.env)
		setenv("BPFALERT_PROBE_HOOKS", H.env, 1);
	free(H.env);
	memset(&H, 0, sizeof(H));
}

/* A source watching H.watched with these hook paths (n == 0: defaults);
 * the environment's override is left as it is. */
static bpf_source *load(const char *const *hooks, size_t n, char *err, size_t errlen)
{
	const char *watch[] = { H.watched };
	struct bpf_source_config cfg = {
		.connect = true,
		.watch = watch, .nwatch = 1, .ring_buffer_mb = 8,
		.proc_root = "/proc", .cgroup_root = "/sys/fs/cgroup",
		.pods_root = "/var/log/pods", .node_name = "hooks-test-node",
		.hooks = hooks, .nhooks = n,
	};
	struct source_sink sink = { .object = collect, .ctx = NULL };

	return bpf_source_new(H.l, &cfg, &sink, err, errlen);
}

static const char *hook_of(const bpf_source *s, const char *probe)
{
	const char *const *names, *const *hooks;
	size_t n = bpf_source_hooks(s, &names, &hooks);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], probe))
			return hooks[i];
	return NULL;
}

static bool starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* The function a read of a watched file reports on a hook path. */
static const char *read_fn(const char *files_hook)
{
	return starts(files_hook, "tracepoint/") ? "sys_openat" : "security_file_permission";
}

/* A child that opens and reads H.watched; its pid. */
static pid_t read_watched(void)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c;
		int fd = open(H.watched, O_RDONLY);

		_exit(fd < 0 || read(fd, &c, 1) != 1 ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

/* Waits for a process_kprobe of pid on H.watched; its function_name. */
static const char *await_read(pid_t pid)
{
	int64_t end = loop_now() + WAIT_MS;

	while (loop_now() < end) {
		for (size_t i = 0; i < H.n; i++) {
			struct json_object *b, *v;

			if (!json_object_object_get_ex(H.ev[i], "process_kprobe", &b) ||
			    !json_object_object_get_ex(b, "process", &v) ||
			    !json_object_object_get_ex(v, "pid", &v) || json_object_get_int(v) != pid)
				continue;
			if (!json_object_object_get_ex(b, "args", &v) ||
			    !(v = json_object_array_get_idx(v, 0)) ||
			    !json_object_object_get_ex(v, "file_arg", &v) ||
			    !json_object_object_get_ex(v, "path", &v) ||
			    strcmp(json_object_get_string(v), H.watched))
				continue;
			if (json_object_object_get_ex(b, "function_name", &v))
				return json_object_get_string(v);
		}
		loop_run_once(H.l, 50);
	}
	return NULL;
}

/* The path in use reads the watched file and names the right function. */
static void assert_sees_a_read(const bpf_source *s)
{
	const char *files = hook_of(s, "files");
	pid_t pid = read_watched();
	const char *fn = await_read(pid);

	ck_assert_msg(fn != NULL, "no event for a read of %s through %s", H.watched, files);
	ck_assert_msg(strstr(fn, read_fn(files)), "%s reported %s, not %s", files, fn,
		      read_fn(files));
}

/* With BPFALERT_PROBE_HOOKS set (as make test-kernels does), its first
 * path is the one in use: the harness forced it on a kernel that allows
 * it, so anything else is a failure, not a fallback. */
START_TEST(forced_hook_is_the_one_in_use)
{
	char err[512], want[40];
	bpf_source *s = load(NULL, 0, err, sizeof(err));

	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	if (H.env && *H.env) {
		snprintf(want, sizeof(want), "%.*s/", (int)strcspn(H.env, ","), H.env);
		ck_assert_msg(starts(hook_of(s, "files"), want), "BPFALERT_PROBE_HOOKS=%s but files use %s",
			      H.env, hook_of(s, "files"));
		if (strcmp(want, "lsm/"))
			ck_assert_msg(starts(hook_of(s, "connect"), want), "connect uses %s",
				      hook_of(s, "connect"));
	}
	assert_sees_a_read(s);
	bpf_source_free(&s);
}
END_TEST

/* The configured list is followed: tracepoints alone (which every kernel
 * with BPF has) are used even where better hooks exist. */
START_TEST(configured_order_is_followed)
{
	const char *hooks[] = { "tracepoint" };
	char err[512];
	bpf_source *s;

	unsetenv("BPFALERT_PROBE_HOOKS");
	s = load(hooks, 1, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	ck_assert_str_eq(hook_of(s, "files"), "tracepoint/syscalls");
	ck_assert_str_eq(hook_of(s, "connect"), "tracepoint/sock/inet_sock_set_state");
	assert_sees_a_read(s);
	bpf_source_free(&s);
}
END_TEST

/* A path the kernel refuses is stepped over to the next listed one, and
 * an unlisted path is never used. */
START_TEST(refused_hook_falls_back_to_the_next_listed)
{
	const char *hooks[] = { "lsm", "tracepoint" };
	char err[512];
	const char *files;
	bpf_source *s;

	unsetenv("BPFALERT_PROBE_HOOKS");
	s = load(hooks, 2, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	files = hook_of(s, "files");
	ck_assert_msg(starts(files, "lsm/") || !strcmp(files, "tracepoint/syscalls"),
		      "files use %s", files);
	assert_sees_a_read(s);
	bpf_source_free(&s);
}
END_TEST

START_TEST(unknown_hook_is_an_error)
{
	const char *hooks[] = { "fentry", "ebpf" };
	char err[512] = "";
	bpf_source *s;

	unsetenv("BPFALERT_PROBE_HOOKS");
	s = load(hooks, 2, err, sizeof(err));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "unknown hook path 'ebpf' (lsm, fentry, kprobe or tracepoint)");
	setenv("BPFALERT_PROBE_HOOKS", "tracepoint,kprobes", 1);
	s = load(NULL, 0, err, sizeof(err));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "unknown hook path 'kprobes' (lsm, fentry, kprobe or tracepoint)");
}
END_TEST

/* The kernel's own statistics of each program, as the metrics export
 * them: with kernel.bpf_stats_enabled on, reading a watched file makes
 * the file probe's programs count runs and time. */
START_TEST(program_costs_are_counted)
{
	static struct probe_prog_stat a[128], b[128];
	const char *sysctl = "/proc/sys/kernel/bpf_stats_enabled";
	char err[512], old[8] = "0";
	FILE *f = fopen(sysctl, "re");
	size_t na, nb, ran = 0;
	bpf_source *s;

	ck_assert_msg(f && fgets(old, sizeof(old), f), "cannot read %s", sysctl);
	fclose(f);
	s = load(NULL, 0, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	f = fopen(sysctl, "we");
	ck_assert_ptr_nonnull(f);
	fputs("1", f);
	ck_assert_int_eq(fclose(f), 0);
	na = bpf_source_prog_stats(s, a, 128);
	ck_assert_uint_gt(na, 0);
	for (int i = 0; i < 20; i++)
		read_watched();
	nb = bpf_source_prog_stats(s, b, 128);
	f = fopen(sysctl, "we");
	if (f) {
		fputs(old, f);
		fclose(f);
	}
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < nb && i < 128; i++) {
		ck_assert_str_eq(a[i].name, b[i].name);
		/* Each attached program names its hook; place_resolve is only
		 * run by the loader (BPF_PROG_TEST_RUN), attached nowhere. */
		ck_assert(strchr(b[i].section, '/') != NULL ||
			  (!strcmp(b[i].name, "place_resolve") && !strcmp(b[i].section, "raw_tp")));
		ck_assert_uint_ge(b[i].runs, a[i].runs);
		if (b[i].runs >= a[i].runs + 20 && b[i].run_ns > a[i].run_ns)
			ran++;
	}
	ck_assert_msg(ran > 0, "no program counted the 20 reads");
	bpf_source_free(&s);
}
END_TEST

Suite *probe_hooks_suite(void)
{
	Suite *s = suite_create("probe_hooks");
	TCase *tc = tcase_create("live");

	TCase *cfg = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, forced_hook_is_the_one_in_use);
	tcase_add_test(tc, program_costs_are_counted);
	suite_add_tcase(s, tc);
	/* How the list is read and followed, the same on every kernel:
	 * make test-kernels leaves these out (CK_EXCLUDE_TAGS=host), as its
	 * tracepoint guests run that path anyway. */
	tcase_add_checked_fixture(cfg, setup, teardown);
	tcase_set_timeout(cfg, 120);
	tcase_set_tags(cfg, "host");
	tcase_add_test(cfg, configured_order_is_followed);
	tcase_add_test(cfg, refused_hook_falls_back_to_the_next_listed);
	tcase_add_test(cfg, unknown_hook_is_an_error);
	suite_add_tcase(s, cfg);
	return s;
}
