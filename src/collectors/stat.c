/* PLACEHOLDER: the stat collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int stat_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_stat = {
	.name = "stat",
	.enabled_by_default = true,
	.collect = stat_collect,
};
