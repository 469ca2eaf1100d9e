/* openat, read, pread and close for the scrape's hot paths, without
 * glibc's cancellation points.
 *
 * In a process with more than one thread, glibc wraps every cancellable
 * system call (open, read, close, ...) in __pthread_enable_asynccancel /
 * __pthread_disable_asynccancel, two atomic operations on the thread's
 * cancellation word around each call. hostwatch never cancels a thread,
 * and a scrape of 1,000 cgroups makes 40,000 of these calls: perf put the
 * two at 4.5% of such a scrape, more than the writer. syscall() is no
 * cancellation point: the same system call, errno set the same way. */
#ifndef HOSTWATCH_SYS_H
#define HOSTWATCH_SYS_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline int sys_openat(int dirfd, const char *path, int flags)
{
	return (int)syscall(SYS_openat, dirfd, path, flags, 0);
}

static inline ssize_t sys_read(int fd, void *buf, size_t n)
{
	return (ssize_t)syscall(SYS_read, fd, buf, n);
}

static inline ssize_t sys_pread(int fd, void *buf, size_t n, off_t off)
{
	return (ssize_t)syscall(SYS_pread64, fd, buf, n, off);
}

static inline int sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

#endif
