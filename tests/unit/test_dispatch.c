/* Unit tests for the dispatcher (src/notify/dispatch.c): Alertmanager's
 * aggregation groups and DedupStage on a simulated clock (group_wait,
 * group_interval, repeat_interval, send_resolved, max_alerts, order),
 * routing by severity and matchers, alertmanager-api batches, the
 * journal's transitions, and the state file across a restart. The outputs
 * are recorded, not sent. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/promql.h"
#include "testutil.h"

#include "../../src/notify/dispatch.h"

#define S 1000LL
#define MIN (60 * S)
#define HOUR (60 * MIN)

/* ---- recording outputs -------------------------------------------------- */

struct sent {
	size_t ch;
	char key[256];
	bool firing;
	size_t nalerts, truncated;
	char alerts[8][64]; /* alertname/instance "+" or "-" (resolved) */
};

struct rec {
	struct sent n[64];
	size_t nn;
	enum journal_kind j[64];
	char jname[64][64];
	size_t nj;
	int fail; /* notify returns -EIO this many times */
	int64_t now;
};

static void rec_journal(void *ctx, const struct notify_alert *a,
			enum journal_kind kind)
{
	struct rec *r = ctx;
	ck_assert_uint_lt(r->nj, 64);
	r->j[r->nj] = kind;
	snprintf(r->jname[r->nj], 64, "%s/%s", labels_get(a->labels, "alertname"),
		 labels_get(a->labels, "instance"));
	r->nj++;
}

static int rec_notify(void *ctx, size_t ch, const struct notify_group *g)
{
	struct rec *r = ctx;
	if (r->fail > 0) {
		r->fail--;
		return -EIO;
	}
	ck_assert_uint_lt(r->nn, 64);
	struct sent *s = &r->n[r->nn++];
	s->ch = ch;
	snprintf(s->key, sizeof(s->key), "%s", g->group_key);
	s->firing = g->firing;
	s->nalerts = g->nalerts;
	s->truncated = g->truncated;
	for (size_t i = 0; i < g->nalerts && i < 8; i++) {
		const struct notify_alert *a = g->alerts[i];
		bool res = a->resolved || a->ends_at <= g->now;
		snprintf(s->alerts[i], 64, "%s/%s%s",
			 labels_get(a->labels, "alertname"),
			 labels_get(a->labels, "instance"), res ? "-" : "+");
	}
	return 0;
}

/* ---- fixtures ----------------------------------------------------------- */

static struct hw_config cfg;
static struct hw_channel chs[3];
static char *group_by_alertname[] = {"alertname"};
static char tmpdir[] = "/tmp/test_dispatch.XXXXXX";

static void channel(struct hw_channel *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->type = HW_CHANNEL_WEBHOOK;
	c->name = (char *)name;
	c->format = HW_FORMAT_ALERTMANAGER;
	c->group_by = group_by_alertname;
	c->ngroup_by = 1;
	c->group_wait = 30;
	c->group_interval = 300;
	c->repeat_interval = 4 * 3600;
	c->send_resolved = true;
}

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	channel(&chs[0], "ops");
	cfg.channels = chs;
	cfg.nchannels = 1;
	cfg.journal = false;
	cfg.journal_repeat_interval = 4 * 3600;
	cfg.resend_delay = 60;
	cfg.external_url = "http://host:9100";
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	cfg.state_dir = tmpdir;
}

static void teardown(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/notify.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	strcpy(tmpdir, "/tmp/test_dispatch.XXXXXX");
	for (int i = 0; i < 3; i++)
		promql_free(chs[i].match);
	memset(chs, 0, sizeof(chs));
}

/* An alert: name, instance, severity (NULL: none), started at `start`;
 * firing until `end` (resend: now + 4 resend delays), or resolved. */
static struct notify_alert alert(const char *name, const char *inst,
				 const char *sev, int64_t start, int64_t end,
				 bool resolved)
{
	struct notify_alert a;
	memset(&a, 0, sizeof(a));
	a.labels = sev ? test_labels("alertname", name, "instance", inst,
				     "severity", sev, NULL)
		       : test_labels("alertname", name, "instance", inst, NULL);
	a.starts_at = start;
	a.ends_at = end;
	a.resolved = resolved;
	a.value = 1;
	a.fingerprint = notify_fingerprint(a.labels);
	return a;
}

static void send1(struct dispatch *d, struct notify_alert a, int64_t now)
{
	dispatch_alerts(d, &a, 1, now);
	notify_alert_free(&a);
}

static struct dispatch *new_dispatch(struct rec *r)
{
	struct dispatch *d;
	struct dispatch_out o = {rec_journal, rec_notify, r};
	ck_assert_int_eq(dispatch_new(&d, &cfg, &o), 0);
	return d;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_fingerprint_is_alertmanagers)
{
	/* model.LabelSet{"alertname": "HostHighCpu", "instance": "web1"}
	 * .Fingerprint(), computed with prometheus/common 0.42: FNV-1a 64
	 * over "alertname" 0xff "HostHighCpu" 0xff "instance" 0xff "web1"
	 * 0xff, printed %016x. Recomputed here from the definition. */
	struct hw_labels *ls =
		test_labels("alertname", "HostHighCpu", "instance", "web1", NULL);
	const char *parts[] = {"alertname", "HostHighCpu", "instance", "web1"};
	uint64_t h = 14695981039346656037ULL;
	for (int i = 0; i < 4; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	ck_assert_uint_eq(notify_fingerprint(ls), h);
	ck_assert_uint_eq(notify_fingerprint(NULL), 14695981039346656037ULL);
	labels_unref(ls);
}
END_TEST

START_TEST(test_group_wait_then_interval)
{
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	send1(d, alert("Cpu", "a", "warning", 0, 4 * MIN, false), 0);
	ck_assert_int_eq(dispatch_flush(d, 0), 30 * S);
	ck_assert_int_eq(dispatch_flush(d, 29 * S), 30 * S);
	ck_assert_uint_eq(r.nn, 0);
	ck_assert_int_eq(dispatch_flush(d, 30 * S), 330 * S);
	ck_assert_uint_eq(r.nn, 1);
	ck_assert_str_eq(r.n[0].key, "{}:{alertname=\"Cpu\"}");
	ck_assert(r.n[0].firing);
	ck_assert_uint_eq(r.n[0].nalerts, 1);
	ck_assert_str_eq(r.n[0].alerts[0], "Cpu/a+");
	/* resends of the same alert: nothing new until repeat_interval */
	for (int64_t t = 60 * S; t <= 2 * HOUR; t += MIN) {
		send1(d, alert("Cpu", "a", "warning", 0, t + 4 * MIN, false), t);
		dispatch_flush(d, t);
	}
	ck_assert_uint_eq(r.nn, 1);
	/* a second instance joins: notified at the next group_interval */
	int64_t t = 2 * HOUR + 10 * S;
	send1(d, alert("Cpu", "b", "warning", t, t + 4 * MIN, false), t);
	send1(d, alert("Cpu", "a", "warning", 0, t + 4 * MIN, false), t);
	int64_t next = dispatch_flush(d, t);
	ck_assert_int_gt(next, t);
	ck_assert_uint_eq(r.nn, 1);
	/* keep both alive up to the flush */
	send1(d, alert("Cpu", "b", "warning", t, next + 4 * MIN, false), next);
	send1(d, alert("Cpu", "a", "warning", 0, next + 4 * MIN, false), next);
	dispatch_flush(d, next);
	ck_assert_uint_eq(r.nn, 2);
	ck_assert_uint_eq(r.n[1].nalerts, 2);
	ck_assert_str_eq(r.n[1].alerts[0], "Cpu/a+");
	ck_assert_str_eq(r.n[1].alerts[1], "Cpu/b+");
	dispatch_free(d);
}
END_TEST

START_TEST(test_repeat_interval)
{
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	int64_t t;
	for (t = 0; t <= 4 * HOUR + 10 * MIN; t += MIN) {
		send1(d, alert("Disk", "a", NULL, 0, t + 4 * MIN, false), t);
		dispatch_flush(d, t);
	}
	/* at 30 s, then once 4 h had passed since (at a group_interval
	 * boundary: 30 s + 49 * 5 min) */
	ck_assert_uint_eq(r.nn, 2);
	dispatch_free(d);
}
END_TEST

START_TEST(test_resolved_once_and_group_gone)
{
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	send1(d, alert("Mem", "a", "critical", 0, 4 * MIN, false), 0);
	dispatch_flush(d, 30 * S);
	ck_assert_uint_eq(r.nn, 1);
	/* resolved at 100 s, sent again by the engine every minute */
	for (int64_t t = 100 * S; t < 20 * MIN; t += MIN) {
		send1(d, alert("Mem", "a", "critical", 0, 100 * S, true), t);
		dispatch_flush(d, t);
	}
	ck_assert_uint_eq(r.nn, 2);
	ck_assert(!r.n[1].firing);
	ck_assert_str_eq(r.n[1].alerts[0], "Mem/a-");
	ck_assert_int_eq(dispatch_flush(d, 21 * MIN), INT64_MAX);
	dispatch_free(d);
}
END_TEST

START_TEST(test_send_resolved_off)
{
	chs[0].send_resolved = false;
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	send1(d, alert("Mem", "a", NULL, 0, 4 * MIN, false), 0);
	send1(d, alert("Mem", "b", NULL, 0, 4 * MIN, false), 0);
	dispatch_flush(d, 30 * S);
	ck_assert_uint_eq(r.nn, 1);
	/* b resolves, a fires on: no notification for b alone */
	send1(d, alert("Mem", "b", NULL, 0, 40 * S, true), 40 * S);
	send1(d, alert("Mem", "a", NULL, 0, 10 * MIN, false), 40 * S);
	dispatch_flush(d, 330 * S);
	ck_assert_uint_eq(r.nn, 1);
	send1(d, alert("Mem", "a", NULL, 0, 400 * S, true), 400 * S);
	dispatch_flush(d, 630 * S);
	/* everything resolved: Alertmanager "notifies" (to clear its log),
	 * but with send_resolved off there is nothing to send */
	ck_assert_uint_eq(r.nn, 1);
	ck_assert_int_eq(dispatch_flush(d, 631 * S), INT64_MAX);
	dispatch_free(d);
}
END_TEST

START_TEST(test_expired_counts_as_resolved)
{
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	/* the engine stopped sending it (its rule went): valid_until passes */
	send1(d, alert("Gone", "a", NULL, 0, 4 * MIN, false), 0);
	dispatch_flush(d, 30 * S);
	dispatch_flush(d, 330 * S);
	ck_assert_uint_eq(r.nn, 2);
	ck_assert(!r.n[1].firing);
	ck_assert_str_eq(r.n[1].alerts[0], "Gone/a-");
	dispatch_free(d);
}
END_TEST

START_TEST(test_old_alert_flushes_at_once)
{
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	/* firing for 10 minutes already (a restart): no group_wait */
	send1(d, alert("Old", "a", NULL, 0, 14 * MIN, false), 10 * MIN);
	ck_assert_int_eq(dispatch_flush(d, 10 * MIN), 15 * MIN);
	ck_assert_uint_eq(r.nn, 1);
	dispatch_free(d);
}
END_TEST

START_TEST(test_routing)
{
	channel(&chs[1], "pager");
	static char *crit[] = {"critical"};
	chs[1].severities = crit;
	chs[1].nseverities = 1;
	channel(&chs[2], "ml-team");
	struct promql_error err;
	ck_assert_int_eq(promql_parse("{instance=~\"gpu.*\", alertname!=\"X\"}",
				      &chs[2].match, &err),
			 0);
	chs[0].group_by_all = true;
	cfg.nchannels = 3;
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	send1(d, alert("Cpu", "gpu1", "Critical", 0, 4 * MIN, false), 0);
	send1(d, alert("Cpu", "web1", "warning", 0, 4 * MIN, false), 0);
	send1(d, alert("X", "gpu2", "critical", 0, 4 * MIN, false), 0);
	dispatch_flush(d, 30 * S);
	size_t per[3] = {0};
	for (size_t i = 0; i < r.nn; i++)
		per[r.n[i].ch] += r.n[i].nalerts;
	ck_assert_uint_eq(per[0], 3); /* everything, one group per alert */
	ck_assert_uint_eq(per[1], 2); /* critical, any case */
	ck_assert_uint_eq(per[2], 1); /* gpu1's Cpu */
	ck_assert_uint_eq(r.nn, 3 + 2 + 1);
	dispatch_free(d);
}
END_TEST

START_TEST(test_api_batches_and_max_alerts)
{
	chs[0].format = HW_FORMAT_ALERTMANAGER_API;
	channel(&chs[1], "chat");
	chs[1].max_alerts = 2;
	cfg.nchannels = 2;
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	struct notify_alert a[3] = {
		alert("Cpu", "c", NULL, 0, 4 * MIN, false),
		alert("Cpu", "a", NULL, 0, 4 * MIN, false),
		alert("Cpu", "b", NULL, 0, 4 * MIN, false),
	};
	dispatch_alerts(d, a, 3, 0);
	/* the API channel at once, unsorted and whole */
	ck_assert_uint_eq(r.nn, 1);
	ck_assert_uint_eq(r.n[0].ch, 0);
	ck_assert_uint_eq(r.n[0].nalerts, 3);
	dispatch_alerts(d, a, 3, MIN);
	ck_assert_uint_eq(r.nn, 2);
	/* the resend started more than group_wait ago: flushed now */
	dispatch_flush(d, MIN);
	ck_assert_uint_eq(r.nn, 3);
	ck_assert_uint_eq(r.n[2].ch, 1);
	ck_assert_uint_eq(r.n[2].nalerts, 2);
	ck_assert_uint_eq(r.n[2].truncated, 1);
	ck_assert_str_eq(r.n[2].alerts[0], "Cpu/a+");
	ck_assert_str_eq(r.n[2].alerts[1], "Cpu/b+");
	for (int i = 0; i < 3; i++)
		notify_alert_free(&a[i]);
	dispatch_free(d);
}
END_TEST

START_TEST(test_failed_notify_retried)
{
	struct rec r = {.fail = 1};
	struct dispatch *d = new_dispatch(&r);
	send1(d, alert("Cpu", "a", NULL, 0, 10 * MIN, false), 0);
	dispatch_flush(d, 30 * S);
	ck_assert_uint_eq(r.nn, 0);
	dispatch_flush(d, 330 * S);
	ck_assert_uint_eq(r.nn, 1);
	dispatch_free(d);
}
END_TEST

START_TEST(test_journal_transitions)
{
	cfg.journal = true;
	cfg.journal_repeat_interval = HOUR / S;
	cfg.nchannels = 0;
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	int64_t t;
	for (t = 0; t <= 2 * HOUR + 30 * MIN; t += MIN)
		send1(d, alert("Cpu", "a", NULL, 0, t + 4 * MIN, false), t);
	for (; t <= 3 * HOUR; t += MIN)
		send1(d, alert("Cpu", "a", NULL, 0, 2 * HOUR + 31 * MIN, true), t);
	/* fires again: a new episode */
	send1(d, alert("Cpu", "a", NULL, t, t + 4 * MIN, false), t);
	ck_assert_uint_eq(r.nj, 5);
	ck_assert_int_eq(r.j[0], JOURNAL_FIRING);
	ck_assert_int_eq(r.j[1], JOURNAL_REPEAT);
	ck_assert_int_eq(r.j[2], JOURNAL_REPEAT);
	ck_assert_int_eq(r.j[3], JOURNAL_RESOLVED);
	ck_assert_int_eq(r.j[4], JOURNAL_FIRING);
	ck_assert_str_eq(r.jname[0], "Cpu/a");
	dispatch_free(d);
}
END_TEST

START_TEST(test_state_survives_restart)
{
	cfg.journal = true;
	char path[256];
	snprintf(path, sizeof(path), "%s/notify.json", tmpdir);
	struct rec r = {0};
	struct dispatch *d = new_dispatch(&r);
	ck_assert_int_eq(dispatch_load(d, path, 0), -ENOENT);
	send1(d, alert("Cpu", "a", NULL, 0, 4 * MIN, false), 0);
	dispatch_flush(d, 30 * S);
	ck_assert_uint_eq(r.nn, 1);
	ck_assert_uint_eq(r.nj, 1);
	ck_assert_int_eq(dispatch_save(d, path), 0);
	dispatch_free(d);

	/* a new process: the same firing alert comes again */
	struct rec r2 = {0};
	d = new_dispatch(&r2);
	ck_assert_int_eq(dispatch_load(d, path, MIN), 0);
	send1(d, alert("Cpu", "a", NULL, 0, 5 * MIN, false), MIN);
	dispatch_flush(d, MIN);
	dispatch_flush(d, 2 * MIN);
	ck_assert_uint_eq(r2.nn, 0);
	ck_assert_uint_eq(r2.nj, 0);
	/* and its resolution is still announced, once */
	send1(d, alert("Cpu", "a", NULL, 0, 3 * MIN, true), 3 * MIN);
	dispatch_flush(d, 6 * MIN);
	ck_assert_uint_eq(r2.nn, 1);
	ck_assert(!r2.n[0].firing);
	ck_assert_uint_eq(r2.nj, 1);
	ck_assert_int_eq(r2.j[0], JOURNAL_RESOLVED);
	ck_assert_int_eq(dispatch_save(d, path), 0);
	dispatch_free(d);

	/* a malformed file: logged, started empty */
	FILE *f = fopen(path, "w");
	fputs("{\"journal\": [{\"fingerprint\": 12}]}", f);
	fclose(f);
	struct rec r3 = {0};
	d = new_dispatch(&r3);
	ck_assert_int_eq(dispatch_load(d, path, 0), -EINVAL);
	dispatch_free(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fingerprint_is_alertmanagers);
	tcase_add_test(tc, test_group_wait_then_interval);
	tcase_add_test(tc, test_repeat_interval);
	tcase_add_test(tc, test_resolved_once_and_group_gone);
	tcase_add_test(tc, test_send_resolved_off);
	tcase_add_test(tc, test_expired_counts_as_resolved);
	tcase_add_test(tc, test_old_alert_flushes_at_once);
	tcase_add_test(tc, test_routing);
	tcase_add_test(tc, test_api_batches_and_max_alerts);
	tcase_add_test(tc, test_failed_notify_retried);
	tcase_add_test(tc, test_journal_transitions);
	tcase_add_test(tc, test_state_survives_restart);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
