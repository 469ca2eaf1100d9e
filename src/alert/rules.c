/* The rule manager: groups, recording rules, appending rule output to the
 * store with staleness, and carrying state over a reload. Alerting rules'
 * state machine is in rules_alert.c, output and persistence in
 * rules_state.c. Behaviour follows Prometheus 2.42's rules/manager.go
 * (Group.Eval, Group.CopyState) and rules/recording.go. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules_internal.h"

static void out_free(struct rules_out *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		labels_unref(out[i].labels);
	free(out);
}

int rules_new(struct rules_manager **out, struct rule_set_def *set,
	      const struct rules_config *cfg)
{
	struct rules_manager *m = calloc(1, sizeof(*m));
	unsigned source;
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	if (m->cfg.default_interval_ms <= 0)
		m->cfg.default_interval_ms = 60 * 1000;
	m->set = *set;
	memset(set, 0, sizeof(*set));
	m->groups = calloc(m->set.n ? m->set.n : 1, sizeof(*m->groups));
	if (!m->groups)
		goto fail;
	m->ngroups = m->set.n;
	source = m->cfg.source_base;
	for (size_t i = 0; i < m->ngroups; i++) {
		struct rules_group *g = &m->groups[i];
		g->def = &m->set.groups[i];
		g->interval_ms = g->def->interval_ms > 0
					 ? g->def->interval_ms
					 : m->cfg.default_interval_ms;
		g->last_eval = RULES_TIME_UNSET;
		g->rules = calloc(g->def->n ? g->def->n : 1, sizeof(*g->rules));
		if (!g->rules)
			goto fail;
		g->n = g->def->n;
		for (size_t j = 0; j < g->n; j++) {
			struct rules_rule *r = &g->rules[j];
			r->m = m;
			r->group = g;
			r->def = &g->def->rules[j];
			r->source = source++;
			r->info.def = r->def;
			r->info.group = g->def;
			r->info.last_error = r->err;
			r->info.last_eval = RULES_TIME_UNSET;
		}
	}
	*out = m;
	return 0;
fail:
	rules_free(m);
	return -ENOMEM;
}

void rules_free(struct rules_manager *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ngroups; i++) {
		struct rules_group *g = &m->groups[i];
		for (size_t j = 0; g->rules && j < g->n; j++) {
			struct rules_rule *r = &g->rules[j];
			out_free(r->out, r->nout);
			for (size_t k = 0; k < r->nalerts; k++)
				rules_alert_free(r->alerts[k]);
			free(r->alerts);
		}
		free(g->rules);
	}
	free(m->groups);
	free(m->stale_sources);
	buf_free(&m->buf);
	rule_set_def_free(&m->set);
	free(m);
}

void rules_set_store(struct rules_manager *m, struct hw_store *st)
{
	m->cfg.store = st;
}

int rules_watch(struct rules_manager *m)
{
	const struct promql_node *sel[64];
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].n; j++) {
			const struct rule_def *d = m->groups[i].rules[j].def;
			const struct promql_node *e[2] = {d->ast, d->clear_ast};
			for (size_t k = 0; k < 2; k++) {
				if (!e[k])
					continue;
				size_t n = promql_selectors(e[k], sel, 64);
				if (n > 64) {
					/* Rare: walk again into a big array. */
					const struct promql_node **big =
						malloc(n * sizeof(*big));
					if (!big)
						return -ENOMEM;
					promql_selectors(e[k], big, n);
					for (size_t x = 0; x < n; x++) {
						int rc = store_watch(
							m->cfg.store, big[x]);
						if (rc < 0) {
							free(big);
							return rc;
						}
					}
					free(big);
					continue;
				}
				for (size_t x = 0; x < n; x++) {
					int rc = store_watch(m->cfg.store,
							     sel[x]);
					if (rc < 0)
						return rc;
				}
			}
		}
	return 0;
}

size_t rules_group_count(const struct rules_manager *m)
{
	return m->ngroups;
}

const struct rule_group_def *rules_group(const struct rules_manager *m,
					 size_t i)
{
	return i < m->ngroups ? m->groups[i].def : NULL;
}

int64_t rules_group_interval(const struct rules_manager *m, size_t i)
{
	return i < m->ngroups ? m->groups[i].interval_ms : 0;
}

/* One instant query for a rule, with the error text in the rule. */
int rules_query(struct rules_rule *r, const struct promql_node *expr, int64_t t,
		struct eval_result *res)
{
	struct eval_opts opts = {.lookback_ms = r->m->cfg.lookback_ms};
	if (r->m->cfg.wall_offset_ms)
		opts.wall_offset_ms = r->m->cfg.wall_offset_ms();
	int rc = eval_instant(expr, r->m->cfg.store, t, &opts, res, r->err,
			      sizeof(r->err));
	if (rc == -ENOMEM)
		snprintf(r->err, sizeof(r->err), "out of memory");
	return rc;
}

static int cmp_out(const void *a, const void *b)
{
	const struct rules_out *x = a, *y = b;
	return labels_cmp(x->labels, y->labels);
}

/* rules/recording.go Eval: the query's samples renamed to the record name
 * with the rule's labels set (overriding the series'), refused when two
 * end up with the same label set. */
static int record_eval(struct rules_rule *r, int64_t t, struct rules_out **outp,
		       size_t *np)
{
	struct eval_result res;
	struct rules_out *out = NULL;
	size_t n = 0;
	int rc = rules_query(r, r->def->ast, t, &res);
	if (rc < 0)
		return rc;
	size_t cap = res.type == PROMQL_TYPE_SCALAR ? 1 : res.n;
	out = calloc(cap ? cap : 1, sizeof(*out));
	if (!out) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cap; i++) {
		struct hw_labels *empty = NULL, *base;
		double v;
		if (res.type == PROMQL_TYPE_SCALAR) {
			empty = labels_new(NULL, 0);
			base = empty;
			v = res.scalar;
		} else {
			base = res.v[i].labels;
			v = res.v[i].v;
		}
		if (!base) {
			rc = -ENOMEM;
			goto out;
		}
		struct labels_builder b;
		labels_builder_init(&b, base);
		labels_builder_set(&b, LABEL_NAME, r->def->name);
		for (size_t k = 0; k < r->def->nlabels; k++)
			labels_builder_set(&b, r->def->labels[k].key,
					   r->def->labels[k].value);
		out[n].labels = labels_builder_done(&b);
		labels_unref(empty);
		if (!out[n].labels) {
			rc = -ENOMEM;
			goto out;
		}
		out[n++].v = v;
	}
	if (n > 1)
		qsort(out, n, sizeof(*out), cmp_out);
	for (size_t i = 1; i < n; i++)
		if (labels_equal(out[i - 1].labels, out[i].labels)) {
			snprintf(r->err, sizeof(r->err),
				 "vector contains metrics with the same "
				 "labelset after applying rule labels");
			rc = -EINVAL;
			goto out;
		}
	*outp = out;
	*np = n;
	out = NULL;
out:
	if (rc == -ENOMEM)
		snprintf(r->err, sizeof(r->err), "out of memory");
	if (out)
		out_free(out, n);
	eval_result_free(&res);
	return rc;
}

void rules_rule_info_update(struct rules_rule *r)
{
	enum rules_alert_state max = RULES_INACTIVE;
	for (size_t i = 0; i < r->nalerts; i++)
		if (r->alerts[i]->state > max)
			max = r->alerts[i]->state;
	r->info.state = max;
	r->info.last_error = r->err;
}

static double elapsed(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) +
	       (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* Group.Eval for one rule: on success the output is appended at t under
 * the rule's source, whose round marks what it no longer returns stale;
 * on error nothing is appended and nothing goes stale, as Prometheus
 * returns before its appender. */
static int rule_eval(struct rules_rule *r, int64_t t)
{
	struct hw_store *st = r->m->cfg.store;
	struct rules_out *out = NULL;
	size_t nout = 0;
	struct timespec start;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	r->err[0] = '\0';
	if (r->def->kind == RULE_RECORD)
		rc = record_eval(r, t, &out, &nout);
	else
		rc = rules_alert_eval(r, t, &out, &nout);
	r->info.last_eval = t;
	if (rc < 0) {
		r->info.health = RULES_HEALTH_BAD;
		r->info.eval_seconds = elapsed(&start);
		rules_rule_info_update(r);
		return rc;
	}
	r->info.health = RULES_HEALTH_GOOD;
	store_round_begin(st, r->source, t);
	for (size_t i = 0; i < nout; i++)
		store_append(st, out[i].labels, t, out[i].v);
	store_round_end(st, r->source, t);
	out_free(r->out, r->nout);
	r->out = out;
	r->nout = nout;
	r->capout = nout;
	r->info.eval_seconds = elapsed(&start);
	rules_rule_info_update(r);
	return 0;
}

/* The series of rules removed at a reload go stale at the first
 * evaluation after it (Group.cleanupStaleSeries). */
static void flush_stale(struct rules_manager *m, int64_t t)
{
	for (size_t i = 0; i < m->nstale; i++) {
		store_round_begin(m->cfg.store, m->stale_sources[i], t);
		store_round_end(m->cfg.store, m->stale_sources[i], t);
	}
	free(m->stale_sources);
	m->stale_sources = NULL;
	m->nstale = 0;
}

int rules_eval_group(struct rules_manager *m, size_t i, int64_t t)
{
	int first = 0;
	if (i >= m->ngroups)
		return -EINVAL;
	flush_stale(m, t);
	struct rules_group *g = &m->groups[i];
	for (size_t j = 0; j < g->n; j++) {
		int rc = rule_eval(&g->rules[j], t);
		if (rc < 0 && first == 0)
			first = rc;
	}
	g->last_eval = t;
	return first;
}

int rules_eval_due(struct rules_manager *m, int64_t now, int64_t *next)
{
	int first = 0;
	int64_t nx = INT64_MAX;
	for (size_t i = 0; i < m->ngroups; i++) {
		struct rules_group *g = &m->groups[i];
		if (g->last_eval == RULES_TIME_UNSET ||
		    g->last_eval + g->interval_ms <= now) {
			int rc = rules_eval_group(m, i, now);
			if (rc < 0 && first == 0)
				first = rc;
		}
		if (g->last_eval + g->interval_ms < nx)
			nx = g->last_eval + g->interval_ms;
	}
	if (next)
		*next = nx == INT64_MAX ? now + m->cfg.default_interval_ms : nx;
	return first;
}

int rules_foreach_rule(const struct rules_manager *m, rules_rule_fn fn,
		       void *ctx)
{
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].n; j++) {
			int rc = fn(&m->groups[i].rules[j].info, ctx);
			if (rc)
				return rc;
		}
	return 0;
}

int rules_foreach_alert(const struct rules_manager *m, rules_alert_fn fn,
			void *ctx)
{
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].n; j++) {
			const struct rules_rule *r = &m->groups[i].rules[j];
			for (size_t k = 0; k < r->nalerts; k++) {
				int rc = fn(&r->info, r->alerts[k], ctx);
				if (rc)
					return rc;
			}
		}
	return 0;
}

static bool str_same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Label and annotation lists compared as sets (Prometheus compares its
 * sorted labels.Labels). */
static bool kv_same(const struct rule_kv *a, size_t na, const struct rule_kv *b,
		    size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		size_t j;
		for (j = 0; j < nb; j++)
			if (strcmp(a[i].key, b[j].key) == 0)
				break;
		if (j == nb || !str_same(a[i].value, b[j].value))
			return false;
	}
	return true;
}

static bool def_same(const struct rule_def *a, const struct rule_def *b)
{
	return a->kind == b->kind && str_same(a->name, b->name) &&
	       str_same(a->expr, b->expr) && str_same(a->clear, b->clear) &&
	       a->for_ms == b->for_ms &&
	       a->keep_firing_for_ms == b->keep_firing_for_ms &&
	       kv_same(a->labels, a->nlabels, b->labels, b->nlabels) &&
	       kv_same(a->annotations, a->nannotations, b->annotations,
		       b->nannotations);
}

static struct rules_group *group_find(struct rules_manager *m, const char *name)
{
	for (size_t i = 0; i < m->ngroups; i++)
		if (str_same(m->groups[i].def->name, name))
			return &m->groups[i];
	return NULL;
}

static void rule_take(struct rules_rule *to, struct rules_rule *from)
{
	to->source = from->source;
	to->out = from->out;
	to->nout = from->nout;
	to->capout = from->capout;
	to->alerts = from->alerts;
	to->nalerts = from->nalerts;
	to->capalerts = from->capalerts;
	from->out = NULL;
	from->nout = from->capout = 0;
	from->alerts = NULL;
	from->nalerts = from->capalerts = 0;
	to->info.health = from->info.health;
	to->info.last_eval = from->info.last_eval;
	to->info.eval_seconds = from->info.eval_seconds;
	memcpy(to->err, from->err, sizeof(to->err));
	rules_rule_info_update(to);
	from->carried = true;
	to->carried = true;
}

static bool source_used(const unsigned *used, size_t n, unsigned s)
{
	for (size_t i = 0; i < n; i++)
		if (used[i] == s)
			return true;
	return false;
}

void rules_carry_over(struct rules_manager *to, struct rules_manager *from)
{
	size_t nall = from->nstale, nused = 0;
	for (size_t i = 0; i < from->ngroups; i++)
		nall += from->groups[i].n;
	for (size_t i = 0; i < to->ngroups; i++)
		nall += to->groups[i].n;
	unsigned *used = calloc(nall ? nall : 1, sizeof(*used));
	unsigned *stale = calloc(nall ? nall : 1, sizeof(*stale));
	size_t nstale = 0;
	if (!used || !stale) {
		/* Without memory the new rules start afresh: correct apart
		 * from the stale markers of the old ones. */
		free(used);
		free(stale);
		return;
	}
	for (size_t i = 0; i < to->ngroups; i++) {
		struct rules_group *tg = &to->groups[i];
		struct rules_group *fg = group_find(from, tg->def->name);
		if (!fg)
			continue;
		tg->last_eval = fg->last_eval;
		for (size_t j = 0; j < tg->n; j++)
			for (size_t k = 0; k < fg->n; k++) {
				struct rules_rule *fr = &fg->rules[k];
				if (fr->carried ||
				    !def_same(tg->rules[j].def, fr->def))
					continue;
				rule_take(&tg->rules[j], fr);
				used[nused++] = fr->source;
				break;
			}
	}
	/* Old rules without successor, and those still pending: stale. */
	for (size_t i = 0; i < from->nstale; i++)
		stale[nstale++] = from->stale_sources[i];
	for (size_t i = 0; i < from->ngroups; i++)
		for (size_t j = 0; j < from->groups[i].n; j++)
			if (!from->groups[i].rules[j].carried)
				stale[nstale++] =
					from->groups[i].rules[j].source;
	for (size_t i = 0; i < nstale; i++)
		used[nused++] = stale[i];
	/* New rules take the lowest sources nobody holds. */
	unsigned next = to->cfg.source_base;
	for (size_t i = 0; i < to->ngroups; i++)
		for (size_t j = 0; j < to->groups[i].n; j++) {
			struct rules_rule *r = &to->groups[i].rules[j];
			if (r->carried)
				continue;
			while (source_used(used, nused, next))
				next++;
			r->source = next++;
		}
	free(used);
	free(to->stale_sources);
	to->stale_sources = stale;
	to->nstale = nstale;
}

const char *rules_state_name(enum rules_alert_state s)
{
	switch (s) {
	case RULES_PENDING:
		return "pending";
	case RULES_FIRING:
		return "firing";
	default:
		return "inactive";
	}
}

const char *rules_health_name(enum rules_health h)
{
	switch (h) {
	case RULES_HEALTH_GOOD:
		return "ok";
	case RULES_HEALTH_BAD:
		return "err";
	default:
		return "unknown";
	}
}
