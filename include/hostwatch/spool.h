/* The notification spool: a durable FIFO per channel in
 * STATE_DIR/spool/<channel>/, so that nothing accepted is lost when a
 * receiver, the network or hostwatch itself goes down (kill -9, reboot).
 *
 * One file per notification, named by a 16-digit sequence number so that
 * the directory's sorted listing is the queue's order. A record is written
 * to a temporary file, fsync'd, renamed into place and the directory
 * fsync'd before spool_put returns: only then may it be attempted. It is
 * removed (and the directory fsync'd) after delivery. A file that is
 * truncated or corrupt (a crash in the middle of a write that never
 * reached its rename cannot leave one; a disk can) is moved aside to
 * *.bad with a log line, never retried forever, never fatal.
 *
 * Bounded: when a put would take the channel over max_bytes, or records
 * are older than max_age, the oldest are dropped and counted.
 *
 * Not thread-safe: one spool per channel, used by the notifier thread. */
#ifndef HOSTWATCH_SPOOL_H
#define HOSTWATCH_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"

/* One notification as spooled. */
struct spool_rec {
	uint64_t seq;	    /* assigned by spool_put */
	char id[64];	    /* the webhook-id, Message-ID: the same on every
			     * retry, so receivers can de-duplicate */
	int64_t created_ms; /* when the notification was made */
	uint32_t attempts;  /* attempts made so far (updated by
			     * spool_note_attempt) */
	/* The request: headers "Name: value" NUL-separated, and the body. */
	struct hw_buf headers;
	struct hw_buf body;
};

void spool_rec_free(struct spool_rec *r); /* the buffers */

struct spool;

/* Open (creating it and its missing parents, mode 0700) the directory
 * `dir` and index what it holds: leftover *.tmp files (a put cut short by
 * a crash, never acknowledged) are deleted, and the header of each record
 * is read (not its body) for its sequence, age and size; a record whose
 * header or size is wrong is set aside as *.bad. max_bytes 0 and
 * max_age_ms <= 0 mean no bound. The directory stays open until
 * spool_close. 0 or -errno with the reason logged. The file format is
 * described in src/notify/spool_internal.h. */
int spool_open(struct spool **out, const char *dir, uint64_t max_bytes,
	       int64_t max_age_ms);
void spool_close(struct spool *sp); /* NULL is fine */

/* Write `r` durably as the queue's last record (sets r->seq; sequence
 * numbers grow by one per accepted record and are never reused while the
 * directory holds a record or a *.bad file of that number). r->id must be
 * NUL-terminated; r->attempts is stored as given (normally 0). Records
 * older than max_age (by the wall clock) are dropped, and once `r` is on
 * disk the oldest are dropped until the channel is within max_bytes again
 * (never `r` itself); *dropped (may be NULL) gets how many, also when the
 * put fails. 0; -EFBIG for a record larger than max_bytes (nothing
 * dropped); -EINVAL for an id without its NUL or a buffer whose `failed`
 * is set; -errno from the file system (-ENOSPC, -EDQUOT: the record is not
 * accepted, nothing of it stays on disk, nothing already accepted is
 * lost). */
int spool_put(struct spool *sp, struct spool_rec *r, size_t *dropped);

/* Read the oldest record into *r (buffers reused). 0, -ENOENT when the
 * queue is empty, -errno. Corrupt records are set aside and skipped. */
int spool_head(struct spool *sp, struct spool_rec *r);

/* Remove record `seq` (delivered, or rejected for good). 0, -ENOENT when
 * the queue does not hold it (already dropped by the bounds), -errno. */
int spool_remove(struct spool *sp, uint64_t seq);

/* Count an attempt of record `seq` in its file (so that after a restart
 * the retry schedule goes on rather than starting over): `attempts` is the
 * new total. Rewritten in place and fdatasync'd; a write torn by a crash
 * reads back as 0 attempts, never as a corrupt record. 0, -ENOENT (not in
 * the queue), -errno. */
int spool_note_attempt(struct spool *sp, uint64_t seq, uint32_t attempts);

/* Drop records older than max_age at `now` (ms since the epoch, as
 * created_ms), wherever they are in the queue; returns how many. */
size_t spool_expire(struct spool *sp, int64_t now_ms);

/* Records in the queue, and their files' total size (headers included:
 * what max_bytes bounds). */
size_t spool_length(const struct spool *sp);
uint64_t spool_bytes(const struct spool *sp);
/* created_ms of the head of the queue (the oldest, as the notifier makes
 * created_ms with the wall clock); 0 when empty. */
int64_t spool_oldest_ms(const struct spool *sp);

#endif
