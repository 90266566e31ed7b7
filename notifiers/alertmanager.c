/* alertmanager — POST alerts to a Prometheus Alertmanager (DESIGN §7).
 *
 * Each notification becomes a one-element array for POST
 * {endpoint}/api/v2/alerts.  Alertmanager identifies an alert by its label
 * set, so every notification of one instance carries the same labels
 * (alertname, severity, node, one label per group_by field and, for
 * Parseable alerts, Parseable's stream and rule labels); what changes from
 * one to the next goes into annotations and times.  A firing notification
 * leaves endsAt out, so Alertmanager resolves the alert by itself if the
 * repeats stop (its resolve_timeout, 5 min by default, outlasts the 200 s
 * repeat interval); a resolved one sets endsAt to the resolve time.
 *
 * Keys: endpoint (required), username, password, skip_tls_check, timeout
 * (default 10 s).
 * The password is never logged or rendered. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "notifier.h"
#include "notifiers.h"
#include "utf8.h"
#include "xalloc.h"

#define AM_PATH "/api/v2/alerts"
#define AM_DEFAULT_TIMEOUT_MS 10000

struct am_state {
	struct notifier_env env; /* loop and HTTP client */
	char *url;               /* endpoint + AM_PATH */
	char *username, *password;
	bool skip_tls_check;
	int64_t timeout_ms;
	char *node_name;         /* when a notification names no node */
};

/* ---- configuration ---- */

/* The endpoint is a base URL; a trailing slash is dropped so that
 * "http://am:9093/" and "http://am:9093" post to the same place. */
static int cfg_endpoint(const struct json_object *cfg, char **url, char *err,
			size_t errlen)
{
	const char *ep = NULL;
	if (notifier_cfg_string(cfg, "alertmanager", "endpoint", &ep, err,
				errlen) < 0)
		return -1;
	if (!ep) {
		snprintf(err, errlen, "alertmanager: 'endpoint' is required");
		return -1;
	}
	if (!notifier_is_http_url(ep)) {
		snprintf(err, errlen,
			 "alertmanager: 'endpoint' must be an http:// or https:// URL");
		return -1;
	}
	size_t n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	*url = xasprintf("%.*s%s", (int)n, ep, AM_PATH);
	return 0;
}

static void am_free_state(struct am_state *s)
{
	if (!s)
		return;
	free(s->url);
	free(s->username);
	if (s->password) {
		/* Not a security boundary, but keeps it out of core dumps. */
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	free(s->node_name);
	free(s);
}

/* Keys are checked, with positions, when the configuration is loaded
 * (targetcfg.c); here only what delivery needs is read. */
static int am_init(const struct json_object *cfg, const struct notifier_env *env,
		   void **state, char *err, size_t errlen)
{
	if (!cfg || !json_object_is_type(cfg, json_type_object)) {
		snprintf(err, errlen, "alertmanager: configuration must be an object");
		return -1;
	}
	struct am_state *s = xcalloc(1, sizeof(*s));
	const char *user = NULL, *pass = NULL;
	s->timeout_ms = AM_DEFAULT_TIMEOUT_MS;
	if (cfg_endpoint(cfg, &s->url, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "alertmanager", "username", &user, err, errlen) < 0 ||
	    notifier_cfg_string(cfg, "alertmanager", "password", &pass, err, errlen) < 0 ||
	    notifier_cfg_bool(cfg, "alertmanager", "skip_tls_check",
			      &s->skip_tls_check, err, errlen) < 0 ||
	    notifier_cfg_duration(cfg, "alertmanager", "timeout", &s->timeout_ms,
				  err, errlen) < 0)
		goto fail;
	if (pass && !user) {
		snprintf(err, errlen, "alertmanager: 'password' needs 'username'");
		goto fail;
	}
	s->username = user ? xstrdup(user) : NULL;
	s->password = user ? xstrdup(pass ? pass : "") : NULL;
	if (env) {
		s->env.loop = env->loop;
		s->env.http = env->http;
	}
	s->node_name = xstrdup(env && env->node_name ? env->node_name : "");
	*state = s;
	return 0;
fail:
	am_free_state(s);
	return -1;
}

static void am_fini(void *state)
{
	am_free_state(state);
}

/* ---- the alert document ---- */

/* Label values must be valid UTF-8 or Alertmanager refuses the whole
 * request; event fields are attacker-controlled, so ill-formed bytes are
 * replaced by U+FFFD rather than losing the alert. */
static char *utf8_clean(const char *s)
{
	size_t len = strlen(s), at = utf8_check(s, len);
	if (at == len)
		return xstrdup(s);
	char *out = xmalloc(len * 3 + 1), *o = out;
	while (len > 0) {
		memcpy(o, s, at);
		o += at;
		if (at == len)
			break;
		memcpy(o, "\xEF\xBF\xBD", 3);
		o += 3;
		s += at + 1;
		len -= at + 1;
		at = utf8_check(s, len);
	}
	*o = '\0';
	return out;
}

static void add_string(struct json_object *obj, const char *key, const char *v)
{
	char *clean = utf8_clean(v ? v : "");
	json_object_object_add(obj, key, json_object_new_string(clean));
	free(clean);
}

/* Label names must match [a-zA-Z_][a-zA-Z0-9_]*. */
static char *label_name(const char *field)
{
	size_t n = strlen(field);
	char *out = xmalloc(n + 2), *o = out;
	if (!n || (field[0] >= '0' && field[0] <= '9'))
		*o++ = '_';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)field[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';
		*o++ = ok ? (char)c : '_';
	}
	*o = '\0';
	return out;
}

/* Group labels go in last; one whose name is taken (a field that
 * sanitises to "node", or two fields that differ only in punctuation) is
 * renamed "group_<name>" so no group value is lost. */
static void add_group_labels(struct json_object *labels, const notification *n)
{
	for (size_t i = 0; i < n->ngroup; i++) {
		char *name = label_name(n->group_keys[i] ? n->group_keys[i] : "");
		while (json_object_object_get_ex(labels, name, NULL)) {
			char *longer = xasprintf("group_%s", name);
			free(name);
			name = longer;
		}
		add_string(labels, name, n->group_values[i]);
		free(name);
	}
}

/* The phrases of Parseable's column-rule reasons and the serde names of
 * their operators, longest phrase first where one is a prefix of another. */
static const struct {
	const char *phrase, *op;
} numeric_ops[] = {
	{ "greater than or equal to", "greaterThanEquals" },
	{ "greater than", "greaterThan" },
	{ "less than or equal to", "lessThanEquals" },
	{ "less than", "lessThan" },
	{ "not equal to", "notEqualTo" },
	{ "equal to", "equalTo" },
}, string_ops[] = {
	{ "not equal to", "notExact" },
	{ "equal to", "exact" },
	{ "does not contain", "notContains" },
	{ "contains", "contains" },
	{ "matches regex", "regex" },
};

/* Reads back "{column} column [was ]{op} {value}, {repeats} times" into
 * the labels Parseable derives from the same rule.  Returns false if the
 * text is not of that shape. */
static bool column_labels(struct json_object *labels, const char *reason)
{
	const char *sep = strstr(reason, " column ");
	const char *end = strrchr(reason, ',');
	if (!sep || sep == reason || !end || end < sep)
		return false;
	const char *r = end + 1;
	if (*r++ != ' ' || !isdigit((unsigned char)*r))
		return false;
	const char *digits = r;
	while (isdigit((unsigned char)*r))
		r++;
	if (strcmp(r, " times"))
		return false;

	const char *p = sep + 8;
	bool numeric = !strncmp(p, "was ", 4);
	if (numeric)
		for (p += 4; *p == ' '; p++)
			;
	size_t nops = numeric ? sizeof(numeric_ops) / sizeof(numeric_ops[0])
			      : sizeof(string_ops) / sizeof(string_ops[0]);
	for (size_t i = 0; i < nops; i++) {
		const char *phrase = numeric ? numeric_ops[i].phrase : string_ops[i].phrase;
		size_t len = strlen(phrase);
		if (strncmp(p, phrase, len) || p[len] != ' ' || p + len + 1 > end)
			continue;
		char *column = xasprintf("%.*s", (int)(sep - reason), reason);
		char *val = xasprintf("%.*s", (int)(end - (p + len + 1)), p + len + 1);
		char *repeats = xasprintf("%.*s", (int)(r - digits), digits);
		add_string(labels, "rule_config_column", column);
		add_string(labels, "rule_config_operator",
			   numeric ? numeric_ops[i].op : string_ops[i].op);
		add_string(labels, "rule_config_value", val);
		add_string(labels, "rule_config_repeats", repeats);
		free(column);
		free(val);
		free(repeats);
		return true;
	}
	return false;
}

/* Parseable flattens its serialised rule under "rule": a composite rule is
 * {"type":"composite","config":"<rule printed back>"}, a column rule
 * {"type":"column","config":{"column","operator","value","repeats"}}. */
static void parseable_labels(struct json_object *labels, const notification *n)
{
	static const char prefix[] = "matched rule ";
	const char *reason = n->reason ? n->reason : "";
	add_string(labels, "stream", n->stream);
	if (!strncmp(reason, prefix, sizeof(prefix) - 1)) {
		add_string(labels, "rule_type", "composite");
		add_string(labels, "rule_config", reason + sizeof(prefix) - 1);
		return;
	}
	if (column_labels(labels, reason)) {
		add_string(labels, "rule_type", "column");
		return;
	}
	add_string(labels, "rule_type", "composite");
	add_string(labels, "rule_config", n->rule);
}

static void add_time(struct json_object *obj, const char *key, int64_t ms)
{
	char buf[32];
	notifier_format_time(ms, buf);
	json_object_object_add(obj, key, json_object_new_string(buf));
}

static struct json_object *am_alert(const struct am_state *s,
				    const notification *n)
{
	struct json_object *alert = json_object_new_object();
	struct json_object *labels = json_object_new_object();
	struct json_object *ann = json_object_new_object();

	add_string(labels, "alertname", n->alert);
	add_string(labels, "severity", severity_name(n->severity));
	add_string(labels, "node", n->node && *n->node ? n->node : s->node_name);
	if (n->parseable)
		parseable_labels(labels, n);
	add_group_labels(labels, n);

	add_string(ann, "message", n->message);
	/* Parseable replaces the reason of a resolved alert by its resolved
	 * text; native alerts keep the condition that fired. */
	if (n->parseable && n->status == NOTIFY_RESOLVED) {
		char *text = notification_parseable_text(n);
		add_string(ann, "reason", text);
		free(text);
	} else {
		add_string(ann, "reason", n->reason);
	}

	json_object_object_add(alert, "labels", labels);
	json_object_object_add(alert, "annotations", ann);
	add_time(alert, "startsAt", n->starts_at_ms ? n->starts_at_ms : n->time_ms);
	if (n->status == NOTIFY_RESOLVED)
		add_time(alert, "endsAt", n->ends_at_ms ? n->ends_at_ms : n->time_ms);
	return alert;
}

static char *am_render(void *state, const notification *n)
{
	struct json_object *arr = json_object_new_array();
	json_object_array_add(arr, am_alert(state, n));
	char *text = xstrdup(json_object_to_json_string_ext(
		arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return text;
}

/* ---- delivery ---- */

static void am_send(void *state, const notification *n, notifier_done_fn done,
		    void *ctx)
{
	struct am_state *s = state;
	static const char *const headers[] = { "Content-Type: application/json" };
	char *body = am_render(s, n);
	struct http_request req = {
		.url = s->url,
		.body = body,
		.body_len = strlen(body),
		.headers = headers,
		.nheaders = 1,
		.username = s->username,
		.password = s->password,
		.skip_tls_check = s->skip_tls_check,
		.timeout_ms = (long)s->timeout_ms,
	};
	notifier_http_send(&s->env, n, &req, done, ctx);
	free(body);
}

const struct notifier_ops notifier_alertmanager = {
	.type = "alertmanager",
	.init = am_init,
	.render = am_render,
	.send = am_send,
	.reopen = NULL,
	.fini = am_fini,
};
