/* watch — the configured watch list (probes.files.watch) as the kernel
 * matches it: by (device, inode).
 *
 * A path ending in "/" (or naming a directory) watches everything below
 * it; "*\/NAME" watches every file called NAME, wherever it is (by its
 * basename alone); any other path watches one file.  stat(2) follows symbolic links,
 * so a link's target is what is watched, and hard links share the inode.
 *
 * An inode is only valid until the path is replaced: editors and tools
 * like vipw write a new file and rename it over the old one.  The list is
 * therefore stat'ed again on every refresh (periodically, and soon after
 * the kernel saw a rename, unlink or link naming a watched basename), and
 * each change is reported so that the maps can be updated and the change
 * itself reported as an access.
 *
 * A watched file renamed away (or whose parent directory was renamed)
 * stays watched under its watched name: its inode is kept, as a "former"
 * item, while some name still links it (at most WATCH_FORMER_MAX of them,
 * the oldest dropped).  Each item holds an O_PATH descriptor of its inode,
 * so a number in the kernel's maps always names the file it was taken
 * from; descriptors of inodes no longer watched are only closed by
 * watch_list_release, once the maps no longer hold them.  A file item
 * holds its directory open too, for the kernel's maps (replace.bpf.h). */
#ifndef BPFALERT_WATCH_H
#define BPFALERT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe.h"

struct watch_item {
	char *path;                 /* as configured */
	bool dir;                   /* watches what is below */
	bool name_only;             /* "*\/NAME": any file of that basename */
	bool present;
	struct probe_inode_key key; /* valid when present */
	uint32_t mode;
	char *real;                 /* realpath when present, else NULL */
	int fd;                     /* O_PATH descriptor of the inode when present,
				       else -1: held, the inode cannot be freed and
				       its number reused while it is watched */
	int dirfd;                  /* a file's: O_PATH descriptor of the directory
				       holding real, else -1 (where the kernel
				       looks when a rename replaces the file) */
};

typedef struct watch_list watch_list;

/* Stats every path; missing ones are kept (they may appear later). */
watch_list *watch_list_new(const char *const *paths, size_t n);
void watch_list_free(watch_list **w);

size_t watch_list_count(const watch_list *w);
const struct watch_item *watch_list_item(const watch_list *w, size_t i);

/* Called for every item whose identity changed: replaced, removed or
 * (re)appeared.  `old` is the previous key when was_present. */
typedef void (*watch_change_fn)(void *ctx, const struct watch_item *it,
				const struct probe_inode_key *old, bool was_present);

/* Stats every path again; returns how many items changed. */
size_t watch_list_refresh(watch_list *w, watch_change_fn fn, void *ctx);

/* Closes the descriptors of inodes the last refresh stopped watching: call
 * it after the kernel's maps were updated. */
void watch_list_release(watch_list *w);

#define WATCH_FORMER_MAX 64

/* The keys for the kernel's maps.  Return the number written (at most
 * max). */
size_t watch_list_keys(const watch_list *w, bool dirs, struct probe_inode_key *out, size_t max);
size_t watch_list_names(const watch_list *w, struct probe_name_key *out, size_t max);

/* The item watching this file (dev, ino), or NULL; a former item too. */
const struct watch_item *watch_list_find_file(const watch_list *w, const struct probe_inode_key *k);

/* The directory item of this (dev, ino), or NULL. */
const struct watch_item *watch_list_find_dir(const watch_list *w, const struct probe_inode_key *k);

/* The watched name of a file: the item's path for a file item; for a
 * directory item, its path followed by `rel` (the components below it).
 * malloc'd. */
char *watch_item_name(const struct watch_item *it, const char *rel);

/* The item watching this path by name: a file item whose configured path
 * or real path it is, or a directory item it lies below.  For files found
 * by basename in another mount namespace, where the inode differs. */
const struct watch_item *watch_list_find_path(const watch_list *w, const char *path);

/* True if the item watches `path` by name: the file itself (its
 * configured or real path), a file below its directory, or a file of its
 * basename. */
bool watch_item_covers(const struct watch_item *it, const char *path);

/* True if the last component of `name` is one of the watched basenames. */
bool watch_list_has_basename(const watch_list *w, const char *name);

/* The kernel's dev_t (major << 20 | minor) of a stat(2) st_dev. */
uint64_t watch_kdev(dev_t dev);

/* The last component of a path ("" for "/"); trailing slashes ignored.
 * Writes at most size-1 bytes; returns the full length. */
size_t watch_basename(const char *path, char *out, size_t size);

#endif
