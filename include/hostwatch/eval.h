/* The PromQL-subset evaluator: one instant query at a time over the store,
 * with Prometheus 2.42's semantics (promql/engine.go, functions.go), down to
 * the order of float operations, so that values compare exactly with
 * promtool's (tests/rules/README lists the details that matter).
 *
 *  - Instant selectors take each series' newest sample in
 *    [t - lookback, t] (both ends included, as in 2.x); a stale marker as
 *    newest sample means no sample.
 *  - Range selectors take the samples in [t - range, t], stale markers left
 *    out.
 *  - Functions, aggregations and arithmetic drop __name__ where Prometheus
 *    does (last_over_time, comparisons without bool, and/or/unless keep it).
 *  - Errors are Prometheus's: many-to-many matching, a vector with two
 *    equal label sets after dropping the name, etc. */
#ifndef HOSTWATCH_EVAL_H
#define HOSTWATCH_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "hostwatch/labels.h"
#include "hostwatch/promql.h"
#include "hostwatch/store.h"

#define EVAL_LOOKBACK_MS (5 * 60 * 1000)

struct eval_sample {
	struct hw_labels *labels; /* a reference: eval_result_free unrefs */
	double v;
};

struct eval_result {
	enum promql_type type; /* SCALAR, VECTOR (a query never ends as MATRIX) */
	double scalar;
	struct eval_sample *v;
	size_t n;
};

struct eval_opts {
	int64_t lookback_ms; /* 0: EVAL_LOOKBACK_MS */
	int64_t wall_offset_ms; /* time() is t + this (clock.h) */
};

/* Evaluate `expr` at time t (ms). 0 and *out filled (free with
 * eval_result_free); -EINVAL with a message in err for a query error;
 * -ENOMEM. A STRING expression is an -EINVAL error. */
int eval_instant(const struct promql_node *expr, struct hw_store *st,
		 int64_t t, const struct eval_opts *opts,
		 struct eval_result *out, char *err, size_t errsize);
void eval_result_free(struct eval_result *r);

#endif
