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
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>

#include "hostwatch/collector.h"
#include "hostwatch/filter.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "goparse.h"

#define FS_MAX_FILE (16u << 20)
/* statfs needs next to no stack; abandoned workers should cost little. */
#define FS_WORKER_STACK (64u << 10)

/* One statfs worker. Shared between the collector and the thread, freed by
 * whichever drops the last reference, so a thread still blocked in statfs
 * when the collector goes away never touches freed memory. */
struct fs_worker {
	pthread_mutex_t mu;
	pthread_cond_t req;  /* collector -> worker: a request, or quit */
	pthread_cond_t done; /* worker -> collector: the answer */
	pthread_t thread;
	unsigned refs;
	bool quit;      /* the owner wants the idle worker to exit */
	bool abandoned; /* timed out: exit once the blocked call returns */
	uint64_t seq_req, seq_done;
	/* Written by the collector only while the worker is idle. */
	char path[PATH_MAX];
	int err;
	struct statfs st;
};

/* A mount whose statfs timed out, and the worker still blocked on it. */
struct fs_stuck {
	char *mountpoint;
	struct fs_worker *w;
};

struct fs_mount {
	/* All point into ctx->buf, valid during collect. */
	const char *device, *mountpoint, *fstype, *options;
	size_t line; /* position in the file: first one wins on duplicates */
	bool error;
	bool readonly;
	double size, free, avail, files, files_free;
};

struct fs_priv {
	/* mount-points-exclude and fs-types-exclude: excludes only. */
	struct hw_filter mp_filter, type_filter;
	struct fs_worker *w; /* idle worker for the next statfs; NULL: none */
	struct fs_stuck *stuck;
	size_t nstuck;
	struct fs_mount *mounts;
	size_t nmounts, cap;
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

static void fs_worker_unref(struct fs_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool last = --w->refs == 0;
	pthread_mutex_unlock(&w->mu);
	if (!last)
		return;
	pthread_cond_destroy(&w->req);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static void *fs_worker_main(void *arg)
{
	struct fs_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->seq_req == w->seq_done && !w->quit)
			pthread_cond_wait(&w->req, &w->mu);
		if (w->seq_req == w->seq_done)
			break; /* quit while idle */
		pthread_mutex_unlock(&w->mu);
		struct statfs st;
		int err = statfs(w->path, &st) < 0 ? errno : 0;
		pthread_mutex_lock(&w->mu);
		w->st = st;
		w->err = err;
		w->seq_done = w->seq_req;
		pthread_cond_signal(&w->done);
		if (w->abandoned)
			break;
	}
	pthread_mutex_unlock(&w->mu);
	fs_worker_unref(w);
	return NULL;
}

static struct fs_worker *fs_worker_new(void)
{
	struct fs_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	/* Timeouts must not move with the wall clock. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->req, NULL);
	pthread_cond_init(&w->done, &ca);
	pthread_condattr_destroy(&ca);
	w->refs = 2; /* the collector and the thread */

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FS_WORKER_STACK);
	/* Signals are for the main thread, never for a worker. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, &attr, fs_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("filesystem: cannot start a statfs worker: %s",
			  strerror(rc));
		w->refs = 1;
		fs_worker_unref(w);
		return NULL;
	}
	return w;
}

/* Stop an idle worker and wait for it: it is idle, so this is quick. */
static void fs_worker_stop(struct fs_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->req);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	fs_worker_unref(w);
}

/* statfs(path) through the idle worker w, waiting at most timeout seconds.
 * Returns 0 or -errno of statfs, or -ETIMEDOUT: w is then abandoned (and
 * detached) and still owned by the caller's reference. */
static int fs_worker_statfs(struct fs_worker *w, const char *path,
			    double timeout, struct statfs *out)
{
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	if (!(timeout > 0))
		timeout = 0;
	if (timeout > 86400)
		timeout = 86400;
	time_t sec = (time_t)timeout;
	dl.tv_sec += sec;
	dl.tv_nsec += (long)((timeout - (double)sec) * 1e9);
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&w->mu);
	/* The caller checked the length (path_join). */
	strcpy(w->path, path);
	w->seq_req++;
	pthread_cond_signal(&w->req);
	while (w->seq_done != w->seq_req) {
		if (pthread_cond_timedwait(&w->done, &w->mu, &dl) == ETIMEDOUT)
			break;
	}
	int rc;
	if (w->seq_done != w->seq_req) {
		w->abandoned = true;
		pthread_detach(w->thread);
		rc = -ETIMEDOUT;
	} else {
		*out = w->st;
		rc = -w->err;
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static bool fs_worker_finished(struct fs_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool done = w->seq_done == w->seq_req;
	pthread_mutex_unlock(&w->mu);
	return done;
}

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
	free(p->mounts);
	free(p);
}

static int fs_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	struct fs_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = filter_init(&p->mp_filter, "filesystem", "mount-points", NULL,
			     cfg->fs_mount_points_exclude);
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
	char *o = s;
	for (const char *i = s; *i;) {
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

/* statfs one mount: fills m, or sets m->error. */
static void fs_stat_mount(struct fs_priv *p, const struct hw_config *cfg,
			  struct fs_mount *m)
{
	struct fs_stuck *s = fs_find_stuck(p, m->mountpoint);
	if (s) {
		if (!fs_worker_finished(s->w)) {
			log_debug("filesystem: mount point %s is in an "
				  "unresponsive state",
				  m->mountpoint);
			m->error = true;
			return;
		}
		log_debug("filesystem: mount point %s has recovered, "
			  "monitoring will resume",
			  m->mountpoint);
		fs_worker_unref(s->w);
		free(s->mountpoint);
		*s = p->stuck[--p->nstuck];
	}

	char path[PATH_MAX];
	/* filepath.Join(rootfs, mp): for "/" that is rootfs itself, with no
	 * trailing slash that would fail on a file bind-mounted there. */
	int rc = strcmp(m->mountpoint, "/") == 0
			 ? path_join(path, sizeof(path), cfg->rootfs, "")
			 : path_join(path, sizeof(path), cfg->rootfs,
				     m->mountpoint);
	size_t len = strlen(path);
	if (rc == 0 && len > 1 && path[len - 1] == '/')
		path[len - 1] = '\0';
	if (rc < 0) {
		m->error = true;
		return;
	}
	if (!p->w && !(p->w = fs_worker_new())) {
		m->error = true;
		return;
	}
	struct statfs st;
	rc = fs_worker_statfs(p->w, path, cfg->fs_mount_timeout, &st);
	if (rc == -ETIMEDOUT) {
		log_warn("filesystem: statfs of %s did not answer within %gs, "
			 "marking the mount stuck",
			 path, cfg->fs_mount_timeout);
		fs_add_stuck(p, m->mountpoint, p->w);
		p->w = NULL;
		m->error = true;
		return;
	}
	if (rc < 0) {
		log_debug("filesystem: statfs %s: %s", path, strerror(-rc));
		m->error = true;
		return;
	}
	m->size = (double)st.f_blocks * (double)st.f_bsize;
	m->free = (double)st.f_bfree * (double)st.f_bsize;
	m->avail = (double)st.f_bavail * (double)st.f_bsize;
	m->files = (double)st.f_files;
	m->files_free = (double)st.f_ffree;
}

static int fs_read_mounts(struct hw_ctx *ctx)
{
	int rc = readfile_text_path(ctx->cfg->procfs, "1/mounts", &ctx->buf,
			       FS_MAX_FILE);
	/* /proc/1 may be hidden (hidepid): upstream falls back likewise. */
	if (rc == -ENOENT)
		rc = readfile_text_path(ctx->cfg->procfs, "mounts", &ctx->buf,
				   FS_MAX_FILE);
	return rc;
}

static int fs_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct fs_priv *p = ctx->priv;
	const struct hw_config *cfg = ctx->cfg;
	int rc = fs_read_mounts(ctx);
	if (rc < 0)
		return rc;

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

	size_t nok = 0;
	for (size_t i = 0; i < p->nmounts; i++) {
		struct fs_mount *m = &p->mounts[i];
		fs_stat_mount(p, cfg, m);
		/* Upstream 1.5 reads "ro" from the mount options. */
		m->readonly = fs_has_ro(m->options);
		nok += !m->error;
	}

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
