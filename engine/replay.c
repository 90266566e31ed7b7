/* bpfalert replay: recorded events through the rule set.
 *
 *   --matches   one {"line":N,"alerts":[...]} per input event
 *   --dry-run   the notifications that would be sent, on a virtual clock
 *   (neither)   the same notifications, delivered for real, and every event
 *               to the configuration's exports (a backfill of a store);
 *               waits until every queue and export has drained, at most
 *               --deadline (default 3m): past it, says what is left (it
 *               stays in the spool and the exports' buffers) and exits 3 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "dispatch.h"
#include "dryrun.h"
#include "export.h"
#include "event.h"
#include "flatten.h"
#include "jsonl.h"
#include "jsonout.h"
#include "loop.h"
#include "rulefiles.h"
#include "ruleset.h"

/* How long a backfill may spend delivering before it gives up (--deadline). */
#define REPLAY_DEADLINE "3m"

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

static void print_bad_summary(const struct jsonl_counters *c)
{
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

static int run_matches(const struct loaded_rules *lr, const struct cli_options *opt,
		       FILE *in)
{
	ruleset *rs = ruleset_new(&lr->alerts, lr->ft);
	ruleset_set_prefilter(rs, !opt->no_prefilter);
	jsonl_reader *rd = jsonl_reader_new(in, input_name(opt->input));
	replay_matches(lr, rs, rd, stdout);
	print_bad_summary(jsonl_counters(rd));
	jsonl_reader_free(&rd);
	ruleset_free(&rs);
	return 0;
}

static struct dryrun_options driver_options(const struct loaded_rules *lr,
					    const struct cli_options *opt, FILE *in,
					    struct jsonl_counters *counters)
{
	return (struct dryrun_options){
		.alerts = &lr->alerts, .fields = lr->ft, .targets = &lr->targets,
		.target_map = lr->target_map, .node_name = lr->config->node_name,
		.max_event_bytes = lr->config->max_event_bytes,
		.no_prefilter = opt->no_prefilter, .in = in,
		.in_name = input_name(opt->input), .out = stdout,
		.format = opt->output && !strcmp(opt->output, "text") ? DRYRUN_TEXT
								     : DRYRUN_JSON,
		.report = stderr, .counters = counters,
	};
}

static int run_dry(const struct loaded_rules *lr, const struct cli_options *opt,
		   FILE *in)
{
	struct jsonl_counters counters = { 0 };
	struct dryrun_options o = driver_options(lr, opt, in, &counters);
	int rc = dryrun_run(&o);
	print_bad_summary(&counters);
	return rc;
}

/* ---- delivering for real ---- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct delivery {
	loop *loop;
	dispatcher *disp;
	exports *exports;
	const char *line;          /* the event being replayed */
	size_t len;
};

static void submit(void *ctx, const notification *n, const char *body)
{
	(void)body;
	struct delivery *dv = ctx;
	dispatcher_submit(dv->disp, notification_clone(n));
}

/* Every replayed event goes to the exports too: a backfill of a store. */
static void export_event(void *ctx, const event *ev, const char *const *alerts,
			 size_t nalerts)
{
	struct delivery *dv = ctx;
	exports_submit(dv->exports, dv->line, dv->len, ev, alerts, nalerts);
	/* lets batches go out while the input is read */
	loop_run_once(dv->loop, 0);
}

static void feed_events(dryrun *dr, FILE *in, const char *name, struct delivery *dv)
{
	jsonl_reader *rd = jsonl_reader_new(in, name);
	const char *line;
	size_t len, lineno;
	while (!interrupted && jsonl_next(rd, &line, &len, &lineno, stderr) == 1) {
		if (dryrun_parse(dr, line, len, name, lineno) < 0)
			continue;
		dv->line = line;
		dv->len = len;
		int64_t at;
		if (!dryrun_event_time(dr, &at))
			at = dryrun_clock(dr) == INT64_MIN ? loop_wall_ms() : dryrun_clock(dr);
		dryrun_process(dr, at);
	}
	print_bad_summary(jsonl_counters(rd));
	jsonl_reader_free(&rd);
}

/* Says what was not delivered, per target. */
static void report_left(const dispatcher *d, const char *why, const char *state_dir)
{
	size_t left = 0;
	for (size_t i = 0; i < dispatcher_ntargets(d); i++) {
		struct target_stats st;
		dispatcher_target_stats(d, i, &st);
		left += st.queued;
	}
	fprintf(stderr, "bpfalert replay: %s; %zu notification%s not delivered, "
		"left in %s/spool for the daemon:\n", why, left, left == 1 ? "" : "s",
		state_dir);
	for (size_t i = 0; i < dispatcher_ntargets(d); i++) {
		struct target_stats st;
		dispatcher_target_stats(d, i, &st);
		if (st.queued)
			fprintf(stderr, "  target '%s': %zu (%llu delivered, %llu retried)\n",
				dispatcher_target_name(d, i), st.queued, st.sent, st.retried);
	}
}

/* Says what the exports did not send. */
static void report_exports_left(const exports *x, const char *why, const char *state_dir)
{
	fprintf(stderr, "bpfalert replay: %s; events not exported are left in "
		"%s/exports for the daemon:\n", why, state_dir);
	for (size_t i = 0; i < exports_count(x); i++) {
		const struct export_stats *st = exports_stats(x, i);
		if (st->buffer_bytes)
			fprintf(stderr, "  export '%s': %llu bytes buffered (%llu batches "
				"delivered, %llu retried)\n", exports_name(x, i),
				st->buffer_bytes, st->batches, st->retries);
	}
}

/* 0 once every queue and export is empty; -1 when interrupted or past the
 * deadline. */
static int drain(struct delivery *dv, int64_t deadline_ms, const char *deadline_text,
		 const char *state_dir)
{
	int64_t until = loop_now() + deadline_ms;
	exports_flush(dv->exports);
	while (!interrupted && loop_now() < until &&
	       !(dispatcher_idle(dv->disp) && exports_idle(dv->exports)))
		loop_run_once(dv->loop, 200);
	bool sent = dispatcher_idle(dv->disp), exported = exports_idle(dv->exports);
	if (sent && exported)
		return 0;
	char why[96];
	snprintf(why, sizeof(why), interrupted ? "interrupted"
		 : "the delivery deadline (%s) passed", deadline_text);
	if (!sent)
		report_left(dv->disp, why, state_dir);
	if (!exported)
		report_exports_left(dv->exports, why, state_dir);
	return -1;
}

static int parse_deadline(const struct cli_options *opt, int64_t *ms)
{
	char why[200] = "";
	if (parse_duration(opt->deadline ? opt->deadline : REPLAY_DEADLINE, ms, why,
			   sizeof(why)) < 0 || *ms <= 0) {
		fprintf(stderr, "bpfalert replay: --deadline: %s\n",
			*why ? why : "must be longer than zero");
		return -1;
	}
	return 0;
}

static int run_deliver(const struct loaded_rules *lr, const struct cli_options *opt,
		       FILE *in)
{
	char err[512];
	int64_t deadline_ms;
	if (parse_deadline(opt, &deadline_ms) < 0)
		return -1;
	loop *l = loop_new();
	struct dispatch_config dc = {
		.loop = l, .targets = &lr->targets, .state_dir = lr->config->state_dir,
		.node_name = lr->config->node_name, .queue_max = lr->config->queue_max,
	};
	dispatcher *d = dispatcher_new(&dc, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "bpfalert replay: %s\n", err);
		loop_free(&l);
		return -1;
	}
	struct delivery dv = { .loop = l, .disp = d };
	dv.exports = exports_new(&lr->exports, l, lr->config->state_dir, err, sizeof(err));
	if (!dv.exports) {
		fprintf(stderr, "bpfalert replay: %s\n", err);
		dispatcher_free(&d);
		loop_free(&l);
		return -1;
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	struct dryrun_options o = driver_options(lr, opt, in, NULL);
	dryrun *dr = dryrun_new(&o, submit, &dv);
	if (exports_count(dv.exports))
		dryrun_on_event(dr, export_event, &dv);
	feed_events(dr, in, o.in_name, &dv);
	if (!interrupted)
		dryrun_finish(dr);
	int rc = drain(&dv, deadline_ms, opt->deadline ? opt->deadline : REPLAY_DEADLINE,
		       lr->config->state_dir);
	dryrun_free(&dr);
	exports_free(&dv.exports);
	dispatcher_free(&d);
	loop_free(&l);
	return rc;
}

int cmd_replay(const struct cli_options *opt)
{
	if (opt->nargs) {
		fprintf(stderr, "bpfalert replay: unexpected argument '%s'\n", opt->args[0]);
		return EXIT_USAGE;
	}
	if (opt->output && strcmp(opt->output, "json") && strcmp(opt->output, "text")) {
		fprintf(stderr, "bpfalert replay: -o must be json or text, not '%s'\n",
			opt->output);
		return EXIT_USAGE;
	}
	struct loaded_rules lr;
	if (loaded_rules_load(&lr, opt, !opt->matches, stderr)) {
		fprintf(stderr, "bpfalert replay: %u error%s in configuration or rules\n",
			lr.errors, lr.errors == 1 ? "" : "s");
		loaded_rules_free(&lr);
		return EXIT_RULES;
	}
	FILE *in = open_input(opt->input);
	int rc = -1;
	if (in) {
		rc = opt->matches ? run_matches(&lr, opt, in)
		   : opt->dry_run ? run_dry(&lr, opt, in)
				  : run_deliver(&lr, opt, in);
		if (in != stdin)
			fclose(in);
	}
	loaded_rules_free(&lr);
	if (fflush(stdout) != 0)
		rc = -1;
	return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
