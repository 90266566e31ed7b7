#include "alertmgr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evdoc.h"
#include "flatten.h"
#include "log.h"
#include "parseable_text.h"
#include "render.h"
#include "utf8.h"
#include "xalloc.h"

#define NO_DEADLINE INT64_MAX
/* A group value longer than this is cut: values come from events, which an
 * attacker may shape, and each live instance keeps its values. */
#define GROUP_VALUE_MAX 1024
#define DEFAULT_MAX_EVENT_BYTES 16384
#define DEFAULT_MAX_STATE_BYTES ((size_t)64 << 20)
/* What a document built from a probe record is charged: they are small. */
#define BUILT_DOC_BYTES 2048
/* Match times kept per instance for `repeats within`: bounds the ring. */
#define REPEATS_MAX 10000
#define DEFAULT_MAX_INSTANCES 1000
#define OVERFLOW_VALUE "<overflow>"

/* One target's schedule within one firing. */
struct tsched {
	unsigned sent;      /* notifications sent in this firing */
	unsigned count;     /* matches since the previous notification */
	int64_t next_ms;    /* next repeat, or NO_DEADLINE */
};

struct instance {
	struct instance *chain;   /* hash bucket chain */
	size_t alert;
	unsigned long long hash;
	char *key;                /* group values, each ended by '\0' */
	size_t key_len;
	bool overflow, firing;

	/* Before firing: match times within the window (ring), or a count
	 * when there is no window. */
	int64_t *ring;
	unsigned ring_cap, ring_len, ring_head;
	unsigned pending;

	int64_t starts_at, last_match, resolve_at;
	unsigned first_count;
	struct tsched *t;         /* one per target of the alert */

	/* The latest matching event, kept while firing.  The parsed document
	 * is held by reference (matches of one event share it) and built and
	 * turned into text only when a notification carries it: most matches
	 * never do. */
	char *message, *kind, *source;
	evdoc *doc;
	size_t doc_bytes;         /* what doc is charged against the budget */
	size_t kept;              /* bytes charged for the instance in all */

	int64_t due;              /* earliest deadline, NO_DEADLINE if none */
	unsigned long long due_seq; /* tie-break: order deadlines were set */
	size_t heap_idx;          /* SIZE_MAX when not in the heap */
};

struct alert_state {
	struct instance **buckets;
	size_t nbuckets, ninst;   /* ninst excludes the overflow instance */
	struct instance *overflow;
	unsigned long long overflowed;
	int *group_slots;         /* slot of each group_by field, or -1 */
	char *reason;             /* Parseable's failing condition */
	char *rule;
};

struct alertmgr {
	struct alertmgr_config cfg;
	size_t nalerts;
	struct alert_state *st;
	struct instance **heap;   /* min-heap on (due, due_seq) */
	size_t nheap, heap_cap;
	unsigned long long seq, next_id;
	int64_t clock;            /* latest time seen; never goes back */
	struct alertmgr_stats stats;
	unsigned long long changes; /* anything alertmgr_export_state saves changed */
	size_t kept_bytes;        /* charged by live instances (max_state_bytes) */
	char *keybuf;             /* scratch for group keys */
	size_t keybuf_cap;
	flattener *fl;            /* for messages rendered from a kept document */
	event *ev;
};

static int64_t add_ms(int64_t t, int64_t d)
{
	return d > 0 && t > INT64_MAX - d ? INT64_MAX : t + d;
}

static const alert_def *def_of(const alertmgr *am, size_t a)
{
	return am->cfg.alerts->v[a];
}

static unsigned repeats_of(const alert_def *d)
{
	unsigned r = d->repeats ? d->repeats : 1;
	return r > REPEATS_MAX ? REPEATS_MAX : r;
}

static size_t cap_of(const alert_def *d)
{
	return d->max_instances ? d->max_instances : DEFAULT_MAX_INSTANCES;
}

static const target_def *target_of(const alertmgr *am, size_t a, size_t j)
{
	size_t i = am->cfg.target_map ? am->cfg.target_map[a][j] : SIZE_MAX;
	return i < am->cfg.targets->n ? am->cfg.targets->v[i] : NULL;
}

/* ---- the deadline heap ---- */

static bool heap_less(const struct instance *x, const struct instance *y)
{
	return x->due < y->due || (x->due == y->due && x->due_seq < y->due_seq);
}

static void heap_set(alertmgr *am, size_t i, struct instance *in)
{
	am->heap[i] = in;
	in->heap_idx = i;
}

static void heap_up(alertmgr *am, size_t i)
{
	struct instance *in = am->heap[i];
	while (i > 0 && heap_less(in, am->heap[(i - 1) / 2])) {
		heap_set(am, i, am->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(am, i, in);
}

static void heap_down(alertmgr *am, size_t i)
{
	struct instance *in = am->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= am->nheap)
			break;
		if (c + 1 < am->nheap && heap_less(am->heap[c + 1], am->heap[c]))
			c++;
		if (!heap_less(am->heap[c], in))
			break;
		heap_set(am, i, am->heap[c]);
		i = c;
	}
	heap_set(am, i, in);
}

static void heap_remove(alertmgr *am, struct instance *in)
{
	size_t i = in->heap_idx;
	if (i == SIZE_MAX)
		return;
	in->heap_idx = SIZE_MAX;
	struct instance *last = am->heap[--am->nheap];
	if (i == am->nheap)
		return;
	heap_set(am, i, last);
	heap_up(am, i);
	heap_down(am, last->heap_idx);
}

/* The instance's earliest deadline: the end of its match window while
 * pending, else the next repeat or its resolution. */
static int64_t deadline(const alertmgr *am, const struct instance *in)
{
	const alert_def *d = def_of(am, in->alert);
	if (!in->firing)
		return d->within_ms > 0 && in->ring_len
			? add_ms(in->last_match, add_ms(d->within_ms, 1))
			: NO_DEADLINE;
	int64_t due = in->resolve_at;
	for (size_t j = 0; j < d->ntargets; j++)
		if (in->t[j].next_ms < due)
			due = in->t[j].next_ms;
	return due;
}

static void reschedule(alertmgr *am, struct instance *in)
{
	int64_t due = deadline(am, in);
	if (due == NO_DEADLINE) {
		heap_remove(am, in);
		in->due = NO_DEADLINE;
		return;
	}
	if (in->heap_idx != SIZE_MAX && due == in->due)
		return;
	in->due = due;
	in->due_seq = ++am->seq;
	if (in->heap_idx == SIZE_MAX) {
		am->heap = xgrow(am->heap, &am->heap_cap, am->nheap + 1,
				 sizeof(*am->heap));
		heap_set(am, am->nheap++, in);
	}
	heap_up(am, in->heap_idx);
	heap_down(am, in->heap_idx);
}

/* ---- instances ---- */

/* Builds the group key of `ev` for alert `a` into am->keybuf. */
static size_t group_key(alertmgr *am, size_t a, const event *ev)
{
	const alert_def *d = def_of(am, a);
	char val[GROUP_VALUE_MAX + 1];
	size_t len = 0;

	for (size_t g = 0; g < d->n_group_by; g++) {
		int slot = am->st[a].group_slots[g];
		const value *v = slot >= 0 && ev ? event_first(ev, slot) : NULL;
		size_t n = v ? render_value(v, val, sizeof(val)) : 0;
		am->keybuf = xgrow(am->keybuf, &am->keybuf_cap, len + n + 1, 1);
		memcpy(am->keybuf + len, val, n);
		am->keybuf[len + n] = '\0';
		len += n + 1;
	}
	return len;
}

static struct instance *lookup(alertmgr *am, size_t a, const char *key,
			       size_t len, unsigned long long h)
{
	struct alert_state *s = &am->st[a];
	if (!s->nbuckets)
		return NULL;
	for (struct instance *in = s->buckets[h & (s->nbuckets - 1)]; in;
	     in = in->chain)
		if (in->hash == h && in->key_len == len &&
		    (!len || memcmp(in->key, key, len) == 0))
			return in;
	return NULL;
}

static void table_insert(struct alert_state *s, struct instance *in)
{
	if (s->ninst + 1 > s->nbuckets) {
		size_t nb = s->nbuckets ? s->nbuckets * 2 : 16;
		struct instance **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < s->nbuckets; i++) {
			for (struct instance *x = s->buckets[i], *nx; x; x = nx) {
				nx = x->chain;
				x->chain = b[x->hash & (nb - 1)];
				b[x->hash & (nb - 1)] = x;
			}
		}
		free(s->buckets);
		s->buckets = b;
		s->nbuckets = nb;
	}
	struct instance **head = &s->buckets[in->hash & (s->nbuckets - 1)];
	in->chain = *head;
	*head = in;
	s->ninst++;
}

static void table_remove(struct alert_state *s, struct instance *in)
{
	if (in->overflow) {
		s->overflow = NULL;
		return;
	}
	struct instance **p = &s->buckets[in->hash & (s->nbuckets - 1)];
	while (*p != in)
		p = &(*p)->chain;
	*p = in->chain;
	s->ninst--;
}

static struct instance *instance_new(alertmgr *am, size_t a, const char *key,
				     size_t len, unsigned long long h)
{
	const alert_def *d = def_of(am, a);
	struct instance *in = xcalloc(1, sizeof(*in));
	in->alert = a;
	in->hash = h;
	in->key = xmalloc(len + 1);
	if (len)
		memcpy(in->key, key, len);
	in->key[len] = '\0';
	in->key_len = len;
	in->t = xcalloc(d->ntargets ? d->ntargets : 1, sizeof(*in->t));
	in->due = NO_DEADLINE;
	in->heap_idx = SIZE_MAX;
	in->resolve_at = NO_DEADLINE;
	am->stats.instances_live++;
	return in;
}

static void instance_free(struct instance *in)
{
	free(in->key);
	free(in->ring);
	free(in->t);
	free(in->message);
	evdoc_unref(&in->doc);
	free(in->kind);
	free(in->source);
	free(in);
}

static void instance_destroy(alertmgr *am, struct instance *in)
{
	am->changes++;
	am->kept_bytes -= in->kept;
	heap_remove(am, in);
	table_remove(&am->st[in->alert], in);
	am->stats.instances_live--;
	instance_free(in);
}

/* The overflow instance stands for every group past the cap. */
static struct instance *overflow_instance(alertmgr *am, size_t a)
{
	struct alert_state *s = &am->st[a];
	if (!s->overflow) {
		const alert_def *d = def_of(am, a);
		size_t one = sizeof(OVERFLOW_VALUE), len = one * d->n_group_by;
		char *key = xmalloc(len + 1);
		for (size_t g = 0; g < d->n_group_by; g++)
			memcpy(key + g * one, OVERFLOW_VALUE, one);
		s->overflow = instance_new(am, a, key, len, 0);
		s->overflow->overflow = true;
		free(key);
	}
	return s->overflow;
}

static bool over_budget(alertmgr *am)
{
	static struct log_ratelimit rl;
	size_t max = am->cfg.max_state_bytes ? am->cfg.max_state_bytes
					     : DEFAULT_MAX_STATE_BYTES;
	if (am->kept_bytes < max)
		return false;
	log_ratelimited(&rl, LOG_LEVEL_WARN, "alert state holds %zu bytes, the "
			"budget (max_alert_state_mb); new groups fold into their "
			"alert's overflow instance", am->kept_bytes);
	return true;
}

/* The instance for `ev`'s group: existing, new, or (past the cap) the
 * overflow instance.  With create false, NULL if there is none. */
static struct instance *instance_for(alertmgr *am, size_t a, const event *ev,
				     bool create)
{
	struct alert_state *s = &am->st[a];
	size_t len = group_key(am, a, ev);
	unsigned long long h = len ? fields_hash(am->keybuf, len) : 0;
	struct instance *in = lookup(am, a, am->keybuf, len, h);

	if (in)
		return in;
	if (s->ninst >= cap_of(def_of(am, a)) || over_budget(am)) {
		if (!create)
			return s->overflow;
		s->overflowed++;
		am->stats.overflowed++;
		return overflow_instance(am, a);
	}
	if (!create)
		return NULL;
	in = instance_new(am, a, am->keybuf, len, h);
	table_insert(s, in);
	return in;
}

/* ---- notifications ---- */

static void split_values(const struct instance *in, size_t n, char ***out)
{
	const char *p = in->key;
	*out = n ? xcalloc(n, sizeof(char *)) : NULL;
	for (size_t g = 0; g < n; g++) {
		(*out)[g] = xstrdup(p);
		p += strlen(p) + 1;
	}
}

static size_t max_event_bytes(const alertmgr *am)
{
	return am->cfg.max_event_bytes ? am->cfg.max_event_bytes : DEFAULT_MAX_EVENT_BYTES;
}

/* What stands for an event whose text is over the cap: says why, and keeps
 * the text's start (cut at a character boundary) for whoever reads it. */
static struct json_object *cut_event(const char *text, size_t len, size_t max,
				     const char *kind, size_t kind_len)
{
	size_t head = max > 512 ? max - 512 : max / 2;
	head = utf8_check(text, head < len ? head : len);
	struct json_object *o = json_object_new_object();
	char why[160];
	snprintf(why, sizeof(why), "the event's %zu bytes are over max_event_bytes "
		 "(%zu); its first %zu bytes are in \"head\"", len, max, head);
	json_object_object_add(o, "bpfalert_truncated", json_object_new_string(why));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)len));
	if (kind)
		json_object_object_add(o, "kind", json_object_new_string_len(kind, (int)kind_len));
	json_object_object_add(o, "head", json_object_new_string_len(text, (int)head));
	return o;
}

static char *event_text(const alertmgr *am, evdoc *doc, const char *kind)
{
	struct json_object *root = evdoc_json(doc);
	if (!root)
		return NULL;
	const char *s = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = s ? strlen(s) : 0, max = max_event_bytes(am);
	if (len <= max)
		return s ? xstrdup(s) : NULL;
	struct json_object *cut = cut_event(s, len, max, kind, kind ? strlen(kind) : 0);
	char *text = xstrdup(json_object_to_json_string_ext(
		cut, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(cut);
	return text;
}

/* The document an instance keeps of ev: the event's own, shared with the
 * other instances it matched, unless its text is over max_event_bytes. */
static evdoc *kept_doc(const alertmgr *am, const event *ev, size_t *bytes)
{
	size_t max = max_event_bytes(am);
	const char *text = ev->text;
	size_t len = ev->text_len;
	if (!text && ev->root) {
		text = json_object_to_json_string_ext(
			ev->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		len = text ? strlen(text) : 0;
	}
	*bytes = !text ? BUILT_DOC_BYTES : len <= max ? len : max;
	if (!text || len <= max)
		return evdoc_ref(event_doc(ev));
	return evdoc_from_json(cut_event(text, len, max, ev->kind, ev->kind_len));
}

static void charge(alertmgr *am, struct instance *in, size_t doc_bytes)
{
	am->kept_bytes -= in->kept;
	in->doc_bytes = doc_bytes;
	in->kept = sizeof(*in) + in->key_len + doc_bytes;
	am->kept_bytes += in->kept;
}

/* The instance's message, rendered from its latest event's document the
 * first time it is needed; the fields are those the rules saw, as the
 * document flattens to the same event. */
static const char *instance_message(alertmgr *am, struct instance *in)
{
	if (in->message)
		return in->message;
	const alert_def *d = def_of(am, in->alert);
	struct json_object *root = evdoc_json(in->doc);
	const event *ev = NULL;
	if (root && am->cfg.fields) {
		if (!am->fl) {
			am->fl = flattener_new(am->cfg.fields);
			am->ev = event_new();
		}
		if (flattener_fill(am->fl, json_object_get(root), am->ev) == FLATTEN_OK)
			ev = am->ev;
	}
	in->message = render_message(d->message, ev, am->cfg.fields);
	if (am->ev)
		event_reset(am->ev, 0);
	return in->message;
}

static char *dup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void emit(alertmgr *am, struct instance *in, size_t j,
		 enum notification_kind kind, int64_t at)
{
	const alert_def *d = def_of(am, in->alert);
	const struct alert_state *s = &am->st[in->alert];
	const target_def *td = target_of(am, in->alert, j);
	notification *n = notification_new();

	n->id = ++am->next_id;
	n->alert = xstrdup(d->name);
	n->kind = kind;
	n->status = kind == NOTIFY_KIND_RESOLVED ? NOTIFY_RESOLVED : NOTIFY_FIRING;
	n->severity = d->severity;
	n->message = xstrdup(instance_message(am, in));
	n->rule = xstrdup(s->rule);
	n->reason = xstrdup(s->reason);
	n->stream = dup0(d->stream);
	n->parseable = d->from_parseable;
	n->ngroup = d->n_group_by;
	n->group_keys = n->ngroup ? xcalloc(n->ngroup, sizeof(char *)) : NULL;
	for (size_t g = 0; g < n->ngroup; g++)
		n->group_keys[g] = xstrdup(d->group_by[g]);
	split_values(in, n->ngroup, &n->group_values);
	n->count = kind == NOTIFY_KIND_FIRST ? in->first_count : in->t[j].count;
	n->seq = in->t[j].sent + 1;
	n->of = td->times;
	n->time_ms = at;
	n->starts_at_ms = in->starts_at;
	n->ends_at_ms = kind == NOTIFY_KIND_RESOLVED ? at : 0;
	n->node = dup0(am->cfg.node_name);
	n->source = dup0(in->source);
	n->event_json = event_text(am, in->doc, in->kind);
	n->target = xstrdup(td->name);

	in->t[j].sent++;
	in->t[j].count = 0;
	am->changes++;
	am->stats.notifications++;
	if (am->cfg.emit)
		am->cfg.emit(am->cfg.emit_ctx, n);
	else
		notification_free(&n);
}


static void replace(char **dst, const char *src, size_t len)
{
	if (*dst && src && strlen(*dst) == len && memcmp(*dst, src, len) == 0)
		return;
	free(*dst);
	*dst = src ? xstrndup(src, len) : NULL;
}

/* Keeps what the next notification reports of this match. */
static void note_latest(alertmgr *am, struct instance *in, const event *ev,
			const char *source)
{
	const alert_def *d = def_of(am, in->alert);
	evdoc *doc = ev ? event_doc(ev) : NULL;
	if (in->doc != doc) {
		size_t bytes = 0;
		evdoc_unref(&in->doc);
		in->doc = ev ? kept_doc(am, ev, &bytes) : NULL;
		charge(am, in, bytes);
	}
	/* The message is rendered when a notification carries it, from the
	 * kept document: most matches never are.  An event without one, or
	 * whose document was cut (its fields are gone), is rendered now. */
	free(in->message);
	in->message = ev && (!doc || in->doc != doc)
		? render_message(d->message, ev, am->cfg.fields) : NULL;
	replace(&in->kind, ev ? ev->kind : NULL, ev && ev->kind ? ev->kind_len : 0);
	replace(&in->source, source, source ? strlen(source) : 0);
}

/* ---- state changes ---- */

static void fire(alertmgr *am, struct instance *in, int64_t now)
{
	const alert_def *d = def_of(am, in->alert);

	in->firing = true;
	in->starts_at = in->last_match = now;
	in->resolve_at = d->is_column_rule ? NO_DEADLINE
					    : add_ms(now, d->resolve_after_ms);
	in->first_count = repeats_of(d);
	in->pending = in->ring_cap = in->ring_len = in->ring_head = 0;
	free(in->ring);   /* counted again from scratch after resolution */
	in->ring = NULL;
	for (size_t j = 0; j < d->ntargets; j++) {
		const target_def *td = target_of(am, in->alert, j);
		in->t[j] = (struct tsched){ .next_ms = NO_DEADLINE };
		if (!td)
			continue;
		emit(am, in, j, NOTIFY_KIND_FIRST, now);
		if (td->times != 1 && td->interval_ms > 0)
			in->t[j].next_ms = add_ms(now, td->interval_ms);
	}
	reschedule(am, in);
}

static void resolve(alertmgr *am, struct instance *in, int64_t at)
{
	const alert_def *d = def_of(am, in->alert);
	for (size_t j = 0; j < d->ntargets; j++) {
		const target_def *td = target_of(am, in->alert, j);
		if (td && td->send_resolved)
			emit(am, in, j, NOTIFY_KIND_RESOLVED, at);
	}
	instance_destroy(am, in);
}

static void repeat_due(alertmgr *am, struct instance *in, int64_t at)
{
	const alert_def *d = def_of(am, in->alert);
	for (size_t j = 0; j < d->ntargets; j++) {
		const target_def *td = target_of(am, in->alert, j);
		if (!td || in->t[j].next_ms != at)
			continue;
		emit(am, in, j, NOTIFY_KIND_REPEAT, at);
		bool more = td->times == 0 || in->t[j].sent < td->times;
		in->t[j].next_ms = more && td->interval_ms > 0
			? add_ms(at, td->interval_ms) : NO_DEADLINE;
	}
	reschedule(am, in);
}

/* Counts a match of a pending instance; true when it should fire. */
static bool count_pending(const alert_def *d, struct instance *in, int64_t now)
{
	unsigned need = repeats_of(d);
	in->last_match = now;
	if (need <= 1)
		return true;
	if (d->within_ms <= 0)
		return ++in->pending >= need;
	if (!in->ring) {
		in->ring = xcalloc(need, sizeof(*in->ring));
		in->ring_cap = need;
	}
	in->ring[(in->ring_head + in->ring_len) % in->ring_cap] = now;
	if (in->ring_len < in->ring_cap)
		in->ring_len++;
	else
		in->ring_head = (in->ring_head + 1) % in->ring_cap;
	/* Full ring: its oldest entry is the first of the last `need`. */
	return in->ring_len == need && now - in->ring[in->ring_head] <= d->within_ms;
}

static int64_t clock_at(alertmgr *am, int64_t now)
{
	if (now > am->clock)
		am->clock = now;
	return am->clock;
}

/* ---- public ---- */

alertmgr *alertmgr_new(const struct alertmgr_config *cfg)
{
	alertmgr *am = xcalloc(1, sizeof(*am));
	am->cfg = *cfg;
	am->clock = INT64_MIN;
	am->nalerts = cfg->alerts ? cfg->alerts->n : 0;
	am->st = xcalloc(am->nalerts ? am->nalerts : 1, sizeof(*am->st));
	for (size_t a = 0; a < am->nalerts; a++) {
		const alert_def *d = def_of(am, a);
		struct alert_state *s = &am->st[a];
		s->group_slots = xcalloc(d->n_group_by ? d->n_group_by : 1, sizeof(int));
		for (size_t g = 0; g < d->n_group_by; g++)
			s->group_slots[g] = cfg->fields
				? field_table_lookup(cfg->fields, d->group_by[g],
						     strlen(d->group_by[g]))
				: -1;
		s->reason = parseable_reason(d);
		s->rule = xstrdup(parseable_rule_text(d));
	}
	return am;
}

static void free_alert_state(struct alert_state *s)
{
	for (size_t i = 0; i < s->nbuckets; i++) {
		for (struct instance *in = s->buckets[i], *nx; in; in = nx) {
			nx = in->chain;
			instance_free(in);
		}
	}
	if (s->overflow)
		instance_free(s->overflow);
	free(s->buckets);
	free(s->group_slots);
	free(s->reason);
	free(s->rule);
}

void alertmgr_free(alertmgr **pam)
{
	alertmgr *am = *pam;
	if (!am)
		return;
	for (size_t a = 0; a < am->nalerts; a++)
		free_alert_state(&am->st[a]);
	free(am->st);
	free(am->heap);
	free(am->keybuf);
	flattener_free(&am->fl);
	event_free(&am->ev);
	free(am);
	*pam = NULL;
}

void alertmgr_match(alertmgr *am, size_t a, const event *ev,
		    const char *source, int64_t now_ms)
{
	if (a >= am->nalerts || !def_of(am, a)->enabled)
		return;
	const alert_def *d = def_of(am, a);
	int64_t now = clock_at(am, now_ms);
	struct instance *in = instance_for(am, a, ev, true);

	am->stats.matches++;
	am->changes++;
	if (!in->firing) {
		if (count_pending(d, in, now)) {
			note_latest(am, in, ev, source);
			fire(am, in, now);
		} else {
			reschedule(am, in);
		}
		return;
	}
	/* Firing already: deduplicated, counted, and the instance lives on. */
	note_latest(am, in, ev, source);
	for (size_t j = 0; j < d->ntargets; j++)
		in->t[j].count++;
	in->last_match = now;
	if (!d->is_column_rule)
		in->resolve_at = add_ms(now, d->resolve_after_ms);
	reschedule(am, in);
}

static bool same_kind(const struct instance *in, const event *ev)
{
	size_t len = ev->kind ? ev->kind_len : 0;
	if (!in->kind || !ev->kind)
		return !in->kind && !ev->kind;
	return strlen(in->kind) == len && memcmp(in->kind, ev->kind, len) == 0;
}

void alertmgr_no_match(alertmgr *am, size_t a, const event *ev, int64_t now_ms)
{
	if (a >= am->nalerts || !ev)
		return;
	const alert_def *d = def_of(am, a);
	if (!d->enabled || !d->is_column_rule)
		return;
	int64_t now = clock_at(am, now_ms);
	struct instance *in = instance_for(am, a, ev, false);
	if (in && in->firing && same_kind(in, ev))
		resolve(am, in, now);
}

void alertmgr_advance(alertmgr *am, int64_t now_ms)
{
	int64_t now = clock_at(am, now_ms);
	while (am->nheap && am->heap[0]->due <= now) {
		struct instance *in = am->heap[0];
		int64_t at = in->due;
		if (!in->firing)
			instance_destroy(am, in); /* its match window passed */
		else if (in->resolve_at <= at)
			resolve(am, in, at);
		else
			repeat_due(am, in, at);
	}
}

int64_t alertmgr_next_due(const alertmgr *am)
{
	return am->nheap ? am->heap[0]->due : NO_DEADLINE;
}

void alertmgr_get_stats(const alertmgr *am, struct alertmgr_stats *out)
{
	*out = am->stats;
}

size_t alertmgr_overflow_count(const alertmgr *am, size_t a)
{
	return a < am->nalerts ? (size_t)am->st[a].overflowed : 0;
}

/* ---- reload ---- */

static bool same_strv(char *const *x, size_t nx, char *const *y, size_t ny)
{
	if (nx != ny)
		return false;
	for (size_t i = 0; i < nx; i++)
		if (strcmp(x[i], y[i]) != 0)
			return false;
	return true;
}

static bool same_target(const target_def *x, const target_def *y)
{
	if (!x || !y)
		return x == y;
	return strcmp(x->name, y->name) == 0 && strcmp(x->type, y->type) == 0 &&
	       x->interval_ms == y->interval_ms && x->times == y->times &&
	       x->send_resolved == y->send_resolved &&
	       json_object_equal(x->cfg, y->cfg);
}

static bool same_alert(const alertmgr *am, size_t a, const alertmgr *old,
		       size_t b)
{
	const alert_def *x = def_of(am, a), *y = def_of(old, b);
	if (strcmp(x->name, y->name) != 0 ||
	    strcmp(am->st[a].rule, old->st[b].rule) != 0 ||
	    x->is_column_rule != y->is_column_rule ||
	    !same_strv(x->group_by, x->n_group_by, y->group_by, y->n_group_by) ||
	    x->ntargets != y->ntargets)
		return false;
	for (size_t j = 0; j < x->ntargets; j++)
		if (!same_target(target_of(am, a, j), target_of(old, b, j)))
			return false;
	return true;
}

static int cmp_due(const void *pa, const void *pb)
{
	const struct instance *x = *(struct instance *const *)pa;
	const struct instance *y = *(struct instance *const *)pb;
	return heap_less(x, y) ? -1 : heap_less(y, x) ? 1 : 0;
}

/* Takes one instance over from `old` as an instance of alert `a`. */
static void adopt_instance(alertmgr *am, alertmgr *old, size_t a,
			   struct instance *in)
{
	const alert_def *d = def_of(am, a);
	heap_remove(old, in);
	old->stats.instances_live--;
	old->kept_bytes -= in->kept;
	am->kept_bytes += in->kept;
	in->alert = a;
	in->chain = NULL;
	if (repeats_of(d) != in->ring_cap && in->ring) {
		free(in->ring); /* the window changed shape: start counting again */
		in->ring = NULL;
		in->ring_cap = in->ring_len = in->ring_head = 0;
	}
	if (in->overflow)
		am->st[a].overflow = in;
	else
		table_insert(&am->st[a], in);
	am->stats.instances_live++;
}

/* Moves every instance of old alert b to alert a, keeping deadline order. */
static void adopt_alert(alertmgr *am, alertmgr *old, size_t a, size_t b)
{
	struct alert_state *s = &old->st[b];
	size_t n = s->ninst + (s->overflow ? 1 : 0), k = 0;
	struct instance **v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct instance *in = s->buckets[i]; in; in = in->chain)
			v[k++] = in;
	if (s->overflow)
		v[k++] = s->overflow;
	if (s->buckets)
		memset(s->buckets, 0, s->nbuckets * sizeof(*s->buckets));
	s->ninst = 0;
	s->overflow = NULL;
	am->st[a].overflowed += s->overflowed;
	s->overflowed = 0;
	qsort(v, n, sizeof(*v), cmp_due);
	for (k = 0; k < n; k++) {
		adopt_instance(am, old, a, v[k]);
		v[k]->heap_idx = SIZE_MAX;
		reschedule(am, v[k]);
	}
	free(v);
}

void alertmgr_adopt(alertmgr *am, alertmgr *old)
{
	if (!old)
		return;
	if (old->clock > am->clock)
		am->clock = old->clock;
	for (size_t a = 0; a < am->nalerts; a++) {
		for (size_t b = 0; b < old->nalerts; b++) {
			if (same_alert(am, a, old, b)) {
				adopt_alert(am, old, a, b);
				break;
			}
		}
	}
}

/* ---- state across restarts (DESIGN §5.3) ---- */

unsigned long long alertmgr_changes(const alertmgr *am)
{
	return am->changes;
}

static struct json_object *jtime_or_null(int64_t t)
{
	return t == NO_DEADLINE ? NULL : json_object_new_int64(t);
}

static int64_t jtime_get(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_int64(v);
}

static struct json_object *export_targets(alertmgr *am, const struct instance *in)
{
	const alert_def *d = def_of(am, in->alert);
	struct json_object *arr = json_object_new_array();
	for (size_t j = 0; j < d->ntargets; j++) {
		const target_def *td = target_of(am, in->alert, j);
		struct json_object *t = json_object_new_object();
		json_object_object_add(t, "name", json_object_new_string(td ? td->name : ""));
		json_object_object_add(t, "sent", json_object_new_int64(in->t[j].sent));
		json_object_object_add(t, "count", json_object_new_int64(in->t[j].count));
		json_object_object_add(t, "next", jtime_or_null(in->t[j].next_ms));
		json_object_array_add(arr, t);
	}
	return arr;
}

static struct json_object *export_instance(alertmgr *am, struct instance *in)
{
	const alert_def *d = def_of(am, in->alert);
	struct json_object *o = json_object_new_object(), *g = json_object_new_array();
	const char *p = in->key;
	for (size_t i = 0; i < d->n_group_by; i++, p += strlen(p) + 1)
		json_object_array_add(g, json_object_new_string(p));
	json_object_object_add(o, "alert", json_object_new_string(d->name));
	json_object_object_add(o, "group", g);
	json_object_object_add(o, "overflow", json_object_new_boolean(in->overflow));
	json_object_object_add(o, "firing", json_object_new_boolean(in->firing));
	json_object_object_add(o, "starts_at", json_object_new_int64(in->starts_at));
	json_object_object_add(o, "last_match", json_object_new_int64(in->last_match));
	json_object_object_add(o, "resolve_at", jtime_or_null(in->resolve_at));
	json_object_object_add(o, "first_count", json_object_new_int64(in->first_count));
	json_object_object_add(o, "pending", json_object_new_int64(in->pending));
	struct json_object *ring = json_object_new_array();
	for (unsigned i = 0; i < in->ring_len; i++)
		json_object_array_add(ring, json_object_new_int64(
			in->ring[(in->ring_head + i) % in->ring_cap]));
	json_object_object_add(o, "ring", ring);
	if (in->firing)
		json_object_object_add(o, "message",
				       json_object_new_string(instance_message(am, in)));
	if (in->kind)
		json_object_object_add(o, "kind", json_object_new_string(in->kind));
	if (in->source)
		json_object_object_add(o, "source", json_object_new_string(in->source));
	char *ev = in->doc ? event_text(am, in->doc, in->kind) : NULL;
	if (ev)
		json_object_object_add(o, "event", json_object_new_string(ev));
	free(ev);
	json_object_object_add(o, "targets", export_targets(am, in));
	return o;
}

static int export_one(alertmgr *am, struct instance *in, alertmgr_state_fn fn,
		      void *ctx)
{
	struct json_object *o = export_instance(am, in);
	int rc = fn(ctx, o);
	json_object_put(o);
	return rc;
}

int alertmgr_export_state(alertmgr *am, alertmgr_state_fn fn, void *ctx)
{
	for (size_t a = 0; a < am->nalerts; a++) {
		struct alert_state *s = &am->st[a];
		for (size_t i = 0; i < s->nbuckets; i++)
			for (struct instance *in = s->buckets[i]; in; in = in->chain)
				if (export_one(am, in, fn, ctx) < 0)
					return -1;
		if (s->overflow && export_one(am, s->overflow, fn, ctx) < 0)
			return -1;
	}
	return 0;
}

static const char *jstr_get(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static bool alert_named(const alertmgr *am, const char *name, size_t ngroup, size_t *a)
{
	for (*a = 0; name && *a < am->nalerts; (*a)++)
		if (!strcmp(def_of(am, *a)->name, name) && def_of(am, *a)->n_group_by == ngroup)
			return def_of(am, *a)->enabled;
	return false;
}

/* The instance a saved entry names: made (or the overflow one); NULL if
 * its alert is gone, its group_by changed or the cap is reached. */
static struct instance *restored_instance(alertmgr *am, struct json_object *o)
{
	struct json_object *g, *ov;
	if (!json_object_object_get_ex(o, "group", &g) || !json_object_is_type(g, json_type_array))
		return NULL;
	size_t a, n = json_object_array_length(g), len = 0;
	if (!alert_named(am, jstr_get(o, "alert"), n, &a))
		return NULL;
	if (json_object_object_get_ex(o, "overflow", &ov) && json_object_get_boolean(ov))
		return am->st[a].overflow ? NULL : overflow_instance(am, a);
	for (size_t i = 0; i < n; i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(g, i));
		size_t vl = strlen(v ? v : "");
		am->keybuf = xgrow(am->keybuf, &am->keybuf_cap, len + vl + 1, 1);
		memcpy(am->keybuf + len, v ? v : "", vl + 1);
		len += vl + 1;
	}
	unsigned long long h = len ? fields_hash(am->keybuf, len) : 0;
	if (lookup(am, a, am->keybuf, len, h) || am->st[a].ninst >= cap_of(def_of(am, a)))
		return NULL;
	struct instance *in = instance_new(am, a, am->keybuf, len, h);
	table_insert(&am->st[a], in);
	return in;
}

static void restore_targets(alertmgr *am, struct instance *in, struct json_object *o)
{
	const alert_def *d = def_of(am, in->alert);
	struct json_object *arr;
	for (size_t j = 0; j < d->ntargets; j++)
		in->t[j] = (struct tsched){ .next_ms = NO_DEADLINE };
	if (!json_object_object_get_ex(o, "targets", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	for (size_t k = 0; k < json_object_array_length(arr); k++) {
		struct json_object *t = json_object_array_get_idx(arr, k);
		const char *name = jstr_get(t, "name");
		for (size_t j = 0; name && j < d->ntargets; j++) {
			const target_def *td = target_of(am, in->alert, j);
			if (!td || strcmp(td->name, name))
				continue;
			in->t[j].sent = (unsigned)jtime_get(t, "sent", 0);
			in->t[j].count = (unsigned)jtime_get(t, "count", 0);
			in->t[j].next_ms = jtime_get(t, "next", NO_DEADLINE);
		}
	}
}

static void restore_ring(alertmgr *am, struct instance *in, struct json_object *o)
{
	struct json_object *ring;
	unsigned need = repeats_of(def_of(am, in->alert));
	if (!json_object_object_get_ex(o, "ring", &ring) ||
	    !json_object_is_type(ring, json_type_array) || need <= 1 || in->firing)
		return;
	size_t n = json_object_array_length(ring);
	in->ring = xcalloc(need, sizeof(*in->ring));
	in->ring_cap = need;
	for (size_t i = n > need ? n - need : 0; i < n; i++)
		in->ring[in->ring_len++] = json_object_get_int64(json_object_array_get_idx(ring, i));
}

static void restore_one(alertmgr *am, struct instance *in, struct json_object *o)
{
	struct json_object *v;
	in->firing = json_object_object_get_ex(o, "firing", &v) && json_object_get_boolean(v);
	in->starts_at = jtime_get(o, "starts_at", 0);
	in->last_match = jtime_get(o, "last_match", 0);
	in->resolve_at = jtime_get(o, "resolve_at", NO_DEADLINE);
	in->first_count = (unsigned)jtime_get(o, "first_count", 0);
	in->pending = (unsigned)jtime_get(o, "pending", 0);
	restore_ring(am, in, o);
	const char *msg = jstr_get(o, "message"), *kind = jstr_get(o, "kind");
	const char *source = jstr_get(o, "source"), *ev = jstr_get(o, "event");
	in->message = msg ? xstrdup(msg) : NULL;
	in->kind = kind ? xstrdup(kind) : NULL;
	in->source = source ? xstrdup(source) : NULL;
	in->doc = ev ? evdoc_from_text(ev, strlen(ev)) : NULL;
	charge(am, in, ev ? strlen(ev) : 0);
	restore_targets(am, in, o);
	reschedule(am, in);
}

bool alertmgr_import_instance(alertmgr *am, struct json_object *o)
{
	struct instance *in = json_object_is_type(o, json_type_object)
		? restored_instance(am, o) : NULL;
	if (in)
		restore_one(am, in, o);
	return in != NULL;
}
