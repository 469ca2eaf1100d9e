/* cpu: per-CPU time from /proc/stat, thermal throttle counters and isolated
 * CPUs from sysfs, as node_exporter 1.5's collector/cpu_linux.go with its
 * defaults (--collector.cpu.info off, --collector.cpu.guest on).
 *
 * Like node_exporter, the per-CPU counters are cached across scrapes and
 * never go backwards: a counter lower than the cached one keeps the cached
 * value, and an idle time that drops by 3 s or more (CPU hotplug) resets
 * that CPU's cache. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "cputhrottle.h"
#include "goparse.h"
#include "procstat.h"

#define CPU_MAX_STAT (16u << 20)
/* cpu_linux.go jumpBackSeconds */
#define CPU_JUMP_BACK_SECONDS 3.0
struct cpu_priv {
	struct hw_kept stat; /* <procfs>/stat */
	struct cpu_throttles thr;
	struct procstat st;
	/* node_exporter's cpuStats cache, indexed by cpu number */
	struct procstat_cpu *cache;
	size_t ncache;
	/* from /sys/devices/system/cpu/isolated, read once at start-up as
	 * node_exporter does, sorted the way its output is */
	uint16_t *isolated;
	size_t nisolated;
	/* The cache's cpu numbers in label order, and as label strings: they
	 * only change with the number of CPUs. */
	size_t *order;
	size_t norder, order_cap;
	char (*nums)[CPU_NUM_LEN];
	size_t nums_cap;
};

/* client_golang sorts samples by label value as strings: "10" < "2". */
static int cpu_cmp_numstr(uint64_t a, uint64_t b)
{
	char sa[CPU_NUM_LEN], sb[CPU_NUM_LEN];
	snprintf(sa, sizeof(sa), "%" PRIu64, a);
	snprintf(sb, sizeof(sb), "%" PRIu64, b);
	return strcmp(sa, sb);
}

static int cpu_cmp_index(const void *a, const void *b)
{
	return cpu_cmp_numstr(*(const size_t *)a, *(const size_t *)b);
}

static int cpu_cmp_u16(const void *a, const void *b)
{
	return cpu_cmp_numstr(*(const uint16_t *)a, *(const uint16_t *)b);
}

/* strconv.Atoi: optional sign, decimal digits, int64 range. */
static int cpu_atoi(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	if (n && (*s == '+' || *s == '-')) {
		neg = *s == '-';
		s++;
		n--;
	}
	uint64_t v;
	int rc = go_parse_uint(s, n, &v);
	if (rc < 0)
		return rc;
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return -ERANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int cpu_add_isolated(struct cpu_priv *cp, size_t *cap, int64_t v)
{
	int rc = cpu_reserve(&cp->isolated, cap, cp->nisolated + 1,
			     sizeof(*cp->isolated));
	if (rc < 0)
		return rc;
	/* procfs stores uint16(v): the same truncation. */
	cp->isolated[cp->nisolated++] = (uint16_t)v;
	return 0;
}

/* procfs sysfs/system_cpu.go parseCPURange: "1,3-4,10\n". */
static int cpu_parse_isolated(struct cpu_priv *cp, const char *data)
{
	size_t len = strlen(data), cap = 0;
	if (len && data[len - 1] == '\n')
		len--;
	const char *p = data, *end = data + len;
	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		if (!c)
			c = end;
		size_t n = (size_t)(c - p);
		const char *dash = memchr(p, '-', n);
		int rc = 0;
		if (n == 0) {
			/* empty element: skipped */
		} else if (dash) {
			const char *e = dash + 1;
			int64_t lo, hi;
			if (memchr(e, '-', (size_t)(c - e)))
				return -EINVAL;
			rc = cpu_atoi(p, (size_t)(dash - p), &lo);
			if (rc == 0)
				rc = cpu_atoi(e, (size_t)(c - e), &hi);
			if (rc < 0)
				return rc;
			/* procfs would loop over any range; bound it. */
			if (hi > lo && hi - lo > 65536)
				return -ERANGE;
			for (int64_t i = lo; i <= hi && rc == 0; i++)
				rc = cpu_add_isolated(cp, &cap, i);
		} else {
			int64_t v;
			rc = cpu_atoi(p, n, &v);
			if (rc == 0)
				rc = cpu_add_isolated(cp, &cap, v);
		}
		if (rc < 0)
			return rc;
		p = c + 1;
	}
	if (cp->nisolated > 1)
		qsort(cp->isolated, cp->nisolated, sizeof(*cp->isolated), cpu_cmp_u16);
	/* A repeated cpu would be a duplicate series; keep one. */
	size_t w = 0;
	for (size_t i = 0; i < cp->nisolated; i++)
		if (w == 0 || cp->isolated[w - 1] != cp->isolated[i])
			cp->isolated[w++] = cp->isolated[i];
	cp->nisolated = w;
	return 0;
}

static void cpu_fini(struct hw_ctx *ctx)
{
	struct cpu_priv *cp = ctx->priv;
	if (!cp)
		return;
	kept_fini(&cp->stat);
	cpu_throttles_fini(&cp->thr);
	procstat_free(&cp->st);
	free(cp->cache);
	free(cp->isolated);
	free(cp->order);
	free(cp->nums);
	free(cp);
	ctx->priv = NULL;
}

static int cpu_init(struct hw_ctx *ctx)
{
	struct cpu_priv *cp = calloc(1, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	ctx->priv = cp;
	cp->stat = (struct hw_kept)KEPT_INIT;
	int rc = cpu_throttles_init(&cp->thr, ctx->cfg->sysfs);
	/* single_open_size() in fs/proc/stat.c */
	if (rc == 0)
		rc = kept_init(&cp->stat, ctx->cfg->procfs, "stat", KEPT_SINGLE);
	if (rc < 0) {
		cpu_fini(ctx);
		return rc;
	}
	/* NewCPUCollector: a missing file means no isolated CPUs; one that
	 * does not parse stops node_exporter from starting. */
	rc = readfile_path(ctx->cfg->sysfs, "devices/system/cpu/isolated",
			   &ctx->buf, 1u << 20);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = cpu_parse_isolated(cp, ctx->buf.data);
	if (rc < 0) {
		log_error("cpu: cannot use %s/devices/system/cpu/isolated: %s",
			  ctx->cfg->sysfs, strerror(-rc));
		cpu_fini(ctx);
	}
	return rc;
}

/* updateCPUStats: fold the new values into the cache. */
static int cpu_update_cache(struct cpu_priv *cp)
{
	const struct procstat *st = &cp->st;
	if (cp->ncache != st->ncpu) {
		/* "Reset the cache if the list of CPUs has changed." */
		struct procstat_cpu *c = NULL;
		if (st->ncpu) {
			c = calloc(st->ncpu, sizeof(*c));
			if (!c)
				return -ENOMEM;
		}
		free(cp->cache);
		cp->cache = c;
		cp->ncache = st->ncpu;
	}
	for (size_t i = 0; i < st->ncpu; i++) {
		struct procstat_cpu *old = &cp->cache[i];
		const struct procstat_cpu *n = &st->cpu[i];
		if (old->v[PROCSTAT_IDLE] - n->v[PROCSTAT_IDLE] >=
		    CPU_JUMP_BACK_SECONDS)
			memset(old, 0, sizeof(*old));
		for (int m = 0; m < PROCSTAT_NMODES; m++)
			if (n->v[m] >= old->v[m])
				old->v[m] = n->v[m];
	}
	return 0;
}

/* Modes in label-value order, with the column each comes from. */
static const struct {
	const char *mode;
	enum procstat_mode col;
} cpu_modes[] = {
	{"idle", PROCSTAT_IDLE},       {"iowait", PROCSTAT_IOWAIT},
	{"irq", PROCSTAT_IRQ},         {"nice", PROCSTAT_NICE},
	{"softirq", PROCSTAT_SOFTIRQ}, {"steal", PROCSTAT_STEAL},
	{"system", PROCSTAT_SYSTEM},   {"user", PROCSTAT_USER},
};

static void cpu_emit_times(struct cpu_priv *cp, struct sink *sink, bool guest)
{
	if (cp->ncache == 0)
		return;
	if (guest)
		sink_family(sink, "node_cpu_guest_seconds_total",
			    "Seconds the CPUs spent in guests (VMs) for each mode.",
			    HW_COUNTER);
	else
		sink_family(sink, "node_cpu_seconds_total",
			    "Seconds the CPUs spent in each mode.", HW_COUNTER);
	for (size_t i = 0; i < cp->ncache; i++) {
		const char *num = cp->nums[i];
		const struct procstat_cpu *c = &cp->cache[cp->order[i]];
		if (guest) {
			/* Guest time is also counted in user and nice. */
			struct hw_label l[] = {{"cpu", num}, {"mode", "nice"}};
			sink_sample(sink, l, 2, c->v[PROCSTAT_GUEST_NICE]);
			l[1].value = "user";
			sink_sample(sink, l, 2, c->v[PROCSTAT_GUEST]);
			continue;
		}
		for (size_t m = 0; m < sizeof(cpu_modes) / sizeof(cpu_modes[0]);
		     m++) {
			struct hw_label l[] = {{"cpu", num},
					       {"mode", cpu_modes[m].mode}};
			sink_sample(sink, l, 2, c->v[cpu_modes[m].col]);
		}
	}
}

/* cp->order and cp->nums for the cache's cpus: sorted as label strings,
 * worked out again only when the number of CPUs changes. */
static int cpu_order(struct cpu_priv *cp)
{
	if (cp->norder == cp->ncache && cp->order)
		return 0;
	cp->norder = 0;
	int rc = cpu_reserve(&cp->order, &cp->order_cap, cp->ncache,
			     sizeof(*cp->order));
	if (rc == 0)
		rc = cpu_reserve(&cp->nums, &cp->nums_cap, cp->ncache,
				 sizeof(*cp->nums));
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < cp->ncache; i++)
		cp->order[i] = i;
	if (cp->ncache > 1)
		qsort(cp->order, cp->ncache, sizeof(*cp->order), cpu_cmp_index);
	for (size_t i = 0; i < cp->ncache; i++)
		snprintf(cp->nums[i], sizeof(cp->nums[i]), "%zu", cp->order[i]);
	cp->norder = cp->ncache;
	return 0;
}

static int cpu_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct cpu_priv *cp = ctx->priv;
	int rc = kept_read_text(&cp->stat, &ctx->buf, CPU_MAX_STAT);
	if (rc < 0)
		goto out;
	rc = procstat_parse(ctx->buf.data, &cp->st);
	if (rc < 0)
		goto out;
	/* No cpuN line at all: not a /proc/stat we can report from. */
	if (cp->st.ncpu == 0) {
		rc = -ENODATA;
		goto out;
	}
	rc = cpu_update_cache(cp);
	if (rc < 0)
		goto out;
	rc = cpu_order(cp);
	if (rc < 0)
		goto out;
	rc = cpu_throttles_read(&cp->thr);
	if (rc < 0)
		goto out;

	/* Families in name order, as node_exporter prints them. */
	cpu_throttles_emit(&cp->thr, sink, false);
	if (ctx->cfg->cpu_guest)
		cpu_emit_times(cp, sink, true);
	if (cp->nisolated) {
		sink_family(sink, "node_cpu_isolated",
			    "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
			    HW_GAUGE);
		for (size_t i = 0; i < cp->nisolated; i++) {
			char num[CPU_NUM_LEN];
			snprintf(num, sizeof(num), "%u", cp->isolated[i]);
			struct hw_label l[] = {{"cpu", num}};
			sink_sample(sink, l, 1, 1.0);
		}
	}
	cpu_throttles_emit(&cp->thr, sink, true);
	cpu_emit_times(cp, sink, false);
out:
	return rc;
}

const struct collector collector_cpu = {
	.name = "cpu",
	.enabled_by_default = true,
	.init = cpu_init,
	.collect = cpu_collect,
	.fini = cpu_fini,
};
