/* The one shape every data source has (collectd's plugin idea, node_exporter's
 * Collector interface): a name as used in --collector.NAME, whether it is on
 * by default, and a collect function that writes into a sink.
 *
 * collect() returns 0, or -errno when its source is missing, truncated or
 * malformed: the scrape then reports node_scrape_collector_success 0 for it
 * and goes on with the others. A collector must never exit or abort. */
#ifndef HOSTWATCH_COLLECTOR_H
#define HOSTWATCH_COLLECTOR_H

#include <stdbool.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/sink.h"

struct hw_ctx {
	const struct hw_config *cfg; /* paths and this collector's options */
	void *priv;                  /* the collector's own state, from init */
	struct hw_buf buf;           /* read buffer, reused across scrapes */
};

struct collector {
	const char *name;
	bool enabled_by_default;
	/* Optional. Compile options, allocate state into ctx->priv. A bad option
	 * returns -EINVAL after logging which one and why. */
	int (*init)(struct hw_ctx *ctx);
	int (*collect)(struct hw_ctx *ctx, struct sink *sink);
	/* Optional. Release ctx->priv. */
	void (*fini)(struct hw_ctx *ctx);
};

/* The table of all collectors, in registry.c: adding a collector is one line
 * there. Sorted by name, which is also the order of their output. */
extern const struct collector *const hw_collectors[];
extern const unsigned hw_collectors_count;

/* Index of the collector called `name` in hw_collectors, or -1. */
int collector_index(const char *name);

#endif
