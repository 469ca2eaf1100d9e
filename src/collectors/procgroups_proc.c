/* process_groups: listing <procfs> and parsing /proc/PID files, as
 * fs/proc/array.c (stat, status) and fs/proc/base.c (cmdline, cgroup,
 * readdir) of Linux 6.18 write them. See procgroups.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/readfile.h"

#include "procgroups.h"

/* Skip one blank-separated field (which may be negative: tty_nr, tpgid,
 * priority, nice). */
static int pg_skip_fields(const char **p, int n)
{
	const char *s = *p;
	for (int i = 0; i < n; i++) {
		s = skip_blanks(s);
		if (!*s || *s == '\n')
			return -EINVAL;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
	}
	*p = s;
	return 0;
}

int pg_parse_stat(const char *data, struct pg_stat *st)
{
	const char *open = strchr(data, '(');
	const char *close = strrchr(data, ')');
	if (!open || !close || close < open)
		return -EINVAL;
	size_t n = (size_t)(close - open - 1);
	if (n > PG_COMM_MAX)
		n = PG_COMM_MAX;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';

	/* ") S 1 1 ...": field 3 onwards. */
	const char *p = skip_blanks(close + 1);
	if (!*p || *p == ' ' || *p == '\n')
		return -EINVAL;
	st->state = *p++;
	if (*p != ' ')
		return -EINVAL;
	int rc;
	/* 4 ppid .. 13 cmajflt */
	if ((rc = pg_skip_fields(&p, 10)) < 0 ||
	    (rc = parse_u64(&p, &st->utime)) < 0 ||
	    (rc = parse_u64(&p, &st->stime)) < 0 ||
	    /* 16 cutime, 17 cstime, 18 priority, 19 nice */
	    (rc = pg_skip_fields(&p, 4)) < 0 ||
	    (rc = parse_u64(&p, &st->num_threads)) < 0 ||
	    /* 21 itrealvalue */
	    (rc = pg_skip_fields(&p, 1)) < 0 ||
	    (rc = parse_u64(&p, &st->start)) < 0 ||
	    (rc = parse_u64(&p, &st->vsize)) < 0 ||
	    (rc = parse_u64(&p, &st->rss)) < 0)
		return rc;
	return 0;
}

int pg_parse_loadavg_last_pid(const char *data, int32_t *pid)
{
	/* "%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n" (fs/proc/loadavg.c) */
	const char *p = data;
	for (int field = 0; field < 4; field++) {
		p = skip_blanks(p);
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
	}
	uint64_t v;
	if (parse_u64(&p, &v) < 0 || v > INT32_MAX ||
	    (*(p = skip_blanks(p)) != '\0' && strcmp(p, "\n") != 0))
		return -EINVAL;
	*pid = (int32_t)v;
	return 0;
}

/* The value after "Key:" at the start of a line of status, or NULL. */
static const char *pg_status_field(const char *data, const char *key,
				   size_t klen)
{
	for (const char *l = data; *l; l = next_line(l))
		if (strncmp(l, key, klen) == 0)
			return l + klen;
	return NULL;
}

int pg_parse_status_swap(const char *data, uint64_t *kb)
{
	/* "VmSwap:\t       0 kB" (task_mem() in fs/proc/task_mmu.c), some
	 * thirty lines in: one strstr instead of a compare per line, as this
	 * runs for every group member on every scan. */
	const char *v = strncmp(data, "VmSwap:", 7) == 0
				? data
				: strstr(data, "\nVmSwap:");
	*kb = 0;
	if (!v)
		return 0;
	v += *v == '\n' ? 8 : 7;
	return parse_u64(&v, kb) < 0 ? -EINVAL : 0;
}

int pg_parse_status_euid(const char *data, unsigned *uid)
{
	/* "Uid:\t0\t0\t0\t0": real, effective, saved set, filesystem. */
	const char *v = pg_status_field(data, "Uid:", 4);
	uint64_t real, eff;
	if (!v || parse_u64(&v, &real) < 0 || parse_u64(&v, &eff) < 0 ||
	    eff > 0xffffffffu)
		return -EINVAL;
	*uid = (unsigned)eff;
	return 0;
}

void pg_cmdline_join(char *data, size_t len)
{
	while (len > 0 && data[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\0')
			data[i] = ' ';
	data[len] = '\0';
}

/* Cut the line starting at l at its newline; l itself. */
static char *pg_cut_line(char *l)
{
	char *nl = strchr(l, '\n');
	if (nl)
		*nl = '\0';
	return l;
}

const char *pg_cgroup_path(char *data)
{
	/* proc_cgroup_show() in kernel/cgroup/cgroup.c: "ID:CONTROLLERS:PATH"
	 * per hierarchy, "0::PATH" for the v2 one. */
	char *systemd = NULL;
	for (char *l = data; *l; l = (char *)next_line(l)) {
		if (strncmp(l, "0::", 3) == 0)
			return pg_cut_line(l + 3);
		char *c = strchr(l, ':');
		char *nl = strchr(l, '\n');
		if (!systemd && c && (!nl || c < nl) &&
		    strncmp(c + 1, "name=systemd:", 13) == 0)
			systemd = c + 14;
	}
	return systemd ? pg_cut_line(systemd) : NULL;
}

static int pg_listent_cmp(const void *a, const void *b)
{
	const struct pg_listent *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The PID an all-digit name stands for, or 0 ("self", "sys", "1a", a PID
 * past 2^31-1: pid_max is at most 2^22). */
static int32_t pg_name_pid(const char *s)
{
	int64_t v = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return 0;
	}
	return (int32_t)v;
}

static int pg_listing_push(struct pg_listing *l, int32_t pid, uint64_t ino)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 512;
		struct pg_listent *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].pid = pid;
	l->v[l->n].ino = ino;
	l->n++;
	return 0;
}

/* getdents64 into buf, retried on EINTR: bytes, 0 at the end, or -errno. */
static ssize_t pg_getdents(int fd, char *buf, size_t size)
{
	for (;;) {
		ssize_t got = getdents64(fd, buf, size);
		if (got >= 0 || errno != EINTR)
			return got < 0 ? -errno : got;
	}
}

int pg_list_procs(int dirfd, struct pg_listing *l)
{
	if (!l->dents && !(l->dents = malloc(PG_DENTS_SIZE)))
		return -ENOMEM;
	l->n = 0;
	l->pid_offset = 0;
	if (lseek(dirfd, 0, SEEK_SET) < 0)
		return -errno;
	bool sorted = true;
	/* The d_off of a PID's entry against the next PID, for each pair of
	 * consecutive entries: one constant on procfs (see procgroups.h). */
	int64_t offset = 0, prev_off = -1;
	bool offset_ok = true;
	unsigned pairs = 0;
	for (;;) {
		ssize_t got = pg_getdents(dirfd, l->dents, PG_DENTS_SIZE);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *de = (const void *)(l->dents + off);
			off += de->d_reclen;
			int32_t pid = pg_name_pid(de->d_name);
			if (pid <= 0) {
				prev_off = -1;
				continue;
			}
			if (prev_off >= 0) {
				if (pairs++ == 0)
					offset = prev_off - pid;
				else if (prev_off - pid != offset)
					offset_ok = false;
			}
			prev_off = de->d_off;
			if (l->n && l->v[l->n - 1].pid >= pid)
				sorted = false;
			int rc = pg_listing_push(l, pid, de->d_ino);
			if (rc < 0)
				return rc;
		}
	}
	if (sorted && offset_ok && pairs > 0 && offset > 0)
		l->pid_offset = offset;
	if (!sorted && l->n > 1) {
		qsort(l->v, l->n, sizeof(*l->v), pg_listent_cmp);
		/* A name listed twice cannot happen in one directory; keep
		 * the merge in procgroups.c safe from it all the same. */
		size_t w = 0;
		for (size_t r = 0; r < l->n; r++)
			if (w == 0 || l->v[w - 1].pid != l->v[r].pid)
				l->v[w++] = l->v[r];
		l->n = w;
	}
	return 0;
}

int pg_list_range(int dirfd, struct pg_listing *l, int32_t lo, int32_t hi)
{
	if (l->pid_offset <= 0 || lo < 1 || hi < lo)
		return -EINVAL;
	/* procfs's s_maxbytes caps a position at 2^31-1; no PID comes near
	 * (PID_MAX_LIMIT is 2^22), so past it there is nothing to list. */
	if ((int64_t)lo > INT32_MAX - l->pid_offset)
		return 0;
	if (lseek(dirfd, (off_t)(l->pid_offset + lo), SEEK_SET) < 0)
		return -errno;
	int32_t last = lo - 1;
	for (;;) {
		ssize_t got = pg_getdents(dirfd, l->dents, PG_DENTS_SIZE);
		if (got <= 0)
			return (int)got;
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *de = (const void *)(l->dents + off);
			off += de->d_reclen;
			int32_t pid = pg_name_pid(de->d_name);
			/* From the seek on, procfs gives only PIDs, ascending:
			 * anything else means the offsets are not what the
			 * full listing measured, and the caller lists all. */
			if (pid <= last)
				return -EPROTO;
			if (pid > hi)
				return 0;
			last = pid;
			int rc = pg_listing_push(l, pid, de->d_ino);
			if (rc < 0)
				return rc;
		}
	}
}

unsigned pg_plan_ranges(int32_t prev, int32_t cur, struct pg_range r[2])
{
	if (cur == prev)
		return 0;
	if (cur > prev) {
		r[0] = (struct pg_range){prev + 1, cur};
		return 1;
	}
	/* The allocator wrapped past pid_max (or ns_last_pid was set back):
	 * the low PIDs up to cur, then everything above prev. */
	unsigned n = 0;
	if (cur >= 1)
		r[n++] = (struct pg_range){1, cur};
	if (prev < INT32_MAX)
		r[n++] = (struct pg_range){prev + 1, INT32_MAX};
	return n;
}

void pg_listing_free(struct pg_listing *l)
{
	free(l->v);
	free(l->dents);
	memset(l, 0, sizeof(*l));
}

int pg_count_dir(int fd, char *buf, size_t size, uint64_t *count)
{
	uint64_t n = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t got = pg_getdents(fd, buf, size);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *de = (const void *)(buf + off);
			off += de->d_reclen;
			if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
				n++;
		}
	}
	*count = n;
	return 0;
}

int pg_read_bounded(int dirfd, const char *path, char *dst, size_t size,
		    size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	int rc = 0;
	while (got + 1 < size) {
		ssize_t n = read(fd, dst + got, size - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	dst[rc < 0 ? 0 : got] = '\0';
	*len = rc < 0 ? 0 : got;
	return rc;
}

void pg_pid_path(char *dst, int32_t pid, const char *name)
{
	char digits[12];
	int n = 0;
	uint32_t v = (uint32_t)pid;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*dst++ = digits[--n];
	*dst++ = '/';
	while (*name)
		*dst++ = *name++;
	*dst = '\0';
}
