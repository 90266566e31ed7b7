/* export_file — events as Tetragon's JSON export file (DESIGN §12).
 *
 * One event a line, as Tetragon's exporter writes it, so whatever reads
 * Tetragon's file (Vector, Fluent Bit, `bpfalert events`) reads this one.
 * Rotation is Tetragon's (its lumberjack logger): before a write that would
 * take the file past max_size the file is renamed to
 * NAME-2006-01-02T15-04-05.000.EXT (UTC) and a new one started; backups
 * beyond max_backups (newest kept) are removed, and with `compress` each
 * backup is gzipped to BACKUP.gz.  Compressing and pruning run in a
 * thread of their own, so the event loop never waits for them.
 * reopen() (SIGUSR1) closes and reopens the path after an external
 * rotation. */
#ifndef BPFALERT_EXPORT_FILE_H
#define BPFALERT_EXPORT_FILE_H

#include <stddef.h>

#include "export_spec.h"

typedef struct export_file export_file;

export_file *export_file_new(const struct export_spec *s, char *err, size_t errlen);
void export_file_free(export_file **f);

/* Appends `line` (no newline) and a newline.  0, or -errno. */
int export_file_write(export_file *f, const char *line, size_t len);
void export_file_reopen(export_file *f);

/* Backup name for a rotation at `ms` (wall clock): malloc'd. */
char *export_file_backup_name(const char *path, int64_t ms);

#endif
