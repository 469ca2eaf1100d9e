/* Notification bodies: the JSON writer every format shares (Go's
 * encoding/json escaping, Go's time.Time form), the group's title line,
 * and the alertmanager, alertmanager-api and json formats. The JSON is
 * written by hand rather than through jansson so that the alertmanager
 * body matches Alertmanager's bytes (key order, escaping, the trailing
 * newline of json.Encoder) and invalid UTF-8 in a label becomes U+FFFD as
 * Go makes it, instead of failing the notification. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/expo.h"
#include "hostwatch/gotime.h"
#include "hostwatch/notify_body.h"
#include "hostwatch/utf8.h"

void notify_body_free(struct notify_body *b)
{
	if (!b)
		return;
	buf_free(&b->body);
	buf_free(&b->headers);
	b->nheaders = 0;
}

/* ---- JSON as Go writes it ----------------------------------------------- */

void notify_json_put_string(struct hw_buf *b, const char *s)
{
	/* encoding/json encode.go encodeState.string with escapeHTML, as of
	 * Go 1.19: \b and \f are written as \u0008 and \u000c (only Go 1.22
	 * shortened them), DEL is written as is. */
	static const char hex[] = "0123456789abcdef";
	const char *p = s;
	buf_putc(b, '"');
	while (*p) {
		const char *run = p;
		while ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 &&
		       !strchr("\"\\<>&", *p))
			p++;
		buf_put(b, run, (size_t)(p - run));
		if (!*p)
			break;
		unsigned char c = (unsigned char)*p;
		if (c < 0x80) {
			p++;
			if (c == '"' || c == '\\') {
				char e[2] = {'\\', (char)c};
				buf_put(b, e, 2);
			} else if (c == '\n')
				buf_puts(b, "\\n");
			else if (c == '\r')
				buf_puts(b, "\\r");
			else if (c == '\t')
				buf_puts(b, "\\t");
			else {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4],
					     hex[c & 15]};
				buf_put(b, e, 6);
			}
			continue;
		}
		size_t n = utf8_seq_len(p);
		if (!n) {
			buf_puts(b, "\\ufffd");
			p++;
		} else if (n == 3 && c == 0xe2 && (unsigned char)p[1] == 0x80 &&
			   ((unsigned char)p[2] == 0xa8 ||
			    (unsigned char)p[2] == 0xa9)) {
			buf_puts(b, (unsigned char)p[2] == 0xa8 ? "\\u2028"
								: "\\u2029");
			p += 3;
		} else {
			buf_put(b, p, n);
			p += n;
		}
	}
	buf_putc(b, '"');
}

void notify_json_put_number(struct hw_buf *b, double v)
{
	if (!isfinite(v)) {
		buf_puts(b, "null");
		return;
	}
	/* Go's shortest digits, as everywhere else hostwatch prints a
	 * sample value ("1e+06" is valid JSON too). */
	char s[EXPO_NUM_MAX];
	expo_format_double(s, v, EXPO_TEXT);
	buf_puts(b, s);
}

static void put_key(struct hw_buf *b, const char *key)
{
	notify_json_put_string(b, key);
	buf_putc(b, ':');
}

void notify_json_put_labels(struct hw_buf *b, const struct hw_labels *ls)
{
	/* hw_labels are sorted by name in byte order, as Go sorts map keys
	 * (encoding/json sorts with sort.Strings). */
	buf_putc(b, '{');
	for (size_t i = 0; ls && i < ls->n; i++) {
		if (i)
			buf_putc(b, ',');
		put_key(b, ls->l[i].name);
		notify_json_put_string(b, ls->l[i].value);
	}
	buf_putc(b, '}');
}

void notify_json_put_annotations(struct hw_buf *b, const struct notify_alert *a)
{
	buf_putc(b, '{');
	for (size_t i = 0; i < a->nannotations; i++) {
		if (i)
			buf_putc(b, ',');
		put_key(b, a->annotations[i].key);
		notify_json_put_string(b, a->annotations[i].value ?
						  a->annotations[i].value : "");
	}
	buf_putc(b, '}');
}

static void put_time(struct hw_buf *b, int64_t ms)
{
	char t[GOTIME_LEN];
	gotime_format(ms, t, sizeof(t));
	buf_putc(b, '"');
	buf_puts(b, t);
	buf_putc(b, '"');
}

static void put_fingerprint(struct hw_buf *b, const struct notify_alert *a)
{
	/* model.Fingerprint.String(): %016x. */
	uint64_t fp = a->fingerprint ? a->fingerprint
				     : notify_fingerprint(a->labels);
	buf_printf(b, "\"%016" PRIx64 "\"", fp);
}

/* ---- the title line ----------------------------------------------------- */

void notify_group_counts(const struct notify_group *g, size_t *firing,
			 size_t *resolved)
{
	*firing = *resolved = 0;
	for (size_t i = 0; i < g->nalerts; i++)
		(*(g->alerts[i]->resolved ? resolved : firing))++;
}

/* Whether every alert has label `name` with value `value`: Alertmanager's
 * commonLabels (template.go Data) keeps a label of the first alert while
 * each other alert's value equals it. */
static bool common_label(const struct notify_group *g, const char *name,
			 const char *value)
{
	for (size_t i = 1; i < g->nalerts; i++) {
		const char *v = labels_get(g->alerts[i]->labels, name);
		if (!v || strcmp(v, value) != 0)
			return false;
	}
	return true;
}

static bool common_annotation(const struct notify_group *g, const char *key,
			      const char *value)
{
	/* A missing annotation compares as "" (a Go map's zero value). */
	for (size_t i = 1; i < g->nalerts; i++) {
		const char *v = notify_annotation(g->alerts[i], key);
		if (strcmp(v ? v : "", value) != 0)
			return false;
	}
	return true;
}

void notify_format_title(const struct notify_group *g, struct hw_buf *b)
{
	/* Alertmanager's default.tmpl __subject:
	 * [{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.
	 * Firing | len }}{{ end }}] {{ .GroupLabels.SortedPairs.Values |
	 * join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}(
	 * {{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values |
	 * join " " }}...)
	 * with name=value in the parentheses, which says more in a chat
	 * line, and without the trailing blank. */
	size_t firing, resolved;
	notify_group_counts(g, &firing, &resolved);
	if (g->firing)
		buf_printf(b, "[FIRING:%zu]", firing);
	else
		buf_puts(b, "[RESOLVED]");
	const struct hw_labels *gl = g->group_labels;
	for (size_t i = 0; gl && i < gl->n; i++) {
		buf_putc(b, ' ');
		buf_puts(b, gl->l[i].value);
	}
	if (!g->nalerts)
		return;
	const struct hw_labels *first = g->alerts[0]->labels;
	bool open = false;
	for (size_t i = 0; first && i < first->n; i++) {
		const char *name = first->l[i].name;
		if ((gl && labels_get(gl, name)) ||
		    !common_label(g, name, first->l[i].value))
			continue;
		buf_puts(b, open ? " " : " (");
		open = true;
		buf_printf(b, "%s=%s", name, first->l[i].value);
	}
	if (open)
		buf_putc(b, ')');
}

/* ---- alertmanager ------------------------------------------------------- */

static void put_receiver(struct hw_buf *b, const char *recv)
{
	/* template.go Data: regexp `{.*}` removed from the receiver's name
	 * (it strips the route path AM appends in some versions): from the
	 * first '{' to the last '}' after it. */
	const char *open = strchr(recv, '{'), *close = strrchr(recv, '}');
	if (!open || !close || close < open) {
		notify_json_put_string(b, recv);
		return;
	}
	size_t n = strlen(recv);
	char *s = malloc(n + 1);
	if (!s) {
		b->failed = true;
		return;
	}
	size_t k = (size_t)(open - recv);
	memcpy(s, recv, k);
	strcpy(s + k, close + 1);
	notify_json_put_string(b, s);
	free(s);
}

static int build_alertmanager(const struct notify_group *g, struct hw_buf *b)
{
	/* notify/webhook/webhook.go: Message{*template.Data, Version,
	 * GroupKey, TruncatedAlerts} through json.NewEncoder(..).Encode, so
	 * Data's fields first (template/template.go Data: receiver, status,
	 * alerts, groupLabels, commonLabels, commonAnnotations,
	 * externalURL), then the rest, and a final newline. */
	buf_puts(b, "{\"receiver\":");
	put_receiver(b, g->receiver ? g->receiver : "");
	buf_puts(b, g->firing ? ",\"status\":\"firing\"" : ",\"status\":\"resolved\"");
	buf_puts(b, ",\"alerts\":[");
	for (size_t i = 0; i < g->nalerts; i++) {
		const struct notify_alert *a = g->alerts[i];
		if (i)
			buf_putc(b, ',');
		/* template.go Alert; types.Alerts() hides the end of an alert
		 * not yet resolved: EndsAt is the zero time. */
		buf_puts(b, a->resolved ? "{\"status\":\"resolved\""
					: "{\"status\":\"firing\"");
		buf_puts(b, ",\"labels\":");
		notify_json_put_labels(b, a->labels);
		buf_puts(b, ",\"annotations\":");
		notify_json_put_annotations(b, a);
		buf_puts(b, ",\"startsAt\":");
		put_time(b, a->starts_at);
		buf_puts(b, ",\"endsAt\":");
		if (a->resolved)
			put_time(b, a->ends_at);
		else
			buf_puts(b, "\"" GOTIME_ZERO "\"");
		buf_puts(b, ",\"generatorURL\":");
		notify_json_put_string(b, a->generator_url ? a->generator_url : "");
		buf_puts(b, ",\"fingerprint\":");
		put_fingerprint(b, a);
		buf_putc(b, '}');
	}
	buf_puts(b, "],\"groupLabels\":");
	notify_json_put_labels(b, g->group_labels);

	/* commonLabels and commonAnnotations: the first alert's pairs that
	 * every other alert shares (template.go Data). */
	buf_puts(b, ",\"commonLabels\":{");
	const struct notify_alert *first = g->nalerts ? g->alerts[0] : NULL;
	bool comma = false;
	for (size_t i = 0; first && first->labels && i < first->labels->n; i++) {
		const struct hw_label *l = &first->labels->l[i];
		if (!common_label(g, l->name, l->value))
			continue;
		if (comma)
			buf_putc(b, ',');
		comma = true;
		put_key(b, l->name);
		notify_json_put_string(b, l->value);
	}
	buf_puts(b, "},\"commonAnnotations\":{");
	comma = false;
	for (size_t i = 0; first && i < first->nannotations; i++) {
		const struct rule_kv *kv = &first->annotations[i];
		const char *v = kv->value ? kv->value : "";
		if (!common_annotation(g, kv->key, v))
			continue;
		if (comma)
			buf_putc(b, ',');
		comma = true;
		put_key(b, kv->key);
		notify_json_put_string(b, v);
	}
	buf_puts(b, "},\"externalURL\":");
	notify_json_put_string(b, g->external_url ? g->external_url : "");
	buf_puts(b, ",\"version\":\"4\",\"groupKey\":");
	notify_json_put_string(b, g->group_key ? g->group_key : "");
	buf_printf(b, ",\"truncatedAlerts\":%zu}\n", g->truncated);
	return 0;
}

/* ---- alertmanager-api --------------------------------------------------- */

static int build_alertmanager_api(const struct notify_group *g,
				  struct hw_buf *b)
{
	/* What Prometheus's notifier posts (notifier/notifier.go Alert:
	 * labels, annotations, startsAt, endsAt, generatorURL with
	 * omitempty), every alert with its EndsAt: valid_until while it
	 * fires, so that Alertmanager resolves it by itself should we stop
	 * sending; the resolution time once resolved. Times with
	 * milliseconds, as strfmt.DateTime (RFC3339Millis) in Prometheus's
	 * v2 client writes them; Alertmanager parses either. */
	buf_putc(b, '[');
	for (size_t i = 0; i < g->nalerts; i++) {
		const struct notify_alert *a = g->alerts[i];
		char t[GOTIME_LEN];
		if (i)
			buf_putc(b, ',');
		buf_puts(b, "{\"labels\":");
		notify_json_put_labels(b, a->labels);
		buf_puts(b, ",\"annotations\":");
		notify_json_put_annotations(b, a);
		for (int k = 0; k < 2; k++) {
			int64_t ms = k ? a->ends_at : a->starts_at;
			int64_t s = ms / 1000, f = ms % 1000;
			if (f < 0) {
				f += 1000;
				s--;
			}
			gotime_format(s * 1000, t, sizeof(t));
			t[strlen(t) - 1] = '\0'; /* the Z */
			buf_printf(b, ",\"%s\":\"%s.%03dZ\"",
				   k ? "endsAt" : "startsAt", t, (int)f);
		}
		if (a->generator_url && *a->generator_url) {
			buf_puts(b, ",\"generatorURL\":");
			notify_json_put_string(b, a->generator_url);
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	return 0;
}

/* ---- json: hostwatch's own ---------------------------------------------- */

static int build_json(const struct notify_group *g, struct hw_buf *b)
{
	/* README "Webhook formats": a flat, documented body for scripts:
	 * each alert's name, severity, value and threshold without parsing
	 * labels or expressions; endsAt null while firing. */
	buf_puts(b, "{\"version\":\"1\",\"receiver\":");
	notify_json_put_string(b, g->receiver ? g->receiver : "");
	buf_puts(b, g->firing ? ",\"status\":\"firing\"" : ",\"status\":\"resolved\"");
	buf_puts(b, ",\"groupKey\":");
	notify_json_put_string(b, g->group_key ? g->group_key : "");
	buf_puts(b, ",\"groupLabels\":");
	notify_json_put_labels(b, g->group_labels);
	buf_puts(b, ",\"alerts\":[");
	for (size_t i = 0; i < g->nalerts; i++) {
		const struct notify_alert *a = g->alerts[i];
		const char *name = labels_get(a->labels, "alertname");
		char sev[64];
		if (i)
			buf_putc(b, ',');
		buf_puts(b, "{\"name\":");
		notify_json_put_string(b, name ? name : "");
		buf_puts(b, a->resolved ? ",\"status\":\"resolved\""
					: ",\"status\":\"firing\"");
		buf_puts(b, ",\"severity\":");
		notify_json_put_string(b, notify_severity(a, sev, sizeof(sev)));
		buf_puts(b, ",\"labels\":");
		notify_json_put_labels(b, a->labels);
		buf_puts(b, ",\"annotations\":");
		notify_json_put_annotations(b, a);
		buf_puts(b, ",\"value\":");
		notify_json_put_number(b, a->value);
		double th;
		const char *op;
		if (a->expr && notify_threshold(a->expr, &th, &op)) {
			buf_puts(b, ",\"threshold\":");
			notify_json_put_number(b, th);
		}
		buf_puts(b, ",\"startsAt\":");
		put_time(b, a->starts_at);
		buf_puts(b, ",\"endsAt\":");
		if (a->resolved)
			put_time(b, a->ends_at);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"fingerprint\":");
		put_fingerprint(b, a);
		buf_puts(b, ",\"generatorURL\":");
		notify_json_put_string(b, a->generator_url ? a->generator_url : "");
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

int notify_body_build(enum hw_webhook_format format,
		      const struct notify_group *g, struct notify_body *out)
{
	memset(out, 0, sizeof(*out));
	out->content_type = "application/json";
	int rc;
	switch (format) {
	case HW_FORMAT_ALERTMANAGER:
		rc = build_alertmanager(g, &out->body);
		break;
	case HW_FORMAT_ALERTMANAGER_API:
		rc = build_alertmanager_api(g, &out->body);
		break;
	case HW_FORMAT_SLACK:
		rc = notify_body_slack(g, out);
		break;
	case HW_FORMAT_DISCORD:
		rc = notify_body_discord(g, out);
		break;
	case HW_FORMAT_NTFY:
		rc = notify_body_ntfy(g, out);
		break;
	case HW_FORMAT_JSON:
		rc = build_json(g, &out->body);
		break;
	default:
		rc = -EINVAL;
	}
	if (!rc && (out->body.failed || out->headers.failed))
		rc = -ENOMEM;
	if (rc < 0)
		notify_body_free(out);
	else
		buf_cstr(&out->body);
	return rc;
}
