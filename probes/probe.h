/* probe — the records the kernel programs (probe.bpf.c) hand to user space
 * (probe.c, bpf_source.c) through the ring buffer, and the keys of the maps
 * user space fills.  Both sides compile this file, so every struct uses
 * fixed-width types with explicit padding: the layout is the same for the
 * BPF target and for the host (both LP64).
 *
 * Paths are sent as components, leaf first, each NUL-terminated
 * ("passwd\0etc\0" is /etc/passwd): the kernel walks dentries upwards and
 * cannot know the total length in advance; user space reverses them. */
#ifndef BPFALERT_PROBE_H
#define BPFALERT_PROBE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PROBE_COMM_LEN      16
#define PROBE_FILENAME_MAX  512   /* exec: the file name as passed to execve */
#define PROBE_ARGS_MAX      4096  /* exec: argv block, NUL-separated */
#define PROBE_ARGS_HEAD     2048  /* ... when longer: its first bytes, then */
#define PROBE_ARGS_TAIL     2048  /* its last bytes (the payload may follow padding) */
#define PROBE_CGROUP_MAX    128   /* leaf name of the task's cgroup */
#define PROBE_NAME_MAX      256   /* one path component (NAME_MAX + NUL) */
#define PROBE_PATH_BUF      4096  /* components of one path */
#define PROBE_PATH_DEPTH    32    /* components walked before giving up */
#define PROBE_DIR_DEPTH     32    /* parents checked against watched dirs */
#define PROBE_KEYNAME_MAX   64    /* basenames matched in the kernel */
#define PROBE_WATCH_MAX     1024  /* entries of each watch map */
#define PROBE_AIO_MAX       4     /* io_submit: requests checked per call */
#define PROBE_PLACES_MAX    4     /* watched files of one basename, per name */
#define PROBE_CHILDREN_MAX  8192  /* a directory's entries searched at a rename */

/* Access mask, as the kernel's MAY_* bits (include/linux/fs.h). */
#define PROBE_MAY_WRITE 0x2
#define PROBE_MAY_READ  0x4

/* Kinds of access kept apart by the repeat suppression (with the mask):
 * a truncation or a metadata change is never hidden by earlier writes. */
#define PROBE_KIND_DATA     0
#define PROBE_KIND_TRUNCATE 0x100
#define PROBE_KIND_META     0x200
#define PROBE_KIND_ENTRY    0x1000  /* a rename, link or unlink */

enum probe_rec_type {
	PROBE_REC_EXEC = 1,
	PROBE_REC_EXIT,
	PROBE_REC_FORK,
	PROBE_REC_FILE,       /* access to a watched file */
	PROBE_REC_NAME,       /* a path-name syscall user space must resolve */
	PROBE_REC_CONNECT,
	PROBE_REC_EXE,        /* struct probe_exe */
};

/* Which kernel function or system call produced a record. */
enum probe_hook {
	PROBE_HOOK_NONE = 0,
	PROBE_HOOK_SECURITY_FILE_PERMISSION,
	PROBE_HOOK_SECURITY_MMAP_FILE,
	PROBE_HOOK_SECURITY_PATH_TRUNCATE,
	PROBE_HOOK_SECURITY_FILE_TRUNCATE,
	PROBE_HOOK_SYS_OPEN,
	PROBE_HOOK_SYS_OPENAT,
	PROBE_HOOK_SYS_OPENAT2,
	PROBE_HOOK_SYS_CREAT,
	PROBE_HOOK_SYS_TRUNCATE,
	PROBE_HOOK_SYS_FTRUNCATE,
	PROBE_HOOK_SYS_READ,
	PROBE_HOOK_SYS_PREAD64,
	PROBE_HOOK_SYS_READV,
	PROBE_HOOK_SYS_PREADV,
	PROBE_HOOK_SYS_PREADV2,
	PROBE_HOOK_SYS_WRITE,
	PROBE_HOOK_SYS_PWRITE64,
	PROBE_HOOK_SYS_WRITEV,
	PROBE_HOOK_SYS_PWRITEV,
	PROBE_HOOK_SYS_PWRITEV2,
	PROBE_HOOK_SYS_SENDFILE64,
	PROBE_HOOK_SYS_COPY_FILE_RANGE,
	PROBE_HOOK_SYS_SPLICE,
	PROBE_HOOK_SYS_MMAP,
	PROBE_HOOK_SYS_UNLINK,
	PROBE_HOOK_SYS_UNLINKAT,
	PROBE_HOOK_SYS_RENAME,
	PROBE_HOOK_SYS_RENAMEAT,
	PROBE_HOOK_SYS_RENAMEAT2,
	PROBE_HOOK_SYS_LINK,
	PROBE_HOOK_SYS_LINKAT,
	PROBE_HOOK_TCP_CONNECT,
	PROBE_HOOK_SYS_FALLOCATE,
	PROBE_HOOK_SYS_CHMOD,
	PROBE_HOOK_SYS_FCHMOD,
	PROBE_HOOK_SYS_FCHMODAT,
	PROBE_HOOK_SYS_FCHMODAT2,
	PROBE_HOOK_SYS_CHOWN,
	PROBE_HOOK_SYS_LCHOWN,
	PROBE_HOOK_SYS_FCHOWN,
	PROBE_HOOK_SYS_FCHOWNAT,
	PROBE_HOOK_SYS_SETXATTR,
	PROBE_HOOK_SYS_LSETXATTR,
	PROBE_HOOK_SYS_FSETXATTR,
	PROBE_HOOK_SYS_SETXATTRAT,
	PROBE_HOOK_SYS_REMOVEXATTR,
	PROBE_HOOK_SYS_LREMOVEXATTR,
	PROBE_HOOK_SYS_FREMOVEXATTR,
	PROBE_HOOK_SYS_REMOVEXATTRAT,
	PROBE_HOOK_SECURITY_PATH_CHMOD,
	PROBE_HOOK_SECURITY_PATH_CHOWN,
	PROBE_HOOK_SECURITY_INODE_SETXATTR,
	PROBE_HOOK_SECURITY_INODE_REMOVEXATTR,
	PROBE_HOOK_IO_URING,          /* a request completed by io_uring */
	PROBE_HOOK_SYS_IO_SUBMIT,     /* Linux AIO */
	PROBE_HOOK_SYS_MPROTECT,      /* a shared file mapping made writable */
	PROBE_HOOK_SYS_PKEY_MPROTECT,
	PROBE_HOOK_SECURITY_FILE_MPROTECT,
	PROBE_HOOK_IO_RENAMEAT,       /* io_uring requests on names */
	PROBE_HOOK_IO_UNLINKAT,
	PROBE_HOOK_IO_LINKAT,
	PROBE_HOOK_IO_SETXATTR,
	PROBE_HOOK_SECURITY_PATH_UNLINK,
	PROBE_HOOK_SECURITY_PATH_LINK,
	PROBE_HOOK_SECURITY_PATH_RENAME,
	PROBE_HOOK_SYS_SYMLINKAT,     /* policies only: name the target as written */
	PROBE_HOOK_SYS_SYMLINK,
	PROBE_HOOK_MAX,
};

/* How a file record matched the watch list. */
enum probe_match {
	PROBE_MATCH_FILE = 1,    /* (dev, ino) of the file itself */
	PROBE_MATCH_DIR,         /* (dev, ino) of one of its parents */
	PROBE_MATCH_NAME,        /* only its basename: user space compares the
				    path as the process sees it (a container's
				    own /etc/passwd is not the host's inode) */
	PROBE_MATCH_REPLACED,    /* an inode a rename just put at a watched
				    file's path (struct probe_file.item),
				    before user space read the list again */
};

/* Counters kept per CPU in the kernel (map "stats"). */
enum probe_stat {
	PROBE_STAT_LOST,         /* records dropped: ring buffer full */
	PROBE_STAT_FILE_SEEN,    /* file accesses checked against the watch */
	PROBE_STAT_FILE_MATCHED, /* ... of which matched */
	PROBE_STAT_FILE_DEDUP,   /* matched but suppressed as a repeat (same
				    process image, inode and access kind) */
	PROBE_STAT_NAME_SEEN,    /* path-name syscalls checked */
	PROBE_STAT_PATH_TRUNC,   /* paths cut at PROBE_PATH_DEPTH/BUF */
	PROBE_STAT_NAME_CANDIDATE, /* sent for their basename alone */
	PROBE_STAT_URING_UNSEEN, /* io_uring opens into direct descriptors, and
				    AIO requests past PROBE_AIO_MAX in one call:
				    not checked */
	PROBE_STAT_MAX,
};

/* exec flags (struct probe_exec.flags) */
#define PROBE_EXEC_TRUNC_FILENAME 0x1
#define PROBE_EXEC_TRUNC_ARGS     0x2
#define PROBE_EXEC_ERROR_ARGS     0x4
#define PROBE_EXEC_ERROR_CWD      0x8

/* path flags (struct probe_path.flags) */
#define PROBE_PATH_TRUNCATED 0x1   /* the walk stopped before the root */
#define PROBE_PATH_DETACHED  0x2   /* it ended at the root of a mount that is
				      in no tree (a memfd, an anonymous file) */

/* Identity of the task a record is about (the current task, except for
 * fork records, where it is the child). */
struct probe_hdr {
	__u32 type;          /* enum probe_rec_type */
	__u32 pid;           /* thread group id, in the initial pid namespace */
	__u32 tid;
	__u32 ppid;          /* real parent's thread group id */
	__u32 uid;           /* effective uid */
	__u32 auid;          /* login uid; 4294967295 when unset */
	__u64 ktime;         /* bpf_ktime_get_ns() when the record was made */
	char comm[PROBE_COMM_LEN];
};

struct probe_path {
	__u16 len;           /* bytes of buf in use */
	__u16 depth;         /* components in buf */
	__u16 flags;         /* PROBE_PATH_* */
	__u16 pad;
	char buf[PROBE_PATH_BUF + PROBE_NAME_MAX];   /* see path.bpf.h */
};

struct probe_exec {
	struct probe_hdr h;
	__u32 flags;         /* PROBE_EXEC_* */
	__u16 filename_len;  /* without the NUL */
	__u16 args_len;      /* bytes of args in use (argv[0] included); with
				PROBE_EXEC_TRUNC_ARGS, PROBE_ARGS_HEAD bytes of
				the block's start, then its last bytes */
	__u16 cgroup_len;    /* without the NUL; 0: root cgroup or unknown */
	__u16 pad[3];
	char filename[PROBE_FILENAME_MAX];
	char args[PROBE_ARGS_MAX];
	char cgroup[PROBE_CGROUP_MAX];
	struct probe_path cwd;
};

/* Sent just before the exec record of a program started through a
 * descriptor (fexecve, execveat(fd, "", AT_EMPTY_PATH): the file name is
 * "/dev/fd/N"): the file the process runs (mm->exe_file). */
struct probe_exe {
	struct probe_hdr h;
	struct probe_path path;
};

struct probe_exit {
	struct probe_hdr h;
	__u32 exit_code;     /* wait status: code << 8 | signal */
	__u32 pad;
};

/* h is the child's identity; h.ppid the forking process. */
struct probe_fork {
	struct probe_hdr h;
};

struct probe_file {
	struct probe_hdr h;
	__u32 hook;          /* enum probe_hook */
	__u32 mask;          /* PROBE_MAY_* */
	__u32 match;         /* enum probe_match */
	__u32 mode;          /* the inode's i_mode */
	__u64 dev;           /* kernel dev_t of the file's superblock */
	__u64 ino;
	__u64 dir_ino;       /* PROBE_MATCH_DIR: the watched directory (on dev) */
	__u32 repeats;       /* like accesses suppressed since the last report */
	__u16 below;         /* PROBE_MATCH_DIR: components of path below it */
	__u16 item;          /* PROBE_MATCH_REPLACED: the watch list's item */
	__s32 ret;           /* the opens: the descriptor returned (else 0) */
	__u32 pad2;
	struct probe_path path;
};

/* A system call that names a file by path (truncate, unlink, rename,
 * link, chmod, chown, setxattr): the kernel has no struct file to match,
 * so user space resolves the name.  Sent when the basename is watched, or
 * always for truncate and the metadata calls, and for renames, links and
 * unlinks while a directory is watched. */
struct probe_name {
	struct probe_hdr h;
	__u32 hook;
	__s32 dirfd;         /* the *at calls' directory; PROBE_AT_FDCWD */
	__u32 at_flags;      /* AT_EMPTY_PATH: the name is dirfd itself */
	__s32 dirfd2;        /* rename/link: the new name's directory */
	char name[PROBE_NAME_MAX];   /* as passed by the caller */
	char name2[PROBE_NAME_MAX];  /* rename/link: the new name */
};

#define PROBE_AT_FDCWD (-100)

struct probe_connect {
	struct probe_hdr h;
	__u32 hook;
	__u16 family;        /* AF_INET, AF_INET6 */
	__u16 sport;         /* host order; 0 when not bound yet */
	__u16 dport;         /* host order */
	__u16 pad[3];
	__u8 saddr[16];      /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

/* Keys of the watch maps (filled by user space). */
struct probe_inode_key {
	__u64 dev;           /* kernel dev_t: major << 20 | minor */
	__u64 ino;
};

struct probe_name_key {
	char name[PROBE_KEYNAME_MAX];
};

/* Where a watched file is (map watch_places, by its basename): the
 * directory holding it, and the inode it has now. */
struct probe_place {
	__u64 dir;           /* the directory's struct dentry *, from a
				descriptor user space holds (place_resolve) */
	__u64 dev;
	__u64 ino;
	__u32 item;          /* its watch list item */
	__u32 pad;
};

struct probe_places {
	__u32 n;
	__u32 pad;
	struct probe_place p[PROBE_PLACES_MAX];
};

/* An inode a rename put at a watched path (map replaced, by its key),
 * trusted only while it is the same inode. */
struct probe_replaced {
	__u64 inode;         /* the struct inode's address */
	__u64 ktime;         /* when (user space drops entries older than its
				last reading of the list) */
	__u32 gen;           /* its i_generation */
	__u32 item;
};

#endif
