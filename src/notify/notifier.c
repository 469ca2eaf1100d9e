/* The notifier thread: takes the engine's alerts, runs the dispatcher's
 * schedule, writes journal entries, turns notifications into spooled
 * records and drives their delivery. See include/hostwatch/notify.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/clock.h"
#include "hostwatch/deliver.h"
#include "hostwatch/journal.h"
#include "hostwatch/log.h"
#include "hostwatch/notify.h"
#include "hostwatch/notify_body.h"

#include "dispatch.h"

/* A tick at least this often even when nothing is due, so that a clock
 * step or a lost wake-up costs a second at most. */
#define NOTIFIER_MAX_WAIT_MS 1000

struct alert_vec {
	struct notify_alert *a;
	size_t n, cap;
};

struct hw_notifier {
	const struct hw_config *cfg;
	struct dispatch *dispatch;
	struct deliver *deliver; /* NULL without channels */
	char *state_path;	 /* STATE_DIR/notify.json */
	int efd;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* pending and stop */
	struct alert_vec pending;
	bool stop;

	struct alert_vec batch; /* notifier_collect's, main thread only */

	uint64_t journal_entries[2]; /* [0] journald, [1] stderr; atomic */
};

static void vec_clear(struct alert_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		notify_alert_free(&v->a[i]);
	v->n = 0;
}

static void vec_free(struct alert_vec *v)
{
	vec_clear(v);
	free(v->a);
	memset(v, 0, sizeof(*v));
}

/* Append (taking ownership of *a's contents); -ENOMEM frees them. */
static int vec_push(struct alert_vec *v, struct notify_alert *a)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		struct notify_alert *n = realloc(v->a, cap * sizeof(*n));
		if (!n) {
			notify_alert_free(a);
			return -ENOMEM;
		}
		v->a = n;
		v->cap = cap;
	}
	v->a[v->n++] = *a;
	return 0;
}

/* ---- the dispatcher's outputs ------------------------------------------- */

/* The dispatcher, like the rule engine, runs on engine time (clock.h);
 * what leaves for a receiver, the journal or the spool is wall time. */
static struct notify_alert wall_alert(const struct notify_alert *a)
{
	struct notify_alert w = *a;
	w.starts_at = clock_to_wall(a->starts_at);
	w.ends_at = clock_to_wall(a->ends_at);
	return w;
}

static void out_journal(void *ctx, const struct notify_alert *a,
			enum journal_kind kind)
{
	struct hw_notifier *n = ctx;
	struct notify_alert w = wall_alert(a);
	int rc = journal_alert(&w, kind);
	if (rc >= 0)
		__atomic_add_fetch(&n->journal_entries[rc ? 1 : 0], 1,
				   __ATOMIC_RELAXED);
}

static int out_notify_wall(struct hw_notifier *n, size_t ci,
			   const struct notify_group *g);

static int out_notify(void *ctx, size_t ci, const struct notify_group *eg)
{
	struct notify_alert *w = calloc(eg->nalerts ? eg->nalerts : 1, sizeof(*w));
	const struct notify_alert **p =
		calloc(eg->nalerts ? eg->nalerts : 1, sizeof(*p));
	int rc = -ENOMEM;
	if (w && p) {
		for (size_t i = 0; i < eg->nalerts; i++) {
			w[i] = wall_alert(eg->alerts[i]);
			p[i] = &w[i];
		}
		struct notify_group g = *eg;
		g.alerts = p;
		g.now = clock_to_wall(eg->now);
		rc = out_notify_wall(ctx, ci, &g);
	}
	free(p);
	free(w);
	return rc;
}

static int out_notify_wall(struct hw_notifier *n, size_t ci,
			   const struct notify_group *g)
{
	const struct hw_channel *ch = &n->cfg->channels[ci];
	struct spool_rec rec;
	memset(&rec, 0, sizeof(rec));
	notify_new_id(rec.id, sizeof(rec.id));
	rec.created_ms = g->now;
	int rc;
	if (ch->type == HW_CHANNEL_EMAIL) {
		rc = notify_email_build(ch, g, rec.id, &rec.body);
	} else {
		struct notify_body b;
		memset(&b, 0, sizeof(b));
		rc = notify_body_build(ch->format, g, &b);
		if (rc == 0) {
			buf_puts(&rec.headers, "Content-Type: ");
			buf_puts(&rec.headers, b.content_type);
			buf_putc(&rec.headers, '\0');
			buf_put(&rec.headers, b.headers.data, b.headers.len);
			/* the body's buffer moves into the record */
			rec.body = b.body;
			memset(&b.body, 0, sizeof(b.body));
			if (rec.headers.failed)
				rc = -ENOMEM;
		}
		notify_body_free(&b);
	}
	if (rc == 0 && rec.body.failed)
		rc = -ENOMEM;
	if (rc == 0)
		rc = deliver_enqueue(n->deliver, ci, &rec);
	spool_rec_free(&rec);
	return rc;
}

/* ---- the thread --------------------------------------------------------- */

static void drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

static void *notifier_main(void *arg)
{
	struct hw_notifier *n = arg;
	struct alert_vec work = {0};
	for (;;) {
		pthread_mutex_lock(&n->lock);
		bool stop = n->stop;
		struct alert_vec t = work;
		work = n->pending;
		n->pending = t;
		pthread_mutex_unlock(&n->lock);
		int64_t now = clock_engine_ms();
		if (work.n)
			dispatch_alerts(n->dispatch, work.a, work.n, now);
		vec_clear(&work);
		int64_t next = dispatch_flush(n->dispatch, now);
		dispatch_save(n->dispatch, n->state_path);
		if (stop)
			break;
		int64_t wait = next == INT64_MAX ? NOTIFIER_MAX_WAIT_MS
						 : next - now;
		if (wait > NOTIFIER_MAX_WAIT_MS)
			wait = NOTIFIER_MAX_WAIT_MS;
		if (wait < 0)
			wait = 0;
		if (n->deliver) {
			int rc = deliver_poll(n->deliver, (int)wait, n->efd);
			if (rc < 0 && rc != -EINTR)
				log_warn("notify: delivery: %s", strerror(-rc));
		} else {
			struct pollfd p = {.fd = n->efd, .events = POLLIN};
			poll(&p, 1, (int)wait);
		}
		drain(n->efd);
	}
	vec_free(&work);
	return NULL;
}

static void wake(struct hw_notifier *n)
{
	uint64_t one = 1;
	ssize_t w = write(n->efd, &one, sizeof(one));
	(void)w; /* EAGAIN: already pending, as good */
}

/* ---- life --------------------------------------------------------------- */

void notifier_free(struct hw_notifier *n)
{
	if (!n)
		return;
	if (n->started) {
		pthread_mutex_lock(&n->lock);
		n->stop = true;
		pthread_mutex_unlock(&n->lock);
		wake(n);
		pthread_join(n->thread, NULL);
	}
	deliver_free(n->deliver);
	dispatch_free(n->dispatch);
	vec_free(&n->pending);
	vec_free(&n->batch);
	if (n->efd >= 0)
		close(n->efd);
	pthread_mutex_destroy(&n->lock);
	free(n->state_path);
	free(n);
}

int notifier_new(struct hw_notifier **out, const struct hw_config *cfg)
{
	*out = NULL;
	if (!cfg->nchannels && !cfg->journal)
		return 0;
	struct hw_notifier *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = cfg;
	n->efd = -1;
	pthread_mutex_init(&n->lock, NULL);
	int rc = -ENOMEM;
	if (asprintf(&n->state_path, "%s/notify.json", cfg->state_dir) < 0) {
		n->state_path = NULL;
		goto fail;
	}
	struct dispatch_out o = {out_journal, out_notify, n};
	if ((rc = dispatch_new(&n->dispatch, cfg, &o)) < 0)
		goto fail;
	dispatch_load(n->dispatch, n->state_path, clock_engine_ms());
	if (cfg->nchannels && (rc = deliver_new(&n->deliver, cfg)) < 0)
		goto fail;
	n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->efd < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = -pthread_create(&n->thread, NULL, notifier_main, n)) < 0)
		goto fail;
	n->started = true;
	*out = n;
	return 0;
fail:
	log_error("notifications: cannot start: %s", strerror(-rc));
	notifier_free(n);
	return rc;
}

void notifier_submit(struct hw_notifier *n, const struct notify_alert *alerts,
		     size_t nalerts)
{
	if (!n || !nalerts)
		return;
	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < nalerts; i++) {
		struct notify_alert c;
		if (notify_alert_copy(&c, &alerts[i]) < 0 ||
		    vec_push(&n->pending, &c) < 0) {
			log_error("notify: out of memory: alert dropped");
			break;
		}
	}
	pthread_mutex_unlock(&n->lock);
	wake(n);
}

/* ---- from the rule engine ----------------------------------------------- */

/* Go's url.QueryEscape. */
static void query_escape(struct hw_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			buf_putc(b, (char)c);
		} else if (c == ' ') {
			buf_putc(b, '+');
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

int notifier_collect(const struct rules_rule_info *rule,
		     const struct rules_alert *a, void *ctx)
{
	struct hw_notifier *n = ctx;
	const struct hw_config *cfg = n->cfg;
	struct notify_alert na;
	memset(&na, 0, sizeof(na));

	/* Prometheus's external labels: added where the alert has none of
	 * that name (notifier.Manager.Send). */
	struct labels_builder lb;
	labels_builder_init(&lb, a->labels);
	for (size_t i = 0; i < cfg->nexternal_labels; i++)
		if (!labels_get(a->labels, cfg->external_labels[i].key))
			labels_builder_set(&lb, cfg->external_labels[i].key,
					   cfg->external_labels[i].value);
	na.labels = labels_builder_done(&lb);
	na.annotations = a->annotations;
	na.nannotations = a->nannotations;
	na.starts_at = a->fired_at;
	na.resolved = a->resolved_at != RULES_TIME_UNSET;
	na.ends_at = na.resolved ? a->resolved_at : a->valid_until;
	na.value = a->value;
	na.expr = rule->def->expr;

	/* cmd/prometheus's sendAlerts: externalURL +
	 * strutil.TableLinkForExpression(expr). */
	struct hw_buf url = HW_BUF_INIT;
	buf_puts(&url, cfg->external_url ? cfg->external_url : "");
	buf_puts(&url, "/graph?g0.expr=");
	query_escape(&url, rule->def->expr);
	buf_puts(&url, "&g0.tab=1");
	na.generator_url = url.failed ? NULL : (char *)buf_cstr(&url);
	int rc = -ENOMEM;
	if (na.labels && na.generator_url) {
		na.fingerprint = notify_fingerprint(na.labels);
		struct notify_alert c;
		if (notify_alert_copy(&c, &na) == 0)
			rc = vec_push(&n->batch, &c);
	}
	labels_unref(na.labels);
	buf_free(&url);
	if (rc < 0)
		log_error("notify: out of memory: alert %s dropped",
			  rule->def->name);
	return 0;
}

void notifier_commit(struct hw_notifier *n)
{
	if (!n || !n->batch.n)
		return;
	notifier_submit(n, n->batch.a, n->batch.n);
	vec_clear(&n->batch);
}

/* ---- events and metrics ------------------------------------------------- */

void notifier_event(int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	journal_event(priority, msg);
}

void notifier_write_metrics(struct hw_notifier *n, struct sink *s)
{
	if (!n)
		return;
	if (n->deliver)
		deliver_write_metrics(n->deliver, s);
	sink_family(s, "hostwatch_journal_entries_total",
		    "Alert entries written, by where they went: the journal, "
		    "or stderr when journald could not take them.",
		    HW_COUNTER);
	static const char *const where[] = {"journal", "stderr"};
	for (int i = 0; i < 2; i++) {
		struct hw_label l = {"destination", where[i]};
		sink_sample(s, &l, 1,
			    (double)__atomic_load_n(&n->journal_entries[i],
						    __ATOMIC_RELAXED));
	}
}
