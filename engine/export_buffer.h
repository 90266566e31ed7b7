/* export_buffer — an HTTP export's batches on disk (DESIGN §12), bounded
 * in bytes, at-least-once across outages and restarts.
 *
 * DIR holds one file per batch, named by a 20-digit sequence number:
 *
 *   N.open     the batch being filled: each event is appended as one line
 *              the moment it is accepted (no fsync: like the notification
 *              spool, a crash of the process loses nothing, a power cut
 *              within the kernel's writeback interval may)
 *   N.batch    sealed, waiting to be sent
 *   N.sending  sent at least once without an acknowledgement: after a
 *              restart it is sent again and its events count as resent
 *              (the receiver may hold them twice)
 *
 * At start a leftover N.open is cut after its last whole line and sealed.
 * When an event would take the buffer past max_bytes, the oldest batches
 * (never the one in flight) are deleted until it fits; every event
 * deleted is counted as dropped and logged. */
#ifndef BPFALERT_EXPORT_BUFFER_H
#define BPFALERT_EXPORT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export_spec.h"

typedef struct export_buffer export_buffer;

/* Creates DIR (0700) if needed and loads what it holds.  `st` (borrowed)
 * gets dropped and buffer_bytes.  NULL with a reason in err. */
export_buffer *export_buffer_open(const char *dir, const char *name,
				  uint64_t max_bytes, struct export_stats *st,
				  char *err, size_t errlen);
/* Seals the open batch. */
void export_buffer_free(export_buffer **b);

/* Appends one event (no newline) to the open batch.  0, or -errno (the
 * event is then counted as dropped). */
int export_buffer_append(export_buffer *b, const char *line, size_t len);
size_t export_buffer_open_events(const export_buffer *b);
size_t export_buffer_open_bytes(const export_buffer *b);
void export_buffer_seal(export_buffer *b);

/* Batches that can be taken at once: one in flight, the next being built. */
#define EXPORT_BUFFER_TAKEN 2

/* The oldest sealed batch not already taken, read into *text (caller
 * frees); while taken it is never dropped for room.  *resent: it was sent
 * before.  False if there is none, or EXPORT_BUFFER_TAKEN are taken. */
bool export_buffer_take(export_buffer *b, uint64_t *id, char **text,
			size_t *len, size_t *events, bool *resent);
/* Records, before its request starts, that the batch is being sent
 * (N.sending on disk).  True if it had been sent before. */
bool export_buffer_mark_sent(export_buffer *b, uint64_t id);
/* A batch taken is unsent again (to be retried). */
void export_buffer_untake(export_buffer *b, uint64_t id);
/* The batch is done with (acknowledged, or refused for good). */
void export_buffer_remove(export_buffer *b, uint64_t id);

/* Nothing sealed and nothing in the open batch. */
bool export_buffer_empty(const export_buffer *b);
uint64_t export_buffer_bytes(const export_buffer *b);

#endif
