/* dispatch — per-target queues, retries and the spool; see dispatch.h.
 *
 * Each target has a FIFO of waiting notifications and up to max_in_flight
 * deliveries started from it, each either in flight or waiting for its
 * retry timer.  One stuck request therefore holds up neither other
 * targets nor the rest of its own queue, and every request has a total
 * deadline (the notifier's timeout) so a stuck one ends.  A notification
 * older than the target's max_age is given up, logged and counted.
 *
 * A target's notifier instance is a `sink`.  A reload that changes a
 * target's settings installs a new sink for what starts from then on; the
 * old one lives until the deliveries started on it complete, so nothing in
 * flight is cancelled, re-queued or sent twice.  A target that a reload
 * removes finishes what it started; what still waits for it is set aside
 * in the spool's orphaned/ directory, as at start-up.
 *
 * A notifier may report its outcome before send() returns (file, stdout),
 * so pump() is guarded against re-entry: a completion inside send() frees
 * its delivery and the loop in pump() starts the next one, instead of
 * recursing once per queued notification. */
#include "dispatch.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fields.h"
#include "http.h"
#include "log.h"
#include "notifier.h"
#include "spool.h"
#include "xalloc.h"

#define DEFAULT_QUEUE_MAX 1024
#define DEFAULT_RETRY_BASE_MS 1000
#define DEFAULT_RETRY_MAX_MS 300000
#define DEFAULT_MAX_IN_FLIGHT 4
#define DEFAULT_MAX_AGE_MS (3600 * 1000)

struct entry {
	notification *n;
	int64_t queued_ms;  /* wall clock when this process queued it */
	bool spooled;       /* its record is in the spool */
};

struct sink {
	dispatcher *d;
	const struct notifier_ops *ops;
	void *state;
	unsigned users;     /* deliveries sent on it and not yet done */
	bool retired;       /* replaced by a reload: freed once unused */
};

struct delivery {
	struct delivery *prev, *next;
	struct target *t;
	struct sink *sink;  /* the one it was sent on; NULL while waiting */
	struct entry e;
	loop_timer *retry;
};

struct target_settings {
	size_t max_in_flight;
	int64_t max_age_ms;
	long connect_timeout_ms;
};

struct target {
	dispatcher *d;
	char *name;
	char *type;
	struct json_object *cfg;    /* to tell on reload whether it changed */
	struct sink *sink;          /* where new deliveries go */
	struct target_settings set;
	struct entry *ring;         /* waiting notifications, oldest at head */
	size_t head, len, cap;
	struct delivery *fly;       /* started, not finished */
	size_t nfly;
	bool removed;               /* dropped by a reload: finishing its flights */
	bool pumping;
	struct target_stats st;
	struct log_ratelimit drop_rl, retry_rl, expire_rl;
};

struct dispatcher {
	loop *loop;
	http_client *http;
	spool *spool;
	char *node_name;
	struct target **targets;
	size_t ntargets;
	struct target **gone;       /* removed, still finishing */
	size_t ngone, capgone;
	size_t *index;              /* open-addressing table of target numbers + 1 */
	size_t index_cap;
	size_t queue_max, max_in_flight;
	int64_t retry_base_ms, retry_max_ms;
	uint64_t next_id;
	uint64_t rng;
	loop_timer *kick;
	struct sink **sinks;        /* every notifier instance, live or retired */
	size_t nsinks, capsinks;
	loop_timer *reap;           /* frees retired sinks, outside their callbacks */
	struct log_ratelimit spool_rl;
	bool closing;
};

/* ---- target lookup by name ---- */

static void index_build(dispatcher *d)
{
	free(d->index);
	d->index_cap = 8;
	while (d->index_cap < d->ntargets * 2)
		d->index_cap *= 2;
	d->index = xcalloc(d->index_cap, sizeof(*d->index));
	for (size_t i = 0; i < d->ntargets; i++) {
		const char *name = d->targets[i]->name;
		size_t h = (size_t)fields_hash(name, strlen(name));
		while (d->index[h & (d->index_cap - 1)])
			h++;
		d->index[h & (d->index_cap - 1)] = i + 1;
	}
}

static struct target *target_find(const dispatcher *d, const char *name)
{
	if (!name || !d->index)
		return NULL;
	size_t h = (size_t)fields_hash(name, strlen(name));
	for (;; h++) {
		size_t slot = d->index[h & (d->index_cap - 1)];
		if (!slot)
			return NULL;
		if (!strcmp(d->targets[slot - 1]->name, name))
			return d->targets[slot - 1];
	}
}

/* ---- the ring of waiting notifications ---- */

static struct entry *ring_at(struct target *t, size_t i)
{
	return &t->ring[(t->head + i) % t->cap];
}

static void ring_push(struct target *t, struct entry e)
{
	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct entry *r = xmalloc(cap * sizeof(*r));
		for (size_t i = 0; i < t->len; i++)
			r[i] = *ring_at(t, i);
		free(t->ring);
		t->ring = r;
		t->cap = cap;
		t->head = 0;
	}
	*ring_at(t, t->len++) = e;
}

static struct entry ring_pop(struct target *t)
{
	struct entry e = t->ring[t->head];
	t->head = (t->head + 1) % t->cap;
	t->len--;
	return e;
}

static struct entry ring_take(struct target *t, size_t i)
{
	struct entry e = *ring_at(t, i);
	for (; i + 1 < t->len; i++)
		*ring_at(t, i) = *ring_at(t, i + 1);
	t->len--;
	return e;
}

/* ---- sinks ---- */

static void sink_free(struct sink *s)
{
	dispatcher *d = s->d;
	for (size_t i = 0; i < d->nsinks; i++)
		if (d->sinks[i] == s) {
			d->sinks[i] = d->sinks[--d->nsinks];
			break;
		}
	if (s->ops && s->ops->fini)
		s->ops->fini(s->state);
	free(s);
}

static void on_reap(void *ctx)
{
	dispatcher *d = ctx;
	d->reap = NULL;
	for (size_t i = d->nsinks; i-- > 0;)
		if (d->sinks[i]->retired && d->sinks[i]->users == 0)
			sink_free(d->sinks[i]);
}

/* A retired sink is freed from a timer, never from inside one of its own
 * callbacks (which may touch its state after reporting). */
static void sink_release(struct sink *s)
{
	if (s && --s->users == 0 && s->retired && !s->d->reap)
		s->d->reap = loop_timer_at(s->d->loop, loop_now(), on_reap, s->d);
}

static void sink_retire(struct sink *s)
{
	if (!s)
		return;
	s->retired = true;
	s->users++;
	sink_release(s);
}

/* ---- giving notifications up ---- */

static const char *kind_name(enum notification_kind k)
{
	return k == NOTIFY_KIND_REPEAT ? "repeat"
	       : k == NOTIFY_KIND_RESOLVED ? "resolved" : "firing";
}

/* Removes a notification for good: its record too. */
static void forget(dispatcher *d, struct entry *e)
{
	if (e->spooled && d->spool)
		spool_remove(d->spool, e->n->id);
	notification_free(&e->n);
	e->spooled = false;
}

/* Keeps the record in orphaned/ for the operator, never resent. */
static void set_aside(dispatcher *d, struct entry *e)
{
	if (e->spooled && d->spool)
		spool_set_aside(d->spool, e->n->id);
	notification_free(&e->n);
	e->spooled = false;
}

static void drop(struct target *t, struct entry *e, const char *why)
{
	t->st.dropped++;
	log_ratelimited(&t->drop_rl, LOG_LEVEL_WARN,
			"target '%s': %s; dropped %s notification %u of alert '%s' "
			"(%llu dropped so far)", t->name, why, kind_name(e->n->kind),
			e->n->seq, e->n->alert ? e->n->alert : "?", t->st.dropped);
	forget(t->d, e);
}

/* Age counts from when this process queued it (submitted, or loaded from
 * the spool), so a clock step or a long stop does not expire a backlog. */
static bool expired(const struct target *t, const struct entry *e)
{
	return loop_wall_ms() - e->queued_ms > t->set.max_age_ms;
}

static void expire(struct target *t, struct entry *e)
{
	t->st.expired++;
	log_ratelimited(&t->expire_rl, LOG_LEVEL_WARN,
			"target '%s': %s notification %u of alert '%s' given up after "
			"%u attempts: older than max_age (%" PRId64 " s); %llu given up "
			"so far", t->name, kind_name(e->n->kind), e->n->seq,
			e->n->alert ? e->n->alert : "?", e->n->attempts,
			t->set.max_age_ms / 1000, t->st.expired);
	forget(t->d, e);
}

/* ---- delivery ---- */

static uint64_t rng_next(dispatcher *d)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 2685821657736338717ULL;
}

/* base * 2^(attempts-1), capped, then +/- 20 % so that many targets failing
 * together do not retry in lockstep. */
static int64_t backoff_ms(dispatcher *d, unsigned attempts)
{
	int64_t delay = d->retry_base_ms;
	for (unsigned i = 1; i < attempts && delay < d->retry_max_ms; i++)
		delay *= 2;
	if (delay > d->retry_max_ms)
		delay = d->retry_max_ms;
	double f = 0.8 + 0.4 * (double)(rng_next(d) >> 11) / (double)(1ULL << 53);
	int64_t j = (int64_t)((double)delay * f);
	return j > 0 ? j : 1;
}

static void pump(struct target *t);
static void target_finished(struct target *t);

static void delivery_free(struct delivery *dv)
{
	struct target *t = dv->t;
	if (dv->retry)
		loop_timer_cancel(t->d->loop, dv->retry);
	if (dv->prev)
		dv->prev->next = dv->next;
	else
		t->fly = dv->next;
	if (dv->next)
		dv->next->prev = dv->prev;
	t->nfly--;
	free(dv);
}

static void on_retry(void *ctx);

static void retry_later(struct target *t, struct delivery *dv, const char *detail)
{
	dispatcher *d = t->d;
	notification *n = dv->e.n;
	t->st.retried++;
	if (expired(t, &dv->e)) {
		expire(t, &dv->e);
		delivery_free(dv);
		return;
	}
	int64_t delay = backoff_ms(d, n->attempts);
	log_ratelimited(&t->retry_rl, LOG_LEVEL_WARN,
			"target '%s': delivery failed (%s); attempt %u, "
			"retrying in %" PRId64 " ms", t->name,
			detail ? detail : "transient error", n->attempts, delay);
	dv->retry = loop_timer_at(d->loop, loop_now() + delay, on_retry, dv);
}

static void on_done(void *ctx, enum delivery_result result, const char *detail)
{
	struct delivery *dv = ctx;
	struct target *t = dv->t;
	dispatcher *d = t->d;
	if (d->closing)
		return;
	notification *n = dv->e.n;
	sink_release(dv->sink);
	dv->sink = NULL;
	if (result == DELIVERY_OK) {
		t->st.sent++;
		log_debug("target '%s': delivered %s notification %u of alert '%s'",
			  t->name, kind_name(n->kind), n->seq, n->alert);
		forget(d, &dv->e);
		delivery_free(dv);
	} else if (result == DELIVERY_FAIL) {
		t->st.failed++;
		log_error("target '%s': %s notification %u of alert '%s' refused, "
			  "not retried: %s", t->name, kind_name(n->kind), n->seq,
			  n->alert ? n->alert : "?", detail ? detail : "failed");
		forget(d, &dv->e);
		delivery_free(dv);
	} else if (t->removed) {
		set_aside(d, &dv->e);
		delivery_free(dv);
	} else {
		retry_later(t, dv, detail);
	}
	if (t->removed)
		target_finished(t);
	else
		pump(t);
}

/* May complete (and free dv) before it returns. */
static void send_on_sink(struct target *t, struct delivery *dv)
{
	dv->sink = t->sink;
	dv->sink->users++;
	dv->e.n->attempts++;
	dv->sink->ops->send(dv->sink->state, dv->e.n, on_done, dv);
}

static void on_retry(void *ctx)
{
	struct delivery *dv = ctx;
	struct target *t = dv->t;
	dv->retry = NULL;
	if (expired(t, &dv->e)) {
		expire(t, &dv->e);
		delivery_free(dv);
	} else {
		send_on_sink(t, dv);
	}
	pump(t);
}

static void start(struct target *t, struct entry e)
{
	struct delivery *dv = xcalloc(1, sizeof(*dv));
	dv->t = t;
	dv->e = e;
	dv->next = t->fly;
	if (dv->next)
		dv->next->prev = dv;
	t->fly = dv;
	t->nfly++;
	send_on_sink(t, dv);
}

static void pump(struct target *t)
{
	if (t->pumping)
		return;
	t->pumping = true;
	while (t->nfly < t->set.max_in_flight && t->len > 0 && !t->d->closing &&
	       !t->removed) {
		struct entry e = ring_pop(t);
		if (expired(t, &e))
			expire(t, &e);
		else
			start(t, e);
	}
	t->pumping = false;
}

/* ---- queueing ---- */

/* Index of the oldest waiting repeat, or t->len if there is none. */
static size_t oldest_repeat(struct target *t)
{
	size_t i = 0;
	while (i < t->len && ring_at(t, i)->n->kind != NOTIFY_KIND_REPEAT)
		i++;
	return i;
}

/* Queues e at the tail, making room first when the queue is full: the
 * oldest repeat goes (the new one itself if it is the only repeat), and
 * only when no repeat waits the oldest firing or resolved one.  Returns
 * false when e itself was dropped. */
static bool enqueue(struct target *t, struct entry e)
{
	dispatcher *d = t->d;
	if (t->len >= d->queue_max) {
		size_t i = oldest_repeat(t);
		if (i == t->len && e.n->kind == NOTIFY_KIND_REPEAT) {
			drop(t, &e, "queue full");
			return false;
		}
		struct entry victim = ring_take(t, i < t->len ? i : 0);
		drop(t, &victim, "queue full");
	}
	ring_push(t, e);
	return true;
}

void dispatcher_submit(dispatcher *d, notification *n)
{
	if (!d || !n)
		return;
	struct target *t = target_find(d, n->target);
	if (!t) {
		log_error("dispatch: notification of alert '%s' for unknown target "
			  "'%s' dropped", n->alert ? n->alert : "?",
			  n->target ? n->target : "(none)");
		notification_free(&n);
		return;
	}
	n->id = d->next_id++;
	n->attempts = 0;
	struct entry e = { .n = n, .queued_ms = loop_wall_ms() };
	/* Decide on overflow before writing, so a dropped notification never
	 * costs a spool write. */
	if (!enqueue(t, e))
		return;
	struct entry *queued = ring_at(t, t->len - 1);
	if (d->spool) {
		int rc = spool_append(d->spool, n);
		if (rc < 0)
			log_ratelimited(&d->spool_rl, LOG_LEVEL_ERROR,
					"spool: cannot write notification %" PRIu64
					" for target '%s': %s; it is queued but "
					"would not survive a restart", n->id,
					t->name, strerror(-rc));
		else
			queued->spooled = true;
	}
	pump(t);
}

/* ---- spool at start-up ---- */

static void on_spooled(void *ctx, notification *n)
{
	dispatcher *d = ctx;
	struct target *t = target_find(d, n->target);
	if (!t) {
		int rc = spool_set_aside(d->spool, n->id);
		log_warn("spool: notification %" PRIu64 " of alert '%s' is for "
			 "target '%s', which is no longer configured; %s %s%s",
			 n->id, n->alert ? n->alert : "?",
			 n->target ? n->target : "(none)",
			 rc == 0 ? "kept aside in" : "left in",
			 spool_dir(d->spool), rc == 0 ? "/orphaned" : "");
		notification_free(&n);
		return;
	}
	n->attempts = 0;
	enqueue(t, (struct entry){ .n = n, .queued_ms = loop_wall_ms(), .spooled = true });
}

static void on_kick(void *ctx)
{
	dispatcher *d = ctx;
	d->kick = NULL;
	for (size_t i = 0; i < d->ntargets; i++)
		pump(d->targets[i]);
}

int dispatch_check_state_dir(const char *state_dir, char *err, size_t errlen)
{
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory '%s': %s",
			 state_dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(state_dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    access(state_dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "state directory '%s' is not a writable "
			 "directory", state_dir);
		return -1;
	}
	return 0;
}

static int open_spool(dispatcher *d, const char *state_dir, char *err,
		      size_t errlen)
{
	if (dispatch_check_state_dir(state_dir, err, errlen) < 0)
		return -1;
	char *dir = xasprintf("%s/spool", state_dir);
	d->spool = spool_open(dir, err, errlen);
	free(dir);
	if (!d->spool)
		return -1;
	uint64_t max = spool_load(d->spool, on_spooled, d);
	d->next_id = max + 1;
	size_t n = spool_count(d->spool);
	if (n)
		log_info("spool: %zu undelivered notification%s queued again", n,
			 n == 1 ? "" : "s");
	return 0;
}

/* ---- targets: made aside, then put in place ---- */

static int read_settings(const dispatcher *d, const target_def *def,
			 struct target_settings *set, char *err, size_t errlen)
{
	double inflight = (double)d->max_in_flight;
	int64_t age = DEFAULT_MAX_AGE_MS, connect = 0;
	const char *type = def->type ? def->type : "target";
	if (notifier_cfg_number(def->cfg, type, "max_in_flight", &inflight, err, errlen) < 0 ||
	    notifier_cfg_duration(def->cfg, type, "max_age", &age, err, errlen) < 0 ||
	    notifier_cfg_duration(def->cfg, type, "connect_timeout", &connect, err,
				  errlen) < 0)
		return -1;
	if (inflight < 1 || inflight > 64 || inflight != (double)(size_t)inflight) {
		snprintf(err, errlen, "%s: 'max_in_flight' must be a whole number "
			 "from 1 to 64", type);
		return -1;
	}
	set->max_in_flight = (size_t)inflight;
	set->max_age_ms = age;
	set->connect_timeout_ms = (long)connect;
	return 0;
}

static struct sink *make_sink(dispatcher *d, const target_def *def, const char *name,
			      const struct target_settings *set, char *err,
			      size_t errlen)
{
	char why[512] = "";
	const struct notifier_ops *ops = notifier_lookup(def->type);
	if (!ops) {
		snprintf(err, errlen, "target '%s': unknown type '%s'", name,
			 def->type ? def->type : "(none)");
		return NULL;
	}
	struct notifier_env env = {
		.loop = d->loop,
		.http = d->http,
		.node_name = d->node_name,
		.target_name = name,
		.connect_timeout_ms = set->connect_timeout_ms,
	};
	struct sink *s = xcalloc(1, sizeof(*s));
	if (ops->init(def->cfg, &env, &s->state, why, sizeof(why)) < 0) {
		free(s);
		snprintf(err, errlen, "target '%s': %s", name,
			 why[0] ? why : "invalid configuration");
		return NULL;
	}
	s->d = d;
	s->ops = ops;
	d->sinks = xgrow(d->sinks, &d->capsinks, d->nsinks + 1, sizeof(*d->sinks));
	d->sinks[d->nsinks++] = s;
	return s;
}

static struct json_object *copy_cfg(const target_def *def)
{
	struct json_object *copy = NULL;
	if (def->cfg && json_object_deep_copy(def->cfg, &copy, NULL) < 0)
		abort(); /* only fails on allocation */
	return copy;
}

static struct target *target_new(dispatcher *d, const target_def *def)
{
	struct target *t = xcalloc(1, sizeof(*t));
	t->d = d;
	t->name = xstrdup(def->name ? def->name : "?");
	t->type = xstrdup(def->type ? def->type : "");
	t->cfg = copy_cfg(def);
	return t;
}

static void target_free(struct target *t)
{
	if (!t)
		return;
	while (t->fly) {
		struct delivery *dv = t->fly;
		notification_free(&dv->e.n);
		dv->sink = NULL;
		delivery_free(dv);
	}
	while (t->len > 0) {
		struct entry e = ring_pop(t);
		notification_free(&e.n);
	}
	if (t->sink && !t->d->closing)
		sink_retire(t->sink);
	free(t->ring);
	free(t->name);
	free(t->type);
	if (t->cfg)
		json_object_put(t->cfg);
	free(t);
}

/* A removed target is freed once its last delivery is done. */
static void target_finished(struct target *t)
{
	dispatcher *d = t->d;
	if (t->nfly > 0 || d->closing)
		return;
	for (size_t i = 0; i < d->ngone; i++)
		if (d->gone[i] == t) {
			d->gone[i] = d->gone[--d->ngone];
			target_free(t);
			return;
		}
}

/* What a target becomes: `t` is the running one (unchanged or changed) or a
 * new one; `sink`/`set`/`cfg` are set when it changes. */
struct plan_item {
	struct target *t;
	bool fresh;              /* t is new, not yet in the dispatcher */
	struct sink *sink;       /* replaces t's, or NULL */
	struct target_settings set;
	struct json_object *cfg;
};

struct dispatch_plan {
	struct plan_item *v;
	size_t n;
	size_t changed, added;
};

static struct target *running(const dispatcher *d, const char *name)
{
	for (size_t i = 0; i < d->ntargets; i++)
		if (!strcmp(d->targets[i]->name, name))
			return d->targets[i];
	return NULL;
}

static bool unchanged(const struct target *t, const target_def *def)
{
	return !strcmp(t->type, def->type ? def->type : "") &&
	       json_object_equal(t->cfg, def->cfg);
}

static int plan_one(dispatcher *d, struct plan_item *it, const target_def *def,
		    char *err, size_t errlen)
{
	struct target *t = running(d, def->name ? def->name : "?");
	if (t && unchanged(t, def)) {
		it->t = t;
		return 0;
	}
	if (read_settings(d, def, &it->set, err, errlen) < 0)
		return -1;
	it->fresh = !t;
	it->t = t ? t : target_new(d, def);
	it->sink = make_sink(d, def, it->t->name, &it->set, err, errlen);
	if (!it->sink)
		return -1;
	it->cfg = t ? copy_cfg(def) : NULL;
	return 0;
}

void dispatch_plan_free(dispatch_plan **pp)
{
	dispatch_plan *p = *pp;
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct plan_item *it = &p->v[i];
		if (it->sink)
			sink_free(it->sink);
		if (it->cfg)
			json_object_put(it->cfg);
		if (it->fresh)
			target_free(it->t);
	}
	free(p->v);
	free(p);
	*pp = NULL;
}

dispatch_plan *dispatcher_plan(dispatcher *d, const target_set *targets, char *err,
			       size_t errlen)
{
	dispatch_plan *p = xcalloc(1, sizeof(*p));
	size_t n = targets ? targets->n : 0;
	p->v = xcalloc(n ? n : 1, sizeof(*p->v));
	for (size_t i = 0; i < n; i++) {
		p->n++;
		if (plan_one(d, &p->v[i], targets->v[i], err, errlen) < 0) {
			dispatch_plan_free(&p);
			return NULL;
		}
		if (p->v[i].sink)
			*(p->v[i].fresh ? &p->added : &p->changed) += 1;
	}
	return p;
}

static bool planned(const dispatch_plan *p, const struct target *t)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].t == t)
			return true;
	return false;
}

/* A target no reload keeps: what waits for it is set aside; what is in
 * flight finishes. */
static void remove_target(dispatcher *d, struct target *t)
{
	t->removed = true;
	while (t->len > 0) {
		struct entry e = ring_pop(t);
		set_aside(d, &e);
	}
	for (struct delivery *dv = t->fly, *next; dv; dv = next) {
		next = dv->next;
		if (!dv->sink) {        /* waiting for a retry */
			set_aside(d, &dv->e);
			delivery_free(dv);
		}
	}
	d->gone = xgrow(d->gone, &d->capgone, d->ngone + 1, sizeof(*d->gone));
	d->gone[d->ngone++] = t;
	target_finished(t);
}

void dispatcher_apply(dispatcher *d, dispatch_plan **pp)
{
	dispatch_plan *p = *pp;
	for (size_t i = 0; i < d->ntargets; i++)
		if (!planned(p, d->targets[i]))
			remove_target(d, d->targets[i]);
	free(d->targets);
	d->targets = xcalloc(p->n ? p->n : 1, sizeof(*d->targets));
	d->ntargets = p->n;
	for (size_t i = 0; i < p->n; i++) {
		struct plan_item *it = &p->v[i];
		struct target *t = it->t;
		d->targets[i] = t;
		if (!it->sink)
			continue;
		sink_retire(t->sink);
		t->sink = it->sink;
		t->set = it->set;
		if (it->cfg) {
			json_object_put(t->cfg);
			t->cfg = it->cfg;
		}
		it->sink = NULL;
		it->cfg = NULL;
		it->fresh = false;
	}
	index_build(d);
	dispatch_plan_free(pp);
	if (!d->kick)
		d->kick = loop_timer_at(d->loop, loop_now(), on_kick, d);
}

size_t dispatch_plan_changes(const dispatch_plan *p)
{
	return p ? p->changed + p->added : 0;
}

/* ---- construction ---- */

dispatcher *dispatcher_new(const struct dispatch_config *cfg, char *err,
			   size_t errlen)
{
	dispatcher *d = xcalloc(1, sizeof(*d));
	d->loop = cfg->loop;
	d->node_name = xstrdup(cfg->node_name ? cfg->node_name : "");
	d->queue_max = cfg->queue_max ? cfg->queue_max : DEFAULT_QUEUE_MAX;
	d->max_in_flight = cfg->max_in_flight ? cfg->max_in_flight
					      : DEFAULT_MAX_IN_FLIGHT;
	d->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms
						  : DEFAULT_RETRY_BASE_MS;
	d->retry_max_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms
						: DEFAULT_RETRY_MAX_MS;
	if (d->retry_max_ms < d->retry_base_ms)
		d->retry_max_ms = d->retry_base_ms;
	d->rng = (uint64_t)loop_wall_ms() ^ ((uint64_t)getpid() << 32) ^
		 (uint64_t)(uintptr_t)d;
	if (!d->rng)
		d->rng = 1;
	d->next_id = 1;
	d->http = http_client_new(d->loop);
	if (!d->http) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto fail;
	}
	dispatch_plan *p = dispatcher_plan(d, cfg->targets, err, errlen);
	if (!p)
		goto fail;
	dispatcher_apply(d, &p);
	if (cfg->state_dir && open_spool(d, cfg->state_dir, err, errlen) < 0)
		goto fail;
	return d;
fail:
	dispatcher_free(&d);
	return NULL;
}

void dispatcher_set_queue_max(dispatcher *d, size_t queue_max)
{
	d->queue_max = queue_max ? queue_max : DEFAULT_QUEUE_MAX;
}

void dispatcher_free(dispatcher **dp)
{
	dispatcher *d = *dp;
	if (!d)
		return;
	d->closing = true;
	if (d->kick)
		loop_timer_cancel(d->loop, d->kick);
	int rc = d->spool ? spool_sync(d->spool) : 0;
	if (rc < 0)
		log_error("spool: cannot flush '%s' to disk: %s",
			  spool_dir(d->spool), strerror(-rc));
	/* Cancels HTTP deliveries; their completions are ignored (closing)
	 * and their records stay in the spool for the next start. */
	http_client_free(&d->http);
	if (d->reap)
		loop_timer_cancel(d->loop, d->reap);
	while (d->nsinks > 0)
		sink_free(d->sinks[d->nsinks - 1]);
	free(d->sinks);
	for (size_t i = 0; i < d->ntargets; i++)
		target_free(d->targets[i]);
	for (size_t i = 0; i < d->ngone; i++)
		target_free(d->gone[i]);
	free(d->targets);
	free(d->gone);
	free(d->index);
	spool_free(&d->spool);
	free(d->node_name);
	free(d);
	*dp = NULL;
}

/* ---- queries ---- */

bool dispatcher_idle(const dispatcher *d)
{
	for (size_t i = 0; i < d->ntargets; i++)
		if (d->targets[i]->len > 0 || d->targets[i]->nfly > 0)
			return false;
	return d->ngone == 0;
}

void dispatcher_reopen(dispatcher *d)
{
	for (size_t i = 0; i < d->ntargets; i++) {
		struct sink *s = d->targets[i]->sink;
		if (s && s->ops->reopen)
			s->ops->reopen(s->state);
	}
}

size_t dispatcher_ntargets(const dispatcher *d)
{
	return d->ntargets;
}

const char *dispatcher_target_name(const dispatcher *d, size_t i)
{
	return i < d->ntargets ? d->targets[i]->name : NULL;
}

void dispatcher_target_stats(const dispatcher *d, size_t i,
			     struct target_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (i >= d->ntargets)
		return;
	*out = d->targets[i]->st;
	out->queued = d->targets[i]->len + d->targets[i]->nfly;
}

size_t dispatcher_spool_size(const dispatcher *d)
{
	return spool_count(d->spool);
}

unsigned long long dispatcher_spool_quarantined(const dispatcher *d)
{
	return spool_quarantined(d->spool);
}
