/* Unit tests for the notification bodies (body.c, body_chat.c,
 * body_email.c): the alertmanager body byte for byte against bodies the
 * real Alertmanager 0.25 posted, and field by field (parsed with jansson,
 * key order included) for a group of two firing alerts and one resolved;
 * Go's escaping and time form; the alertmanager-api, json, slack, discord
 * (limits) and ntfy (headers) formats; the email's headers, line ends,
 * line lengths, dot and header-injection safety, read back by python3's
 * email package. Under valgrind: no leaks. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/gotime.h"
#include "hostwatch/notify_body.h"
#include "testutil.h"

#define T0 1704164645123LL /* 2024-01-02T03:04:05.123Z */

struct fixture {
	struct notify_alert a[16];
	const struct notify_alert *p[16];
	size_t n;
	struct notify_group g;
};

/* Alert i: labels from `ls` (taken), annotations as "key", "value" pairs
 * in key order ending with NULL. */
static struct notify_alert *add(struct fixture *f, struct hw_labels *ls,
				int64_t starts, int64_t ends, bool resolved,
				double value, const char *expr,
				const char *gen, ...)
{
	struct notify_alert *a = &f->a[f->n];
	memset(a, 0, sizeof(*a));
	a->labels = ls;
	a->starts_at = starts;
	a->ends_at = ends;
	a->resolved = resolved;
	a->value = value;
	a->expr = expr ? strdup(expr) : NULL;
	a->generator_url = gen ? strdup(gen) : NULL;
	a->fingerprint = notify_fingerprint(ls);
	a->annotations = calloc(8, sizeof(*a->annotations));
	ck_assert_ptr_nonnull(a->annotations);
	va_list ap;
	va_start(ap, gen);
	for (const char *k; (k = va_arg(ap, const char *));) {
		a->annotations[a->nannotations].key = strdup(k);
		a->annotations[a->nannotations++].value =
			strdup(va_arg(ap, const char *));
	}
	va_end(ap);
	f->p[f->n++] = a;
	f->g.alerts = f->p;
	f->g.nalerts = f->n;
	f->g.firing = false;
	for (size_t i = 0; i < f->n; i++)
		f->g.firing |= !f->a[i].resolved;
	return a;
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		notify_alert_free(&f->a[i]);
	labels_unref(f->g.group_labels);
}

/* Two firing alerts and one resolved, grouped by alertname. */
static void group3(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->g.receiver = "ops";
	f->g.group_key = "{}:{alertname=\"HostHighCpu\"}";
	f->g.group_labels = test_labels("alertname", "HostHighCpu", NULL);
	f->g.external_url = "http://web1:9100";
	f->g.now = T0 + 60000;
	add(f, test_labels("alertname", "HostHighCpu", "instance", "web1",
			   "job", "node", "severity", "warning", NULL),
	    T0, T0 + 300000, false, 93.2, "avg(cpu) > 80",
	    "http://web1:9100/graph?g0.expr=x", "runbook", "http://r",
	    "summary", "CPU high on web1", NULL);
	add(f, test_labels("alertname", "HostHighCpu", "instance", "web2",
			   "job", "node", "severity", "critical", NULL),
	    T0 + 877, T0 + 300877, false, 99, "(avg(cpu)) >= 90",
	    "http://web1:9100/graph?g0.expr=y", "runbook", "http://r",
	    "summary", "CPU high on web2", NULL);
	add(f, test_labels("alertname", "HostHighCpu", "instance", "web3",
			   "job", "node", "severity", "warning", NULL),
	    T0 - 645123, T0 + 55000, true, 81, NULL, NULL, "runbook",
	    "http://r", NULL);
}

static json_t *parse(const struct notify_body *b)
{
	json_error_t err;
	json_t *j = json_loadb(b->body.data, b->body.len, JSON_PRESERVE_ORDER,
			       &err);
	ck_assert_msg(j != NULL, "bad JSON: %s: %.*s", err.text,
		      (int)b->body.len, b->body.data);
	return j;
}

/* The object's keys in the order the text holds them, comma-separated. */
static const char *keys(json_t *o)
{
	static char out[512];
	const char *k;
	json_t *v;
	out[0] = '\0';
	ck_assert(json_is_object(o));
	json_object_foreach(o, k, v)
	{
		(void)v;
		if (out[0])
			strcat(out, ",");
		strcat(out, k);
	}
	return out;
}

static const char *s_of(json_t *o, const char *path_key)
{
	json_t *v = json_object_get(o, path_key);
	ck_assert_msg(json_is_string(v), "%s is not a string", path_key);
	return json_string_value(v);
}

/* {"a":"1",...} of an object of strings, in its order. */
static const char *kv(json_t *o)
{
	static char out[1024];
	const char *k;
	json_t *v;
	strcpy(out, "");
	json_object_foreach(o, k, v)
	{
		ck_assert(json_is_string(v));
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s=%s",
			 out[0] ? "," : "", k, json_string_value(v));
	}
	return out;
}

/* ---- alertmanager ------------------------------------------------------- */

/* Bodies prometheus-alertmanager 0.25.0 (Debian, Go 1.19.8) posted to a
 * webhook receiver for alerts pushed to its /api/v2/alerts (see
 * tests/integration/am_webhook_format.sh, which checks this live). */
static const char am_body0[] =
	"{\"receiver\":\"hw\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"HostHighCpu\",\"instance\":\"web1\",\"severity\":\"warning\"},\"annotations\":{\"b\":\"x\",\"summary\":\"CPU high\"},\"startsAt\":\"2024-01-02T03:04:05.123Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://x/graph\",\"fingerprint\":\"130eb83926f52a91\"},{\"status\":\"resolved\",\"labels\":{\"alertname\":\"HostHighCpu\",\"instance\":\"web2\",\"severity\":\"critical\"},\"annotations\":{\"summary\":\"CPU high\"},\"startsAt\":\"2024-01-02T03:04:05.5Z\",\"endsAt\":\"2024-01-02T03:05:05.12Z\",\"generatorURL\":\"\",\"fingerprint\":\"bb5bdc1dc4d4e1c5\"}],\"groupLabels\":{\"alertname\":\"HostHighCpu\"},\"commonLabels\":{\"alertname\":\"HostHighCpu\"},\"commonAnnotations\":{\"summary\":\"CPU high\"},\"externalURL\":\"http://vm:19093\",\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"HostHighCpu\\\"}\",\"truncatedAlerts\":0}\n";
static const char am_body1[] =
	"{\"receiver\":\"hw\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Esc\",\"x\":\"a\\u003cb\\u003e\\u0026c\\\"q\\\\ \xc3\xa9 \\u2028 \\u2029 \\u0001 \\u0008 \\u000c \\n \\r \\t \x7f /\"},\"annotations\":{\"summary\":\"\xf0\x9f\x98\x80 caf\xc3\xa9\"},\"startsAt\":\"2024-01-02T03:04:05Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\",\"fingerprint\":\"486d5add7f2ac592\"}],\"groupLabels\":{\"alertname\":\"Esc\"},\"commonLabels\":{\"alertname\":\"Esc\",\"x\":\"a\\u003cb\\u003e\\u0026c\\\"q\\\\ \xc3\xa9 \\u2028 \\u2029 \\u0001 \\u0008 \\u000c \\n \\r \\t \x7f /\"},\"commonAnnotations\":{\"summary\":\"\xf0\x9f\x98\x80 caf\xc3\xa9\"},\"externalURL\":\"http://vm:19093\",\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"Esc\\\"}\",\"truncatedAlerts\":0}\n";

START_TEST(test_am_exact)
{
	struct fixture f;
	struct notify_body b;
	memset(&f, 0, sizeof(f));
	f.g.receiver = "hw";
	f.g.group_key = "{}:{alertname=\"HostHighCpu\"}";
	f.g.group_labels = test_labels("alertname", "HostHighCpu", NULL);
	f.g.external_url = "http://vm:19093";
	add(&f, test_labels("alertname", "HostHighCpu", "severity", "warning",
			    "instance", "web1", NULL),
	    T0, T0 + 300000, false, 1, NULL, "http://x/graph", "b", "x",
	    "summary", "CPU high", NULL);
	add(&f, test_labels("alertname", "HostHighCpu", "severity", "critical",
			    "instance", "web2", NULL),
	    1704164645500LL, 1704164705120LL, true, 1, NULL, NULL, "summary",
	    "CPU high", NULL);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_ALERTMANAGER, &f.g, &b), 0);
	ck_assert_str_eq(b.content_type, "application/json");
	ck_assert_uint_eq(b.nheaders, 0);
	ck_assert_str_eq(b.body.data, am_body0);
	notify_body_free(&b);
	fixture_free(&f);

	memset(&f, 0, sizeof(f));
	f.g.receiver = "hw";
	f.g.group_key = "{}:{alertname=\"Esc\"}";
	f.g.group_labels = test_labels("alertname", "Esc", NULL);
	f.g.external_url = "http://vm:19093";
	add(&f, test_labels("alertname", "Esc", "x",
			    "a<b>&c\"q\\ \xc3\xa9 \xe2\x80\xa8 \xe2\x80\xa9 "
			    "\x01 \b \f \n \r \t \x7f /",
			    NULL),
	    1704164645000LL, 0, false, 1, NULL, NULL, "summary",
	    "\xf0\x9f\x98\x80 caf\xc3\xa9", NULL);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_ALERTMANAGER, &f.g, &b), 0);
	ck_assert_str_eq(b.body.data, am_body1);
	notify_body_free(&b);
	fixture_free(&f);
}
END_TEST

START_TEST(test_am_group)
{
	struct fixture f;
	struct notify_body b;
	group3(&f);
	f.g.truncated = 2;
	ck_assert_int_eq(notify_body_build(HW_FORMAT_ALERTMANAGER, &f.g, &b), 0);
	ck_assert_int_eq(b.body.data[b.body.len - 1], '\n');
	json_t *j = parse(&b);
	ck_assert_str_eq(keys(j), "receiver,status,alerts,groupLabels,"
				  "commonLabels,commonAnnotations,externalURL,"
				  "version,groupKey,truncatedAlerts");
	ck_assert_str_eq(s_of(j, "receiver"), "ops");
	ck_assert_str_eq(s_of(j, "status"), "firing");
	ck_assert_str_eq(s_of(j, "version"), "4");
	ck_assert_str_eq(s_of(j, "groupKey"), "{}:{alertname=\"HostHighCpu\"}");
	ck_assert_str_eq(s_of(j, "externalURL"), "http://web1:9100");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "truncatedAlerts")),
			 2);
	ck_assert_str_eq(kv(json_object_get(j, "groupLabels")),
			 "alertname=HostHighCpu");
	ck_assert_str_eq(kv(json_object_get(j, "commonLabels")),
			 "alertname=HostHighCpu,job=node");
	ck_assert_str_eq(kv(json_object_get(j, "commonAnnotations")),
			 "runbook=http://r");

	json_t *al = json_object_get(j, "alerts");
	ck_assert_uint_eq(json_array_size(al), 3);
	static const char *const want[3][8] = {
		{"firing",
		 "alertname=HostHighCpu,instance=web1,job=node,severity=warning",
		 "runbook=http://r,summary=CPU high on web1",
		 "2024-01-02T03:04:05.123Z", "0001-01-01T00:00:00Z",
		 "http://web1:9100/graph?g0.expr=x"},
		{"firing",
		 "alertname=HostHighCpu,instance=web2,job=node,severity=critical",
		 "runbook=http://r,summary=CPU high on web2",
		 "2024-01-02T03:04:06Z", "0001-01-01T00:00:00Z",
		 "http://web1:9100/graph?g0.expr=y"},
		{"resolved",
		 "alertname=HostHighCpu,instance=web3,job=node,severity=warning",
		 "runbook=http://r", "2024-01-02T02:53:20Z",
		 "2024-01-02T03:05:00.123Z", ""},
	};
	for (size_t i = 0; i < 3; i++) {
		json_t *a = json_array_get(al, i);
		char fp[17];
		ck_assert_str_eq(keys(a), "status,labels,annotations,startsAt,"
					  "endsAt,generatorURL,fingerprint");
		ck_assert_str_eq(s_of(a, "status"), want[i][0]);
		ck_assert_str_eq(kv(json_object_get(a, "labels")), want[i][1]);
		ck_assert_str_eq(kv(json_object_get(a, "annotations")), want[i][2]);
		ck_assert_str_eq(s_of(a, "startsAt"), want[i][3]);
		ck_assert_str_eq(s_of(a, "endsAt"), want[i][4]);
		ck_assert_str_eq(s_of(a, "generatorURL"), want[i][5]);
		snprintf(fp, sizeof(fp), "%016" PRIx64,
			 notify_fingerprint(f.a[i].labels));
		ck_assert_str_eq(s_of(a, "fingerprint"), fp);
	}
	json_decref(j);
	notify_body_free(&b);

	/* All resolved: status resolved; a receiver's "{...}" is dropped as
	 * template.go does. */
	f.a[0].resolved = f.a[1].resolved = true;
	f.g.firing = false;
	f.g.receiver = "team{route/1}x";
	ck_assert_int_eq(notify_body_build(HW_FORMAT_ALERTMANAGER, &f.g, &b), 0);
	j = parse(&b);
	ck_assert_str_eq(s_of(j, "status"), "resolved");
	ck_assert_str_eq(s_of(j, "receiver"), "teamx");
	ck_assert_str_eq(s_of(json_array_get(json_object_get(j, "alerts"), 0),
			      "endsAt"),
			 "2024-01-02T03:09:05.123Z");
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);
}
END_TEST

static const char *tfmt(int64_t ms)
{
	static char t[GOTIME_LEN];
	gotime_format(ms, t, sizeof(t));
	return t;
}

static const char *jstr(const char *s)
{
	static char out[256];
	struct hw_buf b = HW_BUF_INIT;
	notify_json_put_string(&b, s);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

static const char *jnum(double v)
{
	static char out[64];
	struct hw_buf b = HW_BUF_INIT;
	notify_json_put_number(&b, v);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* Go's time.Time JSON (RFC3339Nano) and encoding/json's strings. */
START_TEST(test_go_forms)
{
	ck_assert_str_eq(tfmt(0), "1970-01-01T00:00:00Z");
	ck_assert_str_eq(tfmt(T0), "2024-01-02T03:04:05.123Z");
	ck_assert_str_eq(tfmt(T0 - 3), "2024-01-02T03:04:05.12Z");
	ck_assert_str_eq(tfmt(T0 - 23), "2024-01-02T03:04:05.1Z");
	ck_assert_str_eq(tfmt(T0 - 123), "2024-01-02T03:04:05Z");
	ck_assert_str_eq(tfmt(T0 - 122), "2024-01-02T03:04:05.001Z");
	ck_assert_str_eq(tfmt(-1), "1969-12-31T23:59:59.999Z");
	ck_assert_str_eq(tfmt(951782400000LL), "2000-02-29T00:00:00Z");
	ck_assert_str_eq(GOTIME_ZERO, "0001-01-01T00:00:00Z");

	/* Invalid UTF-8: one U+FFFD per byte Go's decoder refuses. */
	ck_assert_str_eq(jstr("a\xff" "b"), "\"a\\ufffdb\"");
	ck_assert_str_eq(jstr("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(jstr("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	ck_assert_str_eq(jstr("\xe2\x82"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(jstr("\xf4\x90\x80\x80"),
			 "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ck_assert_str_eq(jstr("\xef\xbf\xbd\xe2\x82\xac"),
			 "\"\xef\xbf\xbd\xe2\x82\xac\"");
	ck_assert_str_eq(jstr(""), "\"\"");
	ck_assert_str_eq(jstr("\x1f"), "\"\\u001f\"");

	ck_assert_str_eq(jnum(80), "80");
	ck_assert_str_eq(jnum(0.1), "0.1");
	ck_assert_str_eq(jnum(93.2), "93.2");
	ck_assert_str_eq(jnum(-0.5), "-0.5");
	ck_assert_str_eq(jnum(1.0 / 3), "0.3333333333333333");
	ck_assert_str_eq(jnum(0.1 + 0.2), "0.30000000000000004");
	ck_assert_str_eq(jnum(1e21), "1e+21");
	ck_assert_str_eq(jnum(NAN), "null");
	ck_assert_str_eq(jnum(-INFINITY), "null");
}
END_TEST

/* ---- alertmanager-api and json ------------------------------------------ */

START_TEST(test_am_api)
{
	struct fixture f;
	struct notify_body b;
	group3(&f);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_ALERTMANAGER_API, &f.g, &b),
			 0);
	json_t *j = parse(&b);
	ck_assert(json_is_array(j));
	ck_assert_uint_eq(json_array_size(j), 3);
	json_t *a = json_array_get(j, 0);
	ck_assert_str_eq(keys(a), "labels,annotations,startsAt,endsAt,generatorURL");
	ck_assert_str_eq(kv(json_object_get(a, "labels")),
			 "alertname=HostHighCpu,instance=web1,job=node,"
			 "severity=warning");
	ck_assert_str_eq(s_of(a, "startsAt"), "2024-01-02T03:04:05.123Z");
	/* Still firing: endsAt is valid_until, as Prometheus sends. */
	ck_assert_str_eq(s_of(a, "endsAt"), "2024-01-02T03:09:05.123Z");
	a = json_array_get(j, 1);
	ck_assert_str_eq(s_of(a, "startsAt"), "2024-01-02T03:04:06.000Z");
	a = json_array_get(j, 2);
	ck_assert_str_eq(keys(a), "labels,annotations,startsAt,endsAt");
	ck_assert_str_eq(s_of(a, "endsAt"), "2024-01-02T03:05:00.123Z");
	ck_assert_str_eq(kv(json_object_get(a, "annotations")), "runbook=http://r");
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);
}
END_TEST

START_TEST(test_json)
{
	struct fixture f;
	struct notify_body b;
	group3(&f);
	add(&f, test_labels("alertname", "Gone", "severity", "INFO", NULL), T0,
	    T0 + 1000, false, NAN, "absent(up)", NULL, NULL);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_JSON, &f.g, &b), 0);
	json_t *j = parse(&b);
	ck_assert_str_eq(keys(j), "version,receiver,status,groupKey,groupLabels,"
				  "alerts");
	ck_assert_str_eq(s_of(j, "version"), "1");
	ck_assert_str_eq(s_of(j, "receiver"), "ops");
	ck_assert_str_eq(s_of(j, "status"), "firing");
	ck_assert_str_eq(s_of(j, "groupKey"), "{}:{alertname=\"HostHighCpu\"}");
	ck_assert_str_eq(kv(json_object_get(j, "groupLabels")),
			 "alertname=HostHighCpu");
	json_t *al = json_object_get(j, "alerts");
	ck_assert_uint_eq(json_array_size(al), 4);
	json_t *a = json_array_get(al, 0);
	ck_assert_str_eq(keys(a), "name,status,severity,labels,annotations,value,"
				  "threshold,startsAt,endsAt,fingerprint,"
				  "generatorURL");
	ck_assert_str_eq(s_of(a, "name"), "HostHighCpu");
	ck_assert_str_eq(s_of(a, "status"), "firing");
	ck_assert_str_eq(s_of(a, "severity"), "warning");
	ck_assert(json_real_value(json_object_get(a, "value")) == 93.2);
	ck_assert(json_number_value(json_object_get(a, "threshold")) == 80);
	ck_assert(json_is_null(json_object_get(a, "endsAt")));
	ck_assert_str_eq(s_of(a, "startsAt"), "2024-01-02T03:04:05.123Z");
	ck_assert_str_eq(s_of(a, "generatorURL"), "http://web1:9100/graph?g0.expr=x");
	ck_assert_str_eq(kv(json_object_get(a, "annotations")),
			 "runbook=http://r,summary=CPU high on web1");
	char fp[17];
	snprintf(fp, sizeof(fp), "%016" PRIx64, f.a[0].fingerprint);
	ck_assert_str_eq(s_of(a, "fingerprint"), fp);
	a = json_array_get(al, 1);
	ck_assert_str_eq(s_of(a, "severity"), "critical");
	ck_assert(json_number_value(json_object_get(a, "threshold")) == 90);
	a = json_array_get(al, 2);
	ck_assert_str_eq(s_of(a, "status"), "resolved");
	ck_assert_ptr_null(json_object_get(a, "threshold"));
	ck_assert_str_eq(s_of(a, "endsAt"), "2024-01-02T03:05:00.123Z");
	a = json_array_get(al, 3);
	ck_assert_str_eq(s_of(a, "severity"), "info");
	ck_assert(json_is_null(json_object_get(a, "value")));
	ck_assert_ptr_null(json_object_get(a, "threshold"));
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);
}
END_TEST

/* ---- slack, discord, ntfy ----------------------------------------------- */

START_TEST(test_slack)
{
	struct fixture f;
	struct notify_body b;
	group3(&f);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_SLACK, &f.g, &b), 0);
	json_t *j = parse(&b);
	ck_assert_str_eq(keys(j), "text,attachments");
	ck_assert_str_eq(s_of(j, "text"), "[FIRING:2] HostHighCpu (job=node)");
	json_t *at = json_array_get(json_object_get(j, "attachments"), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "attachments")), 1);
	ck_assert_str_eq(s_of(at, "color"), "danger");
	ck_assert_str_eq(s_of(at, "title"), "[FIRING:2] HostHighCpu (job=node)");
	ck_assert_str_eq(s_of(at, "footer"), "hostwatch");
	ck_assert_str_eq(s_of(at, "text"),
			 "[FIRING] HostHighCpu: CPU high on web1 (instance=web1, "
			 "job=node, severity=warning) value=93.2\n"
			 "[FIRING] HostHighCpu: CPU high on web2 (instance=web2, "
			 "job=node, severity=critical) value=99\n"
			 "[RESOLVED] HostHighCpu (instance=web3, job=node, "
			 "severity=warning)");
	json_decref(j);
	notify_body_free(&b);

	/* No critical one firing: warning; Slack's <, >, & escaped. */
	f.a[1].resolved = true;
	free(f.a[0].annotations[1].value);
	f.a[0].annotations[1].value = strdup("load <high> & rising");
	ck_assert_int_eq(notify_body_build(HW_FORMAT_SLACK, &f.g, &b), 0);
	j = parse(&b);
	at = json_array_get(json_object_get(j, "attachments"), 0);
	ck_assert_str_eq(s_of(at, "color"), "warning");
	ck_assert_ptr_nonnull(strstr(s_of(at, "text"),
				     "load &lt;high&gt; &amp; rising"));
	ck_assert_str_eq(s_of(j, "text"), "[FIRING:1] HostHighCpu (job=node)");
	json_decref(j);
	notify_body_free(&b);

	f.a[0].resolved = true;
	f.g.firing = false;
	ck_assert_int_eq(notify_body_build(HW_FORMAT_SLACK, &f.g, &b), 0);
	j = parse(&b);
	at = json_array_get(json_object_get(j, "attachments"), 0);
	ck_assert_str_eq(s_of(at, "color"), "good");
	ck_assert_str_eq(s_of(j, "text"), "[RESOLVED] HostHighCpu (job=node)");
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);
}
END_TEST

/* Discord's length: UTF-16 units. */
static size_t u16len(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n += *p >= 0xf0 ? 2 : 1;
	return n;
}

START_TEST(test_discord)
{
	struct fixture f;
	struct notify_body b;
	group3(&f);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_DISCORD, &f.g, &b), 0);
	json_t *j = parse(&b);
	ck_assert_str_eq(keys(j), "content,embeds,allowed_mentions");
	ck_assert_str_eq(s_of(j, "content"), "[FIRING:2] HostHighCpu (job=node)");
	json_t *em = json_object_get(j, "embeds");
	ck_assert_uint_eq(json_array_size(em), 3);
	ck_assert_str_eq(s_of(json_array_get(em, 1), "title"),
			 "[FIRING] HostHighCpu: CPU high on web2 (instance=web2, "
			 "job=node, severity=critical) value=99");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(em, 1),
							    "color")),
			 0xd50000);
	ck_assert_ptr_nonnull(strstr(s_of(json_array_get(em, 0), "description"),
				     "instance=web1\n"));
	ck_assert_uint_eq(json_array_size(json_object_get(
				  json_object_get(j, "allowed_mentions"), "parse")),
			  0);
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);

	/* 12 alerts with long texts: 10 embeds, each within its limits and
	 * all within 6000; content within 2000. */
	memset(&f, 0, sizeof(f));
	char *big = malloc(5001);
	ck_assert_ptr_nonnull(big);
	for (int i = 0; i < 5000; i += 4)
		memcpy(big + i, "\xf0\x9f\x98\x80", 4); /* two units each */
	big[5000] = '\0';
	f.g.group_labels = test_labels("alertname", "Big", "x", big, NULL);
	for (int i = 0; i < 12; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "i%02d", i);
		add(&f, test_labels("alertname", "Big", "instance", inst, "x",
				    big, NULL),
		    T0, T0, false, i, NULL, NULL, "summary", big, NULL);
	}
	ck_assert_int_eq(notify_body_build(HW_FORMAT_DISCORD, &f.g, &b), 0);
	j = parse(&b);
	const char *content = s_of(j, "content");
	ck_assert_uint_le(u16len(content), 2000);
	ck_assert_uint_ge(u16len(content), 1999);
	ck_assert(strstr(content, "\xe2\x80\xa6") != NULL); /* … */
	em = json_object_get(j, "embeds");
	ck_assert_uint_le(json_array_size(em), 10);
	size_t total = 0;
	for (size_t i = 0; i < json_array_size(em); i++) {
		json_t *e = json_array_get(em, i);
		const char *t = s_of(e, "title");
		json_t *d = json_object_get(e, "description");
		ck_assert_uint_le(u16len(t), 256);
		total += u16len(t);
		if (d) {
			ck_assert_uint_le(u16len(json_string_value(d)), 4096);
			total += u16len(json_string_value(d));
		}
	}
	ck_assert_uint_le(total, 6000);
	ck_assert_uint_ge(total, 5990);
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);

	/* 12 short alerts: 9 embeds and "and 3 more". */
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 12; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "i%02d", i);
		add(&f, test_labels("alertname", "Many", "instance", inst, NULL),
		    T0, T0, false, i, NULL, NULL, NULL);
	}
	ck_assert_int_eq(notify_body_build(HW_FORMAT_DISCORD, &f.g, &b), 0);
	j = parse(&b);
	em = json_object_get(j, "embeds");
	ck_assert_uint_eq(json_array_size(em), 10);
	ck_assert_str_eq(s_of(json_array_get(em, 9), "title"), "and 3 more");
	json_decref(j);
	notify_body_free(&b);
	fixture_free(&f);
	free(big);
}
END_TEST

/* The n-th "Name: value" header of b. */
static const char *header(const struct notify_body *b, size_t n)
{
	const char *h = b->headers.data;
	ck_assert_uint_lt(n, b->nheaders);
	while (n--)
		h += strlen(h) + 1;
	return h;
}

START_TEST(test_ntfy)
{
	struct fixture f;
	struct notify_body b;
	group3(&f);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_NTFY, &f.g, &b), 0);
	ck_assert_str_eq(b.content_type, "text/plain; charset=utf-8");
	ck_assert_uint_eq(b.nheaders, 3);
	ck_assert_str_eq(header(&b, 0), "Title: [FIRING:2] HostHighCpu (job=node)");
	ck_assert_str_eq(header(&b, 1), "Priority: 5");
	ck_assert_str_eq(header(&b, 2), "Tags: rotating_light");
	ck_assert_str_eq(b.body.data,
			 "[FIRING] HostHighCpu: CPU high on web1 (instance=web1, "
			 "job=node, severity=warning) value=93.2\n"
			 "[FIRING] HostHighCpu: CPU high on web2 (instance=web2, "
			 "job=node, severity=critical) value=99\n"
			 "[RESOLVED] HostHighCpu (instance=web3, job=node, "
			 "severity=warning)");
	notify_body_free(&b);

	f.a[1].resolved = true; /* the critical one */
	ck_assert_int_eq(notify_body_build(HW_FORMAT_NTFY, &f.g, &b), 0);
	ck_assert_str_eq(header(&b, 1), "Priority: 4");
	notify_body_free(&b);

	f.a[0].resolved = true;
	f.g.firing = false;
	ck_assert_int_eq(notify_body_build(HW_FORMAT_NTFY, &f.g, &b), 0);
	ck_assert_str_eq(header(&b, 0), "Title: [RESOLVED] HostHighCpu (job=node)");
	ck_assert_str_eq(header(&b, 1), "Priority: 2");
	ck_assert_str_eq(header(&b, 2), "Tags: white_check_mark");
	notify_body_free(&b);
	fixture_free(&f);

	/* Other severities: 3. A CR LF in a label cannot add a header;
	 * non-ASCII goes as RFC 2047 words. */
	memset(&f, 0, sizeof(f));
	f.g.group_labels = test_labels("alertname", "Disk\r\nX-Evil: 1", NULL);
	add(&f, test_labels("alertname", "Disk\r\nX-Evil: 1", "severity", "info",
			    NULL),
	    T0, T0, false, 1, NULL, NULL, NULL);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_NTFY, &f.g, &b), 0);
	ck_assert_uint_eq(b.nheaders, 3);
	ck_assert_str_eq(header(&b, 0), "Title: [FIRING:1] Disk  X-Evil: 1 (severity=info)");
	ck_assert_str_eq(header(&b, 1), "Priority: 3");
	ck_assert_ptr_null(strpbrk(b.body.data, "\r"));
	notify_body_free(&b);
	fixture_free(&f);

	memset(&f, 0, sizeof(f));
	f.g.group_labels = test_labels("alertname", "Plein \xc3\xa0 100 %", NULL);
	add(&f, test_labels("alertname", "Plein \xc3\xa0 100 %", NULL), T0, T0,
	    false, 1, NULL, NULL, NULL);
	ck_assert_int_eq(notify_body_build(HW_FORMAT_NTFY, &f.g, &b), 0);
	const char *t = header(&b, 0);
	ck_assert_int_eq(strncmp(t, "Title: =?UTF-8?B?", 17), 0);
	char enc[128];
	snprintf(enc, sizeof(enc), "%s", t + 17);
	ck_assert_ptr_nonnull(strstr(enc, "?="));
	*strstr(enc, "?=") = '\0';
	unsigned char dec[128];
	int n = base64_decode(enc, dec, sizeof(dec) - 1);
	ck_assert_int_gt(n, 0);
	dec[n] = '\0';
	ck_assert_str_eq((char *)dec, "[FIRING:1] Plein \xc3\xa0 100 %");
	notify_body_free(&b);
	fixture_free(&f);

	ck_assert_int_eq(notify_body_build((enum hw_webhook_format)99, &f.g, &b),
			 -EINVAL);
}
END_TEST

/* ---- email ------------------------------------------------------------- */

static const struct hw_channel mail_ch = {
	.type = HW_CHANNEL_EMAIL,
	.from = "hostwatch <hw@example.com>",
	.to = (char *[]){"a@example.com", "b@example.com"},
	.nto = 2,
};

/* CRLF everywhere, lines within RFC 5322's 998 (the body's within
 * quoted-printable's 76), no line starting with "." or "From ". */
static void check_lines(const struct hw_buf *m)
{
	const char *p = m->data, *end = m->data + m->len;
	bool body = false;
	ck_assert_uint_ge(m->len, 2);
	ck_assert(end[-2] == '\r' && end[-1] == '\n');
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(nl > p && nl[-1] == '\r', "bare LF");
		size_t len = (size_t)(nl - 1 - p);
		ck_assert_ptr_null(memchr(p, '\r', len));
		ck_assert_uint_le(len, body ? 76 : 998);
		ck_assert_msg(!(len && *p == '.'), "line starts with a dot");
		ck_assert_msg(!(len >= 5 && !strncmp(p, "From ", 5)),
			      "line starts with From");
		for (const char *c = p; c < p + len; c++)
			ck_assert_msg(*c == '\t' || (*c >= 0x20 && *c < 0x7f),
				      "not 7-bit text: %.*s", (int)len, p);
		if (!len)
			body = true;
		p = nl + 1;
	}
}

START_TEST(test_email)
{
	struct fixture f;
	struct hw_buf m = HW_BUF_INIT;
	group3(&f);
	ck_assert_int_eq(notify_email_build(&mail_ch, &f.g, "msg_abc", &m), 0);
	buf_cstr(&m);
	static const char head[] =
"From: hostwatch <hw@example.com>\r\n"
		"To: a@example.com,\r\n b@example.com\r\n"
		"Subject: [FIRING:2] HostHighCpu (job=node)\r\n"
		"Date: Tue, 02 Jan 2024 03:05:05 +0000\r\n"
		"Message-ID: <msg_abc@hostwatch>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n";
	ck_assert_int_eq(strncmp(m.data, head, strlen(head)), 0);
	ck_assert_ptr_nonnull(strstr(m.data, "\r\n\r\n[FIRING:2] HostHighCpu"));
	ck_assert_ptr_nonnull(strstr(m.data, "2 firing:\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "1 resolved:\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "    instance: web2\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "    summary: CPU high on web1\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "  Value: 93.2 (threshold > 80)\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "  Value: 99 (threshold >=3D 90)\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "  Starts at: 2024-01-02T03:04:05.123Z\r\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "  Ends at: 2024-01-02T03:05:00.123Z\r\n"));
	check_lines(&m);
	buf_free(&m);
	fixture_free(&f);
}
END_TEST

/* A hostile group: a CR LF "Bcc:" in a label, a long non-ASCII subject,
 * an annotation of dots and "From " lines; python3's email package reads
 * the message back as we meant it. */
START_TEST(test_email_python)
{
	struct fixture f;
	struct hw_buf m = HW_BUF_INIT;
	char dots[301], from[501], word[400] = "";
	memset(dots, '.', 300);
	dots[300] = '\0';
	from[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(from, "From ");
	for (int i = 0; i < 40; i++)
		strcat(word, "\xc3\xa9t\xc3\xa9 "); /* été */
	memset(&f, 0, sizeof(f));
	f.g.group_labels = test_labels("alertname", "X\r\nBcc: evil@example.com",
				       NULL);
	f.g.now = T0;
	add(&f, test_labels("alertname", "X\r\nBcc: evil@example.com", "w", word,
			    NULL),
	    T0, T0, false, 1, NULL, NULL, "dots", dots, "from", from,
	    "multi", "one\n.\nFrom here\n", NULL);
	ck_assert_int_eq(notify_email_build(&mail_ch, &f.g, "msg_x\r\nY", &m), 0);
	check_lines(&m);
	buf_cstr(&m);
	ck_assert_ptr_nonnull(strstr(m.data, "Message-ID: <msg_xY@hostwatch>\r\n"));
	/* Encoded words: within 75 characters each, one per line. */
	const char *s = strstr(m.data, "Subject: =?UTF-8?B?");
	ck_assert_ptr_nonnull(s);
	for (const char *w = strstr(s, "=?"); w && w < strstr(s, "\r\nDate:");
	     w = strstr(w + 2, "=?")) {
		const char *e = strstr(w, "?=");
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_le((size_t)(e + 2 - w), 75);
		w = e;
	}

	char path[] = "/tmp/test_notify_body_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, m.data, m.len), (ssize_t)m.len);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "PYTHONIOENCODING=utf-8 python3 -c 'import sys,email,email.policy\n"
		 "m=email.message_from_binary_file(open(sys.argv[1],\"rb\"),"
		 "policy=email.policy.default)\n"
		 "print(m[\"subject\"]);print(m.get_all(\"bcc\"));"
		 "print(len(m.defects));print(m.get_content_type())\n"
		 "sys.stdout.write(m.get_content())' %s",
		 path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	struct hw_buf out = HW_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_put(&out, chunk, n);
	ck_assert_int_eq(pclose(p), 0);
	unlink(path);
	buf_cstr(&out);

	struct hw_buf want = HW_BUF_INIT;
	notify_format_title(&f.g, &want);
	for (size_t i = 0; i < want.len; i++)
		if (want.data[i] == '\r' || want.data[i] == '\n')
			want.data[i] = ' ';
	buf_puts(&want, "\nNone\n0\ntext/plain\n");
	ck_assert_int_eq(strncmp(out.data, buf_cstr(&want), want.len), 0);
	char line[600];
	snprintf(line, sizeof(line), "    dots: %s\n", dots);
	ck_assert_ptr_nonnull(strstr(out.data, line));
	snprintf(line, sizeof(line), "    from: %s\n", from);
	ck_assert_ptr_nonnull(strstr(out.data, line));
	ck_assert_ptr_nonnull(strstr(out.data, "    multi: one\n      .\n      From here\n"));
	snprintf(line, sizeof(line), "    w: %s\n", word);
	ck_assert_ptr_nonnull(strstr(out.data, line));
	buf_free(&want);
	buf_free(&out);
	buf_free(&m);
	fixture_free(&f);
}
END_TEST

static Suite *body_suite(void)
{
	Suite *s = suite_create("notify_body");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_am_exact);
	tcase_add_test(tc, test_am_group);
	tcase_add_test(tc, test_go_forms);
	tcase_add_test(tc, test_am_api);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_slack);
	tcase_add_test(tc, test_discord);
	tcase_add_test(tc, test_ntfy);
	tcase_add_test(tc, test_email);
	tcase_add_test(tc, test_email_python);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(body_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
