/* Function calls: the range functions (rate, irate, increase, delta,
 * idelta, *_over_time) over one range selector, and the instant ones
 * (absent, abs, clamp_min, clamp_max, time).
 *
 * The arithmetic is Prometheus 2.42's promql/functions.go operation for
 * operation, since rule tests compare floats exactly: extrapolatedRate
 * builds one factor and multiplies once, sum_over_time and avg_over_time
 * use its Kahan-Neumaier summation, min/max let a NaN be replaced. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

/* --- Go's math package where C differs --- */

/* math.Min: -Inf wins over NaN, NaN over everything else, -0 < +0. */
double ev_go_min(double x, double y)
{
	if (isinf(x) && x < 0)
		return x;
	if (isinf(y) && y < 0)
		return y;
	if (isnan(x) || isnan(y))
		return NAN;
	if (x == 0 && x == y)
		return signbit(x) ? x : y;
	return x < y ? x : y;
}

/* math.Max: +Inf wins over NaN, NaN over everything else, +0 > -0. */
double ev_go_max(double x, double y)
{
	if (isinf(x) && x > 0)
		return x;
	if (isinf(y) && y > 0)
		return y;
	if (isnan(x) || isnan(y))
		return NAN;
	if (x == 0 && x == y)
		return signbit(x) ? y : x;
	return x > y ? x : y;
}

/* math.Mod has fmod's special cases (NaN for x infinite or y zero, x for
 * y infinite) and is exact like it, so the results are the same. */
double ev_go_mod(double x, double y)
{
	return fmod(x, y);
}

/* --- range functions (functions.go) --- */

/* extrapolatedRate as of 2.42: counter resets add the value before the
 * drop; the zero point of a counter caps the start gap before the 1.1 x
 * average-spacing threshold is applied; the factor is built first
 * (extrapolated / sampled, then / range seconds) and multiplied once. */
bool ev_extrapolated_rate(const struct store_sample *p, size_t n,
			  int64_t range_start, int64_t range_end,
			  int64_t range_ms, bool counter, bool is_rate,
			  double *out)
{
	if (n < 2)
		return false;
	double result = p[n - 1].v - p[0].v;
	if (counter) {
		double prev = p[0].v;
		for (size_t i = 1; i < n; i++) {
			if (p[i].v < prev)
				result += prev;
			prev = p[i].v;
		}
	}
	double to_start = (double)(p[0].t - range_start) / 1000;
	double to_end = (double)(range_end - p[n - 1].t) / 1000;
	double sampled = (double)(p[n - 1].t - p[0].t) / 1000;
	double avg = sampled / (double)(n - 1);
	if (counter && result > 0 && p[0].v >= 0) {
		double to_zero = sampled * (p[0].v / result);
		if (to_zero < to_start)
			to_start = to_zero;
	}
	double threshold = avg * 1.1;
	double interval = sampled;
	interval += to_start < threshold ? to_start : avg / 2;
	interval += to_end < threshold ? to_end : avg / 2;
	double factor = interval / sampled;
	if (is_rate) {
		/* time.Duration.Seconds(): whole seconds plus the rest. */
		int64_t ns = range_ms * 1000000;
		factor /= (double)(ns / 1000000000) +
			  (double)(ns % 1000000000) / 1e9;
	}
	*out = result * factor;
	return true;
}

/* instantValue: the last two samples; irate treats a drop as a reset. */
bool ev_instant_value(const struct store_sample *p, size_t n, bool is_rate,
		      double *out)
{
	if (n < 2)
		return false;
	const struct store_sample *last = &p[n - 1], *prev = &p[n - 2];
	double v = is_rate && last->v < prev->v ? last->v : last->v - prev->v;
	int64_t dt = last->t - prev->t;
	if (dt == 0)
		return false;
	if (is_rate)
		v /= (double)dt / 1000;
	*out = v;
	return true;
}

/* kahanSumInc, with the Neumaier improvement. */
static double kahan_inc(double inc, double sum, double *c)
{
	double t = sum + inc;
	if (fabs(sum) >= fabs(inc))
		*c += (sum - t) + inc;
	else
		*c += (inc - t) + sum;
	return t;
}

double ev_sum_over_time(const struct store_sample *p, size_t n)
{
	double sum = 0, c = 0;
	for (size_t i = 0; i < n; i++)
		sum = kahan_inc(p[i].v, sum, &c);
	return isinf(sum) ? sum : sum + c;
}

/* An infinite mean stays as it is unless a NaN or an Inf of the other
 * sign arrives (mean += x - Inf would turn it into NaN). */
static bool mean_keep(double mean, double v)
{
	if (!isinf(mean))
		return false;
	if (isinf(v) && (mean > 0) == (v > 0))
		return true;
	return !isinf(v) && !isnan(v);
}

double ev_avg_over_time(const struct store_sample *p, size_t n)
{
	double mean = 0, count = 0, c = 0;
	for (size_t i = 0; i < n; i++) {
		count++;
		if (mean_keep(mean, p[i].v))
			continue;
		mean = kahan_inc(p[i].v / count - mean / count, mean, &c);
	}
	return isinf(mean) ? mean : mean + c;
}

/* engine.go's avg aggregation step (no Kahan there in 2.42). */
double ev_mean_step(double mean, double v, double count)
{
	if (mean_keep(mean, v))
		return mean;
	return mean + (v / count - mean / count);
}

double ev_min_over_time(const struct store_sample *p, size_t n)
{
	double m = p[0].v;
	for (size_t i = 0; i < n; i++)
		if (p[i].v < m || isnan(m))
			m = p[i].v;
	return m;
}

double ev_max_over_time(const struct store_sample *p, size_t n)
{
	double m = p[0].v;
	for (size_t i = 0; i < n; i++)
		if (p[i].v > m || isnan(m))
			m = p[i].v;
	return m;
}

/* --- calls --- */

struct range_ctx {
	struct ev_ctx *c;
	const struct promql_node *call, *sel;
	struct ev_vec *out;
};

/* The non-stale samples of a span as one array: the ring itself when it
 * is one run without markers, else a copy in the reused scratch. */
static const struct store_sample *span_samples(struct ev_ctx *c,
					       const struct store_span *sp,
					       size_t *n)
{
	size_t total = sp->na + sp->nb, m = 0;
	bool stale = false;
	for (size_t i = 0; i < sp->na && !stale; i++)
		stale = store_is_stale(sp->a[i].v);
	for (size_t i = 0; i < sp->nb && !stale; i++)
		stale = store_is_stale(sp->b[i].v);
	if (!stale && sp->nb == 0) {
		*n = sp->na;
		return sp->a;
	}
	if (total > c->scratch_cap) {
		struct store_sample *s = realloc(c->scratch, total * sizeof(*s));
		if (!s)
			return NULL;
		c->scratch = s;
		c->scratch_cap = total;
	}
	for (size_t i = 0; i < sp->na; i++)
		if (!store_is_stale(sp->a[i].v))
			c->scratch[m++] = sp->a[i];
	for (size_t i = 0; i < sp->nb; i++)
		if (!store_is_stale(sp->b[i].v))
			c->scratch[m++] = sp->b[i];
	*n = m;
	return c->scratch;
}

/* One series of a range function call (engine.go's matrix Call path):
 * the function only runs on a non-empty range, and every function but
 * last_over_time drops the metric name. */
static int range_one(struct store_series *s, void *ctx)
{
	struct range_ctx *rc = ctx;
	struct ev_ctx *c = rc->c;
	int64_t range = rc->sel->u.sel.range_ms;
	int64_t mint = c->t - range, maxt = c->t;
	struct store_span sp;
	size_t n;
	double v;
	bool ok = true;
	if (store_series_range(s, mint, maxt, &sp) == 0)
		return 0;
	const struct store_sample *p = span_samples(c, &sp, &n);
	if (!p)
		return -ENOMEM;
	if (n == 0)
		return 0;
	enum promql_func f = rc->call->u.call.func;
	switch (f) {
	case PROMQL_FN_RATE:
		ok = ev_extrapolated_rate(p, n, mint, maxt, range, true, true, &v);
		break;
	case PROMQL_FN_INCREASE:
		ok = ev_extrapolated_rate(p, n, mint, maxt, range, true, false, &v);
		break;
	case PROMQL_FN_DELTA:
		ok = ev_extrapolated_rate(p, n, mint, maxt, range, false, false, &v);
		break;
	case PROMQL_FN_IRATE:
		ok = ev_instant_value(p, n, true, &v);
		break;
	case PROMQL_FN_IDELTA:
		ok = ev_instant_value(p, n, false, &v);
		break;
	case PROMQL_FN_AVG_OVER_TIME:
		v = ev_avg_over_time(p, n);
		break;
	case PROMQL_FN_MIN_OVER_TIME:
		v = ev_min_over_time(p, n);
		break;
	case PROMQL_FN_MAX_OVER_TIME:
		v = ev_max_over_time(p, n);
		break;
	case PROMQL_FN_SUM_OVER_TIME:
		v = ev_sum_over_time(p, n);
		break;
	case PROMQL_FN_COUNT_OVER_TIME:
		v = (double)n;
		break;
	case PROMQL_FN_LAST_OVER_TIME:
		v = p[n - 1].v;
		break;
	default:
		return ev_errf(c, "%s is not a range function",
			       rc->call->u.call.name);
	}
	if (!ok)
		return 0;
	struct hw_labels *ls = (struct hw_labels *)store_series_labels(s);
	ls = f == PROMQL_FN_LAST_OVER_TIME ? labels_ref(ls) : ev_drop_name(ls);
	return ev_vec_push(rc->out, ls, v);
}

static int call_range(struct ev_ctx *c, const struct promql_node *n,
		      struct ev_val *out)
{
	const struct promql_node *sel = n->u.call.args[0];
	while (sel->kind == PROMQL_PAREN) /* engine.go unwrapParenExpr */
		sel = sel->u.paren;
	if (sel->kind != PROMQL_SELECTOR || !sel->u.sel.range_ms)
		return ev_errf(c, "%s: expected a range vector selector",
			       n->u.call.name);
	struct range_ctx rc = {c, n, sel, &out->vec};
	int r = store_select(c->st, sel->u.sel.name, sel->u.sel.matchers,
			     sel->u.sel.nmatchers, range_one, &rc);
	if (r < 0)
		return r;
	/* last_over_time passes the store's (unique) sets on; a selector
	 * naming one metric leaves sets that stay unique without it. */
	if (n->u.call.func == PROMQL_FN_LAST_OVER_TIME || sel->u.sel.name)
		return 0;
	return ev_check_dups(c, &out->vec);
}

/* createLabelsForAbsentFunction as promtool 2.42 behaves: the engine
 * unwraps parentheses around the argument; then, matcher by matcher
 * (__name__ left out), the first = matcher of a name sets it (an empty
 * value sets nothing) and any later matcher of that name, or a matcher of
 * another kind, deletes what is there at that point. */
static struct hw_labels *absent_labels(const struct promql_node *arg)
{
	struct hw_labels *ls = NULL;
	while (arg->kind == PROMQL_PAREN)
		arg = arg->u.paren;
	if (arg->kind != PROMQL_SELECTOR)
		return labels_new(NULL, 0);
	const struct promql_matcher *m = arg->u.sel.matchers;
	size_t nm = arg->u.sel.nmatchers, np = 0, nseen = 0;
	struct hw_label *pairs = malloc((nm + 1) * sizeof(*pairs));
	const char **seen = malloc((nm + 1) * sizeof(*seen));
	if (!pairs || !seen)
		goto out;
	for (size_t i = 0; i < nm; i++) {
		if (strcmp(m[i].name, LABEL_NAME) == 0)
			continue;
		bool has = false;
		for (size_t j = 0; j < nseen && !has; j++)
			has = strcmp(seen[j], m[i].name) == 0;
		if (m[i].op == PROMQL_MATCH_EQ && !has) {
			seen[nseen++] = m[i].name;
			if (m[i].value[0])
				pairs[np++] = (struct hw_label){m[i].name,
								m[i].value};
			continue;
		}
		for (size_t j = 0; j < np; j++)
			if (strcmp(pairs[j].name, m[i].name) == 0) {
				pairs[j] = pairs[--np]; /* names are unique */
				break;
			}
	}
	ls = labels_new(pairs, np);
out:
	free(pairs);
	free(seen);
	return ls;
}

/* abs, clamp_min, clamp_max (simpleFunc and friends): element-wise, the
 * metric name dropped. */
static int call_elementwise(struct ev_ctx *c, const struct promql_node *n,
			    struct ev_val *out)
{
	struct ev_val bound = {0};
	int r = ev_eval(c, n->u.call.args[0], out);
	if (r < 0)
		return r;
	if (n->u.call.nargs > 1 &&
	    (r = ev_eval(c, n->u.call.args[1], &bound)) < 0)
		goto out;
	bool uniform = ev_names_uniform(&out->vec);
	for (size_t i = 0; i < out->vec.n; i++) {
		struct eval_sample *e = &out->vec.v[i];
		switch (n->u.call.func) {
		case PROMQL_FN_CLAMP_MIN:
			e->v = ev_go_max(bound.scalar, e->v);
			break;
		case PROMQL_FN_CLAMP_MAX:
			e->v = ev_go_min(bound.scalar, e->v);
			break;
		default:
			e->v = fabs(e->v);
			break;
		}
		struct hw_labels *ls = ev_drop_name(e->labels);
		if (!ls) {
			r = -ENOMEM;
			goto out;
		}
		labels_unref(e->labels);
		e->labels = ls;
	}
	r = uniform ? 0 : ev_check_dups(c, &out->vec);
out:
	ev_val_free(&bound);
	return r;
}

int ev_call(struct ev_ctx *c, const struct promql_node *n, struct ev_val *out)
{
	out->type = n->type;
	switch (n->u.call.func) {
	case PROMQL_FN_TIME:
		out->scalar = (double)(c->t + c->wall_offset) / 1000;
		return 0;
	case PROMQL_FN_ABSENT: {
		int r = ev_eval(c, n->u.call.args[0], out);
		if (r < 0 || out->vec.n > 0) {
			ev_vec_free(&out->vec);
			return r;
		}
		return ev_vec_push(&out->vec, absent_labels(n->u.call.args[0]), 1);
	}
	case PROMQL_FN_ABS:
	case PROMQL_FN_CLAMP_MIN:
	case PROMQL_FN_CLAMP_MAX:
		return call_elementwise(c, n, out);
	default:
		return call_range(c, n, out);
	}
}
