/* Alert entries in the systemd journal, for review with journalctl.
 *
 * Entries are sent over journald's native protocol
 * (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/), the datagrams
 * sd_journal_sendv() writes, to /run/systemd/journal/socket: with
 * MSG_DONTWAIT, so a stalled journald never blocks the notifier, and
 * without linking libsystemd (1.1 MB of resident memory: README, Memory).
 * An entry too large for one datagram goes in a sealed memfd passed with
 * SCM_RIGHTS, as sd_journal_sendv does. When journald cannot be reached
 * (no socket, EAGAIN, any error) the entry is written to stderr as one
 * line instead, and nothing is lost or blocked.
 *
 * MESSAGE_IDs (128-bit, fixed forever; etc/hostwatch.catalog explains
 * each for `journalctl -x`): */
#ifndef HOSTWATCH_JOURNAL_H
#define HOSTWATCH_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "hostwatch/notify.h"

#define JOURNAL_MSGID_FIRING "a56dee9ceffd481b9eafee25f854019b"
#define JOURNAL_MSGID_RESOLVED "84d212e211c54f7180ee55b57dda39cc"
#define JOURNAL_MSGID_REPEAT "79dc36766bfc4755982c5494aebef2bc"
#define JOURNAL_MSGID_EVENT "7d92fb1bc8f1494f83d998e0cfa42801"

enum journal_kind {
	JOURNAL_FIRING,
	JOURNAL_RESOLVED,
	JOURNAL_REPEAT,
};

/* Where entries go. The default is journald's socket; tests point it at
 * their own journald's socket (or a missing path, for the fallback). NULL
 * restores the default. Not thread-safe: call before the notifier starts. */
void journal_set_socket(const char *path);

/* One entry for an alert: MESSAGE (one sentence: the alert, the labels
 * that matter, the value and the threshold), MESSAGE_ID of `kind`,
 * PRIORITY from severity (critical 2, warning 4, info 6, others 5;
 * resolved 5), SYSLOG_IDENTIFIER=hostwatch, ALERT_NAME, ALERT_STATE
 * (firing, resolved), ALERT_SEVERITY, ALERT_VALUE, ALERT_FINGERPRINT,
 * ALERT_STARTS_AT (RFC 3339), ALERT_EXPR, ALERT_SUMMARY, and
 * ALERT_LABEL_<NAME> per label. 0 when journald took it, 1 when it went to
 * stderr instead, -ENOMEM. */
int journal_alert(const struct notify_alert *a, enum journal_kind kind);

/* hostwatch's own operational event: MESSAGE_ID JOURNAL_MSGID_EVENT, the
 * given priority and message. Same return values. */
int journal_event(int priority, const char *message);

/* A label name as a journal field name suffix: upper case, [A-Z0-9_]
 * only (others become '_'), no leading digit or underscore kept
 * (journald drops fields that start with one); at most 64 bytes with the
 * prefix. Writes "ALERT_LABEL_<NAME>" into buf; false when nothing valid
 * is left (the label is left out). */
bool journal_field_name(const char *label, char *buf, size_t size);

/* The one sentence of MESSAGE, appended to b. */
void journal_format_message(const struct notify_alert *a,
			    enum journal_kind kind, struct hw_buf *b);

/* The socket path journal_alert/journal_event send to by default. */
#define JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"
/* MESSAGE is cut (at a UTF-8 boundary, with "…") past this many bytes. */
#define JOURNAL_MESSAGE_MAX 1024

/* The syslog PRIORITY of an alert's entry: critical 2, warning 4, info 6,
 * any other severity (or none) 5; a resolved alert is always 5, a repeat
 * the same as firing. */
int journal_priority(const struct notify_alert *a, enum journal_kind kind);

/* Close the socket journal_alert opened (it is opened lazily, once, and
 * reused); the next entry opens it again. For notifier_free and tests
 * that count file descriptors. Not thread-safe with senders. */
void journal_close(void);

#endif
