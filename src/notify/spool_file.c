/* The spool's record files: encoding, the durable write (tmp, fsync,
 * rename, fsync the directory) and the checked reads. The format is
 * described in spool_internal.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "spool_internal.h"

/* ---- encoding -------------------------------------------------------- */

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* zlib's crc32 takes a uInt length; our lengths are 32-bit, but be exact
 * about it rather than rely on uInt's width. */
static uint32_t crc_more(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, c, k);
		c += k;
		n -= k;
	}
	return crc;
}

static void attempts_encode(unsigned char *p, uint32_t attempts)
{
	put_le32(p, attempts);
	put_le32(p + 4, ~attempts);
}

void spool_file_name(char *out, uint64_t seq, const char *suffix)
{
	snprintf(out, SPOOL_NAME_SIZE, "%016" PRIx64 "%s", seq, suffix);
}

bool spool_file_parse_name(const char *name, const char *suffix,
			   uint64_t *seq)
{
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	if (strcmp(name + 16, suffix) != 0)
		return false;
	*seq = v;
	return true;
}

/* ---- writing --------------------------------------------------------- */

/* writev until all is written (a regular file may still return short on
 * a signal or a nearly full disk; the next call then says why). */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int spool_file_write(int dfd, const struct spool_rec *r, uint64_t *size)
{
	char name[SPOOL_NAME_SIZE], tmp[SPOOL_NAME_SIZE];
	unsigned char hdr[SPOOL_HDR_SIZE];
	size_t id_len = strnlen(r->id, sizeof(r->id));
	int fd = -1, rc;
	bool renamed = false;

	if (id_len >= sizeof(r->id) || r->headers.len > UINT32_MAX ||
	    r->body.len > UINT32_MAX)
		return -EINVAL;
	memcpy(hdr, SPOOL_MAGIC, 8);
	put_le64(hdr + 8, r->seq);
	put_le64(hdr + 16, (uint64_t)r->created_ms);
	put_le32(hdr + 24, (uint32_t)id_len);
	put_le32(hdr + 28, (uint32_t)r->headers.len);
	put_le32(hdr + 32, (uint32_t)r->body.len);
	uint32_t crc = crc_more(0, hdr, 36);
	crc = crc_more(crc, r->id, id_len);
	crc = crc_more(crc, r->headers.data, r->headers.len);
	crc = crc_more(crc, r->body.data, r->body.len);
	put_le32(hdr + 36, crc);
	attempts_encode(hdr + SPOOL_OFF_ATTEMPTS, r->attempts);

	spool_file_name(name, r->seq, ".rec");
	spool_file_name(tmp, r->seq, ".rec.tmp");
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct iovec iov[4] = {
		{hdr, sizeof(hdr)},
		{(void *)r->id, id_len},
		{r->headers.data, r->headers.len},
		{r->body.data, r->body.len},
	};
	rc = write_all(fd, iov, 4);
	if (rc < 0)
		goto fail;
	/* ENOSPC and EDQUOT may surface only here (delayed allocation,
	 * NFS), and so may EIO: the record is not accepted until both the
	 * data and, after the rename, the directory entry are on disk. */
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		rc = -errno;
		goto fail;
	}
	if (renameat(dfd, tmp, dfd, name) < 0) {
		rc = -errno;
		goto fail;
	}
	renamed = true;
	if (fsync(dfd) < 0) {
		rc = -errno;
		goto fail;
	}
	*size = SPOOL_HDR_SIZE + id_len + r->headers.len + r->body.len;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	/* Never acknowledged: take it back, whichever name it has now. */
	unlinkat(dfd, renamed ? name : tmp, 0);
	return rc;
}

int spool_file_set_attempts(int dfd, uint64_t seq, uint32_t attempts)
{
	char name[SPOOL_NAME_SIZE];
	unsigned char b[8];
	int rc = 0;

	spool_file_name(name, seq, ".rec");
	int fd = openat(dfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	attempts_encode(b, attempts);
	ssize_t w = pwrite(fd, b, sizeof(b), SPOOL_OFF_ATTEMPTS);
	if (w < 0)
		rc = -errno;
	else if (w != (ssize_t)sizeof(b))
		rc = -EIO;
	else if (fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* ---- reading --------------------------------------------------------- */

static int read_exact(int fd, void *p, size_t n, off_t off)
{
	char *c = p;
	while (n) {
		ssize_t k = pread(fd, c, n, off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EBADMSG; /* shorter than it says: truncated */
		c += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

/* Open record `seq` and check its header against its name and size. */
static int open_checked(int dfd, uint64_t seq, struct spool_hdr *h,
			unsigned char *hdr, const char **why)
{
	char name[SPOOL_NAME_SIZE];
	struct stat st;
	int rc;

	*why = NULL;
	spool_file_name(name, seq, ".rec");
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			*why = "a symbolic link";
		return rc == -ELOOP ? -EBADMSG : rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -EBADMSG;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto fail;
	}
	if (st.st_size < SPOOL_HDR_SIZE) {
		*why = "truncated header";
		goto fail;
	}
	rc = read_exact(fd, hdr, SPOOL_HDR_SIZE, 0);
	if (rc < 0)
		goto fail;
	rc = -EBADMSG;
	if (memcmp(hdr, SPOOL_MAGIC, 8) != 0) {
		*why = "bad magic (not a spool record, or another version)";
		goto fail;
	}
	h->seq = get_le64(hdr + 8);
	h->created_ms = (int64_t)get_le64(hdr + 16);
	h->id_len = get_le32(hdr + 24);
	h->headers_len = get_le32(hdr + 28);
	h->body_len = get_le32(hdr + 32);
	h->crc = get_le32(hdr + 36);
	h->attempts = get_le32(hdr + 40);
	if (get_le32(hdr + 44) != ~h->attempts)
		h->attempts = 0; /* a torn update: see spool_internal.h */
	h->size = (uint64_t)SPOOL_HDR_SIZE + h->id_len + h->headers_len +
		  h->body_len;
	if (h->seq != seq) {
		*why = "sequence number differs from the file name";
		goto fail;
	}
	if (h->id_len >= sizeof(((struct spool_rec *)0)->id)) {
		*why = "id too long";
		goto fail;
	}
	if (h->size != (uint64_t)st.st_size) {
		*why = h->size > (uint64_t)st.st_size ? "truncated"
						      : "trailing bytes";
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return rc;
}

int spool_file_read_hdr(int dfd, uint64_t seq, struct spool_hdr *h,
			const char **why)
{
	unsigned char hdr[SPOOL_HDR_SIZE];
	int fd = open_checked(dfd, seq, h, hdr, why);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Read n bytes at off into b, replacing what it held. */
static int read_buf(int fd, struct hw_buf *b, size_t n, off_t off)
{
	buf_reset(b);
	if (!buf_reserve(b, n))
		return -ENOMEM;
	int rc = read_exact(fd, b->data, n, off);
	if (rc < 0)
		return rc;
	b->len = n;
	b->data[n] = '\0'; /* buf_reserve left room for it */
	return 0;
}

int spool_file_read(int dfd, uint64_t seq, struct spool_rec *r,
		    const char **why)
{
	unsigned char hdr[SPOOL_HDR_SIZE];
	struct spool_hdr h;
	int rc;

	buf_reset(&r->headers);
	buf_reset(&r->body);
	int fd = open_checked(dfd, seq, &h, hdr, why);
	if (fd < 0)
		return fd;
	off_t off = SPOOL_HDR_SIZE;
	memset(r->id, 0, sizeof(r->id));
	rc = read_exact(fd, r->id, h.id_len, off);
	if (rc < 0)
		goto out;
	off += h.id_len;
	rc = read_buf(fd, &r->headers, h.headers_len, off);
	if (rc < 0)
		goto out;
	off += h.headers_len;
	rc = read_buf(fd, &r->body, h.body_len, off);
	if (rc < 0)
		goto out;
	uint32_t crc = crc_more(0, hdr, 36);
	crc = crc_more(crc, r->id, h.id_len);
	crc = crc_more(crc, r->headers.data, r->headers.len);
	crc = crc_more(crc, r->body.data, r->body.len);
	if (crc != h.crc || strlen(r->id) != h.id_len) {
		*why = "checksum mismatch";
		rc = -EBADMSG;
		goto out;
	}
	r->seq = h.seq;
	r->created_ms = h.created_ms;
	r->attempts = h.attempts;
out:
	if (rc == -EBADMSG && !*why)
		*why = "truncated";
	if (rc < 0) {
		buf_reset(&r->headers);
		buf_reset(&r->body);
	}
	close(fd);
	return rc;
}
