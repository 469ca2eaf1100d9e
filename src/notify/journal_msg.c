/* What an alert's journal entry says: the MESSAGE sentence, the PRIORITY,
 * and label names turned into journal field names (journal.h). */
#include "config.h"

#include <string.h>
#include <time.h>

#include "hostwatch/expo.h"
#include "hostwatch/journal.h"
#include "hostwatch/testrules.h"

/* Caps on the parts of MESSAGE, so that one label value or summary of
 * kilobytes cannot push the rest out of the sentence; the whole is
 * capped at JOURNAL_MESSAGE_MAX. */
#define NAME_MAX_BYTES 128
#define LABELS_MAX_BYTES 400
#define SUMMARY_MAX_BYTES 400

static const char ellipsis[] = "\xe2\x80\xa6"; /* … */

/* The length of s cut to at most max bytes without splitting a UTF-8
 * sequence: back up over continuation bytes (10xxxxxx). */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Append s, cut to max bytes with "…" when it is longer. */
static void put_capped(struct hw_buf *b, const char *s, size_t len, size_t max)
{
	if (len <= max) {
		buf_put(b, s, len);
		return;
	}
	buf_put(b, s, utf8_cut(s, len, max - (sizeof(ellipsis) - 1)));
	buf_puts(b, ellipsis);
}

/* The summary as a clause of one sentence: runs of white space (a
 * multi-line description) become one space. */
static void put_summary(struct hw_buf *b, const char *s)
{
	struct hw_buf t = HW_BUF_INIT;
	bool space = false;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = t.len > 0;
			continue;
		}
		if (space)
			buf_putc(&t, ' ');
		space = false;
		buf_putc(&t, *s);
	}
	if (t.failed)
		b->failed = true;
	else if (t.len)
		put_capped(b, t.data, t.len, SUMMARY_MAX_BYTES);
	buf_free(&t);
}

/* The labels that tell alerts of one rule apart, as Prometheus prints
 * them (`instance="web1", mode="user"`, Go quoting): all but alertname
 * and severity, which the sentence already names. */
static void put_labels(struct hw_buf *b, const struct hw_labels *ls)
{
	if (!ls)
		return;
	struct labels_builder lb;
	labels_builder_init(&lb, ls);
	labels_builder_del(&lb, "alertname");
	labels_builder_del(&lb, "severity");
	struct hw_labels *rest = labels_builder_done(&lb);
	if (!rest) {
		b->failed = true;
		return;
	}
	struct hw_buf t = HW_BUF_INIT;
	labels_format(rest, &t);
	if (t.failed)
		b->failed = true;
	else if (rest->n && t.len > 2) {
		buf_puts(b, " for ");
		/* drop the braces of `{a="1", b="2"}` */
		put_capped(b, t.data + 1, t.len - 2, LABELS_MAX_BYTES);
	}
	buf_free(&t);
	labels_unref(rest);
}

/* "since 10:02:00Z" for an alert firing since today, or at least in the
 * last 24 hours; the full date otherwise. */
static void put_since(struct hw_buf *b, int64_t starts_at)
{
	time_t t = (time_t)(starts_at / 1000 - (starts_at % 1000 < 0));
	struct tm tm;
	char s[64];
	gmtime_r(&t, &tm);
	bool recent = time(NULL) - t < 24 * 3600;
	strftime(s, sizeof(s), recent ? "%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%SZ",
		 &tm);
	buf_printf(b, " since %s", s);
}

void journal_format_message(const struct notify_alert *a,
			    enum journal_kind kind, struct hw_buf *b)
{
	size_t start = b->len;
	const char *name = a->labels ? labels_get(a->labels, "alertname") : NULL;
	if (!name)
		name = "alert";
	put_capped(b, name, strlen(name), NAME_MAX_BYTES);

	switch (kind) {
	case JOURNAL_FIRING:
		buf_puts(b, " firing");
		break;
	case JOURNAL_REPEAT:
		buf_puts(b, " still firing");
		put_since(b, a->starts_at);
		break;
	case JOURNAL_RESOLVED: {
		/* model.Duration's form, whole seconds: "12m", "1h5m3s" */
		int64_t d = a->ends_at > a->starts_at ? a->ends_at - a->starts_at
						      : 0;
		buf_puts(b, " resolved after ");
		testrules_format_duration(d / 1000 * 1000, b);
		break;
	}
	}

	char sevbuf[64];
	const char *sev = notify_severity(a, sevbuf, sizeof(sevbuf));
	if (*sev)
		buf_printf(b, " (%s)", sev);

	char v[EXPO_NUM_MAX], t[EXPO_NUM_MAX];
	double threshold;
	const char *op;
	bool has_threshold = notify_threshold(a->expr, &threshold, &op);
	expo_format_double(v, a->value, EXPO_TEXT);
	if (has_threshold)
		expo_format_double(t, threshold, EXPO_TEXT);
	if (kind == JOURNAL_RESOLVED) {
		buf_printf(b, ": last value %s", v);
		if (has_threshold)
			buf_printf(b, " (alerting when %s %s)", op, t);
	} else {
		buf_printf(b, ": value %s", v);
		if (has_threshold)
			buf_printf(b, " %s threshold %s", op, t);
	}

	put_labels(b, a->labels);

	const char *summary = notify_annotation(a, "summary");
	if (!summary || !*summary)
		summary = notify_annotation(a, "description");
	if (summary && *summary) {
		buf_puts(b, " \xe2\x80\x94 "); /* — */
		put_summary(b, summary);
	}

	if (!b->failed && b->len - start > JOURNAL_MESSAGE_MAX) {
		size_t keep = utf8_cut(b->data + start, b->len - start,
				       JOURNAL_MESSAGE_MAX - (sizeof(ellipsis) - 1));
		b->len = start + keep;
		buf_puts(b, ellipsis);
	}
}

int journal_priority(const struct notify_alert *a, enum journal_kind kind)
{
	if (kind == JOURNAL_RESOLVED)
		return 5; /* notice: something got better */
	char sevbuf[32];
	const char *sev = notify_severity(a, sevbuf, sizeof(sevbuf));
	if (strcmp(sev, "critical") == 0)
		return 2;
	if (strcmp(sev, "warning") == 0)
		return 4;
	if (strcmp(sev, "info") == 0)
		return 6;
	return 5;
}

bool journal_field_name(const char *label, char *buf, size_t size)
{
	/* systemd's journal_field_valid() (src/libsystemd/sd-journal/
	 * journal-file.c): [A-Z0-9_], 1..64 bytes, no leading digit, and a
	 * leading '_' is a trusted field a client cannot set. */
	static const char prefix[] = "ALERT_LABEL_";
	const size_t plen = sizeof(prefix) - 1, max = 64;
	if (!label || size < plen + 2)
		return false;
	memcpy(buf, prefix, plen);
	size_t n = plen;
	size_t limit = (size - 1 < max ? size - 1 : max);
	for (const unsigned char *p = (const unsigned char *)label;
	     *p && n < limit; p++) {
		char c;
		if (*p >= 'a' && *p <= 'z')
			c = (char)(*p - 'a' + 'A');
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			 *p == '_')
			c = (char)*p;
		else if ((*p & 0xc0) == 0x80)
			continue; /* one '_' per UTF-8 character, not per byte */
		else
			c = '_';
		/* nothing that was a digit or '_' before the first letter */
		if (n == plen && (c == '_' || (c >= '0' && c <= '9')))
			continue;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return n > plen;
}
