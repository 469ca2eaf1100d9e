/* cgroupfs files, through the reader the cgroup and docker collectors use
 * (cgroup_read_dir, cgroup_mount_what): a scratch cgroup directory, v2 or
 * v1, holds a real container's files from tests/fixtures; the first byte
 * picks one of them and the rest replaces its contents, so the fuzzed file
 * is read between valid ones, as on a host.
 *
 * Seeds: fuzz/corpus/fuzz_cgroup/<selector>-<file>. */
#include "config.h"

#include <stdbool.h>

#include "hostwatch/cgroup.h"

#include "fuzz_util.h"

#ifndef HW_FUZZ_FIXTURES
#error "tools/fuzz.sh defines HW_FUZZ_FIXTURES (tests/fixtures)"
#endif

struct file {
	bool v1;
	const char *name;
	const char *fixture; /* under HW_FUZZ_FIXTURES */
	char *orig;          /* its contents, kept to put back */
	size_t orig_len;
};

#define V2 "cgroup-v2/system.slice/ssh.service/"
#define V1(h) "cgroup-v1/" h "/system.slice/ssh.service/"

/* data[0] % the count picks one: append only (the seeds' first byte). */
static struct file files[] = {
	{false, "cgroup.controllers", V2 "cgroup.controllers", NULL, 0},
	{false, "cgroup.procs", V2 "cgroup.procs", NULL, 0},
	{false, "cpu.stat", V2 "cpu.stat", NULL, 0},
	{false, "cpu.max", V2 "cpu.max", NULL, 0},
	{false, "memory.current", V2 "memory.current", NULL, 0},
	{false, "memory.stat", V2 "memory.stat", NULL, 0},
	{false, "memory.max", V2 "memory.max", NULL, 0},
	{false, "memory.events", V2 "memory.events", NULL, 0},
	{false, "memory.swap.current", V2 "memory.swap.current", NULL, 0},
	{false, "pids.current", V2 "pids.current", NULL, 0},
	{false, "io.stat", V2 "io.stat", NULL, 0},
	{false, "cpu.pressure", V2 "cpu.pressure", NULL, 0},
	{false, "memory.pressure", V2 "memory.pressure", NULL, 0},
	{false, "io.pressure", V2 "io.pressure", NULL, 0},
	{true, "cgroup.procs", V1("pids") "cgroup.procs", NULL, 0},
	{true, "cpuacct.usage", V1("cpuacct") "cpuacct.usage", NULL, 0},
	{true, "cpuacct.stat", V1("cpuacct") "cpuacct.stat", NULL, 0},
	{true, "cpu.cfs_quota_us", V1("cpu") "cpu.cfs_quota_us", NULL, 0},
	{true, "cpu.cfs_period_us", V1("cpu") "cpu.cfs_period_us", NULL, 0},
	{true, "cpu.stat", V1("cpu") "cpu.stat", NULL, 0},
	{true, "memory.usage_in_bytes", V1("memory") "memory.usage_in_bytes",
	 NULL, 0},
	{true, "memory.stat", V1("memory") "memory.stat", NULL, 0},
	{true, "memory.limit_in_bytes", V1("memory") "memory.limit_in_bytes",
	 NULL, 0},
	{true, "memory.oom_control", V1("memory") "memory.oom_control", NULL,
	 0},
	{true, "memory.memsw.usage_in_bytes",
	 V1("memory") "memory.memsw.usage_in_bytes", NULL, 0},
	{true, "pids.current", V1("pids") "pids.current", NULL, 0},
	{true, "blkio.throttle.io_service_bytes_recursive",
	 V1("blkio") "blkio.throttle.io_service_bytes_recursive", NULL, 0},
	{true, "blkio.io_service_bytes_recursive",
	 V1("blkio") "blkio.bfq.io_service_bytes_recursive", NULL, 0},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

#define WHAT_V1                                                            \
	(CGROUP_READ_V1_CPUACCT | CGROUP_READ_V1_CFS | CGROUP_READ_V1_MEMORY | \
	 CGROUP_READ_V1_MEMSW | CGROUP_READ_PIDS | CGROUP_READ_PROCS)
#define WHAT_V2                                                      \
	(CGROUP_READ_V2_CPU | CGROUP_READ_V2_CFS | CGROUP_READ_V2_MEMORY | \
	 CGROUP_READ_V2_IO | CGROUP_READ_V2_PSI | CGROUP_READ_PIDS |     \
	 CGROUP_READ_PROCS)

static int dir_v1 = -1, dir_v2 = -1;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		abort();
	}
	char *s = NULL;
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (*len + 4096 > cap) {
			cap = cap * 2 + 4096;
			s = realloc(s, cap);
			if (!s)
				abort();
		}
		size_t n = fread(s + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	return s;
}

static const char *rel(char *dst, size_t size, const struct file *f)
{
	snprintf(dst, size, "%s/%s", f->v1 ? "v1" : "v2", f->name);
	return dst;
}

static void fini(void)
{
	for (size_t i = 0; i < NFILES; i++)
		free(files[i].orig);
	if (dir_v1 >= 0)
		close(dir_v1);
	if (dir_v2 >= 0)
		close(dir_v2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	char p[1024];
	for (size_t i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "%s/%s", HW_FUZZ_FIXTURES,
			 files[i].fixture);
		files[i].orig = slurp(p, &files[i].orig_len);
		fz_write(rel(p, sizeof(p), &files[i]), files[i].orig,
			 files[i].orig_len);
	}
	dir_v1 = open(fz_path(p, sizeof(p), "v1"), O_RDONLY | O_DIRECTORY);
	dir_v2 = open(fz_path(p, sizeof(p), "v2"), O_RDONLY | O_DIRECTORY);
	if (dir_v1 < 0 || dir_v2 < 0)
		abort();
	atexit(fini);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct file *f = &files[data[0] % NFILES];
	char p[1024];
	rel(p, sizeof(p), f);
	fz_write(p, data + 1, size - 1);

	struct cgroup_reader r;
	struct cgroup_stats st, merged;
	cgroup_reader_init(&r);
	unsigned what = f->v1 ? WHAT_V1 : WHAT_V2;
	if (f->v1)
		what |= data[0] / NFILES & 1 ? CGROUP_READ_V1_BLKIO_CFQ
					     : CGROUP_READ_V1_BLKIO;
	else {
		/* How the collector learns what a v2 mount has. */
		fz_path(p, sizeof(p), "v2");
		struct cgroup_mount m = {p, 1u << CGROUP_H_UNIFIED};
		unsigned probed;
		if (cgroup_mount_what(&r, &m, dir_v2, &probed) == 0)
			what &= probed | CGROUP_READ_PROCS;
	}
	if (cgroup_read_dir(&r, f->v1 ? dir_v1 : dir_v2, what, &st) == 0) {
		/* and as the second hierarchy of a hybrid host */
		memset(&merged, 0, sizeof(merged));
		cgroup_stats_merge(&r, &merged, &st);
	}
	cgroup_reader_free(&r);

	fz_write(rel(p, sizeof(p), f), f->orig, f->orig_len);
	return 0;
}
