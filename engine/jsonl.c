#include "jsonl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utf8.h"
#include "xalloc.h"

#define JSONL_CHUNK (64 * 1024)
/* The longest line, its "\r\n", and a NUL the reader writes after it. */
#define JSONL_BUF_MAX (JSONL_MAX_LINE + 3)

struct jsonl_reader {
	FILE *f;
	int fd;           /* read(2) on this when the stream has one, so a
			     pipe hands over what it has instead of blocking
			     until a whole chunk arrives; -1: use fread */
	char *name;
	char *buf;
	size_t cap;
	size_t start, end; /* unconsumed data: buf[start .. end) */
	size_t scanned;    /* bytes after start known to hold no '\n' */
	size_t lineno;     /* number of the last line begun */
	bool eof;
	bool skipping;     /* discarding the rest of a too-long line */
	bool follow;
	bool read_error;
	struct jsonl_counters c;
};

static const char *const bad_names[JSONL_BAD_KINDS] = {
	[JSONL_BAD_TOO_LONG] = "too_long",
	[JSONL_BAD_NUL] = "nul",
	[JSONL_BAD_UTF8] = "utf8",
	[JSONL_BAD_JSON] = "json",
	[JSONL_BAD_NOT_OBJECT] = "not_object",
};

jsonl_reader *jsonl_reader_new(FILE *f, const char *name)
{
	jsonl_reader *r = xcalloc(1, sizeof(*r));
	r->f = f;
	r->fd = fileno(f);
	r->name = xstrdup(name ? name : "-");
	r->cap = JSONL_CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

void jsonl_reader_free(jsonl_reader **pr)
{
	jsonl_reader *r = *pr;
	if (!r)
		return;
	free(r->name);
	free(r->buf);
	free(r);
	*pr = NULL;
}

void jsonl_reader_set_follow(jsonl_reader *r, bool follow)
{
	r->follow = follow;
}

void jsonl_reader_set_lineno(jsonl_reader *r, size_t lineno)
{
	r->lineno = lineno;
}

bool jsonl_reader_eof(const jsonl_reader *r)
{
	return r->eof;
}

const struct jsonl_counters *jsonl_counters(const jsonl_reader *r)
{
	return &r->c;
}

const char *jsonl_bad_name(enum jsonl_bad kind)
{
	return (unsigned)kind < JSONL_BAD_KINDS ? bad_names[kind] : "unknown";
}

static void vreport(const jsonl_reader *r, size_t lineno, FILE *report,
		    const char *fmt, va_list ap)
{
	if (!report)
		return;
	fprintf(report, "%s:%zu: error: ", r->name, lineno);
	vfprintf(report, fmt, ap);
	fputc('\n', report);
}

__attribute__((format(printf, 5, 6)))
static void reject(jsonl_reader *r, enum jsonl_bad kind, size_t lineno,
		   FILE *report, const char *fmt, ...)
{
	r->c.bad[kind]++;
	va_list ap;
	va_start(ap, fmt);
	vreport(r, lineno, report, fmt, ap);
	va_end(ap);
}

void jsonl_count_bad(jsonl_reader *r, enum jsonl_bad kind, size_t lineno,
		     const char *reason, FILE *report)
{
	if ((unsigned)kind >= JSONL_BAD_KINDS)
		return;
	reject(r, kind, lineno, report, "%s", reason ? reason : "bad line");
}

/* Checks one complete line (newline removed); returns true if it is handed
 * out, with a trailing "\r" dropped from *plen and a NUL written after it. */
static bool accept(jsonl_reader *r, char *line, size_t *plen, FILE *report)
{
	size_t n = r->lineno, len = *plen;
	r->c.lines++;
	if (len && line[len - 1] == '\r')
		len--;
	if (len > JSONL_MAX_LINE) {
		reject(r, JSONL_BAD_TOO_LONG, n, report,
		       "line longer than %d bytes, skipped", JSONL_MAX_LINE);
		return false;
	}
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i == len)
		return false; /* blank */
	bool plain = utf8_plain_ascii(line, len);
	const char *nul = plain ? NULL : memchr(line, '\0', len);
	if (nul) {
		reject(r, JSONL_BAD_NUL, n, report,
		       "NUL byte at byte %zu, line skipped", (size_t)(nul - line));
		return false;
	}
	size_t bad = plain ? len : utf8_check(line, len);
	if (bad < len) {
		reject(r, JSONL_BAD_UTF8, n, report,
		       "invalid UTF-8 at byte %zu, line skipped", bad);
		return false;
	}
	line[len] = '\0';
	*plen = len;
	r->c.events++;
	return true;
}

/* Reads more input after the unconsumed data.  Returns 1 if some arrived,
 * 0 if none is available now (end of input, or a non-blocking descriptor
 * with nothing to read). */
static int fill(jsonl_reader *r, FILE *report)
{
	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end + 1 >= r->cap && r->cap < JSONL_BUF_MAX) {
		r->cap = r->cap * 2 < JSONL_BUF_MAX ? r->cap * 2 : JSONL_BUF_MAX;
		r->buf = xrealloc(r->buf, r->cap);
	}
	size_t want = r->cap - 1 - r->end; /* one byte kept for the NUL */
	ssize_t n;
	if (r->fd >= 0) {
		do
			n = read(r->fd, r->buf + r->end, want);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
	} else {
		clearerr(r->f); /* a followed stream may have grown */
		n = (ssize_t)fread(r->buf + r->end, 1, want, r->f);
		if (n == 0 && ferror(r->f))
			n = -1;
	}
	if (n < 0) {
		if (!r->read_error && report)
			fprintf(report, "%s: error: read failed: %s\n", r->name,
				strerror(errno));
		r->read_error = true;
		r->eof = true;
		return 0;
	}
	if (n == 0) {
		if (!r->follow)
			r->eof = true;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

/* Consumes all the data held (a line being skipped, or the last one). */
static void discard(jsonl_reader *r)
{
	r->c.bytes += r->end - r->start;
	r->start = r->end = r->scanned = 0;
}

int jsonl_next(jsonl_reader *r, const char **line, size_t *len,
	       size_t *lineno, FILE *report)
{
	for (;;) {
		char *from = r->buf + r->start + r->scanned;
		char *nl = memchr(from, '\n', r->end - r->start - r->scanned);
		if (nl) {
			char *l = r->buf + r->start;
			size_t n = (size_t)(nl - l);
			r->start += n + 1;
			r->scanned = 0;
			r->c.bytes += n + 1;
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			r->lineno++;
			if (!accept(r, l, &n, report))
				continue;
			*line = l;
			*len = n;
			*lineno = r->lineno;
			return 1;
		}
		r->scanned = r->end - r->start;
		if (r->skipping) {
			discard(r);
		} else if (r->scanned > JSONL_MAX_LINE + 1) {
			/* Not even a "\r" can bring it back under the limit. */
			r->lineno++;
			r->c.lines++;
			reject(r, JSONL_BAD_TOO_LONG, r->lineno, report,
			       "line longer than %d bytes, skipped",
			       JSONL_MAX_LINE);
			r->skipping = true;
			discard(r);
		}
		if (r->eof || !fill(r, report))
			break;
	}
	/* Nothing more to read now; at the real end, a last line may lack
	 * its newline. */
	if (!r->eof)
		return 0;
	if (r->skipping || r->start == r->end) {
		discard(r);
		r->skipping = false;
		return 0;
	}
	char *l = r->buf + r->start;
	size_t n = r->end - r->start;
	discard(r);
	r->lineno++;
	if (!accept(r, l, &n, report))
		return 0;
	*line = l;
	*len = n;
	*lineno = r->lineno;
	return 1;
}
