/* The /proc and /sys files the host collectors read, through the collectors
 * themselves: the first byte picks a collector and its file, the rest is
 * that file's contents under a scratch --path.procfs / --path.rootfs, and
 * the collector's init, collect and fini run exactly as a scrape runs them,
 * into the real exposition writer. Files on a scratch (non-proc)
 * filesystem are read afresh every time (readfile.h, "Kept files"), so
 * every run sees its own input.
 *
 * Seeds: fuzz/corpus/fuzz_proc/<selector>-<name>, from tests/fixtures. */
#include "config.h"

#include <stdbool.h>

#include "hostwatch/collector.h"
#include "hostwatch/config.h"

#include "fuzz_util.h"

struct target {
	const char *collector;
	const char *file; /* under the scratch directory */
};

/* The selector is data[0] % the count: keep the order (the seeds' first
 * byte depends on it); add new ones at the end. */
static const struct target targets[] = {
	{"stat", "proc/stat"},
	{"cpu", "proc/stat"},
	{"meminfo", "proc/meminfo"},
	{"diskstats", "proc/diskstats"},
	{"netdev", "proc/net/dev"},
	{"loadavg", "proc/loadavg"},
	{"pressure", "proc/pressure/cpu"},
	{"pressure", "proc/pressure/memory"},
	{"pressure", "proc/pressure/io"},
	{"filesystem", "proc/1/mounts"},
	{"os", "root/etc/os-release"},
	{"time", "sys/devices/system/clocksource/clocksource0/"
		 "current_clocksource"},
	{"time", "sys/devices/system/clocksource/clocksource0/"
		 "available_clocksource"},
	{"cpu", "sys/devices/system/cpu/isolated"},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static struct hw_config cfg;

static void set_path(char **field, const char *rel)
{
	char p[1024];
	free(*field);
	*field = strdup(fz_path(p, sizeof(p), rel));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	config_defaults(&cfg);
	set_path(&cfg.procfs, "proc");
	set_path(&cfg.sysfs, "sys");
	set_path(&cfg.rootfs, "root");
	free(cfg.udev_data);
	cfg.udev_data = NULL;
	cfg.netdev_netlink = false;
	/* Mount points are joined to the scratch rootfs and statfs()ed; a
	 * path that does not exist fails at once, one that escapes with ".."
	 * is only looked at. Short, so a hung mount cannot stall the run. */
	cfg.fs_mount_timeout = 0.2;
	/* The other pressure files and clocksource file must exist for the
	 * collector to get past them to the fuzzed one. */
	static const char psi[] =
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
	fz_write("proc/pressure/cpu", psi, sizeof(psi) - 1);
	fz_write("proc/pressure/memory", psi, sizeof(psi) - 1);
	fz_write("proc/pressure/io", psi, sizeof(psi) - 1);
	fz_write("sys/devices/system/clocksource/clocksource0/"
		 "current_clocksource", "tsc\n", 4);
	fz_write("sys/devices/system/clocksource/clocksource0/"
		 "available_clocksource", "tsc hpet acpi_pm\n", 17);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct target *t = &targets[data[0] % NTARGETS];
	int idx = collector_index(t->collector);
	if (idx < 0)
		abort(); /* the table above names a collector that went away */
	const struct collector *c = hw_collectors[idx];

	char saved[4096];
	char path[1024];
	ssize_t saved_len = -1;
	/* Keep the shared files (pressure, clocksource) as they were. */
	int fd = open(fz_path(path, sizeof(path), t->file), O_RDONLY);
	if (fd >= 0) {
		saved_len = read(fd, saved, sizeof(saved));
		close(fd);
	}
	fz_write(t->file, data + 1, size - 1);

	struct hw_ctx ctx = {.cfg = &cfg};
	struct fz_expo e;
	struct sink *sink = fz_expo_begin(&e, data[0] / NTARGETS);
	int rc = c->init ? c->init(&ctx) : 0;
	if (rc == 0)
		c->collect(&ctx, sink);
	if (c->fini)
		c->fini(&ctx);
	buf_free(&ctx.buf);
	fz_expo_end(&e);

	if (saved_len >= 0)
		fz_write(t->file, saved, (size_t)saved_len);
	else
		fz_unlink(t->file);
	return 0;
}
