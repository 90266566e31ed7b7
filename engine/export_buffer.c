#include "export_buffer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "textfile.h"
#include "xalloc.h"

struct batch {
	uint64_t id;
	uint64_t bytes;
	size_t events;
	bool sent;          /* sent at least once (N.sending) */
};

struct export_buffer {
	char *dir, *name;
	uint64_t max_bytes, bytes;
	struct export_stats *st;
	struct batch *v;    /* sealed, oldest first */
	size_t n, cap;
	uint64_t taken[EXPORT_BUFFER_TAKEN]; /* ids being sent; 0: free */
	uint64_t next_id;
	int open_fd;        /* -1: no open batch */
	struct batch open;
	struct log_ratelimit rl;
};

static const char *const suffix[] = { ".open", ".batch", ".sending" };
enum { OPEN, SEALED, SENDING };

static char *file_of(const export_buffer *b, uint64_t id, int kind)
{
	return xasprintf("%s/%020" PRIu64 "%s", b->dir, id, suffix[kind]);
}

static void set_bytes(export_buffer *b, uint64_t bytes)
{
	b->bytes = bytes;
	b->st->buffer_bytes = bytes;
}

/* ---- loading ---- */

static size_t count_lines(const char *t, size_t len)
{
	size_t n = 0;
	for (const char *p = t; (p = memchr(p, '\n', len - (size_t)(p - t))); p++)
		n++;
	return n;
}

/* An open batch left by a crash: cut after its last whole line, sealed. */
static int seal_leftover(export_buffer *b, uint64_t id)
{
	char *from = file_of(b, id, OPEN), *to = file_of(b, id, SEALED);
	size_t len;
	char *t = textfile_read(from, UINT32_MAX, &len);
	size_t keep = len;
	while (t && keep > 0 && t[keep - 1] != '\n')
		keep--;
	int rc = t && truncate(from, (off_t)keep) == 0 && rename(from, to) == 0 ? 0 : -errno;
	free(t);
	free(from);
	free(to);
	return rc;
}

static void add_loaded(export_buffer *b, uint64_t id, bool sent)
{
	char *p = file_of(b, id, sent ? SENDING : SEALED);
	size_t len;
	char *t = textfile_read(p, UINT32_MAX, &len);
	if (t && len) {
		b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof(*b->v));
		b->v[b->n++] = (struct batch){ id, len, count_lines(t, len), sent };
		set_bytes(b, b->bytes + len);
	} else if (t) {
		unlink(p);
	}
	free(t);
	free(p);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int parse_name(const char *nm, uint64_t *id)
{
	if (strlen(nm) < 21 || strspn(nm, "0123456789") != 20)
		return -1;
	*id = strtoull(nm, NULL, 10);
	for (int k = 0; k < 3; k++)
		if (!strcmp(nm + 20, suffix[k]))
			return k;
	return -1;
}

static int load(export_buffer *b)
{
	DIR *d = opendir(b->dir);
	if (!d)
		return -errno;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		uint64_t id;
		int kind = parse_name(e->d_name, &id);
		if (kind < 0)
			continue;
		if (kind == OPEN && seal_leftover(b, id) < 0)
			log_warn("export '%s': cannot recover '%s'", b->name, e->d_name);
		ids = xgrow(ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = id << 1 | (kind == SENDING);
	}
	closedir(d);
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		add_loaded(b, ids[i] >> 1, ids[i] & 1);
		if ((ids[i] >> 1) >= b->next_id)
			b->next_id = (ids[i] >> 1) + 1;
	}
	free(ids);
	return 0;
}

export_buffer *export_buffer_open(const char *dir, const char *name,
				  uint64_t max_bytes, struct export_stats *st,
				  char *err, size_t errlen)
{
	export_buffer *b = xcalloc(1, sizeof(*b));
	b->dir = xstrdup(dir);
	b->name = xstrdup(name);
	b->max_bytes = max_bytes;
	b->st = st;
	b->open_fd = -1;
	b->next_id = 1;
	int rc = mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : load(b);
	if (rc < 0) {
		snprintf(err, errlen, "buffer '%s': %s", dir, strerror(-rc));
		export_buffer_free(&b);
		return NULL;
	}
	if (b->n)
		log_info("export '%s': %zu batches (%" PRIu64 " bytes) from the last run to send",
			 name, b->n, b->bytes);
	return b;
}

void export_buffer_free(export_buffer **pb)
{
	export_buffer *b = *pb;
	if (!b)
		return;
	export_buffer_seal(b);
	free(b->v);
	free(b->dir);
	free(b->name);
	free(b);
	*pb = NULL;
}

/* ---- filling ---- */

static bool is_taken(const export_buffer *b, uint64_t id)
{
	for (size_t k = 0; k < EXPORT_BUFFER_TAKEN; k++)
		if (b->taken[k] == id)
			return true;
	return false;
}

static void set_taken(export_buffer *b, uint64_t from, uint64_t to)
{
	for (size_t k = 0; k < EXPORT_BUFFER_TAKEN; k++)
		if (b->taken[k] == from) {
			b->taken[k] = to;
			return;
		}
}

static void drop_at(export_buffer *b, size_t i)
{
	struct batch *x = &b->v[i];
	char *p = file_of(b, x->id, x->sent ? SENDING : SEALED);
	unlink(p);
	free(p);
	b->st->dropped += x->events;
	set_bytes(b, b->bytes - x->bytes);
	log_ratelimited(&b->rl, LOG_LEVEL_WARN, "export '%s': buffer full (%" PRIu64
			" bytes); dropped the oldest batch, %zu events", b->name,
			b->max_bytes, x->events);
	memmove(x, x + 1, (b->n - i - 1) * sizeof(*x));
	b->n--;
}

/* Makes room for `len` more bytes, oldest first; false if it cannot. */
static bool make_room(export_buffer *b, size_t len)
{
	size_t i = 0;
	while (b->bytes + len > b->max_bytes && i < b->n) {
		if (is_taken(b, b->v[i].id))
			i++;
		else
			drop_at(b, i);
	}
	return b->bytes + len <= b->max_bytes;
}

static int start_open(export_buffer *b)
{
	b->open = (struct batch){ .id = b->next_id++ };
	char *p = file_of(b, b->open.id, OPEN);
	b->open_fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	free(p);
	return b->open_fd >= 0 ? 0 : -errno;
}

int export_buffer_append(export_buffer *b, const char *line, size_t len)
{
	int rc = 0;
	if (!make_room(b, len + 1))
		rc = -ENOSPC;
	else if (b->open_fd < 0)
		rc = start_open(b);
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	if (rc == 0 && writev(b->open_fd, iov, 2) != (ssize_t)(len + 1))
		rc = errno ? -errno : -EIO;
	if (rc < 0) {
		b->st->dropped++;
		log_ratelimited(&b->rl, LOG_LEVEL_WARN, "export '%s': event dropped: %s",
				b->name, rc == -ENOSPC ? "buffer full" : strerror(-rc));
		return rc;
	}
	b->open.events++;
	b->open.bytes += len + 1;
	set_bytes(b, b->bytes + len + 1);
	return 0;
}

size_t export_buffer_open_events(const export_buffer *b) { return b->open.events; }
size_t export_buffer_open_bytes(const export_buffer *b) { return (size_t)b->open.bytes; }

void export_buffer_seal(export_buffer *b)
{
	if (b->open_fd < 0)
		return;
	close(b->open_fd);
	b->open_fd = -1;
	char *from = file_of(b, b->open.id, OPEN), *to = file_of(b, b->open.id, SEALED);
	if (!b->open.events)
		unlink(from);
	else if (rename(from, to) < 0)
		log_error("export '%s': cannot seal '%s': %s", b->name, from, strerror(errno));
	else {
		b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof(*b->v));
		b->v[b->n++] = b->open;
	}
	free(from);
	free(to);
	b->open = (struct batch){ 0 };
}

/* ---- sending ---- */

static struct batch *find(export_buffer *b, uint64_t id, size_t *at)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].id == id) {
			if (at)
				*at = i;
			return &b->v[i];
		}
	return NULL;
}

bool export_buffer_take(export_buffer *b, uint64_t *id, char **text,
			size_t *len, size_t *events, bool *resent)
{
	if (!is_taken(b, 0))
		return false;
	size_t i = 0;
	while (i < b->n) {
		struct batch *x = &b->v[i];
		if (is_taken(b, x->id)) {
			i++;
			continue;
		}
		char *p = file_of(b, x->id, x->sent ? SENDING : SEALED);
		char *t = textfile_read(p, UINT32_MAX, len);
		if (!t) {
			log_error("export '%s': cannot read '%s': %s; batch dropped",
				  b->name, p, strerror(errno));
			free(p);
			drop_at(b, i);
			continue;
		}
		*resent = x->sent;
		free(p);
		set_taken(b, 0, x->id);
		*id = x->id;
		*text = t;
		*events = x->events;
		return true;
	}
	return false;
}

bool export_buffer_mark_sent(export_buffer *b, uint64_t id)
{
	struct batch *x = find(b, id, NULL);
	if (!x || x->sent)
		return x != NULL;
	char *p = file_of(b, id, SEALED), *q = file_of(b, id, SENDING);
	if (rename(p, q) == 0)
		x->sent = true;
	free(p);
	free(q);
	return false;
}

void export_buffer_untake(export_buffer *b, uint64_t id)
{
	if (id)
		set_taken(b, id, 0);
}

void export_buffer_remove(export_buffer *b, uint64_t id)
{
	size_t i;
	struct batch *x = find(b, id, &i);
	export_buffer_untake(b, id);
	if (!x)
		return;
	char *p = file_of(b, id, x->sent ? SENDING : SEALED);
	unlink(p);
	free(p);
	set_bytes(b, b->bytes - x->bytes);
	memmove(x, x + 1, (b->n - i - 1) * sizeof(*x));
	b->n--;
}

bool export_buffer_empty(const export_buffer *b)
{
	return b->n == 0 && b->open.events == 0;
}

uint64_t export_buffer_bytes(const export_buffer *b) { return b->bytes; }
