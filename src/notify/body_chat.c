/* Bodies for chat services: Slack incoming webhooks (also taken by
 * Mattermost and Rocket.Chat), Discord webhooks and ntfy. Each shows the
 * group's title line and one entry per alert: its name, summary, labels
 * and value. Limits are the services' own: a body past them is refused
 * with a 400, and a refused notification is worse than a cut one. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostwatch/expo.h"
#include "hostwatch/gotime.h"
#include "hostwatch/notify_body.h"
#include "hostwatch/utf8.h"

/* Discord's limits (discord.com/developers/docs/resources/message,
 * "Embed Limits"): content 2000 characters, 10 embeds, title 256,
 * description 4096, and 6000 over all embeds' texts. */
#define DISCORD_CONTENT_MAX 2000
#define DISCORD_EMBEDS_MAX 10
#define DISCORD_TITLE_MAX 256
#define DISCORD_DESC_MAX 4096
#define DISCORD_TOTAL_MAX 6000

/* Colours: Slack's attachment names, Discord's as RGB integers. */
#define RGB_DANGER 0xd50000
#define RGB_WARNING 0xffab00
#define RGB_GOOD 0x2e7d32

void notify_body_add_header(struct notify_body *out, const char *name,
			    const char *value)
{
	/* Values come from labels: no CR or LF may reach the request, and
	 * non-ASCII travels as RFC 2047 words, which ntfy decodes (HTTP
	 * header values are Latin-1 at best). */
	buf_puts(&out->headers, name);
	buf_puts(&out->headers, ": ");
	notify_put_rfc2047(&out->headers, value, " ");
	buf_putc(&out->headers, '\0');
	out->nheaders++;
}

/* "danger" when a critical alert fires, "warning" when others fire,
 * "good" when all are resolved. */
static const char *group_color(const struct notify_group *g)
{
	bool firing = false;
	for (size_t i = 0; i < g->nalerts; i++) {
		char sev[32];
		if (g->alerts[i]->resolved)
			continue;
		firing = true;
		if (!strcmp(notify_severity(g->alerts[i], sev, sizeof(sev)),
			    "critical"))
			return "danger";
	}
	return firing || g->firing ? "warning" : "good";
}

/* s on one line: CR and LF (from a label or a template) become blanks. */
static void put_oneline(struct hw_buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* One alert as one line: "[FIRING] HostHighCpu: CPU high (instance=web1,
 * severity=warning) value=93.2". */
static void alert_line(const struct notify_alert *a, struct hw_buf *b)
{
	const char *name = labels_get(a->labels, "alertname");
	const char *summary = notify_annotation(a, "summary");
	if (!summary)
		summary = notify_annotation(a, "description");
	buf_puts(b, a->resolved ? "[RESOLVED] " : "[FIRING] ");
	put_oneline(b, name ? name : "alert");
	if (summary && *summary) {
		buf_puts(b, ": ");
		put_oneline(b, summary);
	}
	bool open = false;
	for (size_t i = 0; a->labels && i < a->labels->n; i++) {
		if (!strcmp(a->labels->l[i].name, "alertname"))
			continue;
		buf_puts(b, open ? ", " : " (");
		open = true;
		buf_printf(b, "%s=", a->labels->l[i].name);
		put_oneline(b, a->labels->l[i].value);
	}
	if (open)
		buf_putc(b, ')');
	if (!a->resolved) {
		char v[EXPO_NUM_MAX];
		expo_format_double(v, a->value, EXPO_TEXT);
		buf_printf(b, " value=%s", v);
	}
}

/* Slack's mrkdwn control characters (api.slack.com "Formatting text":
 * escape &, < and >). */
static void slack_escape(const char *s, size_t n, struct hw_buf *b)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '&')
			buf_puts(b, "&amp;");
		else if (s[i] == '<')
			buf_puts(b, "&lt;");
		else if (s[i] == '>')
			buf_puts(b, "&gt;");
		else
			buf_putc(b, s[i]);
	}
}

int notify_body_slack(const struct notify_group *g, struct notify_body *out)
{
	struct hw_buf title = HW_BUF_INIT, t = HW_BUF_INIT, text = HW_BUF_INIT;
	int rc = 0;
	notify_format_title(g, &t);
	slack_escape(t.data ? t.data : "", t.len, &title);
	for (size_t i = 0; i < g->nalerts; i++) {
		buf_reset(&t);
		alert_line(g->alerts[i], &t);
		if (i)
			buf_putc(&text, '\n');
		slack_escape(t.data ? t.data : "", t.len, &text);
	}
	if (title.failed || text.failed || t.failed) {
		rc = -ENOMEM;
		goto out;
	}
	struct hw_buf *b = &out->body;
	buf_puts(b, "{\"text\":");
	notify_json_put_string(b, title.len ? buf_cstr(&title) : "");
	buf_puts(b, ",\"attachments\":[{\"color\":");
	notify_json_put_string(b, group_color(g));
	buf_puts(b, ",\"title\":");
	notify_json_put_string(b, title.len ? buf_cstr(&title) : "");
	if (g->external_url && *g->external_url) {
		buf_puts(b, ",\"title_link\":");
		notify_json_put_string(b, g->external_url);
	}
	buf_puts(b, ",\"text\":");
	notify_json_put_string(b, text.len ? buf_cstr(&text) : "");
	buf_puts(b, ",\"footer\":\"hostwatch\"}]}");
out:
	buf_free(&title);
	buf_free(&t);
	buf_free(&text);
	return rc;
}

/* ---- discord ------------------------------------------------------------ */

/* The length Discord counts: UTF-16 code units, as its JavaScript does (a
 * character beyond U+FFFF counts two); an invalid byte counts one (it
 * goes out as U+FFFD). */
static size_t units(const char *p, size_t *bytes)
{
	size_t n = utf8_seq_len(p);
	*bytes = n ? n : 1;
	return n == 4 ? 2 : 1;
}

/* s as a JSON string of at most `max` units and at most *budget, ending
 * in "…" when cut; the units used are taken from *budget. */
static void put_limited(struct hw_buf *b, const char *s, size_t max,
			size_t *budget)
{
	if (budget && *budget < max)
		max = *budget;
	if (!max) {
		notify_json_put_string(b, "");
		return;
	}
	size_t total = 0, cut = 0, cut_units = 0, bytes;
	for (const char *p = s; *p; p += bytes) {
		size_t u = units(p, &bytes);
		if (total + u <= max - 1 && cut == (size_t)(p - s)) {
			cut = (size_t)(p - s) + bytes;
			cut_units = total + u;
		}
		total += u;
	}
	if (total <= max) {
		notify_json_put_string(b, s);
		if (budget)
			*budget -= total;
		return;
	}
	struct hw_buf tmp = HW_BUF_INIT;
	buf_put(&tmp, s, cut);
	buf_puts(&tmp, "\xe2\x80\xa6"); /* … */
	notify_json_put_string(b, tmp.failed ? "" : buf_cstr(&tmp));
	if (tmp.failed)
		b->failed = true;
	buf_free(&tmp);
	if (budget)
		*budget -= cut_units + 1;
}

static void discord_description(const struct notify_alert *a, struct hw_buf *d)
{
	const char *summary = notify_annotation(a, "summary");
	const char *desc = notify_annotation(a, "description");
	if (summary && *summary)
		buf_printf(d, "%s\n", summary);
	if (desc && *desc)
		buf_printf(d, "%s\n", desc);
	for (size_t i = 0; a->labels && i < a->labels->n; i++)
		buf_printf(d, "%s=%s\n", a->labels->l[i].name,
			   a->labels->l[i].value);
	char t[GOTIME_LEN];
	if (!a->resolved) {
		char v[EXPO_NUM_MAX];
		expo_format_double(v, a->value, EXPO_TEXT);
		buf_printf(d, "value: %s\n", v);
	}
	gotime_format(a->starts_at, t, sizeof(t));
	buf_printf(d, "since: %s", t);
	if (a->resolved) {
		gotime_format(a->ends_at, t, sizeof(t));
		buf_printf(d, "\nresolved: %s", t);
	}
}

int notify_body_discord(const struct notify_group *g, struct notify_body *out)
{
	struct hw_buf t = HW_BUF_INIT;
	struct hw_buf *b = &out->body;
	size_t budget = DISCORD_TOTAL_MAX;
	int rc = 0;

	notify_format_title(g, &t);
	buf_puts(b, "{\"content\":");
	put_limited(b, t.len ? buf_cstr(&t) : "", DISCORD_CONTENT_MAX, NULL);
	buf_puts(b, ",\"embeds\":[");
	size_t n = g->nalerts, shown = n;
	if (n > DISCORD_EMBEDS_MAX)
		shown = DISCORD_EMBEDS_MAX - 1; /* the last says how many more */
	for (size_t i = 0; i < shown && budget > 1; i++) {
		const struct notify_alert *a = g->alerts[i];
		char sev[32];
		bool crit = !strcmp(notify_severity(a, sev, sizeof(sev)),
				    "critical");
		buf_reset(&t);
		alert_line(a, &t);
		if (i)
			buf_putc(b, ',');
		buf_puts(b, "{\"title\":");
		put_limited(b, t.len ? buf_cstr(&t) : "", DISCORD_TITLE_MAX,
			    &budget);
		buf_reset(&t);
		discord_description(a, &t);
		buf_puts(b, ",\"description\":");
		put_limited(b, t.len ? buf_cstr(&t) : "", DISCORD_DESC_MAX,
			    &budget);
		buf_printf(b, ",\"color\":%d",
			   a->resolved ? RGB_GOOD
				       : crit ? RGB_DANGER : RGB_WARNING);
		if (a->generator_url && !strncmp(a->generator_url, "http", 4)) {
			buf_puts(b, ",\"url\":");
			notify_json_put_string(b, a->generator_url);
		}
		char ts[GOTIME_LEN];
		gotime_format(a->starts_at, ts, sizeof(ts));
		buf_printf(b, ",\"timestamp\":\"%s\"}", ts);
	}
	if (shown < n && budget > 1) {
		buf_reset(&t);
		buf_printf(&t, "and %zu more", n - shown);
		buf_puts(b, ",{\"title\":");
		put_limited(b, buf_cstr(&t), DISCORD_TITLE_MAX, &budget);
		buf_putc(b, '}');
	}
	/* Label values must not ping @everyone or a role. */
	buf_puts(b, "],\"allowed_mentions\":{\"parse\":[]}}");
	if (t.failed)
		rc = -ENOMEM;
	buf_free(&t);
	return rc;
}

/* ---- ntfy --------------------------------------------------------------- */

int notify_body_ntfy(const struct notify_group *g, struct notify_body *out)
{
	/* docs.ntfy.sh/publish: the body is the message; X-Title,
	 * X-Priority (1-5) and X-Tags (emoji short codes) in headers, here
	 * under their short names Title, Priority and Tags. */
	struct hw_buf t = HW_BUF_INIT;
	int prio = 2;
	out->content_type = "text/plain; charset=utf-8";
	for (size_t i = 0; i < g->nalerts; i++) {
		const struct notify_alert *a = g->alerts[i];
		char sev[32];
		if (i)
			buf_putc(&out->body, '\n');
		alert_line(a, &out->body);
		if (a->resolved)
			continue;
		const char *sv = notify_severity(a, sev, sizeof(sev));
		int p = !strcmp(sv, "critical") ? 5
			: !strcmp(sv, "warning") ? 4 : 3;
		if (p > prio)
			prio = p;
	}
	if (g->firing && prio < 3)
		prio = 3;
	notify_format_title(g, &t);
	notify_body_add_header(out, "Title", t.len ? buf_cstr(&t) : "");
	char p[2] = {(char)('0' + prio), '\0'};
	notify_body_add_header(out, "Priority", p);
	notify_body_add_header(out, "Tags", g->firing ? "rotating_light"
						      : "white_check_mark");
	int rc = t.failed ? -ENOMEM : 0;
	buf_free(&t);
	return rc;
}
