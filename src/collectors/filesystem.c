/* PLACEHOLDER: the filesystem collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int filesystem_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_filesystem = {
	.name = "filesystem",
	.enabled_by_default = true,
	.collect = filesystem_collect,
};
