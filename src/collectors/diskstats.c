/* PLACEHOLDER: the diskstats collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int diskstats_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_diskstats = {
	.name = "diskstats",
	.enabled_by_default = true,
	.collect = diskstats_collect,
};
