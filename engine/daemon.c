#include "daemon.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "alertmgr.h"
#include "alertstate.h"
#include "bpf_source.h"
#include "config.h"
#include "daemon_stats.h"
#include "dispatch.h"
#include "evdoc.h"
#include "export.h"
#include "flatten.h"
#include "generation.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "policy.h"
#include "sdnotify.h"
#include "ruleset.h"
#include "tetragon_source.h"
#include "xalloc.h"

/* How long SIGTERM waits for pending notifications before leaving them in
 * the spool for the next start. */
#define STOP_DRAIN_MS 5000
#define STATE_SAVE_MS 5000
#define HUP_SETTLE_MS 200
#define HUP_MAX_WAIT_MS 2000

struct daemon {
	const struct cli_options *opt;
	loop *loop;
	struct generation *gen;
	flattener *fl;
	event *ev;
	alertmgr *am;
	dispatcher *disp;
	exports *exports;
	tetragon_source *tetragon;
	bpf_source *bpf;
	policy_set policies;
	metrics_server *metrics;
	loop_timer *due_timer;
	int64_t armed_due;
	loop_timer *reload_timer;
	loop_timer *save_timer;
	unsigned long long saved_changes;   /* alertmgr_changes when last saved */
	const alertmgr *saved_am;
	int64_t hup_first;      /* loop_now() of the first SIGHUP of a burst */
	int sigfd;
	bool stopping;
	struct daemon_stats stats;
	/* the event being evaluated */
	const char *origin;
	int64_t now_ms;
	const char **matched;      /* names of the alerts it matched */
	size_t nmatched;
};

/* ---- events through the rules ---- */

static void on_verdict(void *ctx, size_t alert, bool matched)
{
	struct daemon *dm = ctx;
	if (matched) {
		alertmgr_match(dm->am, alert, dm->ev, dm->origin, dm->now_ms);
		dm->matched[dm->nmatched++] = dm->gen->alerts.v[alert]->name;
	}
	else
		alertmgr_no_match(dm->am, alert, dm->ev, dm->now_ms);
}

static void on_due(void *ctx);

/* Keeps one loop timer at the alert manager's next deadline. */
static void arm_due_timer(struct daemon *dm)
{
	int64_t due = alertmgr_next_due(dm->am);
	if (dm->due_timer && due == dm->armed_due)
		return;
	if (dm->due_timer)
		loop_timer_cancel(dm->loop, dm->due_timer);
	dm->due_timer = NULL;
	dm->armed_due = due;
	if (due == INT64_MAX)
		return;
	int64_t delay = due - loop_wall_ms();
	dm->due_timer = loop_timer_at(dm->loop, loop_now() + (delay > 0 ? delay : 0),
				      on_due, dm);
}

static void on_due(void *ctx)
{
	struct daemon *dm = ctx;
	dm->due_timer = NULL;
	alertmgr_advance(dm->am, loop_wall_ms());
	arm_due_timer(dm);
}

/* text: the event's JSON, handed to the exports after the rules ran. */
static void evaluate(struct daemon *dm, const char *origin, const char *text,
		     size_t len)
{
	dm->origin = origin;
	dm->now_ms = loop_wall_ms();
	dm->nmatched = 0;
	daemon_stats_count_event(&dm->stats, origin, dm->ev->kind, dm->ev->kind_len);
	alertmgr_advance(dm->am, dm->now_ms);
	ruleset_eval(dm->gen->rules, dm->ev, on_verdict, dm);
	arm_due_timer(dm);
	if (text && exports_count(dm->exports))
		exports_submit(dm->exports, text, len, dm->ev, dm->matched, dm->nmatched);
}

static void sink_line(void *ctx, const char *text, size_t len, const char *where,
		      size_t lineno, const char *origin)
{
	static struct log_ratelimit rl;
	struct daemon *dm = ctx;
	char err[256];
	enum flatten_status st = flattener_parse(dm->fl, text, len, dm->ev, err,
						 sizeof(err));
	if (st != FLATTEN_OK) {
		daemon_stats_count_bad(&dm->stats, origin, st == FLATTEN_NOT_OBJECT
				       ? JSONL_BAD_NOT_OBJECT : JSONL_BAD_JSON);
		log_ratelimited(&rl, LOG_LEVEL_WARN, "%s:%zu: %s; line skipped",
				where, lineno, err);
		return;
	}
	dm->ev->line = lineno;
	evaluate(dm, origin, text, len);
}

static void sink_object(void *ctx, struct json_object *root, const char *origin)
{
	struct daemon *dm = ctx;
	if (flattener_fill(dm->fl, root, dm->ev) != FLATTEN_OK) {
		daemon_stats_count_bad(&dm->stats, origin, JSONL_BAD_NOT_OBJECT);
		return;
	}
	size_t len = 0;
	const char *text = exports_count(dm->exports)
		? json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE, &len)
		: NULL;
	evaluate(dm, origin, text, len);
}

static void sink_tree(void *ctx, const struct evtree *t, const char *origin)
{
	struct daemon *dm = ctx;
	flattener_fill_tree(dm->fl, t, dm->ev);
	/* JSON is written only when an export wants the event. */
	size_t len = 0;
	struct json_object *root = exports_count(dm->exports)
		? evdoc_json(event_doc(dm->ev)) : NULL;
	const char *text = root
		? json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE, &len)
		: NULL;
	evaluate(dm, origin, text, len);
}

static void sink_bad(void *ctx, int kind, const char *origin)
{
	struct daemon *dm = ctx;
	daemon_stats_count_bad(&dm->stats, origin, kind);
}

static void emit(void *ctx, notification *n)
{
	struct daemon *dm = ctx;
	dispatcher_submit(dm->disp, n);
}

/* ---- building the parts ---- */

static alertmgr *new_alertmgr(struct daemon *dm, struct generation *g)
{
	struct alertmgr_config ac = {
		.alerts = &g->alerts, .targets = &g->targets,
		.target_map = g->target_map, .fields = g->ft,
		.node_name = g->config->node_name,
		.max_event_bytes = g->config->max_event_bytes,
		.max_state_bytes = g->config->max_alert_state_mb << 20,
		.emit = emit, .emit_ctx = dm,
	};
	return alertmgr_new(&ac);
}

static dispatcher *new_dispatcher(struct daemon *dm, struct generation *g)
{
	char err[512];
	struct dispatch_config dc = {
		.loop = dm->loop, .targets = &g->targets,
		.state_dir = g->config->state_dir, .node_name = g->config->node_name,
		.queue_max = g->config->queue_max,
	};
	dispatcher *d = dispatcher_new(&dc, err, sizeof(err));
	if (!d)
		log_error("%s", err);
	return d;
}

static exports *new_exports(struct daemon *dm, struct generation *g)
{
	char err[512];
	free(dm->matched);
	dm->matched = xcalloc(g->alerts.n + 1, sizeof(*dm->matched));
	exports *x = exports_new(&g->exports, dm->loop, g->config->state_dir, err,
				 sizeof(err));
	if (!x)
		log_error("%s", err);
	return x;
}

static const struct source_sink *daemon_sink(struct daemon *dm)
{
	static struct source_sink sink = {
		.line = sink_line, .tree = sink_tree, .object = sink_object, .bad = sink_bad,
	};
	sink.ctx = dm;
	return &sink;
}

static int start_tetragon(struct daemon *dm)
{
	const struct config *c = dm->gen->config;
	if (!c->tetragon.enabled)
		return 0;
	char err[512];
	struct tetragon_source_config tc = {
		.path = c->tetragon.path, .follow = c->tetragon.follow,
		.state_dir = c->state_dir,
	};
	dm->tetragon = tetragon_source_new(dm->loop, &tc, daemon_sink(dm), err, sizeof(err));
	if (!dm->tetragon) {
		log_error("tetragon source: %s", err);
		return -1;
	}
	log_info("following Tetragon events in %s", c->tetragon.path);
	return 0;
}


#if BPFALERT_HAVE_PROBES
/* TracingPolicies (-p, else policies_dirs), read at start and on SIGHUP
 * (prepare_policies): the probes' watch maps are built from them. */
static int load_policies(struct daemon *dm)
{
	const struct config *c = dm->gen->config;
	diag *d = diag_new(stderr);
	unsigned errors = policy_load_configured(dm->opt->policy_paths, dm->opt->npolicy_paths,
						 c->policies_dirs, c->npolicies_dirs, d,
						 &dm->policies);
	diag_free(&d);
	if (errors) {
		log_error("%u error%s in TracingPolicy files", errors, errors == 1 ? "" : "s");
		return -1;
	}
	for (size_t i = 0; i < dm->policies.n; i++)
		log_info("policy %s from %s", dm->policies.v[i]->name, dm->policies.v[i]->file);
	return 0;
}

static int start_bpf(struct daemon *dm)
{
	const struct config *c = dm->gen->config;
	if (!c->bpf.enabled)
		return 0;
	if (load_policies(dm))
		return -1;
	char err[512];
	struct bpf_source_config bc = {
		.exec = c->probes.exec, .exit = c->probes.exit, .fork = c->probes.fork,
		.connect = c->probes.connect,
		.watch = (const char *const *)c->probes.watch, .nwatch = c->probes.nwatch,
		.ring_buffer_mb = c->bpf.ring_buffer_mb, .proc_root = c->probes.proc_root,
		.cgroup_root = c->probes.cgroup_root, .pods_root = c->probes.pods_root,
		.node_name = c->node_name, .policies = &dm->policies,
		.hooks = (const char *const *)c->probes.hooks, .nhooks = c->probes.nhooks,
	};
	dm->bpf = bpf_source_new(dm->loop, &bc, daemon_sink(dm), err, sizeof(err));
	if (!dm->bpf) {
		log_error("kernel probes: %s", err);
		return -1;
	}
	return 0;
}
#else
static int start_bpf(struct daemon *dm)
{
	if (!dm->gen->config->bpf.enabled)
		return 0;
	log_error("kernel probes: this bpfalert was built without them; set "
		  "sources.bpf.enabled = false or build on a system with clang, "
		  "bpftool and libbpf");
	return -1;
}
#endif

static int start_metrics(struct daemon *dm)
{
	const char *listen = dm->gen->config->metrics_listen;
	if (!*listen)
		return 0;
	char err[512];
	dm->metrics = metrics_server_new(dm->loop, listen, daemon_stats_render, &dm->stats,
					 err, sizeof(err));
	if (!dm->metrics) {
		log_error("metrics endpoint %s: %s", listen, err);
		return -1;
	}
	log_info("metrics on http://%s/metrics", listen);
	return 0;
}

/* ---- signals ---- */

static void request_reload(struct daemon *dm);

static void stop(struct daemon *dm)
{
	if (dm->stopping)
		return;
	dm->stopping = true;
	sd_notify_state("STOPPING=1");
	log_info("stopping");
	loop_stop(dm->loop);
}

static void on_signal(void *ctx, int fd, uint32_t events)
{
	(void)events;
	struct daemon *dm = ctx;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP: request_reload(dm); break;
		case SIGUSR1:
			log_info("SIGUSR1: reopening file targets and exports");
			dispatcher_reopen(dm->disp);
			if (dm->exports)
				exports_reopen(dm->exports);
			break;
		default: stop(dm); break;
		}
	}
}

static void daemon_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

/* Blocked before anything starts a thread, so only the signalfd sees them. */
static void block_signals(void)
{
	sigset_t set;
	daemon_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int watch_signals(struct daemon *dm)
{
	sigset_t set;
	daemon_signals(&set);
	dm->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (dm->sigfd < 0)
		return -errno;
	return loop_watch(dm->loop, dm->sigfd, EPOLLIN, on_signal, dm);
}

/* ---- reload (DESIGN §6.4) ---- */

/* Each line of a report becomes a log line at `level`. */
static void log_report(enum log_level level, char *text)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		log_msg(level, "%s", line);
}

static struct generation *load_generation(const struct cli_options *opt,
					  bool *ok)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&buf, &len);
	struct generation *g = generation_load(opt->config, opt->rule_paths,
					       opt->nrule_paths, rep);
	fclose(rep);
	if (len)
		log_report(g ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR, buf);
	free(buf);
	*ok = g != NULL;
	return g;
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return false;
	return true;
}

/* Settings the running sources and listeners were started with: a reload
 * cannot change them, and says so for each one that differs. */
static void report_restart_only(const struct config *o, const struct config *c)
{
	static const char *const fmt =
		"reload: %s changed; it takes effect at the next restart";
	if (o->bpf.enabled != c->bpf.enabled)
		log_warn(fmt, "sources.bpf.enabled");
	if (o->bpf.ring_buffer_mb != c->bpf.ring_buffer_mb)
		log_warn(fmt, "sources.bpf.ring_buffer_mb");
	if (o->tetragon.enabled != c->tetragon.enabled ||
	    o->tetragon.follow != c->tetragon.follow ||
	    !same_str(o->tetragon.path, c->tetragon.path))
		log_warn(fmt, "sources.tetragon");
	if (o->probes.exec != c->probes.exec || o->probes.exit != c->probes.exit ||
	    o->probes.fork != c->probes.fork || o->probes.connect != c->probes.connect)
		log_warn(fmt, "probes (exec, exit, fork, connect)");
	if (!same_list(o->probes.watch, o->probes.nwatch, c->probes.watch,
		       c->probes.nwatch))
		log_warn(fmt, "probes.files.watch");
	if (!same_list(o->probes.hooks, o->probes.nhooks, c->probes.hooks,
		       c->probes.nhooks))
		log_warn(fmt, "probes.hooks");
	if (!same_str(o->probes.proc_root, c->probes.proc_root) ||
	    !same_str(o->probes.cgroup_root, c->probes.cgroup_root) ||
	    !same_str(o->probes.pods_root, c->probes.pods_root))
		log_warn(fmt, "probes roots (proc_root, cgroup_root, pods_root)");
	if (!same_str(o->metrics_listen, c->metrics_listen))
		log_warn(fmt, "metrics.listen");
	if (!same_str(o->node_name, c->node_name))
		log_warn(fmt, "node_name (for notification ids)");
}

/* Everything the new generation needs that can fail, done before anything
 * running is touched.  Every reason is logged.  0, or -1. */
static int prepare_generation(struct daemon *dm, struct generation *g,
			      dispatch_plan **plan)
{
	const struct config *o = dm->gen->config, *c = g->config;
	char err[512];
	int failures = 0;
	if (!same_str(o->state_dir, c->state_dir)) {
		if (dispatch_check_state_dir(c->state_dir, err, sizeof(err)) < 0) {
			log_error("reload: %s", err);
			failures++;
		} else {
			log_warn("reload: state_dir '%s' takes effect at the next "
				 "restart; the spool stays in '%s' until then",
				 c->state_dir, o->state_dir);
		}
	}
	*plan = dispatcher_plan(dm->disp, &g->targets, err, sizeof(err));
	if (!*plan) {
		log_error("reload: %s", err);
		failures++;
	}
	if (failures)
		dispatch_plan_free(plan);
	return failures ? -1 : 0;
}

#if BPFALERT_HAVE_PROBES
/* The TracingPolicies of the new generation (-p, else its policies_dirs),
 * for the running probes: a file with an error fails the reload, as a
 * rule file does.  0, or -1. */
static int prepare_policies(struct daemon *dm, const struct generation *g, policy_set *next)
{
	if (!dm->bpf)
		return 0;
	diag *d = diag_new(stderr);
	unsigned errors = policy_load_configured(dm->opt->policy_paths, dm->opt->npolicy_paths,
						 g->config->policies_dirs,
						 g->config->npolicies_dirs, d, next);
	diag_free(&d);
	if (!errors)
		return 0;
	log_error("reload: %u error%s in TracingPolicy files", errors, errors == 1 ? "" : "s");
	policy_set_clear(next);
	return -1;
}

/* The probes take the new policies, unless they were started without
 * any: then the policies take effect at the next restart. */
static void apply_policies(struct daemon *dm, policy_set *next)
{
	if (!dm->bpf)
		return;
	if (!bpf_source_takes_policies(dm->bpf)) {
		if (next->n)
			log_warn("reload: TracingPolicies take effect at the next restart (the "
				 "probes were started without any)");
		policy_set_clear(next);
		return;
	}
	policy_set old = dm->policies;
	dm->policies = *next;
	*next = (policy_set){ 0 };
	/* the probes' engine points at dm->policies: replaced before the
	 * old set is freed */
	bpf_source_set_policies(dm->bpf, &dm->policies);
	policy_set_clear(&old);
	for (size_t i = 0; i < dm->policies.n; i++)
		log_info("policy %s from %s", dm->policies.v[i]->name, dm->policies.v[i]->file);
}
#else
static int prepare_policies(struct daemon *dm, const struct generation *g, policy_set *next)
{
	(void)dm;
	(void)g;
	(void)next;
	return 0;
}

static void apply_policies(struct daemon *dm, policy_set *next)
{
	(void)dm;
	(void)next;
}
#endif

/* Cannot fail: everything that could was prepared. */
static void swap_generation(struct daemon *dm, struct generation *g,
			    dispatch_plan **plan)
{
	alertmgr *am = new_alertmgr(dm, g);
	alertmgr_adopt(am, dm->am);
	alertmgr_free(&dm->am);
	dm->am = am;
	flattener_free(&dm->fl);
	dm->fl = flattener_new(g->ft);
	dispatcher_apply(dm->disp, plan);
	dispatcher_set_queue_max(dm->disp, g->config->queue_max);
	ruleset_carry_stats(g->rules, dm->gen->rules);
	report_restart_only(dm->gen->config, g->config);
	log_set_level((enum log_level)log_level_parse(g->config->log_level));
	/* Open batches are sealed into their buffers and the new exports send
	 * them.  An export that cannot start is logged and left out: the
	 * alerts go on. */
	exports_free(&dm->exports);
	dm->exports = new_exports(dm, g);
	generation_free(&dm->gen);
	dm->gen = g;
	daemon_stats_set_generation(&dm->stats, g, dm->am, dm->disp);
	dm->stats.exports = dm->exports;
	if (dm->due_timer)
		loop_timer_cancel(dm->loop, dm->due_timer);
	dm->due_timer = NULL;
	arm_due_timer(dm);
}

static void reload(struct daemon *dm)
{
	dm->reload_timer = NULL;
	dm->hup_first = 0;
	sd_notify_state("RELOADING=1");
	log_info("SIGHUP: reloading configuration and rules");
	bool ok;
	dispatch_plan *plan = NULL;
	policy_set next = { 0 };
	struct generation *g = load_generation(dm->opt, &ok);
	if (!ok || prepare_generation(dm, g, &plan) < 0 || prepare_policies(dm, g, &next) < 0) {
		dispatch_plan_free(&plan);
		generation_free(&g);
		dm->stats.reload_failures++;
		log_error("reload failed; the running configuration and rules stay "
			  "in force");
		sd_notify_state("READY=1");
		return;
	}
	swap_generation(dm, g, &plan);
	apply_policies(dm, &next);
	dm->stats.reload_successes++;
	log_info("reloaded: %zu alerts, %zu targets", g->alerts.n, g->targets.n);
	sd_notify_state("READY=1");
}

static void on_reload_due(void *ctx)
{
	reload(ctx);
}

/* A burst of SIGHUPs is one reload: it runs once they have stopped for
 * HUP_SETTLE_MS, and at the latest HUP_MAX_WAIT_MS after the first. */
static void request_reload(struct daemon *dm)
{
	int64_t now = loop_now();
	if (!dm->hup_first)
		dm->hup_first = now;
	int64_t at = now + HUP_SETTLE_MS;
	if (at > dm->hup_first + HUP_MAX_WAIT_MS)
		at = dm->hup_first + HUP_MAX_WAIT_MS;
	if (dm->reload_timer)
		loop_timer_cancel(dm->loop, dm->reload_timer);
	dm->reload_timer = loop_timer_at(dm->loop, at, on_reload_due, dm);
}

/* ---- alert state across restarts ---- */

static void save_state(struct daemon *dm)
{
	if (dm->saved_am == dm->am && alertmgr_changes(dm->am) == dm->saved_changes)
		return;
	if (alertstate_save(dm->am, dm->gen->config->state_dir) == 0) {
		dm->saved_am = dm->am;
		dm->saved_changes = alertmgr_changes(dm->am);
	}
}

static void on_save_timer(void *ctx)
{
	struct daemon *dm = ctx;
	save_state(dm);
	dm->save_timer = loop_timer_at(dm->loop, loop_now() + STATE_SAVE_MS,
				       on_save_timer, dm);
}

static void restore_state(struct daemon *dm)
{
	if (alertstate_load(dm->am, dm->gen->config->state_dir) > 0)
		arm_due_timer(dm);
	dm->saved_am = dm->am;
	dm->saved_changes = alertmgr_changes(dm->am);
	dm->save_timer = loop_timer_at(dm->loop, loop_now() + STATE_SAVE_MS,
				       on_save_timer, dm);
}

/* ---- life ---- */

/* Room for the metrics endpoint's connections and every target's sockets:
 * the soft limit on descriptors goes up to the hard one (capped). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int start(struct daemon *dm)
{
	bool ok;
	raise_fd_limit();
	dm->gen = load_generation(dm->opt, &ok);
	if (!dm->gen)
		return EXIT_RULES;
	log_set_level((enum log_level)log_level_parse(dm->gen->config->log_level));
	dm->loop = loop_new();
	dm->ev = event_new();
	dm->fl = flattener_new(dm->gen->ft);
	dm->am = new_alertmgr(dm, dm->gen);
	dm->disp = new_dispatcher(dm, dm->gen);
	dm->exports = new_exports(dm, dm->gen);
	daemon_stats_init(&dm->stats, dm->gen, dm->am, dm->disp);
	dm->stats.exports = dm->exports;
	if (!dm->disp || !dm->exports)
		return EXIT_RUNTIME;
	restore_state(dm);
	if (watch_signals(dm) < 0 || start_metrics(dm) < 0 ||
	    start_tetragon(dm) < 0 || start_bpf(dm) < 0)
		return EXIT_RUNTIME;
	daemon_stats_set_sources(&dm->stats, dm->tetragon, dm->bpf);
	if (!dm->tetragon && !dm->bpf)
		log_warn("no event source is enabled (sources.bpf, sources.tetragon)");
	log_info("bpfalert %s running: %zu alerts, %zu targets", BPFALERT_VERSION,
		 dm->gen->alerts.n, dm->gen->targets.n);
	sd_notify_state("READY=1");
	return EXIT_OK;
}

/* What /healthz reports: the sources the configuration enables are running
 * and, for the kernel probes, attached. */
static void beat(struct daemon *dm)
{
	if (!dm->metrics)
		return;
	const struct config *c = dm->gen->config;
	const char *why = NULL;
	if (c->tetragon.enabled && !dm->tetragon)
		why = "the Tetragon source is not running";
	else if (c->bpf.enabled && !dm->bpf)
		why = "the kernel probes are not running";
#if BPFALERT_HAVE_PROBES
	const char *const *names, *const *hooks;
	if (!why && dm->bpf && bpf_source_hooks(dm->bpf, &names, &hooks) == 0)
		why = "no kernel probe is attached";
#endif
	metrics_server_beat(dm->metrics, why == NULL, why);
}

/* A source that reads a stream to its end (stdin) ends the run once done. */
static bool inputs_finished(const struct daemon *dm)
{
	return dm->tetragon && !dm->bpf && tetragon_source_done(dm->tetragon);
}

static bool drained(const struct daemon *dm)
{
	return (!dm->disp || dispatcher_idle(dm->disp)) &&
	       (!dm->exports || exports_idle(dm->exports));
}

static void drain(struct daemon *dm)
{
	int64_t deadline = loop_now() + STOP_DRAIN_MS;
	alertmgr_advance(dm->am, loop_wall_ms());
	if (dm->exports)
		exports_flush(dm->exports);
	while (!drained(dm) && loop_now() < deadline)
		loop_run_once(dm->loop, 100);
	if (dm->disp && !dispatcher_idle(dm->disp))
		log_warn("%zu notifications left in the spool for the next start",
			 dispatcher_spool_size(dm->disp));
	if (dm->exports && !exports_idle(dm->exports))
		log_warn("exports: undelivered events left in their buffers for the next start");
}

static void shutdown_daemon(struct daemon *dm)
{
	if (dm->tetragon)
		tetragon_source_save(dm->tetragon);
	tetragon_source_free(&dm->tetragon);
#if BPFALERT_HAVE_PROBES
	bpf_source_free(&dm->bpf);
#endif
	policy_set_clear(&dm->policies);
	if (dm->loop)
		drain(dm);
	if (dm->am && dm->saved_am)
		save_state(dm);
	metrics_server_free(&dm->metrics);
	exports_free(&dm->exports);
	free(dm->matched);
	dispatcher_free(&dm->disp);
	alertmgr_free(&dm->am);
	flattener_free(&dm->fl);
	event_free(&dm->ev);
	if (dm->sigfd > 0)
		close(dm->sigfd);
	daemon_stats_fini(&dm->stats);
	generation_free(&dm->gen);
	loop_free(&dm->loop);
}

int cmd_run(const struct cli_options *opt)
{
	if (opt->nargs) {
		fprintf(stderr, "bpfalert run: unexpected argument '%s'\n", opt->args[0]);
		return EXIT_USAGE;
	}
	struct daemon dm = { .opt = opt, .sigfd = -1 };
	block_signals();
	int rc = start(&dm);
	while (rc == EXIT_OK && !dm.stopping && !loop_stopped(dm.loop)) {
		loop_run_once(dm.loop, 1000);
		beat(&dm);
		if (inputs_finished(&dm)) {
			log_info("input finished");
			stop(&dm);
		}
	}
	shutdown_daemon(&dm);
	return rc;
}
