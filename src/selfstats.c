/* The exporter's own process_* metrics, with the names, help texts and
 * sources of client_golang's process collector (process_collector_procfs.go):
 * /proc/self/stat, /proc/self/fd and the resource limits. They always come
 * from the real /proc, not --path.procfs: they describe this process. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* /proc/self/stat and /proc/self/fd stay open for the life of the process
 * (kept file and directory, readfile.h): every scrape reads them, and the
 * HTTP threads may scrape at the same time, hence the lock. "self" is
 * resolved when they are opened: a child after fork() would have to open
 * its own (hostwatch does not fork). */
static pthread_mutex_t selfstats_lock = PTHREAD_MUTEX_INITIALIZER;
static bool selfstats_ready;
static struct hw_kept selfstats_stat = KEPT_INIT;
static struct hw_kept_dir selfstats_fds = KEPT_DIR_INIT;
static uint64_t selfstats_boot_time; /* constant while we run */

static int count_open_fds(void)
{
	/* Since Linux 6.2 (fs/proc/fd.c proc_fd_getattr) the size of a
	 * /proc/<pid>/fd directory is its number of open descriptors, the
	 * same count the listing gives without the listing's per-descriptor
	 * work in the kernel (proc_fill_cache). An older kernel says 0, and
	 * is listed. The count includes the descriptor we ask through. */
	int dfd = keptdir_open(&selfstats_fds);
	struct stat st;
	if (dfd >= 0 && selfstats_fds.keep && fstat(dfd, &st) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_size > 0 && st.st_size <= INT_MAX)
		return (int)st.st_size - 1;
	int rc = keptdir_list(&selfstats_fds);
	if (rc == 0) {
		int n = 0;
		const char *e = NULL;
		while ((e = keptdir_next(&selfstats_fds, e)))
			if (e[0] != '.')
				n++;
		rc = n - 1; /* the descriptor listing the directory */
	}
	keptdir_release(&selfstats_fds);
	return rc;
}

/* Under the lock: /proc/self/stat into buf, the open descriptors into
 * *fds (negative when they cannot be counted), the boot time once. */
static int selfstats_read(char *buf, size_t size, int *fds,
			  uint64_t *boot_time)
{
	if (!selfstats_ready) {
		/* proc_single_open() in fs/proc/base.c: one record */
		if (kept_init(&selfstats_stat, NULL, "/proc/self/stat",
			      KEPT_SINGLE) < 0 ||
		    keptdir_init(&selfstats_fds, NULL, "/proc/self/fd") < 0) {
			kept_fini(&selfstats_stat);
			keptdir_fini(&selfstats_fds);
			return -ENOMEM;
		}
		selfstats_ready = true;
	}
	int rc = kept_read_small_at(&selfstats_stat, AT_FDCWD, buf, size);
	if (rc < 0)
		return rc;
	if (!selfstats_boot_time &&
	    read_boot_time(&selfstats_boot_time) < 0)
		return -EINVAL;
	*boot_time = selfstats_boot_time;
	*fds = count_open_fds();
	return 0;
}

int selfstats_collect(struct sink *sink)
{
	uint64_t boot_time;
	int fds;
	/* Room for any /proc/self/stat: 52 fields of at most 20 digits. */
	char buf[2048];
	pthread_mutex_lock(&selfstats_lock);
	int rc = selfstats_read(buf, sizeof(buf), &fds, &boot_time);
	pthread_mutex_unlock(&selfstats_lock);
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
	long page = sysconf(_SC_PAGESIZE);
	struct rlimit nofile, as;
	getrlimit(RLIMIT_NOFILE, &nofile);
	getrlimit(RLIMIT_AS, &as);

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
