/* Delivery of spooled notifications (src/notify/deliver*.c): libcurl's
 * multi interface on the notifier thread, so that a slow or dead receiver
 * never delays evaluation or scrapes.
 *
 *  - One queue per channel, its spool (include/hostwatch/spool.h); the
 *    head record is attempted, the next only after it is done: receivers
 *    get a channel's notifications in order.
 *  - Success: any 2xx (alertmanager-api with several URLs: every URL is
 *    tried, and one 2xx is enough, as Prometheus's notifier counts a
 *    batch sent when one Alertmanager took it). The record is removed.
 *  - Retried: timeouts, connection and TLS errors, 5xx and 429, with
 *    exponential backoff and full jitter (a random wait in
 *    [0, min(retry_max, retry_initial * 2^attempts)]), or exactly the
 *    Retry-After the receiver asked for (seconds or an HTTP date; at most
 *    retry_max * 4). The same record (same id, same body) every time.
 *  - Not retried: any other 4xx (logged with the status and the first
 *    200 bytes of the answer, a journal event, counted "rejected"): the
 *    record is removed. So are 1xx/3xx (redirects are not followed, as
 *    Alertmanager's notifiers do not), SMTP 5yz (4yz is retried), and a
 *    URL libcurl cannot use at all.
 *  - After a restart, what the spool holds is attempted at once; its
 *    attempt count (spool_note_attempt) keeps the backoff growing.
 *  - Each attempt adds the channel's configured headers and, at the time
 *    of the attempt, the signature: Standard Webhooks' webhook-id,
 *    webhook-timestamp and webhook-signature, or X-Hub-Signature-256.
 *    Email: SMTP(S) with STARTTLS and authentication per the channel; the
 *    record's body is the message.
 *  - Secrets (URL credentials and paths, headers' values, secrets,
 *    passwords) never appear in logs or metrics: a channel is named by its
 *    section name only, a URL by scheme://host:port.
 *
 * libcurl is loaded on first use (include/hostwatch/curl_lib.h). */
#ifndef HOSTWATCH_DELIVER_H
#define HOSTWATCH_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "hostwatch/config.h"
#include "hostwatch/sink.h"
#include "hostwatch/spool.h"

struct deliver;

/* Delivery for cfg's channels (cfg must outlive it): open
 * STATE_DIR/spool/<name> for each, with the configured bounds. Records
 * already there are delivered first. 0 or -errno (logged). */
int deliver_new(struct deliver **out, const struct hw_config *cfg);
void deliver_free(struct deliver *d); /* abandons transfers; NULL fine */

/* Spool `r` durably on channel `ch` (index into cfg->channels) and queue
 * it; r stays the caller's (spool_put sets r->seq). 0, -EINVAL for a
 * channel out of range, or -errno when it could not be spooled (logged,
 * counted "dropped"). */
int deliver_enqueue(struct deliver *d, size_t ch, struct spool_rec *r);

/* Run transfers: wait until one makes progress, a retry is due, `wake_fd`
 * (an eventfd the notifier writes to; -1: none) is readable, or
 * timeout_ms passes; then handle what finished and start what is due.
 * wake_fd is not read: the caller drains it. 0 or -errno. */
int deliver_poll(struct deliver *d, int timeout_ms, int wake_fd);

/* hostwatch_notifications_total{channel,result} (result: success, retry,
 * rejected, dropped), hostwatch_notification_queue_length{channel},
 * hostwatch_notification_oldest_seconds{channel}. Thread-safe (any thread
 * while the notifier runs). */
void deliver_write_metrics(struct deliver *d, struct sink *s);

#endif
