/* The seed pipeline replaced on this kernel, as the README configures it:
 * `bpfalert run` with its own probes and the seed's Parseable alert file,
 * every event to a Parseable export (the test's receiver as the store) and
 * to Tetragon's export file, the matched ones to an alerts_only export.
 * After `cat /etc/passwd` the store must hold the exec and the file access,
 * flattened as Parseable columns, the file must read back through
 * `bpfalert events`, and the alerts_only export must name the seed's alert. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../tools/daemon_client.h"
#include "../tools/receiver_client.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

/* Every object the store received in its JSON arrays (gzip bodies). */
static struct json_object *stored(struct receiver *r)
{
	struct json_object *all = json_object_new_array();
	struct json_object *reqs = receiver_requests(r);
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		struct json_object *q = json_object_array_get_idx(reqs, i);
		if (strcmp(request_str(q, "path"), "/api/v1/ingest"))
			continue;
		char *tmp = write_file(dir, "body.b64", request_str(q, "body_b64"));
		char *cmd = xasprintf("base64 -d '%s' | gzip -dc", tmp);
		int st;
		char *text = run_capture(cmd, &st);
		struct json_object *arr = json_tokener_parse(text);
		for (size_t j = 0; arr && j < json_object_array_length(arr); j++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(arr, j)));
		json_object_put(arr);
		free(text);
		free(cmd);
		free(tmp);
	}
	json_object_put(reqs);
	return all;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool is_cat_passwd_exec(struct json_object *o)
{
	const char *bin = str(o, "process_exec_process_binary"),
		   *args = str(o, "process_exec_process_arguments");
	return bin && args && !strcmp(bin, "/usr/bin/cat") && strstr(args, "/etc/passwd");
}

static bool is_cat_passwd_access(struct json_object *o)
{
	struct json_object *paths;
	const char *bin = str(o, "process_kprobe_process_binary");
	if (!bin || strcmp(bin, "/usr/bin/cat") ||
	    !json_object_object_get_ex(o, "process_kprobe_args_file_arg_path", &paths) ||
	    !json_object_is_type(paths, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(paths); i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(paths, i));
		if (p && !strcmp(p, "/etc/passwd"))
			return true;
	}
	return false;
}

static bool wait_store(struct receiver *r, bool *exec, bool *access)
{
	for (int waited = 0; waited < WAIT_MS; waited += 200) {
		struct json_object *all = stored(r);
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			struct json_object *o = json_object_array_get_idx(all, i);
			*exec |= is_cat_passwd_exec(o);
			*access |= is_cat_passwd_access(o);
		}
		json_object_put(all);
		if (*exec && *access)
			return true;
		sleep_ms(200);
	}
	return false;
}

START_TEST(seed_pipeline_replaced_end_to_end)
{
	struct receiver *r = receiver_start(dir, "");
	ck_assert_ptr_nonnull(r);
	char *url = receiver_url(r, "http", "");
	char *conf = xasprintf(
		"state_dir = \"%s/state\";\nmetrics: { listen = \"\"; };\n"
		"sources: { bpf: { enabled = true; }; };\n"
		"probes: { files: { watch = [ \"/etc/passwd\" ]; }; };\n"
		"exports: {\n"
		"  tetrademo: { type = \"parseable\"; endpoint = \"%s\"; stream = \"tetrademo\";\n"
		"               username = \"admin\"; password = \"admin\"; batch = { timeout = \"200ms\"; }; };\n"
		"  archive: { type = \"file\"; path = \"%s/tetragon.log\"; };\n"
		"  alerted: { type = \"file\"; path = \"%s/alerted.log\"; alerts_only = true; };\n"
		"};\n", dir, url, dir, dir);
	char *cpath = write_file(dir, "bpfalert.conf", conf);
	chmod(cpath, 0600);
	char *rdir = xasprintf("%s/rules.d", dir);
	mkdir(rdir, 0700);
	char *seed = slurp(testdata_path("seed/tetrademo.json"), NULL);
	/* unchanged but for its webhooks (same length), which point at the
	 * receiver: what matters here is the alert matching, and a target
	 * that answers lets the daemon stop without waiting for retries */
	const char *hook = "https://webhook.site/4398aceb-376c-44aa-8c26-d378c5053cc5";
	char *to = xasprintf("%s/seed-webhook-%s", url, hook);
	to[strlen(hook)] = '\0';
	for (char *p; (p = strstr(seed, hook));)
		memcpy(p, to, strlen(hook));
	free(to);
	free(write_file(rdir, "tetrademo.json", seed));
	struct daemon_proc *d = daemon_start_in(dir, cpath, rdir);
	ck_assert_int_eq(system("cat /etc/passwd > /dev/null"), 0);
	bool exec = false, access = false;
	ck_assert_msg(wait_store(r, &exec, &access), "store: exec %d, file access %d", exec, access);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);

	/* Tetragon's file, read back */
	char *cmd = xasprintf("'%s' events -o compact -i '%s/tetragon.log'", bpfalert_bin(), dir);
	int st;
	char *view = run_capture(cmd, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(view, "/usr/bin/cat /etc/passwd"), "%s", view);
	free(view);
	free(cmd);
	/* the alerts_only export names the seed's alert */
	char *alerted = xasprintf("%s/alerted.log", dir);
	char *text = slurp(alerted, NULL);
	ck_assert_msg(text && strstr(text, "\"alerts\":[\"Unauthorised access /etc/passwd\"]"),
		      "%s", text ? text : "(none)");
	free(text);
	free(alerted);
	/* and its webhook was called before the daemon stopped */
	struct json_object *reqs = receiver_requests(r);
	bool hooked = false;
	for (size_t i = 0; i < json_object_array_length(reqs); i++)
		hooked |= !strncmp(request_str(json_object_array_get_idx(reqs, i), "path"),
				   "/seed-webhook-", 14);
	json_object_put(reqs);
	ck_assert_msg(hooked, "no request to the seed's webhook");
	receiver_stop(&r);
	free(seed);
	free(rdir);
	free(cpath);
	free(conf);
	free(url);
}
END_TEST

Suite *export_seed_suite(void)
{
	Suite *s = suite_create("export_seed");
	TCase *tc = tcase_create("bpf");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* the test starts a daemon that loads the probes: over 100 s when
	 * the machine is busy (see dc_ready_ms) */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, seed_pipeline_replaced_end_to_end);
	suite_add_tcase(s, tc);
	return s;
}
