/* watch — watched paths as (device, inode); see watch.h. */
#include "watch.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "xalloc.h"

struct watch_list {
	struct watch_item *items;
	size_t n;
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

static bool item_stat(struct watch_item *it)
{
	struct stat st;

	free(it->real);
	it->real = NULL;
	if (it->name_only || stat(it->path, &st)) {
		it->present = false;
		return false;
	}
	it->real = realpath(it->path, NULL);
	it->present = true;
	it->key.dev = watch_kdev(st.st_dev);
	it->key.ino = st.st_ino;
	it->mode = st.st_mode;
	if (S_ISDIR(st.st_mode))
		it->dir = true;
	return true;
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
		it->path = xstrdup(paths[i]);
		it->name_only = !strncmp(paths[i], "*/", 2);
		it->dir = !it->name_only && paths[i][len - 1] == '/';
		item_stat(it);
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
	for (size_t i = 0; i < w->n; i++) {
		free(w->items[i].path);
		free(w->items[i].real);
	}
	free(w->items);
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
		bool was = it->present;

		item_stat(it);
		if (was == it->present && (!was || !memcmp(&old, &it->key, sizeof(old))))
			continue;
		changed++;
		if (fn)
			fn(ctx, it, &old, was);
	}
	collect_names(w);
	return changed;
}

size_t watch_list_keys(const watch_list *w, bool dirs, struct probe_inode_key *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n && n < max; i++) {
		const struct watch_item *it = &w->items[i];
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
	for (size_t i = 0; i < w->n; i++)
		if (w->items[i].present && w->items[i].dir == dir &&
		    !memcmp(&w->items[i].key, k, sizeof(*k)))
			return &w->items[i];
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
