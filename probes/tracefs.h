/* tracefs — where the kernel's tracing file system is, mounting it when
 * it is not (tracepoints are attached by their id, read from it). */
#ifndef BPFALERT_TRACEFS_H
#define BPFALERT_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>

/* Finds tracefs at /sys/kernel/tracing or /sys/kernel/debug/tracing, or
 * mounts it at /sys/kernel/tracing.  0, or -errno with a reason in err. */
int tracefs_ensure(char *err, size_t errlen);

/* The directory in use ("/sys/kernel/tracing"); NULL before it is found. */
const char *tracefs_dir(void);

/* True if `rel` exists under tracefs ("events/sched/sched_process_exec"). */
bool tracefs_has(const char *rel);

#endif
