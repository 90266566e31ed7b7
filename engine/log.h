/* log — leveled messages to stderr (journald under systemd).
 *
 *   log_error("spool: cannot write '%s': %s", path, strerror(errno));
 *
 * One line per message, written with a single write(2) so lines from the
 * metrics thread never interleave with the loop's.  Under systemd (stderr is
 * the journal stream named by $JOURNAL_STREAM) each line carries its
 * sd-daemon priority prefix ("<3>") instead of a level word.
 *
 * Messages that an attacker or a dead peer can repeat at will go through
 * log_ratelimited, which lets a burst through and then counts what it
 * suppresses, reporting the count with the next message let through. */
#ifndef BPFALERT_LOG_H
#define BPFALERT_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Messages above the level are discarded; the default is LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn"/"warning", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Rate limiting state, one per call site (zero-initialised: static or in a
 * struct).  At most `burst` messages per `interval_ms`. */
struct log_ratelimit {
	int64_t interval_ms;   /* 0: 10 s */
	unsigned burst;        /* 0: 10 */
	int64_t window_start;
	unsigned emitted, suppressed;
};

void log_ratelimited(struct log_ratelimit *rl, enum log_level level,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Redirects every message (already filtered by level, without prefix or
 * newline) to `fn`; NULL restores stderr.  For tests and embedding. */
typedef void (*log_sink_fn)(void *ctx, enum log_level level, const char *msg);
void log_set_sink(log_sink_fn fn, void *ctx);

#endif
