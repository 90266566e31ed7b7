/* bpfalert replay: recorded events through the rule set.
 *
 *   --matches   one {"line":N,"alerts":[...]} per input event
 *   --dry-run   the notifications that would be sent (virtual clock) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "event.h"
#include "flatten.h"
#include "jsonl.h"
#include "jsonout.h"
#include "ruleset.h"

struct matches_ctx {
	const alert_list *alerts;
	FILE *out;
	size_t nmatched;
};

static void print_match(void *ctx, size_t alert, bool matched)
{
	struct matches_ctx *m = ctx;
	if (!matched)
		return;
	if (m->nmatched++)
		fputc(',', m->out);
	const char *name = m->alerts->v[alert]->name;
	json_write_string(m->out, name, strlen(name));
}

static FILE *open_input(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return stdin;
	FILE *f = fopen(path, "rb");
	if (!f)
		fprintf(stderr, "bpfalert replay: %s: %s\n", path, strerror(errno));
	return f;
}

static const char *input_name(const char *path)
{
	return !path || !strcmp(path, "-") ? "<stdin>" : path;
}

static enum jsonl_bad flatten_bad_kind(enum flatten_status st)
{
	return st == FLATTEN_NOT_OBJECT ? JSONL_BAD_NOT_OBJECT : JSONL_BAD_JSON;
}

/* Every input line that is an event gets one output line. */
static void replay_matches(const struct loaded_rules *lr, ruleset *rs,
			   jsonl_reader *rd, FILE *out)
{
	flattener *fl = flattener_new(lr->ft);
	event *ev = event_new();
	struct matches_ctx m = { .alerts = &lr->alerts, .out = out };
	const char *line;
	size_t len, lineno;
	char err[256];
	while (jsonl_next(rd, &line, &len, &lineno, stderr) == 1) {
		enum flatten_status st = flattener_parse(fl, line, len, ev, err,
							 sizeof(err));
		if (st != FLATTEN_OK) {
			jsonl_count_bad(rd, flatten_bad_kind(st), lineno, err, stderr);
			continue;
		}
		fprintf(out, "{\"line\":%zu,\"alerts\":[", lineno);
		m.nmatched = 0;
		ruleset_eval(rs, ev, print_match, &m);
		fputs("]}\n", out);
	}
	event_free(&ev);
	flattener_free(&fl);
}

static void print_bad_summary(const jsonl_reader *rd)
{
	const struct jsonl_counters *c = jsonl_counters(rd);
	unsigned long long bad = 0;
	for (int k = 0; k < JSONL_BAD_KINDS; k++)
		bad += c->bad[k];
	if (!bad)
		return;
	fprintf(stderr, "bpfalert replay: %llu of %llu lines skipped (", bad, c->lines);
	const char *sep = "";
	for (int k = 0; k < JSONL_BAD_KINDS; k++) {
		if (!c->bad[k])
			continue;
		fprintf(stderr, "%s%s %llu", sep, jsonl_bad_name(k), c->bad[k]);
		sep = ", ";
	}
	fputs(")\n", stderr);
}

int cmd_replay(const struct cli_options *opt)
{
	if (opt->nargs) {
		fprintf(stderr, "bpfalert replay: unexpected argument '%s'\n", opt->args[0]);
		return EXIT_USAGE;
	}
	if (!opt->matches && !opt->dry_run) {
		fputs("bpfalert replay: choose --matches or --dry-run\n", stderr);
		return EXIT_USAGE;
	}
	struct loaded_rules lr;
	if (loaded_rules_load(&lr, opt, stderr)) {
		fprintf(stderr, "bpfalert replay: %u error%s in rules\n", lr.errors,
			lr.errors == 1 ? "" : "s");
		loaded_rules_free(&lr);
		return EXIT_RULES;
	}
	FILE *in = open_input(opt->input);
	if (!in) {
		loaded_rules_free(&lr);
		return EXIT_RUNTIME;
	}
	ruleset *rs = ruleset_new(&lr.alerts, lr.ft);
	ruleset_set_prefilter(rs, !opt->no_prefilter);
	jsonl_reader *rd = jsonl_reader_new(in, input_name(opt->input));
	replay_matches(&lr, rs, rd, stdout);
	print_bad_summary(rd);
	jsonl_reader_free(&rd);
	ruleset_free(&rs);
	if (in != stdin)
		fclose(in);
	loaded_rules_free(&lr);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
