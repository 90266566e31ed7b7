#include "export.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_file.h"
#include "export_http.h"
#include "http.h"
#include "jsonout.h"
#include "log.h"
#include "xalloc.h"
#include <sys/stat.h>

struct exporter {
	const struct export_spec *spec;
	struct export_stats stats;
	export_file *file;      /* type file */
	export_http *http;      /* parseable, http */
	struct log_ratelimit rl;
};

struct exports {
	struct exporter *v;
	size_t n;
	http_client *http;   /* one libcurl multi for every export, not the targets' */
	char *line;          /* an event with its alerts attached */
	size_t line_cap;
};

static int make_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
	return -1;
}

static int exporter_init(exports *x, struct exporter *e, const struct export_spec *s,
			 loop *l, const char *state_dir, char *err, size_t errlen)
{
	e->spec = s;
	if (s->type == EXPORT_FILE) {
		e->file = export_file_new(s, err, errlen);
		return e->file ? 0 : -1;
	}
	if (!x->http && !(x->http = http_client_new(l))) {
		snprintf(err, errlen, "libcurl cannot be initialised");
		return -1;
	}
	char *top = xasprintf("%s/exports", state_dir), *dir = xasprintf("%s/%s", top, s->name);
	if (make_dir(state_dir, err, errlen) == 0 && make_dir(top, err, errlen) == 0)
		e->http = export_http_new(s, l, x->http, dir, &e->stats, err, errlen);
	free(top);
	free(dir);
	return e->http ? 0 : -1;
}

static void exporter_fini(struct exporter *e)
{
	export_file_free(&e->file);
	export_http_free(&e->http);
}

exports *exports_new(const export_specs *specs, loop *l, const char *state_dir,
		     char *err, size_t errlen)
{
	exports *x = xcalloc(1, sizeof(*x));
	x->v = xcalloc(specs->n + 1, sizeof(*x->v));
	for (size_t i = 0; i < specs->n; i++) {
		char inner[400];
		if (exporter_init(x, &x->v[i], &specs->v[i], l, state_dir, inner,
				  sizeof(inner)) < 0) {
			snprintf(err, errlen, "export '%s': %s", specs->v[i].name, inner);
			x->n = i + 1;
			exports_free(&x);
			return NULL;
		}
		x->n = i + 1;
	}
	return x;
}

void exports_free(exports **px)
{
	exports *x = *px;
	if (!x)
		return;
	/* Cancels the requests in flight first: their batches stay buffered. */
	http_client_free(&x->http);
	for (size_t i = 0; i < x->n; i++)
		exporter_fini(&x->v[i]);
	free(x->v);
	free(x->line);
	free(x);
	*px = NULL;
}

/* The event with `"alerts":[...]` added as its last top-level key. */
static const char *with_alerts(exports *x, const char *json, size_t *len,
			       const char *const *alerts, size_t nalerts)
{
	size_t end = *len;
	while (end > 0 && json[end - 1] != '}')
		end--;
	if (end == 0)
		return json;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	fwrite(json, 1, end - 1, f);
	fputs(end > 2 ? ",\"alerts\":[" : "\"alerts\":[", f);
	for (size_t i = 0; i < nalerts; i++) {
		if (i)
			fputc(',', f);
		json_write_string(f, alerts[i], strlen(alerts[i]));
	}
	fputs("]}", f);
	fclose(f);
	free(x->line);
	x->line = buf;
	*len = blen;
	return buf;
}

static void deliver(struct exporter *e, const char *json, size_t len)
{
	if (e->http) {
		export_http_add(e->http, json, len);
		return;
	}
	int rc = export_file_write(e->file, json, len);
	if (rc < 0) {
		e->stats.dropped++;
		log_ratelimited(&e->rl, LOG_LEVEL_ERROR, "export '%s': cannot write '%s': %s",
				e->spec->name, e->spec->path, strerror(-rc));
		return;
	}
	e->stats.events++;
	e->stats.bytes += len + 1;
}

void exports_submit(exports *x, const char *json, size_t len, const event *ev,
		    const char *const *alerts, size_t nalerts)
{
	for (size_t i = 0; i < x->n; i++) {
		struct exporter *e = &x->v[i];
		if (!export_filter_match(e->spec->filter, ev, nalerts))
			continue;
		size_t n = len;
		const char *text = export_filter_alerts_only(e->spec->filter)
			? with_alerts(x, json, &n, alerts, nalerts) : json;
		deliver(e, text, n);
	}
}

void exports_reopen(exports *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].file)
			export_file_reopen(x->v[i].file);
}

void exports_flush(exports *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].http)
			export_http_flush(x->v[i].http);
}

bool exports_idle(const exports *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].http && !export_http_idle(x->v[i].http))
			return false;
	return true;
}

size_t exports_count(const exports *x) { return x ? x->n : 0; }

const char *exports_name(const exports *x, size_t i)
{
	return x->v[i].spec->name;
}

const struct export_stats *exports_stats(const exports *x, size_t i)
{
	return &x->v[i].stats;
}

static void family(const exports *x, metrics_writer *w, const char *name,
		   const char *type, const char *help, size_t off)
{
	metrics_family(w, name, type, help);
	for (size_t i = 0; i < x->n; i++) {
		const char *labels[] = { "export", x->v[i].spec->name, NULL };
		unsigned long long v = *(const unsigned long long *)
			((const char *)&x->v[i].stats + off);
		metrics_sample(w, name, labels, (double)v);
	}
}

void exports_render(const exports *x, metrics_writer *w)
{
	if (!x || !x->n)
		return;
#define F(name, type, help, field) \
	family(x, w, name, type, help, offsetof(struct export_stats, field))
	F("bpfalert_export_events_total", "counter", "Events accepted by each export.", events);
	F("bpfalert_export_bytes_total", "counter", "Bytes of those events.", bytes);
	F("bpfalert_export_batches_total", "counter", "Batches acknowledged by the receiver.", batches);
	F("bpfalert_export_retries_total", "counter", "Failed deliveries, each retried.", retries);
	F("bpfalert_export_dropped_events_total", "counter",
	  "Events lost: buffer full (oldest first), refused by the receiver, write errors.", dropped);
	F("bpfalert_export_resent_events_total", "counter",
	  "Events sent again after a failed attempt or a restart (at-least-once).", resent);
	F("bpfalert_export_buffer_bytes", "gauge", "Bytes in each export's disk buffer.", buffer_bytes);
#undef F
}
