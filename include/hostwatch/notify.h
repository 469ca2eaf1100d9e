/* Notifications: what the rule engine's alerts become on their way to the
 * journal, webhooks and email.
 *
 * Data flow (one notifier thread; src/notify/):
 *
 *   engine tick (main thread)
 *     rules_send_alerts(), Prometheus's resend logic  -> notifier_collect()
 *   notifier thread (notifier.c)
 *     dispatch.c   routes each alert to channels, groups them as
 *                  Alertmanager's aggregation groups do (group_by,
 *                  group_wait, group_interval, repeat_interval,
 *                  send_resolved) and keeps a notification log (what was
 *                  sent, saved in the state directory) against duplicates
 *     journal.c    one entry per alert transition and repeat (native
 *                  protocol, never blocking; stderr when journald is away)
 *     body.c ...   the body of one notification in the channel's format
 *     spool.c      written and fsync'd before any attempt; removed on 2xx
 *     deliver.c    libcurl multi: retries, backoff, Retry-After, signatures
 *
 * This header holds the types the pieces share, and the notifier's public
 * interface for main.c and the engine. */
#ifndef HOSTWATCH_NOTIFY_H
#define HOSTWATCH_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/labels.h"
#include "hostwatch/ruledef.h"
#include "hostwatch/rules.h"
#include "hostwatch/sink.h"

/* One alert as sent (Prometheus's notifier.Alert, plus what the journal
 * shows). Times in ms since the epoch. */
struct notify_alert {
	struct hw_labels *labels; /* alertname, rule and series labels and
				   * the external labels; one reference */
	struct rule_kv *annotations; /* sorted by key; owned */
	size_t nannotations;
	int64_t starts_at; /* when it fired (FiredAt) */
	int64_t ends_at;   /* resolved_at once resolved; until then
			    * valid_until (Prometheus's EndsAt) */
	bool resolved;
	double value;	   /* the expression's value at the last evaluation */
	char *expr;	   /* the rule's expression */
	char *generator_url; /* external_url + /graph?g0.expr=...; owned */
	uint64_t fingerprint; /* notify_fingerprint(labels) */
};

/* Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint:
 * FNV-1a 64 over sorted names and values, each followed by 0xff); printed
 * as %016" PRIx64 in webhook bodies and the journal's ALERT_FINGERPRINT. */
uint64_t notify_fingerprint(const struct hw_labels *ls);

/* A deep copy; 0 or -ENOMEM. */
int notify_alert_copy(struct notify_alert *dst, const struct notify_alert *src);
void notify_alert_free(struct notify_alert *a); /* its contents */

/* The value of annotation `key`, or NULL. */
const char *notify_annotation(const struct notify_alert *a, const char *key);

/* The threshold an alert's expression compares against: for a top-level
 * comparison (> < >= <= == !=, possibly in parentheses) with a number
 * literal on one side, that number and the operator as written from the
 * value's side ("> 80" for `expr > 80` and for `80 < expr`). false when
 * the expression has no such shape (absent(), and/or/unless...). */
bool notify_threshold(const char *expr, double *threshold, const char **op);

/* Severity as routing and the journal see it: the `severity` label,
 * lower-cased; "" when the alert has none. */
const char *notify_severity(const struct notify_alert *a, char *buf,
			    size_t size);

/* One notification: the alerts of one aggregation group at one flush, as
 * Alertmanager's webhook body describes them. */
struct notify_group {
	const char *receiver;  /* the channel's name */
	const char *group_key; /* Alertmanager's "{}:{alertname=\"X\"}" */
	struct hw_labels *group_labels;
	const struct notify_alert *const *alerts; /* Alertmanager's order
						   * (types.AlertSlice: job,
						   * instance, then labels) */
	size_t nalerts;
	size_t truncated; /* alerts left out for max_alerts */
	bool firing;      /* status: "firing" if any alert fires */
	const char *external_url;
	int64_t now;      /* ms: when the notification was made */
};

/* ---- the notifier (notifier.c) ------------------------------------------ */

struct hw_notifier;

/* Start the notifier for cfg's channels: create STATE_DIR/spool/<channel>,
 * load the notification log, start the thread, which first delivers what
 * the spool holds from before. NULL in *out, and 0, when there is nothing
 * to notify (no channel and the journal off). -errno with the reason
 * logged. */
int notifier_new(struct hw_notifier **out, const struct hw_config *cfg);
/* Stop the thread (in-flight requests are abandoned: they stay in the
 * spool and are sent again, with the same ids, by the next notifier), save
 * the log, free. NULL is fine. */
void notifier_free(struct hw_notifier *n);

/* Hand over alerts (copied); never blocks on I/O. Any thread. */
void notifier_submit(struct hw_notifier *n, const struct notify_alert *alerts,
		     size_t nalerts);

/* The engine's side, on the main thread at every tick: a rules_alert_fn
 * for rules_send_alerts() (ctx: the notifier) that turns each alert into a
 * notify_alert (external labels added where the alert lacks them,
 * Prometheus's generatorURL) and collects it; then notifier_commit() hands
 * the batch over. */
int notifier_collect(const struct rules_rule_info *rule,
		     const struct rules_alert *a, void *ctx);
void notifier_commit(struct hw_notifier *n);

/* hostwatch's own operational events (spool overflow, a receiver
 * rejecting, the journal unreachable) as one journal entry with the
 * operational MESSAGE_ID; priority as syslog's (3 error, 4 warning, 6
 * info). Thread-safe. */
void notifier_event(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* hostwatch_notifications_total{channel,result},
 * hostwatch_notification_queue_length{channel},
 * hostwatch_notification_oldest_seconds{channel}. Thread-safe. */
void notifier_write_metrics(struct hw_notifier *n, struct sink *s);

#endif
