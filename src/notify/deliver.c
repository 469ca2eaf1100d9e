/* Delivery of spooled notifications: one queue per channel (its spool),
 * head of line first, attempts on one libcurl multi handle, the retry
 * schedule, and the metrics. The rules are in include/hostwatch/deliver.h;
 * one attempt's handle is deliver_xfer.c's. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "deliver_internal.h"
#include "hostwatch/clock.h"
#include "hostwatch/deliver.h"
#include "hostwatch/journal.h"
#include "hostwatch/log.h"

/* hostwatch_notifications_total's results, in the order they are printed
 * (sorted, as node_exporter's registry prints label values). */
enum dl_result { DL_DROPPED, DL_REJECTED_N, DL_RETRY_N, DL_SUCCESS_N, DL_NRES };
static const char *const dl_result_names[DL_NRES] = {"dropped", "rejected",
						     "retry", "success"};

/* How long a channel waits after its spool could not be read. */
#define DL_SPOOL_ERROR_WAIT_MS 1000

struct dl_chan {
	const struct hw_channel *cfg;
	struct spool *sp;
	struct spool_rec rec; /* the head, while it is attempted */
	struct dl_xfer *x;    /* one per URL */
	size_t inflight;      /* transfers of the current attempt not done */
	int64_t next_ms;      /* monotonic: when the head may be attempted */

	/* Read by deliver_write_metrics from other threads: under d->mu. */
	uint64_t count[DL_NRES];
	size_t qlen;
	int64_t oldest_ms;
};

struct deliver {
	const struct hw_config *cfg;
	CURLM *multi;
	struct dl_chan *ch;
	size_t nch;
	size_t *order; /* channel indexes sorted by name, for the metrics */
	uint64_t rng;  /* xorshift64* state, for the jitter */
	pthread_mutex_t mu;
};

/* A uniform double in [0, 1): xorshift64* (Vigna), plenty for jitter. */
static double dl_random(struct deliver *d)
{
	uint64_t x = d->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->rng = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

/* The wait before the next attempt, after `failures` failed ones (>= 1).
 * Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog,
 * 2015): uniform in [0, min(retry_max, retry_initial * 2^(failures-1))],
 * so that the first retry's ceiling is retry_initial, as [notify]
 * documents it. A receiver's Retry-After is obeyed instead, up to
 * 4 * retry_max so that a bogus one cannot park a channel for days. */
static int64_t dl_backoff_ms(struct deliver *d, uint32_t failures,
			     int64_t retry_after_s)
{
	double cap = d->cfg->retry_max;
	if (retry_after_s > 0) {
		double s = (double)retry_after_s;
		return (int64_t)((s < cap * 4 ? s : cap * 4) * 1000);
	}
	int e = failures > 1 ? (int)(failures - 1) : 0;
	double ceil = ldexp(d->cfg->retry_initial, e > 60 ? 60 : e);
	if (ceil > cap)
		ceil = cap;
	return (int64_t)(dl_random(d) * ceil * 1000);
}

/* The queue's figures for the metrics, after any change to the spool. */
static void dl_snapshot(struct deliver *d, struct dl_chan *c)
{
	pthread_mutex_lock(&d->mu);
	c->qlen = spool_length(c->sp);
	c->oldest_ms = spool_oldest_ms(c->sp);
	pthread_mutex_unlock(&d->mu);
}

static void dl_count(struct deliver *d, struct dl_chan *c, enum dl_result r,
		     uint64_t n)
{
	pthread_mutex_lock(&d->mu);
	c->count[r] += n;
	pthread_mutex_unlock(&d->mu);
}

/* Notifications dropped unsent: logged, a journal event (the issue: the
 * operator must see it with journalctl, not only in the daemon's log),
 * counted. */
static void dl_dropped(struct deliver *d, struct dl_chan *c, size_t n,
		       const char *reason)
{
	log_warn("notifications dropped: channel=%s count=%zu reason=\"%s\"",
		 c->cfg->name, n, reason);
	struct hw_buf msg = HW_BUF_INIT;
	buf_printf(&msg,
		   "%zu notification%s of channel %s dropped unsent: %s",
		   n, n == 1 ? "" : "s", c->cfg->name, reason);
	if (!msg.failed)
		journal_event(4, buf_cstr(&msg));
	buf_free(&msg);
	dl_count(d, c, DL_DROPPED, n);
}

/* Records past spool_max_age are dropped (and counted) before the head
 * is read, so that an attempt never sends one. */
static void dl_expire(struct deliver *d, struct dl_chan *c)
{
	size_t n = spool_expire(c->sp, clock_wall_ms());
	if (n)
		dl_dropped(d, c, n, "older than spool_max_age");
}

/* A receiver refused a notification for good: the journal gets an
 * operational event, as the contract (deliver.h) asks. */
static void dl_event_rejected(const struct dl_chan *c, const struct dl_xfer *x,
			      const char *url)
{
	struct hw_buf msg = HW_BUF_INIT;
	buf_printf(&msg,
		   "Notification %s to channel %s was rejected by %s (%s); it "
		   "was removed from the spool and will not be sent again",
		   c->rec.id, c->cfg->name, url, x->why);
	if (!msg.failed)
		journal_event(4, buf_cstr(&msg));
	buf_free(&msg);
}

/* Log one failed transfer: name and scheme://host:port only, and for a
 * rejection the first DL_ANSWER_LOG bytes of the answer, control
 * characters blanked. */
static void dl_log_failure(const struct dl_chan *c, const struct dl_xfer *x,
			   const char *url)
{
	if (x->outcome == DL_RETRY) {
		log_warn("notification attempt failed: channel=%s url=%s id=%s "
			 "attempt=%" PRIu32 " error=\"%s\"",
			 c->cfg->name, url, c->rec.id, c->rec.attempts + 1,
			 x->why);
		return;
	}
	char answer[DL_ANSWER_LOG + 1];
	size_t n = x->answer.len < DL_ANSWER_LOG ? x->answer.len : DL_ANSWER_LOG;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)x->answer.data[i];
		answer[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	answer[n] = '\0';
	log_warn("notification rejected: channel=%s url=%s id=%s status=%ld "
		 "error=\"%s\" answer=\"%s\"",
		 c->cfg->name, url, c->rec.id, x->status, x->why, answer);
}

/* Every transfer of the channel's attempt has ended: one 2xx is success;
 * else any retryable failure retries the whole record (every URL again);
 * else it was rejected. */
static void dl_attempt_done(struct deliver *d, struct dl_chan *c, int64_t now)
{
	bool ok = false, retry = false;
	int64_t retry_after = 0;
	const struct dl_xfer *rejected = NULL;
	for (size_t i = 0; i < c->cfg->nurls; i++) {
		const struct dl_xfer *x = &c->x[i];
		if (!x->done)
			continue;
		ok |= x->outcome == DL_SUCCESS;
		retry |= x->outcome == DL_RETRY;
		if (x->outcome == DL_RETRY && x->retry_after > retry_after)
			retry_after = x->retry_after;
		if (x->outcome == DL_REJECTED && !rejected)
			rejected = x;
	}
	int rc;
	if (ok || !retry) {
		if ((rc = spool_remove(c->sp, c->rec.seq)) < 0 && rc != -ENOENT)
			log_error("spool: cannot remove notification %s of "
				  "channel %s: %s",
				  c->rec.id, c->cfg->name, strerror(-rc));
		dl_count(d, c, ok ? DL_SUCCESS_N : DL_REJECTED_N, 1);
		if (!ok && rejected) {
			char url[256];
			dl_url_redact(c->cfg->urls[rejected->url], url,
				      sizeof(url));
			dl_event_rejected(c, rejected, url);
		}
		c->next_ms = now; /* the next record, right away */
	} else {
		uint32_t attempts = c->rec.attempts + 1;
		/* persisted, so that a restart continues the backoff */
		if ((rc = spool_note_attempt(c->sp, c->rec.seq, attempts)) < 0 &&
		    rc != -ENOENT)
			log_warn("spool: cannot count an attempt of %s of "
				 "channel %s: %s",
				 c->rec.id, c->cfg->name, strerror(-rc));
		int64_t wait = dl_backoff_ms(d, attempts, retry_after);
		log_debug("notification %s of channel %s: attempt %" PRIu32
			  " failed, next in %" PRId64 " ms",
			  c->rec.id, c->cfg->name, attempts, wait);
		dl_count(d, c, DL_RETRY_N, 1);
		c->next_ms = now + wait;
	}
	dl_snapshot(d, c);
}

/* Start an attempt of the channel's head record at every URL. */
static void dl_attempt(struct deliver *d, struct dl_chan *c, int64_t now)
{
	dl_expire(d, c);
	int rc = spool_head(c->sp, &c->rec);
	if (rc == -ENOENT) {
		dl_snapshot(d, c);
		return;
	}
	if (rc < 0) {
		log_error("spool: cannot read the next notification of channel "
			  "%s: %s",
			  c->cfg->name, strerror(-rc));
		dl_snapshot(d, c);
		c->next_ms = now + DL_SPOOL_ERROR_WAIT_MS;
		return;
	}
	int64_t now_s = clock_wall_ms() / 1000;
	for (size_t i = 0; i < c->cfg->nurls; i++) {
		struct dl_xfer *x = &c->x[i];
		rc = dl_xfer_start(x, d->multi, c->cfg, i, &c->rec, now_s);
		if (rc == 0) {
			c->inflight++;
			continue;
		}
		/* counted as a failed transfer: the record is retried */
		x->done = true;
		x->outcome = DL_RETRY;
		x->retry_after = 0;
		snprintf(x->why, sizeof(x->why), "cannot start: %s",
			 strerror(-rc));
		char url[256];
		dl_url_redact(c->cfg->urls[i], url, sizeof(url));
		dl_log_failure(c, x, url);
	}
	if (!c->inflight)
		dl_attempt_done(d, c, now);
}

/* Attempt every channel whose head is due and not in flight. */
static void dl_start_due(struct deliver *d, int64_t now)
{
	for (size_t i = 0; i < d->nch; i++) {
		struct dl_chan *c = &d->ch[i];
		if (!c->inflight && c->next_ms <= now && spool_length(c->sp))
			dl_attempt(d, c, now);
	}
}

/* Handle every transfer that ended. */
static void dl_collect(struct deliver *d)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_fn.multi_info_read(d->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct dl_xfer *x = NULL;
		curl_fn.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				     (char **)&x);
		if (!x) /* not ours: cannot happen */
			continue;
		struct dl_chan *c = x->owner;
		dl_xfer_finish(x, c->cfg, msg->data.result);
		dl_xfer_release(x, d->multi); /* msg is invalid from here */
		if (x->outcome != DL_SUCCESS) {
			char url[256];
			dl_url_redact(c->cfg->urls[x->url], url, sizeof(url));
			dl_log_failure(c, x, url);
		}
		if (--c->inflight == 0)
			dl_attempt_done(d, c, clock_engine_ms());
	}
}

int deliver_poll(struct deliver *d, int timeout_ms, int wake_fd)
{
	int running = 0;
	if (!d->nch) { /* nothing to deliver, and libcurl not loaded */
		struct pollfd p = {.fd = wake_fd, .events = POLLIN};
		if (poll(&p, wake_fd >= 0 ? 1 : 0, timeout_ms) < 0 &&
		    errno != EINTR)
			return -errno;
		return 0;
	}
	int64_t now = clock_engine_ms();
	dl_start_due(d, now);
	CURLMcode mc = curl_fn.multi_perform(d->multi, &running);
	dl_collect(d);
	dl_start_due(d, now = clock_engine_ms());

	/* No longer than until the earliest retry is due. */
	int64_t wait = timeout_ms < 0 ? 0 : timeout_ms;
	for (size_t i = 0; i < d->nch; i++) {
		const struct dl_chan *c = &d->ch[i];
		if (!c->inflight && spool_length(c->sp) && c->next_ms - now < wait)
			wait = c->next_ms - now > 0 ? c->next_ms - now : 0;
	}
	struct curl_waitfd extra = {.fd = wake_fd, .events = CURL_WAIT_POLLIN};
	if (mc == CURLM_OK)
		mc = curl_fn.multi_poll(d->multi, wake_fd >= 0 ? &extra : NULL,
					wake_fd >= 0 ? 1 : 0, (int)wait, NULL);
	if (mc == CURLM_OK)
		mc = curl_fn.multi_perform(d->multi, &running);
	dl_collect(d);
	dl_start_due(d, clock_engine_ms());
	if (mc != CURLM_OK) {
		log_error("notifications: curl: %s", curl_fn.multi_strerror(mc));
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	}
	return 0;
}

int deliver_enqueue(struct deliver *d, size_t ch, struct spool_rec *r)
{
	if (ch >= d->nch)
		return -EINVAL;
	struct dl_chan *c = &d->ch[ch];
	size_t dropped = 0;
	int rc = spool_put(c->sp, r, &dropped);
	if (dropped)
		dl_dropped(d, c, dropped, "spool_max_size reached");
	if (rc < 0) {
		log_error("notification %s of channel %s not spooled: %s",
			  r->id, c->cfg->name, strerror(-rc));
		dl_dropped(d, c, 1, "it could not be spooled");
	}
	dl_snapshot(d, c);
	return rc;
}

/* ---- life cycle ------------------------------------------------------------ */

/* d->order: channel indexes by name (insertion sort: a handful). */
static void dl_sort_channels(struct deliver *d)
{
	for (size_t i = 1; i < d->nch; i++) {
		size_t v = d->order[i], j = i;
		for (; j > 0 && strcmp(d->ch[d->order[j - 1]].cfg->name,
				       d->ch[v].cfg->name) > 0;
		     j--)
			d->order[j] = d->order[j - 1];
		d->order[j] = v;
	}
}

/* The channel's spool directory, STATE_DIR/spool/<name> (spool_open
 * creates what is missing). Names come from section headers; one that
 * could leave the directory is refused. */
static int dl_spool_dir(const struct hw_config *cfg, const char *name,
			char *out, size_t size)
{
	if (!*name || strchr(name, '/') || name[0] == '.') {
		log_error("notifications: channel name \"%s\" cannot name a "
			  "spool directory",
			  name);
		return -EINVAL;
	}
	int n = snprintf(out, size, "%s/spool/%s", cfg->state_dir, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int deliver_new(struct deliver **out, const struct hw_config *cfg)
{
	int rc = -ENOMEM;
	char err[256];
	*out = NULL;
	struct deliver *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = cfg;
	pthread_mutex_init(&d->mu, NULL);
	if (getrandom(&d->rng, sizeof(d->rng), GRND_NONBLOCK) !=
	    sizeof(d->rng))
		d->rng = (uint64_t)clock_wall_ms() ^ (uint64_t)clock_engine_ms() << 20;
	d->rng |= 1; /* xorshift's state must not be 0 */
	if (!cfg->nchannels) {
		*out = d;
		return 0;
	}
	if ((rc = curl_lib_ready(err, sizeof(err))) < 0) {
		log_error("notifications: %s", err);
		goto fail;
	}
	rc = -ENOMEM;
	if (!(d->multi = curl_fn.multi_init()) ||
	    !(d->ch = calloc(cfg->nchannels, sizeof(*d->ch))) ||
	    !(d->order = calloc(cfg->nchannels, sizeof(*d->order))))
		goto fail;
	int64_t now = clock_engine_ms();
	for (size_t i = 0; i < cfg->nchannels; i++) {
		struct dl_chan *c = &d->ch[i];
		char dir[4096];
		c->cfg = &cfg->channels[i];
		c->next_ms = now; /* what is spooled from before: right away */
		d->order[i] = i;
		d->nch = i + 1;
		if (!c->cfg->nurls) {
			log_error("notifications: channel %s has no URL",
				  c->cfg->name);
			rc = -EINVAL;
			goto fail;
		}
		if (!(c->x = calloc(c->cfg->nurls, sizeof(*c->x))))
			goto fail;
		for (size_t j = 0; j < c->cfg->nurls; j++)
			c->x[j].owner = c;
		if ((rc = dl_spool_dir(cfg, c->cfg->name, dir, sizeof(dir))) <
			    0 ||
		    (rc = spool_open(&c->sp, dir, cfg->spool_max_bytes,
				     (int64_t)(cfg->spool_max_age * 1000))) < 0)
			goto fail;
		dl_snapshot(d, c);
		if (c->qlen)
			log_info("notifications: channel %s has %zu from "
				 "before, delivering them first",
				 c->cfg->name, c->qlen);
	}
	dl_sort_channels(d);
	*out = d;
	return 0;
fail:
	deliver_free(d);
	return rc;
}

void deliver_free(struct deliver *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nch; i++) {
		struct dl_chan *c = &d->ch[i];
		for (size_t j = 0; c->x && j < c->cfg->nurls; j++) {
			dl_xfer_release(&c->x[j], d->multi);
			buf_free(&c->x[j].answer);
			buf_free(&c->x[j].scratch);
		}
		free(c->x);
		spool_rec_free(&c->rec);
		spool_close(c->sp);
	}
	if (d->multi)
		curl_fn.multi_cleanup(d->multi);
	free(d->ch);
	free(d->order);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* ---- metrics -------------------------------------------------------------- */

void deliver_write_metrics(struct deliver *d, struct sink *s)
{
	if (!d || !d->nch)
		return;
	double now = (double)clock_wall_ms();
	pthread_mutex_lock(&d->mu);
	/* families by name, as node_exporter's registry sorts them */
	sink_family(s, "hostwatch_notification_oldest_seconds",
		    "Age of the oldest notification waiting in a channel's "
		    "spool, 0 when it is empty.",
		    HW_GAUGE);
	for (size_t k = 0; k < d->nch; k++) {
		const struct dl_chan *c = &d->ch[d->order[k]];
		struct hw_label l = {"channel", c->cfg->name};
		double age = c->qlen && c->oldest_ms
				     ? (now - (double)c->oldest_ms) / 1000
				     : 0;
		sink_sample(s, &l, 1, age > 0 ? age : 0);
	}
	sink_family(s, "hostwatch_notification_queue_length",
		    "Notifications waiting in a channel's spool.", HW_GAUGE);
	for (size_t k = 0; k < d->nch; k++) {
		const struct dl_chan *c = &d->ch[d->order[k]];
		struct hw_label l = {"channel", c->cfg->name};
		sink_sample(s, &l, 1, (double)c->qlen);
	}
	sink_family(s, "hostwatch_notifications_total",
		    "Notification attempts by channel and result: success "
		    "(delivered), retry (failed, to be retried), rejected (the "
		    "receiver refused it for good), dropped (spool bounds).",
		    HW_COUNTER);
	for (size_t k = 0; k < d->nch; k++) {
		const struct dl_chan *c = &d->ch[d->order[k]];
		for (int r = 0; r < DL_NRES; r++) {
			struct hw_label l[2] = {{"channel", c->cfg->name},
						{"result", dl_result_names[r]}};
			sink_sample(s, l, 2, (double)c->count[r]);
		}
	}
	pthread_mutex_unlock(&d->mu);
}
