/* notifier — the interface every target type implements (DESIGN §7).
 *
 * A notifier type is a named table of functions; notifiers/ holds one file
 * per type and notifiers/registry.c one line per type.  Lifecycle:
 *
 *   init(cfg)   once per target, on the event-loop thread; validates the
 *               config subtree and returns the target's state.
 *   render()    the exact bytes the target would send for a notification
 *               (used by deliveries and by dry-run).
 *   send()      starts delivering; never blocks.  The notifier calls
 *               `done` exactly once, later or before send returns, from the
 *               event-loop thread, with the outcome and a detail for logs
 *               (valid during the call only; may be NULL).  `n` stays
 *               valid until `done` is called.
 *   reopen()    optional; SIGUSR1 (file targets reopen their file).
 *   fini()      releases the state; in-flight sends are abandoned (they
 *               stay in the spool and are resent at the next start).  The
 *               shared HTTP client is freed before any fini, which cancels
 *               its requests: their http done still runs (status 0,
 *               "cancelled") while the state is alive, so per-request
 *               contexts can be released there; the `done` they call then
 *               is ignored.
 *
 * No function is called from any other thread. */
#ifndef BPFALERT_NOTIFIER_H
#define BPFALERT_NOTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "notification.h"

struct json_object;
struct http_client;

enum delivery_result {
	DELIVERY_OK,         /* acknowledged (2xx, or written locally) */
	DELIVERY_RETRY,      /* transient: connection error, timeout, 5xx, 429 */
	DELIVERY_FAIL,       /* permanent: other 4xx, bad configuration */
};

typedef void (*notifier_done_fn)(void *ctx, enum delivery_result result,
				 const char *detail);

/* What a notifier may use. */
struct notifier_env {
	loop *loop;
	struct http_client *http;   /* libcurl multi, driven by the loop */
	const char *node_name;
	const char *target_name;
	long connect_timeout_ms;    /* the target's connect_timeout; 0: default */
};

struct notifier_ops {
	const char *type;
	int (*init)(const struct json_object *cfg, const struct notifier_env *env,
		    void **state, char *err, size_t errlen);
	char *(*render)(void *state, const notification *n);
	void (*send)(void *state, const notification *n, notifier_done_fn done,
		     void *ctx);
	void (*reopen)(void *state);
	void (*fini)(void *state);
};

/* ---- helpers for notifier implementations (notifiers/common.c) ---- */

struct http_request;

/* 2xx OK; 429, 5xx and 0 (no response: connection error, timeout) RETRY;
 * any other status FAIL. */
enum delivery_result notifier_http_result(long status);

/* Posts `req` for `n` on env->http and calls `done` exactly once with the
 * mapped result and a detail ("HTTP 503: <start of body>", or the transport
 * error).  The request is copied; it gets the target's connect timeout and
 * n's idempotency key.  Header values never reach the detail. */
void notifier_http_send(const struct notifier_env *env, const notification *n,
			const struct http_request *req, notifier_done_fn done,
			void *ctx);
/* The Idempotency-Key of n: "bpfalert-NODE-ID", the same on every attempt
 * and after a restart (the id is the spool record's), so receivers can drop
 * repeats. */
void notifier_idempotency_key(const struct notifier_env *env, const notification *n,
			      char *buf, size_t size);

/* Configuration keys for init().  Each leaves *out unchanged when the key is
 * absent and returns 0, or -1 with "TYPE: 'KEY' must be ..." in err when
 * the value has the wrong type.  A duration is a string ("10s", "1m30s") or
 * a number of seconds. */
int notifier_cfg_string(const struct json_object *cfg, const char *type,
			const char *key, const char **out, char *err,
			size_t errlen);
int notifier_cfg_bool(const struct json_object *cfg, const char *type,
		      const char *key, bool *out, char *err, size_t errlen);
int notifier_cfg_number(const struct json_object *cfg, const char *type,
			const char *key, double *out, char *err, size_t errlen);
int notifier_cfg_duration(const struct json_object *cfg, const char *type,
			  const char *key, int64_t *ms, char *err,
			  size_t errlen);
/* True for an http:// or https:// URL with a host. */
bool notifier_is_http_url(const char *url);
/* RFC 3339 UTC with milliseconds: "2024-05-01T10:00:00.000Z"
 * (notification_format_time into a fixed buffer). */
void notifier_format_time(int64_t ms, char buf[32]);

/* The registry: NULL if no type has that name. */
const struct notifier_ops *notifier_lookup(const char *type);
/* All registered types, NULL-terminated. */
const struct notifier_ops *const *notifier_types(void);

#endif
