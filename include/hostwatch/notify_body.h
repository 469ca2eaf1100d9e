/* The body of one notification, in a channel's format (src/notify/body*.c),
 * and the signatures receivers verify (src/notify/sign.c).
 *
 * Bodies are built once, when the notification is made, and spooled as
 * they are: every retry sends the same bytes. */
#ifndef HOSTWATCH_NOTIFY_BODY_H
#define HOSTWATCH_NOTIFY_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/notify.h"

/* A request body and what goes with it. */
struct notify_body {
	struct hw_buf body;
	const char *content_type; /* static string */
	/* Headers the format needs beyond Content-Type ("Title: ..." for
	 * ntfy), each "Name: value", NUL-separated in one buffer. */
	struct hw_buf headers;
	size_t nheaders;
};

void notify_body_free(struct notify_body *b);

/* The body of group `g` in `format`:
 *  - alertmanager: exactly the JSON Alertmanager's webhook_config posts
 *    (notify/webhook/webhook.go Message: version "4", groupKey,
 *    truncatedAlerts, status, receiver, groupLabels, commonLabels,
 *    commonAnnotations, externalURL, alerts[] with status, labels,
 *    annotations, startsAt, endsAt ("0001-01-01T00:00:00Z" while firing),
 *    generatorURL, fingerprint), keys in Alertmanager's order;
 *  - alertmanager-api: the JSON array POST /api/v2/alerts takes
 *    (labels, annotations, startsAt, endsAt, generatorURL), as
 *    Prometheus's notifier sends it;
 *  - slack: {"text": ..., "attachments": [...]} for incoming webhooks;
 *  - discord: {"content": ..., "embeds": [...]} (content <= 2000 chars);
 *  - ntfy: the message as text/plain, with Title, Priority and Tags
 *    headers;
 *  - json: hostwatch's generic body (README: "Webhook formats").
 * 0, -ENOMEM. */
int notify_body_build(enum hw_webhook_format format,
		      const struct notify_group *g, struct notify_body *out);

/* An email: the RFC 5322 message (From, To, Subject, Date, Message-ID
 * <id@hostwatch>, MIME text/plain UTF-8, CRLF line ends, dot-safe) for
 * group g. 0, -ENOMEM. */
int notify_email_build(const struct hw_channel *ch, const struct notify_group *g,
		       const char *id, struct hw_buf *out);

/* ---- signing (sign.c) --------------------------------------------------- */

#define SHA256_LEN 32

void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);
void hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
		 size_t len, unsigned char out[SHA256_LEN]);

/* Standard base64 (RFC 4648, padded). Encoding appends to b; decoding
 * returns the length, or -EINVAL for anything that is not base64. */
void base64_encode(const unsigned char *in, size_t len, struct hw_buf *b);
int base64_decode(const char *in, unsigned char *out, size_t outsize);

/* Standard Webhooks: "v1," base64(HMAC-SHA256(key, id "." ts "." body)),
 * appended to `sig`. `key` is the secret after "whsec_", decoded. */
void sign_standard(const unsigned char *key, size_t keylen, const char *id,
		   int64_t timestamp, const void *body, size_t len,
		   struct hw_buf *sig);
/* GitHub: "sha256=" hex(HMAC-SHA256(secret, body)), appended to `sig`. */
void sign_github(const unsigned char *secret, size_t len, const void *body,
		 size_t bodylen, struct hw_buf *sig);

/* A new notification id: "msg_" and 26 random base32 characters (as
 * Standard Webhooks' examples), into buf (>= 32 bytes). */
void notify_new_id(char *buf, size_t size);

/* ---- shared by the formats (body.c) ------------------------------------ */

/* `s` as a JSON string, escaped exactly as Go's encoding/json does with
 * HTML escaping on (Go 1.19, Alertmanager 0.25's build): \u003c \u003e
 * \u0026 for < > &, \n \r \t, other controls as \u00XX (lower-case hex),
 * U+2028/U+2029 escaped, each byte of invalid UTF-8 as \ufffd. */
void notify_json_put_string(struct hw_buf *b, const char *s);
/* A number as the shortest text that reads back the same; null when not
 * finite (JSON has no NaN or Inf). */
void notify_json_put_number(struct hw_buf *b, double v);
/* Labels, and annotations, as a JSON object with sorted keys (Go's
 * map[string]string). */
void notify_json_put_labels(struct hw_buf *b, const struct hw_labels *ls);
void notify_json_put_annotations(struct hw_buf *b, const struct notify_alert *a);


/* The one-line summary of a group: "[FIRING:2] HostHighCpu
 * (instance=web1)": status and firing count, the group labels' values,
 * then the common labels beyond the group's as name=value (Alertmanager's
 * default __subject, with names). Appended to b. */
void notify_format_title(const struct notify_group *g, struct hw_buf *b);

/* Counts of firing and resolved alerts in g. */
void notify_group_counts(const struct notify_group *g, size_t *firing,
			 size_t *resolved);

/* The formats of body_chat.c, called by notify_body_build. */
int notify_body_slack(const struct notify_group *g, struct notify_body *out);
int notify_body_discord(const struct notify_group *g, struct notify_body *out);
int notify_body_ntfy(const struct notify_group *g, struct notify_body *out);
/* Append "Name: value" (value made single-line) to out->headers. */
void notify_body_add_header(struct notify_body *out, const char *name,
			    const char *value);

/* `s` (UTF-8) as RFC 2047 encoded-words ("=?UTF-8?B?...?=", each at most
 * 75 characters, split between characters), separated by `sep` ("\r\n "
 * to fold a mail header, " " in an HTTP header); CR, LF and other control
 * characters become blanks. Pure printable ASCII is appended as it is.
 * body_email.c. */
void notify_put_rfc2047(struct hw_buf *b, const char *s, const char *sep);

#endif
