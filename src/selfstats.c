/* The exporter's own process_* metrics, with the names, help texts and
 * sources of client_golang's process collector (process_collector_procfs.go):
 * /proc/self/stat, /proc/self/fd and the resource limits. They always come
 * from the real /proc, not --path.procfs: they describe this process. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hostwatch/readfile.h"
#include "hostwatch/scrape.h"

/* procfs uses a fixed USER_HZ of 100 (procfs/proc_stat.go userHZ). */
#define USER_HZ 100.0

/* One read of a small /proc file into buf, NUL-terminated: the start of
 * the file is all we need from either file read here. */
static int read_head(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

static int read_boot_time(uint64_t *btime)
{
	char buf[8192];
	int rc = read_head("/proc/stat", buf, sizeof(buf));
	if (rc < 0)
		return rc;
	const char *p = strstr(buf, "\nbtime ");
	if (!p)
		return -EINVAL;
	p += 7;
	return parse_u64(&p, btime);
}

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the descriptor opendir itself holds */
}

int selfstats_collect(struct sink *sink)
{
	static uint64_t boot_time; /* constant while we run */
	char buf[1024];
	int rc = read_head("/proc/self/stat", buf, sizeof(buf));
	if (rc < 0)
		return rc;
	/* The command name may contain spaces and parentheses: fields start
	 * after the last ')'. */
	const char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	p += 2;
	/* Fields from 3 (state) on; we want 14 utime, 15 stime, 22 starttime,
	 * 23 vsize, 24 rss (proc(5)). */
	uint64_t f[25] = {0};
	for (int i = 3; i <= 24; i++) {
		p = skip_blanks(p);
		if (i == 3) {
			p++;
			continue;
		}
		const char *q = p;
		/* Fields 4-8 may be negative (tty_nr etc): skip them. */
		if (*q == '-') {
			p = q + strcspn(q, " ");
			continue;
		}
		if (parse_u64(&p, &f[i]) < 0)
			return -EINVAL;
	}
	if (!boot_time && read_boot_time(&boot_time) < 0)
		return -EINVAL;

	long page = sysconf(_SC_PAGESIZE);
	struct rlimit nofile, as;
	getrlimit(RLIMIT_NOFILE, &nofile);
	getrlimit(RLIMIT_AS, &as);
	int fds = count_open_fds();

	sink_single(sink, "process_cpu_seconds_total",
		    "Total user and system CPU time spent in seconds.",
		    HW_COUNTER, (double)(f[14] + f[15]) / USER_HZ);
	if (fds >= 0)
		sink_single(sink, "process_open_fds",
			    "Number of open file descriptors.", HW_GAUGE, fds);
	sink_single(sink, "process_max_fds",
		    "Maximum number of open file descriptors.", HW_GAUGE,
		    nofile.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0
						     : (double)nofile.rlim_cur);
	sink_single(sink, "process_virtual_memory_bytes",
		    "Virtual memory size in bytes.", HW_GAUGE, (double)f[23]);
	sink_single(sink, "process_virtual_memory_max_bytes",
		    "Maximum amount of virtual memory available in bytes.",
		    HW_GAUGE,
		    as.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0
						 : (double)as.rlim_cur);
	sink_single(sink, "process_resident_memory_bytes",
		    "Resident memory size in bytes.", HW_GAUGE,
		    (double)f[24] * (double)page);
	sink_single(sink, "process_start_time_seconds",
		    "Start time of the process since unix epoch in seconds.",
		    HW_GAUGE, (double)boot_time + (double)f[22] / USER_HZ);
	return 0;
}
