#include "textfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

int textfile_open_at(int dirfd, const char *path, int extra_flags)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
			extra_flags);
	if (fd < 0)
		return -1;
	struct stat st;
	int e = fstat(fd, &st) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : TEXTFILE_ENOTREG;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

char *textfile_read_fd(int fd, size_t max, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	do {
		buf = xgrow(buf, &cap, n + 65536 + 1, 1);
		r = read(fd, buf + n, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			n += (size_t)r;
	} while (r != 0 && (r > 0 || errno == EINTR) && n <= max);
	int err = r < 0 ? errno : n > max ? EFBIG : 0;
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *textfile_read(const char *path, size_t max, size_t *len)
{
	int fd = textfile_open_at(AT_FDCWD, path, 0);
	return fd < 0 ? NULL : textfile_read_fd(fd, max, len);
}

const char *textfile_strerror(int e)
{
	return e == TEXTFILE_ENOTREG ? "not a regular file" : strerror(e);
}
