/* Unit tests for kept files and directories (readfile.h): a descriptor kept
 * on procfs reads fresh contents every time, one on any other filesystem is
 * not kept (a file replaced between two reads is seen as it is now), a bad
 * kept descriptor is reopened once, a vanished file fails with -errno, and
 * the EOF read skipped for single-record files loses nothing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/readfile.h"

/* utime + stime of /proc/self/stat (fields 14 and 15), from its text. */
static unsigned long long cpu_ticks(const char *stat)
{
	const char *p = strrchr(stat, ')');
	ck_assert_ptr_nonnull(p);
	p += 2;
	unsigned long long v[16] = {0};
	for (int i = 3; i <= 15; i++) {
		while (*p == ' ')
			p++;
		v[i] = strtoull(p, NULL, 10);
		p += strcspn(p, " ");
	}
	return v[14] + v[15];
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A kept /proc/self/stat shows the CPU time burnt since the last read: the
 * same descriptor, fresh contents. */
START_TEST(kept_proc_reads_fresh)
{
	struct hw_kept kf = KEPT_INIT;
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(kept_init(&kf, "/proc", "self/stat", KEPT_SINGLE), 0);
	ck_assert_int_eq(kept_read_text(&kf, &b, 1 << 20), 0);
	ck_assert_int_ge(kf.fd, 0); /* procfs: kept */
	int fd = kf.fd;
	unsigned long long t0 = cpu_ticks(b.data);
	/* Burn at least 50 ticks (0.5 s at USER_HZ 100) of CPU. */
	volatile unsigned long spin = 0;
	for (double start = cpu_now(); cpu_now() - start < 0.6;)
		for (int i = 0; i < 100000; i++)
			spin++;
	ck_assert_int_eq(kept_read_text(&kf, &b, 1 << 20), 0);
	ck_assert_int_eq(kf.fd, fd); /* no reopen */
	unsigned long long t1 = cpu_ticks(b.data);
	ck_assert_msg(t1 >= t0 + 30, "utime+stime %llu -> %llu", t0, t1);
	kept_fini(&kf);
	kept_fini(&kf); /* twice is harmless */
	ck_assert_int_eq(kf.fd, -1);
	buf_free(&b);
}
END_TEST

/* VmRSS in a kept /proc/self/status follows an allocation. */
START_TEST(kept_proc_status_rss)
{
	struct hw_kept kf = KEPT_INIT;
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(kept_init(&kf, NULL, "/proc/self/status", KEPT_SINGLE),
			 0);
	ck_assert_int_eq(kept_read(&kf, &b, 1 << 20), 0);
	const char *p = strstr(b.data, "\nVmRSS:");
	ck_assert_ptr_nonnull(p);
	long before = strtol(p + 7, NULL, 10);
	size_t n = 64u << 20;
	/* volatile: the compiler may not drop the pages we touch */
	char *volatile big = malloc(n);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i += 4096)
		big[i] = 1;
	ck_assert_int_eq(kept_read(&kf, &b, 1 << 20), 0);
	p = strstr(b.data, "\nVmRSS:");
	ck_assert_ptr_nonnull(p);
	long after = strtol(p + 7, NULL, 10);
	free(big);
	ck_assert_msg(after >= before + 32 * 1024, "VmRSS %ld kB -> %ld kB",
		      before, after);
	kept_fini(&kf);
	buf_free(&b);
}
END_TEST

/* Off procfs and sysfs nothing is kept: a file replaced, rewritten or
 * removed between two reads is read as it is at the second. */
START_TEST(kept_other_fs_not_kept)
{
	char dir[] = "/tmp/hw-kept.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[PATH_MAX], tmp[PATH_MAX];
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(tmp, sizeof(tmp), "%s/g", dir);
	FILE *f = fopen(path, "w");
	fputs("one\n", f);
	fclose(f);
	struct hw_kept kf = KEPT_INIT;
	struct hw_buf b = HW_BUF_INIT;
	char small[16];
	ck_assert_int_eq(kept_init(&kf, dir, "f", KEPT_SINGLE), 0);
	ck_assert_int_eq(kept_read_text(&kf, &b, 1000), 0);
	ck_assert_str_eq(b.data, "one\n");
	ck_assert_int_eq(kf.fd, -1);
	/* replaced by rename */
	f = fopen(tmp, "w");
	fputs("two\n", f);
	fclose(f);
	ck_assert_int_eq(rename(tmp, path), 0);
	ck_assert_int_eq(kept_read_text(&kf, &b, 1000), 0);
	ck_assert_str_eq(b.data, "two\n");
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, small,
					    sizeof(small)),
			 0);
	ck_assert_str_eq(small, "two");
	/* cut mid-line, then too big, then gone */
	f = fopen(path, "w");
	fputs("three\nfo", f);
	fclose(f);
	ck_assert_int_eq(kept_read_text(&kf, &b, 1000), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(kept_read(&kf, &b, 5), -EFBIG);
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, small, 4), -EFBIG);
	ck_assert_str_eq(small, "");
	unlink(path);
	ck_assert_int_eq(kept_read(&kf, &b, 1000), -ENOENT);
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, small,
					    sizeof(small)),
			 -ENOENT);
	kept_fini(&kf);
	rmdir(dir);
	buf_free(&b);
}
END_TEST

/* A kept descriptor that fails is reopened once and the read retried. */
START_TEST(kept_reopen_after_error)
{
	struct hw_kept kf = KEPT_INIT;
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(kept_init(&kf, "/proc/", "/loadavg", KEPT_SINGLE), 0);
	ck_assert_int_eq(kept_read_text(&kf, &b, 4096), 0);
	ck_assert_int_ge(kf.fd, 0);
	/* Swap in a descriptor every read fails on (EBADF: write-only). */
	int bad = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(bad, 0);
	ck_assert_int_ge(dup2(bad, kf.fd), 0);
	close(bad);
	ck_assert_int_eq(kept_read_text(&kf, &b, 4096), 0);
	ck_assert_int_ge(kf.fd, 0);
	ck_assert_int_eq(b.data[b.len - 1], '\n');
	ck_assert_int_eq(dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), kf.fd),
			 kf.fd);
	char small[256];
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, small,
					    sizeof(small)),
			 0);
	ck_assert_ptr_nonnull(strchr(small, '/')); /* "running/total" */
	kept_fini(&kf);
	buf_free(&b);
}
END_TEST

/* The process behind a kept /proc/<pid>/stat goes away: the read fails
 * (ESRCH), the reopen fails (ENOENT), and that is what the caller gets. */
START_TEST(kept_vanished_process)
{
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	char rel[32];
	snprintf(rel, sizeof(rel), "%d/stat", (int)child);
	struct hw_kept kf = KEPT_INIT;
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(kept_init(&kf, "/proc", rel, KEPT_SINGLE), 0);
	ck_assert_int_eq(kept_read_text(&kf, &b, 4096), 0);
	ck_assert_int_ge(kf.fd, 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(kept_read_text(&kf, &b, 4096), -ENOENT);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(kf.fd, -1);
	kept_fini(&kf);
	buf_free(&b);
}
END_TEST

/* Lines and final newline of two texts agree (values may move). */
static void same_shape(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	for (const char *p = a; *p; p++)
		la += *p == '\n';
	for (const char *p = b; *p; p++)
		lb += *p == '\n';
	ck_assert_uint_eq(la, lb);
	ck_assert_int_eq(a[strlen(a) - 1], '\n');
	ck_assert_int_eq(b[strlen(b) - 1], '\n');
}

/* Skipping the EOF read of a single-record file loses nothing; a
 * multi-record file (no KEPT_SINGLE) larger than the seq_file's page is
 * read whole. Again and again, through the same descriptor. */
START_TEST(kept_complete_reads)
{
	static const struct {
		const char *path;
		unsigned flags;
	} files[] = {
		{"/proc/stat", KEPT_SINGLE},
		{"/proc/meminfo", KEPT_SINGLE},
		{"/proc/self/limits", KEPT_SINGLE},
		{"/proc/vmstat", 0}, /* vmstat_op: one record per line */
		{"/proc/self/mountinfo", 0},
		/* zoneinfo_op: more than one seq_file page, so several reads */
		{"/proc/zoneinfo", 0},
	};
	struct hw_buf fresh = HW_BUF_INIT, b = HW_BUF_INIT;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct hw_kept kf = KEPT_INIT;
		ck_assert_int_eq(kept_init(&kf, NULL, files[i].path,
					   files[i].flags),
				 0);
		for (int r = 0; r < 3; r++) {
			ck_assert_int_eq(readfile_at(AT_FDCWD, files[i].path,
						     &fresh, 1 << 20),
					 0);
			ck_assert_int_eq(kept_read(&kf, &b, 1 << 20), 0);
			ck_assert_int_ge(kf.fd, 0);
			same_shape(fresh.data, b.data);
		}
		kept_fini(&kf);
	}
	/* zoneinfo takes more than one read. */
	ck_assert_uint_gt(b.len, 4096);
	buf_free(&b);
	buf_free(&fresh);
}
END_TEST

/* A path too long to build fails every read, as readfile_path would. */
START_TEST(kept_path_too_long)
{
	char base[PATH_MAX + 16];
	memset(base, 'a', sizeof(base) - 1);
	base[0] = '/';
	base[sizeof(base) - 1] = '\0';
	struct hw_kept kf = KEPT_INIT;
	struct hw_kept_dir d = KEPT_DIR_INIT;
	struct hw_buf b = HW_BUF_INIT;
	char small[8];
	ck_assert_int_eq(kept_init(&kf, base, "stat", 0), 0);
	ck_assert_int_eq(kept_read(&kf, &b, 100), -ENAMETOOLONG);
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, small,
					    sizeof(small)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(keptdir_init(&d, base, "x"), 0);
	ck_assert_int_eq(keptdir_list(&d), -ENAMETOOLONG);
	kept_fini(&kf);
	keptdir_fini(&d);
	buf_free(&b);
}
END_TEST

static bool listed(const struct hw_kept_dir *d, const char *name)
{
	for (const char *n = NULL; (n = keptdir_next(d, n));)
		if (strcmp(n, name) == 0)
			return true;
	return false;
}

/* A kept /proc/self/fd lists the descriptors open now; a directory off
 * procfs and sysfs is opened for each scrape and sees files come and go. */
START_TEST(keptdir_lists_fresh)
{
	struct hw_kept_dir d = KEPT_DIR_INIT;
	ck_assert_int_eq(keptdir_init(&d, NULL, "/proc/self/fd"), 0);
	ck_assert_int_eq(keptdir_list(&d), 0);
	ck_assert(d.keep);
	int dfd = d.fd;
	ck_assert(listed(&d, "."));
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char name[16];
	snprintf(name, sizeof(name), "%d", fd);
	ck_assert(!listed(&d, name));
	keptdir_release(&d);
	ck_assert_int_eq(keptdir_list(&d), 0);
	ck_assert_int_eq(d.fd, dfd);
	ck_assert(listed(&d, name));
	close(fd);
	ck_assert_int_eq(keptdir_list(&d), 0);
	ck_assert(!listed(&d, name));
	keptdir_fini(&d);

	char dir[] = "/tmp/hw-keptdir.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cpu0", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(keptdir_init(&d, dir, ""), 0);
	ck_assert_int_eq(keptdir_list(&d), 0);
	ck_assert(!d.keep);
	ck_assert(listed(&d, "cpu0"));
	keptdir_release(&d);
	ck_assert_int_eq(d.fd, -1);
	ck_assert_int_eq(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/cpu1", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(keptdir_list(&d), 0);
	ck_assert(!listed(&d, "cpu0"));
	ck_assert(listed(&d, "cpu1"));
	keptdir_release(&d);
	rmdir(path);
	rmdir(dir);
	ck_assert_int_eq(keptdir_list(&d), -ENOENT);
	keptdir_release(&d);
	keptdir_fini(&d);
	keptdir_fini(&d);
}
END_TEST

/* sysfs attributes are kept too (kernfs seq_file). */
START_TEST(kept_sysfs)
{
	struct hw_kept kf = KEPT_INIT;
	char a[64], b[64];
	ck_assert_int_eq(kept_init(&kf, "/sys", "devices/system/cpu/online",
				   KEPT_SINGLE),
			 0);
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, a, sizeof(a)), 0);
	ck_assert_int_ge(kf.fd, 0);
	ck_assert_int_eq(readfile_small(AT_FDCWD,
					"/sys/devices/system/cpu/online", b,
					sizeof(b)),
			 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, b, sizeof(b)), 0);
	ck_assert_str_eq(a, b);
	/* Too small a buffer: -EFBIG, as readfile_small says. */
	ck_assert_int_eq(kept_read_small_at(&kf, AT_FDCWD, b, 2), -EFBIG);
	kept_fini(&kf);
}
END_TEST

static Suite *kept_suite(void)
{
	Suite *s = suite_create("kept");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kept_proc_reads_fresh);
	tcase_add_test(tc, kept_proc_status_rss);
	tcase_add_test(tc, kept_other_fs_not_kept);
	tcase_add_test(tc, kept_reopen_after_error);
	tcase_add_test(tc, kept_vanished_process);
	tcase_add_test(tc, kept_complete_reads);
	tcase_add_test(tc, kept_path_too_long);
	tcase_add_test(tc, keptdir_lists_fresh);
	tcase_add_test(tc, kept_sysfs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kept_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
