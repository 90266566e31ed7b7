/* stdout — notifications on standard output, for foreground runs (DESIGN §7).
 *
 *   format  "compact" (default): one line per notification
 *             2024-05-01T10:00:00.000Z firing "Alert name" {pod=dev-pod} count=3 2/5 message
 *           time (UTC), status, alert, group values, matches since the
 *           previous notification, seq/of ("2/-" when unlimited), message;
 *           control characters in the texts are shown as spaces so one
 *           notification stays one line.
 *           "json": the alert document (§7.1), one per line.
 *
 * A write is acknowledged as soon as it is flushed. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier.h"
#include "notifiers.h"
#include "xalloc.h"

#define TYPE "stdout"

struct out {
	bool json;
};

struct line {
	char *s;
	size_t len, cap;
};

static void put(struct line *l, const char *s)
{
	for (; s && *s; s++) {
		l->s = xgrow(l->s, &l->cap, l->len + 2, 1);
		l->s[l->len++] = (unsigned char)*s < 0x20 ? ' ' : *s;
		l->s[l->len] = '\0';
	}
}

static char *compact(const notification *n)
{
	struct line l = { 0 };
	char buf[64];
	notification_format_time(n->time_ms, buf, sizeof(buf));
	put(&l, buf);
	put(&l, " ");
	put(&l, notification_status_name(n->status));
	put(&l, " \"");
	put(&l, n->alert);
	put(&l, "\" {");
	for (size_t i = 0; i < n->ngroup; i++) {
		put(&l, i ? "," : "");
		put(&l, n->group_keys[i]);
		put(&l, "=");
		put(&l, n->group_values[i]);
	}
	if (n->of)
		snprintf(buf, sizeof(buf), "} count=%u %u/%u ", n->count, n->seq, n->of);
	else
		snprintf(buf, sizeof(buf), "} count=%u %u/- ", n->count, n->seq);
	put(&l, buf);
	put(&l, n->message);
	l.s = xgrow(l.s, &l.cap, l.len + 2, 1);
	l.s[l.len++] = '\n';
	l.s[l.len] = '\0';
	return l.s;
}

static char *stdout_render(void *state, const notification *n)
{
	const struct out *o = state;
	if (!o->json)
		return compact(n);
	char *doc = notification_document_text(n);
	char *line = xasprintf("%s\n", doc ? doc : "{}");
	free(doc);
	return line;
}

static void stdout_send(void *state, const notification *n,
			notifier_done_fn done, void *ctx)
{
	char *text = stdout_render(state, n);
	errno = 0;
	bool ok = fputs(text, stdout) >= 0 && fflush(stdout) == 0;
	int e = errno;
	free(text);
	if (ok) {
		done(ctx, DELIVERY_OK, NULL);
		return;
	}
	/* A full disk may clear up; a closed pipe will not. */
	char detail[128];
	snprintf(detail, sizeof(detail), "writing to stdout: %s", strerror(e));
	clearerr(stdout);
	done(ctx, e == ENOSPC || e == EAGAIN || e == EINTR ? DELIVERY_RETRY
							  : DELIVERY_FAIL,
	     detail);
}

static int stdout_init(const struct json_object *cfg,
		       const struct notifier_env *env, void **state, char *err,
		       size_t errlen)
{
	const char *format = "compact";
	if (notifier_cfg_string(cfg, TYPE, "format", &format, err, errlen) < 0)
		return -1;
	if (strcmp(format, "compact") && strcmp(format, "json")) {
		snprintf(err, errlen, TYPE ": 'format' must be \"compact\" or \"json\"");
		return -1;
	}
	struct out *o = xcalloc(1, sizeof(*o));
	o->json = !strcmp(format, "json");
	*state = o;
	return 0;
}

static void stdout_fini(void *state)
{
	free(state);
}

const struct notifier_ops notifier_stdout = {
	.type = TYPE,
	.init = stdout_init,
	.render = stdout_render,
	.send = stdout_send,
	.fini = stdout_fini,
};
