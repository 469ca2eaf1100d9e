/* gzip engines side by side on one scrape body: CPU time per body and output
 * size for zlib and libdeflate at level 1, in one run.
 *
 *   gzip BODY_FILE [ROUNDS]
 *
 * Before every round a few digits of the body change, as counters do between
 * scrapes: compressing the very same bytes again and again lets the branch
 * predictor learn them and flatters both engines (by ~1.5x here). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hostwatch/gzip.h"

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void perturb(struct hw_buf *b, unsigned *seed)
{
	for (int k = 0; k < 300; k++) {
		size_t p = (size_t)rand_r(seed) % b->len;
		char c = b->data[p];
		/* only a digit after a digit: names and labels stay as they are */
		if (p && c >= '0' && c <= '9' && b->data[p - 1] >= '0' &&
		    b->data[p - 1] <= '9')
			b->data[p] = (char)('0' + rand_r(seed) % 10);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s BODY_FILE [ROUNDS]\n", argv[0]);
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 3000;
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	struct hw_buf body = HW_BUF_INIT, out = HW_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(&body, chunk, n);
	fclose(f);
	if (body.len == 0) {
		fprintf(stderr, "%s: empty\n", argv[1]);
		return 1;
	}
	enum gzip_engine engines[] = {GZIP_ZLIB, GZIP_LIBDEFLATE};
	double cpu[2] = {0, 0};
	size_t size[2] = {0, 0};
	unsigned seed = 1;
	/* Interleaved, so both see the same machine load. */
	for (int r = 0; r < rounds; r++) {
		perturb(&body, &seed);
		for (int e = 0; e < 2; e++) {
			double t0 = cpu_now();
			if (gzip_compress_with(engines[e], &body, &out) != 0) {
				if (r == 0)
					fprintf(stderr, "%s: not built in\n",
						gzip_engine_name(engines[e]));
				continue;
			}
			cpu[e] += cpu_now() - t0;
			size[e] = out.len;
		}
	}
	printf("body: %zu bytes, %d rounds, level 1\n", body.len, rounds);
	printf("%-12s %14s %12s\n", "engine", "CPU us/body", "gzip bytes");
	for (int e = 0; e < 2; e++)
		if (size[e])
			printf("%-12s %14.1f %12zu\n", gzip_engine_name(engines[e]),
			       cpu[e] / rounds * 1e6, size[e]);
	if (size[0] && size[1])
		printf("libdeflate uses %.2fx less CPU than zlib\n",
		       cpu[0] / cpu[1]);
	buf_free(&body);
	buf_free(&out);
	gzip_thread_release();
	return 0;
}
