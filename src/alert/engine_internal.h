/* Shared by engine.c and engine_api.c only. */
#ifndef HOSTWATCH_ENGINE_INTERNAL_H
#define HOSTWATCH_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hostwatch/engine.h"
#include "hostwatch/rules.h"
#include "hostwatch/store.h"

struct hw_engine {
	pthread_mutex_t lock; /* over everything below but the store, which
			       * only the main thread touches */
	struct hw_store *store;
	struct rules_manager *rules;
	int64_t interval_ms; /* between ticks */
	int64_t window_ms;   /* the longest range (or lookback) of a rule */
	size_t ring;         /* samples per series */
	size_t max_series;
	char *state_path; /* STATE_DIR/alerts.json */
	bool dirty;       /* an instance changed state since the last save */
	bool warned_state;
	bool ticked; /* evaluated at least once: its states are worth saving */
	rules_notify_fn notify;
	void *notify_ctx;
	struct hw_notifier *notifier; /* alerts are sent here after each tick */
	int64_t resend_delay_ms;
	struct store_stats stats; /* the store's, as of the last tick */
	uint64_t ticks, failures;
	double last_tick_seconds;
};

#endif
