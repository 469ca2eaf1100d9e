/* The filesystem collector's statfs worker threads: statfs(2) can block for
 * as long as a hung NFS or FUSE server does, so it runs in a worker and the
 * scrape waits for each answer at most a timeout. A scrape hands the worker
 * all its mounts at once, so the two threads meet once per scrape instead of
 * once per mount (each meeting costs two futex wake-ups and two context
 * switches, several times the statfs itself on local filesystems).
 *
 * A worker is shared between the collector and its thread and freed by
 * whichever drops the last reference, so a thread still blocked in statfs
 * when the collector goes away never touches freed memory; an abandoned
 * worker never touches the caller's requests again either. */
#ifndef HOSTWATCH_COLLECTORS_FSWORKER_H
#define HOSTWATCH_COLLECTORS_FSWORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/statfs.h>

struct fs_worker;

/* One statfs of a batch: `path` in (shorter than PATH_MAX), err (0 or an
 * errno) and st out. */
struct fs_statfs_req {
	const char *path;
	int err;
	struct statfs st;
};

/* Start an idle worker thread; NULL (after logging why) when it cannot. */
struct fs_worker *fs_worker_new(void);

/* statfs every req[first..n), in order, through the idle worker w, each
 * answer awaited at most `timeout` seconds from the moment the worker
 * starts on it (or, for the first, from the hand-over). Returns n when all
 * were answered. Otherwise the index k of the one that was not: req[first,
 * k) are answered, w is abandoned (detached; it exits once its blocked call
 * returns, and never touches req again) and still owned by the caller's
 * reference, for fs_worker_finished and fs_worker_unref. */
size_t fs_worker_statfs(struct fs_worker *w, struct fs_statfs_req *req,
			size_t first, size_t n, double timeout);

/* Whether an abandoned worker's blocked call has returned. */
bool fs_worker_finished(struct fs_worker *w);

/* Stop an idle worker and wait for it (it is idle: this is quick), then
 * drop the caller's reference. */
void fs_worker_stop(struct fs_worker *w);

/* Drop a reference; the last one frees the worker. */
void fs_worker_unref(struct fs_worker *w);

#endif
