/* Alerting rules: Prometheus 2.42's AlertingRule.Eval (rules/alerting.go)
 * with keep_firing_for, plus hostwatch's `clear` hysteresis, and the
 * ALERTS / ALERTS_FOR_STATE series the rule writes. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/template.h"
#include "rules_internal.h"

/* A result sample turned into an instance's identity and texts. */
struct cand {
	struct hw_labels *labels, *series;
	struct rule_kv *ann;
	size_t nann;
	double v;
};

/* Open addressing over label hashes: index + 1 of a candidate, 0 empty. */
struct htab {
	size_t *slot;
	size_t mask;
};

static int htab_init(struct htab *h, size_t n)
{
	size_t size = 8;
	while (size < 2 * n)
		size <<= 1;
	h->slot = calloc(size, sizeof(*h->slot));
	h->mask = size - 1;
	return h->slot ? 0 : -ENOMEM;
}

static size_t htab_find(const struct htab *h, const struct cand *c,
			const struct hw_labels *ls)
{
	for (size_t i = ls->hash & h->mask; h->slot[i]; i = (i + 1) & h->mask)
		if (labels_equal(c[h->slot[i] - 1].labels, ls))
			return h->slot[i];
	return 0;
}

static void htab_put(struct htab *h, uint64_t hash, size_t idx)
{
	size_t i = hash & h->mask;
	while (h->slot[i])
		i = (i + 1) & h->mask;
	h->slot[i] = idx + 1;
}

static void kv_free(struct rule_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void rules_alert_free(struct rules_alert *a)
{
	if (!a)
		return;
	labels_unref(a->labels);
	labels_unref(a->series);
	kv_free(a->annotations, a->nannotations);
	free(a);
}

int rules_alert_add(struct rules_rule *r, struct rules_alert *a)
{
	if (r->nalerts == r->capalerts) {
		size_t cap = r->capalerts ? 2 * r->capalerts : 8;
		struct rules_alert **n = realloc(r->alerts, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->alerts = n;
		r->capalerts = cap;
	}
	r->alerts[r->nalerts++] = a;
	return 0;
}

/* alerting.go's expand: a failed expansion becomes the error text. */
static char *expand(struct rules_manager *m, const char *alertname,
		    const char *tmpl, const struct hw_labels *ls, double v)
{
	char err[1024], name[256];
	/* the template's name, as Go's errors print it */
	snprintf(name, sizeof(name), "__alert_%s", alertname);
	buf_reset(&m->buf);
	if (template_expand_named(tmpl, name, ls, v, &m->buf, err,
				  sizeof(err)) < 0) {
		buf_reset(&m->buf);
		buf_printf(&m->buf, "<error expanding template: %s>", err);
	}
	if (m->buf.failed)
		return NULL;
	return strdup(buf_cstr(&m->buf));
}

int rules_kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rule_kv *)a)->key,
		      ((const struct rule_kv *)b)->key);
}

/* Labels: the sample's minus __name__, rule labels expanded (an empty
 * expansion deletes the label, as labels.Builder.Set does), alertname. */
static int cand_build(struct rules_rule *r, const struct eval_sample *s,
		      struct cand *c)
{
	const struct rule_def *d = r->def;
	char *vals[LABELS_BUILDER_MAX];
	size_t nv = 0;
	int rc = -ENOMEM;
	struct labels_builder b;

	c->v = s->v;
	labels_builder_init(&b, s->labels);
	labels_builder_del(&b, LABEL_NAME);
	c->series = labels_builder_done(&b);
	if (!c->series)
		return -ENOMEM;
	labels_builder_init(&b, c->series);
	for (size_t i = 0; i < d->nlabels && nv < LABELS_BUILDER_MAX; i++) {
		vals[nv] = expand(r->m, d->name, d->labels[i].value, s->labels, s->v);
		if (!vals[nv])
			goto out;
		labels_builder_set(&b, d->labels[i].key, vals[nv++]);
	}
	labels_builder_set(&b, "alertname", d->name);
	c->labels = labels_builder_done(&b);
	if (!c->labels)
		goto out;
	c->ann = calloc(d->nannotations ? d->nannotations : 1, sizeof(*c->ann));
	if (!c->ann)
		goto out;
	for (size_t i = 0; i < d->nannotations; i++) {
		c->ann[i].key = strdup(d->annotations[i].key);
		c->ann[i].value =
			expand(r->m, d->name, d->annotations[i].value, s->labels, s->v);
		c->nann = i + 1;
		if (!c->ann[i].key || !c->ann[i].value)
			goto out;
	}
	if (c->nann > 1)
		qsort(c->ann, c->nann, sizeof(*c->ann), rules_kv_cmp);
	rc = 0;
out:
	for (size_t i = 0; i < nv; i++)
		free(vals[i]);
	return rc;
}

static void cands_free(struct cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		labels_unref(c[i].labels);
		labels_unref(c[i].series);
		kv_free(c[i].ann, c[i].nann);
	}
	free(c);
}

static void notify(struct rules_rule *r, const struct rules_alert *a,
		   enum rules_alert_state from, enum rules_alert_state to)
{
	if (!r->m->cfg.notify)
		return;
	rules_rule_info_update(r);
	r->m->cfg.notify(r->m->cfg.notify_ctx, &r->info, a, from, to);
}

/* Equal label sets, ignoring __name__ on either side. */
static bool equal_noname(const struct hw_labels *a, const struct hw_labels *b)
{
	size_t i = 0, j = 0;
	for (;;) {
		if (i < a->n && strcmp(a->l[i].name, LABEL_NAME) == 0)
			i++;
		if (j < b->n && strcmp(b->l[j].name, LABEL_NAME) == 0)
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (strcmp(a->l[i].name, b->l[j].name) != 0 ||
		    strcmp(a->l[i].value, b->l[j].value) != 0)
			return false;
		i++;
		j++;
	}
}

static bool clear_matches(const struct eval_result *cr,
			  const struct hw_labels *series)
{
	if (cr->type != PROMQL_TYPE_VECTOR)
		return false;
	for (size_t i = 0; i < cr->n; i++)
		if (equal_noname(cr->v[i].labels, series))
			return true;
	return false;
}

/* alerting.go sample / forStateSample: the rule's raw labels, overridden
 * by the instance's, then name, alertname (and alertstate). */
static struct hw_labels *series_labels(const struct rules_rule *r,
				       const struct rules_alert *a,
				       const char *name, const char *state)
{
	struct labels_builder b;
	labels_builder_init(&b, a->labels);
	for (size_t i = 0; i < r->def->nlabels; i++)
		if (!labels_get(a->labels, r->def->labels[i].key))
			labels_builder_set(&b, r->def->labels[i].key,
					   r->def->labels[i].value);
	labels_builder_set(&b, LABEL_NAME, name);
	labels_builder_set(&b, "alertname", r->def->name);
	if (state)
		labels_builder_set(&b, "alertstate", state);
	return labels_builder_done(&b);
}

static int emit(const struct rules_rule *r, const struct rules_alert *a,
		struct rules_out *out, size_t *n)
{
	out[*n].labels =
		series_labels(r, a, "ALERTS", rules_state_name(a->state));
	if (!out[*n].labels)
		return -ENOMEM;
	out[(*n)++].v = 1;
	out[*n].labels = series_labels(r, a, "ALERTS_FOR_STATE", NULL);
	if (!out[*n].labels)
		return -ENOMEM;
	/* float64(a.ActiveAt.Unix()): whole seconds of the wall clock,
	 * rounded down. */
	int64_t at = a->active_at;
	if (r->m->cfg.wall_offset_ms)
		at += r->m->cfg.wall_offset_ms();
	int64_t s = at / 1000;
	if (at % 1000 < 0)
		s--;
	out[(*n)++].v = (double)s;
	return 0;
}

/* Build the candidates of this evaluation; the duplicate check is
 * alerting.go's, made before any state changes. */
static int cands_make(struct rules_rule *r, const struct eval_result *res,
		      struct cand **cp, size_t *np, struct htab *h)
{
	size_t n = res->type == PROMQL_TYPE_VECTOR ? res->n : 0;
	struct cand *c = calloc(n ? n : 1, sizeof(*c));
	size_t nc = 0;
	int rc = -ENOMEM;
	if (!c || htab_init(h, n) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		rc = cand_build(r, &res->v[i], &c[nc++]);
		if (rc < 0)
			goto fail;
		if (htab_find(h, c, c[nc - 1].labels)) {
			snprintf(r->err, sizeof(r->err),
				 "vector contains metrics with the same "
				 "labelset after applying alert labels");
			rc = -EINVAL;
			goto fail;
		}
		htab_put(h, c[nc - 1].labels->hash, nc - 1);
	}
	*cp = c;
	*np = nc;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(r->err, sizeof(r->err), "out of memory");
	if (c)
		cands_free(c, nc);
	free(h->slot);
	h->slot = NULL;
	return rc;
}

/* Fold the candidates into the instances: an active instance gets the new
 * value and annotations, anything else is replaced by a new pending one. */
static int merge(struct rules_rule *r, struct cand *c, size_t nc,
		 const struct htab *h, int64_t t)
{
	size_t *match = calloc(nc ? nc : 1, sizeof(*match));
	if (!match)
		return -ENOMEM;
	for (size_t k = 0; k < r->nalerts; k++) {
		size_t j = htab_find(h, c, r->alerts[k]->labels);
		if (j)
			match[j - 1] = k + 1;
	}
	for (size_t i = 0; i < nc; i++) {
		size_t k = match[i] ? match[i] - 1 : 0;
		struct rules_alert *a = match[i] ? r->alerts[k] : NULL;
		if (a && a->state != RULES_INACTIVE) {
			kv_free(a->annotations, a->nannotations);
			a->annotations = c[i].ann;
			a->nannotations = c[i].nann;
			c[i].ann = NULL;
			c[i].nann = 0;
			labels_unref(a->series);
			a->series = c[i].series;
			c[i].series = NULL;
			a->value = c[i].v;
			continue;
		}
		struct rules_alert *na = calloc(1, sizeof(*na));
		if (!na) {
			free(match);
			return -ENOMEM;
		}
		*na = (struct rules_alert){
			.labels = c[i].labels,
			.series = c[i].series,
			.annotations = c[i].ann,
			.nannotations = c[i].nann,
			.state = RULES_PENDING,
			.value = c[i].v,
			.active_at = t,
			.fired_at = RULES_TIME_UNSET,
			.resolved_at = RULES_TIME_UNSET,
			.last_sent_at = RULES_TIME_UNSET,
			.valid_until = RULES_TIME_UNSET,
			.keep_firing_since = RULES_TIME_UNSET,
		};
		c[i].labels = labels_ref(c[i].labels); /* still indexed */
		c[i].series = NULL;
		c[i].ann = NULL;
		c[i].nann = 0;
		if (a) {
			rules_alert_free(a);
			r->alerts[k] = na;
		} else if (rules_alert_add(r, na) < 0) {
			rules_alert_free(na);
			free(match);
			return -ENOMEM;
		}
		notify(r, na, RULES_INACTIVE, RULES_PENDING);
	}
	free(match);
	return 0;
}

/* An instance the expression no longer returns: whether it keeps firing
 * (keep_firing_for, or `clear` not matching yet). */
static bool keeps_firing(struct rules_rule *r, struct rules_alert *a,
			 const struct eval_result *cr, int64_t t)
{
	if (a->state != RULES_FIRING)
		return false;
	if (r->def->clear_ast && !clear_matches(cr, a->series)) {
		a->keep_firing_since = RULES_TIME_UNSET;
		return true;
	}
	if (r->def->keep_firing_for_ms <= 0)
		return false;
	if (a->keep_firing_since == RULES_TIME_UNSET)
		a->keep_firing_since = t;
	return t - a->keep_firing_since < r->def->keep_firing_for_ms;
}

int rules_alert_eval(struct rules_rule *r, int64_t t, struct rules_out **outp,
		     size_t *nout)
{
	struct eval_result res = {0}, cres = {0};
	struct cand *c = NULL;
	size_t nc = 0, n = 0;
	struct htab h = {0};
	struct rules_out *out = NULL;
	int rc = rules_query(r, r->def->ast, t, &res);
	if (rc < 0)
		return rc;
	if (r->def->clear_ast) {
		rc = rules_query(r, r->def->clear_ast, t, &cres);
		if (rc < 0) {
			eval_result_free(&res);
			return rc;
		}
	}
	rc = cands_make(r, &res, &c, &nc, &h);
	if (rc < 0)
		goto out;
	rc = merge(r, c, nc, &h, t);
	if (rc < 0)
		goto nomem;
	out = calloc(2 * r->nalerts + 1, sizeof(*out));
	if (!out)
		goto nomem;
	size_t keep = 0;
	for (size_t k = 0; k < r->nalerts; k++) {
		struct rules_alert *a = r->alerts[k];
		if (!htab_find(&h, c, a->labels)) {
			bool kf = keeps_firing(r, a, &cres, t);
			bool drop = a->state == RULES_PENDING ||
				    (a->resolved_at != RULES_TIME_UNSET &&
				     t - a->resolved_at >
					     RULES_RESOLVED_RETENTION_MS);
			if (a->state != RULES_INACTIVE && !kf) {
				enum rules_alert_state from = a->state;
				a->state = RULES_INACTIVE;
				a->resolved_at = t;
				notify(r, a, from, RULES_INACTIVE);
			}
			if (drop) {
				rules_alert_free(a);
				continue;
			}
			r->alerts[keep++] = a;
			if (!kf)
				continue;
		} else {
			r->alerts[keep++] = a;
			a->keep_firing_since = RULES_TIME_UNSET;
		}
		if (a->state == RULES_PENDING &&
		    t - a->active_at >= r->def->for_ms) {
			a->state = RULES_FIRING;
			a->fired_at = t;
			notify(r, a, RULES_PENDING, RULES_FIRING);
		}
		if (emit(r, a, out, &n) < 0) {
			/* Keep the rest of the list intact. */
			for (size_t x = k + 1; x < r->nalerts; x++)
				r->alerts[keep++] = r->alerts[x];
			r->nalerts = keep;
			goto nomem;
		}
	}
	r->nalerts = keep;
	*outp = out;
	*nout = n;
	out = NULL;
	n = 0;
	goto out;
nomem:
	rc = -ENOMEM;
	snprintf(r->err, sizeof(r->err), "out of memory");
out:
	if (out) {
		for (size_t i = 0; i < n; i++)
			labels_unref(out[i].labels);
		free(out);
	}
	cands_free(c, nc);
	free(h.slot);
	eval_result_free(&res);
	if (r->def->clear_ast)
		eval_result_free(&cres);
	return rc;
}
