/* tetra — Tetragon's schema conventions; see tetra.h. */
#include "tetra.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void tetra_permission(uint32_t mode, char out[11])
{
	static const char types[16] = { '?', 'p', 'c', '?', 'd', '?', 'b', '?',
					'-', '?', 'l', '?', 's', '?', '?', '?' };
	static const char rwx[] = "rwxrwxrwx";

	out[0] = types[(mode >> 12) & 15];
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		out[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		out[6] = (mode & 0010) ? 's' : 'S';
	if (mode & 01000)
		out[9] = (mode & 0001) ? 't' : 'T';
	out[10] = 0;
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
	};

	if ((unsigned)h >= PROBE_HOOK_MAX || !names[h])
		return "unknown";
	return names[h];
}

struct json_object *tetra_string(const char *s, size_t len)
{
	struct sbuf b = { 0 };
	struct json_object *o;
	size_t i = 0;

	if (utf8_check(s, len) == len)
		return json_object_new_string_len(s, (int)len);
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
	o = json_object_new_string_len(b.s, (int)b.len);
	free(b.s);
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

static void add_str(struct json_object *o, const char *key, const char *s)
{
	if (s && *s)
		json_object_object_add(o, key, tetra_string(s, strlen(s)));
}

static void add_time(struct json_object *o, const char *key, int64_t ns)
{
	char buf[TIMEFMT_MAX];

	timefmt_format(ns, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

static struct json_object *pod_json(const struct pod_info *pod, const char *container_id)
{
	struct json_object *o = json_object_new_object();
	struct json_object *c = json_object_new_object();

	add_str(o, "namespace", pod->namespace);
	add_str(o, "name", pod->name);
	add_str(c, "id", container_id);
	add_str(c, "name", pod->container_name);
	json_object_object_add(o, "container", c);
	return o;
}

struct json_object *tetra_process(const struct proc *p, uint32_t tid,
				  const struct pod_info *pod, int64_t mono_to_real_ns)
{
	struct json_object *o = json_object_new_object();
	char flags[160];

	add_str(o, "exec_id", p->exec_id);
	json_object_object_add(o, "pid", json_object_new_int64(p->pid));
	json_object_object_add(o, "uid", json_object_new_int64(p->uid));
	add_str(o, "cwd", p->cwd);
	add_str(o, "binary", p->binary);
	add_str(o, "arguments", p->arguments);
	proc_flags_string(p->flags, flags, sizeof(flags));
	add_str(o, "flags", flags);
	if (p->ktime)
		add_time(o, "start_time", (int64_t)p->ktime + mono_to_real_ns);
	json_object_object_add(o, "auid", json_object_new_int64(p->auid));
	if (pod && p->container_id)
		json_object_object_add(o, "pod", pod_json(pod, p->container_id));
	if (p->container_id) {
		const char *bare = podmeta_bare_id(p->container_id);
		char docker[32];

		/* Tetragon's "docker" is the id cut to 31 characters. */
		snprintf(docker, sizeof(docker), "%s", bare);
		add_str(o, "docker", docker);
	}
	add_str(o, "parent_exec_id", p->parent ? p->parent->exec_id : p->parent_exec_id);
	json_object_object_add(o, "tid", json_object_new_int64(tid ? tid : p->pid));
	return o;
}

struct json_object *tetra_event(const char *kind, struct json_object *body,
				const char *node, int64_t time_ns)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, kind, body);
	add_str(root, "node_name", node);
	add_time(root, "time", time_ns);
	return root;
}
