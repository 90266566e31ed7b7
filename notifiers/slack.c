/* slack — one readable message per notification to a Slack incoming
 * webhook (DESIGN §7).
 *
 *   endpoint        the incoming-webhook URL (required; it is a secret and
 *                   is never logged)
 *   skip_tls_check  accept any certificate (default false)
 *   timeout         whole request (default "10s")
 *
 * The body is {"text": ...} with two lines of Slack mrkdwn:
 *
 *   :rotating_light: *Unauthorised access /etc/passwd* is firing: cat read /etc/passwd
 *   severity: critical · node: node-1 · pod=dev-pod · 3 matches · notification 2 of 5
 *
 *   :white_check_mark: *Unauthorised access /etc/passwd* is resolved: cat read /etc/passwd
 *   severity: critical · node: node-1 · pod=dev-pod
 *
 * The firing emoji follows the severity (:rotating_light: critical,
 * :warning: warning, :information_source: info); group values appear as
 * field=value; "notification N" has no "of M" when repeats are unlimited.
 * &, < and > in alert text are escaped as Slack requires. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "notifier.h"
#include "notifiers.h"
#include "xalloc.h"

#define TYPE "slack"
#define DEFAULT_TIMEOUT_MS 10000

struct slack {
	struct notifier_env env;
	char *url;
	bool skip_tls_check;
	int64_t timeout_ms;
};

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_raw(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Alert text is data, not markup: Slack wants &, <, > escaped. */
static void puts_text(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '&')
			puts_raw(b, "&amp;");
		else if (*s == '<')
			puts_raw(b, "&lt;");
		else if (*s == '>')
			puts_raw(b, "&gt;");
		else
			put(b, s, 1);
	}
}

static const char *emoji(const notification *n)
{
	if (n->status == NOTIFY_RESOLVED)
		return ":white_check_mark:";
	switch (n->severity) {
	case SEVERITY_CRITICAL:
		return ":rotating_light:";
	case SEVERITY_INFO:
		return ":information_source:";
	default:
		return ":warning:";
	}
}

static void put_details(struct buf *b, const notification *n)
{
	char num[64];
	puts_raw(b, "severity: ");
	puts_raw(b, severity_name(n->severity));
	if (n->node && *n->node) {
		puts_raw(b, " · node: ");
		puts_text(b, n->node);
	}
	for (size_t i = 0; i < n->ngroup; i++) {
		puts_raw(b, i == 0 ? " · " : ", ");
		puts_text(b, n->group_keys[i]);
		puts_raw(b, "=");
		puts_text(b, n->group_values[i]);
	}
	if (n->status == NOTIFY_RESOLVED)
		return;
	snprintf(num, sizeof(num), " · %u %s", n->count,
		 n->count == 1 ? "match" : "matches");
	puts_raw(b, num);
	if (n->of)
		snprintf(num, sizeof(num), " · notification %u of %u", n->seq, n->of);
	else
		snprintf(num, sizeof(num), " · notification %u", n->seq);
	puts_raw(b, num);
}

/* The message text alone (the "text" field, before JSON encoding). */
static char *slack_text(const notification *n)
{
	struct buf b = { 0 };
	puts_raw(&b, emoji(n));
	puts_raw(&b, " *");
	puts_text(&b, n->alert);
	puts_raw(&b, n->status == NOTIFY_RESOLVED ? "* is resolved: "
						  : "* is firing: ");
	puts_text(&b, n->message);
	puts_raw(&b, "\n");
	put_details(&b, n);
	return b.s;
}

static char *slack_render(void *state, const notification *n)
{
	char *text = slack_text(n);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string(text));
	char *body = xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	free(text);
	return body;
}

static void slack_send(void *state, const notification *n,
		       notifier_done_fn done, void *ctx)
{
	struct slack *s = state;
	char *body = slack_render(s, n);
	const char *headers[] = { "Content-Type: application/json" };
	struct http_request req = {
		.url = s->url,
		.body = body,
		.body_len = strlen(body),
		.headers = headers,
		.nheaders = 1,
		.skip_tls_check = s->skip_tls_check,
		.timeout_ms = (long)s->timeout_ms,
	};
	notifier_http_send(&s->env, n, &req, done, ctx);
	free(body);
}

static void slack_fini(void *state)
{
	struct slack *s = state;
	if (!s)
		return;
	free(s->url);
	free(s);
}

static int slack_init(const struct json_object *cfg,
		      const struct notifier_env *env, void **state, char *err,
		      size_t errlen)
{
	struct slack *s = xcalloc(1, sizeof(*s));
	const char *endpoint = NULL;
	s->env = *env;
	s->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (notifier_cfg_string(cfg, TYPE, "endpoint", &endpoint, err, errlen) < 0 ||
	    notifier_cfg_bool(cfg, TYPE, "skip_tls_check", &s->skip_tls_check,
			      err, errlen) < 0 ||
	    notifier_cfg_duration(cfg, TYPE, "timeout", &s->timeout_ms, err,
				  errlen) < 0)
		goto fail;
	if (!notifier_is_http_url(endpoint)) {
		snprintf(err, errlen,
			 TYPE ": 'endpoint' must be an http:// or https:// URL");
		goto fail;
	}
	s->url = xstrdup(endpoint);
	*state = s;
	return 0;
fail:
	slack_fini(s);
	return -1;
}

const struct notifier_ops notifier_slack = {
	.type = TYPE,
	.init = slack_init,
	.render = slack_render,
	.send = slack_send,
	.fini = slack_fini,
};
