/* textfile — opening and reading configuration, rule, state and spool files
 * defensively.
 *
 * Every file bpfalert reads is opened without blocking (O_NONBLOCK: a FIFO
 * or a device left in a watched directory must not hang a check, a reload
 * or a start-up) and without becoming a controlling terminal, then checked
 * to be a regular file.  Anything else fails with TEXTFILE_ENOTREG, which
 * textfile_strerror names in plain words. */
#ifndef BPFALERT_TEXTFILE_H
#define BPFALERT_TEXTFILE_H

#include <errno.h>
#include <stddef.h>

/* errno for "exists but is not a regular file" (FIFO, socket, device,
 * directory). */
#define TEXTFILE_ENOTREG EMEDIUMTYPE

/* Opens `path` (relative to dirfd, AT_FDCWD for none) read-only; the fd is
 * blocking again once the file is known to be regular.  -1 with errno set. */
int textfile_open_at(int dirfd, const char *path, int extra_flags);

/* Reads `path` (at most `max` bytes) into a NUL-terminated buffer the
 * caller frees.  NULL with errno set on failure: EFBIG when the file is
 * larger than `max`, TEXTFILE_ENOTREG when it is not a regular file. */
char *textfile_read(const char *path, size_t max, size_t *len);
/* The same for a file opened with textfile_open_at (which it closes). */
char *textfile_read_fd(int fd, size_t max, size_t *len);

/* strerror, but TEXTFILE_ENOTREG reads "not a regular file". */
const char *textfile_strerror(int e);

#endif
