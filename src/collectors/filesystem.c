/* filesystem: node_filesystem_*{device,fstype,mountpoint} from statfs(2) of
 * the mounts listed in <procfs>/1/mounts, as node_exporter 1.5 prints them
 * (collector/filesystem_linux.go, filesystem_common.go, paths.go).
 *
 * Beyond upstream: statfs() runs in a worker thread and the scrape waits at
 * most cfg->fs_mount_timeout seconds for it. Upstream only notices a hung
 * mount after the statfs has blocked its scrape; here a mount that does not
 * answer in time is reported with device_error 1 at once, its worker is
 * abandoned to the blocked call, and until that call returns by itself the
 * mount is not asked again (device_error 1, no statfs). Other mounts go to a
 * fresh worker, so at most one thread per stuck mount is ever blocked. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/statfs.h>
#include <time.h>

#include "hostwatch/collector.h"
#include "hostwatch/filter.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "fsworker.h"
#include "goparse.h"

#define FS_MAX_FILE (16u << 20)
/* Mount events cover mounts and unmounts, not a mount point whose path
 * changes because a directory above it was renamed: read the file at least
 * this often anyway (seconds). */
#define FS_MOUNTS_MAX_AGE 30.0
/* A mount whose statfs timed out, and the worker still blocked on it. */
struct fs_stuck {
	char *mountpoint;
	struct fs_worker *w;
};

struct fs_mount {
	/* All point into priv->parsed, valid until the file changes. */
	const char *device, *mountpoint, *fstype, *options;
	size_t line; /* position in the file: first one wins on duplicates */
	size_t path; /* rootfs-joined path for statfs, in priv->paths */
	bool path_ok; /* false: too long to build, always an error */
	bool readonly;
	/* this scrape's statfs */
	bool error;
	double size, free, avail, files, files_free;
};

struct fs_priv {
	/* mount-points-exclude and fs-types-exclude: excludes only. */
	struct hw_filter mp_filter, type_filter;
	struct fs_worker *w; /* idle worker for the next statfs; NULL: none */
	struct fs_stuck *stuck;
	size_t nstuck;
	struct hw_kept mounts1, mounts_self; /* <procfs>/1/mounts, /mounts */
	/* The mounts of the last file, parsed, filtered, sorted and deduped:
	 * while the file stays byte for byte the same (as it does between
	 * mounts and unmounts) only statfs is done again. */
	bool known;
	struct hw_buf raw;    /* the file as read */
	struct hw_buf parsed; /* the same, cut into fields in place */
	struct hw_buf paths;  /* statfs paths */
	struct fs_mount *mounts;
	size_t nmounts, cap;
	struct hw_kept *source; /* the file `raw` came from */
	double read_at;         /* CLOCK_MONOTONIC of that read */
	/* this scrape's statfs requests, and the mount of each */
	struct fs_statfs_req *req;
	size_t *req_mount;
	size_t req_cap;
};

/* Families in upstream's output order (sorted by name). */
enum fs_value { V_AVAIL, V_ERROR, V_FILES, V_FILES_FREE, V_FREE, V_RO, V_SIZE };
static const struct {
	const char *name;
	const char *help;
	enum fs_value v;
} fs_families[] = {
	{"node_filesystem_avail_bytes",
	 "Filesystem space available to non-root users in bytes.", V_AVAIL},
	{"node_filesystem_device_error",
	 "Whether an error occurred while getting statistics for the given "
	 "device.",
	 V_ERROR},
	{"node_filesystem_files", "Filesystem total file nodes.", V_FILES},
	{"node_filesystem_files_free", "Filesystem total free file nodes.",
	 V_FILES_FREE},
	{"node_filesystem_free_bytes", "Filesystem free space in bytes.", V_FREE},
	{"node_filesystem_readonly", "Filesystem read-only status.", V_RO},
	{"node_filesystem_size_bytes", "Filesystem size in bytes.", V_SIZE},
};

static void fs_priv_free(struct fs_priv *p)
{
	filter_free(&p->mp_filter);
	filter_free(&p->type_filter);
	if (p->w)
		fs_worker_stop(p->w);
	/* Workers still blocked keep the memory they use alive by their own
	 * reference and exit when their statfs returns. */
	for (size_t i = 0; i < p->nstuck; i++) {
		fs_worker_unref(p->stuck[i].w);
		free(p->stuck[i].mountpoint);
	}
	free(p->stuck);
	kept_fini(&p->mounts1);
	kept_fini(&p->mounts_self);
	buf_free(&p->raw);
	buf_free(&p->parsed);
	buf_free(&p->paths);
	free(p->mounts);
	free(p->req);
	free(p->req_mount);
	free(p);
}

static int fs_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	struct fs_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->mounts1 = p->mounts_self = (struct hw_kept)KEPT_INIT;
	/* mounts_op in fs/proc_namespace.c: one record per mount, no
	 * KEPT_SINGLE. */
	int rc = kept_init(&p->mounts1, cfg->procfs, "1/mounts", 0);
	if (rc == 0)
		rc = kept_init(&p->mounts_self, cfg->procfs, "mounts", 0);
	if (rc == 0)
		rc = filter_init(&p->mp_filter, "filesystem", "mount-points",
				 NULL, cfg->fs_mount_points_exclude);
	if (rc == 0)
		rc = filter_init(&p->type_filter, "filesystem", "fs-types",
				 NULL, cfg->fs_fs_types_exclude);
	if (rc < 0) {
		fs_priv_free(p);
		return rc;
	}
	ctx->priv = p;
	return 0;
}

static void fs_fini(struct hw_ctx *ctx)
{
	if (ctx->priv)
		fs_priv_free(ctx->priv);
	ctx->priv = NULL;
}


/* Replace every `esc` (a 4-byte "\ooo") in s by c, in place. */
static void fs_replace(char *s, const char *esc, char c)
{
	/* Most mount points have no backslash at all. */
	char *i = strchr(s, '\\');
	if (!i)
		return;
	char *o = i;
	while (*i) {
		if (strncmp(i, esc, 4) == 0) {
			*o++ = c;
			i += 4;
		} else {
			*o++ = *i++;
		}
	}
	*o = '\0';
}

/* paths.go rootfsStripPrefix: the raw flag value is cut off the front. */
static const char *fs_strip_rootfs(const char *rootfs, const char *mp)
{
	if (strcmp(rootfs, "/") == 0)
		return mp;
	size_t l = strlen(rootfs);
	if (strncmp(mp, rootfs, l) != 0)
		return mp;
	return mp[l] ? mp + l : "/";
}

/* Split one mounts line (modified in place) into its first four fields as
 * filesystem_linux.go parseFilesystemLabels does. -EINVAL when there are
 * fewer than four, which fails the whole collector upstream too. */
static int fs_parse_line(char *line, struct fs_mount *m, const char *rootfs)
{
	char *f[4];
	char *s = line;
	for (unsigned i = 0; i < 4; i++)
		if (!(f[i] = go_cut_field(&s)))
			return -EINVAL;
	/* fstab(5) escapes; upstream unescapes just these two, in this order,
	 * and only in the mount point. */
	fs_replace(f[1], "\\040", ' ');
	fs_replace(f[1], "\\011", '\t');
	m->device = f[0];
	m->mountpoint = fs_strip_rootfs(rootfs, f[1]);
	m->fstype = f[2];
	m->options = f[3];
	return 0;
}

static bool fs_has_ro(const char *opts)
{
	for (const char *o = opts; *o;) {
		size_t n = strcspn(o, ",");
		if (n == 2 && o[0] == 'r' && o[1] == 'o')
			return true;
		o += n;
		if (*o == ',')
			o++;
	}
	return false;
}

static int fs_cmp(const void *a, const void *b)
{
	const struct fs_mount *x = a, *y = b;
	int c = strcmp(x->device, y->device);
	if (!c)
		c = strcmp(x->fstype, y->fstype);
	if (!c)
		c = strcmp(x->mountpoint, y->mountpoint);
	if (!c)
		c = x->line < y->line ? -1 : x->line > y->line;
	return c;
}

static struct fs_stuck *fs_find_stuck(struct fs_priv *p, const char *mp)
{
	for (size_t i = 0; i < p->nstuck; i++)
		if (strcmp(p->stuck[i].mountpoint, mp) == 0)
			return &p->stuck[i];
	return NULL;
}

static void fs_add_stuck(struct fs_priv *p, const char *mp,
			 struct fs_worker *w)
{
	struct fs_stuck *s = realloc(p->stuck, (p->nstuck + 1) * sizeof(*s));
	char *copy = strdup(mp);
	if (!s || !copy) {
		/* Without memory to remember it, forget the mount: it is asked
		 * again next time, which costs a timeout, not correctness. */
		free(copy);
		if (s)
			p->stuck = s;
		fs_worker_unref(w);
		return;
	}
	p->stuck = s;
	p->stuck[p->nstuck].mountpoint = copy;
	p->stuck[p->nstuck].w = w;
	p->nstuck++;
}

/* Whether m can be asked: not while the statfs that timed out on its mount
 * point is still blocked (device_error 1 until that call returns). */
static bool fs_askable(struct fs_priv *p, struct fs_mount *m)
{
	struct fs_stuck *s = fs_find_stuck(p, m->mountpoint);
	if (s) {
		if (!fs_worker_finished(s->w)) {
			log_debug("filesystem: mount point %s is in an "
				  "unresponsive state",
				  m->mountpoint);
			return false;
		}
		log_debug("filesystem: mount point %s has recovered, "
			  "monitoring will resume",
			  m->mountpoint);
		fs_worker_unref(s->w);
		free(s->mountpoint);
		*s = p->stuck[--p->nstuck];
	}
	return m->path_ok; /* a path too long to build is an error */
}

/* The answer to one request: fills m, or sets m->error. */
static void fs_answer(struct fs_mount *m, const struct fs_statfs_req *r)
{
	if (r->err) {
		log_debug("filesystem: statfs %s: %s", r->path,
			  strerror(r->err));
		m->error = true;
		return;
	}
	const struct statfs *st = &r->st;
	m->size = (double)st->f_blocks * (double)st->f_bsize;
	m->free = (double)st->f_bfree * (double)st->f_bsize;
	m->avail = (double)st->f_bavail * (double)st->f_bsize;
	m->files = (double)st->f_files;
	m->files_free = (double)st->f_ffree;
}

/* statfs every mount, in output order, through one worker per scrape (a
 * fresh one after each that timed out): fills them or sets their error. */
static int fs_stat_mounts(struct fs_priv *p, const struct hw_config *cfg)
{
	if (p->nmounts > p->req_cap) {
		struct fs_statfs_req *r =
			realloc(p->req, p->nmounts * sizeof(*r));
		if (r)
			p->req = r;
		size_t *rm = realloc(p->req_mount, p->nmounts * sizeof(*rm));
		if (rm)
			p->req_mount = rm;
		if (!r || !rm)
			return -ENOMEM;
		p->req_cap = p->nmounts;
	}
	size_t n = 0;
	for (size_t i = 0; i < p->nmounts; i++) {
		struct fs_mount *m = &p->mounts[i];
		m->error = false;
		m->size = m->free = m->avail = m->files = m->files_free = 0;
		if (!fs_askable(p, m)) {
			m->error = true;
			continue;
		}
		p->req[n].path = p->paths.data + m->path;
		p->req_mount[n++] = i;
	}
	for (size_t first = 0; first < n;) {
		struct fs_mount *m = &p->mounts[p->req_mount[first]];
		/* Another mount on a mount point that timed out in this
		 * scrape is not asked either. */
		if (fs_find_stuck(p, m->mountpoint)) {
			m->error = true;
			first++;
			continue;
		}
		if (!p->w && !(p->w = fs_worker_new())) {
			m->error = true;
			first++;
			continue;
		}
		/* Up to the next mount on a mount point already stuck. */
		size_t end = first + 1;
		while (end < n && !(p->nstuck &&
				    fs_find_stuck(p, p->mounts[p->req_mount[end]]
							     .mountpoint)))
			end++;
		size_t k = fs_worker_statfs(p->w, p->req, first, end,
					    cfg->fs_mount_timeout);
		for (size_t j = first; j < k; j++)
			fs_answer(&p->mounts[p->req_mount[j]], &p->req[j]);
		if (k == end) {
			first = end;
			continue;
		}
		m = &p->mounts[p->req_mount[k]];
		log_warn("filesystem: statfs of %s did not answer within %gs, "
			 "marking the mount stuck",
			 p->req[k].path, cfg->fs_mount_timeout);
		fs_add_stuck(p, m->mountpoint, p->w);
		p->w = NULL;
		m->error = true;
		first = k + 1;
	}
	return 0;
}

/* The statfs path of m into p->paths: filepath.Join(rootfs, mp); for "/"
 * that is rootfs itself, with no trailing slash that would fail on a file
 * bind-mounted there. */
static void fs_make_path(struct fs_priv *p, const struct hw_config *cfg,
			 struct fs_mount *m)
{
	char path[PATH_MAX];
	int rc = strcmp(m->mountpoint, "/") == 0
			 ? path_join(path, sizeof(path), cfg->rootfs, "")
			 : path_join(path, sizeof(path), cfg->rootfs,
				     m->mountpoint);
	size_t len = strlen(path);
	if (rc == 0 && len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	m->path_ok = rc == 0;
	m->path = p->paths.len;
	if (m->path_ok)
		buf_put(&p->paths, path, len + 1);
}

static double fs_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Whether the mounts parsed last time still hold without reading the file
 * again. Generating it costs the kernel a d_path and the options of every
 * mount (~30 us a scrape on this VM, the largest part of this collector),
 * and it changes only when something is mounted or unmounted. Then poll()
 * on an open mounts file reports POLLERR|POLLPRI (fs/proc_namespace.c,
 * mounts_poll: the namespace's event counter moved since this file last
 * looked), so a descriptor kept open on procfs tells us for free. A file
 * not kept (not on procfs: a test tree) is always read. */
static bool fs_mounts_unchanged(const struct fs_priv *p, double now)
{
	if (!p->known || !p->source || p->source->fd < 0 ||
	    now - p->read_at >= FS_MOUNTS_MAX_AGE)
		return false;
	struct pollfd pfd = {.fd = p->source->fd, .events = POLLPRI};
	return poll(&pfd, 1, 0) == 0;
}

static int fs_read_mounts(struct hw_ctx *ctx)
{
	struct fs_priv *p = ctx->priv;
	p->source = &p->mounts1;
	int rc = kept_read_text(&p->mounts1, &ctx->buf, FS_MAX_FILE);
	/* /proc/1 may be hidden (hidepid): upstream falls back likewise. */
	if (rc == -ENOENT) {
		p->source = &p->mounts_self;
		rc = kept_read_text(&p->mounts_self, &ctx->buf, FS_MAX_FILE);
	}
	return rc;
}

/* Parse the mounts file in ctx->buf into p->mounts: filtered, sorted and
 * deduped. On success the text moves to p->parsed (the mounts point into
 * it) and ctx->buf gets the old one's memory. */
static int fs_parse_mounts(struct hw_ctx *ctx)
{
	struct fs_priv *p = ctx->priv;
	const struct hw_config *cfg = ctx->cfg;
	int rc;
	p->nmounts = 0;
	char *s = ctx->buf.data;
	for (size_t n = 0; *s; n++) {
		char *nl = strchr(s, '\n');
		char *next = nl ? nl + 1 : s + strlen(s);
		if (nl)
			*nl = '\0';
		if (p->nmounts == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 32;
			struct fs_mount *m = realloc(p->mounts, cap * sizeof(*m));
			if (!m)
				return -ENOMEM;
			p->mounts = m;
			p->cap = cap;
		}
		struct fs_mount *m = &p->mounts[p->nmounts];
		memset(m, 0, sizeof(*m));
		rc = fs_parse_line(s, m, cfg->rootfs);
		if (rc < 0) {
			log_debug("filesystem: malformed mount point "
				  "information on line %zu",
				  n + 1);
			return rc;
		}
		s = next;
		m->line = n;
		if (filter_ignored(&p->mp_filter, m->mountpoint) ||
		    filter_ignored(&p->type_filter, m->fstype))
			continue;
		if (!go_valid_utf8_str(m->device) ||
		    !go_valid_utf8_str(m->mountpoint) ||
		    !go_valid_utf8_str(m->fstype)) {
			log_debug("filesystem: skipping a mount whose labels "
				  "are not UTF-8");
			continue;
		}
		p->nmounts++;
	}

	/* Output order, and one series per label set: the first mount wins,
	 * as with upstream's seen map. */
	if (p->nmounts > 1)
		qsort(p->mounts, p->nmounts, sizeof(*p->mounts), fs_cmp);
	size_t k = 0;
	for (size_t i = 0; i < p->nmounts; i++) {
		struct fs_mount *m = &p->mounts[i];
		if (k > 0 && strcmp(p->mounts[k - 1].device, m->device) == 0 &&
		    strcmp(p->mounts[k - 1].fstype, m->fstype) == 0 &&
		    strcmp(p->mounts[k - 1].mountpoint, m->mountpoint) == 0)
			continue;
		p->mounts[k++] = *m;
	}
	p->nmounts = k;

	buf_reset(&p->paths);
	for (size_t i = 0; i < p->nmounts; i++) {
		struct fs_mount *m = &p->mounts[i];
		/* Upstream 1.5 reads "ro" from the mount options. */
		m->readonly = fs_has_ro(m->options);
		fs_make_path(p, cfg, m);
	}
	if (p->paths.failed)
		return -ENOMEM;
	struct hw_buf t = p->parsed;
	p->parsed = ctx->buf;
	ctx->buf = t;
	return 0;
}

static int fs_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct fs_priv *p = ctx->priv;
	const struct hw_config *cfg = ctx->cfg;
	double now = fs_now();
	int rc = 0;
	if (fs_mounts_unchanged(p, now))
		goto stat_mounts;
	/* The poll above consumed any event: whatever it reported is in the
	 * file read now. */
	rc = fs_read_mounts(ctx);
	if (rc < 0) {
		p->known = false;
		return rc;
	}
	p->read_at = now;
	if (!p->known || ctx->buf.len != p->raw.len ||
	    memcmp(ctx->buf.data, p->raw.data, ctx->buf.len) != 0) {
		p->known = false;
		buf_reset(&p->raw);
		buf_put(&p->raw, ctx->buf.data, ctx->buf.len);
		if (p->raw.failed)
			return -ENOMEM;
		rc = fs_parse_mounts(ctx);
		if (rc < 0)
			return rc;
		p->known = true;
	}

stat_mounts:
	rc = fs_stat_mounts(p, cfg);
	if (rc < 0)
		return rc;
	size_t nok = 0;
	for (size_t i = 0; i < p->nmounts; i++)
		nok += !p->mounts[i].error;

	for (size_t f = 0; f < sizeof(fs_families) / sizeof(fs_families[0]);
	     f++) {
		enum fs_value v = fs_families[f].v;
		/* After an error only device_error is printed for a mount. */
		if (p->nmounts == 0 || (v != V_ERROR && nok == 0))
			continue;
		sink_family(sink, fs_families[f].name, fs_families[f].help,
			    HW_GAUGE);
		for (size_t i = 0; i < p->nmounts; i++) {
			const struct fs_mount *m = &p->mounts[i];
			if (m->error && v != V_ERROR)
				continue;
			struct hw_label l[3] = {{"device", m->device},
						{"fstype", m->fstype},
						{"mountpoint", m->mountpoint}};
			double val = 0;
			switch (v) {
			case V_AVAIL:
				val = m->avail;
				break;
			case V_ERROR:
				val = m->error;
				break;
			case V_FILES:
				val = m->files;
				break;
			case V_FILES_FREE:
				val = m->files_free;
				break;
			case V_FREE:
				val = m->free;
				break;
			case V_RO:
				val = m->readonly;
				break;
			case V_SIZE:
				val = m->size;
				break;
			}
			sink_sample(sink, l, 3, val);
		}
	}
	return 0;
}

const struct collector collector_filesystem = {
	.name = "filesystem",
	.enabled_by_default = true,
	.init = fs_init,
	.collect = fs_collect,
	.fini = fs_fini,
};
