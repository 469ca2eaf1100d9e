/* Label sets of the rule engine: immutable, sorted by name, hashed once.
 * One allocation per set (pairs and strings together), shared by reference
 * count between the store, evaluation results and alert instances, so that
 * passing a series' labels from a selector into a result copies nothing.
 *
 * Order and equality are Prometheus's (model/labels): pairs sorted by name,
 * sets compared pair by pair, name then value, a shorter prefix first. The
 * metric name is the label "__name__". An empty value is the same as an
 * absent label, so sets never hold empty values (labels_new drops them). */
#ifndef HOSTWATCH_LABELS_H
#define HOSTWATCH_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/sink.h" /* struct hw_label: a borrowed name/value pair */

#define LABEL_NAME "__name__"

struct hw_labels {
	unsigned refs;
	size_t n;
	uint64_t hash; /* of every name and value, in order */
	struct hw_label l[]; /* sorted by name; strings live after the array */
};

/* A new set from `n` borrowed pairs in any order (copied; empty values
 * dropped; for a repeated name the last pair wins). NULL on ENOMEM. */
struct hw_labels *labels_new(const struct hw_label *pairs, size_t n);
struct hw_labels *labels_ref(struct hw_labels *ls);
void labels_unref(struct hw_labels *ls); /* NULL is fine */

/* The value of `name`, or NULL when the set has no such label. */
const char *labels_get(const struct hw_labels *ls, const char *name);

bool labels_equal(const struct hw_labels *a, const struct hw_labels *b);
/* Prometheus's labels.Compare: <0, 0, >0. */
int labels_cmp(const struct hw_labels *a, const struct hw_labels *b);

/* Prometheus's Labels.String(): `name{a="1", b="2"}` with Go %q quoting,
 * `{}` for an empty set without a name. Appended to `b`. */
void labels_format(const struct hw_labels *ls, struct hw_buf *b);
/* Prometheus's labels.Labels.String(): every pair, __name__ included, in
 * braces: `{__name__="up", job="x"}`, `{}` for an empty set; what promtool
 * prints in its test failure messages. Appended to `b`. */
void labels_format_braces(const struct hw_labels *ls, struct hw_buf *b);

/* Building a derived set (dropping __name__, by/without/on/ignoring,
 * adding rule labels) without temporary allocations per label: start from
 * a set, edit, then labels_builder_done() returns a new set (or a new
 * reference to the original when nothing changed). */
#define LABELS_BUILDER_MAX 64
struct labels_builder {
	const struct hw_labels *base;
	struct hw_label add[LABELS_BUILDER_MAX]; /* borrowed strings */
	size_t nadd;
	const char *del[LABELS_BUILDER_MAX];
	size_t ndel;
	bool keep_only; /* labels_builder_keep() was called */
	const char *const *keep;
	size_t nkeep;
	bool overflow; /* more than LABELS_BUILDER_MAX edits: done() fails */
};

void labels_builder_init(struct labels_builder *b, const struct hw_labels *base);
/* Set (or with value "" delete) one label; strings must outlive done(). */
void labels_builder_set(struct labels_builder *b, const char *name,
			const char *value);
void labels_builder_del(struct labels_builder *b, const char *name);
/* Keep only these names (on(...), by(...)); applied before set/del. */
void labels_builder_keep(struct labels_builder *b, const char *const *names,
			 size_t n);
/* The resulting set; NULL on ENOMEM or overflow. */
struct hw_labels *labels_builder_done(struct labels_builder *b);

/* A hash over a subset of the labels, for matching and grouping without
 * building the set: only the names in `names` (on/by: include = true), or
 * all but those and __name__ (ignoring/without: include = false). */
uint64_t labels_hash_subset(const struct hw_labels *ls,
			    const char *const *names, size_t n, bool include);

/* The hash of hw_labels.hash, exposed so that a caller holding borrowed
 * pairs (the sampling sink) can hash them in label order without building
 * a set: h = labels_hash_init(); h = labels_hash_add(h, name, value) for
 * every pair in sorted order, empty values skipped; labels_hash_end(h).
 * FNV-1a over name 0xff value 0xff, as Prometheus separates the strings of
 * labels.Hash with 0xff (model/labels/labels.go), then a 64-bit finaliser
 * (MurmurHash3's fmix64) so that the low bits index hash tables well. Equal
 * hashes do not mean equal sets: compare on a match. */
static inline uint64_t labels_hash_init(void)
{
	return 0xcbf29ce484222325ULL;
}

static inline uint64_t labels_hash_add(uint64_t h, const char *name,
				       const char *value)
{
	const uint64_t prime = 0x100000001b3ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * prime;
	h = (h ^ 0xff) * prime;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		h = (h ^ *p) * prime;
	return (h ^ 0xff) * prime;
}

static inline uint64_t labels_hash_end(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

#endif
