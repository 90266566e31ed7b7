/* Helpers shared by notifier implementations; see notifier.h. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "notifier.h"
#include "rulefiles.h"
#include "xalloc.h"

enum delivery_result notifier_http_result(long status)
{
	if (status >= 200 && status <= 299)
		return DELIVERY_OK;
	if (status == 0 || status == 429 || (status >= 500 && status <= 599))
		return DELIVERY_RETRY;
	return DELIVERY_FAIL;
}

struct pending_post {
	notifier_done_fn done;
	void *ctx;
};

static void on_posted(void *ctx, long status, const char *error)
{
	struct pending_post *p = ctx;
	char detail[320];
	if (status == 0)
		snprintf(detail, sizeof(detail), "%s", error ? error : "no response");
	else if (error)
		snprintf(detail, sizeof(detail), "HTTP %ld: %s", status, error);
	else
		snprintf(detail, sizeof(detail), "HTTP %ld", status);
	p->done(p->ctx, notifier_http_result(status), detail);
	free(p);
}

void notifier_idempotency_key(const struct notifier_env *env, const notification *n,
			      char *buf, size_t size)
{
	snprintf(buf, size, "bpfalert-%s-%llu", env->node_name ? env->node_name : "",
		 (unsigned long long)n->id);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			*c = '_';
}

void notifier_http_send(const struct notifier_env *env, const notification *n,
			const struct http_request *req, notifier_done_fn done,
			void *ctx)
{
	struct pending_post *p = xmalloc(sizeof(*p));
	p->done = done;
	p->ctx = ctx;
	char key[160];
	notifier_idempotency_key(env, n, key, sizeof(key));
	struct http_request r = *req;
	r.idempotency_key = key;
	if (!r.connect_timeout_ms)
		r.connect_timeout_ms = env->connect_timeout_ms;
	if (!env->http || http_post(env->http, &r, on_posted, p) < 0) {
		free(p);
		done(ctx, DELIVERY_RETRY, "the HTTP request could not be started");
	}
}

/* Looks `key` up; false when absent (JSON null counts as absent). */
static bool cfg_get(const struct json_object *cfg, const char *key,
		    struct json_object **v)
{
	*v = NULL;
	return cfg && json_object_object_get_ex(cfg, key, v) && *v;
}

int notifier_cfg_string(const struct json_object *cfg, const char *type,
			const char *key, const char **out, char *err,
			size_t errlen)
{
	struct json_object *v;
	if (!cfg_get(cfg, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "%s: '%s' must be a string", type, key);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

int notifier_cfg_bool(const struct json_object *cfg, const char *type,
		      const char *key, bool *out, char *err, size_t errlen)
{
	struct json_object *v;
	if (!cfg_get(cfg, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(err, errlen, "%s: '%s' must be true or false", type, key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int notifier_cfg_number(const struct json_object *cfg, const char *type,
			const char *key, double *out, char *err, size_t errlen)
{
	struct json_object *v;
	if (!cfg_get(cfg, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)) {
		snprintf(err, errlen, "%s: '%s' must be a number", type, key);
		return -1;
	}
	*out = json_object_get_double(v);
	return 0;
}

int notifier_cfg_duration(const struct json_object *cfg, const char *type,
			  const char *key, int64_t *ms, char *err,
			  size_t errlen)
{
	struct json_object *v;
	if (!cfg_get(cfg, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		int64_t s = json_object_get_int64(v);
		if (s <= 0 || s > 86400) {
			snprintf(err, errlen, "%s: '%s' must be between 1 and 86400 seconds",
				 type, key);
			return -1;
		}
		*ms = s * 1000;
		return 0;
	}
	char why[200];
	if (!json_object_is_type(v, json_type_string) ||
	    parse_duration(json_object_get_string(v), ms, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: '%s' must be a duration such as \"10s\"",
			 type, key);
		return -1;
	}
	if (*ms <= 0) {
		snprintf(err, errlen, "%s: '%s' must be longer than zero", type, key);
		return -1;
	}
	return 0;
}

bool notifier_is_http_url(const char *url)
{
	size_t skip;
	if (!url)
		return false;
	if (!strncasecmp(url, "http://", 7))
		skip = 7;
	else if (!strncasecmp(url, "https://", 8))
		skip = 8;
	else
		return false;
	const char *host = url + skip;
	if (*host == '\0' || *host == '/' || *host == ':' || *host == '?')
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

void notifier_format_time(int64_t ms, char buf[32])
{
	notification_format_time(ms, buf, 32);
}
