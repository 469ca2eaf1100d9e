/* Unit tests for the cgroup collector and its reader (cgroup.h): every
 * value of both fixture trees (tests/fixtures/cgroup-v2, a v2 host, and
 * cgroup-v1, a hybrid host; kernel 6.18) against the numbers in the files,
 * worked out here; filters, depth and root; sample and label order; a cgroup
 * removed between the listing and the reading; malformed files; the
 * hierarchy discovery (directory layout, mount table, libcgroup on this
 * host). Includes the collector's sources to reach the test hook and the
 * mount-table parser. */
#include "../../src/collectors/cgroup.c"
#include "../../src/collectors/cgroup_layout.c"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

#define V2 FIXTURES "/cgroup-v2"
#define V1 FIXTURES "/cgroup-v1"
#define SYSFS FIXTURES "/cgroup-v1/sys"

static struct hw_config cfg;
static struct capture_sink cs;
static char tmpdir[256];
static double hz;

static void set(char **field, const char *v)
{
	free(*field);
	*field = v ? strdup(v) : NULL;
}

static void setup(void)
{
	config_defaults(&cfg);
	set(&cfg.sysfs, SYSFS);
	capture_init(&cs);
	tmpdir[0] = '\0';
	cg_test_hook = NULL;
	cg_max_cgroups = CG_MAX_CGROUPS;
	hz = (double)sysconf(_SC_CLK_TCK);
}

static void teardown(void)
{
	char cmd[512];
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	cg_test_hook = NULL;
	capture_free(&cs);
	config_free(&cfg);
}

#define val(key) capture_value(&cs, (key))
#define has(key) (capture_find(&cs, (key)) != NULL)
#define fam(name, help, type)                                                  \
	capture_assert_family(&cs, (name), (help), (type))

/* Run the collector on cgroupfs `tree`. */
static int run(const char *tree)
{
	set(&cfg.cgroupfs, tree);
	return capture_run(&cs, &collector_cgroup, &cfg, NULL);
}

/* A copy of a fixture tree in a fresh temporary directory: its path. */
static const char *copy_tree(const char *src)
{
	char cmd[1024];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hw-cgroup-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", src, tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	return tmpdir;
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* Samples of the family `name` are sorted by their id, which is their
 * last label. */
static void assert_sorted(const char *name)
{
	const char *prev = NULL;
	size_t n = strlen(name), count = 0;
	for (size_t i = 0; i < cs.nsamples; i++) {
		const char *k = cs.samples[i].key;
		if (strncmp(k, name, n) != 0 || k[n] != '{')
			continue;
		const char *id = strstr(k, "id=\"");
		ck_assert_ptr_nonnull(id);
		if (prev)
			ck_assert_msg(strcmp(prev, id) <= 0, "%s after %s", id,
				      prev);
		prev = id;
		count++;
	}
	ck_assert_uint_gt(count, 0);
}

/* ---- cgroup v2 ------------------------------------------------------------ */

START_TEST(test_v2_values)
{
	ck_assert_int_eq(run(V2), 0);
	fam("container_cpu_usage_seconds_total",
	    "Cumulative cpu time consumed in seconds.", HW_COUNTER);
	fam("container_cpu_user_seconds_total",
	    "Cumulative user cpu time consumed in seconds.", HW_COUNTER);
	fam("container_cpu_system_seconds_total",
	    "Cumulative system cpu time consumed in seconds.", HW_COUNTER);
	fam("container_cpu_cfs_periods_total",
	    "Number of elapsed enforcement period intervals.", HW_COUNTER);
	fam("container_cpu_cfs_throttled_periods_total",
	    "Number of throttled period intervals.", HW_COUNTER);
	fam("container_cpu_cfs_throttled_seconds_total",
	    "Total time duration the container has been throttled.",
	    HW_COUNTER);
	fam("container_memory_usage_bytes",
	    "Current memory usage in bytes, including all memory regardless of "
	    "when it was accessed",
	    HW_GAUGE);
	fam("container_memory_working_set_bytes",
	    "Current working set in bytes.", HW_GAUGE);
	fam("container_memory_rss", "Size of RSS in bytes.", HW_GAUGE);
	fam("container_memory_cache", "Number of bytes of page cache memory.",
	    HW_GAUGE);
	fam("container_memory_swap", "Container swap usage in bytes.",
	    HW_GAUGE);
	fam("container_spec_memory_limit_bytes",
	    "Memory limit for the container.", HW_GAUGE);
	fam("container_oom_events_total",
	    "Count of out of memory events observed for the container",
	    HW_COUNTER);
	ck_assert_int_eq(capture_family(&cs, "container_memory_events_high_total")->type,
			 HW_COUNTER);
	ck_assert_int_eq(capture_family(&cs, "container_memory_events_max_total")->type,
			 HW_COUNTER);
	fam("container_processes",
	    "Number of processes running inside the container.", HW_GAUGE);
	fam("container_threads",
	    "Number of threads running inside the container", HW_GAUGE);
	fam("container_fs_reads_bytes_total", "Cumulative count of bytes read",
	    HW_COUNTER);
	fam("container_fs_writes_bytes_total",
	    "Cumulative count of bytes written", HW_COUNTER);
	static const char *const psi[] = {
		"cpu_waiting", "cpu_stalled", "memory_waiting",
		"memory_stalled", "io_waiting", "io_stalled"};
	for (int i = 0; i < 6; i++) {
		char name[128];
		snprintf(name, sizeof(name),
			 "hostwatch_cgroup_pressure_%s_seconds_total", psi[i]);
		const struct capture_family *f = capture_family(&cs, name);
		ck_assert_msg(f != NULL, "missing %s", name);
		ck_assert_int_eq(f->type, HW_COUNTER);
		ck_assert_uint_eq(f->nsamples, 8);
	}

	/* nginx.service: cpu.stat usage_usec 88124011 user_usec 61002444
	 * system_usec 27121567, cpu.max "50000 100000": nr_periods 1208
	 * nr_throttled 97 throttled_usec 4102577 */
#define NGINX "id=\"/system.slice/nginx.service\""
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," NGINX "}") == 88124011 / 1e6);
	ck_assert(val("container_cpu_user_seconds_total{" NGINX "}") == 61002444 / 1e6);
	ck_assert(val("container_cpu_system_seconds_total{" NGINX "}") == 27121567 / 1e6);
	ck_assert(val("container_cpu_cfs_periods_total{" NGINX "}") == 1208);
	ck_assert(val("container_cpu_cfs_throttled_periods_total{" NGINX "}") == 97);
	ck_assert(val("container_cpu_cfs_throttled_seconds_total{" NGINX "}") == 4102577 / 1e6);
	/* memory.current 150994944, memory.stat anon 41943040 file 104857600
	 * inactive_file 73400320, memory.max 536870912, swap 0, events
	 * high 5 max 7 oom_kill 2 */
	ck_assert(val("container_memory_usage_bytes{" NGINX "}") == 150994944);
	ck_assert(val("container_memory_working_set_bytes{" NGINX "}") == 150994944.0 - 73400320);
	ck_assert(val("container_memory_rss{" NGINX "}") == 41943040);
	ck_assert(val("container_memory_cache{" NGINX "}") == 104857600);
	ck_assert(val("container_memory_swap{" NGINX "}") == 0);
	ck_assert(val("container_spec_memory_limit_bytes{" NGINX "}") == 536870912);
	ck_assert(val("container_oom_events_total{" NGINX "}") == 2);
	ck_assert(val("container_memory_events_high_total{" NGINX "}") == 5);
	ck_assert(val("container_memory_events_max_total{" NGINX "}") == 7);
	/* pids.current 9, three lines in cgroup.procs */
	ck_assert(val("container_threads{" NGINX "}") == 9);
	ck_assert(val("container_processes{" NGINX "}") == 3);
	/* io.stat: 8:16 (no uevent in sys/: the number) and 254:0 (vda) */
	ck_assert(val("container_fs_reads_bytes_total{device=\"/dev/vda\"," NGINX "}") == 52428800);
	ck_assert(val("container_fs_writes_bytes_total{device=\"/dev/vda\"," NGINX "}") == 209715200);
	ck_assert(val("container_fs_reads_bytes_total{device=\"8:16\"," NGINX "}") == 1048576);
	ck_assert(val("container_fs_writes_bytes_total{device=\"8:16\"," NGINX "}") == 0);
	/* cpu.pressure some 9133021 full 8102022, memory 10220 9001, io
	 * 55120 41200 (microseconds) */
	ck_assert(val("hostwatch_cgroup_pressure_cpu_waiting_seconds_total{" NGINX "}") == 9133021 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_cpu_stalled_seconds_total{" NGINX "}") == 8102022 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_memory_waiting_seconds_total{" NGINX "}") == 10220 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_memory_stalled_seconds_total{" NGINX "}") == 9001 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_io_waiting_seconds_total{" NGINX "}") == 55120 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_io_stalled_seconds_total{" NGINX "}") == 41200 / 1e6);

	/* ssh.service: cpu.max "max 100000": no CFS series; the real PSI
	 * files of a cgroup of the test VM */
#define SSH "id=\"/system.slice/ssh.service\""
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," SSH "}") == 375723 / 1e6);
	ck_assert(!has("container_cpu_cfs_periods_total{" SSH "}"));
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_cfs_periods_total{"), 1);
	ck_assert(val("container_memory_working_set_bytes{" SSH "}") == 6905856.0 - 2347008);
	ck_assert(val("container_spec_memory_limit_bytes{" SSH "}") == 0); /* max */
	ck_assert(val("hostwatch_cgroup_pressure_cpu_waiting_seconds_total{" SSH "}") == 418112 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_io_stalled_seconds_total{" SSH "}") == 4187 / 1e6);
	ck_assert(val("container_processes{" SSH "}") == 3);
	ck_assert(val("container_threads{" SSH "}") == 3);

	/* cron.service: inactive_file 3145728 > memory.current 2506752 */
#define CRON "id=\"/system.slice/cron.service\""
	ck_assert(val("container_memory_working_set_bytes{" CRON "}") == 0);
	ck_assert(val("container_memory_usage_bytes{" CRON "}") == 2506752);
	ck_assert(val("container_memory_swap{" CRON "}") == 1245184);
	/* an empty io.stat: no device, no sample */
	ck_assert_uint_eq(capture_count(&cs, "container_fs_reads_bytes_total{device=\"/dev/vda\"," CRON), 0);

	/* the root: cpu.stat, memory.stat, io.stat and PSI, but no
	 * memory.current, memory.max, memory.events or pids.current */
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\",id=\"/\"}") == 1531092093 / 1e6);
	ck_assert(val("container_cpu_user_seconds_total{id=\"/\"}") == 1281608305 / 1e6);
	ck_assert(val("container_memory_rss{id=\"/\"}") == 7938048);
	ck_assert(val("container_memory_cache{id=\"/\"}") == 1180549120);
	ck_assert(!has("container_memory_usage_bytes{id=\"/\"}"));
	ck_assert(!has("container_memory_working_set_bytes{id=\"/\"}"));
	ck_assert(!has("container_spec_memory_limit_bytes{id=\"/\"}"));
	ck_assert(!has("container_oom_events_total{id=\"/\"}"));
	ck_assert(!has("container_threads{id=\"/\"}"));
	ck_assert(val("container_processes{id=\"/\"}") == 5);
	ck_assert(val("container_fs_writes_bytes_total{device=\"/dev/vda\",id=\"/\"}") == 9123860480.0);
	ck_assert(val("hostwatch_cgroup_pressure_cpu_waiting_seconds_total{id=\"/\"}") == 125593887 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_io_waiting_seconds_total{id=\"/\"}") == 4638877 / 1e6);

	/* the default include (^/$ and .slice/.service), depth 3; gone.service
	 * has no files and is skipped */
	static const char *const ids[] = {
		"/", "/system.slice", "/system.slice/cron.service",
		"/system.slice/nginx.service", "/system.slice/ssh.service",
		"/user.slice", "/user.slice/user-1000.slice",
		"/user.slice/user-1000.slice/user@1000.service"};
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 8);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char key[256];
		snprintf(key, sizeof(key),
			 "container_cpu_usage_seconds_total{cpu=\"total\",id=\"%s\"}",
			 ids[i]);
		ck_assert_msg(has(key), "missing %s", key);
	}
	ck_assert_uint_eq(capture_count(&cs, "container_memory_usage_bytes{"), 7);
	ck_assert(val("container_memory_usage_bytes{id=\"/user.slice/user-1000.slice/user@1000.service\"}") == 48234496);
	/* samples in id order, every family */
	for (size_t f = 0; f < cs.nfamilies; f++)
		assert_sorted(cs.families[f].name);
}
END_TEST

START_TEST(test_v2_filters)
{
	/* no include: every cgroup down to depth 3 */
	set(&cfg.cgroup_include, NULL);
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 10);
	ck_assert(has("container_threads{id=\"/init.scope\"}"));
	ck_assert(val("container_processes{id=\"/user.slice/user-1000.slice/session-3.scope\"}") == 2);
	ck_assert(!has("container_threads{id=\"/user.slice/user-1000.slice/user@1000.service/app.slice\"}"));

	cfg.cgroup_max_depth = 4;
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 11);
	ck_assert(val("container_memory_usage_bytes{id=\"/user.slice/user-1000.slice/user@1000.service/app.slice\"}") == 21757952);

	cfg.cgroup_max_depth = 0;
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 1);
	ck_assert(has("container_cpu_usage_seconds_total{cpu=\"total\",id=\"/\"}"));

	/* the walk starts at root: ids stay the hierarchy's paths */
	cfg.cgroup_max_depth = 1;
	set(&cfg.cgroup_root, "/system.slice/");
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 4);
	ck_assert(has("container_threads{id=\"/system.slice\"}"));
	ck_assert(has("container_threads{id=\"/system.slice/nginx.service\"}"));
	ck_assert(!has("container_threads{id=\"/\"}"));
	cfg.cgroup_max_depth = 0;
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 1);
	/* a root that is not there: nothing, and no failure */
	set(&cfg.cgroup_root, "/nosuch.slice");
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(cs.nsamples, 0);

	/* include and exclude */
	cfg.cgroup_max_depth = 3;
	set(&cfg.cgroup_root, "/");
	set(&cfg.cgroup_include, "\\.service$");
	set(&cfg.cgroup_exclude, "nginx|user@");
	ck_assert_int_eq(run(V2), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 2);
	ck_assert(has("container_threads{id=\"/system.slice/ssh.service\"}"));
	ck_assert(has("container_threads{id=\"/system.slice/cron.service\"}"));
	/* no quota anywhere selected: no CFS family at all */
	ck_assert_ptr_null(capture_family(&cs, "container_cpu_cfs_periods_total"));
}
END_TEST

START_TEST(test_bad_options)
{
	set(&cfg.cgroup_include, "(");
	ck_assert_int_eq(run(V2), -EINVAL);
	set(&cfg.cgroup_include, NULL);
	set(&cfg.cgroup_exclude, "a[");
	ck_assert_int_eq(run(V2), -EINVAL);
	/* no hierarchy: the collector fails, the daemon goes on */
	set(&cfg.cgroup_exclude, NULL);
	ck_assert_int_eq(run(FIXTURES "/cgroup-v1/sys"), -ENOENT);
	ck_assert_int_eq(run(FIXTURES "/nosuch"), -ENOENT);
}
END_TEST

/* ---- a hybrid host (v1 controllers + unified) ----------------------------- */

START_TEST(test_v1_values)
{
	ck_assert_int_eq(run(V1), 0);
	/* v1 has no memory.events: no high/max families at all */
	ck_assert_ptr_null(capture_family(&cs, "container_memory_events_high_total"));
	ck_assert_ptr_null(capture_family(&cs, "container_memory_events_max_total"));

	/* ssh.service: the real files of this VM. cpuacct.usage 488724717
	 * ns; cpuacct.stat user 38 system 10 (USER_HZ); cfs_quota_us 50000:
	 * cpu.stat nr_periods 9 nr_throttled 7 throttled_time 249661478 ns */
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," SSH "}") == 488724717 / 1e9);
	ck_assert(val("container_cpu_user_seconds_total{" SSH "}") == 38 / hz);
	ck_assert(val("container_cpu_system_seconds_total{" SSH "}") == 10 / hz);
	ck_assert(val("container_cpu_cfs_periods_total{" SSH "}") == 9);
	ck_assert(val("container_cpu_cfs_throttled_periods_total{" SSH "}") == 7);
	ck_assert(val("container_cpu_cfs_throttled_seconds_total{" SSH "}") == 249661478 / 1e9);
	/* usage_in_bytes 52727808, memsw 52871168, total_rss 49307648,
	 * total_cache 2465792, total_inactive_file 2347008, unlimited */
	ck_assert(val("container_memory_usage_bytes{" SSH "}") == 52727808);
	ck_assert(val("container_memory_working_set_bytes{" SSH "}") == 52727808.0 - 2347008);
	ck_assert(val("container_memory_rss{" SSH "}") == 49307648);
	ck_assert(val("container_memory_cache{" SSH "}") == 2465792);
	ck_assert(val("container_memory_swap{" SSH "}") == 52871168.0 - 52727808);
	ck_assert(val("container_spec_memory_limit_bytes{" SSH "}") == 0);
	ck_assert(val("container_oom_events_total{" SSH "}") == 0);
	/* pids.current 3; cgroup.procs of the pids hierarchy: 3 lines */
	ck_assert(val("container_threads{" SSH "}") == 3);
	ck_assert(val("container_processes{" SSH "}") == 3);
	/* blkio.throttle.io_service_bytes_recursive 254:0 Read 4284416
	 * Write 2097152 */
	ck_assert(val("container_fs_reads_bytes_total{device=\"/dev/vda\"," SSH "}") == 4284416);
	ck_assert(val("container_fs_writes_bytes_total{device=\"/dev/vda\"," SSH "}") == 2097152);
	/* pressure from unified/system.slice/ssh.service */
	ck_assert(val("hostwatch_cgroup_pressure_cpu_waiting_seconds_total{" SSH "}") == 418112 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_cpu_stalled_seconds_total{" SSH "}") == 341343 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_io_waiting_seconds_total{" SSH "}") == 4187 / 1e6);
	ck_assert(val("hostwatch_cgroup_pressure_memory_waiting_seconds_total{" SSH "}") == 0);

	/* nginx.service: limit 536870912, oom_kill 2, swap 153092096 -
	 * 150994944, throttled_time 4102577123 ns, two devices */
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," NGINX "}") == 88124011345 / 1e9);
	ck_assert(val("container_cpu_user_seconds_total{" NGINX "}") == 6100 / hz);
	ck_assert(val("container_cpu_cfs_throttled_seconds_total{" NGINX "}") == 4102577123 / 1e9);
	ck_assert(val("container_spec_memory_limit_bytes{" NGINX "}") == 536870912);
	ck_assert(val("container_oom_events_total{" NGINX "}") == 2);
	ck_assert(val("container_memory_swap{" NGINX "}") == 153092096.0 - 150994944);
	ck_assert(val("container_memory_working_set_bytes{" NGINX "}") == 150994944.0 - 73400320);
	ck_assert(val("container_fs_reads_bytes_total{device=\"8:16\"," NGINX "}") == 1048576);
	ck_assert(val("container_fs_writes_bytes_total{device=\"/dev/vda\"," NGINX "}") == 209715200);

	/* cron.service: in cpuacct/memory/pids/blkio only: no CFS (not in
	 * cpu/), no pressure (not in unified/); working set clamps at 0 */
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," CRON "}") == 1022113000 / 1e9);
	ck_assert(!has("container_cpu_cfs_periods_total{" CRON "}"));
	ck_assert(!has("hostwatch_cgroup_pressure_cpu_waiting_seconds_total{" CRON "}"));
	ck_assert(val("container_memory_working_set_bytes{" CRON "}") == 0);

	/* only-unified.service: usage from unified cpu.stat (usec),
	 * processes from its cgroup.procs, pressure; nothing else */
#define ONLY "id=\"/system.slice/only-unified.service\""
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," ONLY "}") == 7002001 / 1e6);
	ck_assert(val("container_cpu_user_seconds_total{" ONLY "}") == 5000000 / 1e6);
	ck_assert(val("container_cpu_system_seconds_total{" ONLY "}") == 2002001 / 1e6);
	ck_assert(val("container_processes{" ONLY "}") == 2);
	ck_assert(val("hostwatch_cgroup_pressure_memory_waiting_seconds_total{" ONLY "}") == 301 / 1e6);
	ck_assert(!has("container_threads{" ONLY "}"));
	ck_assert(!has("container_memory_usage_bytes{" ONLY "}"));

	/* the real root cgroups: cpuacct.usage 2080006687638, cpuacct.stat
	 * user 178946 system 29052; memsw 1072930816 < usage 1078345728
	 * (read at different moments): swap 0; no pids.current at a v1 root;
	 * total_inactive_file 194469888 */
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\",id=\"/\"}") == 2080006687638 / 1e9);
	ck_assert(val("container_cpu_user_seconds_total{id=\"/\"}") == 178946 / hz);
	ck_assert(val("container_cpu_system_seconds_total{id=\"/\"}") == 29052 / hz);
	ck_assert(val("container_memory_usage_bytes{id=\"/\"}") == 1078345728);
	ck_assert(val("container_memory_working_set_bytes{id=\"/\"}") == 1078345728.0 - 194469888);
	ck_assert(val("container_memory_rss{id=\"/\"}") == 345923584);
	ck_assert(val("container_memory_cache{id=\"/\"}") == 732098560);
	ck_assert(val("container_memory_swap{id=\"/\"}") == 0);
	ck_assert(val("container_spec_memory_limit_bytes{id=\"/\"}") == 0);
	ck_assert(!has("container_threads{id=\"/\"}"));
	ck_assert(val("container_processes{id=\"/\"}") == 93);
	ck_assert(val("container_fs_reads_bytes_total{device=\"/dev/vda\",id=\"/\"}") == 378421248);
	ck_assert(val("hostwatch_cgroup_pressure_cpu_waiting_seconds_total{id=\"/\"}") == 125593887 / 1e6);
	ck_assert(!has("container_cpu_cfs_periods_total{id=\"/\"}")); /* -1 */

	/* the union of the hierarchies; session-3.scope filtered out,
	 * gone.service (memory/ only, no files) skipped */
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 8);
	ck_assert(has("container_memory_usage_bytes{id=\"/user.slice/user-1000.slice\"}"));
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{cpu=\"total\",id=\"/system.slice/gone"), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_memory_rss{"), 7);
	for (size_t f = 0; f < cs.nfamilies; f++)
		assert_sorted(cs.families[f].name);
}
END_TEST

/* ---- removed while walked ------------------------------------------------- */

static char hook_dir[512], hook_id[256];
static int hook_when;
static int hook_calls;

/* Remove <tmpdir>/<hook_dir> when the walk reaches hook_id at hook_when. */
static void hook_remove(const char *id, int when)
{
	char cmd[1024];
	if (when != hook_when || strcmp(id, hook_id) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", tmpdir, hook_dir);
	ck_assert_int_eq(system(cmd), 0);
	hook_calls++;
}

static void arm(const char *dir, const char *id, int when)
{
	snprintf(hook_dir, sizeof(hook_dir), "%s", dir);
	snprintf(hook_id, sizeof(hook_id), "%s", id);
	hook_when = when;
	hook_calls = 0;
	cg_test_hook = hook_remove;
}

START_TEST(test_vanish)
{
	/* listed with its parent, gone before it is opened */
	const char *t = copy_tree(V2);
	arm("system.slice/nginx.service", "/system.slice", CG_HOOK_LISTED);
	ck_assert_int_eq(run(t), 0);
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 7);
	ck_assert(!has("container_threads{" NGINX "}"));
	ck_assert(has("container_threads{" SSH "}"));
	ck_assert(has("container_threads{" CRON "}"));

	/* opened, gone before its files are read */
	arm("system.slice/ssh.service", "/system.slice/ssh.service",
	    CG_HOOK_OPENED);
	ck_assert_int_eq(run(t), 0);
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 6);
	ck_assert_uint_eq(capture_count(&cs, "container_memory_rss{" SSH), 0);

	/* a parent gone with its children before they are walked */
	arm("user.slice", "/user.slice", CG_HOOK_OPENED);
	ck_assert_int_eq(run(t), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 3);
	cg_test_hook = NULL;
}
END_TEST

START_TEST(test_vanish_v1)
{
	/* gone from one hierarchy: what the others have stays */
	const char *t = copy_tree(V1);
	arm("memory/system.slice/nginx.service", "/system.slice/nginx.service",
	    CG_HOOK_OPENED);
	hook_when = CG_HOOK_OPENED;
	ck_assert_int_eq(run(t), 0);
	/* cpuacct is walked first, then cpu, then memory */
	ck_assert_int_ge(hook_calls, 1);
	ck_assert(!has("container_memory_usage_bytes{" NGINX "}"));
	ck_assert(!has("container_memory_rss{" NGINX "}"));
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," NGINX "}") == 88124011345 / 1e9);
	ck_assert(val("container_threads{" NGINX "}") == 9);
	cg_test_hook = NULL;
}
END_TEST

/* ---- malformed files ------------------------------------------------------ */

static const struct {
	const char *tree, *file, *text;
} broken[] = {
	{V2, "system.slice/nginx.service/memory.current", "12x\n"},
	{V2, "system.slice/nginx.service/memory.current", "123"}, /* cut */
	{V2, "system.slice/nginx.service/memory.current", "\n"},
	{V2, "system.slice/nginx.service/memory.current", "18446744073709551616\n"},
	{V2, "system.slice/nginx.service/memory.max", "-1\n"},
	{V2, "system.slice/nginx.service/memory.stat", "anon 1\nfile 2\n"},
	{V2, "system.slice/nginx.service/memory.stat", "anon x\nfile 2\ninactive_file 3\n"},
	{V2, "system.slice/nginx.service/memory.stat", "garbage\n"},
	{V2, "system.slice/nginx.service/memory.events", "oom_kill\n"},
	{V2, "system.slice/nginx.service/cpu.stat", "user_usec 1\nsystem_usec 2\n"},
	/* quota set: the CFS keys must be there */
	{V2, "system.slice/nginx.service/cpu.stat", "usage_usec 3\nuser_usec 1\nsystem_usec 2\n"},
	{V2, "system.slice/nginx.service/cpu.max", "50000\n"},
	{V2, "system.slice/nginx.service/cpu.max", "lots 100000\n"},
	{V2, "system.slice/nginx.service/pids.current", "max\n"},
	{V2, "system.slice/nginx.service/cgroup.procs", "701\n702"},
	{V2, "system.slice/nginx.service/io.stat", "8:16 wbytes=1\n"},
	{V2, "system.slice/nginx.service/io.stat", "8:16 rbytes=x wbytes=1\n"},
	{V2, "system.slice/nginx.service/io.stat", "sda rbytes=1 wbytes=1\n"},
	{V2, "system.slice/nginx.service/cpu.pressure", "full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n"},
	{V2, "system.slice/nginx.service/io.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00\n"},
	{V2, "system.slice/nginx.service/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=-3\n"},
	{V1, "cpuacct/system.slice/nginx.service/cpuacct.usage", "1.5\n"},
	{V1, "cpuacct/system.slice/nginx.service/cpuacct.stat", "user 1\n"},
	{V1, "cpu/system.slice/nginx.service/cpu.cfs_quota_us", "-2\n"},
	{V1, "cpu/system.slice/nginx.service/cpu.stat", "nr_periods 1\n"},
	{V1, "memory/system.slice/nginx.service/memory.stat", "rss 1\ncache 2\n"},
	{V1, "memory/system.slice/nginx.service/memory.memsw.usage_in_bytes", "x\n"},
	{V1, "memory/system.slice/nginx.service/memory.oom_control", "oom_kill one\n"},
	{V1, "memory/system.slice/nginx.service/memory.limit_in_bytes", "unlimited\n"},
	{V1, "blkio/system.slice/nginx.service/blkio.throttle.io_service_bytes_recursive", "8:16 Read\n"},
	{V1, "blkio/system.slice/nginx.service/blkio.throttle.io_service_bytes_recursive", "8-16 Read 1\n"},
};

START_TEST(test_malformed)
{
	const char *t = copy_tree(broken[_i].tree);
	write_file(t, broken[_i].file, broken[_i].text);
	set(&cfg.cgroup_include, NULL);
	ck_assert_int_eq(run(t), -EINVAL);
	/* nothing half-read is written */
	ck_assert_uint_eq(cs.nsamples, 0);
}
END_TEST

START_TEST(test_limits)
{
	/* cAdvisor's rule: above 2^62 is unlimited */
	const char *t = copy_tree(V2);
	write_file(t, "system.slice/nginx.service/memory.max",
		   "4611686018427387904\n");
	write_file(t, "system.slice/ssh.service/memory.max",
		   "4611686018427391999\n");
	write_file(t, "system.slice/cron.service/memory.max",
		   "9223372036854710272\n"); /* PAGE_COUNTER_MAX, 64 KiB pages */
	ck_assert_int_eq(run(t), 0);
	ck_assert(val("container_spec_memory_limit_bytes{" NGINX "}") == 4611686018427387904.0);
	ck_assert(val("container_spec_memory_limit_bytes{" SSH "}") == 0);
	ck_assert(val("container_spec_memory_limit_bytes{" CRON "}") == 0);
	/* a v1 limit set, and the 4 KiB unlimited */
	ck_assert_int_eq(run(V1), 0);
	ck_assert(val("container_spec_memory_limit_bytes{" NGINX "}") == 536870912);
	ck_assert(val("container_spec_memory_limit_bytes{id=\"/system.slice\"}") == 0);
}
END_TEST

START_TEST(test_absent_files)
{
	/* a controller not enabled for a cgroup: its files are not there;
	 * the cgroup is still published with the rest */
	const char *t = copy_tree(V2);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/system.slice/nginx.service' && rm memory.* io.stat "
		 "pids.current cpu.max",
		 t);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run(t), 0);
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," NGINX "}") == 88124011 / 1e6);
	ck_assert(val("container_processes{" NGINX "}") == 3);
	ck_assert(!has("container_memory_usage_bytes{" NGINX "}"));
	ck_assert(!has("container_threads{" NGINX "}"));
	ck_assert(!has("container_cpu_cfs_periods_total{" NGINX "}"));
	/* no device in any io.stat: no fs family at all */
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -name io.stat -exec truncate -s0 {} +", t);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run(t), 0);
	ck_assert_ptr_null(capture_family(&cs, "container_fs_reads_bytes_total"));
	ck_assert_ptr_null(capture_family(&cs, "container_fs_writes_bytes_total"));
	/* no controller on the whole hierarchy: not even tried */
	write_file(t, "cgroup.controllers", "cpuset hugetlb\n");
	ck_assert_int_eq(run(t), 0);
	ck_assert_ptr_null(capture_family(&cs, "container_memory_usage_bytes"));
	ck_assert_ptr_null(capture_family(&cs, "container_threads"));
	ck_assert_ptr_null(capture_family(&cs, "container_fs_reads_bytes_total"));
	ck_assert(val("container_processes{" SSH "}") == 3);
	/* no PSI in the kernel */
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -name '*.pressure' -delete",
		 t);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run(t), 0);
	ck_assert_ptr_null(capture_family(&cs, "hostwatch_cgroup_pressure_cpu_waiting_seconds_total"));
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," SSH "}") == 375723 / 1e6);
}
END_TEST

START_TEST(test_many_processes)
{
	/* cgroup.procs longer than one read chunk is counted, not held */
	const char *t = copy_tree(V2);
	char path[1024];
	snprintf(path, sizeof(path), "%s/system.slice/nginx.service/cgroup.procs",
		 t);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 30000; i++)
		fprintf(f, "%d\n", 100000 + i);
	fclose(f);
	ck_assert_int_eq(run(t), 0);
	ck_assert(val("container_processes{" NGINX "}") == 30000);
}
END_TEST

START_TEST(test_many_cgroups)
{
	/* 300 more services: the table of paths grows; the order holds */
	const char *t = copy_tree(V2);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/system.slice' && for i in $(seq 300); do "
		 "mkdir s$i.service && cp nginx.service/* s$i.service/; done",
		 t);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run(t), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 308);
	ck_assert(val("container_memory_usage_bytes{id=\"/system.slice/s299.service\"}") == 150994944);
	assert_sorted("container_memory_rss");
	assert_sorted("container_fs_reads_bytes_total");
	/* the bound: the first cgroups walked are kept, the rest dropped */
	cg_max_cgroups = 5;
	ck_assert_int_eq(run(t), 0);
	ck_assert_uint_eq(capture_count(&cs, "container_cpu_usage_seconds_total{"), 5);
	cg_max_cgroups = CG_MAX_CGROUPS;
}
END_TEST

/* ---- the reader API by path (the Docker collector's) ---------------------- */

START_TEST(test_read_path)
{
	struct cgroup_layout l;
	struct cgroup_reader r;
	struct cgroup_stats st;
	cgroup_reader_init(&r);
	ck_assert_int_eq(cgroup_layout_discover(&l, V1, "/proc"), 0);
	const char *same[CGROUP_H_COUNT];
	for (int h = 0; h < CGROUP_H_COUNT; h++)
		same[h] = "/system.slice/nginx.service";
	ck_assert_int_eq(cgroup_read_path(&r, &l, same, &st), 0);
	ck_assert(st.v[CGROUP_F_CPU_USAGE] == 88124011345 / 1e9);
	ck_assert(st.v[CGROUP_F_CFS_PERIODS] == 1208);
	ck_assert(st.v[CGROUP_F_MEM_LIMIT] == 536870912);
	ck_assert(st.v[CGROUP_F_THREADS] == 9);
	ck_assert(st.v[CGROUP_F_PSI_CPU_SOME] == 9133021 / 1e6);
	ck_assert_uint_eq(st.io_n, 2);
	ck_assert_uint_eq(r.io[st.io_off + 1].wbytes, 209715200);
	ck_assert(!(st.have & CGROUP_HAVE(CGROUP_F_MEM_EVENTS_HIGH)));
	/* another path per hierarchy: memory from elsewhere */
	same[CGROUP_H_MEMORY] = "/system.slice/ssh.service";
	ck_assert_int_eq(cgroup_read_path(&r, &l, same, &st), 0);
	ck_assert(st.v[CGROUP_F_MEM_USAGE] == 52727808);
	for (int h = 0; h < CGROUP_H_COUNT; h++)
		same[h] = "/nosuch.service";
	ck_assert_int_eq(cgroup_read_path(&r, &l, same, &st), -ENOENT);
	cgroup_layout_free(&l);

	ck_assert_int_eq(cgroup_layout_discover(&l, V2, "/proc"), 0);
	for (int h = 0; h < CGROUP_H_COUNT; h++)
		same[h] = NULL;
	same[CGROUP_H_UNIFIED] = "system.slice/cron.service";
	ck_assert_int_eq(cgroup_read_path(&r, &l, same, &st), 0);
	ck_assert(st.v[CGROUP_F_MEM_SWAP] == 1245184);
	ck_assert(st.v[CGROUP_F_MEM_WORKING_SET] == 0);
	cgroup_layout_free(&l);
	cgroup_reader_free(&r);
}
END_TEST

START_TEST(test_devnames)
{
	struct cgroup_devnames d = {0};
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_str_eq(cgroup_devname(&d, &b, SYSFS, 254, 0), "/dev/vda");
	ck_assert_str_eq(cgroup_devname(&d, &b, SYSFS, 7, 0), "/dev/loop0");
	ck_assert_str_eq(cgroup_devname(&d, &b, SYSFS, 8, 16), "8:16");
	ck_assert_uint_eq(d.n, 3);
	/* cached: the same answer without the file */
	ck_assert_str_eq(cgroup_devname(&d, &b, "/nonexistent", 254, 0),
			 "/dev/vda");
	/* and read again after CGROUP_DEVNAME_TTL scrapes */
	d.generation += CGROUP_DEVNAME_TTL;
	ck_assert_str_eq(cgroup_devname(&d, &b, "/nonexistent", 254, 0),
			 "254:0");
	for (unsigned i = 0; i < 300; i++)
		cgroup_devname(&d, &b, "/nonexistent", 1000 + i, i);
	ck_assert_uint_le(d.n, CG_DEVNAMES_MAX);
	cgroup_devnames_free(&d);
	buf_free(&b);
}
END_TEST

/* ---- discovery ------------------------------------------------------------ */

START_TEST(test_layout_dir)
{
	struct cgroup_layout l;
	char desc[512];
	ck_assert_int_eq(cgroup_layout_discover(&l, V2, "/proc"), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.m[0].roles, 1u << CGROUP_H_UNIFIED);
	cgroup_layout_describe(&l, desc, sizeof(desc));
	ck_assert_str_eq(desc, "v2 " V2);
	cgroup_layout_free(&l);

	ck_assert_int_eq(cgroup_layout_discover(&l, V1, "/proc"), 0);
	ck_assert_uint_eq(l.n, 6);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_uint_eq(l.m[i].roles, 1u << i);
	ck_assert_str_eq(l.m[0].path, V1 "/cpuacct");
	ck_assert_str_eq(l.m[5].path, V1 "/unified");
	cgroup_layout_free(&l);

	/* cpu and cpuacct as links to one cpu,cpuacct mount; no unified */
	const char *t = copy_tree(V1);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && rm -rf cpu unified && mv cpuacct cpu,cpuacct && "
		 "ln -s cpu,cpuacct cpu && ln -s cpu,cpuacct cpuacct",
		 t);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(cgroup_layout_discover(&l, t, "/proc"), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.m[0].roles,
			  (1u << CGROUP_H_CPUACCT) | (1u << CGROUP_H_CPU));
	cgroup_layout_describe(&l, desc, sizeof(desc));
	ck_assert_ptr_nonnull(strstr(desc, "v1: cpuacct="));
	cgroup_layout_free(&l);
	/* ...walked once for both */
	ck_assert_int_eq(run(t), 0);
	ck_assert(val("container_cpu_usage_seconds_total{cpu=\"total\"," SSH "}") == 488724717 / 1e9);
	ck_assert(!has("container_cpu_cfs_periods_total{" SSH "}")); /* no cpu files there */
	ck_assert_ptr_null(capture_family(&cs, "hostwatch_cgroup_pressure_cpu_waiting_seconds_total"));
}
END_TEST

START_TEST(test_layout_mountinfo)
{
	const char *t = copy_tree(V2);
	char proc[512];
	snprintf(proc, sizeof(proc), "%s/proc", t);
	ck_assert_int_eq(mkdir(proc, 0755), 0);
	strcat(proc, "/self");
	ck_assert_int_eq(mkdir(proc, 0755), 0);
	write_file(proc, "mountinfo",
		   "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
		   "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
		   "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
		   "33 31 0:30 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n"
		   "34 31 0:31 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
		   "35 31 0:32 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
		   "36 31 0:33 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
		   "37 31 0:34 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
		   "38 31 0:35 / /other/unified rw - cgroup2 cgroup2 rw\n"
		   "39 31 0:36 / /other/memory rw - cgroup cgroup rw,memory\n");
	struct cgroup_layout l = {0};
	snprintf(proc, sizeof(proc), "%s/proc", t);
	ck_assert_int_eq(cg_discover_mountinfo(&l, proc, (1u << CGROUP_H_COUNT) - 1), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.m[0].path, "/sys/fs/cgroup/cpu,cpuacct");
	ck_assert_uint_eq(l.m[0].roles,
			  (1u << CGROUP_H_CPUACCT) | (1u << CGROUP_H_CPU));
	ck_assert_str_eq(l.m[1].path, "/mnt/my cgroups");
	ck_assert_uint_eq(l.m[1].roles, 1u << CGROUP_H_MEMORY);
	ck_assert_str_eq(l.m[2].path, "/sys/fs/cgroup/pids");
	ck_assert_str_eq(l.m[3].path, "/sys/fs/cgroup/unified");
	ck_assert_uint_eq(l.m[3].roles, 1u << CGROUP_H_UNIFIED);
	cgroup_layout_free(&l);
	/* only the unified one asked for */
	ck_assert_int_eq(cg_discover_mountinfo(&l, proc, 1u << CGROUP_H_UNIFIED), 0);
	ck_assert_uint_eq(l.n, 1);
	cgroup_layout_free(&l);
	/* no mount table: nothing, no failure */
	ck_assert_int_eq(cg_discover_mountinfo(&l, "/nonexistent", 0x3f), 0);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* libcgroup (dlopen()ed) finds what the mount table says, on this host. */
START_TEST(test_layout_live)
{
	struct cgroup_layout lib, mi = {0};
	ck_assert_int_eq(cgroup_layout_discover(&lib, NULL, "/proc"), 0);
	ck_assert_int_eq(cg_discover_mountinfo(&mi, "/proc",
					       (1u << CGROUP_H_COUNT) - 1),
			 0);
	char a[1024], b[1024];
	cgroup_layout_describe(&lib, a, sizeof(a));
	cgroup_layout_describe(&mi, b, sizeof(b));
	ck_assert_str_eq(a, b);
	/* libcgroup is closed again */
	ck_assert_ptr_null(dlopen(LIBCGROUP_SONAME, RTLD_NOW | RTLD_NOLOAD));
	cgroup_layout_free(&lib);
	cgroup_layout_free(&mi);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_v2_values);
	tcase_add_test(tc, test_v2_filters);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_v1_values);
	tcase_add_test(tc, test_vanish);
	tcase_add_test(tc, test_vanish_v1);
	tcase_add_loop_test(tc, test_malformed, 0,
			    sizeof(broken) / sizeof(broken[0]));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_absent_files);
	tcase_add_test(tc, test_many_processes);
	tcase_add_test(tc, test_many_cgroups);
	tcase_add_test(tc, test_read_path);
	tcase_add_test(tc, test_devnames);
	tcase_add_test(tc, test_layout_dir);
	tcase_add_test(tc, test_layout_mountinfo);
	tcase_add_test(tc, test_layout_live);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cgroup_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
