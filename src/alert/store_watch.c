/* Which series the store keeps (the selectors of the loaded rules), and
 * selecting stored series by name and matchers. Selectors naming their
 * metric hang off the metric's name entry, so the sampling path decides
 * with one lookup; the others are tried one by one, only when a series is
 * new. See store.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static int sel_push(const struct promql_node ***a, size_t *n, size_t *cap,
		    const struct promql_node *sel)
{
	for (size_t i = 0; i < *n; i++)
		if ((*a)[i] == sel)
			return 0; /* watched again: once is enough */
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		const struct promql_node **na = realloc(*a, c * sizeof(*na));
		if (!na)
			return -ENOMEM;
		*a = na;
		*cap = c;
	}
	(*a)[(*n)++] = sel;
	return 0;
}

/* The metric a selector names: its name, or a __name__ equality matcher
 * (`{__name__="up"}`), which the parser leaves among the matchers. */
static const char *sel_name(const struct promql_node *sel, size_t *nother)
{
	const char *name = sel->u.sel.name;
	*nother = sel->u.sel.nmatchers;
	if (name)
		return name;
	for (size_t i = 0; i < sel->u.sel.nmatchers; i++) {
		const struct promql_matcher *m = &sel->u.sel.matchers[i];
		if (m->op == PROMQL_MATCH_EQ && strcmp(m->name, LABEL_NAME) == 0) {
			(*nother)--;
			return m->value;
		}
	}
	return NULL;
}

/* A selector with only a name keeps every series of the name; one with
 * more matchers is kept to be tried on that name's new series. */
int store_watch(struct hw_store *st, const struct promql_node *selector)
{
	if (!selector || selector->kind != PROMQL_SELECTOR)
		return -EINVAL;
	size_t nother;
	const char *name = sel_name(selector, &nother);
	if (!name)
		return sel_push(&st->others, &st->nothers, &st->capothers,
				selector);
	struct store_name *ne = store_name_get(st, name);
	if (!ne)
		return -ENOMEM;
	if (nother == 0) {
		ne->all = true;
		return 0;
	}
	int r = sel_push(&ne->sels, &ne->nsels, &ne->capsels, selector);
	if (r < 0)
		store_name_release(st, ne);
	return r;
}

void store_watch_all(struct hw_store *st)
{
	st->watch_all = true;
}

/* Forget every selector; stored series stay (they go with store_gc). */
void store_unwatch_all(struct hw_store *st)
{
	st->watch_all = false;
	st->nothers = 0;
	for (size_t i = 0; i < st->ntabsize; i++) {
		struct store_name *ne = st->ntab[i], *next;
		for (; ne; ne = next) {
			next = ne->next;
			ne->all = false;
			ne->nsels = 0;
			store_name_release(st, ne);
		}
	}
}

/* An absent label matches as the empty value, as in Prometheus
 * (model/labels/matcher.go is given "" for a missing label). */
static const char *view_get(const struct store_view *v, const char *name)
{
	if (strcmp(name, LABEL_NAME) == 0)
		return v->name ? v->name : "";
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->p[i].name, name) == 0)
			return v->p[i].value ? v->p[i].value : "";
	return "";
}

bool store_match(const struct promql_matcher *m, size_t nm,
		 const struct store_view *v)
{
	for (size_t i = 0; i < nm; i++)
		if (!promql_matcher_matches(&m[i], view_get(v, m[i].name)))
			return false;
	return true;
}

static bool sel_match(const struct promql_node *sel, const struct store_view *v)
{
	if (sel->u.sel.name && strcmp(sel->u.sel.name, v->name ? v->name : ""))
		return false;
	return store_match(sel->u.sel.matchers, sel->u.sel.nmatchers, v);
}

bool store_wanted(const struct hw_store *st, const struct store_name *ne,
		  const struct store_view *v)
{
	if (st->watch_all || (ne && ne->all))
		return true;
	for (size_t i = 0; ne && i < ne->nsels; i++)
		if (sel_match(ne->sels[i], v))
			return true;
	for (size_t i = 0; i < st->nothers; i++)
		if (sel_match(st->others[i], v))
			return true;
	return false;
}

bool store_others_may_want(const struct hw_store *st, const char *name)
{
	for (size_t i = 0; i < st->nothers; i++) {
		const struct promql_node *sel = st->others[i];
		bool ok = true;
		for (size_t j = 0; ok && j < sel->u.sel.nmatchers; j++) {
			const struct promql_matcher *m = &sel->u.sel.matchers[j];
			if (strcmp(m->name, LABEL_NAME) == 0) {
				struct store_view v = {name, NULL, 0};
				ok = store_match(m, 1, &v);
			}
		}
		if (ok)
			return true;
	}
	return false;
}

static int select_name(struct store_name *ne, const struct promql_matcher *m,
		       size_t nm, store_series_fn fn, void *ctx)
{
	for (struct store_series *s = ne->series, *next; s; s = next) {
		next = s->nnext;
		struct store_view v = {ne->name, s->ls->l, s->ls->n};
		if (!store_match(m, nm, &v))
			continue;
		int r = fn(s, ctx);
		if (r)
			return r;
	}
	return 0;
}

/* With a name (given, or as a __name__ equality matcher) only that name's
 * series are looked at; otherwise every series is. */
int store_select(struct hw_store *st, const char *name,
		 const struct promql_matcher *m, size_t nm, store_series_fn fn,
		 void *ctx)
{
	for (size_t i = 0; !name && i < nm; i++)
		if (m[i].op == PROMQL_MATCH_EQ &&
		    strcmp(m[i].name, LABEL_NAME) == 0)
			name = m[i].value;
	if (name) {
		struct store_name *ne =
			store_name_find(st, name, store_name_hash(name));
		return ne ? select_name(ne, m, nm, fn, ctx) : 0;
	}
	for (size_t i = 0; i < st->ntabsize; i++)
		for (struct store_name *ne = st->ntab[i]; ne; ne = ne->next) {
			int r = select_name(ne, m, nm, fn, ctx);
			if (r)
				return r;
		}
	return 0;
}
