/* The rule engine's series store: the short history rules query.
 *
 * Each series (a label set with __name__) owns a ring of (timestamp, value)
 * samples. In the daemon the ring has a fixed size, worked out from the
 * longest range any rule uses plus the 5m lookback, divided by the sampling
 * interval (store_config.ring); test-rules lets it grow instead (ring = 0),
 * since a test's whole input must stay queryable.
 *
 * Only series that some selector can match are kept: the store is given
 * every selector of every rule (store_watch), and store_append drops a
 * sample no selector matches, after one hash lookup on the metric name for
 * the common case of selectors that name their metric.
 *
 * Prometheus semantics kept here:
 *  - Staleness: a series that stops being reported gets a stale marker
 *    (the NaN with bits STORE_STALE_BITS, Prometheus's value.StaleNaN) at
 *    the time it went missing; evaluation treats it as "no sample from here"
 *    (eval.c). Sampling rounds (store_round_begin/end) write these markers
 *    for the series of a source that a round did not report, as a scrape
 *    does for a target's vanished series.
 *  - Appends must move forward in time: a sample at or before the series'
 *    newest timestamp is ignored (Prometheus rejects it as out of order or
 *    duplicate).
 *
 * Memory is bounded by store_config.max_series: a new series beyond the cap
 * is dropped and counted (store_stats), and the store logs once each time it
 * reaches the cap. store_gc frees series whose newest sample fell out of the
 * retention window.
 *
 * Not thread-safe: the rule engine runs on the main thread. */
#ifndef HOSTWATCH_STORE_H
#define HOSTWATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/labels.h"
#include "hostwatch/promql.h"
#include "hostwatch/sink.h"

#define STORE_STALE_BITS 0x7ff0000000000002ULL

struct hw_store;
struct store_series;

struct store_config {
	size_t max_series;    /* 0: unlimited */
	size_t ring;          /* samples per series; 0: grow as needed */
	int64_t retention_ms; /* store_gc drops series idle longer; 0: never */
};

struct store_stats {
	size_t series;        /* hostwatch_rule_series */
	size_t samples;       /* hostwatch_rule_samples: held in all rings */
	uint64_t dropped;     /* samples of new series refused at the cap */
	bool at_cap;
};

struct store_sample {
	int64_t t; /* milliseconds since the epoch */
	double v;
};

struct hw_store *store_new(const struct store_config *cfg);
void store_free(struct hw_store *st);

/* Keep series this selector (a PROMQL_SELECTOR node) can match. The node
 * must outlive the store or the next store_unwatch_all. */
int store_watch(struct hw_store *st, const struct promql_node *selector);
/* Keep every series (test-rules: the input is what the test wrote). */
void store_watch_all(struct hw_store *st);
void store_unwatch_all(struct hw_store *st);

bool store_is_stale(double v);
double store_stale_nan(void);

/* Append one sample. `labels` includes __name__. Returns the series (NULL
 * when the sample was not wanted, refused at the cap, or ENOMEM). */
struct store_series *store_append(struct hw_store *st,
				  const struct hw_labels *labels, int64_t t,
				  double v);
/* The same from borrowed pairs (the sampling sink's path): the set is only
 * built when the series is new. `name` is the metric name; `pairs` do not
 * include __name__. */
struct store_series *store_append_pairs(struct hw_store *st, const char *name,
					const struct hw_label *pairs,
					size_t n, int64_t t, double v);

/* A sampling round for one source (the collectors are source 0; test input,
 * recording rules and ALERTS use their own): every series of `source` that
 * got no sample between begin and end receives a stale marker at time t,
 * unless its newest sample already is one. Series appended during the round
 * become the source's. Sources are numbers below 65536 (others are
 * ignored); rounds of different sources may nest, the innermost open round
 * owning the appends; appends outside any round change no ownership. */
void store_round_begin(struct hw_store *st, unsigned source, int64_t t);
void store_round_end(struct hw_store *st, unsigned source, int64_t t);

/* Call `fn` for every stored series matching all matchers (and the name,
 * when not NULL), in no particular order. Stops early when fn returns
 * non-zero, and returns that value. */
typedef int (*store_series_fn)(struct store_series *s, void *ctx);
int store_select(struct hw_store *st, const char *name,
		 const struct promql_matcher *m, size_t nm, store_series_fn fn,
		 void *ctx);

const struct hw_labels *store_series_labels(const struct store_series *s);

/* The samples of a series with mint <= t <= maxt, oldest first, stale
 * markers included, as at most two contiguous runs of the ring (a, then b).
 * Returns the total count. */
struct store_span {
	const struct store_sample *a, *b;
	size_t na, nb;
};
size_t store_series_range(const struct store_series *s, int64_t mint,
			  int64_t maxt, struct store_span *out);

/* Drop series whose newest sample is older than now - retention_ms. */
void store_gc(struct hw_store *st, int64_t now);
void store_stats(const struct hw_store *st, struct store_stats *out);

/* A sink that appends what collectors write to the store at time t, under
 * source 0 (hostwatch_sampling: one round per evaluation). */
struct store_sink {
	struct sink sink;
	struct hw_store *st;
	int64_t t;
	const char *family; /* current family name */
};
void store_sink_init(struct store_sink *ss, struct hw_store *st, int64_t t);

#endif
