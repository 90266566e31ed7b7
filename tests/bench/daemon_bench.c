/* daemon_bench — `bpfalert run` end to end, following a Tetragon file.
 *
 *   daemon_bench BPFALERT RULES100 EVENTS
 *
 * 1. Latency: 1,000 matching lines appended one at a time (2 ms apart);
 *    for each, the time from the write to the webhook request arriving at a
 *    local receiver (a thread in this program).  Prints p50/p99/max.
 * 2. Throughput: EVENTS appended at once with the 100-rule set loaded; the
 *    rate at which the daemon consumes them (from its own metrics) and its
 *    CPU time, as CPU per 10,000 events/s.
 * 3. With the kernel probes (as root): 1,000 processes each open a watched
 *    file once, 2 ms apart; for each, the time from just before open(2) to
 *    the webhook request naming that process arriving at the receiver.
 * 4. With the kernel probes and the 100-rule set: opens of distinct files
 *    of a watched directory at rising rates (2 s per step), each RATE_FILES
 *    of them by a new process, so that none is a repeat the kernel
 *    suppresses (per process and file); the highest rate at which the ring
 *    buffer lost nothing (bpfalert_events_lost_total) and every event was
 *    counted.
 * 5. Steady rate: EVENTS appended at 10,000 lines/s (100 lines every 10 ms)
 *    with the 100-rule set; the daemon's CPU over that time (every thread,
 *    from /proc/PID/task/STAR/schedstat) as a share of one core.
 *
 *   daemon_bench BPFALERT RULES100 EVENTS [PHASES]
 * 6. Exports (phase "export", not in the default set): every event to a
 *    Parseable export whose receiver (a thread here) answers each batch
 *    after 10 ms: the events per second exported and the daemon's CPU
 *    meanwhile; then the latency of phase 1 without and with that export,
 *    alternated three times.
 *
 * PHASES is a comma-separated subset of lat,tp,probe,rate,export (default
 * lat,tp,probe,rate; probe only as root). */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <sys/mman.h>

#define N_LAT 1000
#define MAX_KEY (1 << 22)   /* pids are keys too */

static int64_t *arrived_ns;  /* by key: the "seq N" in the request */
static atomic_int narrived;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Records the arrival of "seq N" found in each request body. */
static void handle(int fd)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	char buf[65536];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		char *end;
		while ((end = strstr(buf, "\r\n\r\n"))) {
			size_t head = (size_t)(end - buf) + 4, body = 0;
			char *cl = strcasestr(buf, "content-length:");
			if (cl && cl < end)
				body = strtoul(cl + 15, NULL, 10);
			if (len < head + body)
				break;
			char *seq = strstr(end, "seq ");
			if (seq) {
				long n = strtol(seq + 4, NULL, 10);
				if (n > 0 && n < MAX_KEY && !arrived_ns[n]) {
					arrived_ns[n] = now_ns();
					atomic_fetch_add(&narrived, 1);
				}
			}
			if (write(fd, ok, sizeof(ok) - 1) < 0)
				return;
			memmove(buf, buf + head + body, len - head - body);
			len -= head + body;
			buf[len] = '\0';
		}
	}
}

static void *connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	handle(fd);
	close(fd);
	return NULL;
}

/* One thread per connection: the daemon keeps several requests in flight
 * per target. */
static void *receiver(void *arg)
{
	int lfd = *(int *)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_t th;
		if (pthread_create(&th, NULL, connection, (void *)(intptr_t)fd) == 0)
			pthread_detach(th);
		else
			close(fd);
	}
}

static int listen_any(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	listen(fd, 64);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

static char dir[] = "/tmp/daemon-bench-XXXXXX";

static pid_t start_daemon(const char *bin, const char *conf, const char *rules)
{
	char sock[64];
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	int nfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	bind(nfd, (struct sockaddr *)&sa, sizeof(sa));
	pid_t pid = fork();
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", sock, 1);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execl(bin, "bpfalert", "run", "-f", "-c", conf, "-r", rules, NULL);
		_exit(127);
	}
	struct pollfd p = { .fd = nfd, .events = POLLIN };
	char buf[128];
	while (poll(&p, 1, 30000) == 1 && recv(nfd, buf, sizeof(buf), 0) > 0)
		if (!strncmp(buf, "READY=1", 7))
			break;
	close(nfd);
	return pid;
}

static void stop_daemon(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void latency_with(const char *bin, int port, const char *exports, const char *label);

static void latency(const char *bin, int port)
{
	latency_with(bin, port, "", "");
}

/* `exports`: the configuration's exports group ("" for none). */
static void latency_with(const char *bin, int port, const char *exports, const char *label)
{
	memset(arrived_ns, 0, sizeof(int64_t) * (N_LAT + 1));
	atomic_store(&narrived, 0);
	char conf[1024], rules[512], log[512], text[2048];
	snprintf(log, sizeof(log), "%s/lat.log", dir);
	snprintf(conf, sizeof(conf), "%s/lat.conf", dir);
	snprintf(rules, sizeof(rules), "%s/lat.rules", dir);
	FILE *f = fopen(conf, "w");
	/* A state directory per run: alert state survives restarts, and the
	 * instances of the run before would still be firing. */
	static int run;
	fprintf(f, "state_dir = \"%s/state-lat%d\";\nmetrics: { listen = \"\"; };\n"
		   "sources: { bpf: { enabled = false; }; tetragon: { enabled = true; path = \"%s\"; }; };\n"
		   "targets: { hook: { type = \"webhook\"; endpoint = \"http://127.0.0.1:%d/\"; send_resolved = false;\n"
		   "  repeat = { interval = \"1h\"; times = 1; }; }; };\nexports: { %s };\n",
		dir, run++, log, port, exports);
	fclose(f);
	f = fopen(rules, "w");
	fputs("alerts = ( { name = \"lat\"; message = \"seq {process_exec_process_pid}\";\n"
	      "  rule = \"process_exec_process_arguments =% \\\"/etc/passwd\\\"\";\n"
	      "  group_by = [ \"process_exec_process_pid\" ]; targets = [ \"hook\" ]; } );\n", f);
	fclose(f);
	chmod(conf, 0600);
	chmod(rules, 0600);
	close(open(log, O_CREAT | O_WRONLY, 0600));
	pid_t pid = start_daemon(bin, conf, rules);
	int fd = open(log, O_WRONLY | O_APPEND);
	int64_t sent[N_LAT + 1];
	for (int i = 1; i <= N_LAT; i++) {
		int n = snprintf(text, sizeof(text),
			"{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/cat\",\"arguments\":\"/etc/passwd\","
			"\"pid\":%d,\"uid\":0,\"tid\":%d}},\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n", i, i);
		sent[i] = now_ns();
		if (write(fd, text, (size_t)n) != n)
			break;
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
	for (int w = 0; w < 300 && atomic_load(&narrived) < N_LAT; w++)
		usleep(100000);
	stop_daemon(pid);
	int64_t lat[N_LAT];
	int n = 0;
	for (int i = 1; i <= N_LAT; i++)
		if (arrived_ns[i])
			lat[n++] = arrived_ns[i] - sent[i];
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp64);
	if (n == 0) {
		puts("latency: no webhook request arrived");
		return;
	}
	printf("latency line->webhook%s over %d events: p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 <= 10 ms)\n",
	       label, n, lat[n / 2] / 1e6, lat[(n * 99) / 100] / 1e6, lat[n - 1] / 1e6);
}

/* Each child opens the watched file once; its open time goes to shared
 * memory at its index. */
static void probe_latency(const char *bin, int port)
{
	char conf[512], rules[512], watched[256];
	snprintf(watched, sizeof(watched), "%s/watched", dir);
	close(open(watched, O_CREAT | O_WRONLY, 0600));
	snprintf(conf, sizeof(conf), "%s/probe.conf", dir);
	snprintf(rules, sizeof(rules), "%s/probe.rules", dir);
	FILE *f = fopen(conf, "w");
	fprintf(f, "state_dir = \"%s/state3\";\nmetrics: { listen = \"\"; };\n"
		   "probes: { files: { watch = [ \"%s\" ]; }; };\n"
		   "targets: { hook: { type = \"webhook\"; endpoint = \"http://127.0.0.1:%d/\"; send_resolved = false;\n"
		   "  repeat = { interval = \"1h\"; times = 1; }; }; };\n", dir, watched, port);
	fclose(f);
	f = fopen(rules, "w");
	fprintf(f, "alerts = ( { name = \"probe\"; message = \"seq {process_kprobe_process_pid}\";\n"
		   "  rule = \"process_kprobe_args_0_file_arg_path = \\\"%s\\\"\";\n"
		   "  group_by = [ \"process_kprobe_process_pid\" ]; targets = [ \"hook\" ]; } );\n", watched);
	fclose(f);
	chmod(conf, 0600);
	chmod(rules, 0600);
	pid_t dpid = start_daemon(bin, conf, rules);
	memset(arrived_ns, 0, sizeof(int64_t) * MAX_KEY);
	int64_t *opened = mmap(NULL, sizeof(int64_t) * (N_LAT + 1), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[N_LAT + 1];
	for (int i = 1; i <= N_LAT; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			opened[i] = now_ns();
			close(open(watched, O_RDONLY));
			_exit(0);
		}
		waitpid(pids[i], NULL, 0);
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	for (int w = 0; w < 100; w++) {
		int got = 0;
		for (int i = 1; i <= N_LAT; i++)
			got += arrived_ns[pids[i]] != 0;
		if (got == N_LAT)
			break;
		usleep(100000);
	}
	stop_daemon(dpid);
	int64_t lat[N_LAT];
	int n = 0;
	for (int i = 1; i <= N_LAT; i++)
		if (arrived_ns[pids[i]])
			lat[n++] = arrived_ns[pids[i]] - opened[i];
	munmap(opened, sizeof(int64_t) * (N_LAT + 1));
	if (n == 0) {
		puts("probes: no webhook request arrived (needs root and BPF)");
		return;
	}
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp64);
	printf("latency open(2)->webhook over %d opens: p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 <= 5 ms)\n",
	       n, lat[n / 2] / 1e6, lat[(n * 99) / 100] / 1e6, lat[n - 1] / 1e6);
}

static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU time of every thread of pid, in seconds (nanosecond counters). */
static double cpu_ns_seconds(pid_t pid)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	double total = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char f[512];
		snprintf(f, sizeof(f), "%s/%s/schedstat", path, e->d_name);
		FILE *fp = fopen(f, "r");
		unsigned long long ns = 0;
		if (fp && fscanf(fp, "%llu", &ns) == 1)
			total += (double)ns / 1e9;
		if (fp)
			fclose(fp);
	}
	if (d)
		closedir(d);
	return total;
}

static double events_seen(int mport)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "curl -s http://127.0.0.1:%d/metrics | "
		 "awk '/^bpfalert_events_total/ { s += $2 } END { print s + 0 }'", mport);
	FILE *p = popen(cmd, "r");
	double v = 0;
	if (p && fscanf(p, "%lf", &v) != 1)
		v = 0;
	if (p)
		pclose(p);
	return v;
}

/* A daemon following dir/NAME.log with the rules, a file target, `exports`
 * (the exports group, "" for none) and its metrics on *mport; the log's
 * path goes to log. */
static pid_t follow_daemon(const char *bin, const char *rules, const char *name, int *mport,
			   char *log, size_t loglen, const char *exports)
{
	char conf[1024];
	close(listen_any(mport));
	snprintf(log, loglen, "%s/%s.log", dir, name);
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, name);
	FILE *f = fopen(conf, "w");
	fprintf(f, "state_dir = \"%s/state-%s\";\nmetrics: { listen = \"127.0.0.1:%d\"; };\n"
		   "sources: { bpf: { enabled = false; }; tetragon: { enabled = true; path = \"%s\"; }; };\n"
		   "targets: { t: { type = \"file\"; path = \"%s/%s.alerts\"; }; };\n"
		   "exports: { %s };\n",
		dir, name, *mport, log, dir, name, exports);
	fclose(f);
	chmod(conf, 0600);
	close(open(log, O_CREAT | O_WRONLY, 0600));
	return start_daemon(bin, conf, rules);
}

/* Appends every line of `events` to `log` at once; returns how many. */
static long append_all(const char *events, const char *log)
{
	FILE *in = fopen(events, "r");
	int out = open(log, O_WRONLY | O_APPEND);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long total = 0;
	while ((len = getline(&line, &cap, in)) > 0) {
		if (write(out, line, (size_t)len) != len)
			break;
		total++;
	}
	close(out);
	fclose(in);
	free(line);
	return total;
}

static void throughput(const char *bin, const char *rules100, const char *events)
{
	int mport;
	char log[512];
	pid_t pid = follow_daemon(bin, rules100, "tp", &mport, log, sizeof(log), "");
	double cpu0 = cpu_seconds(pid);
	int64_t t0 = now_ns();
	double total = (double)append_all(events, log);
	double seen = 0;
	while ((seen = events_seen(mport)) < total && now_ns() - t0 < 300000000000LL)
		usleep(20000);
	double wall = (double)(now_ns() - t0) / 1e9;
	double cpu = cpu_seconds(pid) - cpu0;
	stop_daemon(pid);
	printf("follow throughput, 100 rules: %.0f events in %.2f s = %.0f events/s; daemon CPU %.2f s "
	       "= %.0f%% of a core per 10,000 events/s\n",
	       seen, wall, seen / wall, cpu, 100.0 * cpu / seen * 10000.0);
}

/* Appends the events at `rate` lines a second, 10 ms at a time, and
 * reports the daemon's CPU over that time as a share of one core. */
static void steady(const char *bin, const char *rules100, const char *events, double rate)
{
	int mport;
	char log[512];
	pid_t pid = follow_daemon(bin, rules100, "steady", &mport, log, sizeof(log), "");
	FILE *in = fopen(events, "r");
	int out = open(log, O_WRONLY | O_APPEND);
	char *line = NULL, *batch = NULL;
	size_t cap = 0, blen = 0, bcap = 0;
	ssize_t len;
	double total = 0, per_slice = rate / 100;
	double cpu0 = cpu_ns_seconds(pid);
	int64_t t0 = now_ns(), slice = 0;
	bool more = true;
	while (more) {
		blen = 0;
		for (double k = 0; k < per_slice; k++) {
			if ((len = getline(&line, &cap, in)) <= 0) {
				more = false;
				break;
			}
			if (blen + (size_t)len > bcap)
				batch = realloc(batch, bcap = 2 * (blen + (size_t)len));
			memcpy(batch + blen, line, (size_t)len);
			blen += (size_t)len;
			total++;
		}
		if (blen && write(out, batch, blen) != (ssize_t)blen)
			break;
		int64_t due = t0 + ++slice * 10000000LL, now = now_ns();
		if (due > now) {
			struct timespec ts = { 0, (long)(due - now) };
			nanosleep(&ts, NULL);
		}
	}
	double fed = (double)(now_ns() - t0) / 1e9;
	close(out);
	fclose(in);
	free(line);
	free(batch);
	double seen;
	while ((seen = events_seen(mport)) < total && now_ns() - t0 < 300000000000LL)
		usleep(20000);
	double wall = (double)(now_ns() - t0) / 1e9;
	double cpu = cpu_ns_seconds(pid) - cpu0;
	stop_daemon(pid);
	printf("daemon following a file at %.0f events/s for %.1f s, 100 rules: %.0f events; CPU %.3f s "
	       "= %.1f%% of a core (goal <= 8%% per 10,000 events/s)\n",
	       rate, fed, seen, cpu, 100.0 * cpu / wall * 10000.0 / rate);
}

static double metric(int mport, const char *prefix)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "curl -s http://127.0.0.1:%d/metrics | "
		 "awk '/^%s/ { s += $2 } END { print s + 0 }'", mport, prefix);
	FILE *p = popen(cmd, "r");
	double v = 0;
	if (p && fscanf(p, "%lf", &v) != 1)
		v = 0;
	if (p)
		pclose(p);
	return v;
}

#define RATE_FILES 2000

/* Opens the files `rate` times a second for `seconds`, paced in 1 ms
 * slices, each process opening every file once: a new process for each
 * round over them.  Returns how many opens were made. */
static double open_at_rate(char *const *paths, double rate, double seconds)
{
	int64_t t0 = now_ns(), end = t0 + (int64_t)(seconds * 1e9);
	double done = 0;
	while (now_ns() < end) {
		pid_t c = fork();
		if (c == 0) {
			size_t k = 0;
			while (k < RATE_FILES && now_ns() < end) {
				double due = rate * (double)(now_ns() - t0) / 1e9;
				while (done < due && k < RATE_FILES) {
					close(open(paths[k++], O_RDONLY));
					done++;
				}
				struct timespec ts = { 0, 1000000 };
				if (k < RATE_FILES)
					nanosleep(&ts, NULL);
			}
			_exit(0);
		}
		if (c < 0 || waitpid(c, NULL, 0) != c)
			break;
		done += RATE_FILES;
	}
	return done < rate * seconds ? done : rate * seconds;
}

static void probe_rate(const char *bin, const char *rules100)
{
	int mport;
	close(listen_any(&mport));
	char conf[512], wdir[256], *paths[RATE_FILES];
	snprintf(wdir, sizeof(wdir), "%s/rate", dir);
	mkdir(wdir, 0700);
	for (size_t i = 0; i < RATE_FILES; i++) {
		char p[300];
		snprintf(p, sizeof(p), "%s/f%zu", wdir, i);
		paths[i] = strdup(p);
		close(open(p, O_WRONLY | O_CREAT, 0600));
	}
	snprintf(conf, sizeof(conf), "%s/rate.conf", dir);
	FILE *f = fopen(conf, "w");
	fprintf(f, "state_dir = \"%s/state4\";\nmetrics: { listen = \"127.0.0.1:%d\"; };\n"
		   "probes: { exec = false; exit = false; files: { watch = [ \"%s/\" ]; }; };\n"
		   "targets: { t: { type = \"file\"; path = \"%s/rate.alerts\"; }; };\n",
		   dir, mport, wdir, dir);
	fclose(f);
	chmod(conf, 0600);
	pid_t dpid = start_daemon(bin, conf, rules100);
	static const double rates[] = { 5000, 10000, 20000, 40000, 80000, 160000 };
	double best = 0;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		double lost0 = metric(mport, "bpfalert_events_lost_total");
		double seen0 = metric(mport, "bpfalert_events_total");
		int64_t t0 = now_ns();
		double opened = open_at_rate(paths, rates[i], 2.0);
		double achieved = 0;
		usleep(500000);
		double lost = metric(mport, "bpfalert_events_lost_total") - lost0;
		double seen = metric(mport, "bpfalert_events_total") - seen0;
		achieved = seen / ((double)(now_ns() - t0) / 1e9 - 0.5);
		printf("probe rate step %.0f opens/s of distinct files: %.0f opens, %.0f events counted "
		       "(%.0f/s), %.0f lost\n", rates[i], opened, seen, achieved, lost);
		if (lost > 0)
			break;
		best = achieved;
	}
	stop_daemon(dpid);
	for (size_t i = 0; i < RATE_FILES; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	rmdir(wdir);
	printf("highest sustained watched-file event rate with 100 rules and no loss: %.0f events/s\n", best);
}

/* ---- exports ---- */

static atomic_long exported;   /* events received by the slow store */

/* Events in a Parseable body: a gzipped JSON array of flat objects. */
static long count_records(const char *body, size_t len)
{
	size_t cap = len * 30 + 4096;
	char *out = malloc(cap);
	z_stream z = { 0 };
	inflateInit2(&z, 15 + 16);
	z.next_in = (Bytef *)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap - 1;
	inflate(&z, Z_FINISH);
	size_t n = z.total_out;
	inflateEnd(&z);
	out[n] = '\0';
	long k = n > 2 ? 1 : 0;
	for (char *p = out; (p = strstr(p, "},{")); p += 3)
		k++;
	free(out);
	return k;
}

/* A store that takes 10 ms to answer each request. */
static void handle_slow(int fd)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 65536 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		char *end;
		while ((end = strstr(buf, "\r\n\r\n"))) {
			size_t head = (size_t)(end - buf) + 4, body = 0;
			char *cl = strcasestr(buf, "content-length:");
			if (cl && cl < end)
				body = strtoul(cl + 15, NULL, 10);
			if (len < head + body)
				break;
			atomic_fetch_add(&exported, count_records(buf + head, body));
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
			if (write(fd, ok, sizeof(ok) - 1) < 0)
				goto out;
			memmove(buf, buf + head + body, len - head - body);
			len -= head + body;
			buf[len] = '\0';
		}
	}
out:
	free(buf);
}

static void *slow_receiver(void *arg)
{
	int lfd = *(int *)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		handle_slow(fd);
		close(fd);
	}
}

static void export_throughput(const char *bin, const char *rules100, const char *events,
			      const char *exports)
{
	int mport;
	char log[512];
	pid_t pid = follow_daemon(bin, rules100, "ex", &mport, log, sizeof(log), exports);
	atomic_store(&exported, 0);
	double cpu0 = cpu_ns_seconds(pid);
	int64_t t0 = now_ns();
	long total = append_all(events, log);
	while (atomic_load(&exported) < total && now_ns() - t0 < 300000000000LL)
		usleep(5000);
	double wall = (double)(now_ns() - t0) / 1e9;
	double cpu = cpu_ns_seconds(pid) - cpu0;
	stop_daemon(pid);
	printf("export to a Parseable receiver answering in 10 ms, 100 rules: %ld of %ld events "
	       "in %.2f s = %.0f events/s; daemon CPU %.2f s = %.0f%% of a core\n",
	       atomic_load(&exported), total, wall, (double)atomic_load(&exported) / wall, cpu,
	       100.0 * cpu / wall);
}

static void exports_phase(const char *bin, int port, const char *rules100, const char *events)
{
	int sport;
	int sfd = listen_any(&sport);
	pthread_t th;
	pthread_create(&th, NULL, slow_receiver, &sfd);
	char exports[256];
	snprintf(exports, sizeof(exports),
		 "store: { type = \"parseable\"; endpoint = \"http://127.0.0.1:%d\"; stream = \"tetrademo\"; };",
		 sport);
	export_throughput(bin, rules100, events, exports);
	/* alternated, three times each: on a shared machine one run of either
	 * says little */
	for (int round = 1; round <= 3; round++) {
		latency_with(bin, port, "", ", no export");
		latency_with(bin, port, exports, ", every event exported");
	}
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fputs("usage: daemon_bench BPFALERT RULES100 EVENTS [lat,tp,probe,rate,export]\n", stderr);
		return 2;
	}
	const char *phases = argc == 5 ? argv[4] : "lat,tp,probe,rate";
	if (!mkdtemp(dir))
		return 1;
	arrived_ns = calloc(MAX_KEY, sizeof(int64_t));
	int port;
	int lfd = listen_any(&port);
	pthread_t th;
	pthread_create(&th, NULL, receiver, &lfd);
	if (strstr(phases, "lat"))
		latency(argv[1], port);
	if (strstr(phases, "tp"))
		throughput(argv[1], argv[2], argv[3]);
	if (geteuid() == 0 && strstr(phases, "probe")) {
		probe_latency(argv[1], port);
		probe_rate(argv[1], argv[2]);
	}
	if (strstr(phases, "rate"))
		steady(argv[1], argv[2], argv[3], 10000);
	if (strstr(phases, "export"))
		exports_phase(argv[1], port, argv[2], argv[3]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}
