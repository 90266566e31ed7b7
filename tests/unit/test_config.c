/* The main configuration: defaults, every key, errors at their place. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

/* Loads `text`; *report receives what was reported. */
static struct config *load(const char *text, char **report)
{
	char *path = write_file(dir, "bpfalert.conf", text);
	chmod(path, 0600);
	size_t len;
	FILE *f = open_memstream(report, &len);
	diag *d = diag_new(f);
	struct config *c = config_load(path, d);
	diag_free(&d);
	fclose(f);
	free(path);
	return c;
}

START_TEST(defaults_without_a_file)
{
	struct config *c = config_default();
	ck_assert_str_eq(c->rules_dirs[0], "/etc/bpfalert/rules.d");
	ck_assert_str_eq(c->state_dir, "/var/lib/bpfalert");
	ck_assert(c->bpf.enabled);
	ck_assert_uint_eq(c->bpf.ring_buffer_mb, 8);
	ck_assert(!c->tetragon.enabled);
	ck_assert(c->tetragon.follow);
	ck_assert_uint_eq(c->probes.nwatch, 7);
	ck_assert_str_eq(c->probes.watch[5], "/etc/sudoers.d/");
	ck_assert_uint_eq(c->probes.nhooks, 4);
	ck_assert_str_eq(c->probes.hooks[0], "lsm");
	ck_assert_str_eq(c->probes.hooks[3], "tracepoint");
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:9782");
	struct json_object *t;
	ck_assert(json_object_object_get_ex(c->targets, "default", &t));
	config_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(every_key)
{
	char *rep = NULL;
	struct config *c = load(
		"node_name  = \"node-7\";\n"
		"rules_dirs = [ \"/a\", \"/b\" ];\n"
		"state_dir  = \"/tmp/st\";\n"
		"strict_permissions = true;\n"
		"log_level = \"debug\";\n"
		"queue_max = 50;\n"
		"sources: {\n"
		"  bpf:      { enabled = false; ring_buffer_mb = 16; };\n"
		"  tetragon: { enabled = true; path = \"/x/tetragon.log\"; follow = false; };\n"
		"};\n"
		"probes: { exec = false; exit = false; fork = false; connect = true;\n"
		"  files: { watch = [ \"/etc/hosts\" ]; };\n"
		"  hooks = [ \"kprobe\", \"tracepoint\" ];\n"
		"  proc_root = \"/p\"; cgroup_root = \"/c\"; pods_root = \"/pods\"; };\n"
		"targets: {\n"
		"  oncall: { type = \"webhook\"; endpoint = \"https://alerts.example/hook\";\n"
		"            headers = { Authorization = \"Bearer x\"; };\n"
		"            repeat = { interval = \"10s\"; times = 5; }; };\n"
		"  local:  { type = \"syslog\"; facility = \"auth\"; };\n"
		"};\n"
		"metrics: { listen = \"127.0.0.1:9999\"; };\n", &rep);
	ck_assert_msg(c != NULL, "%s", rep);
	ck_assert_str_eq(rep, "");
	ck_assert_str_eq(c->node_name, "node-7");
	ck_assert_uint_eq(c->nrules_dirs, 2);
	ck_assert_str_eq(c->rules_dirs[1], "/b");
	ck_assert_str_eq(c->state_dir, "/tmp/st");
	ck_assert(c->strict_permissions);
	ck_assert_str_eq(c->log_level, "debug");
	ck_assert_uint_eq(c->queue_max, 50);
	ck_assert(!c->bpf.enabled);
	ck_assert_uint_eq(c->bpf.ring_buffer_mb, 16);
	ck_assert(c->tetragon.enabled && !c->tetragon.follow);
	ck_assert_str_eq(c->tetragon.path, "/x/tetragon.log");
	ck_assert(!c->probes.exec && !c->probes.exit && c->probes.connect);
	ck_assert_uint_eq(c->probes.nwatch, 1);
	ck_assert_str_eq(c->probes.pods_root, "/pods");
	ck_assert_uint_eq(c->probes.nhooks, 2);
	ck_assert_str_eq(c->probes.hooks[0], "kprobe");
	ck_assert_str_eq(c->probes.hooks[1], "tracepoint");
	struct json_object *t;
	ck_assert(json_object_object_get_ex(c->targets, "oncall", &t));
	ck_assert(json_object_object_get_ex(c->targets, "local", &t));
	ck_assert(json_object_object_get_ex(c->targets, "default", &t));
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:9999");
	config_free(&c);
	free(rep);
}
END_TEST

START_TEST(errors_are_all_reported_at_their_place)
{
	char *rep = NULL;
	struct config *c = load(
		"sources: { bpf: { ring_buffer_mb = 3; enabeld = true; }; };\n"
		"probes: { files: { watch = [ \"relative/path\" ]; };\n"
		"  hooks = [ \"fentry\", \"ebpf\", \"fentry\" ]; };\n"
		"metrics: { listen = \"nowhere\"; };\n"
		"log_level = \"loud\";\n"
		"targets: { t: { type = \"webhok\"; }; };\n", &rep);
	ck_assert_ptr_null(c);
	char *p = xasprintf("%s/bpfalert.conf", dir);
	char *e1 = xasprintf("%s:1:39: warning: unknown key 'enabeld' (did you mean 'enabled'?)", p);
	char *e2 = xasprintf("%s:1:36: error: 'ring_buffer_mb' must be a power of two", p);
	char *e3 = xasprintf("%s:2:30: error: 'watch' entries must be absolute paths", p);
	char *e4 = xasprintf("%s:4:21: error: 'listen' must be HOST:PORT", p);
	char *e5 = xasprintf("%s:5:13: error: 'log_level' must be one of", p);
	ck_assert_msg(strstr(rep, e1), "%s", rep);
	ck_assert_msg(strstr(rep, e2), "%s", rep);
	ck_assert_msg(strstr(rep, e3), "%s", rep);
	ck_assert_msg(strstr(rep, e4), "%s", rep);
	ck_assert_msg(strstr(rep, e5), "%s", rep);
	ck_assert_msg(strstr(rep, "webhok"), "%s", rep);
	char *e6 = xasprintf("%s:3:23: error: unknown hook path 'ebpf' (lsm, fentry, kprobe or tracepoint)", p);
	char *e7 = xasprintf("%s:3:31: error: hook path 'fentry' listed twice", p);
	ck_assert_msg(strstr(rep, e6), "%s", rep);
	ck_assert_msg(strstr(rep, e7), "%s", rep);
	free(e6); free(e7);
	free(e1); free(e2); free(e3); free(e4); free(e5);
	free(p);
	free(rep);
}
END_TEST

START_TEST(syntax_error_has_a_column)
{
	char *rep = NULL;
	struct config *c = load("node_name = \"x\"\nstate_dir = ;\n", &rep);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(rep, "bpfalert.conf:2:") && strstr(rep, "syntax error"), "%s", rep);
	free(rep);
}
END_TEST

START_TEST(writable_by_others_is_reported)
{
	char *path = write_file(dir, "open.conf", "node_name = \"n\";\n");
	chmod(path, 0666);
	char *rep = NULL;
	size_t len;
	FILE *f = open_memstream(&rep, &len);
	diag *d = diag_new(f);
	struct config *c = config_load(path, d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(diag_warnings(d), 1);
	config_free(&c);
	fflush(f);
	ck_assert_ptr_nonnull(strstr(rep, "writable by group or others"));
	/* strict_permissions makes it an error */
	FILE *g = fopen(path, "w");
	fputs("strict_permissions = true;\n", g);
	fclose(g);
	chmod(path, 0666);
	c = config_load(path, d);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(diag_errors(d), 1);
	diag_free(&d);
	fclose(f);
	free(rep);
	free(path);
}
END_TEST

START_TEST(check_with_config_resolves_named_targets)
{
	char *conf = write_file(dir, "b.conf",
		"targets: { oncall: { type = \"webhook\"; endpoint = \"http://127.0.0.1:1/h\"; }; };\n");
	chmod(conf, 0600);
	char *rules = write_file(dir, "r.rules",
		"alerts = ( { name = \"a\"; message = \"m\"; rule = \"x = 1\"; targets = [ \"oncall\" ]; },\n"
		"           { name = \"b\"; message = \"m\"; rule = \"x = 1\"; targets = [ \"nobody\" ]; } );\n");
	char *cmd = xasprintf("%s check -c %s -r %s 2>&1", bpfalert_bin(), conf, rules);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(out, "'nobody'"), "%s", out);
	ck_assert_msg(!strstr(out, "'oncall'"), "%s", out);
	free(out);
	free(cmd);
	free(rules);
	free(conf);
}
END_TEST

START_TEST(rule_files_writable_by_others_are_reported)
{
	char *rdir = xasprintf("%s/rules.d", dir);
	mkdir(rdir, 0755);
	char *rules = write_file(rdir, "a.rules",
		"alerts = ( { name = \"a\"; message = \"m\"; rule = \"x = 1\"; targets = [ \"default\" ]; } );\n");
	chmod(rules, 0666);
	char *conf = write_file(dir, "strict.conf", "strict_permissions = true;\n");
	chmod(conf, 0600);
	char *cmd = xasprintf("%s check -r %s 2>&1", bpfalert_bin(), rdir);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "a.rules: warning: writable by group or others"), "%s", out);
	free(out);
	free(cmd);
	cmd = xasprintf("%s check -c %s -r %s 2>&1", bpfalert_bin(), conf, rdir);
	out = run_capture(cmd, &st);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(out, "a.rules: error: writable by group or others"), "%s", out);
	free(out);
	free(cmd);
	free(conf);
	free(rules);
	free(rdir);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_without_a_file);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, errors_are_all_reported_at_their_place);
	tcase_add_test(tc, syntax_error_has_a_column);
	tcase_add_test(tc, writable_by_others_is_reported);
	tcase_add_test(tc, check_with_config_resolves_named_targets);
	tcase_add_test(tc, rule_files_writable_by_others_are_reported);
	suite_add_tcase(s, tc);
	return s;
}
