/* openat/read helpers for /proc, /sys and cgroupfs: see readfile.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "hostwatch/readfile.h"
#include "hostwatch/sys.h"

/* Whether fd is on procfs or sysfs, whose seq_file-backed files can be
 * kept open and read again from offset 0 (readfile.h, kept files). */
static bool readfile_is_pseudo_fs(int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return false;
	return sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC;
}

/* One read at `off`: pread on a kept descriptor (its offset is ours to
 * choose, and 0 starts the seq_file over), plain read() otherwise, exactly
 * as before kept files existed (a FUSE file may not support pread). Both
 * without glibc's cancellation wrapper (sys.h says why): every collector
 * reads through here on every scrape. */
static ssize_t readfile_chunk(int fd, bool kept, char *dst, size_t n,
			      size_t off)
{
	return kept ? sys_pread(fd, dst, n, (off_t)off) : sys_read(fd, dst, n);
}

/* Read all of fd into out (replacing it), NUL-terminated. -errno of a
 * failed read sets *io_err, so a kept descriptor can be reopened; -EFBIG,
 * -EINVAL (a NUL inside) and -ENOMEM are about the contents or us. */
static int readfile_fill(int fd, bool kept, bool single, struct hw_buf *out,
			 size_t max, bool *io_err)
{
	buf_reset(out);
	for (;;) {
		/* Most pseudo-files fit in one page; ask for more room as
		 * we go. */
		if (!buf_reserve(out, 4096))
			return -ENOMEM;
		size_t room = out->cap - out->len - 1;
		ssize_t n = readfile_chunk(fd, kept, out->data + out->len, room,
					   out->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*io_err = true;
			return -errno;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > max)
			return -EFBIG;
		/* KEPT_SINGLE: the record is out, the next read would be
		 * EOF (readfile.h). */
		if (kept && single && (size_t)n < room)
			break;
	}
	out->data[out->len] = '\0';
	/* A NUL inside a text file means it is not the file we expect. */
	if (memchr(out->data, '\0', out->len))
		return -EINVAL;
	return 0;
}

/* readfile_small's read into dst (size > 0 bytes); the length read in
 * *len. */
static int readfile_fill_small(int fd, bool kept, bool single, char *dst,
			       size_t size, size_t *len, bool *io_err)
{
	size_t got = 0;
	for (;;) {
		if (got + 1 >= size) {
			/* One more byte tells a full buffer from a longer
			 * file. */
			char c;
			ssize_t more = readfile_chunk(fd, kept, &c, 1, got);
			if (more > 0)
				return -EFBIG;
			if (more < 0) {
				*io_err = true;
				return -errno;
			}
			break;
		}
		size_t room = size - 1 - got;
		ssize_t n = readfile_chunk(fd, kept, dst + got, room, got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*io_err = true;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (kept && single && (size_t)n < room)
			break;
	}
	*len = got;
	return 0;
}

int readfile_at(int dirfd, const char *name, struct hw_buf *out, size_t max)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	bool io_err = false;
	int rc = readfile_fill(fd, false, false, out, max, &io_err);
	close(fd);
	if (rc < 0)
		buf_reset(out);
	return rc;
}

int path_join(char *dst, size_t size, const char *base, const char *rel)
{
	size_t bl = strlen(base);
	while (bl > 1 && base[bl - 1] == '/')
		bl--;
	while (*rel == '/')
		rel++;
	int n;
	if (bl == 1 && base[0] == '/')
		n = snprintf(dst, size, "/%s", rel);
	else
		n = snprintf(dst, size, "%.*s/%s", (int)bl, base, rel);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

const char *path_cat(char *dst, size_t size, const char *dir,
		     const char *file)
{
	size_t dl = strlen(dir), fl = strlen(file);
	if (dl + 1 + fl >= size)
		return NULL;
	memcpy(dst, dir, dl);
	dst[dl] = '/';
	memcpy(dst + dl + 1, file, fl + 1);
	return dst;
}

int readfile_path(const char *base, const char *rel, struct hw_buf *out,
		  size_t max)
{
	char path[PATH_MAX];
	int rc = path_join(path, sizeof(path), base, rel);
	if (rc < 0)
		return rc;
	return readfile_at(AT_FDCWD, path, out, max);
}

int readfile_text_path(const char *base, const char *rel, struct hw_buf *out,
		       size_t max)
{
	int rc = readfile_path(base, rel, out, max);
	if (rc == 0 && out->len && out->data[out->len - 1] != '\n') {
		buf_reset(out);
		rc = -EINVAL;
	}
	return rc;
}

/* Trailing newlines off, NUL-terminated; dst emptied on an error. */
static int readfile_small_done(int rc, char *dst, size_t size, size_t len)
{
	if (rc < 0) {
		if (size)
			dst[0] = '\0';
		return rc;
	}
	while (len > 0 && dst[len - 1] == '\n')
		len--;
	dst[len] = '\0';
	return 0;
}

int readfile_small(int dirfd, const char *name, char *dst, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	bool io_err = false;
	int rc = readfile_fill_small(fd, false, false, dst, size, &len,
				     &io_err);
	close(fd);
	return readfile_small_done(rc, dst, size, len);
}

/* ---- kept files and directories ---------------------------------------- */

/* The path of a kept file or directory: base + "/" + rel, or rel alone.
 * *err gets -ENAMETOOLONG for a path that cannot be built (reads return
 * it, as readfile_path would); -ENOMEM is returned. */
static int kept_path(char **dst, int *err, const char *base, const char *rel)
{
	char path[PATH_MAX];
	*err = 0;
	if (!base) {
		if (strlen(rel) >= sizeof(path))
			*err = -ENAMETOOLONG;
		else
			strcpy(path, rel);
	} else {
		*err = path_join(path, sizeof(path), base, rel);
	}
	if (*err)
		path[0] = '\0';
	*dst = strdup(path);
	return *dst ? 0 : -ENOMEM;
}

int kept_init(struct hw_kept *kf, const char *base, const char *rel,
	      unsigned flags)
{
	kf->fd = -1;
	kf->flags = flags;
	return kept_path(&kf->path, &kf->err, base, rel);
}

void kept_close(struct hw_kept *kf)
{
	if (kf->fd >= 0)
		close(kf->fd);
	kf->fd = -1;
}

void kept_fini(struct hw_kept *kf)
{
	kept_close(kf);
	free(kf->path);
	kf->path = NULL;
	kf->err = 0;
}

/* Open kf's path for one read: the descriptor or -errno. When it is on
 * procfs or sysfs it becomes kf->fd, kept after the read. */
static int kept_open(struct hw_kept *kf, int dirfd, bool *keep)
{
	int fd = openat(dirfd, kf->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	*keep = readfile_is_pseudo_fs(fd);
	if (*keep)
		kf->fd = fd;
	return fd;
}

int kept_read_at(struct hw_kept *kf, int dirfd, struct hw_buf *out,
		 size_t max)
{
	bool single = kf->flags & KEPT_SINGLE, io_err = false, keep;
	int rc;
	if (kf->err) {
		rc = kf->err;
		goto out;
	}
	if (kf->fd >= 0) {
		rc = readfile_fill(kf->fd, true, single, out, max, &io_err);
		if (rc == 0 || !io_err)
			goto out;
		/* The descriptor went bad: open the path once more. */
		kept_close(kf);
		io_err = false;
	}
	int fd = kept_open(kf, dirfd, &keep);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = readfile_fill(fd, keep, single, out, max, &io_err);
	if (!keep || io_err) {
		close(fd);
		kf->fd = -1;
	}
out:
	if (rc < 0)
		buf_reset(out);
	return rc;
}

int kept_read(struct hw_kept *kf, struct hw_buf *out, size_t max)
{
	return kept_read_at(kf, AT_FDCWD, out, max);
}

int kept_read_text(struct hw_kept *kf, struct hw_buf *out, size_t max)
{
	int rc = kept_read(kf, out, max);
	if (rc == 0 && out->len && out->data[out->len - 1] != '\n') {
		buf_reset(out);
		rc = -EINVAL;
	}
	return rc;
}

int kept_read_small_at(struct hw_kept *kf, int dirfd, char *dst, size_t size)
{
	bool single = kf->flags & KEPT_SINGLE, io_err = false, keep;
	size_t len = 0;
	int rc;
	if (kf->err) {
		rc = kf->err;
		goto out;
	}
	if (kf->fd >= 0) {
		rc = readfile_fill_small(kf->fd, true, single, dst, size, &len,
					 &io_err);
		if (rc == 0 || !io_err)
			goto out;
		kept_close(kf);
		io_err = false;
	}
	int fd = kept_open(kf, dirfd, &keep);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = readfile_fill_small(fd, keep, single, dst, size, &len, &io_err);
	if (!keep || io_err) {
		close(fd);
		kf->fd = -1;
	}
out:
	return readfile_small_done(rc, dst, size, len);
}

int keptdir_init(struct hw_kept_dir *d, const char *base, const char *rel)
{
	d->fd = -1;
	d->keep = false;
	d->names = (struct hw_buf)HW_BUF_INIT;
	return kept_path(&d->path, &d->err, base, rel);
}

int keptdir_open(struct hw_kept_dir *d)
{
	if (d->err)
		return d->err;
	if (d->fd >= 0)
		return d->fd;
	int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d->fd = fd;
	d->keep = readfile_is_pseudo_fs(fd);
	return fd;
}

/* Every name of the directory open at fd, from its start, into names. */
static int keptdir_fill(int fd, struct hw_buf *names, bool *io_err)
{
	/* getdents64 records are 8-byte aligned in this buffer. */
	union {
		struct dirent64 de;
		char b[4096];
	} u;
	buf_reset(names);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		*io_err = true;
		return -errno;
	}
	for (;;) {
		ssize_t n = getdents64(fd, u.b, sizeof(u.b));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*io_err = true;
			return -errno;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const void *)(u.b + off);
			buf_put(names, de->d_name, strlen(de->d_name) + 1);
			off += de->d_reclen;
		}
	}
	return names->failed ? -ENOMEM : 0;
}

int keptdir_list(struct hw_kept_dir *d)
{
	bool io_err = false;
	int fd = keptdir_open(d);
	if (fd < 0)
		return fd;
	int rc = keptdir_fill(fd, &d->names, &io_err);
	if (rc < 0 && io_err && d->keep) {
		/* A kept descriptor went bad: open the path once more. */
		close(d->fd);
		d->fd = -1;
		io_err = false;
		fd = keptdir_open(d);
		rc = fd < 0 ? fd : keptdir_fill(fd, &d->names, &io_err);
	}
	if (rc < 0)
		buf_reset(&d->names);
	return rc;
}

const char *keptdir_next(const struct hw_kept_dir *d, const char *prev)
{
	const char *p = prev ? prev + strlen(prev) + 1 : d->names.data;
	if (!p || p >= d->names.data + d->names.len)
		return NULL;
	return p;
}

void keptdir_release(struct hw_kept_dir *d)
{
	if (d->fd >= 0 && !d->keep) {
		close(d->fd);
		d->fd = -1;
	}
}

void keptdir_fini(struct hw_kept_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->keep = false;
	free(d->path);
	d->path = NULL;
	d->err = 0;
	buf_free(&d->names);
}

const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');
	return nl ? nl + 1 : p + strlen(p);
}

int parse_u64(const char **p, uint64_t *out)
{
	const char *s = skip_blanks(*p);
	if (*s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		s++;
	}
	*out = v;
	*p = s;
	return 0;
}

int parse_double(const char **p, double *out)
{
	const char *s = skip_blanks(*p);
	char *end;
	/* Only plain decimals: strtod would also take "nan", "inf" and hex. */
	if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.'))
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*out = v;
	*p = end;
	return 0;
}

int parse_token(const char **p, char *dst, size_t size)
{
	const char *s = skip_blanks(*p);
	size_t n = strcspn(s, " \t\n");
	if (n == 0)
		return -EINVAL;
	if (n >= size)
		return -ERANGE;
	memcpy(dst, s, n);
	dst[n] = '\0';
	*p = s + n;
	return 0;
}
