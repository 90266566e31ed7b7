#include "notification.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "xalloc.h"

/* Spool records carry this version; a record of another version is
 * refused rather than half understood. */
#define SPOOL_VERSION 1

notification *notification_new(void)
{
	return xcalloc(1, sizeof(notification));
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void notification_free(notification **pn)
{
	notification *n = *pn;
	if (!n)
		return;
	free(n->alert);
	free(n->message);
	free(n->rule);
	free(n->reason);
	free(n->stream);
	free_strv(n->group_keys, n->ngroup);
	free_strv(n->group_values, n->ngroup);
	free(n->node);
	free(n->source);
	free(n->event_json);
	free(n->target);
	free(n);
	*pn = NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char **dup_strv(char *const *v, size_t n)
{
	if (!n)
		return NULL;
	char **out = xcalloc(n, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i] ? v[i] : "");
	return out;
}

notification *notification_clone(const notification *n)
{
	notification *c = xmalloc(sizeof(*c));
	*c = *n;
	c->alert = dup_or_null(n->alert);
	c->message = dup_or_null(n->message);
	c->rule = dup_or_null(n->rule);
	c->reason = dup_or_null(n->reason);
	c->stream = dup_or_null(n->stream);
	c->group_keys = dup_strv(n->group_keys, n->ngroup);
	c->group_values = dup_strv(n->group_values, n->ngroup);
	c->node = dup_or_null(n->node);
	c->source = dup_or_null(n->source);
	c->event_json = dup_or_null(n->event_json);
	c->target = dup_or_null(n->target);
	return c;
}

const char *notification_status_name(enum notification_status s)
{
	return s == NOTIFY_RESOLVED ? "resolved" : "firing";
}

const char *notification_kind_name(enum notification_kind k)
{
	switch (k) {
	case NOTIFY_KIND_FIRST: return "first";
	case NOTIFY_KIND_REPEAT: return "repeat";
	case NOTIFY_KIND_RESOLVED: return "resolved";
	}
	return "first";
}

size_t notification_format_time(int64_t ms, char *buf, size_t size)
{
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	return n < 0 ? 0 : (size_t)n;
}

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jtime(int64_t ms)
{
	char buf[NOTIFICATION_TIME_MAX];
	notification_format_time(ms, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* The event as a JSON value; null when absent or unparseable. */
static struct json_object *parse_event(const char *text)
{
	if (!text)
		return NULL;
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (json_tokener_get_error(tok) != json_tokener_success && o) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct json_object *notification_document(const notification *n)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *group = json_object_new_object();
	struct json_object *seq = json_object_new_object();

	json_object_object_add(doc, "alert", json_object_new_string(n->alert ? n->alert : ""));
	json_object_object_add(doc, "status",
			       json_object_new_string(notification_status_name(n->status)));
	json_object_object_add(doc, "severity", json_object_new_string(severity_name(n->severity)));
	json_object_object_add(doc, "message", json_object_new_string(n->message ? n->message : ""));
	json_object_object_add(doc, "rule", json_object_new_string(n->rule ? n->rule : ""));
	for (size_t i = 0; i < n->ngroup; i++)
		json_object_object_add(group, n->group_keys[i],
				       json_object_new_string(n->group_values[i]));
	json_object_object_add(doc, "group", group);
	json_object_object_add(doc, "count", json_object_new_int64(n->count));
	json_object_object_add(seq, "seq", json_object_new_int64(n->seq));
	json_object_object_add(seq, "of", n->of ? json_object_new_int64(n->of) : NULL);
	json_object_object_add(doc, "notification", seq);
	json_object_object_add(doc, "starts_at", jtime(n->starts_at_ms));
	json_object_object_add(doc, "ends_at",
			       n->status == NOTIFY_RESOLVED ? jtime(n->ends_at_ms) : NULL);
	json_object_object_add(doc, "node", jstr(n->node));
	json_object_object_add(doc, "source", jstr(n->source));
	json_object_object_add(doc, "event", parse_event(n->event_json));
	return doc;
}

static char *to_text(struct json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

char *notification_document_text(const notification *n)
{
	return to_text(notification_document(n));
}

/* ---- spool records ---- */

static struct json_object *jstrv(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

char *notification_to_json(const notification *n)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(SPOOL_VERSION));
	json_object_object_add(o, "id", json_object_new_uint64(n->id));
	json_object_object_add(o, "kind", json_object_new_string(notification_kind_name(n->kind)));
	json_object_object_add(o, "target", jstr(n->target));
	json_object_object_add(o, "attempts", json_object_new_int64(n->attempts));
	json_object_object_add(o, "time_ms", json_object_new_int64(n->time_ms));
	json_object_object_add(o, "alert", jstr(n->alert));
	json_object_object_add(o, "status",
			       json_object_new_string(notification_status_name(n->status)));
	json_object_object_add(o, "severity", json_object_new_string(severity_name(n->severity)));
	json_object_object_add(o, "message", jstr(n->message));
	json_object_object_add(o, "rule", jstr(n->rule));
	json_object_object_add(o, "reason", jstr(n->reason));
	json_object_object_add(o, "stream", jstr(n->stream));
	json_object_object_add(o, "parseable", json_object_new_boolean(n->parseable));
	json_object_object_add(o, "group_keys", jstrv(n->group_keys, n->ngroup));
	json_object_object_add(o, "group_values", jstrv(n->group_values, n->ngroup));
	json_object_object_add(o, "count", json_object_new_int64(n->count));
	json_object_object_add(o, "seq", json_object_new_int64(n->seq));
	json_object_object_add(o, "of", json_object_new_int64(n->of));
	json_object_object_add(o, "starts_at_ms", json_object_new_int64(n->starts_at_ms));
	json_object_object_add(o, "ends_at_ms", json_object_new_int64(n->ends_at_ms));
	json_object_object_add(o, "node", jstr(n->node));
	json_object_object_add(o, "source", jstr(n->source));
	json_object_object_add(o, "event_json", jstr(n->event_json));
	return to_text(o);
}

/* Readers for from_json: each returns 0, or -1 with a reason in err. */
struct reader {
	struct json_object *o;
	char *err;
	size_t errlen;
};

static int bad(struct reader *r, const char *key, const char *what)
{
	snprintf(r->err, r->errlen, "'%s' %s", key, what);
	return -1;
}

static int get_str(struct reader *r, const char *key, bool nullable, char **out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(r->o, key, &v))
		return bad(r, key, "is missing");
	if (!v && nullable)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(r, key, nullable ? "is not a string or null" : "is not a string");
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return bad(r, key, "holds a NUL byte");
	*out = xstrdup(s);
	return 0;
}

static int get_int(struct reader *r, const char *key, int64_t min, int64_t max,
		   int64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(r->o, key, &v))
		return bad(r, key, "is missing");
	if (!json_object_is_type(v, json_type_int))
		return bad(r, key, "is not an integer");
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max)
		return bad(r, key, "is out of range");
	*out = x;
	return 0;
}

static int get_uint(struct reader *r, const char *key, unsigned *out)
{
	int64_t x;
	if (get_int(r, key, 0, UINT_MAX, &x) < 0)
		return -1;
	*out = (unsigned)x;
	return 0;
}

/* Matches a string field against a list of names; sets *out to the index. */
static int get_enum(struct reader *r, const char *key, const char *const *names,
		    int *out)
{
	char *s = NULL;
	if (get_str(r, key, false, &s) < 0)
		return -1;
	for (int i = 0; names[i]; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			free(s);
			return 0;
		}
	}
	free(s);
	return bad(r, key, "has an unknown value");
}

static int get_strv(struct reader *r, const char *key, char ***out, size_t *n)
{
	struct json_object *a;
	if (!json_object_object_get_ex(r->o, key, &a))
		return bad(r, key, "is missing");
	if (!json_object_is_type(a, json_type_array))
		return bad(r, key, "is not an array");
	size_t len = json_object_array_length(a);
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string) ||
		    strlen(json_object_get_string(e)) !=
			    (size_t)json_object_get_string_len(e))
			return bad(r, key, "holds something other than strings");
	}
	*out = len ? xcalloc(len, sizeof(char *)) : NULL;
	for (size_t i = 0; i < len; i++)
		(*out)[i] = xstrdup(json_object_get_string(json_object_array_get_idx(a, i)));
	*n = len;
	return 0;
}

static int read_group(struct reader *r, notification *n)
{
	char **vals = NULL;
	size_t nk = 0, nv = 0;
	if (get_strv(r, "group_keys", &n->group_keys, &nk) < 0)
		return -1;
	n->ngroup = nk;
	if (get_strv(r, "group_values", &vals, &nv) < 0)
		return -1;
	if (nv != nk) {
		free_strv(vals, nv);
		return bad(r, "group_values", "does not match group_keys");
	}
	n->group_values = vals;
	return 0;
}

static int read_record(struct reader *r, notification *n)
{
	static const char *const kinds[] = { "first", "repeat", "resolved", NULL };
	static const char *const statuses[] = { "firing", "resolved", NULL };
	static const char *const severities[] = { "info", "warning", "critical", NULL };
	int64_t v, id;
	int kind, status, sev;
	struct json_object *p;

	if (get_int(r, "v", 0, INT_MAX, &v) < 0)
		return -1;
	if (v != SPOOL_VERSION)
		return bad(r, "v", "is not a known record version");
	if (get_int(r, "id", 0, INT64_MAX, &id) < 0 ||
	    get_enum(r, "kind", kinds, &kind) < 0 ||
	    get_enum(r, "status", statuses, &status) < 0 ||
	    get_enum(r, "severity", severities, &sev) < 0 ||
	    get_str(r, "target", false, &n->target) < 0 ||
	    get_uint(r, "attempts", &n->attempts) < 0 ||
	    get_int(r, "time_ms", INT64_MIN, INT64_MAX, &n->time_ms) < 0 ||
	    get_str(r, "alert", false, &n->alert) < 0 ||
	    get_str(r, "message", false, &n->message) < 0 ||
	    get_str(r, "rule", false, &n->rule) < 0 ||
	    get_str(r, "reason", true, &n->reason) < 0 ||
	    get_str(r, "stream", true, &n->stream) < 0 ||
	    read_group(r, n) < 0 ||
	    get_uint(r, "count", &n->count) < 0 ||
	    get_uint(r, "seq", &n->seq) < 0 ||
	    get_uint(r, "of", &n->of) < 0 ||
	    get_int(r, "starts_at_ms", INT64_MIN, INT64_MAX, &n->starts_at_ms) < 0 ||
	    get_int(r, "ends_at_ms", INT64_MIN, INT64_MAX, &n->ends_at_ms) < 0 ||
	    get_str(r, "node", true, &n->node) < 0 ||
	    get_str(r, "source", true, &n->source) < 0 ||
	    get_str(r, "event_json", true, &n->event_json) < 0)
		return -1;
	if (!json_object_object_get_ex(r->o, "parseable", &p) ||
	    !json_object_is_type(p, json_type_boolean))
		return bad(r, "parseable", "is missing or not a boolean");
	n->parseable = json_object_get_boolean(p);
	n->id = (uint64_t)id;
	n->kind = (enum notification_kind)kind;
	n->status = (enum notification_status)status;
	n->severity = (enum severity)sev;
	return 0;
}

/* Parses exactly one JSON object filling text[0..len), whitespace aside. */
static struct json_object *parse_whole(const char *text, size_t len, char *err,
				       size_t errlen)
{
	if (len > INT_MAX) {
		snprintf(err, errlen, "record too large");
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (je != json_tokener_success || !o) {
		snprintf(err, errlen, "not valid JSON: %s",
			 je == json_tokener_continue ? "truncated"
						     : json_tokener_error_desc(je));
		json_object_put(o);
		return NULL;
	}
	while (used < len && strchr(" \t\r\n", text[used]) && text[used])
		used++;
	if (used != len || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, used != len ? "trailing data after the record"
						  : "not a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

notification *notification_from_json(const char *text, size_t len, char *err,
				     size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	struct json_object *o = parse_whole(text, len, err, errlen);
	if (!o)
		return NULL;
	notification *n = notification_new();
	struct reader r = { o, err, errlen };
	int rc = read_record(&r, n);
	json_object_put(o);
	if (rc < 0)
		notification_free(&n);
	return n;
}

/* ---- Parseable's texts ---- */

char *notification_parseable_text(const notification *n)
{
	const char *stream = n->stream ? n->stream : (n->node ? n->node : "");
	const char *name = n->alert ? n->alert : "";

	if (n->status == NOTIFY_RESOLVED)
		return xasprintf("%s on %s is now resolved ", name, stream);
	return xasprintf("%s triggered on %s\nMessage: %s\nFailing Condition: %s",
			 name, stream, n->message ? n->message : "",
			 n->reason ? n->reason : "");
}
