/* End to end on this kernel: `bpfalert run` with its own probes and webhook
 * targets at the tests' local receiver; commands run on the host must alert
 * with the resolved path, the access mask and the process that did it, and
 * the seed's four Parseable alerts must fire on the seed's commands. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tools/daemon_client.h"
#include "../tools/receiver_client.h"

static char *dir;
static struct receiver *rcv;
static struct daemon_proc *dmn;
static char *watched;

/* The seed's file with its webhook pointed at the receiver. */
static char *seed_copy(const char *url)
{
	char *seed = slurp(testdata_path("seed/tetrademo.json"), NULL);
	const char *old = "https://webhook.site/4398aceb-376c-44aa-8c26-d378c5053cc5";
	size_t n = 0;
	for (char *p = seed; (p = strstr(p, old)); p += strlen(old))
		n++;
	ck_assert_uint_eq(n, 4);
	char *out = xcalloc(strlen(seed) + n * strlen(url) + 1, 1);
	char *w = out;
	for (char *p = seed, *q; (q = strstr(p, old)); p = q + strlen(old)) {
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		w = stpcpy(w, url);
		if (!strstr(q + strlen(old), old))
			strcpy(w, q + strlen(old));
	}
	free(seed);
	return out;
}

static void setup(void)
{
	dir = make_temp_dir();
	rcv = receiver_start(dir, "");
	ck_assert_ptr_nonnull(rcv);
	watched = write_file(dir, "watched.txt", "secret\n");
	char *files_url = receiver_url(rcv, "http", "/files");
	char *seed_url = receiver_url(rcv, "http", "/seed");
	char *conf = xasprintf(
		"state_dir = \"%s/state\";\n"
		"metrics: { listen = \"\"; };\n"
		"probes: { files: { watch = [ \"/etc/passwd\", \"/etc/shadow\", \"/etc/group\",\n"
		"                             \"/etc/gshadow\", \"%s\" ]; }; };\n"
		"targets: { files: { type = \"webhook\"; endpoint = \"%s\"; send_resolved = false;\n"
		"                    repeat = { interval = \"1h\"; times = 1; }; }; };\n",
		dir, watched, files_url);
	char *cpath = write_file(dir, "bpfalert.conf", conf);
	chmod(cpath, 0600);
	char *rdir = xasprintf("%s/rules.d", dir);
	mkdir(rdir, 0700);
	char *seed = seed_copy(seed_url);
	free(write_file(rdir, "tetrademo.json", seed));
	free(write_file(rdir, "files.rules",
		"alerts = ( { name = \"watched file\";\n"
		"  message = \"{process_kprobe_process_binary}|{process_kprobe_process_arguments}|"
		"{process_kprobe_args_0_file_arg_path}|{process_kprobe_args_1_int_arg}|{process_kprobe_parent_binary}\";\n"
		"  rule = \"process_kprobe_args_0_file_arg_path exists\";\n"
		"  group_by = [ \"process_kprobe_process_pid\" ]; targets = [ \"files\" ]; } );\n"));
	dmn = daemon_start_in(dir, cpath, rdir);
	free(seed);
	free(rdir);
	free(cpath);
	free(conf);
	free(seed_url);
	free(files_url);
}

static void teardown(void)
{
	if (dmn)
		daemon_stop(&dmn, NULL);
	receiver_stop(&rcv);
	free(watched);
	rm_rf(dir);
	free(dir);
}

/* Waits for a request to `path` whose body contains `needle`. */
static bool received(const char *path, const char *needle)
{
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		struct json_object *reqs = receiver_requests(rcv);
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(reqs) && !found; i++) {
			struct json_object *q = json_object_array_get_idx(reqs, i);
			const char *p = request_str(q, "path"), *b = request_str(q, "body");
			found = p && b && !strcmp(p, path) && strstr(b, needle);
		}
		json_object_put(reqs);
		if (found)
			return true;
		sleep_ms(100);
	}
	return false;
}

static void run(const char *cmd)
{
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(seed_alerts_fire_on_the_seed_commands)
{
	run("cat /etc/passwd /etc/shadow /etc/group /etc/gshadow > /dev/null");
	run("cat /etc/passwd > /dev/null; cat /etc/shadow > /dev/null; "
	    "cat /etc/group > /dev/null; cat /etc/gshadow > /dev/null");
	static const char *names[] = { "passwd", "shadow", "group", "gshadow" };
	for (size_t i = 0; i < 4; i++) {
		char *body = xasprintf("Unauthorised access /etc/%s triggered on tetrademo\n"
				       "Message: /etc/%s file is accessed by an unauthorised pod\n"
				       "Failing Condition: matched rule process_exec_process_arguments =%% \"/etc/%s\"",
				       names[i], names[i], names[i]);
		ck_assert_msg(received("/seed", body), "no seed alert for /etc/%s", names[i]);
		free(body);
	}
}
END_TEST

START_TEST(file_access_resolves_path_mask_and_process)
{
	char *link = xasprintf("%s/link", dir);
	ck_assert_int_eq(symlink("/etc/passwd", link), 0);
	char *cmd = xasprintf("cat %s > /dev/null", link);
	/* arguments of their own: the seed's commands go to the same daemon */
	run("cat /etc/passwd /dev/null > /dev/null");
	run("cd /etc && cat shadow > /dev/null");
	run("cat /etc/../etc/group > /dev/null");
	run(cmd);
	free(cmd);
	cmd = xasprintf("echo x >> %s", watched);
	run(cmd);
	free(cmd);
	cmd = xasprintf("truncate -s 0 %s", watched);
	run(cmd);
	ck_assert(received("/files", "\"message\":\"/usr/bin/cat|/etc/passwd /dev/null|/etc/passwd|4|"));
	ck_assert(received("/files", "\"message\":\"/usr/bin/cat|shadow|/etc/shadow|4|"));
	ck_assert(received("/files", "\"message\":\"/usr/bin/cat|/etc/../etc/group|/etc/group|4|"));
	char *want = xasprintf("\"message\":\"/usr/bin/cat|%s|/etc/passwd|4|", link);
	ck_assert(received("/files", want));
	free(want);
	want = xasprintf("|%s|2|", watched);
	ck_assert(received("/files", want));
	free(want);
	want = xasprintf("\"message\":\"/usr/bin/truncate|-s 0 %s|%s|2|", watched, watched);
	ck_assert(received("/files", want));
	free(want);
	free(cmd);
	free(link);
}
END_TEST

Suite *daemon_probes_suite(void)
{
	Suite *s = suite_create("daemon_probes");
	TCase *tc = tcase_create("bpf");
	/* one daemon for both tests: it loads the probes, over 100 s when
	 * the machine is busy (see dc_ready_ms) */
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, seed_alerts_fire_on_the_seed_commands);
	tcase_add_test(tc, file_access_resolves_path_mask_and_process);
	suite_add_tcase(s, tc);
	return s;
}
