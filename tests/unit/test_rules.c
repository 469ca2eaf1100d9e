/* Unit tests for the rule manager (rules.h) on a hand-fed store: the alert
 * state machine (pending vanishing, for, keep_firing_for, clear
 * hysteresis, resolved retention), ALERTS series and their staleness,
 * recording rules (staleness, duplicate label sets), carry-over on reload,
 * save/restore, the sink view; and test-rules' input parsers (values,
 * metrics, Go number formats). Runs under valgrind. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/eval.h"
#include "hostwatch/rules.h"
#include "hostwatch/store.h"
#include "hostwatch/testrules.h"
#include "testutil.h"

#define MIN (60 * 1000)

/* ---- building rule sets -------------------------------------------------- */

static struct rule_group_def *set_group(struct rule_set_def *s,
					const char *name)
{
	s->groups = realloc(s->groups, (s->n + 1) * sizeof(*s->groups));
	ck_assert_ptr_nonnull(s->groups);
	struct rule_group_def *g = &s->groups[s->n++];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	return g;
}

static struct promql_node *parse(const char *expr)
{
	struct promql_node *n = NULL;
	struct promql_error e;
	ck_assert_msg(promql_parse(expr, &n, &e) == 0, "%s: %s", expr, e.msg);
	return n;
}

static struct rule_def *def_add(struct rule_group_def *g, enum rule_kind k,
				const char *name, const char *expr)
{
	g->rules = realloc(g->rules, (g->n + 1) * sizeof(*g->rules));
	ck_assert_ptr_nonnull(g->rules);
	struct rule_def *d = &g->rules[g->n++];
	memset(d, 0, sizeof(*d));
	d->kind = k;
	d->name = strdup(name);
	d->expr = strdup(expr);
	d->ast = parse(expr);
	return d;
}

static void kv_add(struct rule_kv **kv, size_t *n, const char *k, const char *v)
{
	*kv = realloc(*kv, (*n + 1) * sizeof(**kv));
	ck_assert_ptr_nonnull(*kv);
	(*kv)[*n].key = strdup(k);
	(*kv)[(*n)++].value = strdup(v);
}

static void def_clear(struct rule_def *d, const char *expr)
{
	d->clear = strdup(expr);
	d->clear_ast = parse(expr);
}

/* ---- fixture ------------------------------------------------------------- */

struct fx {
	struct hw_store *st;
	struct rules_manager *m;
	char log[4096];
};

static void fx_notify(void *ctx, const struct rules_rule_info *rule,
		      const struct rules_alert *a, enum rules_alert_state from,
		      enum rules_alert_state to)
{
	struct fx *f = ctx;
	(void)a;
	size_t len = strlen(f->log);
	snprintf(f->log + len, sizeof(f->log) - len, "%s:%s->%s;",
		 rule->def->name, rules_state_name(from), rules_state_name(to));
}

static struct rules_config fx_cfg(struct fx *f)
{
	return (struct rules_config){.store = f->st,
				     .source_base = 1,
				     .notify = fx_notify,
				     .notify_ctx = f};
}

static void fx_init(struct fx *f, struct rule_set_def *set)
{
	struct store_config sc = {0};
	memset(f, 0, sizeof(*f));
	f->st = store_new(&sc);
	ck_assert_ptr_nonnull(f->st);
	store_watch_all(f->st);
	struct rules_config cfg = fx_cfg(f);
	ck_assert_int_eq(rules_new(&f->m, set, &cfg), 0);
}

static void fx_free(struct fx *f)
{
	rules_free(f->m);
	store_free(f->st);
}

static void feed(struct fx *f, const char *name, const char *a, int64_t t,
		 double v)
{
	struct hw_label l = {"a", a};
	store_append_pairs(f->st, name, &l, 1, t, v);
}

static void eval_at(struct fx *f, int64_t t)
{
	for (size_t i = 0; i < rules_group_count(f->m); i++)
		rules_eval_group(f->m, i, t);
}

/* Number of samples expr returns at t; the first value in *v. */
static size_t q(struct fx *f, const char *expr, int64_t t, double *v)
{
	struct promql_node *n = parse(expr);
	struct eval_result r;
	char err[256];
	ck_assert_msg(eval_instant(n, f->st, t, NULL, &r, err, sizeof(err)) ==
			      0,
		      "%s: %s", expr, err);
	size_t c = r.type == PROMQL_TYPE_SCALAR ? 1 : r.n;
	if (v && c)
		*v = r.type == PROMQL_TYPE_SCALAR ? r.scalar : r.v[0].v;
	eval_result_free(&r);
	promql_free(n);
	return c;
}

struct find {
	const char *name;
	const struct rules_alert *a;
	size_t n;
};

static int find_alert(const struct rules_rule_info *rule,
		      const struct rules_alert *a, void *ctx)
{
	struct find *fd = ctx;
	if (strcmp(rule->def->name, fd->name) == 0) {
		fd->a = a;
		fd->n++;
	}
	return 0;
}

/* The only instance of alert `name` (NULL when none). */
static const struct rules_alert *alert1(struct fx *f, const char *name)
{
	struct find fd = {.name = name};
	rules_foreach_alert(f->m, find_alert, &fd);
	ck_assert_uint_le(fd.n, 1);
	return fd.a;
}

struct find_a {
	const char *a;
	const struct rules_alert *found;
};

static int find_by_a(const struct rules_rule_info *rule,
		     const struct rules_alert *a, void *ctx)
{
	struct find_a *fd = ctx;
	const char *v = labels_get(a->labels, "a");
	(void)rule;
	if (v && strcmp(v, fd->a) == 0)
		fd->found = a;
	return 0;
}

/* The instance whose label a is `a`. */
static const struct rules_alert *alert_by(struct fx *f, const char *a)
{
	struct find_a fd = {a, NULL};
	rules_foreach_alert(f->m, find_by_a, &fd);
	return fd.found;
}

/* ---- alert state machine -------------------------------------------------- */

START_TEST(test_pending_vanishes)
{
	struct rule_set_def set = {0};
	struct rule_def *d =
		def_add(set_group(&set, "g"), RULE_ALERT, "A", "m > 0");
	d->for_ms = 2 * MIN;
	struct fx f;
	fx_init(&f, &set);
	feed(&f, "m", "1", 0, 1);
	feed(&f, "m", "1", MIN, 1);
	feed(&f, "m", "1", 2 * MIN, 0);
	eval_at(&f, 0);
	ck_assert_int_eq(alert1(&f, "A")->state, RULES_PENDING);
	ck_assert_uint_eq(
		q(&f, "ALERTS{alertstate=\"pending\",a=\"1\"}", 0, NULL), 1);
	eval_at(&f, MIN);
	ck_assert_int_eq(alert1(&f, "A")->state, RULES_PENDING);
	eval_at(&f, 2 * MIN);
	ck_assert_ptr_null(alert1(&f, "A"));
	/* The pending series went stale at once. */
	ck_assert_uint_eq(q(&f, "ALERTS", 2 * MIN, NULL), 0);
	ck_assert_uint_eq(q(&f, "ALERTS_FOR_STATE", 2 * MIN, NULL), 0);
	ck_assert_str_eq(f.log, "A:inactive->pending;A:pending->inactive;");
	fx_free(&f);
}
END_TEST

START_TEST(test_for_fires_and_retention)
{
	struct rule_set_def set = {0};
	struct rule_def *d =
		def_add(set_group(&set, "g"), RULE_ALERT, "A", "m > 0");
	d->for_ms = 2 * MIN;
	kv_add(&d->labels, &d->nlabels, "severity", "page");
	struct fx f;
	fx_init(&f, &set);
	for (int i = 0; i < 3; i++)
		feed(&f, "m", "1", i * MIN, 1);
	feed(&f, "m", "1", 3 * MIN, 0);
	double v = 0;
	for (int i = 0; i < 3; i++)
		eval_at(&f, i * MIN);
	const struct rules_alert *a = alert1(&f, "A");
	ck_assert_int_eq(a->state, RULES_FIRING);
	ck_assert_int_eq(a->active_at, 0);
	ck_assert_int_eq(a->fired_at, 2 * MIN);
	ck_assert_str_eq(labels_get(a->labels, "severity"), "page");
	ck_assert_str_eq(labels_get(a->labels, "alertname"), "A");
	ck_assert_ptr_null(labels_get(a->labels, "__name__"));
	ck_assert_uint_eq(q(&f,
			    "ALERTS{alertstate=\"firing\",severity=\"page\"}",
			    2 * MIN, &v),
			  1);
	ck_assert(v == 1);
	ck_assert_uint_eq(
		q(&f, "ALERTS{alertstate=\"pending\"}", 2 * MIN, NULL), 0);
	ck_assert_uint_eq(q(&f, "ALERTS_FOR_STATE", 2 * MIN, &v), 1);
	ck_assert(v == 0);
	eval_at(&f, 3 * MIN);
	a = alert1(&f, "A");
	ck_assert_int_eq(a->state, RULES_INACTIVE);
	ck_assert_int_eq(a->resolved_at, 3 * MIN);
	ck_assert_uint_eq(q(&f, "ALERTS", 3 * MIN, NULL), 0);
	/* Kept 15 minutes for notifications, then dropped. */
	eval_at(&f, 18 * MIN);
	ck_assert_ptr_nonnull(alert1(&f, "A"));
	eval_at(&f, 19 * MIN);
	ck_assert_ptr_null(alert1(&f, "A"));
	ck_assert_str_eq(f.log, "A:inactive->pending;A:pending->firing;"
				"A:firing->inactive;");
	fx_free(&f);
}
END_TEST

START_TEST(test_keep_firing_for)
{
	struct rule_set_def set = {0};
	struct rule_def *d =
		def_add(set_group(&set, "g"), RULE_ALERT, "A", "m > 10");
	d->keep_firing_for_ms = 3 * MIN;
	kv_add(&d->annotations, &d->nannotations, "v", "{{ $value }}");
	struct fx f;
	fx_init(&f, &set);
	feed(&f, "m", "1", 0, 20);
	for (int i = 1; i < 6; i++)
		feed(&f, "m", "1", i * MIN, 0);
	eval_at(&f, 0);
	ck_assert_int_eq(alert1(&f, "A")->state, RULES_FIRING);
	for (int i = 1; i <= 3; i++) {
		eval_at(&f, i * MIN);
		const struct rules_alert *a = alert1(&f, "A");
		ck_assert_int_eq(a->state, RULES_FIRING);
		ck_assert_int_eq(a->keep_firing_since, MIN);
		ck_assert_str_eq(a->annotations[0].value, "20");
		ck_assert_uint_eq(
			q(&f, "ALERTS{alertstate=\"firing\"}", i * MIN, NULL),
			1);
	}
	eval_at(&f, 4 * MIN);
	ck_assert_int_eq(alert1(&f, "A")->state, RULES_INACTIVE);
	ck_assert_uint_eq(q(&f, "ALERTS", 4 * MIN, NULL), 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_keep_firing_for_pending)
{
	/* keep_firing_for does not hold a pending alert. */
	struct rule_set_def set = {0};
	struct rule_def *d =
		def_add(set_group(&set, "g"), RULE_ALERT, "A", "m > 10");
	d->for_ms = 5 * MIN;
	d->keep_firing_for_ms = 10 * MIN;
	struct fx f;
	fx_init(&f, &set);
	feed(&f, "m", "1", 0, 20);
	feed(&f, "m", "1", MIN, 0);
	eval_at(&f, 0);
	eval_at(&f, MIN);
	ck_assert_ptr_null(alert1(&f, "A"));
	fx_free(&f);
}
END_TEST

START_TEST(test_clear_hysteresis)
{
	struct rule_set_def set = {0};
	struct rule_def *d =
		def_add(set_group(&set, "g"), RULE_ALERT, "Hot", "temp > 80");
	def_clear(d, "temp < 60");
	struct fx f;
	fx_init(&f, &set);
	double vals[] = {90, 70, 85, 65, 50, 70};
	for (int i = 0; i < 6; i++)
		feed(&f, "temp", "1", i * MIN, vals[i]);
	feed(&f, "temp", "2", 0, 50); /* never alerts, always "clear" */
	eval_at(&f, 0);
	ck_assert_int_eq(alert1(&f, "Hot")->state, RULES_FIRING);
	/* 70: expr false, clear false: still firing, value kept. */
	eval_at(&f, MIN);
	const struct rules_alert *a = alert1(&f, "Hot");
	ck_assert_int_eq(a->state, RULES_FIRING);
	ck_assert(a->value == 90);
	ck_assert_uint_eq(q(&f, "ALERTS{alertstate=\"firing\"}", MIN, NULL), 1);
	eval_at(&f, 2 * MIN); /* 85 */
	ck_assert(alert1(&f, "Hot")->value == 85);
	eval_at(&f, 3 * MIN); /* 65 */
	ck_assert_int_eq(alert1(&f, "Hot")->state, RULES_FIRING);
	eval_at(&f, 4 * MIN); /* 50: clear matches a="1" */
	ck_assert_int_eq(alert1(&f, "Hot")->state, RULES_INACTIVE);
	ck_assert_uint_eq(q(&f, "ALERTS", 4 * MIN, NULL), 0);
	/* 70 again: below the alert threshold, nothing new. */
	eval_at(&f, 5 * MIN);
	ck_assert_int_eq(alert1(&f, "Hot")->state, RULES_INACTIVE);
	ck_assert_str_eq(f.log, "Hot:inactive->pending;Hot:pending->firing;"
				"Hot:firing->inactive;");
	fx_free(&f);
}
END_TEST

START_TEST(test_alert_templates_and_dup)
{
	struct rule_set_def set = {0};
	struct rule_group_def *g = set_group(&set, "g");
	struct rule_def *d = def_add(g, RULE_ALERT, "A", "m > 0");
	kv_add(&d->labels, &d->nlabels, "where", "{{ $labels.a }}");
	kv_add(&d->annotations, &d->nannotations, "s", "v={{ $value }}");
	/* Two series that differ only by name: one instance each would
	 * collide once __name__ is dropped. */
	def_add(g, RULE_ALERT, "B", "{__name__=~\"m|n\"}");
	struct fx f;
	fx_init(&f, &set);
	feed(&f, "m", "x", 0, 2.5);
	feed(&f, "n", "x", 0, 1);
	ck_assert_int_eq(rules_eval_group(f.m, 0, 0), -EINVAL);
	const struct rules_alert *a = alert1(&f, "A");
	ck_assert_str_eq(labels_get(a->labels, "where"), "x");
	ck_assert_str_eq(a->annotations[0].value, "v=2.5");
	ck_assert_ptr_null(alert1(&f, "B"));
	fx_free(&f);
}
END_TEST

/* ---- recording rules ----------------------------------------------------- */

static int find_err(const struct rules_rule_info *rule, void *ctx)
{
	if (rule->health == RULES_HEALTH_BAD)
		*(const char **)ctx = rule->last_error;
	return 0;
}

START_TEST(test_recording)
{
	struct rule_set_def set = {0};
	struct rule_group_def *g = set_group(&set, "g");
	struct rule_def *d = def_add(g, RULE_RECORD, "r", "m * 2");
	kv_add(&d->labels, &d->nlabels, "k", "v");
	def_add(g, RULE_RECORD, "r2", "r + 1"); /* sees r of this round */
	def_add(g, RULE_RECORD, "s", "sum(m)");
	struct fx f;
	fx_init(&f, &set);
	double v;
	feed(&f, "m", "1", 0, 1);
	feed(&f, "m", "2", 0, 5);
	eval_at(&f, 0);
	ck_assert_uint_eq(q(&f, "r{k=\"v\"}", 0, NULL), 2);
	ck_assert_uint_eq(q(&f, "r2{a=\"2\"}", 0, &v), 1);
	ck_assert(v == 11);
	ck_assert_uint_eq(q(&f, "s", 0, &v), 1);
	ck_assert(v == 6);
	/* m{a="2"} goes stale: so do r{a="2"} and r2{a="2"}. */
	feed(&f, "m", "1", MIN, 1);
	feed(&f, "m", "2", MIN, store_stale_nan());
	eval_at(&f, MIN);
	ck_assert_uint_eq(q(&f, "r", MIN, NULL), 1);
	ck_assert_uint_eq(q(&f, "r2", MIN, NULL), 1);
	ck_assert_uint_eq(q(&f, "r{a=\"2\"}", MIN - 1, NULL), 1);
	ck_assert_uint_eq(
		q(&f, "count_over_time(r{a=\"2\"}[10m])", 2 * MIN, &v), 1);
	ck_assert(v == 1);
	fx_free(&f);

	/* Rule labels making two series one: an error, nothing written. */
	memset(&set, 0, sizeof(set));
	g = set_group(&set, "g");
	d = def_add(g, RULE_RECORD, "r", "m");
	kv_add(&d->labels, &d->nlabels, "a", "same");
	fx_init(&f, &set);
	feed(&f, "m", "1", 0, 1);
	feed(&f, "m", "2", 0, 5);
	ck_assert_int_eq(rules_eval_group(f.m, 0, 0), -EINVAL);
	const char *err = NULL;
	rules_foreach_rule(f.m, find_err, &err);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, "vector contains metrics with the same labelset "
			      "after applying rule labels");
	ck_assert_uint_eq(q(&f, "r", 0, NULL), 0);
	fx_free(&f);
}
END_TEST

/* ---- reload, save, restore ------------------------------------------------ */

static void reload_set(struct rule_set_def *set, bool with_record,
		       int64_t for_ms)
{
	memset(set, 0, sizeof(*set));
	struct rule_group_def *g = set_group(set, "g");
	struct rule_def *d = def_add(g, RULE_ALERT, "A", "m > 0");
	d->for_ms = for_ms;
	kv_add(&d->annotations, &d->nannotations, "v", "{{ $value }}");
	if (with_record)
		def_add(g, RULE_RECORD, "r", "m");
}

START_TEST(test_carry_over)
{
	struct rule_set_def set;
	struct fx f;
	reload_set(&set, true, MIN);
	fx_init(&f, &set);
	for (int i = 0; i < 4; i++)
		feed(&f, "m", "1", i * MIN, 1);
	eval_at(&f, 0);
	eval_at(&f, MIN);
	ck_assert_int_eq(alert1(&f, "A")->state, RULES_FIRING);
	ck_assert_uint_eq(q(&f, "r", MIN, NULL), 1);

	/* Same alert, recording rule gone. */
	struct rules_manager *old = f.m;
	reload_set(&set, false, MIN);
	struct rules_config cfg = fx_cfg(&f);
	ck_assert_int_eq(rules_new(&f.m, &set, &cfg), 0);
	rules_carry_over(f.m, old);
	rules_free(old);
	f.log[0] = '\0';
	eval_at(&f, 2 * MIN);
	const struct rules_alert *a = alert1(&f, "A");
	ck_assert_int_eq(a->state, RULES_FIRING);
	ck_assert_int_eq(a->active_at, 0);
	ck_assert_str_eq(f.log, "");
	ck_assert_uint_eq(q(&f, "r", 2 * MIN, NULL), 0); /* stale */
	ck_assert_uint_eq(q(&f, "ALERTS", 2 * MIN, NULL), 1);

	/* A changed `for`: a new rule, starting afresh. */
	old = f.m;
	reload_set(&set, false, 5 * MIN);
	ck_assert_int_eq(rules_new(&f.m, &set, &cfg), 0);
	rules_carry_over(f.m, old);
	rules_free(old);
	ck_assert_ptr_null(alert1(&f, "A"));
	eval_at(&f, 3 * MIN);
	ck_assert_int_eq(alert1(&f, "A")->state, RULES_PENDING);
	ck_assert_uint_eq(
		q(&f, "ALERTS{alertstate=\"pending\"}", 3 * MIN, NULL), 1);
	ck_assert_uint_eq(q(&f, "ALERTS{alertstate=\"firing\"}", 3 * MIN, NULL),
			  0);
	fx_free(&f);
}
END_TEST

START_TEST(test_save_restore)
{
	struct rule_set_def set;
	struct fx f, g;
	char path[] = "/tmp/test_rules_XXXXXX", err[256];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);

	reload_set(&set, false, MIN);
	fx_init(&f, &set);
	feed(&f, "m", "1", 0, 1.25);
	feed(&f, "m", "1", MIN, 1.5);
	feed(&f, "m", "2", MIN, 3);
	eval_at(&f, 0);
	eval_at(&f, MIN);
	ck_assert_int_eq(rules_save(f.m, path), 0);

	reload_set(&set, false, MIN);
	fx_init(&g, &set);
	ck_assert_int_eq(rules_restore(g.m, path, MIN, err, sizeof(err)), 0);
	struct find fd1 = {.name = "A"};
	rules_foreach_alert(g.m, find_alert, &fd1);
	ck_assert_uint_eq(fd1.n, 2);
	for (int i = 1; i <= 2; i++) {
		char av[16];
		snprintf(av, sizeof(av), "%d", i);
		const struct rules_alert *x = alert_by(&f, av);
		const struct rules_alert *y = alert_by(&g, av);
		ck_assert_ptr_nonnull(x);
		ck_assert_ptr_nonnull(y);
		ck_assert(labels_equal(x->labels, y->labels));
		ck_assert(labels_equal(x->series, y->series));
		ck_assert_int_eq(x->state, y->state);
		ck_assert(x->value == y->value);
		ck_assert_int_eq(x->active_at, y->active_at);
		ck_assert_int_eq(x->fired_at, y->fired_at);
		ck_assert_int_eq(x->resolved_at, y->resolved_at);
		ck_assert_uint_eq(y->nannotations, 1);
		ck_assert_str_eq(x->annotations[0].value,
				 y->annotations[0].value);
	}
	ck_assert_int_eq(alert_by(&g, "1")->state, RULES_FIRING);
	ck_assert_str_eq(alert_by(&g, "1")->annotations[0].value, "1.5");
	ck_assert_int_eq(alert_by(&g, "2")->state, RULES_PENDING);
	/* The firing one (a="1") stays firing, unannounced. */
	feed(&g, "m", "1", 2 * MIN, 2);
	feed(&g, "m", "2", 2 * MIN, 3);
	eval_at(&g, 2 * MIN);
	ck_assert_str_eq(g.log, "A:pending->firing;"); /* only a="2" */
	ck_assert_uint_eq(q(&g, "ALERTS{alertstate=\"firing\"}", 2 * MIN, NULL),
			  2);
	ck_assert_uint_eq(q(&g, "ALERTS_FOR_STATE{a=\"2\"}", 2 * MIN, NULL), 1);

	/* No file, a bad file. */
	unlink(path);
	ck_assert_int_eq(rules_restore(g.m, path, 0, err, sizeof(err)),
			 -ENOENT);
	FILE *bad = fopen(path, "w");
	fputs("{\"version\": 7}", bad);
	fclose(bad);
	ck_assert_int_eq(rules_restore(g.m, path, 0, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
	fx_free(&f);
	fx_free(&g);
}
END_TEST

START_TEST(test_write_sink)
{
	struct rule_set_def set = {0};
	struct rule_group_def *g = set_group(&set, "g");
	def_add(g, RULE_RECORD, "r", "m");
	def_add(g, RULE_ALERT, "A", "m > 0");
	def_add(set_group(&set, "h"), RULE_RECORD, "r", "m * 2");
	struct fx f;
	fx_init(&f, &set);
	feed(&f, "m", "1", 0, 1);
	feed(&f, "m", "2", 0, 2);
	eval_at(&f, 0);
	struct capture_sink cs;
	capture_init(&cs);
	rules_write(f.m, &cs.sink);
	ck_assert_int_eq(cs.violations, 0);
	ck_assert_ptr_nonnull(capture_family(&cs, "ALERTS"));
	ck_assert_ptr_nonnull(capture_family(&cs, "ALERTS_FOR_STATE"));
	ck_assert_uint_eq(capture_family(&cs, "r")->nsamples, 2);
	ck_assert_ptr_nonnull(capture_find(
		&cs, "ALERTS{a=\"1\",alertname=\"A\",alertstate=\"firing\"}"));
	capture_free(&cs);
	fx_free(&f);
}
END_TEST

/* ---- test-rules parsers ---------------------------------------------------- */

static const struct vcase {
	const char *in;
	const char *out; /* values as "%g", gaps "_", stale "S" */
} vcases[] = {
	{"1 2 3", "1 2 3"},
	{"  1   2 ", "1 2"},
	{"0+10x3", "0 10 20 30"},
	{"5-1x2", "5 4 3"},
	{"-1+2x1", "-1 1"},
	{"7x2", "7 7 7"},
	{"_ 1 _x3 2", "_ 1 _ _ _ 2"},
	{"stale 1 stale", "S 1 S"},
	{"1e3 .5 Inf -Inf NaN +2", "1000 0.5 inf -inf nan 2"},
	{"010 09", "8 9"},
	{"", ""},
	{"0.1+0.1x2", "0.1 0.2 0.3"},
};

START_TEST(test_values)
{
	const struct vcase *c = &vcases[_i];
	struct testrules_value *v = NULL;
	size_t n = 0;
	char err[128];
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_msg(testrules_parse_values(c->in, &v, &n, err, sizeof(err)) ==
			      0,
		      "%s: %s", c->in, err);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ' ');
		if (v[i].omitted)
			buf_putc(&b, '_');
		else if (store_is_stale(v[i].v))
			buf_putc(&b, 'S');
		else
			buf_printf(&b, "%g", v[i].v);
	}
	ck_assert_str_eq(n ? buf_cstr(&b) : "", c->out);
	if (strcmp(c->in, "0.1+0.1x2") == 0)
		ck_assert(v[2].v == 0.1 + 0.1 + 0.1); /* accumulated */
	free(v);
	buf_free(&b);
}
END_TEST

START_TEST(test_values_bad)
{
	static const char *bad[] = {"1 2 x", "foo", "1x",      "0x1F",
				    "1 +",   "1+2", "stalex1", "1x3.5",
				    "_x",    "1,2", "1 2x3y"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct testrules_value *v = NULL;
		size_t n = 0;
		char err[128] = "";
		ck_assert_msg(testrules_parse_values(bad[i], &v, &n, err,
						     sizeof(err)) == -EINVAL,
			      "%s accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "column"));
	}
}
END_TEST

START_TEST(test_metric)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"m", "{__name__=\"m\"}"},
		{"m{a=\"1\"}", "{__name__=\"m\", a=\"1\"}"},
		{"{b='x', a=\"1\",}", "{a=\"1\", b=\"x\"}"},
		{"c:rate5m{x=\"a\\\"b\"}",
		 "{__name__=\"c:rate5m\", x=\"a\\\"b\"}"},
		{"{}", "{}"},
		{"", "{}"},
		{"  m  { a = \"1\" } ", "{__name__=\"m\", a=\"1\"}"},
	};
	static const char *bad[] = {"m{a=~\"1\"}", "m{a}",     "m{a=1}",
				    "m x",	   "{a=\"1\"", "m[5m]"};
	char err[256];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct hw_labels *ls = NULL;
		struct hw_buf b = HW_BUF_INIT;
		ck_assert_msg(testrules_parse_metric(ok[i].in, &ls, err,
						     sizeof(err)) == 0,
			      "%s: %s", ok[i].in, err);
		labels_format_braces(ls, &b);
		ck_assert_str_eq(buf_cstr(&b), ok[i].out);
		buf_free(&b);
		labels_unref(ls);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hw_labels *ls = NULL;
		ck_assert_msg(testrules_parse_metric(bad[i], &ls, err,
						     sizeof(err)) == -EINVAL,
			      "%s accepted", bad[i]);
		ck_assert_ptr_null(ls);
	}
}
END_TEST

START_TEST(test_formats)
{
	char s[64];
	struct hw_buf b = HW_BUF_INIT;
	static const struct {
		double v;
		const char *out;
	} f[] = {{5, "5E+00"},
		 {150, "1.5E+02"},
		 {0.1, "1E-01"},
		 {-2.5, "-2.5E+00"},
		 {1e100, "1E+100"},
		 {0, "0E+00"},
		 {1.0 / 3, "3.333333333333333E-01"}};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		testrules_format_float(f[i].v, s, sizeof(s));
		ck_assert_str_eq(s, f[i].out);
	}
	testrules_format_float(NAN, s, sizeof(s));
	ck_assert_str_eq(s, "NaN");
	testrules_format_float(-INFINITY, s, sizeof(s));
	ck_assert_str_eq(s, "-Inf");
	testrules_format_duration(90 * 1000, &b);
	ck_assert_str_eq(buf_cstr(&b), "1m30s");
	buf_free(&b);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("manager");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pending_vanishes);
	tcase_add_test(tc, test_for_fires_and_retention);
	tcase_add_test(tc, test_keep_firing_for);
	tcase_add_test(tc, test_keep_firing_for_pending);
	tcase_add_test(tc, test_clear_hysteresis);
	tcase_add_test(tc, test_alert_templates_and_dup);
	tcase_add_test(tc, test_recording);
	tcase_add_test(tc, test_carry_over);
	tcase_add_test(tc, test_save_restore);
	tcase_add_test(tc, test_write_sink);
	suite_add_tcase(s, tc);
	tc = tcase_create("testrules");
	tcase_add_loop_test(tc, test_values, 0,
			    sizeof(vcases) / sizeof(vcases[0]));
	tcase_add_test(tc, test_values_bad);
	tcase_add_test(tc, test_metric);
	tcase_add_test(tc, test_formats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
