/* The spool's record files (spool_file.c), shared with the queue that
 * indexes them (spool.c). See include/hostwatch/spool.h.
 *
 * A record file, all integers little-endian:
 *
 *   off len
 *    0   8  magic "HWSPOOL1" (the 1 is the format's version)
 *    8   8  seq, the same as the file's name
 *   16   8  created_ms
 *   24   4  length of the id (< 64)
 *   28   4  length of the headers
 *   32   4  length of the body
 *   36   4  CRC-32 (zlib's) of bytes 0..35, then of id, headers, body
 *   40   4  attempts
 *   44   4  ~attempts
 *   48      id, headers, body
 *
 * attempts is the one field rewritten in place (spool_note_attempt), so it
 * is kept out of the CRC: a torn write of it can never make the record
 * look corrupt and be set aside. Its complement next to it catches such a
 * tear (both halves sit in one aligned 8-byte pwrite, which no disk tears
 * in practice); a mismatch reads as 0 attempts, which restarts the retry
 * schedule and loses nothing. */
#ifndef HOSTWATCH_SPOOL_INTERNAL_H
#define HOSTWATCH_SPOOL_INTERNAL_H

#include <stdint.h>

#include "hostwatch/spool.h"

#define SPOOL_MAGIC "HWSPOOL1"
#define SPOOL_HDR_SIZE 48
#define SPOOL_OFF_ATTEMPTS 40
/* "%016" PRIx64 plus the longest suffix, ".rec.tmp", and a NUL. */
#define SPOOL_NAME_SIZE 32

/* What the header says about a record; enough to index it. */
struct spool_hdr {
	uint64_t seq;
	int64_t created_ms;
	uint32_t id_len, headers_len, body_len;
	uint32_t crc;
	uint32_t attempts;
	uint64_t size; /* of the whole file */
};

/* The file names of record `seq`: suffix is ".rec", ".rec.tmp", ".bad". */
void spool_file_name(char *out, uint64_t seq, const char *suffix);

/* Parse a directory entry "<16 hex digits><suffix>"; true when it has
 * that shape. */
bool spool_file_parse_name(const char *name, const char *suffix,
			   uint64_t *seq);

/* Write record `r` (r->seq already set) as <seq>.rec in directory dfd:
 * to <seq>.rec.tmp, fsync, rename, fsync the directory. On failure
 * nothing is left behind. *size gets the file's size. 0 or -errno. */
int spool_file_write(int dfd, const struct spool_rec *r, uint64_t *size);

/* Read the header of record `seq` only, checking what can be checked
 * without the payload (magic, seq, lengths against the file's size).
 * -EBADMSG with *why set for a corrupt or truncated file, -ENOENT when it
 * is gone, other -errno. */
int spool_file_read_hdr(int dfd, uint64_t seq, struct spool_hdr *h,
			const char **why);

/* Read all of record `seq` into r (buffers reused) and check its CRC.
 * Errors as spool_file_read_hdr. */
int spool_file_read(int dfd, uint64_t seq, struct spool_rec *r,
		    const char **why);

/* Rewrite record `seq`'s attempts field in place, fdatasync. 0 or
 * -errno. */
int spool_file_set_attempts(int dfd, uint64_t seq, uint32_t attempts);

#endif
