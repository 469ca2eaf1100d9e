/* gzip engines: whatever each one writes must inflate (with zlib, as curl
 * and Prometheus's Go client do) back to the exact input, for empty, small,
 * typical, incompressible and large bodies. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "hostwatch/gzip.h"

static void fill_metrics(struct hw_buf *b, size_t target)
{
	for (unsigned i = 0; b->len < target; i++)
		buf_printf(b,
			   "node_network_receive_bytes_total{device=\"eth%u\"} %u\n",
			   i % 7, i * 2654435761u);
	b->len = target; /* exactly `target` bytes, cut mid-line or not */
}

static void fill_random(struct hw_buf *b, size_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	buf_reserve(b, n);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->data[i] = (char)x;
	}
	b->len = n;
}

/* Inflate gzip data with zlib and compare with the original. */
static void assert_roundtrip(const struct hw_buf *in, const struct hw_buf *gz)
{
	ck_assert_uint_ge(gz->len, 18); /* header + trailer */
	ck_assert_uint_eq((unsigned char)gz->data[0], 0x1f);
	ck_assert_uint_eq((unsigned char)gz->data[1], 0x8b);
	ck_assert_uint_eq((unsigned char)gz->data[2], 8); /* deflate */
	z_stream z = {0};
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	size_t cap = in->len + 1;
	unsigned char *out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	z.next_in = (Bytef *)gz->data;
	z.avail_in = (uInt)gz->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(z.total_out, in->len);
	ck_assert_uint_eq(z.avail_in, 0); /* nothing after the trailer */
	ck_assert(in->len == 0 || memcmp(out, in->data, in->len) == 0);
	inflateEnd(&z);
	free(out);
}

static const enum gzip_engine engines[] = {GZIP_ZLIB, GZIP_LIBDEFLATE};

static bool built_with(enum gzip_engine e)
{
	return e == GZIP_ZLIB || HAVE_LIBDEFLATE;
}

START_TEST(roundtrip_sizes)
{
	enum gzip_engine e = engines[_i];
	if (!built_with(e))
		return;
	const size_t sizes[] = {0, 1, 100, 27000, 300000, 2000000};
	struct hw_buf in = HW_BUF_INIT, gz = HW_BUF_INIT;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		buf_reset(&in);
		fill_metrics(&in, sizes[k]);
		ck_assert_int_eq(gzip_compress_with(e, &in, &gz), 0);
		assert_roundtrip(&in, &gz);
		/* Text this repetitive must actually shrink. */
		if (in.len >= 27000)
			ck_assert_uint_lt(gz.len, in.len / 4);
	}
	buf_free(&in);
	buf_free(&gz);
	gzip_thread_release();
}
END_TEST

START_TEST(roundtrip_incompressible)
{
	enum gzip_engine e = engines[_i];
	if (!built_with(e))
		return;
	struct hw_buf in = HW_BUF_INIT, gz = HW_BUF_INIT;
	fill_random(&in, 100000);
	ck_assert_int_eq(gzip_compress_with(e, &in, &gz), 0);
	assert_roundtrip(&in, &gz);
	/* The state is reused: a second, different body must not carry over. */
	buf_reset(&in);
	fill_metrics(&in, 5000);
	ck_assert_int_eq(gzip_compress_with(e, &in, &gz), 0);
	assert_roundtrip(&in, &gz);
	buf_free(&in);
	buf_free(&gz);
	gzip_thread_release();
}
END_TEST

START_TEST(failed_input_refused)
{
	struct hw_buf in = HW_BUF_INIT, gz = HW_BUF_INIT;
	buf_puts(&in, "x 1\n");
	in.failed = true; /* a body that ran out of memory half-way */
	ck_assert_int_eq(gzip_compress(&in, &gz), -ENOMEM);
	buf_free(&in);
	buf_free(&gz);
}
END_TEST

START_TEST(default_engine)
{
	enum gzip_engine e = gzip_default_engine();
	ck_assert_int_eq(e, HAVE_LIBDEFLATE ? GZIP_LIBDEFLATE : GZIP_ZLIB);
	ck_assert_str_eq(gzip_engine_name(e),
			 HAVE_LIBDEFLATE ? "libdeflate" : "zlib");
	if (!HAVE_LIBDEFLATE) {
		struct hw_buf in = HW_BUF_INIT, gz = HW_BUF_INIT;
		buf_puts(&in, "x 1\n");
		ck_assert_int_eq(gzip_compress_with(GZIP_LIBDEFLATE, &in, &gz),
				 -ENOTSUP);
		buf_free(&in);
		buf_free(&gz);
	}
}
END_TEST

/* An HTTP thread that compressed and then exits leaves nothing behind:
 * valgrind (tests/run-unit) and LeakSanitizer fail this test otherwise. */
static void *compress_and_exit(void *arg)
{
	enum gzip_engine e = *(const enum gzip_engine *)arg;
	struct hw_buf in = HW_BUF_INIT, gz = HW_BUF_INIT;
	fill_metrics(&in, 5000);
	intptr_t rc = gzip_compress_with(e, &in, &gz);
	buf_free(&in);
	buf_free(&gz);
	return (void *)rc;
}

START_TEST(thread_exit_frees_state)
{
	enum gzip_engine e = engines[_i];
	if (!built_with(e))
		return;
	for (int k = 0; k < 3; k++) {
		pthread_t t;
		void *rc;
		ck_assert_int_eq(pthread_create(&t, NULL, compress_and_exit, &e), 0);
		ck_assert_int_eq(pthread_join(t, &rc), 0);
		ck_assert_int_eq((intptr_t)rc, 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gzip");
	TCase *tc = tcase_create("gzip");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, roundtrip_sizes, 0, 2);
	tcase_add_loop_test(tc, roundtrip_incompressible, 0, 2);
	tcase_add_test(tc, failed_input_refused);
	tcase_add_loop_test(tc, thread_exit_frees_state, 0, 2);
	tcase_add_test(tc, default_engine);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
