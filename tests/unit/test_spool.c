/* Unit tests for the notification spool (spool.h) on the real file system:
 * FIFO order over many records, reopen (order, sequence, attempts),
 * max_bytes (drop-oldest, -EFBIG), max_age, corrupt and truncated records
 * set aside as *.bad, leftover *.tmp deleted, a writer killed with SIGKILL
 * in the middle of its puts, a disk that fills up (a 64 KiB tmpfs in a
 * private mount namespace) and a write cut short by RLIMIT_FSIZE, and no
 * file descriptor left open. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/spool.h"

#define HDR 48 /* the record header's size (spool_internal.h) */

/* ---- helpers ------------------------------------------------------------ */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmp_new(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/test_spool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void tmp_rm(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Files in dir whose name ends with suffix. */
static int count_files(const char *dir, const char *suffix)
{
	int n = 0;
	size_t sl = strlen(suffix);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] != '.' && l >= sl &&
		    strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Record number i: its id, headers and a body of `len` bytes all derived
 * from i, so that a reader can tell it is intact. */
static void rec_make(struct spool_rec *r, unsigned i, size_t len,
		     int64_t created)
{
	char h[64];
	int n;
	memset(r->id, 0, sizeof(r->id));
	snprintf(r->id, sizeof(r->id), "msg_%u", i);
	r->created_ms = created;
	r->attempts = 0;
	buf_reset(&r->headers);
	buf_put(&r->headers, "Content-Type: application/json", 31);
	n = snprintf(h, sizeof(h), "X-Rec: %u", i);
	buf_put(&r->headers, h, (size_t)n + 1);
	buf_reset(&r->body);
	for (size_t k = 0; k < len; k++)
		buf_putc(&r->body, (char)('a' + (i + k) % 26));
}

static size_t rec_size(unsigned i, size_t len)
{
	char id[64], h[64];
	return HDR + (size_t)snprintf(id, sizeof(id), "msg_%u", i) + 31 +
	       (size_t)snprintf(h, sizeof(h), "X-Rec: %u", i) + 1 + len;
}

/* Whether r is record i with a body of len bytes, intact. */
static bool rec_is(const struct spool_rec *r, unsigned i, size_t len)
{
	struct spool_rec w = {0};
	rec_make(&w, i, len, 0);
	bool ok = strcmp(r->id, w.id) == 0 &&
		  r->headers.len == w.headers.len &&
		  memcmp(r->headers.data, w.headers.data, w.headers.len) == 0 &&
		  r->body.len == len &&
		  (len == 0 || memcmp(r->body.data, w.body.data, len) == 0);
	spool_rec_free(&w);
	return ok;
}

static void path_of(char *out, size_t size, const char *dir, uint64_t seq,
		    const char *suffix)
{
	snprintf(out, size, "%s/%016" PRIx64 "%s", dir, seq, suffix);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_fifo)
{
	char root[64], dir[128];
	struct spool *sp;
	struct spool_rec r = {0}, h = {0};
	struct stat st;
	uint64_t bytes = 0;
	size_t dropped = 99;
	int fds = count_fds();

	tmp_new(root, sizeof(root));
	/* the parents are created too */
	snprintf(dir, sizeof(dir), "%s/state/spool/web", root);
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(spool_head(sp, &h), -ENOENT);
	ck_assert_uint_eq(spool_length(sp), 0);
	ck_assert_int_eq(spool_oldest_ms(sp), 0);

	for (unsigned i = 1; i <= 300; i++) {
		rec_make(&r, i, i * 7 % 1000, 1000 + i);
		ck_assert_int_eq(spool_put(sp, &r, &dropped), 0);
		ck_assert_uint_eq(dropped, 0);
		ck_assert_uint_eq(r.seq, i);
		bytes += rec_size(i, i * 7 % 1000);
	}
	ck_assert_uint_eq(spool_length(sp), 300);
	ck_assert_uint_eq(spool_bytes(sp), bytes);
	ck_assert_int_eq(spool_oldest_ms(sp), 1001);
	ck_assert_int_eq(count_files(dir, ".rec"), 300);
	ck_assert_int_eq(count_files(dir, ".tmp"), 0);

	/* head is stable until removed; then the next one */
	for (unsigned i = 1; i <= 300; i++) {
		ck_assert_int_eq(spool_head(sp, &h), 0);
		ck_assert_int_eq(spool_head(sp, &h), 0);
		ck_assert_uint_eq(h.seq, i);
		ck_assert_int_eq(h.created_ms, 1000 + i);
		ck_assert_uint_eq(h.attempts, 0);
		ck_assert(rec_is(&h, i, i * 7 % 1000));
		ck_assert_int_eq(spool_oldest_ms(sp), 1000 + i);
		ck_assert_int_eq(spool_remove(sp, i), 0);
		bytes -= rec_size(i, i * 7 % 1000);
		ck_assert_uint_eq(spool_bytes(sp), bytes);
	}
	ck_assert_int_eq(spool_head(sp, &h), -ENOENT);
	ck_assert_uint_eq(spool_length(sp), 0);
	ck_assert_uint_eq(spool_bytes(sp), 0);
	ck_assert_int_eq(count_files(dir, ""), 0);
	/* unknown records */
	ck_assert_int_eq(spool_remove(sp, 5), -ENOENT);
	ck_assert_int_eq(spool_note_attempt(sp, 5, 1), -ENOENT);

	/* removing from the middle keeps the rest in order */
	for (unsigned i = 301; i <= 305; i++) {
		rec_make(&r, i, 10, 1);
		ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
		ck_assert_uint_eq(r.seq, i);
	}
	ck_assert_int_eq(spool_remove(sp, 303), 0);
	ck_assert_int_eq(spool_remove(sp, 303), -ENOENT);
	unsigned want[] = {301, 302, 304, 305};
	for (size_t k = 0; k < 4; k++) {
		ck_assert_int_eq(spool_head(sp, &h), 0);
		ck_assert_uint_eq(h.seq, want[k]);
		ck_assert(rec_is(&h, want[k], 10));
		ck_assert_int_eq(spool_remove(sp, h.seq), 0);
	}

	/* an id that does not fit (no NUL in 64 bytes) */
	rec_make(&r, 1, 1, 1);
	memset(r.id, 'x', sizeof(r.id));
	ck_assert_int_eq(spool_put(sp, &r, NULL), -EINVAL);
	/* empty headers and body */
	rec_make(&r, 7, 0, 1);
	buf_reset(&r.headers);
	ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	ck_assert_int_eq(spool_head(sp, &h), 0);
	ck_assert_str_eq(h.id, "msg_7");
	ck_assert_uint_eq(h.headers.len, 0);
	ck_assert_uint_eq(h.body.len, 0);

	spool_close(sp);
	spool_close(NULL);
	spool_rec_free(&r);
	spool_rec_free(&h);
	ck_assert_int_eq(count_fds(), fds);
	tmp_rm(root);
}
END_TEST

START_TEST(test_reopen)
{
	char dir[64];
	struct spool *sp;
	struct spool_rec r = {0};
	int fds = count_fds();

	tmp_new(dir, sizeof(dir));
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	for (unsigned i = 1; i <= 20; i++) {
		rec_make(&r, i, 100 + i, 5000 + i);
		ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	}
	ck_assert_int_eq(spool_remove(sp, 1), 0);
	ck_assert_int_eq(spool_remove(sp, 2), 0);
	ck_assert_int_eq(spool_note_attempt(sp, 3, 1), 0);
	ck_assert_int_eq(spool_note_attempt(sp, 3, 4), 0);
	ck_assert_int_eq(spool_note_attempt(sp, 9, 2), 0);
	uint64_t bytes = spool_bytes(sp);
	spool_close(sp);

	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_uint_eq(spool_length(sp), 18);
	ck_assert_uint_eq(spool_bytes(sp), bytes);
	ck_assert_int_eq(spool_oldest_ms(sp), 5003);
	/* the sequence goes on */
	rec_make(&r, 21, 5, 6000);
	ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	ck_assert_uint_eq(r.seq, 21);
	for (unsigned i = 3; i <= 21; i++) {
		ck_assert_int_eq(spool_head(sp, &r), 0);
		ck_assert_uint_eq(r.seq, i);
		ck_assert(rec_is(&r, i, i == 21 ? 5 : 100 + i));
		ck_assert_uint_eq(r.attempts, i == 3 ? 4 : i == 9 ? 2 : 0);
		ck_assert_int_eq(spool_remove(sp, i), 0);
	}
	ck_assert_uint_eq(spool_length(sp), 0);
	spool_close(sp);

	/* opening a path under a regular file fails, and says why */
	char bad[96];
	snprintf(bad, sizeof(bad), "%s/file", dir);
	int fd = open(bad, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(bad, sizeof(bad), "%s/file/spool/x", dir);
	ck_assert_int_eq(spool_open(&sp, bad, 0, 0), -ENOTDIR);
	ck_assert_ptr_null(sp);

	spool_rec_free(&r);
	ck_assert_int_eq(count_fds(), fds);
	tmp_rm(dir);
}
END_TEST

START_TEST(test_max_bytes)
{
	char dir[64];
	struct spool *sp;
	struct spool_rec r = {0};
	size_t dropped, total = 0;
	/* records 100..199 all have the same size */
	uint64_t one = rec_size(100, 500);

	tmp_new(dir, sizeof(dir));
	ck_assert_int_eq(spool_open(&sp, dir, one * 10, 0), 0);
	for (unsigned i = 100; i < 115; i++) {
		rec_make(&r, i, 500, now_ms());
		ck_assert_int_eq(spool_put(sp, &r, &dropped), 0);
		ck_assert_uint_eq(dropped, i < 110 ? 0 : 1);
		total += dropped;
		ck_assert_uint_le(spool_bytes(sp), one * 10);
	}
	ck_assert_uint_eq(total, 5);
	ck_assert_uint_eq(spool_length(sp), 10);
	ck_assert_uint_eq(spool_bytes(sp), one * 10);
	ck_assert_int_eq(count_files(dir, ".rec"), 10);

	/* a bigger record makes room for itself: three go */
	rec_make(&r, 150, 500 + 2 * one, now_ms());
	ck_assert_int_eq(spool_put(sp, &r, &dropped), 0);
	ck_assert_uint_eq(dropped, 3);
	ck_assert_uint_eq(spool_length(sp), 8);
	ck_assert_int_eq(count_files(dir, ".rec"), 8);

	/* one larger than the whole spool: refused, nothing dropped */
	rec_make(&r, 160, one * 10, now_ms());
	dropped = 99;
	ck_assert_int_eq(spool_put(sp, &r, &dropped), -EFBIG);
	ck_assert_uint_eq(dropped, 0);
	ck_assert_uint_eq(spool_length(sp), 8);
	ck_assert_int_eq(count_files(dir, ".rec"), 8);
	ck_assert_int_eq(count_files(dir, ".tmp"), 0);

	/* the oldest were the ones dropped */
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 9);
	ck_assert(rec_is(&r, 108, 500));

	/* exactly max_bytes fits, alone */
	rec_make(&r, 170, 0, now_ms());
	size_t body = one * 10 - rec_size(170, 0);
	rec_make(&r, 170, body, now_ms());
	ck_assert_int_eq(spool_put(sp, &r, &dropped), 0);
	ck_assert_uint_eq(dropped, 8);
	ck_assert_uint_eq(spool_length(sp), 1);
	ck_assert_uint_eq(spool_bytes(sp), one * 10);

	spool_close(sp);
	spool_rec_free(&r);
	tmp_rm(dir);
}
END_TEST

START_TEST(test_max_age)
{
	char dir[64];
	struct spool *sp;
	struct spool_rec r = {0};
	size_t dropped;
	int64_t now = now_ms();

	tmp_new(dir, sizeof(dir));
	/* ten minutes; margins of 100 s keep it safe from a slow run */
	ck_assert_int_eq(spool_open(&sp, dir, 0, 600000), 0);
	int64_t created[] = {now - 1200000, now - 10000, now - 610000,
			     now - 500000, now - 36000000};
	/* put drops what is already too old, never the record it puts:
	 * 0 goes at the second put, 2 at the fourth */
	size_t want[] = {0, 1, 0, 1, 0};
	for (unsigned i = 0; i < 5; i++) {
		rec_make(&r, i, 10, created[i]);
		ck_assert_int_eq(spool_put(sp, &r, &dropped), 0);
		ck_assert_uint_eq(dropped, want[i]);
	}
	ck_assert_uint_eq(spool_length(sp), 3);
	/* the age is per record, not only the head's: 4 goes */
	ck_assert_uint_eq(spool_expire(sp, now), 1);
	ck_assert_uint_eq(spool_length(sp), 2);
	ck_assert_int_eq(count_files(dir, ".rec"), 2);
	ck_assert_uint_eq(spool_expire(sp, now), 0);
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert(rec_is(&r, 1, 10));
	ck_assert_int_eq(spool_oldest_ms(sp), now - 10000);
	/* later, everything is too old */
	ck_assert_uint_eq(spool_expire(sp, now + 600000), 2);
	ck_assert_uint_eq(spool_length(sp), 0);
	ck_assert_uint_eq(spool_bytes(sp), 0);
	ck_assert_int_eq(count_files(dir, ".rec"), 0);
	spool_close(sp);

	/* max_age 0: no bound */
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	rec_make(&r, 9, 10, 1);
	ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	ck_assert_uint_eq(spool_expire(sp, now), 0);
	ck_assert_uint_eq(spool_length(sp), 1);
	spool_close(sp);
	spool_rec_free(&r);
	tmp_rm(dir);
}
END_TEST

/* Flip one byte of a file at off (negative: from the end). */
static void flip(const char *path, off_t off)
{
	struct stat st;
	unsigned char c;
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	if (off < 0)
		off += st.st_size;
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 0x20;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

START_TEST(test_corrupt)
{
	char dir[64], p[128], q[128];
	struct spool *sp;
	struct spool_rec r = {0};
	struct stat st;
	int fds = count_fds();

	tmp_new(dir, sizeof(dir));
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	for (unsigned i = 1; i <= 8; i++) {
		rec_make(&r, i, 200, 1);
		ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	}
	uint64_t bytes = spool_bytes(sp);
	uint64_t one = rec_size(1, 200);

	/* a byte of the body: caught by the checksum at head */
	path_of(p, sizeof(p), dir, 1, ".rec");
	flip(p, -1);
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 2);
	ck_assert(rec_is(&r, 2, 200));
	ck_assert_int_eq(stat(p, &st), -1);
	path_of(q, sizeof(q), dir, 1, ".bad");
	ck_assert_int_eq(stat(q, &st), 0);
	ck_assert_uint_eq(spool_length(sp), 7);
	ck_assert_uint_eq(spool_bytes(sp), bytes - one);
	/* only once: the next head is the same record, no new .bad */
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 2);
	ck_assert_int_eq(count_files(dir, ".bad"), 1);

	/* a byte of the id, of the headers, of a length: all caught */
	path_of(p, sizeof(p), dir, 2, ".rec");
	flip(p, HDR + 1);
	path_of(p, sizeof(p), dir, 3, ".rec");
	flip(p, HDR + 12);
	path_of(p, sizeof(p), dir, 4, ".rec");
	flip(p, 16); /* created_ms: only the checksum sees it */
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 5);
	ck_assert_int_eq(count_files(dir, ".bad"), 4);

	/* the attempts field is outside the checksum: a torn update reads
	 * as no attempt, and the record is still served */
	ck_assert_int_eq(spool_note_attempt(sp, 5, 3), 0);
	path_of(p, sizeof(p), dir, 5, ".rec");
	flip(p, 44);
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 5);
	ck_assert_uint_eq(r.attempts, 0);
	ck_assert(rec_is(&r, 5, 200));

	/* truncated, and a bad magic: found at open from the header and
	 * the size alone */
	path_of(p, sizeof(p), dir, 6, ".rec");
	ck_assert_int_eq(truncate(p, (off_t)one - 3), 0);
	path_of(p, sizeof(p), dir, 7, ".rec");
	flip(p, 0);
	spool_close(sp);
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_uint_eq(spool_length(sp), 2);
	ck_assert_uint_eq(spool_bytes(sp), 2 * one);
	ck_assert_int_eq(count_files(dir, ".bad"), 6);
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 5);
	ck_assert_int_eq(spool_remove(sp, 5), 0);
	ck_assert_int_eq(spool_head(sp, &r), 0);
	ck_assert_uint_eq(r.seq, 8);
	ck_assert(rec_is(&r, 8, 200));
	ck_assert_int_eq(spool_remove(sp, 8), 0);
	ck_assert_int_eq(spool_head(sp, &r), -ENOENT);
	/* a header cut short, a file of the wrong name form, a directory */
	path_of(p, sizeof(p), dir, 20, ".rec");
	int fd = open(p, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "HWSPOOL1", 8), 8);
	close(fd);
	snprintf(p, sizeof(p), "%s/README", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	path_of(p, sizeof(p), dir, 21, ".rec");
	ck_assert_int_eq(mkdir(p, 0700), 0);
	spool_close(sp);
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_uint_eq(spool_length(sp), 0);
	ck_assert_int_eq(count_files(dir, ".bad"), 8);
	/* numbers of set-aside records are never reused, even when only
	 * *.bad files are left */
	spool_close(sp);
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_int_eq(count_files(dir, ".rec"), 0);
	rec_make(&r, 1, 1, 1);
	ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	ck_assert_uint_eq(r.seq, 22);

	spool_close(sp);
	spool_rec_free(&r);
	ck_assert_int_eq(count_fds(), fds);
	tmp_rm(dir);
}
END_TEST

START_TEST(test_tmp_removed)
{
	char dir[64], p[128];
	struct spool *sp;
	struct spool_rec r = {0};

	tmp_new(dir, sizeof(dir));
	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	rec_make(&r, 1, 50, 1);
	ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	spool_close(sp);
	/* what a crash before the rename leaves: a complete or a partial
	 * tmp file, never acknowledged */
	char src[128];
	path_of(src, sizeof(src), dir, 1, ".rec");
	path_of(p, sizeof(p), dir, 2, ".rec.tmp");
	ck_assert_int_eq(link(src, p), 0);
	path_of(p, sizeof(p), dir, 3, ".rec.tmp");
	int fd = open(p, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "HWSP", 4), 4);
	close(fd);
	ck_assert_int_eq(count_files(dir, ".tmp"), 2);

	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_int_eq(count_files(dir, ".tmp"), 0);
	ck_assert_uint_eq(spool_length(sp), 1);
	ck_assert_uint_eq(spool_bytes(sp), rec_size(1, 50));
	rec_make(&r, 2, 50, 1);
	ck_assert_int_eq(spool_put(sp, &r, NULL), 0);
	ck_assert_uint_eq(r.seq, 2);
	spool_close(sp);
	spool_rec_free(&r);
	tmp_rm(dir);
}
END_TEST

/* ---- crashes and full disks (in forked children) -------------------------- */

/* In a child, Check's asserts must not be used (CK_FORK=no: a failure
 * would go on running the suite in the child). */
#define CHILD_CHECK(c)                                                       \
	do {                                                                 \
		if (!(c)) {                                                  \
			fprintf(stderr, "%s:%d: child: %s\n", __FILE__,      \
				__LINE__, #c);                               \
			_exit(1);                                            \
		}                                                            \
	} while (0)

#define KILL_AFTER 200
#define KILL_BODY 3000

static void kill_child(const char *dir, int wfd)
{
	struct spool *sp;
	struct spool_rec r = {0};
	CHILD_CHECK(spool_open(&sp, dir, 0, 0) == 0);
	for (unsigned i = 1; i < 100000; i++) {
		rec_make(&r, i, KILL_BODY, i);
		CHILD_CHECK(spool_put(sp, &r, NULL) == 0);
		CHILD_CHECK(r.seq == i);
		uint64_t seq = r.seq;
		CHILD_CHECK(write(wfd, &seq, sizeof(seq)) == sizeof(seq));
	}
	_exit(2); /* never reached: killed before */
}

START_TEST(test_kill9)
{
	char dir[64];
	int pfd[2], status;
	uint64_t acked[4096], seq;
	size_t nacked = 0;
	struct spool *sp;
	struct spool_rec r = {0};

	tmp_new(dir, sizeof(dir));
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		kill_child(dir, pfd[1]);
	}
	close(pfd[1]);
	while (nacked < KILL_AFTER &&
	       read(pfd[0], &seq, sizeof(seq)) == sizeof(seq))
		acked[nacked++] = seq;
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* what it acknowledged after our count was reached */
	while (nacked < 4096 &&
	       read(pfd[0], &seq, sizeof(seq)) == sizeof(seq))
		acked[nacked++] = seq;
	close(pfd[0]);
	ck_assert_uint_ge(nacked, KILL_AFTER);

	ck_assert_int_eq(spool_open(&sp, dir, 0, 0), 0);
	ck_assert_int_eq(count_files(dir, ".tmp"), 0);
	size_t n = spool_length(sp);
	/* every acknowledged record, and perhaps the one in flight */
	ck_assert(n == nacked || n == nacked + 1);
	for (size_t k = 0; k < n; k++) {
		ck_assert_int_eq(spool_head(sp, &r), 0);
		if (k < nacked)
			ck_assert_uint_eq(r.seq, acked[k]);
		else
			ck_assert_uint_eq(r.seq, acked[nacked - 1] + 1);
		ck_assert(rec_is(&r, (unsigned)r.seq, KILL_BODY));
		ck_assert_int_eq(r.created_ms, (int64_t)r.seq);
		ck_assert_int_eq(spool_remove(sp, r.seq), 0);
	}
	ck_assert_int_eq(spool_head(sp, &r), -ENOENT);
	ck_assert_int_eq(count_files(dir, ".bad"), 0);
	spool_close(sp);
	spool_rec_free(&r);
	tmp_rm(dir);
}
END_TEST

/* The spool on a 64 KiB tmpfs, in a private mount namespace: fill it. */
static int enospc_child(const char *dir)
{
	struct spool *sp;
	struct spool_rec r = {0};
	size_t ok = 0;
	uint64_t bytes = 0;
	int rc = 0;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700") < 0) {
		fprintf(stderr, "test_spool: no tmpfs (%s): ENOSPC not "
				"tested\n",
			strerror(errno));
		_exit(77);
	}
	int fds = count_fds();
	CHILD_CHECK(spool_open(&sp, dir, 0, 0) == 0);
	for (unsigned i = 1; i < 100; i++) {
		rec_make(&r, i, 6000, i); /* two pages each */
		rc = spool_put(sp, &r, NULL);
		if (rc < 0)
			break;
		ok++;
		bytes += rec_size(i, 6000);
	}
	CHILD_CHECK(rc == -ENOSPC);
	CHILD_CHECK(ok >= 4 && ok < 16);
	/* consistent: nothing half-written, the rest untouched */
	CHILD_CHECK(count_files(dir, ".tmp") == 0);
	CHILD_CHECK(count_files(dir, ".rec") == (int)ok);
	CHILD_CHECK(spool_length(sp) == ok);
	CHILD_CHECK(spool_bytes(sp) == bytes);
	/* and again, still full */
	rec_make(&r, 200, 6000, 200);
	CHILD_CHECK(spool_put(sp, &r, NULL) == -ENOSPC);
	CHILD_CHECK(count_files(dir, ".tmp") == 0);
	/* delivering one makes room: the next put takes the next number */
	CHILD_CHECK(spool_head(sp, &r) == 0 && r.seq == 1);
	CHILD_CHECK(spool_remove(sp, 1) == 0);
	rec_make(&r, (unsigned)ok + 1, 6000, 1);
	CHILD_CHECK(spool_put(sp, &r, NULL) == 0);
	CHILD_CHECK(r.seq == ok + 1);
	spool_close(sp);
	/* all of it reads back intact */
	CHILD_CHECK(spool_open(&sp, dir, 0, 0) == 0);
	CHILD_CHECK(spool_length(sp) == ok);
	for (unsigned i = 2; i <= ok + 1; i++) {
		CHILD_CHECK(spool_head(sp, &r) == 0 && r.seq == i);
		CHILD_CHECK(rec_is(&r, i, 6000));
		CHILD_CHECK(spool_remove(sp, i) == 0);
	}
	spool_close(sp);
	spool_rec_free(&r);
	CHILD_CHECK(count_fds() == fds);
	umount(dir);
	return 0;
}

START_TEST(test_enospc)
{
	char dir[64];
	int status;

	tmp_new(dir, sizeof(dir));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(enospc_child(dir));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	/* 77: no mount permission; the RLIMIT_FSIZE test still runs */
	if (WEXITSTATUS(status) != 77)
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	tmp_rm(dir);
}
END_TEST

/* A write cut short halfway through a record (RLIMIT_FSIZE, SIGXFSZ
 * ignored: write(2) fails with EFBIG, as a disk filling up in the middle
 * of a record would fail with ENOSPC). */
static int fsize_child(const char *dir)
{
	struct spool *sp;
	struct spool_rec r = {0};
	struct rlimit rl = {16384, 16384};

	signal(SIGXFSZ, SIG_IGN);
	int fds = count_fds();
	CHILD_CHECK(spool_open(&sp, dir, 0, 0) == 0);
	rec_make(&r, 1, 1000, 1);
	CHILD_CHECK(spool_put(sp, &r, NULL) == 0);
	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	rec_make(&r, 2, 20000, 2);
	CHILD_CHECK(spool_put(sp, &r, NULL) == -EFBIG);
	CHILD_CHECK(count_files(dir, ".tmp") == 0);
	CHILD_CHECK(count_files(dir, ".rec") == 1);
	CHILD_CHECK(spool_length(sp) == 1);
	CHILD_CHECK(spool_bytes(sp) == rec_size(1, 1000));
	rec_make(&r, 2, 1000, 2);
	CHILD_CHECK(spool_put(sp, &r, NULL) == 0 && r.seq == 2);
	spool_close(sp);
	CHILD_CHECK(spool_open(&sp, dir, 0, 0) == 0);
	CHILD_CHECK(spool_length(sp) == 2);
	for (unsigned i = 1; i <= 2; i++) {
		CHILD_CHECK(spool_head(sp, &r) == 0 && r.seq == i);
		CHILD_CHECK(rec_is(&r, i, 1000));
		CHILD_CHECK(spool_remove(sp, i) == 0);
	}
	spool_close(sp);
	spool_rec_free(&r);
	CHILD_CHECK(count_fds() == fds);
	return 0;
}

START_TEST(test_fsize)
{
	char dir[64];
	int status;

	tmp_new(dir, sizeof(dir));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fsize_child(dir));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	tmp_rm(dir);
}
END_TEST

static Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_max_bytes);
	tcase_add_test(tc, test_max_age);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_tmp_removed);
	tcase_add_test(tc, test_kill9);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_fsize);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spool_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
