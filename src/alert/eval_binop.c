/* Binary operators: scalar-scalar, vector-scalar and one-to-one
 * vector-vector arithmetic and comparisons, and the set operators and, or,
 * unless. Prometheus 2.42's engine.go (scalarBinop, VectorscalarBinop,
 * VectorBinop, resultMetric, VectorAnd/Or/Unless, vectorElemBinop).
 *
 * Matching signatures are labels_hash_subset hashes, confirmed by
 * comparing the labels themselves, so that a collision never matches two
 * different series. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

static bool op_is_cmp(enum promql_binop op)
{
	return op >= PROMQL_OP_EQ && op <= PROMQL_OP_LE;
}

/* shouldDropMetricName: arithmetic drops the name, comparisons keep it. */
static bool op_drops_name(enum promql_binop op)
{
	return op <= PROMQL_OP_MOD;
}

/* vectorElemBinop: arithmetic always keeps the element; a comparison
 * keeps the lhs value when it holds (false for any NaN but !=). */
static double elem_binop(enum promql_binop op, double l, double r, bool *keep)
{
	*keep = true;
	switch (op) {
	case PROMQL_OP_ADD: return l + r;
	case PROMQL_OP_SUB: return l - r;
	case PROMQL_OP_MUL: return l * r;
	case PROMQL_OP_DIV: return l / r;
	case PROMQL_OP_MOD: return ev_go_mod(l, r);
	case PROMQL_OP_EQ: *keep = l == r; break;
	case PROMQL_OP_NE: *keep = l != r; break;
	case PROMQL_OP_GT: *keep = l > r; break;
	case PROMQL_OP_LT: *keep = l < r; break;
	case PROMQL_OP_GE: *keep = l >= r; break;
	case PROMQL_OP_LE: *keep = l <= r; break;
	default: *keep = false; break;
	}
	return l;
}

/* scalarBinop: a comparison (bool is required there) gives 1 or 0. */
static double scalar_binop(enum promql_binop op, double l, double r)
{
	bool keep;
	double v = elem_binop(op, l, r, &keep);
	return op_is_cmp(op) ? (keep ? 1 : 0) : v;
}

/* VectorscalarBinop, in place on vec. With the scalar on the left (swap)
 * a comparison still returns the vector's value. */
static int vector_scalar(struct ev_ctx *c, const struct promql_node *n,
			 struct ev_vec *vec, double s, bool swap)
{
	enum promql_binop op = n->u.binary.op;
	bool rbool = n->u.binary.return_bool;
	bool drop = op_drops_name(op) || rbool;
	bool uniform = !drop || ev_names_uniform(vec);
	size_t k = 0;
	int r = 0;
	for (size_t i = 0; i < vec->n; i++) {
		struct eval_sample e = vec->v[i];
		double lv = swap ? s : e.v, rv = swap ? e.v : s;
		bool keep;
		double v = elem_binop(op, lv, rv, &keep);
		if (op_is_cmp(op) && swap)
			v = rv;
		if (rbool) {
			v = keep ? 1 : 0;
			keep = true;
		}
		if (!keep || r < 0) {
			labels_unref(e.labels);
			continue;
		}
		e.v = v;
		if (drop) {
			struct hw_labels *ls = ev_drop_name(e.labels);
			labels_unref(e.labels);
			if (!(e.labels = ls)) {
				r = -ENOMEM;
				continue;
			}
		}
		vec->v[k++] = e;
	}
	vec->n = k;
	if (r < 0 || uniform)
		return r;
	return ev_check_dups(c, vec);
}

static void matching_subset(const struct promql_node *n, struct ev_subset *s)
{
	s->names = (const char *const *)n->u.binary.matching.names;
	s->n = n->u.binary.matching.n;
	s->include = n->u.binary.has_matching && n->u.binary.on;
}

/* A signature index over one side's samples. */
struct sig_find {
	const struct ev_vec *side;
	const struct hw_labels *ls;
	const struct ev_subset *sub;
};

static bool sig_eq(void *ctx, size_t idx)
{
	const struct sig_find *f = ctx;
	return ev_subset_equal(f->side->v[idx].labels, f->ls, f->sub);
}

static uint64_t sig_hash(const struct hw_labels *ls, const struct ev_subset *s)
{
	return labels_hash_subset(ls, s->names, s->n, s->include);
}

static size_t sig_lookup(const struct ev_map *m, const struct ev_vec *side,
			 const struct hw_labels *ls, const struct ev_subset *s)
{
	struct sig_find f = {side, ls, s};
	return ev_map_find(m, sig_hash(ls, s), sig_eq, &f);
}

/* Index every sample of `side` whose signature is new. */
static int sig_index(struct ev_map *m, const struct ev_vec *side,
		     const struct ev_subset *s)
{
	if (ev_map_init(m, side->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < side->n; i++)
		if (sig_lookup(m, side, side->v[i].labels, s) == EV_NONE)
			ev_map_put(m, sig_hash(side->v[i].labels, s), i);
	return 0;
}

static int dup_match_error(struct ev_ctx *c, const struct hw_labels *a,
			   const struct hw_labels *b, const struct ev_subset *s)
{
	struct hw_buf m = HW_BUF_INIT, x = HW_BUF_INIT, y = HW_BUF_INIT;
	struct hw_labels *ml = ev_subset_labels(a, s);
	int r = -ENOMEM;
	if (!ml)
		goto out;
	labels_format(ml, &m);
	labels_format(a, &x);
	labels_format(b, &y);
	if (m.failed || x.failed || y.failed)
		goto out;
	r = ev_errf(c,
		    "found duplicate series for the match group %s on the right hand-side of the operation: [%s, %s];many-to-many matching not allowed: matching labels must be unique on one side",
		    buf_cstr(&m), buf_cstr(&x), buf_cstr(&y));
out:
	labels_unref(ml);
	buf_free(&m);
	buf_free(&x);
	buf_free(&y);
	return r;
}

/* resultMetric for one-to-one matching: arithmetic drops the name, on()
 * keeps only its labels, ignoring() removes its; bool drops the name. */
static struct hw_labels *result_metric(const struct promql_node *n,
				       struct hw_labels *ls)
{
	struct labels_builder b;
	labels_builder_init(&b, ls);
	if (n->u.binary.has_matching && n->u.binary.on)
		labels_builder_keep(&b,
				    (const char *const *)n->u.binary.matching.names,
				    n->u.binary.matching.n);
	else
		for (size_t i = 0; i < n->u.binary.matching.n; i++)
			labels_builder_del(&b, n->u.binary.matching.names[i]);
	if (op_drops_name(n->u.binary.op) || n->u.binary.return_bool)
		labels_builder_del(&b, LABEL_NAME);
	return labels_builder_done(&b);
}

/* VectorBinop, one-to-one: the rhs must be unique per signature; an lhs
 * signature may produce only one result (checked after filtering, as
 * engine.go does). */
static int vector_vector(struct ev_ctx *c, const struct promql_node *n,
			 const struct ev_vec *lhs, const struct ev_vec *rhs,
			 struct ev_vec *out)
{
	struct ev_subset s;
	struct ev_map m = {0};
	bool *matched = NULL;
	int r = 0;
	matching_subset(n, &s);
	if (lhs->n == 0 || rhs->n == 0)
		return 0;
	if (ev_map_init(&m, rhs->n) < 0 ||
	    !(matched = calloc(rhs->n, sizeof(*matched)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < rhs->n; j++) {
		const struct hw_labels *ls = rhs->v[j].labels;
		size_t d = sig_lookup(&m, rhs, ls, &s);
		if (d != EV_NONE) {
			r = dup_match_error(c, ls, rhs->v[d].labels, &s);
			goto out;
		}
		ev_map_put(&m, sig_hash(ls, &s), j);
	}
	if ((r = ev_vec_reserve(out, lhs->n)) < 0)
		goto out;
	for (size_t i = 0; i < lhs->n; i++) {
		const struct eval_sample *e = &lhs->v[i];
		size_t j = sig_lookup(&m, rhs, e->labels, &s);
		if (j == EV_NONE)
			continue;
		bool keep;
		double v = elem_binop(n->u.binary.op, e->v, rhs->v[j].v, &keep);
		if (n->u.binary.return_bool)
			v = keep ? 1 : 0;
		else if (!keep)
			continue;
		if (matched[j]) {
			r = ev_errf(c, "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
			goto out;
		}
		matched[j] = true;
		if ((r = ev_vec_push(out, result_metric(n, e->labels), v)) < 0)
			goto out;
	}
	r = ev_check_dups(c, out);
out:
	ev_map_free(&m);
	free(matched);
	return r;
}

/* Take over every sample of `from` (or those with keep[i]) into `to`. */
static int vec_move(struct ev_vec *to, struct ev_vec *from, const bool *keep)
{
	if (ev_vec_reserve(to, to->n + from->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < from->n; i++) {
		if (keep && !keep[i]) {
			labels_unref(from->v[i].labels);
			continue;
		}
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
	memset(from, 0, sizeof(*from));
	return 0;
}

/* VectorAnd, VectorOr, VectorUnless: lhs samples keep their labels and
 * values; `or` adds the rhs samples whose signature no lhs sample has. */
static int vector_set(const struct promql_node *n, struct ev_vec *lhs,
		      struct ev_vec *rhs, struct ev_vec *out)
{
	enum promql_binop op = n->u.binary.op;
	struct ev_subset s;
	struct ev_map m = {0};
	bool *keep = NULL;
	int r = 0;
	matching_subset(n, &s);
	if (lhs->n == 0 || rhs->n == 0) {
		if (op == PROMQL_OP_OR)
			r = vec_move(out, lhs->n ? lhs : rhs, NULL);
		else if (op == PROMQL_OP_UNLESS)
			r = vec_move(out, lhs, NULL);
		return r;
	}
	struct ev_vec *probe = op == PROMQL_OP_OR ? rhs : lhs;
	struct ev_vec *indexed = op == PROMQL_OP_OR ? lhs : rhs;
	if (sig_index(&m, indexed, &s) < 0 ||
	    !(keep = malloc(probe->n * sizeof(*keep)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < probe->n; i++) {
		bool found = sig_lookup(&m, indexed, probe->v[i].labels, &s) !=
			     EV_NONE;
		keep[i] = op == PROMQL_OP_AND ? found : !found;
	}
	if (op == PROMQL_OP_OR)
		r = vec_move(out, lhs, NULL) < 0 ? -ENOMEM
						 : vec_move(out, rhs, keep);
	else
		r = vec_move(out, lhs, keep);
out:
	ev_map_free(&m);
	free(keep);
	return r;
}

int ev_binary(struct ev_ctx *c, const struct promql_node *n,
	      struct ev_val *out)
{
	struct ev_val l, r;
	enum promql_binop op = n->u.binary.op;
	int rc;
	memset(&r, 0, sizeof(r));
	out->type = n->type;
	if ((rc = ev_eval(c, n->u.binary.lhs, &l)) < 0 ||
	    (rc = ev_eval(c, n->u.binary.rhs, &r)) < 0)
		goto out;
	if (l.type == PROMQL_TYPE_SCALAR && r.type == PROMQL_TYPE_SCALAR) {
		out->scalar = scalar_binop(op, l.scalar, r.scalar);
	} else if (op >= PROMQL_OP_AND) {
		rc = vector_set(n, &l.vec, &r.vec, &out->vec);
	} else if (r.type == PROMQL_TYPE_SCALAR) {
		out->vec = l.vec;
		memset(&l.vec, 0, sizeof(l.vec));
		rc = vector_scalar(c, n, &out->vec, r.scalar, false);
	} else if (l.type == PROMQL_TYPE_SCALAR) {
		out->vec = r.vec;
		memset(&r.vec, 0, sizeof(r.vec));
		rc = vector_scalar(c, n, &out->vec, l.scalar, true);
	} else {
		rc = vector_vector(c, n, &l.vec, &r.vec, &out->vec);
	}
out:
	ev_val_free(&l);
	ev_val_free(&r);
	return rc;
}
