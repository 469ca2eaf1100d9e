/* diskstats: node_disk_* from <procfs>/diskstats and udev's database, as
 * node_exporter 1.5 prints them (collector/diskstats_linux.go, parsed like
 * procfs' blockdevice/stats.go ProcDiskstats).
 *
 * Kernels print 14 fields per line (major, minor, name, 11 counters) before
 * 4.18, 18 (+ 4 discard counters) from 4.18 and 20 (+ 2 flush counters) from
 * 5.5; node_exporter emits as many counters as the line has and skips lines
 * with fewer than 14 fields. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/collector.h"
#include "hostwatch/filter.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "goparse.h"
#include "verdicts.h"

#define DISK_NSTATS 17
#define DISK_MAX_FILE (8u << 20)
#define DISK_MAX_UDEV (256u << 10)

/* The udev properties node_exporter reads, and where each goes. */
enum disk_prop {
	P_MODEL,
	P_PATH,
	P_REVISION,
	P_SERIAL_SHORT,
	P_WWN,
	P_FS_TYPE,
	P_FS_USAGE,
	P_FS_UUID,
	P_FS_VERSION,
	P_DM_NAME,
	P_DM_UUID,
	P_DM_VG_NAME,
	P_DM_LV_NAME,
	P_DM_LV_LAYER,
	P_ATA,
	P_ATA_ROTATION,
	P_ATA_WCACHE,
	P_ATA_WCACHE_ON,
	P_COUNT
};

static const char *const disk_prop_keys[P_COUNT] = {
	[P_MODEL] = "ID_MODEL",
	[P_PATH] = "ID_PATH",
	[P_REVISION] = "ID_REVISION",
	[P_SERIAL_SHORT] = "ID_SERIAL_SHORT",
	[P_WWN] = "ID_WWN",
	[P_FS_TYPE] = "ID_FS_TYPE",
	[P_FS_USAGE] = "ID_FS_USAGE",
	[P_FS_UUID] = "ID_FS_UUID",
	[P_FS_VERSION] = "ID_FS_VERSION",
	[P_DM_NAME] = "DM_NAME",
	[P_DM_UUID] = "DM_UUID",
	[P_DM_VG_NAME] = "DM_VG_NAME",
	[P_DM_LV_NAME] = "DM_LV_NAME",
	[P_DM_LV_LAYER] = "DM_LV_LAYER",
	[P_ATA] = "ID_ATA",
	[P_ATA_ROTATION] = "ID_ATA_ROTATION_RATE_RPM",
	[P_ATA_WCACHE] = "ID_ATA_WRITE_CACHE",
	[P_ATA_WCACHE_ON] = "ID_ATA_WRITE_CACHE_ENABLED",
};

/* Sentinel offset: property absent (Go's map lookup gives ""). */
#define DISK_NONE ((size_t)-1)

struct disk_dev {
	const char *name; /* into ctx->buf or names, valid during collect */
	size_t name_off;  /* offset in priv->names, or DISK_NONE */
	size_t line;      /* position in the file: sorting keeps it stable */
	uint32_t major, minor;
	char smajor[11], sminor[11];
	unsigned nstats; /* counters present on the line, at most 17 */
	uint64_t v[DISK_NSTATS];
	size_t prop[P_COUNT]; /* offsets into priv->pool, or DISK_NONE */
	double ata[3];        /* parsed rotation, write cache, enabled */
	bool ata_ok[3];
};

struct disk_priv {
	struct hw_kept file;     /* <procfs>/diskstats */
	struct hw_filter filter; /* device-include / device-exclude */
	struct verdicts verdicts; /* the filter's, by line */
	const char *udev_dir; /* cfg->udev_data, or NULL: lookups disabled */
	struct disk_dev *devs;
	size_t ndevs, cap;
	struct hw_buf ubuf; /* one udev file */
	struct hw_buf pool; /* the udev values kept for this scrape */
	struct hw_buf names; /* device names repaired to UTF-8 */
};

/* A family and how a sample's value is taken from a device. */
enum disk_kind { K_STAT, K_INFO, K_FS, K_DM, K_ATA };

/* In node_exporter's output order (sorted by name). */
static const struct {
	const char *name;
	const char *help;
	enum hw_type type;
	enum disk_kind kind;
	unsigned idx; /* counter index (K_STAT) or ata index (K_ATA) */
	double scale;
} disk_families[] = {
	{"node_disk_ata_rotation_rate_rpm",
	 "ATA disk rotation rate in RPMs (0 for SSDs).", HW_GAUGE, K_ATA, 0, 1},
	{"node_disk_ata_write_cache", "ATA disk has a write cache.", HW_GAUGE,
	 K_ATA, 1, 1},
	{"node_disk_ata_write_cache_enabled",
	 "ATA disk has its write cache enabled.", HW_GAUGE, K_ATA, 2, 1},
	{"node_disk_device_mapper_info", "Info about disk device mapper.",
	 HW_GAUGE, K_DM, 0, 1},
	{"node_disk_discard_time_seconds_total",
	 "This is the total number of seconds spent by all discards.",
	 HW_COUNTER, K_STAT, 14, 0.001},
	{"node_disk_discarded_sectors_total",
	 "The total number of sectors discarded successfully.", HW_COUNTER,
	 K_STAT, 13, 1},
	{"node_disk_discards_completed_total",
	 "The total number of discards completed successfully.", HW_COUNTER,
	 K_STAT, 11, 1},
	{"node_disk_discards_merged_total",
	 "The total number of discards merged.", HW_COUNTER, K_STAT, 12, 1},
	{"node_disk_filesystem_info", "Info about disk filesystem.", HW_GAUGE,
	 K_FS, 0, 1},
	{"node_disk_flush_requests_time_seconds_total",
	 "This is the total number of seconds spent by all flush requests.",
	 HW_COUNTER, K_STAT, 16, 0.001},
	/* No full stop: upstream's text. */
	{"node_disk_flush_requests_total",
	 "The total number of flush requests completed successfully",
	 HW_COUNTER, K_STAT, 15, 1},
	{"node_disk_info", "Info of /sys/block/<block_device>.", HW_GAUGE,
	 K_INFO, 0, 1},
	{"node_disk_io_now", "The number of I/Os currently in progress.",
	 HW_GAUGE, K_STAT, 8, 1},
	{"node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.",
	 HW_COUNTER, K_STAT, 9, 0.001},
	{"node_disk_io_time_weighted_seconds_total",
	 "The weighted # of seconds spent doing I/Os.", HW_COUNTER, K_STAT, 10,
	 0.001},
	/* Sectors are always 512 bytes here, whatever the device's own sector
	 * size (Documentation/block/stat.rst). */
	{"node_disk_read_bytes_total",
	 "The total number of bytes read successfully.", HW_COUNTER, K_STAT, 2,
	 512},
	{"node_disk_read_time_seconds_total",
	 "The total number of seconds spent by all reads.", HW_COUNTER, K_STAT,
	 3, 0.001},
	{"node_disk_reads_completed_total",
	 "The total number of reads completed successfully.", HW_COUNTER,
	 K_STAT, 0, 1},
	{"node_disk_reads_merged_total", "The total number of reads merged.",
	 HW_COUNTER, K_STAT, 1, 1},
	{"node_disk_write_time_seconds_total",
	 "This is the total number of seconds spent by all writes.",
	 HW_COUNTER, K_STAT, 7, 0.001},
	{"node_disk_writes_completed_total",
	 "The total number of writes completed successfully.", HW_COUNTER,
	 K_STAT, 4, 1},
	{"node_disk_writes_merged_total", "The number of writes merged.",
	 HW_COUNTER, K_STAT, 5, 1},
	{"node_disk_written_bytes_total",
	 "The total number of bytes written successfully.", HW_COUNTER, K_STAT,
	 6, 512},
};

#define DISK_NFAMILIES (sizeof(disk_families) / sizeof(disk_families[0]))

/* Go's fmt.Sscanf reads the device name rune by rune, so each byte of an
 * invalid UTF-8 sequence becomes U+FFFD (utf8.DecodeRune gives size 1 for
 * any invalid sequence). Appends the repaired name to b, NUL-terminated. */
static void disk_repair_utf8(struct hw_buf *b, const char *s)
{
	while (*s) {
		const char *q = s;
		/* One rune: valid multi-byte runes are copied whole. */
		size_t n = 1;
		unsigned char c = (unsigned char)*s;
		if (c >= 0x80) {
			char one[5] = {0};
			size_t want = (c & 0xe0) == 0xc0   ? 2
				      : (c & 0xf0) == 0xe0 ? 3
				      : (c & 0xf8) == 0xf0 ? 4
							   : 0;
			for (size_t i = 0; i < want && s[i]; i++)
				one[i] = s[i];
			if (want && strlen(one) == want &&
			    go_valid_utf8_str(one))
				n = want;
			else {
				buf_puts(b, "\xef\xbf\xbd");
				s++;
				continue;
			}
		}
		buf_put(b, q, n);
		s += n;
	}
	buf_putc(b, '\0');
}

static void disk_priv_free(struct disk_priv *p)
{
	kept_fini(&p->file);
	filter_free(&p->filter);
	verdicts_free(&p->verdicts);
	buf_free(&p->ubuf);
	buf_free(&p->pool);
	buf_free(&p->names);
	free(p->devs);
	free(p);
}

static int disk_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	struct disk_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* A multi-record seq_file (block/genhd.c): no KEPT_SINGLE. */
	int rc = kept_init(&p->file, cfg->procfs, "diskstats", 0);
	if (rc < 0) {
		free(p);
		return rc;
	}
	rc = filter_init(&p->filter, "diskstats", "device",
			 cfg->diskstats_device_include,
			 cfg->diskstats_device_exclude);
	if (rc < 0) {
		disk_priv_free(p);
		return rc;
	}
	/* Like upstream (diskstats_linux.go NewDiskstatsCollector), decide
	 * once at start whether udev data is there. */
	struct stat st;
	if (cfg->udev_data && stat(cfg->udev_data, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		p->udev_dir = cfg->udev_data;
	else
		log_debug("diskstats: no directory %s, udev device "
			  "properties disabled",
			  cfg->udev_data ? cfg->udev_data : "(none)");
	ctx->priv = p;
	return 0;
}

static void disk_fini(struct hw_ctx *ctx)
{
	if (ctx->priv)
		disk_priv_free(ctx->priv);
	ctx->priv = NULL;
}


static int disk_parse_uint(const char *t, uint64_t max, uint64_t *out)
{
	const char *q = t;
	int rc = parse_u64(&q, out);
	if (rc < 0)
		return rc;
	if (*q || *out > max)
		return -ERANGE;
	return 0;
}

/* "%u" of v into dst (11 bytes hold any uint32_t). */
static void disk_utoa(char dst[11], uint32_t v)
{
	char tmp[10];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	dst[n] = '\0';
}

/* One line of diskstats, modified in place. Returns 1 for a device, 0 for a
 * line upstream skips (fewer than 14 fields), -errno when Go's Sscanf would
 * fail: a field that is not an unsigned decimal of its size. */
static int disk_parse_line(char *line, struct disk_dev *d)
{
	char *s = line, *t;
	uint64_t v;
	int rc;
	if (!(t = go_cut_field(&s)))
		return 0;
	if ((rc = disk_parse_uint(t, UINT32_MAX, &v)) < 0)
		return rc == -ERANGE ? -ERANGE : -EINVAL;
	d->major = (uint32_t)v;
	if (!(t = go_cut_field(&s)))
		return 0;
	if ((rc = disk_parse_uint(t, UINT32_MAX, &v)) < 0)
		return rc == -ERANGE ? -ERANGE : -EINVAL;
	d->minor = (uint32_t)v;
	if (!(d->name = go_cut_field(&s)))
		return 0;
	d->nstats = 0;
	/* Fields after the 20th are ignored, as by the Sscanf format. */
	while (d->nstats < DISK_NSTATS && (t = go_cut_field(&s))) {
		rc = disk_parse_uint(t, UINT64_MAX, &d->v[d->nstats]);
		if (rc < 0)
			return rc;
		d->nstats++;
	}
	if (d->nstats < 11)
		return 0;
	disk_utoa(d->smajor, d->major);
	disk_utoa(d->sminor, d->minor);
	return 1;
}

/* Read <udev>/b<major>:<minor> and keep the properties we print: lines
 * "E:KEY=VALUE", the last of a repeated key winning as in upstream's map. A
 * missing or unreadable file leaves every property empty (upstream logs it
 * at debug level and goes on). */
static void disk_read_udev(struct disk_priv *p, int dfd, struct disk_dev *d)
{
	for (unsigned i = 0; i < P_COUNT; i++)
		d->prop[i] = DISK_NONE;
	memset(d->ata_ok, 0, sizeof(d->ata_ok));
	if (dfd < 0)
		return;
	char name[40];
	snprintf(name, sizeof(name), "b%u:%u", (unsigned)d->major,
		 (unsigned)d->minor);
	int rc = readfile_at(dfd, name, &p->ubuf, DISK_MAX_UDEV);
	if (rc < 0) {
		log_debug("diskstats: udev data %s/%s: %s", p->udev_dir, name,
			  strerror(-rc));
		return;
	}
	for (const char *l = p->ubuf.data; *l; l = next_line(l)) {
		if (strncmp(l, "E:", 2) != 0)
			continue;
		const char *k = l + 2;
		size_t len = strcspn(k, "\n");
		const char *eq = memchr(k, '=', len);
		if (!eq)
			continue;
		size_t klen = (size_t)(eq - k);
		for (unsigned i = 0; i < P_COUNT; i++) {
			if (strlen(disk_prop_keys[i]) != klen ||
			    memcmp(disk_prop_keys[i], k, klen) != 0)
				continue;
			d->prop[i] = p->pool.len;
			buf_put(&p->pool, eq + 1, len - klen - 1);
			buf_putc(&p->pool, '\0');
			break;
		}
	}
}

static const char *disk_prop(const struct disk_priv *p,
			     const struct disk_dev *d, enum disk_prop i)
{
	return d->prop[i] == DISK_NONE ? "" : p->pool.data + d->prop[i];
}

/* strconv.ParseFloat of an ATA property: the whole string or nothing. */
static bool disk_parse_float(const char *s, double *out)
{
	char *end;
	if (!*s)
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno == ERANGE)
		return false;
	*out = v;
	return true;
}

static int disk_cmp(const void *a, const void *b)
{
	const struct disk_dev *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void disk_emit(const struct disk_priv *p, struct sink *sink,
		      unsigned f)
{
	bool begun = false;
	for (size_t i = 0; i < p->ndevs; i++) {
		const struct disk_dev *d = &p->devs[i];
		struct hw_label l[9];
		size_t nl = 1;
		double v = 1;
		l[0] = (struct hw_label){"device", d->name};
		switch (disk_families[f].kind) {
		case K_STAT:
			if (disk_families[f].idx >= d->nstats)
				continue;
			v = (double)d->v[disk_families[f].idx] *
			    disk_families[f].scale;
			break;
		case K_INFO:
			l[1] = (struct hw_label){"major", d->smajor};
			l[2] = (struct hw_label){"minor", d->sminor};
			l[3] = (struct hw_label){"model",
						 disk_prop(p, d, P_MODEL)};
			l[4] = (struct hw_label){"path", disk_prop(p, d, P_PATH)};
			l[5] = (struct hw_label){"revision",
						 disk_prop(p, d, P_REVISION)};
			/* 1.5 takes the serial from ID_SERIAL_SHORT only. */
			l[6] = (struct hw_label){"serial",
						 disk_prop(p, d, P_SERIAL_SHORT)};
			l[7] = (struct hw_label){"wwn", disk_prop(p, d, P_WWN)};
			nl = 8;
			break;
		case K_FS:
			if (!*disk_prop(p, d, P_FS_TYPE))
				continue;
			l[1] = (struct hw_label){"type",
						 disk_prop(p, d, P_FS_TYPE)};
			l[2] = (struct hw_label){"usage",
						 disk_prop(p, d, P_FS_USAGE)};
			l[3] = (struct hw_label){"uuid",
						 disk_prop(p, d, P_FS_UUID)};
			l[4] = (struct hw_label){"version",
						 disk_prop(p, d, P_FS_VERSION)};
			nl = 5;
			break;
		case K_DM:
			if (!*disk_prop(p, d, P_DM_NAME))
				continue;
			l[1] = (struct hw_label){"lv_layer",
						 disk_prop(p, d, P_DM_LV_LAYER)};
			l[2] = (struct hw_label){"lv_name",
						 disk_prop(p, d, P_DM_LV_NAME)};
			l[3] = (struct hw_label){"name",
						 disk_prop(p, d, P_DM_NAME)};
			l[4] = (struct hw_label){"uuid",
						 disk_prop(p, d, P_DM_UUID)};
			l[5] = (struct hw_label){"vg_name",
						 disk_prop(p, d, P_DM_VG_NAME)};
			nl = 6;
			break;
		case K_ATA:
			if (!d->ata_ok[disk_families[f].idx])
				continue;
			v = d->ata[disk_families[f].idx];
			break;
		}
		/* Upstream prints no family without samples. */
		if (!begun) {
			sink_family(sink, disk_families[f].name,
				    disk_families[f].help,
				    disk_families[f].type);
			begun = true;
		}
		sink_sample(sink, l, nl, v);
	}
}

static int disk_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct disk_priv *p = ctx->priv;
	int rc = kept_read_text(&p->file, &ctx->buf, DISK_MAX_FILE);
	if (rc < 0)
		return rc;

	p->ndevs = 0;
	buf_reset(&p->pool);
	buf_reset(&p->names);
	char *s = ctx->buf.data;
	for (size_t pos = 0; *s; pos++) {
		char *nl = strchr(s, '\n');
		char *next = nl ? nl + 1 : s + strlen(s);
		if (nl)
			*nl = '\0';
		if (p->ndevs == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 16;
			struct disk_dev *d = realloc(p->devs, cap * sizeof(*d));
			if (!d)
				return -ENOMEM;
			p->devs = d;
			p->cap = cap;
		}
		struct disk_dev *d = &p->devs[p->ndevs];
		rc = disk_parse_line(s, d);
		if (rc < 0) {
			log_debug("diskstats: malformed line: %s",
				  strerror(-rc));
			return rc;
		}
		s = next;
		if (rc == 0)
			continue;
		d->name_off = DISK_NONE;
		if (!go_valid_utf8_str(d->name)) {
			d->name_off = p->names.len;
			disk_repair_utf8(&p->names, d->name);
			if (p->names.failed)
				return -ENOMEM;
			d->name = p->names.data + d->name_off;
		}
		if (verdicts_ignored(&p->verdicts, &p->filter, pos, d->name))
			continue;
		d->line = p->ndevs++;
	}
	/* names may have moved while growing. */
	for (size_t i = 0; i < p->ndevs; i++)
		if (p->devs[i].name_off != DISK_NONE)
			p->devs[i].name = p->names.data + p->devs[i].name_off;

	/* The udev database (on tmpfs, so not kept) is opened once for this
	 * scrape's devices. */
	int udev = -1;
	if (p->udev_dir && p->ndevs)
		udev = open(p->udev_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = 0;
	for (size_t i = 0; i < p->ndevs && rc == 0; i++) {
		struct disk_dev *d = &p->devs[i];
		disk_read_udev(p, udev, d);
		if (p->pool.failed) {
			rc = -ENOMEM;
			break;
		}
		for (unsigned j = 0; j < P_COUNT && rc == 0; j++)
			if (!go_valid_utf8_str(
				    disk_prop(p, d, (enum disk_prop)j)))
				rc = -EILSEQ;
		if (rc < 0)
			break;
		/* ATA values only for ATA disks; unparsable ones are
		 * skipped (upstream logs them). */
		if (!*disk_prop(p, d, P_ATA))
			continue;
		for (unsigned j = 0; j < 3; j++) {
			enum disk_prop k = (enum disk_prop)(P_ATA_ROTATION + j);
			if (d->prop[k] == DISK_NONE)
				continue;
			d->ata_ok[j] = disk_parse_float(disk_prop(p, d, k),
							&d->ata[j]);
			if (!d->ata_ok[j])
				log_debug("diskstats: %s: bad %s", d->name,
					  disk_prop_keys[k]);
		}
	}
	if (udev >= 0)
		close(udev);
	if (rc < 0)
		return rc;

	/* The registry prints each family sorted by device. A device listed
	 * twice would be a duplicate series upstream (a scrape error); keep
	 * the first. */
	if (p->ndevs > 1)
		qsort(p->devs, p->ndevs, sizeof(*p->devs), disk_cmp);
	size_t k = 0;
	for (size_t i = 0; i < p->ndevs; i++) {
		if (k > 0 && strcmp(p->devs[k - 1].name, p->devs[i].name) == 0)
			continue;
		p->devs[k++] = p->devs[i];
	}
	p->ndevs = k;

	for (unsigned f = 0; f < DISK_NFAMILIES; f++)
		disk_emit(p, sink, f);
	return 0;
}

const struct collector collector_diskstats = {
	.name = "diskstats",
	.enabled_by_default = true,
	.init = disk_init,
	.collect = disk_collect,
	.fini = disk_fini,
};
