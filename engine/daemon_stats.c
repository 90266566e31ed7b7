#include "daemon_stats.h"

#include <stdio.h>
#include <string.h>

#include "ruleset.h"

void daemon_stats_init(struct daemon_stats *s, const struct generation *g,
		       const alertmgr *am, const dispatcher *d)
{
	memset(s, 0, sizeof(*s));
	daemon_stats_set_generation(s, g, am, d);
}

void daemon_stats_fini(struct daemon_stats *s) { memset(s, 0, sizeof(*s)); }

void daemon_stats_set_generation(struct daemon_stats *s, const struct generation *g,
				 const alertmgr *am, const dispatcher *d)
{
	s->gen = g;
	s->am = am;
	s->disp = d;
}

void daemon_stats_set_sources(struct daemon_stats *s, const tetragon_source *t,
			      const bpf_source *b)
{
	s->tetragon = t;
	s->bpf = b;
}

static size_t origin_index(const char *origin)
{
	return strcmp(origin, "bpf") == 0;
}

void daemon_stats_count_event(struct daemon_stats *s, const char *origin,
			      const char *kind, size_t kind_len)
{
	if (!kind) {
		kind = "none";
		kind_len = 4;
	}
	for (size_t i = 0; i < s->nkinds; i++) {
		struct kind_count *k = &s->kinds[i];
		if (!strcmp(k->origin, origin) && strlen(k->kind) == kind_len &&
		    !memcmp(k->kind, kind, kind_len)) {
			k->n++;
			return;
		}
	}
	if (s->nkinds == DAEMON_STATS_KINDS || kind_len >= sizeof(s->kinds[0].kind)) {
		s->other_kinds++;
		return;
	}
	struct kind_count *k = &s->kinds[s->nkinds++];
	snprintf(k->origin, sizeof(k->origin), "%s", origin);
	memcpy(k->kind, kind, kind_len);
	k->kind[kind_len] = '\0';
	k->n = 1;
}

void daemon_stats_count_bad(struct daemon_stats *s, const char *origin, int kind)
{
	if (kind >= 0 && kind < JSONL_BAD_KINDS)
		s->bad[origin_index(origin)][kind]++;
}

/* ---- the page ---- */

static void render_events(const struct daemon_stats *s, metrics_writer *w)
{
	metrics_family(w, "bpfalert_events_total", "counter",
		       "Events received, by source and event kind.");
	for (size_t i = 0; i < s->nkinds; i++) {
		const char *l[] = { "source", s->kinds[i].origin, "kind", s->kinds[i].kind, NULL };
		metrics_sample(w, "bpfalert_events_total", l, (double)s->kinds[i].n);
	}
	if (s->other_kinds) {
		const char *l[] = { "source", "any", "kind", "other", NULL };
		metrics_sample(w, "bpfalert_events_total", l, (double)s->other_kinds);
	}
	metrics_family(w, "bpfalert_events_malformed_total", "counter",
		       "Input lines dropped as malformed, by source and reason.");
	static const char *const origins[] = { "tetragon", "bpf" };
	for (int o = 0; o < 2; o++)
		for (int k = 0; k < JSONL_BAD_KINDS; k++) {
			const char *l[] = { "source", origins[o], "reason",
					    jsonl_bad_name((enum jsonl_bad)k), NULL };
			metrics_sample(w, "bpfalert_events_malformed_total", l,
				       (double)s->bad[o][k]);
		}
}

static void render_bpf(const struct daemon_stats *s, metrics_writer *w)
{
	struct bpf_source_stats bs = { 0 };
#if BPFALERT_HAVE_PROBES
	if (s->bpf)
		bpf_source_get_stats(s->bpf, &bs);
#endif
	metrics_family(w, "bpfalert_events_lost_total", "counter",
		       "Kernel events lost because the ring buffer was full.");
	metrics_sample(w, "bpfalert_events_lost_total", NULL, (double)bs.lost);
	metrics_family(w, "bpfalert_probe_hook", "gauge",
		       "The kernel hook each probe uses (value 1).");
#if BPFALERT_HAVE_PROBES
	if (!s->bpf)
		return;
	const char *const *names, *const *hooks;
	size_t n = bpf_source_hooks(s->bpf, &names, &hooks);
	for (size_t i = 0; i < n; i++) {
		const char *l[] = { "probe", names[i], "hook", hooks[i], NULL };
		metrics_sample(w, "bpfalert_probe_hook", l, 1);
	}
	metrics_family(w, "bpfalert_probe_blind_spot", "gauge",
		       "Kinds of file access the probes cannot see on this kernel (value 1).");
	n = bpf_source_blind_spots(s->bpf, &names);
	for (size_t i = 0; i < n; i++) {
		const char *l[] = { "access", names[i], NULL };
		metrics_sample(w, "bpfalert_probe_blind_spot", l, 1);
	}
#endif
}

/* The kernel's own run counts and times of each program (Tetragon's
 * bpf_prog_get_info_by_fd figures); zero unless kernel.bpf_stats_enabled=1. */
static void render_prog_costs(const struct daemon_stats *s, metrics_writer *w)
{
	metrics_family(w, "bpfalert_probe_program_runs_total", "counter",
		       "Runs of each kernel program (kernel.bpf_stats_enabled=1).");
#if BPFALERT_HAVE_PROBES
	struct probe_prog_stat st[128];
	size_t n = s->bpf ? bpf_source_prog_stats(s->bpf, st, 128) : 0;
	if (n > 128)
		n = 128;
	for (size_t i = 0; i < n; i++) {
		const char *l[] = { "program", st[i].name, NULL };
		metrics_sample(w, "bpfalert_probe_program_runs_total", l, (double)st[i].runs);
	}
#endif
	metrics_family(w, "bpfalert_probe_program_seconds_total", "counter",
		       "Kernel time in each program (kernel.bpf_stats_enabled=1).");
#if BPFALERT_HAVE_PROBES
	for (size_t i = 0; i < n; i++) {
		const char *l[] = { "program", st[i].name, NULL };
		metrics_sample(w, "bpfalert_probe_program_seconds_total", l,
			       (double)st[i].run_ns / 1e9);
	}
#endif
}

static void render_rules(const struct daemon_stats *s, metrics_writer *w)
{
	const alert_list *alerts = &s->gen->alerts;
	metrics_family(w, "bpfalert_rule_evaluations_total", "counter",
		       "Times each alert's rule was evaluated.");
	for (size_t i = 0; i < alerts->n; i++) {
		const char *l[] = { "alert", alerts->v[i]->name, NULL };
		metrics_sample(w, "bpfalert_rule_evaluations_total", l,
			       (double)ruleset_stats(s->gen->rules, i)->evaluations);
	}
	metrics_family(w, "bpfalert_rule_matches_total", "counter",
		       "Events each alert's rule matched.");
	for (size_t i = 0; i < alerts->n; i++) {
		const char *l[] = { "alert", alerts->v[i]->name, NULL };
		metrics_sample(w, "bpfalert_rule_matches_total", l,
			       (double)ruleset_stats(s->gen->rules, i)->matches);
	}
	metrics_family(w, "bpfalert_rule_eval_seconds_total", "counter",
		       "Time spent evaluating each alert's rule.");
	for (size_t i = 0; i < alerts->n; i++) {
		const char *l[] = { "alert", alerts->v[i]->name, NULL };
		metrics_sample(w, "bpfalert_rule_eval_seconds_total", l,
			       (double)ruleset_stats(s->gen->rules, i)->nanoseconds / 1e9);
	}
	metrics_family(w, "bpfalert_rule_regex_errors_total", "counter",
		       "Evaluations where a regular expression gave up (PCRE2 limits); "
		       "the comparison counted as not holding.");
	for (size_t i = 0; i < alerts->n; i++) {
		const char *l[] = { "alert", alerts->v[i]->name, NULL };
		metrics_sample(w, "bpfalert_rule_regex_errors_total", l,
			       (double)ruleset_stats(s->gen->rules, i)->regex_errors);
	}
	metrics_family(w, "bpfalert_alert_overflow_total", "counter",
		       "Matches folded into an alert's overflow instance (max_instances reached).");
	for (size_t i = 0; i < alerts->n; i++) {
		const char *l[] = { "alert", alerts->v[i]->name, NULL };
		metrics_sample(w, "bpfalert_alert_overflow_total", l,
			       (double)alertmgr_overflow_count(s->am, i));
	}
	struct alertmgr_stats as;
	alertmgr_get_stats(s->am, &as);
	metrics_family(w, "bpfalert_alert_instances", "gauge", "Live alert instances.");
	metrics_sample(w, "bpfalert_alert_instances", NULL, (double)as.instances_live);
}

static void target_sample(metrics_writer *w, const char *target, const char *result,
			  unsigned long long v)
{
	const char *l[] = { "target", target, "result", result, NULL };
	metrics_sample(w, "bpfalert_notifications_total", l, (double)v);
}

static void render_targets(const struct daemon_stats *s, metrics_writer *w)
{
	if (!s->disp)
		return;
	size_t n = dispatcher_ntargets(s->disp);
	metrics_family(w, "bpfalert_notifications_total", "counter",
		       "Notifications by target and result.");
	for (size_t i = 0; i < n; i++) {
		struct target_stats ts;
		dispatcher_target_stats(s->disp, i, &ts);
		const char *t = dispatcher_target_name(s->disp, i);
		target_sample(w, t, "sent", ts.sent);
		target_sample(w, t, "failed", ts.failed);
		target_sample(w, t, "retried", ts.retried);
		target_sample(w, t, "dropped", ts.dropped);
		target_sample(w, t, "expired", ts.expired);
	}
	metrics_family(w, "bpfalert_queue_depth", "gauge",
		       "Notifications waiting for each target.");
	for (size_t i = 0; i < n; i++) {
		struct target_stats ts;
		dispatcher_target_stats(s->disp, i, &ts);
		const char *l[] = { "target", dispatcher_target_name(s->disp, i), NULL };
		metrics_sample(w, "bpfalert_queue_depth", l, (double)ts.queued);
	}
	metrics_family(w, "bpfalert_spool_notifications", "gauge",
		       "Notifications in the spool, not yet acknowledged.");
	metrics_sample(w, "bpfalert_spool_notifications", NULL,
		       (double)dispatcher_spool_size(s->disp));
	metrics_family(w, "bpfalert_spool_quarantined_total", "counter",
		       "Spool records set aside as corrupt, misnamed or not regular files.");
	metrics_sample(w, "bpfalert_spool_quarantined_total", NULL,
		       (double)dispatcher_spool_quarantined(s->disp));
}

static void render_reloads(const struct daemon_stats *s, metrics_writer *w)
{
	metrics_family(w, "bpfalert_reloads_total", "counter",
		       "Configuration reloads by result.");
	const char *ok[] = { "result", "success", NULL };
	const char *bad[] = { "result", "failure", NULL };
	metrics_sample(w, "bpfalert_reloads_total", ok, (double)s->reload_successes);
	metrics_sample(w, "bpfalert_reloads_total", bad, (double)s->reload_failures);
	metrics_family(w, "bpfalert_build_info", "gauge", "bpfalert's version (value 1).");
	const char *v[] = { "version", BPFALERT_VERSION, NULL };
	metrics_sample(w, "bpfalert_build_info", v, 1);
}

void daemon_stats_render(void *ctx, metrics_writer *w)
{
	const struct daemon_stats *s = ctx;
	render_events(s, w);
	render_bpf(s, w);
	render_prog_costs(s, w);
	render_rules(s, w);
	render_targets(s, w);
	render_reloads(s, w);
	exports_render(s->exports, w);
}
