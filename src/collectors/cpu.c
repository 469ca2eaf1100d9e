/* PLACEHOLDER: the cpu collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int cpu_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_cpu = {
	.name = "cpu",
	.enabled_by_default = true,
	.collect = cpu_collect,
};
