/* Unit tests for the /proc, uname and os-release collectors: exact values
 * worked out by hand from the fixture files, HELP/TYPE, label sets, and a
 * negative errno (never a crash) on every broken fixture that node_exporter
 * 1.5 itself fails on. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "../../src/collectors/goparse.h"

extern const struct collector collector_cpu, collector_stat,
	collector_loadavg, collector_pressure, collector_meminfo,
	collector_uname, collector_time, collector_os;

#define K618 FIXTURES "/kernel-6.18"
#define BROKEN FIXTURES "/broken/"

static struct hw_config cfg;
static struct capture_sink cs;

static void setup(void)
{
	config_defaults(&cfg);
	capture_init(&cs);
}

static void teardown(void)
{
	capture_free(&cs);
	config_free(&cfg);
}

/* Short names for the testutil helpers, on this file's sink and config. */
#define val(key) capture_value(&cs, (key))
#define fam(name, help, type)                                                  \
	capture_assert_family(&cs, (name), (help), (type))
#define run(c, root) capture_run(&cs, (c), &cfg, (root))

/* cpu0 2677 0 1013 25428 201 0 14 2 0 0, ticks / 100 */
START_TEST(test_cpu_fixture)
{
	ck_assert_int_eq(run(&collector_cpu, K618), 0);
	fam("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
	    HW_COUNTER);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}") == 26.77);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"system\"}") == 10.13);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}") == 254.28);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"}") == 2.01);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"softirq\"}") == 0.14);
	ck_assert(val("node_cpu_seconds_total{cpu=\"1\",mode=\"steal\"}") == 0.06);
	ck_assert_uint_eq(capture_count(&cs, "node_cpu_seconds_total{"), 16);
	fam("node_cpu_guest_seconds_total",
	    "Seconds the CPUs spent in guests (VMs) for each mode.", HW_COUNTER);
	ck_assert(val("node_cpu_guest_seconds_total{cpu=\"1\",mode=\"nice\"}") == 0);
	ck_assert_uint_eq(capture_count(&cs, "node_cpu_guest_seconds_total{"), 4);
	/* hand-added thermal_throttle: cpu0 and cpu1 share package 0 */
	fam("node_cpu_core_throttles_total",
	    "Number of times this CPU core has been throttled.", HW_COUNTER);
	ck_assert(val("node_cpu_core_throttles_total{core=\"0\",package=\"0\"}") == 3);
	ck_assert(val("node_cpu_core_throttles_total{core=\"1\",package=\"0\"}") == 5);
	fam("node_cpu_package_throttles_total",
	    "Number of times this CPU package has been throttled.", HW_COUNTER);
	ck_assert(val("node_cpu_package_throttles_total{package=\"0\"}") == 7);
	/* the real isolated file is empty */
	ck_assert_ptr_null(capture_family(&cs, "node_cpu_isolated"));

	cfg.cpu_guest = false;
	ck_assert_int_eq(run(&collector_cpu, K618), 0);
	ck_assert_ptr_null(capture_family(&cs, "node_cpu_guest_seconds_total"));
}
END_TEST

START_TEST(test_cpu_edge)
{
	ck_assert_int_eq(run(&collector_cpu, BROKEN "cpu-throttle"), 0);
	/* cpu0 100 200 ... 1000; cpu1 and cpu10 present, so procfs fills
	 * cpu2..cpu9 with zeros */
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"nice\"}") == 2);
	ck_assert(val("node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"}") == 9);
	ck_assert(val("node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"}") == 10);
	ck_assert(val("node_cpu_seconds_total{cpu=\"5\",mode=\"idle\"}") == 0);
	ck_assert_uint_eq(capture_count(&cs, "node_cpu_seconds_total{"), 11 * 8);
	/* isolated "1,3-4,10" */
	fam("node_cpu_isolated",
	    "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
	    HW_GAUGE);
	ck_assert_uint_eq(capture_count(&cs, "node_cpu_isolated{"), 4);
	ck_assert(val("node_cpu_isolated{cpu=\"4\"}") == 1);
	/* first cpu of a package wins; a garbage core count is skipped */
	ck_assert(val("node_cpu_core_throttles_total{core=\"0\",package=\"0\"}") == 11);
	ck_assert(val("node_cpu_package_throttles_total{package=\"0\"}") == 100);
	ck_assert(val("node_cpu_package_throttles_total{package=\"1\"}") ==
		  18446744073709551615.0);
	ck_assert_uint_eq(capture_count(&cs, "node_cpu_core_throttles_total{"), 1);

	ck_assert_int_lt(run(&collector_cpu, BROKEN "cpu-bad-isolated"), 0);
}
END_TEST

/* node_exporter's CPU cache on one instance: a counter that goes back keeps
 * its cached value, an idle time that drops by 3 s or more (a CPU unplugged
 * and plugged again) resets that CPU, and a change in the list of CPUs
 * resets them all. */
START_TEST(test_cpu_counter_cache)
{
	char dir[] = "/tmp/hw-cpucache.XXXXXX", path[600], cmd[700];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc %s/sys", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/proc/stat", dir);
	char *saved[2] = {cfg.procfs, cfg.sysfs};
	snprintf(cmd, sizeof(cmd), "%s/proc", dir);
	cfg.procfs = strdup(cmd);
	snprintf(cmd, sizeof(cmd), "%s/sys", dir);
	cfg.sysfs = strdup(cmd);
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_cpu.init(&ctx), 0);
#define CPU0(u, i) "cpu0 " #u " 0 0 " #i " 0 0 0 0 0 0\n"
	static const struct {
		const char *stat;
		double user0, idle0; /* expected, seconds */
	} steps[] = {
		{CPU0(1000, 5000), 10, 50},
		{CPU0(900, 5100), 10, 51},  /* user went back: kept */
		{CPU0(900, 4700), 9, 47},   /* idle 4 s back: reset */
		{CPU0(950, 4650), 9.5, 47}, /* idle 0.5 s back: kept */
		{CPU0(800, 4000) "cpu1 1 0 0 2 0 0 0 0 0 0\n", 8, 40}, /* new CPU */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "cpu  1 0 0 1 0 0 0 0 0 0\n%sctxt 1\n", steps[i].stat);
		fclose(f);
		capture_free(&cs);
		capture_init(&cs);
		ck_assert_int_eq(collector_cpu.collect(&ctx, &cs.sink), 0);
		ck_assert_msg(val("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}") ==
				      steps[i].user0,
			      "step %zu: user", i);
		ck_assert_msg(val("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}") ==
				      steps[i].idle0,
			      "step %zu: idle", i);
	}
#undef CPU0
	ck_assert(val("node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"}") == 0.02);
	collector_cpu.fini(&ctx);
	buf_free(&ctx.buf);
	free(cfg.procfs);
	free(cfg.sysfs);
	cfg.procfs = saved[0];
	cfg.sysfs = saved[1];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_stat_fixture)
{
	ck_assert_int_eq(run(&collector_stat, K618), 0);
	fam("node_boot_time_seconds", "Node boot time, in unixtime.", HW_GAUGE);
	ck_assert(val("node_boot_time_seconds") == 1795273142);
	fam("node_context_switches_total", "Total number of context switches.",
	    HW_COUNTER);
	ck_assert(val("node_context_switches_total") == 327461);
	fam("node_forks_total", "Total number of forks.", HW_COUNTER);
	ck_assert(val("node_forks_total") == 11120);
	fam("node_intr_total", "Total number of interrupts serviced.",
	    HW_COUNTER);
	ck_assert(val("node_intr_total") == 195007);
	fam("node_procs_blocked",
	    "Number of processes blocked waiting for I/O to complete.",
	    HW_GAUGE);
	ck_assert(val("node_procs_blocked") == 0);
	fam("node_procs_running", "Number of processes in runnable state.",
	    HW_GAUGE);
	ck_assert(val("node_procs_running") == 1);
	ck_assert_uint_eq(cs.nsamples, 6);
}
END_TEST

START_TEST(test_stat_edge)
{
	/* 2^64-1 parses (and rounds to 2^64 as a double) */
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-u64-max"), 0);
	ck_assert(val("node_context_switches_total") == 18446744073709551615.0);
	/* procfs accepts these and node_exporter reports success with zeros
	 * (a boot time of 1970); hostwatch reports the file as broken. */
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-empty"), -ENODATA);
	ck_assert_int_eq(run(&collector_cpu, BROKEN "stat-empty"), -ENODATA);
	/* cut mid-line: no final newline */
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-truncated"), -EINVAL);
	ck_assert_int_eq(run(&collector_cpu, BROKEN "stat-truncated"), -EINVAL);
	/* extra columns are ignored, as procfs does */
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-extra-columns"), 0);
	ck_assert(val("node_intr_total") == 5);
	/* no intr line: stat cannot publish node_intr_total */
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-missing-columns"), -ENODATA);
	/* only unknown lines and one value: nothing stat publishes is there */
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-unknown-lines"), -ENODATA);
	ck_assert_int_eq(run(&collector_cpu, BROKEN "stat-unknown-lines"), 0);
	/* a cpu column is a float to procfs: 2^64 is fine for cpu; stat lacks
	 * most of its lines in that file */
	ck_assert_int_eq(run(&collector_cpu, BROKEN "stat-cpu-overflow"), 0);
	ck_assert_int_eq(run(&collector_stat, BROKEN "stat-cpu-overflow"), -ENODATA);
	ck_assert_int_eq(run(&collector_cpu, BROKEN "stat-missing-columns"), 0);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}") == 254.28);
	ck_assert(val("node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"}") == 0);
}
END_TEST

static const char *const stat_broken[] = {
	"stat-missing",	     "stat-u64-overflow", "stat-garbage",
	"stat-nonutf8",	     "stat-bad-softirq",  "stat-bad-intr",
};

START_TEST(test_stat_broken)
{
	char root[512];
	snprintf(root, sizeof(root), BROKEN "%s", stat_broken[_i]);
	ck_assert_int_lt(run(&collector_stat, root), 0);
	ck_assert_int_lt(run(&collector_cpu, root), 0);
	ck_assert_uint_eq(capture_count(&cs, "node_cpu_seconds_total"), 0);
}
END_TEST

START_TEST(test_loadavg)
{
	ck_assert_int_eq(run(&collector_loadavg, K618), 0);
	fam("node_load1", "1m load average.", HW_GAUGE);
	fam("node_load5", "5m load average.", HW_GAUGE);
	fam("node_load15", "15m load average.", HW_GAUGE);
	ck_assert(val("node_load1") == 0.26);
	ck_assert(val("node_load5") == 0.17);
	ck_assert(val("node_load15") == 0.07);
	/* "1e2 +0.5 .25 ...": ParseFloat syntax */
	ck_assert_int_eq(run(&collector_loadavg, BROKEN "loadavg-extra"), 0);
	ck_assert(val("node_load1") == 100);
	ck_assert(val("node_load5") == 0.5);
	ck_assert(val("node_load15") == 0.25);
	ck_assert_int_eq(run(&collector_loadavg, BROKEN "loadavg-empty"), -EINVAL);
	ck_assert_int_eq(run(&collector_loadavg, BROKEN "loadavg-truncated"), -EINVAL);
	ck_assert_int_eq(run(&collector_loadavg, BROKEN "loadavg-garbage"), -EINVAL);
	ck_assert_int_eq(run(&collector_loadavg, BROKEN "loadavg-huge"), -ERANGE);
	ck_assert_int_eq(run(&collector_loadavg, BROKEN "loadavg-missing"), -ENOENT);
	ck_assert_uint_eq(cs.nsamples, 0);
}
END_TEST

START_TEST(test_pressure)
{
	ck_assert_int_eq(run(&collector_pressure, K618), 0);
	fam("node_pressure_cpu_waiting_seconds_total",
	    "Total time in seconds that processes have waited for CPU time",
	    HW_COUNTER);
	fam("node_pressure_io_stalled_seconds_total",
	    "Total time in seconds no process could make progress due to IO congestion",
	    HW_COUNTER);
	fam("node_pressure_memory_waiting_seconds_total",
	    "Total time in seconds that processes have waited for memory",
	    HW_COUNTER);
	/* µs / 1000 / 1000, in that order (2302983 gives 2.3029830000000002) */
	ck_assert(val("node_pressure_cpu_waiting_seconds_total") ==
		  2819098.0 / 1000.0 / 1000.0);
	ck_assert(val("node_pressure_io_waiting_seconds_total") ==
		  2302983.0 / 1000.0 / 1000.0);
	ck_assert(val("node_pressure_io_stalled_seconds_total") ==
		  2235629.0 / 1000.0 / 1000.0);
	ck_assert(val("node_pressure_memory_stalled_seconds_total") == 0);
	ck_assert(val("node_pressure_memory_waiting_seconds_total") == 0);
	ck_assert_uint_eq(cs.nsamples, 5);

	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-u64"), 0);
	ck_assert(val("node_pressure_cpu_waiting_seconds_total") ==
		  18446744073709551615.0 / 1000.0 / 1000.0);
	ck_assert(val("node_pressure_io_stalled_seconds_total") == 1.234567);
	/* no PSI: node_exporter's ErrNoData, reported as a failure */
	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-missing"), -ENOENT);
	/* resources read before the failure are still exported */
	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-cpu-only"), -ENOENT);
	ck_assert(val("node_pressure_cpu_waiting_seconds_total") == 5e-6);
	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-truncated"), -EINVAL);
	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-overflow"), -ERANGE);
	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-empty"), -EINVAL);
	ck_assert_int_eq(run(&collector_pressure, BROKEN "pressure-no-full"), -EINVAL);
}
END_TEST

START_TEST(test_meminfo)
{
	ck_assert_int_eq(run(&collector_meminfo, K618), 0);
	fam("node_memory_MemTotal_bytes",
	    "Memory information field MemTotal_bytes.", HW_GAUGE);
	ck_assert(val("node_memory_MemTotal_bytes") == 24682416.0 * 1024);
	fam("node_memory_Active_anon_bytes",
	    "Memory information field Active_anon_bytes.", HW_GAUGE);
	ck_assert(val("node_memory_Active_anon_bytes") == 1524.0 * 1024);
	ck_assert(val("node_memory_Inactive_file_bytes") == 1261204.0 * 1024);
	fam("node_memory_HugePages_Total",
	    "Memory information field HugePages_Total.", HW_GAUGE);
	ck_assert(val("node_memory_HugePages_Total") == 0);
	/* one family per line of the fixture (54 lines, all distinct) */
	ck_assert_uint_eq(cs.nfamilies, 54);

	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-u64"), 0);
	ck_assert(val("node_memory_HugePages_Total") == 18446744073709551615.0);
	ck_assert(val("node_memory_MemTotal_bytes") == 2048); /* last wins */
	fam("node_memory_Swap_total", "Memory information field Swap_total.",
	    HW_COUNTER);
	/* ParseFloat: past 2^64 is still a number to node_exporter */
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-overflow"), 0);
	ck_assert(val("node_memory_HugePages_Total") == 18446744073709551616.0);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-floats"), 0);
	ck_assert(val("node_memory_A_bytes") == 1024000);
	ck_assert(val("node_memory_B") == -5);
	ck_assert(val("node_memory_D_bytes") == 7168);
	ck_assert(isinf(val("node_memory_F")));
	/* node_exporter: success with no sample; hostwatch: broken */
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-empty"), -ENODATA);
	ck_assert_uint_eq(cs.nsamples, 0);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-truncated"), -EINVAL);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-truncated-value"), -EINVAL);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-extra-columns"), -EINVAL);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-garbage"), -EINVAL);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "meminfo-nonutf8"), -EINVAL);
	ck_assert_int_eq(run(&collector_meminfo, BROKEN "stat-missing"), -ENOENT);
}
END_TEST

START_TEST(test_uname)
{
	ck_assert_int_eq(run(&collector_uname, NULL), 0);
	fam("node_uname_info",
	    "Labeled system information as provided by the uname system call.",
	    HW_GAUGE);
	ck_assert_uint_eq(cs.nsamples, 1);
	ck_assert_msg(strncmp(cs.samples[0].key,
			      "node_uname_info{domainname=\"", 28) == 0,
		      "%s", cs.samples[0].key);
	ck_assert_ptr_nonnull(strstr(cs.samples[0].key, "\",machine=\""));
	ck_assert_ptr_nonnull(strstr(cs.samples[0].key, "\",sysname=\"Linux\""));
	ck_assert(cs.samples[0].value == 1);
}
END_TEST

START_TEST(test_time)
{
	ck_assert_int_eq(run(&collector_time, K618), 0);
	fam("node_time_clocksource_available_info",
	    "Available clocksources read from '/sys/devices/system/clocksource'.",
	    HW_GAUGE);
	ck_assert(val("node_time_clocksource_available_info{clocksource=\"kvm-clock\",device=\"0\"}") == 1);
	ck_assert(val("node_time_clocksource_available_info{clocksource=\"tsc\",device=\"0\"}") == 1);
	fam("node_time_clocksource_current_info",
	    "Current clocksource read from '/sys/devices/system/clocksource'.",
	    HW_GAUGE);
	ck_assert(val("node_time_clocksource_current_info{clocksource=\"tsc\",device=\"0\"}") == 1);
	fam("node_time_seconds", "System time in seconds since epoch (1970).",
	    HW_GAUGE);
	ck_assert(val("node_time_seconds") > 1.7e9);
	fam("node_time_zone_offset_seconds",
	    "System time zone offset in seconds.", HW_GAUGE);
	ck_assert_uint_eq(capture_count(&cs, "node_time_zone_offset_seconds{time_zone="), 1);

	/* device is the position in sorted order: clocksource10 is 1 */
	ck_assert_int_eq(run(&collector_time, BROKEN "time-multi"), 0);
	ck_assert(val("node_time_clocksource_available_info{clocksource=\"acpi_pm\",device=\"0\"}") == 1);
	ck_assert(val("node_time_clocksource_available_info{clocksource=\"x\",device=\"1\"}") == 1);
	ck_assert(val("node_time_clocksource_current_info{clocksource=\"hpet\",device=\"0\"}") == 1);
	ck_assert(val("node_time_clocksource_current_info{clocksource=\"\",device=\"2\"}") == 1);
	ck_assert_uint_eq(capture_count(&cs, "node_time_clocksource_available_info"), 4);
	ck_assert_int_eq(run(&collector_time, BROKEN "time-none"), 0);
	ck_assert_int_eq(run(&collector_time, BROKEN "time-missing-current"), -ENOENT);
	/* the clock is still exported, as node_exporter does */
	ck_assert_uint_eq(capture_count(&cs, "node_time_seconds"), 1);
}
END_TEST

START_TEST(test_os)
{
	ck_assert_int_eq(run(&collector_os, K618), 0);
	fam("node_os_info",
	    "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
	    HW_GAUGE);
	ck_assert(val("node_os_info{build_id=\"\",id=\"debian\",id_like=\"\",image_id=\"\",image_version=\"\",name=\"Debian GNU/Linux\",pretty_name=\"Debian GNU/Linux 12 (bookworm)\",variant=\"\",variant_id=\"\",version=\"12 (bookworm)\",version_codename=\"bookworm\",version_id=\"12\"}") == 1);
	fam("node_os_version",
	    "Metric containing the major.minor part of the OS version.",
	    HW_GAUGE);
	ck_assert(val("node_os_version{id=\"debian\",id_like=\"\",name=\"Debian GNU/Linux\"}") == 12);

	/* usr/lib fallback, quotes, escapes, comments, export prefix */
	ck_assert_int_eq(run(&collector_os, BROKEN "os-escapes"), 0);
	ck_assert(val("node_os_info{build_id=\"ab cd\",id=\"myos\",id_like=\"rhel fedora\",image_id=\"\",image_version=\"\",name=\"My \"OS\" \\ \t x\",pretty_name=\"unquoted value\",variant=\"\xc3\xa9t\xc3\xa9\",variant_id=\"\",version=\"7.10 (Quoted)trail\",version_codename=\"\",version_id=\"7.10.3beta\"}") == 1);
	ck_assert(val("node_os_version{id=\"myos\",id_like=\"rhel fedora\",name=\"My \"OS\" \\ \t x\"}") == 7.1);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-version-dot"), 0);
	ck_assert(val("node_os_version{id=\"x\",id_like=\"\",name=\"X\"}") == 22);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-version-lead"), 0);
	ck_assert(val("node_os_version{id=\"x\",id_like=\"\",name=\"X\"}") == 7.01);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-version-noversion"), 0);
	ck_assert_ptr_null(capture_family(&cs, "node_os_version"));

	ck_assert_int_eq(run(&collector_os, BROKEN "os-missing"), -ENOENT);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-bad-quote"), -EINVAL);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-badescape"), -EINVAL);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-badkey"), -EINVAL);
	ck_assert_int_eq(run(&collector_os, BROKEN "os-nosep"), -EINVAL);
	ck_assert_int_lt(run(&collector_os, BROKEN "os-nonutf8"), 0);
	ck_assert_uint_eq(cs.nsamples, 0);
}
END_TEST


/* One instance across changes of os-release: it is parsed again only when
 * stat(2) says the file changed (node_exporter's mtime check), so every
 * rewrite, a replacement by rename and a removal must show at once. */
static void os_write(const char *path, const char *text)
{
	char tmp[700];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(rename(tmp, path), 0);
}

START_TEST(test_os_reread)
{
	char dir[] = "/tmp/hw-os.XXXXXX", path[600], cmd[700];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/etc", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/etc/os-release", dir);
	char *saved = cfg.rootfs;
	cfg.rootfs = strdup(dir);
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_os.init(&ctx), 0);
	static const struct {
		const char *text;
		int rc;
		double version; /* 0: no node_os_version */
	} steps[] = {
		{"ID=a\nNAME=A\nVERSION_ID=1.5\n", 0, 1.5},
		{"ID=a\nNAME=A\nVERSION_ID=1.5\n", 0, 1.5}, /* same again */
		{"ID=a\nNAME=A\nVERSION_ID=2.5\n", 0, 2.5}, /* same size */
		{"ID=a\nNAME=A\nVERSION_ID=\"3\n", 0, -1},   /* broken */
		{"ID=a\nNAME=A\nVERSION_ID=4\n", 0, 4},
		{NULL, -ENOENT, 0},                       /* removed */
		{"ID=a\nNAME=A\n", 0, 0},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].text)
			os_write(path, steps[i].text);
		else
			unlink(path);
		capture_free(&cs);
		capture_init(&cs);
		int rc = collector_os.collect(&ctx, &cs.sink);
		if (steps[i].version < 0) {
			ck_assert_msg(rc == -EINVAL, "step %zu: %d", i, rc);
			continue;
		}
		ck_assert_msg(rc == steps[i].rc, "step %zu: %d", i, rc);
		const struct capture_sample *v = capture_find(
			&cs, "node_os_version{id=\"a\",id_like=\"\",name=\"A\"}");
		if (steps[i].version == 0)
			ck_assert_ptr_null(v);
		else
			ck_assert_msg(v && v->value == steps[i].version,
				      "step %zu", i);
	}
	collector_os.fini(&ctx);
	buf_free(&ctx.buf);
	free(cfg.rootfs);
	cfg.rootfs = saved;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- go_parse_float against strtod ----------------------------------- */

/* go_parse_float(s) must give strtod(s) bit for bit (its short decimals
 * skip strtod: goparse.c, goparse_exact_decimal). Mismatches are counted
 * and the first one kept, and checked once at the end: a Check assertion
 * per input would cost a write(2) each. */
static size_t float_bad;
static char float_first_bad[128];

static void float_same(const char *s)
{
	double v, w = strtod(s, NULL);
	int rc = go_parse_float(s, strlen(s), &v);
	if (rc == 0 && memcmp(&v, &w, sizeof(v)) == 0)
		return;
	if (!float_bad++)
		snprintf(float_first_bad, sizeof(float_first_bad),
			 "\"%s\": rc %d, %.17g, strtod %.17g", s, rc, v, w);
}

static uint64_t float_rand_state = 0x9e3779b97f4a7c15u;
static uint64_t float_rand(void)
{
	/* xorshift64*: the same inputs every run */
	float_rand_state ^= float_rand_state >> 12;
	float_rand_state ^= float_rand_state << 25;
	float_rand_state ^= float_rand_state >> 27;
	return float_rand_state * 0x2545f4914f6cdd1du;
}

START_TEST(test_exact_float)
{
	char s[96];
	/* Every loadavg and PSI average there is: "%lu.%02lu", 0.00 to
	 * 1023.99 (fs/proc/loadavg.c LOAD_INT/LOAD_FRAC, kernel/sched/psi.c
	 * psi_show). */
	for (unsigned i = 0; i < 1024; i++)
		for (unsigned f = 0; f < 100; f++) {
			snprintf(s, sizeof(s), "%u.%02u", i, f);
			float_same(s);
		}
	/* Integers (meminfo kB, /proc/stat ticks) around every power of two
	 * up to and past 2^53, where strtod takes over again. */
	for (int b = 0; b < 64; b++)
		for (int d = -3; d <= 3; d++) {
			uint64_t v = ((uint64_t)1 << b) + (uint64_t)(int64_t)d;
			snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
			float_same(s);
		}
	/* Hand-picked: signs, zeros, exponents at the edges of the fast
	 * path, classic rounding cases. */
	static const char *const picked[] = {
		"0", "-0", "+0", "0.0", "-0.000", "00012.3400", ".5", "5.",
		"0.1", "0.3", "2.675", "1e22", "1e23", "1e-22", "1e-23",
		"9007199254740991", "9007199254740992", "9007199254740993",
		"900719925474099.3", "4.35", "1.7976931348623157e308",
		"4.9e-324", "123456789012345678901234567890", "1E+5", "1e-0",
		"0.000000000000000000001", "99999999999999999999e-22",
		"123.456e-3", "-1.5e+10", "8.589973e9",
	};
	for (size_t i = 0; i < sizeof(picked) / sizeof(picked[0]); i++)
		float_same(picked[i]);
	/* Random decimals: up to 20 digits, a fraction of up to 25 digits,
	 * maybe an exponent, maybe a sign. */
	for (int n = 0; n < 100000; n++) {
		uint64_t r = float_rand();
		size_t len = 0;
		if (r & 1)
			s[len++] = (r & 2) ? '-' : '+';
		unsigned idig = (unsigned)((r >> 2) % 21);
		unsigned fdig = (unsigned)((r >> 8) % 26);
		bool dot = fdig || ((r >> 13) & 1);
		if (!idig && !fdig)
			idig = 1;
		uint64_t q = float_rand();
		for (unsigned i = 0; i < idig; i++, q /= 10) {
			if (!q)
				q = float_rand();
			s[len++] = (char)('0' + q % 10);
		}
		if (dot)
			s[len++] = '.';
		for (unsigned i = 0; i < fdig; i++, q /= 10) {
			if (!q)
				q = float_rand();
			s[len++] = (char)('0' + q % 10);
		}
		if ((r >> 14) % 4 == 0)
			len += (size_t)snprintf(s + len, sizeof(s) - len, "e%d",
						(int)((r >> 16) % 61) - 30);
		s[len] = '\0';
		float_same(s);
	}
	/* Go's syntax still rules: no hex through the fast path, no blanks,
	 * no underscore. */
	double v;
	ck_assert_int_eq(go_parse_float("0x10p0", 6, &v), 0);
	ck_assert(v == 16);
	ck_assert_int_eq(go_parse_float("1_0", 3, &v), -EINVAL);
	ck_assert_int_eq(go_parse_float(" 1", 2, &v), -EINVAL);
	ck_assert_int_eq(go_parse_float("1e", 2, &v), -EINVAL);
	ck_assert_int_eq(go_parse_float("1e400", 5, &v), -ERANGE);
	ck_assert_msg(float_bad == 0, "%zu differ from strtod, first %s",
		      float_bad, float_first_bad);
}
END_TEST

/* ---- meminfo: the remembered layout ---------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* One collector instance scraping a meminfo that changes under it gives,
 * every time, what a fresh instance (the full parse) gives on that file:
 * same keys with new values (the remembered layout), keys reordered,
 * renamed, repeated, gaining a unit, a broken file and back. */
START_TEST(test_meminfo_layout_changes)
{
	static const char *const files[] = {
		"MemTotal: 100 kB\nMemFree: 50 kB\nActive(anon): 7 kB\nHugePages_Total: 0\nSwap_total: 3 kB\n",
		"MemTotal: 101 kB\nMemFree: 49 kB\nActive(anon): 8 kB\nHugePages_Total: 1\nSwap_total: 4 kB\n",
		"MemFree: 48 kB\nMemTotal: 101 kB\nActive(anon): 8 kB\nHugePages_Total: 1\nSwap_total: 4 kB\n",
		"MemFree: 48 kB\nMemTotal: 101 kB\nActive(file): 9 kB\nHugePages_Total: 1\nSwap_total: 4 kB\n",
		"MemFree: 48 kB\nMemTotal: 101 kB\nActive(file): 9 kB\nHugePages_Total: 1 kB\nSwap_total: 4 kB\n",
		"MemFree: 48 kB\nMemTotal: 1 kB\nMemFree: 47 kB\n\nMemTotal: 2 kB\nZ: 5\n",
		"MemFree: 46 kB\nMemTotal: 1 kB\nMemFree: 45 kB\n\nMemTotal: 3 kB\nZ: 6\n",
		"MemFree: 46 kB\nMemTotal: 1 kB\nMemFree: 45 kB\nMemTotal: 3 kB\nZ: 6\nY: 1\n",
		"MemFree: 46 kB\nMemTotal: 1 kB\nMemFree: 45 kB\nMemTotal: 3 kB\nZ: 6\n",
		"MemFree: 46 kB\nMemTotal\n",
		"",
		"MemFree: 46 kB\nMemTotal: 1 kB\nMemFree: 45 kB\nMemTotal: 3 kB\nZ: 6\n",
		"MemFree: 46 kB\nMemTotal: 1 kB\nMemFree: 45 kB\nMemTotal: 3 kB\nZ: x\n",
		"MemFree: 46 kB\nMemTotal: 1 kB\nMemFree: 45 kB\nMemTotal: 3 kB\nZ: 7\n",
	};
	char dir[] = "/tmp/hw-meminfo.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/proc", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/meminfo", dir);
	/* A heap copy, so that a failed assertion (which skips the rest)
	 * still leaves teardown a config it can free. */
	char *saved = cfg.procfs;
	char procfs[PATH_MAX];
	snprintf(procfs, sizeof(procfs), "%s/proc", dir);
	cfg.procfs = strdup(procfs);
	struct hw_ctx ctx = {.cfg = &cfg};
	ck_assert_int_eq(collector_meminfo.init(&ctx), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		write_file(path, files[i]);
		struct capture_sink fresh;
		capture_init(&fresh);
		int want = run_collector(&collector_meminfo, &cfg, NULL, &fresh);
		capture_free(&cs);
		capture_init(&cs);
		int rc = collector_meminfo.collect(&ctx, &cs.sink);
		ck_assert_msg(rc == want, "file %zu: %d, fresh %d", i, rc, want);
		capture_assert_same(&cs, &fresh);
		capture_free(&fresh);
	}
	/* what the last one says, by hand */
	ck_assert(val("node_memory_MemFree_bytes") == 45 * 1024);
	ck_assert(val("node_memory_MemTotal_bytes") == 3 * 1024);
	ck_assert(val("node_memory_Z") == 7);
	collector_meminfo.fini(&ctx);
	buf_free(&ctx.buf);
	free(cfg.procfs);
	cfg.procfs = saved;
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

/* ---- the live /proc and /sys, through kept descriptors ---------------- */

/* Several scrapes of one instance of each collector on the real files:
 * every scrape succeeds with the same series, and the counters read through
 * the kept descriptors move. */
START_TEST(test_live_rescrape)
{
	static const struct collector *const cols[] = {
		&collector_cpu,      &collector_stat, &collector_loadavg,
		&collector_pressure, &collector_meminfo, &collector_time,
	};
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		struct hw_ctx ctx = {.cfg = &cfg};
		ck_assert_int_eq(cols[c]->init(&ctx), 0);
		size_t n = 0;
		double ctxt = 0;
		for (int i = 0; i < 3; i++) {
			capture_free(&cs);
			capture_init(&cs);
			int rc = cols[c]->collect(&ctx, &cs.sink);
			if (cols[c] == &collector_pressure && rc == -ENOENT)
				break; /* a kernel without PSI */
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(cs.violations, 0);
			ck_assert_uint_gt(cs.nsamples, 0);
			if (i)
				ck_assert_uint_eq(cs.nsamples, n);
			n = cs.nsamples;
			if (cols[c] == &collector_stat) {
				double v = val("node_context_switches_total");
				ck_assert(v > ctxt);
				ctxt = v;
				usleep(10000); /* a context switch or two */
			}
		}
		cols[c]->fini(&ctx);
		buf_free(&ctx.buf);
	}
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("collectors-proc");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cpu_fixture);
	tcase_add_test(tc, test_cpu_edge);
	tcase_add_test(tc, test_stat_fixture);
	tcase_add_test(tc, test_stat_edge);
	tcase_add_loop_test(tc, test_stat_broken, 0,
			    sizeof(stat_broken) / sizeof(stat_broken[0]));
	tcase_add_test(tc, test_loadavg);
	tcase_add_test(tc, test_pressure);
	tcase_add_test(tc, test_meminfo);
	tcase_add_test(tc, test_uname);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_os);
	tcase_add_test(tc, test_os_reread);
	tcase_add_test(tc, test_cpu_counter_cache);
	tcase_add_test(tc, test_exact_float);
	tcase_add_test(tc, test_meminfo_layout_changes);
	tcase_add_test(tc, test_live_rescrape);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
