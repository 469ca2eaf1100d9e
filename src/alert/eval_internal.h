/* The evaluator's internals, shared by eval.c (tree walk, selectors,
 * vectors, hashing), eval_func.c (function calls and the pure range
 * functions), eval_binop.c (arithmetic, comparison and set operators) and
 * eval_agg.c (aggregations). See include/hostwatch/eval.h for the contract.
 *
 * The pure functions (extrapolated rate, instant value, the *_over_time
 * reductions, Go's math.Min/Max/Mod) take plain arrays so that unit tests
 * can check their float results without a store. */
#ifndef HOSTWATCH_EVAL_INTERNAL_H
#define HOSTWATCH_EVAL_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/eval.h"

/* An instant vector under construction: samples own one label reference. */
struct ev_vec {
	struct eval_sample *v;
	size_t n, cap;
};

/* The value of a sub-expression: a scalar or an instant vector (range
 * vectors only exist inside range function calls, never as values). */
struct ev_val {
	enum promql_type type;
	double scalar;
	struct ev_vec vec;
};

struct ev_ctx {
	struct hw_store *st;
	int64_t t;
	int64_t wall_offset; /* eval_opts.wall_offset_ms */
	int64_t lookback;
	char *err;
	size_t errsize;
	/* Non-stale samples of one series' range, reused across series and
	 * calls: a range function never allocates per sample. */
	struct store_sample *scratch;
	size_t scratch_cap;
	struct hw_labels *empty; /* {} shared by aggregations without groups */
};

/* Hash index for grouping and matching: open addressing over (hash,
 * index) pairs, sized once for the number of entries it will hold. Equal
 * hashes are kept apart by the caller's equality check, so a hash
 * collision never merges two groups. */
struct ev_slot {
	uint64_t h;
	size_t idx; /* EV_NONE: empty slot */
};
struct ev_map {
	struct ev_slot *s;
	size_t mask;
};
#define EV_NONE ((size_t)-1)

int ev_map_init(struct ev_map *m, size_t entries);
void ev_map_free(struct ev_map *m);
/* The first entry with hash h for which eq(ctx, idx) holds, or EV_NONE. */
size_t ev_map_find(const struct ev_map *m, uint64_t h,
		   bool (*eq)(void *ctx, size_t idx), void *ctx);
void ev_map_put(struct ev_map *m, uint64_t h, size_t idx);

/* A subset of labels as labels_hash_subset takes it: only `names`
 * (include), or all but `names` and __name__ (exclude). */
struct ev_subset {
	const char *const *names;
	size_t n;
	bool include;
};
bool ev_subset_has(const struct ev_subset *s, const char *name);
bool ev_subset_equal(const struct hw_labels *a, const struct hw_labels *b,
		     const struct ev_subset *s);
/* The labels of the subset as a new set (for error messages, groups). */
struct hw_labels *ev_subset_labels(const struct hw_labels *ls,
				   const struct ev_subset *s);

int ev_errf(struct ev_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int ev_eval(struct ev_ctx *c, const struct promql_node *n, struct ev_val *out);
void ev_val_free(struct ev_val *v);
void ev_vec_free(struct ev_vec *v);
int ev_vec_reserve(struct ev_vec *v, size_t n);
/* Append a sample taking over the reference `ls` (unref'd on failure). */
int ev_vec_push(struct ev_vec *v, struct hw_labels *ls, double val);
/* A new reference to ls without __name__ (the same set when it has none);
 * NULL on ENOMEM. */
struct hw_labels *ev_drop_name(struct hw_labels *ls);
/* engine.go's "vector cannot contain metrics with the same labelset". */
int ev_check_dups(struct ev_ctx *c, const struct ev_vec *v);
/* Whether every sample has the same __name__ (or none): every vector the
 * walk produces is free of duplicates, so dropping the name from such a
 * vector cannot create any and the check can be skipped. */
bool ev_names_uniform(const struct ev_vec *v);

/* eval_func.c */
int ev_call(struct ev_ctx *c, const struct promql_node *n, struct ev_val *out);

/* eval_binop.c */
int ev_binary(struct ev_ctx *c, const struct promql_node *n,
	      struct ev_val *out);

/* eval_agg.c */
int ev_aggregate(struct ev_ctx *c, const struct promql_node *n,
		 struct ev_val *out);

/* The pure parts (functions.go), exported for the unit tests. */
bool ev_extrapolated_rate(const struct store_sample *p, size_t n,
			  int64_t range_start, int64_t range_end,
			  int64_t range_ms, bool counter, bool is_rate,
			  double *out);
bool ev_instant_value(const struct store_sample *p, size_t n, bool is_rate,
		      double *out);
double ev_avg_over_time(const struct store_sample *p, size_t n);
double ev_sum_over_time(const struct store_sample *p, size_t n);
double ev_min_over_time(const struct store_sample *p, size_t n);
double ev_max_over_time(const struct store_sample *p, size_t n);
double ev_go_min(double x, double y);
double ev_go_max(double x, double y);
double ev_go_mod(double x, double y);
/* An incremental mean step with engine.go's Inf handling (avg). */
double ev_mean_step(double mean, double v, double count);

#endif
