/* Unit tests for the rule engine's series store (store.h): appends and
 * ranges over fixed (wrapping) and growable rings, inclusive range bounds,
 * out-of-order and duplicate samples, stale markers from rounds, selector
 * filtering, the series cap, gc, the sampling sink, and select by name over
 * 10k series. Run under valgrind: no leak. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/store.h"
#include "testutil.h"

#define NELEM(a) (sizeof(a) / sizeof(a[0]))

#define mk test_labels

static struct store_series *add(struct hw_store *st, struct hw_labels *ls,
				int64_t t, double v)
{
	struct store_series *s = store_append(st, ls, t, v);
	labels_unref(ls);
	return s;
}

/* Every sample of a range, copied out in order. */
static size_t range(const struct store_series *s, int64_t mint, int64_t maxt,
		    struct store_sample *out, size_t max)
{
	struct store_span sp;
	size_t n = store_series_range(s, mint, maxt, &sp);
	ck_assert_uint_eq(n, sp.na + sp.nb);
	ck_assert_uint_le(n, max);
	if (sp.na)
		memcpy(out, sp.a, sp.na * sizeof(*out));
	if (sp.nb)
		memcpy(out + sp.na, sp.b, sp.nb * sizeof(*out));
	for (size_t i = 1; i < n; i++)
		ck_assert_int_lt(out[i - 1].t, out[i].t);
	return n;
}

/* Selectors parsed for a test, freed together. */
static struct promql_node *sels[16];
static size_t nsels;

static const struct promql_node *sel(const char *expr)
{
	struct promql_error err;
	struct promql_node *n;
	ck_assert_int_eq(promql_parse(expr, &n, &err), 0);
	ck_assert_uint_lt(nsels, NELEM(sels));
	sels[nsels++] = n;
	return n;
}

static void sels_free(void)
{
	while (nsels)
		promql_free(sels[--nsels]);
}

static int count_fn(struct store_series *s, void *ctx)
{
	(void)s;
	(*(size_t *)ctx)++;
	return 0;
}

static size_t count(struct hw_store *st, const char *name,
		    const struct promql_matcher *m, size_t nm)
{
	size_t n = 0;
	ck_assert_int_eq(store_select(st, name, m, nm, count_fn, &n), 0);
	return n;
}

/* The number of series a selector's matchers (and name) select. */
static size_t count_sel(struct hw_store *st, const char *expr)
{
	const struct promql_node *n = sel(expr);
	return count(st, n->u.sel.name, n->u.sel.matchers, n->u.sel.nmatchers);
}

START_TEST(test_stale_nan)
{
	double s = store_stale_nan();
	ck_assert(isnan(s));
	ck_assert(store_is_stale(s));
	ck_assert(!store_is_stale(NAN));
	ck_assert(!store_is_stale(0.0));
	ck_assert(!store_is_stale(INFINITY));
}
END_TEST

START_TEST(test_fixed_ring)
{
	struct store_config cfg = {.ring = 5};
	struct hw_store *st = store_new(&cfg);
	store_watch_all(st);
	struct store_series *s = NULL;
	for (int i = 1; i <= 12; i++) {
		s = add(st, mk("__name__", "m", NULL), i * 1000, i);
		ck_assert_ptr_nonnull(s);
	}
	struct store_sample out[16];
	/* holds 8..12; the run wraps around the array's end */
	ck_assert_uint_eq(range(s, 0, 100000, out, 16), 5);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(out[i].t, (8 + i) * 1000);
		ck_assert(out[i].v == 8 + i);
	}
	struct store_span sp;
	ck_assert_uint_eq(store_series_range(s, 0, 100000, &sp), 5);
	ck_assert_uint_eq(sp.na, 3); /* slots 2..4, then 0..1 */
	ck_assert_uint_eq(sp.nb, 2);
	/* inclusive on both ends, at every offset of the wrap */
	for (int lo = 7; lo <= 13; lo++)
		for (int hi = lo; hi <= 13; hi++) {
			int first = lo < 8 ? 8 : lo, last = hi > 12 ? 12 : hi;
			size_t want = last >= first ? (size_t)(last - first + 1) : 0;
			size_t n = range(s, lo * 1000, hi * 1000, out, 16);
			ck_assert_uint_eq(n, want);
			if (n)
				ck_assert_int_eq(out[0].t, first * 1000);
			/* one millisecond inside excludes the bounds */
			want = 0;
			for (int i = 8; i <= 12; i++)
				want += i > lo && i < hi;
			n = range(s, lo * 1000 + 1, hi * 1000 - 1, out, 16);
			ck_assert_uint_eq(n, want);
		}
	ck_assert_uint_eq(range(s, 5000, 1000, out, 16), 0);
	struct store_stats stats;
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 1);
	ck_assert_uint_eq(stats.samples, 5);
	store_free(st);
}
END_TEST

START_TEST(test_growable_ring)
{
	struct hw_store *st = store_new(&(struct store_config){0});
	store_watch_all(st);
	struct store_series *s = NULL;
	for (int i = 0; i < 5000; i++)
		s = add(st, mk("__name__", "g", "a", "b", NULL), i * 10, i);
	struct store_sample *out = malloc(5000 * sizeof(*out));
	ck_assert_uint_eq(range(s, INT64_MIN, INT64_MAX, out, 5000), 5000);
	ck_assert_uint_eq(range(s, 100, 200, out, 5000), 11);
	ck_assert_int_eq(out[0].t, 100);
	ck_assert_int_eq(out[10].t, 200);
	ck_assert_uint_eq(range(s, 101, 109, out, 5000), 0);
	ck_assert_uint_eq(range(s, 49990, 60000, out, 5000), 1);
	ck_assert_uint_eq(range(s, -100, 0, out, 5000), 1);
	ck_assert_uint_eq(range(s, -100, -1, out, 5000), 0);
	free(out);
	store_free(st);
}
END_TEST

START_TEST(test_out_of_order)
{
	struct hw_store *st = store_new(&(struct store_config){.ring = 10});
	store_watch_all(st);
	struct store_series *s = add(st, mk("__name__", "m", NULL), 2000, 2);
	ck_assert_ptr_eq(add(st, mk("__name__", "m", NULL), 2000, 9), s);
	ck_assert_ptr_eq(add(st, mk("__name__", "m", NULL), 1000, 1), s);
	ck_assert_ptr_eq(add(st, mk("__name__", "m", NULL), 3000, 3), s);
	struct store_sample out[4];
	ck_assert_uint_eq(range(s, 0, 5000, out, 4), 2);
	ck_assert(out[0].v == 2 && out[1].v == 3);
	/* the same series through append_pairs, unsorted pairs and empty
	 * values included */
	struct hw_label p[] = {{"b", "2"}, {"a", "1"}, {"e", ""}};
	struct store_series *s2 = store_append_pairs(st, "x", p, 3, 1, 1);
	ck_assert_ptr_nonnull(s2);
	ck_assert_ptr_ne(store_append_pairs(st, "x", p + 1, 1, 5, 1), s2);
	struct hw_labels *ls = mk("__name__", "x", "a", "1", "b", "2", NULL);
	ck_assert_ptr_eq(store_append(st, ls, 2, 2), s2);
	labels_unref(ls);
	struct hw_label q[] = {{"a", "1"}, {"b", "2"}, {"e", ""}};
	ck_assert_ptr_eq(store_append_pairs(st, "x", q, 3, 3, 3), s2);
	ck_assert_ptr_eq(store_append_pairs(st, "x", q, 2, 4, 4), s2);
	ck_assert_uint_eq(range(s2, 0, 10, out, 4), 4);
	/* a label sorting before __name__ */
	struct hw_label u[] = {{"A", "up"}, {"z", "1"}};
	struct store_series *s3 = store_append_pairs(st, "x", u, 2, 1, 1);
	ls = mk("z", "1", "__name__", "x", "A", "up", NULL);
	ck_assert_ptr_eq(store_append(st, ls, 2, 2), s3);
	ck_assert_ptr_eq(store_append_pairs(st, "x", u, 2, 3, 3), s3);
	ck_assert(labels_equal(store_series_labels(s3), ls));
	labels_unref(ls);
	store_free(st);
}
END_TEST

/* Equal hashes must not merge series: force a collision. */
START_TEST(test_collision)
{
	struct hw_store *st = store_new(&(struct store_config){.ring = 4});
	store_watch_all(st);
	struct hw_labels *a = mk("__name__", "m", "x", "1", NULL);
	struct hw_labels *b = mk("__name__", "m", "x", "2", NULL);
	b->hash = a->hash;
	ck_assert(!labels_equal(a, b));
	struct store_series *sa = store_append(st, a, 1, 1);
	struct store_series *sb = store_append(st, b, 1, 1);
	ck_assert_ptr_nonnull(sa);
	ck_assert_ptr_nonnull(sb);
	ck_assert_ptr_ne(sa, sb);
	ck_assert_ptr_eq(store_append(st, a, 2, 2), sa);
	ck_assert_ptr_eq(store_append(st, b, 2, 2), sb);
	/* the pairs path compares too: x=2 hashes as a, finds sb's bucket
	 * mate sa first and must not take it */
	struct hw_label x1 = {"x", "1"};
	ck_assert_ptr_eq(store_append_pairs(st, "m", &x1, 1, 3, 3), sa);
	ck_assert_uint_eq(count(st, "m", NULL, 0), 2);
	labels_unref(a);
	labels_unref(b);
	store_free(st);
}
END_TEST

START_TEST(test_rounds)
{
	struct hw_store *st = store_new(&(struct store_config){.ring = 10});
	store_watch_all(st);
	struct hw_label a = {"k", "a"}, b = {"k", "b"};
	struct store_series *sa, *sb, *sc;
	struct store_sample out[10];

	store_round_begin(st, 0, 1000);
	sa = store_append_pairs(st, "m", &a, 1, 1000, 1);
	sb = store_append_pairs(st, "m", &b, 1, 1000, 1);
	store_round_end(st, 0, 1000);
	/* a series appended outside rounds belongs to no source */
	sc = add(st, mk("__name__", "other", NULL), 1000, 5);

	store_round_begin(st, 0, 2000);
	store_append_pairs(st, "m", &a, 1, 2000, 2);
	store_round_end(st, 0, 2000);
	ck_assert_uint_eq(range(sb, 0, 10000, out, 10), 2);
	ck_assert_int_eq(out[1].t, 2000);
	ck_assert(store_is_stale(out[1].v));
	ck_assert_uint_eq(range(sa, 0, 10000, out, 10), 2);
	ck_assert(!store_is_stale(out[1].v));
	ck_assert_uint_eq(range(sc, 0, 10000, out, 10), 1);

	/* already stale: no second marker */
	store_round_begin(st, 0, 3000);
	store_round_end(st, 0, 3000);
	ck_assert_uint_eq(range(sb, 0, 10000, out, 10), 2);
	ck_assert_uint_eq(range(sa, 0, 10000, out, 10), 3);
	ck_assert(store_is_stale(out[2].v));

	/* b comes back under source 1: source 0's rounds leave it alone */
	store_round_begin(st, 1, 4000);
	store_append_pairs(st, "m", &b, 1, 4000, 4);
	/* nested: source 2's round inside source 1's */
	store_round_begin(st, 2, 4000);
	store_append_pairs(st, "m", &a, 1, 4000, 4);
	store_round_end(st, 2, 4000);
	store_round_end(st, 1, 4000);
	store_round_begin(st, 0, 5000);
	store_round_end(st, 0, 5000);
	ck_assert_uint_eq(range(sb, 0, 10000, out, 10), 3);
	ck_assert(!store_is_stale(out[2].v));
	store_round_begin(st, 1, 6000);
	store_round_end(st, 1, 6000);
	ck_assert_uint_eq(range(sb, 0, 10000, out, 10), 4);
	ck_assert_int_eq(out[3].t, 6000);
	ck_assert(store_is_stale(out[3].v));
	ck_assert_uint_eq(range(sa, 0, 10000, out, 10), 4);
	/* a series reported again at the round's time is not marked */
	store_round_begin(st, 2, 7000);
	store_append_pairs(st, "m", &a, 1, 7000, 7);
	store_append_pairs(st, "m", &a, 1, 7000, 8); /* duplicate */
	store_round_end(st, 2, 7000);
	ck_assert_uint_eq(range(sa, 0, 10000, out, 10), 5);
	ck_assert(out[4].v == 7);
	/* a plain NaN is a value, not a marker: the next round marks it */
	store_round_begin(st, 2, 8000);
	store_append_pairs(st, "m", &a, 1, 8000, NAN);
	store_round_end(st, 2, 8000);
	store_round_begin(st, 2, 9000);
	store_round_end(st, 2, 9000);
	ck_assert_uint_eq(range(sa, 0, 10000, out, 10), 7);
	ck_assert(isnan(out[5].v) && !store_is_stale(out[5].v));
	ck_assert(store_is_stale(out[6].v));
	/* an end without a begin does nothing */
	store_round_end(st, 3, 9500);
	store_round_end(st, 100000, 9500);
	store_free(st);
}
END_TEST

START_TEST(test_watch)
{
	struct hw_store *st = store_new(&(struct store_config){.ring = 4});
	ck_assert_int_eq(store_watch(st, sel("foo")), 0);
	ck_assert_int_eq(store_watch(st, sel("bar{x=\"1\"}")), 0);
	ck_assert_int_eq(store_watch(st, sel("{__name__=~\"baz.*\", job=\"j\"}")),
			 0);
	ck_assert_int_eq(store_watch(st, sel("{__name__=\"qux\", y!=\"\"}")), 0);
	ck_assert_int_eq(store_watch(st, sel("rate(foo[5m])")), -EINVAL);

	struct hw_label x1 = {"x", "1"}, x2 = {"x", "2"}, j = {"job", "j"},
			k = {"job", "k"}, y = {"y", "v"};
	ck_assert_ptr_nonnull(store_append_pairs(st, "foo", &x2, 1, 1, 1));
	ck_assert_ptr_nonnull(store_append_pairs(st, "foo", NULL, 0, 1, 1));
	ck_assert_ptr_nonnull(store_append_pairs(st, "bar", &x1, 1, 1, 1));
	ck_assert_ptr_null(store_append_pairs(st, "bar", &x2, 1, 1, 1));
	ck_assert_ptr_null(store_append_pairs(st, "bar", NULL, 0, 1, 1));
	ck_assert_ptr_nonnull(store_append_pairs(st, "baz_1", &j, 1, 1, 1));
	ck_assert_ptr_nonnull(store_append_pairs(st, "baz", &j, 1, 1, 1));
	ck_assert_ptr_null(store_append_pairs(st, "baz_1", &k, 1, 1, 1));
	ck_assert_ptr_null(store_append_pairs(st, "xbaz", &j, 1, 1, 1));
	ck_assert_ptr_nonnull(store_append_pairs(st, "qux", &y, 1, 1, 1));
	ck_assert_ptr_null(store_append_pairs(st, "qux", NULL, 0, 1, 1));
	ck_assert_ptr_null(store_append_pairs(st, "nope", &x1, 1, 1, 1));
	ck_assert_ptr_null(add(st, mk("__name__", "bar", "x", "3", NULL), 1, 1));
	ck_assert_ptr_nonnull(add(st, mk("__name__", "bar", "x", "1", "z", "z",
					 NULL),
				  1, 1));

	struct store_stats stats;
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 7);
	ck_assert_uint_eq(stats.dropped, 0);
	ck_assert_uint_eq(count_sel(st, "foo"), 2);
	ck_assert_uint_eq(count_sel(st, "foo{x=\"2\"}"), 1);
	ck_assert_uint_eq(count_sel(st, "foo{x=\"\"}"), 1);
	ck_assert_uint_eq(count_sel(st, "foo{x!=\"\"}"), 1);
	ck_assert_uint_eq(count_sel(st, "{__name__=~\"ba.*\"}"), 4);
	ck_assert_uint_eq(count_sel(st, "{__name__=\"bar\"}"), 2);
	ck_assert_uint_eq(count_sel(st, "{job=~\"j|k\"}"), 2);
	ck_assert_uint_eq(count_sel(st, "{__name__=~\".+\", x!~\"1\"}"), 5);
	ck_assert_uint_eq(count(st, NULL, NULL, 0), 7);
	ck_assert_uint_eq(count(st, "none", NULL, 0), 0);

	/* after unwatch_all known series are still accepted, new ones not */
	store_unwatch_all(st);
	ck_assert_ptr_nonnull(store_append_pairs(st, "foo", &x2, 1, 2, 2));
	ck_assert_ptr_nonnull(store_append_pairs(st, "bar", &x1, 1, 2, 2));
	ck_assert_ptr_null(store_append_pairs(st, "foo", &x1, 1, 2, 2));
	ck_assert_ptr_null(store_append_pairs(st, "new", NULL, 0, 2, 2));
	store_watch_all(st);
	ck_assert_ptr_nonnull(store_append_pairs(st, "new", NULL, 0, 2, 2));
	store_free(st);
	sels_free();
}
END_TEST

/* Count the lines a function writes to stderr. */
static int stderr_lines(void (*fn)(struct hw_store *), struct hw_store *st)
{
	char path[] = "/tmp/test_store_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	fn(st);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char buf[4096] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	int lines = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			lines++;
	ck_assert_msg(n <= 0 || strstr(buf, "series cap 3 reached"), "%s", buf);
	return lines;
}

static void fill_cap(struct hw_store *st)
{
	char v[16];
	for (int i = 0; i < 10; i++) {
		snprintf(v, sizeof(v), "%d", i);
		struct hw_label l = {"i", v};
		store_append_pairs(st, "c", &l, 1, 100, i);
	}
}

static void gc_and_refill(struct hw_store *st)
{
	store_gc(st, 100); /* drops nothing: still at the cap, no new message */
	fill_cap(st);
	store_gc(st, 2000);
	fill_cap(st);
}

START_TEST(test_cap)
{
	struct store_config cfg = {.max_series = 3, .ring = 2,
				   .retention_ms = 500};
	struct hw_store *st = store_new(&cfg);
	store_watch_all(st);
	struct store_stats stats;
	ck_assert_int_eq(stderr_lines(fill_cap, st), 1);
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 3);
	ck_assert_uint_eq(stats.samples, 3);
	ck_assert_uint_eq(stats.dropped, 7);
	ck_assert(stats.at_cap);
	/* existing series are still appended to */
	struct hw_label l = {"i", "0"};
	ck_assert_ptr_nonnull(store_append_pairs(st, "c", &l, 1, 200, 1));
	ck_assert_int_eq(stderr_lines(fill_cap, st), 0);
	/* gc empties the store: the next time at the cap logs again */
	ck_assert_int_eq(stderr_lines(gc_and_refill, st), 1);
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 3);
	ck_assert_uint_eq(stats.dropped, 7 + 7 + 7 + 7);
	store_free(st);
}
END_TEST

START_TEST(test_gc)
{
	struct store_config cfg = {.ring = 3, .retention_ms = 1000};
	struct hw_store *st = store_new(&cfg);
	store_watch_all(st);
	add(st, mk("__name__", "old", NULL), 100, 1);
	add(st, mk("__name__", "a", "k", "old", NULL), 100, 1);
	struct store_series *keep = add(st, mk("__name__", "a", "k", "new", NULL),
					100, 1);
	add(st, mk("__name__", "a", "k", "new", NULL), 1500, 2);
	store_gc(st, 1500); /* cutoff 500 */
	struct store_stats stats;
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 1);
	ck_assert_uint_eq(stats.samples, 2);
	ck_assert_uint_eq(count(st, "a", NULL, 0), 1);
	ck_assert_uint_eq(count(st, "old", NULL, 0), 0);
	ck_assert_uint_eq(count(st, NULL, NULL, 0), 1);
	/* the indexes still work after removal */
	ck_assert_ptr_eq(add(st, mk("__name__", "a", "k", "new", NULL), 1600, 3),
			 keep);
	ck_assert_ptr_nonnull(add(st, mk("__name__", "old", NULL), 1600, 1));
	ck_assert_uint_eq(count(st, "old", NULL, 0), 1);
	store_gc(st, 2600); /* newest at 1600 = cutoff: kept */
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 2);
	store_gc(st, 2601);
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 0);
	ck_assert_uint_eq(stats.samples, 0);
	/* no retention: gc keeps everything */
	store_free(st);
	st = store_new(&(struct store_config){0});
	store_watch_all(st);
	add(st, mk("__name__", "a", NULL), 1, 1);
	store_gc(st, INT64_MAX);
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 1);
	store_free(st);
}
END_TEST

START_TEST(test_sink)
{
	struct hw_store *st = store_new(&(struct store_config){.ring = 4});
	ck_assert_int_eq(store_watch(st, sel("node_load1")), 0);
	ck_assert_int_eq(store_watch(st, sel("node_cpu{mode=\"idle\"}")), 0);
	struct store_sink ss;
	for (int round = 0; round < 2; round++) {
		int64_t t = 1000 * (round + 1);
		store_round_begin(st, 0, t);
		store_sink_init(&ss, st, t);
		char name[32];
		strcpy(name, "node_load1");
		sink_family(&ss.sink, name, "help", HW_GAUGE);
		strcpy(name, "XXXX"); /* the sink copied the family name */
		sink_sample(&ss.sink, NULL, 0, 0.5 + round);
		sink_family(&ss.sink, "node_cpu", "h", HW_COUNTER);
		static const char *modes[] = {"idle", "user", "system"};
		for (int c = 0; c < 2 - round; c++)
			for (size_t m = 0; m < NELEM(modes); m++) {
				char cpu[16];
				snprintf(cpu, sizeof(cpu), "%d", c);
				struct hw_label l[] = {{"cpu", cpu},
						       {"mode", modes[m]}};
				sink_sample(&ss.sink, l, 2, c * 10.0 + m);
			}
		sink_single(&ss.sink, "unwatched", "h", HW_GAUGE, 1);
		store_round_end(st, 0, t);
	}
	struct store_stats stats;
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 3);
	ck_assert_uint_eq(count_sel(st, "node_cpu"), 2);
	ck_assert_uint_eq(count_sel(st, "node_load1"), 1);
	/* cpu 1 went missing in the second round: stale at 2000 */
	const struct promql_node *n = sel("node_cpu{cpu=\"1\"}");
	struct store_series *s = NULL;
	struct hw_labels *ls = mk("__name__", "node_cpu", "cpu", "1", "mode",
				  "idle", NULL);
	s = store_append(st, ls, 2000, 0); /* duplicate t: ignored */
	labels_unref(ls);
	ck_assert_ptr_nonnull(s);
	(void)n;
	struct store_sample out[4];
	ck_assert_uint_eq(range(s, 0, 5000, out, 4), 2);
	ck_assert(store_is_stale(out[1].v));
	store_free(st);
	sels_free();
}
END_TEST

struct collect {
	size_t n;
	bool bad;
	const char *name;
};

static int collect_fn(struct store_series *s, void *ctx)
{
	struct collect *c = ctx;
	const char *name = labels_get(store_series_labels(s), LABEL_NAME);
	if (!name || strcmp(name, c->name))
		c->bad = true;
	c->n++;
	return 0;
}

static int stop_fn(struct store_series *s, void *ctx)
{
	(void)s;
	return ++*(int *)ctx == 3 ? 42 : 0;
}

START_TEST(test_many_series)
{
	struct hw_store *st = store_new(&(struct store_config){.ring = 2});
	store_watch_all(st);
	char name[32], inst[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "metric_%d", i % 97);
		snprintf(inst, sizeof(inst), "host%d", i);
		struct hw_label l[] = {{"instance", inst}, {"job", "j"}};
		ck_assert_ptr_nonnull(store_append_pairs(st, name, l, 2, 1, i));
	}
	struct store_stats stats;
	store_stats(st, &stats);
	ck_assert_uint_eq(stats.series, 10000);
	for (int m = 0; m < 97; m++) {
		snprintf(name, sizeof(name), "metric_%d", m);
		struct collect c = {0, false, name};
		ck_assert_int_eq(store_select(st, name, NULL, 0, collect_fn, &c),
				 0);
		ck_assert(!c.bad);
		ck_assert_uint_eq(c.n, 10000 / 97 + (m < 10000 % 97));
	}
	ck_assert_uint_eq(count_sel(st, "metric_5{instance=\"host5\"}"), 1);
	ck_assert_uint_eq(count_sel(st, "metric_5{instance=\"host6\"}"), 0);
	ck_assert_uint_eq(count_sel(st, "{instance=~\"host99.\"}"), 10);
	int calls = 0;
	ck_assert_int_eq(store_select(st, NULL, NULL, 0, stop_fn, &calls), 42);
	ck_assert_int_eq(calls, 3);
	store_free(st);
	sels_free();
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_stale_nan);
	tcase_add_test(tc, test_fixed_ring);
	tcase_add_test(tc, test_growable_ring);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_collision);
	tcase_add_test(tc, test_rounds);
	tcase_add_test(tc, test_watch);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_gc);
	tcase_add_test(tc, test_sink);
	tcase_add_test(tc, test_many_series);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
