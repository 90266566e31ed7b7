#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "xalloc.h"

char *textfile_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0, r;
	do {
		buf = xgrow(buf, &cap, n + 65536 + 1, 1);
		r = fread(buf + n, 1, 65536, f);
		n += r;
	} while (r > 0 && n <= max);
	int err = ferror(f) ? EIO : n > max ? EFBIG : 0;
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
