/* The rule manager: evaluates groups of recording and alerting rules over
 * the store, with Prometheus 2.42's semantics (rules/manager.go,
 * rules/recording.go, rules/alerting.go).
 *
 *  - A group evaluates its rules in order at time t; every rule's output
 *    (a recording rule's vector, an alerting rule's ALERTS and
 *    ALERTS_FOR_STATE series) is appended to the store at t under the
 *    rule's own store source, so later rules of the group and later
 *    evaluations see it, and series that a rule stops producing get a
 *    stale marker (Group.Eval's seriesInPreviousEval).
 *  - A rule whose query fails keeps its previous state and output: health
 *    becomes bad with the error, nothing is appended, nothing goes stale.
 *  - Alerts: one instance per label set (series labels minus __name__,
 *    templated rule labels, alertname); inactive -> pending -> firing ->
 *    inactive (resolved), `for`, `keep_firing_for`, resolved instances kept
 *    RULES_RESOLVED_RETENTION_MS for notifications.
 *  - hostwatch extension (rule_def.clear_ast): a FIRING instance is only
 *    resolved once `clear` returns a sample whose labels (minus __name__)
 *    are the instance's series labels; until then it keeps firing, with the
 *    value and annotations of its last active evaluation. keep_firing_for
 *    then counts from the first evaluation at which `clear` matched.
 *
 * Not thread-safe: like the store, the manager runs on one thread; the
 * HTTP side reads it through rules_foreach_* under the caller's lock. */
#ifndef HOSTWATCH_RULES_H
#define HOSTWATCH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/labels.h"
#include "hostwatch/ruledef.h"
#include "hostwatch/sink.h"
#include "hostwatch/store.h"

/* rules/alerting.go resolvedRetention. */
#define RULES_RESOLVED_RETENTION_MS (15 * 60 * 1000)
/* "Not set" for every timestamp below (Go's zero time.Time): 0 is a valid
 * time (test-rules starts its clock at the epoch). */
#define RULES_TIME_UNSET INT64_MIN

enum rules_alert_state {
	RULES_INACTIVE,
	RULES_PENDING,
	RULES_FIRING,
};

enum rules_health {
	RULES_HEALTH_UNKNOWN,
	RULES_HEALTH_GOOD,
	RULES_HEALTH_BAD,
};

/* One alert instance (rules.Alert). Times in ms since the epoch. */
struct rules_alert {
	struct hw_labels *labels; /* alertname, rule labels, series labels */
	struct hw_labels *series; /* the expr sample's labels minus __name__ */
	struct rule_kv *annotations; /* expanded; sorted by key */
	size_t nannotations;
	enum rules_alert_state state;
	double value;
	int64_t active_at;
	int64_t fired_at;
	int64_t resolved_at;
	int64_t last_sent_at;
	int64_t valid_until;
	int64_t keep_firing_since;
};

/* A rule as /api/v1/rules shows it. */
struct rules_rule_info {
	const struct rule_def *def;
	const struct rule_group_def *group;
	enum rules_health health;
	const char *last_error; /* "" when none */
	int64_t last_eval;	/* ms; RULES_TIME_UNSET before the first */
	double eval_seconds;	/* duration of the last evaluation */
	enum rules_alert_state state; /* alerts: highest state of instances */
};

/* Called for every state change of an instance: INACTIVE -> PENDING (new),
 * PENDING -> FIRING, PENDING -> INACTIVE (vanished before firing), FIRING
 * -> INACTIVE (resolved). Not called for restored instances. The pointers
 * are only valid during the call. */
typedef void (*rules_notify_fn)(void *ctx, const struct rules_rule_info *rule,
				const struct rules_alert *a,
				enum rules_alert_state from,
				enum rules_alert_state to);

struct rules_config {
	struct hw_store *store;
	/* Store sources the manager may use: one per rule, from source_base
	 * up (0 is the collectors'). */
	unsigned source_base;
	int64_t lookback_ms;	     /* 0: EVAL_LOOKBACK_MS */
	int64_t default_interval_ms; /* for groups without interval; 0: 1m */
	rules_notify_fn notify;	     /* may be NULL */
	void *notify_ctx;
	/* How far the wall clock is from the evaluation times (clock.h's
	 * clock_wall_offset_ms), for what PromQL sees of the wall clock:
	 * time() and ALERTS_FOR_STATE. NULL: evaluation times are wall
	 * times (the rule unit tests). */
	int64_t (*wall_offset_ms)(void);
};

struct rules_manager;

/* A manager for the rules of `set`, which it takes over (*set is emptied;
 * rules_free frees it). 0 and *out; -ENOMEM. No evaluation happens here;
 * the store is not told about selectors (rules_watch). */
int rules_new(struct rules_manager **out, struct rule_set_def *set,
	      const struct rules_config *cfg);
/* Free the manager, its rule definitions and alert instances. The
 * series it wrote stay in the store. NULL is fine. */
void rules_free(struct rules_manager *m);

/* Point the manager at another store (a reload that keeps the old store
 * and its history: engine_adopt); call before rules_watch and
 * rules_carry_over. */
void rules_set_store(struct rules_manager *m, struct hw_store *st);

/* Register every selector of every rule (expr and clear) with the store,
 * so that store_append keeps the series rules query. After a reload call
 * store_unwatch_all() first, then this on the new manager. */
int rules_watch(struct rules_manager *m);

/* Carry state over from the manager being replaced (SIGHUP reload): a rule
 * of `to` whose group name, rule name, kind, expr, clear, for,
 * keep_firing_for, labels and annotations equal an unused rule of `from`
 * takes over its alert instances, output, health and store source (so
 * staleness continues); the series of rules of `from` that found no
 * successor are marked stale at `to`'s next evaluation
 * (Group.CopyState and staleSeries). Call before `to` evaluates anything;
 * `from` must then be freed without evaluating again. */
void rules_carry_over(struct rules_manager *to, struct rules_manager *from);

size_t rules_group_count(const struct rules_manager *m);
const struct rule_group_def *rules_group(const struct rules_manager *m,
					 size_t i);
/* The group's interval (its own, or the default). */
int64_t rules_group_interval(const struct rules_manager *m, size_t i);

/* Evaluate group i at t (ms): every rule in order. Returns 0, or the
 * first rule error (-EINVAL, message in the rule's last_error; the other
 * rules were still evaluated); -ENOMEM. */
int rules_eval_group(struct rules_manager *m, size_t i, int64_t t);
/* Evaluate every group whose next evaluation time is <= now (the first
 * evaluation of a group is due at once), at now. Returns the time of the
 * next due evaluation in *next (ms). */
int rules_eval_due(struct rules_manager *m, int64_t now, int64_t *next);

/* Iterate rules (group order, then rule order) and alert instances (of
 * every alerting rule, resolved ones included; check state and
 * resolved_at). Stop when fn returns non-zero, and return that. */
typedef int (*rules_rule_fn)(const struct rules_rule_info *rule, void *ctx);
typedef int (*rules_alert_fn)(const struct rules_rule_info *rule,
			      const struct rules_alert *a, void *ctx);
int rules_foreach_rule(const struct rules_manager *m, rules_rule_fn fn,
		       void *ctx);
int rules_foreach_alert(const struct rules_manager *m, rules_alert_fn fn,
			void *ctx);

/* Prometheus's sendAlerts for every alerting rule: each instance that is
 * firing or resolved and was not sent since (resolved after its last
 * send, or last sent more than resend_delay_ms ago) gets last_sent_at = t
 * and valid_until = t + 4 * max(resend_delay, group interval), and is
 * passed to fn. */
int rules_send_alerts(struct rules_manager *m, int64_t t,
		      int64_t resend_delay_ms, rules_alert_fn fn, void *ctx);

/* Write the last output of every rule (recorded series, ALERTS,
 * ALERTS_FOR_STATE) to a sink, family by family (each name once, sorted),
 * labels sorted. */
void rules_write(const struct rules_manager *m, struct sink *s);

/* Save every alert instance to `path` (JSON, written to path.tmp then
 * renamed): group, rule, expr, labels, series labels, annotations, state,
 * value and times. 0 or -errno. */
int rules_save(const struct rules_manager *m, const char *path);
/* Restore instances saved by rules_save into the rules with the same group
 * name, rule name and expr; others are dropped, as are resolved instances
 * older than the retention at `now`. Restored instances keep their state
 * and times, so a firing alert already sent is not announced again and a
 * pending one keeps counting its `for` from its activation. -ENOENT when
 * there is no file; -EINVAL (message in err) for a malformed one. */
int rules_restore(struct rules_manager *m, const char *path, int64_t now,
		  char *err, size_t errsize);

const char *rules_state_name(enum rules_alert_state s); /* "inactive"... */
const char *rules_health_name(enum rules_health h); /* "ok", "err", "unknown" */

#endif
