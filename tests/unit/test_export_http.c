/* HTTP exports (DESIGN §12) against a real receiver (tests/tools/receiver.py)
 * and a real `bpfalert run`: Parseable's request shape, the other formats,
 * batching, an outage of the receiver and a restart of bpfalert in the
 * middle of a stream (every event arrives; duplicates only as many as the
 * daemon reports resending), and the disk buffer dropping oldest first. */
#include <arpa/inet.h>
#include <check.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "../tools/daemon_client.h"
#include "../tools/receiver_client.h"
#include "export_buffer.h"
#include "export_parseable.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void) { dir = make_temp_dir(); }
static void teardown(void)
{
	rm_rf(dir);
	free(dir);
}

static const char *input(void) { return testdata_path("tetragon/events.jsonl"); }

/* ---- decoding what the receiver logged ---- */

static unsigned char *b64_decode(const char *s, size_t *len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	unsigned char *out = xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *p = strchr(tbl, s[i]);
		ck_assert_ptr_nonnull(p);
		acc = acc << 6 | (unsigned)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*len = o;
	return out;
}

static char *gunzip(const unsigned char *in, size_t len, size_t *outlen)
{
	z_stream z = { 0 };
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	size_t cap = len * 8 + 1024;
	char *out = xmalloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	int rc;
	do {
		if (z.total_out + 1 >= cap)
			out = xrealloc(out, cap *= 2);
		z.next_out = (Bytef *)out + z.total_out;
		z.avail_out = (uInt)(cap - 1 - z.total_out);
		rc = inflate(&z, Z_FINISH);
	} while (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_out == 0));
	ck_assert_int_eq(rc, Z_STREAM_END);
	*outlen = z.total_out;
	out[*outlen] = '\0';
	inflateEnd(&z);
	return out;
}

/* The body of a logged request, decoded (gzip when it says so). */
static char *body_of(struct json_object *req, size_t *len)
{
	size_t n;
	unsigned char *raw = b64_decode(request_str(req, "body_b64"), &n);
	const char *enc = request_header(req, "Content-Encoding");
	if (enc && !strcmp(enc, "gzip")) {
		char *t = gunzip(raw, n, len);
		free(raw);
		return t;
	}
	char *t = xmalloc(n + 1);
	memcpy(t, raw, n);
	t[n] = '\0';
	free(raw);
	*len = n;
	return t;
}

static struct json_object *body_json(struct json_object *req)
{
	size_t n;
	char *t = body_of(req, &n);
	struct json_object *o = json_tokener_parse(t);
	ck_assert_msg(o != NULL, "body is not JSON: %.200s", t);
	free(t);
	return o;
}

/* ---- running bpfalert ---- */

static char *write_conf(const char *sources, const char *exports, const char *listen)
{
	char *conf = xasprintf("state_dir = \"%s/state\";\nmetrics: { listen = \"%s\"; };\n"
			       "sources: { bpf: { enabled = false; }; tetragon: { %s }; };\n"
			       "targets: { out: { type = \"file\"; path = \"%s/alerts.jsonl\";\n"
			       "  repeat = { interval = \"1h\"; times = 1; }; send_resolved = false; }; };\n"
			       "exports: { %s };\n", dir, listen, sources, dir, exports);
	char *p = write_file(dir, "bpfalert.conf", conf);
	chmod(p, 0600);
	free(conf);
	return p;
}

static char *rules_dir(const char *rules)
{
	char *r = xasprintf("%s/rules.d", dir);
	mkdir(r, 0700);
	if (rules) {
		char *f = write_file(r, "a.rules", rules);
		chmod(f, 0600);
		free(f);
	}
	return r;
}

static void run_over_input(const char *exports)
{
	char *src = xasprintf("enabled = true; path = \"%s\"; follow = false;", input());
	char *conf = write_conf(src, exports, ""), *rd = rules_dir(NULL);
	char *cmd = xasprintf("'%s' run -f -c '%s' -r '%s' 2>&1", bpfalert_bin(), conf, rd);
	int st;
	char *out = run_capture(cmd, &st);
	ck_assert_msg(st == 0, "exit %d\n%s", st, out);
	free(out);
	free(cmd);
	free(rd);
	free(conf);
	free(src);
}

static size_t input_events(struct json_object ***out)
{
	char *text = slurp(input(), NULL);
	size_t n = 0, cap = 0;
	struct json_object **v = NULL;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = json_tokener_parse(l);
	}
	free(text);
	*out = v;
	return n;
}

static void free_objs(struct json_object **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(v[i]);
	free(v);
}

/* Every scalar of `ev` reached through objects only is in `flat` under
 * its path joined with "_", with the same value; arrays of objects are
 * columns as long as the array. */
static void check_flat(struct json_object *ev, struct json_object *flat, const char *prefix)
{
	json_object_object_foreach(ev, k, v) {
		char *name = prefix ? xasprintf("%s_%s", prefix, k) : xstrdup(k);
		struct json_object *got = NULL;
		if (json_object_is_type(v, json_type_object)) {
			check_flat(v, flat, name);
		} else if (json_object_is_type(v, json_type_array) &&
			   json_object_array_length(v) &&
			   json_object_is_type(json_object_array_get_idx(v, 0), json_type_object)) {
			bool found = false;
			json_object_object_foreach(flat, fk, fv) {
				if (!strncmp(fk, name, strlen(name)) && fk[strlen(name)] == '_') {
					ck_assert(json_object_is_type(fv, json_type_array));
					ck_assert_uint_eq(json_object_array_length(fv), json_object_array_length(v));
					found = true;
				}
			}
			ck_assert_msg(found, "no column for %s", name);
		} else {
			ck_assert_msg(json_object_object_get_ex(flat, name, &got), "no %s", name);
			ck_assert_msg(json_object_equal(v, got), "%s differs", name);
		}
		free(name);
	}
}

START_TEST(parseable_requests_as_parseable_takes_them)
{
	struct receiver *r = receiver_start(dir, "");
	ck_assert_ptr_nonnull(r);
	char *url = receiver_url(r, "http", "/");
	char *exports = xasprintf("store: { type = \"parseable\"; endpoint = \"%s\"; stream = \"tetrademo\";\n"
				  "  username = \"admin\"; password = \"s3cret\"; batch = { max_events = 10; }; };", url);
	run_over_input(exports);
	struct json_object *reqs = receiver_requests(r);
	struct json_object **in;
	size_t nin = input_events(&in), k = 0;
	ck_assert_uint_eq(json_object_array_length(reqs), (nin + 9) / 10);
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		struct json_object *q = json_object_array_get_idx(reqs, i);
		ck_assert_str_eq(request_str(q, "method"), "POST");
		ck_assert_str_eq(request_str(q, "path"), "/api/v1/ingest");
		ck_assert_str_eq(request_header(q, "X-P-Stream"), "tetrademo");
		ck_assert_str_eq(request_header(q, "Content-Type"), "application/json");
		ck_assert_str_eq(request_header(q, "Content-Encoding"), "gzip");
		/* base64("admin:s3cret") */
		ck_assert_str_eq(request_header(q, "Authorization"), "Basic YWRtaW46czNjcmV0");
		struct json_object *arr = body_json(q);
		ck_assert(json_object_is_type(arr, json_type_array));
		ck_assert_uint_eq(json_object_array_length(arr), i + 1 < json_object_array_length(reqs) ? 10 : nin - 10 * i);
		for (size_t j = 0; j < json_object_array_length(arr); j++, k++) {
			struct json_object *flat = json_object_array_get_idx(arr, j);
			json_object_object_foreach(flat, fk, fv) {
				(void)fk;
				ck_assert(!json_object_is_type(fv, json_type_object));
			}
			check_flat(in[k], flat, NULL);
		}
		json_object_put(arr);
	}
	ck_assert_uint_eq(k, nin);
	free_objs(in, nin);
	json_object_put(reqs);
	receiver_stop(&r);
	free(exports);
	free(url);
}
END_TEST

/* Parseable's own cases (src/utils/json/flatten.rs tests), with "_". */
START_TEST(parseable_flattening_cases)
{
	static const char *const cases[][2] = {
		{ "{\"key\":\"value\"}", "{\"key\":\"value\"}" },
		{ "{\"key\":\"value\",\"nested_key\":{\"key\":\"value\"}}",
		  "{\"key\":\"value\",\"nested_key_key\":\"value\"}" },
		{ "{\"key\":\"value\",\"nested_key\":{\"key1\":[1,2,3]}}",
		  "{\"key\":\"value\",\"nested_key_key1\":[1,2,3]}" },
		{ "{\"key\":[{\"a\":\"value0\"},{\"a\":\"value1\"}]}",
		  "{\"key_a\":[\"value0\",\"value1\"]}" },
		{ "{\"key\":[{\"a\":\"value0\"},{\"a\":\"value1\",\"b\":\"value1\"}]}",
		  "{\"key_a\":[\"value0\",\"value1\"],\"key_b\":[null,\"value1\"]}" },
		{ "{\"key\":[{\"a\":\"value0\",\"b\":\"value0\"},{\"a\":\"value1\"}]}",
		  "{\"key_a\":[\"value0\",\"value1\"],\"key_b\":[\"value0\",null]}" },
		{ "{\"key\":[{\"a\":{\"p\":0},\"b\":\"value0\"},{\"b\":\"value1\"}]}",
		  "{\"key_a_p\":[0,null],\"key_b\":[\"value0\",\"value1\"]}" },
		{ "{\"key\":[{\"a\":[{\"p\":\"value0\",\"q\":\"value0\"},{\"p\":\"value1\",\"q\":null}],\"b\":\"value0\"},{\"b\":\"value1\"}]}",
		  "{\"key_a_p\":[[\"value0\",\"value1\"],null],\"key_a_q\":[[\"value0\",null],null],\"key_b\":[\"value0\",\"value1\"]}" },
		{ "{\"key\":[null,{\"p\":2,\"q\":2},{\"q\":3}]}", "{\"key_p\":[null,2,null],\"key_q\":[null,2,3]}" },
		{ "{\"@timestamp\":\"t\",\"a\":{\"b.c/d\":1}}", "{\"_timestamp\":\"t\",\"a_b.c/d\":1}" },
		{ "{\"a\":42,\"arr\":[\"1\",{\"key\":\"2\"}]}", "{\"a\":42,\"arr\":[\"1\",{\"key\":\"2\"}]}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *in = json_tokener_parse(cases[i][0]);
		struct json_object *want = json_tokener_parse(cases[i][1]);
		struct json_object *got = export_parseable_flatten(in);
		ck_assert_msg(json_object_equal(want, got), "case %zu: %s", i,
			      json_object_to_json_string(got));
		json_object_put(in);
		json_object_put(want);
		json_object_put(got);
	}
}
END_TEST

/* The lines of the input that are events, as text. */
static size_t input_lines(char ***out)
{
	char *text = slurp(input(), NULL);
	size_t n = 0, cap = 0;
	char **v = NULL, *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = xstrdup(l);
	}
	free(text);
	*out = v;
	return n;
}

START_TEST(ndjson_json_loki_and_elasticsearch_bodies)
{
	struct receiver *r = receiver_start(dir, "");
	ck_assert_ptr_nonnull(r);
	char *base = receiver_url(r, "http", "");
	char *exports = xasprintf(
		"nd: { type = \"http\"; endpoint = \"%s/nd\"; headers = { X-Token = \"t1\"; }; };\n"
		"arr: { type = \"http\"; endpoint = \"%s/arr\"; format = \"json\"; compression = \"gzip\"; };\n"
		"loki: { type = \"http\"; endpoint = \"%s/loki/api/v1/push\"; format = \"loki\";\n"
		"  labels = { job = \"bpfalert\"; node = \"n1\"; }; };\n"
		"es: { type = \"http\"; endpoint = \"%s/_bulk\"; format = \"elasticsearch\"; index = \"tetra\"; };\n",
		base, base, base, base);
	run_over_input(exports);
	char **lines;
	size_t n = input_lines(&lines);
	struct json_object *reqs = receiver_requests(r);
	ck_assert_uint_eq(json_object_array_length(reqs), 4);
	for (size_t i = 0; i < 4; i++) {
		struct json_object *q = json_object_array_get_idx(reqs, i);
		const char *path = request_str(q, "path");
		size_t len;
		char *body = body_of(q, &len);
		if (!strcmp(path, "/nd")) {
			ck_assert_str_eq(request_header(q, "Content-Type"), "application/x-ndjson");
			ck_assert_str_eq(request_header(q, "X-Token"), "t1");
			char *want = slurp(input(), NULL);
			ck_assert_str_eq(body, want);
			free(want);
		} else if (!strcmp(path, "/arr")) {
			struct json_object *a = json_tokener_parse(body);
			ck_assert_uint_eq(json_object_array_length(a), n);
			for (size_t j = 0; j < n; j++) {
				struct json_object *e = json_tokener_parse(lines[j]);
				ck_assert(json_object_equal(e, json_object_array_get_idx(a, j)));
				json_object_put(e);
			}
			json_object_put(a);
		} else if (!strcmp(path, "/loki/api/v1/push")) {
			struct json_object *o = json_tokener_parse(body), *streams, *s0, *labels, *values;
			ck_assert(json_object_object_get_ex(o, "streams", &streams));
			s0 = json_object_array_get_idx(streams, 0);
			ck_assert(json_object_object_get_ex(s0, "stream", &labels));
			ck_assert_str_eq(json_object_to_json_string_ext(labels, JSON_C_TO_STRING_PLAIN),
					 "{\"job\":\"bpfalert\",\"node\":\"n1\"}");
			ck_assert(json_object_object_get_ex(s0, "values", &values));
			ck_assert_uint_eq(json_object_array_length(values), n);
			for (size_t j = 0; j < n; j++) {
				struct json_object *v = json_object_array_get_idx(values, j);
				ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 1)), lines[j]);
				const char *ts = json_object_get_string(json_object_array_get_idx(v, 0));
				ck_assert(strspn(ts, "0123456789") == strlen(ts) && strlen(ts) >= 18);
			}
			json_object_put(o);
		} else {
			ck_assert_str_eq(path, "/_bulk");
			char *p = body;
			for (size_t j = 0; j < n; j++) {
				char *nl = strchr(p, '\n');
				ck_assert(nl && !strncmp(p, "{\"create\":{\"_index\":\"tetra\"}}\n", (size_t)(nl - p + 1)));
				p = nl + 1;
				nl = strchr(p, '\n');
				ck_assert(nl && (size_t)(nl - p) == strlen(lines[j]) && !strncmp(p, lines[j], strlen(lines[j])));
				p = nl + 1;
			}
			ck_assert_str_eq(p, "");
		}
		free(body);
	}
	for (size_t j = 0; j < n; j++)
		free(lines[j]);
	free(lines);
	json_object_put(reqs);
	receiver_stop(&r);
	free(exports);
	free(base);
}
END_TEST

/* ---- a stream with an outage and a restart ---- */

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	return ntohs(sa.sin_port);
}

static double metric(int port, const char *name)
{
	char *cmd = xasprintf("curl -s http://127.0.0.1:%d/metrics", port);
	int st;
	char *page = run_capture(cmd, &st);
	double v = -1;
	for (char *p = page; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, strlen(name)) && p[strlen(name)] == ' ')
			v = strtod(p + strlen(name) + 1, NULL);
	free(page);
	free(cmd);
	return v;
}

static void append_events(const char *path, int first, int n)
{
	FILE *f = fopen(path, "a");
	for (int i = first; i < first + n; i++)
		fprintf(f, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\",\"arguments\":\"/etc/hosts\","
			   "\"pid\":%d,\"uid\":0,\"tid\":%d}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n",
			i, i);
	fclose(f);
}

/* How many times each pid 1..max has reached the store: every request
 * logged by the receivers (their logs outlive them). */
static void tally(char *const *logs, size_t nlogs, int *seen, int max)
{
	memset(seen, 0, sizeof(int) * (size_t)(max + 1));
	for (size_t i = 0; i < nlogs; i++) {
		char *text = logs[i] ? slurp(logs[i], NULL) : NULL, *save = NULL;
		for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			struct json_object *q = json_tokener_parse(l);
			struct json_object *arr = body_json(q);
			for (size_t j = 0; j < json_object_array_length(arr); j++) {
				struct json_object *pid;
				ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, j),
								    "process_exec_process_pid", &pid));
				int p = json_object_get_int(pid);
				ck_assert(p >= 1 && p <= max);
				seen[p]++;
			}
			json_object_put(arr);
			json_object_put(q);
		}
		free(text);
	}
}

static int count_seen(const int *seen, int max)
{
	int n = 0;
	for (int p = 1; p <= max; p++)
		n += seen[p] > 0;
	return n;
}

static bool wait_seen(char *const *logs, size_t nlogs, int *seen, int max, int want)
{
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		tally(logs, nlogs, seen, max);
		if (count_seen(seen, max) >= want)
			return true;
		sleep_ms(100);
	}
	return false;
}

START_TEST(outage_and_restart_lose_no_event)
{
	enum { TOTAL = 120 };
	int port = free_port(), mport = free_port();
	char args[64], listen[32];
	snprintf(args, sizeof(args), "--port %d", port);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", mport);
	struct receiver *r = receiver_start(dir, args);
	ck_assert_ptr_nonnull(r);
	char *logs[2] = { xstrdup(r->log_path), NULL };
	char *events = xasprintf("%s/tetragon.log", dir);
	free(write_file(dir, "tetragon.log", ""));
	char *src = xasprintf("enabled = true; path = \"%s\"; follow = true;", events);
	char *exports = xasprintf("store: { type = \"parseable\"; endpoint = \"http://127.0.0.1:%d\";\n"
				  "  stream = \"tetrademo\"; batch = { max_events = 7; timeout = \"200ms\"; };\n"
				  "  retry_max = \"500ms\"; timeout = \"2s\"; };", port);
	char *conf = write_conf(src, exports, listen), *rd = rules_dir(NULL);
	struct daemon_proc *d = daemon_start_in(dir, conf, rd);
	int seen[TOTAL + 1];
	for (int i = 0; i < 4; i++) {
		append_events(events, 1 + 10 * i, 10);
		sleep_ms(50);
	}
	ck_assert(wait_seen(logs, 1, seen, TOTAL, 14));
	/* the store goes down in the middle of the stream (SIGKILL: a request
	 * may be received and never answered) */
	receiver_stop(&r);
	append_events(events, 41, 40);
	sleep_ms(1500);
	ck_assert_msg(metric(mport, "bpfalert_export_retries_total{export=\"store\"}") >= 1,
		      "no failed attempt while the store was down");
	double resent = metric(mport, "bpfalert_export_resent_events_total{export=\"store\"}");
	/* bpfalert restarts while the store is still down */
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	append_events(events, 81, 20);
	d = daemon_start_in(dir, conf, rd);
	append_events(events, 101, 10);
	sleep_ms(300);
	r = receiver_start(dir, args);           /* the store is back */
	ck_assert_ptr_nonnull(r);
	logs[1] = xstrdup(r->log_path);
	append_events(events, 111, 10);
	ck_assert_msg(wait_seen(logs, 2, seen, TOTAL, TOTAL), "%d of %d events in the store",
		      count_seen(seen, TOTAL), TOTAL);
	sleep_ms(500);                           /* nothing more should come */
	tally(logs, 2, seen, TOTAL);
	int dups = 0;
	for (int p = 1; p <= TOTAL; p++)
		dups += seen[p] - 1;
	resent += metric(mport, "bpfalert_export_resent_events_total{export=\"store\"}");
	ck_assert_msg(dups <= resent, "%d duplicates, %g events reported resent", dups, resent);
	fprintf(stderr, "export outage test: %d events, %d duplicates, %g reported resent\n",
		TOTAL, dups, resent);
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	receiver_stop(&r);
	free(logs[0]);
	free(logs[1]);
	free(rd);
	free(conf);
	free(exports);
	free(src);
	free(events);
}
END_TEST

/* A crash (SIGKILL) in the middle of a stream, the store up: every event
 * still arrives.  Events accepted since the source last saved its position
 * are read again after the restart, so duplicates are allowed here (the
 * at-least-once of a crash), and reported. */
START_TEST(crash_mid_stream_loses_no_event)
{
	enum { TOTAL = 90 };
	struct receiver *r = receiver_start(dir, "");
	ck_assert_ptr_nonnull(r);
	char *logs[1] = { r->log_path };
	char *events = xasprintf("%s/tetragon.log", dir);
	free(write_file(dir, "tetragon.log", ""));
	char *src = xasprintf("enabled = true; path = \"%s\"; follow = true;", events);
	char *exports = xasprintf("store: { type = \"parseable\"; endpoint = \"http://127.0.0.1:%d\";\n"
				  "  stream = \"tetrademo\"; batch = { max_events = 1000; timeout = \"30s\"; }; };",
				  r->port);
	char *conf = write_conf(src, exports, ""), *rd = rules_dir(NULL);
	struct daemon_proc *d = daemon_start_in(dir, conf, rd);
	int seen[TOTAL + 1];
	append_events(events, 1, 30);
	append_events(events, 31, 30);
	sleep_ms(1000);      /* read and buffered, not yet sent (30 s batches) */
	tally(logs, 1, seen, TOTAL);
	ck_assert_int_eq(count_seen(seen, TOTAL), 0);
	kill(d->pid, SIGKILL);
	ck_assert_int_eq(daemon_stop(&d, NULL), 128 + SIGKILL);
	d = daemon_start_in(dir, conf, rd);
	append_events(events, 61, 30);
	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);   /* a clean stop sends all */
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	tally(logs, 1, seen, TOTAL);
	int dups = 0;
	for (int p = 1; p <= TOTAL; p++)
		dups += seen[p] > 1 ? seen[p] - 1 : 0;
	ck_assert_msg(count_seen(seen, TOTAL) == TOTAL, "%d of %d events in the store",
		      count_seen(seen, TOTAL), TOTAL);
	fprintf(stderr, "export crash test: %d events, %d duplicates\n", TOTAL, dups);
	receiver_stop(&r);
	free(rd);
	free(conf);
	free(exports);
	free(src);
	free(events);
}
END_TEST

/* ---- replay: a backfill ---- */

static int replay(const char *exports, const char *deadline, const char *in, char **out)
{
	char *conf = write_conf("enabled = false;", exports, ""), *rd = rules_dir(NULL);
	char *cmd = xasprintf("'%s' replay -c '%s' -r '%s' -i '%s' %s%s 2>&1", bpfalert_bin(),
			      conf, rd, in, deadline ? "--deadline " : "", deadline ? deadline : "");
	int st;
	*out = run_capture(cmd, &st);
	free(cmd);
	free(rd);
	free(conf);
	return st;
}

START_TEST(replay_backfills_a_store_within_its_deadline)
{
	int port = free_port();
	char args[64];
	snprintf(args, sizeof(args), "--port %d", port);
	char *exports = xasprintf("store: { type = \"parseable\"; endpoint = \"http://127.0.0.1:%d\";\n"
				  "  stream = \"backfill\"; batch = { max_events = 5; }; };", port);
	/* the store is down: the deadline ends the wait, the events stay buffered */
	char *out;
	ck_assert_int_eq(replay(exports, "1s", input(), &out), 3);
	ck_assert_msg(strstr(out, "events not exported are left in"), "%s", out);
	free(out);
	/* the store is up: a replay of nothing sends what was buffered, and a
	 * replay of the input sends it again (a second backfill) */
	struct receiver *r = receiver_start(dir, args);
	ck_assert_ptr_nonnull(r);
	char *empty = write_file(dir, "empty.jsonl", "");
	ck_assert_int_eq(replay(exports, "20s", empty, &out), 0);
	free(out);
	struct json_object **in;
	size_t nin = input_events(&in), k = 0;
	struct json_object *reqs = receiver_requests(r);
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		struct json_object *q = json_object_array_get_idx(reqs, i);
		ck_assert_str_eq(request_header(q, "X-P-Stream"), "backfill");
		struct json_object *arr = body_json(q);
		for (size_t j = 0; j < json_object_array_length(arr); j++, k++)
			check_flat(in[k], json_object_array_get_idx(arr, j), NULL);
		json_object_put(arr);
	}
	ck_assert_uint_eq(k, nin);
	json_object_put(reqs);
	free_objs(in, nin);
	receiver_stop(&r);
	free(empty);
	free(exports);
}
END_TEST

/* ---- the buffer's bound ---- */

START_TEST(full_buffer_drops_the_oldest_batches_and_counts_them)
{
	struct export_stats st = { 0 };
	char err[256];
	char *bdir = xasprintf("%s/buf", dir);
	/* 2000 bytes: room for about 19 events of 100 bytes */
	export_buffer *b = export_buffer_open(bdir, "t", 2000, &st, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	char line[100];
	uint64_t first_id = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "{\"n\":%04d,\"pad\":\"%-70s\"}", i, "");
		ck_assert_int_eq(export_buffer_append(b, line, strlen(line)), 0);
		if (i % 5 == 4)
			export_buffer_seal(b);
		if (i == 4) {
			/* the first batch goes into flight: it must survive */
			char *t;
			size_t len, n;
			bool resent;
			ck_assert(export_buffer_take(b, &first_id, &t, &len, &n, &resent));
			ck_assert(!resent);
			free(t);
		}
	}
	ck_assert_uint_le(export_buffer_bytes(b), 2000);
	ck_assert_uint_eq(st.buffer_bytes, export_buffer_bytes(b));
	/* what is left: the batch in flight, then the newest, in order */
	export_buffer_remove(b, first_id);
	int next = -1, kept = 0;
	char *t;
	size_t len, n;
	bool resent;
	uint64_t id;
	while (export_buffer_take(b, &id, &t, &len, &n, &resent)) {
		for (char *p = t; *p; p = strchr(p, '\n') + 1) {
			int k = atoi(p + 5);
			if (next < 0)
				ck_assert_int_gt(k, 5);
			else
				ck_assert_int_eq(k, next);
			next = k + 1;
			kept++;
		}
		free(t);
		export_buffer_remove(b, id);
	}
	ck_assert_int_eq(next, 100);
	ck_assert_uint_eq(st.dropped + (unsigned)kept + 5, 100);
	ck_assert_uint_gt(st.dropped, 0);
	export_buffer_free(&b);
	free(bdir);
}
END_TEST

START_TEST(buffer_survives_a_crash_and_marks_resends)
{
	char err[256];
	char *bdir = xasprintf("%s/buf", dir);
	pid_t pid = fork();
	if (pid == 0) {
		/* a process that dies with a batch in flight and one open */
		struct export_stats st = { 0 };
		export_buffer *b = export_buffer_open(bdir, "t", 1 << 20, &st, err, sizeof(err));
		for (int i = 0; i < 3; i++)
			export_buffer_append(b, "{\"a\":1}", 7);
		export_buffer_seal(b);
		export_buffer_append(b, "{\"b\":2}", 7);
		char *t;
		size_t len, n;
		bool resent;
		uint64_t id;
		export_buffer_take(b, &id, &t, &len, &n, &resent);
		export_buffer_mark_sent(b, id);   /* its request started */
		abort();
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFSIGNALED(status));
	/* its last write was torn */
	char *open_name = xasprintf("%s/%020d.open", bdir, 2);
	FILE *f = fopen(open_name, "a");
	ck_assert_ptr_nonnull(f);
	fputs("{\"torn\":", f);
	fclose(f);
	struct export_stats st = { 0 };
	export_buffer *b = export_buffer_open(bdir, "t", 1 << 20, &st, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(st.buffer_bytes, 4 * 8);
	char *t;
	size_t len, n;
	bool resent;
	uint64_t id;
	ck_assert(export_buffer_take(b, &id, &t, &len, &n, &resent));
	ck_assert(resent);                       /* it may have been received */
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(t, "{\"a\":1}\n{\"a\":1}\n{\"a\":1}\n");
	free(t);
	export_buffer_remove(b, id);
	ck_assert(export_buffer_take(b, &id, &t, &len, &n, &resent));
	ck_assert(!resent);
	ck_assert_str_eq(t, "{\"b\":2}\n");      /* the torn line is cut */
	free(t);
	export_buffer_remove(b, id);
	ck_assert(!export_buffer_take(b, &id, &t, &len, &n, &resent));
	ck_assert(export_buffer_empty(b));
	export_buffer_free(&b);
	free(open_name);
	free(bdir);
}
END_TEST

Suite *export_http_suite(void)
{
	Suite *s = suite_create("export_http");
	TCase *tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, parseable_requests_as_parseable_takes_them);
	tcase_add_test(tc, parseable_flattening_cases);
	tcase_add_test(tc, ndjson_json_loki_and_elasticsearch_bodies);
	tcase_add_test(tc, outage_and_restart_lose_no_event);
	tcase_add_test(tc, crash_mid_stream_loses_no_event);
	tcase_add_test(tc, replay_backfills_a_store_within_its_deadline);
	tcase_add_test(tc, full_buffer_drops_the_oldest_batches_and_counts_them);
	tcase_add_test(tc, buffer_survives_a_crash_and_marks_resends);
	suite_add_tcase(s, tc);
	return s;
}
