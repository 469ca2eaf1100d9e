/* The physical floor of a process_groups scan, for bench/procgroups.sh: the
 * system calls a steady-state scan makes, and nothing else (no parsing, no
 * table, no output, no HTTP), in a tight loop.
 *
 *   procgroups_floor [-p PACE_US] PROCFS ITERATIONS PID...
 *
 * -p sleeps PACE_US microseconds before each timed pass: the same system
 * calls at a scrape's pace, after the CPU was idle as a server's is between
 * two scrapes (on a VM an idle vCPU gives its core, and its caches, to
 * other guests), instead of back to back with every cache hot.
 *
 * prints two lines, CPU milliseconds per iteration (CLOCK_PROCESS_CPUTIME_ID):
 *   kept MS   exactly hostwatch's steady state: lseek + getdents64 of
 *             PROCFS through a 32 KiB buffer until it returns 0; for each
 *             PID one pread of its kept stat and status descriptors and an
 *             fstat of its kept fd/ (whose size is the number of open
 *             descriptors since Linux 6.2)
 *   open MS   the same files opened, read and closed every time (what a
 *             plain exporter does, and hostwatch past its kept limit)
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DENTS 32768 /* PG_DENTS_SIZE */
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

int main(int argc, char **argv)
{
#ifdef HW_COLLECTOR
	if (argc == 4 && strcmp(argv[1], "--collector") == 0)
		return run_collector(argv[2], strtol(argv[3], NULL, 10));
#endif
	long pace_us = 0;
	if (argc > 2 && strcmp(argv[1], "-p") == 0) {
		pace_us = strtol(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: %s [-p PACE_US] PROCFS ITERATIONS PID...\n",
			argv[0]);
		return 2;
	}
	int procfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		perror(argv[1]);
		return 1;
	}
	long iters = strtol(argv[2], NULL, 10);
	int n = argc - 3;
	int *pid = calloc((size_t)n + 1, sizeof(*pid));
	int *fstat_ = calloc((size_t)n + 1, sizeof(int));
	int *fstatus = calloc((size_t)n + 1, sizeof(int));
	int *fdir = calloc((size_t)n + 1, sizeof(int));
	if (!pid || !fstat_ || !fstatus || !fdir)
		return 1;
	for (int i = 0; i < n; i++) {
		pid[i] = atoi(argv[3 + i]);
		fstat_[i] = open_at(procfd, pid[i], "stat", O_RDONLY);
		fstatus[i] = open_at(procfd, pid[i], "status", O_RDONLY);
		fdir[i] = open_at(procfd, pid[i], "fd", O_RDONLY | O_DIRECTORY);
	}

	/* The two kinds alternate, iteration by iteration, so that a change
	 * of load on the machine weighs on both alike. */
	double kept = 0, opened = 0;
	struct stat sb;
	for (long it = 0; it < iters; it++) {
		if (pace_us > 0)
			usleep((useconds_t)pace_us);
		double t0 = cpu_ms();
		drain_dir(procfd);
		for (int i = 0; i < n; i++) {
			if (pread(fstat_[i], buf, sizeof(buf) - 1, 0) <= 0 ||
			    pread(fstatus[i], buf, sizeof(buf) - 1, 0) <= 0) {
				fprintf(stderr, "pid %d went away\n", pid[i]);
				return 1;
			}
			if (fstat(fdir[i], &sb) < 0 || sb.st_size <= 0) {
				fprintf(stderr, "pid %d: no fd count in "
						"fstat (Linux < 6.2?)\n", pid[i]);
				return 1;
			}
		}
		double t1 = cpu_ms();
		if (pace_us > 0)
			usleep((useconds_t)pace_us);
		double t2 = cpu_ms();
		drain_dir(procfd);
		for (int i = 0; i < n; i++) {
			int fd = open_at(procfd, pid[i], "stat", O_RDONLY);
			if (read(fd, buf, sizeof(buf) - 1) <= 0)
				return 1;
			close(fd);
			fd = open_at(procfd, pid[i], "status", O_RDONLY);
			if (read(fd, buf, sizeof(buf) - 1) <= 0)
				return 1;
			close(fd);
			fd = open_at(procfd, pid[i], "fd", O_RDONLY | O_DIRECTORY);
			if (fstat(fd, &sb) < 0)
				return 1;
			close(fd);
		}
		double t3 = cpu_ms();
		kept += t1 - t0;
		opened += t3 - t2;
	}
	kept /= (double)iters;
	opened /= (double)iters;
	printf("kept %.6f\nopen %.6f\n", kept, opened);
	return 0;
}
