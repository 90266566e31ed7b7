/* Helpers shared by the test suites. */
#ifndef BPFALERT_TESTUTIL_H
#define BPFALERT_TESTUTIL_H

#include <check.h>
#include <stddef.h>

#include "notifier.h"

/* Every suite constructor, from the generated list. */
#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

/* Absolute path of a file in the source tree ($BPFALERT_SRC/rel). */
const char *src_path(const char *rel);
/* Absolute path of a file in the shared test data ($BPFALERT_TESTDATA/rel). */
const char *testdata_path(const char *rel);
/* The bpfalert binary under test ($BPFALERT_BIN). */
const char *bpfalert_bin(void);

/* Reads a whole file; NULL if it cannot.  Caller frees. */
char *slurp(const char *path, size_t *len);

/* Runs `sh -c cmd` and captures stdout (and stderr when merge_stderr) into a
 * malloc'd string; sets *status to the exit status (or 128+signal). */
char *run_capture(const char *cmd, int *status);

/* A fresh temporary directory (mkdtemp); removed by rm_rf. */
char *make_temp_dir(void);
void rm_rf(const char *path);
/* Writes `text` to dir/name; returns the malloc'd path. */
char *write_file(const char *dir, const char *name, const char *text);

/* CLOCK_MONOTONIC in seconds; test_timing prints "timing: WHAT in N s"
 * since `t0` to stderr when $BPFALERT_TEST_TIMINGS is set (make
 * test-kernels: where a slow guest's time goes).  Never an assertion. */
double test_clock(void);
void test_timing(const char *what, double t0);

/* What a notifier reported through its done callback (on_done). */
struct outcome {
	int calls;
	enum delivery_result result;
	char detail[512];
};
void on_done(void *ctx, enum delivery_result result, const char *detail);

#endif
