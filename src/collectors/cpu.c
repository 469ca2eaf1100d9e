/* cpu: per-CPU time from /proc/stat, thermal throttle counters and isolated
 * CPUs from sysfs, as node_exporter 1.5's collector/cpu_linux.go with its
 * defaults (--collector.cpu.info off, --collector.cpu.guest on).
 *
 * Like node_exporter, the per-CPU counters are cached across scrapes and
 * never go backwards: a counter lower than the cached one keeps the cached
 * value, and an idle time that drops by 3 s or more (CPU hotplug) resets
 * that CPU's cache. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "goparse.h"
#include "procstat.h"

#define CPU_MAX_STAT (16u << 20)
/* cpu_linux.go jumpBackSeconds */
#define CPU_JUMP_BACK_SECONDS 3.0
/* Label strings of a uint64 and the directory names we look at. */
#define CPU_NUM_LEN 24
#define CPU_NAME_LEN 64

struct cpu_pkg {
	char pkg[CPU_NUM_LEN];
	uint64_t count;
	bool present;
};

struct cpu_core {
	char pkg[CPU_NUM_LEN];
	char core[CPU_NUM_LEN];
	uint64_t count;
	bool present;
};

struct cpu_priv {
	struct procstat st;
	/* node_exporter's cpuStats cache, indexed by cpu number */
	struct procstat_cpu *cache;
	size_t ncache;
	/* from /sys/devices/system/cpu/isolated, read once at start-up as
	 * node_exporter does, sorted the way its output is */
	uint16_t *isolated;
	size_t nisolated;
	/* scratch, reused across scrapes */
	size_t *order;
	size_t order_cap;
	char (*dirs)[CPU_NAME_LEN];
	size_t ndirs, dirs_cap;
	struct cpu_pkg *pkgs;
	size_t npkgs, pkgs_cap;
	struct cpu_core *cores;
	size_t ncores, cores_cap;
};

/* Make room for `need` elements of `size` bytes in *arr. */
static int cpu_reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	void **a = arr;
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	void *p = realloc(*a, n * size);
	if (!p)
		return -ENOMEM;
	*a = p;
	*cap = n;
	return 0;
}

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

static int cpu_cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cpu_cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct cpu_pkg *)a)->pkg,
		      ((const struct cpu_pkg *)b)->pkg);
}

static int cpu_cmp_core(const void *a, const void *b)
{
	const struct cpu_core *x = a, *y = b;
	int c = strcmp(x->core, y->core);
	return c ? c : strcmp(x->pkg, y->pkg);
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
	procstat_free(&cp->st);
	free(cp->cache);
	free(cp->isolated);
	free(cp->order);
	free(cp->dirs);
	free(cp->pkgs);
	free(cp->cores);
	free(cp);
	ctx->priv = NULL;
}

static int cpu_init(struct hw_ctx *ctx)
{
	struct cpu_priv *cp = calloc(1, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	ctx->priv = cp;
	/* NewCPUCollector: a missing file means no isolated CPUs; one that
	 * does not parse stops node_exporter from starting. */
	int rc = readfile_path(ctx->cfg->sysfs, "devices/system/cpu/isolated",
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

/* Read a sysfs file holding one unsigned number, as cpu_linux.go's
 * readUintFromFile: ParseUint(TrimSpace(contents)). */
static int cpu_read_uint(const char *dir, const char *rel, char *label,
			 uint64_t *out)
{
	char path[PATH_MAX], buf[64];
	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	int rc = readfile_small(AT_FDCWD, path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	const char *s = buf, *e = buf + strlen(buf);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r' || e[-1] == '\v' || e[-1] == '\f'))
		e--;
	rc = go_parse_uint(s, (size_t)(e - s), out);
	if (rc == 0 && label)
		snprintf(label, CPU_NUM_LEN, "%" PRIu64, *out);
	return rc;
}

/* The sorted names matching sysfs devices/system/cpu/cpu[0-9]*, as
 * filepath.Glob returns them. A missing directory is no match. */
static int cpu_list_dirs(struct cpu_priv *cp, const char *base)
{
	cp->ndirs = 0;
	DIR *d = opendir(base);
	if (!d)
		return 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, "cpu", 3) != 0 || n[3] < '0' || n[3] > '9' ||
		    strlen(n) >= CPU_NAME_LEN)
			continue;
		rc = cpu_reserve(&cp->dirs, &cp->dirs_cap, cp->ndirs + 1,
				 sizeof(*cp->dirs));
		if (rc < 0)
			break;
		strcpy(cp->dirs[cp->ndirs++], n);
	}
	closedir(d);
	if (rc == 0)
		qsort(cp->dirs, cp->ndirs, sizeof(*cp->dirs), cpu_cmp_name);
	return rc;
}

/* updateThermalThrottle: the first CPU (in name order) that has a counter
 * for a package, or for a package's core, provides it. */
static int cpu_read_throttles(struct cpu_priv *cp, const char *sysfs)
{
	char base[PATH_MAX], dir[PATH_MAX];
	cp->npkgs = cp->ncores = 0;
	int rc = path_join(base, sizeof(base), sysfs, "devices/system/cpu");
	if (rc == 0)
		rc = cpu_list_dirs(cp, base);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < cp->ndirs; i++) {
		char pkg[CPU_NUM_LEN], core[CPU_NUM_LEN];
		uint64_t v;
		if (snprintf(dir, sizeof(dir), "%s/%s", base, cp->dirs[i]) >=
		    (int)sizeof(dir))
			continue;
		if (cpu_read_uint(dir, "topology/physical_package_id", pkg,
				  &v) < 0 ||
		    cpu_read_uint(dir, "topology/core_id", core, &v) < 0)
			continue;

		struct cpu_core *c = NULL;
		for (size_t k = 0; k < cp->ncores && !c; k++)
			if (!strcmp(cp->cores[k].pkg, pkg) &&
			    !strcmp(cp->cores[k].core, core))
				c = &cp->cores[k];
		if (!c) {
			if (cpu_reserve(&cp->cores, &cp->cores_cap,
					cp->ncores + 1, sizeof(*cp->cores)) < 0)
				return -ENOMEM;
			c = &cp->cores[cp->ncores++];
			memset(c, 0, sizeof(*c));
			strcpy(c->pkg, pkg);
			strcpy(c->core, core);
		}
		if (!c->present &&
		    cpu_read_uint(dir, "thermal_throttle/core_throttle_count",
				  NULL, &v) == 0) {
			c->count = v;
			c->present = true;
		}

		struct cpu_pkg *p = NULL;
		for (size_t k = 0; k < cp->npkgs && !p; k++)
			if (!strcmp(cp->pkgs[k].pkg, pkg))
				p = &cp->pkgs[k];
		if (!p) {
			if (cpu_reserve(&cp->pkgs, &cp->pkgs_cap, cp->npkgs + 1,
					sizeof(*cp->pkgs)) < 0)
				return -ENOMEM;
			p = &cp->pkgs[cp->npkgs++];
			memset(p, 0, sizeof(*p));
			strcpy(p->pkg, pkg);
		}
		if (!p->present &&
		    cpu_read_uint(dir,
				  "thermal_throttle/package_throttle_count",
				  NULL, &v) == 0) {
			p->count = v;
			p->present = true;
		}
	}
	qsort(cp->cores, cp->ncores, sizeof(*cp->cores), cpu_cmp_core);
	qsort(cp->pkgs, cp->npkgs, sizeof(*cp->pkgs), cpu_cmp_pkg);
	return 0;
}

static void cpu_emit_throttles(struct cpu_priv *cp, struct sink *sink,
			       bool packages)
{
	bool begun = false;
	size_t n = packages ? cp->npkgs : cp->ncores;
	for (size_t i = 0; i < n; i++) {
		bool present = packages ? cp->pkgs[i].present
					: cp->cores[i].present;
		if (!present)
			continue;
		if (!begun) {
			if (packages)
				sink_family(sink,
					    "node_cpu_package_throttles_total",
					    "Number of times this CPU package has been throttled.",
					    HW_COUNTER);
			else
				sink_family(sink,
					    "node_cpu_core_throttles_total",
					    "Number of times this CPU core has been throttled.",
					    HW_COUNTER);
			begun = true;
		}
		if (packages) {
			struct hw_label l[] = {{"package", cp->pkgs[i].pkg}};
			sink_sample(sink, l, 1, (double)cp->pkgs[i].count);
		} else {
			struct hw_label l[] = {{"core", cp->cores[i].core},
					       {"package", cp->cores[i].pkg}};
			sink_sample(sink, l, 2, (double)cp->cores[i].count);
		}
	}
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
		char num[CPU_NUM_LEN];
		const struct procstat_cpu *c = &cp->cache[cp->order[i]];
		snprintf(num, sizeof(num), "%zu", cp->order[i]);
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

static int cpu_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct cpu_priv *cp = ctx->priv;
	int rc = readfile_text_path(ctx->cfg->procfs, "stat", &ctx->buf,
			       CPU_MAX_STAT);
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
	rc = cpu_reserve(&cp->order, &cp->order_cap, cp->ncache,
			 sizeof(*cp->order));
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < cp->ncache; i++)
		cp->order[i] = i;
	qsort(cp->order, cp->ncache, sizeof(*cp->order), cpu_cmp_index);
	rc = cpu_read_throttles(cp, ctx->cfg->sysfs);
	if (rc < 0)
		goto out;

	/* Families in name order, as node_exporter prints them. */
	cpu_emit_throttles(cp, sink, false);
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
	cpu_emit_throttles(cp, sink, true);
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
