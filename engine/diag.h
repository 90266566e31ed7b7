/* diag — error and warning reports that name their place.
 *
 *   rules.d/ssh.rules:12:41: error: unknown operator '=>' (did you mean '>='?)
 *       rule = "process_exec_process_uid => 1000";
 *                                               ^
 *
 * A diag collects every report (it never stops at the first), writes each
 * to its stream as it comes, and counts errors and warnings. */
#ifndef BPFALERT_DIAG_H
#define BPFALERT_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

typedef struct diag diag;

/* Reports go to `out` (not owned; NULL discards them). */
diag *diag_new(FILE *out);
void diag_free(diag **d);

/* `file` may be NULL; `line` and `col` are 1-based, 0 when unknown.
 * `src`/`src_len`: the source line to quote (without its newline), or NULL.
 * A caret is drawn under `col` when both src and col are given. */
void diag_report(diag *d, enum diag_level level, const char *file, int line,
		 int col, const char *src, size_t src_len, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

unsigned diag_errors(const diag *d);
unsigned diag_warnings(const diag *d);

/* Finds line `line` (1-based) of `text`; sets *len.  NULL if absent. */
const char *diag_line_of(const char *text, size_t text_len, int line,
			 size_t *len);

#endif
