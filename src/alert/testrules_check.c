/* test-rules' checks: alert_rule_test (the FIRING alerts of the rules
 * named alertname against exp_alerts) and promql_expr_test (an instant
 * query against exp_samples), compared and reported as
 * cmd/promtool/unittest.go of Prometheus 2.42 does. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/eval.h"
#include "hostwatch/rules.h"
#include "hostwatch/store.h"
#include "testrules_internal.h"

void tr_fail_begin(struct tr_run *r)
{
	if (r->result < 1)
		r->result = 1;
}

void tr_fail_end(struct tr_run *r)
{
	buf_puts(r->rep, "\n\n");
}

/* Go's time.Duration String() for whole milliseconds: "0s", "500ms",
 * "1m0s", "1h2m3.5s" (rule errors name their time this way). */
void tr_go_duration(int64_t ms, struct hw_buf *b)
{
	if (ms == 0) {
		buf_puts(b, "0s");
		return;
	}
	if (ms < 0) {
		buf_putc(b, '-');
		ms = -ms;
	}
	if (ms < 1000) {
		buf_printf(b, "%lldms", (long long)ms);
		return;
	}
	int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms % 60000;
	if (h)
		buf_printf(b, "%lldh", (long long)h);
	if (h || m)
		buf_printf(b, "%lldm", (long long)m);
	if (s % 1000 == 0) {
		buf_printf(b, "%llds", (long long)(s / 1000));
		return;
	}
	char frac[8];
	snprintf(frac, sizeof(frac), "%03lld", (long long)(s % 1000));
	for (int i = 2; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	buf_printf(b, "%lld.%ss", (long long)(s / 1000), frac);
}

/* Go's %q, near enough for expressions in messages. */
static void go_quote(const char *s, struct hw_buf *b)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s == '\t')
			buf_puts(b, "\\t");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

void tr_append_till(struct tr_run *r, int64_t ts)
{
	for (size_t i = 0; i < r->g->nseries; i++) {
		struct tr_series *s = &r->g->series[i];
		for (; s->next < s->n; s->next++) {
			int64_t t = (int64_t)s->next * r->g->interval_ms;
			if (t > ts)
				break;
			if (!s->v[s->next].omitted)
				store_append(r->st, s->labels, t,
					     s->v[s->next].v);
		}
	}
}

/* ---- alerts -------------------------------------------------------------- */

struct la {
	struct tr_kvs labels, annotations;
};

struct gather {
	const char *alertname;
	struct la *v;
	size_t n, cap;
	int rc;
};

static int kvs_from_labels(const struct hw_labels *ls, struct tr_kvs *k)
{
	k->kv = calloc(ls->n + 1, sizeof(*k->kv));
	if (!k->kv)
		return -ENOMEM;
	for (size_t i = 0; i < ls->n; i++, k->n++) {
		k->kv[i].key = strdup(ls->l[i].name);
		k->kv[i].value = strdup(ls->l[i].value);
		if (!k->kv[i].key || !k->kv[i].value) {
			k->n++;
			return -ENOMEM;
		}
	}
	return 0;
}

static int kvs_copy(const struct rule_kv *kv, size_t n, struct tr_kvs *k)
{
	k->kv = calloc(n + 1, sizeof(*k->kv));
	if (!k->kv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++, k->n++) {
		k->kv[i].key = strdup(kv[i].key);
		k->kv[i].value = strdup(kv[i].value);
		if (!k->kv[i].key || !k->kv[i].value) {
			k->n++;
			return -ENOMEM;
		}
	}
	return 0;
}

/* ActiveAlerts() of every rule named alertname, FIRING ones only. */
static int gather_alert(const struct rules_rule_info *rule,
			const struct rules_alert *a, void *ctx)
{
	struct gather *g = ctx;
	if (rule->def->kind != RULE_ALERT ||
	    strcmp(rule->def->name, g->alertname) != 0 ||
	    a->state != RULES_FIRING || a->resolved_at != RULES_TIME_UNSET)
		return 0;
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		struct la *n = realloc(g->v, cap * sizeof(*n));
		if (!n)
			return g->rc = -ENOMEM;
		g->v = n;
		g->cap = cap;
	}
	struct la *x = &g->v[g->n++];
	memset(x, 0, sizeof(*x));
	if (kvs_from_labels(a->labels, &x->labels) < 0 ||
	    kvs_copy(a->annotations, a->nannotations, &x->annotations) < 0)
		return g->rc = -ENOMEM;
	return 0;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct rule_kv *)a)->key,
		      ((const struct rule_kv *)b)->key);
}

static int cmp_la(const void *a, const void *b)
{
	const struct la *x = a, *y = b;
	int c = tr_kvs_cmp(&x->labels, &y->labels);
	return c ? c : tr_kvs_cmp(&x->annotations, &y->annotations);
}

static void la_free(struct la *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tr_kvs_free(&v[i].labels);
		tr_kvs_free(&v[i].annotations);
	}
	free(v);
}

static void kvs_string(const struct tr_kvs *k, struct hw_buf *b)
{
	struct hw_label p[LABELS_BUILDER_MAX];
	size_t n = 0;
	for (size_t i = 0; i < k->n && n < LABELS_BUILDER_MAX; i++)
		p[n++] = (struct hw_label){k->kv[i].key, k->kv[i].value};
	struct hw_labels *ls = labels_new(p, n);
	labels_format_braces(ls, b);
	labels_unref(ls);
}

/* labelsAndAnnotations.String(), indented as unittest.go indents it. */
static void la_string(const struct la *v, size_t n, struct hw_buf *b)
{
	const char *ind = "\n            ";
	if (!n) {
		buf_puts(b, "[]");
		return;
	}
	buf_puts(b, "[");
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "%s%s%zu:%s  Labels:", i ? "," : "", ind, i, ind);
		kvs_string(&v[i].labels, b);
		buf_printf(b, "%s  Annotations:", ind);
		kvs_string(&v[i].annotations, b);
	}
	buf_printf(b, "%s]", ind);
}

int tr_check_alert(struct tr_run *r, const struct tr_alert_test *t)
{
	struct gather g = {.alertname = t->alertname};
	struct la *exp = calloc(t->nexp + 1, sizeof(*exp));
	size_t nexp = 0;
	int rc = -ENOMEM;
	if (!exp)
		goto out;
	rules_foreach_alert(r->m, gather_alert, &g);
	if (g.rc < 0)
		goto out;
	for (size_t i = 0; i < t->nexp; i++, nexp++) {
		const struct tr_kvs *l = &t->exp[i].labels;
		struct rule_kv an = {"alertname", t->alertname};
		/* exp_labels plus alertname, sorted (labels.FromMap). */
		struct rule_kv *kv = calloc(l->n + 1, sizeof(*kv));
		size_t k = 0;
		if (!kv)
			goto out;
		for (size_t j = 0; j < l->n; j++)
			if (strcmp(l->kv[j].key, "alertname") != 0)
				kv[k++] = l->kv[j];
		kv[k++] = an;
		if (k > 1)
			qsort(kv, k, sizeof(*kv), cmp_kv);
		int c1 = kvs_copy(kv, k, &exp[i].labels);
		free(kv);
		if (c1 < 0 ||
		    kvs_copy(t->exp[i].annotations.kv, t->exp[i].annotations.n,
			     &exp[i].annotations) < 0) {
			nexp++;
			goto out;
		}
	}
	if (g.n > 1)
		qsort(g.v, g.n, sizeof(*g.v), cmp_la);
	if (nexp > 1)
		qsort(exp, nexp, sizeof(*exp), cmp_la);
	bool same = g.n == nexp;
	for (size_t i = 0; same && i < nexp; i++)
		same = cmp_la(&g.v[i], &exp[i]) == 0;
	if (!same) {
		tr_fail_begin(r);
		if (r->g->name)
			buf_printf(r->rep, "    name: %s,\n", r->g->name);
		buf_printf(r->rep, "    alertname: %s, time: ", t->alertname);
		testrules_format_duration(t->eval_time, r->rep);
		buf_puts(r->rep, ", \n        exp:");
		la_string(exp, nexp, r->rep);
		buf_puts(r->rep, ", \n        got:");
		la_string(g.v, g.n, r->rep);
		tr_fail_end(r);
	}
	rc = 0;
out:
	la_free(exp, nexp);
	la_free(g.v, g.n);
	return rc;
}

/* ---- expressions --------------------------------------------------------- */

struct ps {
	struct hw_labels *labels;
	double v;
};

static int cmp_ps(const void *a, const void *b)
{
	return labels_cmp(((const struct ps *)a)->labels,
			  ((const struct ps *)b)->labels);
}

static void ps_string(const struct ps *v, size_t n, struct hw_buf *b)
{
	char num[64];
	if (!n)
		buf_puts(b, "nil");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(b, ", ");
		labels_format_braces(v[i].labels, b);
		testrules_format_float(v[i].v, num, sizeof(num));
		buf_printf(b, " %s", num);
	}
}

static void ps_free(struct ps *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		labels_unref(v[i].labels);
	free(v);
}

static void expr_error(struct tr_run *r, const struct tr_expr_test *x,
		       const char *msg, const char *labels)
{
	tr_fail_begin(r);
	buf_puts(r->rep, "    expr: ");
	go_quote(x->expr, r->rep);
	buf_puts(r->rep, ", time: ");
	testrules_format_duration(x->eval_time, r->rep);
	buf_puts(r->rep, ", err: ");
	if (labels) {
		buf_puts(r->rep, "labels ");
		go_quote(labels, r->rep);
		buf_puts(r->rep, ": ");
	}
	buf_puts(r->rep, msg);
	tr_fail_end(r);
}

int tr_check_expr(struct tr_run *r, const struct tr_expr_test *x)
{
	struct promql_node *ast = NULL;
	struct promql_error pe;
	struct eval_result res = {0};
	struct ps *got = NULL, *exp = NULL;
	size_t ngot = 0, nexp = 0;
	char err[512];
	int rc = promql_parse(x->expr, &ast, &pe);
	if (rc == -EINVAL) {
		snprintf(err, sizeof(err), "1:%zu: parse error: %s", pe.column,
			 pe.msg);
		expr_error(r, x, err, NULL);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (ast->type != PROMQL_TYPE_VECTOR &&
	    ast->type != PROMQL_TYPE_SCALAR) {
		expr_error(r, x, "rule result is not a vector or scalar", NULL);
		goto out_ok;
	}
	rc = eval_instant(ast, r->st, x->eval_time, NULL, &res, err,
			  sizeof(err));
	if (rc == -EINVAL) {
		expr_error(r, x, err, NULL);
		goto out_ok;
	}
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	ngot = res.type == PROMQL_TYPE_SCALAR ? 1 : res.n;
	got = calloc(ngot + 1, sizeof(*got));
	exp = calloc(x->nexp + 1, sizeof(*exp));
	if (!got || !exp)
		goto out;
	for (size_t i = 0; i < ngot; i++) {
		if (res.type == PROMQL_TYPE_SCALAR) {
			got[i].labels = labels_new(NULL, 0);
			got[i].v = res.scalar;
		} else {
			got[i].labels = labels_ref(res.v[i].labels);
			got[i].v = res.v[i].v;
		}
		if (!got[i].labels)
			goto out;
	}
	for (; nexp < x->nexp; nexp++) {
		const char *ls = x->exp[nexp].labels ? x->exp[nexp].labels : "";
		rc = testrules_parse_metric(ls, &exp[nexp].labels, err,
					    sizeof(err));
		if (rc == -EINVAL) {
			expr_error(r, x, err, ls);
			goto out_ok;
		}
		if (rc < 0)
			goto out;
		exp[nexp].v = x->exp[nexp].v;
	}
	if (ngot > 1)
		qsort(got, ngot, sizeof(*got), cmp_ps);
	if (nexp > 1)
		qsort(exp, nexp, sizeof(*exp), cmp_ps);
	bool same = ngot == nexp;
	/* reflect.DeepEqual on float64: ==, so NaN never matches. */
	for (size_t i = 0; same && i < ngot; i++)
		same = labels_equal(got[i].labels, exp[i].labels) &&
		       got[i].v == exp[i].v;
	if (!same) {
		tr_fail_begin(r);
		buf_puts(r->rep, "    expr: ");
		go_quote(x->expr, r->rep);
		buf_puts(r->rep, ", time: ");
		testrules_format_duration(x->eval_time, r->rep);
		buf_puts(r->rep, ",\n        exp: ");
		ps_string(exp, nexp, r->rep);
		buf_puts(r->rep, "\n        got: ");
		ps_string(got, ngot, r->rep);
		tr_fail_end(r);
	}
out_ok:
	rc = 0;
out:
	ps_free(got, ngot);
	ps_free(exp, nexp);
	eval_result_free(&res);
	promql_free(ast);
	return rc;
}
