#include "export_body.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "export_parseable.h"
#include "jsonout.h"
#include "timefmt.h"
#include "xalloc.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

typedef void (*line_fn)(FILE *out, const struct export_spec *s, const char *line,
			size_t len, size_t index, int64_t now_ns, size_t *skipped);

static void each_line(FILE *out, const struct export_spec *s, const char *text,
		      size_t len, int64_t now_ns, line_fn fn, size_t *skipped)
{
	size_t index = 0;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n)
			fn(out, s, p, n, index++, now_ns, skipped);
		p += n + 1;
	}
}

static struct json_object *parse(const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	return o;
}

static void json_line(FILE *out, const struct export_spec *s, const char *line,
		      size_t len, size_t index, int64_t now_ns, size_t *skipped)
{
	if (index)
		fputc(',', out);
	fwrite(line, 1, len, out);
}

static void parseable_line(FILE *out, const struct export_spec *s, const char *line,
			   size_t len, size_t index, int64_t now_ns, size_t *skipped)
{
	struct json_object *ev = parse(line, len);
	if (!ev) {
		(*skipped)++;
		return;
	}
	struct json_object *flat = export_parseable_flatten(ev);
	if (ftell(out) > 1)
		fputc(',', out);
	fputs(json_object_to_json_string_ext(flat, JSON_FLAGS), out);
	json_object_put(flat);
	json_object_put(ev);
}

static int64_t event_time(const char *line, size_t len, int64_t now_ns)
{
	struct json_object *ev = parse(line, len), *t;
	int64_t ns = now_ns;
	if (ev && json_object_object_get_ex(ev, "time", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    timefmt_parse(json_object_get_string(t), (size_t)json_object_get_string_len(t), &ns) < 0)
		ns = now_ns;
	json_object_put(ev);
	return ns;
}

static void loki_line(FILE *out, const struct export_spec *s, const char *line,
		      size_t len, size_t index, int64_t now_ns, size_t *skipped)
{
	fprintf(out, "%s[\"%lld\",", index ? "," : "",
		(long long)event_time(line, len, now_ns));
	json_write_string(out, line, len);
	fputc(']', out);
}

static void bulk_line(FILE *out, const struct export_spec *s, const char *line,
		      size_t len, size_t index, int64_t now_ns, size_t *skipped)
{
	fprintf(out, "{\"%s\":{\"_index\":", s->action);
	json_write_string(out, s->index, strlen(s->index));
	fputs("}}\n", out);
	fwrite(line, 1, len, out);
	fputc('\n', out);
}

void export_body_build(const struct export_spec *s, const char *lines, size_t len,
		       int64_t now_ns, struct export_body *out)
{
	memset(out, 0, sizeof(*out));
	FILE *f = open_memstream(&out->data, &out->len);
	out->content_type = "application/json";
	switch (s->format) {
	case EXPORT_FORMAT_NDJSON:
		out->content_type = "application/x-ndjson";
		fwrite(lines, 1, len, f);
		break;
	case EXPORT_FORMAT_JSON:
		fputc('[', f);
		each_line(f, s, lines, len, now_ns, json_line, &out->skipped);
		fputc(']', f);
		break;
	case EXPORT_FORMAT_PARSEABLE:
		fputc('[', f);
		each_line(f, s, lines, len, now_ns, parseable_line, &out->skipped);
		fputc(']', f);
		break;
	case EXPORT_FORMAT_LOKI:
		fprintf(f, "{\"streams\":[{\"stream\":%s,\"values\":[", s->labels_json);
		each_line(f, s, lines, len, now_ns, loki_line, &out->skipped);
		fputs("]}]}", f);
		break;
	case EXPORT_FORMAT_ELASTICSEARCH:
		out->content_type = "application/x-ndjson";
		each_line(f, s, lines, len, now_ns, bulk_line, &out->skipped);
		break;
	}
	fclose(f);
}

int export_body_gzip(struct export_body *b)
{
	z_stream z = { 0 };
	/* Level 1: a third of the default's CPU for bodies about a tenth
	 * larger; the store's CPU and the network are the cheaper side. */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)b->len) + 32;
	char *out = xmalloc(cap);
	z.next_in = (Bytef *)b->data;
	z.avail_in = (uInt)b->len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return -1;
	}
	free(b->data);
	b->data = out;
	b->len = n;
	return 0;
}

void export_body_clear(struct export_body *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
