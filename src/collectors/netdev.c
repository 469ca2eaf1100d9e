/* PLACEHOLDER: the netdev collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int netdev_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_netdev = {
	.name = "netdev",
	.enabled_by_default = true,
	.collect = netdev_collect,
};
