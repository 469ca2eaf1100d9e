/* time: the system clock, the local time zone and the clocksources, as
 * node_exporter 1.5's collector/time.go and time_linux.go with procfs
 * sysfs/clocksource.go. The device label is the position of the
 * clocksourceN directory in sorted name order (filepath.Glob), not N. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
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

struct time_priv {
	char (*dirs)[TIME_NAME_LEN];
	size_t ndirs, dirs_cap;
	struct time_cs *cs;
	size_t ncs, cs_cap;
};

static int time_init(struct hw_ctx *ctx)
{
	ctx->priv = calloc(1, sizeof(struct time_priv));
	return ctx->priv ? 0 : -ENOMEM;
}

static void time_fini(struct hw_ctx *ctx)
{
	struct time_priv *tp = ctx->priv;
	if (tp) {
		free(tp->dirs);
		free(tp->cs);
	}
	free(tp);
	ctx->priv = NULL;
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

static int time_list_dirs(struct time_priv *tp, const char *base)
{
	tp->ndirs = 0;
	DIR *d = opendir(base);
	if (!d)
		return 0; /* Glob: no match, no error */
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, "clocksource", 11) != 0 || n[11] < '0' ||
		    n[11] > '9')
			continue;
		if (strlen(n) >= TIME_NAME_LEN) {
			rc = -ENAMETOOLONG;
			break;
		}
		if (tp->ndirs == tp->dirs_cap) {
			size_t cap = tp->dirs_cap ? tp->dirs_cap * 2 : 8;
			void *p = realloc(tp->dirs, cap * sizeof(*tp->dirs));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			tp->dirs = p;
			tp->dirs_cap = cap;
		}
		strcpy(tp->dirs[tp->ndirs++], n);
	}
	closedir(d);
	qsort(tp->dirs, tp->ndirs, sizeof(*tp->dirs), time_cmp_dir);
	return rc;
}

static int time_read_clocksources(struct time_priv *tp, const char *sysfs)
{
	char base[PATH_MAX], path[PATH_MAX], buf[TIME_FILE_LEN];
	tp->ncs = 0;
	int rc = path_join(base, sizeof(base), sysfs,
			   "devices/system/clocksource");
	if (rc == 0)
		rc = time_list_dirs(tp, base);
	for (size_t i = 0; rc == 0 && i < tp->ndirs; i++) {
		/* available_clocksource: strings.Fields */
		if (snprintf(path, sizeof(path), "%s/%s/available_clocksource",
			     base, tp->dirs[i]) >= (int)sizeof(path)) {
			rc = -ENAMETOOLONG;
			break;
		}
		rc = readfile_small(AT_FDCWD, path, buf, sizeof(buf));
		const char *p = buf, *end = buf + strlen(buf), *f;
		size_t fl;
		while (rc == 0 && go_next_field(&p, end, &f, &fl))
			rc = time_add(tp, f, fl, i, 0);
		if (rc < 0)
			break;
		/* current_clocksource: strings.TrimSpace */
		if (snprintf(path, sizeof(path), "%s/%s/current_clocksource",
			     base, tp->dirs[i]) >= (int)sizeof(path)) {
			rc = -ENAMETOOLONG;
			break;
		}
		rc = readfile_small(AT_FDCWD, path, buf, sizeof(buf));
		if (rc < 0)
			break;
		p = buf;
		end = buf + strlen(buf);
		while (p < end && strchr(" \t\n\r\v\f", *p))
			p++;
		while (end > p && strchr(" \t\n\r\v\f", end[-1]))
			end--;
		rc = time_add(tp, p, (size_t)(end - p), i, 1);
	}
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
	int rc = time_read_clocksources(tp, ctx->cfg->sysfs);
	if (rc < 0) {
		/* node_exporter exports the clock before it fails on sysfs. */
		time_emit_clock(sink);
		goto out;
	}
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
