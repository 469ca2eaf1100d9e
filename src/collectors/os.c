/* PLACEHOLDER: the os collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int os_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_os = {
	.name = "os",
	.enabled_by_default = true,
	.collect = os_collect,
};
