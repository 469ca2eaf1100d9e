/* Reading and parsing cgroupfs files for cgroup_read.c (cgroup_internal.h):
 * whole files into the reader's buffer, PID lists counted in chunks, and
 * the formats of Documentation/admin-guide/cgroup-v2.rst ("Interface
 * Files": single values, flat-keyed and nested-keyed files), PSI and v1
 * blkio. Every parser takes the whole NUL-terminated file and returns 0 or
 * -EINVAL; it never publishes half a line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/readfile.h"
#include "hostwatch/sys.h"

#include "cgroup_internal.h"

/* Every stat file is a few KB; io.stat and blkio grow with devices. */
#define CG_MAX_FILE (1u << 20)
/* cgroup.procs is counted in chunks of this size, never held whole: a
 * page, what seq_read_iter hands out of a many-record file at a time. */
#define CG_PROCS_CHUNK 4096
/* cAdvisor's maxMemorySize (metrics/prometheus.go): above it a limit is
 * "unlimited", whatever the page size rounded PAGE_COUNTER_MAX to
 * (9223372036854771712 with 4 KiB pages). */
#define CG_UNLIMITED (UINT64_C(1) << 62)

/* Read dirfd/name into r->buf, NUL-terminated: 0 or -errno; -EINVAL when a
 * non-empty file does not end in a newline (cut short, not the kernel's).
 *
 * Every file read here but cgroup.procs is a single seq_file record
 * (kernfs_seq_start hands out one, as readfile.h's KEPT_SINGLE describes),
 * so the first read() returns all of it when it fits, and a read that
 * leaves room over is the end: the read() that would only say EOF is
 * skipped. A regular file (a fixture) is short only at its end, too. */
int cgroup_file_read(struct cgroup_reader *r, int dirfd, const char *name)
{
	struct hw_buf *b = &r->buf;
	int fd = sys_openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int rc = 0;
	b->len = 0;
	for (;;) {
		if (!buf_reserve(b, 4096)) {
			rc = -ENOMEM;
			break;
		}
		size_t room = b->cap - b->len - 1;
		ssize_t n = sys_read(fd, b->data + b->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		b->len += (size_t)n;
		if (b->len > CG_MAX_FILE) {
			rc = -EFBIG;
			break;
		}
		if ((size_t)n < room)
			break;
	}
	sys_close(fd);
	if (rc < 0) {
		b->len = 0;
		return rc;
	}
	b->data[b->len] = '\0';
	if (b->len && b->data[b->len - 1] != '\n')
		return -EINVAL;
	return 0;
}

/* The number of lines of dirfd/name (cgroup.procs: one PID a line), read
 * in chunks: a cgroup of many processes must not grow the buffer.
 *
 * cgroup.procs is many seq_file records (one per PID): seq_read_iter
 * (fs/seq_file.c) adds records to its buffer of at least a page until the
 * next one does not fit, so a read can stop short of the end. But then
 * less than one record (at most 11 bytes, "%d\n") was left free in the
 * page: a read that returns less than a page minus CG_PROCS_SLACK ended
 * because the records did, and the read() that would say EOF is skipped.
 * A regular file is short only at its end, too. */
#define CG_PROCS_SLACK 16

int cgroup_file_lines(struct cgroup_reader *r, int dirfd, const char *name,
		      uint64_t *lines)
{
	struct hw_buf *b = &r->buf;
	int fd = sys_openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (!buf_reserve(b, CG_PROCS_CHUNK)) {
		sys_close(fd);
		return -ENOMEM;
	}
	uint64_t n_lines = 0;
	char last = '\n';
	int rc = 0;
	for (;;) {
		ssize_t n = sys_read(fd, b->data, CG_PROCS_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		for (const char *p = b->data, *end = b->data + n;
		     (p = memchr(p, '\n', (size_t)(end - p))); p++)
			n_lines++;
		last = b->data[n - 1];
		if (n < CG_PROCS_CHUNK - CG_PROCS_SLACK)
			break;
	}
	sys_close(fd);
	b->len = 0;
	if (rc < 0)
		return rc;
	if (last != '\n')
		return -EINVAL;
	*lines = n_lines;
	return 0;
}

/* One number and a newline, the whole file: "4096\n". */
int cgroup_parse_single(const char *p, uint64_t *v)
{
	if (parse_u64(&p, v) < 0 || *p != '\n' || p[1] != '\0')
		return -EINVAL;
	return 0;
}

/* A limit: a number, or "max" (v2) for none. Unlimited reads as 0. */
int cgroup_parse_limit(const char *p, uint64_t *v)
{
	if (strcmp(p, "max\n") == 0) {
		*v = 0;
		return 0;
	}
	int rc = cgroup_parse_single(p, v);
	if (rc == 0 && *v > CG_UNLIMITED)
		*v = 0;
	return rc;
}

/* A flat-keyed file ("key value" lines: cpu.stat, memory.stat,
 * memory.events, cpuacct.stat, memory.oom_control): the values of the
 * first n (< 32) keys into out, bit i of *found for each key seen. Stops
 * as soon as every key was seen. A wanted key whose value is not a
 * number, or a line without a value, is -EINVAL; the values of other
 * keys are not looked at. */
int cgroup_parse_keyed(const char *p, const char *const *keys, unsigned n,
		       uint64_t *out, unsigned *found)
{
	unsigned all = (1u << n) - 1;
	*found = 0;
	while (*p) {
		const char *sp = p;
		while (*sp != ' ' && *sp != '\n' && *sp)
			sp++;
		if (*sp != ' ')
			return -EINVAL;
		size_t klen = (size_t)(sp - p);
		for (unsigned i = 0; i < n; i++) {
			if (strncmp(keys[i], p, klen) != 0 || keys[i][klen])
				continue;
			const char *v = sp + 1;
			if (parse_u64(&v, &out[i]) < 0 || *v != '\n')
				return -EINVAL;
			*found |= 1u << i;
			if (*found == all)
				return 0;
			break;
		}
		p = next_line(sp);
	}
	return 0;
}

/* A PSI file (Documentation/accounting/psi.rst): "some avg10=... total=N"
 * and, except on old kernels' cpu, a "full" line; totals in microseconds. */
int cgroup_parse_psi(const char *p, struct cgroup_stats *st, int f_some)
{
	while (*p) {
		int f = -1;
		if (strncmp(p, "some ", 5) == 0)
			f = f_some;
		else if (strncmp(p, "full ", 5) == 0)
			f = f_some + 1;
		const char *end = strchr(p, '\n');
		if (f < 0 || !end)
			return -EINVAL;
		const char *t = strstr(p, " total=");
		uint64_t us;
		if (!t || t > end)
			return -EINVAL;
		t += 7;
		if (parse_u64(&t, &us) < 0 || t != end)
			return -EINVAL;
		st->v[f] = (double)us / 1e6;
		st->have |= CGROUP_HAVE(f);
		p = end + 1;
	}
	if (!(st->have & CGROUP_HAVE(f_some)))
		return -EINVAL;
	return 0;
}

/* The device MAJ:MIN in r->io for this cgroup (appended when new). */
static struct cgroup_io *cg_io_dev(struct cgroup_reader *r,
				   const struct cgroup_stats *st,
				   uint32_t major, uint32_t minor)
{
	for (size_t i = st->io_off; i < r->nio; i++)
		if (r->io[i].major == major && r->io[i].minor == minor)
			return &r->io[i];
	if (r->nio == r->io_cap) {
		size_t cap = r->io_cap ? r->io_cap * 2 : 64;
		struct cgroup_io *io = realloc(r->io, cap * sizeof(*io));
		if (!io)
			return NULL;
		r->io = io;
		r->io_cap = cap;
	}
	struct cgroup_io *d = &r->io[r->nio++];
	d->major = major;
	d->minor = minor;
	d->rbytes = d->wbytes = 0;
	return d;
}

/* "MAJ:MIN" at *p. */
static int cg_parse_devno(const char **p, uint32_t *major, uint32_t *minor)
{
	uint64_t ma, mi;
	if (parse_u64(p, &ma) < 0 || **p != ':')
		return -EINVAL;
	(*p)++;
	if (parse_u64(p, &mi) < 0 || ma > UINT32_MAX || mi > UINT32_MAX)
		return -EINVAL;
	*major = (uint32_t)ma;
	*minor = (uint32_t)mi;
	return 0;
}

/* v2 io.stat: "8:0 rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" (more
 * keys with iocost or iolatency); rbytes and wbytes are required. */
int cgroup_parse_io_stat(struct cgroup_reader *r, struct cgroup_stats *st,
			 const char *p)
{
	while (*p) {
		uint32_t ma, mi;
		if (cg_parse_devno(&p, &ma, &mi) < 0)
			return -EINVAL;
		struct cgroup_io *d = cg_io_dev(r, st, ma, mi);
		if (!d)
			return -ENOMEM;
		unsigned seen = 0;
		while (*p == ' ') {
			p++;
			const char *eq = p;
			while (*eq && *eq != '=' && *eq != ' ' && *eq != '\n')
				eq++;
			if (*eq != '=')
				return -EINVAL;
			uint64_t *dst = NULL;
			if (eq - p == 6 && memcmp(p, "rbytes", 6) == 0) {
				dst = &d->rbytes;
				seen |= 1;
			} else if (eq - p == 6 && memcmp(p, "wbytes", 6) == 0) {
				dst = &d->wbytes;
				seen |= 2;
			}
			p = eq + 1;
			if (dst) {
				if (parse_u64(&p, dst) < 0)
					return -EINVAL;
			} else {
				/* cost.* and latency keys have decimals */
				while (*p && *p != ' ' && *p != '\n')
					p++;
			}
		}
		if (*p != '\n' || seen != 3)
			return -EINVAL;
		p++;
	}
	return 0;
}

/* v1 blkio.*io_service_bytes_recursive (blkg_prfill_rwstat): per device
 * "8:0 Read N", Write, Sync, Async, Discard, Total lines, then "Total N". */
int cgroup_parse_blkio(struct cgroup_reader *r, struct cgroup_stats *st,
		       const char *p)
{
	while (*p) {
		if (strncmp(p, "Total ", 6) == 0) {
			p = next_line(p);
			continue;
		}
		uint32_t ma, mi;
		char op[16];
		uint64_t v;
		if (cg_parse_devno(&p, &ma, &mi) < 0 ||
		    parse_token(&p, op, sizeof(op)) < 0 ||
		    parse_u64(&p, &v) < 0 || *p != '\n')
			return -EINVAL;
		p++;
		bool rd = strcmp(op, "Read") == 0;
		if (!rd && strcmp(op, "Write") != 0)
			continue;
		struct cgroup_io *d = cg_io_dev(r, st, ma, mi);
		if (!d)
			return -ENOMEM;
		*(rd ? &d->rbytes : &d->wbytes) = v;
	}
	return 0;
}
