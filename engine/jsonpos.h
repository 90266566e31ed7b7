/* jsonpos — where each value of a rule file is written (DESIGN §4.3).
 *
 * json-c gives no positions and libconfig only a line per setting, yet every
 * error must name file:line:col.  This module scans the file text a second
 * time (after the real parser accepted it) and indexes where every value
 * starts.  Both syntaxes index to one shape — objects (JSON objects,
 * libconfig groups), arrays (JSON arrays, libconfig arrays and lists) and
 * scalars — the shape a native file takes once converted to JSON, so one
 * path such as alerts[2].rule.config finds a value in either.
 *
 * It also maps a byte offset of a decoded string to where that byte is
 * written, through escapes (JSON: \" \\ \/ \b \f \n \r \t \uXXXX, surrogate
 * pairs; libconfig: \\ \" \f \n \r \t \xHH) and, for libconfig, across
 * adjacent literals "a" "b" that the parser concatenates.
 *
 * Lines are 1-based; columns are 1-based byte offsets in the line.  A
 * jsonpos borrows the text, which must outlive it.  The scan never fails
 * hard: on text it cannot follow it indexes what came before. */
#ifndef BPFALERT_JSONPOS_H
#define BPFALERT_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum jsonpos_syntax { JSONPOS_JSON, JSONPOS_LIBCONFIG };

typedef struct jsonpos jsonpos;

/* One step of a path: a member key, or (key NULL) an array index. */
typedef struct jsonpos_step {
	const char *key;
	size_t index;
} jsonpos_step;

#define JSONPOS_MAX_PATH 12

typedef struct jsonpos_path {
	jsonpos_step s[JSONPOS_MAX_PATH];
	size_t n;
} jsonpos_path;

/* `p` extended by one step (a copy; a full path is returned unchanged). */
jsonpos_path jsonpos_key(const jsonpos_path *p, const char *key);
jsonpos_path jsonpos_index(const jsonpos_path *p, size_t index);

struct jsonpos_loc {
	size_t offset;  /* byte offset in the text */
	int line, col;
};

jsonpos *jsonpos_scan(const char *text, size_t len, enum jsonpos_syntax syn);
void jsonpos_free(jsonpos **jp);

/* True if the scan followed the whole text.  If not, *stop is the offset
 * where it could not go on (the text's length at its end) and *why what it
 * expected there, e.g. "expected '=' or ':' after the name" or
 * "unexpected end of file".  For libconfig the scan follows libconfig's
 * grammar, so this is a syntax check with a column. */
bool jsonpos_complete(const jsonpos *jp, size_t *stop, const char **why);

/* Where the value at `path` starts and, if `key` is not NULL and the value
 * is an object member, where its key starts (else *key is the value's
 * place).  A libconfig document's root has no place of its own.  With
 * duplicate keys the last one counts, as in json-c.  False if not found. */
bool jsonpos_find(const jsonpos *jp, const jsonpos_path *path,
		  struct jsonpos_loc *value, struct jsonpos_loc *key);

/* Where byte `offset` of the decoded string at `path` is written.  An
 * offset inside a multi-byte escape gives the escape's backslash; an offset
 * at or past the end gives the closing quote.  False if `path` is not a
 * string. */
bool jsonpos_string_at(const jsonpos *jp, const jsonpos_path *path,
		       size_t offset, struct jsonpos_loc *out);

/* Line and column of a byte offset (clamped to the text). */
struct jsonpos_loc jsonpos_loc_of(const jsonpos *jp, size_t offset);

/* Line and column of a byte offset of any text (no index needed). */
struct jsonpos_loc jsonpos_text_loc(const char *text, size_t len,
				    size_t offset);

/* A rule file being checked: reports that point into it.  Each report
 * quotes the source line with a caret; when a path cannot be found the
 * nearest enclosing value that can is used. */
typedef struct docsrc {
	const char *file;   /* name used in reports */
	const char *text;
	size_t len;
	enum jsonpos_syntax syntax;
	jsonpos *pos;       /* index of text (owned by whoever set it) */
	diag *d;
	unsigned errors;    /* errors reported through this docsrc */
} docsrc;

/* At the value of `path` (at its key when at_key). */
void docsrc_report(docsrc *s, enum diag_level level, const jsonpos_path *p,
		   bool at_key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* At byte `offset` of the decoded string at `path`. */
void docsrc_report_string(docsrc *s, enum diag_level level,
			  const jsonpos_path *p, size_t offset,
			  const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "unknown key 'K' (did you mean 'S'?)", a warning at the key of `p`;
 * `known` (NULL-terminated) are the keys that would have been right. */
void docsrc_unknown_key(docsrc *s, const jsonpos_path *p, const char *key,
			const char *const *known);

/* "a group" or "an object": what a document's objects are called in its
 * own syntax, for messages. */
const char *docsrc_object_word(const docsrc *s);

/* At a known line and column (col 0: no caret; line 0: no place). */
void docsrc_report_at(docsrc *s, enum diag_level level, int line, int col,
		      const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
