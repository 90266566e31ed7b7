/* The watch list: paths as (device, inode), directories, basenames, and
 * noticing when a watched path is replaced, removed or created. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testutil.h"
#include "watch.h"
#include "xalloc.h"

static char *root;

static void setup(void)
{
	root = make_temp_dir();
}

static void teardown(void)
{
	rm_rf(root);
	free(root);
}

static char *at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static struct probe_inode_key key_of(const char *path)
{
	struct stat st;
	struct probe_inode_key k;

	ck_assert_int_eq(stat(path, &st), 0);
	k.dev = watch_kdev(st.st_dev);
	k.ino = st.st_ino;
	return k;
}

START_TEST(kernel_device_numbers)
{
	ck_assert_uint_eq(watch_kdev(makedev(8, 1)), (8ULL << 20) | 1);
	ck_assert_uint_eq(watch_kdev(makedev(259, 70000)), (259ULL << 20) | 70000);
	ck_assert_uint_eq(watch_kdev(makedev(0, 0)), 0);
}
END_TEST

START_TEST(basenames)
{
	char b[64];

	ck_assert_uint_eq(watch_basename("/etc/passwd", b, sizeof(b)), 6);
	ck_assert_str_eq(b, "passwd");
	watch_basename("/etc/sudoers.d/", b, sizeof(b));
	ck_assert_str_eq(b, "sudoers.d");
	watch_basename("shadow", b, sizeof(b));
	ck_assert_str_eq(b, "shadow");
	ck_assert_uint_eq(watch_basename("/", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "");
	ck_assert_uint_eq(watch_basename("/a/long-name", b, 5), 9);
	ck_assert_str_eq(b, "long");
}
END_TEST

START_TEST(files_dirs_and_links)
{
	char *f = write_file(root, "secret", "x");
	char *d = at("keys/");
	char *link = at("link");
	char *missing = at("later");
	struct probe_inode_key keys[8];
	struct probe_name_key names[8];
	const char *paths[4];
	watch_list *w;
	size_t n;

	ck_assert_int_eq(mkdir(d, 0700), 0);
	ck_assert_int_eq(symlink(f, link), 0);
	paths[0] = link;        /* the link's target is what is watched */
	paths[1] = d;
	paths[2] = missing;
	paths[3] = "";
	w = watch_list_new(paths, 4);
	ck_assert_uint_eq(watch_list_count(w), 3);
	ck_assert(watch_list_item(w, 0)->present);
	ck_assert(!watch_list_item(w, 0)->dir);
	ck_assert(watch_list_item(w, 1)->dir);
	ck_assert(!watch_list_item(w, 2)->present);
	ck_assert_ptr_null(watch_list_item(w, 3));
	n = watch_list_keys(w, false, keys, 8);
	ck_assert_uint_eq(n, 1);
	struct probe_inode_key want = key_of(f);
	ck_assert(!memcmp(&keys[0], &want, sizeof(want)));
	ck_assert_ptr_eq(watch_list_find_file(w, &want), watch_list_item(w, 0));
	n = watch_list_keys(w, true, keys, 8);
	ck_assert_uint_eq(n, 1);
	want = key_of(d);
	ck_assert(!memcmp(&keys[0], &want, sizeof(want)));
	ck_assert_ptr_null(watch_list_find_file(w, &want));    /* a dir, not a file */
	/* basenames of the paths and of the link's target */
	n = watch_list_names(w, names, 8);
	ck_assert_uint_eq(n, 4);
	ck_assert(watch_list_has_basename(w, "/elsewhere/link"));
	ck_assert(watch_list_has_basename(w, "secret"));
	ck_assert(watch_list_has_basename(w, "keys"));
	ck_assert(watch_list_has_basename(w, "later"));
	ck_assert(!watch_list_has_basename(w, "/link/other"));
	watch_list_free(&w);
	ck_assert_ptr_null(w);
	free(f);
	free(d);
	free(link);
	free(missing);
}
END_TEST

/* Files in other mount namespaces are matched by the path they are seen at. */
START_TEST(paths_as_seen_by_a_process)
{
	char *f = write_file(root, "shadow", "x");
	char *d = at("keys/");
	char *link = at("localtime");
	const char *paths[3];
	watch_list *w;

	ck_assert_int_eq(mkdir(d, 0700), 0);
	ck_assert_int_eq(symlink(f, link), 0);
	paths[0] = "/etc/passwd";       /* need not exist on this side */
	paths[1] = d;
	paths[2] = link;
	w = watch_list_new(paths, 3);
	ck_assert_ptr_eq(watch_list_find_path(w, "/etc/passwd"), watch_list_item(w, 0));
	ck_assert_ptr_null(watch_list_find_path(w, "/etc/passwd-"));
	ck_assert_ptr_null(watch_list_find_path(w, "/usr/share/base-passwd/passwd"));
	char *below = xasprintf("%skey", d);
	ck_assert_ptr_eq(watch_list_find_path(w, below), watch_list_item(w, 1));
	ck_assert_ptr_null(watch_list_find_path(w, d));          /* the dir itself */
	ck_assert_ptr_eq(watch_list_find_path(w, link), watch_list_item(w, 2));
	ck_assert_ptr_eq(watch_list_find_path(w, f), watch_list_item(w, 2));  /* its target */
	watch_list_free(&w);
	free(below);
	free(f);
	free(d);
	free(link);
}
END_TEST

struct changes {
	int replaced, removed, appeared;
};

static void on_change(void *ctx, const struct watch_item *it, const struct probe_inode_key *old,
		      bool was_present)
{
	struct changes *c = ctx;

	(void)old;
	if (!it->present)
		c->removed++;
	else if (was_present)
		c->replaced++;
	else
		c->appeared++;
}

START_TEST(refresh_notices_replacement)
{
	char *f = write_file(root, "passwd", "root:x:0:0\n");
	char *tmp = write_file(root, "passwd+", "root:x:0:0\nnew:x:1:1\n");
	char *missing = at("later");
	const char *paths[] = { f, missing };
	watch_list *w = watch_list_new(paths, 2);
	struct changes c = { 0 };
	struct probe_inode_key before = watch_list_item(w, 0)->key;

	ck_assert_uint_eq(watch_list_refresh(w, on_change, &c), 0);
	ck_assert_int_eq(rename(tmp, f), 0);                 /* as vipw does */
	ck_assert_uint_eq(watch_list_refresh(w, on_change, &c), 1);
	ck_assert_int_eq(c.replaced, 1);
	ck_assert(memcmp(&before, &watch_list_item(w, 0)->key, sizeof(before)));
	free(write_file(root, "later", ""));
	ck_assert_int_eq(unlink(f), 0);
	ck_assert_uint_eq(watch_list_refresh(w, on_change, &c), 2);
	ck_assert_int_eq(c.removed, 1);
	ck_assert_int_eq(c.appeared, 1);
	watch_list_free(&w);
	free(f);
	free(tmp);
	free(missing);
}
END_TEST

Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("list");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kernel_device_numbers);
	tcase_add_test(tc, basenames);
	tcase_add_test(tc, files_dirs_and_links);
	tcase_add_test(tc, paths_as_seen_by_a_process);
	tcase_add_test(tc, refresh_notices_replacement);
	suite_add_tcase(s, tc);
	return s;
}
