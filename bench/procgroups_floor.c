/* The physical floor of a process_groups scan, for bench/procgroups.sh: the
 * system calls a steady-state scan makes, and nothing else (no parsing, no
 * table, no output, no HTTP), in a tight loop.
 *
 *   procgroups_floor PROCFS ITERATIONS PID...
 *
 * prints three lines, CPU milliseconds per iteration
 * (CLOCK_PROCESS_CPUTIME_ID):
 *   incr MS   exactly hostwatch's steady state: a pread of the kept
 *             PROCFS/loadavg and, when its last PID moved since the pass
 *             before the last, lseek to that pass's PID + 258 and
 *             getdents64 of what follows
 *             (procgroups.c, "Listing"); every 8th pass (PG_FULL_LISTING_
 *             EVERY) a full listing instead (lseek 0, getdents64 through a
 *             32 KiB buffer until it returns 0); then for each PID one pread
 *             of its kept stat and status descriptors and an fstat of its
 *             kept fd/ (whose size is the number of open descriptors since
 *             Linux 6.2)
 *   full MS   the same with a full listing on every pass: the floor of any
 *             scan that lists /proc each time (process-exporter's way)
 *   open MS   as full, with the files opened, read and closed every time
 *             (what a plain exporter does, and hostwatch past its kept
 *             limit)
 *
 *   procgroups_floor --serve PROCFS PID...
 *
 * makes one incr pass per HTTP request instead (floor_serve.h): the floor
 * at the pace, and in the conditions, of a scrape.
 *
 * Built with -DHW_COLLECTOR and linked with a build's libhostwatch.a, it
 * also takes "--collector CONFIG ITERATIONS": the process_groups collector
 * itself with the [process] sections of CONFIG, in process, in the same
 * tight loop, into a sink that drops the samples (no HTTP, formatting or
 * gzip). Prints "collector MS".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "floor_serve.h"

#define DENTS 32768    /* PG_DENTS_SIZE */
#define FULL_EVERY 8    /* PG_FULL_LISTING_EVERY */
#define PID_OFFSET 258  /* what pg_list_procs measures on procfs */
#define FILEBUF 4096

static char dents[DENTS];
static char buf[FILEBUF];

static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void drain_dir(int fd)
{
	lseek(fd, 0, SEEK_SET);
	while (getdents64(fd, dents, sizeof(dents)) > 0)
		;
}

static int open_at(int dirfd, int pid, const char *name, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/%s", pid, name);
	int fd = openat(dirfd, path, flags | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

#ifdef HW_COLLECTOR
#include "hostwatch/collector.h"
#include "hostwatch/config.h"

extern const struct collector collector_process_groups;

static void null_family(struct sink *s, const char *name, const char *help,
			enum hw_type type)
{
	(void)s, (void)name, (void)help, (void)type;
}

static void null_sample(struct sink *s, const struct hw_label *labels,
			size_t nlabels, double value)
{
	(void)s, (void)labels, (void)nlabels, (void)value;
}

static int run_collector(char *config, long iters)
{
	char flag[4096];
	snprintf(flag, sizeof(flag), "--config.file=%s", config);
	char *argv[] = {"procgroups_floor", flag, NULL};
	struct hw_config cfg;
	struct hw_cli cli;
	config_defaults(&cfg);
	if (config_load(&cfg, &cli, 2, argv, stderr) < 0)
		return 2;
	struct hw_ctx ctx = {.cfg = &cfg};
	struct sink sink = {null_family, null_sample};
	/* the first scan reads every process's selectors: not timed */
	if (collector_process_groups.init(&ctx) < 0 ||
	    collector_process_groups.collect(&ctx, &sink) < 0) {
		fprintf(stderr, "the collector failed\n");
		return 1;
	}
	double t0 = cpu_ms();
	for (long it = 0; it < iters; it++)
		if (collector_process_groups.collect(&ctx, &sink) < 0)
			return 1;
	double t1 = cpu_ms();
	collector_process_groups.fini(&ctx);
	buf_free(&ctx.buf);
	config_free(&cfg);
	printf("collector %.6f\n", (t1 - t0) / (double)iters);
	return 0;
}
#endif

/* The processes of the floor, with the descriptors of the kept kind. */
struct floor {
	int procfd, loadavg, n;
	int *pid, *fstat_, *fstatus, *fdir;
	unsigned passes;
	long older_pid, last_pid;
};

/* The listing of an incremental pass: only what the allocator handed out
 * since the pass before the last, found by loadavg's last field. */
static void list_new(struct floor *f)
{
	ssize_t n = pread(f->loadavg, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		perror("loadavg");
		exit(1);
	}
	buf[n] = '\0';
	const char *last = strrchr(buf, ' ');
	long cur = last ? strtol(last + 1, NULL, 10) : 0;
	if (cur != f->older_pid) {
		lseek(f->procfd, PID_OFFSET + f->older_pid + 1, SEEK_SET);
		while (getdents64(f->procfd, dents, sizeof(dents)) > 0)
			;
	}
	f->older_pid = f->last_pid;
	f->last_pid = cur;
}

/* One pass the way hostwatch's steady state makes it (incremental) or the
 * way a scan that lists everything each time does (full). */
static void pass_kept(struct floor *f, bool incremental)
{
	struct stat sb;
	if (incremental && ++f->passes % FULL_EVERY != 0)
		list_new(f);
	else
		drain_dir(f->procfd);
	for (int i = 0; i < f->n; i++) {
		if (pread(f->fstat_[i], buf, sizeof(buf) - 1, 0) <= 0 ||
		    pread(f->fstatus[i], buf, sizeof(buf) - 1, 0) <= 0) {
			fprintf(stderr, "pid %d went away\n", f->pid[i]);
			exit(1);
		}
		if (fstat(f->fdir[i], &sb) < 0 || sb.st_size <= 0) {
			fprintf(stderr, "pid %d: no fd count in fstat "
					"(Linux < 6.2?)\n", f->pid[i]);
			exit(1);
		}
	}
}

static void pass_served(void *arg)
{
	pass_kept(arg, true);
}

/* One pass opening, reading and closing every file. */
static void pass_open(const struct floor *f)
{
	struct stat sb;
	drain_dir(f->procfd);
	for (int i = 0; i < f->n; i++) {
		static const char *const names[] = {"stat", "status"};
		for (int k = 0; k < 2; k++) {
			int fd = open_at(f->procfd, f->pid[i], names[k], O_RDONLY);
			if (read(fd, buf, sizeof(buf) - 1) <= 0)
				exit(1);
			close(fd);
		}
		int fd = open_at(f->procfd, f->pid[i], "fd",
				 O_RDONLY | O_DIRECTORY);
		if (fstat(fd, &sb) < 0)
			exit(1);
		close(fd);
	}
}

int main(int argc, char **argv)
{
#ifdef HW_COLLECTOR
	if (argc == 4 && strcmp(argv[1], "--collector") == 0)
		return run_collector(argv[2], strtol(argv[3], NULL, 10));
#endif
	bool serve = argc > 1 && strcmp(argv[1], "--serve") == 0;
	if (serve) {
		/* the same arguments, with no ITERATIONS */
		argv[1] = argv[0];
		argv++;
		argc--;
		if (argc < 2) {
			fprintf(stderr, "usage: %s --serve PROCFS PID...\n",
				argv[0]);
			return 2;
		}
	} else if (argc < 3) {
		fprintf(stderr, "usage: %s PROCFS ITERATIONS PID...\n"
				"       %s --serve PROCFS PID...\n",
			argv[0], argv[0]);
		return 2;
	}
	struct floor f;
	f.procfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f.procfd < 0) {
		perror(argv[1]);
		return 1;
	}
	f.loadavg = openat(f.procfd, "loadavg", O_RDONLY | O_CLOEXEC);
	if (f.loadavg < 0) {
		perror("loadavg");
		return 1;
	}
	f.passes = 0;
	f.older_pid = f.last_pid = 0;
	list_new(&f); /* the daemon's first scans are not timed either */
	list_new(&f);
	int first = serve ? 2 : 3;
	f.n = argc - first;
	f.pid = calloc((size_t)f.n + 1, sizeof(int));
	f.fstat_ = calloc((size_t)f.n + 1, sizeof(int));
	f.fstatus = calloc((size_t)f.n + 1, sizeof(int));
	f.fdir = calloc((size_t)f.n + 1, sizeof(int));
	if (!f.pid || !f.fstat_ || !f.fstatus || !f.fdir)
		return 1;
	for (int i = 0; i < f.n; i++) {
		f.pid[i] = atoi(argv[first + i]);
		f.fstat_[i] = open_at(f.procfd, f.pid[i], "stat", O_RDONLY);
		f.fstatus[i] = open_at(f.procfd, f.pid[i], "status", O_RDONLY);
		f.fdir[i] = open_at(f.procfd, f.pid[i], "fd",
				    O_RDONLY | O_DIRECTORY);
	}
	if (serve)
		return floor_serve(pass_served, &f);

	/* The kinds alternate, iteration by iteration, so that a change of
	 * load on the machine weighs on all alike. */
	long iters = strtol(argv[2], NULL, 10);
	double incr = 0, full = 0, opened = 0;
	for (long it = 0; it < iters; it++) {
		double t0 = cpu_ms();
		pass_kept(&f, true);
		double t1 = cpu_ms();
		pass_kept(&f, false);
		double t2 = cpu_ms();
		pass_open(&f);
		double t3 = cpu_ms();
		incr += t1 - t0;
		full += t2 - t1;
		opened += t3 - t2;
	}
	printf("incr %.6f\nfull %.6f\nopen %.6f\n", incr / (double)iters,
	       full / (double)iters, opened / (double)iters);
	return 0;
}
