/* The store's sampling sink (collectors write straight into the store),
 * retention (store_gc) and the numbers it exports about itself
 * (store_stats). See store.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* Free series whose newest sample is older than now - retention_ms, then
 * re-arm the cap message when the store went back below its cap. */
void store_gc(struct hw_store *st, int64_t now)
{
	if (st->cfg.retention_ms > 0) {
		int64_t cutoff = now - st->cfg.retention_ms;
		for (size_t i = 0; i < st->tabsize; i++) {
			struct store_series *s = st->tab[i], *next;
			for (; s; s = next) {
				next = s->hnext;
				int64_t t = s->n ? s->buf[(s->start + s->n - 1) %
							  s->cap]
							   .t
						 : INT64_MIN;
				if (t < cutoff)
					store_series_remove(st, s);
			}
		}
	}
	if (!st->cfg.max_series || st->nseries < st->cfg.max_series)
		st->cap_logged = false;
}

void store_stats(const struct hw_store *st, struct store_stats *out)
{
	out->series = st->nseries;
	out->samples = st->nsamples;
	out->dropped = st->dropped;
	out->at_cap = st->cfg.max_series && st->nseries >= st->cfg.max_series;
}

/* The family name is copied (the sink contract lets collectors pass
 * strings that only live for the call) into a buffer the store keeps. */
static void ss_family(struct sink *s, const char *name, const char *help,
		      enum hw_type type)
{
	struct store_sink *ss = (struct store_sink *)s;
	struct hw_store *st = ss->st;
	(void)help;
	(void)type;
	size_t len = strlen(name) + 1;
	ss->family = NULL;
	if (len > st->familycap) {
		char *f = realloc(st->family, len);
		if (!f)
			return; /* the family's samples are lost */
		st->family = f;
		st->familycap = len;
	}
	memcpy(st->family, name, len);
	ss->family = st->family;
}

static void ss_sample(struct sink *s, const struct hw_label *labels,
		      size_t nlabels, double value)
{
	struct store_sink *ss = (struct store_sink *)s;
	if (ss->family)
		store_append_pairs(ss->st, ss->family, labels, nlabels, ss->t,
				   value);
}

/* Appends happen under whatever round is open: the caller brackets a
 * collection with store_round_begin/end(st, 0, t). */
void store_sink_init(struct store_sink *ss, struct hw_store *st, int64_t t)
{
	ss->sink.family = ss_family;
	ss->sink.sample = ss_sample;
	ss->st = st;
	ss->t = t;
	ss->family = NULL;
}
