/* ruletest — `bpfalert test FILE...`: rule unit tests (DESIGN §10).
 *
 * A test file (libconfig) names the rules under test, feeds them events
 * on a virtual clock and lists the notifications expected, per target with
 * their times; the format is described in docs/rule-tests.md.  Every case
 * runs through the dry-run driver, so what is checked is exactly what
 * `replay --dry-run` would print.  A failing case prints expected against
 * actual, with the file name and the case. */
#ifndef BPFALERT_RULETEST_H
#define BPFALERT_RULETEST_H

#include <stddef.h>
#include <stdio.h>

/* Runs every case of every file, reporting on `out`.  Returns 0 when all
 * pass, 1 when a case failed, 2 when a file could not be run (unreadable,
 * malformed, or its rules do not load). */
int ruletest_run(const char *const *files, size_t n, FILE *out);

#endif
