/* Reading /proc, /sys and cgroupfs files into caller buffers.
 *
 * Pseudo-files report size 0 and may change between reads, so they are read
 * whole with one open and read() until EOF into a buffer the caller owns and
 * reuses; nothing here allocates. Every function returns 0 or -errno, like
 * htop's readfileat helpers, and never exits: a missing file fails one
 * collector, not the daemon. */
#ifndef HOSTWATCH_READFILE_H
#define HOSTWATCH_READFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hostwatch/buf.h"

/* Read the whole file `dir`/`name` (dirfd AT_FDCWD and an absolute name work
 * too) into `out`, replacing its contents, NUL-terminated. Files larger than
 * `max` bytes fail with -EFBIG so a hostile or broken file cannot make us grow
 * without bound. */
int readfile_at(int dirfd, const char *name, struct hw_buf *out, size_t max);

/* Same with a path made of `base` + "/" + `rel` (base as in --path.procfs). */
int readfile_path(const char *base, const char *rel, struct hw_buf *out,
		  size_t max);

/* readfile_path for a text pseudo-file: the kernel ends every line of
 * /proc and /sys text files with a newline, so a non-empty file without a
 * final one was cut mid-line (a short read, a broken FUSE or bind mount):
 * -EINVAL, instead of publishing a half-parsed last line. */
int readfile_text_path(const char *base, const char *rel, struct hw_buf *out,
		       size_t max);

/* Read a small file (a sysfs attribute) into `dst` of `size` bytes,
 * NUL-terminated, trailing newline removed. -EFBIG if it does not fit. */
int readfile_small(int dirfd, const char *name, char *dst, size_t size);

/* ---- Kept files ----------------------------------------------------------
 *
 * A pseudo-file read every scrape can stay open between scrapes: the
 * seq_file behind /proc and sysfs text files builds its contents afresh when
 * it is read from offset 0 (fs/seq_file.c seq_read_iter resets its iterator
 * at ki_pos 0), so a pread from 0 to EOF sees the same as a fresh open and
 * saves the open, the path walk and the close (netdata's procfile does the
 * same). Only a file that fstatfs places on procfs or sysfs is kept; any
 * other (a test fixture on tmpfs, an lxcfs FUSE file over /proc/meminfo) is
 * opened, read and closed every time exactly as readfile_at does, so a file
 * replaced or deleted between two reads is seen as it is at the second.
 *
 * A read error on a kept descriptor (a sysfs attribute whose device went
 * away gives -ENODEV, a /proc/<pid> file whose process is gone -ESRCH)
 * closes it, opens the path once more and retries; when that fails too the
 * caller gets -errno as from readfile_at. What a procfs file pins when it is
 * opened stays that of the first open: the mount namespace and root of
 * /proc/<pid>/mounts, the network namespace of /proc/net/<file>, the process
 * behind "self" (pid 1 and hostwatch keep theirs). Not thread-safe: each
 * struct belongs to one collector, used under its lock. */

/* The kernel serves the file as one seq_file record (single_open() and
 * friends: /proc/stat, meminfo, loadavg, pressure/<res>, /proc/<pid>/stat;
 * and every sysfs attribute, kernfs_seq_start). seq_read_iter then hands out
 * the whole record before it looks for another, so once a kept descriptor
 * returns fewer bytes than there was room for, the next read can only say
 * EOF and is skipped. Never set it for a multi-record file (diskstats,
 * mounts): those stop a read at the end of the seq_file's page buffer. */
#define KEPT_SINGLE 1u

struct hw_kept {
	char *path;     /* absolute, or relative to the dirfd of each read */
	int fd;         /* kept open between reads, or -1 */
	int err;        /* a path that could not be built: every read fails */
	unsigned flags; /* KEPT_* */
};

/* Set up `kf` for base + "/" + rel (joined as path_join; base NULL for rel
 * alone, which is then relative to the dirfd given to each read). Opens
 * nothing yet. 0, or -ENOMEM; a path too long is remembered and returned by
 * every read, as readfile_path would return it. */
int kept_init(struct hw_kept *kf, const char *base, const char *rel,
	      unsigned flags);
/* readfile_at for a kept file, relative to `dirfd` (AT_FDCWD for an
 * absolute path). */
int kept_read_at(struct hw_kept *kf, int dirfd, struct hw_buf *out,
		 size_t max);
/* kept_read_at(kf, AT_FDCWD, ...) */
int kept_read(struct hw_kept *kf, struct hw_buf *out, size_t max);
/* readfile_text_path for a kept file: -EINVAL when the last line has no
 * newline. */
int kept_read_text(struct hw_kept *kf, struct hw_buf *out, size_t max);
/* readfile_small for a kept file, relative to `dirfd`. */
int kept_read_small_at(struct hw_kept *kf, int dirfd, char *dst,
		       size_t size);
/* Close the descriptor, if any; kf can be read again (it reopens). */
void kept_close(struct hw_kept *kf);
/* kept_close and free the path; kf is then zeroed with fd -1, so calling
 * this twice, or on a struct kept_init never saw, is harmless as long as it
 * was zero-initialised with fd -1 (KEPT_INIT). */
void kept_fini(struct hw_kept *kf);
#define KEPT_INIT {NULL, -1, 0, 0}

/* A directory listed every scrape (sysfs devices/system/cpu, /proc/self/fd),
 * kept open on procfs and sysfs like a kept file: each listing rewinds it
 * (lseek to 0, which makes kernfs and procfs list it afresh) instead of
 * opening it again. On any other filesystem it is opened by keptdir_open
 * and closed by keptdir_release each scrape. */
struct hw_kept_dir {
	char *path;
	int fd;          /* open, or -1 */
	int err;         /* as in hw_kept */
	bool keep;       /* fd stays open after keptdir_release */
	struct hw_buf names; /* the entries of the last listing */
};

/* Set up `d` for base + "/" + rel (base NULL: rel alone), as kept_init. */
int keptdir_init(struct hw_kept_dir *d, const char *base, const char *rel);
/* The directory's descriptor for this scrape (opened when it is not open),
 * or -errno. Files inside can be opened relative to it. */
int keptdir_open(struct hw_kept_dir *d);
/* List the directory (keptdir_open'ing it) from its start: every entry
 * name, "." and ".." included, NUL-separated in d->names (names.len bytes;
 * iterate with keptdir_next). A read error on a kept descriptor reopens it
 * and lists again once. 0 or -errno. */
int keptdir_list(struct hw_kept_dir *d);
/* The name after `prev` in the last listing (NULL: the first), or NULL
 * after the last one. */
const char *keptdir_next(const struct hw_kept_dir *d, const char *prev);
/* The end of this scrape's use: closes the descriptor unless it is kept. */
void keptdir_release(struct hw_kept_dir *d);
/* Close the descriptor and free everything; harmless twice, or on a struct
 * that is zeroed with fd -1 (KEPT_DIR_INIT). */
void keptdir_fini(struct hw_kept_dir *d);
#define KEPT_DIR_INIT {NULL, -1, 0, false, HW_BUF_INIT}

/* Parse an unsigned decimal at *p, advancing *p past it. Rejects a missing
 * number, a sign and overflow (-ERANGE), so a value near 2^64 is either exact
 * or an error, never silently wrapped. */
int parse_u64(const char **p, uint64_t *out);
/* Parse a decimal float (as in /proc/loadavg, PSI totals) at *p. */
int parse_double(const char **p, double *out);
/* Skip spaces and tabs. */
const char *skip_blanks(const char *p);
/* Skip to the character after the next newline, or to the NUL. */
const char *next_line(const char *p);
/* Copy the next whitespace-delimited token at *p into dst (size bytes,
 * NUL-terminated), advancing *p. -EINVAL when there is none, -ERANGE when it
 * does not fit. */
int parse_token(const char **p, char *dst, size_t size);

/* Join base and rel into dst the way node_exporter's procFilePath does:
 * base + "/" + rel. -ENAMETOOLONG when it does not fit. */
int path_join(char *dst, size_t size, const char *base, const char *rel);
/* dst = dir + "/" + file with two copies and no trimming, for the names a
 * collector builds every scrape; NULL when it does not fit in size. */
const char *path_cat(char *dst, size_t size, const char *dir,
		     const char *file);

#endif
