/* Reading /proc, /sys and cgroupfs files into caller buffers.
 *
 * Pseudo-files report size 0 and may change between reads, so they are read
 * whole with one open and read() until EOF into a buffer the caller owns and
 * reuses; nothing here allocates. Every function returns 0 or -errno, like
 * htop's readfileat helpers, and never exits: a missing file fails one
 * collector, not the daemon. */
#ifndef HOSTWATCH_READFILE_H
#define HOSTWATCH_READFILE_H

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

#endif
