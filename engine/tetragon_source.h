/* tetragon_source — following Tetragon's JSON export (DESIGN §6.3 sources.tetragon).
 *
 * Follows a file like `tail -F`: survives rotation by rename (the old file
 * is read to its end first), truncation (read again from the start), and the
 * file not existing yet (waits for it); or reads a stream (stdin, a pipe)
 * to its end.  Its position (device, inode, offset of the last whole line
 * handed out) is saved under state_dir, so a restart neither hands out old
 * lines again nor misses lines written while bpfalert was down.  Rejected
 * lines are counted and reported with their line number (rate-limited).
 * Runs on the event loop: inotify where available, else polling. */
#ifndef BPFALERT_TETRAGON_SOURCE_H
#define BPFALERT_TETRAGON_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonl.h"
#include "loop.h"
#include "source.h"

typedef struct tetragon_source tetragon_source;

struct tetragon_source_config {
	const char *path;        /* file to follow; "-" reads stdin */
	bool follow;             /* false: read to the end once, then stop */
	const char *state_dir;   /* position file lives here; NULL: none kept */
	int poll_ms;             /* polling interval when inotify is missing; 0: 250 */
};

tetragon_source *tetragon_source_new(loop *l, const struct tetragon_source_config *cfg,
				     const struct source_sink *sink, char *err,
				     size_t errlen);
void tetragon_source_free(tetragon_source **s);

/* Saves the position now (also done periodically and by _free). */
void tetragon_source_save(tetragon_source *s);
/* True once a non-follow source has read all of its input. */
bool tetragon_source_done(const tetragon_source *s);
const struct jsonl_counters *tetragon_source_counters(const tetragon_source *s);

#endif
