/* The kernel probes for real: bpf_source loaded into the running kernel,
 * driven on a live loop with a collecting sink, against real programs
 * (cat, sh, truncate, mv) and raw system calls.
 *
 * These tests need root on a kernel with BTF and BPF.  Where the probes
 * cannot be loaded, every test fails and says why: a machine that cannot
 * run them has not shown that they work.
 *
 * One source is loaded for the whole case (loading verifies ~40 programs
 * and takes seconds); each test runs in its own forked process, drains
 * the shared ring buffer and looks for its own events by pid, so the
 * rest of the machine's activity does not disturb it.  Tests that need
 * other settings load their own source. */
#include <arpa/inet.h>
#include <check.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/aio_abi.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fuzz/jsondiff.h"
#include "bpf_source.h"
#include "probe.h"
#include "event.h"
#include "evtree.h"
#include "fields.h"
#include "flatten.h"
#include "loop.h"
#include "rule.h"
#include "testutil.h"
#include "xalloc.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define WAIT_MS 10000

/* trusted.*, not user.*: tmpfs (the test-kernels guests' /tmp) has user
 * extended attributes only since 6.6; the tests run as root. */
#define TEST_XATTR "trusted.bpfalert"

struct collector {
	struct json_object **ev;
	size_t n, cap;
};

static struct {
	loop *l;
	bpf_source *src;
	char err[512];
	char *dir;              /* temporary tree */
	char *watched;          /* a watched file */
	char *hard;             /* a hard link to it */
	char *link;             /* a symbolic link to /etc/passwd */
	char *wdir;             /* a watched directory */
	char *deep;             /* a file two levels below it */
	char *replaced;         /* a watched file that gets renamed over */
	struct collector col;
	bool lsm;               /* the file probe uses the security_* hooks */
} F;

static void collect(void *ctx, struct json_object *root, const char *origin)
{
	struct collector *c = ctx;

	ck_assert_str_eq(origin, "bpf");
	c->ev = xgrow(c->ev, &c->cap, c->n + 1, sizeof(*c->ev));
	c->ev[c->n++] = root;
}

/* Every flattened path of o, arrays with and without their indices. */
static void intern_paths(field_table *ft, struct json_object *o, char *p, size_t len)
{
	if (len)
		field_table_intern(ft, p, len);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			int n = snprintf(p + len, 512 - len, "%s%s", len ? "_" : "", k);
			if (n > 0 && len + (size_t)n < 512)
				intern_paths(ft, v, p, len + (size_t)n);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			int n = snprintf(p + len, 512 - len, "_%zu", i);
			if (n > 0 && len + (size_t)n < 512)
				intern_paths(ft, json_object_array_get_idx(o, i), p, len + (size_t)n);
			intern_paths(ft, json_object_array_get_idx(o, i), p, len);
		}
	}
}

/* Events compared so far, by kind: exec, exit, file access, connect. */
static unsigned compared[4];

/* Every field of the event, flattened from the probe's tree directly and
 * from its JSON document, is the same. */
static void tree_same_as_json(const evtree *t, struct json_object *root)
{
	field_table *ft = field_table_new();
	char path[512];
	struct jsondiff d;
	struct json_object *k;

	intern_paths(ft, root, path, 0);
	jsondiff_init(&d, ft);
	flattener_fill_tree(d.scan, t, d.a);
	ck_assert_int_eq(flattener_fill(d.jsonc, json_object_get(root), d.b), FLATTEN_OK);
	ck_assert_msg(jsondiff_same_meta(&d) && jsondiff_same_slots(&d), "%s: %s",
		      json_object_to_json_string(root), d.why);
	ck_assert_uint_gt(d.a->nvalues, 0);
	if (json_object_object_get_ex(root, "process_exec", NULL))
		compared[0]++;
	else if (json_object_object_get_ex(root, "process_exit", NULL))
		compared[1]++;
	else if (json_object_object_get_ex(root, "process_kprobe", &k))
		compared[strstr(json_object_to_json_string(k), "sock_arg") ? 3 : 2]++;
	jsondiff_fini(&d);
	field_table_free(&ft);
}

static void collect_tree(void *ctx, const evtree *t, const char *origin)
{
	struct json_object *root = evtree_json(t, EVTREE_ROOT);

	tree_same_as_json(t, root);
	collect(ctx, root, origin);
}

static void collector_clear(struct collector *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_object_put(c->ev[i]);
	free(c->ev);
	memset(c, 0, sizeof(*c));
}

static const char *const hook_names[] = { "exec", "exit", "fork", "files", "connect" };

static const char *hook_of(const bpf_source *s, const char *probe)
{
	const char *const *names, *const *hooks;
	size_t n = bpf_source_hooks(s, &names, &hooks);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], probe))
			return hooks[i];
	return NULL;
}

static bpf_source *load(const char *const *watch, size_t nwatch, bool connect, unsigned avoid,
			struct collector *col, char *err, size_t errlen)
{
	struct bpf_source_config cfg = {
		.exec = true, .exit = true, .fork = true, .connect = connect,
		.watch = watch, .nwatch = nwatch, .ring_buffer_mb = 8,
		.proc_root = "/proc", .cgroup_root = "/sys/fs/cgroup",
		.pods_root = "/var/log/pods", .node_name = "probe-test-node", .avoid = avoid,
	};
	struct source_sink sink = { .tree = collect_tree, .ctx = col };

	return bpf_source_new(F.l, &cfg, &sink, err, errlen);
}

static char *path_in(const char *rel)
{
	return xasprintf("%s/%s", F.dir, rel);
}

static void fixture_up(void)
{
	const char *watch[5];
	char *sub;

	F.l = loop_new();
	F.dir = make_temp_dir();
	F.watched = write_file(F.dir, "watched", "secret\n");
	F.hard = path_in("hard");
	F.link = path_in("link");
	F.wdir = path_in("wdir/");
	sub = path_in("wdir/sub");
	F.replaced = write_file(F.dir, "replaced", "old\n");
	if (link(F.watched, F.hard) || symlink("/etc/passwd", F.link) || mkdir(F.wdir, 0755) ||
	    mkdir(sub, 0755)) {
		snprintf(F.err, sizeof(F.err), "cannot make the test tree: %s", strerror(errno));
		free(sub);
		return;
	}
	F.deep = write_file(sub, "key", "k\n");
	free(sub);
	watch[0] = "/etc/passwd";
	watch[1] = "/etc/shadow";
	watch[2] = F.watched;
	watch[3] = F.wdir;
	watch[4] = F.replaced;
	F.src = load(watch, 5, true, 0, &F.col, F.err, sizeof(F.err));
	if (F.src)
		F.lsm = strcmp(hook_of(F.src, "files"), "tracepoint/syscalls") != 0;
}

static void fixture_down(void)
{
	bpf_source_free(&F.src);
	collector_clear(&F.col);
	loop_free(&F.l);
	if (F.dir)
		rm_rf(F.dir);
	free(F.dir);
	free(F.watched);
	free(F.hard);
	free(F.link);
	free(F.wdir);
	free(F.deep);
	free(F.replaced);
	memset(&F, 0, sizeof(F));
}

static void need_probes(void)
{
	ck_assert_msg(F.src != NULL,
		      "the kernel probes could not be loaded: %s -- these tests need root "
		      "on a kernel with BTF and BPF; they fail rather than skip", F.err);
	/* what the machine did between tests, read before this one starts */
	for (int64_t end = loop_now() + 100; loop_now() < end;)
		loop_run_once(F.l, 20);
	collector_clear(&F.col);
}

/* ---- running programs ------------------------------------------------ */

static pid_t spawn(const char *cwd, const char *const argv[])
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		if (cwd && chdir(cwd))
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static pid_t run(const char *cwd, const char *const argv[])
{
	pid_t pid = spawn(cwd, argv);
	int st = reap(pid);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed (status %d)", argv[0], st);
	return pid;
}

static pid_t sh(const char *script)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

	return run(NULL, argv);
}

/* ---- looking at events ----------------------------------------------- */

/* "a.b.0.c": keys, and array indices. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	}
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static long long jint(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return v ? json_object_get_int64(v) : -1;
}

struct want {
	const char *kind;       /* "process_exec", "process_kprobe", ... */
	pid_t pid;              /* 0: any */
	const char *path;       /* file_arg.path */
	int mask;               /* int_arg; 0: any */
	const char *fn;         /* function_name contains this */
	pid_t ppid;             /* parent.pid; 0: any */
	const char *binary;     /* process.binary */
	const char *watched;    /* file_arg.watched_path */
	int mask_has;           /* int_arg has all these bits; 0: any */
};

static bool matches(struct json_object *ev, const struct want *w)
{
	struct json_object *body;
	const char *s;

	if (!json_object_object_get_ex(ev, w->kind, &body))
		return false;
	if (w->pid && jint(body, "process.pid") != w->pid)
		return false;
	if (w->path && (!(s = jstr(body, "args.0.file_arg.path")) || strcmp(s, w->path)))
		return false;
	if (w->mask && jint(body, "args.1.int_arg") != w->mask)
		return false;
	if (w->fn && (!(s = jstr(body, "function_name")) || !strstr(s, w->fn)))
		return false;
	if (w->ppid && jint(body, "parent.pid") != w->ppid)
		return false;
	if (w->binary && (!(s = jstr(body, "process.binary")) || strcmp(s, w->binary)))
		return false;
	if (w->watched && (!(s = jstr(body, "args.0.file_arg.watched_path")) || strcmp(s, w->watched)))
		return false;
	if (w->mask_has && (jint(body, "args.1.int_arg") & w->mask_has) != w->mask_has)
		return false;
	return true;
}

/* The first collected event matching w, waiting for it on the loop. */
static struct json_object *await_in(struct collector *c, const struct want *w, int ms)
{
	int64_t end = loop_now() + ms;

	for (;;) {
		for (size_t i = 0; i < c->n; i++)
			if (matches(c->ev[i], w))
				return jget(c->ev[i], w->kind);
		if (loop_now() >= end)
			return NULL;
		loop_run_once(F.l, 50);
	}
}

static struct json_object *await(const struct want *w)
{
	struct json_object *b = await_in(&F.col, w, WAIT_MS);

	ck_assert_msg(b != NULL, "no %s event (pid %d, path %s, mask %d, function %s) after %d ms; "
		      "%zu events collected", w->kind, (int)w->pid, w->path ? w->path : "-", w->mask,
		      w->fn ? w->fn : "-", WAIT_MS, F.col.n);
	return b;
}

/* Runs the loop a little, so that late events would have arrived. */
static void settle(int ms)
{
	int64_t end = loop_now() + ms;

	while (loop_now() < end)
		loop_run_once(F.l, 20);
}

/* The function a plain open-and-read of a file reports. */
static const char *open_fn(const char *syscall)
{
	return F.lsm ? "security_file_permission" : syscall;
}

static void assert_process(struct json_object *body, pid_t pid, const char *binary,
			   const char *args)
{
	ck_assert_int_eq(jint(body, "process.pid"), pid);
	ck_assert_str_eq(jstr(body, "process.binary"), binary);
	if (args)
		ck_assert_str_eq(jstr(body, "process.arguments"), args);
	else
		ck_assert_ptr_null(jstr(body, "process.arguments"));
	ck_assert_int_eq(jint(body, "parent.pid"), getpid());
	ck_assert_ptr_nonnull(jstr(body, "process.exec_id"));
	ck_assert_str_eq(jstr(body, "process.parent_exec_id"), jstr(body, "parent.exec_id"));
}

/* ---- hooks -------------------------------------------------------------- */

START_TEST(hooks_in_use_are_reported)
{
	const char *const *names, *const *hooks;
	size_t n;

	need_probes();
	n = bpf_source_hooks(F.src, &names, &hooks);
	ck_assert_uint_eq(n, 5);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(names[i], hook_names[i]);
		ck_assert_ptr_nonnull(hooks[i]);
	}
	ck_assert(!strcmp(hooks[0], "tp_btf/sched_process_exec") ||
		  !strcmp(hooks[0], "tracepoint/sched/sched_process_exec"));
	ck_assert_str_eq(hooks[1], "tracepoint/sched/sched_process_exit");
	ck_assert(!strcmp(hooks[3], "lsm/file_permission") ||
		  !strcmp(hooks[3], "fentry/security_file_permission") ||
		  !strcmp(hooks[3], "kprobe/security_file_permission") ||
		  !strcmp(hooks[3], "tracepoint/syscalls"));
}
END_TEST

/* ---- files ------------------------------------------------------------ */

START_TEST(cat_etc_passwd)
{
	const char *argv[] = { "/usr/bin/cat", "/etc/passwd", NULL };
	struct json_object *exec, *file;
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	exec = await(&(struct want){ .kind = "process_exec", .pid = pid });
	assert_process(exec, pid, "/usr/bin/cat", "/etc/passwd");
	file = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = "/etc/passwd", .mask = 4, .fn = open_fn("sys_openat") });
	assert_process(file, pid, "/usr/bin/cat", "/etc/passwd");
	ck_assert_str_eq(jstr(file, "action"), "KPROBE_ACTION_POST");
	ck_assert_str_eq(jstr(file, "args.0.file_arg.permission"), "-rw-r--r--");
	/* the parent is this test process, known to the cache */
	ck_assert_ptr_nonnull(strstr(jstr(file, "parent.binary"), "run-tests"));
}
END_TEST

START_TEST(relative_path_from_the_cwd)
{
	const char *argv[] = { "/usr/bin/cat", "shadow", NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run("/etc", argv);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = "/etc/shadow", .mask = 4, .fn = open_fn("sys_openat") });
	assert_process(b, pid, "/usr/bin/cat", "shadow");
	ck_assert_str_eq(jstr(b, "process.cwd"), "/etc");
}
END_TEST

START_TEST(dot_dot_in_the_path)
{
	const char *argv[] = { "/usr/bin/cat", "/etc/../etc/shadow", NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = "/etc/shadow", .mask = 4, .fn = open_fn("sys_openat") });
	assert_process(b, pid, "/usr/bin/cat", "/etc/../etc/shadow");
}
END_TEST

START_TEST(symbolic_link_to_a_watched_file)
{
	const char *argv[] = { "/usr/bin/cat", F.link, NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = "/etc/passwd", .mask = 4, .fn = open_fn("sys_openat") });
	assert_process(b, pid, "/usr/bin/cat", F.link);
}
END_TEST

START_TEST(hard_link_to_a_watched_file)
{
	const char *argv[] = { "/usr/bin/cat", F.hard, NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	/* the same inode, reached by the link's own name */
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.hard, .mask = 4, .fn = open_fn("sys_openat") });
	assert_process(b, pid, "/usr/bin/cat", F.hard);
}
END_TEST

START_TEST(append_is_a_write)
{
	char *script = xasprintf("echo x >> %s", F.watched);
	char *args = xasprintf("-c \"%s\"", script);
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = sh(script);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched, .mask = 2, .fn = open_fn("sys_openat") });
	assert_process(b, pid, "/bin/sh", args);
	free(script);
	free(args);
}
END_TEST

START_TEST(truncate_is_a_write)
{
	const char *argv[] = { "/usr/bin/truncate", "-s", "0", F.watched, NULL };
	char *args = xasprintf("-s 0 %s", F.watched);
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched, .mask = 2, .fn = "truncate" });
	assert_process(b, pid, "/usr/bin/truncate", args);
	free(args);
	if (!F.lsm) {
		ck_assert_ptr_nonnull(strstr(jstr(b, "function_name"), "sys_ftruncate"));
		/* the open for writing was seen too */
		await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched, .mask = 2, .fn = "sys_openat" });
	}
}
END_TEST

START_TEST(openat2_from_a_child)
{
	struct { uint64_t flags, mode, resolve; } how = { O_RDONLY, 0, 0 };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c;
		long fd = syscall(SYS_openat2, AT_FDCWD, F.watched, &how, sizeof(how));

		_exit(fd < 0 || read((int)fd, &c, 1) < 0 ? 1 : 0);
	}
	ck_assert_int_eq(reap(pid), 0);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched, .mask = 4, .fn = open_fn("sys_openat2") });
	/* a fork that never exec'd: the parent's image, flagged "clone" */
	ck_assert_int_eq(jint(b, "process.pid"), pid);
	ck_assert_int_eq(jint(b, "parent.pid"), getpid());
	ck_assert_ptr_nonnull(strstr(jstr(b, "process.binary"), "run-tests"));
	ck_assert_ptr_nonnull(strstr(jstr(b, "process.flags"), "clone"));
}
END_TEST

START_TEST(read_through_an_inherited_descriptor)
{
	/* "; true" keeps sh from exec'ing cat in its own process */
	char *script = xasprintf("exec 3<%s; /usr/bin/cat <&3; true", F.watched);
	struct json_object *b, *e;
	pid_t pid;

	need_probes();
	pid = sh(script);
	/* cat, forked by sh, never opened the file: it read what sh opened */
	e = await(&(struct want){ .kind = "process_exec", .ppid = pid, .binary = "/usr/bin/cat" });
	b = await(&(struct want){ .kind = "process_kprobe", .pid = (pid_t)jint(e, "process.pid"), .path = F.watched, .mask = 4, .fn = F.lsm ? "security_file_permission" : "sys_read" });
	ck_assert_str_eq(jstr(b, "process.binary"), "/usr/bin/cat");
	ck_assert_str_eq(jstr(b, "parent.binary"), "/bin/sh");
	ck_assert_int_eq(jint(b, "parent.pid"), pid);
	free(script);
}
END_TEST

START_TEST(file_below_a_watched_directory)
{
	const char *argv[] = { "/usr/bin/cat", F.deep, NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.deep, .mask = 4, .fn = open_fn("sys_openat") });
	assert_process(b, pid, "/usr/bin/cat", F.deep);
}
END_TEST

/* A process with a root of its own (a container, here a chroot) opening
 * its own /etc/passwd: not the host's inode, but the watched path as that
 * process sees it, as Tetragon's path selectors match it.  A file that
 * only shares the basename is not reported. */
START_TEST(watched_path_inside_another_root)
{
	char *root = path_in("rootfs");
	char *etc = path_in("rootfs/etc");
	char *decoy, *own;
	struct json_object *b;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	own = write_file(etc, "passwd", "root:x:0:0::/root:/bin/sh\n");
	decoy = write_file(root, "passwd", "not watched\n");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int a, b2;
		char c;

		if (chroot(root) || chdir("/"))
			_exit(1);
		a = open("/passwd", O_RDONLY);          /* basename only */
		b2 = open("/etc/passwd", O_RDONLY);     /* the watched path */
		/* read: the security_* hooks see reads, not bare opens */
		_exit(a < 0 || b2 < 0 || read(a, &c, 1) != 1 || read(b2, &c, 1) != 1 ? 2 : 0);
	}
	ck_assert_int_eq(reap(pid), 0);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = "/etc/passwd",
				  .mask = 4, .fn = open_fn("sys_openat") });
	ck_assert_int_eq(jint(b, "parent.pid"), getpid());
	settle(200);
	ck_assert_ptr_null(await_in(&F.col, &(struct want){ .kind = "process_kprobe", .pid = pid,
							      .path = "/passwd" }, 0));
	free(root);
	free(etc);
	free(own);
	free(decoy);
}
END_TEST

/* Repeats by one process are suppressed in the kernel and counted: five
 * opens give one event; the next one after the repeat interval carries
 * the count of those left out. */
START_TEST(repeated_opens_are_reported_once_with_a_count)
{
	struct json_object *b;
	char buf[8];
	size_t n = 0;

	need_probes();
	for (int i = 0; i < 6; i++) {
		int fd = open(F.watched, O_RDONLY);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_ge(read(fd, buf, sizeof(buf)), 0);
		close(fd);
		if (i == 4)
			settle(1200);       /* past the kernel's repeat interval */
	}
	await(&(struct want){ .kind = "process_kprobe", .pid = getpid(), .path = F.watched });
	settle(300);
	for (size_t i = 0; i < F.col.n; i++)
		n += matches(F.col.ev[i], &(struct want){ .kind = "process_kprobe", .pid = getpid(),
							    .path = F.watched, .mask = 4 });
	ck_assert_uint_eq(n, 2);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = getpid(), .path = F.watched,
				  .mask = 4 });
	ck_assert_ptr_null(jget(b, "repeats"));
	for (size_t i = 0; i < F.col.n; i++)
		if (matches(F.col.ev[i], &(struct want){ .kind = "process_kprobe", .pid = getpid(),
							  .path = F.watched, .mask = 4 }))
			b = jget(F.col.ev[i], "process_kprobe");
	/* four opens and their reads (one more on the syscall path) were left out */
	ck_assert_int_ge(jint(b, "repeats"), 4);
}
END_TEST

/* A watched file replaced by rename (as editors and vipw do) is reported
 * as a write by the renaming process, and watched again at its new inode. */
START_TEST(rename_over_a_watched_file)
{
	char *tmp = write_file(F.dir, "replaced.new", "new\n");
	const char *mv[] = { "/usr/bin/mv", tmp, F.replaced, NULL };
	const char *cat[] = { "/usr/bin/cat", F.replaced, NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, mv);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.replaced, .mask = 2, .fn = "rename" });
	ck_assert_str_eq(jstr(b, "process.binary"), "/usr/bin/mv");
	pid = run(NULL, cat);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.replaced, .mask = 4, .fn = open_fn("sys_openat") });
	free(tmp);
}
END_TEST

/* The kernel's counters show that an unwatched file costs a check and
 * sends nothing; a source of its own watches a file nothing else touches. */
START_TEST(unwatched_files_produce_nothing)
{
	char *watched = write_file(F.dir, "only-watched", "w\n");
	char *other = write_file(F.dir, "unwatched", "u\n");
	const char *watch[] = { watched };
	const char *argv[] = { "/usr/bin/cat", other, NULL };
	struct bpf_source_stats a, b, c;
	struct collector col = { 0 };
	char err[512], buf[8];
	bpf_source *s;
	pid_t pid;

	need_probes();
	s = load(watch, 1, false, 0, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	bpf_source_get_stats(s, &a);
	for (int i = 0; i < 200; i++) {
		int fd = open(other, O_RDONLY);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(read(fd, buf, sizeof(buf)), 2);
		close(fd);
	}
	pid = run(NULL, argv);
	settle(300);
	bpf_source_get_stats(s, &b);
	ck_assert_uint_ge(b.file_events_in_kernel - a.file_events_in_kernel, 200);
	ck_assert_uint_eq(b.file_events_matched, a.file_events_matched);
	ck_assert_ptr_null(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = 0, .path = other }, 0));
	ck_assert_ptr_null(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid }, 0));
	/* and the watched one does move it */
	argv[1] = watched;
	pid = run(NULL, argv);
	ck_assert_ptr_nonnull(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = watched, .mask = 4 },
				       WAIT_MS));
	bpf_source_get_stats(s, &c);
	ck_assert_uint_gt(c.file_events_matched, b.file_events_matched);
	ck_assert_uint_gt(c.events, b.events);
	ck_assert_uint_eq(c.lost, 0);
	bpf_source_free(&s);
	ck_assert_ptr_null(s);
	collector_clear(&col);
	free(watched);
	free(other);
}
END_TEST

/* ---- against an adversary ---------------------------------------------- */

/* Runs fn in a child of its own; returns its pid once it exited 0. */
static pid_t in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
	ck_assert_int_eq(reap(pid), 0);
	return pid;
}

static int open_trunc_read_only(void *path)
{
	int fd = open(path, O_RDONLY | O_TRUNC);

	return fd < 0 ? 1 : 0;
}

/* open(F, O_RDONLY|O_TRUNC) empties F: a write, whatever the access mode. */
START_TEST(read_only_open_with_o_trunc_is_a_write)
{
	char *f = write_file(F.dir, "to-wipe", "content\n");
	const char *watch[] = { f };
	struct collector col = { 0 };
	char err[512];
	bpf_source *s;
	struct stat st;
	pid_t pid;

	need_probes();
	s = load(watch, 1, false, 0, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	pid = in_child(open_trunc_read_only, f);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_ptr_nonnull(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid,
				       .path = f, .mask_has = PROBE_MAY_WRITE }, WAIT_MS));
	bpf_source_free(&s);
	collector_clear(&col);
	free(f);
}
END_TEST

struct fd_op {
	int fd;
	int op;
};

enum {
	OP_FALLOCATE, OP_MMAP_READ, OP_FCHMOD, OP_FCHOWN, OP_FSETXATTR, OP_MPROTECT_WRITE,
	OP_MPROTECT_SPAN,
};

static int fd_op_run(void *arg)
{
	const struct fd_op *o = arg;
	volatile char c;
	char *m;

	switch (o->op) {
	case OP_FALLOCATE:
		return fallocate(o->fd, 0, 0, 4096) ? 1 : 0;
	case OP_MMAP_READ:
		m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, o->fd, 0);
		if (m == MAP_FAILED)
			return 1;
		c = m[0];
		(void)c;
		return 0;
	case OP_FCHMOD:
		return fchmod(o->fd, 0640) ? 1 : 0;
	case OP_FCHOWN:
		return fchown(o->fd, 0, 0) ? 1 : 0;
	case OP_FSETXATTR:
		return fsetxattr(o->fd, TEST_XATTR, "x", 1, 0) ? 1 : 0;
	case OP_MPROTECT_WRITE:
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, o->fd, 0);
		if (m == MAP_FAILED || mprotect(m, 4096, PROT_READ | PROT_WRITE))
			return 1;
		c = m[0];
		m[0] = c;
		return 0;
	case OP_MPROTECT_SPAN:
		/* an anonymous page, then a shared read mapping of the file
		 * right after it: one mprotect over both */
		m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED ||
		    mmap(m + 4096, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, o->fd, 0) == MAP_FAILED ||
		    mprotect(m, 8192, PROT_READ | PROT_WRITE))
			return 1;
		c = m[4096];
		m[4096] = c;
		return 0;
	}
	return 2;
}

/* A child works on a descriptor its parent (this test) opened: no open of
 * its own shows the access, only the call itself. */
static struct json_object *fd_op_event(const char *path, int flags, int op, int mask,
				       const char *fn)
{
	struct fd_op o = { .fd = open(path, flags), .op = op };
	struct json_object *b;
	pid_t pid;

	ck_assert_int_ge(o.fd, 0);
	pid = in_child(fd_op_run, &o);
	close(o.fd);
	/* security_inode_setxattr has a dentry and no mount: its path is the
	 * one below the file system's root */
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid,
				  .path = op == OP_FSETXATTR && F.lsm ? NULL : path,
				  .mask_has = mask, .fn = fn });
	ck_assert_str_eq(jstr(b, "args.0.file_arg.watched_path"), F.watched);
	return b;
}

START_TEST(fallocate_is_a_write)
{
	need_probes();
	fd_op_event(F.watched, O_WRONLY, OP_FALLOCATE, PROBE_MAY_WRITE,
		    F.lsm ? "security_file_permission" : "sys_fallocate");
}
END_TEST

/* mmap(PROT_READ) of a watched file's descriptor reads it, with no read(2). */
START_TEST(mmap_read_of_an_inherited_descriptor)
{
	need_probes();
	fd_op_event(F.watched, O_RDONLY, OP_MMAP_READ, PROBE_MAY_READ,
		    F.lsm ? "security_mmap_file" : "sys_mmap");
}
END_TEST

START_TEST(fchmod_fchown_fsetxattr_are_reported)
{
	need_probes();
	fd_op_event(F.watched, O_RDONLY, OP_FCHMOD, PROBE_MAY_WRITE, "chmod");
	fd_op_event(F.watched, O_RDONLY, OP_FCHOWN, PROBE_MAY_WRITE, "chown");
	fd_op_event(F.watched, O_RDONLY, OP_FSETXATTR, PROBE_MAY_WRITE, "setxattr");
	chmod(F.watched, 0644);
}
END_TEST

/* chmod, chown and setxattr by name, through a hard link of another name:
 * the change is reported under the watched name. */
START_TEST(metadata_changes_by_name_through_a_hard_link)
{
	const char *chmod_[] = { "/usr/bin/chmod", "0600", F.hard, NULL };
	const char *chown_[] = { "/usr/bin/chown", "0:0", F.hard, NULL };
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = run(NULL, chmod_);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .watched = F.watched,
				  .mask = PROBE_MAY_WRITE, .fn = "chmod" });
	ck_assert_str_eq(jstr(b, "process.binary"), "/usr/bin/chmod");
	pid = run(NULL, chown_);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .watched = F.watched,
			      .mask = PROBE_MAY_WRITE, .fn = "chown" });
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(setxattr(F.hard, TEST_XATTR, "y", 1, 0) ? 1 : 0);
	ck_assert_int_eq(reap(pid), 0);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .watched = F.watched,
			      .mask = PROBE_MAY_WRITE, .fn = "setxattr" });
	chmod(F.watched, 0644);
}
END_TEST

/* Events name what was watched: read through a hard link, a bind mount
 * and a file handle, each event carries the path the process saw and the
 * watched path that matched. */
START_TEST(hard_link_names_the_watched_path)
{
	const char *argv[] = { "/usr/bin/cat", F.hard, NULL };
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.hard,
			      .watched = F.watched, .mask = 4 });
}
END_TEST

static int read_bind_mounted(void *mnt)
{
	char *p;
	char buf[8];
	int fd;

	/* a mount namespace of its own: nothing is left mounted */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 1;
	if (mount(F.dir, mnt, NULL, MS_BIND, NULL))
		return 2;
	p = xasprintf("%s/watched", (char *)mnt);
	fd = open(p, O_RDONLY);
	free(p);
	return fd < 0 || read(fd, buf, sizeof(buf)) < 0 ? 3 : 0;
}

START_TEST(bind_mount_names_the_watched_path)
{
	char *mnt = path_in("bind");
	char *seen = path_in("bind/watched");
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	pid = in_child(read_bind_mounted, mnt);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = seen,
			      .watched = F.watched, .mask = 4 });
	free(mnt);
	free(seen);
}
END_TEST

static int read_by_handle(void *path)
{
	struct file_handle *h = xcalloc(1, sizeof(*h) + MAX_HANDLE_SZ);
	int mount_id, mfd, fd;
	char buf[8];

	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0))
		return 1;
	mfd = open(F.dir, O_RDONLY | O_DIRECTORY);
	fd = open_by_handle_at(mfd, h, O_RDONLY);
	free(h);
	return fd < 0 || read(fd, buf, sizeof(buf)) < 0 ? 2 : 0;
}

START_TEST(file_handle_names_the_watched_path)
{
	pid_t pid;

	need_probes();
	pid = in_child(read_by_handle, F.hard);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .watched = F.watched,
			      .mask = 4 });
}
END_TEST

/* A file below a watched directory: watched_path is the directory as
 * configured, followed by the file's path below it. */
START_TEST(directory_match_names_the_watched_path)
{
	const char *argv[] = { "/usr/bin/cat", F.deep, NULL };
	pid_t pid;

	need_probes();
	pid = run(NULL, argv);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.deep,
			      .watched = F.deep, .mask = 4 });
}
END_TEST

/* Floods: four processes open a watched file in a loop while fifty others
 * read it once each; every one of the fifty reads reaches user space. */
static int flood(void *path)
{
	for (;;) {
		int fd = open(path, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

START_TEST(a_flood_does_not_hide_other_readers)
{
	char *f = write_file(F.dir, "flooded", "x\n");
	const char *watch[] = { f };
	const char *argv[] = { "/usr/bin/cat", f, NULL };
	struct collector col = { 0 };
	pid_t flooders[4], readers[50];
	char err[512];
	bpf_source *s;
	size_t seen = 0;

	need_probes();
	s = load(watch, 1, false, 0, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	for (int i = 0; i < 4; i++) {
		flooders[i] = fork();
		ck_assert_int_ge(flooders[i], 0);
		if (flooders[i] == 0)
			_exit(flood(f));
	}
	for (int i = 0; i < 50; i++) {
		readers[i] = run(NULL, argv);
		loop_run_once(F.l, 0);
	}
	for (int i = 0; i < 4; i++) {
		kill(flooders[i], SIGKILL);
		reap(flooders[i]);
	}
	for (int i = 0; i < 50; i++)
		seen += await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = readers[i],
						       .path = f, .mask = 4 }, WAIT_MS) != NULL;
	fprintf(stderr, "flood: %zu of 50 reads reached user space\n", seen);
	ck_assert_uint_eq(seen, 50);
	bpf_source_free(&s);
	collector_clear(&col);
	free(f);
}
END_TEST

/* io_uring without liburing: one ring, one request at a time. */
struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_open(struct ring *r)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submits sqe and returns its result. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* IORING_OP_OPENAT then IORING_OP_READ: no open(2), no read(2). */
static int uring_open_read(void *path)
{
	struct io_uring_sqe sqe;
	struct ring r;
	char buf[16];
	int fd;

	if (ring_open(&r))
		return 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)path;
	sqe.open_flags = O_RDONLY;
	fd = ring_run(&r, &sqe);
	if (fd < 0)
		return 2;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_READ;
	sqe.fd = fd;
	sqe.addr = (uintptr_t)buf;
	sqe.len = sizeof(buf);
	return ring_run(&r, &sqe) < 0 ? 3 : 0;
}

struct fd_req {
	int fd;
	bool write;
};

/* IORING_OP_WRITE on a descriptor the parent opened. */
static int uring_write(void *arg)
{
	const struct fd_req *q = arg;
	struct io_uring_sqe sqe;
	struct ring r;

	if (ring_open(&r))
		return 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_WRITE;
	sqe.fd = q->fd;
	sqe.addr = (uintptr_t)"appended\n";
	sqe.len = 9;
	sqe.off = (uint64_t)-1;
	return ring_run(&r, &sqe) != 9 ? 2 : 0;
}

/* io_submit(IOCB_CMD_PREAD) on a descriptor the parent opened. */
static int aio_pread(void *arg)
{
	const struct fd_req *q = arg;
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	aio_context_t actx = 0;
	char buf[16];

	if (syscall(__NR_io_setup, 1, &actx))
		return 1;
	memset(&cb, 0, sizeof(cb));
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_fildes = (uint32_t)q->fd;
	cb.aio_buf = (uintptr_t)buf;
	cb.aio_nbytes = sizeof(buf);
	if (syscall(__NR_io_submit, actx, 1, cbs) != 1)
		return 2;
	return syscall(__NR_io_getevents, actx, 1, 1, &ev, NULL) != 1 ? 3 : 0;
}

START_TEST(io_uring_open_and_read)
{
	pid_t pid;

	need_probes();
	pid = in_child(uring_open_read, F.watched);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched,
			      .watched = F.watched, .mask = PROBE_MAY_READ });
}
END_TEST

START_TEST(io_uring_write_to_an_inherited_descriptor)
{
	struct fd_req q = { .fd = open(F.watched, O_WRONLY | O_APPEND) };
	pid_t pid;

	need_probes();
	ck_assert_int_ge(q.fd, 0);
	pid = in_child(uring_write, &q);
	close(q.fd);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched,
			      .mask_has = PROBE_MAY_WRITE });
}
END_TEST

START_TEST(aio_read_of_an_inherited_descriptor)
{
	struct fd_req q = { .fd = open(F.watched, O_RDONLY) };
	pid_t pid;

	need_probes();
	ck_assert_int_ge(q.fd, 0);
	pid = in_child(aio_pread, &q);
	close(q.fd);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched,
			      .mask = PROBE_MAY_READ });
}
END_TEST

/* On the kernels bpfalert supports every kind of access is seen; where
 * one is not, start-up says so and bpf_source_blind_spots lists it. */
START_TEST(no_blind_spots_on_this_kernel)
{
	const char *const *what;
	size_t n;

	need_probes();
	n = bpf_source_blind_spots(F.src, &what);
	ck_assert_msg(n == 0, "%zu kinds of access not seen, the first %s", n, n ? what[0] : "");
}
END_TEST

/* ---- renames and watched directories ---------------------------------- */

/* A source of its own, watching paths below the temporary tree. */
struct own {
	bpf_source *s;
	struct collector col;
};

static void own_load(struct own *o, const char *const *rel, size_t n)
{
	char *paths[8];
	const char *watch[8];
	char err[512];

	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++)
		watch[i] = paths[i] = path_in(rel[i]);
	memset(o, 0, sizeof(*o));
	o->s = load(watch, n, false, 0, &o->col, err, sizeof(err));
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	ck_assert_msg(o->s != NULL, "cannot load the probes: %s", err);
}

static void own_free(struct own *o)
{
	bpf_source_free(&o->s);
	collector_clear(&o->col);
}

/* What was collected instead, for a failure message: each event's
 * function, pid and path, as many as fit. */
static const char *collected(const struct collector *c, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < c->n && used + 1 < len; i++) {
		struct json_object *b = jget(c->ev[i], "process_kprobe");
		const char *fn, *p;
		int n;

		if (!b)
			continue;
		fn = jstr(b, "function_name");
		p = jstr(b, "args.0.file_arg.path");
		n = snprintf(buf + used, len - used, " [%s pid %lld %s]", fn ? fn : "-",
			     jint(b, "process.pid"), p ? p : "-");
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

static struct json_object *own_await(struct own *o, const struct want *w)
{
	struct json_object *b = await_in(&o->col, w, WAIT_MS);
	char got[1024];

	ck_assert_msg(b != NULL, "no %s event (pid %d, path %s, watched %s, mask %d, function %s) "
		      "after %d ms; collected:%s", w->kind, (int)w->pid, w->path ? w->path : "-",
		      w->watched ? w->watched : "-", w->mask, w->fn ? w->fn : "-", WAIT_MS,
		      b ? "" : collected(&o->col, got, sizeof(got)));
	return b;
}

/* The pid of the program `binary` that the shell `sh` ran. */
static pid_t child_of(struct own *o, pid_t sh, const char *binary)
{
	struct json_object *e = own_await(o, &(struct want){ .kind = "process_exec", .ppid = sh,
							      .binary = binary });

	return (pid_t)jint(e, "process.pid");
}

/* Replace by rename, as passwd, vipw and sed -i do, and a read at once:
 * the new file is watched from the moment the rename completes. */
START_TEST(replaced_by_rename_is_watched_at_once)
{
	const char *rel[] = { "swap" };
	char *f = write_file(F.dir, "swap", "old\n");
	char *script = xasprintf("cd %s && cp swap swap.new && mv swap.new swap && /usr/bin/cat swap; true", F.dir);
	struct own o;
	pid_t pid;

	need_probes();
	own_load(&o, rel, 1);
	pid = sh(script);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = child_of(&o, pid, "/usr/bin/cat"),
				      .path = f, .watched = f, .mask = 4 });
	own_free(&o);
	free(script);
	free(f);
}
END_TEST

/* mv F hidden; cat hidden: the file is still watched, and reported under
 * its watched name as well as the one it has now. */
START_TEST(renamed_away_is_still_watched)
{
	const char *rel[] = { "away" };
	char *f = write_file(F.dir, "away", "secret\n");
	char *hidden = path_in("hidden");
	const char *mv[] = { "/usr/bin/mv", f, hidden, NULL };
	const char *cat[] = { "/usr/bin/cat", hidden, NULL };
	struct own o;
	pid_t pid;

	need_probes();
	own_load(&o, rel, 1);
	run(NULL, mv);
	for (int i = 0; i < 2; i++) {         /* before and after the list is read again */
		pid = run(NULL, cat);
		own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = hidden,
					      .watched = f, .mask = 4 });
		settle(1500);
	}
	own_free(&o);
	free(hidden);
	free(f);
}
END_TEST

START_TEST(parent_directory_renamed)
{
	const char *rel[] = { "pdir/inner" };
	char *pdir = path_in("pdir"), *moved = path_in("pdir-moved");
	char *f, *now = path_in("pdir-moved/inner");
	const char *cat[] = { "/usr/bin/cat", now, NULL };
	struct own o;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(pdir, 0755), 0);
	f = write_file(pdir, "inner", "secret\n");
	own_load(&o, rel, 1);
	ck_assert_int_eq(rename(pdir, moved), 0);
	settle(5500);                  /* past a periodic reading of the list */
	pid = run(NULL, cat);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = now,
				      .watched = f, .mask = 4 });
	own_free(&o);
	free(pdir);
	free(moved);
	free(now);
	free(f);
}
END_TEST

/* After a replace by rename the old inode is gone; files made afterwards
 * (which may reuse its number) are never reported. */
START_TEST(stale_inode_never_reports_another_file)
{
	const char *rel[] = { "stale" };
	char *f = write_file(F.dir, "stale", "old\n");
	char *script = xasprintf("cd %s && echo new > stale.new && mv stale.new stale && "
				 "mkdir many && for i in $(seq 200); do echo $i > many/$i; cat many/$i; done "
				 "> /dev/null", F.dir);
	struct own o;

	need_probes();
	own_load(&o, rel, 1);
	settle(1500);
	sh(script);
	settle(1500);
	for (size_t i = 0; i < o.col.n; i++) {
		const char *p = jstr(o.col.ev[i], "process_kprobe.args.0.file_arg.path");

		ck_assert_msg(!p || !strstr(p, "/many/"), "an unrelated file was reported: %s", p);
	}
	own_free(&o);
	free(script);
	free(f);
}
END_TEST

/* A file linked or renamed into a watched directory (a sudoers.d drop-in
 * planted with ln or mv) is a write; so are an unlink and a rename inside
 * it. */
START_TEST(links_renames_and_unlinks_in_a_watched_directory)
{
	const char *rel[] = { "drop.d/" };
	char *d = path_in("drop.d");
	char *outside = write_file(F.dir, "outside", "x\n");
	char *outside2 = write_file(F.dir, "outside2", "y\n");
	char *planted, *moved, *victim, *renamed;
	const char *ln[] = { "/usr/bin/ln", outside, NULL, NULL };
	const char *mv[] = { "/usr/bin/mv", outside2, NULL, NULL };
	const char *rm[] = { "/usr/bin/rm", NULL, NULL };
	const char *mv2[] = { "/usr/bin/mv", NULL, NULL, NULL };
	struct own o;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(d, 0755), 0);
	planted = path_in("drop.d/planted");
	moved = path_in("drop.d/moved");
	renamed = path_in("drop.d/renamed");
	victim = write_file(d, "victim", "v\n");
	own_load(&o, rel, 1);
	ln[2] = planted;
	pid = run(NULL, ln);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = planted,
				      .watched = planted, .mask = 2, .fn = "link" });
	mv[2] = moved;
	pid = run(NULL, mv);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = moved,
				      .watched = moved, .mask = 2, .fn = "rename" });
	mv2[1] = moved;
	mv2[2] = renamed;
	pid = run(NULL, mv2);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = renamed,
				      .mask = 2, .fn = "rename" });
	rm[1] = victim;
	pid = run(NULL, rm);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = victim,
				      .watched = victim, .mask = 2, .fn = "unlink" });
	own_free(&o);
	free(d);
	free(outside);
	free(outside2);
	free(planted);
	free(moved);
	free(renamed);
	free(victim);
}
END_TEST

/* Twenty levels below a watched directory. */
START_TEST(deep_below_a_watched_directory)
{
	char *deep = path_in("wdir");
	const char *cat[] = { "/usr/bin/cat", NULL, NULL };
	char *f;
	pid_t pid;

	need_probes();
	for (int i = 0; i < 20; i++) {
		char *next = xasprintf("%s/d%d", deep, i);

		ck_assert_int_eq(mkdir(next, 0755), 0);
		free(deep);
		deep = next;
	}
	f = write_file(deep, "key", "k\n");
	cat[1] = f;
	pid = run(NULL, cat);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = f, .watched = f,
			      .mask = 4 });
	free(deep);
	free(f);
}
END_TEST

/* One 131,000-byte argument ending in the payload: the event says the
 * arguments were cut, and their tail is still there for the rules. */
START_TEST(long_arguments_keep_their_tail)
{
	size_t n = 131000;
	char *arg = xcalloc(n + 1, 1);
	const char *argv[] = { "/bin/sh", "-c", "true", "pad", arg, NULL };
	struct json_object *b;
	const char *args;
	pid_t pid;

	need_probes();
	memset(arg, 'A', n);
	memcpy(arg + n - strlen("/etc/shadow"), "/etc/shadow", strlen("/etc/shadow"));
	pid = run(NULL, argv);
	b = await(&(struct want){ .kind = "process_exec", .pid = pid });
	args = jstr(b, "process.arguments");
	ck_assert_ptr_nonnull(args);
	ck_assert_msg(strncmp(args, "-c true pad AAAA", 16) == 0, "head: %.40s", args);
	ck_assert_ptr_nonnull(strstr(args, " ... "));
	ck_assert_msg(strlen(args) > 11 && !strcmp(args + strlen(args) - 11, "/etc/shadow"),
		      "tail: %s", args + strlen(args) - 20);
	ck_assert_ptr_nonnull(strstr(jstr(b, "process.flags"), "truncArgs"));
	free(arg);
}
END_TEST

/* fexecve of a memfd, and execveat(fd, "", AT_EMPTY_PATH) of a copy of
 * true(1) in the temporary tree: the binary is the file the descriptor
 * pointed to, not "/dev/fd/N". */
static int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

static int exec_memfd(void *unused)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL };
	int in = open("/usr/bin/true", O_RDONLY);
	int fd = memfd_create("payload", MFD_CLOEXEC);

	(void)unused;
	if (in < 0 || fd < 0 || copy_fd(in, fd))
		return 1;
	fexecve(fd, argv, envp);
	return 2;
}

static int exec_at_empty_path(void *path)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL };
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return 1;
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	return 2;
}

START_TEST(exec_through_a_descriptor_names_the_real_binary)
{
	char *copy = path_in("mytrue");
	int in = open("/usr/bin/true", O_RDONLY), out;
	struct json_object *b;
	pid_t pid;

	need_probes();
	out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(copy_fd(in, out), 0);
	close(in);
	close(out);
	pid = in_child(exec_memfd, NULL);
	b = await(&(struct want){ .kind = "process_exec", .pid = pid });
	ck_assert_str_eq(jstr(b, "process.binary"), "memfd:payload");
	pid = in_child(exec_at_empty_path, copy);
	b = await(&(struct want){ .kind = "process_exec", .pid = pid });
	ck_assert_str_eq(jstr(b, "process.binary"), copy);
	free(copy);
}
END_TEST

/* ---- processes ---------------------------------------------------------- */

START_TEST(exec_and_exit_share_the_exec_id)
{
	const char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	struct json_object *exec, *exit_;
	pid_t pid;

	need_probes();
	pid = spawn(NULL, argv);
	ck_assert_int_eq(WEXITSTATUS(reap(pid)), 3);
	exec = await(&(struct want){ .kind = "process_exec", .pid = pid });
	exit_ = await(&(struct want){ .kind = "process_exit", .pid = pid });
	ck_assert_str_eq(jstr(exec, "process.exec_id"), jstr(exit_, "process.exec_id"));
	ck_assert_str_eq(jstr(exit_, "process.binary"), "/bin/sh");
	ck_assert_str_eq(jstr(exit_, "process.arguments"), "-c \"exit 3\"");
	ck_assert_str_eq(jstr(exec, "process.flags"), "execve clone");
	ck_assert_int_eq(jint(exit_, "status"), 3);
	ck_assert_ptr_null(jget(exit_, "signal"));
	ck_assert_str_eq(jstr(exec, "parent.exec_id"), jstr(exit_, "parent.exec_id"));
}
END_TEST

START_TEST(killed_process_exit_names_the_signal)
{
	const char *argv[] = { "/bin/sleep", "30", NULL };
	struct json_object *exit_;
	pid_t pid;

	need_probes();
	pid = spawn(NULL, argv);
	await(&(struct want){ .kind = "process_exec", .pid = pid });
	kill(pid, SIGKILL);
	reap(pid);
	exit_ = await(&(struct want){ .kind = "process_exit", .pid = pid });
	ck_assert_str_eq(jstr(exit_, "signal"), "SIGKILL");
	ck_assert_ptr_null(jget(exit_, "status"));
	ck_assert_str_eq(jstr(exit_, "process.binary"), "/bin/sleep");
}
END_TEST

/* The seed rule, on the probe's own exec event for `cat /etc/passwd`. */
START_TEST(exec_event_matches_the_seed_rule)
{
	static const char text[] = "process_exec_process_arguments =% \"/etc/passwd\"";
	const char *argv[] = { "/usr/bin/cat", "/etc/passwd", NULL };
	field_table *ft = field_table_new();
	rule_errors errs = { 0 };
	rule_program *rule = rule_compile(text, sizeof(text) - 1, ft, &errs);
	flattener *fl = flattener_new(ft);
	event *ev = event_new();
	struct json_object *root = NULL;
	pid_t pid;

	need_probes();
	ck_assert_ptr_nonnull(rule);
	pid = run(NULL, argv);
	await(&(struct want){ .kind = "process_exec", .pid = pid });
	for (size_t i = 0; i < F.col.n && !root; i++)
		if (matches(F.col.ev[i], &(struct want){ .kind = "process_exec", .pid = pid }))
			root = F.col.ev[i];
	ck_assert_str_eq(jstr(root, "node_name"), "probe-test-node");
	ck_assert_ptr_nonnull(jstr(root, "time"));
	ck_assert_int_eq(flattener_fill(fl, json_object_get(root), ev), FLATTEN_OK);
	ck_assert(rule_eval(rule, ev));
	/* and not on another exec */
	pid = sh("true");
	await(&(struct want){ .kind = "process_exec", .pid = pid });
	for (size_t i = 0; i < F.col.n; i++)
		if (matches(F.col.ev[i], &(struct want){ .kind = "process_exec", .pid = pid })) {
			ck_assert_int_eq(flattener_fill(fl, json_object_get(F.col.ev[i]), ev),
					 FLATTEN_OK);
			ck_assert(!rule_eval(rule, ev));
		}
	event_free(&ev);
	flattener_free(&fl);
	rule_program_free(&rule);
	rule_errors_clear(&errs);
	field_table_free(&ft);
}
END_TEST

/* A child that connects to a listener on 127.0.0.1 (its port in *a);
 * returns the child's pid, reaped. */
static pid_t connect_child(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)a, sizeof(*a)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)a, &len), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		_exit(connect(fd, (struct sockaddr *)a, sizeof(*a)) ? 1 : 0);
	}
	ck_assert_int_eq(reap(pid), 0);
	close(lfd);
	return pid;
}

START_TEST(connect_is_reported)
{
	struct sockaddr_in a;
	struct json_object *b;
	pid_t pid;

	need_probes();
	pid = connect_child(&a);
	b = await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = NULL, .mask = 0, .fn = "tcp_connect" });
	ck_assert_str_eq(jstr(b, "args.0.sock_arg.family"), "AF_INET");
	ck_assert_str_eq(jstr(b, "args.0.sock_arg.daddr"), "127.0.0.1");
	ck_assert_int_eq(jint(b, "args.0.sock_arg.dport"), ntohs(a.sin_port));
	ck_assert_str_eq(jstr(b, "args.0.sock_arg.protocol"), "IPPROTO_TCP");
}
END_TEST

/* Exec, file access, connect and exit events: the rule engine's fields
 * come from the probe's record without JSON, and are the fields its JSON
 * document gives (compared in collect_tree for every event of every test). */
START_TEST(every_kind_flattens_without_json_as_with)
{
	const char *argv[] = { "/usr/bin/cat", "/etc/passwd", NULL };
	struct sockaddr_in a;
	pid_t pid;

	need_probes();
	memset(compared, 0, sizeof(compared));
	pid = run(NULL, argv);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = "/etc/passwd", .mask = 4, .fn = open_fn("sys_openat") });
	await(&(struct want){ .kind = "process_exit", .pid = pid });
	pid = connect_child(&a);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .fn = "tcp_connect" });
	for (int k = 0; k < 4; k++)
		ck_assert_msg(compared[k] > 0, "no event of kind %d compared", k);
}
END_TEST

/* ---- fallbacks and refusals --------------------------------------------- */

/* Without tp_btf, exec and fork fall back to the classic and raw
 * tracepoints, with the same events. */
START_TEST(exec_tracepoint_fallback)
{
	const char *argv[] = { "/usr/bin/cat", "/etc/hostname", NULL };
	struct collector col = { 0 };
	struct json_object *b;
	char err[512];
	bpf_source *s;
	pid_t pid;

	need_probes();
	s = load(NULL, 0, false, BPF_SOURCE_AVOID_TP_BTF, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	ck_assert_str_eq(hook_of(s, "exec"), "tracepoint/sched/sched_process_exec");
	ck_assert_str_eq(hook_of(s, "fork"), "raw_tp/sched_process_fork");
	ck_assert_ptr_null(hook_of(s, "files"));
	pid = run(NULL, argv);
	b = await_in(&col, &(struct want){ .kind = "process_exec", .pid = pid }, WAIT_MS);
	ck_assert_ptr_nonnull(b);
	assert_process(b, pid, "/usr/bin/cat", "/etc/hostname");
	ck_assert_str_eq(jstr(b, "process.flags"), "execve clone");
	bpf_source_free(&s);
	collector_clear(&col);
}
END_TEST

/* Trying the preferred hooks without probing first: each refusal (at load
 * or at attach) steps down to the next hook, and events still flow. */
START_TEST(refused_hooks_step_down)
{
	const char *watch[] = { F.watched };
	const char *argv[] = { "/usr/bin/cat", F.watched, NULL };
	struct collector col = { 0 };
	const char *files, *want_fn;
	char err[512];
	bpf_source *s;
	pid_t pid;

	need_probes();
	s = load(watch, 1, false, BPF_SOURCE_NO_PROBING, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	files = hook_of(s, "files");
	ck_assert_ptr_nonnull(files);
	want_fn = !strcmp(files, "tracepoint/syscalls") ? "sys_openat" : "security_file_permission";
	pid = run(NULL, argv);
	ck_assert_ptr_nonnull(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched, .mask = 4, .fn = want_fn }, WAIT_MS));
	bpf_source_free(&s);
	collector_clear(&col);
}
END_TEST

/* Kernels without a ring buffer get the perf buffer: the same events. */
START_TEST(perf_buffer_fallback)
{
	const char *watch[] = { F.watched };
	const char *argv[] = { "/usr/bin/cat", F.watched, NULL };
	struct collector col = { 0 };
	struct bpf_source_stats st;
	struct json_object *b;
	char err[512];
	bpf_source *s;
	pid_t pid;

	need_probes();
	s = load(watch, 1, false, BPF_SOURCE_AVOID_RINGBUF, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	pid = run(NULL, argv);
	b = await_in(&col, &(struct want){ .kind = "process_exec", .pid = pid }, WAIT_MS);
	ck_assert_ptr_nonnull(b);
	assert_process(b, pid, "/usr/bin/cat", F.watched);
	b = await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched,
					   .mask = 4 }, WAIT_MS);
	ck_assert_ptr_nonnull(b);
	assert_process(b, pid, "/usr/bin/cat", F.watched);
	bpf_source_get_stats(s, &st);
	ck_assert_uint_ge(st.events, 2);
	bpf_source_free(&s);
	collector_clear(&col);
}
END_TEST

/* The file checks of kernels before 6.2 (helper reads, no plain loads
 * through bpf_rdonly_cast) match what the plain loads match: a watched
 * file, a file below a watched directory, and nothing for another file. */
START_TEST(helper_reads_match_as_plain_loads_do)
{
	char *wd = path_in("wdir"), *below = write_file(wd, "plain-reads", "p\n");
	char *other = write_file(F.dir, "plain-other", "o\n");
	const char *watch[] = { F.watched, F.wdir };
	const char *argv[] = { "/usr/bin/cat", F.watched, below, other, NULL };
	struct collector col = { 0 };
	struct bpf_source_stats a, b;
	char err[512];
	bpf_source *s;
	pid_t pid;

	need_probes();
	s = load(watch, 2, false, BPF_SOURCE_AVOID_TYPED, &col, err, sizeof(err));
	ck_assert_msg(s != NULL, "cannot load the probes: %s", err);
	bpf_source_get_stats(s, &a);
	pid = run(NULL, argv);
	ck_assert_ptr_nonnull(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid,
							     .path = F.watched, .mask = 4 }, WAIT_MS));
	ck_assert_ptr_nonnull(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid,
							     .path = below, .mask = 4 }, WAIT_MS));
	ck_assert_ptr_null(await_in(&col, &(struct want){ .kind = "process_kprobe", .pid = pid,
							  .path = other }, 300));
	bpf_source_get_stats(s, &b);
	ck_assert_uint_gt(b.file_events_in_kernel, a.file_events_in_kernel);
	bpf_source_free(&s);
	collector_clear(&col);
	unlink(below);
	unlink(other);
	free(below);
	free(other);
	free(wd);
}
END_TEST

/* Without the capabilities, one clear error naming them.  Dropped in a
 * child of its own, so that nothing else runs without them. */
START_TEST(missing_capabilities_are_named)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int pipefd[2];
	char err[512] = "";
	ssize_t n;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct collector col = { 0 };
		bpf_source *s;

		close(pipefd[0]);
		if (syscall(SYS_capget, &hdr, data))
			_exit(2);
		data[0].effective &= ~(1u << 21);                       /* CAP_SYS_ADMIN */
		data[1].effective &= ~((1u << (38 - 32)) | (1u << (39 - 32))); /* PERFMON, BPF */
		if (syscall(SYS_capset, &hdr, data))
			_exit(3);
		s = load(NULL, 0, false, 0, &col, err, sizeof(err));
		if (write(pipefd[1], err, strlen(err)) < 0 || s)
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], err, sizeof(err) - 1);
	close(pipefd[0]);
	ck_assert_int_eq(reap(pid), 0);
	ck_assert_int_gt(n, 0);
	err[n] = 0;
	ck_assert_msg(strstr(err, "CAP_BPF") && strstr(err, "CAP_PERFMON"), "error: %s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* ---- what the kernel hides ------------------------------------------- */

/* Replace by rename, the new file read at once through a hard link of
 * another name made before the rename: no open names the watched path, so
 * only its new inode can match, and the kernel watches it from the
 * rename's exit, before user space could read the list again (the test
 * runs no loop meanwhile). */
static void replaced_in_the_kernel_at_once(const char *base)
{
	const char *rel[] = { base };
	char *f = write_file(F.dir, base, "old\n"), *alias = path_in("alias-of-new");
	char *script = xasprintf("cd %s && rm -f alias-of-new && cp %s %s.new && "
				 "ln %s.new alias-of-new && mv %s.new %s && /usr/bin/cat alias-of-new",
				 F.dir, base, base, base, base, base);
	struct own o;
	pid_t pid;

	need_probes();
	own_load(&o, rel, 1);
	pid = sh(script);
	own_await(&o, &(struct want){ .kind = "process_kprobe",
				      .pid = child_of(&o, pid, "/usr/bin/cat"), .path = alias,
				      .watched = f, .mask = 4 });
	own_free(&o);
	free(script);
	free(alias);
	free(f);
}

START_TEST(replaced_by_rename_is_watched_in_the_kernel_at_once)
{
	replaced_in_the_kernel_at_once("swapped");
}
END_TEST

/* A basename of 63 bytes fills the kernel's 64-byte key with its NUL:
 * it is watched, not taken for a longer name cut. */
START_TEST(replaced_with_a_63_byte_basename_is_watched_in_the_kernel_at_once)
{
	char base[64];

	memset(base, 'n', 63);
	base[63] = 0;
	replaced_in_the_kernel_at_once(base);
}
END_TEST

/* The function a rename, link or unlink is reported at: on the lsm path
 * the LSM hook itself, whatever route the call took (lsm.bpf.h); else the
 * call's own. */
static const char *entries_fn(const char *lsm_hook, const char *call)
{
	return !strncmp(hook_of(F.src, "files"), "lsm/", 4) ? lsm_hook : call;
}

/* io_uring's requests on names, in a watched directory: a file linked and
 * renamed into it, one unlinked from it; no system call names them.  The
 * links and renames run in an io-wq worker thread of the submitter. */
struct uring_names {
	const char *outside, *outside2, *linked, *moved, *victim;
};

static int uring_name_ops(void *arg)
{
	const struct uring_names *u = arg;
	struct io_uring_sqe sqe;
	struct ring r;

	if (ring_open(&r))
		return 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_LINKAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)u->outside;
	sqe.len = (uint32_t)AT_FDCWD;
	sqe.addr2 = (uintptr_t)u->linked;
	if (ring_run(&r, &sqe) < 0)
		return 2;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_RENAMEAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)u->outside2;
	sqe.len = (uint32_t)AT_FDCWD;
	sqe.addr2 = (uintptr_t)u->moved;
	if (ring_run(&r, &sqe) < 0)
		return 3;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_UNLINKAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)u->victim;
	return ring_run(&r, &sqe) < 0 ? 4 : 0;
}

START_TEST(io_uring_links_renames_and_unlinks_in_a_watched_directory)
{
	const char *rel[] = { "udrop.d/" };
	char *d = path_in("udrop.d");
	struct uring_names u;
	struct own o;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(d, 0755), 0);
	u.outside = write_file(F.dir, "u-outside", "x\n");
	u.outside2 = write_file(F.dir, "u-outside2", "y\n");
	u.linked = path_in("udrop.d/linked");
	u.moved = path_in("udrop.d/moved");
	u.victim = write_file(d, "victim", "v\n");
	own_load(&o, rel, 1);
	pid = in_child(uring_name_ops, &u);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = u.linked,
				      .watched = u.linked, .mask = 2,
				      .fn = entries_fn("security_path_link", "io_linkat") });
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = u.moved,
				      .watched = u.moved, .mask = 2,
				      .fn = entries_fn("security_path_rename", "io_renameat") });
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = u.victim,
				      .watched = u.victim, .mask = 2,
				      .fn = entries_fn("security_path_unlink", "io_unlinkat") });
	own_free(&o);
	free(d);
	free((char *)u.outside);
	free((char *)u.outside2);
	free((char *)u.linked);
	free((char *)u.moved);
	free((char *)u.victim);
}
END_TEST

/* One io_uring rename, then a read through the descriptor fd (if >= 0)
 * or an open and read of `read`. */
struct uring_mv {
	const char *from, *to, *read;
	int fd;
};

static int uring_rename_then_read(void *arg)
{
	const struct uring_mv *u = arg;
	struct io_uring_sqe sqe;
	struct ring r;
	char buf[8];
	int fd = u->fd;

	if (ring_open(&r))
		return 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_RENAMEAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)u->from;
	sqe.len = (uint32_t)AT_FDCWD;
	sqe.addr2 = (uintptr_t)u->to;
	if (ring_run(&r, &sqe) != 0)
		return 2;
	if (fd < 0)
		fd = open(u->read, O_RDONLY);
	return fd < 0 || pread(fd, buf, sizeof(buf), 0) < 0 ? 3 : 0;
}

/* Replace by an io_uring rename, the new file read at once through a hard
 * link of another name: the kernel watches the new inode from the
 * request's completion (the test runs no loop meanwhile). */
START_TEST(io_uring_replace_by_rename_is_watched_in_the_kernel_at_once)
{
	const char *rel[] = { "uswapped" };
	char *f = write_file(F.dir, "uswapped", "old\n"), *alias = path_in("u-alias-of-new");
	char *newf = write_file(F.dir, "uswapped.new", "new\n");
	struct uring_mv u = { .from = newf, .to = f, .read = alias, .fd = -1 };
	struct own o;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(link(newf, alias), 0);
	own_load(&o, rel, 1);
	pid = in_child(uring_rename_then_read, &u);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = alias,
				      .watched = f, .mask = 4 });
	own_free(&o);
	free(newf);
	free(alias);
	free(f);
}
END_TEST

/* A file read (its directory verdict cached), moved into a watched
 * directory by io_uring and read again through the same descriptor: the
 * second read is one of the watched directory's. */
START_TEST(io_uring_rename_into_a_watched_directory_of_an_open_file)
{
	const char *rel[] = { "uepoch.d/" };
	char *d = path_in("uepoch.d"), *moved = path_in("uepoch.d/moved");
	char *outside = write_file(F.dir, "u-epoch", "x\n");
	struct uring_mv u = { .from = outside, .to = moved };
	struct own o;
	char buf[4];
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(d, 0755), 0);
	own_load(&o, rel, 1);
	u.fd = open(outside, O_RDONLY);
	ck_assert_int_ge(u.fd, 0);
	ck_assert_int_ge(read(u.fd, buf, sizeof(buf)), 0);
	pid = in_child(uring_rename_then_read, &u);
	close(u.fd);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = moved,
				      .watched = moved, .mask = 4 });
	own_free(&o);
	free(outside);
	free(moved);
	free(d);
}
END_TEST

/* An open into a direct descriptor (a slot of the ring's own table, in no
 * process's) and a read through it: the read is seen, with the file. */
static int uring_direct_read(void *path)
{
	struct io_uring_sqe sqe;
	struct ring r;
	int slots[1] = { -1 };
	char buf[16];

	if (ring_open(&r) || syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_FILES, slots, 1))
		return 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)path;
	sqe.open_flags = O_RDONLY;
	sqe.file_index = 1;             /* slot 0 */
	if (ring_run(&r, &sqe) < 0)
		return 2;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_READ;
	sqe.flags = IOSQE_FIXED_FILE;
	sqe.fd = 0;
	sqe.addr = (uintptr_t)buf;
	sqe.len = sizeof(buf);
	return ring_run(&r, &sqe) < 0 ? 3 : 0;
}

START_TEST(io_uring_read_through_a_direct_descriptor)
{
	pid_t pid;

	need_probes();
	pid = in_child(uring_direct_read, F.watched);
	await(&(struct want){ .kind = "process_kprobe", .pid = pid, .path = F.watched,
			      .watched = F.watched, .mask = PROBE_MAY_READ });
}
END_TEST

/* A shared mapping of a watched file, made PROT_READ (a read) and then
 * writable with mprotect: a write, though no mmap asked for one. */
START_TEST(mprotect_write_of_a_shared_read_mapping)
{
	need_probes();
	fd_op_event(F.watched, O_RDWR, OP_MPROTECT_WRITE, PROBE_MAY_WRITE, "mprotect");
}
END_TEST

/* The same mapping second in a range of two: every mapping of the range
 * is looked at, not only the first. */
START_TEST(mprotect_write_of_a_range_checks_every_mapping)
{
	need_probes();
	fd_op_event(F.watched, O_RDWR, OP_MPROTECT_SPAN, PROBE_MAY_WRITE, "mprotect");
}
END_TEST

/* An overlay whose lower layer holds the watched file (as lowerdir=/etc
 * would): read through the merged directory, where the file has the
 * overlay's inode, the event still comes with the watched path. */
static int read_through_overlay(void *dir)
{
	char *lower = xasprintf("%s/lower", (char *)dir), *upper = xasprintf("%s/upper", (char *)dir);
	char *work = xasprintf("%s/work", (char *)dir), *merged = xasprintf("%s/merged", (char *)dir);
	char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	char *p = xasprintf("%s/shadow", merged);
	char buf[8];
	int fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 1;
	if (mount("overlay", merged, "overlay", 0, opts))
		return 2;
	fd = open(p, O_RDONLY);
	return fd < 0 || read(fd, buf, sizeof(buf)) < 0 ? 3 : 0;
}

START_TEST(overlay_of_a_watched_directory_names_the_watched_path)
{
	const char *rel[] = { "ovl/lower/shadow" };
	char *ovl = path_in("ovl"), *merged_file = path_in("ovl/merged/shadow");
	const char *sub[] = { "lower", "upper", "work", "merged" };
	char *f;
	struct own o;
	pid_t pid;

	need_probes();
	ck_assert_int_eq(mkdir(ovl, 0755), 0);
	for (size_t i = 0; i < 4; i++) {
		char *d = xasprintf("%s/%s", ovl, sub[i]);

		ck_assert_int_eq(mkdir(d, 0755), 0);
		free(d);
	}
	f = path_in("ovl/lower/shadow");
	free(write_file(ovl, "lower/shadow", "secret\n"));
	own_load(&o, rel, 1);
	pid = in_child(read_through_overlay, ovl);
	own_await(&o, &(struct want){ .kind = "process_kprobe", .pid = pid, .path = merged_file,
				      .watched = f, .mask = 4 });
	own_free(&o);
	free(ovl);
	free(merged_file);
	free(f);
}
END_TEST

Suite *probes_suite(void)
{
	Suite *s = suite_create("probes");
	TCase *tc = tcase_create("live");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hooks_in_use_are_reported);
	tcase_add_test(tc, cat_etc_passwd);
	tcase_add_test(tc, relative_path_from_the_cwd);
	tcase_add_test(tc, dot_dot_in_the_path);
	tcase_add_test(tc, symbolic_link_to_a_watched_file);
	tcase_add_test(tc, hard_link_to_a_watched_file);
	tcase_add_test(tc, append_is_a_write);
	tcase_add_test(tc, truncate_is_a_write);
	tcase_add_test(tc, openat2_from_a_child);
	tcase_add_test(tc, read_through_an_inherited_descriptor);
	tcase_add_test(tc, file_below_a_watched_directory);
	tcase_add_test(tc, watched_path_inside_another_root);
	tcase_add_test(tc, repeated_opens_are_reported_once_with_a_count);
	tcase_add_test(tc, rename_over_a_watched_file);
	tcase_add_test(tc, unwatched_files_produce_nothing);
	tcase_add_test(tc, exec_and_exit_share_the_exec_id);
	tcase_add_test(tc, killed_process_exit_names_the_signal);
	tcase_add_test(tc, exec_event_matches_the_seed_rule);
	tcase_add_test(tc, connect_is_reported);
	tcase_add_test(tc, every_kind_flattens_without_json_as_with);
	tcase_add_test(tc, exec_tracepoint_fallback);
	tcase_add_test(tc, refused_hooks_step_down);
	tcase_add_test(tc, perf_buffer_fallback);
	tcase_add_test(tc, helper_reads_match_as_plain_loads_do);
	tcase_add_test(tc, missing_capabilities_are_named);
	tcase_add_test(tc, read_only_open_with_o_trunc_is_a_write);
	tcase_add_test(tc, fallocate_is_a_write);
	tcase_add_test(tc, mmap_read_of_an_inherited_descriptor);
	tcase_add_test(tc, fchmod_fchown_fsetxattr_are_reported);
	tcase_add_test(tc, metadata_changes_by_name_through_a_hard_link);
	tcase_add_test(tc, hard_link_names_the_watched_path);
	tcase_add_test(tc, bind_mount_names_the_watched_path);
	tcase_add_test(tc, file_handle_names_the_watched_path);
	tcase_add_test(tc, directory_match_names_the_watched_path);
	tcase_add_test(tc, a_flood_does_not_hide_other_readers);
	tcase_add_test(tc, replaced_by_rename_is_watched_at_once);
	tcase_add_test(tc, renamed_away_is_still_watched);
	tcase_add_test(tc, parent_directory_renamed);
	tcase_add_test(tc, stale_inode_never_reports_another_file);
	tcase_add_test(tc, links_renames_and_unlinks_in_a_watched_directory);
	tcase_add_test(tc, deep_below_a_watched_directory);
	tcase_add_test(tc, io_uring_open_and_read);
	tcase_add_test(tc, no_blind_spots_on_this_kernel);
	tcase_add_test(tc, io_uring_write_to_an_inherited_descriptor);
	tcase_add_test(tc, aio_read_of_an_inherited_descriptor);
	tcase_add_test(tc, long_arguments_keep_their_tail);
	tcase_add_test(tc, exec_through_a_descriptor_names_the_real_binary);
	suite_add_tcase(s, tc);
	/* run alone with CK_RUN_CASE=hidden */
	tc = tcase_create("hidden");
	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, overlay_of_a_watched_directory_names_the_watched_path);
	tcase_add_test(tc, mprotect_write_of_a_shared_read_mapping);
	tcase_add_test(tc, replaced_by_rename_is_watched_in_the_kernel_at_once);
	tcase_add_test(tc, io_uring_links_renames_and_unlinks_in_a_watched_directory);
	tcase_add_test(tc, io_uring_read_through_a_direct_descriptor);
	tcase_add_test(tc, mprotect_write_of_a_range_checks_every_mapping);
	tcase_add_test(tc, replaced_with_a_63_byte_basename_is_watched_in_the_kernel_at_once);
	tcase_add_test(tc, io_uring_replace_by_rename_is_watched_in_the_kernel_at_once);
	tcase_add_test(tc, io_uring_rename_into_a_watched_directory_of_an_open_file);
	suite_add_tcase(s, tc);
	return s;
}
