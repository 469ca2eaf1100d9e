/* Aggregations: sum, avg, min, max, count, with by or without, as
 * Prometheus 2.42's engine.go aggregation(): groups keyed by a hash of the
 * grouping labels (labels_hash_subset, confirmed by comparing labels),
 * output in the order groups first appear, the first sample's value as
 * the start (so sum is ((v0 + v1) + v2)...), avg as an incremental mean
 * with its Inf handling, min/max replacing a NaN. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

struct agg_group {
	const struct hw_labels *first; /* borrowed from the input vector */
	double value, mean;
	double count;
};

struct agg_find {
	const struct agg_group *g;
	const struct hw_labels *ls;
	const struct ev_subset *sub;
};

static bool agg_eq(void *ctx, size_t idx)
{
	const struct agg_find *f = ctx;
	return ev_subset_equal(f->g[idx].first, f->ls, f->sub);
}

static void agg_add(enum promql_aggop op, struct agg_group *g, double v)
{
	switch (op) {
	case PROMQL_AGG_SUM:
		g->value += v;
		break;
	case PROMQL_AGG_AVG:
		g->count++;
		g->mean = ev_mean_step(g->mean, v, g->count);
		break;
	case PROMQL_AGG_MAX:
		if (g->value < v || isnan(g->value))
			g->value = v;
		break;
	case PROMQL_AGG_MIN:
		if (g->value > v || isnan(g->value))
			g->value = v;
		break;
	case PROMQL_AGG_COUNT:
		g->count++;
		break;
	}
}

static double agg_result(enum promql_aggop op, const struct agg_group *g)
{
	switch (op) {
	case PROMQL_AGG_AVG: return g->mean;
	case PROMQL_AGG_COUNT: return g->count;
	default: return g->value;
	}
}

int ev_aggregate(struct ev_ctx *c, const struct promql_node *n,
		 struct ev_val *out)
{
	enum promql_aggop op = n->u.agg.op;
	struct ev_subset s = {
		.names = (const char *const *)n->u.agg.grouping.names,
		.n = n->u.agg.grouping.n,
		.include = !n->u.agg.without,
	};
	struct ev_val in;
	struct ev_map m = {0};
	struct agg_group *g = NULL;
	size_t ng = 0;
	int r;
	out->type = PROMQL_TYPE_VECTOR;
	if ((r = ev_eval(c, n->u.agg.expr, &in)) < 0 || in.vec.n == 0)
		goto out;
	if (ev_map_init(&m, in.vec.n) < 0 ||
	    !(g = malloc(in.vec.n * sizeof(*g)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < in.vec.n; i++) {
		const struct eval_sample *e = &in.vec.v[i];
		uint64_t h = labels_hash_subset(e->labels, s.names, s.n,
						s.include);
		struct agg_find f = {g, e->labels, &s};
		size_t gi = ev_map_find(&m, h, agg_eq, &f);
		if (gi != EV_NONE) {
			agg_add(op, &g[gi], e->v);
			continue;
		}
		g[ng] = (struct agg_group){e->labels, e->v, e->v, 1};
		ev_map_put(&m, h, ng++);
	}
	if ((r = ev_vec_reserve(&out->vec, ng)) < 0)
		goto out;
	for (size_t i = 0; i < ng; i++) {
		struct hw_labels *ls;
		if (!s.include || s.n) {
			ls = ev_subset_labels(g[i].first, &s);
		} else {
			/* No grouping: every group is {}; share one set. */
			if (!c->empty && !(c->empty = labels_new(NULL, 0))) {
				r = -ENOMEM;
				goto out;
			}
			ls = labels_ref(c->empty);
		}
		if ((r = ev_vec_push(&out->vec, ls, agg_result(op, &g[i]))) < 0)
			goto out;
	}
out:
	ev_map_free(&m);
	free(g);
	ev_val_free(&in);
	return r;
}
