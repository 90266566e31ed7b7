/* Fuzzes the event input path: JSON flattening of one document, the
 * JSON-lines reader over the same bytes, and RFC 3339 time parsing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "jsonl.h"
#include "timefmt.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"a", "a_b", "a_0", "a_0_b", "a_b_0", "a_0_b_1", "m", "m_1", "m_0_0",
	"x_y_z", "", "_", "__k", "a.b/c", "node_name", "time",
	"process_exec_process_binary", "process_kprobe_args_0_file_arg_path",
	"process_kprobe_args_file_arg_path",
	"process_kprobe_args_module_arg_tainted",
	"process_kprobe_args_0_module_arg_tainted_1",
};

static field_table *ft;
static flattener *fl;
static event *ev;
static FILE *devnull;

static void setup(void)
{
	ft = field_table_new();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		field_table_intern(ft, names[i], strlen(names[i]));
	fl = flattener_new(ft);
	ev = event_new();
	devnull = fopen("/dev/null", "w");
}

/* Reads every materialised value, so a dangling pointer would show. */
static void touch(void)
{
	size_t total = 0;
	for (size_t s = 0; s < field_table_count(ft); s++)
		for (const value *v = event_first(ev, (int)s); v; v = event_next(ev, v)) {
			total++;
			if (v->type == VALUE_STRING && v->str[v->len] != '\0')
				abort();
		}
	if (total != ev->nvalues)
		abort();
	for (size_t i = 0; i < ev->ntop_keys; i++)
		if (strlen(ev->top_keys[i]) != ev->top_key_lens[i])
			abort();
}

static void check_time(const char *s, size_t len)
{
	int64_t ns, back;
	char buf[TIMEFMT_MAX];
	if (timefmt_parse(s, len, &ns) != 0)
		return;
	timefmt_format(ns, buf, sizeof(buf));
	if (timefmt_parse(buf, strlen(buf), &back) != 0 || back != ns)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ft)
		setup();
	const char *text = (const char *)data;
	char err[256];

	if (flattener_parse(fl, text, size, ev, err, sizeof(err)) == FLATTEN_OK)
		touch();
	check_time(text, size);
	if (utf8_check(text, size) > size)
		abort();

	if (!size)
		return 0; /* fmemopen refuses an empty buffer */
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	jsonl_reader *r = jsonl_reader_new(f, "fuzz");
	const char *line;
	size_t len, lineno;
	while (jsonl_next(r, &line, &len, &lineno, devnull)) {
		if (len != strlen(line) || utf8_check(line, len) != len)
			abort();
		enum flatten_status st = flattener_parse(fl, line, len, ev, err,
							 sizeof(err));
		if (st == FLATTEN_OK)
			touch();
		else
			jsonl_count_bad(r, st == FLATTEN_NOT_OBJECT ? JSONL_BAD_NOT_OBJECT
								    : JSONL_BAD_JSON,
					lineno, err, devnull);
	}
	const struct jsonl_counters *c = jsonl_counters(r);
	if (c->events > c->lines)
		abort();
	jsonl_reader_free(&r);
	fclose(f);
	return 0;
}
