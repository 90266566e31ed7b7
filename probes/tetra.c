/* tetra — Tetragon's schema conventions; see tetra.h. */
#include "tetra.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtree.h"
#include "filemode.h"
#include "podmeta.h"
#include "proccache.h"
#include "timefmt.h"
#include "utf8.h"
#include "xalloc.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; returns the encoded length. */
static size_t base64(const unsigned char *in, size_t n, char *out, size_t size)
{
	size_t need = (n + 2) / 3 * 4, o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		for (int k = 0; k < 4; k++, o++)
			if (o + 1 < size)
				out[o] = q[k];
	}
	if (size)
		out[o < size ? o : size - 1] = 0;
	return need;
}

size_t tetra_exec_id(char *out, size_t size, const char *node, uint64_t ktime, uint32_t pid)
{
	char *raw = xasprintf("%s:%llu:%u", node ? node : "", (unsigned long long)ktime, pid);
	size_t n = base64((const unsigned char *)raw, strlen(raw), out, size);

	free(raw);
	return n;
}

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

char *tetra_args_join(const char *block, size_t len)
{
	struct sbuf b = { 0 };
	size_t i = 0;

	while (len && block[len - 1] == 0)
		len--;
	sb_add(&b, "", 0);
	if (!len)
		return b.s;
	/* Every NUL-separated token, empty ones included, as bytes.Split. */
	for (;;) {
		const char *tok = block + i;
		const char *end = memchr(tok, 0, len - i);
		size_t n = end ? (size_t)(end - tok) : len - i;

		if (memchr(tok, ' ', n)) {
			sb_add(&b, " \"", 2);
			sb_add(&b, tok, n);
			sb_add(&b, "\"", 1);
		} else if (b.len == 0) {
			sb_add(&b, tok, n);
		} else {
			sb_add(&b, " ", 1);
			sb_add(&b, tok, n);
		}
		if (!end)
			break;
		i += n + 1;
	}
	return b.s;
}

char *tetra_args_from_argv(const char *block, size_t len)
{
	const char *end = memchr(block, 0, len);

	if (!end)
		return tetra_args_join("", 0);
	return tetra_args_join(end + 1, len - (size_t)(end + 1 - block));
}

char *tetra_args_cut(const char *head, size_t hlen, const char *tail, size_t tlen)
{
	char *h = tetra_args_from_argv(head, hlen);
	char *t = tetra_args_join(tail, tlen);
	char *out = xasprintf("%s%s...%s%s", h, *h ? " " : "", *t ? " " : "", t);

	free(h);
	free(t);
	return out;
}

const char *tetra_signal_name(int sig)
{
	static const char *const names[] = {
		NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
		"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
		"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
		"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
		"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
		"SIGSYS",
	};

	if (sig <= 0 || (size_t)sig >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[sig];
}

#if defined(__aarch64__)
#define SYS(name) "__arm64_sys_" name
#else
#define SYS(name) "__x64_sys_" name
#endif

const char *tetra_hook_name(enum probe_hook h)
{
	static const char *const names[PROBE_HOOK_MAX] = {
		[PROBE_HOOK_SECURITY_FILE_PERMISSION] = "security_file_permission",
		[PROBE_HOOK_SECURITY_MMAP_FILE] = "security_mmap_file",
		[PROBE_HOOK_SECURITY_PATH_TRUNCATE] = "security_path_truncate",
		[PROBE_HOOK_SECURITY_FILE_TRUNCATE] = "security_file_truncate",
		[PROBE_HOOK_SYS_OPEN] = SYS("open"),
		[PROBE_HOOK_SYS_OPENAT] = SYS("openat"),
		[PROBE_HOOK_SYS_OPENAT2] = SYS("openat2"),
		[PROBE_HOOK_SYS_CREAT] = SYS("creat"),
		[PROBE_HOOK_SYS_TRUNCATE] = SYS("truncate"),
		[PROBE_HOOK_SYS_FTRUNCATE] = SYS("ftruncate"),
		[PROBE_HOOK_SYS_READ] = SYS("read"),
		[PROBE_HOOK_SYS_PREAD64] = SYS("pread64"),
		[PROBE_HOOK_SYS_READV] = SYS("readv"),
		[PROBE_HOOK_SYS_PREADV] = SYS("preadv"),
		[PROBE_HOOK_SYS_PREADV2] = SYS("preadv2"),
		[PROBE_HOOK_SYS_WRITE] = SYS("write"),
		[PROBE_HOOK_SYS_PWRITE64] = SYS("pwrite64"),
		[PROBE_HOOK_SYS_WRITEV] = SYS("writev"),
		[PROBE_HOOK_SYS_PWRITEV] = SYS("pwritev"),
		[PROBE_HOOK_SYS_PWRITEV2] = SYS("pwritev2"),
		[PROBE_HOOK_SYS_SENDFILE64] = SYS("sendfile64"),
		[PROBE_HOOK_SYS_COPY_FILE_RANGE] = SYS("copy_file_range"),
		[PROBE_HOOK_SYS_SPLICE] = SYS("splice"),
		[PROBE_HOOK_SYS_MMAP] = SYS("mmap"),
		[PROBE_HOOK_SYS_UNLINK] = SYS("unlink"),
		[PROBE_HOOK_SYS_UNLINKAT] = SYS("unlinkat"),
		[PROBE_HOOK_SYS_RENAME] = SYS("rename"),
		[PROBE_HOOK_SYS_RENAMEAT] = SYS("renameat"),
		[PROBE_HOOK_SYS_RENAMEAT2] = SYS("renameat2"),
		[PROBE_HOOK_SYS_LINK] = SYS("link"),
		[PROBE_HOOK_SYS_LINKAT] = SYS("linkat"),
		[PROBE_HOOK_TCP_CONNECT] = "tcp_connect",
		[PROBE_HOOK_SYS_FALLOCATE] = SYS("fallocate"),
		[PROBE_HOOK_SYS_CHMOD] = SYS("chmod"),
		[PROBE_HOOK_SYS_FCHMOD] = SYS("fchmod"),
		[PROBE_HOOK_SYS_FCHMODAT] = SYS("fchmodat"),
		[PROBE_HOOK_SYS_FCHMODAT2] = SYS("fchmodat2"),
		[PROBE_HOOK_SYS_CHOWN] = SYS("chown"),
		[PROBE_HOOK_SYS_LCHOWN] = SYS("lchown"),
		[PROBE_HOOK_SYS_FCHOWN] = SYS("fchown"),
		[PROBE_HOOK_SYS_FCHOWNAT] = SYS("fchownat"),
		[PROBE_HOOK_SYS_SETXATTR] = SYS("setxattr"),
		[PROBE_HOOK_SYS_LSETXATTR] = SYS("lsetxattr"),
		[PROBE_HOOK_SYS_FSETXATTR] = SYS("fsetxattr"),
		[PROBE_HOOK_SYS_SETXATTRAT] = SYS("setxattrat"),
		[PROBE_HOOK_SYS_REMOVEXATTR] = SYS("removexattr"),
		[PROBE_HOOK_SYS_LREMOVEXATTR] = SYS("lremovexattr"),
		[PROBE_HOOK_SYS_FREMOVEXATTR] = SYS("fremovexattr"),
		[PROBE_HOOK_SYS_REMOVEXATTRAT] = SYS("removexattrat"),
		[PROBE_HOOK_SECURITY_PATH_CHMOD] = "security_path_chmod",
		[PROBE_HOOK_SECURITY_PATH_CHOWN] = "security_path_chown",
		[PROBE_HOOK_SECURITY_INODE_SETXATTR] = "security_inode_setxattr",
		[PROBE_HOOK_SECURITY_INODE_REMOVEXATTR] = "security_inode_removexattr",
		[PROBE_HOOK_IO_URING] = "io_uring_complete",
		[PROBE_HOOK_SYS_IO_SUBMIT] = SYS("io_submit"),
		[PROBE_HOOK_SYS_MPROTECT] = SYS("mprotect"),
		[PROBE_HOOK_SYS_PKEY_MPROTECT] = SYS("pkey_mprotect"),
		[PROBE_HOOK_SECURITY_FILE_MPROTECT] = "security_file_mprotect",
		[PROBE_HOOK_IO_RENAMEAT] = "io_renameat",
		[PROBE_HOOK_IO_UNLINKAT] = "io_unlinkat",
		[PROBE_HOOK_IO_LINKAT] = "io_linkat",
		[PROBE_HOOK_IO_SETXATTR] = "io_setxattr",
		[PROBE_HOOK_SECURITY_PATH_UNLINK] = "security_path_unlink",
		[PROBE_HOOK_SECURITY_PATH_LINK] = "security_path_link",
		[PROBE_HOOK_SECURITY_PATH_RENAME] = "security_path_rename",
		[PROBE_HOOK_SYS_SYMLINKAT] = SYS("symlinkat"),
		[PROBE_HOOK_SYS_SYMLINK] = SYS("symlink"),
	};

	if ((unsigned)h >= PROBE_HOOK_MAX || !names[h])
		return "unknown";
	return names[h];
}

/* s[0..len) made valid UTF-8 (each bad byte becomes U+FFFD): a fresh
 * string in *out, or NULL when s already is. */
static char *valid_utf8(const char *s, size_t len, size_t *outlen)
{
	struct sbuf b = { 0 };
	size_t i = 0;

	if (utf8_check(s, len) == len)
		return NULL;
	sb_add(&b, "", 0);
	while (i < len) {
		size_t ok = utf8_check(s + i, len - i);

		sb_add(&b, s + i, ok);
		i += ok;
		if (i < len) {
			sb_add(&b, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	*outlen = b.len;
	return b.s;
}

void tetra_add_string(evtree *t, int parent, const char *key, const char *s, size_t len)
{
	size_t n;
	char *fixed = valid_utf8(s, len, &n);

	evtree_string(t, parent, key, fixed ? fixed : s, fixed ? n : len);
	free(fixed);
}

struct json_object *tetra_string(const char *s, size_t len)
{
	size_t n;
	char *fixed = valid_utf8(s, len, &n);
	struct json_object *o = json_object_new_string_len(fixed ? fixed : s,
							   (int)(fixed ? n : len));

	free(fixed);
	return o;
}

char *tetra_path_from_components(const char *buf, size_t len)
{
	const char *starts[PROBE_PATH_DEPTH + 1];
	size_t n = 0, i = 0;
	struct sbuf b = { 0 };

	while (i < len && n < PROBE_PATH_DEPTH + 1) {
		const char *end = memchr(buf + i, 0, len - i);
		size_t l = end ? (size_t)(end - (buf + i)) : len - i;

		starts[n++] = buf + i;
		i += l + 1;
	}
	sb_add(&b, "", 0);
	for (size_t k = n; k-- > 0;) {
		const char *end = memchr(starts[k], 0, (size_t)(buf + len - starts[k]));
		size_t l = end ? (size_t)(end - starts[k]) : (size_t)(buf + len - starts[k]);

		sb_add(&b, "/", 1);
		sb_add(&b, starts[k], l);
	}
	if (!b.len)
		sb_add(&b, "/", 1);
	return b.s;
}

static void add_str(evtree *t, int o, const char *key, const char *s)
{
	if (s && *s)
		tetra_add_string(t, o, key, s, strlen(s));
}

static void add_time(evtree *t, int o, const char *key, int64_t ns)
{
	char buf[TIMEFMT_MAX];
	size_t n = timefmt_format(ns, buf, sizeof(buf));

	evtree_string(t, o, key, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
}

static void add_pod(evtree *t, int parent, const struct pod_info *pod, const char *container_id)
{
	int o = evtree_object(t, parent, "pod");
	int c;

	add_str(t, o, "namespace", pod->namespace);
	add_str(t, o, "name", pod->name);
	c = evtree_object(t, o, "container");
	add_str(t, c, "id", container_id);
	add_str(t, c, "name", pod->container_name);
}

void tetra_add_process(evtree *t, int parent, const char *key, const struct proc *p,
		       uint32_t tid, const struct pod_info *pod, int64_t mono_to_real_ns)
{
	int o = evtree_object(t, parent, key);
	char flags[160];

	if (!p)
		return;
	add_str(t, o, "exec_id", p->exec_id);
	evtree_int(t, o, "pid", p->pid);
	evtree_int(t, o, "uid", p->uid);
	add_str(t, o, "cwd", p->cwd);
	add_str(t, o, "binary", p->binary);
	add_str(t, o, "arguments", p->arguments);
	proc_flags_string(p->flags, flags, sizeof(flags));
	add_str(t, o, "flags", flags);
	if (p->ktime)
		add_time(t, o, "start_time", (int64_t)p->ktime + mono_to_real_ns);
	evtree_int(t, o, "auid", p->auid);
	if (pod && p->container_id)
		add_pod(t, o, pod, p->container_id);
	if (p->container_id) {
		const char *bare = podmeta_bare_id(p->container_id);
		char docker[32];

		/* Tetragon's "docker" is the id cut to 31 characters. */
		snprintf(docker, sizeof(docker), "%s", bare);
		add_str(t, o, "docker", docker);
	}
	add_str(t, o, "parent_exec_id", p->parent ? p->parent->exec_id : p->parent_exec_id);
	evtree_int(t, o, "tid", tid ? tid : p->pid);
}

struct json_object *tetra_process(const struct proc *p, uint32_t tid,
				  const struct pod_info *pod, int64_t mono_to_real_ns)
{
	evtree *t = evtree_new();
	struct json_object *o;

	tetra_add_process(t, EVTREE_ROOT, "process", p, tid, pod, mono_to_real_ns);
	o = evtree_json(t, evtree_node_at(t, EVTREE_ROOT)->first);
	evtree_free(&t);
	return o;
}

int tetra_event_begin(evtree *t, const char *kind)
{
	evtree_clear(t);
	return evtree_object(t, EVTREE_ROOT, kind);
}

void tetra_event_end(evtree *t, const char *node, int64_t time_ns)
{
	add_str(t, EVTREE_ROOT, "node_name", node);
	add_time(t, EVTREE_ROOT, "time", time_ns);
}

void tetra_add_file_access(evtree *t, int body, const char *function, const char *path,
			   const char *watched, uint32_t mode, uint32_t mask, uint32_t repeats)
{
	int args, file;
	char perm[11];

	evtree_string(t, body, "function_name", function, strlen(function));
	args = evtree_array(t, body, "args");
	file = evtree_object(t, evtree_object(t, args, NULL), "file_arg");
	tetra_add_string(t, file, "path", path, strlen(path));
	if (watched)
		tetra_add_string(t, file, "watched_path", watched, strlen(watched));
	if (mode) {
		filemode_string(mode, perm);
		evtree_string(t, file, "permission", perm, strlen(perm));
	}
	evtree_int(t, evtree_object(t, args, NULL), "int_arg", mask);
	evtree_string(t, body, "action", "KPROBE_ACTION_POST", 18);
	if (repeats)
		evtree_int(t, body, "repeats", repeats);
}

static void add_lit(evtree *t, int o, const char *key, const char *s)
{
	evtree_string(t, o, key, s, strlen(s));
}

void tetra_add_connect(evtree *t, int body, const struct tetra_sock *sk)
{
	int args, sock;

	add_lit(t, body, "function_name", "tcp_connect");
	args = evtree_array(t, body, "args");
	sock = evtree_object(t, evtree_object(t, args, NULL), "sock_arg");
	add_lit(t, sock, "family", sk->family);
	add_lit(t, sock, "type", "SOCK_STREAM");
	add_lit(t, sock, "protocol", "IPPROTO_TCP");
	add_lit(t, sock, "saddr", sk->saddr);
	add_lit(t, sock, "daddr", sk->daddr);
	if (sk->sport)
		evtree_int(t, sock, "sport", sk->sport);
	if (sk->dport)
		evtree_int(t, sock, "dport", sk->dport);
	add_lit(t, sock, "state", "TCP_SYN_SENT");
	add_lit(t, body, "action", "KPROBE_ACTION_POST");
}
