/* spool — notifications kept on disk until their target acknowledges them
 * (DESIGN §7.2).
 *
 * One file per notification, named by its id: DIR/00000000000000000042.json
 * holding notification_to_json.  A record is written to a temporary name
 * and renamed into place, so a reader sees it whole or not at all, and once
 * spool_append returns it survives a crash of the process.  Surviving a
 * crash of the machine takes a flush to disk, which costs milliseconds: an
 * fsync per record would cap a burst of alerts at ~100/s on a plain disk and
 * stall the event loop, so flushes are grouped and moved off the loop —
 * spool_sync asks a flusher thread for one syncfs(2) covering every record
 * written since the last request (the dispatcher asks once per loop round)
 * and returns at once, with the error of an earlier flush if one failed.
 * A power cut can thus cost the records written since the last flush; a
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

/* Records currently in the spool (not counting those moved aside). */
size_t spool_count(const spool *s);
const char *spool_dir(const spool *s);

#endif
