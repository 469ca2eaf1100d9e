/* Where the cgroup hierarchies are (cgroup.h): libcgroup's answer, the
 * mount table, or a directory's layout; what each mount can give now;
 * reading one cgroup by path; block device names for io stats. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "hostwatch/cgroup.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"
#include "hostwatch/sys.h"

#define CG_MAX_MOUNTINFO (4u << 20)
#define CG_DEVNAMES_MAX 256

/* The v1 controllers, indexed by enum cgroup_hier. */
static const char *const cg_v1_names[CGROUP_H_UNIFIED] = {
	"cpuacct", "cpu", "memory", "pids", "blkio"};

void cgroup_layout_free(struct cgroup_layout *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->m[i].path);
	memset(l, 0, sizeof(*l));
}

/* Add `role` at `path`: to the mount already listed that is the same
 * directory (cpu and cpuacct mounted together, or linked to one
 * another), else as a new mount. Roles arrive in enum order, which keeps
 * the mounts in it. 0, or -ENOMEM. */
static int cg_layout_add(struct cgroup_layout *l, const char *path,
			 enum cgroup_hier role)
{
	struct stat st, o;
	bool have_st = stat(path, &st) == 0;
	for (unsigned i = 0; i < l->n; i++) {
		if (strcmp(l->m[i].path, path) == 0 ||
		    (have_st && stat(l->m[i].path, &o) == 0 &&
		     o.st_dev == st.st_dev && o.st_ino == st.st_ino)) {
			l->m[i].roles |= 1u << role;
			return 0;
		}
	}
	if (l->n == CGROUP_H_COUNT)
		return 0;
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	l->m[l->n].path = p;
	l->m[l->n].roles = 1u << role;
	l->n++;
	return 0;
}

/* 1 for a cgroup v1 mount, 2 for cgroup2, 0 for anything else. */
static int cg_fs_version(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return 0;
	if (sf.f_type == CGROUP2_SUPER_MAGIC)
		return 2;
	return sf.f_type == CGROUP_SUPER_MAGIC ? 1 : 0;
}

static bool cg_exists(int dirfd, const char *name, bool dir)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, 0) < 0)
		return false;
	return dir ? S_ISDIR(st.st_mode) : true;
}

/* --path.cgroupfs: a cgroup2 mount, or one directory per v1 controller
 * plus "unified" on a hybrid host (the layout of /sys/fs/cgroup). */
static int cg_discover_dir(struct cgroup_layout *l, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cgroup: cannot open --path.cgroupfs %s: %s", dir,
			 strerror(errno));
		return 0;
	}
	char path[4096];
	int rc = 0;
	if (cg_exists(fd, "cgroup.controllers", false)) {
		rc = cg_layout_add(l, dir, CGROUP_H_UNIFIED);
		goto out;
	}
	for (int h = 0; h < CGROUP_H_UNIFIED && rc == 0; h++) {
		if (!cg_exists(fd, cg_v1_names[h], true))
			continue;
		if (path_join(path, sizeof(path), dir, cg_v1_names[h]) == 0)
			rc = cg_layout_add(l, path, (enum cgroup_hier)h);
	}
	if (rc == 0 && cg_exists(fd, "unified/cgroup.controllers", false) &&
	    path_join(path, sizeof(path), dir, "unified") == 0)
		rc = cg_layout_add(l, path, CGROUP_H_UNIFIED);
out:
	close(fd);
	return rc;
}

/* Undo the mount table's octal escapes (\040 for a space) in place. */
static void cg_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Whether the comma-separated list `opts` has `word`. */
static bool cg_has_word(const char *opts, const char *word, char sep)
{
	size_t n = strlen(word);
	for (const char *p = opts; p && *p;) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* The mount table (proc_pid_mountinfo(5)): "36 35 98:0 / /mnt/x rw,noatime
 * master:1 - cgroup cgroup rw,cpu,cpuacct". The first mount of each v1
 * controller wins, and the first cgroup2; `roles` says which are wanted
 * (1 << CGROUP_H_*). */
static int cg_discover_mountinfo(struct cgroup_layout *l, const char *procfs,
				 unsigned roles)
{
	struct hw_buf b = HW_BUF_INIT;
	char mp[4096];
	char *found[CGROUP_H_COUNT] = {NULL};
	int rc = readfile_path(procfs, "self/mountinfo", &b, CG_MAX_MOUNTINFO);
	if (rc < 0) {
		log_warn("cgroup: cannot read %s/self/mountinfo: %s", procfs,
			 strerror(-rc));
		buf_free(&b);
		return 0;
	}
	rc = 0;
	for (char *line = b.data; *line && rc == 0;) {
		char *end = strchr(line, '\n');
		char *next = end ? end + 1 : line + strlen(line);
		if (end)
			*end = '\0';
		/* fields 5 (mount point) and, after " - ", type and options */
		const char *p = line;
		char *sep = strstr(line, " - ");
		for (int i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (!p || !sep || parse_token(&p, mp, sizeof(mp)) < 0) {
			line = next;
			continue;
		}
		char type[16];
		const char *q = sep + 3;
		char *opts = NULL;
		if (parse_token(&q, type, sizeof(type)) == 0) {
			/* the source, then the super options */
			q = strchr(skip_blanks(q), ' ');
			opts = q ? (char *)skip_blanks(q) : NULL;
		}
		cg_unescape(mp);
		if (strcmp(type, "cgroup2") == 0 &&
		    (roles & (1u << CGROUP_H_UNIFIED)) &&
		    !found[CGROUP_H_UNIFIED]) {
			found[CGROUP_H_UNIFIED] = strdup(mp);
			rc = found[CGROUP_H_UNIFIED] ? 0 : -ENOMEM;
		} else if (strcmp(type, "cgroup") == 0 && opts) {
			for (int h = 0; h < CGROUP_H_UNIFIED && rc == 0; h++) {
				if (!(roles & (1u << h)) || found[h] ||
				    !cg_has_word(opts, cg_v1_names[h], ','))
					continue;
				found[h] = strdup(mp);
				rc = found[h] ? 0 : -ENOMEM;
			}
		}
		line = next;
	}
	for (int h = 0; h < CGROUP_H_COUNT; h++) {
		if (found[h] && rc == 0)
			rc = cg_layout_add(l, found[h], (enum cgroup_hier)h);
		free(found[h]);
	}
	buf_free(&b);
	return rc;
}

/* Ask libcgroup, loaded for the question only. Which cgroup2 mount it
 * knows of: one that carries a controller (libcgroup 2.0 lists a v2
 * mount's cgroup.controllers); a v2 mount with none stays unknown. 0 with
 * *asked false when it cannot be loaded or initialised. */
static int cg_discover_libcgroup(struct cgroup_layout *l, bool *asked)
{
	__typeof__(cgroup_init) *init;
	__typeof__(cgroup_get_subsys_mount_point) *mount_point;
	__typeof__(cgroup_get_controller_begin) *begin;
	__typeof__(cgroup_get_controller_next) *next;
	__typeof__(cgroup_get_controller_end) *end;
	char *v1[CGROUP_H_UNIFIED] = {NULL};
	char *v2 = NULL;
	int rc = 0;

	*asked = false;
	void *lib = dlopen(LIBCGROUP_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		log_warn("cgroup: cannot load %s (%s): reading the mount table "
			 "instead",
			 LIBCGROUP_SONAME, dlerror());
		return 0;
	}
	*(void **)&init = dlsym(lib, "cgroup_init");
	*(void **)&mount_point = dlsym(lib, "cgroup_get_subsys_mount_point");
	*(void **)&begin = dlsym(lib, "cgroup_get_controller_begin");
	*(void **)&next = dlsym(lib, "cgroup_get_controller_next");
	*(void **)&end = dlsym(lib, "cgroup_get_controller_end");
	if (!init || !mount_point || !begin || !next || !end) {
		log_warn("cgroup: %s lacks the functions we use: reading the "
			 "mount table instead",
			 LIBCGROUP_SONAME);
		goto out;
	}
	int ret = init();
	if (ret != 0) {
		__typeof__(cgroup_strerror) *str;
		*(void **)&str = dlsym(lib, "cgroup_strerror");
		log_warn("cgroup: libcgroup's cgroup_init failed (%s): reading "
			 "the mount table instead",
			 str ? str(ret) : "?");
		goto out;
	}
	*asked = true;
	for (int h = 0; h < CGROUP_H_UNIFIED; h++) {
		char *mp = NULL;
		if (mount_point(cg_v1_names[h], &mp) == 0 && mp) {
			int v = cg_fs_version(mp);
			if (v == 1) {
				v1[h] = mp;
				mp = NULL;
			} else if (v == 2 && !v2) {
				v2 = mp;
				mp = NULL;
			}
		}
		free(mp);
	}
	if (!v2) {
		void *it = NULL;
		struct cgroup_mount_point info;
		for (ret = begin(&it, &info); ret == 0 && !v2;
		     ret = next(&it, &info))
			if (cg_fs_version(info.path) == 2)
				v2 = strdup(info.path);
		end(&it);
	}
	for (int h = 0; h < CGROUP_H_UNIFIED && rc == 0; h++)
		if (v1[h])
			rc = cg_layout_add(l, v1[h], (enum cgroup_hier)h);
	if (v2 && rc == 0)
		rc = cg_layout_add(l, v2, CGROUP_H_UNIFIED);
out:
	for (int h = 0; h < CGROUP_H_UNIFIED; h++)
		free(v1[h]);
	free(v2);
	/* Its ~830 KB of tables go with it (README, Memory). */
	dlclose(lib);
	return rc;
}

int cgroup_layout_discover(struct cgroup_layout *l, const char *cgroupfs,
			   const char *procfs)
{
	memset(l, 0, sizeof(*l));
	int rc;
	if (cgroupfs) {
		rc = cg_discover_dir(l, cgroupfs);
	} else {
		bool asked;
		rc = cg_discover_libcgroup(l, &asked);
		unsigned want = asked ? 1u << CGROUP_H_UNIFIED
				      : (1u << CGROUP_H_COUNT) - 1;
		for (unsigned i = 0; i < l->n; i++)
			if (l->m[i].roles & (1u << CGROUP_H_UNIFIED))
				want = 0;
		if (rc == 0 && want) {
			/* v2 mounts appended after v1 ones keep the order */
			rc = cg_discover_mountinfo(l, procfs, want);
		}
	}
	if (rc < 0)
		cgroup_layout_free(l);
	return rc;
}

void cgroup_layout_describe(const struct cgroup_layout *l, char *dst,
			    size_t size)
{
	size_t len;
	if (l->n == 1 && l->m[0].roles == 1u << CGROUP_H_UNIFIED) {
		snprintf(dst, size, "v2 %s", l->m[0].path);
		return;
	}
	bool v2 = false;
	for (unsigned i = 0; i < l->n; i++)
		v2 |= (l->m[i].roles & (1u << CGROUP_H_UNIFIED)) != 0;
	len = (size_t)snprintf(dst, size, "%s",
			       l->n == 0 ? "none" : v2 ? "hybrid:" : "v1:");
	for (unsigned i = 0; i < l->n && len < size; i++) {
		for (int h = 0; h < CGROUP_H_COUNT && len < size; h++)
			if (l->m[i].roles & (1u << h))
				len += (size_t)snprintf(
					dst + len, size - len, " %s=%s",
					h == CGROUP_H_UNIFIED ? "unified"
							      : cg_v1_names[h],
					l->m[i].path);
	}
}

/* A v2 mount's controllers: the words of its cgroup.controllers. */
static int cg_v2_what(struct cgroup_reader *r, int rootfd, unsigned *what)
{
	static const struct {
		const char *name;
		unsigned what;
	} ctl[] = {
		{"cpu", CGROUP_READ_V2_CFS},
		{"memory", CGROUP_READ_V2_MEMORY},
		{"pids", CGROUP_READ_PIDS},
		{"io", CGROUP_READ_V2_IO},
	};
	int rc = readfile_at(rootfd, "cgroup.controllers", &r->buf, 4096);
	if (rc < 0)
		return rc;
	char *nl = strchr(r->buf.data, '\n');
	if (nl)
		*nl = '\0';
	/* the core files: cpu.stat's usage is there without the cpu
	 * controller (kernel/cgroup/cgroup.c cgroup_base_files) */
	*what = CGROUP_READ_V2_CPU | CGROUP_READ_PROCS;
	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
		if (cg_has_word(r->buf.data, ctl[i].name, ' '))
			*what |= ctl[i].what;
	/* no PSI in the kernel, or psi=0: no pressure files anywhere */
	if (cg_exists(rootfd, "cpu.pressure", false))
		*what |= CGROUP_READ_V2_PSI;
	return 0;
}

int cgroup_mount_what(struct cgroup_reader *r, const struct cgroup_mount *m,
		      int rootfd, unsigned *what)
{
	if (m->roles & (1u << CGROUP_H_UNIFIED))
		return cg_v2_what(r, rootfd, what);
	unsigned w = 0;
	if (m->roles & (1u << CGROUP_H_CPUACCT))
		w |= CGROUP_READ_V1_CPUACCT;
	if (m->roles & (1u << CGROUP_H_CPU))
		w |= CGROUP_READ_V1_CFS;
	if (m->roles & (1u << CGROUP_H_MEMORY)) {
		w |= CGROUP_READ_V1_MEMORY;
		/* swap accounting on (swapaccount=1, the default) */
		if (cg_exists(rootfd, "memory.memsw.usage_in_bytes", false))
			w |= CGROUP_READ_V1_MEMSW;
	}
	if (m->roles & (1u << CGROUP_H_PIDS))
		w |= CGROUP_READ_PIDS | CGROUP_READ_PROCS;
	if (m->roles & (1u << CGROUP_H_BLKIO)) {
		/* blk-throttle's files, else CFQ's (kernels before 5.0) */
		if (cg_exists(rootfd, "blkio.throttle.io_service_bytes_recursive",
			      false))
			w |= CGROUP_READ_V1_BLKIO;
		else if (cg_exists(rootfd, "blkio.io_service_bytes_recursive",
				   false))
			w |= CGROUP_READ_V1_BLKIO_CFQ;
	}
	*what = w;
	return 0;
}

int cgroup_roots_open(struct cgroup_reader *r, const struct cgroup_layout *l,
		      struct cgroup_roots *roots)
{
	for (unsigned i = 0; i < CGROUP_H_COUNT; i++)
		roots->fd[i] = -1;
	for (unsigned i = 0; i < l->n; i++) {
		roots->fd[i] = open(l->m[i].path,
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (roots->fd[i] >= 0 &&
		    cgroup_mount_what(r, &l->m[i], roots->fd[i],
				      &roots->what[i]) < 0) {
			close(roots->fd[i]); /* unmounted since: skipped */
			roots->fd[i] = -1;
		}
	}
	return 0;
}

void cgroup_roots_close(struct cgroup_roots *roots)
{
	for (unsigned i = 0; i < CGROUP_H_COUNT; i++) {
		if (roots->fd[i] >= 0)
			close(roots->fd[i]);
		roots->fd[i] = -1;
	}
}

int cgroup_read_path_at(struct cgroup_reader *r, const struct cgroup_layout *l,
			const struct cgroup_roots *roots,
			const char *const path[CGROUP_H_COUNT],
			struct cgroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->io_off = (uint32_t)r->nio;
	bool found = false;
	for (unsigned i = 0; i < l->n; i++) {
		const struct cgroup_mount *m = &l->m[i];
		int h = __builtin_ctz(m->roles);
		const char *rel = path[h];
		if (!rel || roots->fd[i] < 0)
			continue;
		while (*rel == '/')
			rel++;
		int fd = *rel ? sys_openat(roots->fd[i], rel,
					   O_RDONLY | O_DIRECTORY | O_CLOEXEC)
			      : dup(roots->fd[i]);
		if (fd < 0)
			continue;
		struct cgroup_stats one;
		int rc = cgroup_read_dir(
			r, fd, cgroup_what_left(roots->what[i], st), &one);
		sys_close(fd);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		found = true;
		cgroup_stats_merge(r, st, &one);
	}
	return found ? 0 : -ENOENT;
}

int cgroup_read_path(struct cgroup_reader *r, const struct cgroup_layout *l,
		     const char *const path[CGROUP_H_COUNT],
		     struct cgroup_stats *st)
{
	struct cgroup_roots roots;
	cgroup_roots_open(r, l, &roots);
	int rc = cgroup_read_path_at(r, l, &roots, path, st);
	cgroup_roots_close(&roots);
	return rc;
}

/* ---- device names -------------------------------------------------------- */

void cgroup_devnames_free(struct cgroup_devnames *c)
{
	free(c->d);
	memset(c, 0, sizeof(*c));
}

/* "/dev/" + DEVNAME= of the device's uevent (drivers/base/core.c
 * dev_uevent), or "MAJ:MIN". */
static void cg_devname_resolve(struct cgroup_devname *d, struct hw_buf *buf,
			       const char *sysfs)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "dev/block/%u:%u/uevent", d->major,
		 d->minor);
	snprintf(d->name, sizeof(d->name), "%u:%u", d->major, d->minor);
	if (readfile_path(sysfs, rel, buf, 65536) < 0)
		return;
	for (const char *p = buf->data; *p; p = next_line(p)) {
		if (strncmp(p, "DEVNAME=", 8) != 0)
			continue;
		size_t n = strcspn(p + 8, "\n");
		if (n > 0 && n + 5 < sizeof(d->name))
			snprintf(d->name, sizeof(d->name), "/dev/%.*s", (int)n,
				 p + 8);
		break;
	}
}

const char *cgroup_devname(struct cgroup_devnames *c, struct hw_buf *buf,
			   const char *sysfs, uint32_t major, uint32_t minor)
{
	struct cgroup_devname *d = NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->d[i].major == major && c->d[i].minor == minor)
			d = &c->d[i];
	if (!d) {
		if (c->n == CG_DEVNAMES_MAX)
			c->n = 0; /* a bound: start over */
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			struct cgroup_devname *n = realloc(c->d, cap * sizeof(*n));
			if (!n)
				return "?";
			c->d = n;
			c->cap = cap;
		}
		d = &c->d[c->n++];
		d->major = major;
		d->minor = minor;
		d->seen = c->generation - CGROUP_DEVNAME_TTL;
	}
	if (c->generation - d->seen >= CGROUP_DEVNAME_TTL) {
		cg_devname_resolve(d, buf, sysfs);
		d->seen = c->generation;
	}
	return d->name;
}
