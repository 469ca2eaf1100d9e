/* The email of one notification: an RFC 5322 message with a MIME
 * text/plain UTF-8 body in quoted-printable, which keeps every line under
 * 76 bytes (RFC 5322's limit is 998), needs no 8BITMIME from the server,
 * and lets us encode a '.' or "From " at the start of a line, so that
 * the message never depends on the SMTP client's dot-stuffing or an mbox
 * writer's quoting. The Subject is the group's title line (Alertmanager's
 * default subject), in RFC 2047 words when it is not ASCII. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hostwatch/expo.h"
#include "hostwatch/gotime.h"
#include "hostwatch/notify_body.h"
#include "hostwatch/utf8.h"

#define SUBJECT_MAX 900 /* bytes: "Subject: " and it stay under 998 */

/* ---- RFC 2047 ----------------------------------------------------------- */

void notify_put_rfc2047(struct hw_buf *b, const char *s, const char *sep)
{
	bool plain = !strstr(s, "=?");
	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		if (*p < 0x20 || *p >= 0x7f)
			plain = false;
	if (plain) {
		buf_puts(b, s);
		return;
	}
	bool ascii = true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			ascii = false;
	if (ascii) {
		/* Only control characters (or a "=?" we leave alone: no
		 * decoder takes it for a word without the rest of the
		 * syntax); blanks for the controls. */
		for (const char *p = s; *p; p++)
			buf_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' '
									   : *p);
		return;
	}
	/* RFC 2047 section 2: an encoded-word is at most 75 characters;
	 * "=?UTF-8?B?" "?=" leave 63 for base64, so 45 bytes of text, cut
	 * between characters (section 5: each word must hold whole
	 * characters). Invalid UTF-8 becomes U+FFFD. */
	unsigned char chunk[48];
	size_t n = 0;
	bool first = true;
	const char *p = s;
	for (;;) {
		unsigned char ch[4];
		size_t len = 0;
		if (*p) {
			size_t k = utf8_seq_len(p);
			if (!k) {
				memcpy(ch, "\xef\xbf\xbd", 3);
				len = 3;
				p++;
			} else {
				memcpy(ch, p, k);
				if (k == 1 && (ch[0] < 0x20 || ch[0] == 0x7f))
					ch[0] = ' ';
				len = k;
				p += k;
			}
		}
		if (n && (!len || n + len > 45)) {
			if (!first)
				buf_puts(b, sep);
			first = false;
			buf_puts(b, "=?UTF-8?B?");
			base64_encode(chunk, n, b);
			buf_puts(b, "?=");
			n = 0;
		}
		if (!len)
			break;
		memcpy(chunk + n, ch, len);
		n += len;
	}
}

/* ---- quoted-printable (RFC 2045 section 6.7) ---------------------------- */

/* `s` (lines ending in '\n') as quoted-printable with CRLF line ends:
 * rules 1-5 of 6.7, soft breaks keeping lines at 76 characters, and '.'
 * and the "F" of "From " encoded at the start of a line. */
static void qp_encode(const char *s, size_t n, struct hw_buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		bool eol = i + 1 == n || s[i + 1] == '\n';
		for (int pass = 0; pass < 2; pass++) {
			bool lit = (c >= 33 && c <= 126 && c != '=') ||
				   ((c == ' ' || c == '\t') && !eol);
			if (col == 0 && (c == '.' || (c == 'F' &&
						      !strncmp(s + i, "From ", 5))))
				lit = false;
			size_t w = lit ? 1 : 3;
			if (pass == 0 && col + w > 75 && !(eol && col + w <= 76)) {
				buf_puts(b, "=\r\n");
				col = 0;
				continue; /* again at the line's start */
			}
			if (lit)
				buf_putc(b, (char)c);
			else {
				char e[3] = {'=', hex[c >> 4], hex[c & 15]};
				buf_put(b, e, 3);
			}
			col += w;
			break;
		}
	}
	if (n && s[n - 1] != '\n')
		buf_puts(b, "\r\n");
}

/* ---- the message -------------------------------------------------------- */

/* A header value from configuration or labels: control characters (CR and
 * LF above all) become blanks. */
static void put_value(struct hw_buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void put_date(struct hw_buf *b, int64_t ms)
{
	/* RFC 5322 section 3.3, in UTC, with English names whatever the
	 * locale. */
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		   days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Annotation and label values may hold several lines: the later ones are
 * indented under the first. */
static void put_indented(struct hw_buf *b, const char *s, const char *indent)
{
	for (; *s; s++) {
		if (*s == '\r')
			continue;
		buf_putc(b, *s);
		if (*s == '\n' && s[1])
			buf_puts(b, indent);
	}
}

static void text_alert(const struct notify_alert *a, struct hw_buf *t)
{
	const char *name = labels_get(a->labels, "alertname");
	char when[GOTIME_LEN];
	buf_printf(t, "%s %s\n", a->resolved ? "[RESOLVED]" : "[FIRING]",
		   name ? name : "alert");
	buf_puts(t, "  Labels:\n");
	for (size_t i = 0; a->labels && i < a->labels->n; i++) {
		buf_printf(t, "    %s: ", a->labels->l[i].name);
		put_indented(t, a->labels->l[i].value, "      ");
		buf_putc(t, '\n');
	}
	if (a->nannotations)
		buf_puts(t, "  Annotations:\n");
	for (size_t i = 0; i < a->nannotations; i++) {
		buf_printf(t, "    %s: ", a->annotations[i].key);
		put_indented(t, a->annotations[i].value ? a->annotations[i].value
							 : "",
			     "      ");
		buf_putc(t, '\n');
	}
	if (!a->resolved) {
		/* The value at resolution says nothing: the rule no longer
		 * matches. */
		char v[EXPO_NUM_MAX];
		expo_format_double(v, a->value, EXPO_TEXT);
		buf_printf(t, "  Value: %s", v);
		double th;
		const char *op;
		if (a->expr && notify_threshold(a->expr, &th, &op)) {
			expo_format_double(v, th, EXPO_TEXT);
			buf_printf(t, " (threshold %s %s)", op, v);
		}
		buf_putc(t, '\n');
	}
	gotime_format(a->starts_at, when, sizeof(when));
	buf_printf(t, "  Starts at: %s\n", when);
	if (a->resolved) {
		gotime_format(a->ends_at, when, sizeof(when));
		buf_printf(t, "  Ends at: %s\n", when);
	}
	if (a->generator_url && *a->generator_url)
		buf_printf(t, "  Source: %s\n", a->generator_url);
	buf_putc(t, '\n');
}

int notify_email_build(const struct hw_channel *ch, const struct notify_group *g,
		       const char *id, struct hw_buf *out)
{
	struct hw_buf subj = HW_BUF_INIT, text = HW_BUF_INIT;
	int rc = 0;

	buf_puts(out, "From: ");
	put_value(out, ch->from ? ch->from : "hostwatch");
	buf_puts(out, "\r\nTo: ");
	for (size_t i = 0; i < ch->nto; i++) {
		if (i)
			buf_puts(out, ",\r\n ");
		put_value(out, ch->to[i]);
	}
	buf_puts(out, "\r\nSubject: ");
	notify_format_title(g, &subj);
	if (subj.len > SUBJECT_MAX) {
		size_t n = SUBJECT_MAX - 3;
		while (n && ((unsigned char)subj.data[n] & 0xc0) == 0x80)
			n--; /* not inside a character */
		subj.len = n;
		buf_puts(&subj, "...");
	}
	notify_put_rfc2047(out, subj.len ? buf_cstr(&subj) : "", "\r\n ");
	buf_puts(out, "\r\n");
	put_date(out, g->now);
	buf_puts(out, "Message-ID: <");
	for (const char *p = id ? id : ""; *p; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789._-", *p))
			buf_putc(out, *p);
	buf_puts(out, "@hostwatch>\r\n"
		      "MIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=UTF-8\r\n"
		      "Content-Transfer-Encoding: quoted-printable\r\n"
		      /* RFC 3834: no vacation replies to alerts. */
		      "Auto-Submitted: auto-generated\r\n"
		      "\r\n");

	size_t firing, resolved;
	notify_group_counts(g, &firing, &resolved);
	buf_printf(&text, "%s\n\n", subj.len ? buf_cstr(&subj) : "");
	for (int pass = 0; pass < 2; pass++) {
		size_t k = pass ? resolved : firing;
		if (!k)
			continue;
		buf_printf(&text, "%zu %s:\n\n", k, pass ? "resolved" : "firing");
		for (size_t i = 0; i < g->nalerts; i++)
			if (g->alerts[i]->resolved == (pass == 1))
				text_alert(g->alerts[i], &text);
	}
	if (g->truncated)
		buf_printf(&text, "%zu more alerts left out (max_alerts).\n\n",
			   g->truncated);
	buf_puts(&text, "-- \nhostwatch");
	if (g->external_url && *g->external_url)
		buf_printf(&text, " %s", g->external_url);
	buf_putc(&text, '\n');
	if (!text.failed)
		qp_encode(text.data, text.len, out);
	if (subj.failed || text.failed || out->failed)
		rc = -ENOMEM;
	buf_free(&subj);
	buf_free(&text);
	return rc;
}
