/* loadavg: node_load1/5/15 from /proc/loadavg, as node_exporter 1.5's
 * collector/loadavg_linux.go: the first three whitespace-separated fields
 * through strconv.ParseFloat; fewer than three fields is an error, anything
 * after them is ignored. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/readfile.h"

#include "goparse.h"

#define LOADAVG_MAX_FILE 4096

static void loadavg_fini(struct hw_ctx *ctx)
{
	struct hw_kept *kf = ctx->priv;
	if (kf)
		kept_fini(kf);
	free(kf);
	ctx->priv = NULL;
}

static int loadavg_init(struct hw_ctx *ctx)
{
	struct hw_kept *kf = calloc(1, sizeof(*kf));
	if (!kf)
		return -ENOMEM;
	ctx->priv = kf;
	/* proc_create_single() in fs/proc/loadavg.c */
	int rc = kept_init(kf, ctx->cfg->procfs, "loadavg", KEPT_SINGLE);
	if (rc < 0)
		loadavg_fini(ctx);
	return rc;
}

static int loadavg_collect(struct hw_ctx *ctx, struct sink *sink)
{
	double load[3];
	int rc = kept_read_text(ctx->priv, &ctx->buf, LOADAVG_MAX_FILE);
	if (rc < 0)
		goto out;
	const char *p = ctx->buf.data, *end = p + ctx->buf.len;
	for (int i = 0; i < 3; i++) {
		const char *f;
		size_t n;
		if (!go_next_field(&p, end, &f, &n)) {
			rc = -EINVAL;
			goto out;
		}
		rc = go_parse_float(f, n, &load[i]);
		if (rc < 0)
			goto out;
	}
	/* Sorted by name, as node_exporter's registry prints them. */
	sink_single(sink, "node_load1", "1m load average.", HW_GAUGE, load[0]);
	sink_single(sink, "node_load15", "15m load average.", HW_GAUGE,
		    load[2]);
	sink_single(sink, "node_load5", "5m load average.", HW_GAUGE, load[1]);
out:
	return rc;
}

const struct collector collector_loadavg = {
	.name = "loadavg",
	.enabled_by_default = true,
	.init = loadavg_init,
	.collect = loadavg_collect,
	.fini = loadavg_fini,
};
