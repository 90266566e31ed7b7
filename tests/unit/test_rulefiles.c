/* Rule files: native libconfig .rules and Parseable .json alert files,
 * directories, durations, message placeholders, and every error with its
 * exact text and place. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "msgtext.h"
#include "rulefiles.h"
#include "rules_native.h"
#include "rules_parseable.h"
#include "template.h"
#include "testutil.h"
#include "xalloc.h"

/* ---- helpers ---- */

struct loaded {
	char *out;           /* everything reported */
	unsigned ret;        /* rulefiles_load's result */
	unsigned errors, warnings;
	alert_list alerts;
	field_table *ft;
};

/* Removes every occurrence of `prefix` from s (in place). */
static void strip(char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	char *p;
	while (n && (p = strstr(s, prefix)) != NULL)
		memmove(p, p + n, strlen(p + n) + 1);
}

static void load_paths(struct loaded *r, const char *const *paths, size_t n,
		       const char *strip_prefix)
{
	size_t outlen;
	FILE *f = open_memstream(&r->out, &outlen);
	diag *d = diag_new(f);
	if (!r->ft)
		r->ft = field_table_new();
	r->ret = rulefiles_load(paths, n, r->ft, d, &r->alerts);
	r->errors = diag_errors(d);
	r->warnings = diag_warnings(d);
	diag_free(&d);
	fclose(f);
	if (strip_prefix)
		strip(r->out, strip_prefix);
	ck_assert_uint_eq(r->ret, r->errors);
}

static void loaded_free(struct loaded *r)
{
	free(r->out);
	alert_list_clear(&r->alerts);
	field_table_free(&r->ft);
}

/* Loads `text` as a file called `name`; reports name it without its
 * directory. */
static void load_text(struct loaded *r, const char *name, const char *text)
{
	char *dir = make_temp_dir();
	char *path = write_file(dir, name, text);
	char *prefix = xasprintf("%s/", dir);
	const char *paths[] = { path };
	load_paths(r, paths, 1, prefix);
	free(prefix);
	free(path);
	rm_rf(dir);
	free(dir);
}

static const char *data(const char *name)
{
	static char buf[4][4096];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "%s", src_path(name));
	return b;
}

static const char *src_prefix(void)
{
	return src_path("");
}

static const char *cfg_string(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int64_t cfg_int(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;
	ck_assert(json_object_object_get_ex(o, a, &v));
	if (b)
		ck_assert(json_object_object_get_ex(v, b, &v));
	return json_object_get_int64(v);
}

/* ---- Parseable files ---- */

START_TEST(tetrademo_loads_unchanged)
{
	static const char *const files[] = { "passwd", "shadow", "group",
					     "gshadow" };
	struct loaded r = { 0 };
	const char *paths[] = { testdata_path("seed/tetrademo.json") };
	load_paths(&r, paths, 1, NULL);
	ck_assert_str_eq(r.out, "");
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_uint_eq(r.warnings, 0);
	ck_assert_uint_eq(r.alerts.n, 4);
	for (size_t i = 0; i < 4; i++) {
		alert_def *a = r.alerts.v[i];
		char *name = xasprintf("Unauthorised access /etc/%s", files[i]);
		char *msg = xasprintf("/etc/%s file is accessed by an unauthorised pod",
				      files[i]);
		char *rule = xasprintf("process_exec_process_arguments =%% \"/etc/%s\"",
				       files[i]);
		ck_assert_str_eq(a->name, name);
		ck_assert_str_eq(a->message, msg);
		ck_assert_str_eq(a->rule_text, rule);
		ck_assert_ptr_nonnull(a->prog);
		ck_assert(!a->is_column_rule);
		ck_assert(a->from_parseable);
		ck_assert_str_eq(a->stream, "tetrademo");
		ck_assert_int_eq(a->line, 17 + 20 * (int)i);
		ck_assert_int_eq(a->col, 15);
		ck_assert_uint_eq(a->ntargets, 1);
		struct target_ref *t = &a->targets[0];
		ck_assert_ptr_null(t->name);
		ck_assert_int_eq(t->line, 6 + 20 * (int)i);
		ck_assert_str_eq(cfg_string(t->inline_cfg, "type"), "webhook");
		ck_assert_str_eq(cfg_string(t->inline_cfg, "endpoint"),
				 "https://webhook.site/4398aceb-376c-44aa-8c26-d378c5053cc5");
		ck_assert_str_eq(cfg_string(t->inline_cfg, "format"), "text");
		ck_assert_str_eq(cfg_string(t->inline_cfg, "skip_tls_check"), "false");
		ck_assert_int_eq(cfg_int(t->inline_cfg, "repeat", "times"), 5);
		struct json_object *rep;
		ck_assert(json_object_object_get_ex(t->inline_cfg, "repeat", &rep));
		ck_assert_str_eq(cfg_string(rep, "interval"), "10s");
		ck_assert_uint_eq(a->severity, SEVERITY_WARNING);
		ck_assert_uint_eq(a->repeats, 1);
		ck_assert(a->enabled);
		free(name);
		free(msg);
		free(rule);
	}
	ck_assert_int_ge(field_table_lookup(r.ft, "process_exec_process_arguments",
					    30), 0);
	loaded_free(&r);
}
END_TEST

START_TEST(parseable_column_rules)
{
	struct loaded r = { 0 };
	const char *paths[] = { data("tests/data/rulefiles/column.json") };
	load_paths(&r, paths, 1, src_prefix());
	ck_assert_str_eq(r.out, "");
	ck_assert_uint_eq(r.alerts.n, 3);

	alert_def *a = r.alerts.v[0];
	ck_assert(a->is_column_rule);
	ck_assert_str_eq(a->column.column, "process_exec_process_uid");
	ck_assert_str_eq(a->column.op, "greaterThan");
	ck_assert_str_eq(a->column.value, "500");
	ck_assert(a->column.value_is_number);
	ck_assert_str_eq(a->rule_text, "process_exec_process_uid > 500");
	ck_assert_uint_eq(a->repeats, 3);  /* the column rule's repeats */
	ck_assert_str_eq(a->stream, "column");
	ck_assert_str_eq(json_object_to_json_string(a->extra),
			 "{ \"id\": \"01HTESTID\" }");
	ck_assert_uint_eq(a->ntargets, 2);
	ck_assert_str_eq(cfg_string(a->targets[0].inline_cfg, "type"), "slack");
	ck_assert_ptr_null(cfg_string(a->targets[0].inline_cfg, "format"));
	/* Parseable's "alertManager" is spelt the one way notifiers know */
	ck_assert_str_eq(cfg_string(a->targets[1].inline_cfg, "type"),
			 "alertmanager");
	ck_assert_int_eq(cfg_int(a->targets[1].inline_cfg, "repeat", "times"), 0);

	a = r.alerts.v[1];
	ck_assert_str_eq(a->column.op, "=%");  /* Parseable's default for text */
	ck_assert_str_eq(a->column.value, "SH");
	ck_assert(!a->column.value_is_number);
	ck_assert(a->column.ignore_case);
	ck_assert_str_eq(a->rule_text, "process_exec_process_binary =% \"SH\"");
	ck_assert_ptr_null(a->extra);
	ck_assert_str_eq(cfg_string(a->targets[0].inline_cfg, "format"), "json");

	a = r.alerts.v[2];
	ck_assert(!a->column.ignore_case);
	ck_assert_str_eq(a->rule_text, "c ~ \"^a.*b$\"");
	ck_assert_str_eq(cfg_string(a->targets[0].inline_cfg, "format"), "text");
	loaded_free(&r);
}
END_TEST

START_TEST(parseable_stream_names)
{
	char *s = rules_parseable_stream("rules.d/tetrademo.json");
	ck_assert_str_eq(s, "tetrademo");
	free(s);
	s = rules_parseable_stream("x.json.json");
	ck_assert_str_eq(s, "x.json");
	free(s);
	s = rules_parseable_stream("/a/b/plain");
	ck_assert_str_eq(s, "plain");
	free(s);
}
END_TEST

/* ---- native files ---- */

START_TEST(native_every_key)
{
	struct loaded r = { 0 };
	const char *paths[] = { data("tests/data/rulefiles/all_keys.rules") };
	load_paths(&r, paths, 1, src_prefix());
	ck_assert_str_eq(r.out, "");
	ck_assert_uint_eq(r.alerts.n, 2);
	alert_def *a = r.alerts.v[0];
	ck_assert_str_eq(a->name, "Unauthorised access /etc/passwd");
	ck_assert_str_eq(a->message,
			 "{process_exec_process_binary} read /etc/passwd in "
			 "{process_exec_process_pod_namespace}/"
			 "{process_exec_process_pod_name}");
	ck_assert_str_eq(a->rule_text,
			 "process_exec_process_arguments =% \"/etc/passwd\"");
	ck_assert_str_eq(a->file, data("tests/data/rulefiles/all_keys.rules"));
	ck_assert_int_eq(a->line, 4);
	ck_assert_int_eq(a->col, 16);
	ck_assert_uint_eq(a->severity, SEVERITY_CRITICAL);
	ck_assert_uint_eq(a->n_group_by, 2);
	ck_assert_str_eq(a->group_by[0], "process_exec_process_pod_name");
	ck_assert_str_eq(a->group_by[1], "process_exec_process_pod_namespace");
	ck_assert_uint_eq(a->repeats, 3);
	ck_assert_int_eq(a->within_ms, 90000);
	ck_assert_int_eq(a->resolve_after_ms, 600000);
	ck_assert_uint_eq(a->max_instances, 50);
	ck_assert(!a->enabled);
	ck_assert(!a->from_parseable);
	ck_assert_ptr_null(a->stream);
	ck_assert_uint_eq(a->ntargets, 7);
	ck_assert_str_eq(a->targets[0].name, "oncall");
	ck_assert_ptr_null(a->targets[0].inline_cfg);
	ck_assert_int_eq(a->targets[0].line, 16);
	static const char *const types[] = { "webhook", "slack", "alertmanager",
					     "syslog", "file", "stdout" };
	for (size_t i = 1; i < 7; i++) {
		ck_assert_ptr_null(a->targets[i].name);
		ck_assert_str_eq(cfg_string(a->targets[i].inline_cfg, "type"),
				 types[i - 1]);
	}
	/* A libconfig group becomes the same JSON a Parseable file holds. */
	ck_assert_str_eq(json_object_to_json_string_ext(a->targets[1].inline_cfg,
							JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
			 "{\"type\":\"webhook\",\"endpoint\":\"https://alerts.example/hook\","
			 "\"headers\":{\"Authorization\":\"Bearer x\",\"X-Team\":\"sec\"},"
			 "\"skip_tls_check\":true,\"format\":\"json\",\"timeout\":\"5s\","
			 "\"repeat\":{\"interval\":\"10s\",\"times\":5},"
			 "\"send_resolved\":false}");
	/* a native webhook is not given Parseable's text format */
	ck_assert_int_eq(cfg_int(a->targets[5].inline_cfg, "max_files", NULL), 3);

	a = r.alerts.v[1];
	ck_assert(a->is_column_rule);
	ck_assert_str_eq(a->column.op, "greaterThan");
	ck_assert_str_eq(a->column.value, "500");
	ck_assert(a->column.value_is_number);
	ck_assert_uint_eq(a->repeats, 2);
	ck_assert_uint_eq(a->ntargets, 1);
	ck_assert_str_eq(a->targets[0].name, "local");

	static const char *const fields[] = {
		"process_exec_process_binary", "process_exec_process_pod_namespace",
		"process_exec_process_pod_name", "process_exec_process_arguments",
		"process_exec_process_uid",
	};
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(field_table_lookup(r.ft, fields[i], strlen(fields[i])) >= 0,
			      "%s not interned", fields[i]);
	loaded_free(&r);
}
END_TEST

START_TEST(native_defaults)
{
	struct loaded r = { 0 };
	const char *paths[] = { data("tests/data/rulefiles/defaults.rules") };
	load_paths(&r, paths, 1, src_prefix());
	ck_assert_str_eq(r.out, "");
	ck_assert_uint_eq(r.alerts.n, 1);
	alert_def *a = r.alerts.v[0];
	ck_assert_uint_eq(a->severity, SEVERITY_WARNING);
	ck_assert_str_eq(severity_name(a->severity), "warning");
	ck_assert_uint_eq(a->n_group_by, 0);
	ck_assert_uint_eq(a->repeats, 1);
	ck_assert_int_eq(a->within_ms, 0);
	ck_assert_int_eq(a->resolve_after_ms, 5 * 60 * 1000);
	ck_assert_uint_eq(a->max_instances, 1000);
	ck_assert(a->enabled);
	ck_assert(!a->is_column_rule);
	ck_assert_ptr_null(a->extra);
	loaded_free(&r);
}
END_TEST

/* ---- errors, exactly ---- */

struct error_case {
	const char *name;       /* file name (its extension picks the format) */
	const char *text;
	const char *expected;   /* the whole report */
};

static void check_case(const struct error_case *c)
{
	struct loaded r = { 0 };
	load_text(&r, c->name, c->text);
	ck_assert_msg(strcmp(r.out, c->expected) == 0,
		      "%s:\n--- got:\n%s--- expected:\n%s", c->name, r.out,
		      c->expected);
	loaded_free(&r);
}

START_TEST(rule_error_inside_json_string)
{
	/* The error is after an escaped quote and a \u escape: the column
	 * points at the '=>' in the file, not in the decoded rule. */
	static const struct error_case c = {
		"t.json",
		"{\"version\": \"v1\", \"alerts\": [\n"
		"  {\"name\": \"a\", \"message\": \"m\",\n"
		"   \"rule\": {\"type\": \"composite\",\n"
		"            \"config\": \"x = \\\"\\u00e9\\\" and process_exec_process_uid => 1000\"},\n"
		"   \"targets\": [{\"type\": \"webhook\", \"endpoint\": \"https://x\"}]}\n"
		"]}\n",
		"t.json:4:68: error: unknown operator '=>' (did you mean '>='?)\n"
		"                \"config\": \"x = \\\"\\u00e9\\\" and process_exec_process_uid => 1000\"},\n"
		"                                                                       ^\n",
	};
	check_case(&c);
}
END_TEST

START_TEST(rule_error_inside_libconfig_string)
{
	/* Escapes before the error: \" \\ \x41 each take more bytes in the
	 * file than in the rule. */
	static const struct error_case c = {
		"t.rules",
		"alerts = ( { name = \"esc\"; message = \"m\"; targets = [ \"t\" ];\n"
		"  rule = \"process_exec_process_binary = \\\"a\\\\\\\"b\\x41\\\" and x => 1\"; } );\n",
		"t.rules:2:62: error: unknown operator '=>' (did you mean '>='?)\n"
		"      rule = \"process_exec_process_binary = \\\"a\\\\\\\"b\\x41\\\" and x => 1\"; } );\n"
		"                                                                 ^\n",
	};
	check_case(&c);
}
END_TEST

START_TEST(rule_error_in_concatenated_literals)
{
	static const struct error_case c = {
		"t.rules",
		"alerts = ( { name = \"cat\"; message = \"m\"; targets = [ \"t\" ];\n"
		"  rule = \"process_exec_process_uid > 0 and \"   # first part\n"
		"         \"process_exec_process_uid => 1000\"; } );\n",
		"t.rules:3:36: error: unknown operator '=>' (did you mean '>='?)\n"
		"             \"process_exec_process_uid => 1000\"; } );\n"
		"                                       ^\n",
	};
	check_case(&c);
}
END_TEST

START_TEST(regex_error_inside_column_value)
{
	/* The regex's error offset maps through the escapes of the value's
	 * string literal, in either syntax. */
	static const struct error_case cases[] = {
		{ "r.json",
		  "{\"version\": \"v1\", \"alerts\": [{\"name\": \"r\", \"message\": \"m\",\n"
		  "  \"targets\": [\"t\"], \"rule\": {\"type\": \"column\", \"config\":\n"
		  "    {\"column\": \"c\", \"operator\": \"regex\", \"value\": \"\\u0041\\\\d[a-\"}}}]}\n",
		  "r.json:3:64: error: invalid regular expression: missing terminating ] for character class\n"
		  "        {\"column\": \"c\", \"operator\": \"regex\", \"value\": \"\\u0041\\\\d[a-\"}}}]}\n"
		  "                                                                   ^\n" },
		{ "r.rules",
		  "alerts = ( { name = \"r\"; message = \"m\"; targets = [\"t\"];\n"
		  "  rule = { type = \"column\";\n"
		  "           config = { column = \"c\"; operator = \"~\"; value = \"\\\\d+\\\\x41(x\"; }; }; } );\n",
		  "r.rules:3:73: error: invalid regular expression: missing closing parenthesis\n"
		  "               config = { column = \"c\"; operator = \"~\"; value = \"\\\\d+\\\\x41(x\"; }; }; } );\n"
		  "                                                                            ^\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}
END_TEST

START_TEST(native_validation_errors)
{
	static const struct error_case cases[] = {
		{ "a.rules",
		  "alerts = ( { name = \"x\"; message = \"m\"; rule = \"a = 1\";\n"
		  "  severtiy = \"critical\"; targets = [\"t\"]; } );\n",
		  "a.rules:2:3: warning: unknown key 'severtiy' (did you mean 'severity'?)\n"
		  "      severtiy = \"critical\"; targets = [\"t\"]; } );\n"
		  "      ^\n" },
		{ "a.rules",
		  "alerts = (\n  { name = \"x\"; rule = \"a = 1\"; }\n);\n",
		  "a.rules:2:3: error: missing 'message'\n"
		  "      { name = \"x\"; rule = \"a = 1\"; }\n"
		  "      ^\n"
		  "a.rules:2:3: error: missing 'targets'\n"
		  "      { name = \"x\"; rule = \"a = 1\"; }\n"
		  "      ^\n" },
		{ "a.rules",
		  "alerts = ( { name = \"x\"; message = \"m\"; rule = \"a = 1\"; targets = [\"t\"];\n"
		  "  within = \"10\"; resolve_after = \"3 parsecs\"; repeats = 0; max_instances = 1.5; } );\n",
		  "a.rules:2:12: error: 'within': missing unit in duration '10'\n"
		  "      within = \"10\"; resolve_after = \"3 parsecs\"; repeats = 0; max_instances = 1.5; } );\n"
		  "               ^\n"
		  "a.rules:2:34: error: 'resolve_after': unknown unit 'parsecs' in duration '3 parsecs' (expected ms, s, m, h or d)\n"
		  "      within = \"10\"; resolve_after = \"3 parsecs\"; repeats = 0; max_instances = 1.5; } );\n"
		  "                                     ^\n"
		  "a.rules:2:57: error: 'repeats' must be at least 1\n"
		  "      within = \"10\"; resolve_after = \"3 parsecs\"; repeats = 0; max_instances = 1.5; } );\n"
		  "                                                            ^\n"
		  "a.rules:2:76: error: 'max_instances' must be an integer\n"
		  "      within = \"10\"; resolve_after = \"3 parsecs\"; repeats = 0; max_instances = 1.5; } );\n"
		  "                                                                               ^\n" },
		{ "a.rules",
		  "alerts = ( { name = \"x\"; message = \"m\"; rule = \"a = 1\"; severity = \"critcal\";\n"
		  "  targets = ( { type = \"webhook\"; endpoint = \"mailto:x\"; repeat = { interval = \"10\"; }; } ); } );\n",
		  "a.rules:1:68: error: unknown severity 'critcal' (did you mean 'critical'?)\n"
		  "    alerts = ( { name = \"x\"; message = \"m\"; rule = \"a = 1\"; severity = \"critcal\";\n"
		  "                                                                       ^\n"
		  "a.rules:2:46: error: 'endpoint' must be an http:// or https:// URL\n"
		  "      targets = ( { type = \"webhook\"; endpoint = \"mailto:x\"; repeat = { interval = \"10\"; }; } ); } );\n"
		  "                                                 ^\n"
		  "a.rules:2:80: error: 'interval': missing unit in duration '10'\n"
		  "      targets = ( { type = \"webhook\"; endpoint = \"mailto:x\"; repeat = { interval = \"10\"; }; } ); } );\n"
		  "                                                                                   ^\n" },
		{ "a.rules",
		  "alerts = ( { name = \"x\"; message = \"m\"; rule = \"a = 1\";\n"
		  "  targets = ( { type = \"syslog\"; server = \"udp://h\"; }, { type = \"smtp\"; } ); } );\n",
		  "a.rules:2:43: error: 'server' must be udp://host:port or tcp://host:port\n"
		  "      targets = ( { type = \"syslog\"; server = \"udp://h\"; }, { type = \"smtp\"; } ); } );\n"
		  "                                              ^\n"
		  "a.rules:2:66: error: unknown target type 'smtp' (expected webhook, slack, alertmanager, syslog, file or stdout)\n"
		  "      targets = ( { type = \"syslog\"; server = \"udp://h\"; }, { type = \"smtp\"; } ); } );\n"
		  "                                                                     ^\n" },
		{ "a.rules",
		  "alerts = ( { name = \"x\"; message = \"m\"; targets = [\"t\"];\n"
		  "  rule = { type = \"column\"; config = { column = \"c\"; value = true; }; }; } );\n",
		  "a.rules:2:62: error: a column rule's 'value' must be a number or a string\n"
		  "      rule = { type = \"column\"; config = { column = \"c\"; value = true; }; }; } );\n"
		  "                                                                 ^\n" },
		{ "a.rules",
		  "alerts = (\n  { name = ; }\n);\n",
		  "a.rules:2:12: error: syntax error: expected a value\n"
		  "      { name = ; }\n"
		  "               ^\n" },
		{ "a.rules",
		  "alerts = ();\n\"stray\";\n",
		  "a.rules:2:1: error: syntax error: expected a setting name\n"
		  "    \"stray\";\n"
		  "    ^\n" },
		{ "a.rules",
		  "alerts = ( { name \"x\"; } );\n",
		  "a.rules:1:19: error: syntax error: expected '=' or ':' after the name\n"
		  "    alerts = ( { name \"x\"; } );\n"
		  "                      ^\n" },
		{ "a.rules",
		  "alerts = ( { name = \"x\" } { } );\n",
		  "a.rules:1:27: error: syntax error: expected ',' or ')'\n"
		  "    alerts = ( { name = \"x\" } { } );\n"
		  "                              ^\n" },
		{ "a.rules",
		  "alerts = ( { name = \"x; } );\n",
		  "a.rules:1:21: error: syntax error: unterminated string\n"
		  "    alerts = ( { name = \"x; } );\n"
		  "                        ^\n" },
		{ "a.rules",
		  "alerts = ();\nalerts = ();\n",
		  "a.rules:2: error: duplicate setting name\n"
		  "    alerts = ();\n" },
		{ "a.rules",
		  "alerts = (\n  { name = \"x\"; }\n",
		  "a.rules:2:18: error: syntax error: unexpected end of file\n"
		  "      { name = \"x\"; }\n"
		  "                     ^\n" },
		{ "a.rules", "",
		  "a.rules: error: missing 'alerts' (alerts = ( { name = ...; }, ... );)\n" },
		{ "a.rules", "alerts = 5;\n",
		  "a.rules:1:10: error: 'alerts' must be a list: alerts = ( { name = ...; }, ... );\n"
		  "    alerts = 5;\n"
		  "             ^\n" },
		{ "a.rules", "alerts = ();\n @include \"/etc/passwd\"\n",
		  "a.rules:2:2: error: @include is not supported in a rule file (put each file in the rules directory)\n"
		  "     @include \"/etc/passwd\"\n"
		  "     ^\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}
END_TEST

START_TEST(parseable_validation_errors)
{
	static const struct error_case cases[] = {
		{ "p.json",
		  "{\"version\": \"v1\", \"alerts\": [\n"
		  "  {\"name\": \"x\", \"message\": \"\", \"rule\": {\"type\": \"composite\", \"config\": \"a = 1\"},\n"
		  "   \"targets\": []}]}\n",
		  "p.json:2:28: error: 'message' must not be empty\n"
		  "      {\"name\": \"x\", \"message\": \"\", \"rule\": {\"type\": \"composite\", \"config\": \"a = 1\"},\n"
		  "                               ^\n"
		  "p.json:3:15: error: 'targets' must not be empty: an alert needs a target\n"
		  "       \"targets\": []}]}\n"
		  "                  ^\n" },
		{ "p.json",
		  "{\"alerts\": [\n  {\"name\": \"x\"}\n]}",
		  "p.json:1:1: error: missing 'version' (Parseable alert files start with \"version\": \"v1\")\n"
		  "    {\"alerts\": [\n"
		  "    ^\n"
		  "p.json:2:3: error: missing 'message'\n"
		  "      {\"name\": \"x\"}\n"
		  "      ^\n"
		  "p.json:2:3: error: missing 'rule'\n"
		  "      {\"name\": \"x\"}\n"
		  "      ^\n"
		  "p.json:2:3: error: missing 'targets'\n"
		  "      {\"name\": \"x\"}\n"
		  "      ^\n" },
		{ "p.json",
		  "{\"version\": \"v1\", \"alerts\": [\n"
		  "  {\"name\": \"x\", \"message\": \"m\", \"rule\": {\"type\": \"composit\", \"config\": \"a = 1\"},\n"
		  "   \"targets\": [{\"type\": \"webhook\", \"endpoint\": \"https://x\", \"skip_tls\": true}]}]}\n",
		  "p.json:2:50: error: unknown rule type 'composit' (did you mean 'composite'?)\n"
		  "      {\"name\": \"x\", \"message\": \"m\", \"rule\": {\"type\": \"composit\", \"config\": \"a = 1\"},\n"
		  "                                                     ^\n"
		  "p.json:3:61: warning: unknown key 'skip_tls' (did you mean 'skip_tls_check'?)\n"
		  "       \"targets\": [{\"type\": \"webhook\", \"endpoint\": \"https://x\", \"skip_tls\": true}]}]}\n"
		  "                                                                ^\n" },
		{ "p.json",
		  "{\n  \"version\": \"v1\",\n  \"alerts\": [\n    {\"name\": \"x\",}\n  ]\n}\n",
		  "p.json:4:18: error: JSON syntax error: unexpected character\n"
		  "        {\"name\": \"x\",}\n"
		  "                     ^\n" },
		{ "p.json",
		  "{\n  \"version\": \"v1\",\n  \"alerts\": [\n",
		  "p.json:3:14: error: JSON syntax error: unexpected end of input\n"
		  "      \"alerts\": [\n"
		  "                 ^\n" },
		{ "p.json", "[]",
		  "p.json:1:1: error: a Parseable alert file must be an object {\"version\": \"v1\", \"alerts\": [...]}\n"
		  "    []\n"
		  "    ^\n" },
		{ "p.json", "{\"version\": \"v1\", \"alerts\": {}}",
		  "p.json:1:29: error: 'alerts' must be an array\n"
		  "    {\"version\": \"v1\", \"alerts\": {}}\n"
		  "                                ^\n" },
		{ "p.json", "{\"version\": 1, \"alerts\": []}",
		  "p.json:1:13: error: unsupported version '1' (expected \"v1\")\n"
		  "    {\"version\": 1, \"alerts\": []}\n"
		  "                ^\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}
END_TEST

/* Every problem of a file is reported, not just the first, and the report
 * matches the recorded one line for line. */
static void check_recorded(const char *file, const char *expected_file,
			   unsigned errors, unsigned warnings)
{
	struct loaded r = { 0 };
	const char *paths[] = { data(file) };
	load_paths(&r, paths, 1, src_prefix());
	char *expected = slurp(src_path(expected_file), NULL);
	ck_assert_ptr_nonnull(expected);
	ck_assert_str_eq(r.out, expected);
	ck_assert_uint_eq(r.errors, errors);
	ck_assert_uint_eq(r.warnings, warnings);
	ck_assert_uint_eq(r.alerts.n, 0);
	free(expected);
	loaded_free(&r);
}

START_TEST(all_errors_reported_native)
{
	check_recorded("tests/data/rulefiles/errors.rules",
		       "tests/data/rulefiles/errors.rules.out", 25, 3);
}
END_TEST

START_TEST(all_errors_reported_parseable)
{
	check_recorded("tests/data/rulefiles/errors.json",
		       "tests/data/rulefiles/errors.json.out", 16, 3);
}
END_TEST

START_TEST(good_alerts_survive_bad_neighbours)
{
	struct loaded r = { 0 };
	load_text(&r, "m.rules",
		  "alerts = (\n"
		  "  { name = \"one\"; message = \"m\"; rule = \"a = 1\"; targets = [\"t\"]; },\n"
		  "  { name = \"bad\"; message = \"m\"; rule = \"a => 1\"; targets = [\"t\"]; },\n"
		  "  { name = \"two\"; message = \"m\"; rule = \"b = 2\"; targets = [\"t\"]; }\n"
		  ");\n");
	ck_assert_uint_eq(r.errors, 1);
	ck_assert_uint_eq(r.alerts.n, 2);
	ck_assert_str_eq(r.alerts.v[0]->name, "one");
	ck_assert_str_eq(r.alerts.v[1]->name, "two");
	loaded_free(&r);
}
END_TEST

/* ---- names across files ---- */

START_TEST(duplicate_names_across_files)
{
	char *dir = make_temp_dir();
	char *a = write_file(dir, "a.rules",
			     "alerts = (\n"
			     "  { name = \"dup\"; message = \"m\"; rule = \"a = 1\"; targets = [\"t\"]; },\n"
			     "  { name = \"dup\"; message = \"m2\"; rule = \"a = 1\"; targets = [\"t\"]; }\n"
			     ");\n");
	char *b = write_file(dir, "b.json",
			     "{\"version\": \"v1\", \"alerts\": [\n"
			     "  {\"message\": \"m\", \"name\": \"dup\", \"rule\": {\"type\": \"composite\", \"config\": \"a = 1\"},\n"
			     "   \"targets\": [{\"type\": \"slack\", \"endpoint\": \"https://x\"}]}]}\n");
	char *prefix = xasprintf("%s/", dir);
	struct loaded r = { 0 };
	const char *paths[] = { dir };
	load_paths(&r, paths, 1, prefix);
	ck_assert_str_eq(r.out,
			 "a.rules:3:12: error: duplicate alert name 'dup' (first defined at a.rules:2:12)\n"
			 "      { name = \"dup\"; message = \"m2\"; rule = \"a = 1\"; targets = [\"t\"]; }\n"
			 "               ^\n"
			 "b.json:2:28: error: duplicate alert name 'dup' (first defined at a.rules:2:12)\n"
			 "      {\"message\": \"m\", \"name\": \"dup\", \"rule\": {\"type\": \"composite\", \"config\": \"a = 1\"},\n"
			 "                               ^\n");
	ck_assert_uint_eq(r.alerts.n, 1);
	ck_assert_str_eq(r.alerts.v[0]->message, "m");
	/* a later load into the same list still sees the name */
	const char *again[] = { a };
	free(r.out);
	r.out = NULL;
	load_paths(&r, again, 1, prefix);
	ck_assert_uint_eq(r.errors, 2);
	ck_assert_uint_eq(r.alerts.n, 1);
	free(prefix);
	free(a);
	free(b);
	loaded_free(&r);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* ---- directories ---- */

static const char *one_alert(const char *name)
{
	static char buf[8][256];
	static int next;
	char *b = buf[next++ % 8];
	snprintf(b, sizeof(buf[0]),
		 "alerts = ( { name = \"%s\"; message = \"m\"; rule = \"a = 1\"; "
		 "targets = [\"t\"]; } );\n", name);
	return b;
}

START_TEST(directory_order_and_ignored_names)
{
	char *dir = make_temp_dir();
	const char *files[] = { "b.rules", "Z.rules", "a.json", "c.rules~",
				".hidden.rules", "d.rules.dpkg-old", "e.rules.rpmnew",
				"f.rules.rpmsave", "g.dpkg-dist.rules" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = strcmp(files[i], "a.json") == 0
				  ? write_file(dir, files[i],
					       "{\"version\": \"v1\", \"alerts\": [{\"name\": \"a.json\", "
					       "\"message\": \"m\", \"rule\": {\"type\": \"composite\", "
					       "\"config\": \"a = 1\"}, \"targets\": [\"t\"]}]}")
				  : write_file(dir, files[i], one_alert(files[i]));
		free(p);
	}
	char *readme = write_file(dir, "README", "not rules");
	char *sub = xasprintf("%s/sub.rules", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	char *prefix = xasprintf("%s/", dir);
	struct loaded r = { 0 };
	const char *paths[] = { dir };
	load_paths(&r, paths, 1, prefix);
	ck_assert_str_eq(r.out, "README: warning: ignored: rule files end in .rules or .json\n");
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_uint_eq(r.alerts.n, 3);
	ck_assert_str_eq(r.alerts.v[0]->name, "Z.rules");  /* byte order */
	ck_assert_str_eq(r.alerts.v[1]->name, "a.json");
	ck_assert_str_eq(r.alerts.v[2]->name, "b.rules");
	loaded_free(&r);

	/* A directory given with a trailing slash, and a file given directly
	 * (whatever its name), load the same way. */
	char *slashed = xasprintf("%s/", dir);
	char *direct = xasprintf("%s/c.rules~", dir);
	const char *more[] = { slashed, direct };
	struct loaded r2 = { 0 };
	load_paths(&r2, more, 2, prefix);
	ck_assert_uint_eq(r2.alerts.n, 4);
	ck_assert_str_eq(r2.alerts.v[3]->name, "c.rules~");
	loaded_free(&r2);
	free(slashed);
	free(direct);
	free(prefix);
	free(readme);
	free(sub);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(missing_paths_are_errors)
{
	struct loaded r = { 0 };
	const char *paths[] = { "/nonexistent/rules.d", "/nonexistent/x.rules" };
	load_paths(&r, paths, 2, NULL);
	ck_assert_str_eq(r.out,
			 "/nonexistent/rules.d: error: cannot open: No such file or directory\n"
			 "/nonexistent/x.rules: error: cannot open: No such file or directory\n");
	ck_assert_uint_eq(r.errors, 2);
	loaded_free(&r);
	field_table *ft = field_table_new();
	diag *d = diag_new(NULL);
	alert_list l = { 0 };
	ck_assert_uint_eq(rulefiles_load_file("/nonexistent/y.json", ft, d, &l), 1);
	diag_free(&d);
	field_table_free(&ft);
}
END_TEST

START_TEST(ignored_names)
{
	static const char *const ignored[] = {
		"x.rules~", ".x.rules", ".", "..", "x.rules.dpkg-old",
		"x.rules.dpkg-new", "x.dpkg-dist", "x.rules.rpmnew",
		"x.rules.rpmsave",
	};
	static const char *const kept[] = {
		"x.rules", "x.json", "x~y.rules", "rpmnew.rules", "x.dpkg.rules",
	};
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		ck_assert_msg(rulefiles_ignored_name(ignored[i]), "%s", ignored[i]);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		ck_assert_msg(!rulefiles_ignored_name(kept[i]), "%s", kept[i]);
}
END_TEST

/* ---- durations ---- */

START_TEST(durations)
{
	static const struct { const char *text; int64_t ms; } good[] = {
		{ "500ms", 500 }, { "10s", 10000 }, { "3m 20s", 200000 },
		{ "1h30m", 5400000 }, { "2d", 172800000 },
		{ "1h 30m 10s 5ms", 5410005 }, { " 5m ", 300000 }, { "0s", 0 },
		{ "1w", 604800000 }, { "2min", 120000 }, { "3 hours", 10800000 },
		{ "1day", 86400000 }, { "10sec 5msec", 10005 },
		{ "106751991167d", 106751991167LL * 86400000 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t ms = -1;
		char err[128] = "";
		ck_assert_msg(parse_duration(good[i].text, &ms, err, sizeof(err)) == 0,
			      "%s: %s", good[i].text, err);
		ck_assert_int_eq(ms, good[i].ms);
	}
	static const struct { const char *text, *err; } bad[] = {
		{ "10", "missing unit in duration '10'" },
		{ "1h30", "missing unit in duration '1h30'" },
		{ "", "empty duration" },
		{ "  ", "empty duration" },
		{ "10x", "unknown unit 'x' in duration '10x' (expected ms, s, m, h or d)" },
		{ "5M", "unknown unit 'M' in duration '5M' (expected ms, s, m, h or d)" },
		{ "1.5h", "fractions are not supported in duration '1.5h'" },
		{ "-5s", "invalid duration '-5s' (expected numbers with units, as in 1h30m)" },
		{ "s", "invalid duration 's' (expected numbers with units, as in 1h30m)" },
		{ "10s,5m", "invalid duration '10s,5m' (expected numbers with units, as in 1h30m)" },
		{ "106751991167d 1d", "duration '106751991167d 1d' is too long" },
		{ "106751991168d", "duration '106751991168d' is too long" },
		{ "99999999999999999999ms", "duration '99999999999999999999ms' is too long" },
		{ "1\n", "missing unit in duration '1\\n'" },
		{ "5m\n", "invalid duration '5m\\n' (expected numbers with units, as in 1h30m)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = -1;
		char err[128] = "";
		ck_assert_msg(parse_duration(bad[i].text, &ms, err, sizeof(err)) < 0,
			      "%s accepted", bad[i].text);
		ck_assert_str_eq(err, bad[i].err);
		ck_assert_int_eq(ms, -1);
	}
}
END_TEST

/* ---- message placeholders ---- */

struct seen {
	char names[8][32];
	size_t start[8], end[8];
	size_t n;
};

static void record(void *arg, const char *name, size_t len, size_t start,
		   size_t end)
{
	struct seen *s = arg;
	ck_assert_uint_lt(s->n, 8);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%.*s", (int)len, name);
	s->start[s->n] = start;
	s->end[s->n++] = end;
}

START_TEST(template_placeholders)
{
	struct seen s = { 0 };
	const char *t = "{a} x {b_c}{} {d{e} {\nf} {g";
	ck_assert_uint_eq(template_scan(t, strlen(t), record, &s), 3);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.names[0], "a");
	ck_assert_uint_eq(s.start[0], 0);
	ck_assert_uint_eq(s.end[0], 3);
	ck_assert_str_eq(s.names[1], "b_c");
	ck_assert_uint_eq(s.start[1], 6);
	ck_assert_uint_eq(s.end[1], 11);
	ck_assert_str_eq(s.names[2], "d{e");  /* Parseable's lazy \{(.*?)\} */
	field_table *ft = field_table_new();
	ck_assert_uint_eq(template_intern(t, strlen(t), ft), 3);
	ck_assert_int_eq(field_table_lookup(ft, "b_c", 3), 1);
	ck_assert_int_eq(field_table_lookup(ft, "f", 1), -1);
	ck_assert_uint_eq(template_scan("", 0, NULL, NULL), 0);
	ck_assert_uint_eq(template_scan("no placeholders", 15, NULL, NULL), 0);
	field_table_free(&ft);
}
END_TEST

START_TEST(template_is_linear)
{
	size_t n = 1 << 20;
	char *t = malloc(n);
	memset(t, '{', n);
	ck_assert_uint_eq(template_scan(t, n, NULL, NULL), 0);
	t[n - 1] = '}';
	ck_assert_uint_eq(template_scan(t, n, NULL, NULL), 1);
	free(t);
}
END_TEST

/* ---- message text helpers ---- */

START_TEST(suggestions)
{
	static const char *const keys[] = { "name", "message", "severity",
					    "group_by", "targets", NULL };
	ck_assert_str_eq(msgtext_suggest("severtiy", 8, keys), "severity");
	ck_assert_str_eq(msgtext_suggest("groupBy", 7, keys), "group_by");
	ck_assert_str_eq(msgtext_suggest("Name", 4, keys), "name");
	ck_assert_str_eq(msgtext_suggest("nam", 3, keys), "name");
	ck_assert_ptr_null(msgtext_suggest("nm", 2, keys));
	ck_assert_ptr_null(msgtext_suggest("colour", 6, keys));
	ck_assert_str_eq(msgtext_suggest("targ", 4, keys), "targets");  /* cut short */
	ck_assert_ptr_null(msgtext_suggest("tar", 3, keys));
	ck_assert_ptr_null(msgtext_suggest("", 0, keys));
	char longword[200];
	memset(longword, 'a', sizeof(longword));
	ck_assert_ptr_null(msgtext_suggest(longword, sizeof(longword), keys));
}
END_TEST

START_TEST(quoting)
{
	char *q = msgtext_quote("a\nb\tc\x01'd", 8);
	ck_assert_str_eq(q, "a\\nb\\tc\\x01'd");
	free(q);
	char big[100];
	memset(big, 'x', sizeof(big));
	q = msgtext_quote(big, sizeof(big));
	ck_assert_uint_eq(strlen(q), 83);
	ck_assert_str_eq(q + 80, "...");
	free(q);
	/* "é" straddling the cut is not split */
	char utf[100];
	memset(utf, 'x', sizeof(utf));
	memcpy(utf + 79, "\xC3\xA9", 2);
	q = msgtext_quote(utf, sizeof(utf));
	ck_assert_str_eq(q + 79, "...");
	free(q);
}
END_TEST

/* ---- hostile input ---- */

START_TEST(hostile_inputs_do_not_crash)
{
	static const char *const texts[] = {
		"alerts = ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( ( 1 ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) ) );",
		"alerts = ( { name = \"x\"; message = \"{\"; rule = { type = \"column\"; config = { }; }; targets = ( { } ); } );",
		"alerts = ( { name = 1; message = 2; rule = 3; severity = 4; group_by = 5; repeats = \"x\"; within = 6; resolve_after = 7; max_instances = -1; targets = 8; enabled = 9; } );",
		"alerts = ( { targets = ( { type = \"webhook\"; headers = 1; repeat = 2; endpoint = 3; skip_tls_check = 4; format = 5; timeout = 6; } ); } );",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct loaded r = { 0 };
		load_text(&r, "h.rules", texts[i]);
		ck_assert_uint_gt(r.errors, 0);
		ck_assert_uint_eq(r.alerts.n, 0);
		loaded_free(&r);
	}
	static const char *const json[] = {
		"{\"version\": null, \"alerts\": [null, 1, \"x\", [], {\"name\": null, \"rule\": null, \"targets\": null}]}",
		"{\"version\": \"v1\", \"alerts\": [{\"rule\": {\"type\": null, \"config\": null}, \"targets\": [{\"type\": null}]}]}",
		"{\"version\": \"v1\", \"alerts\": [{\"rule\": {\"type\": \"column\", \"config\": {\"column\": null, \"operator\": null, \"value\": null}}}]}",
		"{\"version\": \"v1\", \"alerts\": [{\"name\": \"\\u0000\", \"targets\": [{\"type\": \"webhook\", \"endpoint\": \"https://x\\u0000y\", \"headers\": {\"a\": \"b\\r\\nc\"}}]}]}",
		"\xEF\xBB\xBF{}",
		"{\"a\": \"\xC3\"}",
	};
	for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
		struct loaded r = { 0 };
		load_text(&r, "h.json", json[i]);
		ck_assert_uint_gt(r.errors, 0);
		ck_assert_uint_eq(r.alerts.n, 0);
		loaded_free(&r);
	}
	/* NUL bytes: refused before any parser sees them */
	field_table *ft = field_table_new();
	diag *d = diag_new(NULL);
	alert_list l = { 0 };
	ck_assert_uint_eq(rules_native_parse("n.rules", "alerts\0= ();", 12, ft, d, &l), 1);
	ck_assert_uint_eq(rules_parseable_parse("n.json", "{}\0", 3, ft, d, &l), 1);
	ck_assert_uint_eq(l.n, 0);
	diag_free(&d);
	field_table_free(&ft);
}
END_TEST

Suite *rulefiles_suite(void)
{
	Suite *s = suite_create("rulefiles");
	TCase *tc = tcase_create("parseable");
	tcase_add_test(tc, tetrademo_loads_unchanged);
	tcase_add_test(tc, parseable_column_rules);
	tcase_add_test(tc, parseable_stream_names);
	tcase_add_test(tc, parseable_validation_errors);
	tcase_add_test(tc, rule_error_inside_json_string);
	tcase_add_test(tc, all_errors_reported_parseable);
	suite_add_tcase(s, tc);

	tc = tcase_create("native");
	tcase_add_test(tc, native_every_key);
	tcase_add_test(tc, native_defaults);
	tcase_add_test(tc, native_validation_errors);
	tcase_add_test(tc, rule_error_inside_libconfig_string);
	tcase_add_test(tc, rule_error_in_concatenated_literals);
	tcase_add_test(tc, regex_error_inside_column_value);
	tcase_add_test(tc, all_errors_reported_native);
	tcase_add_test(tc, good_alerts_survive_bad_neighbours);
	suite_add_tcase(s, tc);

	tc = tcase_create("loading");
	tcase_add_test(tc, duplicate_names_across_files);
	tcase_add_test(tc, directory_order_and_ignored_names);
	tcase_add_test(tc, missing_paths_are_errors);
	tcase_add_test(tc, ignored_names);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, hostile_inputs_do_not_crash);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, template_placeholders);
	tcase_add_test(tc, template_is_linear);
	tcase_add_test(tc, suggestions);
	tcase_add_test(tc, quoting);
	suite_add_tcase(s, tc);
	return s;
}
