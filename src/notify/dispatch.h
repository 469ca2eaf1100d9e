/* The dispatcher: what becomes a notification, and when (notifier thread).
 *
 * Alerts arrive as Prometheus sends them to Alertmanager (rules_send_alerts:
 * a firing alert at once and then every resend_delay, a resolved one at
 * once and then again until it is forgotten). For each channel the
 * dispatcher does what Alertmanager does with them for one receiver
 * (dispatch/dispatch.go, notify/notify.go):
 *
 *  - routing: the channel's severities and label matchers;
 *  - aggregation groups by group_by: a new group is flushed after
 *    group_wait (at once when its alert started longer than that ago),
 *    then every group_interval;
 *  - the DedupStage's decision against a notification log kept per group
 *    (the firing and resolved fingerprints last notified, and when): a new
 *    firing alert, a resolved one (send_resolved), everything resolved, or
 *    repeat_interval passed; resolved alerts leave the group after a
 *    flush, and an empty group goes;
 *  - alertmanager-api channels get every batch as it comes (Prometheus's
 *    notifier: Alertmanager does the grouping).
 *
 * The journal gets one entry per alert and transition: firing when a
 * fingerprint is first seen firing (or fires again with a new start),
 * resolved once, a repeat every journal_repeat_interval while it fires.
 *
 * The notification log and the journal's record are saved to
 * STATE_DIR/notify.json whenever they change, so that a restart neither
 * repeats nor forgets a notification. */
#ifndef HOSTWATCH_NOTIFY_DISPATCH_H
#define HOSTWATCH_NOTIFY_DISPATCH_H

#include <stdint.h>

#include "hostwatch/config.h"
#include "hostwatch/journal.h"
#include "hostwatch/notify.h"

struct dispatch_out {
	/* One journal entry. */
	void (*journal)(void *ctx, const struct notify_alert *a,
			enum journal_kind kind);
	/* One notification for channel `ch` (index into cfg->channels);
	 * 0 when it was accepted (spooled), <0 otherwise: the log is then
	 * not updated, so the next flush tries again. */
	int (*notify)(void *ctx, size_t ch, const struct notify_group *g);
	void *ctx;
};

struct dispatch;

/* A dispatcher for cfg's channels (cfg must outlive it). 0 or -ENOMEM. */
int dispatch_new(struct dispatch **out, const struct hw_config *cfg,
		 const struct dispatch_out *o);
void dispatch_free(struct dispatch *d);

/* Take a batch of alerts (copied) at `now` (ms). */
void dispatch_alerts(struct dispatch *d, const struct notify_alert *alerts,
		     size_t n, int64_t now);

/* Flush every group that is due at `now`. Returns when the next one is
 * due (INT64_MAX: none). */
int64_t dispatch_flush(struct dispatch *d, int64_t now);

/* The state file: saved when something changed since the last save (0
 * when nothing had to be written), loaded at start (-ENOENT: none;
 * -EINVAL: malformed, logged). Entries of channels no longer configured
 * are dropped. */
int dispatch_save(struct dispatch *d, const char *path);
int dispatch_load(struct dispatch *d, const char *path, int64_t now);

#endif
