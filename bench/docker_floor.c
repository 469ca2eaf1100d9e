/* The physical floor of a scrape of Docker's containers (bench/docker.sh):
 * open, read and close exactly the cgroup files the cgroup collector reads
 * for them, in a tight loop, and report the CPU time of one pass.
 *
 *   docker_floor PLAN PASSES
 *   docker_floor --serve PLAN      one pass per HTTP request (floor_serve.h)
 *
 * PLAN has one line per cgroup directory: the directory, then the names of
 * the files to read in it, separated by spaces (bench/docker.sh writes it
 * from each container's /proc/PID/cgroup, with the files
 * src/collectors/cgroup_read.c reads on that hierarchy). The directories
 * are opened once, before the clock starts, and kept open (O_PATH): the
 * floor pays for no path walk, no directory listing, no parsing and no
 * output, only for the files themselves. Each file is read into a buffer
 * large enough for it until a short read, as the collector reads it. A
 * file a cgroup lacks (the root has no pids.current) is tried as the
 * collector tries it. Prints "dirs N files_per_pass N cpu_ms_per_pass X". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "floor_serve.h"

struct dir {
	int fd;
	char **files;
	size_t nfiles;
};

static struct dir *dirs;
static size_t ndirs;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("realloc");
		exit(1);
	}
	return p;
}

static void load(const char *plan)
{
	FILE *f = fopen(plan, "r");
	if (!f) {
		perror(plan);
		exit(1);
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *dir = strtok_r(line, " \n", &save);
		if (!dir)
			continue;
		int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			perror(dir);
			exit(1);
		}
		dirs = xrealloc(dirs, (ndirs + 1) * sizeof(*dirs));
		struct dir *d = &dirs[ndirs++];
		memset(d, 0, sizeof(*d));
		d->fd = fd;
		for (char *name; (name = strtok_r(NULL, " \n", &save));) {
			d->files = xrealloc(d->files,
					    (d->nfiles + 1) * sizeof(char *));
			d->files[d->nfiles++] = strdup(name);
		}
	}
	free(line);
	fclose(f);
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* One pass: every file of every directory. */
static size_t opened;
static unsigned long bytes;

static void pass(void *arg)
{
	static char buf[65536];
	(void)arg;
	opened = 0;
	for (size_t i = 0; i < ndirs; i++) {
		for (size_t f = 0; f < dirs[i].nfiles; f++) {
			int fd = openat(dirs[i].fd, dirs[i].files[f],
					O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (fd < 0)
				continue;
			opened++;
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) ==
			       (ssize_t)sizeof(buf))
				;
			if (n > 0)
				bytes += (unsigned long)n;
			close(fd);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--serve") == 0) {
		load(argv[2]);
		return floor_serve(pass, NULL);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s PLAN PASSES\n       %s --serve PLAN\n",
			argv[0], argv[0]);
		return 2;
	}
	load(argv[1]);
	long passes = atol(argv[2]);
	double t0 = cpu_seconds();
	for (long p = 0; p < passes; p++)
		pass(NULL);
	double t1 = cpu_seconds();
	printf("dirs %zu files_per_pass %zu cpu_ms_per_pass %.3f\n", ndirs,
	       opened, (t1 - t0) * 1000.0 / (double)passes);
	return bytes == 0; /* keep the reads */
}
