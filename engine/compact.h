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
 * socket of a connect, ...).  Tetragon pads every line that carries a
 * process to 120 columns counting its colour codes, then prints the
 * process's capability note ("🛑 CAP_SYS_ADMIN" when it holds
 * CAP_SYS_ADMIN, else nothing); lines here are laid out the same way, so
 * without colour they are byte for byte what a terminal shows of tetra's
 * coloured output, trailing spaces included.
 *
 * Differences, all for kinds or cases where tetra prints nothing useful:
 * an unknown kind is shown as "❓ KIND" with the process if it has one
 * (tetra refuses it); an event without its process object is shown with
 * an empty one (tetra refuses it); a raw_syscalls/sys_enter tracepoint
 * shows the syscall number (tetra looks up a name table); the capability
 * note tests the capability itself (tetra's test looks at the position in
 * the list).  Control characters in event text are shown as \xNN, so a
 * hostile binary name cannot drive the terminal or break the line. */
#ifndef BPFALERT_COMPACT_H
#define BPFALERT_COMPACT_H

struct json_object;

enum {
	COMPACT_COLOR = 1,   /* ANSI colours, as tetra uses on a terminal */
};

/* The line for one parsed event (any JSON value: non-objects render as an
 * unknown kind), without a newline.  Never NULL; the caller frees it. */
char *compact_render(struct json_object *root, unsigned flags);

#endif
