/* Tetragon's schema conventions for the probes' events: exec_id, argument
 * joining, signal names, permissions, paths, function names and the
 * `process` object. */
#include <check.h>
#include <json-c/json.h>

#include "evtree.h"
#include "filemode.h"
#include <stdlib.h>
#include <string.h>

#include "podmeta.h"
#include "proccache.h"
#include "tetra.h"
#include "testutil.h"
#include "xalloc.h"

/* exec ids of real Tetragon events (tests/data/tetragon/events.jsonl). */
START_TEST(exec_id_is_base64_of_node_ktime_pid)
{
	char id[128];
	size_t n = tetra_exec_id(id, sizeof(id), "kind-control-plane", 11428615636901ULL, 51583);

	ck_assert_str_eq(id, "a2luZC1jb250cm9sLXBsYW5lOjExNDI4NjE1NjM2OTAxOjUxNTgz");
	ck_assert_uint_eq(n, strlen(id));
	tetra_exec_id(id, sizeof(id), "kind-control-plane", 9079225623269ULL, 43872);
	ck_assert_str_eq(id, "a2luZC1jb250cm9sLXBsYW5lOjkwNzkyMjU2MjMyNjk6NDM4NzI=");
	tetra_exec_id(id, sizeof(id), "minikube", 3349766462822ULL, 38313);
	ck_assert_str_eq(id, "bWluaWt1YmU6MzM0OTc2NjQ2MjgyMjozODMxMw==");
}
END_TEST

START_TEST(exec_id_reports_length_when_buffer_is_short)
{
	char small[8];
	size_t n = tetra_exec_id(small, sizeof(small), "minikube", 3349766462822ULL, 38313);

	ck_assert_uint_eq(n, strlen("bWluaWt1YmU6MzM0OTc2NjQ2MjgyMjozODMxMw=="));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(!strncmp(small, "bWluaWt", 7));
}
END_TEST

static char *join(const char *block, size_t len)
{
	return tetra_args_join(block, len);
}

#define JOIN_EQ(lit, want)                                                     \
	do {                                                                   \
		char *got = join(lit, sizeof(lit) - 1);                        \
		ck_assert_str_eq(got, want);                                   \
		free(got);                                                     \
	} while (0)

START_TEST(arguments_are_joined_as_tetragon_does)
{
	JOIN_EQ("", "");
	JOIN_EQ("--version", "--version");
	JOIN_EQ("-D\0", "-D");
	JOIN_EQ("a\0b\0c\0\0\0", "a b c");
	/* quoted when holding a space, always after a space (as Tetragon) */
	JOIN_EQ("-c\0curl https://ebpf.io/applications/#tetragon\0",
		"-c \"curl https://ebpf.io/applications/#tetragon\"");
	JOIN_EQ("hello world\0x", " \"hello world\" x");
	/* empty arguments keep their separator once something came before */
	JOIN_EQ("a\0\0b", "a  b");
	JOIN_EQ("\0a", "a");
}
END_TEST

START_TEST(argv_block_skips_argv0)
{
	static const char argv[] = "/usr/bin/cat\0/etc/passwd\0";
	char *a = tetra_args_from_argv(argv, sizeof(argv) - 1);

	ck_assert_str_eq(a, "/etc/passwd");
	free(a);
	a = tetra_args_from_argv("cat", 3);     /* cut inside argv[0] */
	ck_assert_str_eq(a, "");
	free(a);
	a = tetra_args_from_argv("cat\0", 4);
	ck_assert_str_eq(a, "");
	free(a);
	/* cut inside an argument: what arrived is kept */
	a = tetra_args_from_argv("ls\0-l\0/et", 9);
	ck_assert_str_eq(a, "-l /et");
	free(a);
}
END_TEST

START_TEST(signal_names)
{
	ck_assert_str_eq(tetra_signal_name(9), "SIGKILL");
	ck_assert_str_eq(tetra_signal_name(15), "SIGTERM");
	ck_assert_str_eq(tetra_signal_name(11), "SIGSEGV");
	ck_assert_str_eq(tetra_signal_name(31), "SIGSYS");
	ck_assert_ptr_null(tetra_signal_name(0));
	ck_assert_ptr_null(tetra_signal_name(64));
	ck_assert_ptr_null(tetra_signal_name(-1));
}
END_TEST

START_TEST(permissions_read_like_ls)
{
	char p[11];

	filemode_string(0100644, p);
	ck_assert_str_eq(p, "-rw-r--r--");
	filemode_string(0100640, p);
	ck_assert_str_eq(p, "-rw-r-----");
	filemode_string(040755, p);
	ck_assert_str_eq(p, "drwxr-xr-x");
	filemode_string(0104755, p);
	ck_assert_str_eq(p, "-rwsr-xr-x");
	filemode_string(041777, p);
	ck_assert_str_eq(p, "drwxrwxrwt");
	filemode_string(0120777, p);
	ck_assert_str_eq(p, "lrwxrwxrwx");
}
END_TEST

START_TEST(paths_come_leaf_first)
{
	static const char etc_passwd[] = "passwd\0etc\0";
	static const char deep[] = "f\0c\0b\0a\0";
	char *p = tetra_path_from_components(etc_passwd, sizeof(etc_passwd) - 1);

	ck_assert_str_eq(p, "/etc/passwd");
	free(p);
	p = tetra_path_from_components(deep, sizeof(deep) - 1);
	ck_assert_str_eq(p, "/a/b/c/f");
	free(p);
	p = tetra_path_from_components("", 0);
	ck_assert_str_eq(p, "/");
	free(p);
	p = tetra_path_from_components("x", 1);      /* no final NUL */
	ck_assert_str_eq(p, "/x");
	free(p);
}
END_TEST

START_TEST(function_names)
{
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_SECURITY_FILE_PERMISSION),
			 "security_file_permission");
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_TCP_CONNECT), "tcp_connect");
#if defined(__aarch64__)
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_SYS_OPENAT), "__arm64_sys_openat");
#else
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_SYS_OPENAT), "__x64_sys_openat");
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_SYS_READ), "__x64_sys_read");
#endif
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_NONE), "unknown");
	ck_assert_str_eq(tetra_hook_name(PROBE_HOOK_MAX), "unknown");
	for (int h = 1; h < PROBE_HOOK_MAX; h++)
		ck_assert_str_ne(tetra_hook_name(h), "unknown");
}
END_TEST

START_TEST(strings_are_made_valid_utf8)
{
	struct json_object *o = tetra_string("caf\xc3\xa9", 5);

	ck_assert_str_eq(json_object_get_string(o), "caf\xc3\xa9");
	json_object_put(o);
	o = tetra_string("a\xff" "b\xc3", 4);
	ck_assert_str_eq(json_object_get_string(o), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
	json_object_put(o);
}
END_TEST

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

START_TEST(process_object_has_tetragon_fields)
{
	proccache *c = proccache_new("kind-control-plane", 0, 1000);
	struct proc_exec_info parent = {
		.pid = 43872, .ppid = 1, .uid = 0, .auid = 4294967295U,
		.ktime = 9079225623269ULL, .binary = "/bin/bash", .cwd = "/",
	};
	struct proc_exec_info child = {
		.pid = 51583, .ppid = 43872, .uid = 0, .auid = 4294967295U,
		.ktime = 11428615636901ULL, .binary = "/usr/bin/whoami",
		.arguments = "--version", .cwd = "/",
		.container_id = "containerd://1fb931d2f6e5e4cfdbaf30fdb8e2fdd81320bdb3047ded50120a4f82838209ce",
	};
	struct pod_info pod = { "default", "xwing", "spaceship" };
	struct json_object *o, *v, *podo, *ctr;
	struct proc *p;

	proccache_fork(c, 43872, 1, 9000000000000ULL, 0, 4294967295U);
	proccache_exec(c, &parent);
	proccache_fork(c, 51583, 43872, 11428615000000ULL, 0, 4294967295U);
	p = proccache_exec(c, &child);
	o = tetra_process(p, 0, &pod, 1652273685615000000LL - 11428615636901LL);
	ck_assert_str_eq(str(o, "exec_id"), "a2luZC1jb250cm9sLXBsYW5lOjExNDI4NjE1NjM2OTAxOjUxNTgz");
	ck_assert_str_eq(str(o, "parent_exec_id"), "a2luZC1jb250cm9sLXBsYW5lOjkwNzkyMjU2MjMyNjk6NDM4NzI=");
	ck_assert_str_eq(str(o, "binary"), "/usr/bin/whoami");
	ck_assert_str_eq(str(o, "arguments"), "--version");
	ck_assert_str_eq(str(o, "cwd"), "/");
	ck_assert_str_eq(str(o, "flags"), "execve rootcwd clone");
	ck_assert_str_eq(str(o, "start_time"), "2022-05-11T12:54:45.615Z");
	ck_assert_str_eq(str(o, "docker"), "1fb931d2f6e5e4cfdbaf30fdb8e2fdd");
	ck_assert(json_object_object_get_ex(o, "pid", &v));
	ck_assert_int_eq(json_object_get_int64(v), 51583);
	ck_assert(json_object_object_get_ex(o, "uid", &v));    /* 0, yet present */
	ck_assert_int_eq(json_object_get_int64(v), 0);
	ck_assert(json_object_object_get_ex(o, "auid", &v));
	ck_assert_int_eq(json_object_get_int64(v), 4294967295LL);
	ck_assert(json_object_object_get_ex(o, "tid", &v));
	ck_assert_int_eq(json_object_get_int64(v), 51583);
	ck_assert(json_object_object_get_ex(o, "pod", &podo));
	ck_assert_str_eq(str(podo, "namespace"), "default");
	ck_assert_str_eq(str(podo, "name"), "xwing");
	ck_assert(json_object_object_get_ex(podo, "container", &ctr));
	ck_assert_str_eq(str(ctr, "id"), child.container_id);
	ck_assert_str_eq(str(ctr, "name"), "spaceship");
	json_object_put(o);

	/* zero values are left out; a thread's tid is its own */
	p = proccache_miss(c, 77, 0, 1000, 1000, 0);
	o = tetra_process(p, 78, NULL, 0);
	ck_assert_ptr_null(str(o, "binary"));
	ck_assert_ptr_null(str(o, "arguments"));
	ck_assert_ptr_null(str(o, "start_time"));
	ck_assert_ptr_null(str(o, "pod"));
	ck_assert_ptr_null(str(o, "docker"));
	ck_assert_ptr_null(str(o, "parent_exec_id"));
	ck_assert_str_eq(str(o, "flags"), "miss");
	ck_assert_str_eq(str(o, "tid"), "78");
	json_object_put(o);
	proccache_free(&c);
}
END_TEST

START_TEST(event_wraps_kind_node_and_time)
{
	evtree *t = evtree_new();
	struct json_object *e;

	tetra_event_begin(t, "process_kprobe");  /* cleared by the next one */
	tetra_event_begin(t, "process_exit");
	tetra_event_end(t, "node-1", 1652273685616000000LL);
	e = evtree_json(t, EVTREE_ROOT);
	ck_assert_str_eq(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN),
			 "{\"process_exit\":{},\"node_name\":\"node-1\","
			 "\"time\":\"2022-05-11T12:54:45.616Z\"}");
	json_object_put(e);
	evtree_free(&t);
}
END_TEST

START_TEST(file_access_and_connect_bodies)
{
	evtree *t = evtree_new();
	struct tetra_sock sk = { .family = "AF_INET", .saddr = "10.0.0.1",
				 .daddr = "10.0.0.2", .dport = 443 };
	struct json_object *e;
	int body = tetra_event_begin(t, "process_kprobe");

	tetra_add_file_access(t, body, "security_file_permission", "/etc/pa\xffwd",
			      NULL, 0100644, 4, 0);
	e = evtree_json(t, EVTREE_ROOT);
	ck_assert_str_eq(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
			 "{\"process_kprobe\":{\"function_name\":\"security_file_permission\","
			 "\"args\":[{\"file_arg\":{\"path\":\"/etc/pa\xef\xbf\xbdwd\","
			 "\"permission\":\"-rw-r--r--\"}},{\"int_arg\":4}],"
			 "\"action\":\"KPROBE_ACTION_POST\"}}");
	json_object_put(e);
	body = tetra_event_begin(t, "process_kprobe");
	tetra_add_connect(t, body, &sk);
	e = evtree_json(t, EVTREE_ROOT);
	ck_assert_str_eq(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN),
			 "{\"process_kprobe\":{\"function_name\":\"tcp_connect\",\"args\":"
			 "[{\"sock_arg\":{\"family\":\"AF_INET\",\"type\":\"SOCK_STREAM\","
			 "\"protocol\":\"IPPROTO_TCP\",\"saddr\":\"10.0.0.1\",\"daddr\":"
			 "\"10.0.0.2\",\"dport\":443,\"state\":\"TCP_SYN_SENT\"}}],"
			 "\"action\":\"KPROBE_ACTION_POST\"}}");
	json_object_put(e);
	evtree_free(&t);
}
END_TEST

Suite *tetra_suite(void)
{
	Suite *s = suite_create("tetra");
	TCase *tc = tcase_create("schema");

	tcase_add_test(tc, exec_id_is_base64_of_node_ktime_pid);
	tcase_add_test(tc, exec_id_reports_length_when_buffer_is_short);
	tcase_add_test(tc, arguments_are_joined_as_tetragon_does);
	tcase_add_test(tc, argv_block_skips_argv0);
	tcase_add_test(tc, signal_names);
	tcase_add_test(tc, file_access_and_connect_bodies);
	tcase_add_test(tc, permissions_read_like_ls);
	tcase_add_test(tc, paths_come_leaf_first);
	tcase_add_test(tc, function_names);
	tcase_add_test(tc, strings_are_made_valid_utf8);
	tcase_add_test(tc, process_object_has_tetragon_fields);
	tcase_add_test(tc, event_wraps_kind_node_and_time);
	suite_add_tcase(s, tc);
	return s;
}
