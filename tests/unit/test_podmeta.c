/* Container ids from cgroup paths and /proc/PID/cgroup, and pods from the
 * kubelet's log layout, on the fake trees of tests/data/pods. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podmeta.h"
#include "testutil.h"
#include "xalloc.h"

#define TIE "19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4"
#define XW "1fb931d2f6e5e4cfdbaf30fdb8e2fdd81320bdb3047ded50120a4f82838209ce"
#define DNS "4b0df5a137260a6b95cbf6443bb2f4b0c9309e6ccb3d8afdbc3da8fff40c0778"
#define DOCKER "6b742e38ee3a212239e6d48b2954435a407af44b9a354bdf540db22f460ab40e"

static void id_is(const char *cgroup, const char *want)
{
	char *id = podmeta_container_from_cgroup(cgroup);

	if (!want) {
		ck_assert_msg(id == NULL, "%s gave %s", cgroup, id);
		return;
	}
	ck_assert_msg(id != NULL, "%s gave nothing", cgroup);
	ck_assert_str_eq(id, want);
	free(id);
}

START_TEST(container_ids_from_cgroup_paths)
{
	id_is("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
	      "cri-containerd-" TIE ".scope", "containerd://" TIE);
	id_is("cri-containerd-" TIE ".scope", "containerd://" TIE);   /* a leaf name */
	id_is("/system.slice/docker-" DOCKER ".scope\n", "docker://" DOCKER);
	id_is("/docker/" DOCKER, "docker://" DOCKER);
	id_is("/kubepods.slice/kubepods-pod2.slice/crio-" XW ".scope", "cri-o://" XW);
	id_is("/machine.slice/libpod-" XW ".scope/container", "podman://" XW);
	id_is("/kubepods/besteffort/pod0f3e1a52/" XW, XW);     /* runtime unknown */
	id_is("/user.slice/user-1000.slice/session-3.scope", NULL);
	id_is("/", NULL);
	id_is("", NULL);
	id_is("/kubepods/besteffort/pod1/" "1FB931D2F6E5E4CFDBAF30FDB8E2FDD81320BDB3047DED50120A4F82838209CE", NULL);
	id_is("/kubepods/besteffort/pod1/" "1fb931d2f6e5", NULL);
	id_is("/kubepods.slice/crio-conmon-" XW ".scope", NULL);
	id_is("cri-containerd-" TIE ".scope.extra", NULL);
}
END_TEST

static podmeta *fake(void)
{
	return podmeta_new(testdata_path("pods/proc"), testdata_path("pods/var/log/pods"));
}

START_TEST(container_ids_from_proc)
{
	podmeta *pm = fake();
	char *id;

	id = podmeta_container_of_pid(pm, 4242);
	ck_assert_str_eq(id, "containerd://" TIE);
	free(id);
	id = podmeta_container_of_pid(pm, 4343);        /* cgroup v1, cgroupfs driver */
	ck_assert_str_eq(id, XW);
	free(id);
	id = podmeta_container_of_pid(pm, 4545);
	ck_assert_str_eq(id, "docker://" DOCKER);
	free(id);
	ck_assert_ptr_null(podmeta_container_of_pid(pm, 4444));    /* host */
	ck_assert_ptr_null(podmeta_container_of_pid(pm, 1));       /* gone */
	podmeta_free(&pm);
	ck_assert_ptr_null(pm);
}
END_TEST

START_TEST(pods_from_the_kubelet_layout)
{
	podmeta *pm = fake();
	const struct pod_info *pod;

	pod = podmeta_pod(pm, "containerd://" TIE, 0);
	ck_assert_ptr_nonnull(pod);
	ck_assert_str_eq(pod->namespace, "default");
	ck_assert_str_eq(pod->name, "tiefighter");
	ck_assert_str_eq(pod->container_name, "spaceship");
	pod = podmeta_pod(pm, XW, 0);                   /* bare ids too */
	ck_assert_ptr_nonnull(pod);
	ck_assert_str_eq(pod->name, "xwing");
	/* a link leading out of the tree: names from the link itself */
	pod = podmeta_pod(pm, "containerd://" DNS, 0);
	ck_assert_ptr_nonnull(pod);
	ck_assert_str_eq(pod->namespace, "kube-system");
	ck_assert_str_eq(pod->name, "coredns-5d78c9869d-6xk2p");
	ck_assert_str_eq(pod->container_name, "coredns");
	/* not a pod, or not an id */
	ck_assert_ptr_null(podmeta_pod(pm, "docker://" DOCKER, 0));
	ck_assert_ptr_null(podmeta_pod(pm, "containerd://abc", 0));
	ck_assert_ptr_null(podmeta_pod(pm, "", 0));
	podmeta_free(&pm);
}
END_TEST

/* The kubelet makes the link after the container starts: a container not
 * found is looked for again, but not on every event. */
START_TEST(unknown_containers_are_looked_up_again_later)
{
	char *root = make_temp_dir();
	char *pods = xasprintf("%s/pods", root);
	char *ctrs = xasprintf("%s/containers", root);
	char *link = xasprintf("%s/web-1_prod_nginx-%s.log", ctrs, DNS);
	podmeta *pm;

	ck_assert_int_eq(mkdir(pods, 0755), 0);
	ck_assert_int_eq(mkdir(ctrs, 0755), 0);
	pm = podmeta_new("/proc", pods);
	ck_assert_ptr_null(podmeta_pod(pm, DNS, 1000));
	ck_assert_int_eq(symlink("/var/log/pods/prod_web-1_0a1b/nginx/0.log", link), 0);
	ck_assert_ptr_null(podmeta_pod(pm, DNS, 2000));      /* cached miss */
	ck_assert_ptr_nonnull(podmeta_pod(pm, DNS, 7000));   /* retried */
	ck_assert_str_eq(podmeta_pod(pm, DNS, 7001)->name, "web-1");
	ck_assert_str_eq(podmeta_pod(pm, DNS, 7001)->namespace, "prod");
	ck_assert_str_eq(podmeta_pod(pm, DNS, 7001)->container_name, "nginx");
	podmeta_expire(pm, 7001 + 600000);
	unlink(link);
	ck_assert_ptr_null(podmeta_pod(pm, DNS, 7002 + 600000));    /* forgotten */
	podmeta_free(&pm);
	rm_rf(root);
	free(root);
	free(pods);
	free(ctrs);
	free(link);
}
END_TEST

START_TEST(bare_ids)
{
	ck_assert_str_eq(podmeta_bare_id("containerd://" TIE), TIE);
	ck_assert_str_eq(podmeta_bare_id(TIE), TIE);
}
END_TEST

Suite *podmeta_suite(void)
{
	Suite *s = suite_create("podmeta");
	TCase *tc = tcase_create("pods");

	tcase_add_test(tc, container_ids_from_cgroup_paths);
	tcase_add_test(tc, container_ids_from_proc);
	tcase_add_test(tc, pods_from_the_kubelet_layout);
	tcase_add_test(tc, unknown_containers_are_looked_up_again_later);
	tcase_add_test(tc, bare_ids);
	suite_add_tcase(s, tc);
	return s;
}
