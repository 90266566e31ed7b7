/* alertstate — alert instances kept across restarts in STATE_DIR/alerts.json
 * (DESIGN §5.3).
 *
 * The file is JSON lines: a header {"bpfalert_alert_state":1}, then one
 * alertmgr_export_state document per instance, written one at a time so a
 * save holds one instance in memory.  It is written to a
 * temporary name and renamed into place, so a reader sees a whole one, and
 * not flushed to disk (as the spool and the saved position are not: a
 * flush stalls the event loop behind the file system's journal); after a
 * power cut an older state means at worst a repeat sent again.  It is read
 * defensively (textfile: regular files only, bounded); a file that does
 * not parse is set aside as alerts.json.bad. */
#ifndef BPFALERT_ALERTSTATE_H
#define BPFALERT_ALERTSTATE_H

#include <stddef.h>

#include "alertmgr.h"

/* Restores what the file holds into am; the number of instances restored
 * (problems are logged). */
size_t alertstate_load(alertmgr *am, const char *state_dir);
/* 0, or -errno (logged). */
int alertstate_save(alertmgr *am, const char *state_dir);

#endif
