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
};

struct meminfo_priv {
	struct meminfo_entry *e;
	size_t n, cap;
};

static int meminfo_init(struct hw_ctx *ctx)
{
	ctx->priv = calloc(1, sizeof(struct meminfo_priv));
	return ctx->priv ? 0 : -ENOMEM;
}

static void meminfo_fini(struct hw_ctx *ctx)
{
	struct meminfo_priv *mp = ctx->priv;
	if (mp)
		free(mp->e);
	free(mp);
	ctx->priv = NULL;
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

static int meminfo_parse_line(struct meminfo_priv *mp, const char *p,
			      const char *end)
{
	const char *f[3], *x;
	size_t fl[3], xl;
	size_t nf = 0;
	while (nf < 3 && go_next_field(&p, end, &f[nf], &fl[nf]))
		nf++;
	if (nf == 0)
		return 0; /* empty lines occur on some old kernels */
	/* One field: node_exporter indexes past the end and panics. */
	if (nf == 1 || go_next_field(&p, end, &x, &xl))
		return -EINVAL;
	double v;
	int rc = go_parse_float(f[1], fl[1], &v);
	if (rc < 0)
		return rc;
	if (nf == 3)
		v *= 1024;
	char name[MEMINFO_NAME_LEN];
	rc = meminfo_make_name(name, f[0], fl[0], nf == 3);
	if (rc < 0)
		return rc;
	/* A map in node_exporter: a repeated name keeps the last value. */
	for (size_t i = 0; i < mp->n; i++) {
		if (strcmp(mp->e[i].name, name) == 0) {
			mp->e[i].value = v;
			return 0;
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
	mp->n++;
	return 0;
}

static int meminfo_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct meminfo_priv *mp = ctx->priv;
	mp->n = 0;
	int rc = readfile_text_path(ctx->cfg->procfs, "meminfo", &ctx->buf,
			       MEMINFO_MAX_FILE);
	if (rc < 0)
		goto out;
	for (const char *line = ctx->buf.data; *line; line = next_line(line)) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		rc = meminfo_parse_line(mp, line, end);
		if (rc < 0)
			goto out;
	}
	/* An empty file has no field to publish; success 1 would hide it. */
	if (mp->n == 0) {
		rc = -ENODATA;
		goto out;
	}
	qsort(mp->e, mp->n, sizeof(*mp->e), meminfo_cmp);
	for (size_t i = 0; i < mp->n; i++) {
		char help[MEMINFO_NAME_LEN + 64];
		const char *field = mp->e[i].name + strlen("node_memory");
		if (*field == '_')
			field++;
		size_t fl = strlen(field);
		bool counter = fl >= 6 && strcmp(field + fl - 6, "_total") == 0;
		snprintf(help, sizeof(help), "Memory information field %s.",
			 field);
		sink_single(sink, mp->e[i].name, help,
			    counter ? HW_COUNTER : HW_GAUGE, mp->e[i].value);
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
