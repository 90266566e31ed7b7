/* End to end on this kernel: `bpfalert run` with the seed's TracingPolicy
 * (its /etc/passwd replaced by a copy in a temporary directory) and no
 * probes.files.watch; the seed's scenario — a write, a writable mmap and
 * a truncate of that file — must produce the events Tetragon emits for
 * the policy, so that a rule written against Tetragon's output alerts
 * unchanged, and nothing for the accesses the policy leaves out (a read,
 * a read-only mapping).  Tetragon's openat_write.yaml likewise: opens for
 * writing of the copy make its events, an open for reading nothing. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../tools/daemon_client.h"
#include "../tools/receiver_client.h"

#define POLICY_WAIT_MS 15000
/* trusted.*, not user.*: tmpfs (the test-kernels guests' /tmp) has user
 * extended attributes only since 6.6; the tests run as root. */
#define TEST_XATTR "trusted.bpfalert"

static char *dir, *file;
static bool watch_plain;         /* probes.files.watch: dir/plain too */
static struct receiver *rcv;
static struct daemon_proc *dmn;

/* A policy file of the test data on `path` instead of /etc/passwd. */
static char *policy_for(const char *rel, const char *path)
{
	char *seed = slurp(testdata_path(rel), NULL);
	ck_assert_ptr_nonnull(seed);
	char *out = xstrdup("");
	for (char *p = seed, *q;; p = q + strlen("/etc/passwd")) {
		q = strstr(p, "/etc/passwd");
		char *next = xasprintf("%s%.*s%s", out, q ? (int)(q - p) : (int)strlen(p), p,
				       q ? path : "");
		free(out);
		out = next;
		if (!q)
			break;
	}
	free(seed);
	return out;
}

/* Runs the daemon with the policy `rel` (on the copy of /etc/passwd),
 * followed by the documents of `more` (NULL: none), and one alert rule. */
static void setup_more(const char *rel, const char *more, const char *rule)
{
	dir = make_temp_dir();
	rcv = receiver_start(dir, "");
	ck_assert_ptr_nonnull(rcv);
	char *passwd = slurp("/etc/passwd", NULL);
	file = write_file(dir, "passwd", passwd);
	free(passwd);
	char *pdir = xasprintf("%s/policies.d", dir);
	mkdir(pdir, 0700);
	char *policy = policy_for(rel, file);
	char *plain = watch_plain ? write_file(dir, "plain", "x\n") : xstrdup("");
	if (more) {
		char *text = xstrdup(more), *at;
		while ((at = strstr(text, "/etc/passwd"))) {
			char *next = xasprintf("%.*s%s%s", (int)(at - text), text, file,
					       at + strlen("/etc/passwd"));
			free(text);
			text = next;
		}
		char *all = xasprintf("%s---\n%s", policy, text);
		free(policy);
		free(text);
		policy = all;
	}
	free(write_file(pdir, "policy.yaml", policy));
	char *url = receiver_url(rcv, "http", "/policy");
	char *conf = xasprintf(
		"state_dir = \"%s/state\";\n"
		"policies_dirs = [ \"%s\" ];\n"
		"metrics: { listen = \"\"; };\n"
		"probes: { files: { watch = [ %s%s%s ]; }; };\n"
		"targets: { hook: { type = \"webhook\"; endpoint = \"%s\"; send_resolved = false;\n"
		"                   repeat = { interval = \"1h\"; times = 1; }; }; };\n",
		dir, pdir, plain[0] ? "\"" : "", plain, plain[0] ? "\"" : "", url);
	free(plain);
	char *cpath = write_file(dir, "bpfalert.conf", conf);
	chmod(cpath, 0600);
	char *rdir = xasprintf("%s/rules.d", dir);
	mkdir(rdir, 0700);
	free(write_file(rdir, "policy.rules", rule));
	dmn = daemon_start_in(dir, cpath, rdir);
	free(rdir);
	free(cpath);
	free(conf);
	free(url);
	free(policy);
	free(pdir);
}

static void setup_with(const char *rel, const char *rule)
{
	setup_more(rel, NULL, rule);
}

/* Written against Tetragon's events for the seed's policy. */
static void setup(void)
{
	setup_with("seed/file-monitoring-filtered.yaml",
		"alerts = ( { name = \"passwd changed\";\n"
		"  message = \"{process_kprobe_function_name}|{process_kprobe_args_0_file_arg_path}"
		"{process_kprobe_args_0_path_arg_path}|{process_kprobe_args_1_int_arg}"
		"{process_kprobe_args_1_uint_arg}|{process_kprobe_return_int_arg}|"
		"{process_kprobe_action}|{process_kprobe_bpfalert_hook}|{process_kprobe_process_binary}\";\n"
		"  rule = \"process_kprobe_policy_name = \\\"file-monitoring-filtered\\\" and "
		"process_kprobe_function_name in (\\\"security_file_permission\\\", "
		"\\\"security_mmap_file\\\", \\\"security_path_truncate\\\")\";\n"
		"  group_by = [ \"process_kprobe_function_name\" ]; targets = [ \"hook\" ]; } );\n");
}

/* Tetragon's openat_write.yaml, and a rule on its events; and a file of
 * probes.files.watch (dir/plain), with a rule on its own events. */
static void setup_openat(void)
{
	watch_plain = true;
	setup_with("policies/openat_write.yaml",
		"alerts = ( { name = \"passwd opened for writing\";\n"
		"  message = \"{process_kprobe_function_name}|{process_kprobe_args_0_int_arg}|"
		"{process_kprobe_args_1_string_arg}|{process_kprobe_args_2_int_arg}|"
		"{process_kprobe_return_int_arg}|{process_kprobe_policy_name}|"
		"{process_kprobe_bpfalert_hook}|{process_kprobe_process_binary}\";\n"
		"  rule = \"process_kprobe_function_name = \\\"sys_openat\\\"\";\n"
		"  group_by = [ \"process_kprobe_args_2_int_arg\" ]; targets = [ \"hook\" ]; },\n"
		"  { name = \"plain\";\n"
		"  message = \"{process_kprobe_function_name}|{process_kprobe_args_0_file_arg_path}\";\n"
		"  rule = \"process_kprobe_args_0_file_arg_path exists\";\n"
		"  group_by = [ \"process_kprobe_function_name\" ]; targets = [ \"hook\" ]; } );\n");
	watch_plain = false;
}

/* Tetragon's hardlink-observe.yaml, with a rename, an unlink and a
 * setattr of the same file, and a rule on the events of both policies. */
static void setup_entries(void)
{
	setup_more("policies/hardlink-observe.yaml",
		"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: entries\n"
		"spec:\n  kprobes:\n  - call: security_path_rename\n    args:\n"
		"    - {index: 1, type: dentry}\n    - {index: 3, type: dentry}\n"
		"    selectors:\n    - matchArgs:\n      - {index: 1, operator: Equal, values: [\"/etc/passwd\"]}\n"
		"  - call: security_inode_unlink\n    args:\n    - {index: 1, type: dentry}\n"
		"    selectors:\n    - matchArgs:\n      - {index: 1, operator: Equal, values: [\"/etc/passwd\"]}\n"
		"  - call: security_inode_setattr\n    args:\n    - {index: 1, type: dentry}\n"
		"    selectors:\n    - matchArgs:\n      - {index: 1, operator: Equal, values: [\"/etc/passwd\"]}\n"
		"  - call: fd_install\n    args:\n    - {index: 0, type: int}\n    - {index: 1, type: file}\n"
		"    selectors:\n    - matchArgs:\n      - {index: 1, operator: Equal, values: [\"/etc/passwd\"]}\n",
		"alerts = ( { name = \"passwd entries\";\n"
		"  message = \"{process_kprobe_function_name}|{process_kprobe_args_0_int_arg}|"
		"{process_kprobe_args_1_string_arg}|{process_kprobe_args_2_int_arg}|"
		"{process_kprobe_args_3_string_arg}|{process_kprobe_args_4_int_arg}|"
		"{process_kprobe_args_0_path_arg_path}|{process_kprobe_args_1_path_arg_path}|"
		"{process_kprobe_args_1_file_arg_path}|"
		"{process_kprobe_policy_name}|{process_kprobe_bpfalert_hook}\";\n"
		"  rule = \"process_kprobe_policy_name in (\\\"sys-linkat-passwd\\\", \\\"entries\\\")\";\n"
		"  group_by = [ \"process_kprobe_function_name\" ]; targets = [ \"hook\" ]; } );\n");
}

/* links-xattrs.yaml: the xattr, link and rename hooks of the copy, and a
 * rule on their events (every path argument, the policy, the hook). */
static void setup_links_xattrs(void)
{
	setup_with("policies/links-xattrs.yaml",
		"alerts = ( { name = \"passwd links and xattrs\";\n"
		"  message = \"{process_kprobe_function_name}|{process_kprobe_args_0_path_arg_path}|"
		"{process_kprobe_args_0_path_arg_permission}|{process_kprobe_args_1_path_arg_path}|"
		"{process_kprobe_args_2_path_arg_path}|{process_kprobe_policy_name}|"
		"{process_kprobe_bpfalert_hook}\";\n"
		"  rule = \"process_kprobe_policy_name = \\\"links-xattrs\\\"\";\n"
		"  group_by = [ \"process_kprobe_function_name\" ]; targets = [ \"hook\" ]; } );\n");
}

/* Tetragon's symlink-observe.yaml and links.yaml (sys_link, sys_symlink),
 * and a rule on their events. */
static void setup_symlinks(void)
{
	char *more = slurp(testdata_path("policies/links.yaml"), NULL);
	ck_assert_ptr_nonnull(more);
	setup_more("policies/symlink-observe.yaml", more,
		"alerts = ( { name = \"passwd linked\";\n"
		"  message = \"{process_kprobe_function_name}|{process_kprobe_args_0_string_arg}|"
		"{process_kprobe_args_1_int_arg}|{process_kprobe_args_1_string_arg}|"
		"{process_kprobe_args_2_string_arg}|{process_kprobe_policy_name}|"
		"{process_kprobe_bpfalert_hook}\";\n"
		"  rule = \"process_kprobe_policy_name in (\\\"sys-symlink-passwd\\\", "
		"\\\"sys-link-passwd\\\")\";\n"
		"  group_by = [ \"process_kprobe_function_name\" ]; targets = [ \"hook\" ]; } );\n");
	free(more);
}

static void teardown(void)
{
	daemon_stop(&dmn, NULL);
	receiver_stop(&rcv);
	rm_rf(dir);
	free(dir);
	free(file);
}

static bool received(const char *needle)
{
	for (int waited = 0; waited < POLICY_WAIT_MS; waited += 100) {
		struct json_object *reqs = receiver_requests(rcv);
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(reqs) && !found; i++) {
			const char *b = request_str(json_object_array_get_idx(reqs, i), "body");
			found = b && strstr(b, needle);
		}
		json_object_put(reqs);
		if (found)
			return true;
		sleep_ms(100);
	}
	return false;
}

/* Every body received, for failure messages. */
static char *bodies(void)
{
	struct json_object *reqs = receiver_requests(rcv);
	char *all = xstrdup("");
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		const char *b = request_str(json_object_array_get_idx(reqs, i), "body");
		char *next = xasprintf("%s%s\n", all, b ? b : "");
		free(all);
		all = next;
	}
	json_object_put(reqs);
	return all;
}

/* Asserts that a body holding `want` (freed) arrives: an event of `what`. */
static void expect_received(char *want, const char *what)
{
	if (!received(want))
		fprintf(stderr, "received:\n%s", bodies());
	ck_assert_msg(received(want), "no %s event %s", what, want);
	free(want);
}

static size_t notifications(void)
{
	return receiver_count(rcv);
}

static void run(const char *cmd)
{
	ck_assert_int_eq(system(cmd), 0);
}

#if defined(__aarch64__)
#define SYS_PREFIX "__arm64_sys_"
#else
#define SYS_PREFIX "__x64_sys_"
#endif

/* The hook that saw an access (bpfalert_hook): the system call on the
 * tracepoint path, the security_* function on the others (make
 * test-kernels forces each), as the daemon's log says. */
static const char *hook_seen(const char *syscall, const char *security)
{
	char *log = slurp(dmn->log, NULL);
	bool tp = log && strstr(log, "probe: files via tracepoint");

	free(log);
	return tp ? syscall : security;
}

START_TEST(seed_scenario_makes_tetragons_events)
{
	char *cmd = xasprintf(
		"cat %1$s > /dev/null; "
		"python3 -c 'import mmap; f = open(\"%1$s\", \"rb\"); "
		"mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ).close()'", file);
	run(cmd);   /* a read and a read-only mapping: nothing */
	free(cmd);
	sleep_ms(1000);
	ck_assert_uint_eq(notifications(), 0);
	cmd = xasprintf(
		"echo x >> %1$s; "
		"python3 -c 'import mmap, os; f = open(\"%1$s\", \"r+b\"); "
		"mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE).close(); "
		"f.close(); os.truncate(\"%1$s\", 0)'", file);
	run(cmd);
	free(cmd);
	/* Placeholders of the other calls' argument types stay as written
	 * (Parseable's behaviour). */
	expect_received(xasprintf("\"message\":\"security_file_permission|%s"
				  "{process_kprobe_args_0_path_arg_path}|2{process_kprobe_args_1_uint_arg}|"
				  "0|KPROBE_ACTION_POST|%s|/bin/sh\"", file,
				  hook_seen(SYS_PREFIX "write", "security_file_permission")), "write");
	/* prot: PROT_READ | PROT_WRITE */
	expect_received(xasprintf("\"message\":\"security_mmap_file|%s"
				  "{process_kprobe_args_0_path_arg_path}|{process_kprobe_args_1_int_arg}3|0|"
				  "KPROBE_ACTION_POST|%s|", file,
				  hook_seen(SYS_PREFIX "mmap", "security_mmap_file")), "mmap");
	expect_received(xasprintf("\"message\":\"security_path_truncate|"
				  "{process_kprobe_args_0_file_arg_path}%s|"
				  "{process_kprobe_args_1_int_arg}{process_kprobe_args_1_uint_arg}|0|"
				  "KPROBE_ACTION_POST|%s|", file,
				  hook_seen(SYS_PREFIX "truncate", "security_path_truncate")), "truncate");
	sleep_ms(500);
	ck_assert_uint_eq(notifications(), 3);
}
END_TEST

/* The policy has the security_* paths load the open exits: the file of
 * probes.files.watch opened for writing and written is one event there,
 * the write at the security hook, as without policies (no open of its
 * own).  On the tracepoint path the open and the write are an event each
 * (a policy keeps opens apart from reads and writes). */
static void plain_watch_opens_are_no_events_of_their_own(void)
{
	size_t before = notifications();
	char *plain = xasprintf("%s/plain", dir);
	char *cmd = xasprintf("python3 -c 'import os\n"
			      "fd = os.open(\"%s\", os.O_WRONLY); os.write(fd, b\"y\"); os.close(fd)'",
			      plain);
	run(cmd);
	free(cmd);
	const char *write = hook_seen(SYS_PREFIX "write", "security_file_permission");
	expect_received(xasprintf("\"message\":\"%s|%s\"", write, plain), "write");
	bool tp = !strcmp(write, SYS_PREFIX "write");
	if (tp)
		expect_received(xasprintf("\"message\":\"" SYS_PREFIX "openat|%s\"", plain), "open");
	sleep_ms(1000);
	ck_assert_uint_eq(notifications(), before + (tp ? 2 : 1));
	free(plain);
}

/* An open for reading: nothing; for writing, then read and write: the
 * event Tetragon emits for the policy, flags O_WRONLY then O_RDWR; then
 * the plainly watched file. */
START_TEST(openat_write_makes_tetragons_events)
{
	char *cmd = xasprintf("python3 -c 'import os; os.close(os.open(\"%s\", os.O_RDONLY))'",
			      file);
	run(cmd);
	free(cmd);
	sleep_ms(1000);
	ck_assert_uint_eq(notifications(), 0);
	cmd = xasprintf("python3 -c 'import os\n"
			"for f in (os.O_WRONLY, os.O_RDWR):\n"
			"    fd = os.open(\"%s\", f); print(fd); os.close(fd)'", file);
	int st;
	char *fds = run_capture(cmd, &st);
	free(cmd);
	ck_assert_ptr_nonnull(fds);
	ck_assert_int_eq(st, 0);
	char *p = fds;
	for (int flags = 1; flags <= 2; flags++) {
		long fd = strtol(p, &p, 10);
		ck_assert_int_gt(fd, 0);
		expect_received(xasprintf("\"message\":\"sys_openat|-100|%s|%d|%ld|sys-openat|"
					  "__x64_sys_openat|", file, flags, fd), "open");
	}
	free(fds);
	sleep_ms(500);
	ck_assert_uint_eq(notifications(), 2);
	plain_watch_opens_are_no_events_of_their_own();
}
END_TEST

/* An open of path for writing (flags 1) or reading and writing (2). */
static void open_for_writing(const char *path, int flags)
{
	char *cmd = xasprintf("python3 -c 'import os; os.close(os.open(\"%s\", %s))'", path,
			      flags == 1 ? "os.O_WRONLY" : "os.O_RDWR");
	run(cmd);
	free(cmd);
}

/* SIGHUP reloads the policies: the new file's watch replaces the old one;
 * a policy file with an error fails the reload and the running policies
 * stay. */
START_TEST(policies_reload_on_sighup)
{
	char *passwd = slurp("/etc/passwd", NULL);
	char *file2 = write_file(dir, "passwd2", passwd);
	free(passwd);
	char *pdir = xasprintf("%s/policies.d", dir);
	char *policy = policy_for("policies/openat_write.yaml", file2);
	free(write_file(pdir, "policy.yaml", policy));
	kill(dmn->pid, SIGHUP);
	ck_assert(wait_notify(dmn, "READY=1"));
	open_for_writing(file, 1);
	sleep_ms(1000);
	ck_assert_uint_eq(notifications(), 0);
	open_for_writing(file2, 1);
	expect_received(xasprintf("\"message\":\"sys_openat|-100|%s|1|", file2), "open");

	free(write_file(pdir, "broken.yaml", "kind: TracingPolicy\nspec: [\n"));
	kill(dmn->pid, SIGHUP);
	ck_assert(wait_notify(dmn, "READY=1"));
	char *log = slurp(dmn->log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "reload: 1 error in TracingPolicy files"));
	free(log);
	open_for_writing(file2, 2);
	expect_received(xasprintf("\"message\":\"sys_openat|-100|%s|2|", file2),
			"open (after the failed reload)");
	sleep_ms(500);
	ck_assert_uint_eq(notifications(), 2);
	free(policy);
	free(pdir);
	free(file2);
}
END_TEST


/* The hook the daemon's file probe attaches to, from its log. */
static char *daemon_files_hook(void)
{
	char *log = slurp(dmn->log, NULL);
	const char *via = log ? strstr(log, "probe: files via ") : NULL;
	ck_assert_msg(via, "no files hook in the log:\n%s", log ? log : "");
	via += strlen("probe: files via ");
	char *hook = xstrndup(via, strcspn(via, "\n"));
	free(log);
	return hook;
}

/* `check` names the hook the daemon's probes use (found by probing, not
 * by loading), unless the daemon stepped down from it after a failed
 * load, which it logs. */
static void check_names_the_daemons_hook(const char *hook)
{
	char *cmd = xasprintf("'%s' check -c '%s/bpfalert.conf' -r '%s/rules.d' 2>&1",
			      bpfalert_bin(), dir, dir);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(st == 0, "check exited %d:\n%s", st, out);
	const char *at = strstr(out, "this kernel: the file probe attaches to ");
	ck_assert_msg(at, "check names no hook:\n%s", out);
	at += strlen("this kernel: the file probe attaches to ");
	char *planned = xstrndup(at, strcspn(at, "\n"));
	char *log = slurp(dmn->log, NULL);
	char *stepped = xasprintf("probe: files: %s not used", planned);
	ck_assert_msg(!strcmp(planned, hook) || strstr(log, stepped),
		      "check says %s, the daemon uses %s", planned, hook);
	free(stepped);
	free(log);
	free(planned);
	free(out);
	free(cmd);
}

/* A chmod of the watched copy: security_inode_setattr; a read of it:
 * fd_install with the descriptor (where the probes see opens); a hard link
 * of it: the event Tetragon emits for hardlink-observe.yaml (the names
 * absolute, the dfds AT_FDCWD, flags 0); renaming it away and back and
 * removing it: security_path_rename and security_inode_unlink with the
 * file as their dentry.  A link of another file named passwd: nothing.
 * And `check` names the hook the daemon's probes attach to. */
START_TEST(setattr_link_rename_unlink_make_tetragons_events)
{
	char *cmd = xasprintf("cd %1$s && mkdir -p other && echo x > other/passwd && "
			      "ln other/passwd other/l && sleep 1", dir);
	run(cmd);
	free(cmd);
	ck_assert_uint_eq(notifications(), 0);
	char *hook = daemon_files_hook();
	check_names_the_daemons_hook(hook);
	const char *others = "{process_kprobe_args_0_int_arg}|{process_kprobe_args_1_string_arg}|"
			     "{process_kprobe_args_2_int_arg}|{process_kprobe_args_3_string_arg}|"
			     "{process_kprobe_args_4_int_arg}";
	const char *unset = "{process_kprobe_args_1_path_arg_path}|"
			    "{process_kprobe_args_1_file_arg_path}";
	/* a chmod is resolved by name after the fact: its event is awaited
	 * before the file is renamed and removed */
	cmd = xasprintf("cd %s && chmod 600 passwd", dir);
	run(cmd);
	free(cmd);
	expect_received(xasprintf("\"message\":\"security_inode_setattr|%s|%s|%s|entries|", others,
				  file, unset), "setattr");
	/* the opens' descriptors, from the open exits on every hook path */
	cmd = xasprintf("cd %s && cat passwd > /dev/null", dir);
	run(cmd);
	free(cmd);
	expect_received(xstrdup("\"message\":\"fd_install|"), "fd_install");
	expect_received(xasprintf("|{process_kprobe_args_4_int_arg}|"
				  "{process_kprobe_args_0_path_arg_path}|"
				  "{process_kprobe_args_1_path_arg_path}|%s|entries|", file),
			"fd_install");
	cmd = xasprintf("cd %s && ln passwd l2 && mv passwd p.new && mv p.new passwd && rm passwd",
			dir);
	run(cmd);
	free(cmd);
	expect_received(xasprintf("\"message\":\"__x64_sys_linkat|-100|%1$s|-100|%2$s/l2|0|"
				  "{process_kprobe_args_0_path_arg_path}|"
				  "{process_kprobe_args_1_path_arg_path}|"
				  "{process_kprobe_args_1_file_arg_path}|sys-linkat-passwd|", file, dir),
			"link");
	expect_received(xasprintf("\"message\":\"security_path_rename|%s|%s|%s/p.new|"
				  "{process_kprobe_args_1_file_arg_path}|entries|", others,
				  file, dir), "rename");
	expect_received(xasprintf("\"message\":\"security_inode_unlink|%s|%s|%s|entries|", others,
				  file, unset), "unlink");
	sleep_ms(500);
	ck_assert_uint_eq(notifications(), 5);
	free(hook);
}
END_TEST

/* setxattr(2) and removexattr(2) of the watched copy, link(2) of it and
 * rename(2) of it away and back, each made by this process with the
 * system call itself: the events Tetragon emits for links-xattrs.yaml
 * (dentries and paths as path_arg, the file's permission on the watched
 * file, the nop arguments left out).  A link of another file: nothing. */
START_TEST(xattrs_links_renames_make_tetragons_events)
{
	char *other = xasprintf("%s/other", dir), *olink = xasprintf("%s/olink", dir);
	free(write_file(dir, "other", "x\n"));
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert_int_eq(syscall(SYS_link, other, olink), 0);
	sleep_ms(1000);
	ck_assert_uint_eq(notifications(), 0);
	bool tp = !strcmp(hook_seen("tp", "lsm"), "tp");
	ck_assert_int_eq(setxattr(file, TEST_XATTR, "1", 1, 0), 0);
	expect_received(xasprintf("\"message\":\"security_inode_setxattr|%s|-rw-r--r--|"
				  "{process_kprobe_args_1_path_arg_path}|"
				  "{process_kprobe_args_2_path_arg_path}|links-xattrs|%s\"", file,
				  tp ? SYS_PREFIX "setxattr" : "security_inode_setxattr"), "setxattr");
	ck_assert_int_eq(removexattr(file, TEST_XATTR), 0);
	expect_received(xasprintf("\"message\":\"security_inode_removexattr|%s|-rw-r--r--|"
				  "{process_kprobe_args_1_path_arg_path}|"
				  "{process_kprobe_args_2_path_arg_path}|links-xattrs|%s\"", file,
				  tp ? SYS_PREFIX "removexattr" : "security_inode_removexattr"),
			"removexattr");
	char *l2 = xasprintf("%s/l2", dir), *moved = xasprintf("%s/p.new", dir);
	ck_assert_int_eq(syscall(SYS_link, file, l2), 0);
	expect_received(xasprintf("\"message\":\"security_path_link|%1$s|-rw-r--r--|%2$s|"
				  "%2$s/l2|links-xattrs|" SYS_PREFIX "link\"", file, dir), "path_link");
	expect_received(xasprintf("\"message\":\"security_inode_link|%1$s|-rw-r--r--|%2$s/l2|"
				  "{process_kprobe_args_2_path_arg_path}|links-xattrs|"
				  SYS_PREFIX "link\"", file, dir), "inode_link");
	ck_assert_int_eq(syscall(SYS_rename, file, moved), 0);
	ck_assert_int_eq(syscall(SYS_rename, moved, file), 0);
	expect_received(xasprintf("\"message\":\"security_inode_rename|%s|-rw-r--r--|%s|"
				  "{process_kprobe_args_2_path_arg_path}|links-xattrs|"
				  SYS_PREFIX "rename\"", file, moved), "rename");
	sleep_ms(500);
	ck_assert_uint_eq(notifications(), 5);
	free(moved);
	free(l2);
	free(olink);
	free(other);
}
END_TEST

/* symlinkat(2), symlink(2) and link(2) of the watched copy, made by this
 * process with the system calls themselves: the events Tetragon emits for
 * symlink-observe.yaml and links.yaml (the target as written, the new
 * name absolute, newdfd AT_FDCWD).  A symbolic link to another file, and
 * one to the copy by a relative target: nothing (the policies compare
 * the target as written, as Tetragon's do). */
START_TEST(symlinks_and_links_make_tetragons_events)
{
	char *other = xasprintf("%s/other", dir), *rel = xasprintf("%s/rel", dir);
	char *s1 = xasprintf("%s/s1", dir), *s2 = xasprintf("%s/s2", dir);
	char *l1 = xasprintf("%s/l1", dir), *o1 = xasprintf("%s/o1", dir);
	free(write_file(dir, "other", "x\n"));
	ck_assert_int_eq(syscall(SYS_symlinkat, other, AT_FDCWD, o1), 0);
	ck_assert_int_eq(syscall(SYS_symlinkat, "passwd", AT_FDCWD, rel), 0);
	sleep_ms(1000);
	ck_assert_uint_eq(notifications(), 0);
	ck_assert_int_eq(syscall(SYS_symlinkat, file, AT_FDCWD, s1), 0);
	expect_received(xasprintf("\"message\":\"sys_symlinkat|%s|-100|"
				  "{process_kprobe_args_1_string_arg}|%s|sys-symlink-passwd|"
				  SYS_PREFIX "symlinkat\"", file, s1), "symlinkat");
#ifdef SYS_symlink
	ck_assert_int_eq(syscall(SYS_symlink, file, s2), 0);
	expect_received(xasprintf("\"message\":\"sys_symlink|%s|"
				  "{process_kprobe_args_1_int_arg}|%s|"
				  "{process_kprobe_args_2_string_arg}|sys-link-passwd|"
				  SYS_PREFIX "symlink\"", file, s2), "symlink");
	ck_assert_int_eq(syscall(SYS_link, file, l1), 0);
	expect_received(xasprintf("\"message\":\"sys_link|%s|"
				  "{process_kprobe_args_1_int_arg}|%s|"
				  "{process_kprobe_args_2_string_arg}|sys-link-passwd|"
				  SYS_PREFIX "link\"", file, l1), "link");
#endif
	sleep_ms(500);
#ifdef SYS_symlink
	ck_assert_uint_eq(notifications(), 3);
#else
	ck_assert_uint_eq(notifications(), 1);
#endif
	free(o1);
	free(l1);
	free(s2);
	free(s1);
	free(rel);
	free(other);
}
END_TEST

/* A test case of the suite whose tests run a daemon set up by `start`. */
static TCase *daemon_case(Suite *s, const char *name, SFun start)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, start, teardown);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return tc;
}

Suite *policy_probes_suite(void)
{
	Suite *s = suite_create("policy_probes");
	tcase_add_test(daemon_case(s, "bpf", setup), seed_scenario_makes_tetragons_events);
	TCase *tc = daemon_case(s, "openat", setup_openat);
	tcase_add_test(tc, openat_write_makes_tetragons_events);
	tcase_add_test(tc, policies_reload_on_sighup);
	tcase_add_test(daemon_case(s, "entries", setup_entries),
		       setattr_link_rename_unlink_make_tetragons_events);
	tcase_add_test(daemon_case(s, "links_xattrs", setup_links_xattrs),
		       xattrs_links_renames_make_tetragons_events);
	tcase_add_test(daemon_case(s, "symlinks", setup_symlinks),
		       symlinks_and_links_make_tetragons_events);
	return s;
}
