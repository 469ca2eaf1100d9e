/* The physical floor of the cgroup collector's scrape (bench/cgroup.sh):
 * open, read and close exactly the files the collector reads on a cgroup
 * v2 tree, in a tight loop, and report the CPU time of one pass.
 *
 *   cgroup_floor TREE MAX_DEPTH PASSES
 *
 * The directories are found once, before the clock starts, and kept open
 * (O_PATH): the floor pays for no directory listing, no path walk to a
 * cgroup, no parsing and no output, only for the files themselves. Each
 * file is read with one read() into a buffer large enough for it (a short
 * read is the end: these are single seq_file records on cgroupfs and
 * regular files on the benchmark's tmpfs), as the collector does. A file a
 * cgroup lacks (the root has no memory.current) is tried as the collector
 * tries it. Prints: "dirs N files_per_pass N cpu_ms_per_pass X".
 *
 * Built with -DHW_COLLECTOR and linked with a build's libhostwatch.a, it
 * also takes "--collector TREE MAX_DEPTH PASSES": the cgroup collector
 * itself, in process, PASSES times into a sink that counts and drops the
 * samples (no HTTP, no formatting, no gzip), with the benchmark's flags.
 * Prints: "samples N cpu_ms_per_pass X". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "floor_serve.h"

/* What the collector reads in a cgroup of a v2 hierarchy whose root lists
 * the cpu, io, memory and pids controllers and has PSI
 * (src/collectors/cgroup_read.c). */
static const char *const files[] = {
	"cpu.max",	   "cpu.stat",		 "memory.current",
	"memory.stat",	   "memory.swap.current", "memory.max",
	"memory.events",   "pids.current",	 "cgroup.procs",
	"io.stat",	   "cpu.pressure",	 "memory.pressure",
	"io.pressure",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static int *dirs;
static size_t ndirs, capdirs;

static void add_dir(int fd)
{
	if (ndirs == capdirs) {
		capdirs = capdirs ? capdirs * 2 : 1024;
		dirs = realloc(dirs, capdirs * sizeof(*dirs));
		if (!dirs) {
			perror("realloc");
			exit(1);
		}
	}
	dirs[ndirs++] = fd;
}

/* Every directory down to max_depth, kept open. */
static void walk(int parent, const char *name, int depth, int max_depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		perror(name);
		exit(1);
	}
	int keep = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	add_dir(keep);
	if (depth < max_depth) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			walk(dirfd(d), e->d_name, depth + 1, max_depth);
		}
		closedir(d);
	} else {
		close(fd);
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

#ifdef HW_COLLECTOR
#include "hostwatch/collector.h"
#include "hostwatch/config.h"
#include "hostwatch/expo.h"
#include "hostwatch/gzip.h"

extern const struct collector collector_cgroup;
static size_t nsamples;

static void null_family(struct sink *s, const char *name, const char *help,
			enum hw_type type)
{
	(void)s, (void)name, (void)help, (void)type;
}

static void null_sample(struct sink *s, const struct hw_label *labels,
			size_t nlabels, double value)
{
	(void)s, (void)labels, (void)nlabels, (void)value;
	nsamples++;
}

/* mode 0: into the null sink; 1: through the exposition writer (the
 * OpenMetrics a Prometheus server asks for); 2: the writer's output gzipped
 * as well: the whole scrape but HTTP. */
static int run_collector(const char *tree, int max_depth, long passes,
			 int mode)
{
	struct hw_config cfg;
	config_defaults(&cfg);
	free(cfg.cgroupfs);
	cfg.cgroupfs = strdup(tree);
	free(cfg.cgroup_include);
	cfg.cgroup_include = NULL;
	cfg.cgroup_max_depth = (unsigned)max_depth;
	/* as the benchmark's daemon: the cgroup collector alone, no Docker */
	for (unsigned i = 0; i < hw_collectors_count; i++)
		cfg.enabled[i] = strcmp(hw_collectors[i]->name, "cgroup") == 0;
	struct hw_ctx ctx = {.cfg = &cfg};
	struct sink null = {null_family, null_sample};
	struct hw_buf text = {0}, gz = {0};
	struct expo_writer w;
	if (collector_cgroup.init(&ctx) < 0 ||
	    collector_cgroup.collect(&ctx, &null) < 0) {
		fprintf(stderr, "the collector failed\n");
		return 1;
	}
	double t0 = cpu_seconds();
	for (long p = 0; p < passes; p++) {
		nsamples = 0;
		struct sink *sink = &null;
		if (mode) {
			text.len = 0;
			expo_init(&w, &text, EXPO_OPENMETRICS);
			sink = &w.sink;
		}
		if (collector_cgroup.collect(&ctx, sink) < 0)
			return 1;
		if (mode) {
			expo_finish(&w);
		}
		if (mode == 2 && gzip_compress(&text, &gz) < 0)
			return 1;
	}
	double t1 = cpu_seconds();
	size_t bytes = text.len;
	buf_free(&text);
	buf_free(&gz);
	gzip_thread_release();
	collector_cgroup.fini(&ctx);
	buf_free(&ctx.buf);
	config_free(&cfg);
	printf("samples %zu cpu_ms_per_pass %.3f\n", mode ? bytes : nsamples,
	       (t1 - t0) * 1000.0 / (double)passes);
	return 0;
}
#endif

/* One pass: every file of every directory. */
static size_t opened;
static unsigned long bytes;

static void pass(void *arg)
{
	static char buf[65536];
	(void)arg;
	opened = 0;
	for (size_t i = 0; i < ndirs; i++) {
		for (size_t f = 0; f < NFILES; f++) {
			int fd = openat(dirs[i], files[f],
					O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (fd < 0)
				continue;
			opened++;
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) ==
			       (ssize_t)sizeof(buf))
				;
			bytes += (unsigned long)n;
			close(fd);
		}
	}
}

int main(int argc, char **argv)
{
#ifdef HW_COLLECTOR
	if (argc == 5 && strcmp(argv[1], "--collector") == 0)
		return run_collector(argv[2], atoi(argv[3]), atol(argv[4]), 0);
	if (argc == 5 && strcmp(argv[1], "--text") == 0)
		return run_collector(argv[2], atoi(argv[3]), atol(argv[4]), 1);
	if (argc == 5 && strcmp(argv[1], "--gzip") == 0)
		return run_collector(argv[2], atoi(argv[3]), atol(argv[4]), 2);
#endif
	if (argc == 4 && strcmp(argv[1], "--serve") == 0) {
		walk(AT_FDCWD, argv[2], 0, atoi(argv[3]));
		return floor_serve(pass, NULL);
	}
	if (argc != 4) {
		fprintf(stderr, "usage: %s TREE MAX_DEPTH PASSES\n"
				"       %s --serve TREE MAX_DEPTH\n",
			argv[0], argv[0]);
		return 2;
	}
	int max_depth = atoi(argv[2]);
	long passes = atol(argv[3]);
	walk(AT_FDCWD, argv[1], 0, max_depth);
	double t0 = cpu_seconds();
	for (long p = 0; p < passes; p++)
		pass(NULL);
	double t1 = cpu_seconds();
	printf("dirs %zu files_per_pass %zu cpu_ms_per_pass %.3f\n", ndirs,
	       opened, (t1 - t0) * 1000.0 / (double)passes);
	return bytes == 0; /* keep the reads */
}
