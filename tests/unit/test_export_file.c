/* The file export (DESIGN §12) with a real `bpfalert run`: Tetragon's
 * recorded events go in, the export file must hold them byte for byte and
 * read back through `bpfalert events` as the input does; Tetragon's
 * rotation (size, backups, gzip), SIGUSR1, and the export filters, whose
 * expected selection is computed here from the input independently. */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../tools/daemon_client.h"
#include "export_file.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

static const char *input(void) { return testdata_path("tetragon/events.jsonl"); }

/* Runs `bpfalert run` over the recorded events (not followed: the run ends
 * with its input) with `exports` as the configuration's exports group. */
static void run_over(const char *events, const char *exports, const char *rules)
{
	char *rdir = xasprintf("%s/rules.d", dir);
	mkdir(rdir, 0700);
	if (rules)
		free(write_file(rdir, "a.rules", rules));
	char *conf = xasprintf(
		"state_dir = \"%s/state\";\nmetrics: { listen = \"\"; };\n"
		"sources: { bpf: { enabled = false; };\n"
		"  tetragon: { enabled = true; path = \"%s\"; follow = false; }; };\n"
		"targets: { out: { type = \"file\"; path = \"%s/alerts.jsonl\"; }; };\n"
		"exports: { %s };\n", dir, events, dir, exports);
	char *cpath = write_file(dir, "bpfalert.conf", conf);
	chmod(cpath, 0600);
	char *cmd = xasprintf("'%s' run -f -c '%s' -r '%s' 2>&1", bpfalert_bin(), cpath, rdir);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_msg(st == 0, "bpfalert run exited %d:\n%s", st, out);
	free(out);
	free(cmd);
	free(cpath);
	free(conf);
	free(rdir);
}

static char *path_in(const char *name) { return xasprintf("%s/%s", dir, name); }

static char *read_all(const char *path, size_t *len)
{
	char *t = slurp(path, len);
	ck_assert_msg(t != NULL, "cannot read %s", path);
	return t;
}

static char *events_view(const char *path)
{
	char *cmd = xasprintf("'%s' events -o compact -i '%s'", bpfalert_bin(), path);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_int_eq(st, 0);
	free(cmd);
	return out;
}

START_TEST(file_export_holds_the_events_byte_for_byte)
{
	char *exports = xasprintf("archive: { type = \"file\"; path = \"%s/events.log\"; };", dir);
	run_over(input(), exports, NULL);
	char *out = path_in("events.log");
	size_t a, b;
	char *want = read_all(input(), &a), *got = read_all(out, &b);
	ck_assert_uint_eq(a, b);
	ck_assert(memcmp(want, got, a) == 0);
	char *v1 = events_view(input()), *v2 = events_view(out);
	ck_assert_str_eq(v1, v2);
	ck_assert(strlen(v1) > 100);
	struct stat st;
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);   /* as Tetragon's logger */
	free(v1);
	free(v2);
	free(want);
	free(got);
	free(out);
	free(exports);
}
END_TEST

/* Uncompressed content of a backup (gzipped or not). */
static char *backup_text(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");   /* reads plain files too */
	ck_assert_ptr_nonnull(g);
	size_t cap = 1 << 16, n = 0;
	char *buf = xmalloc(cap);
	int k;
	while ((k = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)k;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	gzclose(g);
	*len = n;
	return buf;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir starting with "events-", sorted (oldest first). */
static size_t backups(char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "events-", 7)) {
			v = xgrow(v, &cap, n + 1, sizeof(*v));
			v[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	return n;
}

static void check_rotation(bool compress)
{
	/* about 4 KB per file: the 26 events need several */
	char *exports = xasprintf("archive: { type = \"file\"; path = \"%s/events.log\"; "
				  "max_size_mb = 0.004; max_backups = 3; compress = %s; };",
				  dir, compress ? "true" : "false");
	run_over(input(), exports, NULL);
	char **names;
	size_t n = backups(&names);
	ck_assert_uint_eq(n, 3);
	char *joined = NULL;
	size_t jlen = 0;
	FILE *j = open_memstream(&joined, &jlen);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		/* events-2006-01-02T15-04-05.000.log[.gz] */
		ck_assert_msg(len == strlen("events-2006-01-02T15-04-05.000.log") + (compress ? 3 : 0),
			      "%s", names[i]);
		ck_assert(names[i][17] == 'T' && names[i][26] == '.');
		ck_assert(!strcmp(names[i] + len - (compress ? 7 : 4), compress ? ".log.gz" : ".log"));
		char *p = path_in(names[i]);
		size_t blen;
		char *t = backup_text(p, &blen);
		ck_assert(blen > 0 && blen <= 4194);
		fwrite(t, 1, blen, j);
		free(t);
		free(p);
		free(names[i]);
	}
	free(names);
	char *cur = path_in("events.log");
	size_t clen;
	char *t = read_all(cur, &clen);
	fwrite(t, 1, clen, j);
	fclose(j);
	/* what is kept is the newest part of the input, whole lines, in order */
	size_t ilen;
	char *in = read_all(input(), &ilen);
	ck_assert(jlen < ilen);
	ck_assert(memcmp(in + ilen - jlen, joined, jlen) == 0);
	ck_assert(in[ilen - jlen - 1] == '\n');
	free(in);
	free(t);
	free(cur);
	free(joined);
	free(exports);
}

START_TEST(rotation_as_tetragon_with_gzip)
{
	check_rotation(true);
}
END_TEST

START_TEST(rotation_as_tetragon_without_compression)
{
	check_rotation(false);
}
END_TEST

START_TEST(backup_names_are_tetragons)
{
	/* 2024-05-01T10:00:00.042Z */
	char *n = export_file_backup_name("/var/log/tetragon/tetragon.log", 1714557600042LL);
	ck_assert_str_eq(n, "/var/log/tetragon/tetragon-2024-05-01T10-00-00.042.log");
	free(n);
	n = export_file_backup_name("/x/events", 1714557600000LL);
	ck_assert_str_eq(n, "/x/events-2024-05-01T10-00-00.000");
	free(n);
}
END_TEST

/* ---- filters, against an oracle computed from the input ---- */

static struct json_object *process_of(struct json_object *ev, const char **kind)
{
	*kind = NULL;
	json_object_object_foreach(ev, k, v) {
		if (json_object_is_type(v, json_type_object)) {
			*kind = k;
			struct json_object *p;
			return json_object_object_get_ex(v, "process", &p) ? p : NULL;
		}
	}
	return NULL;
}

static const char *str_at(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && !strcmp(s + a - b, suffix);
}

enum which { EXECS_IN_DEFAULT_NO_CURL, KPROBES_BY_UID_ZERO, PASSWD_ALERTS };

static bool oracle(enum which w, struct json_object *ev)
{
	const char *kind;
	struct json_object *p = process_of(ev, &kind);
	const char *ns = str_at(p, "pod", "namespace"), *bin = str_at(p, "binary", NULL);
	struct json_object *uid;
	switch (w) {
	case EXECS_IN_DEFAULT_NO_CURL:
		return kind && (!strcmp(kind, "process_exec") || !strcmp(kind, "process_exit")) &&
		       ns && !strcmp(ns, "default") && !ends_with(bin, "curl");
	case KPROBES_BY_UID_ZERO:
		return kind && !strcmp(kind, "process_kprobe") && p &&
		       json_object_object_get_ex(p, "uid", &uid) && json_object_get_int(uid) == 0;
	case PASSWD_ALERTS:
		return bin && strstr(bin, "su") != NULL;
	}
	return false;
}

static size_t lines_of(const char *path, struct json_object ***out)
{
	char *text = slurp(path, NULL);
	size_t n = 0, cap = 0;
	struct json_object **v = NULL;
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n] = json_tokener_parse(l);
		ck_assert_ptr_nonnull(v[n]);
		n++;
	}
	free(text);
	*out = v;
	return n;
}

static void free_lines(struct json_object **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(v[i]);
	free(v);
}

/* The export holds exactly the input events the oracle selects, in order;
 * returns how many. */
static size_t check_selection(const char *name, enum which w)
{
	struct json_object **in, **got;
	size_t nin = lines_of(input(), &in);
	char *p = path_in(name);
	size_t ngot = lines_of(p, &got), k = 0;
	for (size_t i = 0; i < nin; i++) {
		if (!oracle(w, in[i]))
			continue;
		ck_assert_msg(k < ngot, "%s: event %zu missing", name, i + 1);
		struct json_object *g = got[k++];
		if (w == PASSWD_ALERTS) {
			struct json_object *alerts;
			ck_assert(json_object_object_get_ex(g, "alerts", &alerts));
			ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(alerts, 0)),
					 "su run");
			json_object_object_del(g, "alerts");
		}
		ck_assert_msg(json_object_equal(in[i], g), "%s: event %zu differs", name, i + 1);
	}
	ck_assert_uint_eq(k, ngot);
	free_lines(in, nin);
	free_lines(got, ngot);
	free(p);
	return k;
}

START_TEST(filters_as_tetragons_plus_expression_and_alerts_only)
{
	char *exports = xasprintf(
		"execs: { type = \"file\"; path = \"%s/execs.log\";\n"
		"  allow = ( { event_set = [ \"PROCESS_EXEC\", \"PROCESS_EXIT\" ]; namespace = [ \"default\" ]; } );\n"
		"  deny = ( { binary_regex = [ \"curl$\" ]; } ); };\n"
		"kprobes: { type = \"file\"; path = \"%s/kprobes.log\";\n"
		"  filter = \"process_kprobe_process_uid = 0\"; };\n"
		"alerted: { type = \"file\"; path = \"%s/alerted.log\"; alerts_only = true; };\n",
		dir, dir, dir);
	run_over(input(), exports,
		 "alerts = ( { name = \"su run\"; message = \"x\"; targets = [ \"out\" ];\n"
		 "  rule = \"process_kprobe_process_binary =% \\\"su\\\" or process_exec_process_binary =% \\\"su\\\"\"; } );\n");
	ck_assert_uint_gt(check_selection("execs.log", EXECS_IN_DEFAULT_NO_CURL), 0);
	ck_assert_uint_gt(check_selection("kprobes.log", KPROBES_BY_UID_ZERO), 0);
	ck_assert_uint_gt(check_selection("alerted.log", PASSWD_ALERTS), 0);
	free(exports);
}
END_TEST

START_TEST(bad_exports_are_configuration_errors)
{
	static const struct { const char *exports, *message; } cases[] = {
		{ "a: { type = \"file\"; };", "export 'a': 'path' is required" },
		{ "a: { type = \"kafka\"; };", "export 'a': 'type' must be file, parseable or http" },
		{ "a: { type = \"file\"; path = \"/tmp/x\"; size = 1; };", "export 'a': unknown key 'size'" },
		{ "a: { type = \"file\"; path = \"/tmp/x\"; filter = \"x => 1\"; };", "export 'a': 'filter': unknown operator" },
		{ "a: { type = \"file\"; path = \"/tmp/x\"; deny = ( { binary_regex = [ \"(\" ]; } ); };", "export 'a': deny[0]: filter:" },
		{ "a: { type = \"file\"; path = \"/tmp/x\"; allow = ( { pid = [ 1 ]; } ); };", "unknown filter field 'pid'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *conf = xasprintf("exports: { %s };\n", cases[i].exports);
		char *cpath = write_file(dir, "bad.conf", conf);
		chmod(cpath, 0600);
		char *cmd = xasprintf("'%s' check -c '%s' -r '%s' 2>&1", bpfalert_bin(), cpath, dir);
		int st;
		char *out = run_capture(cmd, &st);
		ck_assert_msg(st == 1, "case %zu: exit %d\n%s", i, st, out);
		ck_assert_msg(strstr(out, cases[i].message), "case %zu:\n%s", i, out);
		free(out);
		free(cmd);
		free(cpath);
		free(conf);
	}
}
END_TEST

/* ---- SIGUSR1 ---- */

static size_t count_lines(const char *path)
{
	char *t = slurp(path, NULL);
	size_t n = 0;
	for (char *p = t; p && *p; p++)
		n += *p == '\n';
	free(t);
	return n;
}

static bool wait_lines(const char *path, size_t want)
{
	for (int waited = 0; waited < WAIT_MS; waited += 20) {
		if (count_lines(path) >= want)
			return true;
		sleep_ms(20);
	}
	return false;
}

static void append_input(const char *to, size_t nlines)
{
	char *t = slurp(input(), NULL);
	FILE *f = fopen(to, "a");
	char *p = t;
	for (size_t i = 0; i < nlines; i++) {
		char *nl = strchr(p, '\n');
		fwrite(p, 1, (size_t)(nl - p + 1), f);
		p = nl + 1;
	}
	fclose(f);
	free(t);
}

START_TEST(sigusr1_reopens_the_export_file)
{
	char *events = path_in("tetragon.log"), *out = path_in("events.log"),
	     *moved = path_in("events.log.1");
	char *conf = xasprintf(
		"state_dir = \"%s/state\";\nmetrics: { listen = \"\"; };\n"
		"sources: { bpf: { enabled = false; };\n"
		"  tetragon: { enabled = true; path = \"%s\"; follow = true; }; };\n"
		"exports: { archive: { type = \"file\"; path = \"%s\"; }; };\n", dir, events, out);
	char *cpath = write_file(dir, "bpfalert.conf", conf);
	chmod(cpath, 0600);
	free(write_file(dir, "tetragon.log", ""));
	char *rdir = path_in("rules.d");
	mkdir(rdir, 0700);
	struct daemon_proc *d = daemon_start_in(dir, cpath, rdir);
	append_input(events, 5);
	ck_assert(wait_lines(out, 5));
	ck_assert_int_eq(rename(out, moved), 0);   /* logrotate */
	kill(d->pid, SIGUSR1);
	sleep_ms(300);
	append_input(events, 3);
	ck_assert(wait_lines(out, 3));
	ck_assert_uint_eq(count_lines(moved), 5);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	free(rdir);
	free(cpath);
	free(conf);
	free(events);
	free(out);
	free(moved);
}
END_TEST

Suite *export_file_suite(void)
{
	Suite *s = suite_create("export_file");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, file_export_holds_the_events_byte_for_byte);
	tcase_add_test(tc, rotation_as_tetragon_with_gzip);
	tcase_add_test(tc, rotation_as_tetragon_without_compression);
	tcase_add_test(tc, backup_names_are_tetragons);
	tcase_add_test(tc, filters_as_tetragons_plus_expression_and_alerts_only);
	tcase_add_test(tc, bad_exports_are_configuration_errors);
	tcase_add_test(tc, sigusr1_reopens_the_export_file);
	suite_add_tcase(s, tc);
	return s;
}
