/* log — leveled messages to stderr; see log.h. */
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Atomic int current_level = LOG_LEVEL_INFO;
static log_sink_fn sink;
static void *sink_ctx;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* sd-daemon(3) priorities: err, warning, info, debug. */
static const int journal_prio[] = { 3, 4, 6, 7 };

void log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&current_level);
}

int log_level_parse(const char *name)
{
	if (!name)
		return -1;
	if (!strcasecmp(name, "warn"))
		return LOG_LEVEL_WARN;
	for (int i = 0; i <= LOG_LEVEL_DEBUG; i++)
		if (!strcasecmp(name, level_names[i]))
			return i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	if ((int)level < 0 || level > LOG_LEVEL_DEBUG)
		return "?";
	return level_names[level];
}

void log_set_sink(log_sink_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

/* True when stderr is the journal's stream ($JOURNAL_STREAM = "dev:ino").
 * Checked per message (one fstat) since stderr may be redirected later. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static void emit(enum log_level level, const char *msg)
{
	if (sink) {
		sink(sink_ctx, level, msg);
		return;
	}
	char line[4096];
	int n;
	if (stderr_is_journal())
		n = snprintf(line, sizeof(line), "<%d>%s\n", journal_prio[level], msg);
	else
		n = snprintf(line, sizeof(line), "bpfalert: %s: %s\n",
			     level_names[level], msg);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if ((size_t)n >= sizeof(line))
		line[len - 1] = '\n';
	/* One write per line; a short write to stderr is not worth a retry. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if ((int)level < 0 || level > LOG_LEVEL_DEBUG ||
	    (int)level > atomic_load(&current_level))
		return;
	char msg[4000];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(level, msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void log_ratelimited(struct log_ratelimit *rl, enum log_level level,
		     const char *fmt, ...)
{
	if ((int)level > atomic_load(&current_level))
		return;
	int64_t interval = rl->interval_ms > 0 ? rl->interval_ms : 10000;
	unsigned burst = rl->burst > 0 ? rl->burst : 10;
	int64_t now = monotonic_ms();
	if (rl->window_start == 0 || now - rl->window_start >= interval) {
		rl->window_start = now;
		rl->emitted = 0;
	}
	if (rl->emitted >= burst) {
		rl->suppressed++;
		return;
	}
	rl->emitted++;
	char msg[3900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rl->suppressed) {
		log_msg(level, "%s (%u similar messages suppressed)", msg,
			rl->suppressed);
		rl->suppressed = 0;
	} else {
		log_msg(level, "%s", msg);
	}
}
