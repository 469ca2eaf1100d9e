/* Between cgroup_read.c (which files, what they mean) and cgroup_parse.c
 * (reading and parsing them); not for other modules, which use cgroup.h. */
#ifndef HOSTWATCH_CGROUP_INTERNAL_H
#define HOSTWATCH_CGROUP_INTERNAL_H

#include <stdint.h>

#include "hostwatch/cgroup.h"
#include "hostwatch/collector.h"

/* Read dirfd/name into r->buf, NUL-terminated: 0 or -errno; -EINVAL when a
 * non-empty file does not end in a newline. One read() per file when it
 * fits (cgroupfs stat files are single seq_file records). */
int cgroup_file_read(struct cgroup_reader *r, int dirfd, const char *name);
/* The number of lines of dirfd/name (cgroup.procs), read in chunks of the
 * reader's buffer. 0, -errno, or -EINVAL for a last line cut short. */
int cgroup_file_lines(struct cgroup_reader *r, int dirfd, const char *name,
		      uint64_t *lines);

/* "4096\n" and nothing else. */
int cgroup_parse_single(const char *p, uint64_t *v);
/* A limit: a number, or "max"; 0 when unlimited (above 2^62, cAdvisor). */
int cgroup_parse_limit(const char *p, uint64_t *v);
/* "key value" lines: the first n (< 32) keys' values into out, bit i of
 * *found for each key seen; stops when all are. */
int cgroup_parse_keyed(const char *p, const char *const *keys, unsigned n,
		       uint64_t *out, unsigned *found);
/* A PSI file: "some" (required) and "full" totals, microseconds, into
 * st->v[f_some] and st->v[f_some + 1] as seconds. */
int cgroup_parse_psi(const char *p, struct cgroup_stats *st, int f_some);
/* v2 io.stat and v1 blkio.*io_service_bytes*: the devices' bytes read and
 * written, appended to r->io after st->io_off. */
int cgroup_parse_io_stat(struct cgroup_reader *r, struct cgroup_stats *st,
			 const char *p);
int cgroup_parse_blkio(struct cgroup_reader *r, struct cgroup_stats *st,
		       const char *p);

/* cgroup.c, for the docker collector while the cgroup collector is off:
 * the container_* families of Docker's running containers alone (no walk).
 * The same life cycle as a collector's, on ctx->priv. */
int cgroup_containers_init(struct hw_ctx *ctx);
int cgroup_containers_collect(struct hw_ctx *ctx, struct sink *sink);
void cgroup_containers_fini(struct hw_ctx *ctx);

#endif
