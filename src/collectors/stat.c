/* stat: kernel counters from /proc/stat, as node_exporter 1.5's
 * collector/stat_linux.go (softirq is behind a flag that is off by default
 * there, so it is not exported here; its line is still validated because
 * procfs's Stat() fails on a malformed one). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "hostwatch/collector.h"
#include "hostwatch/readfile.h"

#include "procstat.h"

/* /proc/stat grows with the number of CPUs and IRQs; 16 MiB is far beyond any
 * real machine and still bounds a hostile file. */
#define STAT_MAX_FILE (16u << 20)

struct stat_priv {
	struct procstat st;
	struct hw_kept file; /* <procfs>/stat */
};

static void stat_fini(struct hw_ctx *ctx)
{
	struct stat_priv *sp = ctx->priv;
	if (sp) {
		procstat_free(&sp->st);
		kept_fini(&sp->file);
	}
	free(sp);
	ctx->priv = NULL;
}

static int stat_init(struct hw_ctx *ctx)
{
	struct stat_priv *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	ctx->priv = sp;
	/* single_open_size() in fs/proc/stat.c */
	int rc = kept_init(&sp->file, ctx->cfg->procfs, "stat", KEPT_SINGLE);
	if (rc < 0)
		stat_fini(ctx);
	return rc;
}

static int stat_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct stat_priv *sp = ctx->priv;
	struct procstat *st = &sp->st;
	int rc = kept_read_text(&sp->file, &ctx->buf, STAT_MAX_FILE);
	if (rc < 0)
		goto out;
	rc = procstat_parse(ctx->buf.data, st);
	if (rc < 0)
		goto out;
	/* procfs would publish zeros for absent lines (a boot time of 1970 with
	 * success 1); a /proc/stat without them is broken, and saying so is
	 * what node_scrape_collector_success is for. */
	if ((st->seen & PROCSTAT_SEEN_ALL) != PROCSTAT_SEEN_ALL) {
		rc = -ENODATA;
		goto out;
	}

	sink_single(sink, "node_boot_time_seconds",
		    "Node boot time, in unixtime.", HW_GAUGE,
		    (double)st->boot_time);
	sink_single(sink, "node_context_switches_total",
		    "Total number of context switches.", HW_COUNTER,
		    (double)st->ctxt);
	sink_single(sink, "node_forks_total", "Total number of forks.",
		    HW_COUNTER, (double)st->forks);
	sink_single(sink, "node_intr_total",
		    "Total number of interrupts serviced.", HW_COUNTER,
		    (double)st->intr);
	sink_single(sink, "node_procs_blocked",
		    "Number of processes blocked waiting for I/O to complete.",
		    HW_GAUGE, (double)st->blocked);
	sink_single(sink, "node_procs_running",
		    "Number of processes in runnable state.", HW_GAUGE,
		    (double)st->running);
out:
	return rc;
}

const struct collector collector_stat = {
	.name = "stat",
	.enabled_by_default = true,
	.init = stat_init,
	.collect = stat_collect,
	.fini = stat_fini,
};
