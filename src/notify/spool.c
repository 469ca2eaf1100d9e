/* The notification spool (include/hostwatch/spool.h): the queue of one
 * channel, an in-memory index of the record files in its directory
 * (spool_file.c writes and reads them), and its bounds.
 *
 * The index holds seq, created_ms and size per record, in seq order,
 * learnt at open from the headers alone, so that neither a restart nor the
 * metrics read a body. The directory's file descriptor stays open for
 * openat/renameat/unlinkat and for the fsync that makes each rename and
 * unlink durable (rename(2) is atomic, but only an fsync of the directory
 * makes it survive a power cut: see fsync(2), "Calling fsync() does not
 * necessarily ensure that the entry in the directory containing the file
 * has also reached disk"). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/clock.h"
#include "hostwatch/log.h"
#include "spool_internal.h"

struct spool_ent {
	uint64_t seq;
	int64_t created_ms;
	uint64_t size;
};

struct spool {
	int dfd;
	char *dir;
	uint64_t max_bytes;  /* 0: unbounded */
	int64_t max_age_ms;  /* <= 0: unbounded */
	struct spool_ent *ents; /* live: ents[first .. first + n) */
	size_t first, n, cap;
	uint64_t bytes;
	uint64_t next_seq;
};

void spool_rec_free(struct spool_rec *r)
{
	if (!r)
		return;
	buf_free(&r->headers);
	buf_free(&r->body);
}

/* ---- the index ------------------------------------------------------- */

/* Room for one more entry at the end, moving the live ones to the front
 * first (the head is removed far more often than the array grows). */
static int ents_reserve(struct spool *sp)
{
	if (sp->first + sp->n < sp->cap)
		return 0;
	if (sp->first > 0) {
		memmove(sp->ents, sp->ents + sp->first,
			sp->n * sizeof(*sp->ents));
		sp->first = 0;
		return 0;
	}
	size_t cap = sp->cap ? sp->cap * 2 : 64;
	struct spool_ent *e = realloc(sp->ents, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	sp->ents = e;
	sp->cap = cap;
	return 0;
}

/* The index of seq among the live entries, or -1. */
static ssize_t ents_find(const struct spool *sp, uint64_t seq)
{
	size_t lo = 0, hi = sp->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t s = sp->ents[sp->first + mid].seq;
		if (s == seq)
			return (ssize_t)mid;
		if (s < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void ents_remove(struct spool *sp, size_t i)
{
	struct spool_ent *e = sp->ents + sp->first;
	sp->bytes -= e[i].size;
	if (i == 0) {
		sp->first++;
	} else {
		memmove(e + i, e + i + 1, (sp->n - i - 1) * sizeof(*e));
	}
	if (--sp->n == 0)
		sp->first = 0;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct spool_ent *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- files ----------------------------------------------------------- */

/* Move a corrupt record out of the queue, once and with its reason: it is
 * kept for a human to look at, never retried. */
static void spool_set_aside(struct spool *sp, uint64_t seq, const char *why)
{
	char name[SPOOL_NAME_SIZE], bad[SPOOL_NAME_SIZE];
	spool_file_name(name, seq, ".rec");
	spool_file_name(bad, seq, ".bad");
	if (renameat(sp->dfd, name, sp->dfd, bad) == 0) {
		log_warn("spool %s: record %s is corrupt (%s): moved aside "
			 "to %s", sp->dir, name, why, bad);
	} else {
		int err = errno;
		/* It must leave the queue either way, or it would come
		 * back first after every restart. */
		if (unlinkat(sp->dfd, name, 0) == 0 || errno == ENOENT)
			log_warn("spool %s: record %s is corrupt (%s) and "
				 "cannot be moved aside (%s): deleted",
				 sp->dir, name, why, strerror(err));
		else
			log_warn("spool %s: record %s is corrupt (%s) and "
				 "can be neither moved aside nor deleted: %s",
				 sp->dir, name, why, strerror(errno));
	}
	fsync(sp->dfd);
}

/* Delete record file `seq` (dropped or delivered); the caller fsyncs the
 * directory, once per batch. */
static int spool_unlink(struct spool *sp, uint64_t seq)
{
	char name[SPOOL_NAME_SIZE];
	spool_file_name(name, seq, ".rec");
	if (unlinkat(sp->dfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Drop live entry i, the file first. A file that cannot be deleted is
 * still dropped from the index (and counted): it comes back at the next
 * open, which is better than a queue stuck on it. */
static void spool_drop(struct spool *sp, size_t i)
{
	uint64_t seq = sp->ents[sp->first + i].seq;
	int rc = spool_unlink(sp, seq);
	if (rc < 0)
		log_warn("spool %s: dropped record %016" PRIx64
			 " cannot be deleted: %s",
			 sp->dir, seq, strerror(-rc));
	ents_remove(sp, i);
}

/* fsync the directory holding `path` (modified and restored), so that a
 * new entry in it survives a power cut. */
static void spool_fsync_parent(char *path)
{
	char *slash = strrchr(path, '/');
	int fd;
	if (!slash) {
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (slash == path) {
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*slash = '\0';
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	}
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* mkdir -p, mode 0700 for what it creates (the state directory may exist
 * already, with its own mode, which is left alone). */
static int spool_mkdirs(const char *dir)
{
	struct stat st;
	int rc = 0;
	if (!*dir)
		return -EINVAL;
	char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		if (s[-1] != '/') { /* not "a//b" nor a trailing '/' */
			*s = '\0';
			if (mkdir(p, 0700) == 0)
				spool_fsync_parent(p);
			else if (errno != EEXIST &&
				 !(stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
				rc = -errno;
			*s = c;
		}
		if (rc < 0 || !c)
			break;
	}
	free(p);
	return rc;
}

/* Index the directory: delete *.rec.tmp (a crash between creating one and
 * its rename: never acknowledged, so never to be sent), read the header
 * of every *.rec, set aside the ones that fail its checks, sort. */
static int spool_scan(struct spool *sp)
{
	uint64_t max_seq = 0;
	size_t ntmp = 0;
	int rc = 0;
	int fd = openat(sp->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			rc = -errno;
			break;
		}
		const char *name = de->d_name;
		size_t len = strlen(name);
		uint64_t seq;
		if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
			if (unlinkat(sp->dfd, name, 0) == 0)
				ntmp++;
			else
				log_warn("spool %s: %s cannot be deleted: %s",
					 sp->dir, name, strerror(errno));
			continue;
		}
		if (spool_file_parse_name(name, ".bad", &seq)) {
			/* Never reuse its number: a later corrupt record
			 * would overwrite it when set aside. */
			if (seq > max_seq)
				max_seq = seq;
			continue;
		}
		if (!spool_file_parse_name(name, ".rec", &seq))
			continue;
		if (seq > max_seq)
			max_seq = seq;
		struct spool_hdr h;
		const char *why = NULL;
		int r = spool_file_read_hdr(sp->dfd, seq, &h, &why);
		if (r == -EBADMSG) {
			spool_set_aside(sp, seq, why);
			continue;
		}
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			rc = r;
			break;
		}
		rc = ents_reserve(sp);
		if (rc < 0)
			break;
		sp->ents[sp->n++] = (struct spool_ent){seq, h.created_ms,
						       h.size};
		sp->bytes += h.size;
	}
	closedir(d);
	if (ntmp) {
		fsync(sp->dfd);
		log_info("spool %s: deleted %zu unfinished record(s) "
			 "(written when hostwatch stopped, never accepted)",
			 sp->dir, ntmp);
	}
	if (rc < 0)
		return rc;
	if (sp->n)
		qsort(sp->ents, sp->n, sizeof(*sp->ents), cmp_ent);
	sp->next_seq = max_seq + 1;
	return 0;
}

/* ---- the interface --------------------------------------------------- */

int spool_open(struct spool **out, const char *dir, uint64_t max_bytes,
	       int64_t max_age_ms)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	int rc;

	*out = NULL;
	if (!sp || !(sp->dir = strdup(dir))) {
		rc = -ENOMEM;
		log_error("spool %s: out of memory", dir);
		goto fail;
	}
	sp->dfd = -1;
	sp->max_bytes = max_bytes;
	sp->max_age_ms = max_age_ms;
	rc = spool_mkdirs(dir);
	if (rc < 0) {
		log_error("spool %s: cannot create the directory: %s", dir,
			  strerror(-rc));
		goto fail;
	}
	sp->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dfd < 0) {
		rc = -errno;
		log_error("spool %s: cannot open the directory: %s", dir,
			  strerror(-rc));
		goto fail;
	}
	rc = spool_scan(sp);
	if (rc < 0) {
		log_error("spool %s: cannot read the directory: %s", dir,
			  strerror(-rc));
		goto fail;
	}
	*out = sp;
	return 0;

fail:
	spool_close(sp);
	return rc;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->dfd >= 0)
		close(sp->dfd);
	free(sp->ents);
	free(sp->dir);
	free(sp);
}

/* Drop what is older than max_age at now, without the directory fsync. */
static size_t spool_expire_nosync(struct spool *sp, int64_t now)
{
	size_t n = 0;
	if (sp->max_age_ms <= 0)
		return 0;
	for (size_t i = 0; i < sp->n;) {
		if (now - sp->ents[sp->first + i].created_ms > sp->max_age_ms) {
			spool_drop(sp, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

size_t spool_expire(struct spool *sp, int64_t now_ms)
{
	size_t n = spool_expire_nosync(sp, now_ms);
	if (n)
		fsync(sp->dfd);
	return n;
}

/* The record is written before the oldest are dropped for room, not
 * after: a put that fails (disk full) then loses nothing that was already
 * accepted. The directory may hold up to max_bytes plus one record for
 * that moment; a crash in it is corrected by the next put. Expired
 * records go first, as they would go anyway. */
int spool_put(struct spool *sp, struct spool_rec *r, size_t *dropped)
{
	size_t nd = 0, id_len = strnlen(r->id, sizeof(r->id));
	uint64_t size;
	int rc;

	if (id_len >= sizeof(r->id) || r->headers.failed || r->body.failed) {
		rc = -EINVAL;
		goto out;
	}
	if (r->headers.len > UINT32_MAX || r->body.len > UINT32_MAX) {
		rc = -EFBIG;
		goto out;
	}
	size = SPOOL_HDR_SIZE + id_len + r->headers.len + r->body.len;
	if (sp->max_bytes && size > sp->max_bytes) {
		rc = -EFBIG;
		goto out;
	}
	nd += spool_expire_nosync(sp, clock_wall_ms());
	rc = ents_reserve(sp);
	if (rc < 0)
		goto out;
	uint64_t old_seq = r->seq;
	r->seq = sp->next_seq;
	rc = spool_file_write(sp->dfd, r, &size);
	if (rc < 0) {
		r->seq = old_seq;
		goto out;
	}
	sp->next_seq++;
	sp->ents[sp->first + sp->n++] =
		(struct spool_ent){r->seq, r->created_ms, size};
	sp->bytes += size;
	while (sp->max_bytes && sp->bytes > sp->max_bytes && sp->n > 1) {
		spool_drop(sp, 0);
		nd++;
	}
out:
	if (nd)
		fsync(sp->dfd);
	if (dropped)
		*dropped = nd;
	return rc;
}

int spool_head(struct spool *sp, struct spool_rec *r)
{
	while (sp->n) {
		uint64_t seq = sp->ents[sp->first].seq;
		const char *why = NULL;
		int rc = spool_file_read(sp->dfd, seq, r, &why);
		if (rc == 0)
			return 0;
		if (rc == -EBADMSG) {
			spool_set_aside(sp, seq, why);
		} else if (rc == -ENOENT) {
			log_warn("spool %s: record %016" PRIx64 " has "
				 "disappeared", sp->dir, seq);
		} else {
			return rc;
		}
		ents_remove(sp, 0);
	}
	return -ENOENT;
}

int spool_remove(struct spool *sp, uint64_t seq)
{
	ssize_t i = ents_find(sp, seq);
	if (i < 0)
		return -ENOENT;
	int rc = spool_unlink(sp, seq);
	if (rc < 0)
		return rc;
	ents_remove(sp, (size_t)i);
	/* The file is gone from the directory already; should the removal
	 * not reach the disk, a power cut brings the record back and it is
	 * sent once more (with the same id), which is all it can cost. */
	if (fsync(sp->dfd) < 0)
		log_warn("spool %s: fsync after removing %016" PRIx64 ": %s",
			 sp->dir, seq, strerror(errno));
	return 0;
}

int spool_note_attempt(struct spool *sp, uint64_t seq, uint32_t attempts)
{
	if (ents_find(sp, seq) < 0)
		return -ENOENT;
	return spool_file_set_attempts(sp->dfd, seq, attempts);
}

size_t spool_length(const struct spool *sp)
{
	return sp->n;
}

uint64_t spool_bytes(const struct spool *sp)
{
	return sp->bytes;
}

int64_t spool_oldest_ms(const struct spool *sp)
{
	return sp->n ? sp->ents[sp->first].created_ms : 0;
}
