#include "targets.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "rulefiles.h"
#include "xalloc.h"

/* Parseable's repeat interval when none is configured. */
#define DEFAULT_INTERVAL_MS (200 * 1000)

static void target_def_free(target_def **pt)
{
	target_def *t = *pt;
	if (!t)
		return;
	free(t->name);
	free(t->type);
	if (t->cfg)
		json_object_put(t->cfg);
	free(t);
	*pt = NULL;
}

void target_set_clear(target_set *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		target_def_free(&ts->v[i]);
	free(ts->v);
	ts->v = NULL;
	ts->n = ts->cap = 0;
}

size_t target_set_find(const target_set *ts, const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->v[i]->name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* Webhook and Slack repeat five times (Parseable's default), Alertmanager
 * without end (it deduplicates and expects to be told again), and local
 * outputs once. */
static unsigned default_times(const char *type)
{
	if (strcasecmp(type, "webhook") == 0 || strcasecmp(type, "slack") == 0)
		return 5;
	if (strcasecmp(type, "alertmanager") == 0)
		return 0;
	return 1;
}

static int read_repeat(target_def *t, struct json_object *rep, char *err,
		       size_t errlen)
{
	struct json_object *iv, *times;

	if (!json_object_is_type(rep, json_type_object)) {
		snprintf(err, errlen, "'repeat' must be a group such as "
			 "{ interval = \"10s\"; times = 5; }");
		return -1;
	}
	if (json_object_object_get_ex(rep, "interval", &iv)) {
		char why[256] = "";
		int64_t ms;
		if (!json_object_is_type(iv, json_type_string)) {
			snprintf(err, errlen, "'repeat.interval' must be a "
				 "duration such as \"10s\"");
			return -1;
		}
		if (parse_duration(json_object_get_string(iv), &ms, why,
				   sizeof(why)) < 0) {
			snprintf(err, errlen, "'repeat.interval': %s", why);
			return -1;
		}
		if (ms <= 0) {
			snprintf(err, errlen, "'repeat.interval' must be more "
				 "than zero");
			return -1;
		}
		t->interval_ms = ms;
	}
	if (json_object_object_get_ex(rep, "times", &times)) {
		int64_t n = json_object_get_int64(times);
		if (!json_object_is_type(times, json_type_int) || n < 0 ||
		    n > UINT_MAX) {
			snprintf(err, errlen, "'repeat.times' must be a whole "
				 "number, 0 or more (0: unlimited)");
			return -1;
		}
		t->times = (unsigned)n;
	}
	return 0;
}

/* Builds a target_def from its configuration; NULL with err set. */
static target_def *target_def_new(const char *name,
				  const struct json_object *cfg, char *err,
				  size_t errlen)
{
	struct json_object *type, *rep, *sr, *copy = NULL;
	struct json_object *src = (struct json_object *)cfg;

	if (!json_object_is_type(src, json_type_object)) {
		snprintf(err, errlen, "target '%s' must be a group of settings",
			 name);
		return NULL;
	}
	if (!json_object_object_get_ex(src, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    json_object_get_string_len(type) == 0) {
		snprintf(err, errlen, "target '%s' has no 'type'", name);
		return NULL;
	}
	target_def *t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->type = xstrdup(json_object_get_string(type));
	t->interval_ms = DEFAULT_INTERVAL_MS;
	t->times = default_times(t->type);
	t->send_resolved = true;
	if (json_object_object_get_ex(src, "repeat", &rep)) {
		char why[384];
		if (read_repeat(t, rep, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "target '%s': %s", name, why);
			target_def_free(&t);
			return NULL;
		}
	}
	if (json_object_object_get_ex(src, "send_resolved", &sr)) {
		if (!json_object_is_type(sr, json_type_boolean)) {
			snprintf(err, errlen, "target '%s': 'send_resolved' "
				 "must be true or false", name);
			target_def_free(&t);
			return NULL;
		}
		t->send_resolved = json_object_get_boolean(sr);
	}
	if (json_object_deep_copy(src, &copy, NULL) < 0)
		abort(); /* only fails on allocation */
	t->cfg = copy;
	return t;
}

static size_t target_set_push(target_set *ts, target_def *t)
{
	ts->v = xgrow(ts->v, &ts->cap, ts->n + 1, sizeof(*ts->v));
	ts->v[ts->n] = t;
	return ts->n++;
}

int target_set_add_named(target_set *ts, const char *name,
			 const struct json_object *cfg, char *err, size_t errlen)
{
	if (target_set_find(ts, name) != SIZE_MAX) {
		snprintf(err, errlen, "target '%s' is defined twice", name);
		return -1;
	}
	target_def *t = target_def_new(name, cfg, err, errlen);
	if (!t)
		return -1;
	target_set_push(ts, t);
	return 0;
}

/* A named reference must name a target of the configuration, not another
 * alert's inline target. */
static size_t find_named(const target_set *ts, const char *name)
{
	size_t i = target_set_find(ts, name);
	return i != SIZE_MAX && !ts->v[i]->inline_def ? i : SIZE_MAX;
}

static size_t resolve_ref(target_set *ts, const alert_def *a, size_t j,
			  diag *d)
{
	const struct target_ref *ref = &a->targets[j];
	char err[512];

	if (ref->name) {
		size_t i = find_named(ts, ref->name);
		if (i == SIZE_MAX)
			diag_report(d, DIAG_ERROR, a->file, ref->line, 0, NULL, 0,
				    "alert '%s' names undefined target '%s'",
				    a->name, ref->name);
		return i;
	}
	char *name = xasprintf("%s#%zu", a->name, j + 1);
	target_def *t = ref->inline_cfg
		? target_def_new(name, ref->inline_cfg, err, sizeof(err))
		: NULL;
	if (!ref->inline_cfg)
		snprintf(err, sizeof(err), "target '%s' is empty", name);
	free(name);
	if (!t) {
		diag_report(d, DIAG_ERROR, a->file, ref->line, 0, NULL, 0,
			    "alert '%s': %s", a->name, err);
		return SIZE_MAX;
	}
	t->inline_def = true;
	return target_set_push(ts, t);
}

unsigned targets_resolve(target_set *ts, const alert_list *alerts,
			 size_t ***pmap, diag *d)
{
	unsigned errors = 0;
	size_t **map = xcalloc(alerts->n ? alerts->n : 1, sizeof(*map));

	for (size_t i = 0; i < alerts->n; i++) {
		const alert_def *a = alerts->v[i];
		map[i] = xcalloc(a->ntargets ? a->ntargets : 1, sizeof(size_t));
		for (size_t j = 0; j < a->ntargets; j++) {
			map[i][j] = resolve_ref(ts, a, j, d);
			if (map[i][j] == SIZE_MAX)
				errors++;
		}
	}
	*pmap = map;
	return errors;
}

void target_map_free(size_t ***pmap, size_t nalerts)
{
	size_t **map = *pmap;
	if (!map)
		return;
	for (size_t i = 0; i < nalerts; i++)
		free(map[i]);
	free(map);
	*pmap = NULL;
}
