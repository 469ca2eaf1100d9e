/* The evaluator's core: the tree walk, vector selectors, the shared vector
 * and hash index helpers, and eval_instant itself. Functions, operators
 * and aggregations live in eval_func.c, eval_binop.c and eval_agg.c.
 *
 * Semantics are Prometheus 2.42's promql/engine.go for an instant query:
 * every sub-expression is evaluated once at the query time, and every
 * vector a function, operator or aggregation produces is checked for two
 * equal label sets (rangeEval's ContainsSameLabelset). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

int ev_errf(struct ev_ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (c->err && c->errsize) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errsize, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* --- vectors --- */

void ev_vec_free(struct ev_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		labels_unref(v->v[i].labels);
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

void ev_val_free(struct ev_val *v)
{
	ev_vec_free(&v->vec);
}

int ev_vec_reserve(struct ev_vec *v, size_t n)
{
	if (n <= v->cap)
		return 0;
	size_t cap = v->cap ? v->cap : 8;
	while (cap < n)
		cap *= 2;
	struct eval_sample *p = realloc(v->v, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->v = p;
	v->cap = cap;
	return 0;
}

int ev_vec_push(struct ev_vec *v, struct hw_labels *ls, double val)
{
	if (!ls)
		return -ENOMEM;
	if (v->n == v->cap && ev_vec_reserve(v, v->n + 1) < 0) {
		labels_unref(ls);
		return -ENOMEM;
	}
	v->v[v->n].labels = ls;
	v->v[v->n].v = val;
	v->n++;
	return 0;
}

struct hw_labels *ev_drop_name(struct hw_labels *ls)
{
	if (!labels_get(ls, LABEL_NAME))
		return labels_ref(ls);
	struct labels_builder b;
	labels_builder_init(&b, ls);
	labels_builder_del(&b, LABEL_NAME);
	return labels_builder_done(&b);
}

/* --- hash index --- */

int ev_map_init(struct ev_map *m, size_t entries)
{
	size_t cap = 8;
	while (cap < entries * 2)
		cap *= 2;
	m->s = malloc(cap * sizeof(*m->s));
	if (!m->s)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		m->s[i].idx = EV_NONE;
	m->mask = cap - 1;
	return 0;
}

void ev_map_free(struct ev_map *m)
{
	free(m->s);
	m->s = NULL;
}

size_t ev_map_find(const struct ev_map *m, uint64_t h,
		   bool (*eq)(void *ctx, size_t idx), void *ctx)
{
	for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
		const struct ev_slot *s = &m->s[i];
		if (s->idx == EV_NONE)
			return EV_NONE;
		if (s->h == h && eq(ctx, s->idx))
			return s->idx;
	}
}

void ev_map_put(struct ev_map *m, uint64_t h, size_t idx)
{
	size_t i = h & m->mask;
	while (m->s[i].idx != EV_NONE)
		i = (i + 1) & m->mask;
	m->s[i].h = h;
	m->s[i].idx = idx;
}

/* --- label subsets (on/ignoring, by/without) --- */

bool ev_subset_has(const struct ev_subset *s, const char *name)
{
	bool listed = false;
	for (size_t i = 0; i < s->n && !listed; i++)
		listed = strcmp(s->names[i], name) == 0;
	if (s->include)
		return listed;
	return !listed && strcmp(name, LABEL_NAME) != 0;
}

/* The next label of ls at or after *i that belongs to the subset. */
static const struct hw_label *subset_next(const struct hw_labels *ls,
					  size_t *i, const struct ev_subset *s)
{
	for (; *i < ls->n; (*i)++)
		if (ev_subset_has(s, ls->l[*i].name))
			return &ls->l[(*i)++];
	return NULL;
}

bool ev_subset_equal(const struct hw_labels *a, const struct hw_labels *b,
		     const struct ev_subset *s)
{
	size_t i = 0, j = 0;
	for (;;) {
		const struct hw_label *x = subset_next(a, &i, s);
		const struct hw_label *y = subset_next(b, &j, s);
		if (!x || !y)
			return x == y;
		if (strcmp(x->name, y->name) || strcmp(x->value, y->value))
			return false;
	}
}

struct hw_labels *ev_subset_labels(const struct hw_labels *ls,
				   const struct ev_subset *s)
{
	struct labels_builder b;
	labels_builder_init(&b, ls);
	if (s->include) {
		labels_builder_keep(&b, s->names, s->n);
	} else {
		for (size_t i = 0; i < s->n; i++)
			labels_builder_del(&b, s->names[i]);
		labels_builder_del(&b, LABEL_NAME);
	}
	return labels_builder_done(&b);
}

/* --- duplicate label sets --- */

struct dup_ctx {
	const struct ev_vec *v;
	size_t i;
};

static bool dup_eq(void *ctx, size_t idx)
{
	const struct dup_ctx *d = ctx;
	return labels_equal(d->v->v[idx].labels, d->v->v[d->i].labels);
}

int ev_check_dups(struct ev_ctx *c, const struct ev_vec *v)
{
	struct ev_map m;
	int r = 0;
	if (v->n < 2)
		return 0;
	if (ev_map_init(&m, v->n) < 0)
		return -ENOMEM;
	struct dup_ctx d = {v, 0};
	for (d.i = 0; d.i < v->n; d.i++) {
		uint64_t h = v->v[d.i].labels->hash;
		if (ev_map_find(&m, h, dup_eq, &d) != EV_NONE) {
			r = ev_errf(c, "vector cannot contain metrics with the same labelset");
			goto out;
		}
		ev_map_put(&m, h, d.i);
	}
out:
	ev_map_free(&m);
	return r;
}

bool ev_names_uniform(const struct ev_vec *v)
{
	const char *first = v->n ? labels_get(v->v[0].labels, LABEL_NAME) : NULL;
	for (size_t i = 1; i < v->n; i++) {
		const char *name = labels_get(v->v[i].labels, LABEL_NAME);
		if (name != first && (!name || !first || strcmp(name, first)))
			return false;
	}
	return true;
}

/* --- selectors --- */

struct sel_ctx {
	struct ev_ctx *c;
	struct ev_vec *out;
};

/* engine.go vectorSelectorSingle: the newest sample in [t - lookback, t]
 * (a sample exactly lookback old still counts in 2.x), none when it is a
 * stale marker. */
static int sel_instant_one(struct store_series *s, void *ctx)
{
	struct sel_ctx *sc = ctx;
	struct store_span sp;
	if (store_series_range(s, sc->c->t - sc->c->lookback, sc->c->t, &sp) == 0)
		return 0;
	const struct store_sample *last = sp.nb ? &sp.b[sp.nb - 1]
						: &sp.a[sp.na - 1];
	if (store_is_stale(last->v))
		return 0;
	/* The store's set is immutable and reference counted: share it. */
	struct hw_labels *ls = (struct hw_labels *)store_series_labels(s);
	return ev_vec_push(sc->out, labels_ref(ls), last->v);
}

static int eval_selector(struct ev_ctx *c, const struct promql_node *n,
			 struct ev_val *out)
{
	out->type = PROMQL_TYPE_VECTOR;
	if (n->u.sel.range_ms)
		return ev_errf(c, "rule result is not a vector or scalar");
	struct sel_ctx sc = {c, &out->vec};
	return store_select(c->st, n->u.sel.name, n->u.sel.matchers,
			    n->u.sel.nmatchers, sel_instant_one, &sc);
}

/* --- the walk --- */

static int eval_unary(struct ev_ctx *c, const struct promql_node *n,
		      struct ev_val *out)
{
	int r = ev_eval(c, n->u.unary.expr, out);
	if (r < 0 || n->u.unary.op != '-')
		return r;
	if (out->type == PROMQL_TYPE_SCALAR) {
		out->scalar = -out->scalar;
		return 0;
	}
	/* engine.go UnaryExpr: negation drops the metric name, which can
	 * make two series equal. */
	bool uniform = ev_names_uniform(&out->vec);
	for (size_t i = 0; i < out->vec.n; i++) {
		struct eval_sample *e = &out->vec.v[i];
		struct hw_labels *ls = ev_drop_name(e->labels);
		if (!ls)
			return -ENOMEM;
		labels_unref(e->labels);
		e->labels = ls;
		e->v = -e->v;
	}
	return uniform ? 0 : ev_check_dups(c, &out->vec);
}

int ev_eval(struct ev_ctx *c, const struct promql_node *n, struct ev_val *out)
{
	memset(out, 0, sizeof(*out));
	out->type = n->type;
	switch (n->kind) {
	case PROMQL_NUMBER:
		out->scalar = n->u.number;
		return 0;
	case PROMQL_STRING:
		return ev_errf(c, "rule result is not a vector or scalar");
	case PROMQL_SELECTOR:
		return eval_selector(c, n, out);
	case PROMQL_CALL:
		return ev_call(c, n, out);
	case PROMQL_AGGREGATE:
		return ev_aggregate(c, n, out);
	case PROMQL_BINARY:
		return ev_binary(c, n, out);
	case PROMQL_UNARY:
		return eval_unary(c, n, out);
	case PROMQL_PAREN:
		return ev_eval(c, n->u.paren, out);
	}
	return ev_errf(c, "unknown expression node %d", (int)n->kind);
}

/* Evaluate one instant query. The context's scratch memory lives for the
 * query only; the result's samples own their label references. */
int eval_instant(const struct promql_node *expr, struct hw_store *st,
		 int64_t t, const struct eval_opts *opts,
		 struct eval_result *out, char *err, size_t errsize)
{
	struct ev_ctx c = {
		.st = st,
		.t = t,
		.wall_offset = opts ? opts->wall_offset_ms : 0,
		.lookback = opts && opts->lookback_ms ? opts->lookback_ms
						      : EVAL_LOOKBACK_MS,
		.err = err,
		.errsize = errsize,
	};
	struct ev_val v;
	int r;
	memset(out, 0, sizeof(*out));
	if (err && errsize)
		err[0] = '\0';
	if (expr->type != PROMQL_TYPE_SCALAR && expr->type != PROMQL_TYPE_VECTOR)
		return ev_errf(&c, "rule result is not a vector or scalar");
	r = ev_eval(&c, expr, &v);
	if (r < 0) {
		ev_val_free(&v);
		if (r == -ENOMEM)
			ev_errf(&c, "out of memory");
		goto out;
	}
	out->type = v.type;
	out->scalar = v.scalar;
	out->v = v.vec.v;
	out->n = v.vec.n;
out:
	free(c.scratch);
	labels_unref(c.empty);
	return r;
}

void eval_result_free(struct eval_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		labels_unref(r->v[i].labels);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
