/* The process cache: images made by exec and fork, parents kept alive by
 * their children, exited processes lingering then dropped, the bound on
 * its size, and seeding from a /proc tree. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proccache.h"
#include "tetra.h"
#include "testutil.h"
#include "xalloc.h"

static proccache *c;

static void setup(void)
{
	c = proccache_new("node", 0, 1000);
}

static void teardown(void)
{
	proccache_free(&c);
	ck_assert_ptr_null(c);
}

static struct proc *exec_(uint32_t pid, uint32_t ppid, uint64_t ktime, const char *bin,
			  const char *cwd)
{
	struct proc_exec_info in = {
		.pid = pid, .ppid = ppid, .uid = 1000, .auid = 1000, .ktime = ktime,
		.binary = bin, .arguments = "", .cwd = cwd, .container_id = "",
	};

	return proccache_exec(c, &in);
}

static char *flags(const struct proc *p)
{
	static char buf[128];

	proc_flags_string(p->flags, buf, sizeof(buf));
	return buf;
}

START_TEST(exec_makes_a_new_image_with_its_parent)
{
	struct proc *init = exec_(1, 0, 100, "/sbin/init", "/");
	struct proc *sh, *cat;
	char id[128];

	ck_assert_str_eq(flags(init), "execve rootcwd");
	ck_assert_ptr_null(init->parent);
	sh = exec_(10, 1, 200, "/bin/sh", "/home/u");
	ck_assert_ptr_eq(sh->parent, init);
	proccache_fork(c, 11, 10, 300, 1000, 1000);
	cat = exec_(11, 10, 400, "/usr/bin/cat", "/home/u");
	ck_assert_ptr_eq(cat->parent, sh);
	ck_assert_str_eq(flags(cat), "execve clone");
	tetra_exec_id(id, sizeof(id), "node", 400, 11);
	ck_assert_str_eq(cat->exec_id, id);
	ck_assert_str_eq(cat->parent_exec_id, sh->exec_id);
	ck_assert_ptr_eq(proccache_get(c, 11), cat);
	ck_assert_uint_eq(proccache_count(c), 3);
	/* a second exec of the same process is not a clone any more */
	cat = exec_(11, 10, 500, "/usr/bin/less", "/home/u");
	ck_assert_str_eq(flags(cat), "execve");
	ck_assert_uint_eq(proccache_count(c), 3);
}
END_TEST

START_TEST(fork_copies_the_parent_image)
{
	struct proc *sh = exec_(10, 1, 200, "/bin/sh", "/");
	struct proc *child = proccache_fork(c, 20, 10, 250, 0, 7);

	ck_assert_str_eq(child->binary, "/bin/sh");
	ck_assert_str_eq(child->cwd, "/");
	ck_assert_str_eq(flags(child), "rootcwd clone");
	ck_assert_ptr_eq(child->parent, sh);
	ck_assert_uint_eq(child->auid, 7);
	ck_assert_str_ne(child->exec_id, sh->exec_id);
	/* unknown parent: a bare image, marked as such */
	child = proccache_fork(c, 30, 999, 260, 0, 0);
	ck_assert_ptr_null(child->binary);
	ck_assert_str_eq(flags(child), "miss clone");
}
END_TEST

START_TEST(parents_outlive_exec_and_exit)
{
	struct proc *sh = exec_(10, 1, 200, "/bin/sh", "/");
	char *sh_id = xstrdup(sh->exec_id);
	struct proc *child;

	proccache_fork(c, 20, 10, 250, 0, 0);
	child = exec_(20, 10, 260, "/usr/bin/sleep", "/");
	/* the parent execs something else, exits, is expired, its pid reused */
	exec_(10, 1, 300, "/usr/bin/python3", "/");
	proccache_exit(c, 10, 0);
	proccache_expire(c, 5000);
	exec_(10, 1, 400, "/usr/bin/unrelated", "/");
	child = proccache_get(c, 20);
	ck_assert_ptr_nonnull(child->parent);
	ck_assert_str_eq(child->parent->binary, "/bin/sh");
	ck_assert_str_eq(child->parent->exec_id, sh_id);
	free(sh_id);
}
END_TEST

START_TEST(exited_processes_linger_then_go)
{
	exec_(10, 1, 200, "/bin/sh", "/");
	ck_assert_ptr_nonnull(proccache_exit(c, 10, 10000));
	ck_assert_ptr_null(proccache_exit(c, 99, 10000));
	proccache_expire(c, 10500);
	ck_assert_ptr_nonnull(proccache_get(c, 10));
	ck_assert(proccache_get(c, 10)->exited);
	proccache_expire(c, 11000);
	ck_assert_ptr_null(proccache_get(c, 10));
	ck_assert_uint_eq(proccache_count(c), 0);
}
END_TEST

START_TEST(size_is_bounded_exited_first)
{
	proccache *small = proccache_new("n", 3, 60000);
	struct proc_exec_info in = { .binary = "/b", .cwd = "/" };

	for (uint32_t pid = 1; pid <= 3; pid++) {
		in.pid = pid;
		in.ktime = pid;
		proccache_exec(small, &in);
	}
	proccache_exit(small, 2, 0);
	in.pid = 4;
	proccache_exec(small, &in);
	ck_assert_uint_eq(proccache_count(small), 3);
	ck_assert_ptr_null(proccache_get(small, 2));    /* the exited one */
	in.pid = 5;
	proccache_exec(small, &in);
	ck_assert_uint_eq(proccache_count(small), 3);
	ck_assert_ptr_null(proccache_get(small, 1));    /* then the oldest */
	ck_assert_ptr_nonnull(proccache_get(small, 5));
	for (uint32_t pid = 100; pid < 5000; pid++) {   /* and stays so */
		in.pid = pid;
		proccache_exec(small, &in);
		if (pid % 2)
			proccache_exit(small, pid, pid);
	}
	ck_assert_uint_eq(proccache_count(small), 3);
	proccache_free(&small);
}
END_TEST

START_TEST(container_is_inherited_when_asked)
{
	struct proc_exec_info in = {
		.pid = 10, .ppid = 1, .ktime = 1, .binary = "/pause", .cwd = "/",
		.container_id = "containerd://19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4",
	};
	struct proc *p;

	proccache_exec(c, &in);
	in.pid = 11;
	in.ppid = 10;
	in.container_id = "";           /* unknown: as the parent */
	p = proccache_exec(c, &in);
	ck_assert_str_eq(p->container_id, "containerd://19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4");
	in.pid = 12;
	in.container_id = NULL;         /* known to be on the host */
	p = proccache_exec(c, &in);
	ck_assert_ptr_null(p->container_id);
}
END_TEST

START_TEST(flags_print_in_tetragon_order)
{
	char buf[128];

	proc_flags_string(PROC_F_CLONE | PROC_F_EXECVE | PROC_F_ROOTCWD, buf, sizeof(buf));
	ck_assert_str_eq(buf, "execve rootcwd clone");
	proc_flags_string(PROC_F_ROOTCWD | PROC_F_AUID | PROC_F_PROCFS, buf, sizeof(buf));
	ck_assert_str_eq(buf, "procFS auid rootcwd");
	proc_flags_string(PROC_F_EXECVE | PROC_F_TRUNC_ARGS, buf, sizeof(buf));
	ck_assert_str_eq(buf, "execve truncArgs");
	proc_flags_string(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	proc_flags_string(PROC_F_EXECVE | PROC_F_CLONE, buf, 8);   /* cut whole words */
	ck_assert_str_eq(buf, "execve");
}
END_TEST

/* A /proc tree made by hand: stat, status, loginuid, cmdline, exe, cwd. */
static void fake_proc(const char *root, unsigned pid, unsigned ppid, unsigned long long start,
		      const char *exe, const char *cmdline, size_t cmdlen, const char *cwd)
{
	char dir[512], path[600], text[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	mkdir(dir, 0755);
	snprintf(text, sizeof(text),
		 "%u (a b) c) S %u %u %u 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 %llu 1000 100\n",
		 pid, ppid, pid, pid, start);
	free(write_file(dir, "stat", text));
	free(write_file(dir, "status", "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"));
	free(write_file(dir, "loginuid", "1000"));
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	f = fopen(path, "w");
	fwrite(cmdline, 1, cmdlen, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/exe", dir);
	ck_assert_int_eq(symlink(exe, path), 0);
	snprintf(path, sizeof(path), "%s/cwd", dir);
	ck_assert_int_eq(symlink(cwd, path), 0);
}

static char *container_of(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid == 200 ? xstrdup("docker://6b742e38ee3a212239e6d48b2954435a407af44b9a354bdf540db22f460ab40e") : NULL;
}

START_TEST(seeded_from_proc)
{
	char *root = make_temp_dir();
	static const char cmd1[] = "/sbin/init\0splash\0";
	static const char cmd2[] = "bash\0-c\0sleep 100\0";
	long hz = sysconf(_SC_CLK_TCK);
	struct proc *p;
	char id[128];

	fake_proc(root, 1, 0, 5, "/usr/lib/systemd/systemd", cmd1, sizeof(cmd1) - 1, "/");
	fake_proc(root, 200, 1, 700, "/usr/bin/bash", cmd2, sizeof(cmd2) - 1, "/srv");
	free(write_file(root, "self", ""));     /* not a process */
	ck_assert_uint_eq(proccache_seed(c, root, 1000, container_of, NULL), 2);
	p = proccache_get(c, 200);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->binary, "/usr/bin/bash");
	ck_assert_str_eq(p->arguments, "-c \"sleep 100\"");
	ck_assert_str_eq(p->cwd, "/srv");
	ck_assert_str_eq(flags(p), "procFS auid");
	ck_assert_uint_eq(p->uid, 0);           /* the effective uid */
	ck_assert_uint_eq(p->auid, 1000);
	ck_assert_uint_eq(p->ppid, 1);
	ck_assert_uint_eq(p->ktime, 700ULL * (1000000000ULL / (unsigned long long)hz) - 1000);
	tetra_exec_id(id, sizeof(id), "node", p->ktime, 200);
	ck_assert_str_eq(p->exec_id, id);
	ck_assert_ptr_nonnull(p->parent);
	ck_assert_str_eq(p->parent->binary, "/usr/lib/systemd/systemd");
	ck_assert_str_eq(flags(p->parent), "procFS auid rootcwd");
	ck_assert_str_eq(p->container_id, "docker://6b742e38ee3a212239e6d48b2954435a407af44b9a354bdf540db22f460ab40e");
	/* known images are kept; a vanished pid reads as nothing */
	ck_assert_uint_eq(proccache_seed(c, root, 1000, NULL, NULL), 0);
	ck_assert_ptr_null(proccache_seed_one(c, root, 4242, 0, NULL, NULL));
	rm_rf(root);
	free(root);
}
END_TEST

Suite *proccache_suite(void)
{
	Suite *s = suite_create("proccache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exec_makes_a_new_image_with_its_parent);
	tcase_add_test(tc, fork_copies_the_parent_image);
	tcase_add_test(tc, parents_outlive_exec_and_exit);
	tcase_add_test(tc, exited_processes_linger_then_go);
	tcase_add_test(tc, size_is_bounded_exited_first);
	tcase_add_test(tc, container_is_inherited_when_asked);
	tcase_add_test(tc, flags_print_in_tetragon_order);
	tcase_add_test(tc, seeded_from_proc);
	suite_add_tcase(s, tc);
	return s;
}
