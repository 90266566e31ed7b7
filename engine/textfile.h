/* textfile — reading a whole configuration or rule file, bounded. */
#ifndef BPFALERT_TEXTFILE_H
#define BPFALERT_TEXTFILE_H

#include <stddef.h>

/* Reads `path` (at most `max` bytes) into a NUL-terminated buffer the
 * caller frees.  NULL with errno set on failure: EFBIG when the file is
 * larger than `max`. */
char *textfile_read(const char *path, size_t max, size_t *len);

#endif
