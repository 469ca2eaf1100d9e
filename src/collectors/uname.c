/* PLACEHOLDER: the uname collector is being written. */
#include "config.h"

#include <errno.h>

#include "hostwatch/collector.h"

static int uname_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	(void)sink;
	return -ENOSYS;
}

const struct collector collector_uname = {
	.name = "uname",
	.enabled_by_default = true,
	.collect = uname_collect,
};
