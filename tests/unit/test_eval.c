/* Unit tests for the PromQL-subset evaluator (eval.h): every function,
 * operator, aggregation, matching mode and query error, over a real store
 * (store_new with a growing ring, store_watch_all, store_append), with the
 * values promtool 2.42 gives for the same input compared bit for bit
 * (printed with %.17g, which round-trips a double).
 *
 * The inputs use promtool's input_series notation ("0+10x20", "_", "_x3",
 * "stale") and the expected values were checked with `promtool test
 * rules`: run this program with EVAL_EMIT_PROMTOOL=DIR set and it writes
 * DIR/eval_N.test.yml (one per data set, NaN and error cases left out) for
 * `promtool test rules` to confirm. The pure functions (extrapolation, Go's
 * Min/Max/Mod, Kahan sums, the avg Inf rules) are tested directly too. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/eval.h"
#include "../../src/alert/eval_internal.h"

#define MIN_MS 60000

struct series_def {
	const char *series, *values;
};

struct case_def {
	const char *expr;
	const char *at; /* promtool duration: "10m", "90s", "300001ms" */
	const char *want; /* "lbls => value; ..." sorted, "scalar V", "ERR msg" */
	bool no_promtool; /* NaN, order-dependent floats */
};

/* --- helpers --- */

static int64_t dur_ms(const char *s)
{
	int64_t total = 0;
	while (*s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (strncmp(end, "ms", 2) == 0) {
			total += v;
			end += 2;
		} else if (*end == 's') {
			total += v * 1000, end++;
		} else if (*end == 'm') {
			total += v * MIN_MS, end++;
		} else if (*end == 'h') {
			total += v * 60 * MIN_MS, end++;
		} else {
			ck_abort_msg("bad duration %s", s);
		}
		s = end;
	}
	return total;
}

/* The label set of a series written as a selector: name{a="b", ...}. */
static struct hw_labels *series_labels(const char *text)
{
	struct promql_node *n;
	struct promql_error e;
	struct hw_label pairs[32];
	size_t np = 0;
	ck_assert_int_eq(promql_parse(text, &n, &e), 0);
	ck_assert_int_eq(n->kind, PROMQL_SELECTOR);
	if (n->u.sel.name)
		pairs[np++] = (struct hw_label){LABEL_NAME, n->u.sel.name};
	for (size_t i = 0; i < n->u.sel.nmatchers; i++)
		pairs[np++] = (struct hw_label){n->u.sel.matchers[i].name,
						n->u.sel.matchers[i].value};
	struct hw_labels *ls = labels_new(pairs, np);
	ck_assert_ptr_nonnull(ls);
	promql_free(n);
	return ls;
}

static double parse_num(const char *s, char **end)
{
	if (strncmp(s, "NaN", 3) == 0) {
		*end = (char *)s + 3;
		return NAN;
	}
	if (strncmp(s, "Inf", 3) == 0 || strncmp(s, "+Inf", 4) == 0) {
		*end = (char *)s + (s[0] == '+' ? 4 : 3);
		return INFINITY;
	}
	if (strncmp(s, "-Inf", 4) == 0) {
		*end = (char *)s + 4;
		return -INFINITY;
	}
	return strtod(s, end);
}

/* promtool's input_series values, one sample per minute from 0. "a+bxN"
 * accumulates like generated_parser.y (a, a+b, (a+b)+b, ...). */
static void add_series(struct hw_store *st, const struct series_def *d)
{
	struct hw_labels *ls = series_labels(d->series);
	const char *p = d->values;
	int64_t t = 0;
	while (*p) {
		char *end;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (strncmp(p, "stale", 5) == 0) {
			ck_assert_ptr_nonnull(store_append(st, ls, t, store_stale_nan()));
			t += MIN_MS;
			p += 5;
			continue;
		}
		if (*p == '_') {
			long n = 1;
			p++;
			if (*p == 'x')
				n = strtol(p + 1, &end, 10) + 0, p = end;
			t += n * MIN_MS;
			continue;
		}
		double v = parse_num(p, &end), step = 0;
		long n = 0;
		p = end;
		if (*p == '+' || (*p == '-' && p[1] != ' ' && p[1])) {
			step = parse_num(p, &end);
			p = end;
			ck_assert_msg(*p == 'x', "bad values %s", d->values);
		}
		if (*p == 'x')
			n = strtol(p + 1, &end, 10), p = end;
		for (long i = 0; i <= n; i++) {
			ck_assert_ptr_nonnull(store_append(st, ls, t, v));
			t += MIN_MS;
			v += step;
		}
	}
	labels_unref(ls);
}

static struct hw_store *make_store(const struct series_def *defs)
{
	struct store_config cfg = {0};
	struct hw_store *st = store_new(&cfg);
	ck_assert_ptr_nonnull(st);
	store_watch_all(st);
	for (; defs->series; defs++)
		add_series(st, defs);
	return st;
}

static void fmt_value(struct hw_buf *b, double v)
{
	if (isnan(v))
		buf_puts(b, "NaN");
	else if (isinf(v))
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else
		buf_printf(b, "%.17g", v);
}

static int cmp_sample(const void *a, const void *b)
{
	return labels_cmp(((const struct eval_sample *)a)->labels,
			  ((const struct eval_sample *)b)->labels);
}

/* Evaluate and render: sorted "labels => value" joined by "; ". */
static char *run(struct hw_store *st, const char *expr, int64_t t)
{
	struct promql_node *n;
	struct promql_error pe;
	struct eval_result res;
	struct hw_buf b = HW_BUF_INIT;
	char err[512];
	ck_assert_msg(promql_parse(expr, &n, &pe) == 0, "parse %s: %s", expr,
		      pe.msg);
	int r = eval_instant(n, st, t, NULL, &res, err, sizeof(err));
	if (r < 0) {
		ck_assert_int_eq(r, -EINVAL);
		buf_printf(&b, "ERR %s", err);
	} else if (res.type == PROMQL_TYPE_SCALAR) {
		buf_puts(&b, "scalar ");
		fmt_value(&b, res.scalar);
	} else {
		if (res.n > 1)
			qsort(res.v, res.n, sizeof(*res.v), cmp_sample);
		for (size_t i = 0; i < res.n; i++) {
			if (i)
				buf_puts(&b, "; ");
			labels_format(res.v[i].labels, &b);
			buf_puts(&b, " => ");
			fmt_value(&b, res.v[i].v);
		}
	}
	eval_result_free(&res);
	promql_free(n);
	char *s = strdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* A rendered value as YAML reads floats. */
static const char *yaml_num(const char *v, size_t n)
{
	static char buf[64];
	if (n == 4 && strncmp(v, "+Inf", 4) == 0)
		return ".inf";
	if (n == 4 && strncmp(v, "-Inf", 4) == 0)
		return "-.inf";
	snprintf(buf, sizeof(buf), "%.*s", (int)n, v);
	return buf;
}

/* The data set as a promtool test file, for checking the expectations. */
static void emit_promtool(const struct series_def *defs,
			  const struct case_def *cases, int set)
{
	const char *dir = getenv("EVAL_EMIT_PROMTOOL");
	char path[512];
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/eval_%d.test.yml", dir, set);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "rule_files: []\nevaluation_interval: 1m\ntests:\n"
		   "  - interval: 1m\n    input_series:\n");
	for (; defs->series; defs++)
		fprintf(f, "      - series: '%s'\n        values: '%s'\n",
			defs->series, defs->values);
	fprintf(f, "    promql_expr_test:\n");
	for (; cases->expr; cases++) {
		if (cases->no_promtool || strstr(cases->want, "NaN") ||
		    strncmp(cases->want, "ERR", 3) == 0)
			continue;
		fprintf(f, "      - expr: '%s'\n        eval_time: %s\n",
			cases->expr, cases->at);
		if (!*cases->want) {
			fprintf(f, "        exp_samples: []\n");
			continue;
		}
		fprintf(f, "        exp_samples:\n");
		const char *p = cases->want;
		if (strncmp(p, "scalar ", 7) == 0) {
			fprintf(f, "          - labels: '{}'\n            value: %s\n",
				yaml_num(p + 7, strlen(p + 7)));
			continue;
		}
		while (*p) {
			const char *arrow = strstr(p, " => ");
			const char *next = strstr(arrow, "; ");
			size_t vl = next ? (size_t)(next - arrow - 4) : strlen(arrow + 4);
			fprintf(f, "          - labels: '%.*s'\n            value: %s\n",
				(int)(arrow - p), p, yaml_num(arrow + 4, vl));
			p = next ? next + 2 : arrow + 4 + vl;
		}
	}
	fclose(f);
}

/* Case i of a data set, on a store of its own (so a failure names it). */
static void run_case(const struct series_def *defs,
		     const struct case_def *cases, int set, int i)
{
	struct hw_store *st = make_store(defs);
	const struct case_def *c = &cases[i];
	if (i == 0)
		emit_promtool(defs, cases, set);
	char *got = run(st, c->expr, dur_ms(c->at));
	if (getenv("EVAL_DUMP")) /* for writing new cases */
		printf("\t{\"%s\", \"%s\", \"%s\"},\n", c->expr, c->at, got);
	else
		ck_assert_msg(strcmp(got, c->want) == 0,
			      "%s @%s:\n  want %s\n  got  %s", c->expr, c->at,
			      c->want, got);
	free(got);
	store_free(st);
}

#define NCASES(t) ((int)(sizeof(t) / sizeof(t[0])) - 1)

#define C(e, t, w) {e, t, w, false}
#define CN(e, t, w) {e, t, w, true} /* not checkable with promtool */
#define CEND {NULL, NULL, NULL, false}

/* --- rate, increase, delta, irate, idelta --- */

static const struct series_def rate_series[] = {
	{"c{s=\"a\"}", "0+10x20"},
	{"c{s=\"b\"}", "2+10x20"},
	{"c{s=\"z\"}", "5 11"},
	{"r{s=\"reset\"}", "1 5 10 2 6 1 4"},
	{"g{i=\"1\"}", "1 2 4 _ -3 10"},
	{"w{s=\"gap\"}", "0 5 _x3 30"},
	{"neg{s=\"n\"}", "-5 5 15"},
	{"f{s=\"frac\"}", "0.1 0.4 0.45 1.3 1.3"},
	{"st{s=\"stale\"}", "1 3 stale 7 9"},
	{"dup{s=\"d\"}", "1 2 3"},
	{"dup2{s=\"d\"}", "1 2 3"},
	{NULL, NULL},
};

static const struct case_def rate_cases[] = {
	C("rate(c{s=\"a\"}[5m])", "10m", "{s=\"a\"} => 0.16666666666666669"),
	C("rate(c{s=\"a\"}[5m])", "10m30s", "{s=\"a\"} => 0.16666666666666666"),
	C("rate(c{s=\"b\"}[5m])", "1m", "{s=\"b\"} => 0.040000000000000001"),
	C("increase(c{s=\"b\"}[5m])", "1m", "{s=\"b\"} => 12"),
	C("increase(c{s=\"z\"}[5m])", "1m", "{s=\"z\"} => 11"),
	C("rate(c{s=\"a\"}[5m])", "1m", "{s=\"a\"} => 0.033333333333333333"),
	C("rate(c[5m])", "0m", ""),
	C("rate(c[5m])", "20m", "{s=\"a\"} => 0.16666666666666669; {s=\"b\"} => 0.16666666666666669"),
	C("rate(c[90s])", "5m", "{s=\"a\"} => 0.16666666666666666; {s=\"b\"} => 0.16666666666666666"),
	C("increase(c[2m])", "4m30s", "{s=\"a\"} => 20; {s=\"b\"} => 20"),
	C("increase(c[1h])", "20m", "{s=\"a\"} => 200; {s=\"b\"} => 202; {s=\"z\"} => 14"),
	C("increase(r[10m])", "6m", "{s=\"reset\"} => 20"),
	C("rate(r[3m])", "6m", "{s=\"reset\"} => 0.044444444444444446"),
	C("irate(r[5m])", "3m", "{s=\"reset\"} => 0.033333333333333333"),
	C("irate(r[5m])", "4m", "{s=\"reset\"} => 0.066666666666666666"),
	C("irate(r[5m])", "0m", ""),
	C("idelta(r[5m])", "3m", "{s=\"reset\"} => -8"),
	C("delta(g[5m])", "5m", "{i=\"1\"} => 9"),
	C("delta(g[2m])", "2m", "{i=\"1\"} => 3"),
	C("delta(g[3m])", "5m", "{i=\"1\"} => 6"),
	C("idelta(g[5m])", "5m", "{i=\"1\"} => 13"),
	C("idelta(g[5m])", "4m", "{i=\"1\"} => -7"),
	C("irate(w[10m])", "5m", "{s=\"gap\"} => 0.10416666666666667"),
	C("rate(w[10m])", "5m", "{s=\"gap\"} => 0.050000000000000003"),
	C("increase(w[3m])", "4m", ""),
	C("increase(neg[5m])", "2m", "{s=\"n\"} => 25"),
	C("rate(neg[5m])", "3m", "{s=\"n\"} => 0.11666666666666667"),
	C("delta(f[5m])", "4m", "{s=\"frac\"} => 1.5"),
	C("rate(f[4m])", "4m", "{s=\"frac\"} => 0.0050000000000000001"),
	C("increase(f[2m])", "3m", "{s=\"frac\"} => 0.90000000000000002"),
	C("irate(f[5m])", "4m", "{s=\"frac\"} => 0"),
	C("increase(st[5m])", "4m", "{s=\"stale\"} => 9"),
	C("irate(st[5m])", "3m", "{s=\"stale\"} => 0.033333333333333333"),
	C("rate(st[90s])", "3m30s", ""),
	C("delta(st[10m])", "4m", "{s=\"stale\"} => 9.3333333333333339"),
	C("rate({__name__=~\"dup|c\", s=\"a\"}[5m])", "5m", "{s=\"a\"} => 0.16666666666666669"),
	C("rate({__name__=~\"dup.*\"}[5m])", "2m", "ERR vector cannot contain metrics with the same labelset"),
	CEND,
};

START_TEST(test_rate)
{
	run_case(rate_series, rate_cases, 1, _i);
}
END_TEST

/* --- *_over_time, range bounds, lookback, staleness, selectors --- */

static const struct series_def time_series[] = {
	{"o{k=\"1\"}", "1 2 4 _ 8"},
	{"o{k=\"2\"}", "1e100 1 -1e100"},
	{"o{k=\"3\"}", "0.1 0.2 0.3"},
	{"o{k=\"4\"}", "NaN 3 1"},
	{"o{k=\"5\"}", "Inf 1 3"},
	{"o{k=\"6\"}", "Inf 1 -Inf"},
	{"o{k=\"7\"}", "1 NaN 3"},
	{"s{k=\"st\"}", "1 2 stale 4"},
	{"s{k=\"gap\"}", "1 2 _ 4"},
	{"l{k=\"once\"}", "5"},
	{"m{job=\"a\", inst=\"1\"}", "1"},
	{"m{job=\"a\", inst=\"2\"}", "2"},
	{"m{job=\"b\", inst=\"1\"}", "3"},
	{"m{job=\"b\"}", "4"},
	{"m{job=\"ab\"}", "6"},
	{"n{job=\"a\"}", "5"},
	{NULL, NULL},
};

static const struct case_def time_cases[] = {
	C("avg_over_time(o{k=\"1\"}[5m])", "4m", "{k=\"1\"} => 3.75"),
	C("min_over_time(o{k=\"1\"}[5m])", "4m", "{k=\"1\"} => 1"),
	C("max_over_time(o{k=\"1\"}[5m])", "4m", "{k=\"1\"} => 8"),
	C("sum_over_time(o{k=\"1\"}[5m])", "4m", "{k=\"1\"} => 15"),
	C("count_over_time(o{k=\"1\"}[5m])", "4m", "{k=\"1\"} => 4"),
	C("last_over_time(o{k=\"1\"}[5m])", "4m", "o{k=\"1\"} => 8"),
	C("count_over_time(o{k=\"1\"}[2m])", "2m", "{k=\"1\"} => 3"),
	C("count_over_time(o{k=\"1\"}[2m])", "2m1ms", "{k=\"1\"} => 2"),
	C("count_over_time(o{k=\"1\"}[119999ms])", "2m", "{k=\"1\"} => 2"),
	C("avg_over_time(o{k=\"1\"}[1m])", "6m", ""),
	C("sum_over_time(o{k=\"2\"}[5m])", "2m", "{k=\"2\"} => 1"),
	C("avg_over_time(o{k=\"2\"}[5m])", "2m", "{k=\"2\"} => 0"),
	C("sum_over_time(o{k=\"3\"}[5m])", "2m", "{k=\"3\"} => 0.59999999999999998"),
	C("avg_over_time(o{k=\"3\"}[5m])", "2m", "{k=\"3\"} => 0.19999999999999998"),
	C("min_over_time(o{k=\"4\"}[5m])", "2m", "{k=\"4\"} => 1"),
	C("max_over_time(o{k=\"4\"}[5m])", "2m", "{k=\"4\"} => 3"),
	C("avg_over_time(o{k=\"5\"}[5m])", "2m", "{k=\"5\"} => +Inf"),
	C("sum_over_time(o{k=\"5\"}[5m])", "2m", "{k=\"5\"} => +Inf"),
	CN("avg_over_time(o{k=\"6\"}[5m])", "2m", "{k=\"6\"} => NaN"),
	CN("min_over_time(o{k=\"7\"}[5m])", "2m", "{k=\"7\"} => 1"),
	CN("avg_over_time(o{k=\"7\"}[5m])", "2m", "{k=\"7\"} => NaN"),
	C("count_over_time(s[5m])", "3m", "{k=\"gap\"} => 3; {k=\"st\"} => 3"),
	C("last_over_time(s[5m])", "2m30s", "s{k=\"gap\"} => 2; s{k=\"st\"} => 2"),
	C("s", "1m", "s{k=\"gap\"} => 2; s{k=\"st\"} => 2"),
	C("s", "2m", "s{k=\"gap\"} => 2"),
	C("s", "2m30s", "s{k=\"gap\"} => 2"),
	C("s", "3m", "s{k=\"gap\"} => 4; s{k=\"st\"} => 4"),
	C("l", "5m", "l{k=\"once\"} => 5"),
	C("l", "300001ms", ""),
	C("last_over_time(l[5m])", "5m", "l{k=\"once\"} => 5"),
	C("m", "0m", "m{inst=\"1\", job=\"a\"} => 1; m{inst=\"1\", job=\"b\"} => 3; m{inst=\"2\", job=\"a\"} => 2; m{job=\"ab\"} => 6; m{job=\"b\"} => 4"),
	C("m{job=\"a\"}", "0m", "m{inst=\"1\", job=\"a\"} => 1; m{inst=\"2\", job=\"a\"} => 2"),
	C("m{job!=\"a\"}", "0m", "m{inst=\"1\", job=\"b\"} => 3; m{job=\"ab\"} => 6; m{job=\"b\"} => 4"),
	C("m{inst=\"\"}", "0m", "m{job=\"ab\"} => 6; m{job=\"b\"} => 4"),
	C("m{inst!=\"\"}", "0m", "m{inst=\"1\", job=\"a\"} => 1; m{inst=\"1\", job=\"b\"} => 3; m{inst=\"2\", job=\"a\"} => 2"),
	C("m{job=~\"a|b\", inst!~\"1\"}", "0m", "m{inst=\"2\", job=\"a\"} => 2; m{job=\"b\"} => 4"),
	C("m{job=~\"a\"}", "0m", "m{inst=\"1\", job=\"a\"} => 1; m{inst=\"2\", job=\"a\"} => 2"),
	C("m{job=~\"a.*\", job!=\"a\"}", "0m", "m{job=\"ab\"} => 6"),
	C("{__name__=~\"m|n\", job=\"a\"}", "0m", "m{inst=\"1\", job=\"a\"} => 1; m{inst=\"2\", job=\"a\"} => 2; n{job=\"a\"} => 5"),
	C("{__name__=\"n\"}", "0m", "n{job=\"a\"} => 5"),
	C("nothing", "0m", ""),
	C("m{job=\"zzz\"}", "0m", ""),
	CEND,
};

START_TEST(test_over_time)
{
	run_case(time_series, time_cases, 2, _i);
}
END_TEST

/* --- operators, aggregations, instant functions --- */

static const struct series_def op_series[] = {
	{"a{i=\"1\", j=\"x\"}", "1"},
	{"a{i=\"2\", j=\"y\"}", "2"},
	{"a{i=\"3\", j=\"x\"}", "-3.5"},
	{"b{i=\"1\", j=\"x\"}", "10"},
	{"b{i=\"2\", j=\"z\"}", "0"},
	{"b{i=\"4\", j=\"x\"}", "7"},
	{"u{i=\"1\", j=\"q\"}", "0.1"},
	{"u{i=\"2\", j=\"q\"}", "0.2"},
	{"u{i=\"3\", j=\"q\"}", "0.7"},
	{"v{i=\"1\", j=\"x\"}", "1"},
	{NULL, NULL},
};

static const struct case_def op_cases[] = {
	/* scalars */
	C("1 + 2 * 3", "0m", "scalar 7"),
	C("(1 + 2) * 3", "0m", "scalar 9"),
	C("10 - 4 - 3", "0m", "scalar 3"),
	C("5 % -3", "0m", "scalar 2"),
	C("-5 % 3", "0m", "scalar -2"),
	C("5.5 % 2", "0m", "scalar 1.5"),
	C("1 / 0", "0m", "scalar +Inf"),
	C("-1 / 0", "0m", "scalar -Inf"),
	CN("0 / 0", "0m", "scalar NaN"),
	CN("Inf % 2", "0m", "scalar NaN"),
	C("5 % Inf", "0m", "scalar 5"),
	C("0.1 + 0.2", "0m", "scalar 0.30000000000000004"),
	C("2 > bool 1", "0m", "scalar 1"),
	C("2 < bool 1", "0m", "scalar 0"),
	C("NaN == bool NaN", "0m", "scalar 0"),
	C("NaN != bool NaN", "0m", "scalar 1"),
	C("time()", "90s", "scalar 90"),
	C("time()", "1500ms", "scalar 1.5"),
	C("-time()", "90s", "scalar -90"),
	/* vector-scalar */
	C("a * 2", "0m", "{i=\"1\", j=\"x\"} => 2; {i=\"2\", j=\"y\"} => 4; {i=\"3\", j=\"x\"} => -7"),
	C("2 - a", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 0; {i=\"3\", j=\"x\"} => 5.5"),
	C("a - 2", "0m", "{i=\"1\", j=\"x\"} => -1; {i=\"2\", j=\"y\"} => 0; {i=\"3\", j=\"x\"} => -5.5"),
	C("7 % a", "0m", "{i=\"1\", j=\"x\"} => 0; {i=\"2\", j=\"y\"} => 1; {i=\"3\", j=\"x\"} => 0"),
	C("a % 2", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 0; {i=\"3\", j=\"x\"} => -1.5"),
	C("a / 0", "0m", "{i=\"1\", j=\"x\"} => +Inf; {i=\"2\", j=\"y\"} => +Inf; {i=\"3\", j=\"x\"} => -Inf"),
	C("-a", "0m", "{i=\"1\", j=\"x\"} => -1; {i=\"2\", j=\"y\"} => -2; {i=\"3\", j=\"x\"} => 3.5"),
	C("+a", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a > 1", "0m", "a{i=\"2\", j=\"y\"} => 2"),
	C("a > bool 1", "0m", "{i=\"1\", j=\"x\"} => 0; {i=\"2\", j=\"y\"} => 1; {i=\"3\", j=\"x\"} => 0"),
	C("1 < a", "0m", "a{i=\"2\", j=\"y\"} => 2"),
	C("1 < bool a", "0m", "{i=\"1\", j=\"x\"} => 0; {i=\"2\", j=\"y\"} => 1; {i=\"3\", j=\"x\"} => 0"),
	C("a == 2", "0m", "a{i=\"2\", j=\"y\"} => 2"),
	C("a != 2", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a >= 1", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2"),
	C("a <= 1", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a < NaN", "0m", ""),
	C("a != bool NaN", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 1; {i=\"3\", j=\"x\"} => 1"),
	C("time() + a", "60s", "{i=\"1\", j=\"x\"} => 61; {i=\"2\", j=\"y\"} => 62; {i=\"3\", j=\"x\"} => 56.5"),
	/* vector-vector */
	C("a + b", "0m", "{i=\"1\", j=\"x\"} => 11"),
	C("a + on(i) b", "0m", "{i=\"1\"} => 11; {i=\"2\"} => 2"),
	C("a / ignoring(j) b", "0m", "{i=\"1\"} => 0.10000000000000001; {i=\"2\"} => +Inf"),
	CN("a % on(i) b", "0m", "{i=\"1\"} => 1; {i=\"2\"} => NaN"),
	C("a - on() v", "0m", "ERR multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"),
	C("a > on(i) b", "0m", "{i=\"2\"} => 2"),
	C("b > on(i) a", "0m", "{i=\"1\"} => 10"),
	C("a > bool on(i) b", "0m", "{i=\"1\"} => 0; {i=\"2\"} => 1"),
	C("a == a", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a == bool a", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 1; {i=\"3\", j=\"x\"} => 1"),
	C("a * ignoring(i) v", "0m", "ERR multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"),
	C("a + on(i, j) b", "0m", "{i=\"1\", j=\"x\"} => 11"),
	C("a + on(__name__) a", "0m", "ERR found duplicate series for the match group a on the right hand-side of the operation: [a{i=\"2\", j=\"y\"}, a{i=\"3\", j=\"x\"}];many-to-many matching not allowed: matching labels must be unique on one side"),
	C("a > on(j) v", "0m", ""),
	/* set operators */
	C("a and b", "0m", "a{i=\"1\", j=\"x\"} => 1"),
	C("a and on(j) b", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a and ignoring(i) b", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a or b", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5; b{i=\"2\", j=\"z\"} => 0; b{i=\"4\", j=\"x\"} => 7"),
	C("a or on(j) b", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5; b{i=\"2\", j=\"z\"} => 0"),
	C("a unless b", "0m", "a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a unless on(j) b", "0m", "a{i=\"2\", j=\"y\"} => 2"),
	C("a and nothing", "0m", ""),
	C("nothing or a", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a or nothing", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5"),
	C("a unless nothing", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; a{i=\"3\", j=\"x\"} => -3.5"),
	C("nothing unless a", "0m", ""),
	C("a > 0 or b", "0m", "a{i=\"1\", j=\"x\"} => 1; a{i=\"2\", j=\"y\"} => 2; b{i=\"2\", j=\"z\"} => 0; b{i=\"4\", j=\"x\"} => 7"),
	C("a and b or v", "0m", "a{i=\"1\", j=\"x\"} => 1"),
	/* aggregations */
	C("sum(a)", "0m", "{} => -0.5"),
	C("sum by (j) (a)", "0m", "{j=\"x\"} => -2.5; {j=\"y\"} => 2"),
	C("sum(a) by (j)", "0m", "{j=\"x\"} => -2.5; {j=\"y\"} => 2"),
	C("sum without (i) (a)", "0m", "{j=\"x\"} => -2.5; {j=\"y\"} => 2"),
	C("sum without () (a)", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 2; {i=\"3\", j=\"x\"} => -3.5"),
	C("sum by () (a)", "0m", "{} => -0.5"),
	C("sum by (nope) (a)", "0m", "{} => -0.5"),
	C("sum by (__name__) ({__name__=~\"a|b\"})", "0m", "a => -0.5; b => 17"),
	C("avg by (j) (a)", "0m", "{j=\"x\"} => -1.25; {j=\"y\"} => 2"),
	C("min by (j) (a)", "0m", "{j=\"x\"} => -3.5; {j=\"y\"} => 2"),
	C("max by (j) (a)", "0m", "{j=\"x\"} => 1; {j=\"y\"} => 2"),
	C("count by (j) (a)", "0m", "{j=\"x\"} => 2; {j=\"y\"} => 1"),
	C("count without (i, j) ({__name__=~\"a|b\"})", "0m", "{} => 6"),
	C("count(nothing)", "0m", ""),
	C("sum(nothing)", "0m", ""),
	CN("sum(u)", "0m", "{} => 0.99999999999999989"),
	CN("avg(u)", "0m", "{} => 0.33333333333333326"),
	C("max(a / 0)", "0m", "{} => +Inf"),
	C("min(b / 0)", "0m", "{} => +Inf"),
	C("avg(a / 0)", "0m", "{} => NaN"),
	/* instant functions */
	C("abs(a)", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 2; {i=\"3\", j=\"x\"} => 3.5"),
	C("clamp_min(a, 0)", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 2; {i=\"3\", j=\"x\"} => 0"),
	C("clamp_max(a, 1)", "0m", "{i=\"1\", j=\"x\"} => 1; {i=\"2\", j=\"y\"} => 1; {i=\"3\", j=\"x\"} => -3.5"),
	C("clamp_max(a, -Inf)", "0m", "{i=\"1\", j=\"x\"} => -Inf; {i=\"2\", j=\"y\"} => -Inf; {i=\"3\", j=\"x\"} => -Inf"),
	CN("clamp_min(a, NaN)", "0m", "{i=\"1\", j=\"x\"} => NaN; {i=\"2\", j=\"y\"} => NaN; {i=\"3\", j=\"x\"} => NaN"),
	C("clamp_min(a, time() - 58)", "1m", "{i=\"1\", j=\"x\"} => 2; {i=\"2\", j=\"y\"} => 2; {i=\"3\", j=\"x\"} => 2"),
	C("clamp_min(b, 0)", "0m", "{i=\"1\", j=\"x\"} => 10; {i=\"2\", j=\"z\"} => 0; {i=\"4\", j=\"x\"} => 7"),
	C("absent(a)", "0m", ""),
	C("absent(nothing)", "0m", "{} => 1"),
	C("absent(nothing{x=\"1\", y=~\"z\", z!=\"1\"})", "0m", "{x=\"1\"} => 1"),
	C("absent(nothing{x=\"1\", x=\"2\"})", "0m", "{} => 1"),
	C("absent(nothing{x=~\"1\", x=\"2\"})", "0m", "{x=\"2\"} => 1"),
	C("absent(nothing{x=\"1\", x=~\"1\"})", "0m", "{} => 1"),
	C("absent(nothing{x=\"1\", y=\"2\", x=\"1\"})", "0m", "{y=\"2\"} => 1"),
	C("absent(nothing{x=\"\", x=\"2\"})", "0m", "{} => 1"),
	C("absent({__name__=\"nothing\", x=\"1\"})", "0m", "{x=\"1\"} => 1"),
	C("absent((nothing{x=\"1\"}))", "0m", "{x=\"1\"} => 1"),
	C("absent(sum(nothing{x=\"1\"}))", "0m", "{} => 1"),
	CEND,
};

START_TEST(test_operators)
{
	run_case(op_series, op_cases, 3, _i);
}
END_TEST

/* --- errors --- */

static const struct case_def error_cases[] = {
	C("a + on(j) b", "0m", "ERR found duplicate series for the match group {j=\"x\"} on the right hand-side of the operation: [b{i=\"1\", j=\"x\"}, b{i=\"4\", j=\"x\"}];many-to-many matching not allowed: matching labels must be unique on one side"),
	C("a + on(j) v", "0m", "ERR multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"),
	C("a > on(j) v", "0m", ""),
	C("a > bool on(j) v", "0m", "ERR multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"),
	C("abs({__name__=~\"a|b\", i=\"1\"})", "0m", "ERR vector cannot contain metrics with the same labelset"),
	C("{__name__=~\"a|b\", i=\"1\"} + 1", "0m", "ERR vector cannot contain metrics with the same labelset"),
	C("{__name__=~\"a|b\", i=\"1\"} > 1", "0m", "b{i=\"1\", j=\"x\"} => 10"),
	C("{__name__=~\"a|b\", i=\"1\"} > bool 1", "0m", "ERR vector cannot contain metrics with the same labelset"),
	C("-{__name__=~\"a|b\", i=\"1\"}", "0m", "ERR vector cannot contain metrics with the same labelset"),
	C("rate({__name__=~\"a|b\", i=\"1\"}[5m])", "0m", ""),
	C("last_over_time({__name__=~\"a|b\", i=\"1\"}[5m])", "0m", "a{i=\"1\", j=\"x\"} => 1; b{i=\"1\", j=\"x\"} => 10"),
	C("a[5m]", "0m", "ERR rule result is not a vector or scalar"),
	CEND,
};

START_TEST(test_errors)
{
	run_case(op_series, error_cases, 4, _i);
}
END_TEST

/* --- pure functions (functions.go, Go's math) --- */

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

#define ck_bits(a, b) \
	ck_assert_msg(same_bits(a, b), "%s: %.17g != %.17g", #a, (double)(a), \
		      (double)(b))

START_TEST(test_go_math)
{
	ck_bits(ev_go_min(-INFINITY, NAN), -INFINITY);
	ck_bits(ev_go_min(NAN, -INFINITY), -INFINITY);
	ck_bits(ev_go_min(NAN, 1), NAN);
	ck_bits(ev_go_min(1, NAN), NAN);
	ck_bits(ev_go_min(-0.0, 0.0), -0.0);
	ck_bits(ev_go_min(0.0, -0.0), -0.0);
	ck_bits(ev_go_min(1, 2), 1);
	ck_bits(ev_go_max(INFINITY, NAN), INFINITY);
	ck_bits(ev_go_max(NAN, INFINITY), INFINITY);
	ck_bits(ev_go_max(NAN, 1), NAN);
	ck_bits(ev_go_max(-0.0, 0.0), 0.0);
	ck_bits(ev_go_max(0.0, -0.0), 0.0);
	ck_bits(ev_go_max(1, 2), 2);
	ck_bits(ev_go_mod(5, -3), 2);
	ck_bits(ev_go_mod(-5, 3), -2);
	ck_bits(ev_go_mod(5, 0), NAN);
	ck_bits(ev_go_mod(INFINITY, 1), NAN);
	ck_bits(ev_go_mod(5, INFINITY), 5);
	ck_bits(ev_go_mod(-0.0, 3), -0.0);
	ck_bits(ev_go_mod(1e300, 3.7), fmod(1e300, 3.7));
}
END_TEST

START_TEST(test_rate_math)
{
	const struct store_sample one[] = {{0, 1}};
	const struct store_sample z[] = {{0, 5}, {60000, 11}};
	const struct store_sample same[] = {{1000, 1}, {1000, 2}};
	const struct store_sample a[] = {{300000, 50}, {360000, 60},
					 {420000, 70}, {480000, 80},
					 {540000, 90}, {600000, 100}};
	double v = -1;
	ck_assert(!ev_extrapolated_rate(one, 1, -300000, 0, 300000, true,
					true, &v));
	/* 05_rate_extrapolation: one factor, one multiplication. */
	ck_assert(ev_extrapolated_rate(a, 6, 300000, 600000, 300000, true,
				       true, &v));
	ck_bits(v, 0.16666666666666669);
	/* The zero point (50s) caps the start gap before the threshold
	 * (66s) applies: 6 * 110 / 60, not 6 * 90 / 60. */
	ck_assert(ev_extrapolated_rate(z, 2, -240000, 60000, 300000, true,
				       false, &v));
	ck_bits(v, 11);
	/* delta: no zero point, half a spacing at the far start. */
	ck_assert(ev_extrapolated_rate(z, 2, -240000, 60000, 300000, false,
				       false, &v));
	ck_bits(v, 9);
	/* A sub-second range: Duration.Seconds() of 1500ms. */
	ck_assert(ev_extrapolated_rate(z, 2, -1440000, 60000, 1500, false,
				       true, &v));
	ck_bits(v, 9 / 1.5);
	ck_assert(!ev_instant_value(one, 1, true, &v));
	ck_assert(!ev_instant_value(same, 2, true, &v));
	ck_assert(ev_instant_value(z, 2, true, &v));
	ck_bits(v, 0.1);
}
END_TEST

START_TEST(test_mean_math)
{
	const struct store_sample inf[] = {{0, INFINITY}, {1, 1}, {2, INFINITY}};
	const struct store_sample big[] = {{0, 1e308}, {1, 1e308}};
	ck_bits(ev_mean_step(INFINITY, 1, 2), INFINITY);
	ck_bits(ev_mean_step(INFINITY, INFINITY, 2), INFINITY);
	ck_bits(ev_mean_step(-INFINITY, -INFINITY, 2), -INFINITY);
	ck_bits(ev_mean_step(INFINITY, -INFINITY, 2), NAN);
	ck_bits(ev_mean_step(INFINITY, NAN, 2), NAN);
	ck_bits(ev_mean_step(1, 2, 2), 1.5);
	ck_bits(ev_avg_over_time(inf, 3), INFINITY);
	/* Dividing before subtracting keeps 1e308 from overflowing. */
	ck_bits(ev_avg_over_time(big, 2), 1e308);
	ck_bits(ev_sum_over_time(big, 2), INFINITY);
	ck_bits(ev_min_over_time(inf, 3), 1);
	ck_bits(ev_max_over_time(inf, 3), INFINITY);
}
END_TEST

/* --- the API around the walk --- */

struct find_ctx {
	const struct hw_labels *ls;
};

static int find_one(struct store_series *s, void *ctx)
{
	((struct find_ctx *)ctx)->ls = store_series_labels(s);
	return 1;
}

START_TEST(test_api)
{
	static const struct series_def defs[] = {
		{"l{k=\"once\"}", "5"},
		{NULL, NULL},
	};
	struct hw_store *st = make_store(defs);
	struct promql_node *n;
	struct promql_error pe;
	struct eval_result res;
	struct eval_opts opts = {.lookback_ms = MIN_MS};
	char err[128];

	/* A shorter lookback; no error buffer needed. */
	ck_assert_int_eq(promql_parse("l", &n, &pe), 0);
	ck_assert_int_eq(eval_instant(n, st, MIN_MS, &opts, &res, NULL, 0), 0);
	ck_assert_int_eq(res.n, 1);
	/* Selector results share the store's label set. */
	struct find_ctx fc = {NULL};
	store_select(st, "l", NULL, 0, find_one, &fc);
	ck_assert_ptr_eq(res.v[0].labels, fc.ls);
	eval_result_free(&res);
	ck_assert_int_eq(eval_instant(n, st, MIN_MS + 1, &opts, &res, err,
				      sizeof(err)), 0);
	ck_assert_int_eq(res.type, PROMQL_TYPE_VECTOR);
	ck_assert_int_eq(res.n, 0);
	eval_result_free(&res);
	eval_result_free(NULL);
	promql_free(n);

	/* time() is the wall clock: the evaluation time plus the steps the
	 * wall clock took from the engine's (clock.h); windows are not. */
	struct eval_opts wall = {.wall_offset_ms = -7200 * 1000};
	ck_assert_int_eq(promql_parse("time()", &n, &pe), 0);
	ck_assert_int_eq(eval_instant(n, st, 9000 * 1000, &wall, &res, err,
				      sizeof(err)), 0);
	ck_assert_int_eq(res.type, PROMQL_TYPE_SCALAR);
	ck_assert_double_eq(res.scalar, 1800);
	eval_result_free(&res);
	promql_free(n);

	/* Filtering comparisons and set operators pass the set on too. */
	ck_assert_int_eq(promql_parse("l > 1 and l", &n, &pe), 0);
	ck_assert_int_eq(eval_instant(n, st, 0, NULL, &res, err, sizeof(err)), 0);
	ck_assert_int_eq(res.n, 1);
	ck_assert_ptr_eq(res.v[0].labels, fc.ls);
	eval_result_free(&res);
	promql_free(n);

	/* A string (only a hand-made tree can hold one at the top). */
	struct promql_node sn = {.kind = PROMQL_STRING,
				 .type = PROMQL_TYPE_STRING};
	sn.u.string = (char *)"x";
	ck_assert_int_eq(eval_instant(&sn, st, 0, NULL, &res, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "rule result is not a vector or scalar");
	ck_assert_int_eq(res.n, 0);
	/* A truncated message still ends in NUL. */
	ck_assert_int_eq(eval_instant(&sn, st, 0, NULL, &res, err, 5), -EINVAL);
	ck_assert_str_eq(err, "rule");
	store_free(st);
}
END_TEST

static Suite *eval_suite(void)
{
	Suite *s = suite_create("eval");
	TCase *tc = tcase_create("eval");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_rate, 0, NCASES(rate_cases));
	tcase_add_loop_test(tc, test_over_time, 0, NCASES(time_cases));
	tcase_add_loop_test(tc, test_operators, 0, NCASES(op_cases));
	tcase_add_loop_test(tc, test_errors, 0, NCASES(error_cases));
	tcase_add_test(tc, test_go_math);
	tcase_add_test(tc, test_rate_math);
	tcase_add_test(tc, test_mean_math);
	tcase_add_test(tc, test_api);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(eval_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
