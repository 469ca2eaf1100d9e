/* Unit tests for the filesystem, diskstats and netdev collectors against
 * tests/fixtures/kernel-6.18 (this machine's files, hand-extended: see its
 * README) and tests/fixtures/broken. Expected values are computed by hand
 * from the fixture files; node_exporter 1.5 gives the same on them. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "hostwatch/collector.h"
#include "testutil.h"

extern const struct collector collector_diskstats, collector_filesystem,
	collector_netdev;

#define K FIXTURES "/kernel-6.18"
#define B FIXTURES "/broken/"

static struct hw_config cfg;
static struct capture_sink cs;

static void setup(void)
{
	config_defaults(&cfg);
	/* Not the host's udev database: only the fixtures' one, when a test
	 * names it. */
	free(cfg.udev_data);
	cfg.udev_data = strdup(FIXTURES "/no-such-udev-data");
	capture_init(&cs);
}

static void teardown(void)
{
	capture_free(&cs);
	config_free(&cfg);
}

/* Short names for the testutil helpers, on this file's sink and config. */
#define val(key) capture_value(&cs, (key))
#define check_family(name, help, type)                                         \
	capture_assert_family(&cs, (name), (help), (type))
#define run(c, root) capture_run(&cs, (c), &cfg, (root))

/* ---- netdev ---- */

START_TEST(netdev_values)
{
	cfg.netdev_netlink = false; /* the fixture's net/dev */
	ck_assert_int_eq(run(&collector_netdev, K), 0);
	/* eth0: 47007939 1578 3 7 2 5 1 11 | 75278 1013 4 6 8 9 10 12 */
	const char *e = "{device=\"eth0\"}";
	static const struct {
		const char *n;
		double v;
	} want[] = {
		{"receive_bytes", 47007939}, {"receive_packets", 1578},
		{"receive_errs", 3},         {"receive_drop", 7},
		{"receive_fifo", 2},         {"receive_frame", 5},
		{"receive_compressed", 1},   {"receive_multicast", 11},
		{"transmit_bytes", 75278},   {"transmit_packets", 1013},
		{"transmit_errs", 4},        {"transmit_drop", 6},
		{"transmit_fifo", 8},        {"transmit_colls", 9},
		{"transmit_carrier", 10},    {"transmit_compressed", 12},
	};
	char key[256], help[128], fam[96];
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(fam, sizeof(fam), "node_network_%s_total", want[i].n);
		snprintf(key, sizeof(key), "%s%s", fam, e);
		snprintf(help, sizeof(help), "Network device statistic %s.",
			 want[i].n);
		ck_assert_double_eq(val(key), want[i].v);
		check_family(fam, help, HW_COUNTER);
	}
	ck_assert_uint_eq(cs.nfamilies, 16);
	/* 2^64-1 and 2^53+1 become the nearest doubles, as in Go. */
	ck_assert_double_eq(
		val("node_network_receive_bytes_total{device=\"wlan0\"}"),
		18446744073709551615.0);
	ck_assert_double_eq(
		val("node_network_transmit_bytes_total{device=\"wlan0\"}"),
		9007199254740992.0);
	ck_assert_double_eq(
		val("node_network_transmit_drop_total{device=\"docker0\"}"), 2);
	/* lo excluded by default; the others all there. */
	ck_assert_ptr_null(capture_find(
		&cs, "node_network_receive_bytes_total{device=\"lo\"}"));
	ck_assert_uint_eq(capture_count(&cs, "node_network_receive_bytes_total"),
			  5);
	/* Sorted by device. */
	ck_assert_str_eq(cs.samples[0].key,
			 "node_network_receive_bytes_total{device=\"docker0\"}");
}
END_TEST

START_TEST(netdev_include)
{
	cfg.netdev_netlink = false; /* the fixture's net/dev */
	cfg.netdev_device_include = strdup("^(eth|lo)");
	free(cfg.netdev_device_exclude);
	cfg.netdev_device_exclude = NULL;
	ck_assert_int_eq(run(&collector_netdev, K), 0);
	ck_assert_uint_eq(capture_count(&cs, "node_network_receive_bytes_total"),
			  2);
	ck_assert_double_eq(
		val("node_network_receive_bytes_total{device=\"lo\"}"), 37198);
}
END_TEST

START_TEST(netdev_bad_regex)
{
	free(cfg.netdev_device_exclude);
	cfg.netdev_device_exclude = strdup("(unclosed");
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_netdev.init(&ctx), -EINVAL);
	ck_assert_ptr_null(ctx.priv);
}
END_TEST

START_TEST(netdev_broken)
{
	cfg.netdev_netlink = false; /* the fixture's net/dev */
	/* Where node_exporter succeeds we do the same; where it panics
	 * (missing columns, non-UTF-8 names) we fail the collector. */
	ck_assert_int_eq(run(&collector_netdev, B "netdev-empty"), 0);
	ck_assert_uint_eq(cs.nsamples, 0);
	ck_assert_uint_eq(cs.nfamilies, 0);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-truncated"), -EINVAL);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-missing-columns"),
			 -EINVAL);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-extra-columns"), 0);
	ck_assert_double_eq(
		val("node_network_transmit_compressed_total{device=\"eth0\"}"),
		16);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-max"), 0);
	ck_assert_double_eq(
		val("node_network_receive_bytes_total{device=\"eth0\"}"),
		18446744073709551615.0);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-overflow"), -ERANGE);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-non-utf8"), -EILSEQ);
	ck_assert_int_eq(run(&collector_netdev, B "netdev-missing"), -ENOENT);
	ck_assert_uint_eq(cs.nsamples, 0);
}
END_TEST

/* The families of node_exporter 1.5's netlink mode: parseNetlinkStats'
 * keys (collector/netdev_linux.go) after netdev_common.go legacy() has
 * folded the detailed ones into /proc/net/dev's names. */
static const char *const netlink_families[] = {
	"receive_bytes",     "receive_compressed", "receive_drop",
	"receive_errs",      "receive_fifo",       "receive_frame",
	"receive_multicast", "receive_nohandler",  "receive_packets",
	"transmit_bytes",    "transmit_carrier",   "transmit_colls",
	"transmit_compressed", "transmit_drop",    "transmit_errs",
	"transmit_fifo",     "transmit_packets",
};
#define N_NETLINK_FAMILIES                                                     \
	(sizeof(netlink_families) / sizeof(netlink_families[0]))

/* The live kernel over rtnetlink: exactly /sys/class/net minus lo (the
 * default exclude), each with every family, whatever --path.procfs says. */
START_TEST(netdev_netlink_live)
{
	ck_assert(cfg.netdev_netlink); /* the default, as upstream */
	/* The fixture's procfs has other devices (wlan0, docker0): netlink
	 * must not look there. */
	ck_assert_int_eq(run(&collector_netdev, K), 0);
	ck_assert_uint_eq(cs.nfamilies, N_NETLINK_FAMILIES);
	char fam[96], help[128], key[512];
	for (size_t f = 0; f < N_NETLINK_FAMILIES; f++) {
		snprintf(fam, sizeof(fam), "node_network_%s_total",
			 netlink_families[f]);
		snprintf(help, sizeof(help), "Network device statistic %s.",
			 netlink_families[f]);
		check_family(fam, help, HW_COUNTER);
		/* Families in node_exporter's (sorted) order. */
		ck_assert_str_eq(cs.families[f].name, fam);
	}
	DIR *dir = opendir("/sys/class/net");
	ck_assert_ptr_nonnull(dir);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "lo") == 0)
			continue;
		n++;
		for (size_t f = 0; f < N_NETLINK_FAMILIES; f++) {
			snprintf(key, sizeof(key),
				 "node_network_%s_total{device=\"%s\"}",
				 netlink_families[f], e->d_name);
			val(key);
		}
	}
	closedir(dir);
	ck_assert_uint_gt(n, 0);
	for (size_t f = 0; f < N_NETLINK_FAMILIES; f++) {
		snprintf(fam, sizeof(fam), "node_network_%s_total{",
			 netlink_families[f]);
		ck_assert_uint_eq(capture_count(&cs, fam), n);
	}
	ck_assert_ptr_null(capture_find(
		&cs, "node_network_receive_bytes_total{device=\"lo\"}"));
	ck_assert_ptr_null(capture_find(
		&cs, "node_network_receive_bytes_total{device=\"wlan0\"}"));
	/* A second scrape through the same state gives the same series. */
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_netdev.init(&ctx), 0);
	for (int i = 0; i < 2; i++) {
		size_t before = cs.nsamples;
		capture_free(&cs);
		capture_init(&cs);
		ck_assert_int_eq(collector_netdev.collect(&ctx, &cs.sink), 0);
		ck_assert_uint_eq(cs.nsamples, before);
		ck_assert_uint_eq(cs.violations, 0);
	}
	collector_netdev.fini(&ctx);
	buf_free(&ctx.buf);
}
END_TEST

/* lo over netlink against lo in /proc/net/dev, read before and after: each
 * counter only grows, so procfs-before <= netlink <= procfs-after. */
START_TEST(netdev_netlink_lo_matches_procfs)
{
	static const char *const lo = "{device=\"lo\"}";
	free(cfg.netdev_device_exclude);
	cfg.netdev_device_exclude = NULL;
	cfg.netdev_device_include = strdup("^lo$");
	double before[N_NETLINK_FAMILIES], now[N_NETLINK_FAMILIES];
	char key[128];
	cfg.netdev_netlink = false;
	ck_assert_int_eq(run(&collector_netdev, NULL), 0);
	/* No receive_nohandler from /proc/net/dev, as upstream. */
	ck_assert_uint_eq(cs.nfamilies, N_NETLINK_FAMILIES - 1);
	for (size_t f = 0; f < N_NETLINK_FAMILIES; f++) {
		snprintf(key, sizeof(key), "node_network_%s_total%s",
			 netlink_families[f], lo);
		before[f] = capture_find(&cs, key) ? val(key) : 0;
	}
	cfg.netdev_netlink = true;
	ck_assert_int_eq(run(&collector_netdev, NULL), 0);
	ck_assert_uint_eq(cs.nsamples, N_NETLINK_FAMILIES);
	for (size_t f = 0; f < N_NETLINK_FAMILIES; f++) {
		snprintf(key, sizeof(key), "node_network_%s_total%s",
			 netlink_families[f], lo);
		now[f] = val(key);
	}
	cfg.netdev_netlink = false;
	ck_assert_int_eq(run(&collector_netdev, NULL), 0);
	for (size_t f = 0; f < N_NETLINK_FAMILIES; f++) {
		snprintf(key, sizeof(key), "node_network_%s_total%s",
			 netlink_families[f], lo);
		if (strcmp(netlink_families[f], "receive_nohandler") == 0)
			continue;
		double after = val(key);
		ck_assert_msg(before[f] <= now[f] && now[f] <= after,
			      "%s: %.0f <= %.0f <= %.0f", key, before[f], now[f],
			      after);
		/* Nothing else runs here long enough to move lo by much. */
		ck_assert_double_le(after - before[f], 1e8);
	}
}
END_TEST

/* ---- diskstats ---- */

START_TEST(diskstats_values)
{
	ck_assert_int_eq(run(&collector_diskstats, K), 0);
	/* sda, 20 fields: 181423 4127 13642088 94501 245872 190244 19860410
	 * 1025642 2 398124 1145017 1208 0 2416640 913 40123 24961 */
	ck_assert_double_eq(
		val("node_disk_reads_completed_total{device=\"sda\"}"), 181423);
	ck_assert_double_eq(val("node_disk_reads_merged_total{device=\"sda\"}"),
			    4127);
	ck_assert_double_eq(val("node_disk_read_bytes_total{device=\"sda\"}"),
			    13642088.0 * 512);
	ck_assert_double_eq(
		val("node_disk_read_time_seconds_total{device=\"sda\"}"),
		94501 * 0.001);
	ck_assert_double_eq(
		val("node_disk_writes_completed_total{device=\"sda\"}"), 245872);
	ck_assert_double_eq(
		val("node_disk_writes_merged_total{device=\"sda\"}"), 190244);
	ck_assert_double_eq(
		val("node_disk_written_bytes_total{device=\"sda\"}"),
		19860410.0 * 512);
	ck_assert_double_eq(
		val("node_disk_write_time_seconds_total{device=\"sda\"}"),
		1025642 * 0.001);
	ck_assert_double_eq(val("node_disk_io_now{device=\"sda\"}"), 2);
	ck_assert_double_eq(
		val("node_disk_io_time_seconds_total{device=\"sda\"}"),
		398124 * 0.001);
	ck_assert_double_eq(
		val("node_disk_io_time_weighted_seconds_total{device=\"sda\"}"),
		1145017 * 0.001);
	ck_assert_double_eq(
		val("node_disk_discards_completed_total{device=\"sda\"}"), 1208);
	ck_assert_double_eq(
		val("node_disk_discards_merged_total{device=\"sda\"}"), 0);
	/* Discarded sectors stay sectors, as upstream. */
	ck_assert_double_eq(
		val("node_disk_discarded_sectors_total{device=\"sda\"}"),
		2416640);
	ck_assert_double_eq(
		val("node_disk_discard_time_seconds_total{device=\"sda\"}"),
		913 * 0.001);
	ck_assert_double_eq(
		val("node_disk_flush_requests_total{device=\"sda\"}"), 40123);
	ck_assert_double_eq(
		val("node_disk_flush_requests_time_seconds_total{device=\"sda\"}"),
		24961 * 0.001);
	/* nvme0n1 has 18 fields: discards, no flush. */
	ck_assert_double_eq(
		val("node_disk_discarded_sectors_total{device=\"nvme0n1\"}"),
		90112);
	ck_assert_ptr_null(capture_find(
		&cs, "node_disk_flush_requests_total{device=\"nvme0n1\"}"));
	/* dm-0 has 14: no discards. */
	ck_assert_double_eq(
		val("node_disk_io_time_weighted_seconds_total{device=\"dm-0\"}"),
		4415445 * 0.001);
	ck_assert_ptr_null(capture_find(
		&cs, "node_disk_discards_completed_total{device=\"dm-0\"}"));
	/* Default exclusions: partitions and loop devices. */
	ck_assert_uint_eq(capture_count(&cs, "node_disk_info{"), 6);
	ck_assert_ptr_null(capture_find(
		&cs, "node_disk_io_now{device=\"sda1\"}"));
	ck_assert_ptr_null(capture_find(
		&cs, "node_disk_io_now{device=\"nvme0n1p1\"}"));
	ck_assert_ptr_null(capture_find(
		&cs, "node_disk_io_now{device=\"loop0\"}"));
	ck_assert_double_eq(
		val("node_disk_info{device=\"vda\",major=\"254\",minor=\"0\","
		    "model=\"\",path=\"\",revision=\"\",serial=\"\",wwn=\"\"}"),
		1);
	check_family("node_disk_info", "Info of /sys/block/<block_device>.",
		     HW_GAUGE);
	check_family("node_disk_io_now",
		     "The number of I/Os currently in progress.", HW_GAUGE);
	check_family("node_disk_flush_requests_total",
		     "The total number of flush requests completed successfully",
		     HW_COUNTER);
	check_family("node_disk_read_bytes_total",
		     "The total number of bytes read successfully.", HW_COUNTER);
	ck_assert_uint_eq(cs.nfamilies, 18);
	/* Families in name order, samples by device. */
	for (size_t i = 1; i < cs.nfamilies; i++)
		ck_assert_int_lt(
			strcmp(cs.families[i - 1].name, cs.families[i].name), 0);
	ck_assert_str_eq(cs.samples[0].key,
			 "node_disk_discard_time_seconds_total{device=\"nvme0n1\"}");
}
END_TEST

START_TEST(diskstats_udev)
{
	struct hw_ctx ctx = {.cfg = &cfg};
	char *saved = cfg.procfs;
	cfg.procfs = (char *)B "diskstats-udev/proc";
	free(cfg.udev_data);
	cfg.udev_data = strdup(B "diskstats-udev/udev");
	ck_assert_int_eq(collector_diskstats.init(&ctx), 0);
	/* Twice: the second scrape reuses the buffers. */
	for (int i = 0; i < 2; i++) {
		capture_free(&cs);
		capture_init(&cs);
		ck_assert_int_eq(collector_diskstats.collect(&ctx, &cs.sink), 0);
	}
	collector_diskstats.fini(&ctx);
	buf_free(&ctx.buf);
	cfg.procfs = saved;
	ck_assert_int_eq(cs.violations, 0);
	/* Serial from ID_SERIAL_SHORT only (1.5), not ID_SERIAL. */
	val("node_disk_info{device=\"sda\",major=\"8\",minor=\"0\","
	    "model=\"Samsung SSD\",path=\"pci-0000:00:1f.2-ata-1\","
	    "revision=\"1B6Q\",serial=\"S123\",wwn=\"0x5002538\"}");
	val("node_disk_info{device=\"sdb\",major=\"8\",minor=\"16\","
	    "model=\"a=b\",path=\"\",revision=\"\",serial=\"\",wwn=\"\"}");
	val("node_disk_filesystem_info{device=\"sda\",type=\"ext4\","
	    "usage=\"filesystem\",uuid=\"abcd\",version=\"1.0\"}");
	val("node_disk_device_mapper_info{device=\"sda\",lv_layer=\"\","
	    "lv_name=\"lv\",name=\"vg-lv\",uuid=\"LVM-1\",vg_name=\"vg\"}");
	ck_assert_double_eq(val("node_disk_ata_rotation_rate_rpm{device=\"sda\"}"),
			    7200);
	ck_assert_double_eq(val("node_disk_ata_write_cache{device=\"sda\"}"), 1);
	/* Unparsable ATA value: no sample; no family without samples. */
	ck_assert_ptr_null(capture_family(&cs, "node_disk_ata_write_cache_enabled"));
	ck_assert_uint_eq(capture_count(&cs, "node_disk_filesystem_info"), 1);
	check_family("node_disk_ata_rotation_rate_rpm",
		     "ATA disk rotation rate in RPMs (0 for SSDs).", HW_GAUGE);
}
END_TEST

START_TEST(diskstats_broken)
{
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-empty"), 0);
	ck_assert_uint_eq(cs.nsamples, 0);
	/* A file cut mid-line (no final newline) is refused when read
	 * (readfile_text_path); procfs would skip the cut line and report
	 * success with one disk missing. */
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-truncated"), -EINVAL);
	ck_assert_uint_eq(cs.nsamples, 0);
	/* A complete but short line is skipped, as by procfs' Sscanf loop. */
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-missing-columns"),
			 0);
	ck_assert_uint_eq(capture_count(&cs, "node_disk_info{"), 1);
	ck_assert_double_eq(
		val("node_disk_io_time_weighted_seconds_total{device=\"vdb\"}"),
		0.011);
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-extra-columns"),
			 0);
	ck_assert_double_eq(
		val("node_disk_flush_requests_time_seconds_total{device=\"vda\"}"),
		0.017);
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-max"), 0);
	ck_assert_double_eq(
		val("node_disk_reads_completed_total{device=\"vda\"}"),
		18446744073709551615.0);
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-overflow"),
			 -ERANGE);
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-bad-major"),
			 -ERANGE);
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-garbage"),
			 -EINVAL);
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-missing"),
			 -ENOENT);
	/* Go's Sscanf turns each bad byte into U+FFFD; so do we. */
	ck_assert_int_eq(run(&collector_diskstats, B "diskstats-non-utf8"), 0);
	val("node_disk_io_now{device=\"vd\xef\xbf\xbd(\"}");
}
END_TEST

/* ---- filesystem ---- */

static void expect_mount(const char *dev, const char *type, const char *mp,
			 const char *dir, double ro)
{
	char key[512], path[512];
	struct statfs st;
	snprintf(path, sizeof(path), K "/root%s", dir);
	ck_assert_int_eq(statfs(path, &st), 0);
#define KEY(n)                                                                 \
	(snprintf(key, sizeof(key),                                            \
		  "node_filesystem_" n                                         \
		  "{device=\"%s\",fstype=\"%s\",mountpoint=\"%s\"}",           \
		  dev, type, mp),                                              \
	 key)
	ck_assert_double_eq(val(KEY("device_error")), 0);
	ck_assert_double_eq(val(KEY("readonly")), ro);
	ck_assert_double_eq(val(KEY("size_bytes")),
			    (double)st.f_blocks * (double)st.f_bsize);
	/* Free counts move with other writers: only check presence. */
	val(KEY("free_bytes"));
	val(KEY("avail_bytes"));
	ck_assert_double_eq(val(KEY("files")), (double)st.f_files);
	val(KEY("files_free"));
#undef KEY
}

START_TEST(filesystem_values)
{
	ck_assert_int_eq(run(&collector_filesystem, K), 0);
	expect_mount("/dev/vda", "ext4", "/", "", 0);
	expect_mount("/dev/vdb1", "xfs", "/data", "/data", 0);
	/* \040 unescaped; the directory has a space. */
	expect_mount("/dev/vdb2", "ext4", "/srv/my files", "/srv/my files", 0);
	/* "ro" in the mount options, whatever statfs says. */
	expect_mount("/dev/vdc", "ext4", "/backup", "/backup", 1);
	expect_mount("tmpfs", "tmpfs", "/tmp", "/tmp", 0);
	/* \011 unescaped; the directory does not exist: only device_error. */
	ck_assert_double_eq(
		val("node_filesystem_device_error{device=\"/dev/vdd\","
		    "fstype=\"ext4\",mountpoint=\"/home/tab\tdir\"}"),
		1);
	ck_assert_ptr_null(capture_find(
		&cs, "node_filesystem_size_bytes{device=\"/dev/vdd\","
		     "fstype=\"ext4\",mountpoint=\"/home/tab\tdir\"}"));
	/* Excluded mount points (/proc, /sys, /dev, /run, /mnt, docker) and
	 * types (iso9660, nsfs, squashfs, overlay...), and /data once. */
	ck_assert_uint_eq(capture_count(&cs, "node_filesystem_device_error{"),
			  6);
	ck_assert_uint_eq(capture_count(&cs, "node_filesystem_size_bytes{"), 5);
	ck_assert_uint_eq(cs.nfamilies, 7);
	check_family("node_filesystem_device_error",
		     "Whether an error occurred while getting statistics for "
		     "the given device.",
		     HW_GAUGE);
	check_family("node_filesystem_avail_bytes",
		     "Filesystem space available to non-root users in bytes.",
		     HW_GAUGE);
	check_family("node_filesystem_files_free",
		     "Filesystem total free file nodes.", HW_GAUGE);
	/* Sorted by device, fstype, mount point. */
	ck_assert_str_eq(cs.samples[0].key,
			 "node_filesystem_avail_bytes{device=\"/dev/vda\","
			 "fstype=\"ext4\",mountpoint=\"/\"}");
}
END_TEST

START_TEST(filesystem_excludes_off)
{
	free(cfg.fs_fs_types_exclude);
	cfg.fs_fs_types_exclude = strdup("^nothing$");
	ck_assert_int_eq(run(&collector_filesystem, K), 0);
	/* /cdrom (iso9660) now shows, in error as it has no directory. */
	ck_assert_double_eq(
		val("node_filesystem_device_error{device=\"/dev/sr0\","
		    "fstype=\"iso9660\",mountpoint=\"/cdrom\"}"),
		1);
}
END_TEST

START_TEST(filesystem_rootfs_prefix)
{
	/* A mount listed under the rootfs path loses that prefix in its
	 * label, and rootfs itself is "/". */
	char dir[] = "/tmp/hw-fs-test.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/proc/1", dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s %s/root/sub %s/sys && printf '/dev/a %s/root "
		 "ext4 rw 0 0\\n/dev/b %s/root/sub ext4 rw 0 0\\n' > "
		 "%s/mounts",
		 path, dir, dir, dir, dir, path);
	ck_assert_int_eq(system(cmd), 0);
	int rc = run(&collector_filesystem, dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_double_eq(val("node_filesystem_device_error{device=\"/dev/a\","
				"fstype=\"ext4\",mountpoint=\"/\"}"),
			    0);
	ck_assert_double_eq(val("node_filesystem_device_error{device=\"/dev/b\","
				"fstype=\"ext4\",mountpoint=\"/sub\"}"),
			    0);
}
END_TEST

START_TEST(filesystem_broken)
{
	ck_assert_int_eq(run(&collector_filesystem, B "filesystem-empty"), 0);
	ck_assert_uint_eq(cs.nsamples, 0);
	ck_assert_uint_eq(cs.nfamilies, 0);
	/* Fewer than four fields, or a blank line: upstream's "malformed
	 * mount point information". */
	ck_assert_int_eq(run(&collector_filesystem, B "filesystem-truncated"),
			 -EINVAL);
	ck_assert_int_eq(run(&collector_filesystem, B "filesystem-blank-line"),
			 -EINVAL);
	ck_assert_int_eq(run(&collector_filesystem, B "filesystem-missing"),
			 -ENOENT);
	/* No 1/mounts: mounts is read instead. */
	ck_assert_int_eq(run(&collector_filesystem, B "filesystem-fallback"), 0);
	ck_assert_double_eq(val("node_filesystem_readonly{device=\"/dev/vda\","
				"fstype=\"ext4\",mountpoint=\"/\"}"),
			    1);
	/* A mount point that is not UTF-8 is left out, not the rest. */
	ck_assert_int_eq(run(&collector_filesystem, B "filesystem-non-utf8"), 0);
	ck_assert_uint_eq(capture_count(&cs, "node_filesystem_device_error{"),
			  1);
}
END_TEST

START_TEST(filesystem_reuse)
{
	/* Several scrapes on one context: the worker is reused and the
	 * output does not change. */
	struct hw_ctx ctx = {.cfg = &cfg};
	char *saved[2] = {cfg.procfs, cfg.rootfs};
	cfg.procfs = (char *)K "/proc";
	cfg.rootfs = (char *)K "/root";
	ck_assert_int_eq(collector_filesystem.init(&ctx), 0);
	for (int i = 0; i < 3; i++) {
		capture_free(&cs);
		capture_init(&cs);
		ck_assert_int_eq(collector_filesystem.collect(&ctx, &cs.sink), 0);
		ck_assert_uint_eq(capture_count(&cs, "node_filesystem_size_bytes{"),
				  5);
	}
	collector_filesystem.fini(&ctx);
	buf_free(&ctx.buf);
	cfg.procfs = saved[0];
	cfg.rootfs = saved[1];
}
END_TEST

START_TEST(filesystem_bad_regex)
{
	free(cfg.fs_mount_points_exclude);
	cfg.fs_mount_points_exclude = strdup("(?i)x");
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_filesystem.init(&ctx), -EINVAL);
}
END_TEST

/* ---- one instance over many scrapes ---------------------------------- */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* One instance of c scraping <tree>/rel as it takes each of texts[] in
 * turn gives, every time, exactly what a fresh instance gives on that
 * file: what the collector remembers between scrapes (kept descriptors,
 * a layout, filter verdicts by position, a parsed mounts file) never shows.
 * The tree is on /tmp, so nothing is kept open there and every file change
 * is seen. rootfs is /proc, whose statfs values stand still. */
static void rescrape_same(const struct collector *c, const char *rel,
			  const char *const *texts, size_t n)
{
	char dir[] = "/tmp/hw-rescrape.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char cmd[512], procfs[256], sysfs[256], path[512];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc/1 %s/proc/net %s/sys",
		 dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(procfs, sizeof(procfs), "%s/proc", dir);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	/* Heap copies, so that a failed assertion (which skips the rest)
	 * still leaves teardown a config it can free. */
	char *saved[3] = {cfg.procfs, cfg.sysfs, cfg.rootfs};
	cfg.procfs = strdup(procfs);
	cfg.sysfs = strdup(sysfs);
	cfg.rootfs = strdup("/proc");
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(c->init(&ctx), 0);
	for (size_t i = 0; i < n; i++) {
		if (texts[i])
			write_text(path, texts[i]);
		else
			unlink(path); /* NULL: the file is gone */
		struct capture_sink fresh;
		capture_init(&fresh);
		int want = run_collector(c, &cfg, NULL, &fresh);
		capture_free(&cs);
		capture_init(&cs);
		int rc = c->collect(&ctx, &cs.sink);
		ck_assert_msg(rc == want, "text %zu: %d, a fresh instance %d", i,
			      rc, want);
		ck_assert_int_eq(cs.violations, 0);
		capture_assert_same(&cs, &fresh);
		capture_free(&fresh);
	}
	c->fini(&ctx);
	buf_free(&ctx.buf);
	free(cfg.procfs);
	free(cfg.sysfs);
	free(cfg.rootfs);
	cfg.procfs = saved[0];
	cfg.sysfs = saved[1];
	cfg.rootfs = saved[2];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(diskstats_rescrape)
{
	static const char *const texts[] = {
		"8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n7 0 loop0 1 1 1 1 1 1 1 1 1 1 1\n8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n",
		"8 0 sda 2 2 3 4 5 6 7 8 9 10 11\n7 0 loop0 1 1 1 1 1 1 1 1 1 1 1\n8 16 sdb 2 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n",
		/* positions swap: loop0 where sda was */
		"7 0 loop0 1 1 1 1 1 1 1 1 1 1 1\n8 0 sda 3 2 3 4 5 6 7 8 9 10 11\n8 16 sdb 3 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n",
		"7 0 loop0 1 1 1 1 1 1 1 1 1 1 1\n8 0 sda 3 2 3 4 5 6 7 8 9 10 11\n8 16 sdb 3 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n8 32 sdc 1 2 3 4 5 6 7 8 9 10 11\n",
		"8 0 sda 4 2 3 4 5 6 7 8 9 10 11\n",
		"8 0 sda 4 2 3 4 5 6 7 8 9 10 x\n",
		NULL,
		"8 0 sda 4 2 3 4 5 6 7 8 9 10 11\n8 0 sda 5 2 3 4 5 6 7 8 9 10 11\n",
	};
	size_t n = sizeof(texts) / sizeof(texts[0]);
	rescrape_same(&collector_diskstats, "proc/diskstats", texts, n);
	free(cfg.diskstats_device_include);
	cfg.diskstats_device_include = strdup("^sd[ab]$");
	rescrape_same(&collector_diskstats, "proc/diskstats", texts, n);
}
END_TEST

START_TEST(netdev_rescrape)
{
#define H "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n"
	static const char *const texts[] = {
		H "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n    lo: 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n",
		H "  eth0: 2 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n    lo: 2 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n",
		H "    lo: 3 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n  eth0: 3 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
		H "    lo: 3 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n  eth1: 3 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n  eth0: 4 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
		NULL,
		H "  eth0: 5 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	};
#undef H
	size_t n = sizeof(texts) / sizeof(texts[0]);
	cfg.netdev_netlink = false;
	rescrape_same(&collector_netdev, "proc/net/dev", texts, n);
	free(cfg.netdev_device_exclude);
	cfg.netdev_device_exclude = NULL;
	cfg.netdev_device_include = strdup("^(lo|eth0)$");
	rescrape_same(&collector_netdev, "proc/net/dev", texts, n);
}
END_TEST

START_TEST(filesystem_rescrape)
{
	static const char *const texts[] = {
		"rootfs / ext4 rw 0 0\nnone /self xfs ro 0 0\n/dev/x /nope ext4 rw 0 0\n",
		"rootfs / ext4 rw 0 0\nnone /self xfs ro 0 0\n/dev/x /nope ext4 rw 0 0\n",
		/* the same length, one byte changed */
		"rootfs / ext4 rw 0 0\nnone /self xfs rw 0 0\n/dev/x /nope ext4 rw 0 0\n",
		"rootfs / ext4 rw 0 0\nnone /sels xfs rw 0 0\n/dev/x /nope ext4 rw 0 0\n",
		/* a remount read-write, and one more mount */
		"rootfs / ext4 rw 0 0\nnone /self xfs rw 0 0\n/dev/x /nope ext4 rw 0 0\nnone /net/dev\\040x xfs rw 0 0\n",
		/* excluded by type and by mount point, a duplicate */
		"rootfs / ext4 rw 0 0\nnone /self xfs rw 0 0\nnone /self xfs ro 0 0\ntmpfs /t squashfs rw 0 0\nproc /proc proc rw 0 0\n",
		"rootfs / ext4 rw 0 0\nnone /self\n",
		"rootfs / ext4 rw 0 0\nnone /self xfs rw 0 0\n",
		"",
		NULL,
		"rootfs / ext4 ro 0 0\n",
	};
	rescrape_same(&collector_filesystem, "proc/1/mounts", texts,
		      sizeof(texts) / sizeof(texts[0]));
}
END_TEST

/* The netlink socket kept between scrapes: found among our descriptors
 * (AF_NETLINK, NETLINK_ROUTE), or -1. */
static int netlink_route_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	int found = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), v;
		socklen_t len = sizeof(v);
		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 &&
		    v == AF_NETLINK &&
		    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 &&
		    v == NETLINK_ROUTE)
			found = fd;
	}
	closedir(d);
	return found;
}

/* The rtnetlink socket outlives a scrape, and one that went bad (here: no
 * longer a socket at all) fails that scrape only: the next one opens a new
 * socket and succeeds. */
START_TEST(netdev_netlink_socket_kept)
{
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert(cfg.netdev_netlink);
	ck_assert_int_eq(netlink_route_fd(), -1);
	ck_assert_int_eq(collector_netdev.init(&ctx), 0);
	ck_assert_int_eq(collector_netdev.collect(&ctx, &cs.sink), 0);
	int fd = netlink_route_fd();
	ck_assert_int_ge(fd, 0);
	size_t n = cs.nsamples;
	capture_free(&cs);
	capture_init(&cs);
	ck_assert_int_eq(collector_netdev.collect(&ctx, &cs.sink), 0);
	ck_assert_int_eq(netlink_route_fd(), fd);
	ck_assert_uint_eq(cs.nsamples, n);
	/* Break it behind the collector's back. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(null, 0);
	ck_assert_int_eq(dup2(null, fd), fd);
	close(null);
	capture_free(&cs);
	capture_init(&cs);
	ck_assert_int_lt(collector_netdev.collect(&ctx, &cs.sink), 0);
	ck_assert_int_eq(netlink_route_fd(), -1); /* closed, not kept */
	capture_free(&cs);
	capture_init(&cs);
	ck_assert_int_eq(collector_netdev.collect(&ctx, &cs.sink), 0);
	ck_assert_int_ge(netlink_route_fd(), 0);
	ck_assert_uint_eq(cs.nsamples, n);
	collector_netdev.fini(&ctx);
	buf_free(&ctx.buf);
	ck_assert_int_eq(netlink_route_fd(), -1);
}
END_TEST


/* On the live /proc the mounts file is kept open and only read again after
 * poll() reports a mount event: a tmpfs mounted and unmounted between two
 * scrapes of one instance must still show up and go away at once. */
static bool fs_has_mountpoint(const struct capture_sink *c, const char *mp)
{
	char key[512];
	for (size_t i = 0; i < c->nsamples; i++) {
		snprintf(key, sizeof(key), "mountpoint=\"%s\"", mp);
		if (strncmp(c->samples[i].key, "node_filesystem_size_bytes{",
			    27) == 0 &&
		    strstr(c->samples[i].key, key))
			return true;
	}
	return false;
}

START_TEST(filesystem_live_mount_events)
{
	char dir[] = "/tmp/hw-mountev.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *saved[3] = {cfg.procfs, cfg.sysfs, cfg.rootfs};
	cfg.procfs = strdup("/proc");
	cfg.sysfs = strdup("/sys");
	cfg.rootfs = strdup("/");
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_filesystem.init(&ctx), 0);
	bool can_mount = true;
	for (int round = 0; round < 3; round++) {
		capture_free(&cs);
		capture_init(&cs);
		ck_assert_int_eq(collector_filesystem.collect(&ctx, &cs.sink), 0);
		bool want = round == 1;
		ck_assert_msg(fs_has_mountpoint(&cs, dir) == want,
			      "round %d: %s %s", round, dir,
			      want ? "missing" : "still there");
		/* A second scrape with no event in between gives the same. */
		capture_free(&cs);
		capture_init(&cs);
		ck_assert_int_eq(collector_filesystem.collect(&ctx, &cs.sink), 0);
		ck_assert(fs_has_mountpoint(&cs, dir) == want);
		if (round == 0 && mount("hwtest", dir, "tmpfs", 0, "size=1m") < 0) {
			can_mount = false; /* not root: nothing to show */
			break;
		}
		if (round == 1)
			ck_assert_int_eq(umount(dir), 0);
	}
	collector_filesystem.fini(&ctx);
	buf_free(&ctx.buf);
	rmdir(dir);
	free(cfg.procfs);
	free(cfg.sysfs);
	free(cfg.rootfs);
	cfg.procfs = saved[0];
	cfg.sysfs = saved[1];
	cfg.rootfs = saved[2];
	if (!can_mount)
		fprintf(stderr, "filesystem_live_mount_events: cannot mount, "
				"only the steady state was checked\n");
}
END_TEST

static Suite *sys_suite(void)
{
	Suite *s = suite_create("collectors-sys");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, netdev_values);
	tcase_add_test(tc, netdev_include);
	tcase_add_test(tc, netdev_bad_regex);
	tcase_add_test(tc, netdev_broken);
	tcase_add_test(tc, netdev_netlink_live);
	tcase_add_test(tc, netdev_netlink_lo_matches_procfs);
	tcase_add_test(tc, diskstats_values);
	tcase_add_test(tc, diskstats_udev);
	tcase_add_test(tc, diskstats_broken);
	tcase_add_test(tc, filesystem_values);
	tcase_add_test(tc, filesystem_excludes_off);
	tcase_add_test(tc, filesystem_rootfs_prefix);
	tcase_add_test(tc, filesystem_broken);
	tcase_add_test(tc, filesystem_reuse);
	tcase_add_test(tc, filesystem_bad_regex);
	tcase_add_test(tc, diskstats_rescrape);
	tcase_add_test(tc, netdev_rescrape);
	tcase_add_test(tc, filesystem_rescrape);
	tcase_add_test(tc, filesystem_live_mount_events);
	tcase_add_test(tc, netdev_netlink_socket_kept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sys_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
