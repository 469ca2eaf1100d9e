/* PLACEHOLDER: the time collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int time_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_time = {
	.name = "time",
	.enabled_by_default = true,
	.collect = time_collect,
};
