/* compact — see compact.h.
 *
 * A line is built left to right, colour codes included, as Go's fmt and
 * fatih/color build it for tetra: the padding before the capability note
 * counts bytes, codes and all. */
#include "compact.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goquote.h"
#include "timefmt.h"
#include "xalloc.h"

#define CAPS_PAD 120
#define ESC_OPEN_LEN 5    /* "\x1b[3Xm" */
#define ESC_CLOSE_LEN 4   /* "\x1b[0m" */

enum color { RED = 31, GREEN = 32, YELLOW = 33, BLUE = 34, MAGENTA = 35, CYAN = 36 };

struct line {
	char *buf;
	size_t len, cap;
	size_t start;    /* where the event's text begins (after a timestamp) */
	bool color;
};

typedef struct json_object json;

/* ---- building the line ---- */

static void raw(struct line *l, const char *s, size_t n)
{
	l->buf = xgrow(l->buf, &l->cap, l->len + n + 1, 1);
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

/* Event text: as it is, or quoted Go-style when it holds anything a
 * terminal could act on (see goquote.h). */
static void text(struct line *l, const char *s, size_t n)
{
	if (goquote_needed(s, n))
		goquote_append(&l->buf, &l->len, &l->cap, s, n);
	else
		raw(l, s, n);
}

static void lit(struct line *l, const char *s)
{
	raw(l, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void fmt(struct line *l, const char *f, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	if (n > 0)
		raw(l, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void begin(struct line *l, enum color c)
{
	if (l->color)
		fmt(l, "\x1b[%dm", (int)c);
}

static void end(struct line *l)
{
	if (l->color)
		lit(l, "\x1b[0m");
}

/* A header such as "🚀 process": the emoji, then the word padded to 7
 * (the word may be an unknown kind's key, so it goes through text()). */
static void header(struct line *l, enum color c, const char *emoji, const char *word)
{
	begin(l, c);
	lit(l, emoji);
	lit(l, " ");
	text(l, word, strlen(word));
	for (size_t n = strlen(word); n < 7; n++)
		lit(l, " ");
	end(l);
}

/* ---- reading the event ---- */

static json *get(json *o, const char *key)
{
	json *v = NULL;
	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

static json *get_obj(json *o, const char *key)
{
	json *v = get(o, key);
	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

struct str {
	const char *s;
	size_t n;
};

/* A string field, or "" (protobuf's zero value) when absent or not a string. */
static struct str get_str(json *o, const char *key)
{
	json *v = get(o, key);
	if (!v || !json_object_is_type(v, json_type_string))
		return (struct str){ "", 0 };
	return (struct str){ json_object_get_string(v),
			     (size_t)json_object_get_string_len(v) };
}

static void put_str(struct line *l, json *o, const char *key)
{
	struct str s = get_str(o, key);
	text(l, s.s, s.n);
}

static void cput_str(struct line *l, enum color c, json *o, const char *key)
{
	begin(l, c);
	put_str(l, o, key);
	end(l);
}

/* An integer field (protojson writes 64-bit ones as strings), or 0. */
static long long get_int(json *o, const char *key)
{
	json *v = get(o, key);
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int))
		return (long long)json_object_get_int64(v);
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return 0;
}

static unsigned long long get_uint(json *o, const char *key)
{
	json *v = get(o, key);
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		return i < 0 ? (unsigned long long)i : json_object_get_uint64(v);
	}
	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 10);
	return 0;
}

/* args[i] of a kprobe or tracepoint, or NULL. */
static json *arg(json *ev, size_t i)
{
	json *a = get(ev, "args");
	if (!a || !json_object_is_type(a, json_type_array) ||
	    i >= json_object_array_length(a))
		return NULL;
	json *v = json_object_array_get_idx(a, i);
	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

static size_t nargs(json *ev)
{
	json *a = get(ev, "args");
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* ---- the process part ---- */

struct ctx {
	struct line *l;
	json *root;      /* the whole event */
	json *ev;        /* the kind's object */
	json *proc;      /* ev.process (may be NULL: shown empty) */
	const char *kind;
};

/* "namespace/pod binary", or "node binary" without a pod. */
static void process_info(struct ctx *c)
{
	struct line *l = c->l;
	json *pod = get_obj(c->proc, "pod");
	begin(l, GREEN);
	if (pod) {
		put_str(l, pod, "namespace");
		lit(l, "/");
		put_str(l, pod, "name");
	} else {
		put_str(l, c->root, "node_name");
	}
	end(l);
	lit(l, " ");
	cput_str(l, MAGENTA, c->proc, "binary");
}

static bool has_sys_admin(json *proc)
{
	json *eff = get(get_obj(proc, "cap"), "effective");
	if (!eff || !json_object_is_type(eff, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(eff); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(eff, i));
		if (s && !strcmp(s, "CAP_SYS_ADMIN"))
			return true;
	}
	return false;
}

/* Tetragon's CapTrailorPrinter: when the capability note is not empty,
 * pad to CAPS_PAD bytes and print it right-aligned.  With colours the
 * note is never empty: it is the colour codes around the (maybe empty)
 * text, so coloured lines are always padded (counting their codes) and
 * plain ones only when there is a note. */
static void caps_trailer(struct ctx *c)
{
	struct line *l = c->l;
	const char *caps = has_sys_admin(c->proc) ? "🛑 CAP_SYS_ADMIN" : "";
	if (!*caps && !l->color)
		return;
	size_t width = l->len - l->start;
	size_t padding = width < CAPS_PAD ? CAPS_PAD - width : 0;
	/* Go's %*s counts the note's width in runes. */
	size_t caps_width = l->color ? ESC_OPEN_LEN + ESC_CLOSE_LEN : 0;
	for (const char *p = caps; *p; p++)
		caps_width += ((unsigned char)*p & 0xc0) != 0x80;
	lit(l, " ");
	for (size_t i = caps_width; i < padding; i++)
		lit(l, " ");
	begin(l, MAGENTA);
	lit(l, caps);
	end(l);
}

/* "HEADER PROCESS" — the start of most lines. */
static void lead(struct ctx *c, enum color col, const char *emoji, const char *word)
{
	header(c->l, col, emoji, word);
	lit(c->l, " ");
	process_info(c);
}

/* ---- kinds ---- */

static void render_exec(struct ctx *c)
{
	lead(c, BLUE, "🚀", "process");
	lit(c->l, " ");
	cput_str(c->l, CYAN, c->proc, "arguments");
	caps_trailer(c);
}

static void render_exit(struct ctx *c)
{
	struct line *l = c->l;
	lead(c, BLUE, "💥", "exit");
	lit(l, " ");
	cput_str(l, CYAN, c->proc, "arguments");
	lit(l, " ");
	begin(l, RED);
	if (get_str(c->ev, "signal").n)
		put_str(l, c->ev, "signal");
	else
		fmt(l, "%llu", get_uint(c->ev, "status"));
	end(l);
	caps_trailer(c);
}

/* args[i].<kind>.<field> as coloured text when args[i] exists. */
static void arg_path(struct ctx *c, size_t i, const char *kind, bool need_kind)
{
	json *a = arg(c->ev, i);
	json *k = get_obj(a, kind);
	if (!a || (need_kind && !k))
		return;
	cput_str(c->l, CYAN, k, "path");
}

static void arg_string(struct ctx *c, size_t i)
{
	json *a = arg(c->ev, i);
	if (a)
		cput_str(c->l, CYAN, a, "string_arg");
}

/* sys_read / sys_write: the file, then the size. */
static void kp_read_write(struct ctx *c, const char *emoji, const char *word)
{
	struct line *l = c->l;
	lead(c, BLUE, emoji, word);
	lit(l, " ");
	arg_path(c, 0, "file_arg", true);
	lit(l, " ");
	json *a = arg(c->ev, 2);
	if (nargs(c->ev) > 2 && a) {
		begin(l, CYAN);
		fmt(l, "%llu bytes", get_uint(a, "size_arg"));
		end(l);
	}
}

static void sock(struct ctx *c, size_t i)
{
	json *a = arg(c->ev, i);
	if (!a)
		return;
	json *s = get_obj(a, "sock_arg");
	struct line *l = c->l;
	begin(l, CYAN);
	lit(l, "tcp ");
	put_str(l, s, "saddr");
	fmt(l, ":%llu -> ", get_uint(s, "sport"));
	put_str(l, s, "daddr");
	fmt(l, ":%llu", get_uint(s, "dport"));
	end(l);
}

static const char *ns_name(long long flag)
{
	switch (flag) {
	case 0: return "any";
	case 0x2000000: return "cgroup";
	case 0x8000000: return "ipc";
	case 0x40000000: return "net";
	case 0x20000: return "mnt";
	case 0x20000000: return "pid";
	case 0x80: return "time";
	case 0x10000000: return "user";
	case 0x4000000: return "uts";
	default: return "";
	}
}

static void kp_file_permission(struct ctx *c)
{
	const char *emoji = "❓", *word = "security_file_permission";
	bool two = nargs(c->ev) > 1 && arg(c->ev, 0) && arg(c->ev, 1);
	if (two) {
		long long mask = get_int(arg(c->ev, 1), "int_arg");
		if (mask == 0x02)
			emoji = "📝", word = "write";
		else if (mask == 0x04)
			emoji = "📚", word = "read";
	}
	lead(c, BLUE, emoji, word);
	lit(c->l, " ");
	if (two)
		arg_path(c, 0, "file_arg", false);
}

static void kp_mmap_file(struct ctx *c)
{
	char tag[32] = "security_mmap_file";
	const char *emoji = "❓";
	bool two = nargs(c->ev) > 1 && arg(c->ev, 0) && arg(c->ev, 1);
	if (two) {
		unsigned long long prot = get_uint(arg(c->ev, 1), "uint_arg");
		snprintf(tag, sizeof(tag), "mmap-%s%s%s", prot & 1 ? "r" : "",
			 prot & 2 ? "w" : "", prot & 4 ? "x" : "");
		emoji = "📝";
	}
	lead(c, BLUE, emoji, tag);
	lit(c->l, " ");
	if (two)
		arg_path(c, 0, "file_arg", false);
}

static void kp_truncate(struct ctx *c)
{
	bool one = nargs(c->ev) > 0 && arg(c->ev, 0);
	lead(c, BLUE, one ? "📝" : "❓", one ? "truncate" : "security_path_truncate");
	lit(c->l, " ");
	if (one)
		arg_path(c, 0, "path_arg", false);
}

static void kp_two_strings(struct ctx *c, const char *emoji, const char *word)
{
	lead(c, BLUE, emoji, word);
	lit(c->l, " ");
	arg_string(c, 0);
	lit(c->l, " ");
	arg_string(c, 1);
}

static void kp_bpf(struct ctx *c, const char *word)
{
	struct line *l = c->l;
	lead(c, BLUE, !strcmp(word, "bpf_map_create") ? "🗺" : "🐝", word);
	lit(l, " ");
	json *a = arg(c->ev, 0);
	if (!a)
		return;
	begin(l, CYAN);
	if (!strcmp(word, "bpf_load")) {
		json *b = get_obj(a, "bpf_attr_arg");
		put_str(l, b, "ProgType");
		lit(l, " ");
		put_str(l, b, "ProgName");
		fmt(l, " instruction count %llu", get_uint(b, "InsnCnt"));
	} else if (!strcmp(word, "perf_event_alloc")) {
		json *p = get_obj(a, "perf_event_arg");
		put_str(l, p, "Type");
		lit(l, " ");
		put_str(l, p, "KprobeFunc");
	} else {
		json *m = get_obj(a, "bpf_map_arg");
		put_str(l, m, "MapType");
		lit(l, " ");
		put_str(l, m, "MapName");
		fmt(l, " key size %llu value size %llu max entries %llu",
		    get_uint(m, "KeySize"), get_uint(m, "ValueSize"),
		    get_uint(m, "MaxEntries"));
	}
	end(l);
}

/* The function name without an architecture's syscall prefix. */
static const char *syscall_name(const char *fn)
{
	static const char *const prefixes[] = { "__x64_", "__arm64_", "__ia32_" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		if (!strncmp(fn, prefixes[i], n))
			return fn + n;
	}
	return fn;
}

/* Kprobes whose line is "HEADER PROCESS ARG": returns false if not one. */
static bool kp_simple(struct ctx *c, const char *sc)
{
	struct line *l = c->l;
	if (!strcmp(sc, "fd_install") || !strcmp(sc, "sys_close")) {
		bool open = sc[0] == 'f';
		lead(c, BLUE, open ? "📬" : "📪", open ? "open" : "close");
		lit(l, " ");
		arg_path(c, open ? 1 : 0, "file_arg", true);
	} else if (!strcmp(sc, "sys_openat") || !strcmp(sc, "sys_open")) {
		lead(c, BLUE, "📬️", sc + 4);
		lit(l, " ");
		arg_string(c, 1);
	} else if (!strcmp(sc, "sys_setuid")) {
		lead(c, BLUE, "🔑", "setuid");
		lit(l, " ");
		if (arg(c->ev, 0)) {
			begin(l, CYAN);
			fmt(l, "%lld", get_int(arg(c->ev, 0), "int_arg"));
			end(l);
		}
	} else if (!strcmp(sc, "sys_setns")) {
		lead(c, BLUE, "🔧", "setns");
		lit(l, " ");
		if (nargs(c->ev) > 1 && arg(c->ev, 1))
			lit(l, ns_name(get_int(arg(c->ev, 1), "int_arg")));
	} else if (!strcmp(sc, "tcp_connect") || !strcmp(sc, "tcp_close")) {
		bool conn = sc[4] == 'c' && sc[5] == 'o';
		lead(c, BLUE, conn ? "🔌" : "🧹", conn ? "connect" : "close");
		lit(l, " ");
		sock(c, 0);
	} else if (!strcmp(sc, "tcp_sendmsg")) {
		lead(c, BLUE, "📤", "sendmsg");
		lit(l, " ");
		sock(c, 0);
		long long bytes = nargs(c->ev) > 1 && arg(c->ev, 1)
				? get_int(arg(c->ev, 1), "int_arg") : 0;
		fmt(l, " bytes %lld", bytes);
	} else {
		return false;
	}
	return true;
}

static void render_kprobe(struct ctx *c)
{
	struct str fn = get_str(c->ev, "function_name");
	const char *sc = syscall_name(fn.s);
	if (kp_simple(c, sc))
		;
	else if (!strcmp(sc, "sys_write") || !strcmp(sc, "sys_read"))
		kp_read_write(c, sc[4] == 'w' ? "📝" : "📚", sc + 4);
	else if (!strcmp(sc, "sys_mount") || !strcmp(sc, "sys_pivot_root"))
		kp_two_strings(c, "💾", sc + 4);
	else if (!strcmp(sc, "sys_clock_settime") || !strcmp(sc, "proc_exec_connector"))
		lead(c, BLUE, sc[0] == 's' ? "⏰" : "🔧", sc[0] == 's' ? sc + 4 : sc);
	else if (!strcmp(sc, "bpf_check"))
		kp_bpf(c, "bpf_load");
	else if (!strcmp(sc, "security_perf_event_alloc"))
		kp_bpf(c, "perf_event_alloc");
	else if (!strcmp(sc, "security_bpf_map_alloc") || !strcmp(sc, "security_bpf_map_create"))
		kp_bpf(c, "bpf_map_create");
	else if (!strcmp(sc, "security_file_permission"))
		kp_file_permission(c);
	else if (!strcmp(sc, "security_mmap_file"))
		kp_mmap_file(c);
	else if (!strcmp(sc, "security_path_truncate"))
		kp_truncate(c);
	else {
		lead(c, BLUE, "❓", "syscall");
		lit(c->l, " ");
		text(c->l, fn.s, fn.n);
	}
	caps_trailer(c);
}

static void render_tracepoint(struct ctx *c)
{
	struct line *l = c->l;
	struct str subsys = get_str(c->ev, "subsys"), event = get_str(c->ev, "event");
	if (!strcmp(subsys.s, "raw_syscalls") && !strcmp(event.s, "sys_enter")) {
		lead(c, BLUE, "☎ ", "syscall");
		lit(l, " ");
		json *a = arg(c->ev, 0);
		if (a && get(a, "long_arg"))
			fmt(l, "%lld", get_int(a, "long_arg"));
		else
			lit(l, "unknown");
	} else {
		lead(c, BLUE, "⁉️", "tracepoint");
		lit(l, " ");
		text(l, subsys.s, subsys.n);
		lit(l, " ");
		text(l, event.s, event.n);
	}
	caps_trailer(c);
}

/* Kinds whose line is the process and then plain fields. */
static void render_fields(struct ctx *c, const char *emoji, const char *word,
			  const char *const *fields)
{
	lead(c, BLUE, emoji, word);
	for (size_t i = 0; fields[i]; i++) {
		lit(c->l, " ");
		put_str(c->l, c->ev, fields[i]);
	}
	caps_trailer(c);
}

static void render_uprobe(struct ctx *c)
{
	render_fields(c, "🕵️", "uprobe", (const char *const[]){ "path", "symbol", NULL });
}

static void render_usdt(struct ctx *c)
{
	render_fields(c, "🕵️", "usdt",
		      (const char *const[]){ "path", "provider", "name", NULL });
}

static void render_lsm(struct ctx *c)
{
	render_fields(c, "🔒", "LSM", (const char *const[]){ "function_name", NULL });
}

static int b64_value(char ch)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(alphabet, ch) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

/* protojson's base64 bytes, shown in hex as Tetragon shows a build id. */
static void put_hex_of_base64(struct line *l, struct str s)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < s.n; i++) {
		int v = b64_value(s.s[i]);
		if (v < 0)
			break;   /* '=' padding, or garbage */
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			fmt(l, "%02x", (acc >> bits) & 0xff);
		}
	}
}

static void render_loader(struct ctx *c)
{
	struct line *l = c->l;
	lead(c, BLUE, "🧬", "loader");
	lit(l, " ");
	struct str id = get_str(c->ev, "buildid");
	if (id.n) {
		size_t before = l->len;
		put_hex_of_base64(l, id);
		if (l->len > before)
			lit(l, " ");
	}
	cput_str(l, YELLOW, c->ev, "path");
	caps_trailer(c);
}

static void render_throttle(struct ctx *c)
{
	struct line *l = c->l;
	struct str type = get_str(c->ev, "type");
	header(l, RED, "🧬", "throttle");
	lit(l, " ");
	if (!strcmp(type.s, "THROTTLE_START")) {
		begin(l, RED);
		lit(l, "START");
		end(l);
	} else if (!strcmp(type.s, "THROTTLE_STOP")) {
		begin(l, GREEN);
		lit(l, "STOP ");
		end(l);
	}
	lit(l, " ");
	put_str(l, c->ev, "cgroup");
}

/* ---- the older export's socket events (process_connect & co.) ---- */

/* Go's fmt of a []string: "[a b]". */
static void put_list(struct line *l, json *o, const char *key)
{
	json *a = get(o, key);
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	lit(l, "[");
	for (size_t i = 0; i < n; i++) {
		json *v = json_object_array_get_idx(a, i);
		if (i)
			lit(l, " ");
		if (v && json_object_is_type(v, json_type_string))
			text(l, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	}
	lit(l, "]");
}

static size_t list_len(json *o, const char *key)
{
	json *a = get(o, key);
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static void host_port(struct line *l, json *o, const char *host, const char *port)
{
	put_str(l, o, host);
	fmt(l, ":%llu", get_uint(o, port));
}

/* "TCP 10.0.0.1:1234 => 10.0.0.2:80 [names]" */
static void five_tuple(struct line *l, json *ev, bool accept)
{
	begin(l, CYAN);
	put_str(l, ev, "protocol");
	lit(l, " ");
	host_port(l, ev, accept ? "destination_ip" : "source_ip",
		  accept ? "destination_port" : "source_port");
	lit(l, " => ");
	host_port(l, ev, accept ? "source_ip" : "destination_ip",
		  accept ? "source_port" : "destination_port");
	if (list_len(ev, "destination_names")) {
		lit(l, " ");
		put_list(l, ev, "destination_names");
	}
	end(l);
}

static void listen_addr(struct line *l, json *ev, const char *ip, const char *port)
{
	begin(l, CYAN);
	put_str(l, ev, "protocol");
	lit(l, " ");
	host_port(l, ev, ip, port);
	end(l);
}

/* go-humanize's Bytes: SI units, one decimal below 10. */
static void human_bytes(struct line *l, unsigned long long n)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	if (n < 10) {
		fmt(l, "%llu B", n);
		return;
	}
	double e = floor(log((double)n) / log(1000.0));
	if (e > 6)
		e = 6;
	double val = floor((double)n / pow(1000.0, e) * 10 + 0.5) / 10;
	fmt(l, val < 10 ? "%.1f %s" : "%.0f %s", val, units[(int)e]);
}

static void render_socket(struct ctx *c)
{
	struct line *l = c->l;
	if (!strcmp(c->kind, "process_connect")) {
		lead(c, BLUE, "🔌", "connect");
		lit(l, " ");
		five_tuple(l, c->ev, false);
	} else if (!strcmp(c->kind, "process_accept")) {
		lead(c, BLUE, "💡", "accept");
		lit(l, " ");
		five_tuple(l, c->ev, true);
	} else if (!strcmp(c->kind, "process_listen")) {
		lead(c, BLUE, "🎧", "listen");
		lit(l, " ");
		listen_addr(l, c->ev, "ip", "port");
	} else if (!strcmp(get_str(c->ev, "socket_type").s, "listen")) {
		lead(c, BLUE, "🧹", "close");
		lit(l, " ");
		listen_addr(l, c->ev, "source_ip", "source_port");
		lit(l, " (listen)");
	} else {
		lead(c, BLUE, "🧹", "close");
		lit(l, " ");
		json *stats = get_obj(c->ev, "stats");
		begin(l, CYAN);
		five_tuple(l, c->ev, false);
		lit(l, " tx ");
		if (stats)
			human_bytes(l, get_uint(stats, "bytes_sent"));
		lit(l, " rx ");
		if (stats)
			human_bytes(l, get_uint(stats, "bytes_received"));
		end(l);
	}
	caps_trailer(c);
}

static void render_dns(struct ctx *c)
{
	struct line *l = c->l;
	lead(c, BLUE, "📖", "dns");
	lit(l, " ");
	json *dns = get_obj(c->ev, "dns");
	begin(l, CYAN);
	put_list(l, dns, "names");
	lit(l, " => ");
	put_list(l, dns, "ips");
	end(l);
	caps_trailer(c);
}

static void render_unknown(struct ctx *c)
{
	header(c->l, BLUE, "❓", c->kind ? c->kind : "event");
	lit(c->l, " ");
	if (c->proc) {
		process_info(c);
		caps_trailer(c);
	} else {
		begin(c->l, GREEN);
		put_str(c->l, c->root, "node_name");
		end(c->l);
	}
}

static const struct {
	const char *kind;
	void (*render)(struct ctx *c);
} kinds[] = {
	{ "process_exec", render_exec },
	{ "process_exit", render_exit },
	{ "process_kprobe", render_kprobe },
	{ "process_tracepoint", render_tracepoint },
	{ "process_uprobe", render_uprobe },
	{ "process_usdt", render_usdt },
	{ "process_lsm", render_lsm },
	{ "process_loader", render_loader },
	{ "process_throttle", render_throttle },
	{ "process_connect", render_socket },
	{ "process_accept", render_socket },
	{ "process_listen", render_socket },
	{ "process_close", render_socket },
	{ "process_dns", render_dns },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The event's kind: its first known top-level key, else the first key
 * holding an object (as the flattener decides). */
static void find_kind(struct ctx *c)
{
	if (!c->root || !json_object_is_type(c->root, json_type_object))
		return;
	json_object_object_foreach(c->root, key, val) {
		for (size_t i = 0; i < NKINDS; i++) {
			if (!strcmp(key, kinds[i].kind) &&
			    json_object_is_type(val, json_type_object)) {
				c->kind = kinds[i].kind;
				c->ev = val;
				return;
			}
		}
		if (!c->ev && json_object_is_type(val, json_type_object)) {
			c->kind = key;
			c->ev = val;
		}
	}
}

/* tetra's --timestamps: the event's time in UTC with nine fraction
 * digits, the epoch when it has none. */
static void timestamp(struct line *l, json *root)
{
	struct str t = get_str(root, "time");
	int64_t ns = 0;
	if (timefmt_parse(t.s, t.n, &ns) < 0)
		ns = 0;
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0)
		secs--, frac += 1000000000;
	time_t tt = (time_t)secs;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char buf[64];
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	raw(l, buf, n);
	fmt(l, ".%09lldZ ", (long long)frac);
}

char *compact_render(struct json_object *root, unsigned flags)
{
	struct line l = { .color = flags & COMPACT_COLOR };
	struct ctx c = { .l = &l, .root = root };
	raw(&l, "", 0);
	if (flags & COMPACT_TIMESTAMPS)
		timestamp(&l, root);
	l.start = l.len;
	find_kind(&c);
	c.proc = get_obj(c.ev, "process");
	for (size_t i = 0; i < NKINDS; i++) {
		if (c.kind == kinds[i].kind) {
			kinds[i].render(&c);
			return l.buf;
		}
	}
	render_unknown(&c);
	return l.buf;
}
