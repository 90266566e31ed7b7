/* webhook — POST each notification to an HTTP(S) endpoint (DESIGN §7).
 *
 *   endpoint        http:// or https:// URL (required)
 *   headers         { Name = "value"; ... } sent with every request
 *   skip_tls_check  accept any certificate (default false)
 *   format          "json": the alert document (§7.1), application/json
 *                   "text": Parseable's body (§7.3), text/plain
 *   timeout         whole request (default "10s")
 *
 * Header values are secrets (tokens): they go to the wire and nowhere else,
 * not into logs nor error texts. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"
#include "notifier.h"
#include "notifiers.h"
#include "xalloc.h"

#define TYPE "webhook"
#define DEFAULT_TIMEOUT_MS 10000

struct webhook {
	struct notifier_env env;
	char *target;
	char *url;
	char **headers;          /* "Name: value" */
	size_t nheaders;
	bool skip_tls_check;
	bool text;               /* format "text" */
	int64_t timeout_ms;
};

static void webhook_fini(void *state)
{
	struct webhook *w = state;
	if (!w)
		return;
	for (size_t i = 0; i < w->nheaders; i++)
		free(w->headers[i]);
	free(w->headers);
	free(w->url);
	free(w->target);
	free(w);
}

/* RFC 9110 token characters. */
static bool is_header_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static bool is_header_value(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return false;
	return true;
}

static int parse_headers(struct webhook *w, const struct json_object *cfg,
			 char *err, size_t errlen)
{
	struct json_object *h;
	if (!json_object_object_get_ex(cfg, "headers", &h) || !h)
		return 0;
	if (!json_object_is_type(h, json_type_object)) {
		snprintf(err, errlen, TYPE ": 'headers' must be an object of name = \"value\"");
		return -1;
	}
	w->headers = xcalloc((size_t)json_object_object_length(h) + 1,
			     sizeof(*w->headers));
	json_object_object_foreach(h, name, val) {
		if (!is_header_name(name)) {
			snprintf(err, errlen, TYPE ": header name '%s' is not valid", name);
			return -1;
		}
		if (!json_object_is_type(val, json_type_string) ||
		    !is_header_value(json_object_get_string(val))) {
			snprintf(err, errlen,
				 TYPE ": header '%s' must be a one-line string", name);
			return -1;
		}
		w->headers[w->nheaders++] =
			xasprintf("%s: %s", name, json_object_get_string(val));
	}
	return 0;
}

static int parse_config(struct webhook *w, const struct json_object *cfg,
			char *err, size_t errlen)
{
	const char *endpoint = NULL, *format = "json";
	if (notifier_cfg_string(cfg, TYPE, "endpoint", &endpoint, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, TYPE, "format", &format, err, errlen) < 0 ||
	    notifier_cfg_bool(cfg, TYPE, "skip_tls_check", &w->skip_tls_check,
			      err, errlen) < 0 ||
	    notifier_cfg_duration(cfg, TYPE, "timeout", &w->timeout_ms, err,
				  errlen) < 0)
		return -1;
	if (!notifier_is_http_url(endpoint)) {
		snprintf(err, errlen,
			 TYPE ": 'endpoint' must be an http:// or https:// URL");
		return -1;
	}
	if (strcmp(format, "json") && strcmp(format, "text")) {
		snprintf(err, errlen, TYPE ": 'format' must be \"json\" or \"text\"");
		return -1;
	}
	w->url = xstrdup(endpoint);
	w->text = !strcmp(format, "text");
	return parse_headers(w, cfg, err, errlen);
}

/* Names only: the values are credentials. */
static void log_header_names(const struct webhook *w)
{
	if (w->nheaders == 0 || log_get_level() < LOG_LEVEL_DEBUG)
		return;
	char names[512] = "";
	size_t len = 0;
	for (size_t i = 0; i < w->nheaders && len < sizeof(names); i++) {
		int n = snprintf(names + len, sizeof(names) - len, "%s%.*s",
				 i ? ", " : "",
				 (int)strcspn(w->headers[i], ":"), w->headers[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	log_debug("target '%s': webhook sends headers %s", w->target, names);
}

static int webhook_init(const struct json_object *cfg,
			const struct notifier_env *env, void **state, char *err,
			size_t errlen)
{
	struct webhook *w = xcalloc(1, sizeof(*w));
	w->timeout_ms = DEFAULT_TIMEOUT_MS;
	w->env = *env;
	w->target = xstrdup(env->target_name ? env->target_name : TYPE);
	w->env.target_name = w->target;
	if (parse_config(w, cfg, err, errlen) < 0) {
		webhook_fini(w);
		return -1;
	}
	log_header_names(w);
	*state = w;
	return 0;
}

static char *webhook_render(void *state, const notification *n)
{
	const struct webhook *w = state;
	return w->text ? notification_parseable_text(n)
		       : notification_document_text(n);
}

static bool has_content_type(const struct webhook *w)
{
	for (size_t i = 0; i < w->nheaders; i++)
		if (!strncasecmp(w->headers[i], "Content-Type:", 13))
			return true;
	return false;
}

static void webhook_send(void *state, const notification *n,
			 notifier_done_fn done, void *ctx)
{
	struct webhook *w = state;
	char *body = webhook_render(w, n);
	const char **lines = xcalloc(w->nheaders + 1, sizeof(*lines));
	size_t nlines = 0;
	for (size_t i = 0; i < w->nheaders; i++)
		lines[nlines++] = w->headers[i];
	/* A Content-Type among the configured headers wins over ours. */
	if (!has_content_type(w))
		lines[nlines++] = w->text ? "Content-Type: text/plain"
					  : "Content-Type: application/json";
	struct http_request req = {
		.url = w->url,
		.body = body ? body : "",
		.body_len = body ? strlen(body) : 0,
		.headers = lines,
		.nheaders = nlines,
		.skip_tls_check = w->skip_tls_check,
		.timeout_ms = (long)w->timeout_ms,
	};
	notifier_http_send(&w->env, n, &req, done, ctx);
	free(lines);
	free(body);
}

const struct notifier_ops notifier_webhook = {
	.type = TYPE,
	.init = webhook_init,
	.render = webhook_render,
	.send = webhook_send,
	.fini = webhook_fini,
};
