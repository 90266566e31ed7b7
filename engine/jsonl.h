/* jsonl — reading JSON-lines input that may be hostile.
 *
 * Splits a stream into lines without ever holding more than
 * JSONL_MAX_LINE bytes of one line.  Lines longer than that, lines with
 * NUL bytes and lines that are not valid UTF-8 are rejected here with their
 * line number and counted; the rest are handed back for the flattener,
 * whose JSON failures are counted through jsonl_count_bad. */
#ifndef BPFALERT_JSONL_H
#define BPFALERT_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSONL_MAX_LINE (1024 * 1024)

enum jsonl_bad {
	JSONL_BAD_TOO_LONG,
	JSONL_BAD_NUL,
	JSONL_BAD_UTF8,
	JSONL_BAD_JSON,       /* syntax error, truncated, garbage */
	JSONL_BAD_NOT_OBJECT,
	JSONL_BAD_KINDS
};

struct jsonl_counters {
	unsigned long long lines;      /* every line seen, good or bad */
	unsigned long long events;     /* lines handed out as candidate events */
	unsigned long long bad[JSONL_BAD_KINDS];
	unsigned long long bytes;      /* input consumed: whole lines with their
					  newlines (a follower resumes here) */
};

typedef struct jsonl_reader jsonl_reader;

/* `name` is used in reports ("events.jsonl:17: ..."); `f` is not owned.
 * When `f` has a descriptor the reader reads it directly (read(2), so a
 * pipe's lines come through as they arrive): do not read `f` elsewhere. */
jsonl_reader *jsonl_reader_new(FILE *f, const char *name);
void jsonl_reader_free(jsonl_reader **r);

/* In follow mode the end of input is taken as "nothing yet": a last line
 * without its newline is kept until the rest arrives, and jsonl_next may
 * be called again later (a file being appended to, a non-blocking pipe).
 * Turning it off makes the next call treat the end as final. */
void jsonl_reader_set_follow(jsonl_reader *r, bool follow);

/* Numbers the lines that follow from lineno + 1 (a follower resuming in
 * the middle of a file keeps reporting the file's own line numbers). */
void jsonl_reader_set_lineno(jsonl_reader *r, size_t lineno);

/* True once the end of input is final: reached outside follow mode, or a
 * read error.  Tells a non-blocking stream's end from "nothing yet". */
bool jsonl_reader_eof(const jsonl_reader *r);

/* Returns 1 with the next acceptable line (without its newline or a "\r"
 * before it; NUL-terminated; valid until the next call; blank lines are
 * skipped silently), 0 at end of input (or, on a non-blocking descriptor
 * or in follow mode, when nothing more is there yet).  Rejected lines are
 * reported on `report` (may be NULL) as "NAME:LINE: error: REASON" and
 * skipped. */
int jsonl_next(jsonl_reader *r, const char **line, size_t *len,
	       size_t *lineno, FILE *report);

/* Counts and reports a line that failed later (JSON errors). */
void jsonl_count_bad(jsonl_reader *r, enum jsonl_bad kind, size_t lineno,
		     const char *reason, FILE *report);

const struct jsonl_counters *jsonl_counters(const jsonl_reader *r);
const char *jsonl_bad_name(enum jsonl_bad kind);

#endif
