/* The cpu collector's thermal throttle counters (cpu_linux.go
 * updateThermalThrottle): per CPU directory of sysfs devices/system/cpu, its
 * package and core from topology/, and the first counter found for each in
 * thermal_throttle/. The directory is a kept one (readfile.h), and so are the
 * topology files of the first CPU_KEPT_CPUS CPUs; the rest is opened relative
 * to the directory each scrape. */
#ifndef HOSTWATCH_COLLECTORS_CPUTHROTTLE_H
#define HOSTWATCH_COLLECTORS_CPUTHROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/readfile.h"
#include "hostwatch/sink.h"

/* Label strings of a uint64 and the directory names we look at. */
#define CPU_NUM_LEN 24
#define CPU_NAME_LEN 64

struct cpu_pkg {
	char pkg[CPU_NUM_LEN];
	uint64_t count;
	bool present;
};

struct cpu_core {
	char pkg[CPU_NUM_LEN];
	char core[CPU_NUM_LEN];
	uint64_t count;
	bool present;
};

/* Per-CPU topology files kept open, for the first CPUs in name order: a
 * fixed handful of descriptors, whatever the number of CPUs (the others are
 * opened relative to the kept devices/system/cpu directory each scrape). */
#define CPU_KEPT_CPUS 4

struct cpu_topo_files {
	char dir[CPU_NAME_LEN]; /* "cpuN" they belong to, "" when unused */
	struct hw_kept pkg, core;
};

struct cpu_throttles {
	struct hw_kept_dir sysdir; /* <sysfs>/devices/system/cpu */
	struct cpu_topo_files topo[CPU_KEPT_CPUS];
	/* the cpu[0-9]* directories, sorted, and the raw listing they were
	 * made from, so an unchanged directory is not sorted again */
	char (*dirs)[CPU_NAME_LEN];
	size_t ndirs, dirs_cap;
	struct hw_buf listing;
	/* this scrape's counters, in output order */
	struct cpu_pkg *pkgs;
	size_t npkgs, pkgs_cap;
	struct cpu_core *cores;
	size_t ncores, cores_cap;
};

/* Set up th (any contents) for <sysfs>/devices/system/cpu; 0 or -ENOMEM.
 * cpu_throttles_fini is safe after either. */
int cpu_throttles_init(struct cpu_throttles *th, const char *sysfs);
void cpu_throttles_fini(struct cpu_throttles *th);
/* Read this scrape's counters into th->pkgs and th->cores. 0, or -errno for
 * what fails the collector (a path too long, no memory); a missing file only
 * leaves its counter out, as upstream. */
int cpu_throttles_read(struct cpu_throttles *th);
/* node_cpu_package_throttles_total (packages) or
 * node_cpu_core_throttles_total: no family when no counter was found. */
void cpu_throttles_emit(const struct cpu_throttles *th, struct sink *sink,
			bool packages);

/* Make room for `need` elements of `size` bytes in *arr (a pointer to the
 * array pointer) of capacity *cap: 0 or -ENOMEM. */
int cpu_reserve(void *arr, size_t *cap, size_t need, size_t size);

#endif
