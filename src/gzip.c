/* gzip for whole response bodies: see include/hostwatch/gzip.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <zlib.h>
#if HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "hostwatch/gzip.h"

/* Level 1 everywhere: the host's CPU matters more than bytes on the LAN, and
 * a 27 KB body still shrinks about fivefold. */
#define GZIP_LEVEL 1

/* The state is per thread (the HTTP threads compress concurrently); a
 * thread-specific key whose destructor frees it when the thread exits, as
 * libmicrohttpd's threads do when the daemon stops or reloads its
 * listeners, so no thread's 200-300 KB is left behind. */
static pthread_key_t release_key;
static pthread_once_t release_once = PTHREAD_ONCE_INIT;

static void release_at_exit(void *unused)
{
	(void)unused;
	gzip_thread_release();
}

static void release_key_create(void)
{
	(void)pthread_key_create(&release_key, release_at_exit);
}

/* Arrange for gzip_thread_release at this thread's exit (its value only
 * needs to be non-NULL for the destructor to run). */
static void release_on_exit(void)
{
	pthread_once(&release_once, release_key_create);
	(void)pthread_setspecific(release_key, &release_key);
}

/* One zlib stream per thread, reset between responses. zlib's default window
 * and memLevel: on a 27 KB scrape body they deflate ~25% faster than an
 * 8 KiB window (fewer hash collisions), for ~190 KiB more state. */
static __thread z_stream *zs;

static int gzip_zlib(const struct hw_buf *in, struct hw_buf *out)
{
	if (!zs) {
		zs = calloc(1, sizeof(*zs));
		if (!zs)
			return -ENOMEM;
		if (deflateInit2(zs, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			free(zs);
			zs = NULL;
			return -ENOMEM;
		}
		release_on_exit();
	} else {
		deflateReset(zs);
	}
	buf_reset(out);
	if (!buf_reserve(out, deflateBound(zs, in->len)))
		return -ENOMEM;
	zs->next_in = (Bytef *)in->data;
	zs->avail_in = (uInt)in->len;
	zs->next_out = (Bytef *)out->data;
	zs->avail_out = (uInt)out->cap;
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	out->len = out->cap - zs->avail_out;
	return 0;
}

#if HAVE_LIBDEFLATE
static __thread struct libdeflate_compressor *ld;

static int gzip_libdeflate(const struct hw_buf *in, struct hw_buf *out)
{
	if (!ld) {
		if (!(ld = libdeflate_alloc_compressor(GZIP_LEVEL)))
			return -ENOMEM;
		release_on_exit();
	}
	buf_reset(out);
	if (!buf_reserve(out, libdeflate_gzip_compress_bound(ld, in->len)))
		return -ENOMEM;
	size_t n = libdeflate_gzip_compress(ld, in->data, in->len, out->data,
					    out->cap);
	if (n == 0) /* only when the output does not fit: the bound says it does */
		return -EIO;
	out->len = n;
	return 0;
}
#endif

enum gzip_engine gzip_default_engine(void)
{
	return HAVE_LIBDEFLATE ? GZIP_LIBDEFLATE : GZIP_ZLIB;
}

const char *gzip_engine_name(enum gzip_engine engine)
{
	return engine == GZIP_LIBDEFLATE ? "libdeflate" : "zlib";
}

int gzip_compress_with(enum gzip_engine engine, const struct hw_buf *in,
		       struct hw_buf *out)
{
	if (in->failed)
		return -ENOMEM;
	switch (engine) {
	case GZIP_ZLIB:
		return gzip_zlib(in, out);
	case GZIP_LIBDEFLATE:
#if HAVE_LIBDEFLATE
		return gzip_libdeflate(in, out);
#else
		return -ENOTSUP;
#endif
	}
	return -EINVAL;
}

int gzip_compress(const struct hw_buf *in, struct hw_buf *out)
{
	return gzip_compress_with(gzip_default_engine(), in, out);
}

void gzip_thread_release(void)
{
	if (zs) {
		deflateEnd(zs);
		free(zs);
		zs = NULL;
	}
#if HAVE_LIBDEFLATE
	libdeflate_free_compressor(ld);
	ld = NULL;
#endif
}
