/* The rule engine in the daemon: the store, the rule manager and their
 * schedule, tied to the collectors and to the HTTP side.
 *
 * Every evaluation interval the main thread calls engine_tick(): the
 * collectors run into the store (store_sink: only series some rule selects
 * are kept), then every due group is evaluated. HTTP threads read the
 * results (recorded series and ALERTS on /metrics, /api/v1/alerts,
 * /api/v1/rules) under the engine's lock, which a tick holds only while it
 * evaluates (the collectors run outside it: only the main thread touches
 * the store) and nothing holds across I/O to a client.
 *
 * Alert states are saved to STATE_DIR/alerts.json whenever an instance
 * changes state, and at exit; a new engine restores them, so that a firing
 * alert survives a restart without being announced again. A SIGHUP reload
 * builds a new engine and hands it the old one's store (its history) and
 * the state of every rule that did not change (engine_adopt). */
#ifndef HOSTWATCH_ENGINE_H
#define HOSTWATCH_ENGINE_H

#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/rules.h"
#include "hostwatch/scrape.h"
#include "hostwatch/sink.h"

struct hw_engine;

/* An engine for cfg's rules (cfg->rules is taken over and emptied). NULL
 * in *out, and 0, when there are no rules: nothing is sampled then. */
int engine_new(struct hw_engine **out, struct hw_config *cfg);
/* Save the states and free everything. NULL is fine. */
void engine_free(struct hw_engine *e);

/* Restore the states saved by a previous run (log on a bad file). */
void engine_restore(struct hw_engine *e, int64_t now_ms);

/* SIGHUP: `to` (not yet ticked) takes `from`'s store when its rings are
 * long enough for `to`'s rules, and the state of unchanged rules. `from`
 * must no longer be read by anyone. Either may be NULL. */
void engine_adopt(struct hw_engine *to, struct hw_engine *from);

/* Called on every state change (tests; the log line is the engine's). */
void engine_set_notify(struct hw_engine *e, rules_notify_fn fn, void *ctx);

struct hw_notifier;
/* Where alerts go: after every tick's evaluation, Prometheus's sendAlerts
 * (rules_send_alerts with resend_delay_ms) hands the notifier every alert
 * that is due. NULL: nowhere. */
void engine_set_notifier(struct hw_engine *e, struct hw_notifier *n,
			 int64_t resend_delay_ms);

/* Milliseconds between ticks (the shortest group interval). */
int64_t engine_interval_ms(const struct hw_engine *e);
/* Sample the collectors of `s` and evaluate the due groups at now_ms. */
void engine_tick(struct hw_engine *e, struct hw_scraper *s, int64_t now_ms);

/* /metrics: recorded series, ALERTS, ALERTS_FOR_STATE and the engine's
 * own hostwatch_rule_* metrics. */
void engine_write_metrics(struct hw_engine *e, struct sink *sink);

/* GET /api/v1/alerts and /api/v1/rules in the shapes of Prometheus's HTTP
 * API (web/api/v1/api.go). `type` filters rules as Prometheus's ?type=
 * does ("alert", "record", or NULL). 0, or -ENOMEM. */
int engine_api_alerts(struct hw_engine *e, struct hw_buf *out);
int engine_api_rules(struct hw_engine *e, const char *type,
		     struct hw_buf *out);

#endif
