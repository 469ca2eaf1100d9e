/* The dispatcher: routing, aggregation groups, the notification log and
 * the journal's transitions. See dispatch.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostwatch/log.h"
#include "hostwatch/promql.h"

#include "dispatch_internal.h"

/* ---- small sets and tables ---------------------------------------------- */

void fpset_free(struct fpset *s)
{
	free(s->fp);
	s->fp = NULL;
	s->n = 0;
}

bool fpset_has(const struct fpset *s, uint64_t fp)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->fp[mid] == fp)
			return true;
		if (s->fp[mid] < fp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int fpset_add(struct fpset *s, uint64_t fp)
{
	if (fpset_has(s, fp))
		return 0;
	uint64_t *n = realloc(s->fp, (s->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->fp = n;
	size_t i = s->n;
	while (i > 0 && n[i - 1] > fp) {
		n[i] = n[i - 1];
		i--;
	}
	n[i] = fp;
	s->n++;
	return 0;
}

/* Every element of `sub` is in `set` (nflogpb's isSubset). */
static bool fpset_subset(const struct fpset *set, const struct fpset *sub)
{
	for (size_t i = 0; i < sub->n; i++)
		if (!fpset_has(set, sub->fp[i]))
			return false;
	return true;
}

struct nflog *dispatch_log_find(struct dchannel *c, const char *key)
{
	for (size_t i = 0; i < c->nlog; i++)
		if (strcmp(c->log[i].key, key) == 0)
			return &c->log[i];
	return NULL;
}

struct nflog *dispatch_log_add(struct dchannel *c, const char *key)
{
	struct nflog *n = realloc(c->log, (c->nlog + 1) * sizeof(*n));
	if (!n)
		return NULL;
	c->log = n;
	struct nflog *e = &n[c->nlog];
	memset(e, 0, sizeof(*e));
	if (!(e->key = strdup(key)))
		return NULL;
	c->nlog++;
	return e;
}

static void log_remove(struct dchannel *c, size_t i)
{
	free(c->log[i].key);
	fpset_free(&c->log[i].firing);
	fpset_free(&c->log[i].resolved);
	c->log[i] = c->log[--c->nlog];
}

struct jrec *dispatch_jrec_find(struct dispatch *d, uint64_t fp)
{
	for (size_t i = 0; i < d->nj; i++)
		if (d->j[i].fp == fp)
			return &d->j[i];
	return NULL;
}

struct jrec *dispatch_jrec_add(struct dispatch *d, uint64_t fp)
{
	struct jrec *n = realloc(d->j, (d->nj + 1) * sizeof(*n));
	if (!n)
		return NULL;
	d->j = n;
	memset(&n[d->nj], 0, sizeof(n[0]));
	n[d->nj].fp = fp;
	return &n[d->nj++];
}

/* ---- life --------------------------------------------------------------- */

int dispatch_new(struct dispatch **out, const struct hw_config *cfg,
		 const struct dispatch_out *o)
{
	struct dispatch *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = cfg;
	d->out = *o;
	if (cfg->nchannels) {
		d->ch = calloc(cfg->nchannels, sizeof(*d->ch));
		if (!d->ch) {
			free(d);
			return -ENOMEM;
		}
	}
	d->nch = cfg->nchannels;
	for (size_t i = 0; i < d->nch; i++)
		d->ch[i].ch = &cfg->channels[i];
	*out = d;
	return 0;
}

static void group_free(struct agroup *g)
{
	free(g->key);
	labels_unref(g->labels);
	for (size_t i = 0; i < g->n; i++)
		notify_alert_free(&g->alerts[i]);
	free(g->alerts);
}

void dispatch_free(struct dispatch *d)
{
	if (!d)
		return;
	for (size_t c = 0; c < d->nch; c++) {
		struct dchannel *dc = &d->ch[c];
		for (size_t i = 0; i < dc->ngroups; i++)
			group_free(&dc->groups[i]);
		free(dc->groups);
		while (dc->nlog)
			log_remove(dc, dc->nlog - 1);
		free(dc->log);
	}
	free(d->ch);
	free(d->j);
	free(d);
}

/* ---- routing ------------------------------------------------------------ */

static bool routed(const struct hw_channel *ch, const struct notify_alert *a)
{
	if (ch->nseverities) {
		char buf[64];
		const char *sev = notify_severity(a, buf, sizeof(buf));
		bool ok = false;
		for (size_t i = 0; i < ch->nseverities && !ok; i++)
			ok = strcasecmp(ch->severities[i], sev) == 0;
		if (!ok)
			return false;
	}
	if (ch->match) {
		const struct promql_node *s = ch->match;
		for (size_t i = 0; i < s->u.sel.nmatchers; i++) {
			const struct promql_matcher *m = &s->u.sel.matchers[i];
			const char *v = labels_get(a->labels, m->name);
			if (!promql_matcher_matches(m, v ? v : ""))
				return false;
		}
	}
	return true;
}

/* ---- aggregation groups ------------------------------------------------- */

static struct hw_labels *group_labels(const struct hw_channel *ch,
				      const struct notify_alert *a)
{
	if (ch->group_by_all)
		return labels_ref(a->labels);
	struct hw_label pairs[LABELS_BUILDER_MAX];
	size_t n = 0;
	for (size_t i = 0; i < ch->ngroup_by && n < LABELS_BUILDER_MAX; i++) {
		const char *v = labels_get(a->labels, ch->group_by[i]);
		if (v)
			pairs[n++] = (struct hw_label){ch->group_by[i], v};
	}
	return labels_new(pairs, n);
}

static struct agroup *group_get(struct dchannel *dc, struct hw_labels *ls,
				int64_t now)
{
	/* Alertmanager's key for a receiver on the root route:
	 * "{}:" + the group's LabelSet.String(). */
	struct hw_buf key = HW_BUF_INIT;
	buf_puts(&key, "{}:");
	labels_format(ls, &key);
	if (key.failed)
		goto fail;
	for (size_t i = 0; i < dc->ngroups; i++)
		if (strcmp(dc->groups[i].key, buf_cstr(&key)) == 0) {
			buf_free(&key);
			return &dc->groups[i];
		}
	struct agroup *n = realloc(dc->groups, (dc->ngroups + 1) * sizeof(*n));
	if (!n)
		goto fail;
	dc->groups = n;
	struct agroup *g = &n[dc->ngroups];
	memset(g, 0, sizeof(*g));
	if (!(g->key = strdup(buf_cstr(&key))))
		goto fail;
	g->labels = labels_ref(ls);
	g->next_flush = now + (int64_t)(dc->ch->group_wait * 1000);
	dc->ngroups++;
	buf_free(&key);
	return g;
fail:
	buf_free(&key);
	return NULL;
}

static int group_insert(struct agroup *g, const struct hw_channel *ch,
			const struct notify_alert *a, int64_t now)
{
	struct notify_alert copy;
	if (notify_alert_copy(&copy, a) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++)
		if (g->alerts[i].fingerprint == a->fingerprint) {
			notify_alert_free(&g->alerts[i]);
			g->alerts[i] = copy;
			goto placed;
		}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4;
		struct notify_alert *n = realloc(g->alerts, cap * sizeof(*n));
		if (!n) {
			notify_alert_free(&copy);
			return -ENOMEM;
		}
		g->alerts = n;
		g->cap = cap;
	}
	g->alerts[g->n++] = copy;
placed:
	/* aggrGroup.insert: no need to wait for group_wait when the alert
	 * has been firing longer than that already. */
	if (!g->flushed &&
	    a->starts_at + (int64_t)(ch->group_wait * 1000) < now)
		g->next_flush = now;
	return 0;
}

static bool alert_resolved(const struct notify_alert *a, int64_t now)
{
	return a->resolved || a->ends_at <= now;
}

/* types.AlertSlice's order: by job, then instance (an alert having the
 * label first), then all labels. */
static int alert_order(const void *pa, const void *pb)
{
	const struct notify_alert *a = *(const struct notify_alert *const *)pa;
	const struct notify_alert *b = *(const struct notify_alert *const *)pb;
	static const char *const keys[] = {"job", "instance"};
	for (size_t k = 0; k < 2; k++) {
		const char *x = labels_get(a->labels, keys[k]);
		const char *y = labels_get(b->labels, keys[k]);
		if (!x && !y)
			continue;
		if (!x)
			return 1;
		if (!y)
			return -1;
		int c = strcmp(x, y);
		if (c)
			return c;
	}
	return labels_cmp(a->labels, b->labels);
}

/* DedupStage.needsUpdate (notify/notify.go, Alertmanager 0.25). */
static bool needs_update(const struct nflog *e, const struct fpset *firing,
			 const struct fpset *resolved, bool send_resolved,
			 int64_t repeat_ms, int64_t now)
{
	if (!e)
		return firing->n > 0;
	if (!fpset_subset(&e->firing, firing))
		return true;
	if (firing->n == 0)
		return e->firing.n > 0;
	if (send_resolved && !fpset_subset(&e->resolved, resolved))
		return true;
	return e->ts < now - repeat_ms;
}

static int group_flush(struct dispatch *d, size_t ci, struct agroup *g,
		       int64_t now)
{
	struct dchannel *dc = &d->ch[ci];
	const struct hw_channel *ch = dc->ch;
	struct fpset firing = {0}, resolved = {0};
	const struct notify_alert **list = calloc(g->n + 1, sizeof(*list));
	int rc = -ENOMEM;
	if (!list)
		goto out;
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct notify_alert *a = &g->alerts[i];
		bool res = alert_resolved(a, now);
		if (fpset_add(res ? &resolved : &firing, a->fingerprint) < 0)
			goto out;
		if (!res || ch->send_resolved)
			list[n++] = a;
	}
	struct nflog *e = dispatch_log_find(dc, g->key);
	rc = 0;
	if (!needs_update(e, &firing, &resolved, ch->send_resolved,
			  (int64_t)(ch->repeat_interval * 1000), now))
		goto out;
	if (n) {
		qsort(list, n, sizeof(*list), alert_order);
		size_t keep = ch->max_alerts && n > ch->max_alerts
				      ? ch->max_alerts : n;
		struct notify_group ng = {
			.receiver = ch->name,
			.group_key = g->key,
			.group_labels = g->labels,
			.alerts = list,
			.nalerts = keep,
			.truncated = n - keep,
			.firing = firing.n > 0,
			.external_url = d->cfg->external_url,
			.now = now,
		};
		rc = d->out.notify(d->out.ctx, ci, &ng);
		if (rc < 0)
			goto out; /* not logged: the next flush tries again */
	}
	if (!e && !(e = dispatch_log_add(dc, g->key))) {
		rc = -ENOMEM;
		goto out;
	}
	fpset_free(&e->firing);
	fpset_free(&e->resolved);
	e->firing = firing;
	e->resolved = resolved;
	memset(&firing, 0, sizeof(firing));
	memset(&resolved, 0, sizeof(resolved));
	e->ts = now;
	d->dirty = true;
out:
	fpset_free(&firing);
	fpset_free(&resolved);
	free(list);
	return rc;
}

/* After a flush resolved alerts leave the group (DeleteIfNotModified). */
static void group_drop_resolved(struct agroup *g, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (alert_resolved(&g->alerts[i], now))
			notify_alert_free(&g->alerts[i]);
		else
			g->alerts[k++] = g->alerts[i];
	}
	g->n = k;
}

int64_t dispatch_flush(struct dispatch *d, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t c = 0; c < d->nch; c++) {
		struct dchannel *dc = &d->ch[c];
		for (size_t i = 0; i < dc->ngroups;) {
			struct agroup *g = &dc->groups[i];
			if (g->next_flush <= now) {
				int rc = group_flush(d, c, g, now);
				g->flushed = true;
				g->next_flush =
					now + (int64_t)(dc->ch->group_interval *
							1000);
				if (rc == 0)
					group_drop_resolved(g, now);
				else
					log_warn("notify: channel %s: group %s "
						 "not notified: %s",
						 dc->ch->name, g->key,
						 strerror(-rc));
			}
			if (g->n == 0) {
				/* Its log entry matters no more once nothing
				 * it notified is still firing. */
				struct nflog *e = dispatch_log_find(dc, g->key);
				if (e && e->firing.n == 0) {
					log_remove(dc, (size_t)(e - dc->log));
					d->dirty = true;
				}
				group_free(g);
				dc->groups[i] = dc->groups[--dc->ngroups];
				continue;
			}
			if (g->next_flush < next)
				next = g->next_flush;
			i++;
		}
		for (size_t i = 0; i < dc->nlog;) {
			if (dc->log[i].ts < now - DISPATCH_LOG_RETENTION_MS) {
				log_remove(dc, i);
				d->dirty = true;
				continue;
			}
			i++;
		}
	}
	return next;
}

/* ---- intake ------------------------------------------------------------- */

static void journal_intake(struct dispatch *d, const struct notify_alert *a,
			   int64_t now)
{
	struct jrec *r = dispatch_jrec_find(d, a->fingerprint);
	int64_t repeat = (int64_t)(d->cfg->journal_repeat_interval * 1000);
	if (a->resolved) {
		/* Once: resolved alerts are sent again for a while. */
		if (!r)
			return;
		d->out.journal(d->out.ctx, a, JOURNAL_RESOLVED);
		*r = d->j[--d->nj];
		d->dirty = true;
		return;
	}
	if (r && r->starts_at == a->starts_at) {
		r->seen = now;
		if (repeat > 0 && now - r->last >= repeat) {
			d->out.journal(d->out.ctx, a, JOURNAL_REPEAT);
			r->last = now;
			d->dirty = true;
		}
		return;
	}
	if (!r && !(r = dispatch_jrec_add(d, a->fingerprint))) {
		log_error("notify: out of memory");
		return;
	}
	d->out.journal(d->out.ctx, a, JOURNAL_FIRING);
	r->starts_at = a->starts_at;
	r->last = r->seen = now;
	d->dirty = true;
}

/* Alerts that stopped coming without being resolved (their rule went in
 * a reload) are forgotten once Prometheus would have let them expire. */
static void journal_expire(struct dispatch *d, int64_t now)
{
	int64_t ttl = (int64_t)(d->cfg->resend_delay * 4000);
	if (ttl < RULES_RESOLVED_RETENTION_MS)
		ttl = RULES_RESOLVED_RETENTION_MS;
	for (size_t i = 0; i < d->nj;) {
		if (d->j[i].seen < now - ttl) {
			d->j[i] = d->j[--d->nj];
			d->dirty = true;
			continue;
		}
		i++;
	}
}

static void api_batch(struct dispatch *d, size_t ci,
		      const struct notify_alert *alerts, size_t n, int64_t now)
{
	const struct hw_channel *ch = d->ch[ci].ch;
	const struct notify_alert **list = calloc(n + 1, sizeof(*list));
	if (!list)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (routed(ch, &alerts[i]))
			list[k++] = &alerts[i];
	if (k) {
		struct notify_group ng = {
			.receiver = ch->name,
			.group_key = "",
			.alerts = list,
			.nalerts = k,
			.external_url = d->cfg->external_url,
			.now = now,
		};
		for (size_t i = 0; i < k && !ng.firing; i++)
			ng.firing = !alert_resolved(list[i], now);
		if (d->out.notify(d->out.ctx, ci, &ng) < 0)
			log_warn("notify: channel %s: %zu alerts not spooled",
				 ch->name, k);
	}
	free(list);
}

void dispatch_alerts(struct dispatch *d, const struct notify_alert *alerts,
		     size_t n, int64_t now)
{
	if (d->cfg->journal) {
		for (size_t i = 0; i < n; i++)
			journal_intake(d, &alerts[i], now);
		journal_expire(d, now);
	}
	for (size_t c = 0; c < d->nch; c++) {
		struct dchannel *dc = &d->ch[c];
		if (dc->ch->type == HW_CHANNEL_WEBHOOK &&
		    dc->ch->format == HW_FORMAT_ALERTMANAGER_API) {
			api_batch(d, c, alerts, n, now);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			const struct notify_alert *a = &alerts[i];
			if (!routed(dc->ch, a))
				continue;
			struct hw_labels *ls = group_labels(dc->ch, a);
			struct agroup *g = ls ? group_get(dc, ls, now) : NULL;
			labels_unref(ls);
			if (!g || group_insert(g, dc->ch, a, now) < 0)
				log_error("notify: out of memory: alert "
					  "dropped for channel %s",
					  dc->ch->name);
		}
	}
}
