/* netdev: node_network_{receive,transmit}_*_total{device} from
 * <procfs>/net/dev, as node_exporter 1.5 prints them with
 * --no-collector.netdev.netlink (collector/netdev_linux.go procNetDevStats,
 * then netdev_common.go legacy(), which renames procfs' fields back to the
 * /proc/net/dev column names), parsed like procfs' net_dev.go. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"
#include "hostwatch/regex.h"

#define NETDEV_NCOLS 16
#define NETDEV_MAX_FILE (4u << 20)

/* The families in the order node_exporter prints them (sorted by name), each
 * with its /proc/net/dev column: 0-7 receive bytes packets errs drop fifo
 * frame compressed multicast, 8-15 transmit bytes packets errs drop fifo
 * colls carrier compressed. */
static const struct {
	const char *name;
	const char *help;
	unsigned col;
} netdev_fields[] = {
#define F(dir, key, col)                                                       \
	{"node_network_" dir "_" key "_total",                                 \
	 "Network device statistic " dir "_" key ".", col}
	F("receive", "bytes", 0),       F("receive", "compressed", 6),
	F("receive", "drop", 3),        F("receive", "errs", 2),
	F("receive", "fifo", 4),        F("receive", "frame", 5),
	F("receive", "multicast", 7),   F("receive", "packets", 1),
	F("transmit", "bytes", 8),      F("transmit", "carrier", 14),
	F("transmit", "colls", 13),     F("transmit", "compressed", 15),
	F("transmit", "drop", 11),      F("transmit", "errs", 10),
	F("transmit", "fifo", 12),      F("transmit", "packets", 9),
#undef F
};

struct netdev_dev {
	const char *name; /* points into ctx->buf, valid during collect */
	size_t line;      /* position in the file, for "last one wins" */
	uint64_t v[NETDEV_NCOLS];
};

struct netdev_priv {
	struct hw_regex include, exclude;
	bool has_include, has_exclude;
	struct netdev_dev *devs; /* reused across scrapes */
	size_t ndevs, cap;
};

/* Label values must be UTF-8 or the exposition is invalid; node_exporter
 * panics on such a name (client_golang MustNewConstMetric), we refuse the
 * file instead. */
static bool netdev_valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned n;
		uint32_t c;
		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1;
			c = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			c = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			c = *p & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static int netdev_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	char err[256];
	struct netdev_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = 0;
	if (cfg->netdev_device_include && *cfg->netdev_device_include) {
		rc = hw_regex_compile(&p->include, cfg->netdev_device_include,
				      err, sizeof(err));
		if (rc < 0) {
			log_error("netdev: bad device-include regex \"%s\": %s",
				  cfg->netdev_device_include, err);
			goto out;
		}
		p->has_include = true;
	}
	if (cfg->netdev_device_exclude && *cfg->netdev_device_exclude) {
		rc = hw_regex_compile(&p->exclude, cfg->netdev_device_exclude,
				      err, sizeof(err));
		if (rc < 0) {
			log_error("netdev: bad device-exclude regex \"%s\": %s",
				  cfg->netdev_device_exclude, err);
			goto out;
		}
		p->has_exclude = true;
	}
out:
	if (rc < 0) {
		if (p->has_include)
			hw_regex_free(&p->include);
		free(p);
		return rc;
	}
	ctx->priv = p;
	return 0;
}

static void netdev_fini(struct hw_ctx *ctx)
{
	struct netdev_priv *p = ctx->priv;
	if (!p)
		return;
	if (p->has_include)
		hw_regex_free(&p->include);
	if (p->has_exclude)
		hw_regex_free(&p->exclude);
	free(p->devs);
	free(p);
	ctx->priv = NULL;
}

/* node_exporter's deviceFilter.ignored(). */
static bool netdev_ignored(const struct netdev_priv *p, const char *name)
{
	if (p->has_exclude && hw_regex_match(&p->exclude, name))
		return true;
	if (p->has_include && !hw_regex_match(&p->include, name))
		return true;
	return false;
}

static int netdev_cmp(const void *a, const void *b)
{
	const struct netdev_dev *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Parse one line (NUL-terminated, modified in place) the way procfs'
 * NetDev.parseLine does: the name is everything before the last colon,
 * trimmed; then 16 unsigned decimals. Go would index out of range on fewer
 * columns; more are ignored there and here. */
static int netdev_parse_line(char *line, struct netdev_dev *d)
{
	char *colon = strrchr(line, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	char *name = line;
	while (*name == ' ' || *name == '\t')
		name++;
	char *end = colon;
	while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (!*name)
		return -EINVAL;
	d->name = name;
	const char *q = colon + 1;
	for (unsigned i = 0; i < NETDEV_NCOLS; i++) {
		int rc = parse_u64(&q, &d->v[i]);
		if (rc < 0)
			return rc;
		/* strconv.ParseUint takes the whole field: "12x" is an error. */
		if (*q && *q != ' ' && *q != '\t')
			return -EINVAL;
	}
	return 0;
}

static int netdev_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct netdev_priv *p = ctx->priv;
	int rc = readfile_path(ctx->cfg->procfs, "net/dev", &ctx->buf,
			       NETDEV_MAX_FILE);
	if (rc < 0)
		return rc;

	p->ndevs = 0;
	char *s = ctx->buf.data;
	for (size_t n = 0; *s; n++) {
		char *nl = strchr(s, '\n');
		char *next = nl ? nl + 1 : s + strlen(s);
		if (nl)
			*nl = '\0';
		/* The two header lines are skipped whatever they say. */
		if (n < 2) {
			s = next;
			continue;
		}
		if (p->ndevs == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 16;
			struct netdev_dev *d = realloc(p->devs, cap * sizeof(*d));
			if (!d)
				return -ENOMEM;
			p->devs = d;
			p->cap = cap;
		}
		struct netdev_dev *d = &p->devs[p->ndevs];
		rc = netdev_parse_line(s, d);
		if (rc < 0) {
			log_debug("netdev: malformed line %zu in net/dev", n + 1);
			return rc;
		}
		if (!netdev_valid_utf8(d->name)) {
			log_debug("netdev: device name is not UTF-8");
			return -EILSEQ;
		}
		d->line = n;
		if (!netdev_ignored(p, d->name))
			p->ndevs++;
		s = next;
	}

	/* procfs keeps devices in a map: for a repeated name the last line
	 * wins. Sorted by name is also the order node_exporter prints. */
	qsort(p->devs, p->ndevs, sizeof(*p->devs), netdev_cmp);
	size_t k = 0;
	for (size_t i = 0; i < p->ndevs; i++) {
		if (i + 1 < p->ndevs &&
		    strcmp(p->devs[i].name, p->devs[i + 1].name) == 0)
			continue;
		p->devs[k++] = p->devs[i];
	}
	p->ndevs = k;
	if (k == 0)
		return 0;

	for (size_t f = 0; f < sizeof(netdev_fields) / sizeof(netdev_fields[0]);
	     f++) {
		sink_family(sink, netdev_fields[f].name, netdev_fields[f].help,
			    HW_COUNTER);
		for (size_t i = 0; i < p->ndevs; i++) {
			struct hw_label l = {"device", p->devs[i].name};
			sink_sample(sink, &l, 1,
				    (double)p->devs[i].v[netdev_fields[f].col]);
		}
	}
	return 0;
}

const struct collector collector_netdev = {
	.name = "netdev",
	.enabled_by_default = true,
	.init = netdev_init,
	.collect = netdev_collect,
	.fini = netdev_fini,
};
