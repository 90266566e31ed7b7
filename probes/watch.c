/* watch — watched paths as (device, inode); see watch.h. */
#include "watch.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "xalloc.h"

struct watch_list {
	struct watch_item *items;
	size_t n;
	struct watch_item *former;  /* renamed away, still linked */
	size_t nformer, former_cap;
	int *doomed;                /* descriptors to close at release */
	size_t ndoomed, doomed_cap;
	struct probe_name_key *names;
	size_t nnames, names_cap;
};

uint64_t watch_kdev(dev_t dev)
{
	return ((uint64_t)major(dev) << 20) | (uint64_t)minor(dev);
}

size_t watch_basename(const char *path, char *out, size_t size)
{
	size_t end = strlen(path), start, n;

	while (end && path[end - 1] == '/')
		end--;
	start = end;
	while (start && path[start - 1] != '/')
		start--;
	n = end - start;
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(out, path + start, c);
		out[c] = 0;
	}
	return n;
}

static void doom(watch_list *w, int fd)
{
	if (fd < 0)
		return;
	w->doomed = xgrow(w->doomed, &w->doomed_cap, w->ndoomed + 1, sizeof(*w->doomed));
	w->doomed[w->ndoomed++] = fd;
}

/* The directory holding a file's real path. */
static int dir_of(const char *real)
{
	const char *slash = strrchr(real, '/');
	char *dir;
	int fd;

	if (!slash)
		return -1;
	dir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return fd;
}

/* The item's inode, from a descriptor of it (no race between the name and
 * the number).  The previous descriptors go to old[0] (the inode's) and
 * old[1] (its directory's). */
static bool item_stat(struct watch_item *it, int old[2])
{
	struct stat st;
	int fd = it->name_only ? -1 : open(it->path, O_PATH | O_CLOEXEC);

	old[0] = it->fd;
	old[1] = it->dirfd;
	it->fd = it->dirfd = -1;
	free(it->real);
	it->real = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		it->present = false;
		return false;
	}
	it->real = realpath(it->path, NULL);
	it->present = true;
	it->fd = fd;
	it->key.dev = watch_kdev(st.st_dev);
	it->key.ino = st.st_ino;
	it->mode = st.st_mode;
	if (S_ISDIR(st.st_mode))
		it->dir = true;
	if (!it->dir && it->real)
		it->dirfd = dir_of(it->real);
	return true;
}

static bool still_linked(int fd)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) && st.st_nlink > 0;
}

static void item_clear(struct watch_item *it)
{
	free(it->path);
	free(it->real);
	if (it->fd >= 0)
		close(it->fd);
	if (it->dirfd >= 0)
		close(it->dirfd);
}

/* The inode an item had before it changed, if another name still links it. */
static void keep_former(watch_list *w, const struct watch_item *it,
			const struct probe_inode_key *old, uint32_t mode, int fd)
{
	struct watch_item *f;

	if (!still_linked(fd)) {
		doom(w, fd);
		return;
	}
	if (w->nformer == WATCH_FORMER_MAX) {
		doom(w, w->former[0].fd);
		free(w->former[0].path);
		memmove(w->former, w->former + 1, (w->nformer - 1) * sizeof(*w->former));
		w->nformer--;
	}
	w->former = xgrow(w->former, &w->former_cap, w->nformer + 1, sizeof(*w->former));
	f = &w->former[w->nformer++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(it->path);
	f->dir = it->dir;
	f->present = true;
	f->key = *old;
	f->mode = mode;
	f->fd = fd;
	f->dirfd = -1;
}

static bool key_current(const watch_list *w, const struct probe_inode_key *k)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->items[i].present && !memcmp(&w->items[i].key, k, sizeof(*k)))
			return true;
	return false;
}

/* Former items whose inode is gone, or watched again by its name. */
static void prune_former(watch_list *w)
{
	size_t keep = 0;

	for (size_t i = 0; i < w->nformer; i++) {
		struct watch_item *f = &w->former[i];

		if (still_linked(f->fd) && !key_current(w, &f->key)) {
			w->former[keep++] = *f;
			continue;
		}
		doom(w, f->fd);
		free(f->path);
	}
	w->nformer = keep;
}

void watch_list_release(watch_list *w)
{
	for (size_t i = 0; i < w->ndoomed; i++)
		close(w->doomed[i]);
	w->ndoomed = 0;
}

static void add_name(watch_list *w, const char *path)
{
	struct probe_name_key k;
	size_t n;

	memset(&k, 0, sizeof(k));
	n = watch_basename(path, k.name, sizeof(k.name));
	/* Longer names are cut in the kernel and could never match. */
	if (n == 0 || n >= sizeof(k.name))
		return;
	for (size_t i = 0; i < w->nnames; i++)
		if (!memcmp(&w->names[i], &k, sizeof(k)))
			return;
	w->names = xgrow(w->names, &w->names_cap, w->nnames + 1, sizeof(*w->names));
	w->names[w->nnames++] = k;
}

/* The basenames of every path and of what its symbolic links lead to. */
static void collect_names(watch_list *w)
{
	w->nnames = 0;
	for (size_t i = 0; i < w->n; i++) {
		add_name(w, w->items[i].path);
		if (w->items[i].real)
			add_name(w, w->items[i].real);
	}
}

watch_list *watch_list_new(const char *const *paths, size_t n)
{
	watch_list *w = xcalloc(1, sizeof(*w));

	w->items = xcalloc(n ? n : 1, sizeof(*w->items));
	for (size_t i = 0; i < n; i++) {
		struct watch_item *it = &w->items[w->n];
		size_t len = strlen(paths[i]);

		if (!len)
			continue;
		int none[2];

		it->path = xstrdup(paths[i]);
		it->name_only = !strncmp(paths[i], "*/", 2);
		it->dir = !it->name_only && paths[i][len - 1] == '/';
		it->fd = it->dirfd = -1;
		item_stat(it, none);
		w->n++;
	}
	collect_names(w);
	return w;
}

void watch_list_free(watch_list **pw)
{
	watch_list *w = *pw;

	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		item_clear(&w->items[i]);
	for (size_t i = 0; i < w->nformer; i++)
		item_clear(&w->former[i]);
	watch_list_release(w);
	free(w->items);
	free(w->former);
	free(w->doomed);
	free(w->names);
	free(w);
	*pw = NULL;
}

size_t watch_list_count(const watch_list *w)
{
	return w->n;
}

const struct watch_item *watch_list_item(const watch_list *w, size_t i)
{
	return i < w->n ? &w->items[i] : NULL;
}

size_t watch_list_refresh(watch_list *w, watch_change_fn fn, void *ctx)
{
	size_t changed = 0;

	for (size_t i = 0; i < w->n; i++) {
		struct watch_item *it = &w->items[i];
		struct probe_inode_key old = it->key;
		uint32_t mode = it->mode;
		bool was = it->present;
		int oldfd[2];

		item_stat(it, oldfd);
		if (was == it->present && (!was || !memcmp(&old, &it->key, sizeof(old)))) {
			doom(w, it->fd);       /* the same inode: keep the first descriptors */
			doom(w, it->dirfd);
			it->fd = oldfd[0];
			it->dirfd = oldfd[1];
			continue;
		}
		changed++;
		doom(w, oldfd[1]);
		if (was)
			keep_former(w, it, &old, mode, oldfd[0]);
		if (fn)
			fn(ctx, it, &old, was);
	}
	prune_former(w);
	collect_names(w);
	return changed;
}

size_t watch_list_keys(const watch_list *w, bool dirs, struct probe_inode_key *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n + w->nformer && n < max; i++) {
		const struct watch_item *it = i < w->n ? &w->items[i] : &w->former[i - w->n];
		bool dup = false;

		if (!it->present || it->dir != dirs)
			continue;
		for (size_t k = 0; k < n; k++)
			dup = dup || !memcmp(&out[k], &it->key, sizeof(it->key));
		if (!dup)
			out[n++] = it->key;
	}
	return n;
}

size_t watch_list_names(const watch_list *w, struct probe_name_key *out, size_t max)
{
	size_t n = w->nnames < max ? w->nnames : max;

	if (n)
		memcpy(out, w->names, n * sizeof(*out));
	return n;
}

static const struct watch_item *find_key(const watch_list *w, const struct probe_inode_key *k,
					 bool dir)
{
	for (size_t i = 0; i < w->n + w->nformer; i++) {
		const struct watch_item *it = i < w->n ? &w->items[i] : &w->former[i - w->n];

		if (it->present && it->dir == dir && !memcmp(&it->key, k, sizeof(*k)))
			return it;
	}
	return NULL;
}

const struct watch_item *watch_list_find_file(const watch_list *w, const struct probe_inode_key *k)
{
	return find_key(w, k, false);
}

const struct watch_item *watch_list_find_dir(const watch_list *w, const struct probe_inode_key *k)
{
	return find_key(w, k, true);
}

char *watch_item_name(const struct watch_item *it, const char *rel)
{
	size_t n = strlen(it->path);

	if (!it->dir)
		return xstrdup(it->path);
	while (n > 1 && it->path[n - 1] == '/')
		n--;
	while (*rel == '/')
		rel++;
	if (n == 1 && it->path[0] == '/')
		n = 0;
	return xasprintf("%.*s/%s", (int)n, it->path, rel);
}

/* True if path is dir or lies below it (dir with or without its '/'). */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && path[n] == '/' && path[n + 1];
}

bool watch_item_covers(const struct watch_item *it, const char *path)
{
	if (it->name_only) {
		const char *base = strrchr(path, '/');
		return !strcmp(base ? base + 1 : path, it->path + 2);
	}
	if (it->dir)
		return below(path, it->path) || (it->real && below(path, it->real));
	return !strcmp(path, it->path) || (it->real && !strcmp(path, it->real));
}

const struct watch_item *watch_list_find_path(const watch_list *w, const char *path)
{
	for (size_t i = 0; i < w->n; i++)
		if (watch_item_covers(&w->items[i], path))
			return &w->items[i];
	return NULL;
}

bool watch_list_has_basename(const watch_list *w, const char *name)
{
	struct probe_name_key k;

	memset(&k, 0, sizeof(k));
	if (watch_basename(name, k.name, sizeof(k.name)) >= sizeof(k.name))
		return false;
	for (size_t i = 0; i < w->nnames; i++)
		if (!memcmp(&w->names[i], &k, sizeof(k)))
			return true;
	return false;
}
