#include "export_spec.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier.h"
#include "xalloc.h"

#define MIB (1024.0 * 1024.0)

static const char *const common_keys[] = {
	"type", "allow", "deny", "filter", "alerts_only", NULL,
};
static const char *const file_keys[] = {
	"path", "max_size_mb", "max_backups", "compress", NULL,
};
static const char *const http_keys[] = {
	"endpoint", "stream", "format", "labels", "index", "action", "headers",
	"username", "password", "compression", "timeout", "skip_tls_check",
	"batch", "buffer", "retry_max", NULL,
};

static bool listed(const char *const *keys, const char *k)
{
	for (size_t i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

static int check_keys(const struct json_object *cfg, const char *const *own,
		      char *err, size_t errlen)
{
	json_object_object_foreach((struct json_object *)cfg, key, v) {
		(void)v;
		if (!listed(common_keys, key) && !listed(own, key)) {
			snprintf(err, errlen, "unknown key '%s'", key);
			return -1;
		}
	}
	return 0;
}

static int number_in(const struct json_object *cfg, const char *type, const char *key,
		     double min, double max, double *out, char *err, size_t errlen)
{
	if (notifier_cfg_number(cfg, type, key, out, err, errlen) < 0)
		return -1;
	if (*out < min || *out > max) {
		snprintf(err, errlen, "'%s' must be between %g and %g", key, min, max);
		return -1;
	}
	return 0;
}

static char *dup_or(const char *s, const char *dflt)
{
	return s ? xstrdup(s) : dflt ? xstrdup(dflt) : NULL;
}

static int parse_file(struct export_spec *e, const struct json_object *cfg,
		      char *err, size_t errlen)
{
	const char *path = NULL;
	double mb = 10, backups = 5;
	if (check_keys(cfg, file_keys, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "file", "path", &path, err, errlen) < 0 ||
	    number_in(cfg, "file", "max_size_mb", 0, 1 << 20, &mb, err, errlen) < 0 ||
	    number_in(cfg, "file", "max_backups", 0, 100000, &backups, err, errlen) < 0 ||
	    notifier_cfg_bool(cfg, "file", "compress", &e->compress, err, errlen) < 0)
		return -1;
	if (!path || path[0] != '/') {
		snprintf(err, errlen, "'path' is required and must be absolute");
		return -1;
	}
	e->path = xstrdup(path);
	e->max_size = (uint64_t)(mb * MIB);
	e->max_backups = (unsigned)backups;
	return 0;
}

static int parse_headers(struct export_spec *e, const struct json_object *cfg,
			 char *err, size_t errlen)
{
	struct json_object *h;
	if (!json_object_object_get_ex(cfg, "headers", &h) || !h)
		return 0;
	if (!json_object_is_type(h, json_type_object)) {
		snprintf(err, errlen, "'headers' must be a group of Name = \"value\"");
		return -1;
	}
	e->headers = xcalloc((size_t)json_object_object_length(h) + 1, sizeof(char *));
	json_object_object_foreach(h, name, v) {
		if (!json_object_is_type(v, json_type_string) || strpbrk(name, ": \r\n") ||
		    strpbrk(json_object_get_string(v), "\r\n")) {
			snprintf(err, errlen, "header '%s' must be a one-line string", name);
			return -1;
		}
		e->headers[e->nheaders++] = xasprintf("%s: %s", name, json_object_get_string(v));
	}
	return 0;
}

static int parse_format(struct export_spec *e, const struct json_object *cfg,
			char *err, size_t errlen)
{
	static const char *const names[] = { "ndjson", "json", "parseable", "loki",
					     "elasticsearch", NULL };
	const char *fmt = NULL;
	if (notifier_cfg_string(cfg, "http", "format", &fmt, err, errlen) < 0)
		return -1;
	if (e->type == EXPORT_PARSEABLE) {
		e->format = EXPORT_FORMAT_PARSEABLE;
		return 0;
	}
	e->format = EXPORT_FORMAT_NDJSON;
	for (size_t i = 0; fmt && names[i]; i++)
		if (!strcmp(fmt, names[i]))
			return e->format = (enum export_format)i, 0;
	if (fmt) {
		snprintf(err, errlen, "'format' must be ndjson, json, parseable, loki or elasticsearch");
		return -1;
	}
	return 0;
}

static int parse_labels(struct export_spec *e, const struct json_object *cfg,
			char *err, size_t errlen)
{
	struct json_object *l;
	if (!json_object_object_get_ex(cfg, "labels", &l) || !l) {
		e->labels_json = xstrdup("{\"job\":\"bpfalert\"}");
		return 0;
	}
	bool ok = json_object_is_type(l, json_type_object) && json_object_object_length(l);
	json_object_object_foreach(l, k, v) {
		(void)k;
		ok = ok && json_object_is_type(v, json_type_string);
	}
	if (!ok) {
		snprintf(err, errlen, "'labels' must be a group of name = \"value\"");
		return -1;
	}
	e->labels_json = xstrdup(json_object_to_json_string_ext(
		l, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

static const struct json_object *group(const struct json_object *cfg, const char *key,
				       char *err, size_t errlen, int *rc)
{
	struct json_object *g;
	if (!json_object_object_get_ex(cfg, key, &g) || !g)
		return NULL;
	if (!json_object_is_type(g, json_type_object)) {
		snprintf(err, errlen, "'%s' must be a group: { ... }", key);
		*rc = -1;
		return NULL;
	}
	return g;
}

/* Defaults near Vector's http sink: 10 MB or 1 s per batch. */
static int parse_batching(struct export_spec *e, const struct json_object *cfg,
			  char *err, size_t errlen)
{
	int rc = 0;
	double events = 1000, bytes = 10000000, buf_mb = 256;
	e->batch_timeout_ms = 1000;
	const struct json_object *b = group(cfg, "batch", err, errlen, &rc);
	const struct json_object *u = group(cfg, "buffer", err, errlen, &rc);
	if (rc < 0 ||
	    number_in(b, "batch", "max_events", 1, 1000000, &events, err, errlen) < 0 ||
	    number_in(b, "batch", "max_bytes", 1024, 100e6, &bytes, err, errlen) < 0 ||
	    notifier_cfg_duration(b, "batch", "timeout", &e->batch_timeout_ms, err, errlen) < 0 ||
	    number_in(u, "buffer", "max_size_mb", 0.01, 1 << 20, &buf_mb, err, errlen) < 0)
		return -1;
	e->batch_max_events = (size_t)events;
	e->batch_max_bytes = (size_t)bytes;
	e->buffer_max_bytes = (uint64_t)(buf_mb * MIB);
	if (e->buffer_max_bytes < e->batch_max_bytes)
		e->batch_max_bytes = (size_t)e->buffer_max_bytes;
	return 0;
}

static int parse_http(struct export_spec *e, const struct json_object *cfg,
		      char *err, size_t errlen)
{
	const char *endpoint = NULL, *stream = NULL, *user = NULL, *pass = NULL,
		   *index = NULL, *action = NULL,
		   *compression = e->type == EXPORT_PARSEABLE ? "gzip" : "none";
	e->timeout_ms = 30000;
	e->retry_max_ms = 30000;
	if (check_keys(cfg, http_keys, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "endpoint", &endpoint, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "stream", &stream, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "username", &user, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "password", &pass, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "index", &index, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "action", &action, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "http", "compression", &compression, err, errlen) < 0 ||
	    notifier_cfg_duration(cfg, "http", "timeout", &e->timeout_ms, err, errlen) < 0 ||
	    notifier_cfg_duration(cfg, "http", "retry_max", &e->retry_max_ms, err, errlen) < 0 ||
	    notifier_cfg_bool(cfg, "http", "skip_tls_check", &e->skip_tls_check, err, errlen) < 0 ||
	    parse_format(e, cfg, err, errlen) < 0 || parse_headers(e, cfg, err, errlen) < 0 ||
	    parse_labels(e, cfg, err, errlen) < 0 || parse_batching(e, cfg, err, errlen) < 0)
		return -1;
	if (!endpoint || !notifier_is_http_url(endpoint)) {
		snprintf(err, errlen, "'endpoint' is required: an http:// or https:// URL");
		return -1;
	}
	if (e->type == EXPORT_PARSEABLE && (!stream || !*stream)) {
		snprintf(err, errlen, "'stream' is required (Parseable's X-P-Stream)");
		return -1;
	}
	if (strcmp(compression, "gzip") && strcmp(compression, "none")) {
		snprintf(err, errlen, "'compression' must be gzip or none");
		return -1;
	}
	if (action && strcmp(action, "create") && strcmp(action, "index")) {
		snprintf(err, errlen, "'action' must be create or index");
		return -1;
	}
	e->gzip = !strcmp(compression, "gzip");
	size_t n = strlen(endpoint);
	while (n > 1 && endpoint[n - 1] == '/')
		n--;
	e->endpoint = e->type == EXPORT_PARSEABLE
		? xasprintf("%.*s/api/v1/ingest", (int)n, endpoint) : xstrdup(endpoint);
	e->stream = dup_or(stream, NULL);
	e->username = dup_or(user, NULL);
	e->password = dup_or(pass, user ? "" : NULL);
	e->index = dup_or(index, "bpfalert");
	e->action = dup_or(action, "create");
	return 0;
}

static int parse_filter(struct export_spec *e, const struct json_object *cfg,
			field_table *ft, char *err, size_t errlen)
{
	const char *expr = NULL;
	bool alerts_only = false;
	struct json_object *allow = NULL, *deny = NULL;
	if (notifier_cfg_string(cfg, "export", "filter", &expr, err, errlen) < 0 ||
	    notifier_cfg_bool(cfg, "export", "alerts_only", &alerts_only, err, errlen) < 0)
		return -1;
	json_object_object_get_ex(cfg, "allow", &allow);
	json_object_object_get_ex(cfg, "deny", &deny);
	e->filter = export_filter_new(allow, deny, expr, alerts_only, ft, err, errlen);
	return e->filter ? 0 : -1;
}

static int parse_type(struct export_spec *e, const struct json_object *cfg,
		      char *err, size_t errlen)
{
	const char *type = NULL;
	if (!json_object_is_type(cfg, json_type_object)) {
		snprintf(err, errlen, "must be a group: { type = \"file\"; ... }");
		return -1;
	}
	if (notifier_cfg_string(cfg, "export", "type", &type, err, errlen) < 0)
		return -1;
	if (type && !strcmp(type, "file"))
		e->type = EXPORT_FILE;
	else if (type && !strcmp(type, "parseable"))
		e->type = EXPORT_PARSEABLE;
	else if (type && !strcmp(type, "http"))
		e->type = EXPORT_HTTP;
	else {
		snprintf(err, errlen, "'type' must be file, parseable or http");
		return -1;
	}
	return 0;
}

static void spec_clear(struct export_spec *e)
{
	free(e->name);
	export_filter_free(&e->filter);
	free(e->path);
	free(e->endpoint);
	free(e->stream);
	free(e->username);
	free(e->password);
	for (size_t i = 0; i < e->nheaders; i++)
		free(e->headers[i]);
	free(e->headers);
	free(e->labels_json);
	free(e->index);
	free(e->action);
	memset(e, 0, sizeof(*e));
}

static int spec_parse(struct export_spec *e, const struct json_object *cfg,
		      field_table *ft, char *err, size_t errlen)
{
	if (parse_type(e, cfg, err, errlen) < 0)
		return -1;
	int rc = e->type == EXPORT_FILE ? parse_file(e, cfg, err, errlen)
					: parse_http(e, cfg, err, errlen);
	return rc < 0 ? -1 : parse_filter(e, cfg, ft, err, errlen);
}

static bool valid_name(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

unsigned export_specs_load(const struct json_object *cfg, field_table *ft,
			   const char *file, diag *d, export_specs *out)
{
	unsigned errors = 0;
	memset(out, 0, sizeof(*out));
	if (!cfg)
		return 0;
	out->v = xcalloc((size_t)json_object_object_length(cfg) + 1, sizeof(*out->v));
	json_object_object_foreach((struct json_object *)cfg, name, v) {
		struct export_spec *e = &out->v[out->n];
		char err[512] = "";
		if (!valid_name(name))
			snprintf(err, sizeof(err), "names are letters, digits, '_' and '-'");
		if (*err || spec_parse(e, v, ft, err, sizeof(err)) < 0) {
			diag_report(d, DIAG_ERROR, file, 0, 0, NULL, 0, "export '%s': %s",
				    name, err);
			spec_clear(e);
			errors++;
			continue;
		}
		e->name = xstrdup(name);
		out->n++;
	}
	return errors;
}

void export_specs_clear(export_specs *s)
{
	for (size_t i = 0; i < s->n; i++)
		spec_clear(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
