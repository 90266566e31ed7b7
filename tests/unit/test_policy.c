/* TracingPolicy files: Tetragon's own file-monitoring examples load (and
 * the others fail with the errors recorded beside them), every problem of
 * a file is reported at its line and column, selectors decide as
 * Tetragon's do, and the seed's policy makes the events Tetragon makes.
 * The policies and expected outputs are files under tests/data/policies/. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtree.h"
#include "policy.h"
#include "policy_eval.h"
#include "policy_probe.h"
#include "tetra.h"
#include "testutil.h"
#include "xalloc.h"

static char *bpfalert(const char *args, int *status)
{
	char *cmd = xasprintf("cd '%s' && '%s' %s", src_path(""), bpfalert_bin(), args);
	char *out = run_capture(cmd, status);
	free(cmd);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void expect(const char *got, const char *want_rel)
{
	char *want = slurp(src_path(want_rel), NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(!strcmp(got, want), "%s:\n--- got:\n%s--- expected:\n%s", want_rel, got,
		      want);
	free(want);
}

/* The examples that load: `check -p` says what each asks for (the hook
 * this kernel uses is masked: it is the machine's). */
START_TEST(tetragon_examples_load)
{
	int st;
	char *out = bpfalert("check -r tests/data/seed/tetrademo.json "
			     "-p tests/data/policies/filename_monitoring.yaml "
			     "-p tests/data/policies/filename_monitoring_filtered.yaml "
			     "-p tests/data/policies/lsm_file_open.yaml "
			     "-p tests/data/policies/openat_write.yaml "
			     "-p tests/data/policies/hardlink-observe.yaml "
			     "-p tests/data/policies/symlink-observe.yaml 2>&1 | "
			     "sed 's/this kernel: .*/this kernel: KERNEL/'", &st);
	expect(out, "tests/data/policies/examples.check");
	free(out);
	/* the quickstart's watches depend on what exists here (/root/.ssh) */
	out = bpfalert("check -p tests/data/policies/file_monitoring.yaml", &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "1 policy loaded, 0 errors"));
	free(out);
}
END_TEST

/* The others, and a file of every kind of problem: located errors, exit 1. */
START_TEST(unsupported_policies_fail_with_located_errors)
{
	static const char *const names[] = { "errors" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int st;
		char *args = xasprintf("check -r tests/data/seed/tetrademo.json -p "
				       "tests/data/policies/%s.yaml 2>&1 >/dev/null", names[i]);
		char *out = bpfalert(args, &st);
		char *want = xasprintf("tests/data/policies/%s.yaml.out", names[i]);
		expect(out, want);
		ck_assert_int_eq(st, 1);
		free(want);
		free(out);
		free(args);
	}
}
END_TEST

static void load(policy_set *ps, const char *rel)
{
	char *text = slurp(testdata_path(rel), NULL);
	ck_assert_ptr_nonnull(text);
	diag *d = diag_new(stderr);
	ck_assert_uint_eq(policy_load_text(rel, text, strlen(text), d, ps), 0);
	diag_free(&d);
	free(text);
}

/* Loads `text` as the file `name` into ps; *out gets what was reported
 * (free it).  Returns the number of errors. */
static unsigned load_reported(const char *name, const char *text, policy_set *ps, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	diag *d = diag_new(f);
	unsigned errors = policy_load_text(name, text, strlen(text), d, ps);
	diag_free(&d);
	fclose(f);
	return errors;
}

START_TEST(watches_follow_the_path_selectors)
{
	policy_set ps = { 0 };
	load(&ps, "policies/eval.yaml");
	char **w;
	size_t n = policy_watches(&ps, &w);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(w[0], "/etc/");
	ck_assert_str_eq(w[1], "*/.bashrc");
	ck_assert_str_eq(w[2], "/etc/shadow");
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	policy_set_clear(&ps);
}
END_TEST

struct hits {
	char names[8][80];
	size_t n;
};

static void on_hit(void *ctx, const struct policy *p, const struct policy_hook *h)
{
	struct hits *hs = ctx;
	snprintf(hs->names[hs->n++], sizeof(hs->names[0]), "%s/%s", p->name, h->call);
}

static const char *match(policy_engine *e, const struct policy_access *a)
{
	static struct hits hs;
	hs.n = 0;
	policy_engine_match(e, a, on_hit, &hs);
	return hs.n ? hs.names[0] : "";
}

START_TEST(selectors_decide_as_tetragons)
{
	policy_set ps = { 0 };
	load(&ps, "policies/eval.yaml");
	policy_engine *e = policy_engine_new(&ps);
	const char *anc[] = { "/usr/bin/bash", "/usr/bin/sudo" };
	uint32_t anc_pids[] = { 4242, 1 };
	struct policy_access w = { .call = PCALL_FILE_PERMISSION, .hook = "__x64_sys_write",
				   .path = "/etc/hosts", .mask = 2, .binary = "/usr/bin/vi",
				   .pid = 100, .tid = 100 };
	ck_assert_str_eq(match(e, &w), "writes/security_file_permission");
	w.mask = 4;                                  /* a read: Mask 2 fails */
	ck_assert_str_eq(match(e, &w), "");
	w.mask = 6;
	ck_assert_str_eq(match(e, &w), "writes/security_file_permission");
	w.path = "/etc/.hosts.swp";                  /* NotPostfix */
	ck_assert_str_eq(match(e, &w), "");
	w.path = "/etc/passwd";
	w.binary = "/usr/sbin/vipw";                 /* NotIn */
	ck_assert_str_eq(match(e, &w), "");
	w.binary = "/usr/bin/vi";
	w.path = "/etcetera/x";                      /* Prefix "/etc/" */
	ck_assert_str_eq(match(e, &w), "");
	w.call = PCALL_MMAP_FILE;                    /* another call */
	w.path = "/etc/passwd";
	ck_assert_str_eq(match(e, &w), "");

	/* second selector: .bashrc by pid 4242 or its forks, rate-limited */
	struct policy_access b = { .call = PCALL_FILE_PERMISSION, .hook = "__x64_sys_read",
				   .path = "/home/u/.bashrc", .mask = 4, .binary = "/usr/bin/cat",
				   .pid = 200, .tid = 201, .now_ms = 1000 };
	ck_assert_str_eq(match(e, &b), "");
	b.ancestors = anc;
	b.ancestor_pids = anc_pids;
	b.nancestors = 2;
	ck_assert_str_eq(match(e, &b), "writes/security_file_permission");
	b.now_ms = 30000;                            /* within the minute */
	b.tid = 202;                                 /* the scope is the process */
	ck_assert_str_eq(match(e, &b), "");
	b.now_ms = 61001;
	ck_assert_str_eq(match(e, &b), "writes/security_file_permission");
	b.path = "/home/u/x.bashrc";                 /* Postfix "/.bashrc" */
	ck_assert_str_eq(match(e, &b), "");

	/* the namespaced policy: pods of "prod", container "web", not the
	 * host, binaries below /usr/bin/ or their children */
	struct policy_access o = { .call = PCALL_FILE_OPEN, .hook = "__x64_sys_openat",
				   .path = "/etc/shadow", .mask = 4, .binary = "/opt/app",
				   .pid = 300, .tid = 300, .in_container = true,
				   .pod_namespace = "prod", .container_name = "web",
				   .ancestors = anc, .ancestor_pids = anc_pids, .nancestors = 2 };
	ck_assert_str_eq(match(e, &o), "pods/file_open");
	o.container_name = "sidecar";
	ck_assert_str_eq(match(e, &o), "");
	o.container_name = "web";
	o.pod_namespace = "dev";
	ck_assert_str_eq(match(e, &o), "");
	o.pod_namespace = "prod";
	o.nancestors = 0;                            /* /opt/app alone */
	ck_assert_str_eq(match(e, &o), "");
	o.binary = "/usr/bin/less";
	ck_assert_str_eq(match(e, &o), "pods/file_open");
	o.in_container = false;
	o.pod_namespace = NULL;
	ck_assert_str_eq(match(e, &o), "");
	policy_engine_free(&e);
	policy_set_clear(&ps);
}
END_TEST

/* The seed's policy and the seed's scenario (a write, a writable mmap, a
 * truncate of /etc/passwd): the events Tetragon emits for it. */
START_TEST(seed_policy_events)
{
	policy_set ps = { 0 };
	load(&ps, "seed/file-monitoring-filtered.yaml");
	policy_engine *e = policy_engine_new(&ps);
	struct policy_access acc[] = {
		{ .call = PCALL_FILE_PERMISSION, .hook = "__x64_sys_write", .mask = 2 },
		{ .call = PCALL_MMAP_FILE, .hook = "__x64_sys_mmap", .mask = 2, .prot = 2 },
		{ .call = PCALL_PATH_TRUNCATE, .hook = "__x64_sys_truncate", .mask = 2 },
	};
	char *want = slurp(src_path("tests/data/policies/seed-events.jsonl"), NULL);
	char *line = want;
	for (size_t i = 0; i < 3; i++) {
		acc[i].path = "/etc/passwd";
		acc[i].mode = 0100644;
		acc[i].binary = "/usr/bin/python3";
		struct hits hs = { .n = 0 };
		ck_assert_uint_eq(policy_engine_match(e, &acc[i], on_hit, &hs), 1);
		const struct policy *p = ps.v[0];
		evtree *t = evtree_new();
		ck_assert_str_eq(policy_event_kind(&p->hooks[i]), "process_kprobe");
		policy_event_fill(t, EVTREE_ROOT, p, &p->hooks[i], &acc[i]);
		struct json_object *body = evtree_json(t, EVTREE_ROOT);
		char *nl = strchr(line, '\n');
		*nl = '\0';
		ck_assert_str_eq(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE),
				 line);
		line = nl + 1;
		json_object_put(body);
		evtree_free(&t);
	}
	/* a read of the file, a mapping without PROT_WRITE: nothing */
	struct policy_access r = { .call = PCALL_FILE_PERMISSION, .hook = "__x64_sys_read",
				   .path = "/etc/passwd", .mask = 4 };
	struct hits hs = { .n = 0 };
	ck_assert_uint_eq(policy_engine_match(e, &r, on_hit, &hs), 0);
	r.call = PCALL_MMAP_FILE;
	r.prot = 1;
	ck_assert_uint_eq(policy_engine_match(e, &r, on_hit, &hs), 0);
	free(want);
	policy_engine_free(&e);
	policy_set_clear(&ps);
}
END_TEST

/* Tetragon's openat_write.yaml (no kind: a TracingPolicy): an open for
 * writing of /etc/passwd that returned a descriptor, as Tetragon emits it;
 * a read-only open and a failed one make nothing. */
START_TEST(openat_write_events)
{
	policy_set ps = { 0 };
	load(&ps, "policies/openat_write.yaml");
	policy_engine *e = policy_engine_new(&ps);
	struct policy_access a = { .call = PCALL_SYS_OPENAT, .hook = "__x64_sys_openat",
				   .path = "/etc/passwd", .mode = 0100644, .mask = 2, .ret = 3,
				   .binary = "/usr/bin/python3" };
	struct hits hs = { .n = 0 };
	ck_assert_uint_eq(policy_engine_match(e, &a, on_hit, &hs), 1);
	evtree *t = evtree_new();
	policy_event_fill(t, EVTREE_ROOT, ps.v[0], &ps.v[0]->hooks[0], &a);
	struct json_object *body = evtree_json(t, EVTREE_ROOT);
	ck_assert_str_eq(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
			 "{\"function_name\":\"sys_openat\",\"args\":[{\"int_arg\":-100},"
			 "{\"string_arg\":\"/etc/passwd\"},{\"int_arg\":1}],"
			 "\"return\":{\"int_arg\":3},\"action\":\"KPROBE_ACTION_POST\","
			 "\"policy_name\":\"sys-openat\",\"return_action\":\"KPROBE_ACTION_POST\","
			 "\"bpfalert_hook\":\"__x64_sys_openat\"}");
	json_object_put(body);
	evtree_free(&t);
	a.mask = 6;                                  /* O_RDWR */
	ck_assert_uint_eq(policy_engine_match(e, &a, on_hit, &hs), 1);
	a.mask = 4;                                  /* O_RDONLY */
	ck_assert_uint_eq(policy_engine_match(e, &a, on_hit, &hs), 0);
	a.mask = 2;
	a.ret = 0;                                   /* matchReturnArgs GT 0 */
	ck_assert_uint_eq(policy_engine_match(e, &a, on_hit, &hs), 0);
	a.ret = 3;
	a.call = PCALL_FILE_OPEN;
	ck_assert_uint_eq(policy_engine_match(e, &a, on_hit, &hs), 0);
	policy_engine_free(&e);
	policy_set_clear(&ps);

	/* the architecture's spelling needs syscall: true */
	static const char *const texts[] = {
		"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: o\n"
		"spec:\n  kprobes:\n  - call: __arm64_sys_openat\n    syscall: true\n    args:\n"
		"    - index: 1\n      type: string\n    selectors:\n    - matchArgs:\n"
		"      - index: 1\n        operator: Prefix\n        values: [\"/etc/\"]\n",
		"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: o\n"
		"spec:\n  kprobes:\n  - call: __x64_sys_openat\n    args:\n"
		"    - index: 1\n      type: file\n    selectors:\n    - matchArgs:\n"
		"      - index: 1\n        operator: Prefix\n        values: [\"/etc/\"]\n",
	};
	for (size_t i = 0; i < 2; i++) {
		char *out;
		ck_assert_uint_eq(load_reported("o.yaml", texts[i], &ps, &out), i ? 4 : 0);
		if (i) {
			ck_assert_ptr_nonnull(strstr(out, "o.yaml:7:11: error: __x64_sys_openat is a "
						     "system call: 'syscall' must be true"));
			ck_assert_ptr_nonnull(strstr(out, "o.yaml:10:13: error: argument 1 of "
						     "__x64_sys_openat is a path (a string): type "
						     "'file' cannot read it"));
		} else {
			ck_assert_uint_eq(ps.n, 1);
			char **w;
			ck_assert_uint_eq(policy_watches(&ps, &w), 1);
			ck_assert_str_eq(w[0], "/etc/");
			free(w[0]);
			free(w);
		}
		policy_set_clear(&ps);
		free(out);
	}
}
END_TEST

/* The permission hooks: path only, the mode as nop; an int is refused. */
START_TEST(permission_changes)
{
	policy_set ps = { 0 };
	load(&ps, "policies/chmod.yaml");
	policy_engine *e = policy_engine_new(&ps);
	struct policy_access a = { .call = PCALL_PATH_CHMOD, .hook = "__x64_sys_fchmodat",
				   .path = "/etc/sudoers", .mask = 2, .binary = "/usr/bin/chmod" };
	ck_assert_str_eq(match(e, &a), "permission-changes/security_path_chmod");
	a.call = PCALL_PATH_CHOWN;
	ck_assert_str_eq(match(e, &a), "");
	a.path = "/etc/shadow";
	ck_assert_str_eq(match(e, &a), "permission-changes/path_chown");
	policy_engine_free(&e);
	policy_set_clear(&ps);

	static const char bad[] =
		"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: m\n"
		"spec:\n  kprobes:\n  - call: security_path_chmod\n    args:\n"
		"    - index: 1\n      type: int\n";
	char *out;
	ck_assert_uint_eq(load_reported("m.yaml", bad, &ps, &out), 2);
	ck_assert_ptr_nonnull(strstr(out, "m.yaml:10:13: error: argument 1 of security_path_chmod is "
				     "not seen by the probes: only 'nop' can stand for it"));
	ck_assert_ptr_nonnull(strstr(out, "m.yaml:7:11: error: security_path_chmod needs selectors"));
	free(out);
	policy_set_clear(&ps);
}
END_TEST

/* The probe hook of a data file's name: a security_* hook exactly, a
 * system call by its name without the architecture's prefix. */
static enum probe_hook hook_named(const char *name)
{
	for (int h = PROBE_HOOK_NONE + 1; h < PROBE_HOOK_MAX; h++) {
		const char *n = tetra_hook_name((enum probe_hook)h);
		size_t ln = n ? strlen(n) : 0, lw = strlen(name);
		if (n && (!strcmp(n, name) || (ln > lw && !strcmp(n + ln - lw, name) &&
					       n[ln - lw - 1] == '_')))
			return (enum probe_hook)h;
	}
	ck_abort_msg("no hook %s", name);
	return PROBE_HOOK_NONE;
}

struct collected {
	struct json_object *events;
	const struct policy_access *a;
};

static void on_collect(void *ctx, const struct policy *p, const struct policy_hook *h)
{
	struct collected *c = ctx;
	evtree *t = evtree_new();
	policy_event_fill(t, EVTREE_ROOT, p, h, c->a);
	struct json_object *body = evtree_json(t, EVTREE_ROOT);
	struct json_object *hook;
	ck_assert(json_object_object_get_ex(body, "bpfalert_hook", &hook));
	ck_assert_str_eq(json_object_get_string(hook), c->a->hook);
	json_object_object_del(body, "bpfalert_hook");
	json_object_array_add(c->events, body);
	evtree_free(&t);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* The hooks of directory entries and metadata (entries.yaml): each access
 * of entries-events.jsonl, mapped to its calls as the probes map it, makes
 * exactly the events beside it. */
START_TEST(entry_and_metadata_hooks)
{
	policy_set ps = { 0 };
	load(&ps, "policies/entries.yaml");
	policy_engine *e = policy_engine_new(&ps);
	char *data = slurp(testdata_path("policies/entries-events.jsonl"), NULL);
	ck_assert_ptr_nonnull(data);
	unsigned lineno = 0;
	for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
		lineno++;
		struct json_object *o = json_tokener_parse(line), *acc, *want;
		ck_assert_ptr_nonnull(o);
		ck_assert(json_object_object_get_ex(o, "access", &acc));
		ck_assert(json_object_object_get_ex(o, "events", &want));
		enum probe_hook hook = hook_named(jstr(acc, "hook"));
		struct policy_access a = {
			.hook = tetra_hook_name(hook), .path = jstr(acc, "path"),
			.path2 = jstr(acc, "path2"), .mode = (uint32_t)jint(acc, "mode"),
			.mask = acc && jint(acc, "mask") ? (uint32_t)jint(acc, "mask") : 2,
			.ret = jint(acc, "ret"), .binary = "/usr/bin/sh", .pid = 10, .tid = 10,
		};
		struct collected c = { json_object_new_array(), &a };
		enum policy_call calls[POLICY_PROBE_CALLS_MAX];
		size_t n = policy_probe_calls(hook, true, calls);
		ck_assert_uint_gt(n, 0);
		for (size_t i = 0; i < n; i++) {
			a.call = calls[i];
			policy_engine_match(e, &a, on_collect, &c);
		}
		const char *got = json_object_to_json_string_ext(c.events, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
		const char *exp = json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
		ck_assert_msg(!strcmp(got, exp), "line %u:\n got %s\nwant %s", lineno, got, exp);
		json_object_put(c.events);
		json_object_put(o);
	}
	ck_assert_uint_eq(lineno, 12);
	free(data);
	policy_engine_free(&e);
	policy_set_clear(&ps);
}
END_TEST

/* Hostile and broken YAML: reports, never a crash. */
START_TEST(broken_yaml_is_reported)
{
	static const char *const texts[] = {
		"", "---\n", "- a\n- b\n", "a: [\n", "key: \"\\xZZ\"\n", "{a: b}: c\n",
		"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: 3\nspec: []\n",
		"&a [*a]\n", "spec: !!binary aGk=\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *out;
		policy_set ps = { 0 };
		unsigned errors = load_reported("t.yaml", texts[i], &ps, &out);
		ck_assert_uint_eq(ps.n, 0);
		if (i >= 2)
			ck_assert_msg(errors > 0 && strstr(out, "t.yaml:"), "case %zu: %s", i, out);
		policy_set_clear(&ps);
		free(out);
	}
}
END_TEST

/* sys_link and sys_symlink (links.yaml) and sys_symlinkat
 * (symlink-observe.yaml): the target compared as written, the new name
 * as a string, newdfd AT_FDCWD; link and symlink exist on x86 only, and
 * elsewhere a policy on them is an error at its call naming why. */
START_TEST(link_and_symlink_calls)
{
	char *text = slurp(testdata_path("policies/links.yaml"), NULL), *out;
	policy_set ps = { 0 };
	unsigned errors = load_reported("links.yaml", text, &ps, &out);
#if defined(__x86_64__)
	ck_assert_msg(errors == 0, "%s", out);
	load(&ps, "policies/symlink-observe.yaml");
	policy_engine *e = policy_engine_new(&ps);
	struct policy_access a = { .call = PCALL_SYS_SYMLINK, .hook = "__x64_sys_symlink",
				   .path = "/etc/passwd", .path2 = "/tmp/s" };
	ck_assert_str_eq(match(e, &a), "sys-link-passwd/sys_symlink");
	a.call = PCALL_SYS_LINK;
	ck_assert_str_eq(match(e, &a), "sys-link-passwd/sys_link");
	a.call = PCALL_SYS_SYMLINKAT;
	ck_assert_str_eq(match(e, &a), "sys-symlink-passwd/sys_symlinkat");
	a.path = "../etc/passwd";   /* the same file, another string */
	ck_assert_str_eq(match(e, &a), "");
	a.path = "/etc/passwd";
	evtree *t = evtree_new();
	policy_event_fill(t, EVTREE_ROOT, ps.v[1], &ps.v[1]->hooks[0], &a);
	struct json_object *body = evtree_json(t, EVTREE_ROOT);
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(body, "args"),
							JSON_C_TO_STRING_PLAIN),
			 "[{\"string_arg\":\"\\/etc\\/passwd\"},{\"int_arg\":-100},"
			 "{\"string_arg\":\"\\/tmp\\/s\"}]");
	json_object_put(body);
	evtree_free(&t);
	policy_engine_free(&e);
#else
	ck_assert_uint_eq(errors, 2);
	ck_assert_ptr_nonnull(strstr(out, "links.yaml:10:11: error: sys_link cannot be seen here: "
				     "this architecture has no link system call"));
	ck_assert_ptr_nonnull(strstr(out, "links.yaml:23:11: error: sys_symlink cannot be seen "
				     "here: this architecture has no symlink system call"));
#endif
	policy_set_clear(&ps);
	free(out);
	free(text);
}
END_TEST

/* rateLimit as Tetragon's parser reads it: seconds, or a count with the
 * suffix s, m or h (either case); what it refuses ("500ms", "5/minute",
 * as in Tetragon's pwnkit example) is a located error. */
START_TEST(rate_limits_read_as_tetragons)
{
	static const struct {
		const char *v;
		int64_t ms;   /* -1: refused */
	} cases[] = {
		{ "5", 5000 }, { "5s", 5000 }, { "2M", 120000 }, { "1h", 3600000 },
		{ "99999999h", 4294967295 }, { "500ms", -1 }, { "5/minute", -1 }, { "1d", -1 },
		{ "m", -1 }, { "-1", -1 }, { "4294967296", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf(
			"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: r}\n"
			"spec:\n  kprobes:\n  - call: security_file_open\n"
			"    args: [{index: 0, type: file}]\n    selectors:\n"
			"    - matchArgs: [{index: 0, operator: Equal, values: [/etc/passwd]}]\n"
			"      matchActions: [{action: Post, rateLimit: \"%s\"}]\n", cases[i].v);
		char *out;
		policy_set ps = { 0 };
		unsigned errors = load_reported("r.yaml", text, &ps, &out);
		if (cases[i].ms < 0) {
			ck_assert_msg(errors == 1, "%s: %s", cases[i].v, out);
			ck_assert_ptr_nonnull(strstr(out, "r.yaml:10:48: error: invalid rateLimit"));
		} else {
			ck_assert_msg(errors == 0, "%s: %s", cases[i].v, out);
			ck_assert_int_eq(ps.v[0]->hooks[0].selectors[0].rate_limit_ms, cases[i].ms);
		}
		policy_set_clear(&ps);
		free(out);
		free(text);
	}
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("load");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, tetragon_examples_load);
	tcase_add_test(tc, unsupported_policies_fail_with_located_errors);
	tcase_add_test(tc, watches_follow_the_path_selectors);
	tcase_add_test(tc, selectors_decide_as_tetragons);
	tcase_add_test(tc, seed_policy_events);
	tcase_add_test(tc, openat_write_events);
	tcase_add_test(tc, permission_changes);
	tcase_add_test(tc, entry_and_metadata_hooks);
	tcase_add_test(tc, link_and_symlink_calls);
	tcase_add_test(tc, rate_limits_read_as_tetragons);
	tcase_add_test(tc, broken_yaml_is_reported);
	suite_add_tcase(s, tc);
	return s;
}
