#include "dryrun.h"

#include <stdlib.h>
#include <string.h>

#include "alertmgr.h"
#include "event.h"
#include "flatten.h"
#include "jsonl.h"
#include "jsonout.h"
#include "notifier.h"
#include "ruleset.h"
#include "xalloc.h"

/* A target's notifier, set up on first use. */
struct tnotifier {
	const struct notifier_ops *ops;
	void *state;
	bool tried;
};

struct dryrun {
	struct dryrun_options opt;
	dryrun_sink_fn sink;
	void *sink_ctx;
	ruleset *rs;
	alertmgr *am;
	flattener *fl;
	event *ev;
	bool have_event;
	enum jsonl_bad bad;     /* why the last parse failed */
	int64_t clock;
	struct tnotifier *tn;   /* one per target of opt.targets */
	dryrun_event_fn on_event;
	void *on_event_ctx;
	const char **matched;   /* alerts the event matched */
	size_t nmatched;
};

static const char *source_of(const dryrun *dr)
{
	return dr->opt.source ? dr->opt.source : "tetragon";
}

static void report(const dryrun *dr, const char *fmt, const char *a,
		   const char *b)
{
	if (dr->opt.report)
		fprintf(dr->opt.report, fmt, a, b);
}

/* The notifier of target i, or NULL (reported once) if it cannot render. */
static struct tnotifier *notifier_of(dryrun *dr, size_t i)
{
	struct tnotifier *t = &dr->tn[i];
	const target_def *td = dr->opt.targets->v[i];
	char err[256] = "";

	if (t->tried)
		return t->ops ? t : NULL;
	t->tried = true;
	const struct notifier_ops *ops = notifier_lookup(td->type);
	if (!ops || !ops->render) {
		report(dr, "bpfalert: target '%s': no notifier of type '%s'; "
		       "showing the alert document\n", td->name, td->type);
		return NULL;
	}
	struct notifier_env env = {
		.node_name = dr->opt.node_name ? dr->opt.node_name : "",
		.target_name = td->name,
	};
	if (ops->init(td->cfg, &env, &t->state, err, sizeof(err)) != 0) {
		report(dr, "bpfalert: target '%s': %s; showing the alert "
		       "document\n", td->name, err);
		return NULL;
	}
	t->ops = ops;
	return t;
}

static char *render_body(dryrun *dr, const notification *n)
{
	size_t i = n->target ? target_set_find(dr->opt.targets, n->target)
			     : SIZE_MAX;
	struct tnotifier *t = i == SIZE_MAX ? NULL : notifier_of(dr, i);
	char *body = t ? t->ops->render(t->state, n) : NULL;
	return body ? body : notification_document_text(n);
}

static void on_notification(void *ctx, notification *n)
{
	dryrun *dr = ctx;
	char *body = render_body(dr, n);
	if (dr->sink)
		dr->sink(dr->sink_ctx, n, body);
	free(body);
	notification_free(&n);
}

static void on_verdict(void *ctx, size_t alert, bool matched)
{
	dryrun *dr = ctx;
	if (matched) {
		alertmgr_match(dr->am, alert, dr->ev, source_of(dr), dr->clock);
		dr->matched[dr->nmatched++] = dr->opt.alerts->v[alert]->name;
	}
	else
		alertmgr_no_match(dr->am, alert, dr->ev, dr->clock);
}

dryrun *dryrun_new(const struct dryrun_options *opt, dryrun_sink_fn sink,
		   void *ctx)
{
	dryrun *dr = xcalloc(1, sizeof(*dr));
	dr->opt = *opt;
	dr->sink = sink;
	dr->sink_ctx = ctx;
	dr->clock = INT64_MIN;
	dr->rs = ruleset_new(opt->alerts, opt->fields);
	ruleset_set_prefilter(dr->rs, !opt->no_prefilter);
	struct alertmgr_config ac = {
		.alerts = opt->alerts,
		.targets = opt->targets,
		.target_map = opt->target_map,
		.fields = opt->fields,
		.node_name = opt->node_name ? opt->node_name : "",
		.max_event_bytes = opt->max_event_bytes,
		.emit = on_notification,
		.emit_ctx = dr,
	};
	dr->am = alertmgr_new(&ac);
	dr->fl = flattener_new(opt->fields);
	dr->ev = event_new();
	dr->tn = xcalloc(opt->targets->n ? opt->targets->n : 1, sizeof(*dr->tn));
	dr->matched = xcalloc(opt->alerts->n + 1, sizeof(*dr->matched));
	return dr;
}

void dryrun_free(dryrun **pdr)
{
	dryrun *dr = *pdr;
	if (!dr)
		return;
	for (size_t i = 0; i < dr->opt.targets->n; i++)
		if (dr->tn[i].ops && dr->tn[i].ops->fini)
			dr->tn[i].ops->fini(dr->tn[i].state);
	free(dr->tn);
	free(dr->matched);
	alertmgr_free(&dr->am);
	ruleset_free(&dr->rs);
	flattener_free(&dr->fl);
	event_free(&dr->ev);
	free(dr);
	*pdr = NULL;
}

int dryrun_parse(dryrun *dr, const char *text, size_t len, const char *name,
		 size_t lineno)
{
	char err[256] = "";
	enum flatten_status st = flattener_parse(dr->fl, text, len, dr->ev, err,
						 sizeof(err));
	dr->have_event = st == FLATTEN_OK;
	dr->bad = st == FLATTEN_NOT_OBJECT ? JSONL_BAD_NOT_OBJECT : JSONL_BAD_JSON;
	if (st != FLATTEN_OK) {
		if (dr->opt.report)
			fprintf(dr->opt.report, "%s:%zu: error: %s\n",
				name ? name : "<input>", lineno,
				st == FLATTEN_NOT_OBJECT && !err[0]
					? "not a JSON object" : err);
		return -1;
	}
	dr->ev->line = lineno;
	return 0;
}

bool dryrun_event_time(const dryrun *dr, int64_t *ms)
{
	if (!dr->have_event || !dr->ev->has_time)
		return false;
	int64_t ns = dr->ev->time_ns;
	*ms = ns / 1000000 - (ns % 1000000 < 0); /* floor */
	return true;
}

void dryrun_process(dryrun *dr, int64_t at_ms)
{
	if (at_ms > dr->clock)
		dr->clock = at_ms;
	alertmgr_advance(dr->am, dr->clock);
	dr->nmatched = 0;
	if (dr->have_event) {
		ruleset_eval(dr->rs, dr->ev, on_verdict, dr);
		if (dr->on_event)
			dr->on_event(dr->on_event_ctx, dr->ev, dr->matched, dr->nmatched);
	}
	dr->have_event = false;
}

void dryrun_on_event(dryrun *dr, dryrun_event_fn fn, void *ctx)
{
	dr->on_event = fn;
	dr->on_event_ctx = ctx;
}

void dryrun_finish(dryrun *dr)
{
	int64_t due;
	while ((due = alertmgr_next_due(dr->am)) != INT64_MAX) {
		if (due > dr->clock)
			dr->clock = due;
		alertmgr_advance(dr->am, dr->clock);
	}
}

int64_t dryrun_clock(const dryrun *dr)
{
	return dr->clock;
}

/* ---- output ---- */

static void print_json(FILE *out, const notification *n, const char *body)
{
	char t[NOTIFICATION_TIME_MAX];
	const char *status = notification_status_name(n->status);

	notification_format_time(n->time_ms, t, sizeof(t));
	fprintf(out, "{\"time\":\"%s\",\"alert\":", t);
	json_write_string(out, n->alert, strlen(n->alert));
	fprintf(out, ",\"status\":\"%s\",\"target\":", status);
	json_write_string(out, n->target, strlen(n->target));
	fprintf(out, ",\"seq\":%u,\"of\":", n->seq);
	if (n->of)
		fprintf(out, "%u", n->of);
	else
		fputs("null", out);
	fprintf(out, ",\"count\":%u,\"body\":", n->count);
	json_write_string(out, body, strlen(body));
	fputs("}\n", out);
}

/* Text for one human line: control characters become spaces. */
static void put_plain(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out);
}

static void print_text(FILE *out, const notification *n)
{
	char t[NOTIFICATION_TIME_MAX];

	notification_format_time(n->time_ms, t, sizeof(t));
	fprintf(out, "%s %-8s ", t, notification_status_name(n->status));
	put_plain(out, n->alert);
	for (size_t g = 0; g < n->ngroup; g++) {
		fputs(g ? ", " : " {", out);
		put_plain(out, n->group_keys[g]);
		fputc('=', out);
		put_plain(out, n->group_values[g]);
	}
	fputs(n->ngroup ? "} -> " : " -> ", out);
	put_plain(out, n->target);
	if (n->of)
		fprintf(out, " [%u/%u, count %u]", n->seq, n->of, n->count);
	else
		fprintf(out, " [%u, count %u]", n->seq, n->count);
	if (n->status == NOTIFY_FIRING) {
		fputs(": ", out);
		put_plain(out, n->message ? n->message : "");
	}
	fputc('\n', out);
}

void dryrun_print(FILE *out, enum dryrun_format format, const notification *n,
		  const char *body)
{
	if (format == DRYRUN_TEXT)
		print_text(out, n);
	else
		print_json(out, n, body);
}

static void print_sink(void *ctx, const notification *n, const char *body)
{
	const struct dryrun_options *opt = ctx;
	dryrun_print(opt->out, opt->format, n, body);
}

int dryrun_run(const struct dryrun_options *opt)
{
	dryrun *dr = dryrun_new(opt, print_sink, (void *)opt);
	const char *name = opt->in_name ? opt->in_name : "<input>";
	jsonl_reader *rd = jsonl_reader_new(opt->in, name);
	const char *line;
	size_t len, lineno;
	int64_t t;

	while (jsonl_next(rd, &line, &len, &lineno, opt->report) == 1) {
		if (dryrun_parse(dr, line, len, name, lineno) < 0) {
			jsonl_count_bad(rd, dr->bad, lineno, NULL, NULL);
			continue;
		}
		/* An event without a time keeps the clock where it is (the
		 * epoch if nothing has set it yet). */
		if (!dryrun_event_time(dr, &t))
			t = dr->clock == INT64_MIN ? 0 : dr->clock;
		dryrun_process(dr, t);
	}
	dryrun_finish(dr);
	if (opt->counters)
		*opt->counters = *jsonl_counters(rd);
	jsonl_reader_free(&rd);
	dryrun_free(&dr);
	return fflush(opt->out) == 0 && !ferror(opt->out) ? 0 : -1;
}
