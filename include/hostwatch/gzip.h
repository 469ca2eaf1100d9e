/* gzip (RFC 1952) for whole response bodies.
 *
 * A scrape body is complete in memory before it is sent, so whole-buffer
 * compression fits: libdeflate does exactly that, about 2.5 times faster than
 * zlib's streaming deflate at level 1 on a scrape body (bench/gzip.sh), and is
 * used when configure found it. zlib stays the required fallback. Both write
 * standard gzip that any client inflates; the state is per thread. */
#ifndef HOSTWATCH_GZIP_H
#define HOSTWATCH_GZIP_H

#include "hostwatch/buf.h"

enum gzip_engine {
	GZIP_ZLIB,
	GZIP_LIBDEFLATE,
};

/* The engine gzip_compress() uses: libdeflate when built with it. */
enum gzip_engine gzip_default_engine(void);
const char *gzip_engine_name(enum gzip_engine engine);

/* Compress `in` into `out` (replacing its contents) at the fastest level.
 * 0, -ENOMEM, -EIO; -ENOTSUP for an engine this build lacks. */
int gzip_compress(const struct hw_buf *in, struct hw_buf *out);
int gzip_compress_with(enum gzip_engine engine, const struct hw_buf *in,
		       struct hw_buf *out);

/* Free the calling thread's compressor state. A thread that exits has its
 * state freed for it; the main thread (tests) calls this. */
void gzip_thread_release(void);

#endif
