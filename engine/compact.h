/* compact — one Tetragon event on one line, as `tetra getevents -o compact`
 * shows it (DESIGN §9), e.g.
 *
 *   🚀 process default/dev-pod /usr/bin/cat /etc/passwd
 *   💥 exit    default/dev-pod /usr/bin/cat /etc/passwd 0
 *   📚 read    default/dev-pod /usr/bin/cat /etc/passwd
 *
 * Emoji, words and fields per kind follow Tetragon's compact encoder
 * (pkg/encoder): the pod as namespace/name, or the node name without a pod;
 * the binary; then what the kind is about (arguments, exit status or
 * signal, the file of a security_file_permission read or write, the
 * socket of a connect, ...).
 *
 * Strings that hold anything a terminal could act on (control
 * characters, escapes, bytes that are not UTF-8, quotes, backslashes) are
 * quoted Go-style, as tetra quotes them: "/tmp/a\nb", "\x1b[2J".
 *
 * Tetragon's padding: a line that carries a process is padded to 120
 * bytes (colour codes counted) before the process's capability note
 * ("🛑 CAP_SYS_ADMIN" when it holds CAP_SYS_ADMIN).  With colours the
 * note always exists (its colour codes, around an empty text at least),
 * so coloured lines are always padded; plain lines only when the process
 * has the capability.  A coloured line with its codes removed is what a
 * terminal shows of tetra, trailing spaces included.
 *
 * Differences, all for events tetra refuses or cannot name: an unknown
 * kind is shown as "❓ KIND" with the process if it has one; an event
 * without its process object is shown with an empty one; a
 * raw_syscalls/sys_enter tracepoint shows the syscall number (tetra looks
 * up a name table); the capability note tests the capability itself
 * (tetra's test looks at the position in the list). */
#ifndef BPFALERT_COMPACT_H
#define BPFALERT_COMPACT_H

struct json_object;

enum {
	COMPACT_COLOR = 1,        /* ANSI colours, as tetra uses on a terminal */
	COMPACT_TIMESTAMPS = 2,   /* tetra's --timestamps: the time first */
};

/* The line for one parsed event (any JSON value: non-objects render as an
 * unknown kind), without a newline.  Never NULL; the caller frees it. */
char *compact_render(struct json_object *root, unsigned flags);

#endif
