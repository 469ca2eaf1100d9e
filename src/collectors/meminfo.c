/* meminfo: every /proc/meminfo line as node_memory_*, as node_exporter 1.5's
 * collector/meminfo.go and meminfo_linux.go (its own parser, not procfs's):
 * "Active(anon):" becomes Active_anon, a line with a unit (always kB) is
 * multiplied by 1024 and gets "_bytes", a line without one keeps the bare
 * name (HugePages_Total). Values go through strconv.ParseFloat, so numbers
 * past 2^64 are accepted, as node_exporter accepts them. A name ending in
 * "_total" is a counter, everything else a gauge. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/readfile.h"

#include "goparse.h"

#define MEMINFO_MAX_FILE (1u << 20)
#define MEMINFO_NAME_LEN 128
#define MEMINFO_PREFIX "node_memory_"

struct meminfo_entry {
	char name[MEMINFO_NAME_LEN];
	double value;
	size_t first; /* index of the first line with this name */
};

/* What the last full parse learnt, so that the next scrape of a file with
 * the same keys in the same order (every scrape, on a real kernel: the
 * lines of fs/proc/meminfo.c are fixed at build time) neither builds names
 * nor sorts: it checks each line's key against the one remembered at its
 * position and drops the value into the sorted slot that key went to. Any
 * difference (a key added, gone, renamed or moved, a unit appearing) goes
 * back to the full parse, which relearns the layout. */
struct meminfo_line {
	size_t key_off; /* the raw first field ("Active(anon):") in keys */
	size_t key_len;
	bool unit;    /* three fields: a kB value, multiplied by 1024 */
	size_t first; /* the first line with the same metric name */
	size_t slot;  /* its sample in name order, shared by repeated names */
};

struct meminfo_sample {
	size_t name_off, help_off; /* in names */
	bool counter;
};

struct meminfo_priv {
	struct hw_kept file; /* <procfs>/meminfo */
	/* full parse scratch */
	struct meminfo_entry *e;
	size_t n, cap;
	/* the remembered layout, valid when `known` */
	bool known;
	struct meminfo_line *lines;
	size_t nlines, lines_cap;
	struct meminfo_sample *samples;
	double *values;
	size_t nsamples, samples_cap;
	struct hw_buf keys, names;
};

static void meminfo_fini(struct hw_ctx *ctx)
{
	struct meminfo_priv *mp = ctx->priv;
	if (mp) {
		kept_fini(&mp->file);
		free(mp->e);
		free(mp->lines);
		free(mp->samples);
		free(mp->values);
		buf_free(&mp->keys);
		buf_free(&mp->names);
	}
	free(mp);
	ctx->priv = NULL;
}

static int meminfo_init(struct hw_ctx *ctx)
{
	struct meminfo_priv *mp = calloc(1, sizeof(*mp));
	if (!mp)
		return -ENOMEM;
	ctx->priv = mp;
	/* proc_create_single() in fs/proc/meminfo.c */
	int rc = kept_init(&mp->file, ctx->cfg->procfs, "meminfo",
			   KEPT_SINGLE);
	if (rc < 0)
		meminfo_fini(ctx);
	return rc;
}

static int meminfo_cmp(const void *a, const void *b)
{
	return strcmp(((const struct meminfo_entry *)a)->name,
		      ((const struct meminfo_entry *)b)->name);
}

/* Build the metric name from the first field: drop its last character (the
 * colon), then reParens `\((.*)\)` -> "_$1" (greedy: first '(' to the last
 * ')'), then "_bytes" when the line has a unit. */
static int meminfo_make_name(char *dst, const char *key, size_t klen,
			     bool bytes)
{
	char k[MEMINFO_NAME_LEN];
	size_t n = klen - 1;
	if (n >= sizeof(k))
		return -ERANGE;
	memcpy(k, key, n);
	k[n] = '\0';
	const char *open = strchr(k, '(');
	const char *close = open ? strrchr(open, ')') : NULL;
	int len;
	if (close)
		len = snprintf(dst, MEMINFO_NAME_LEN, "%s%.*s_%.*s%s%s",
			       MEMINFO_PREFIX, (int)(open - k), k,
			       (int)(close - open - 1), open + 1, close + 1,
			       bytes ? "_bytes" : "");
	else if (n == 0 && !bytes)
		/* BuildFQName skips an empty name part. */
		len = snprintf(dst, MEMINFO_NAME_LEN, "node_memory");
	else
		len = snprintf(dst, MEMINFO_NAME_LEN, "%s%s%s", MEMINFO_PREFIX,
			       k, bytes ? "_bytes" : "");
	if (len < 0 || len >= MEMINFO_NAME_LEN)
		return -ERANGE;
	/* node_exporter panics on a name the client library refuses. */
	return go_valid_metric_name(dst) ? 0 : -EINVAL;
}

/* The fields of one line: 0 for an empty line (skipped: they occur on some
 * old kernels), 1 with the key, the value and whether it has a unit, or
 * -errno when node_exporter fails on it. */
static int meminfo_split_line(const char *p, const char *end,
			      const char **key, size_t *klen, double *v,
			      bool *unit)
{
	const char *f[3], *x;
	size_t fl[3], xl;
	size_t nf = 0;
	while (nf < 3 && go_next_field(&p, end, &f[nf], &fl[nf]))
		nf++;
	if (nf == 0)
		return 0;
	/* One field: node_exporter indexes past the end and panics. */
	if (nf == 1 || go_next_field(&p, end, &x, &xl))
		return -EINVAL;
	int rc = go_parse_float(f[1], fl[1], v);
	if (rc < 0)
		return rc;
	*unit = nf == 3;
	if (*unit)
		*v *= 1024;
	*key = f[0];
	*klen = fl[0];
	return 1;
}

static int meminfo_add_line(struct meminfo_priv *mp, const char *key,
			    size_t klen, bool unit, size_t first)
{
	if (mp->nlines == mp->lines_cap) {
		size_t cap = mp->lines_cap ? mp->lines_cap * 2 : 64;
		struct meminfo_line *l = realloc(mp->lines, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		mp->lines = l;
		mp->lines_cap = cap;
	}
	struct meminfo_line *l = &mp->lines[mp->nlines++];
	l->key_off = mp->keys.len;
	l->key_len = klen;
	l->unit = unit;
	l->first = first;
	buf_put(&mp->keys, key, klen);
	return mp->keys.failed ? -ENOMEM : 0;
}

static int meminfo_parse_line(struct meminfo_priv *mp, const char *p,
			      const char *end)
{
	const char *key;
	size_t klen;
	double v;
	bool unit;
	int rc = meminfo_split_line(p, end, &key, &klen, &v, &unit);
	if (rc <= 0)
		return rc;
	char name[MEMINFO_NAME_LEN];
	rc = meminfo_make_name(name, key, klen, unit);
	if (rc < 0)
		return rc;
	/* A map in node_exporter: a repeated name keeps the last value. */
	for (size_t i = 0; i < mp->n; i++) {
		if (strcmp(mp->e[i].name, name) == 0) {
			mp->e[i].value = v;
			return meminfo_add_line(mp, key, klen, unit,
						mp->e[i].first);
		}
	}
	if (mp->n == mp->cap) {
		size_t cap = mp->cap ? mp->cap * 2 : 64;
		struct meminfo_entry *e = realloc(mp->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		mp->e = e;
		mp->cap = cap;
	}
	memcpy(mp->e[mp->n].name, name, sizeof(name));
	mp->e[mp->n].value = v;
	mp->e[mp->n].first = mp->nlines;
	mp->n++;
	return meminfo_add_line(mp, key, klen, unit, mp->nlines);
}

/* Sort the samples of a full parse and remember them, with their names,
 * help texts and the slot each line writes, for the next scrapes. */
static int meminfo_learn(struct meminfo_priv *mp)
{
	if (mp->n > 1)
		qsort(mp->e, mp->n, sizeof(*mp->e), meminfo_cmp);
	if (mp->n > mp->samples_cap) {
		struct meminfo_sample *s =
			realloc(mp->samples, mp->n * sizeof(*s));
		if (s)
			mp->samples = s;
		double *v = realloc(mp->values, mp->n * sizeof(*v));
		if (v)
			mp->values = v;
		if (!s || !v)
			return -ENOMEM;
		mp->samples_cap = mp->n;
	}
	buf_reset(&mp->names);
	for (size_t i = 0; i < mp->n; i++) {
		struct meminfo_sample *s = &mp->samples[i];
		const char *field = mp->e[i].name + strlen("node_memory");
		if (*field == '_')
			field++;
		size_t fl = strlen(field);
		s->counter = fl >= 6 && strcmp(field + fl - 6, "_total") == 0;
		s->name_off = mp->names.len;
		buf_put(&mp->names, mp->e[i].name, strlen(mp->e[i].name) + 1);
		s->help_off = mp->names.len;
		buf_printf(&mp->names, "Memory information field %s.", field);
		buf_putc(&mp->names, '\0');
		mp->values[i] = mp->e[i].value;
		mp->lines[mp->e[i].first].slot = i;
	}
	if (mp->names.failed)
		return -ENOMEM;
	/* Every line writes the slot of its name; the last one written wins,
	 * as the full parse's "last value wins". */
	for (size_t l = 0; l < mp->nlines; l++)
		mp->lines[l].slot = mp->lines[mp->lines[l].first].slot;
	mp->nsamples = mp->n;
	return 0;
}

/* The full parse: names built, sorted and remembered. */
static int meminfo_parse_full(struct meminfo_priv *mp, const char *data)
{
	mp->known = false;
	mp->n = mp->nlines = 0;
	buf_reset(&mp->keys);
	for (const char *line = data; *line; line = next_line(line)) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		int rc = meminfo_parse_line(mp, line, end);
		if (rc < 0)
			return rc;
	}
	/* An empty file has no field to publish; success 1 would hide it. */
	if (mp->n == 0)
		return -ENODATA;
	int rc = meminfo_learn(mp);
	if (rc == 0)
		mp->known = true;
	return rc;
}

/* The same keys in the same order as the remembered layout: fill the values
 * in. false, with nothing to undo, on any difference or error: the full
 * parse then decides. */
static bool meminfo_parse_known(struct meminfo_priv *mp, const char *data)
{
	size_t i = 0;
	for (const char *line = data; *line;) {
		const char *end = strchr(line, '\n');
		const char *next = end ? end + 1 : line + strlen(line);
		if (!end)
			end = next;
		const char *key;
		size_t klen;
		double v;
		bool unit;
		int rc = meminfo_split_line(line, end, &key, &klen, &v, &unit);
		line = next;
		if (rc == 0)
			continue;
		if (rc < 0 || i == mp->nlines)
			return false;
		const struct meminfo_line *l = &mp->lines[i++];
		if (l->key_len != klen || l->unit != unit ||
		    memcmp(mp->keys.data + l->key_off, key, klen) != 0)
			return false;
		mp->values[l->slot] = v;
	}
	return i == mp->nlines;
}

static int meminfo_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct meminfo_priv *mp = ctx->priv;
	int rc = kept_read_text(&mp->file, &ctx->buf, MEMINFO_MAX_FILE);
	if (rc < 0) {
		mp->known = false;
		goto out;
	}
	if (!mp->known || !meminfo_parse_known(mp, ctx->buf.data)) {
		rc = meminfo_parse_full(mp, ctx->buf.data);
		if (rc < 0) {
			mp->known = false;
			goto out;
		}
	}
	for (size_t i = 0; i < mp->nsamples; i++) {
		const struct meminfo_sample *s = &mp->samples[i];
		sink_single(sink, mp->names.data + s->name_off,
			    mp->names.data + s->help_off,
			    s->counter ? HW_COUNTER : HW_GAUGE, mp->values[i]);
	}
out:
	return rc;
}

const struct collector collector_meminfo = {
	.name = "meminfo",
	.enabled_by_default = true,
	.init = meminfo_init,
	.collect = meminfo_collect,
	.fini = meminfo_fini,
};
