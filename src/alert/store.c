/* The rule engine's series store: a hash table from label set to series, an
 * index by metric name, a ring of samples per series, and sampling rounds
 * that write Prometheus's stale markers. Selectors and matching live in
 * store_watch.c, the sink, gc and stats in store_sink.c. See store.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/log.h"
#include "store_internal.h"

#define STORE_TAB_MIN 64
#define STORE_RING_MIN 8
#define STORE_SOURCES_MAX 65536

struct hw_store *store_new(const struct store_config *cfg)
{
	struct hw_store *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (cfg)
		st->cfg = *cfg;
	st->tabsize = STORE_TAB_MIN;
	st->ntabsize = STORE_TAB_MIN;
	st->tab = calloc(st->tabsize, sizeof(*st->tab));
	st->ntab = calloc(st->ntabsize, sizeof(*st->ntab));
	if (!st->tab || !st->ntab) {
		store_free(st);
		return NULL;
	}
	return st;
}

void store_free(struct hw_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->tab && i < st->tabsize; i++)
		while (st->tab[i])
			store_series_remove(st, st->tab[i]);
	store_unwatch_all(st); /* frees the name entries left */
	free(st->tab);
	free(st->ntab);
	free(st->src);
	free(st->others);
	free(st->family);
	free(st);
}

/* Prometheus's value.StaleNaN (model/value/value.go): compared by bits, as
 * every other NaN is an ordinary value. */
bool store_is_stale(double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	return bits == STORE_STALE_BITS;
}

double store_stale_nan(void)
{
	uint64_t bits = STORE_STALE_BITS;
	double v;
	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* ---- names ------------------------------------------------------------- */

uint64_t store_name_hash(const char *name)
{
	return labels_hash_end(labels_hash_add(labels_hash_init(), name, ""));
}

struct store_name *store_name_find(const struct hw_store *st, const char *name,
				   uint64_t h)
{
	for (struct store_name *ne = st->ntab[h & (st->ntabsize - 1)]; ne;
	     ne = ne->next)
		if (ne->h == h && strcmp(ne->name, name) == 0)
			return ne;
	return NULL;
}

static void store_name_grow(struct hw_store *st)
{
	size_t size = st->ntabsize * 2;
	struct store_name **tab = calloc(size, sizeof(*tab));
	if (!tab)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < st->ntabsize; i++)
		while (st->ntab[i]) {
			struct store_name *ne = st->ntab[i];
			st->ntab[i] = ne->next;
			ne->next = tab[ne->h & (size - 1)];
			tab[ne->h & (size - 1)] = ne;
		}
	free(st->ntab);
	st->ntab = tab;
	st->ntabsize = size;
}

/* The entry for `name`, created when missing; NULL on ENOMEM. */
struct store_name *store_name_get(struct hw_store *st, const char *name)
{
	uint64_t h = store_name_hash(name);
	struct store_name *ne = store_name_find(st, name, h);
	if (ne)
		return ne;
	size_t len = strlen(name) + 1;
	ne = calloc(1, sizeof(*ne) + len);
	if (!ne)
		return NULL;
	memcpy(ne->name, name, len);
	ne->h = h;
	if (st->nnames >= st->ntabsize)
		store_name_grow(st);
	size_t b = h & (st->ntabsize - 1);
	ne->next = st->ntab[b];
	st->ntab[b] = ne;
	st->nnames++;
	return ne;
}

bool store_name_watched(const struct store_name *ne)
{
	return ne->all || ne->nsels > 0;
}

void store_name_release(struct hw_store *st, struct store_name *ne)
{
	if (ne->nseries || store_name_watched(ne))
		return;
	struct store_name **pp = &st->ntab[ne->h & (st->ntabsize - 1)];
	while (*pp != ne)
		pp = &(*pp)->next;
	*pp = ne->next;
	st->nnames--;
	free(ne->sels);
	free(ne);
}

/* ---- series ------------------------------------------------------------ */

static void store_tab_grow(struct hw_store *st)
{
	size_t size = st->tabsize * 2;
	struct store_series **tab = calloc(size, sizeof(*tab));
	if (!tab)
		return;
	for (size_t i = 0; i < st->tabsize; i++)
		while (st->tab[i]) {
			struct store_series *s = st->tab[i];
			st->tab[i] = s->hnext;
			s->hnext = tab[s->ls->hash & (size - 1)];
			tab[s->ls->hash & (size - 1)] = s;
		}
	free(st->tab);
	st->tab = tab;
	st->tabsize = size;
}

static void src_unlink(struct hw_store *st, struct store_series *s)
{
	if (s->source == STORE_NO_SOURCE)
		return;
	if (s->sprev)
		s->sprev->snext = s->snext;
	else
		st->src[s->source].head = s->snext;
	if (s->snext)
		s->snext->sprev = s->sprev;
	s->sprev = s->snext = NULL;
	s->source = STORE_NO_SOURCE;
}

void store_series_remove(struct hw_store *st, struct store_series *s)
{
	struct store_series **pp = &st->tab[s->ls->hash & (st->tabsize - 1)];
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->nprev)
		s->nprev->nnext = s->nnext;
	else
		s->ne->series = s->nnext;
	if (s->nnext)
		s->nnext->nprev = s->nprev;
	s->ne->nseries--;
	store_name_release(st, s->ne);
	src_unlink(st, s);
	st->nseries--;
	st->nsamples -= s->n;
	labels_unref(s->ls);
	free(s->buf);
	free(s);
}

/* A new series for `ls` (a reference is taken), or NULL at the cap or on
 * ENOMEM. Logs once each time the cap is reached (store_gc re-arms). */
static struct store_series *series_new(struct hw_store *st,
				       const struct hw_labels *ls,
				       struct store_name *ne)
{
	size_t max = st->cfg.max_series;
	if (max && st->nseries >= max) {
		st->dropped++;
		if (!st->cap_logged)
			log_warn("rule store: series cap %zu reached; new "
				 "series are dropped",
				 max);
		st->cap_logged = true;
		return NULL;
	}
	struct store_series *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cap = st->cfg.ring ? st->cfg.ring : STORE_RING_MIN;
	s->buf = malloc(s->cap * sizeof(*s->buf));
	if (!s->buf) {
		free(s);
		return NULL;
	}
	s->ls = labels_ref((struct hw_labels *)ls);
	s->source = STORE_NO_SOURCE;
	s->ne = ne;
	s->nnext = ne->series;
	if (s->nnext)
		s->nnext->nprev = s;
	ne->series = s;
	ne->nseries++;
	if (st->nseries >= st->tabsize)
		store_tab_grow(st);
	size_t b = ls->hash & (st->tabsize - 1);
	s->hnext = st->tab[b];
	st->tab[b] = s;
	st->nseries++;
	return s;
}

static const struct store_sample *series_newest(const struct store_series *s)
{
	if (!s->n)
		return NULL;
	return &s->buf[(s->start + s->n - 1) % s->cap];
}

/* Append if t moves forward (Prometheus's storage rejects out-of-order and
 * duplicate timestamps: tsdb/head_append.go). */
static void series_push(struct hw_store *st, struct store_series *s,
			int64_t t, double v)
{
	const struct store_sample *last = series_newest(s);
	if (last && t <= last->t)
		return;
	if (s->n == s->cap) {
		if (st->cfg.ring) { /* fixed: overwrite the oldest */
			s->buf[s->start] = (struct store_sample){t, v};
			s->start = (s->start + 1) % s->cap;
			return;
		}
		/* growable rings never wrap: start stays 0 */
		struct store_sample *nb =
			realloc(s->buf, 2 * s->cap * sizeof(*nb));
		if (!nb)
			return;
		s->buf = nb;
		s->cap *= 2;
	}
	s->buf[(s->start + s->n) % s->cap] = (struct store_sample){t, v};
	s->n++;
	st->nsamples++;
}

/* Append and, inside a round, make the series its source's and mark it
 * seen (even when the sample itself was a duplicate: it was reported). */
static void series_add(struct hw_store *st, struct store_series *s, int64_t t,
		       double v)
{
	series_push(st, s, t, v);
	if (!st->nopen)
		return;
	unsigned src = st->open[st->nopen - 1];
	if (s->source != src) {
		src_unlink(st, s);
		s->source = src;
		s->snext = st->src[src].head;
		if (s->snext)
			s->snext->sprev = s;
		st->src[src].head = s;
	}
	s->seen = st->src[src].epoch;
}

/* Nothing to do for a name no selector wants and no series has: the
 * sampling sink's common case, decided by one lookup (and, when selectors
 * without a metric name are loaded, by their __name__ matchers). */
static bool store_quick_reject(const struct hw_store *st,
			       const struct store_name *ne, const char *name)
{
	return !st->watch_all &&
	       (!ne || (!ne->nseries && !store_name_watched(ne))) &&
	       !store_others_may_want(st, name);
}

struct store_series *store_append(struct hw_store *st,
				  const struct hw_labels *labels, int64_t t,
				  double v)
{
	const char *name = labels_get(labels, LABEL_NAME);
	if (!name)
		name = "";
	struct store_name *ne = store_name_find(st, name, store_name_hash(name));
	if (store_quick_reject(st, ne, name))
		return NULL;
	struct store_series *s = st->tab[labels->hash & (st->tabsize - 1)];
	for (; s; s = s->hnext)
		if (labels_equal(s->ls, labels))
			break;
	if (!s) {
		struct store_view view = {name, labels->l, labels->n};
		if (!store_wanted(st, ne, &view))
			return NULL;
		if (!ne && !(ne = store_name_get(st, name)))
			return NULL;
		s = series_new(st, labels, ne);
		if (!s) {
			store_name_release(st, ne);
			return NULL;
		}
	}
	series_add(st, s, t, v);
	return s;
}

/* Walk name + pairs in label order (the name slotted in where "__name__"
 * sorts, empty values skipped), calling `fn` on each pair; stops at the
 * first non-zero result. -1 when the pairs are not strictly sorted or hold
 * __name__ themselves: the caller then builds the set the slow way. */
typedef int (*pair_fn)(const char *name, const char *value, void *ctx);

static int walk_pairs(const char *name, const struct hw_label *p, size_t n,
		      pair_fn fn, void *ctx)
{
	bool pending = name && *name;
	for (size_t i = 0; i <= n; i++) {
		const char *pn = i < n ? p[i].name : NULL;
		int c = pn ? strcmp(pn, LABEL_NAME) : 1;
		if (c == 0 || (i && i < n && strcmp(p[i - 1].name, pn) >= 0))
			return -1;
		if (pending && c > 0) {
			pending = false;
			int r = fn(LABEL_NAME, name, ctx);
			if (r)
				return r;
		}
		if (!pn)
			break;
		if (p[i].value && *p[i].value) {
			int r = fn(pn, p[i].value, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

static int hash_pair(const char *name, const char *value, void *ctx)
{
	uint64_t *h = ctx;
	*h = labels_hash_add(*h, name, value);
	return 0;
}

struct cmp_ctx {
	const struct hw_labels *ls;
	size_t i;
};

static int cmp_pair(const char *name, const char *value, void *ctx)
{
	struct cmp_ctx *c = ctx;
	if (c->i >= c->ls->n || strcmp(c->ls->l[c->i].name, name) ||
	    strcmp(c->ls->l[c->i].value, value))
		return 1;
	c->i++;
	return 0;
}

/* Build the set from name + pairs (the new-series and unsorted paths). */
static struct hw_labels *pairs_to_set(const char *name,
				      const struct hw_label *pairs, size_t n)
{
	struct hw_label stack[LABELS_BUILDER_MAX + 1], *tmp = stack;
	if (n + 1 > sizeof(stack) / sizeof(stack[0])) {
		tmp = malloc((n + 1) * sizeof(*tmp));
		if (!tmp)
			return NULL;
	}
	/* labels_new lets the last pair win: the name goes first, so that a
	 * stray __name__ among the pairs wins as it would in a set. */
	tmp[0].name = LABEL_NAME;
	tmp[0].value = name;
	if (n)
		memcpy(tmp + 1, pairs, n * sizeof(*tmp));
	struct hw_labels *ls = labels_new(tmp, n + 1);
	if (tmp != stack)
		free(tmp);
	return ls;
}

/* The sampling path: hash and compare name + pairs in place, so that an
 * existing series costs no allocation, and an unwanted one neither. */
struct store_series *store_append_pairs(struct hw_store *st, const char *name,
					const struct hw_label *pairs,
					size_t n, int64_t t, double v)
{
	if (!name)
		name = "";
	struct store_name *ne = store_name_find(st, name, store_name_hash(name));
	if (store_quick_reject(st, ne, name))
		return NULL;
	uint64_t h = labels_hash_init();
	struct store_series *s = NULL;
	struct hw_labels *ls = NULL;
	struct store_view view = {name, pairs, n};
	if (walk_pairs(name, pairs, n, hash_pair, &h) < 0)
		goto slow;
	h = labels_hash_end(h);
	for (s = st->tab[h & (st->tabsize - 1)]; s; s = s->hnext) {
		struct cmp_ctx c = {s->ls, 0};
		if (s->ls->hash == h &&
		    walk_pairs(name, pairs, n, cmp_pair, &c) == 0 &&
		    c.i == s->ls->n)
			break;
	}
	if (s) {
		series_add(st, s, t, v);
		return s;
	}
	if (!store_wanted(st, ne, &view))
		return NULL;
slow:
	ls = pairs_to_set(name, pairs, n);
	if (!ls)
		return NULL;
	s = store_append(st, ls, t, v);
	labels_unref(ls);
	return s;
}

/* ---- rounds ------------------------------------------------------------ */

static struct store_src *src_get(struct hw_store *st, unsigned source)
{
	if (source >= STORE_SOURCES_MAX)
		return NULL;
	if (source >= st->nsrc) {
		size_t n = source + 1;
		struct store_src *a = realloc(st->src, n * sizeof(*a));
		if (!a)
			return NULL;
		memset(a + st->nsrc, 0, (n - st->nsrc) * sizeof(*a));
		st->src = a;
		st->nsrc = n;
	}
	return &st->src[source];
}

/* Rounds nest (a rule evaluation may append under its own source while
 * the collectors' round is open): the innermost open round owns appends. */
void store_round_begin(struct hw_store *st, unsigned source, int64_t t)
{
	(void)t;
	struct store_src *src = src_get(st, source);
	if (!src)
		return;
	src->epoch++;
	if (src->open)
		return; /* begun again: a new round, same place in the stack */
	if (st->nopen == STORE_OPEN_MAX) {
		log_warn("rule store: more than %d nested rounds; source %u "
			 "ignored",
			 STORE_OPEN_MAX, source);
		return;
	}
	src->open = true;
	st->open[st->nopen++] = source;
}

/* As a scrape ending (scrape/scrape.go: series in the previous scrape but
 * not this one get value.StaleNaN at the scrape's timestamp). */
void store_round_end(struct hw_store *st, unsigned source, int64_t t)
{
	if (source >= st->nsrc || !st->src[source].open)
		return;
	struct store_src *src = &st->src[source];
	for (struct store_series *s = src->head; s; s = s->snext) {
		if (s->seen == src->epoch)
			continue;
		const struct store_sample *last = series_newest(s);
		if (last && !store_is_stale(last->v))
			series_push(st, s, t, store_stale_nan());
	}
	src->open = false;
	for (size_t i = st->nopen; i-- > 0;)
		if (st->open[i] == source) {
			memmove(&st->open[i], &st->open[i + 1],
				(st->nopen - i - 1) * sizeof(st->open[0]));
			st->nopen--;
			break;
		}
}

/* ---- reading ----------------------------------------------------------- */

const struct hw_labels *store_series_labels(const struct store_series *s)
{
	return s->ls;
}

/* The first logical index whose sample has t > bound (strict) or
 * t >= bound: binary search, as rings hold thousands of samples in
 * test-rules. */
static size_t ring_bound(const struct store_series *s, int64_t bound,
			 bool strict)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t t = s->buf[(s->start + mid) % s->cap].t;
		if (strict ? t <= bound : t < bound)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t store_series_range(const struct store_series *s, int64_t mint,
			  int64_t maxt, struct store_span *out)
{
	*out = (struct store_span){NULL, NULL, 0, 0};
	if (!s->n || mint > maxt)
		return 0;
	size_t lo = ring_bound(s, mint, false);
	size_t hi = ring_bound(s, maxt, true);
	if (hi <= lo)
		return 0;
	size_t count = hi - lo, p = (s->start + lo) % s->cap;
	out->a = &s->buf[p];
	if (p + count <= s->cap) {
		out->na = count;
	} else {
		out->na = s->cap - p;
		out->b = s->buf;
		out->nb = count - out->na;
	}
	return count;
}
