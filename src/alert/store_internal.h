/* The series store's internals, shared by store.c (tables, appends, rounds,
 * ranges), store_watch.c (selectors and matching) and store_sink.c (sink,
 * gc, stats). See include/hostwatch/store.h for the contract. */
#ifndef HOSTWATCH_STORE_INTERNAL_H
#define HOSTWATCH_STORE_INTERNAL_H

#include "hostwatch/store.h"

#define STORE_NO_SOURCE ((unsigned)-1)
#define STORE_OPEN_MAX 64 /* rounds open at once (nested) */

struct store_name;

struct store_series {
	struct hw_labels *ls;
	struct store_series *hnext;	    /* hash chain */
	struct store_series *nprev, *nnext; /* series of the same name */
	struct store_series *sprev, *snext; /* series of the same source */
	struct store_name *ne;
	struct store_sample *buf;
	size_t cap;   /* ring capacity */
	size_t start; /* oldest sample's slot (fixed rings only) */
	size_t n;     /* samples held */
	unsigned source; /* STORE_NO_SOURCE until a round appends to it */
	uint64_t seen;	 /* its source's round epoch when last appended */
};

/* One metric name: its series, and the selectors that name it. */
struct store_name {
	struct store_name *next;
	uint64_t h;
	struct store_series *series;
	size_t nseries;
	const struct promql_node **sels; /* selectors with more matchers */
	size_t nsels, capsels;
	bool all; /* a selector wants every series of the name */
	char name[];
};

struct store_src {
	struct store_series *head;
	uint64_t epoch; /* incremented by each round_begin */
	bool open;
};

struct hw_store {
	struct store_config cfg;
	struct store_series **tab;
	size_t tabsize, nseries;
	struct store_name **ntab;
	size_t ntabsize, nnames;
	struct store_src *src;
	size_t nsrc;
	unsigned open[STORE_OPEN_MAX]; /* open rounds, innermost last */
	size_t nopen;
	const struct promql_node **others; /* selectors naming no metric */
	size_t nothers, capothers;
	bool watch_all;
	size_t nsamples;
	uint64_t dropped;
	bool cap_logged;
	char *family; /* the store sink's copy of the current family name */
	size_t familycap;
};

/* A label set seen before it is built: the metric name plus borrowed
 * pairs (which may also hold __name__ when built from a set). */
struct store_view {
	const char *name;
	const struct hw_label *p;
	size_t n;
};

uint64_t store_name_hash(const char *name);
struct store_name *store_name_find(const struct hw_store *st, const char *name,
				   uint64_t h);
struct store_name *store_name_get(struct hw_store *st, const char *name);
/* Free the entry when it holds neither series nor selectors. */
void store_name_release(struct hw_store *st, struct store_name *ne);
bool store_name_watched(const struct store_name *ne);

/* Whether a new series with these labels is wanted by some selector. */
bool store_wanted(const struct hw_store *st, const struct store_name *ne,
		  const struct store_view *v);
/* Whether a selector naming no metric may want a series called `name`,
 * judged by its __name__ matchers alone (no allocation). */
bool store_others_may_want(const struct hw_store *st, const char *name);
bool store_match(const struct promql_matcher *m, size_t nm,
		 const struct store_view *v);

/* Unlink a series from every index and free it. */
void store_series_remove(struct hw_store *st, struct store_series *s);

#endif
