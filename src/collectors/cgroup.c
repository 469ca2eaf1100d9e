/* cgroup: per-cgroup CPU, memory, process, block I/O and pressure metrics
 * with cAdvisor's names, labelled id="/system.slice/ssh.service" as
 * cAdvisor labels a systemd unit's cgroup.
 *
 * Each scrape walks every mounted hierarchy (cgroup.h: the unified one, the
 * v1 cpuacct, cpu, memory, pids, blkio) from --collector.cgroup.root down
 * --collector.cgroup.max-depth levels, reads the files of each cgroup whose
 * path the include/exclude regexes select, and merges the cgroups of the
 * same path across hierarchies into one record (a hash table of paths).
 * Families are then written one after the other, samples sorted by id.
 *
 * Directories are opened relative to their parent and files relative to
 * their directory; no absolute path is built. Records, the hash table, the
 * path strings and the read buffer are reused: once they have grown, a
 * scrape allocates nothing. A cgroup removed while it is walked is skipped;
 * a malformed file fails the collector (and nothing is written).
 *
 * With the docker collector on, Docker's running containers are records
 * too (src/docker/inventory.h: their cgroups found from their first
 * process), read whether or not the walk selects their cgroup, and
 * labelled as cAdvisor labels them: id, name, image and the configured
 * container_label_* keys. The container_* families must appear once in a
 * response, so they are all written here; when the cgroup collector is off,
 * the docker collector runs this code without the walk
 * (cgroup_containers_*). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/cgroup.h"
#include "hostwatch/collector.h"
#include "hostwatch/log.h"
#include "hostwatch/regex.h"
#include "hostwatch/sys.h"

#include "../docker/inventory.h"
#include "cgroup_internal.h"

/* Bounds: cgroups published, directories walked per hierarchy, an id. */
#define CG_MAX_CGROUPS 10000
#define CG_MAX_VISITED 100000
#define CG_ID_MAX 4096
#define CG_DENTS_SIZE 8192

struct cg_rec {
	uint32_t path_off; /* the id in paths */
	uint32_t hash;
	int32_t dk; /* its container in snap, or -1 */
	struct cgroup_stats st;
};

struct cg_priv {
	struct cgroup_layout layout;
	struct hw_regex include, exclude;
	bool has_include, has_exclude;
	const char *sysfs;
	unsigned max_depth;
	char root[CG_ID_MAX]; /* where walks start, relative: "" or "a/b" */
	struct cgroup_reader rd;
	struct cgroup_devnames dev;
	/* per scrape, reused */
	struct cg_rec *recs;
	size_t nrec, rec_cap;
	uint32_t *slots; /* record index + 1, 0 free; nslots a power of 2 */
	size_t nslots;
	uint32_t *order; /* records sorted by id */
	struct hw_buf paths; /* ids, NUL-terminated */
	struct hw_buf names; /* child directories while walking, a stack */
	char *dents;
	char id[CG_ID_MAX]; /* the cgroup being walked: "" for the root */
	size_t visited;
	bool warned_max, warned_visited, warned_long;
	/* Docker's containers */
	bool walk, docker;
	struct docker_snapshot snap;
};

/* Tests only: called after a directory's children were listed
 * (CG_HOOK_LISTED) and after a cgroup's directory was opened, before its
 * files are read (CG_HOOK_OPENED), to remove a cgroup at those moments. */
enum { CG_HOOK_LISTED, CG_HOOK_OPENED };
static void (*cg_test_hook)(const char *id, int when);
/* CG_MAX_CGROUPS; tests lower it */
static size_t cg_max_cgroups = CG_MAX_CGROUPS;

static void cg_fini(struct hw_ctx *ctx)
{
	struct cg_priv *p = ctx->priv;
	if (!p)
		return;
	cgroup_layout_free(&p->layout);
	hw_regex_free(&p->include);
	hw_regex_free(&p->exclude);
	cgroup_reader_free(&p->rd);
	cgroup_devnames_free(&p->dev);
	free(p->recs);
	free(p->slots);
	free(p->order);
	buf_free(&p->paths);
	buf_free(&p->names);
	free(p->dents);
	if (p->docker)
		docker_inventory_release();
	docker_snapshot_free(&p->snap);
	free(p);
	ctx->priv = NULL;
}

static int cg_compile(struct hw_regex *re, bool *has, const char *pattern,
		      const char *what)
{
	char err[256];
	if (!pattern)
		return 0;
	if (hw_regex_compile(re, pattern, err, sizeof(err)) < 0) {
		log_error("cgroup: bad %s regex \"%s\": %s", what, pattern, err);
		return -EINVAL;
	}
	*has = true;
	return 0;
}

/* walk: the cgroup collector's own walk; docker: Docker's containers. */
static int cg_init_mode(struct hw_ctx *ctx, bool walk, bool docker)
{
	const struct hw_config *cfg = ctx->cfg;
	struct cg_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ctx->priv = p;
	p->walk = walk;
	cgroup_reader_init(&p->rd);
	p->sysfs = cfg->sysfs;
	p->max_depth = cfg->cgroup_max_depth;
	int rc = cg_compile(&p->include, &p->has_include, cfg->cgroup_include,
			    "include");
	if (rc == 0)
		rc = cg_compile(&p->exclude, &p->has_exclude,
				cfg->cgroup_exclude, "exclude");
	/* "/system.slice/" → "system.slice" */
	const char *r = cfg->cgroup_root ? cfg->cgroup_root : "/";
	while (*r == '/')
		r++;
	size_t rl = strlen(r);
	while (rl && r[rl - 1] == '/')
		rl--;
	if (rc == 0 && rl >= sizeof(p->root) - 1) {
		log_error("cgroup: --collector.cgroup.root is too long");
		rc = -EINVAL;
	}
	if (rc == 0) {
		memcpy(p->root, r, rl);
		p->root[rl] = '\0';
		p->dents = malloc(CG_DENTS_SIZE);
		rc = p->dents ? 0 : -ENOMEM;
	}
	if (rc == 0)
		rc = cgroup_layout_discover(&p->layout, cfg->cgroupfs,
					    cfg->procfs);
	if (rc == 0) {
		char desc[1024];
		cgroup_layout_describe(&p->layout, desc, sizeof(desc));
		if (p->layout.n == 0)
			log_warn("cgroup: no cgroup hierarchy found");
		else
			log_debug("cgroup: hierarchies %s", desc);
	}
	if (rc == 0 && docker) {
		rc = docker_inventory_acquire(cfg);
		p->docker = rc == 0;
	}
	if (rc < 0)
		cg_fini(ctx);
	return rc;
}

static bool docker_enabled(const struct hw_config *cfg)
{
	int i = collector_index("docker");
	return i >= 0 && cfg->enabled[i];
}

static int cg_init(struct hw_ctx *ctx)
{
	return cg_init_mode(ctx, true, docker_enabled(ctx->cfg));
}

/* ---- records: one per cgroup path, found by a hash of the path ---------- */

static uint32_t cg_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static const char *cg_rec_id(const struct cg_priv *p, const struct cg_rec *r)
{
	return p->paths.data + r->path_off;
}

/* The record of id (its index), or -1. */
static long cg_lookup(const struct cg_priv *p, const char *id, uint32_t h)
{
	if (!p->nslots)
		return -1;
	for (size_t i = h & (p->nslots - 1);; i = (i + 1) & (p->nslots - 1)) {
		uint32_t s = p->slots[i];
		if (!s)
			return -1;
		const struct cg_rec *r = &p->recs[s - 1];
		if (r->hash == h && strcmp(cg_rec_id(p, r), id) == 0)
			return (long)(s - 1);
	}
}

static void cg_slot_put(struct cg_priv *p, uint32_t h, uint32_t idx)
{
	size_t i = h & (p->nslots - 1);
	while (p->slots[i])
		i = (i + 1) & (p->nslots - 1);
	p->slots[i] = idx + 1;
}

/* A new record for id (not in the table yet): its index, or -ENOMEM. */
static long cg_insert(struct cg_priv *p, const char *id, uint32_t h)
{
	if (p->nrec == p->rec_cap) {
		size_t cap = p->rec_cap ? p->rec_cap * 2 : 64;
		struct cg_rec *recs = realloc(p->recs, cap * sizeof(*recs));
		if (!recs)
			return -ENOMEM;
		p->recs = recs;
		uint32_t *order = realloc(p->order, cap * sizeof(*order));
		if (!order)
			return -ENOMEM;
		p->order = order;
		p->rec_cap = cap;
	}
	if ((p->nrec + 1) * 2 > p->nslots) {
		size_t n = p->nslots ? p->nslots * 2 : 128;
		uint32_t *slots = calloc(n, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		free(p->slots);
		p->slots = slots;
		p->nslots = n;
		for (size_t i = 0; i < p->nrec; i++)
			cg_slot_put(p, p->recs[i].hash, (uint32_t)i);
	}
	struct cg_rec *r = &p->recs[p->nrec];
	r->path_off = (uint32_t)p->paths.len;
	r->hash = h;
	r->dk = -1;
	buf_put(&p->paths, id, strlen(id) + 1);
	if (p->paths.failed)
		return -ENOMEM;
	cg_slot_put(p, h, (uint32_t)p->nrec);
	return (long)p->nrec++;
}

/* ---- the walk ------------------------------------------------------------ */

/* The current id as published: "/" for a hierarchy's root. */
static const char *cg_id(const struct cg_priv *p)
{
	return p->id[0] ? p->id : "/";
}

static bool cg_selected(const struct cg_priv *p, const char *id)
{
	if (p->has_exclude && hw_regex_match(&p->exclude, id))
		return false;
	return !p->has_include || hw_regex_match(&p->include, id);
}

/* Read the cgroup open as dirfd into its record. -ENOENT: it is gone. */
static int cg_read_one(struct cg_priv *p, int dirfd, unsigned what)
{
	const char *id = cg_id(p);
	uint32_t h = cg_hash(id, strlen(id));
	long idx = cg_lookup(p, id, h);
	if (idx >= 0) {
		what = cgroup_what_left(what, &p->recs[idx].st);
	} else if (p->nrec == cg_max_cgroups) {
		if (!p->warned_max)
			log_warn("cgroup: more than %zu cgroups selected: the "
				 "others are not published (narrow "
				 "--collector.cgroup.include)",
				 cg_max_cgroups);
		p->warned_max = true;
		return 0;
	}
	if (!what)
		return 0;
	if (cg_test_hook)
		cg_test_hook(id, CG_HOOK_OPENED);
	struct cgroup_stats st;
	int rc = cgroup_read_dir(&p->rd, dirfd, what, &st);
	if (rc < 0)
		return rc;
	if (idx < 0) {
		if (!st.have)
			return 0;
		idx = cg_insert(p, id, h);
		if (idx < 0)
			return (int)idx;
		p->recs[idx].st = st;
		return 0;
	}
	cgroup_stats_merge(&p->rd, &p->recs[idx].st, &st);
	return 0;
}

/* cg_list's listing of fd (dirfd: the same directory, for fstatat). */
static int cg_list_fd(struct cg_priv *p, int fd, int dirfd)
{
	for (;;) {
		ssize_t n = getdents64(fd, p->dents, CG_DENTS_SIZE);
		if (n < 0)
			return errno == ENODEV ? -ENOENT : -errno;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *d =
				(const struct dirent64 *)(p->dents + off);
			off += d->d_reclen;
			const char *name = d->d_name;
			if (name[0] == '.' &&
			    (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			if (d->d_type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(dirfd, name, &st,
					    AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISDIR(st.st_mode))
					continue;
			} else if (d->d_type != DT_DIR) {
				continue;
			}
			buf_put(&p->names, name, strlen(name) + 1);
			if (p->names.failed)
				return -ENOMEM;
		}
	}
}

/* The subdirectories of the directory open (O_PATH) as dirfd, appended to
 * p->names NUL-separated. 0, or -errno (-ENOENT when it is gone). */
static int cg_list(struct cg_priv *p, int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENODEV ? -ENOENT : -errno;
	int rc = cg_list_fd(p, fd, dirfd);
	close(fd);
	return rc;
}

/* Whether a directory may have subdirectories: kernfs and tmpfs count them
 * in its link count (2 + subdirectories, kernfs_refresh_inode), so a
 * leaf is not listed. Any other count (1 on btrfs) says nothing. */
static bool cg_may_have_children(int dirfd)
{
	struct stat st;
	return fstat(dirfd, &st) < 0 || st.st_nlink != 2;
}

/* Walk the cgroup open as dirfd, whose id is p->id (len bytes), `depth`
 * levels below the start; selected: whether the include/exclude regexes
 * publish it (the caller has asked them). */
static int cg_walk(struct cg_priv *p, int dirfd, size_t len, unsigned depth,
		   unsigned what, bool selected)
{
	if (++p->visited > CG_MAX_VISITED) {
		if (!p->warned_visited)
			log_warn("cgroup: more than %d directories in one "
				 "hierarchy: the walk stops there (lower "
				 "--collector.cgroup.max-depth)",
				 CG_MAX_VISITED);
		p->warned_visited = true;
		return 0;
	}
	int rc = 0;
	if (selected) {
		rc = cg_read_one(p, dirfd, what);
		if (rc == -ENOENT)
			return 0; /* removed since it was listed */
		if (rc < 0)
			return rc;
	}
	if (depth >= p->max_depth || !cg_may_have_children(dirfd))
		return 0;
	size_t mark = p->names.len;
	rc = cg_list(p, dirfd);
	if (cg_test_hook)
		cg_test_hook(cg_id(p), CG_HOOK_LISTED);
	for (size_t off = mark; rc == 0 && off < p->names.len;) {
		/* names may move as it grows below: offsets only */
		const char *name = p->names.data + off;
		size_t nl = strlen(name);
		off += nl + 1;
		if (len + 1 + nl >= sizeof(p->id)) {
			if (!p->warned_long)
				log_warn("cgroup: a path under %s is longer "
					 "than %d bytes: skipped",
					 cg_id(p), CG_ID_MAX);
			p->warned_long = true;
			continue;
		}
		p->id[len] = '/';
		memcpy(p->id + len + 1, name, nl + 1);
		/* A cgroup not published is only walked for what is below
		 * it: not at all at the last level, and not when its link
		 * count says it has no subdirectory (a container's cgroup,
		 * read by the docker part, or a session scope). One fstatat
		 * instead of open, fstat and close. */
		bool sel = cg_selected(p, p->id);
		if (!sel) {
			struct stat st;
			if (depth + 1 >= p->max_depth ||
			    (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			     st.st_nlink == 2)) {
				p->id[len] = '\0';
				continue;
			}
		}
		/* O_PATH: most cgroups are leaves, read through this
		 * descriptor and never listed (tmpfs would allocate a readdir
		 * cursor for an O_RDONLY open of a directory) */
		int fd = sys_openat(dirfd, name,
				    O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			p->id[len] = '\0';
			/* gone since the listing, or not a directory now */
			if (errno == ENOENT || errno == ENODEV ||
			    errno == ENOTDIR)
				continue;
			rc = -errno;
			break;
		}
		rc = cg_walk(p, fd, len + 1 + nl, depth + 1, what, sel);
		sys_close(fd);
		p->id[len] = '\0';
	}
	if (rc == -ENOENT)
		rc = 0; /* the directory went while it was listed */
	p->names.len = mark;
	return rc;
}

static int cg_walk_mount(struct cg_priv *p, const struct cgroup_mount *m)
{
	int mfd = open(m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return errno == ENOENT ? 0 : -errno; /* unmounted since */
	unsigned what;
	int rc = cgroup_mount_what(&p->rd, m, mfd, &what);
	int fd = mfd;
	if (rc == 0 && p->root[0]) {
		fd = openat(mfd, p->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			rc = errno == ENOENT ? 1 : -errno; /* not here */
	}
	if (rc == 0) {
		size_t len = 0;
		if (p->root[0]) {
			p->id[0] = '/';
			len = strlen(p->root) + 1;
			memcpy(p->id + 1, p->root, len);
		} else {
			p->id[0] = '\0';
		}
		p->visited = 0;
		rc = cg_walk(p, fd, len, 0, what, cg_selected(p, cg_id(p)));
	}
	if (fd != mfd && fd >= 0)
		close(fd);
	close(mfd);
	return rc < 0 ? rc : 0;
}

/* ---- output -------------------------------------------------------------- */

static const struct cg_family {
	const char *name, *help;
	enum hw_type type;
	int field; /* enum cgroup_field; CGROUP_F_IO: reads, -1: writes */
} cg_families[] = {
	{"container_cpu_cfs_periods_total",
	 "Number of elapsed enforcement period intervals.", HW_COUNTER,
	 CGROUP_F_CFS_PERIODS},
	{"container_cpu_cfs_throttled_periods_total",
	 "Number of throttled period intervals.", HW_COUNTER,
	 CGROUP_F_CFS_THROTTLED_PERIODS},
	{"container_cpu_cfs_throttled_seconds_total",
	 "Total time duration the container has been throttled.", HW_COUNTER,
	 CGROUP_F_CFS_THROTTLED_SECONDS},
	{"container_cpu_system_seconds_total",
	 "Cumulative system cpu time consumed in seconds.", HW_COUNTER,
	 CGROUP_F_CPU_SYSTEM},
	{"container_cpu_usage_seconds_total",
	 "Cumulative cpu time consumed in seconds.", HW_COUNTER,
	 CGROUP_F_CPU_USAGE},
	{"container_cpu_user_seconds_total",
	 "Cumulative user cpu time consumed in seconds.", HW_COUNTER,
	 CGROUP_F_CPU_USER},
	{"container_fs_reads_bytes_total", "Cumulative count of bytes read",
	 HW_COUNTER, CGROUP_F_IO},
	{"container_fs_writes_bytes_total", "Cumulative count of bytes written",
	 HW_COUNTER, -1},
	{"container_memory_cache", "Number of bytes of page cache memory.",
	 HW_GAUGE, CGROUP_F_MEM_CACHE},
	{"container_memory_events_high_total",
	 "Number of times processes of the cgroup were throttled and routed "
	 "to direct reclaim because its memory usage went over the high "
	 "boundary (memory.events high).",
	 HW_COUNTER, CGROUP_F_MEM_EVENTS_HIGH},
	{"container_memory_events_max_total",
	 "Number of times the cgroup's memory usage was about to go over the "
	 "max boundary (memory.events max).",
	 HW_COUNTER, CGROUP_F_MEM_EVENTS_MAX},
	{"container_memory_rss", "Size of RSS in bytes.", HW_GAUGE,
	 CGROUP_F_MEM_RSS},
	{"container_memory_swap", "Container swap usage in bytes.", HW_GAUGE,
	 CGROUP_F_MEM_SWAP},
	{"container_memory_usage_bytes",
	 "Current memory usage in bytes, including all memory regardless of "
	 "when it was accessed",
	 HW_GAUGE, CGROUP_F_MEM_USAGE},
	{"container_memory_working_set_bytes", "Current working set in bytes.",
	 HW_GAUGE, CGROUP_F_MEM_WORKING_SET},
	{"container_oom_events_total",
	 "Count of out of memory events observed for the container", HW_COUNTER,
	 CGROUP_F_OOM_KILLS},
	{"container_processes",
	 "Number of processes running inside the container.", HW_GAUGE,
	 CGROUP_F_PROCESSES},
	{"container_spec_memory_limit_bytes", "Memory limit for the container.",
	 HW_GAUGE, CGROUP_F_MEM_LIMIT},
	{"container_threads", "Number of threads running inside the container",
	 HW_GAUGE, CGROUP_F_THREADS},
	{"hostwatch_cgroup_pressure_cpu_stalled_seconds_total",
	 "Total time in seconds no process of the cgroup could make progress "
	 "due to CPU congestion",
	 HW_COUNTER, CGROUP_F_PSI_CPU_FULL},
	{"hostwatch_cgroup_pressure_cpu_waiting_seconds_total",
	 "Total time in seconds that processes of the cgroup have waited for "
	 "CPU time",
	 HW_COUNTER, CGROUP_F_PSI_CPU_SOME},
	{"hostwatch_cgroup_pressure_io_stalled_seconds_total",
	 "Total time in seconds no process of the cgroup could make progress "
	 "due to IO congestion",
	 HW_COUNTER, CGROUP_F_PSI_IO_FULL},
	{"hostwatch_cgroup_pressure_io_waiting_seconds_total",
	 "Total time in seconds that processes of the cgroup have waited due "
	 "to IO congestion",
	 HW_COUNTER, CGROUP_F_PSI_IO_SOME},
	{"hostwatch_cgroup_pressure_memory_stalled_seconds_total",
	 "Total time in seconds no process of the cgroup could make progress "
	 "due to memory congestion",
	 HW_COUNTER, CGROUP_F_PSI_MEMORY_FULL},
	{"hostwatch_cgroup_pressure_memory_waiting_seconds_total",
	 "Total time in seconds that processes of the cgroup have waited for "
	 "memory",
	 HW_COUNTER, CGROUP_F_PSI_MEMORY_SOME},
};

static int cg_order_cmp(const void *a, const void *b, void *arg)
{
	const struct cg_priv *p = arg;
	return strcmp(cg_rec_id(p, &p->recs[*(const uint32_t *)a]),
		      cg_rec_id(p, &p->recs[*(const uint32_t *)b]));
}

static int cg_io_cmp(const void *a, const void *b)
{
	const struct cgroup_io *x = a, *y = b;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/* Most labels a sample has: a container's keys, cpu or device, id, image
 * and name. */
#define CG_MAX_LABELS (DOCKER_LABEL_KEYS_MAX + 4)

/* The labels of r's samples, in name order: a container's
 * container_label_* first, then (ek, ev) when ek is set (cpu, device), id,
 * and a container's image and name. Their number. */
static size_t cg_labels(const struct cg_priv *p, const struct cg_rec *r,
			const char *ek, const char *ev, struct hw_label *l)
{
	size_t n = 0;
	const struct docker_entry *e = r->dk >= 0 ? &p->snap.v[r->dk] : NULL;
	if (e)
		for (size_t k = 0; k < p->snap.nkeys; k++) {
			uint32_t i = p->snap.key_order[k];
			l[n++] = (struct hw_label){p->snap.label_names[i],
						   e->label_values[i]};
		}
	if (ek)
		l[n++] = (struct hw_label){ek, ev};
	l[n++] = (struct hw_label){"id", cg_rec_id(p, r)};
	if (e) {
		l[n++] = (struct hw_label){"image", e->image};
		l[n++] = (struct hw_label){"name", e->name};
	}
	return n;
}

static void cg_emit_io(struct cg_priv *p, struct sink *sink, bool reads,
		       const struct cg_rec *r)
{
	struct hw_label l[CG_MAX_LABELS];
	for (uint32_t i = 0; i < r->st.io_n; i++) {
		const struct cgroup_io *d = &p->rd.io[r->st.io_off + i];
		const char *dev = cgroup_devname(&p->dev, &p->rd.buf, p->sysfs,
						 d->major, d->minor);
		size_t n = cg_labels(p, r, "device", dev, l);
		sink_sample(sink, l, n, (double)(reads ? d->rbytes : d->wbytes));
	}
}

static void cg_emit(struct cg_priv *p, struct sink *sink)
{
	/* the values some cgroup has: a family without samples is left out */
	uint32_t any = 0;
	for (size_t i = 0; i < p->nrec; i++) {
		struct cg_rec *r = &p->recs[i];
		p->order[i] = (uint32_t)i;
		any |= r->st.have & ~CGROUP_HAVE(CGROUP_F_IO);
		if (r->st.io_n)
			any |= CGROUP_HAVE(CGROUP_F_IO);
		if (r->st.io_n > 1)
			qsort(&p->rd.io[r->st.io_off], r->st.io_n,
			      sizeof(struct cgroup_io), cg_io_cmp);
	}
	if (p->nrec > 1)
		qsort_r(p->order, p->nrec, sizeof(*p->order), cg_order_cmp, p);
	p->dev.generation++;
	for (size_t f = 0; f < sizeof(cg_families) / sizeof(cg_families[0]);
	     f++) {
		const struct cg_family *fam = &cg_families[f];
		int field = fam->field < 0 ? CGROUP_F_IO : fam->field;
		if (!(any & CGROUP_HAVE(field)))
			continue;
		sink_family(sink, fam->name, fam->help, fam->type);
		for (size_t i = 0; i < p->nrec; i++) {
			const struct cg_rec *r = &p->recs[p->order[i]];
			if (!(r->st.have & CGROUP_HAVE(field)))
				continue;
			if (field == CGROUP_F_IO) {
				cg_emit_io(p, sink, fam->field >= 0, r);
			} else {
				/* cpu="total": cAdvisor without per-CPU
				 * metrics */
				struct hw_label l[CG_MAX_LABELS];
				size_t n = cg_labels(
					p, r,
					field == CGROUP_F_CPU_USAGE ? "cpu" : NULL,
					"total", l);
				sink_sample(sink, l, n, r->st.v[field]);
			}
		}
	}
}

/* Docker's running containers, as records labelled with their names. A
 * container's cgroup the walk found already gets the labels; another is
 * read here. */
static int cg_add_containers(struct cg_priv *p)
{
	int rc = docker_inventory_snapshot(&p->snap);
	if (rc < 0)
		return rc;
	struct cgroup_roots roots;
	bool opened = false;
	for (size_t i = 0; i < p->snap.n && rc == 0; i++) {
		const struct docker_entry *e = &p->snap.v[i];
		if (e->pid <= 0 || !e->cgroup_id)
			continue; /* not running: no cgroup */
		uint32_t h = cg_hash(e->cgroup_id, strlen(e->cgroup_id));
		long idx = cg_lookup(p, e->cgroup_id, h);
		if (idx < 0) {
			if (p->nrec == cg_max_cgroups)
				continue;
			if (!opened)
				opened = cgroup_roots_open(&p->rd, &p->layout,
							   &roots) == 0;
			struct cgroup_stats st;
			rc = cgroup_read_path_at(&p->rd, &p->layout, &roots,
						 (const char *const *)e->cgroup,
						 &st);
			if (rc == -ENOENT) {
				rc = 0;
				continue; /* it stopped since */
			}
			if (rc < 0)
				break;
			if (!st.have) {
				cgroup_stats_drop(&p->rd, &st);
				continue;
			}
			idx = cg_insert(p, e->cgroup_id, h);
			if (idx < 0) {
				rc = (int)idx;
				break;
			}
			p->recs[idx].st = st;
		}
		p->recs[idx].dk = (int32_t)i;
	}
	if (opened)
		cgroup_roots_close(&roots);
	return rc;
}

static int cg_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct cg_priv *p = ctx->priv;
	if (p->layout.n == 0)
		return -ENOENT;
	p->nrec = 0;
	p->paths.len = 0;
	p->names.len = 0;
	if (p->nslots)
		memset(p->slots, 0, p->nslots * sizeof(*p->slots));
	cgroup_reader_reset(&p->rd);
	int rc = 0;
	for (unsigned i = 0; p->walk && i < p->layout.n && rc == 0; i++)
		rc = cg_walk_mount(p, &p->layout.m[i]);
	if (rc == 0 && p->docker)
		rc = cg_add_containers(p);
	if (rc < 0)
		return rc;
	cg_emit(p, sink);
	return 0;
}

int cgroup_containers_init(struct hw_ctx *ctx)
{
	return cg_init_mode(ctx, false, true);
}

int cgroup_containers_collect(struct hw_ctx *ctx, struct sink *sink)
{
	return cg_collect(ctx, sink);
}

void cgroup_containers_fini(struct hw_ctx *ctx)
{
	cg_fini(ctx);
}

const struct collector collector_cgroup = {
	.name = "cgroup",
	.enabled_by_default = true,
	.init = cg_init,
	.collect = cg_collect,
	.fini = cg_fini,
};
