/* bpfalert events — see cmd_events.h. */
#include "cmd_events.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compact.h"
#include "event.h"
#include "flatten.h"
#include "ruleset.h"
#include "xalloc.h"

/* The names of the alerts one event matched. */
struct marks {
	const alert_list *alerts;
	const char **names;
	size_t n, cap;
};

static void note_match(void *ctx, size_t alert, bool matched)
{
	struct marks *m = ctx;
	if (!matched)
		return;
	m->names = xgrow(m->names, &m->cap, m->n + 1, sizeof(*m->names));
	m->names[m->n++] = m->alerts->v[alert]->name;
}

static void print_compact(const struct events_options *o, event *ev,
			  const struct marks *m)
{
	char *line = compact_render(ev->root, (o->color ? COMPACT_COLOR : 0) |
					   (o->timestamps ? COMPACT_TIMESTAMPS : 0));
	fputs(line, o->out);
	free(line);
	if (m && m->n) {
		fputs("  [alerts: ", o->out);
		for (size_t i = 0; i < m->n; i++)
			fprintf(o->out, "%s%s", i ? ", " : "", m->names[i]);
		fputc(']', o->out);
	}
	fputc('\n', o->out);
}

static void print_json(const struct events_options *o, event *ev,
		       const struct marks *m)
{
	if (m) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < m->n; i++)
			json_object_array_add(a, json_object_new_string(m->names[i]));
		json_object_object_add(ev->root, "alerts", a);
	}
	fputs(json_object_to_json_string_ext(ev->root, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE), o->out);
	fputc('\n', o->out);
}

static enum jsonl_bad bad_kind(enum flatten_status st)
{
	return st == FLATTEN_NOT_OBJECT ? JSONL_BAD_NOT_OBJECT : JSONL_BAD_JSON;
}

int events_print(const struct events_options *o, struct jsonl_counters *counters)
{
	field_table *own = o->ft ? NULL : field_table_new();
	const field_table *ft = o->ft ? o->ft : own;
	flattener *fl = flattener_new(ft);
	flattener_set_scan(fl, false); /* every event is shown whole */
	event *ev = event_new();
	ruleset *rs = o->alerts ? ruleset_new(o->alerts, ft) : NULL;
	if (rs)
		ruleset_set_prefilter(rs, !o->no_prefilter);
	jsonl_reader *rd = jsonl_reader_new(o->in, o->in_name);
	const char *line;
	size_t len, lineno;
	char err[256];
	struct marks m = { .alerts = o->alerts };
	while (jsonl_next(rd, &line, &len, &lineno, o->report) == 1) {
		enum flatten_status st = flattener_parse(fl, line, len, ev, err, sizeof(err));
		if (st != FLATTEN_OK) {
			jsonl_count_bad(rd, bad_kind(st), lineno, err, o->report);
			continue;
		}
		m.n = 0;
		if (rs)
			ruleset_eval(rs, ev, note_match, &m);
		if (o->json)
			print_json(o, ev, rs ? &m : NULL);
		else
			print_compact(o, ev, rs ? &m : NULL);
	}
	if (counters)
		*counters = *jsonl_counters(rd);
	free(m.names);
	jsonl_reader_free(&rd);
	ruleset_free(&rs);
	event_free(&ev);
	flattener_free(&fl);
	field_table_free(&own);
	return fflush(o->out) == 0 && !ferror(o->out) ? 0 : -1;
}

/* ---- the command ---- */

static void print_skipped(const struct jsonl_counters *c)
{
	unsigned long long bad = 0;
	for (int k = 0; k < JSONL_BAD_KINDS; k++)
		bad += c->bad[k];
	if (!bad)
		return;
	fprintf(stderr, "bpfalert events: %llu of %llu lines skipped (", bad, c->lines);
	const char *sep = "";
	for (int k = 0; k < JSONL_BAD_KINDS; k++) {
		if (c->bad[k]) {
			fprintf(stderr, "%s%s %llu", sep, jsonl_bad_name(k), c->bad[k]);
			sep = ", ";
		}
	}
	fputs(")\n", stderr);
}

/* tetra's "auto": colours on a terminal, unless NO_COLOR or TERM=dumb. */
static bool want_color(FILE *out)
{
	const char *term = getenv("TERM");
	return isatty(fileno(out)) && !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
}

static int check_usage(const struct cli_options *opt)
{
	if (opt->nargs) {
		fprintf(stderr, "bpfalert events: unexpected argument '%s'\n", opt->args[0]);
		return EXIT_USAGE;
	}
	if (opt->output && strcmp(opt->output, "compact") && strcmp(opt->output, "json")) {
		fprintf(stderr, "bpfalert events: -o must be compact or json, not '%s'\n",
			opt->output);
		return EXIT_USAGE;
	}
	if (opt->color && strcmp(opt->color, "auto") && strcmp(opt->color, "always") &&
	    strcmp(opt->color, "never")) {
		fprintf(stderr, "bpfalert events: --color must be auto, always or never, not '%s'\n",
			opt->color);
		return EXIT_USAGE;
	}
	return 0;
}

static bool color_of(const struct cli_options *opt)
{
	if (opt->color && !strcmp(opt->color, "always"))
		return true;
	if (opt->color && !strcmp(opt->color, "never"))
		return false;
	return want_color(stdout);
}

static int run(const struct cli_options *opt, const struct loaded_rules *lr)
{
	bool is_stdin = !opt->input || !strcmp(opt->input, "-");
	FILE *in = is_stdin ? stdin : fopen(opt->input, "rb");
	if (!in) {
		fprintf(stderr, "bpfalert events: %s: %s\n", opt->input, strerror(errno));
		return EXIT_RUNTIME;
	}
	struct events_options o = {
		.in = in, .in_name = is_stdin ? "<stdin>" : opt->input,
		.out = stdout, .report = stderr,
		.json = opt->output && !strcmp(opt->output, "json"),
		.color = color_of(opt), .timestamps = opt->timestamps,
		.alerts = lr ? &lr->alerts : NULL, .ft = lr ? lr->ft : NULL,
		.no_prefilter = opt->no_prefilter,
	};
	struct jsonl_counters c;
	int rc = events_print(&o, &c);
	print_skipped(&c);
	if (!is_stdin)
		fclose(in);
	if (rc < 0)
		fprintf(stderr, "bpfalert events: writing the output failed\n");
	return rc < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_events(const struct cli_options *opt)
{
	int rc = check_usage(opt);
	if (rc)
		return rc;
	if (!opt->nrule_paths)
		return run(opt, NULL);
	struct loaded_rules lr;
	if (loaded_rules_load(&lr, opt, false, stderr)) {
		fprintf(stderr, "bpfalert events: %u error%s in configuration or rules\n",
			lr.errors, lr.errors == 1 ? "" : "s");
		loaded_rules_free(&lr);
		return EXIT_RULES;
	}
	rc = run(opt, &lr);
	loaded_rules_free(&lr);
	return rc;
}
