/* The rule engine's life in the daemon: engine.h says what; this file is
 * the schedule, the sampling, the state file and the /metrics part. The
 * JSON API is engine_api.c. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hostwatch/engine.h"
#include "hostwatch/notify.h"
#include "hostwatch/clock.h"
#include "hostwatch/eval.h"
#include "hostwatch/log.h"
#include "hostwatch/store.h"

#include "engine_internal.h"

#define ENGINE_SELECTORS_MAX 256

static double mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The longest range any selector of the rules reaches back: a range
 * selector's range, an instant selector's lookback. */
static int64_t rules_window_ms(const struct rule_set_def *set)
{
	int64_t window = EVAL_LOOKBACK_MS;
	const struct promql_node *sel[ENGINE_SELECTORS_MAX];
	for (size_t g = 0; g < set->n; g++) {
		const struct rule_group_def *gd = &set->groups[g];
		for (size_t r = 0; r < gd->n; r++) {
			const struct promql_node *exprs[2] = {
				gd->rules[r].ast, gd->rules[r].clear_ast};
			for (int k = 0; k < 2; k++) {
				if (!exprs[k])
					continue;
				size_t n = promql_selectors(exprs[k], sel,
							    ENGINE_SELECTORS_MAX);
				if (n > ENGINE_SELECTORS_MAX)
					n = ENGINE_SELECTORS_MAX;
				for (size_t i = 0; i < n; i++)
					if (sel[i]->u.sel.range_ms > window)
						window = sel[i]->u.sel.range_ms;
			}
		}
	}
	return window;
}

/* State changes: remember to save, log, and pass on to notifications. */
static void engine_on_change(void *ctx, const struct rules_rule_info *rule,
			     const struct rules_alert *a,
			     enum rules_alert_state from,
			     enum rules_alert_state to)
{
	struct hw_engine *e = ctx;
	e->dirty = true;
	if (to == RULES_FIRING || from == RULES_FIRING) {
		struct hw_buf b = HW_BUF_INIT;
		labels_format(a->labels, &b);
		log_info("alert %s %s: %s (value %g)", rule->def->name,
			 to == RULES_FIRING ? "firing" : "resolved",
			 b.failed ? "?" : buf_cstr(&b), a->value);
		buf_free(&b);
	}
	if (e->notify)
		e->notify(e->notify_ctx, rule, a, from, to);
}

int engine_new(struct hw_engine **out, struct hw_config *cfg)
{
	*out = NULL;
	size_t nrules = 0;
	for (size_t g = 0; g < cfg->rules.n; g++)
		nrules += cfg->rules.groups[g].n;
	if (!nrules)
		return 0;
	struct hw_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	e->interval_ms = (int64_t)(cfg->rules_interval * 1000 + 0.5);
	e->max_series = cfg->rules_max_series;
	if (cfg->state_dir &&
	    asprintf(&e->state_path, "%s/alerts.json", cfg->state_dir) < 0) {
		e->state_path = NULL;
		goto nomem;
	}
	for (size_t g = 0; g < cfg->rules.n; g++) {
		int64_t iv = cfg->rules.groups[g].interval_ms;
		if (iv > 0 && iv < e->interval_ms)
			e->interval_ms = iv;
	}
	e->window_ms = rules_window_ms(&cfg->rules);
	/* every sample of the window, the one just before it, and the
	 * newest: the ring never drops what a query can still reach */
	e->ring = (size_t)((e->window_ms + e->interval_ms - 1) / e->interval_ms) +
		  2;
	struct store_config sc = {
		.max_series = e->max_series,
		.ring = e->ring,
		.retention_ms = e->window_ms + 2 * e->interval_ms,
	};
	if (!(e->store = store_new(&sc)))
		goto nomem;
	struct rules_config rc = {
		.store = e->store,
		.source_base = 1,
		.default_interval_ms = (int64_t)(cfg->rules_interval * 1000 + 0.5),
		.notify = engine_on_change,
		.notify_ctx = e,
		.wall_offset_ms = clock_wall_offset_ms,
	};
	if (rules_new(&e->rules, &cfg->rules, &rc) < 0)
		goto nomem;
	if (rules_watch(e->rules) < 0)
		goto nomem;
	*out = e;
	return 0;
nomem:
	engine_free(e);
	return -ENOMEM;
}

static void engine_save(struct hw_engine *e)
{
	if (!e->state_path || !e->rules)
		return;
	int rc = rules_save(e->rules, e->state_path);
	if (rc < 0) {
		if (!e->warned_state)
			log_warn("alert states cannot be saved to %s: %s (they "
				 "will not survive a restart)",
				 e->state_path, strerror(-rc));
		e->warned_state = true;
		return;
	}
	e->warned_state = false;
	e->dirty = false;
}

void engine_free(struct hw_engine *e)
{
	if (!e)
		return;
	if (e->rules && e->ticked)
		engine_save(e);
	rules_free(e->rules);
	store_free(e->store);
	free(e->state_path);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

void engine_restore(struct hw_engine *e, int64_t now_ms)
{
	if (!e || !e->state_path)
		return;
	char err[512];
	pthread_mutex_lock(&e->lock);
	int rc = rules_restore(e->rules, e->state_path, now_ms, err,
			       sizeof(err));
	pthread_mutex_unlock(&e->lock);
	if (rc == -EINVAL)
		log_warn("alert states in %s not restored: %s", e->state_path,
			 err);
	else if (rc < 0 && rc != -ENOENT)
		log_warn("alert states in %s not restored: %s", e->state_path,
			 strerror(-rc));
	else if (rc == 0)
		log_info("alert states restored from %s", e->state_path);
}

void engine_adopt(struct hw_engine *to, struct hw_engine *from)
{
	if (!to || !from)
		return;
	pthread_mutex_lock(&to->lock);
	pthread_mutex_lock(&from->lock);
	/* The history stays when the old rings hold the new window and the
	 * interval is the same; otherwise it starts again (said in the log,
	 * as rates then need a window to come back). */
	if (from->ring >= to->ring && from->interval_ms == to->interval_ms &&
	    from->max_series == to->max_series) {
		store_free(to->store);
		to->store = from->store;
		from->store = NULL;
		to->ring = from->ring;
		rules_set_store(to->rules, to->store);
		store_unwatch_all(to->store);
		rules_watch(to->rules);
	} else {
		log_info("rules: the sampling interval or the longest range "
			 "changed: the rules' history starts again");
	}
	rules_carry_over(to->rules, from->rules);
	to->ticks = from->ticks;
	to->failures = from->failures;
	to->ticked = from->ticked;
	from->ticked = false; /* its states now belong to `to` */
	pthread_mutex_unlock(&from->lock);
	pthread_mutex_unlock(&to->lock);
}

void engine_set_notify(struct hw_engine *e, rules_notify_fn fn, void *ctx)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->notify = fn;
	e->notify_ctx = ctx;
	pthread_mutex_unlock(&e->lock);
}

void engine_set_notifier(struct hw_engine *e, struct hw_notifier *n,
			 int64_t resend_delay_ms)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->notifier = n;
	e->resend_delay_ms = resend_delay_ms;
	pthread_mutex_unlock(&e->lock);
}

int64_t engine_interval_ms(const struct hw_engine *e)
{
	return e ? e->interval_ms : 0;
}

static int count_bad(const struct rules_rule_info *r, void *ctx)
{
	if (r->health == RULES_HEALTH_BAD && r->last_eval == *(int64_t *)ctx)
		return 1;
	return 0;
}

void engine_tick(struct hw_engine *e, struct hw_scraper *s, int64_t now_ms)
{
	if (!e)
		return;
	/* Sampling needs no lock: only this thread touches the store (HTTP
	 * threads read the manager and the stats copied below), so a scrape
	 * never waits for the collectors run here. */
	double t0 = mono_seconds();
	struct store_sink ss;
	store_round_begin(e->store, 0, now_ms);
	store_sink_init(&ss, e->store, now_ms);
	scraper_run(s, NULL, &ss.sink);
	store_round_end(e->store, 0, now_ms);
	pthread_mutex_lock(&e->lock);
	int64_t next;
	int rc = rules_eval_due(e->rules, now_ms, &next);
	if (rc == -ENOMEM)
		log_error("rules: out of memory during evaluation");
	if (rc < 0 && rules_foreach_rule(e->rules, count_bad, &now_ms))
		e->failures++;
	if (e->notifier) {
		rules_send_alerts(e->rules, now_ms, e->resend_delay_ms,
				  notifier_collect, e->notifier);
		notifier_commit(e->notifier);
	}
	store_gc(e->store, now_ms);
	store_stats(e->store, &e->stats);
	e->ticks++;
	e->ticked = true;
	e->last_tick_seconds = mono_seconds() - t0;
	if (e->dirty)
		engine_save(e);
	pthread_mutex_unlock(&e->lock);
}

void engine_write_metrics(struct hw_engine *e, struct sink *sink)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	rules_write(e->rules, sink);
	const struct store_stats st = e->stats;
	sink_single(sink, "hostwatch_rule_evaluation_failures_total",
		    "Ticks at which at least one rule failed to evaluate.",
		    HW_COUNTER, (double)e->failures);
	sink_single(sink, "hostwatch_rule_evaluations_total",
		    "Ticks of the rule engine: sampling, then the due groups.",
		    HW_COUNTER, (double)e->ticks);
	sink_single(sink, "hostwatch_rule_last_tick_duration_seconds",
		    "Wall-clock seconds the last tick took (sampling and "
		    "evaluation).",
		    HW_GAUGE,
		    e->last_tick_seconds);
	sink_single(sink, "hostwatch_rule_samples",
		    "Samples held for rules in the series' rings.", HW_GAUGE,
		    (double)st.samples);
	sink_single(sink, "hostwatch_rule_series",
		    "Series held for rules.", HW_GAUGE, (double)st.series);
	sink_single(sink, "hostwatch_rule_series_dropped_total",
		    "Samples of new series refused because the store was at "
		    "[rules] max_series.",
		    HW_COUNTER, (double)st.dropped);
	sink_single(sink, "hostwatch_rule_series_limit",
		    "[rules] max_series: the store's cap.", HW_GAUGE,
		    (double)e->max_series);
	pthread_mutex_unlock(&e->lock);
}
