#include "ruletest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libconfig.h>

#include "diag.h"
#include "lcdoc.h"
#include "dryrun.h"
#include "fields.h"
#include "jsonl.h"
#include "msgtext.h"
#include "rulefiles.h"
#include "rules_native.h"
#include "rules_parseable.h"
#include "targets.h"
#include "timefmt.h"
#include "xalloc.h"

#define DEFAULT_NODE "test-node"

/* One test file being run. */
struct tfile {
	const char *path;
	char *dir;               /* the file's directory: names are relative to it */
	FILE *out;
	config_t cfg;
	field_table *ft;
	alert_list alerts;
	target_set targets;
	size_t **map;
	const char *node_name;
	const char *base_text;   /* file-wide `base` */
	bool strict;
	unsigned passed, failed;
	bool broken;             /* the file cannot be run as written */
};

/* One input event, with where it came from and its place in time. */
struct tevent {
	char *text;
	size_t len;
	const char *name;        /* file it came from (for reports) */
	size_t lineno;
	bool has_at, first_of_item;
	int64_t at_ms;           /* with has_at: base + at */
	bool at_absolute;
	bool has_own;
	int64_t own_ms;          /* the event's own `time` */
};

struct tevents {
	struct tevent *v;
	size_t n, cap;
	char **names;            /* owned file names */
	size_t nnames;
};

/* What the dry run produced. */
struct got {
	notification *n;
	char *body;
	bool used;
};

struct gots {
	struct got *v;
	size_t n, cap;
};

/* ---- reporting ---- */

static void ferr(struct tfile *tf, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ferr(struct tfile *tf, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	int line = s ? config_setting_source_line(s) : 0;
	if (line > 0)
		fprintf(tf->out, "%s:%d: error: ", tf->path, line);
	else
		fprintf(tf->out, "%s: error: ", tf->path);
	va_start(ap, fmt);
	vfprintf(tf->out, fmt, ap);
	va_end(ap);
	fputc('\n', tf->out);
	tf->broken = true;
}

/* Relative time as a duration: "0s", "10s", "5m", "1h 2m 3s 500ms". */
static void fmt_rel(int64_t ms, char *buf, size_t size)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};
	size_t len = 0;
	uint64_t left;

	buf[0] = '\0';
	if (ms < 0) {
		len += (size_t)snprintf(buf, size, "-");
		left = (uint64_t)(-(ms + 1)) + 1;
	} else {
		left = (uint64_t)ms;
	}
	if (left == 0) {
		snprintf(buf + len, size - len, "0s");
		return;
	}
	for (size_t i = 0; i < 4 && len < size; i++) {
		uint64_t q = left / (uint64_t)units[i].ms;
		if (!q)
			continue;
		left -= q * (uint64_t)units[i].ms;
		len += (size_t)snprintf(buf + len, size - len, "%s%llu%s",
					len && buf[len - 1] != '-' ? " " : "",
					(unsigned long long)q, units[i].unit);
	}
}

/* Writes s as a one-line quoted string. */
static void put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* ---- reading settings ---- */

static bool check_keys(struct tfile *tf, const config_setting_t *group,
		       const char *what, const char *const *allowed)
{
	bool ok = true;
	if (!config_setting_is_group(group)) {
		ferr(tf, group, "%s must be a group { ... }", what);
		return false;
	}
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(m);
		size_t k = 0;
		while (allowed[k] && strcmp(allowed[k], name))
			k++;
		if (allowed[k])
			continue;
		const char *near = msgtext_suggest(name, strlen(name), allowed);
		if (near)
			ferr(tf, m, "unknown key '%s' in %s (did you mean '%s'?)",
			     name, what, near);
		else
			ferr(tf, m, "unknown key '%s' in %s", name, what);
		ok = false;
	}
	return ok;
}

/* A string member; *out stays NULL when absent.  False on a wrong type. */
static bool get_str(struct tfile *tf, const config_setting_t *g, const char *key,
		    const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	*out = NULL;
	if (!s)
		return true;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		ferr(tf, s, "'%s' must be a string", key);
		return false;
	}
	*out = config_setting_get_string(s);
	return true;
}

static bool get_bool(struct tfile *tf, const config_setting_t *g,
		     const char *key, bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	if (!s)
		return true;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		ferr(tf, s, "'%s' must be true or false", key);
		return false;
	}
	*out = config_setting_get_bool(s);
	return true;
}

static bool is_seq(const config_setting_t *s)
{
	return config_setting_is_array(s) || config_setting_is_list(s);
}

static bool get_int_setting(struct tfile *tf, const config_setting_t *s,
			    const char *what, long long *out)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		ferr(tf, s, "%s must be a whole number", what);
		return false;
	}
	*out = config_setting_get_int64(s);
	return true;
}

/* A time: an RFC 3339 time, or a duration after the base ("10s"). */
static bool parse_when(struct tfile *tf, const config_setting_t *s,
		       const char *text, int64_t *ms, bool *absolute)
{
	char why[256] = "";
	int64_t ns;
	*absolute = false;
	if (timefmt_parse(text, strlen(text), &ns) == 0) {
		*ms = ns / 1000000 - (ns % 1000000 < 0);
		*absolute = true;
		return true;
	}
	if (parse_duration(text, ms, why, sizeof(why)) == 0)
		return true;
	ferr(tf, s, "'%s' is neither a duration after the base (\"10s\") nor "
	     "an RFC 3339 time: %s", text, why);
	return false;
}

static char *relative_path(const struct tfile *tf, const char *name)
{
	return name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", tf->dir, name);
}

/* ---- rules and targets ---- */

static bool looks_like_json(const char *text)
{
	text += strspn(text, " \t\r\n");
	return *text == '{';
}

static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".test") == 0)
		len -= 5;
	return xstrndup(base, len);
}

/* Loads one rules text by its format; returns its errors. */
static unsigned load_text(struct tfile *tf, const char *name, const char *text,
			  size_t len, bool json, diag *d)
{
	return json ? rules_parseable_parse(name, text, len, tf->ft, d, &tf->alerts)
		    : rules_native_parse(name, text, len, tf->ft, d, &tf->alerts);
}

/* `rules = "..."`: a native or Parseable rules text.  It is named
 * `rules_name` (a Parseable file's name gives its stream), else after the
 * test file. */
static void load_rules_text(struct tfile *tf, diag *d)
{
	const config_setting_t *root = config_root_setting(&tf->cfg);
	const config_setting_t *s = config_setting_get_member(root, "rules");
	const char *text, *name;

	if (!get_str(tf, root, "rules", &text) ||
	    !get_str(tf, root, "rules_name", &name) || !text)
		return;
	bool json = looks_like_json(text);
	char *stem = file_stem(tf->path);
	char *own = name ? xstrdup(name)
			 : xasprintf("%s%s", stem, json ? ".json" : ".rules");
	free(stem);
	if (load_text(tf, own, text, strlen(text), json, d))
		fprintf(tf->out, "%s:%d: note: the errors above are in the 'rules' "
			"text (named %s)\n", tf->path, config_setting_source_line(s),
			own);
	free(own);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	if (!f)
		return NULL;
	do {
		buf = xgrow(buf, &cap, n + 4096 + 1, 1);
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The first line after `line` where another top-level setting starts, or
 * INT32_MAX. */
static int next_setting_line(const config_setting_t *root, int line)
{
	int next = INT32_MAX;
	for (int i = 0; i < config_setting_length(root); i++) {
		int l = config_setting_source_line(config_setting_get_elem(root, (unsigned)i));
		if (l > line && l < next)
			next = l;
	}
	return next;
}

/* `alerts = ( ... );` written in the test file itself: the file is loaded
 * as a native rule file with every line outside that setting blanked, so
 * reports keep the test file's lines and columns. */
static void load_embedded_alerts(struct tfile *tf, diag *d)
{
	const config_setting_t *root = config_root_setting(&tf->cfg);
	const config_setting_t *s = config_setting_get_member(root, "alerts");
	size_t len;
	char *text;

	if (!s)
		return;
	if (!(text = read_all(tf->path, &len))) {
		ferr(tf, s, "cannot read the file again: %s", strerror(errno));
		return;
	}
	int first = config_setting_source_line(s);
	int end = next_setting_line(root, first), line = 1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			line++;
		else if (line < first || line >= end)
			text[i] = ' ';
	}
	load_text(tf, tf->path, text, len, false, d);
	free(text);
}

/* Alert names must be unique across the rules of one test file. */
static void check_unique(struct tfile *tf)
{
	for (size_t i = 0; i < tf->alerts.n; i++) {
		for (size_t j = 0; j < i; j++) {
			const alert_def *a = tf->alerts.v[i], *b = tf->alerts.v[j];
			if (strcmp(a->name, b->name) == 0) {
				ferr(tf, NULL, "alert '%s' is defined twice (%s:%d and %s:%d)",
				     a->name, b->file, b->line, a->file, a->line);
				break;
			}
		}
	}
}

static void load_rules_files(struct tfile *tf, diag *d)
{
	const config_setting_t *root = config_root_setting(&tf->cfg);
	const config_setting_t *s = config_setting_get_member(root, "rules_files");
	if (!s)
		return;
	if (!is_seq(s) && config_setting_type(s) != CONFIG_TYPE_STRING) {
		ferr(tf, s, "'rules_files' must be a list of paths");
		return;
	}
	int n = is_seq(s) ? config_setting_length(s) : 1;
	char **paths = xcalloc((size_t)n + 1, sizeof(*paths));
	int k = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = is_seq(s)
			? config_setting_get_elem(s, (unsigned)i) : s;
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			ferr(tf, e, "'rules_files' must hold strings");
			continue;
		}
		paths[k++] = relative_path(tf, config_setting_get_string(e));
	}
	rulefiles_load((const char *const *)paths, (size_t)k, tf->ft, d,
		       &tf->alerts);
	for (int i = 0; i < k; i++)
		free(paths[i]);
	free(paths);
}

static void load_targets(struct tfile *tf)
{
	const config_setting_t *root = config_root_setting(&tf->cfg);
	const config_setting_t *s = config_setting_get_member(root, "targets");
	char err[512];

	if (!s)
		return;
	if (!config_setting_is_group(s)) {
		ferr(tf, s, "'targets' must be a group: targets = { name = { type = ...; }; };");
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *t = config_setting_get_elem(s, (unsigned)i);
		struct json_object *cfg = lcdoc_setting_json(t, NULL);
		if (!cfg)
			ferr(tf, t, "target nested too deep");
		else if (target_set_add_named(&tf->targets, config_setting_name(t), cfg,
					 err, sizeof(err)) < 0)
			ferr(tf, t, "%s", err);
		json_object_put(cfg);
	}
}

static void load_everything(struct tfile *tf)
{
	const config_setting_t *root = config_root_setting(&tf->cfg);
	diag *d = diag_new(tf->out);

	if (!config_setting_get_member(root, "rules") &&
	    !config_setting_get_member(root, "rules_files") &&
	    !config_setting_get_member(root, "alerts"))
		ferr(tf, NULL, "no rules: give 'rules_files', 'rules' or 'alerts'");
	load_rules_files(tf, d);
	load_rules_text(tf, d);
	load_embedded_alerts(tf, d);
	check_unique(tf);
	load_targets(tf);
	targets_resolve(&tf->targets, &tf->alerts, &tf->map, d);
	if (diag_errors(d))
		tf->broken = true;
	diag_free(&d);
}

/* ---- input events ---- */

static bool own_time(const char *text, size_t len, int64_t *ms)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	struct json_object *t;
	int64_t ns;
	bool ok = false;

	if (o && json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_object_get_ex(o, "time", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    timefmt_parse(json_object_get_string(t),
			  (size_t)json_object_get_string_len(t), &ns) == 0) {
		*ms = ns / 1000000 - (ns % 1000000 < 0);
		ok = true;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

static struct tevent *add_event(struct tevents *ev, const char *text,
				size_t len, const char *name, size_t lineno)
{
	ev->v = xgrow(ev->v, &ev->cap, ev->n + 1, sizeof(*ev->v));
	struct tevent *e = &ev->v[ev->n++];
	memset(e, 0, sizeof(*e));
	e->text = xstrndup(text, len);
	e->len = len;
	e->name = name;
	e->lineno = lineno;
	e->has_own = len <= INT32_MAX && own_time(text, len, &e->own_ms);
	return e;
}

static const char *keep_name(struct tevents *ev, char *name)
{
	ev->names = xrealloc(ev->names, (ev->nnames + 1) * sizeof(*ev->names));
	ev->names[ev->nnames++] = name;
	return name;
}

static void read_event_file(struct tfile *tf, const config_setting_t *s,
			    const char *file, struct tevents *ev)
{
	char *path = relative_path(tf, file);
	FILE *f = fopen(path, "rb");
	if (!f) {
		ferr(tf, s, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	const char *name = keep_name(ev, path);
	jsonl_reader *rd = jsonl_reader_new(f, name);
	const char *line;
	size_t len, lineno;
	while (jsonl_next(rd, &line, &len, &lineno, tf->out) == 1)
		add_event(ev, line, len, name, lineno);
	jsonl_reader_free(&rd);
	fclose(f);
}

static void read_event_item(struct tfile *tf, const config_setting_t *item,
			    struct tevents *ev)
{
	static const char *const keys[] = { "at", "json", "file", NULL };
	const char *at, *json, *file;
	int64_t at_ms = 0;
	bool absolute = false;

	if (!check_keys(tf, item, "an event", keys) ||
	    !get_str(tf, item, "at", &at) || !get_str(tf, item, "json", &json) ||
	    !get_str(tf, item, "file", &file))
		return;
	if (!json == !file) {
		ferr(tf, item, "an event needs one of 'json' or 'file'");
		return;
	}
	if (at && !parse_when(tf, config_setting_get_member(item, "at"), at,
			      &at_ms, &absolute))
		return;
	size_t first = ev->n;
	if (json)
		add_event(ev, json, strlen(json), tf->path,
			  (size_t)config_setting_source_line(
				  config_setting_get_member(item, "json")));
	else
		read_event_file(tf, item, file, ev);
	for (size_t i = first; i < ev->n; i++) {
		ev->v[i].has_at = at != NULL;
		ev->v[i].at_ms = at_ms;
		ev->v[i].at_absolute = absolute;
		ev->v[i].first_of_item = i == first;
	}
}

static void tevents_free(struct tevents *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		free(ev->v[i].text);
	for (size_t i = 0; i < ev->nnames; i++)
		free(ev->names[i]);
	free(ev->v);
	free(ev->names);
}

/* The base of relative times: `base`, else the first event's own time. */
static int64_t find_base(struct tfile *tf, const config_setting_t *c,
			 const struct tevents *ev)
{
	const char *text = NULL;
	int64_t ns;
	if (!get_str(tf, c, "base", &text) || (!text && !(text = tf->base_text)))
		text = NULL;
	if (text) {
		if (timefmt_parse(text, strlen(text), &ns) == 0)
			return ns / 1000000 - (ns % 1000000 < 0);
		ferr(tf, config_setting_get_member(c, "base"),
		     "'base' must be an RFC 3339 time");
	}
	for (size_t i = 0; i < ev->n; i++)
		if (ev->v[i].has_own)
			return ev->v[i].own_ms;
	return 0;
}

/* Virtual time of each event: `at` places an item (a file's later lines
 * keep their spacing); without `at` an event's own time counts, and one
 * with no time at all follows the previous event. */
static void place_events(struct tevents *ev, int64_t base, int64_t *vt)
{
	int64_t prev = base, anchor_vt = base, anchor_own = 0;
	bool anchored = false;

	for (size_t i = 0; i < ev->n; i++) {
		const struct tevent *e = &ev->v[i];
		int64_t t = prev;
		if (e->first_of_item)
			anchored = false;
		if (!e->has_at) {
			if (e->has_own)
				t = e->own_ms;
		} else if (e->first_of_item) {
			t = e->at_absolute ? e->at_ms : base + e->at_ms;
		} else if (e->has_own && anchored) {
			t = anchor_vt + (e->own_ms - anchor_own);
		}
		if (e->has_at && e->has_own && !anchored) {
			anchored = true;
			anchor_vt = t;
			anchor_own = e->own_ms;
		}
		vt[i] = prev = t;
	}
}

/* ---- running ---- */

static void collect(void *ctx, const notification *n, const char *body)
{
	struct gots *g = ctx;
	g->v = xgrow(g->v, &g->cap, g->n + 1, sizeof(*g->v));
	g->v[g->n++] = (struct got){ notification_clone(n), xstrdup(body), false };
}

static void gots_free(struct gots *g)
{
	for (size_t i = 0; i < g->n; i++) {
		notification_free(&g->v[i].n);
		free(g->v[i].body);
	}
	free(g->v);
}

static void run_events(struct tfile *tf, const struct tevents *ev,
		       const int64_t *vt, struct gots *got)
{
	struct dryrun_options opt = {
		.alerts = &tf->alerts,
		.fields = tf->ft,
		.targets = &tf->targets,
		.target_map = tf->map,
		.node_name = tf->node_name,
		.source = "tetragon",
		.report = tf->out,
	};
	dryrun *dr = dryrun_new(&opt, collect, got);
	for (size_t i = 0; i < ev->n; i++)
		if (dryrun_parse(dr, ev->v[i].text, ev->v[i].len, ev->v[i].name,
				 ev->v[i].lineno) == 0)
			dryrun_process(dr, vt[i]);
	dryrun_finish(dr);
	dryrun_free(&dr);
}

/* ---- expectations ---- */

struct expect {
	const config_setting_t *s;
	int index;
	const char *alert, *status, *message, *body;
	const config_setting_t *group, *notifications;
	bool has_count;
	long long count;
};

static bool read_expect(struct tfile *tf, const config_setting_t *s, int index,
			struct expect *x)
{
	static const char *const keys[] = { "alert", "status", "group", "count",
		"message", "body", "notifications", NULL };
	const config_setting_t *c;

	memset(x, 0, sizeof(*x));
	x->s = s;
	x->index = index;
	if (!check_keys(tf, s, "an expectation", keys) ||
	    !get_str(tf, s, "alert", &x->alert) ||
	    !get_str(tf, s, "status", &x->status) ||
	    !get_str(tf, s, "message", &x->message) ||
	    !get_str(tf, s, "body", &x->body))
		return false;
	if (!x->alert) {
		ferr(tf, s, "an expectation needs 'alert'");
		return false;
	}
	if (x->status && strcmp(x->status, "firing") && strcmp(x->status, "resolved")) {
		ferr(tf, config_setting_get_member(s, "status"),
		     "'status' must be \"firing\" or \"resolved\"");
		return false;
	}
	x->group = config_setting_get_member(s, "group");
	if (x->group && !config_setting_is_group(x->group)) {
		ferr(tf, x->group, "'group' must be a group: group = { field = \"value\"; };");
		return false;
	}
	x->notifications = config_setting_get_member(s, "notifications");
	if (x->notifications && !config_setting_is_list(x->notifications) &&
	    !(config_setting_is_array(x->notifications) &&
	      config_setting_length(x->notifications) == 0)) {
		ferr(tf, x->notifications, "'notifications' must be a list: "
		     "( { target = \"...\"; at = [ \"0s\" ]; } )");
		return false;
	}
	if ((c = config_setting_get_member(s, "count"))) {
		if (!get_int_setting(tf, c, "'count'", &x->count))
			return false;
		x->has_count = true;
	}
	return true;
}

static bool group_matches(const config_setting_t *group, const notification *n)
{
	if (!group)
		return true;
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
		const char *want = config_setting_get_string(m);
		size_t g = 0;
		while (g < n->ngroup && strcmp(n->group_keys[g], config_setting_name(m)))
			g++;
		if (g == n->ngroup || !want || strcmp(n->group_values[g], want))
			return false;
	}
	return true;
}

static bool selected(const struct expect *x, const notification *n)
{
	return strcmp(n->alert, x->alert) == 0 &&
	       (!x->status || strcmp(notification_status_name(n->status), x->status) == 0) &&
	       group_matches(x->group, n);
}

static void put_times(FILE *out, const int64_t *t, size_t n, int64_t base)
{
	char buf[64];
	if (!n)
		fputs("(none)", out);
	for (size_t i = 0; i < n; i++) {
		fmt_rel(t[i] - base, buf, sizeof(buf));
		fprintf(out, "%s%s", i ? ", " : "", buf);
	}
	fputc('\n', out);
}

static void put_counts(FILE *out, const long long *c, size_t n)
{
	if (!n)
		fputs("(none)", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%lld", i ? ", " : "", c[i]);
	fputc('\n', out);
}

/* Context for checking one expectation of one case. */
struct check {
	struct tfile *tf;
	struct gots *got;
	int64_t base;
	FILE *fail;              /* failure details */
	bool failed;
	bool header;
	const struct expect *x;
};

static void fail_header(struct check *ck)
{
	const struct expect *x = ck->x;
	ck->failed = true;
	if (ck->header)
		return;
	ck->header = true;
	fprintf(ck->fail, "  expect[%d] (line %d): alert \"%s\"", x->index + 1,
		config_setting_source_line(x->s), x->alert);
	if (x->status)
		fprintf(ck->fail, ", status %s", x->status);
	fputc('\n', ck->fail);
}

/* The selected notifications sent to `target`: times and counts. */
static size_t times_to(struct check *ck, const char *target, int64_t *t,
		       long long *c)
{
	size_t k = 0;
	for (size_t i = 0; i < ck->got->n; i++) {
		const notification *n = ck->got->v[i].n;
		if (selected(ck->x, n) && strcmp(n->target, target) == 0) {
			t[k] = n->time_ms;
			c[k++] = n->count;
		}
	}
	return k;
}

static bool read_times(struct check *ck, const config_setting_t *at,
		       int64_t *t, size_t *n)
{
	*n = 0;
	if (!at)
		return true;
	if (!is_seq(at)) {
		ferr(ck->tf, at, "'at' must be a list of times: [ \"0s\", \"10s\" ]");
		return false;
	}
	for (int i = 0; i < config_setting_length(at); i++) {
		const config_setting_t *e = config_setting_get_elem(at, (unsigned)i);
		bool absolute;
		int64_t ms;
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			ferr(ck->tf, e, "'at' must hold strings such as \"10s\"");
			return false;
		}
		if (!parse_when(ck->tf, e, config_setting_get_string(e), &ms, &absolute))
			return false;
		t[(*n)++] = absolute ? ms : ck->base + ms;
	}
	return true;
}

static bool read_counts(struct check *ck, const config_setting_t *cs,
			long long *c, size_t *n)
{
	*n = 0;
	if (!cs)
		return true;
	if (!is_seq(cs)) {
		ferr(ck->tf, cs, "'counts' must be a list of numbers: [ 1, 0 ]");
		return false;
	}
	for (int i = 0; i < config_setting_length(cs); i++)
		if (!get_int_setting(ck->tf, config_setting_get_elem(cs, (unsigned)i),
				     "'counts' entries", &c[(*n)++]))
			return false;
	return true;
}

/* One { target; at; counts; } entry: exact times (and counts) in order. */
static void check_target(struct check *ck, const config_setting_t *e)
{
	static const char *const keys[] = { "target", "at", "counts", NULL };
	const char *target;
	size_t cap = ck->got->n + 1;
	int64_t *want = NULL, *have = xcalloc(cap, sizeof(*have));
	long long *wantc = NULL, *havec = xcalloc(cap, sizeof(*havec));
	size_t nwant = 0, nwantc = 0, nhave;

	if (!check_keys(ck->tf, e, "a notifications entry", keys) ||
	    !get_str(ck->tf, e, "target", &target))
		goto out;
	if (!target) {
		ferr(ck->tf, e, "a notifications entry needs 'target'");
		goto out;
	}
	const config_setting_t *at = config_setting_get_member(e, "at");
	const config_setting_t *cs = config_setting_get_member(e, "counts");
	want = xcalloc((at ? (size_t)config_setting_length(at) : 0) + 1, sizeof(*want));
	wantc = xcalloc((cs ? (size_t)config_setting_length(cs) : 0) + 1, sizeof(*wantc));
	if (!read_times(ck, at, want, &nwant) || !read_counts(ck, cs, wantc, &nwantc))
		goto out;
	nhave = times_to(ck, target, have, havec);
	if (at && (nwant != nhave || memcmp(want, have, nhave * sizeof(*have)))) {
		fail_header(ck);
		fprintf(ck->fail, "    target \"%s\":\n      expected at: ", target);
		put_times(ck->fail, want, nwant, ck->base);
		fputs("      actual at:   ", ck->fail);
		put_times(ck->fail, have, nhave, ck->base);
	}
	if (cs && (nwantc != nhave || memcmp(wantc, havec, nhave * sizeof(*havec)))) {
		fail_header(ck);
		fprintf(ck->fail, "    target \"%s\":\n      expected counts: ", target);
		put_counts(ck->fail, wantc, nwantc);
		fputs("      actual counts:   ", ck->fail);
		put_counts(ck->fail, havec, nhave);
	}
out:
	free(want);
	free(have);
	free(wantc);
	free(havec);
}

static bool listed(const config_setting_t *list, const char *target)
{
	for (int i = 0; i < config_setting_length(list); i++) {
		const char *t = NULL;
		config_setting_lookup_string(config_setting_get_elem(list, (unsigned)i),
					     "target", &t);
		if (t && strcmp(t, target) == 0)
			return true;
	}
	return false;
}

/* Selected notifications to targets the list does not name. */
static void check_unlisted(struct check *ck)
{
	for (size_t i = 0; i < ck->got->n; i++) {
		const notification *n = ck->got->v[i].n;
		char rel[64];
		if (!selected(ck->x, n) || listed(ck->x->notifications, n->target))
			continue;
		fail_header(ck);
		fmt_rel(n->time_ms - ck->base, rel, sizeof(rel));
		fprintf(ck->fail, "    unexpected: %s notification to target \"%s\" at %s\n",
			notification_status_name(n->status), n->target, rel);
	}
}

static void check_text(struct check *ck, const char *what, const char *want,
		       const char *have)
{
	if (!want || (have && strcmp(want, have) == 0))
		return;
	fail_header(ck);
	fprintf(ck->fail, "    %s:\n      expected: ", what);
	put_quoted(ck->fail, want);
	fputs("\n      actual:   ", ck->fail);
	if (have)
		put_quoted(ck->fail, have);
	else
		fputs("(nothing was sent)", ck->fail);
	fputc('\n', ck->fail);
}

static void check_expect(struct check *ck, const struct expect *x)
{
	const struct got *first = NULL;

	ck->x = x;
	ck->header = false;
	for (size_t i = 0; i < ck->got->n; i++) {
		if (selected(x, ck->got->v[i].n)) {
			ck->got->v[i].used = true;
			if (!first)
				first = &ck->got->v[i];
		}
	}
	bool asserts = x->has_count || x->message || x->body || x->notifications;
	if (!asserts && !first) {
		fail_header(ck);
		fputs("    expected notifications, but none were sent\n", ck->fail);
	}
	if (x->has_count && (!first || (long long)first->n->count != x->count)) {
		fail_header(ck);
		fprintf(ck->fail, "    count of the first notification:\n"
			"      expected: %lld\n      actual:   ", x->count);
		if (first)
			fprintf(ck->fail, "%u\n", first->n->count);
		else
			fputs("(nothing was sent)\n", ck->fail);
	}
	check_text(ck, "message", x->message, first ? first->n->message : NULL);
	check_text(ck, "body", x->body, first ? first->body : NULL);
	if (x->notifications) {
		for (int i = 0; i < config_setting_length(x->notifications); i++)
			check_target(ck, config_setting_get_elem(x->notifications,
								 (unsigned)i));
		check_unlisted(ck);
	}
}

static void put_got(FILE *out, const struct got *g, int64_t base)
{
	const notification *n = g->n;
	char rel[64];
	fmt_rel(n->time_ms - base, rel, sizeof(rel));
	fprintf(out, "    %-10s %-8s \"%s\"", rel, notification_status_name(n->status),
		n->alert);
	for (size_t k = 0; k < n->ngroup; k++)
		fprintf(out, "%s%s=\"%s\"", k ? ", " : " {", n->group_keys[k],
			n->group_values[k]);
	fprintf(out, "%s -> \"%s\" [seq %u", n->ngroup ? "}" : "", n->target, n->seq);
	if (n->of)
		fprintf(out, " of %u", n->of);
	fprintf(out, ", count %u]\n", n->count);
}

/* ---- cases ---- */

static void case_name(const config_setting_t *c, int index, char *buf,
		      size_t size)
{
	const char *name = NULL;
	config_setting_lookup_string(c, "name", &name);
	if (name)
		snprintf(buf, size, "\"%s\"", name);
	else
		snprintf(buf, size, "case %d", index + 1);
}

static void check_all(struct check *ck, const config_setting_t *c, bool strict)
{
	const config_setting_t *ex = config_setting_get_member(c, "expect");
	if (!ex)
		return;
	if (!is_seq(ex)) {
		ferr(ck->tf, ex, "'expect' must be a list: ( { alert = \"...\"; ... } )");
		return;
	}
	for (int i = 0; i < config_setting_length(ex); i++) {
		struct expect x;
		if (read_expect(ck->tf, config_setting_get_elem(ex, (unsigned)i), i, &x))
			check_expect(ck, &x);
	}
	bool listed_any = false;
	for (size_t i = 0; strict && i < ck->got->n; i++) {
		if (ck->got->v[i].used)
			continue;
		if (!listed_any)
			fputs("  strict: notifications no expectation selects:\n", ck->fail);
		listed_any = ck->failed = true;
		put_got(ck->fail, &ck->got->v[i], ck->base);
	}
}

static void run_case(struct tfile *tf, const config_setting_t *c, int index)
{
	static const char *const keys[] = { "name", "base", "events", "expect",
		"strict", NULL };
	const config_setting_t *evs = config_setting_get_member(c, "events");
	struct tevents ev = { 0 };
	struct gots got = { 0 };
	char name[256], *details = NULL;
	size_t dlen = 0;
	bool strict = tf->strict;

	case_name(c, index, name, sizeof(name));
	if (c != config_root_setting(&tf->cfg) &&
	    (!check_keys(tf, c, "a case", keys) || !get_bool(tf, c, "strict", &strict)))
		return;
	if (!evs || !is_seq(evs)) {
		ferr(tf, evs ? evs : c, "%s: 'events' must be a list: ( { at = \"0s\"; json = \"{...}\"; } )",
		     name);
		return;
	}
	bool was_broken = tf->broken;
	for (int i = 0; i < config_setting_length(evs); i++)
		read_event_item(tf, config_setting_get_elem(evs, (unsigned)i), &ev);
	int64_t base = find_base(tf, c, &ev);
	if (tf->broken != was_broken) {
		tevents_free(&ev);   /* the events are malformed: reported */
		return;
	}
	int64_t *vt = xcalloc(ev.n + 1, sizeof(*vt));
	place_events(&ev, base, vt);
	run_events(tf, &ev, vt, &got);

	struct check ck = { .tf = tf, .got = &got, .base = base };
	ck.fail = open_memstream(&details, &dlen);
	check_all(&ck, c, strict);
	fclose(ck.fail);
	if (tf->broken != was_broken) {
		/* The expectations are malformed: already reported. */
	} else if (ck.failed) {
		tf->failed++;
		fprintf(tf->out, "FAIL %s: %s\n%s  actual notifications:\n",
			tf->path, name, details);
		for (size_t i = 0; i < got.n; i++)
			put_got(tf->out, &got.v[i], base);
		if (!got.n)
			fputs("    (none)\n", tf->out);
	} else {
		tf->passed++;
		fprintf(tf->out, "PASS %s: %s (%zu notification%s)\n", tf->path,
			name, got.n, got.n == 1 ? "" : "s");
	}
	free(details);
	free(vt);
	gots_free(&got);
	tevents_free(&ev);
}

static void run_cases(struct tfile *tf)
{
	const config_setting_t *root = config_root_setting(&tf->cfg);
	const config_setting_t *cases = config_setting_get_member(root, "cases");

	if (!cases) {
		if (!config_setting_get_member(root, "events"))
			ferr(tf, NULL, "no test: give 'events' and 'expect', or 'cases'");
		else
			run_case(tf, root, 0);
		return;
	}
	if (config_setting_get_member(root, "events") ||
	    config_setting_get_member(root, "expect")) {
		ferr(tf, cases, "'cases' cannot be mixed with top-level 'events' or 'expect'");
		return;
	}
	if (!config_setting_is_list(cases)) {
		ferr(tf, cases, "'cases' must be a list: ( { name = \"...\"; events = (...); expect = (...); } )");
		return;
	}
	for (int i = 0; i < config_setting_length(cases); i++)
		run_case(tf, config_setting_get_elem(cases, (unsigned)i), i);
}

/* ---- files ---- */

static bool read_header(struct tfile *tf)
{
	static const char *const keys[] = { "name", "alerts", "rules",
		"rules_files", "rules_name", "targets", "node_name", "base", "strict", "events",
		"expect", "cases", NULL };
	const config_setting_t *root = config_root_setting(&tf->cfg);
	const char *node;

	if (!check_keys(tf, root, "a test file", keys) ||
	    !get_str(tf, root, "node_name", &node) ||
	    !get_str(tf, root, "base", &tf->base_text) ||
	    !get_bool(tf, root, "strict", &tf->strict))
		return false;
	tf->node_name = node ? node : DEFAULT_NODE;
	return true;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* Runs one file; adds to *passed and *failed.  Returns 2 if the file could
 * not be run, else 0. */
static int run_file(const char *path, FILE *out, unsigned *passed,
		    unsigned *failed)
{
	struct tfile tf = { .path = path, .out = out };

	config_init(&tf.cfg);
	if (config_read_file(&tf.cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&tf.cfg) == CONFIG_ERR_FILE_IO)
			fprintf(out, "%s: error: cannot read the file\n", path);
		else
			fprintf(out, "%s:%d: error: %s\n",
				config_error_file(&tf.cfg) ? config_error_file(&tf.cfg) : path,
				config_error_line(&tf.cfg), config_error_text(&tf.cfg));
		fprintf(out, "ERROR %s: the test file cannot be run as written\n", path);
		config_destroy(&tf.cfg);
		return 2;
	}
	tf.dir = dir_of(path);
	tf.ft = field_table_new();
	if (read_header(&tf))
		load_everything(&tf);
	if (!tf.broken)
		run_cases(&tf);
	if (tf.broken)
		fprintf(out, "ERROR %s: the test file cannot be run as written\n", path);
	*passed += tf.passed;
	*failed += tf.failed;
	target_map_free(&tf.map, tf.alerts.n);
	target_set_clear(&tf.targets);
	alert_list_clear(&tf.alerts);
	field_table_free(&tf.ft);
	free(tf.dir);
	config_destroy(&tf.cfg);
	return tf.broken ? 2 : 0;
}

int ruletest_run(const char *const *files, size_t n, FILE *out)
{
	unsigned passed = 0, failed = 0;
	int status = 0;

	if (!n) {
		fputs("bpfalert test: no test files given\n", out);
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		if (run_file(files[i], out, &passed, &failed) == 2)
			status = 2;
	fprintf(out, "%u passed, %u failed\n", passed, failed);
	if (status)
		return status;
	return failed ? 1 : 0;
}
