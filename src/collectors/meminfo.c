/* PLACEHOLDER: the meminfo collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int meminfo_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_meminfo = {
	.name = "meminfo",
	.enabled_by_default = true,
	.collect = meminfo_collect,
};
