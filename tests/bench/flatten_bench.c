/* Cost of flattening, against JSON parsing.
 *
 *   flatten_bench [FILE [EVENTS]]
 *
 * Replays the lines of FILE (default: tetragon/events.jsonl of the shared
 * test data) for EVENTS events (default 100000) in each of five ways:
 * json-c parsing alone; the on-demand reader (jsonscan) with no field
 * interned and with about 60 Tetragon fields interned; json-c parse +
 * flatten with the 60 fields (the reader's fallback); and the json-c walk
 * alone over documents parsed beforehand.  The ways take turns in small batches and
 * each reports its median batch, so a busy machine skews them alike.
 * Prints ns/event and each rate as a share of the parse-only rate;
 * asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "event.h"
#include "fields.h"
#include "flatten.h"
#include "xalloc.h"

static const char *const field_names[] = {
	"process_exec_process_binary", "process_exec_process_arguments",
	"process_exec_process_pid", "process_exec_process_uid",
	"process_exec_process_cwd", "process_exec_process_flags",
	"process_exec_process_auid", "process_exec_process_exec_id",
	"process_exec_process_pod_namespace", "process_exec_process_pod_name",
	"process_exec_process_pod_container_name",
	"process_exec_process_pod_container_image_name",
	"process_exec_process_pod_pod_labels_app.kubernetes.io/name",
	"process_exec_process_docker", "process_exec_parent_binary",
	"process_exec_parent_arguments", "process_exec_parent_pid",
	"process_exec_process_cap_permitted",
	"process_exec_process_ns_mnt_is_host",
	"process_exit_process_binary", "process_exit_process_pid",
	"process_exit_status", "process_exit_signal",
	"process_exit_process_pod_name", "process_exit_parent_binary",
	"process_kprobe_function_name", "process_kprobe_action",
	"process_kprobe_policy_name", "process_kprobe_process_binary",
	"process_kprobe_process_arguments", "process_kprobe_process_pid",
	"process_kprobe_process_uid", "process_kprobe_process_pod_name",
	"process_kprobe_process_pod_namespace", "process_kprobe_parent_binary",
	"process_kprobe_args_0_file_arg_path", "process_kprobe_args_file_arg_path",
	"process_kprobe_args_1_int_arg", "process_kprobe_args_int_arg",
	"process_kprobe_args_2_size_arg", "process_kprobe_args_size_arg",
	"process_kprobe_args_0_file_arg_permission",
	"process_kprobe_args_module_arg_name",
	"process_kprobe_args_0_module_arg_tainted_1",
	"process_kprobe_args_module_arg_tainted",
	"process_kprobe_args_0_sock_arg_daddr", "process_kprobe_args_sock_arg_dport",
	"process_kprobe_args_capability_arg_name",
	"process_kprobe_args_0_user_ns_arg_ns_is_host",
	"process_kprobe_return_int_arg", "process_kprobe_return_action",
	"process_tracepoint_subsys", "process_tracepoint_event",
	"process_tracepoint_args_int_arg", "process_lsm_function_name",
	"process_throttle_type", "process_throttle_cgroup",
	"node_name", "time", "process_connect_destination_ip",
};

struct lines {
	char **text;
	size_t *len;
	size_t n, cap;
};

static void load(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(1);
	}
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&buf, &cap, f)) > 0) {
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (!n)
			continue;
		l->text = xgrow(l->text, &l->cap, l->n + 1, sizeof(char *));
		l->len = xrealloc(l->len, l->cap * sizeof(size_t));
		l->text[l->n] = xstrndup(buf, (size_t)n);
		l->len[l->n++] = (size_t)n;
	}
	free(buf);
	fclose(f);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum mode { PARSE, FLATTEN0, FLATTEN, JSONC, WALK, MODES };

static const char *const mode_names[MODES] = {
	"json-c parse only", "on-demand read, 0 fields",
	"on-demand read, 60 fields", "json-c parse + walk, 60 fields",
	"json-c walk alone, 60 fields",
};

struct bench {
	const struct lines *l;
	json_tokener *tok;
	field_table *ft0, *ft;
	flattener *fl0, *fl, *flj;
	event *ev;
	json_object **docs;   /* pre-parsed, for the walk alone */
	size_t next;          /* line to use next */
	double values[MODES]; /* values materialised per event */
};

static void bench_init(struct bench *b, const struct lines *l)
{
	memset(b, 0, sizeof(*b));
	b->l = l;
	b->tok = json_tokener_new_ex(64);
	json_tokener_set_flags(b->tok, JSON_TOKENER_STRICT);
	b->ft0 = field_table_new();
	b->ft = field_table_new();
	for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		field_table_intern(b->ft, field_names[i], strlen(field_names[i]));
	b->fl0 = flattener_new(b->ft0);
	b->fl = flattener_new(b->ft);
	b->flj = flattener_new(b->ft);
	flattener_set_scan(b->flj, false);
	b->ev = event_new();
	b->docs = xcalloc(l->n, sizeof(*b->docs));
	for (size_t k = 0; k < l->n; k++)
		b->docs[k] = json_tokener_parse(l->text[k]);
}

static void bench_fini(struct bench *b)
{
	for (size_t k = 0; k < b->l->n; k++)
		json_object_put(b->docs[k]);
	free(b->docs);
	event_free(&b->ev);
	flattener_free(&b->fl0);
	flattener_free(&b->fl);
	flattener_free(&b->flj);
	field_table_free(&b->ft0);
	field_table_free(&b->ft);
	json_tokener_free(b->tok);
}

/* Runs `n` events the given way; returns the seconds taken. */
static double run(struct bench *b, enum mode m, size_t n)
{
	const struct lines *l = b->l;
	char err[256];
	size_t values = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		size_t k = b->next++ % l->n;
		switch (m) {
		case PARSE: {
			json_tokener_reset(b->tok);
			json_object *o = json_tokener_parse_ex(b->tok, l->text[k],
							       (int)l->len[k]);
			if (!o)
				abort();
			json_object_put(o);
			break;
		}
		case FLATTEN0:
		case FLATTEN:
		case JSONC:
			if (flattener_parse(m == FLATTEN ? b->fl : m == JSONC ? b->flj : b->fl0,
					    l->text[k], l->len[k], b->ev, err, sizeof(err)))
				abort();
			break;
		default:
			/* the event releases its document on reset: keep ours */
			if (flattener_fill(b->fl, json_object_get(b->docs[k]), b->ev))
				abort();
			break;
		}
		values += b->ev->nvalues;
	}
	double t = now() - t0;
	b->values[m] = m == PARSE ? 0 : (double)values / (double)n;
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char def[4096];
	const char *td = getenv("BPFALERT_TESTDATA");
	snprintf(def, sizeof(def), "%s/tetragon/events.jsonl",
		 td ? td : "../shared/testdata");
	const char *path = argc > 1 ? argv[1] : def;
	size_t events = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	struct lines l = {0};
	load(path, &l);
	if (!l.n || !events) {
		fprintf(stderr, "flatten_bench: no events\n");
		return 1;
	}
	struct bench b;
	bench_init(&b, &l);
	size_t batch = l.n * 40, nbatches = (events + batch - 1) / batch;
	double *ns[MODES];
	for (int m = 0; m < MODES; m++)
		ns[m] = xcalloc(nbatches, sizeof(double));
	for (int m = 0; m < MODES; m++) /* warm up */
		run(&b, (enum mode)m, batch);
	for (size_t i = 0; i < nbatches; i++)
		for (int m = 0; m < MODES; m++)
			ns[m][i] = run(&b, (enum mode)m, batch) * 1e9 / (double)batch;

	printf("flatten_bench: %zu events from %s (%zu distinct lines), "
	       "median of %zu batches\n", nbatches * batch, path, l.n, nbatches);
	double med[MODES];
	for (int m = 0; m < MODES; m++) {
		qsort(ns[m], nbatches, sizeof(double), cmp_double);
		med[m] = ns[m][nbatches / 2];
		printf("  %-28s %8.0f ns/event", mode_names[m], med[m]);
		if (m == FLATTEN0 || m == FLATTEN || m == JSONC)
			printf("  %5.1f%% of parse-only rate  (%.1f values/event)",
			       100 * med[PARSE] / med[m], b.values[m]);
		else if (m == WALK)
			printf("  %5.1f%% of parse-only time", 100 * med[m] / med[PARSE]);
		printf("\n");
		free(ns[m]);
	}
	bench_fini(&b);
	for (size_t i = 0; i < l.n; i++)
		free(l.text[i]);
	free(l.text);
	free(l.len);
	return 0;
}
