/* PLACEHOLDER: the pressure collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int pressure_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_pressure = {
	.name = "pressure",
	.enabled_by_default = true,
	.collect = pressure_collect,
};
