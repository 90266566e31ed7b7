/* tetragon_source — following Tetragon's JSON export (DESIGN §6.3 sources.tetragon).
 *
 * Follows a file like `tail -F`: survives rotation by rename (the old file
 * is read to its end first, an unterminated last line included),
 * copy-truncate (the file becoming shorter than what was read: read again
 * from the start), the file not existing yet (waits for it, saying so once)
 * and its directory not existing yet (polls for it).  A line still being
 * written waits for its newline.  inotify wakes the source up; a timer polls
 * as well (every second with inotify, every poll_ms without), so nothing
 * depends on an event arriving.
 *
 * Streams — "-" (stdin), a pipe or a FIFO — are read to their end, after
 * which tetragon_source_done is true.  A regular file with follow = false
 * is read once from its start, then done; no position is kept for either.
 *
 * Position (follow mode): state_dir/tetragon.position holds one line,
 *
 *     DEVICE INODE OFFSET LINE PATH\n
 *
 * (decimal numbers; OFFSET is the byte after the last whole line consumed,
 * LINE that line's number, PATH the followed path, for the reader's
 * benefit and to notice a changed configuration).  It is replaced
 * atomically (temporary file + rename) every second when it changed, by
 * tetragon_source_save and by _free.  At start, when the file exists:
 *   - same path, device and inode, file at least OFFSET long: resume there;
 *   - same inode but shorter (truncated while stopped): read from the start;
 *   - another inode (rotated while stopped): read the new file from the
 *     start (the rotated-away file cannot be found in general; logged);
 *   - no position (or one for another path): start at the end of the last
 *     whole line, like tail -F, so history does not raise alerts — unless
 *     `from_start` is set (tests, backfill).
 * A file that appears after the start is new: it is read from its start.
 *
 * Each whole line goes to sink->line with the file's own line number.
 * Lines the JSON-lines reader rejects (too long, NUL, invalid UTF-8) go to
 * sink->bad and are logged, rate-limited, as "PATH:LINE: error: REASON".
 * At most one line (JSONL_MAX_LINE) is ever buffered, and each turn of the
 * loop hands out a bounded batch, so a huge backlog does not starve the
 * other sources. */
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
	bool from_start;         /* follow mode without a saved position: read
				    the existing file from its start instead
				    of its end */
	const char *state_dir;   /* position file lives here; NULL: none kept */
	int poll_ms;             /* polling interval when inotify is missing; 0: 250 */
};

/* Returns NULL with a reason in err when the source cannot work at all
 * (no path; a non-follow file that cannot be opened; a directory).  A
 * followed file that does not exist yet is not an error. */
tetragon_source *tetragon_source_new(loop *l, const struct tetragon_source_config *cfg,
				     const struct source_sink *sink, char *err,
				     size_t errlen);
/* Saves the position, stops watching and closes everything. */
void tetragon_source_free(tetragon_source **s);

/* Saves the position now (also done periodically and by _free). */
void tetragon_source_save(tetragon_source *s);
/* True once a non-follow source has read all of its input. */
bool tetragon_source_done(const tetragon_source *s);
/* Lines seen, handed out and rejected, over every file followed so far. */
const struct jsonl_counters *tetragon_source_counters(const tetragon_source *s);

#endif
