/* tetragon_source — see tetragon_source.h.
 *
 * Follow mode is one idempotent step, run on every inotify wakeup, on the
 * poll timer and to continue a batch: read what the current file has,
 * then look at the path; if another file is there now, read the current
 * one to its very end (follow off, so an unterminated last line counts)
 * and only then switch.  Because the step looks at the world rather than
 * at the events that woke it, a lost or coalesced inotify event costs at
 * most one poll interval, never a line.
 *
 * The read offset is start_off + the reader's byte count: the reader counts
 * whole lines consumed (with their newlines), so a line being written is
 * never counted as read. */
#include "tetragon_source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "textfile.h"
#include "xalloc.h"

#define BATCH_LINES 4096          /* lines handed out per turn of the loop */
#define SAVE_MS 1000
#define SLOW_POLL_MS 1000         /* safety poll while inotify works */
#define DEFAULT_POLL_MS 250
#define SCAN_MAX (64ull << 20)    /* newline counting at a first start */
#define POSITION_FILE "tetragon.position"
#define ORIGIN "tetragon"

enum mode {
	MODE_FOLLOW,   /* a regular file, followed across rotations */
	MODE_ONCE,     /* a regular file read once */
	MODE_STREAM,   /* stdin, a pipe or a FIFO, read to its end */
};

struct tetragon_source {
	loop *l;
	struct source_sink sink;
	enum mode mode;
	char *path, *dir, *name, *pos_path;
	bool from_start;
	int poll_ms;

	/* The file being read. */
	FILE *f;
	jsonl_reader *rd;
	dev_t dev;
	ino_t ino;
	uint64_t start_off;        /* where rd began reading */
	size_t start_line;         /* line number before rd's first line */
	bool finishing;            /* replaced at the path: reading it to its end */
	bool waiting_logged;
	unsigned long long seen_bad[JSONL_BAD_KINDS];

	/* The position last written. */
	bool saved;
	dev_t saved_dev;
	ino_t saved_ino;
	uint64_t saved_off;

	int ifd, wd_dir, wd_file;
	int stream_fd;             /* registered with the loop; -1: none */
	int stdin_flags;           /* to restore on fd 0's description; -1: none */
	loop_timer *poll_timer, *save_timer, *more_timer;
	bool done;

	struct jsonl_counters acc, counters;
	FILE *report;              /* the reader's reports, logged rate-limited */
	char msg[1024];            /* the report line being received */
	size_t msg_len;
	struct log_ratelimit rl;
};

/* ---- reading ---- */

/* The reader's reports ("PATH:LINE: error: REASON\n") arrive here a line
 * at a time and are logged rate-limited as they come, so a run of bad
 * lines never piles up in memory. */
static ssize_t report_write(void *cookie, const char *buf, size_t size)
{
	tetragon_source *s = cookie;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			s->msg[s->msg_len] = '\0';
			log_ratelimited(&s->rl, LOG_LEVEL_WARN, "tetragon: %s", s->msg);
			s->msg_len = 0;
		} else if (s->msg_len < sizeof(s->msg) - 1) {
			s->msg[s->msg_len++] = buf[i];
		}
	}
	return (ssize_t)size;
}

static FILE *open_report(tetragon_source *s)
{
	FILE *f = fopencookie(s, "w", (cookie_io_functions_t){ .write = report_write });
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static void update_counters(tetragon_source *s)
{
	struct jsonl_counters c = s->acc;
	if (s->rd) {
		const struct jsonl_counters *r = jsonl_counters(s->rd);
		c.lines += r->lines;
		c.events += r->events;
		c.bytes += r->bytes;
		for (int k = 0; k < JSONL_BAD_KINDS; k++)
			c.bad[k] += r->bad[k];
	}
	s->counters = c;
}

/* Passes on what the reader rejected since the last look. */
static void note_rejections(tetragon_source *s)
{
	const struct jsonl_counters *r = jsonl_counters(s->rd);
	for (int k = 0; k < JSONL_BAD_KINDS; k++)
		for (; s->seen_bad[k] < r->bad[k]; s->seen_bad[k]++)
			if (s->sink.bad)
				s->sink.bad(s->sink.ctx, k, ORIGIN);
}

/* Hands out up to a batch of lines.  Returns true if the batch was full
 * (there may be more), false when the reader has nothing more now. */
static bool pump(tetragon_source *s)
{
	const char *line;
	size_t len, lineno;
	for (int n = 0; n < BATCH_LINES; n++) {
		int r = jsonl_next(s->rd, &line, &len, &lineno, s->report);
		note_rejections(s);
		if (r != 1) {
			update_counters(s);
			return false;
		}
		s->sink.line(s->sink.ctx, line, len, s->name, lineno, ORIGIN);
	}
	update_counters(s);
	return true;
}

static void step(tetragon_source *s);

static void on_more(void *ctx)
{
	tetragon_source *s = ctx;
	s->more_timer = NULL;
	step(s);
}

/* Continues on the next turn of the loop, after other sources had theirs. */
static void more(tetragon_source *s)
{
	if (!s->more_timer)
		s->more_timer = loop_timer_at(s->l, loop_now(), on_more, s);
}

static void close_file(tetragon_source *s)
{
	if (!s->f)
		return;
	if (s->wd_file >= 0) {
		inotify_rm_watch(s->ifd, s->wd_file);
		s->wd_file = -1;
	}
	if (s->stream_fd >= 0) {
		loop_unwatch(s->l, s->stream_fd);
		s->stream_fd = -1;
	}
	if (s->stdin_flags >= 0) {
		fcntl(fileno(s->f), F_SETFL, s->stdin_flags);
		s->stdin_flags = -1;
	}
	update_counters(s);
	s->acc = s->counters;
	jsonl_reader_free(&s->rd);
	fclose(s->f);
	s->f = NULL;
	s->finishing = false;
}

/* A fresh reader on s->f, numbering lines after `line`. */
static void start_reader(tetragon_source *s, uint64_t off, size_t line, bool follow)
{
	if (s->rd) {
		update_counters(s);
		s->acc = s->counters;
		jsonl_reader_free(&s->rd);
	}
	s->rd = jsonl_reader_new(s->f, s->name);
	jsonl_reader_set_follow(s->rd, follow);
	jsonl_reader_set_lineno(s->rd, line);
	memset(s->seen_bad, 0, sizeof(s->seen_bad));
	s->start_off = off;
	s->start_line = line;
}

/* ---- position ---- */

struct position {
	unsigned long long dev, ino, off;
	size_t line;
};

static bool read_position(tetragon_source *s, struct position *p)
{
	if (!s->pos_path)
		return false;
	int fd = textfile_open_at(AT_FDCWD, s->pos_path, O_NOFOLLOW);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (errno != ENOENT)
			log_warn("tetragon: cannot read %s: %s", s->pos_path,
				 textfile_strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	char buf[8192];
	bool ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	int n = 0;
	if (!ok || sscanf(buf, "%llu %llu %llu %zu %n", &p->dev, &p->ino,
			  &p->off, &p->line, &n) < 4 || n == 0) {
		log_warn("tetragon: %s is not a position file; ignored", s->pos_path);
		return false;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf + n, s->path)) {
		log_info("tetragon: saved position is for '%s', not '%s'; ignored",
			 buf + n, s->path);
		return false;
	}
	return true;
}

static uint64_t read_offset(const tetragon_source *s)
{
	return s->start_off + jsonl_counters(s->rd)->bytes;
}

static int write_position(const tetragon_source *s, uint64_t off, size_t line)
{
	char *tmp = xasprintf("%s.tmp", s->pos_path);
	int rc = -1;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
		      O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0)
		close(fd);
	if (f) {
		fprintf(f, "%llu %llu %llu %zu %s\n", (unsigned long long)s->dev,
			(unsigned long long)s->ino, (unsigned long long)off, line,
			s->path);
		/* No fsync: the rename makes the file whole after a crash of the
		 * process, and a flush here would stall the loop every second.
		 * After a power cut an older position only means some lines
		 * are evaluated again (at-least-once). */
		bool ok = fflush(f) == 0;
		if (fclose(f) == 0 && ok && rename(tmp, s->pos_path) == 0)
			rc = 0;
	}
	if (rc < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	free(tmp);
	return rc;
}

static void save_position(tetragon_source *s)
{
	if (s->mode != MODE_FOLLOW || !s->pos_path || !s->rd)
		return;
	uint64_t off = read_offset(s);
	if (s->saved && s->saved_dev == s->dev && s->saved_ino == s->ino &&
	    s->saved_off == off)
		return;
	size_t line = s->start_line + jsonl_counters(s->rd)->lines;
	if (write_position(s, off, line) < 0) {
		log_ratelimited(&s->rl, LOG_LEVEL_WARN, "tetragon: cannot save the position in %s: %s",
				s->pos_path, strerror(errno));
		return;
	}
	s->saved = true;
	s->saved_dev = s->dev;
	s->saved_ino = s->ino;
	s->saved_off = off;
}

/* Where a first start without a usable position begins: after the last
 * whole line, so a line being written is read once it is complete.  Lines
 * are counted so reports carry the file's line numbers, within SCAN_MAX of
 * the end; past that the numbering starts over (logged). */
static uint64_t end_of_last_line(tetragon_source *s, int fd, uint64_t size,
				 size_t *line)
{
	uint64_t from = size > SCAN_MAX ? size - SCAN_MAX : 0, after = from;
	size_t count = 0;
	char *buf = xmalloc(1 << 16);
	for (uint64_t at = from; at < size;) {
		ssize_t n = pread(fd, buf, 1 << 16, (off_t)at);
		if (n <= 0)
			break;
		for (char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) {
			count++;
			after = at + (uint64_t)(p - buf) + 1;
		}
		at += (uint64_t)n;
	}
	free(buf);
	if (from > 0) {
		log_info("tetragon: %s is large; line numbers in reports count from byte %llu",
			 s->path, (unsigned long long)after);
		count = 0;
		if (after == from)
			after = size;
	}
	*line = count;
	return after;
}

/* The offset and line to start a file that existed when bpfalert started. */
static uint64_t first_offset(tetragon_source *s, int fd, const struct stat *st,
			     size_t *line)
{
	struct position p;
	*line = 0;
	if (read_position(s, &p)) {
		if (p.dev == (unsigned long long)st->st_dev &&
		    p.ino == (unsigned long long)st->st_ino) {
			if ((uint64_t)st->st_size >= p.off) {
				*line = p.line;
				return p.off;
			}
			log_info("tetragon: %s is shorter than its saved position "
				 "(truncated while stopped); reading it from the start",
				 s->path);
			return 0;
		}
		log_info("tetragon: %s was replaced while stopped (rotated); reading "
			 "the new file from the start; lines the old one got after the "
			 "stop are not read", s->path);
		return 0;
	}
	if (s->from_start)
		return 0;
	return end_of_last_line(s, fd, (uint64_t)st->st_size, line);
}

/* ---- following ---- */

static void add_dir_watch(tetragon_source *s)
{
	if (s->ifd < 0 || s->wd_dir >= 0)
		return;
	s->wd_dir = inotify_add_watch(s->ifd, s->dir,
				      IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
				      IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF |
				      IN_ONLYDIR);
}

/* Watches the open file itself (by descriptor, so it is the inode read,
 * whatever the path names by now). */
static void add_file_watch(tetragon_source *s)
{
	if (s->ifd < 0)
		return;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(s->f));
	s->wd_file = inotify_add_watch(s->ifd, proc, IN_MODIFY | IN_ATTRIB |
				       IN_MOVE_SELF | IN_DELETE_SELF);
}

static bool open_file(tetragon_source *s, bool first)
{
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const char *why = NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (why) {
		if (fd >= 0)
			close(fd);
		log_ratelimited(&s->rl, LOG_LEVEL_WARN, "tetragon: cannot open %s: %s",
				s->path, why);
		return false;
	}
	size_t line = 0;
	uint64_t off = first ? first_offset(s, fd, &st, &line) : 0;
	if (lseek(fd, (off_t)off, SEEK_SET) < 0) {
		off = 0;
		line = 0;
	}
	s->f = fdopen(fd, "rb");
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	start_reader(s, off, line, true);
	add_file_watch(s);
	s->waiting_logged = false;
	log_info("tetragon: following %s from byte %llu (line %zu)", s->path,
		 (unsigned long long)off, line + 1);
	return true;
}

/* copy-truncate: the file is now shorter than what was read of it. */
static void check_truncated(tetragon_source *s)
{
	struct stat st;
	int fd = fileno(s->f);
	off_t at = lseek(fd, 0, SEEK_CUR);
	if (fstat(fd, &st) < 0 || at < 0 || st.st_size >= at)
		return;
	log_info("tetragon: %s was truncated; reading it from the start", s->path);
	lseek(fd, 0, SEEK_SET);
	start_reader(s, 0, 0, true);
}

/* Stats the path; false if there is nothing to open there now. */
static bool stat_path(tetragon_source *s, struct stat *st)
{
	if (stat(s->path, st) == 0) {
		if (S_ISREG(st->st_mode))
			return true;
		log_ratelimited(&s->rl, LOG_LEVEL_WARN,
				"tetragon: %s is not a regular file", s->path);
		return false;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		log_ratelimited(&s->rl, LOG_LEVEL_WARN, "tetragon: %s: %s", s->path,
				strerror(errno));
	else if (!s->f && !s->waiting_logged)
		log_info("tetragon: waiting for %s to appear", s->path);
	if (!s->f)
		s->waiting_logged = true;
	return false;
}

static void follow_step(tetragon_source *s)
{
	add_dir_watch(s);
	/* Rounds: read the current file; finish it if the path names another
	 * one now; open and read that one. */
	for (int round = 0; round < 3; round++) {
		if (s->f) {
			if (!s->finishing)
				check_truncated(s);
			if (pump(s)) {
				more(s);
				return;
			}
			if (s->finishing)
				close_file(s);
		}
		struct stat st;
		if (!stat_path(s, &st))
			return;
		if (s->f && st.st_dev == s->dev && st.st_ino == s->ino)
			return;
		if (s->f) {
			/* Rotated: the writer has moved on, so the old file's end
			 * is final. */
			s->finishing = true;
			jsonl_reader_set_follow(s->rd, false);
		} else if (!open_file(s, false)) {
			return;
		}
	}
	more(s);
}

/* ---- reading once ---- */

static void once_step(tetragon_source *s)
{
	if (!s->rd || s->done)
		return;
	if (pump(s)) {
		more(s);
		return;
	}
	if (!jsonl_reader_eof(s->rd))
		return;   /* a non-blocking stream with nothing yet */
	close_file(s);
	s->done = true;
}

static void step(tetragon_source *s)
{
	if (s->mode == MODE_FOLLOW)
		follow_step(s);
	else
		once_step(s);
}

/* ---- wakeups ---- */

static void on_inotify(void *ctx, int fd, uint32_t events)
{
	tetragon_source *s = ctx;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			if (e->wd == s->wd_dir && (e->mask & (IN_IGNORED | IN_MOVE_SELF))) {
				/* The directory went away or moved: watch the path's
				 * directory again once it exists. */
				if (!(e->mask & IN_IGNORED))
					inotify_rm_watch(s->ifd, s->wd_dir);
				s->wd_dir = -1;
			}
			if (e->wd == s->wd_file && (e->mask & IN_IGNORED))
				s->wd_file = -1;
			p += sizeof(*e) + e->len;
		}
	}
	step(s);
}

static int poll_interval(const tetragon_source *s)
{
	if (s->ifd >= 0 && s->wd_dir >= 0)
		return s->poll_ms > SLOW_POLL_MS ? s->poll_ms : SLOW_POLL_MS;
	return s->poll_ms;
}

static void on_poll(void *ctx)
{
	tetragon_source *s = ctx;
	step(s);
	s->poll_timer = loop_timer_at(s->l, loop_now() + poll_interval(s), on_poll, s);
}

static void on_save(void *ctx)
{
	tetragon_source *s = ctx;
	save_position(s);
	s->save_timer = loop_timer_at(s->l, loop_now() + SAVE_MS, on_save, s);
}

static void on_stream(void *ctx, int fd, uint32_t events)
{
	step(ctx);
}

/* ---- set-up ---- */

/* A descriptor of our own for stdin.  A pipe, FIFO or terminal is reopened
 * through /proc so that O_NONBLOCK stays off the description the parent
 * shares; failing that, the flag is set on a dup and restored at the end. */
static int open_stdin(tetragon_source *s)
{
	struct stat st;
	if (fstat(0, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return fcntl(0, F_DUPFD_CLOEXEC, 3);
	int fd = open("/proc/self/fd/0", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->stdin_flags = fl;
	return fd;
}

static int start_stream(tetragon_source *s, int fd, char *err, size_t errlen)
{
	s->mode = MODE_STREAM;
	s->f = fdopen(fd, "rb");
	start_reader(s, 0, 0, false);
	if (loop_watch(s->l, fd, EPOLLIN, on_stream, s) == 0)
		s->stream_fd = fd;
	else
		more(s);   /* a regular file: epoll refuses it, and it never blocks */
	return 0;
}

static int start_once(tetragon_source *s, char *err, size_t errlen)
{
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	s->mode = MODE_ONCE;
	s->f = fdopen(fd, "rb");
	start_reader(s, 0, 0, false);
	more(s);
	return 0;
}

static void start_follow(tetragon_source *s)
{
	s->mode = MODE_FOLLOW;
	char *slash = strrchr(s->path, '/');
	s->dir = slash == s->path ? xstrdup("/")
	       : slash ? xstrndup(s->path, (size_t)(slash - s->path)) : xstrdup(".");
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd >= 0 && loop_watch(s->l, s->ifd, EPOLLIN, on_inotify, s) < 0) {
		close(s->ifd);
		s->ifd = -1;
	}
	if (s->ifd < 0)
		log_info("tetragon: inotify unavailable; polling %s every %d ms",
			 s->path, s->poll_ms);
	add_dir_watch(s);
	struct stat st;
	if (stat_path(s, &st))
		open_file(s, true);
	s->poll_timer = loop_timer_at(s->l, loop_now() + poll_interval(s), on_poll, s);
	if (s->pos_path)
		s->save_timer = loop_timer_at(s->l, loop_now() + SAVE_MS, on_save, s);
	if (s->f)
		more(s);
}

/* Picks the mode from what the path is. */
static int start(tetragon_source *s, const struct tetragon_source_config *cfg,
		 char *err, size_t errlen)
{
	if (!strcmp(cfg->path, "-")) {
		int fd = open_stdin(s);
		if (fd < 0) {
			snprintf(err, errlen, "stdin: %s", strerror(errno));
			return -1;
		}
		return start_stream(s, fd, err, errlen);
	}
	struct stat st;
	bool exists = stat(cfg->path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is a directory", cfg->path);
		return -1;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		int fd = open(cfg->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", cfg->path, strerror(errno));
			return -1;
		}
		return start_stream(s, fd, err, errlen);
	}
	if (!cfg->follow)
		return start_once(s, err, errlen);
	start_follow(s);
	return 0;
}

tetragon_source *tetragon_source_new(loop *l, const struct tetragon_source_config *cfg,
				     const struct source_sink *sink, char *err,
				     size_t errlen)
{
	if (!cfg->path || !*cfg->path || !sink || !sink->line) {
		snprintf(err, errlen, "tetragon source: no path or no sink");
		return NULL;
	}
	tetragon_source *s = xcalloc(1, sizeof(*s));
	s->l = l;
	s->sink = *sink;
	s->path = xstrdup(cfg->path);
	s->name = xstrdup(strcmp(cfg->path, "-") ? cfg->path : "<stdin>");
	s->from_start = cfg->from_start;
	s->poll_ms = cfg->poll_ms > 0 ? cfg->poll_ms : DEFAULT_POLL_MS;
	s->ifd = s->wd_dir = s->wd_file = s->stream_fd = s->stdin_flags = -1;
	s->report = open_report(s);
	if (cfg->follow && cfg->state_dir && *cfg->state_dir)
		s->pos_path = xasprintf("%s/%s", cfg->state_dir, POSITION_FILE);
	if (!s->report || start(s, cfg, err, errlen) < 0) {
		if (!s->report)
			snprintf(err, errlen, "tetragon source: %s", strerror(errno));
		tetragon_source_free(&s);
		return NULL;
	}
	return s;
}

void tetragon_source_free(tetragon_source **ps)
{
	tetragon_source *s = *ps;
	if (!s)
		return;
	save_position(s);
	loop_timer_cancel(s->l, s->poll_timer);
	loop_timer_cancel(s->l, s->save_timer);
	loop_timer_cancel(s->l, s->more_timer);
	close_file(s);
	if (s->ifd >= 0) {
		loop_unwatch(s->l, s->ifd);
		close(s->ifd);
	}
	if (s->report)
		fclose(s->report);
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->pos_path);
	free(s);
	*ps = NULL;
}

void tetragon_source_save(tetragon_source *s)
{
	save_position(s);
}

bool tetragon_source_done(const tetragon_source *s)
{
	return s->done;
}

const struct jsonl_counters *tetragon_source_counters(const tetragon_source *s)
{
	return &s->counters;
}
