/* dispatch — per-target queues, retries and the spool; see dispatch.h.
 *
 * Each target has a FIFO of waiting notifications and at most one delivery
 * outstanding (`cur`): either in flight or waiting for its retry timer.
 * Keeping one outstanding delivery keeps a target's notifications in order,
 * and since targets never wait for each other, one that hangs holds up only
 * its own queue.
 *
 * A notifier may report its outcome before send() returns (file, stdout),
 * so pump() is guarded against re-entry: a completion inside send() just
 * clears `cur` and the loop in pump() starts the next one, instead of
 * recursing once per queued notification. */
#include "dispatch.h"

#include <errno.h>
#include <inttypes.h>
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

struct entry {
	notification *n;
	bool spooled;       /* its record is in the spool */
};

struct target {
	dispatcher *d;
	char *name;
	const struct notifier_ops *ops;
	void *state;
	struct entry *ring;     /* waiting notifications, oldest at head */
	size_t head, len, cap;
	struct entry cur;       /* outstanding delivery, or cur.n == NULL */
	loop_timer *retry;
	bool pumping;
	struct target_stats st;
	struct log_ratelimit drop_rl, retry_rl;
};

struct dispatcher {
	loop *loop;
	http_client *http;
	spool *spool;
	char *node_name;
	struct target *targets;
	size_t ntargets;
	size_t *index;          /* open-addressing table of target numbers + 1 */
	size_t index_cap;
	size_t queue_max;
	int64_t retry_base_ms, retry_max_ms;
	uint64_t next_id;
	uint64_t rng;
	loop_timer *kick;
	struct log_ratelimit spool_rl;
	bool closing;
};

/* ---- target lookup by name ---- */

static void index_build(dispatcher *d)
{
	d->index_cap = 8;
	while (d->index_cap < d->ntargets * 2)
		d->index_cap *= 2;
	d->index = xcalloc(d->index_cap, sizeof(*d->index));
	for (size_t i = 0; i < d->ntargets; i++) {
		const char *name = d->targets[i].name;
		size_t h = (size_t)fields_hash(name, strlen(name));
		while (d->index[h & (d->index_cap - 1)])
			h++;
		d->index[h & (d->index_cap - 1)] = i + 1;
	}
}

static struct target *target_find(dispatcher *d, const char *name)
{
	if (!name)
		return NULL;
	size_t h = (size_t)fields_hash(name, strlen(name));
	for (;; h++) {
		size_t slot = d->index[h & (d->index_cap - 1)];
		if (!slot)
			return NULL;
		if (!strcmp(d->targets[slot - 1].name, name))
			return &d->targets[slot - 1];
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

/* ---- delivery ---- */

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

static void drop(struct target *t, struct entry *e, const char *why)
{
	t->st.dropped++;
	log_ratelimited(&t->drop_rl, LOG_LEVEL_WARN,
			"target '%s': %s; dropped %s notification %u of alert '%s' "
			"(%llu dropped so far)", t->name, why, kind_name(e->n->kind),
			e->n->seq, e->n->alert ? e->n->alert : "?", t->st.dropped);
	forget(t->d, e);
}

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
static void on_retry(void *ctx);

static void on_done(void *ctx, enum delivery_result result, const char *detail)
{
	struct target *t = ctx;
	dispatcher *d = t->d;
	notification *n = t->cur.n;
	if (d->closing || !n)
		return;
	switch (result) {
	case DELIVERY_OK:
		t->st.sent++;
		log_debug("target '%s': delivered %s notification %u of alert '%s'",
			  t->name, kind_name(n->kind), n->seq, n->alert);
		forget(d, &t->cur);
		break;
	case DELIVERY_FAIL:
		t->st.failed++;
		log_error("target '%s': %s notification %u of alert '%s' refused, "
			  "not retried: %s", t->name, kind_name(n->kind), n->seq,
			  n->alert ? n->alert : "?", detail ? detail : "failed");
		forget(d, &t->cur);
		break;
	case DELIVERY_RETRY: {
		t->st.retried++;
		int64_t delay = backoff_ms(d, n->attempts);
		log_ratelimited(&t->retry_rl, LOG_LEVEL_WARN,
				"target '%s': delivery failed (%s); attempt %u, "
				"retrying in %" PRId64 " ms", t->name,
				detail ? detail : "transient error", n->attempts,
				delay);
		t->retry = loop_timer_at(d->loop, loop_now() + delay, on_retry, t);
		return;
	}
	}
	pump(t);
}

static void start(struct target *t)
{
	t->cur.n->attempts++;
	t->ops->send(t->state, t->cur.n, on_done, t);
}

static void on_retry(void *ctx)
{
	struct target *t = ctx;
	t->retry = NULL;
	if (t->cur.n)
		start(t);
	pump(t);
}

static void pump(struct target *t)
{
	if (t->pumping)
		return;
	t->pumping = true;
	while (!t->cur.n && t->len > 0 && !t->d->closing) {
		t->cur = ring_pop(t);
		start(t);
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
	struct entry e = { .n = n };
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
	enqueue(t, (struct entry){ .n = n, .spooled = true });
}

static void on_kick(void *ctx)
{
	dispatcher *d = ctx;
	d->kick = NULL;
	for (size_t i = 0; i < d->ntargets; i++)
		pump(&d->targets[i]);
}

static int open_spool(dispatcher *d, const char *state_dir, char *err,
		      size_t errlen)
{
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory '%s': %s",
			 state_dir, strerror(errno));
		return -1;
	}
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

/* ---- construction ---- */

static int init_target(dispatcher *d, struct target *t, const target_def *def,
		       char *err, size_t errlen)
{
	char why[512] = "";
	t->d = d;
	t->name = xstrdup(def->name ? def->name : "?");
	t->ops = notifier_lookup(def->type);
	if (!t->ops) {
		snprintf(err, errlen, "target '%s': unknown type '%s'", t->name,
			 def->type ? def->type : "(none)");
		return -1;
	}
	struct notifier_env env = {
		.loop = d->loop,
		.http = d->http,
		.node_name = d->node_name,
		.target_name = t->name,
	};
	if (t->ops->init(def->cfg, &env, &t->state, why, sizeof(why)) < 0) {
		t->ops = NULL;
		snprintf(err, errlen, "target '%s': %s", t->name,
			 why[0] ? why : "invalid configuration");
		return -1;
	}
	return 0;
}

dispatcher *dispatcher_new(const struct dispatch_config *cfg, char *err,
			   size_t errlen)
{
	dispatcher *d = xcalloc(1, sizeof(*d));
	d->loop = cfg->loop;
	d->node_name = xstrdup(cfg->node_name ? cfg->node_name : "");
	d->queue_max = cfg->queue_max ? cfg->queue_max : DEFAULT_QUEUE_MAX;
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
	size_t n = cfg->targets ? cfg->targets->n : 0;
	d->targets = xcalloc(n ? n : 1, sizeof(*d->targets));
	for (size_t i = 0; i < n; i++) {
		d->ntargets++;
		if (init_target(d, &d->targets[i], cfg->targets->v[i], err,
				errlen) < 0)
			goto fail;
	}
	index_build(d);
	if (cfg->state_dir && open_spool(d, cfg->state_dir, err, errlen) < 0)
		goto fail;
	/* Spooled notifications go out once the loop runs, not from here. */
	d->kick = loop_timer_at(d->loop, loop_now(), on_kick, d);
	return d;
fail:
	dispatcher_free(&d);
	return NULL;
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
	for (size_t i = 0; i < d->ntargets; i++) {
		struct target *t = &d->targets[i];
		if (t->retry)
			loop_timer_cancel(d->loop, t->retry);
		if (t->ops && t->ops->fini)
			t->ops->fini(t->state);
		notification_free(&t->cur.n);
		while (t->len > 0) {
			struct entry e = ring_pop(t);
			notification_free(&e.n);
		}
		free(t->ring);
		free(t->name);
	}
	free(d->targets);
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
		if (d->targets[i].len > 0 || d->targets[i].cur.n)
			return false;
	return true;
}

void dispatcher_reopen(dispatcher *d)
{
	for (size_t i = 0; i < d->ntargets; i++) {
		struct target *t = &d->targets[i];
		if (t->ops->reopen)
			t->ops->reopen(t->state);
	}
}

size_t dispatcher_ntargets(const dispatcher *d)
{
	return d->ntargets;
}

const char *dispatcher_target_name(const dispatcher *d, size_t i)
{
	return i < d->ntargets ? d->targets[i].name : NULL;
}

void dispatcher_target_stats(const dispatcher *d, size_t i,
			     struct target_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (i >= d->ntargets)
		return;
	*out = d->targets[i].st;
	out->queued = d->targets[i].len + (d->targets[i].cur.n ? 1 : 0);
}

size_t dispatcher_spool_size(const dispatcher *d)
{
	return spool_count(d->spool);
}
