/* Scrape orchestration: see include/hostwatch/scrape.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "hostwatch/log.h"
#include "hostwatch/scrape.h"

#ifndef HW_REVISION
#define HW_REVISION "unknown"
#endif

int scraper_init(struct hw_scraper *s, const struct hw_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		struct hw_instance *in = &s->inst[i];
		in->collector = hw_collectors[i];
		in->ctx.cfg = cfg;
		pthread_mutex_init(&in->lock, NULL);
		if (!cfg->enabled[i])
			continue;
		int rc = in->collector->init ? in->collector->init(&in->ctx) : 0;
		if (rc < 0) {
			log_error("collector %s: initialisation failed: %s",
				  in->collector->name, strerror(-rc));
			/* Undo what we did so far, this one included. */
			pthread_mutex_destroy(&in->lock);
			buf_free(&in->ctx.buf);
			for (unsigned j = 0; j < i; j++) {
				struct hw_instance *o = &s->inst[j];
				if (o->active && o->collector->fini)
					o->collector->fini(&o->ctx);
				buf_free(&o->ctx.buf);
				pthread_mutex_destroy(&o->lock);
			}
			memset(s, 0, sizeof(*s));
			return -EINVAL;
		}
		in->active = true;
	}
	return 0;
}

void scraper_fini(struct hw_scraper *s)
{
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		struct hw_instance *in = &s->inst[i];
		if (!in->collector)
			continue;
		if (in->active && in->collector->fini)
			in->collector->fini(&in->ctx);
		buf_free(&in->ctx.buf);
		pthread_mutex_destroy(&in->lock);
	}
	memset(s, 0, sizeof(*s));
}

int scraper_lookup(const struct hw_scraper *s, const char *name,
		   unsigned *index)
{
	int i = collector_index(name);
	if (i < 0)
		return -ENOENT;
	if (!s->inst[i].active)
		return -EPERM;
	*index = (unsigned)i;
	return 0;
}

static double elapsed_seconds(const struct timespec *a,
			      const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void scraper_run(struct hw_scraper *s, const bool *only, struct sink *sink)
{
	double duration[HW_MAX_COLLECTORS];
	bool ran[HW_MAX_COLLECTORS] = {false};
	bool ok[HW_MAX_COLLECTORS] = {false};

	for (unsigned i = 0; i < hw_collectors_count; i++) {
		struct hw_instance *in = &s->inst[i];
		if (!in->active || (only && !only[i]))
			continue;
		struct timespec t0, t1;
		pthread_mutex_lock(&in->lock);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = in->collector->collect(&in->ctx, sink);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_unlock(&in->lock);
		duration[i] = elapsed_seconds(&t0, &t1);
		ran[i] = true;
		ok[i] = rc == 0;
		/* node_exporter logs a failed collector at error level on every
		 * scrape; a vanished file on a busy host is not worth a line
		 * per scrape at info, so it is debug here and visible in
		 * node_scrape_collector_success. */
		if (rc < 0)
			log_debug("collector %s failed: %s",
				  in->collector->name, strerror(-rc));
	}

	/* Help texts as node_exporter's collector.go has them. */
	sink_family(sink, "node_scrape_collector_duration_seconds",
		    "node_exporter: Duration of a collector scrape.", HW_GAUGE);
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		if (!ran[i])
			continue;
		struct hw_label l = {"collector", hw_collectors[i]->name};
		sink_sample(sink, &l, 1, duration[i]);
	}
	sink_family(sink, "node_scrape_collector_success",
		    "node_exporter: Whether a collector succeeded.", HW_GAUGE);
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		if (!ran[i])
			continue;
		struct hw_label l = {"collector", hw_collectors[i]->name};
		sink_sample(sink, &l, 1, ok[i] ? 1 : 0);
	}

	if (selfstats_collect(sink) < 0)
		log_debug("process metrics unavailable");

	static const struct hw_label build[] = {
		{"revision", HW_REVISION},
		{"version", PACKAGE_VERSION},
	};
	sink_family(sink, "hostwatch_build_info",
		    "A metric with a constant '1' value labeled by version and "
		    "revision from which hostwatch was built.",
		    HW_GAUGE);
	sink_sample(sink, build, 2, 1);
}
