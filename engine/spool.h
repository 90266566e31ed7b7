/* spool — notifications kept on disk until their target acknowledges them
 * (DESIGN §7.2).
 *
 * One file per notification, named by its id: DIR/00000000000000000042.json
 * holding notification_to_json.  A record is written to a temporary name
 * and renamed into place, so a reader sees it whole or not at all, and once
 * spool_append returns it survives a crash or restart of the process.
 *
 * Records are not flushed to disk one by one: an fsync or syncfs makes the
 * file system commit its journal, and while it does, the event loop's own
 * creates, renames and unlinks wait behind it — measured here as 200 ms
 * stalls that put the p99 of alert delivery far beyond its 10 ms budget.
 * The kernel writes the records back within its dirty-writeback interval
 * (30 s by default), and spool_sync flushes everything at a clean shutdown,
 * so only a power cut within that interval can lose the newest records; a
 * record left truncated by one is set aside as corrupt.
 *
 * A record that does not parse is moved aside to NAME.bad; a record whose
 * target no longer exists is moved to DIR/orphaned/ (both kept for the
 * operator, never resent). */
#ifndef BPFALERT_SPOOL_H
#define BPFALERT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notification.h"

typedef struct spool spool;

/* Ids run from 1 to SPOOL_ID_MAX and are written as 20 digits; a name
 * outside that (a larger number, other digits, a FIFO or anything but a
 * regular file) is moved aside to NAME.bad, counted and never sent, so the
 * counter never wraps and no record is ever overwritten. */
#define SPOOL_ID_MAX 999999999999999999ULL

/* Opens DIR, creating it (0700) if needed.  NULL with a reason in err. */
spool *spool_open(const char *dir, char *err, size_t errlen);
void spool_free(spool **s);

/* Every record in id order: `fn` takes ownership of each notification
 * (its id is the record's).  Corrupt records are logged and moved aside;
 * leftover temporary files are removed.  Returns the highest id present in
 * the directory, corrupt and orphaned records included (0 if none), so new
 * ids can start above it. */
typedef void (*spool_load_fn)(void *ctx, notification *n);
uint64_t spool_load(spool *s, spool_load_fn fn, void *ctx);

/* Writes n's record (see above for when it is on disk).  0, or -errno
 * (logged by the caller). */
int spool_append(spool *s, const notification *n);
/* Flushes records written since the last sync to disk.  0, or -errno. */
int spool_sync(spool *s);
/* True when records were written since the last sync. */
bool spool_dirty(const spool *s);
/* Forgets the record of `id` (acknowledged, failed or dropped). */
void spool_remove(spool *s, uint64_t id);
/* Moves the record of `id` to DIR/orphaned/.  0 or -errno. */
int spool_set_aside(spool *s, uint64_t id);

/* Records moved aside as corrupt or misnamed since spool_open. */
unsigned long long spool_quarantined(const spool *s);
/* Records currently in the spool (not counting those moved aside). */
size_t spool_count(const spool *s);
const char *spool_dir(const spool *s);

#endif
