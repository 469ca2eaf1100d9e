/* Unit tests for the process_groups collector, on tests/fixtures/procgroups
 * (files written the way Linux 6.18 writes them; see its README) and on
 * temporary copies of it changed between two scans: a process exits, a new
 * one appears, a PID is reused, a pid file changes. The collector's
 * internal header gives the parsers, and the state in which a test makes a
 * fixture tree trusted like procfs (inode numbers as identity). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/collectors/procgroups.h"
#include "testutil.h"

extern const struct collector collector_process_groups;

#define FIX FIXTURES "/procgroups"
#define BTIME 1795273142.0

static struct hw_config cfg;
static struct capture_sink cs;
static struct hw_ctx ctx;
static bool started;
static int incremental; /* pg_state.force_incremental for start() */
static char tmp[256]; /* a scratch directory, removed by teardown */

static void setup(void)
{
	config_defaults(&cfg);
	capture_init(&cs);
	memset(&ctx, 0, sizeof(ctx));
	started = false;
	incremental = -1;
	snprintf(tmp, sizeof(tmp), "/tmp/hw-pg-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void stop(void)
{
	if (started)
		collector_process_groups.fini(&ctx);
	buf_free(&ctx.buf);
	memset(&ctx, 0, sizeof(ctx));
	started = false;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void teardown(void)
{
	stop();
	capture_free(&cs);
	config_free(&cfg);
	sh("rm -rf '%s'", tmp);
}

/* A [process NAME] section; NULL leaves a selector out, uid < 0 too. */
static void group(const char *name, const char *comm, const char *exe,
		  const char *cmdline, const char *cgroup, const char *pidfile,
		  long uid)
{
	cfg.procgroups = realloc(cfg.procgroups, (cfg.n_procgroups + 1) *
							 sizeof(*cfg.procgroups));
	struct hw_procgroup *g = &cfg.procgroups[cfg.n_procgroups++];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	g->comm = comm ? strdup(comm) : NULL;
	g->exe = exe ? strdup(exe) : NULL;
	g->cmdline = cmdline ? strdup(cmdline) : NULL;
	g->cgroup = cgroup ? strdup(cgroup) : NULL;
	g->pidfile = pidfile ? strdup(pidfile) : NULL;
	if (uid >= 0) {
		char u[24];
		snprintf(u, sizeof(u), "%ld", uid);
		g->user = strdup(u);
		g->uid = (unsigned)uid;
		g->has_user = true;
	}
	g->line = cfg.n_procgroups;
}

/* init on procfs = proc; trust: -1 as the filesystem says, 0/1 forced. */
static void start(const char *proc, int trust)
{
	free(cfg.procfs);
	cfg.procfs = strdup(proc);
	ctx.cfg = &cfg;
	ck_assert_int_eq(collector_process_groups.init(&ctx), 0);
	started = true;
	if (ctx.priv) {
		((struct pg_state *)ctx.priv)->force_trust_ino = trust;
		((struct pg_state *)ctx.priv)->force_incremental = incremental;
	}
}

static int scan(void)
{
	capture_free(&cs);
	capture_init(&cs);
	int rc = collector_process_groups.collect(&ctx, &cs.sink);
	ck_assert_int_eq(cs.violations, 0);
	return rc;
}

/* The value of one series of group g. */
static double gv(const char *family, const char *g, const char *label,
		 const char *value)
{
	char key[512];
	if (label)
		snprintf(key, sizeof(key), "%s{groupname=\"%s\",%s=\"%s\"}",
			 family, g, label, value);
	else
		snprintf(key, sizeof(key), "%s{groupname=\"%s\"}", family, g);
	return capture_value(&cs, key);
}

#define NPROCS(g) gv("namedprocess_namegroup_num_procs", g, NULL, NULL)
#define UP(g) gv("hostwatch_process_group_up", g, NULL, NULL)
#define RESTARTS(g) gv("hostwatch_process_group_restarts_total", g, NULL, NULL)
#define CPU(g, m) gv("namedprocess_namegroup_cpu_seconds_total", g, "mode", m)
#define MEM(g, t) gv("namedprocess_namegroup_memory_bytes", g, "memtype", t)
#define STATE(g, s) gv("namedprocess_namegroup_states", g, "state", s)
#define FDS(g) gv("namedprocess_namegroup_open_filedesc", g, NULL, NULL)
#define THREADS(g) gv("namedprocess_namegroup_num_threads", g, NULL, NULL)
#define OLDEST(g)                                                              \
	gv("namedprocess_namegroup_oldest_start_time_seconds", g, NULL, NULL)

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* <proc>/loadavg saying that the PID allocator last handed out pid. */
static void set_loadavg(const char *proc, int pid)
{
	char path[512], line[64];
	snprintf(path, sizeof(path), "%s/loadavg", proc);
	int n = snprintf(line, sizeof(line), "0.00 0.01 0.05 1/75 %d\n", pid);
	write_file(path, line, (size_t)n);
}

/* A copy of the fixture tree to change; its proc directory. Its loadavg
 * (for an incremental listing) names its highest PID. */
static const char *copy_fixture(void)
{
	static char proc[300];
	sh("cp -a '%s' '%s/t'", FIX, tmp);
	snprintf(proc, sizeof(proc), "%s/t/proc", tmp);
	set_loadavg(proc, 600);
	return proc;
}

/* Rewrite <proc>/<pid>/stat as the kernel would for these values. */
static void write_stat(const char *proc, int pid, const char *comm,
		       char state, unsigned utime, unsigned stime,
		       unsigned long long start)
{
	char path[512], line[1024];
	snprintf(path, sizeof(path), "%s/%d/stat", proc, pid);
	int n = snprintf(line, sizeof(line),
			 "%d (%s) %c 1 %d %d 0 -1 4194368 80 0 0 0 %u %u 0 0 "
			 "20 0 1 0 %llu 10000000 1000 18446744073709551615 0 0 "
			 "0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			 pid, comm, state, pid, pid, utime, stime, start);
	write_file(path, line, (size_t)n);
}

/* A new process directory <proc>/<pid>, copied from the fixture's 200
 * (nginx) with its own stat. mkdir before anything is removed, so a new
 * directory never gets a removed one's inode number. */
static void new_proc(const char *proc, int pid, const char *comm,
		     unsigned utime, unsigned long long start)
{
	sh("cp -a '%s/proc/200' '%s/%d'", FIX, proc, pid);
	write_stat(proc, pid, comm, 'S', utime, 0, start);
	set_loadavg(proc, pid); /* the allocator handed it out */
}

/* ---- parsers ------------------------------------------------------------ */

START_TEST(test_parse_stat)
{
	struct pg_stat st;
	/* this VM's bash, kernel 6.18.44 */
	ck_assert_int_eq(
		pg_parse_stat("5851 (bash) S 5849 5849 20892 0 -1 4194368 80 0 "
			      "0 0 7 3 0 0 20 0 1 0 306877 4718592 396 "
			      "18446744073709551615 94583833157632 0 0\n",
			      &st),
		0);
	ck_assert_str_eq(st.comm, "bash");
	ck_assert_int_eq(st.state, 'S');
	ck_assert_uint_eq(st.utime, 7);
	ck_assert_uint_eq(st.stime, 3);
	ck_assert_uint_eq(st.num_threads, 1);
	ck_assert_uint_eq(st.start, 306877);
	ck_assert_uint_eq(st.vsize, 4718592);
	ck_assert_uint_eq(st.rss, 396);
	/* ")" and blanks inside the name: the last ')' ends it */
	ck_assert_int_eq(pg_parse_stat("7 (a) b) R (c)) R 1 1 1 0 -1 0 0 0 0 "
				       "0 5 6 0 0 20 0 2 0 99 1 2\n",
				       &st),
			 0);
	ck_assert_str_eq(st.comm, "a) b) R (c)");
	ck_assert_int_eq(st.state, 'R');
	ck_assert_uint_eq(st.utime, 5);
	ck_assert_uint_eq(st.start, 99);
	ck_assert_uint_eq(st.rss, 2);
	/* a newline in a name (prctl PR_SET_NAME allows it) */
	ck_assert_int_eq(pg_parse_stat("8 (x\ny) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 "
				       "0 20 0 1 0 5 0 0\n",
				       &st),
			 0);
	ck_assert_str_eq(st.comm, "x\ny");
	ck_assert_int_eq(st.state, 'Z');
	/* broken */
	ck_assert_int_eq(pg_parse_stat("", &st), -EINVAL);
	ck_assert_int_eq(pg_parse_stat("1 (init S 1 2 3\n", &st), -EINVAL);
	ck_assert_int_eq(pg_parse_stat("1 (init)\n", &st), -EINVAL);
	ck_assert_int_eq(pg_parse_stat("1 (init) S 1 1 1 0 -1 0 0 0 0 0 5\n",
				       &st),
			 -EINVAL);
	ck_assert_int_eq(pg_parse_stat("1 (init) S 1 1 1 0 -1 0 0 0 0 0 x 6 0 "
				       "0 20 0 1 0 5 0 0\n",
				       &st),
			 -EINVAL);
	ck_assert_int_eq(pg_parse_stat("1 (init) S 1 1 1 0 -1 0 0 0 0 0 "
				       "18446744073709551616 6 0 0 20 0 1 0 5 "
				       "0 0\n",
				       &st),
			 -ERANGE);
}
END_TEST

START_TEST(test_parse_status_cmdline_cgroup)
{
	uint64_t kb = 7;
	unsigned uid = 7;
	ck_assert_int_eq(pg_parse_status_swap("Name:\tx\nVmSwap:\t    2048 kB\n",
					      &kb),
			 0);
	ck_assert_uint_eq(kb, 2048);
	ck_assert_int_eq(pg_parse_status_swap("Name:\tkthreadd\nThreads:\t1\n",
					      &kb),
			 0);
	ck_assert_uint_eq(kb, 0);
	ck_assert_int_eq(pg_parse_status_swap("VmSwap:\tlots\n", &kb), -EINVAL);
	ck_assert_int_eq(pg_parse_status_euid("Uid:\t0\t1000\t1000\t1000\n",
					      &uid),
			 0);
	ck_assert_uint_eq(uid, 1000);
	ck_assert_int_eq(pg_parse_status_euid("Gid:\t0\t0\t0\t0\n", &uid),
			 -EINVAL);

	char c1[] = "/usr/bin/python3\0-m\0uvicorn\0\0x\0\0\0";
	pg_cmdline_join(c1, sizeof(c1) - 1);
	ck_assert_str_eq(c1, "/usr/bin/python3 -m uvicorn  x");
	char c2[] = "nginx: worker process";
	pg_cmdline_join(c2, sizeof(c2) - 1);
	ck_assert_str_eq(c2, "nginx: worker process");
	char c3[] = "\0\0";
	pg_cmdline_join(c3, 2);
	ck_assert_str_eq(c3, "");

	char v2[] = "0::/system.slice/ssh.service\n";
	ck_assert_str_eq(pg_cgroup_path(v2), "/system.slice/ssh.service");
	char hybrid[] = "2:cpu,cpuacct:/a\n1:name=systemd:/b.service\n0::/c\n";
	ck_assert_str_eq(pg_cgroup_path(hybrid), "/c");
	char v1[] = "3:memory:/x\n1:name=systemd:/system.slice/api.service\n";
	ck_assert_str_eq(pg_cgroup_path(v1), "/system.slice/api.service");
	char none[] = "3:memory:/x\n2:cpu:/y\n";
	ck_assert_ptr_null(pg_cgroup_path(none));
	char empty[] = "";
	ck_assert_ptr_null(pg_cgroup_path(empty));
}
END_TEST

/* ---- matching ----------------------------------------------------------- */

START_TEST(test_no_groups)
{
	/* Nothing configured: nothing read, nothing published. */
	start("/nonexistent-procfs", -1);
	ck_assert_ptr_null(ctx.priv);
	ck_assert_int_eq(scan(), 0);
	ck_assert_uint_eq(cs.nsamples, 0);
	ck_assert_uint_eq(cs.nfamilies, 0);
}
END_TEST

/* One group per selector; values worked out by hand from the fixture. */
START_TEST(test_each_selector)
{
	char pidfile[300];
	snprintf(pidfile, sizeof(pidfile), "%s/sshd.pid", tmp);
	write_file(pidfile, "100\n", 4);
	group("ssh", NULL, NULL, NULL, NULL, pidfile, -1);
	group("nginx", "^nginx$", NULL, NULL, NULL, NULL, -1);
	group("app", NULL, "^/opt/app/", NULL, NULL, NULL, -1);
	group("uvicorn", NULL, NULL, "-m uvicorn", NULL, NULL, -1);
	group("unattended", NULL, NULL, NULL, "unattended-upgrades\\.service$",
	      NULL, -1);
	group("euid1000", NULL, NULL, NULL, NULL, NULL, 1000);
	group("kworkers", "^kworker/", NULL, NULL, NULL, NULL, -1);
	group("empty", "^no-such-process$", NULL, NULL, NULL, NULL, -1);
	start(FIX "/proc", -1);
	ck_assert_int_eq(scan(), 0);

	capture_assert_family(&cs, "namedprocess_namegroup_num_procs",
			      "number of processes in this group", HW_GAUGE);
	capture_assert_family(&cs, "namedprocess_namegroup_cpu_seconds_total",
			      "Cpu user usage in seconds", HW_COUNTER);
	capture_assert_family(&cs, "namedprocess_namegroup_memory_bytes",
			      "number of bytes of memory in use", HW_GAUGE);
	capture_assert_family(&cs, "namedprocess_namegroup_open_filedesc",
			      "number of open file descriptors for this group",
			      HW_GAUGE);
	capture_assert_family(&cs, "namedprocess_namegroup_num_threads",
			      "Number of threads", HW_GAUGE);
	capture_assert_family(
		&cs, "namedprocess_namegroup_oldest_start_time_seconds",
		"start time in seconds since 1970/01/01 of oldest process in "
		"group",
		HW_GAUGE);
	capture_assert_family(&cs, "namedprocess_namegroup_states",
			      "Number of processes in states Running, "
			      "Sleeping, Waiting, Zombie, or Other",
			      HW_GAUGE);
	capture_assert_family(&cs, "hostwatch_process_group_up",
			      "1 while at least one process matches the "
			      "group, 0 when none does.",
			      HW_GAUGE);
	capture_assert_family(&cs, "hostwatch_process_group_restarts_total",
			      "Times every process of the group had gone and "
			      "new ones matched (a restart).",
			      HW_COUNTER);
	/* 8 groups: 1+1+2+3+1+1+1+1+5 series each */
	ck_assert_uint_eq(cs.nsamples, 8 * 16);
	ck_assert_uint_eq(cs.nfamilies, 9);

	double page = (double)sysconf(_SC_PAGESIZE);
	/* nginx: 200 (S), 201 (R), 202 (S) by comm */
	ck_assert(NPROCS("nginx") == 3);
	ck_assert(UP("nginx") == 1);
	ck_assert(RESTARTS("nginx") == 0);
	ck_assert(CPU("nginx", "user") == 8.5);   /* (150+400+300)/100 */
	ck_assert(CPU("nginx", "system") == 3.5); /* (50+100+200)/100 */
	ck_assert(MEM("nginx", "resident") == 4500 * page);
	ck_assert(MEM("nginx", "virtual") == 32000000);
	ck_assert(MEM("nginx", "swapped") == 100 * 1024);
	ck_assert(FDS("nginx") == 11);
	ck_assert(THREADS("nginx") == 3);
	ck_assert(OLDEST("nginx") == BTIME + 10); /* start 1000 ticks */
	ck_assert(STATE("nginx", "Running") == 1);
	ck_assert(STATE("nginx", "Sleeping") == 2);
	ck_assert(STATE("nginx", "Waiting") == 0);
	ck_assert(STATE("nginx", "Zombie") == 0);
	ck_assert(STATE("nginx", "Other") == 0);
	/* ssh: the PID in the pid file */
	ck_assert(NPROCS("ssh") == 1);
	ck_assert(FDS("ssh") == 5);
	ck_assert(CPU("ssh", "system") == 0.3);
	/* app: by exe; its name is "my) app (x", state D */
	ck_assert(NPROCS("app") == 1);
	ck_assert(STATE("app", "Waiting") == 1);
	ck_assert(THREADS("app") == 4);
	ck_assert(MEM("app", "swapped") == 512 * 1024);
	ck_assert(CPU("app", "user") == 12.34);
	ck_assert(CPU("app", "system") == 5.67);
	ck_assert(OLDEST("app") == BTIME + 50);
	/* uvicorn: by the joined command line */
	ck_assert(NPROCS("uvicorn") == 1);
	ck_assert(MEM("uvicorn", "swapped") == 2048 * 1024);
	ck_assert(FDS("uvicorn") == 5);
	/* unattended: by the 0:: line of a hybrid host's cgroup file; start
	 * 7100 ticks = 71 s after boot */
	ck_assert(NPROCS("unattended") == 1);
	ck_assert(OLDEST("unattended") == BTIME + 71);
	/* euid1000: what the earlier groups left with effective uid 1000:
	 * the zombie 500 and 600 (real uid 0, effective 1000) */
	ck_assert(NPROCS("euid1000") == 2);
	ck_assert(STATE("euid1000", "Zombie") == 1);
	ck_assert(STATE("euid1000", "Sleeping") == 1);
	ck_assert(FDS("euid1000") == 6); /* the zombie's fd/ holds a .keep */
	ck_assert(THREADS("euid1000") == 9);
	ck_assert(MEM("euid1000", "resident") == 7000 * page);
	ck_assert(OLDEST("euid1000") == BTIME + 80);
	/* kworkers: a kernel thread in state I is Other */
	ck_assert(NPROCS("kworkers") == 1);
	ck_assert(STATE("kworkers", "Other") == 1);
	ck_assert(MEM("kworkers", "virtual") == 0);
	/* empty: every series, zero */
	ck_assert(NPROCS("empty") == 0);
	ck_assert(UP("empty") == 0);
	ck_assert(OLDEST("empty") == 0);
	ck_assert(CPU("empty", "user") == 0);
	ck_assert(STATE("empty", "Other") == 0);
	ck_assert(MEM("empty", "virtual") == 0);

	/* Samples sorted by group name, then the other label. */
	static const char *const order[] = {
		"namedprocess_namegroup_states{groupname=\"app\",state=\"Other\"}",
		"namedprocess_namegroup_states{groupname=\"app\",state=\"Running\"}",
		"namedprocess_namegroup_states{groupname=\"app\",state=\"Sleeping\"}",
		"namedprocess_namegroup_states{groupname=\"app\",state=\"Waiting\"}",
		"namedprocess_namegroup_states{groupname=\"app\",state=\"Zombie\"}",
		"namedprocess_namegroup_states{groupname=\"empty\",state=\"Other\"}",
	};
	size_t first = 0;
	while (first < cs.nsamples && strcmp(cs.samples[first].key, order[0]))
		first++;
	ck_assert_uint_lt(first + 6, cs.nsamples + 1);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(cs.samples[first + i].key, order[i]);
	ck_assert_str_eq(cs.samples[0].key,
			 "hostwatch_process_group_restarts_total{groupname=\"app\"}");
	ck_assert_str_eq(cs.samples[7].key,
			 "hostwatch_process_group_restarts_total{groupname=\"uvicorn\"}");
	ck_assert_str_eq(
		cs.samples[16].key,
		"namedprocess_namegroup_cpu_seconds_total{groupname=\"app\",mode=\"system\"}");
	ck_assert_str_eq(
		cs.samples[17].key,
		"namedprocess_namegroup_cpu_seconds_total{groupname=\"app\",mode=\"user\"}");
	ck_assert_str_eq(
		cs.samples[32].key,
		"namedprocess_namegroup_memory_bytes{groupname=\"app\",memtype=\"resident\"}");
	ck_assert_str_eq(
		cs.samples[34].key,
		"namedprocess_namegroup_memory_bytes{groupname=\"app\",memtype=\"virtual\"}");
}
END_TEST

/* Every selector a section gives must match; the first section wins. */
START_TEST(test_and_first_wins)
{
	group("py-root", "^python3$", NULL, NULL, NULL, NULL, 0);
	group("nginx-workers", "^nginx$", NULL, NULL, NULL, NULL, 33);
	group("nginx-rest", "^nginx$", NULL, "master", NULL, NULL, -1);
	group("api", NULL, "python", NULL, "^/system\\.slice/api\\.service$",
	      NULL, -1);
	group("never", "^sshd$", "sshd$", "sshd", "ssh\\.service", NULL, 1000);
	group("aa-later", "^(nginx|python3)$", NULL, NULL, NULL, NULL, -1);
	group("noexe", "^kthreadd$", ".", NULL, NULL, NULL, -1);
	group("comm-paren", "^my\\) app \\(x$", NULL, NULL, NULL, NULL, -1);
	start(FIX "/proc", -1);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("py-root") == 1);       /* 401; 400 is euid 1000 */
	ck_assert(CPU("py-root", "user") == 0.1);
	ck_assert(NPROCS("nginx-workers") == 2); /* 201, 202 */
	ck_assert(NPROCS("nginx-rest") == 1);    /* 200 */
	ck_assert(NPROCS("api") == 1); /* 400, by a v1 name=systemd line */
	ck_assert(NPROCS("never") == 0);
	/* everything it selects went to earlier sections */
	ck_assert(NPROCS("aa-later") == 0);
	/* a kernel thread has no exe: an exe selector never matches it */
	ck_assert(NPROCS("noexe") == 0);
	ck_assert(NPROCS("comm-paren") == 1);
	ck_assert(STATE("comm-paren", "Waiting") == 1);
}
END_TEST

/* ---- changes between scans ---------------------------------------------- */

/* The scans of a test run with the incremental listing were incremental
 * ones, and the others were not. */
static void assert_listings(void)
{
	const struct pg_state *st = ctx.priv;
	if (incremental == 1)
		ck_assert_msg(st->incremental && !st->listed_all &&
				      st->since_full > 0,
			      "the last scan listed all of the tree");
	else
		ck_assert(!st->incremental && st->listed_all);
}

/* CPU stays a counter when processes exit; the restart rule. Run with
 * every PID's stat read (fixture trees, trust 0), with inode numbers
 * trusted as on procfs (trust 1), and with that and the incremental
 * listing (2). */
START_TEST(test_exit_and_restart)
{
	int trust = _i > 0;
	incremental = _i == 2 ? 1 : -1;
	const char *proc = copy_fixture();
	char path[512];
	group("nginx", "^nginx$", NULL, NULL, NULL, NULL, -1);
	group("app", NULL, "^/opt/app/", NULL, NULL, NULL, -1);
	start(proc, trust);

	ck_assert_int_eq(scan(), 0); /* first appearance: not a restart */
	ck_assert(CPU("nginx", "user") == 8.5);
	ck_assert(RESTARTS("nginx") == 0);

	write_stat(proc, 201, "nginx", 'R', 500, 100, 1100);
	ck_assert_int_eq(scan(), 0);
	ck_assert(CPU("nginx", "user") == 9.5);

	/* 201 exits: its CPU stays in the counter */
	snprintf(path, sizeof(path), "rm -rf '%s/201'", proc);
	sh("%s", path);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("nginx") == 2);
	ck_assert(CPU("nginx", "user") == 9.5);
	ck_assert(CPU("nginx", "system") == 3.5);
	ck_assert(OLDEST("nginx") == BTIME + 10);
	ck_assert(RESTARTS("nginx") == 0); /* 200 and 202 stayed */

	/* the rest exits: empty, down, counter kept */
	sh("rm -rf '%s/200' '%s/202'", proc, proc);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("nginx") == 0);
	ck_assert(UP("nginx") == 0);
	ck_assert(OLDEST("nginx") == 0);
	ck_assert(CPU("nginx", "user") == 9.5);
	ck_assert(RESTARTS("nginx") == 0);

	/* empty -> a new process: one restart */
	new_proc(proc, 700, "nginx", 10, 20000);
	ck_assert_int_eq(scan(), 0);
	ck_assert(UP("nginx") == 1);
	ck_assert(RESTARTS("nginx") == 1);
	ck_assert(CPU("nginx", "user") == 9.6);
	ck_assert(OLDEST("nginx") == BTIME + 200);
	/* the same process again: no restart */
	ck_assert_int_eq(scan(), 0);
	ck_assert(RESTARTS("nginx") == 1);

	/* 700 replaced by 701 between two scans, never seen empty: one */
	new_proc(proc, 701, "nginx", 20, 21000);
	sh("rm -rf '%s/700'", proc);
	ck_assert_int_eq(scan(), 0);
	ck_assert(RESTARTS("nginx") == 2);
	ck_assert(NPROCS("nginx") == 1);
	ck_assert(CPU("nginx", "user") == 9.8); /* 9.5 + 0.1 + 0.2 */

	/* PID 701 reused by a new process (new start time, new directory) */
	sh("mv '%s/701' '%s/701.old'", proc, proc);
	new_proc(proc, 701, "nginx", 5, 22000);
	sh("rm -rf '%s/701.old'", proc);
	ck_assert_int_eq(scan(), 0);
	ck_assert(RESTARTS("nginx") == 3);
	ck_assert(CPU("nginx", "user") == 9.85);

	/* two processes, one replaced: not a restart */
	new_proc(proc, 702, "nginx", 0, 23000);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("nginx") == 2);
	new_proc(proc, 703, "nginx", 0, 24000);
	sh("rm -rf '%s/702'", proc);
	ck_assert_int_eq(scan(), 0);
	ck_assert(RESTARTS("nginx") == 3);
	ck_assert(NPROCS("nginx") == 2);
	ck_assert(CPU("nginx", "user") == 9.85);

	/* a CPU value going down (a zombie's times being folded) never
	 * makes the counter go down */
	write_stat(proc, 703, "nginx", 'Z', 0, 0, 24000);
	ck_assert_int_eq(scan(), 0);
	ck_assert(CPU("nginx", "user") == 9.85);
	ck_assert(STATE("nginx", "Zombie") == 1);

	/* app was untouched all along */
	ck_assert(RESTARTS("app") == 0);
	ck_assert(NPROCS("app") == 1);
	assert_listings();
}
END_TEST

/* An incremental scan keeps the unlisted table and adds the new processes
 * to it: the new table must make room for both (256 entries fill the
 * first allocation; valgrind or ASan would see a write past it). */
START_TEST(test_incremental_table_grows)
{
	incremental = 1;
	const char *proc = copy_fixture();
	size_t have = 0;
	DIR *d = opendir(proc);
	ck_assert_ptr_nonnull(d);
	for (struct dirent *de; (de = readdir(d));)
		have += de->d_name[0] >= '1' && de->d_name[0] <= '9';
	closedir(d);
	ck_assert_uint_lt(have, 256);
	sh("cd '%s' && for p in $(seq 1000 %zu); do cp -a 200 $p; done", proc,
	   1000 + (256 - have) - 1);
	set_loadavg(proc, 2000);
	group("nginx", "^nginx$", NULL, NULL, NULL, NULL, -1);
	start(proc, 1);
	/* two full listings: no last PID of a scan before the last yet */
	ck_assert_int_eq(scan(), 0);
	ck_assert_int_eq(scan(), 0);
	const struct pg_state *st = ctx.priv;
	ck_assert(st->listed_all);
	ck_assert_uint_eq(st->nprocs, 256);
	ck_assert_uint_eq(st->cap, 256);
	ck_assert(NPROCS("nginx") == 3 + 256 - have); /* copies of 200 */
	new_proc(proc, 2001, "nginx", 0, 30000);
	new_proc(proc, 2002, "nginx", 0, 30001);
	ck_assert_int_eq(scan(), 0);
	ck_assert(!st->listed_all);
	ck_assert_uint_eq(st->nprocs, 258);
	ck_assert(NPROCS("nginx") == 5 + 256 - have);
}
END_TEST

/* fork reserves a PID (loadavg's last PID moves) a moment before the
 * process can be listed: a scan in between lists up to that PID without
 * finding it, and the next scan must still list it. */
START_TEST(test_incremental_fork_in_flight)
{
	incremental = 1;
	const char *proc = copy_fixture();
	group("nginx", "^nginx$", NULL, NULL, NULL, NULL, -1);
	start(proc, 1);
	ck_assert_int_eq(scan(), 0);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("nginx") == 3);
	/* 700 reserved, not there yet */
	set_loadavg(proc, 700);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("nginx") == 3);
	/* now it is; the allocator has not moved since */
	new_proc(proc, 700, "nginx", 10, 20000);
	ck_assert_int_eq(scan(), 0);
	const struct pg_state *st = ctx.priv;
	ck_assert(!st->listed_all);
	ck_assert(NPROCS("nginx") == 4);
}
END_TEST

/* A process is matched once, when it is new, unless it was too young to
 * have called execve() yet. */
START_TEST(test_match_once_and_young)
{
	int trust = _i > 0;
	incremental = _i == 2 ? 1 : -1;
	const char *proc = copy_fixture();
	char path[512];
	group("late", NULL, NULL, "^hw-marker( |$)", NULL, NULL, -1);
	start(proc, trust);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("late") == 0);

	/* 600 changes its command line in place (same process): not seen,
	 * as process-exporter without -recheck */
	snprintf(path, sizeof(path), "%s/600/cmdline", proc);
	write_file(path, "hw-marker\0x\0", 12);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("late") == 0);
	/* the same process in a new directory (procfs evicted its dentry):
	 * still the same process, not matched again */
	sh("mv '%s/600' '%s/600.old' && cp -a '%s/600.old' '%s/600' && "
	   "rm -rf '%s/600.old'",
	   proc, proc, proc, proc, proc);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("late") == 0);

	/* An unmatched process is not read again while its directory keeps
	 * its inode number (trusted, as on procfs): a stat broken in place
	 * goes unnoticed. Without that trust every stat is read. */
	snprintf(path, sizeof(path), "%s/1/stat", proc);
	write_file(path, "1 (systemd) S\n", 14);
	ck_assert_int_eq(scan(), trust ? 0 : -EINVAL);
	ck_assert(NPROCS("late") == 0);
	write_stat(proc, 1, "systemd", 'S', 300, 200, 1);

	/* a process first seen right after its fork, before its execve */
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	unsigned long long tck = (unsigned long long)sysconf(_SC_CLK_TCK);
	unsigned long long now = (unsigned long long)ts.tv_sec * tck +
				 (unsigned long long)ts.tv_nsec /
					 (1000000000ull / tck);
	new_proc(proc, 800, "bash", 0, now - 1);
	snprintf(path, sizeof(path), "%s/800/cmdline", proc);
	write_file(path, "bash\0-c\0exec -a hw-marker sleep 9\0", 34);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("late") == 0);
	/* ... which then calls execve: matched at the next scan */
	write_stat(proc, 800, "sleep", 'S', 0, 0, now - 1);
	write_file(path, "hw-marker\0" "9\0", 12);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("late") == 1);
	ck_assert(RESTARTS("late") == 0);
	assert_listings();
}
END_TEST

/* A pid file is read on every scan: its PID joins the group when the file
 * names it, and leaves when it names another. */
START_TEST(test_pidfile_changes)
{
	incremental = _i ? 1 : -1; /* also with the incremental listing */
	const char *proc = copy_fixture();
	char pidfile[300];
	snprintf(pidfile, sizeof(pidfile), "%s/svc.pid", tmp);
	group("svc", NULL, NULL, NULL, NULL, pidfile, -1);
	group("nginx", "^nginx$", NULL, NULL, NULL, NULL, -1);
	start(proc, 1);
	ck_assert_int_eq(scan(), 0); /* no pid file yet */
	ck_assert(NPROCS("svc") == 0);
	ck_assert(NPROCS("nginx") == 3);

	write_file(pidfile, "100\n", 4);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("svc") == 1);
	ck_assert(RESTARTS("svc") == 0);
	ck_assert(CPU("svc", "user") == 0.2);

	/* the file now names nginx's master: svc restarted, and the master
	 * moves over (svc comes first); nginx keeps what 200 used */
	write_file(pidfile, " 200 \n", 6);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("svc") == 1);
	ck_assert(RESTARTS("svc") == 1);
	ck_assert(CPU("svc", "user") == 1.7); /* 0.2 gone + 1.5 */
	ck_assert(NPROCS("nginx") == 2);
	ck_assert(CPU("nginx", "user") == 8.5);

	/* garbage in the file: no PID; 200 goes back to nginx */
	write_file(pidfile, "200x\n", 5);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("svc") == 0);
	ck_assert(CPU("svc", "user") == 1.7); /* nothing left, nothing lost */
	ck_assert(NPROCS("nginx") == 3);
	ck_assert(CPU("nginx", "user") == 10);
	assert_listings();
}
END_TEST

/* On the live /proc: open_filedesc of a child holding a known set of
 * descriptors, as its fd/ directory lists them (on Linux 6.2+ the
 * collector takes the count from the directory's size instead of listing
 * it: both must agree), and again after it opened more. */
static unsigned count_fd_entries(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	ck_assert_ptr_nonnull(d);
	unsigned n = 0;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] >= '0' && de->d_name[0] <= '9';
	closedir(d);
	return n;
}

START_TEST(test_live_open_fds)
{
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char c;
		for (int i = 0; i < 10; i++)
			open("/dev/null", O_RDONLY);
		if (read(go[0], &c, 1) == 1) /* then 20 more */
			for (int i = 0; i < 20; i++)
				open("/dev/null", O_RDONLY);
		pause();
		_exit(0);
	}
	char pidfile[300], text[32];
	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", tmp);
	int n = snprintf(text, sizeof(text), "%d\n", (int)child);
	write_file(pidfile, text, (size_t)n);
	group("child", NULL, NULL, NULL, NULL, pidfile, -1);
	start("/proc", -1);
	unsigned want = 0;
	for (int tries = 0; tries < 100 && want < 13; tries++) {
		usleep(10000); /* until the child has opened its ten */
		want = count_fd_entries(child);
	}
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("child") == 1);
	ck_assert_msg(FDS("child") == want, "%g open, fd/ lists %u",
		      FDS("child"), want);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	unsigned before = want;
	for (int tries = 0; tries < 100 && want < before + 20; tries++) {
		usleep(10000);
		want = count_fd_entries(child);
	}
	ck_assert_uint_eq(want, before + 20);
	ck_assert_int_eq(scan(), 0);
	ck_assert_msg(FDS("child") == want, "%g open, fd/ lists %u",
		      FDS("child"), want);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(go[0]);
	close(go[1]);
}
END_TEST

/* ---- listing ------------------------------------------------------------ */

START_TEST(test_plan_ranges_and_loadavg)
{
	struct pg_range r[2];
	/* the allocator did not move: nothing to list */
	ck_assert_uint_eq(pg_plan_ranges(4000, 4000, r), 0);
	/* moved up: what it handed out since */
	ck_assert_uint_eq(pg_plan_ranges(4000, 4017, r), 1);
	ck_assert_int_eq(r[0].lo, 4001);
	ck_assert_int_eq(r[0].hi, 4017);
	/* wrapped past pid_max (32768 here) back to 300 and on to 310 */
	ck_assert_uint_eq(pg_plan_ranges(32760, 310, r), 2);
	ck_assert_int_eq(r[0].lo, 1);
	ck_assert_int_eq(r[0].hi, 310);
	ck_assert_int_eq(r[1].lo, 32761);
	ck_assert_int_eq(r[1].hi, INT32_MAX);
	ck_assert_uint_eq(pg_plan_ranges(INT32_MAX, 5, r), 1);
	ck_assert_int_eq(r[0].lo, 1);
	ck_assert_int_eq(r[0].hi, 5);

	int32_t pid = 7;
	/* this VM's /proc/loadavg */
	ck_assert_int_eq(pg_parse_loadavg_last_pid("0.34 1.09 1.18 1/75 3960\n",
						   &pid),
			 0);
	ck_assert_int_eq(pid, 3960);
	ck_assert_int_eq(pg_parse_loadavg_last_pid("0.00 0.00 0.00 1/1 1", &pid),
			 0);
	ck_assert_int_eq(pid, 1);
	pid = 7;
	ck_assert_int_eq(pg_parse_loadavg_last_pid("0.34 1.09 1.18 1/75\n", &pid),
			 -EINVAL);
	ck_assert_int_eq(pg_parse_loadavg_last_pid("0.3 1.0 1.1 1/75 -1\n", &pid),
			 -EINVAL);
	ck_assert_int_eq(pg_parse_loadavg_last_pid("0.3 1.0 1.1 1/7 39 x\n",
						   &pid),
			 -EINVAL);
	ck_assert_int_eq(pg_parse_loadavg_last_pid("0 0 0 1/1 4294967296\n",
						   &pid),
			 -EINVAL);
	ck_assert_int_eq(pg_parse_loadavg_last_pid("", &pid), -EINVAL);
	ck_assert_int_eq(pid, 7);
}
END_TEST

/* A child that has called execve: `sleep 3600` with argv[0] = name. */
static pid_t spawn_named(const char *name)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sleep", name, "3600", (char *)NULL);
		_exit(127);
	}
	char path[64], text[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	for (int tries = 0; tries < 500; tries++) {
		if (readfile_small(AT_FDCWD, path, text, sizeof(text)) == 0 &&
		    strcmp(text, name) == 0)
			return pid;
		usleep(2000);
	}
	ck_abort_msg("child %d never ran %s", (int)pid, name);
	return -1;
}

/* spawn_named with the name marker + suffix. */
static pid_t spawn_marked(const char *marker, const char *suffix)
{
	char name[128];
	snprintf(name, sizeof(name), "%s%s", marker, suffix);
	return spawn_named(name);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool listing_has(const struct pg_listing *l, int32_t pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].pid == pid)
			return true;
	return false;
}

/* pg_list_procs measures procfs's PID offset (0 off procfs), and
 * pg_list_range then lists from a PID on, on the live /proc. */
START_TEST(test_live_list_range)
{
	struct pg_listing l = {0};
	int fd = open(FIX "/proc", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pg_list_procs(fd, &l), 0);
	ck_assert_uint_gt(l.n, 3);
	ck_assert_int_eq(l.pid_offset, 0); /* a fixture: no offsets */
	ck_assert_int_eq(pg_list_range(fd, &l, 1, 10), -EINVAL);
	close(fd);

	pid_t a = spawn_named("hw-list-a"), b = spawn_named("hw-list-b");
	pid_t c = spawn_named("hw-list-c");
	ck_assert_msg(a < b && b < c, "PIDs %d %d %d not ascending", (int)a,
		      (int)b, (int)c);
	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pg_list_procs(fd, &l), 0);
	/* TGID_OFFSET of fs/proc/base.c */
	ck_assert_int_eq(l.pid_offset, 258);
	ck_assert(listing_has(&l, 1) && listing_has(&l, getpid()));
	size_t all = l.n;

	l.n = 0;
	ck_assert_int_eq(pg_list_range(fd, &l, a, b), 0);
	ck_assert_int_eq(l.v[0].pid, a);
	ck_assert_int_eq(l.v[l.n - 1].pid, b);
	ck_assert(!listing_has(&l, c));
	/* a second range appends; from b + 1 on: c, to the end */
	size_t before = l.n;
	ck_assert_int_eq(pg_list_range(fd, &l, b + 1, INT32_MAX), 0);
	ck_assert_uint_gt(l.n, before);
	ck_assert_int_gt(l.v[before].pid, b);
	bool found_c = false;
	for (size_t i = before; i < l.n; i++)
		found_c |= l.v[i].pid == c;
	ck_assert(found_c);
	ck_assert_uint_lt(l.n, all);
	/* a range holding no process lists nothing */
	l.n = 0;
	ck_assert_int_eq(pg_list_range(fd, &l, INT32_MAX, INT32_MAX), 0);
	ck_assert_uint_eq(l.n, 0);
	close(fd);
	pg_listing_free(&l);
	reap(a);
	reap(b);
	reap(c);
}
END_TEST

static long read_sysctl(const char *path)
{
	char text[32];
	ck_assert_int_eq(readfile_small(AT_FDCWD, path, text, sizeof(text)),
			 0);
	return strtol(text, NULL, 10);
}

/* Point the PID allocator at last + 1 (/proc/sys/kernel/ns_last_pid, which
 * checkpoint/restore uses; root only). */
static void set_last_pid(long last)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%ld", last);
	ck_assert_int_eq(fclose(f), 0);
}

/* The collector's incremental listing on the live /proc, with the
 * allocator steered: a process started since the last scan is found
 * without listing everything, also after the allocator wrapped; one
 * started at a PID outside what the allocator's moves say (as clone3's
 * set_tid or a full cycle of pid_max between scans would) is missed until
 * the next full listing, which comes within PG_FULL_LISTING_EVERY scans. */
START_TEST(test_live_incremental)
{
	long pid_max = read_sysctl("/proc/sys/kernel/pid_max");
	long orig = read_sysctl("/proc/sys/kernel/ns_last_pid");
	ck_assert_msg(pid_max >= 20000, "pid_max %ld: too small for this test",
		      pid_max);
	ck_assert_msg(access("/proc/sys/kernel/ns_last_pid", W_OK) == 0,
		      "needs root: /proc/sys/kernel/ns_last_pid not writable");
	char marker[64];
	snprintf(marker, sizeof(marker), "hw-incr-%d-", (int)getpid());
	char re[80];
	snprintf(re, sizeof(re), "^%s", marker);
	group("incr", NULL, NULL, re, NULL, NULL, -1);
	start("/proc", -1);
	struct pg_state *st = ctx.priv;
	long high = pid_max - 10000;

	set_last_pid(high);
	/* The first two scans list everything: an incremental one lists from
	 * the last PID of the scan before the last. */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(scan(), 0);
		ck_assert(st->incremental); /* procfs of our own namespace */
		ck_assert(st->listed_all);
		ck_assert(NPROCS("incr") == 0);
	}

	/* moved up */
	pid_t a = spawn_marked(marker, "a");
	ck_assert_int_gt(a, high);
	ck_assert_int_eq(scan(), 0);
	ck_assert(!st->listed_all);
	ck_assert_uint_eq(st->nlisted, 1);
	ck_assert_int_gt(st->listed[0].lo, high);
	ck_assert(!listing_has(&st->list, 1));
	ck_assert(NPROCS("incr") == 1);

	/* wrapped */
	set_last_pid(2000);
	pid_t b = spawn_marked(marker, "b");
	ck_assert_int_lt(b, high);
	ck_assert_int_eq(scan(), 0);
	ck_assert(!st->listed_all);
	ck_assert_uint_eq(st->nlisted, 2);
	ck_assert(NPROCS("incr") == 2);

	/* once more, so that the next two scans list from about 2000 on */
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("incr") == 2);

	/* c below the last PIDs of the last two scans, d above them: the
	 * next two scans list only d's range */
	int32_t lo = st->older_pid < st->last_pid ? st->older_pid
						  : st->last_pid;
	int32_t hi = st->older_pid < st->last_pid ? st->last_pid
						  : st->older_pid;
	set_last_pid(1000);
	pid_t c = spawn_marked(marker, "c");
	set_last_pid(3000);
	pid_t d = spawn_marked(marker, "d");
	ck_assert_msg(c < lo && d > hi, "PIDs %d %d around %d-%d", (int)c,
		      (int)d, (int)lo, (int)hi);
	ck_assert_int_eq(scan(), 0);
	ck_assert(!st->listed_all);
	ck_assert(NPROCS("incr") == 3);
	int scans = 1;
	while (!st->listed_all && scans < PG_FULL_LISTING_EVERY) {
		ck_assert_int_eq(scan(), 0);
		scans++;
		ck_assert(NPROCS("incr") == (st->listed_all ? 4 : 3));
	}
	ck_assert(st->listed_all);
	ck_assert(NPROCS("incr") == 4);

	/* a member that exits is seen without any listing of its PID */
	reap(b);
	ck_assert_int_eq(scan(), 0);
	ck_assert(!st->listed_all);
	ck_assert(NPROCS("incr") == 3);

	reap(a);
	reap(c);
	reap(d);
	set_last_pid(orig > 3000 ? orig : high);
}
END_TEST

/* ---- broken input ------------------------------------------------------- */

START_TEST(test_broken)
{
	group("nginx", "^nginx$", NULL, NULL, NULL, NULL, -1);
	/* no procfs at all: the collector fails, nothing is published */
	start("/nonexistent-procfs", -1);
	ck_assert_int_eq(scan(), -ENOENT);
	ck_assert_uint_eq(cs.nsamples, 0);
	stop();

	const char *proc = copy_fixture();
	char path[512];
	/* a process directory without files (it exited while listed):
	 * dropped without a word */
	snprintf(path, sizeof(path), "%s/900", proc);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	/* a malformed stat: that process is left out and the scrape says
	 * so, the rest is published */
	snprintf(path, sizeof(path), "%s/202/stat", proc);
	write_file(path, "202 (nginx) S 1 2\n", 18);
	start(proc, -1);
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert(NPROCS("nginx") == 2);
	/* fixed: counted again */
	write_stat(proc, 202, "nginx", 'S', 300, 200, 1100);
	ck_assert_int_eq(scan(), 0);
	ck_assert(NPROCS("nginx") == 3);
	ck_assert(CPU("nginx", "user") == 8.5);
	/* a tracked process's stat breaks: kept with its last values */
	write_file(path, "garbage\n", 8);
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert(NPROCS("nginx") == 3);
	ck_assert(CPU("nginx", "user") == 8.5);
	stop();

	/* no btime in <procfs>/stat */
	snprintf(path, sizeof(path), "%s/stat", proc);
	write_file(path, "cpu  1 2 3 4\n", 13);
	start(proc, -1);
	ck_assert_int_eq(scan(), -ENODATA);
	ck_assert_uint_eq(cs.nsamples, 0);
}
END_TEST

static Suite *procgroups_suite(void)
{
	Suite *s = suite_create("procgroups");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse_stat);
	tcase_add_test(tc, test_parse_status_cmdline_cgroup);
	tcase_add_test(tc, test_no_groups);
	tcase_add_test(tc, test_each_selector);
	tcase_add_test(tc, test_and_first_wins);
	tcase_add_loop_test(tc, test_exit_and_restart, 0, 3);
	tcase_add_loop_test(tc, test_match_once_and_young, 0, 3);
	tcase_add_test(tc, test_incremental_table_grows);
	tcase_add_test(tc, test_incremental_fork_in_flight);
	tcase_add_loop_test(tc, test_pidfile_changes, 0, 2);
	tcase_add_test(tc, test_live_open_fds);
	tcase_add_test(tc, test_plan_ranges_and_loadavg);
	tcase_add_test(tc, test_live_list_range);
	tcase_add_test(tc, test_live_incremental);
	tcase_add_test(tc, test_broken);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(procgroups_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
