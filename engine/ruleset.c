#include "ruleset.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fields.h"
#include "log.h"
#include "rule_compile.h"
#include "xalloc.h"

/* The rules to run for one combination of top-level keys. */
struct plan {
	char *key;           /* see plan_key */
	size_t key_len;
	unsigned long long hash;
	size_t *rules;       /* alert indices, ascending */
	size_t nrules;
};

/* Past this many distinct key combinations (hostile input) plans are built
 * per event and not kept, so memory stays bounded. */
#define PLAN_CACHE_MAX 1024

struct ruleset {
	const alert_list *alerts;
	const field_table *ft;
	struct rule_stats *stats;
	bool prefilter, timing;
	unsigned long long events;  /* evaluated, for sampling the timing */

	struct plan *plans;  /* open addressing on hash; key == NULL: empty */
	size_t nplans, plans_cap;
	size_t *all_rules;   /* every enabled rule: the plan without prefilter */
	size_t nall;
	size_t *scratch;     /* an uncached plan */
};

ruleset *ruleset_new(const alert_list *alerts, const field_table *ft)
{
	ruleset *rs = xcalloc(1, sizeof(*rs));
	rs->alerts = alerts;
	rs->ft = ft;
	rs->prefilter = true;
	rs->stats = xcalloc(alerts->n ? alerts->n : 1, sizeof(*rs->stats));
	rs->all_rules = xcalloc(alerts->n ? alerts->n : 1, sizeof(size_t));
	rs->scratch = xcalloc(alerts->n ? alerts->n : 1, sizeof(size_t));
	for (size_t i = 0; i < alerts->n; i++)
		if (alerts->v[i]->enabled && alerts->v[i]->prog)
			rs->all_rules[rs->nall++] = i;
	rs->plans_cap = 64;
	rs->plans = xcalloc(rs->plans_cap, sizeof(*rs->plans));
	return rs;
}

static void free_plans(struct plan *plans, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		free(plans[i].key);
		free(plans[i].rules);
	}
	free(plans);
}

void ruleset_free(ruleset **prs)
{
	ruleset *rs = *prs;
	if (!rs)
		return;
	free_plans(rs->plans, rs->plans_cap);
	free(rs->stats);
	free(rs->all_rules);
	free(rs->scratch);
	free(rs);
	*prs = NULL;
}

void ruleset_set_prefilter(ruleset *rs, bool on) { rs->prefilter = on; }
void ruleset_set_timing(ruleset *rs, bool on) { rs->timing = on; }
size_t ruleset_size(const ruleset *rs) { return rs->alerts->n; }

void ruleset_carry_stats(ruleset *rs, const ruleset *old)
{
	for (size_t i = 0; i < rs->alerts->n; i++)
		for (size_t j = 0; old && j < old->alerts->n; j++)
			if (!strcmp(rs->alerts->v[i]->name, old->alerts->v[j]->name)) {
				rs->stats[i] = old->stats[j];
				break;
			}
}

const struct rule_stats *ruleset_stats(const ruleset *rs, size_t alert)
{
	return alert < rs->alerts->n ? &rs->stats[alert] : NULL;
}

/* A top-level key can produce field `name` only if it is the whole name or
 * the part of it before a '_' (DESIGN §3.2: names are keys joined by '_'). */
static bool key_can_produce(const char *key, size_t klen, const char *name)
{
	size_t nlen = strlen(name);
	return nlen >= klen && memcmp(name, key, klen) == 0 &&
	       (nlen == klen || name[klen] == '_');
}

static bool rule_can_match(const ruleset *rs, const alert_def *a,
			   const event *ev)
{
	const int *anchors;
	size_t n = rule_program_anchors(a->prog, &anchors);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const char *name = field_table_name(rs->ft, anchors[i]);
		for (size_t k = 0; k < ev->ntop_keys; k++)
			if (key_can_produce(ev->top_keys[k], ev->top_key_lens[k], name))
				return true;
	}
	return false;
}

static size_t build_plan(const ruleset *rs, const event *ev, size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->nall; i++) {
		size_t a = rs->all_rules[i];
		if (rule_can_match(rs, rs->alerts->v[a], ev))
			out[n++] = a;
	}
	return n;
}

/* The plan key: the event's top-level keys, in order, each preceded by its
 * length (keys may hold any byte, NUL included). */
static size_t plan_key(const event *ev, char *buf, size_t cap)
{
	size_t len = 0;
	for (size_t k = 0; k < ev->ntop_keys; k++) {
		uint32_t kl = ev->top_key_lens[k];
		if (len + sizeof(kl) + kl > cap)
			return 0;
		memcpy(buf + len, &kl, sizeof(kl));
		len += sizeof(kl);
		memcpy(buf + len, ev->top_keys[k], kl);
		len += kl;
	}
	return len;
}

static struct plan *plan_slot(struct plan *plans, size_t cap, const char *key,
			      size_t len, unsigned long long h)
{
	size_t mask = cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct plan *p = &plans[i];
		if (!p->key || (p->hash == h && p->key_len == len &&
				!memcmp(p->key, key, len)))
			return p;
	}
}

static void grow_plans(ruleset *rs)
{
	size_t cap = rs->plans_cap * 2;
	struct plan *np = xcalloc(cap, sizeof(*np));
	for (size_t i = 0; i < rs->plans_cap; i++) {
		struct plan *p = &rs->plans[i];
		if (p->key)
			*plan_slot(np, cap, p->key, p->key_len, p->hash) = *p;
	}
	free(rs->plans);
	rs->plans = np;
	rs->plans_cap = cap;
}

static const size_t *find_plan(ruleset *rs, const event *ev, size_t *n)
{
	char key[4096];
	size_t len = ev->top_keys_truncated ? 0 : plan_key(ev, key, sizeof(key));
	if (len == 0 && ev->ntop_keys > 0) {   /* unusual keys: no prefilter */
		*n = rs->nall;
		return rs->all_rules;
	}
	unsigned long long h = fields_hash(key, len);
	struct plan *p = plan_slot(rs->plans, rs->plans_cap, key, len, h);
	if (p->key) {
		*n = p->nrules;
		return p->rules;
	}
	if (rs->nplans >= PLAN_CACHE_MAX) {
		*n = build_plan(rs, ev, rs->scratch);
		return rs->scratch;
	}
	p->key = xmalloc(len + 1);
	memcpy(p->key, key, len);
	p->key_len = len;
	p->hash = h;
	p->rules = xcalloc(rs->nall ? rs->nall : 1, sizeof(size_t));
	p->nrules = build_plan(rs, ev, p->rules);
	*n = p->nrules;
	const size_t *rules = p->rules;
	if (++rs->nplans * 2 > rs->plans_cap)
		grow_plans(rs);
	return rules;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

static void regex_gave_up(ruleset *rs, size_t a, struct rule_stats *st)
{
	static struct log_ratelimit rl;
	st->regex_errors++;
	log_ratelimited(&rl, LOG_LEVEL_WARN, "alert '%s': a regular expression "
			"gave up on an event (PCRE2 match limit); the comparison "
			"counts as not holding (%llu times so far)",
			rs->alerts->v[a]->name, st->regex_errors);
}

/* Evaluates rule a; on a timed event *t (the clock when it started) is
 * advanced to when it ended, and the time is charged RULESET_TIMING_EVERY
 * times over, for the events not timed. */
static bool eval_one(ruleset *rs, size_t a, const event *ev,
		     unsigned long long *t)
{
	struct rule_stats *st = &rs->stats[a];
	rule_program *prog = rs->alerts->v[a]->prog;
	unsigned long long errors = prog->regex_errors;
	bool m = rule_eval(prog, ev);
	if (prog->regex_errors != errors)
		regex_gave_up(rs, a, st);
	if (*t) {
		unsigned long long t1 = now_ns();
		st->nanoseconds += (t1 - *t) * RULESET_TIMING_EVERY;
		*t = t1;
	}
	st->evaluations++;
	st->matches += m;
	return m;
}

size_t ruleset_eval(ruleset *rs, const event *ev, ruleset_visit_fn visit,
		    void *ctx)
{
	size_t n;
	const size_t *rules = rs->prefilter ? find_plan(rs, ev, &n)
					    : (n = rs->nall, rs->all_rules);
	size_t matched = 0;
	bool timed = rs->timing && rs->events++ % RULESET_TIMING_EVERY == 0;
	unsigned long long t = timed ? now_ns() : 0;
	for (size_t i = 0; i < n; i++) {
		bool m = eval_one(rs, rules[i], ev, &t);
		matched += m;
		if (visit) {
			visit(ctx, rules[i], m);
			if (t)
				t = now_ns(); /* the visit is not the rule's time */
		}
	}
	return matched;
}
