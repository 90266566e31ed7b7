/* The compact event view: the real `tetra getevents -o compact` sample
 * reproduced byte for byte from the events it came from, every kind in the
 * bundled Tetragon events, colours, capability notes, hostile text, alert
 * marking, JSON output and malformed input. */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_events.h"
#include "compact.h"
#include "testutil.h"
#include "utf8.h"
#include "xalloc.h"

typedef struct json_object json;

static json *parse(const char *text)
{
	json *o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	return o;
}

static json *member(json *o, const char *key)
{
	json *v = NULL;
	ck_assert(json_object_object_get_ex(o, key, &v));
	return v;
}

static char *render_text(const char *ev_text, unsigned flags)
{
	json *o = parse(ev_text);
	char *line = compact_render(o, flags);
	json_object_put(o);
	return line;
}

/* Removes ANSI colour codes. */
static void strip_colors(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\x1b' && r[1] == '[') {
			r += strcspn(r, "m") + 1;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* What a terminal shows of tetra's coloured line: the line without its
 * colour codes (padding included). */
static char *render_seen(const char *ev_text)
{
	char *line = render_text(ev_text, COMPACT_COLOR);
	strip_colors(line);
	return line;
}

/* ---- the sample ----
 *
 * compact-sample.txt was copied from a terminal: tetra's coloured output
 * without its codes, so its lines are padded before the (empty) note. */

/* The events behind tests/data/seed/compact-sample.txt: the first is the
 * real process_exec line unchanged; the others are that event with the
 * pod, binary and arguments of each line (exits with status 0, which
 * Tetragon omits). */
static const struct sample_event {
	const char *kind, *ns, *pod, *binary, *args;
} sample[] = {
	{ NULL, NULL, NULL, NULL, NULL },
	{ "process_exec", "vector", "vector-zbkzq", "/usr/bin/vector", "--config-dir /etc/vector/" },
#define CAT(kind, file) { kind, "default", "dev-pod", "/usr/bin/cat", file }
#define NGINX(kind, bin, args) \
	{ kind, "ingress-nginx", "ingress-nginx-controller-855dc99c4-r9xkh", bin, args }
	CAT("process_exec", "/etc/passwd"),
	CAT("process_exit", "/etc/passwd"),
	CAT("process_exec", "/etc/passwd"),
	CAT("process_exit", "/etc/passwd"),
	CAT("process_exec", "/etc/shadow"),
	NGINX("process_exit", "/usr/bin/nginx", "-c /tmp/nginx/nginx-cfg1246894647 -t"),
	NGINX("process_exec", "/usr/bin/nginx", "-c /tmp/nginx/nginx-cfg1829898433 -t"),
	NGINX("process_exit", "/usr/bin/nginx", "-c /tmp/nginx/nginx-cfg1829898433 -t"),
	CAT("process_exit", "/etc/shadow"),
	CAT("process_exec", "/etc/group"),
	CAT("process_exit", "/etc/group"),
	CAT("process_exec", "/etc/gshadow"),
	CAT("process_exit", "/etc/gshadow"),
	NGINX("process_exec", "/usr/bin/nginx", "-c /etc/nginx/nginx.conf -s reload"),
	NGINX("process_exit", "/usr/bin/nginx", "-c /etc/nginx/nginx.conf -s reload"),
	NGINX("process_exit", "/usr/local/nginx/sbin/nginx", ""),
	NGINX("process_exit", "/usr/local/nginx/sbin/nginx", ""),
	NGINX("process_exit", "/usr/local/nginx/sbin/nginx", ""),
	NGINX("process_exit", "/usr/local/nginx/sbin/nginx", ""),
	NGINX("process_exit", "/usr/local/nginx/sbin/nginx", ""),
#undef CAT
#undef NGINX
};

#define NSAMPLE (sizeof(sample) / sizeof(sample[0]))

static char *speaker_line(void)
{
	char *text = slurp(testdata_path("seed/process_exec-speaker.jsonl"), NULL);
	ck_assert_ptr_nonnull(text);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static void set_str(json *o, const char *key, const char *text)
{
	json_object_object_add(o, key, json_object_new_string(text));
}

/* One event of the sample, as a line of JSON. */
static char *sample_event(const struct sample_event *e)
{
	char *base = speaker_line();
	if (!e->kind)
		return base;
	json *root = parse(base);
	free(base);
	json *exec = member(root, "process_exec");
	json *proc = member(exec, "process");
	json *pod = member(proc, "pod");
	set_str(pod, "namespace", e->ns);
	set_str(pod, "name", e->pod);
	set_str(proc, "binary", e->binary);
	set_str(proc, "arguments", e->args);
	if (!strcmp(e->kind, "process_exit")) {
		json *exit = json_object_new_object();
		json_object_object_add(exit, "process_exit", json_object_get(exec));
		json_object_object_add(exit, "node_name", json_object_get(member(root, "node_name")));
		json_object_object_add(exit, "time", json_object_get(member(root, "time")));
		json_object_put(root);
		root = exit;
	}
	char *line = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return line;
}

static char *sample_input(void)
{
	char *all = xstrdup("");
	for (size_t i = 0; i < NSAMPLE; i++) {
		char *line = sample_event(&sample[i]);
		char *next = xasprintf("%s%s\n", all, line);
		free(all);
		free(line);
		all = next;
	}
	return all;
}

START_TEST(sample_lines_reproduced_exactly)
{
	char *want = slurp(testdata_path("seed/compact-sample.txt"), NULL);
	ck_assert_ptr_nonnull(want);
	char *at = want;
	for (size_t i = 0; i < NSAMPLE; i++) {
		char *nl = strchr(at, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		char *ev_text = sample_event(&sample[i]);
		char *line = render_seen(ev_text);
		ck_assert_msg(!strcmp(line, at), "sample line %zu:\n got [%s]\nwant [%s]",
			      i + 1, line, at);
		free(line);
		free(ev_text);
		at = nl + 1;
	}
	ck_assert_str_eq(at, "");
	free(want);
}
END_TEST

/* ---- events_print ---- */

struct run {
	char *out, *err;
	size_t outlen, errlen;
	struct jsonl_counters c;
	int rc;
};

static void run_events(struct run *r, const char *input, size_t len, bool json_out,
		       const struct loaded_rules *lr, bool color)
{
	memset(r, 0, sizeof(*r));
	FILE *in = fmemopen((void *)input, len, "r");
	FILE *out = open_memstream(&r->out, &r->outlen);
	FILE *err = open_memstream(&r->err, &r->errlen);
	struct events_options o = {
		.in = in, .in_name = "input.jsonl", .out = out, .report = err,
		.json = json_out, .color = color, .alerts = lr ? &lr->alerts : NULL,
		.ft = lr ? lr->ft : NULL,
	};
	r->rc = events_print(&o, &r->c);
	fclose(in);
	fclose(out);
	fclose(err);
	if (color)
		strip_colors(r->out);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

START_TEST(events_print_whole_sample)
{
	char *input = sample_input();
	char *want = slurp(testdata_path("seed/compact-sample.txt"), NULL);
	struct run r;
	run_events(&r, input, strlen(input), false, NULL, true);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, want);
	ck_assert_str_eq(r.err, "");
	ck_assert_uint_eq(r.c.events, NSAMPLE);
	run_free(&r);
	free(want);
	free(input);
}
END_TEST

static void load_rules(struct loaded_rules *lr, const char *path)
{
	const char *paths[] = { path };
	struct cli_options opt = { .command = "events", .rule_paths = paths,
				   .nrule_paths = 1 };
	ck_assert_uint_eq(loaded_rules_load(lr, &opt, false, stderr), 0);
}

START_TEST(alerts_are_marked)
{
	struct loaded_rules lr;
	load_rules(&lr, testdata_path("seed/tetrademo.json"));
	char *input = sample_input();
	char *sample_text = slurp(testdata_path("seed/compact-sample.txt"), NULL);
	struct run r;
	run_events(&r, input, strlen(input), false, &lr, true);
	ck_assert_int_eq(r.rc, 0);
	/* Each process_exec of cat marks the alert for its file; nothing else
	 * is marked. */
	char *got = r.out, *exp = sample_text;
	for (size_t i = 0; i < NSAMPLE; i++) {
		char *gnl = strchr(got, '\n'), *enl = strchr(exp, '\n');
		ck_assert_ptr_nonnull(gnl);
		*gnl = *enl = '\0';
		const struct sample_event *e = &sample[i];
		char *want;
		if (e->kind && !strcmp(e->kind, "process_exec") && !strcmp(e->binary, "/usr/bin/cat"))
			want = xasprintf("%s  [alerts: Unauthorised access %s]", exp, e->args);
		else
			want = xstrdup(exp);
		ck_assert_str_eq(got, want);
		free(want);
		got = gnl + 1;
		exp = enl + 1;
	}
	run_free(&r);

	/* -o json: the event unchanged, with the alerts it matched. */
	char *line = sample_event(&sample[2]);
	char *one = xasprintf("%s\n", line);
	run_events(&r, one, strlen(one), true, &lr, false);
	json *got_o = parse(r.out), *want_o = parse(line);
	json *alerts = member(got_o, "alerts");
	ck_assert_uint_eq(json_object_array_length(alerts), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(alerts, 0)),
			 "Unauthorised access /etc/passwd");
	json_object_object_del(got_o, "alerts");
	ck_assert(json_object_equal(got_o, want_o));
	ck_assert_ptr_null(strstr(r.out, "\\/"));   /* slashes are not escaped */
	json_object_put(got_o);
	json_object_put(want_o);
	run_free(&r);
	free(one);
	free(line);
	free(input);
	free(sample_text);
	loaded_rules_free(&lr);
}
END_TEST

START_TEST(json_output_without_rules_is_the_event)
{
	char *text = slurp(testdata_path("tetragon/events.jsonl"), NULL);
	struct run r;
	run_events(&r, text, strlen(text), true, NULL, false);
	ck_assert_int_eq(r.rc, 0);
	char *in = text, *out = r.out;
	size_t n = 0;
	for (char *inl; (inl = strchr(in, '\n')); in = inl + 1, n++) {
		char *outl = strchr(out, '\n');
		ck_assert_ptr_nonnull(outl);
		*inl = *outl = '\0';
		json *a = parse(in), *b = parse(out);
		ck_assert_msg(json_object_equal(a, b), "line %zu differs", n + 1);
		json_object_put(a);
		json_object_put(b);
		out = outl + 1;
	}
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(r.c.events, n);
	run_free(&r);
	free(text);
}
END_TEST

START_TEST(malformed_lines_reported_and_skipped)
{
	static const char input[] =
		"{\"process_exec\":{\"process\":{\"binary\":\"/bin/a\"}},\"node_name\":\"n\"}\n"
		"{\"process_exec\":\n"
		"[1,2]\n"
		"\"\xff\"\n"
		"not json at all\n"
		"\n"
		"{\"process_exit\":{\"process\":{\"binary\":\"/bin/b\"},\"signal\":\"SIGKILL\"},\"node_name\":\"n\"}\n"
		"{\"process_exec\":{}}";
	struct run r;
	run_events(&r, input, sizeof(input) - 1, false, NULL, false);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "🚀 process n /bin/a \n"
				"💥 exit    n /bin/b  SIGKILL\n"
				"🚀 process   \n");
	ck_assert_uint_eq(r.c.events, 6);   /* handed out; line 4 never was */
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_JSON], 2);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_NOT_OBJECT], 1);
	ck_assert_uint_eq(r.c.bad[JSONL_BAD_UTF8], 1);
	ck_assert_ptr_nonnull(strstr(r.err, "input.jsonl:2: error: truncated JSON"));
	ck_assert_ptr_nonnull(strstr(r.err, "input.jsonl:3: error: JSON document is an array"));
	ck_assert_ptr_nonnull(strstr(r.err, "input.jsonl:4: error: invalid UTF-8"));
	ck_assert_ptr_nonnull(strstr(r.err, "input.jsonl:5: error: invalid JSON"));
	run_free(&r);
}
END_TEST

START_TEST(command_usage_errors)
{
	/* The command's messages go to stderr: catch them there. */
	char *dir = make_temp_dir();
	char *errpath = xasprintf("%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2), fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
	char *argv[] = { "x" };
	struct cli_options opt = { .command = "events", .output = "yaml" };
	ck_assert_int_eq(cmd_events(&opt), EXIT_USAGE);
	opt.output = NULL;
	opt.args = argv;
	opt.nargs = 1;
	ck_assert_int_eq(cmd_events(&opt), EXIT_USAGE);
	const char *paths[] = { "/nonexistent-rules-dir" };
	struct cli_options bad = { .command = "events", .rule_paths = paths, .nrule_paths = 1 };
	ck_assert_int_eq(cmd_events(&bad), EXIT_RULES);
	struct cli_options missing = { .command = "events", .input = "/nonexistent/in.jsonl" };
	ck_assert_int_eq(cmd_events(&missing), EXIT_RUNTIME);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char *err = slurp(errpath, NULL);
	ck_assert_ptr_nonnull(strstr(err, "-o must be compact or json, not 'yaml'"));
	ck_assert_ptr_nonnull(strstr(err, "unexpected argument 'x'"));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-rules-dir"));
	ck_assert_ptr_nonnull(strstr(err, "1 error in configuration or rules"));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/in.jsonl: No such file"));
	free(err);
	rm_rf(dir);
	free(errpath);
	free(dir);
}
END_TEST

/* ---- every kind of the bundled events ---- */

/* The header Tetragon's encoder gives this event. */
static const char *expected_header(json *root)
{
	json *v;
	if (json_object_object_get_ex(root, "process_exec", &v))
		return "🚀 process ";
	if (json_object_object_get_ex(root, "process_exit", &v))
		return "💥 exit    ";
	if (json_object_object_get_ex(root, "process_throttle", &v))
		return "🧬 throttle ";
	if (json_object_object_get_ex(root, "process_connect", &v))
		return "🔌 connect ";
	if (json_object_object_get_ex(root, "process_close", &v))
		return "🧹 close   ";
	if (json_object_object_get_ex(root, "process_listen", &v))
		return "🎧 listen  ";
	json *kp = member(root, "process_kprobe");
	const char *fn = json_object_get_string(member(kp, "function_name"));
	if (!strcmp(fn, "__x64_sys_write"))
		return "📝 write   ";
	if (!strcmp(fn, "__x64_sys_read"))
		return "📚 read    ";
	if (!strcmp(fn, "__x64_sys_setuid"))
		return "🔑 setuid  ";
	if (!strcmp(fn, "__x64_sys_setns"))
		return "🔧 setns   ";
	if (!strcmp(fn, "security_file_permission")) {
		json *mask = json_object_array_get_idx(member(kp, "args"), 1);
		return json_object_get_int(member(mask, "int_arg")) == 2 ? "📝 write   "
									: "📚 read    ";
	}
	return "❓ syscall ";
}

static json *process_of(json *root)
{
	json_object_object_foreach(root, key, val) {
		json *p;
		if (!strncmp(key, "process_", 8) && json_object_is_type(val, json_type_object) &&
		    json_object_object_get_ex(val, "process", &p))
			return p;
	}
	return NULL;
}

static void check_file(const char *rel)
{
	char *text = slurp(testdata_path(rel), NULL);
	ck_assert_ptr_nonnull(text);
	size_t n = 0;
	for (char *at = text, *nl; (nl = strchr(at, '\n')); at = nl + 1) {
		*nl = '\0';
		n++;
		json *root = parse(at);
		char *line = compact_render(root, 0);
		const char *head = expected_header(root);
		ck_assert_msg(!strncmp(line, head, strlen(head)), "%s:%zu: [%s] should start [%s]",
			      rel, n, line, head);
		ck_assert_uint_eq(utf8_check(line, strlen(line)), strlen(line));
		ck_assert_ptr_null(strchr(line, '\n'));
		json *proc = process_of(root), *bin, *pod;
		if (proc && json_object_object_get_ex(proc, "binary", &bin))
			ck_assert_ptr_nonnull(strstr(line, json_object_get_string(bin)));
		if (proc && json_object_object_get_ex(proc, "pod", &pod)) {
			char *where = xasprintf(" %s/%s ",
						json_object_get_string(member(pod, "namespace")),
						json_object_get_string(member(pod, "name")));
			ck_assert_ptr_nonnull(strstr(line, where));
			free(where);
		}
		free(line);
		json_object_put(root);
	}
	ck_assert_uint_gt(n, 20);
	free(text);
}

START_TEST(every_bundled_kind_renders)
{
	check_file("tetragon/events.jsonl");
	check_file("tetragon/oreilly.jsonl");
}
END_TEST

/* The line for line `n` (1-based) of a bundled file. */
static char *render_line_of(const char *rel, size_t n)
{
	char *text = slurp(testdata_path(rel), NULL);
	char *at = text;
	for (size_t i = 1; i < n; i++)
		at = strchr(at, '\n') + 1;
	at[strcspn(at, "\n")] = '\0';
	char *line = render_seen(at);
	free(text);
	return line;
}

START_TEST(kind_specific_texts)
{
	static const struct {
		const char *file;
		size_t line;
		const char *want;
	} cases[] = {
		{ "tetragon/events.jsonl", 6,
		  "📝 write   default/xwing /usr/bin/vi /etc/passwd 1277 bytes      " },
		{ "tetragon/events.jsonl", 7, "🧬 throttle START session-429.scope" },
		{ "tetragon/events.jsonl", 8, "🧬 throttle STOP  session-429.scope" },
		{ "tetragon/events.jsonl", 11,
		  "📝 write   default/file-access /bin/vi /etc/passwd                        " },
		{ "tetragon/events.jsonl", 15,
		  "🚀 process kind-control-plane /sbin/modprobe -q -- fs-xfs                 " },
		{ "tetragon/events.jsonl", 21,
		  "🔑 setuid  default/xwing /bin/su 0                                        " },
		{ "tetragon/events.jsonl", 23,
		  "🔧 setns   default/xwing /usr/bin/nsenter ipc                                      " },
		{ "tetragon/events.jsonl", 26,
		  "❓ syscall default/xwing /bin/dmesg cap_capable                                     " },
		{ "tetragon/oreilly.jsonl", 1,
		  "🧹 close   tenant-jobs/elasticsearch-56f8fc6988-pb8c7 /usr/bin/curl TCP 10.88.0.7:49168 => 142.250.180.196:80 tx 78 B rx 15 kB " },
		{ "tetragon/oreilly.jsonl", 6,
		  "🎧 listen  tenant-jobs/coreapi-79568ff848-ljh8n /usr/local/bin/python TCP 0.0.0.0:9080 " },
		{ "tetragon/oreilly.jsonl", 9,
		  "📚 read    tenant-jobs/elasticsearch-56f8fc6988-65smb /usr/bin/cat usr/share/elasticsearch/config/elasticsearch.keystore 65536 bytes " },
		{ "tetragon/oreilly.jsonl", 16,
		  "🚀 process default/privileged-pod /usr/bin/bash            🛑 CAP_SYS_ADMIN" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = render_line_of(cases[i].file, cases[i].line);
		ck_assert_msg(!strcmp(line, cases[i].want), "%s:%zu:\n got [%s]\nwant [%s]",
			      cases[i].file, cases[i].line, line, cases[i].want);
		free(line);
	}
}
END_TEST

/* Runs of spaces to one, trailing ones dropped: the text without the
 * padding, which differs with and without colour codes. */
static void squeeze_spaces(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++)
		if (*r != ' ' || (w > s && w[-1] != ' '))
			*w++ = *r;
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

START_TEST(colors_are_tetras_and_change_nothing_else)
{
	char *ev_text = speaker_line();
	char *plain = render_text(ev_text, 0);
	char *colored = render_text(ev_text, COMPACT_COLOR);
	ck_assert(!strncmp(colored, "\x1b[34m🚀 process\x1b[0m \x1b[32mmetallb-system/speaker-c2bdr\x1b[0m "
			   "\x1b[35m/speaker\x1b[0m \x1b[36m--port=7472", 40));
	ck_assert_ptr_nonnull(strstr(colored, "\x1b[32mmetallb-system/speaker-c2bdr\x1b[0m"));
	ck_assert_ptr_nonnull(strstr(colored, "\x1b[35m/speaker\x1b[0m"));
	ck_assert_ptr_nonnull(strstr(colored, "\x1b[36m--port=7472 --log-level=info\x1b[0m"));
	ck_assert_ptr_nonnull(strstr(colored, "\x1b[35m\x1b[0m"));   /* the empty note */
	strip_colors(colored);
	ck_assert_str_eq(colored, "🚀 process metallb-system/speaker-c2bdr /speaker "
			 "--port=7472 --log-level=info ");
	ck_assert_str_eq(plain, "🚀 process metallb-system/speaker-c2bdr /speaker "
			 "--port=7472 --log-level=info");
	free(plain);
	free(colored);
	free(ev_text);

	/* Across every bundled event too. */
	char *text = slurp(testdata_path("tetragon/oreilly.jsonl"), NULL);
	for (char *at = text, *nl; (nl = strchr(at, '\n')); at = nl + 1) {
		*nl = '\0';
		plain = render_text(at, 0);
		colored = render_text(at, COMPACT_COLOR);
		strip_colors(colored);
		squeeze_spaces(colored);
		squeeze_spaces(plain);
		ck_assert_str_eq(colored, plain);
		free(plain);
		free(colored);
	}
	free(text);
}
END_TEST

/* ---- hostile and odd events ---- */

/* Plain lines (no colours, no capability note): no padding; text a
 * terminal could act on is quoted Go-style. */
START_TEST(odd_events_render_safely)
{
	static const struct {
		const char *ev_text, *want;
	} cases[] = {
		{ "{}", "❓ event   " },
		{ "[1,2]", "❓ event   " },
		{ "\"x\"", "❓ event   " },
		{ "{\"node_name\":\"n\",\"process_new\":{\"x\":1}}", "❓ process_new n" },
		{ "{\"node_name\":\"n\",\"process_\\u001b[2J\":{}}", "❓ \"process_\\x1b[2J\" n" },
		{ "{\"node_name\":\"n\",\"process_exec\":{}}",
		  "🚀 process n  " },
		{ "{\"node_name\":\"n\",\"process_exec\":{\"process\":{\"binary\":\"/bin/\\u001b]0;x\\u0007\\n\\u0085\"}}}",
		  "🚀 process n \"/bin/\\x1b]0;x\\a\\n\\u0085\" " },
		{ "{\"node_name\":\"n\",\"process_kprobe\":{\"function_name\":\"security_file_permission\",\"args\":\"x\"}}",
		  "❓ security_file_permission n  " },
		{ "{\"node_name\":\"n\",\"process_kprobe\":{\"function_name\":\"security_file_permission\",\"args\":[1,2]}}",
		  "❓ security_file_permission n  " },
		{ "{\"node_name\":\"n\",\"process_kprobe\":{\"function_name\":\"security_mmap_file\",\"args\":[{\"file_arg\":{\"path\":\"/lib/x.so\"}},{\"uint_arg\":5}]}}",
		  "📝 mmap-rx n  /lib/x.so" },
		{ "{\"node_name\":\"n\",\"process_kprobe\":{\"function_name\":\"__arm64_sys_openat\",\"args\":[{\"int_arg\":-100},{\"string_arg\":\"/etc/shadow\"}]}}",
		  "📬️ openat  n  /etc/shadow" },
		{ "{\"node_name\":\"n\",\"process_kprobe\":{\"function_name\":\"tcp_connect\",\"args\":[{\"sock_arg\":{\"saddr\":\"10.0.0.1\",\"sport\":40000,\"daddr\":\"10.0.0.2\",\"dport\":443}}]}}",
		  "🔌 connect n  tcp 10.0.0.1:40000 -> 10.0.0.2:443" },
		{ "{\"node_name\":\"n\",\"process_tracepoint\":{\"subsys\":\"raw_syscalls\",\"event\":\"sys_enter\",\"args\":[{\"long_arg\":\"257\"}]}}",
		  "☎  syscall n  257" },
		{ "{\"process_exit\":{\"process\":{\"binary\":\"/x\"},\"status\":\"oops\"}}",
		  "💥 exit     /x  0" },
		{ "{\"process_loader\":{\"process\":{\"binary\":\"/x\"},\"buildid\":\"3q2+7w==\",\"path\":\"/lib/libc.so\"}}",
		  "🧬 loader   /x deadbeef /lib/libc.so" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = render_text(cases[i].ev_text, 0);
		ck_assert_msg(!strcmp(line, cases[i].want), "case %zu:\n got [%s]\nwant [%s]",
			      i, line, cases[i].want);
		for (const unsigned char *p = (const unsigned char *)line; *p; p++)
			ck_assert_uint_ge(*p, 0x20);
		free(line);
	}
}
END_TEST

/* Replaces every value of every bundled event, one at a time, by values
 * of every other type: rendering must survive them all. */
struct slot {
	json *parent;
	const char *key;  /* NULL: an array element */
	size_t idx;
};

static void collect(json *o, struct slot **v, size_t *n, size_t *cap)
{
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			*v = xgrow(*v, cap, *n + 1, sizeof(**v));
			(*v)[(*n)++] = (struct slot){ o, key, 0 };
			if (val)
				collect(val, v, n, cap);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			*v = xgrow(*v, cap, *n + 1, sizeof(**v));
			(*v)[(*n)++] = (struct slot){ o, NULL, i };
			json *el = json_object_array_get_idx(o, i);
			if (el)
				collect(el, v, n, cap);
		}
	}
}

static json *slot_get(const struct slot *s)
{
	if (s->key) {
		json *v = NULL;
		json_object_object_get_ex(s->parent, s->key, &v);
		return v;
	}
	return json_object_array_get_idx(s->parent, s->idx);
}

static void slot_set(const struct slot *s, json *v)
{
	if (s->key)
		json_object_object_add(s->parent, s->key, v);
	else
		json_object_array_put_idx(s->parent, s->idx, v);
}

START_TEST(mutated_events_never_crash)
{
	char *text = slurp(testdata_path("tetragon/events.jsonl"), NULL);
	size_t renders = 0;
	for (char *at = text, *nl; (nl = strchr(at, '\n')); at = nl + 1) {
		*nl = '\0';
		json *root = parse(at);
		struct slot *slots = NULL;
		size_t n = 0, cap = 0;
		collect(root, &slots, &n, &cap);
		for (size_t i = 0; i < n; i++) {
			json *old = json_object_get(slot_get(&slots[i]));
			json *repl[] = {
				json_object_new_string("\x1b[2J"), json_object_new_int64(-1),
				json_object_new_array(), json_object_new_object(), NULL,
				json_object_new_double(1e300),
			};
			for (size_t k = 0; k < sizeof(repl) / sizeof(repl[0]); k++) {
				slot_set(&slots[i], repl[k]);
				char *line = compact_render(root, k & 1 ? COMPACT_COLOR : 0);
				ck_assert_ptr_nonnull(line);
				free(line);
				renders++;
			}
			slot_set(&slots[i], old);
		}
		free(slots);
		json_object_put(root);
	}
	ck_assert_uint_gt(renders, 1000);
	free(text);
}
END_TEST

Suite *compact_suite(void)
{
	Suite *s = suite_create("compact");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, sample_lines_reproduced_exactly);
	tcase_add_test(tc, every_bundled_kind_renders);
	tcase_add_test(tc, kind_specific_texts);
	tcase_add_test(tc, colors_are_tetras_and_change_nothing_else);
	tcase_add_test(tc, odd_events_render_safely);
	tcase_add_test(tc, mutated_events_never_crash);
	suite_add_tcase(s, tc);
	tc = tcase_create("events");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, events_print_whole_sample);
	tcase_add_test(tc, alerts_are_marked);
	tcase_add_test(tc, json_output_without_rules_is_the_event);
	tcase_add_test(tc, malformed_lines_reported_and_skipped);
	tcase_add_test(tc, command_usage_errors);
	suite_add_tcase(s, tc);
	return s;
}
