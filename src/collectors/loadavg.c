/* PLACEHOLDER: the loadavg collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int loadavg_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_loadavg = {
	.name = "loadavg",
	.enabled_by_default = true,
	.collect = loadavg_collect,
};
