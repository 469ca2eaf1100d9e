/* time: the system clock, the local time zone and the clocksources, as
 * node_exporter 1.5's collector/time.go and time_linux.go with procfs
 * sysfs/clocksource.go. The device label is the position of the
 * clocksourceN directory in sorted name order (filepath.Glob), not N. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/collector.h"
#include "hostwatch/readfile.h"

#include "goparse.h"

#define TIME_NAME_LEN 64
#define TIME_FILE_LEN 4096

struct time_cs {
	char name[TIME_NAME_LEN]; /* clocksource */
	char dev[16];             /* device */
	int current;              /* 1: current_info, 0: available_info */
};

/* The files of the first clocksource directories (a machine has one),
 * kept open; any further ones are opened relative to the kept directory. */
#define TIME_KEPT_DIRS 2

struct time_cs_files {
	char dir[TIME_NAME_LEN]; /* "clocksourceN", "" when unused */
	struct hw_kept available, current;
};

struct time_priv {
	struct hw_kept_dir sysdir; /* <sysfs>/devices/system/clocksource */
	struct time_cs_files files[TIME_KEPT_DIRS];
	char (*dirs)[TIME_NAME_LEN];
	size_t ndirs, dirs_cap;
	struct time_cs *cs;
	size_t ncs, cs_cap;
};

static void time_fini(struct hw_ctx *ctx)
{
	struct time_priv *tp = ctx->priv;
	if (tp) {
		keptdir_fini(&tp->sysdir);
		for (size_t i = 0; i < TIME_KEPT_DIRS; i++) {
			kept_fini(&tp->files[i].available);
			kept_fini(&tp->files[i].current);
		}
		free(tp->dirs);
		free(tp->cs);
	}
	free(tp);
	ctx->priv = NULL;
}

static int time_init(struct hw_ctx *ctx)
{
	struct time_priv *tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	ctx->priv = tp;
	for (size_t i = 0; i < TIME_KEPT_DIRS; i++)
		tp->files[i].available = tp->files[i].current =
			(struct hw_kept)KEPT_INIT;
	int rc = keptdir_init(&tp->sysdir, ctx->cfg->sysfs,
			      "devices/system/clocksource");
	if (rc < 0)
		time_fini(ctx);
	return rc;
}

static int time_cmp_dir(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Samples in client_golang's order: by clocksource, then device. */
static int time_cmp_cs(const void *a, const void *b)
{
	const struct time_cs *x = a, *y = b;
	if (x->current != y->current)
		return x->current - y->current;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->dev, y->dev);
}

static int time_add(struct time_priv *tp, const char *name, size_t n,
		    size_t dev, int current)
{
	if (n >= TIME_NAME_LEN)
		return -ERANGE;
	/* node_exporter panics on a non-UTF-8 label value; we fail. */
	if (!go_valid_utf8(name, n))
		return -EILSEQ;
	if (tp->ncs == tp->cs_cap) {
		size_t cap = tp->cs_cap ? tp->cs_cap * 2 : 16;
		struct time_cs *c = realloc(tp->cs, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		tp->cs = c;
		tp->cs_cap = cap;
	}
	struct time_cs *c = &tp->cs[tp->ncs++];
	memcpy(c->name, name, n);
	c->name[n] = '\0';
	snprintf(c->dev, sizeof(c->dev), "%zu", dev);
	c->current = current;
	return 0;
}


/* The sorted clocksource[0-9]* names, as filepath.Glob returns them. A
 * directory that cannot be read is no match. */
static int time_list_dirs(struct time_priv *tp)
{
	tp->ndirs = 0;
	int rc = keptdir_list(&tp->sysdir);
	if (rc < 0)
		return rc == -ENOMEM ? rc : 0; /* Glob: no match, no error */
	for (const char *n = NULL; (n = keptdir_next(&tp->sysdir, n));) {
		if (strncmp(n, "clocksource", 11) != 0 || n[11] < '0' ||
		    n[11] > '9')
			continue;
		if (strlen(n) >= TIME_NAME_LEN)
			return -ENAMETOOLONG;
		if (tp->ndirs == tp->dirs_cap) {
			size_t cap = tp->dirs_cap ? tp->dirs_cap * 2 : 8;
			void *p = realloc(tp->dirs, cap * sizeof(*tp->dirs));
			if (!p)
				return -ENOMEM;
			tp->dirs = p;
			tp->dirs_cap = cap;
		}
		strcpy(tp->dirs[tp->ndirs++], n);
	}
	if (tp->ndirs > 1)
		qsort(tp->dirs, tp->ndirs, sizeof(*tp->dirs), time_cmp_dir);
	return 0;
}

/* The kept files of the i-th clocksource directory, NULL past the first
 * TIME_KEPT_DIRS (or short of memory: opened each time). */
static struct time_cs_files *time_files(struct time_priv *tp, size_t i,
					const char *dir)
{
	if (i >= TIME_KEPT_DIRS)
		return NULL;
	struct time_cs_files *f = &tp->files[i];
	if (f->dir[0] && strcmp(f->dir, dir) == 0)
		return f;
	kept_fini(&f->available);
	kept_fini(&f->current);
	f->dir[0] = '\0';
	char rel[TIME_NAME_LEN + 32];
	/* sysfs attributes: one seq_file record each */
	if (kept_init(&f->available, NULL,
		      path_cat(rel, sizeof(rel), dir, "available_clocksource"),
		      KEPT_SINGLE) < 0)
		return NULL;
	if (kept_init(&f->current, NULL,
		      path_cat(rel, sizeof(rel), dir, "current_clocksource"),
		      KEPT_SINGLE) < 0) {
		kept_fini(&f->available);
		return NULL;
	}
	strcpy(f->dir, dir);
	return f;
}

/* One attribute of a clocksource directory into buf. */
static int time_read_attr(struct hw_kept *kf, int dfd, const char *dir,
			  const char *file, char *buf, size_t size)
{
	char rel[TIME_NAME_LEN + 32];
	if (kf)
		return kept_read_small_at(kf, dfd, buf, size);
	return readfile_small(dfd, path_cat(rel, sizeof(rel), dir, file), buf,
			      size);
}

static int time_read_clocksources(struct time_priv *tp)
{
	char buf[TIME_FILE_LEN];
	tp->ncs = 0;
	/* path_join's verdict on <sysfs>/devices/system/clocksource */
	if (tp->sysdir.err)
		return tp->sysdir.err;
	int dfd = -1, rc = time_list_dirs(tp);
	if (rc < 0 || tp->ndirs == 0)
		goto out;
	dfd = keptdir_open(&tp->sysdir);
	if (dfd < 0) {
		rc = 0; /* listed a moment ago, gone now: no match */
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < tp->ndirs; i++) {
		const char *dir = tp->dirs[i];
		struct time_cs_files *f = time_files(tp, i, dir);
		/* available_clocksource: strings.Fields */
		rc = time_read_attr(f ? &f->available : NULL, dfd, dir,
				    "available_clocksource", buf, sizeof(buf));
		const char *p = buf, *end = buf + strlen(buf), *fld;
		size_t fl;
		while (rc == 0 && go_next_field(&p, end, &fld, &fl))
			rc = time_add(tp, fld, fl, i, 0);
		if (rc < 0)
			break;
		/* current_clocksource: strings.TrimSpace */
		rc = time_read_attr(f ? &f->current : NULL, dfd, dir,
				    "current_clocksource", buf, sizeof(buf));
		if (rc < 0)
			break;
		p = buf;
		end = buf + strlen(buf);
		while (p < end && go_is_space(*p))
			p++;
		while (end > p && go_is_space(end[-1]))
			end--;
		rc = time_add(tp, p, (size_t)(end - p), i, 1);
	}
out:
	keptdir_release(&tp->sysdir);
	return rc;
}

static void time_emit_clock(struct sink *sink)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* float64(now.UnixNano()) / 1e9 */
	double ns = (double)((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	sink_single(sink, "node_time_seconds",
		    "System time in seconds since epoch (1970).", HW_GAUGE,
		    ns / 1e9);
	localtime_r(&ts.tv_sec, &tm);
	const char *zone = tm.tm_zone ? tm.tm_zone : "";
	struct hw_label l[] = {{"time_zone", zone}};
	sink_family(sink, "node_time_zone_offset_seconds",
		    "System time zone offset in seconds.", HW_GAUGE);
	sink_sample(sink, l, 1, (double)tm.tm_gmtoff);
}

static int time_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct time_priv *tp = ctx->priv;
	int rc = time_read_clocksources(tp);
	if (rc < 0) {
		/* node_exporter exports the clock before it fails on sysfs. */
		time_emit_clock(sink);
		goto out;
	}
	if (tp->ncs > 1)
		qsort(tp->cs, tp->ncs, sizeof(*tp->cs), time_cmp_cs);
	for (int cur = 0; cur <= 1; cur++) {
		int begun = 0;
		for (size_t i = 0; i < tp->ncs; i++) {
			if (tp->cs[i].current != cur)
				continue;
			if (!begun++)
				sink_family(sink,
					    cur ? "node_time_clocksource_current_info"
						: "node_time_clocksource_available_info",
					    cur ? "Current clocksource read from '/sys/devices/system/clocksource'."
						: "Available clocksources read from '/sys/devices/system/clocksource'.",
					    HW_GAUGE);
			struct hw_label l[] = {{"clocksource", tp->cs[i].name},
					       {"device", tp->cs[i].dev}};
			sink_sample(sink, l, 2, 1.0);
		}
	}
	time_emit_clock(sink);
out:
	return rc;
}

const struct collector collector_time = {
	.name = "time",
	.enabled_by_default = true,
	.init = time_init,
	.collect = time_collect,
	.fini = time_fini,
};
