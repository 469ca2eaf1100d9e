/* statfs worker threads for the filesystem collector: see fsworker.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/log.h"

#include "fsworker.h"

/* statfs needs next to no stack; abandoned workers should cost little. */
#define FS_WORKER_STACK (64u << 10)

struct fs_worker {
	pthread_mutex_t mu;
	pthread_cond_t req;  /* collector -> worker: a batch, or quit */
	pthread_cond_t done; /* worker -> collector: the batch is answered */
	pthread_t thread;
	unsigned refs;
	bool quit;      /* the owner wants the idle worker to exit */
	bool abandoned; /* timed out: exit once the blocked call returns */
	bool busy;      /* in statfs(path), the lock released */
	/* The batch being answered (NULL: idle): the worker only reads and
	 * writes it under the lock and while not abandoned. */
	struct fs_statfs_req *batch;
	size_t next, n;
	struct timespec started; /* of the current statfs, or the hand-over */
	char path[PATH_MAX];     /* the worker's copy of the current path */
};

void fs_worker_unref(struct fs_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool last = --w->refs == 0;
	pthread_mutex_unlock(&w->mu);
	if (!last)
		return;
	pthread_cond_destroy(&w->req);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static void *fs_worker_main(void *arg)
{
	struct fs_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->batch && !w->quit && !w->abandoned)
			pthread_cond_wait(&w->req, &w->mu);
		if (!w->batch || w->abandoned)
			break; /* quit while idle, or given up on */
		if (w->next == w->n) {
			w->batch = NULL;
			pthread_cond_signal(&w->done);
			continue;
		}
		/* The path is copied under the lock: once abandoned, the
		 * caller may free the batch while we are blocked. */
		strcpy(w->path, w->batch[w->next].path);
		clock_gettime(CLOCK_MONOTONIC, &w->started);
		w->busy = true;
		pthread_mutex_unlock(&w->mu);
		struct statfs st;
		int err = statfs(w->path, &st) < 0 ? errno : 0;
		pthread_mutex_lock(&w->mu);
		w->busy = false;
		if (w->abandoned)
			break;
		w->batch[w->next].err = err;
		w->batch[w->next].st = st;
		w->next++;
	}
	pthread_mutex_unlock(&w->mu);
	fs_worker_unref(w);
	return NULL;
}

struct fs_worker *fs_worker_new(void)
{
	struct fs_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	/* Timeouts must not move with the wall clock. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->req, NULL);
	pthread_cond_init(&w->done, &ca);
	pthread_condattr_destroy(&ca);
	w->refs = 2; /* the collector and the thread */

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FS_WORKER_STACK);
	/* Signals are for the main thread, never for a worker. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, &attr, fs_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("filesystem: cannot start a statfs worker: %s",
			  strerror(rc));
		w->refs = 1;
		fs_worker_unref(w);
		return NULL;
	}
	return w;
}

void fs_worker_stop(struct fs_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->req);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	fs_worker_unref(w);
}

/* t + seconds */
static struct timespec fs_worker_after(struct timespec t, double seconds)
{
	time_t sec = (time_t)seconds;
	t.tv_sec += sec;
	t.tv_nsec += (long)((seconds - (double)sec) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static bool fs_worker_before(const struct timespec *a,
			     const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

size_t fs_worker_statfs(struct fs_worker *w, struct fs_statfs_req *req,
			size_t first, size_t n, double timeout)
{
	if (!(timeout > 0))
		timeout = 0;
	if (timeout > 86400)
		timeout = 86400;
	if (first >= n)
		return n;
	pthread_mutex_lock(&w->mu);
	w->batch = req;
	w->next = first;
	w->n = n;
	clock_gettime(CLOCK_MONOTONIC, &w->started);
	pthread_cond_signal(&w->req);
	size_t k = n;
	while (w->batch) {
		/* The deadline of whatever the worker is on now: it moves on
		 * as answers come, and is only missed when one takes too
		 * long. */
		struct timespec dl = fs_worker_after(w->started, timeout), now;
		if (pthread_cond_timedwait(&w->done, &w->mu, &dl) != ETIMEDOUT)
			continue;
		if (!w->batch)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		dl = fs_worker_after(w->started, timeout);
		if (fs_worker_before(&now, &dl))
			continue;
		k = w->next;
		w->batch = NULL;
		w->abandoned = true;
		pthread_cond_signal(&w->req); /* if it was between two */
		pthread_detach(w->thread);
	}
	pthread_mutex_unlock(&w->mu);
	return k;
}

bool fs_worker_finished(struct fs_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool done = !w->busy;
	pthread_mutex_unlock(&w->mu);
	return done;
}
