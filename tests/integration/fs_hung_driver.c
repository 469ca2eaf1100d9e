/* Drives the filesystem collector against a FUSE mount whose daemon is
 * stopped, for filesystem_hung_mount.sh (which sets up the mount and cleans
 * up whatever happens here).
 *
 * usage: fs_hung_driver ROOT HUNG_MOUNTPOINT OK_MOUNTPOINT FUSE_PID
 *   ROOT/proc/1/mounts lists both mounts, ROOT/root is the rootfs, and the
 *   daemon FUSE_PID is SIGSTOPped when we start. We send it SIGCONT and
 *   SIGSTOP ourselves to check recovery and a fini() while stuck. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern const struct collector collector_filesystem;

#define TIMEOUT 0.5
#define SLACK 0.5

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			failures++;                                            \
		}                                                              \
	} while (0)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char key_err_hung[512], key_err_ok[512], key_size_hung[512],
	key_size_ok[512];

/* One collect; returns its duration. */
static double collect(struct hw_ctx *ctx, struct capture_sink *cs)
{
	capture_free(cs);
	capture_init(cs);
	double t0 = now();
	int rc = collector_filesystem.collect(ctx, &cs->sink);
	double dt = now() - t0;
	CHECK(rc == 0, "collect returned %d", rc);
	CHECK(cs->violations == 0, "sink contract violated");
	return dt;
}

static double value(const struct capture_sink *cs, const char *key)
{
	const struct capture_sample *s = capture_find(cs, key);
	return s ? s->value : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s ROOT HUNG OK FUSE_PID\n", argv[0]);
		return 2;
	}
	const char *root = argv[1], *hung = argv[2], *ok = argv[3];
	pid_t fuse = (pid_t)atoi(argv[4]);
	const char *lab = "node_filesystem_%s{device=\"%s\",fstype=\"%s\","
			  "mountpoint=\"%s\"}";
	snprintf(key_err_hung, sizeof(key_err_hung), lab, "device_error",
		 "hungfs", "fuse.bindfs", hung);
	snprintf(key_size_hung, sizeof(key_size_hung), lab, "size_bytes",
		 "hungfs", "fuse.bindfs", hung);
	snprintf(key_err_ok, sizeof(key_err_ok), lab, "device_error", "okfs",
		 "tmpfs", ok);
	snprintf(key_size_ok, sizeof(key_size_ok), lab, "size_bytes", "okfs",
		 "tmpfs", ok);

	struct hw_config cfg;
	config_defaults(&cfg);
	free(cfg.procfs);
	free(cfg.rootfs);
	char path[4096];
	snprintf(path, sizeof(path), "%s/proc", root);
	cfg.procfs = strdup(path);
	snprintf(path, sizeof(path), "%s/root", root);
	cfg.rootfs = strdup(path);
	cfg.fs_mount_timeout = TIMEOUT;

	struct hw_ctx ctx = {.cfg = &cfg};
	struct capture_sink cs;
	capture_init(&cs);
	int rc = collector_filesystem.init(&ctx);
	CHECK(rc == 0, "init returned %d", rc);
	if (rc)
		return 1;

	/* 1: the hung mount costs one timeout, and only it is in error. */
	double dt = collect(&ctx, &cs);
	printf("first collect: %.3fs\n", dt);
	CHECK(dt >= TIMEOUT - 0.05 && dt < TIMEOUT + SLACK,
	      "first collect took %.3fs", dt);
	CHECK(value(&cs, key_err_hung) == 1, "hung mount device_error %g",
	      value(&cs, key_err_hung));
	CHECK(!capture_find(&cs, key_size_hung),
	      "hung mount has a size_bytes sample");
	CHECK(value(&cs, key_err_ok) == 0, "ok mount device_error %g",
	      value(&cs, key_err_ok));
	CHECK(value(&cs, key_size_ok) > 0, "ok mount size_bytes %g",
	      value(&cs, key_size_ok));

	/* 2: the stuck mount is not asked again, so no wait at all. */
	dt = collect(&ctx, &cs);
	printf("second collect: %.3fs\n", dt);
	CHECK(dt < 0.2, "second collect took %.3fs", dt);
	CHECK(value(&cs, key_err_hung) == 1, "hung mount device_error %g",
	      value(&cs, key_err_hung));
	CHECK(value(&cs, key_size_ok) > 0, "ok mount lost its values");

	/* 3: once the daemon runs again the blocked statfs returns and the
	 * mount is reported normally again. */
	CHECK(kill(fuse, SIGCONT) == 0, "SIGCONT: %s", strerror(errno));
	bool recovered = false;
	for (int i = 0; i < 50 && !recovered; i++) {
		usleep(100000);
		collect(&ctx, &cs);
		recovered = value(&cs, key_err_hung) == 0 &&
			    value(&cs, key_size_hung) > 0;
	}
	printf("recovered: %s\n", recovered ? "yes" : "no");
	CHECK(recovered, "hung mount did not recover after SIGCONT");

	/* 4: stuck again, then fini() must return at once; the blocked
	 * worker keeps its own reference and exits after SIGCONT. */
	CHECK(kill(fuse, SIGSTOP) == 0, "SIGSTOP: %s", strerror(errno));
	usleep(100000);
	dt = collect(&ctx, &cs);
	CHECK(value(&cs, key_err_hung) == 1, "hung mount not in error again");
	double t0 = now();
	collector_filesystem.fini(&ctx);
	dt = now() - t0;
	printf("fini while stuck: %.3fs\n", dt);
	CHECK(dt < 0.2, "fini took %.3fs", dt);
	kill(fuse, SIGCONT);
	/* Let the abandoned worker see its answer and free what it holds. */
	usleep(300000);

	capture_free(&cs);
	buf_free(&ctx.buf);
	config_free(&cfg);
	printf("%s\n", failures ? "FAILED" : "OK");
	return failures ? 1 : 0;
}
