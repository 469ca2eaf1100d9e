/* One set of collector instances built from one configuration, and the run of
 * a scrape over them: every selected collector writes into the sink, then
 * node_scrape_collector_duration_seconds / _success, the exporter's own
 * process_* metrics and hostwatch_build_info follow.
 *
 * The HTTP path and (later) the rule path share one scraper; each collector
 * has its own lock, so two scrapes only wait for each other on the collector
 * they both run at that moment, never on the whole response. */
#ifndef HOSTWATCH_SCRAPE_H
#define HOSTWATCH_SCRAPE_H

#include <pthread.h>
#include <stdbool.h>

#include "hostwatch/collector.h"
#include "hostwatch/config.h"
#include "hostwatch/sink.h"

struct hw_instance {
	const struct collector *collector;
	struct hw_ctx ctx;
	pthread_mutex_t lock;
	bool active; /* enabled in the configuration and initialised */
};

struct hw_scraper {
	const struct hw_config *cfg;
	struct hw_instance inst[HW_MAX_COLLECTORS];
};

/* Initialise every collector that cfg enables. -EINVAL when one refuses its
 * options (it has logged why); everything is released again then. */
int scraper_init(struct hw_scraper *s, const struct hw_config *cfg);
void scraper_fini(struct hw_scraper *s);

/* Run a scrape. `only`, when not NULL, selects collectors by index (the
 * collect[] filter); NULL means every active one. */
void scraper_run(struct hw_scraper *s, const bool *only, struct sink *sink);

/* For the collect[] filter: 0 when `name` is an active collector (its index in
 * *index), -ENOENT when no collector has that name, -EPERM when it exists but
 * is disabled. */
int scraper_lookup(const struct hw_scraper *s, const char *name,
		   unsigned *index);

/* process_* metrics of this process, as client_golang's process collector
 * writes them (selfstats.c). Returns 0 or -errno. */
int selfstats_collect(struct sink *sink);

#endif
