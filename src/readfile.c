/* openat/read helpers for /proc, /sys and cgroupfs: see readfile.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/readfile.h"

int readfile_at(int dirfd, const char *name, struct hw_buf *out, size_t max)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int rc = 0;
	buf_reset(out);
	for (;;) {
		/* Most pseudo-files fit in one page; ask for more room as we go. */
		if (!buf_reserve(out, 4096)) {
			rc = -ENOMEM;
			goto out;
		}
		size_t room = out->cap - out->len - 1;
		ssize_t n = read(fd, out->data + out->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > max) {
			rc = -EFBIG;
			goto out;
		}
	}
	out->data[out->len] = '\0';
	/* A NUL inside a text file means it is not the file we expect. */
	if (memchr(out->data, '\0', out->len))
		rc = -EINVAL;
out:
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

int readfile_small(int dirfd, const char *name, char *dst, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int rc = 0;
	for (;;) {
		if (len + 1 >= size) {
			/* One more byte tells a full buffer from a longer file. */
			char c;
			ssize_t more = read(fd, &c, 1);
			if (more > 0)
				rc = -EFBIG;
			else if (more < 0)
				rc = -errno;
			break;
		}
		ssize_t n = read(fd, dst + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
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
