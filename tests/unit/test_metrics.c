/* The metrics endpoint, served on the real loop and fetched over real TCP
 * by libcurl from a second thread (the loop thread must keep running to
 * answer).  The page is parsed back: HELP/TYPE lines, escaped labels,
 * number formats; /healthz, 404, 405, port 0, IPv6, bad addresses. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "testutil.h"
#include "xalloc.h"

#define DEADLINE_MS 15000

struct fetch {
	char url[256];
	const char *method;         /* NULL: GET */
	long status;
	char *body;
	size_t len;
	char *content_type;
	char *allow;
	atomic_int done;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct fetch *f = ctx;
	f->body = xrealloc(f->body, f->len + size * n + 1);
	memcpy(f->body + f->len, data, size * n);
	f->len += size * n;
	f->body[f->len] = '\0';
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct fetch *f = ctx;
	size_t len = size * n;
	if (len > 6 && !strncasecmp(data, "Allow:", 6)) {
		free(f->allow);
		f->allow = xstrndup(data + 7, len - 7 - 2);
	}
	return len;
}

static void *fetch_thread(void *arg)
{
	struct fetch *f = arg;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (f->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, f->method);
	if (curl_easy_perform(c) == CURLE_OK) {
		char *ct = NULL;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		f->content_type = ct ? xstrdup(ct) : NULL;
	}
	curl_easy_cleanup(c);
	atomic_store(&f->done, 1);
	return NULL;
}

/* Fetches url while the calling thread runs the loop. */
static void fetch(loop *l, struct fetch *f, const char *method, const char *url)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->url, sizeof(f->url), "%s", url);
	f->method = method;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, fetch_thread, f), 0);
	int64_t end = loop_now() + DEADLINE_MS;
	while (!atomic_load(&f->done) && loop_now() < end)
		loop_run_once(l, 50);
	pthread_join(t, NULL);
	if (!f->body)
		f->body = xstrdup("");
}

static void fetch_free(struct fetch *f)
{
	free(f->body);
	free(f->content_type);
	free(f->allow);
}

struct page {
	int renders;
	pthread_t renderer;
	const char *odd_label;
};

static void render(void *ctx, metrics_writer *w)
{
	struct page *p = ctx;
	p->renders++;
	p->renderer = pthread_self();
	metrics_family(w, "bpfalert_events_total", "counter",
		       "Events read, by source and kind.\nBackslash \\ too.");
	metrics_sample(w, "bpfalert_events_total",
		       (const char *const[]){ "source", "tetragon", "kind", "process_exec", NULL },
		       42);
	metrics_sample(w, "bpfalert_events_total",
		       (const char *const[]){ "source", "bpf", "kind", p->odd_label, NULL },
		       123456789012.0);
	metrics_family(w, "bpfalert_queue_depth", "gauge", "Queued notifications.");
	metrics_sample(w, "bpfalert_queue_depth", NULL, 0);
	metrics_sample(w, "bpfalert_queue_depth", (const char *const[]){ NULL }, -3);
	metrics_sample(w, "bpfalert_queue_depth", (const char *const[]){ "x", "y", NULL }, 0.1);
	metrics_sample(w, "bpfalert_queue_depth", (const char *const[]){ "x", "big", NULL }, 1e20);
	metrics_sample(w, "bpfalert_queue_depth", (const char *const[]){ "x", "nan", NULL }, 0.0 / 0.0);
	metrics_sample(w, "bpfalert_queue_depth", (const char *const[]){ "x", "inf", NULL }, 1.0 / 0.0);
	metrics_sample(w, "bpfalert_queue_depth", (const char *const[]){ "x", "ninf", NULL }, -1.0 / 0.0);
}

static metrics_server *start(loop *l, const char *listen, struct page *p)
{
	char err[256] = "";
	metrics_server *m = metrics_server_new(l, listen, render, p, err, sizeof(err));
	ck_assert_msg(m != NULL, "metrics_server_new: %s", err);
	ck_assert_int_gt(metrics_server_port(m), 0);
	return m;
}

static char *url(const char *host, const metrics_server *m, const char *path)
{
	return xasprintf("http://%s:%d%s", host, metrics_server_port(m), path);
}

/* The body's lines, in order. */
static size_t split_lines(char *body, char **lines, size_t max)
{
	size_t n = 0;
	for (char *p = body; *p && n < max;) {
		char *nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "last line without newline: %s", p);
		*nl = '\0';
		lines[n++] = p;
		p = nl + 1;
	}
	return n;
}

START_TEST(metrics_page_in_text_format)
{
	loop *l = loop_new();
	struct page p = { .odd_label = "quote\" backslash\\ newline\n bad\xff end" };
	metrics_server *m = start(l, "127.0.0.1:0", &p);
	char *u = url("127.0.0.1", m, "/metrics");
	struct fetch f;
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	ck_assert_str_eq(f.content_type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_int_eq(p.renders, 1);
	ck_assert(pthread_equal(p.renderer, pthread_self()));
	char *lines[32];
	size_t n = split_lines(f.body, lines, 32);
	const char *want[] = {
		"# HELP bpfalert_events_total Events read, by source and kind.\\nBackslash \\\\ too.",
		"# TYPE bpfalert_events_total counter",
		"bpfalert_events_total{source=\"tetragon\",kind=\"process_exec\"} 42",
		"bpfalert_events_total{source=\"bpf\",kind=\"quote\\\" backslash\\\\ newline\\n bad\xEF\xBF\xBD end\"} 123456789012",
		"# HELP bpfalert_queue_depth Queued notifications.",
		"# TYPE bpfalert_queue_depth gauge",
		"bpfalert_queue_depth 0",
		"bpfalert_queue_depth -3",
		"bpfalert_queue_depth{x=\"y\"} 0.1",
		"bpfalert_queue_depth{x=\"big\"} 1e+20",
		"bpfalert_queue_depth{x=\"nan\"} NaN",
		"bpfalert_queue_depth{x=\"inf\"} +Inf",
		"bpfalert_queue_depth{x=\"ninf\"} -Inf",
	};
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(lines[i], want[i]);
	fetch_free(&f);

	/* Each scrape renders afresh. */
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	ck_assert_int_eq(p.renders, 2);
	fetch_free(&f);
	free(u);
	metrics_server_free(&m);
	ck_assert_ptr_null(m);
	loop_free(&l);
}
END_TEST

START_TEST(healthz_404_and_405)
{
	loop *l = loop_new();
	struct page p = { .odd_label = "" };
	metrics_server *m = start(l, "127.0.0.1:0", &p);
	struct fetch f;
	char *u = url("127.0.0.1", m, "/healthz");
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	ck_assert_str_eq(f.body, "ok\n");
	fetch_free(&f);
	free(u);

	u = url("127.0.0.1", m, "/metricsx");
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 404);
	fetch_free(&f);
	free(u);

	u = url("127.0.0.1", m, "/");
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 404);
	fetch_free(&f);
	free(u);

	u = url("127.0.0.1", m, "/metrics");
	fetch(l, &f, "POST", u);
	ck_assert_int_eq(f.status, 405);
	ck_assert_str_eq(f.allow, "GET, HEAD");
	fetch_free(&f);
	fetch(l, &f, "DELETE", u);
	ck_assert_int_eq(f.status, 405);
	fetch_free(&f);
	ck_assert_int_eq(p.renders, 0);

	/* A query string does not change the page. */
	free(u);
	u = url("127.0.0.1", m, "/metrics?format=x");
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	ck_assert_int_eq(p.renders, 1);
	fetch_free(&f);
	free(u);
	metrics_server_free(&m);
	loop_free(&l);
}
END_TEST

static bool ipv6_loopback_works(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

START_TEST(ipv6_address_in_brackets)
{
	if (!ipv6_loopback_works())
		return;   /* no IPv6 here: nothing to test */
	loop *l = loop_new();
	struct page p = { .odd_label = "" };
	metrics_server *m = start(l, "[::1]:0", &p);
	char *u = url("[::1]", m, "/healthz");
	struct fetch f;
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	fetch_free(&f);
	free(u);
	metrics_server_free(&m);
	loop_free(&l);
}
END_TEST

static void count_log(void *ctx, enum log_level level, const char *msg)
{
	if (strstr(msg, "metrics: "))
		(*(int *)ctx)++;
}

START_TEST(bad_addresses_and_busy_ports_are_errors)
{
	loop *l = loop_new();
	struct page p = { .odd_label = "" };
	char err[256];
	int logged = 0;
	log_set_sink(count_log, &logged);
	ck_assert_ptr_null(metrics_server_new(l, "", render, &p, err, sizeof(err)));
	ck_assert_ptr_null(metrics_server_new(l, "9782", render, &p, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "HOST:PORT"));
	ck_assert_ptr_null(metrics_server_new(l, "127.0.0.1:", render, &p, err, sizeof(err)));
	ck_assert_ptr_null(metrics_server_new(l, "127.0.0.1:http", render, &p, err, sizeof(err)));
	metrics_server *m = start(l, "127.0.0.1:0", &p);
	char *busy = xasprintf("127.0.0.1:%d", metrics_server_port(m));
	ck_assert_ptr_null(metrics_server_new(l, busy, render, &p, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot listen on"));
	ck_assert_int_ge(logged, 1);   /* libmicrohttpd's reason, through our log */
	log_set_sink(NULL, NULL);
	/* The first server is unaffected. */
	char *u = url("127.0.0.1", m, "/healthz");
	struct fetch f;
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	fetch_free(&f);
	free(u);
	free(busy);
	metrics_server_free(&m);
	loop_free(&l);
}
END_TEST

START_TEST(idle_connection_does_not_block_others)
{
	loop *l = loop_new();
	struct page p = { .odd_label = "" };
	metrics_server *m = start(l, "127.0.0.1:0", &p);
	/* A client that connects and says nothing. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)metrics_server_port(m)) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char *u = url("127.0.0.1", m, "/metrics");
	struct fetch f;
	fetch(l, &f, NULL, u);
	ck_assert_int_eq(f.status, 200);
	fetch_free(&f);
	free(u);
	close(fd);
	metrics_server_free(&m);
	loop_free(&l);
}
END_TEST

Suite *metrics_suite(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, metrics_page_in_text_format);
	tcase_add_test(tc, healthz_404_and_405);
	tcase_add_test(tc, ipv6_address_in_brackets);
	tcase_add_test(tc, bad_addresses_and_busy_ports_are_errors);
	tcase_add_test(tc, idle_connection_does_not_block_others);
	suite_add_tcase(s, tc);
	return s;
}
