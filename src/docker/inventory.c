/* The container inventory: a table of containers kept current by a thread
 * that lists and inspects them, then follows /events (inventory.h).
 *
 * Restarts are counted here, not taken from Docker: RestartCount goes back
 * to 0 on `docker start`, `docker restart` and when dockerd restarts, and
 * is not a counter. Every start of a container that died before counts one
 * (policy restarts and manual ones alike). While the daemon cannot be
 * reached, events are lost; when it answers again the table is rebuilt
 * from a fresh list, and a container that started again in between (its
 * StartedAt moved) counts the restarts Docker counted meanwhile, at least
 * one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "inventory.h"

/* The daemon's requests time out after this; the events stream never. */
#define INV_TIMEOUT_MS 5000
/* Reconnection: 1 s, doubled up to this. */
#define INV_BACKOFF_MAX 30
/* Containers kept at most: a bound on memory whatever the daemon says. */
#define INV_MAX 10000
/* /proc/PID/cgroup of a container's first process. */
#define INV_CGROUP_FILE_MAX 65536

struct tentry {
	struct docker_entry e;
	bool died; /* a die not yet followed by a start */
	bool seen; /* in the list being synchronised */
	double oom_inspected; /* monotonic seconds of the last oom's inspection */
};

struct docker_table {
	pthread_mutex_t lock;
	struct tentry *v;
	size_t n, cap;
	uint64_t generation;
	bool up;
	char **keys, **label_names;
	size_t nkeys;
	bool warned_max;
};

/* ---- entries --------------------------------------------------------------- */

static void entry_cgroup_clear(struct docker_entry *e)
{
	for (int h = 0; h < CGROUP_H_COUNT; h++) {
		free(e->cgroup[h]);
		e->cgroup[h] = NULL;
	}
	e->cgroup_id = NULL; /* points into cgroup[] */
}

static void entry_clear(struct docker_entry *e, size_t nkeys)
{
	free(e->name);
	free(e->image);
	if (e->label_values)
		for (size_t i = 0; i < nkeys; i++)
			free(e->label_values[i]);
	free(e->label_values);
	entry_cgroup_clear(e);
	memset(e, 0, sizeof(*e));
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v ? v : "");
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* The hierarchy a v1 controller name stands for, or -1. */
static int controller_hier(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int h;
	} map[] = {
		{"cpuacct", CGROUP_H_CPUACCT}, {"cpu", CGROUP_H_CPU},
		{"memory", CGROUP_H_MEMORY},   {"pids", CGROUP_H_PIDS},
		{"blkio", CGROUP_H_BLKIO},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == len &&
		    memcmp(map[i].name, name, len) == 0)
			return map[i].h;
	return -1;
}

/* Fill e->cgroup[] from the text of /proc/PID/cgroup
 * ("4:memory:/docker/ID", "2:cpu,cpuacct:/...", "0::/system.slice/...").
 * The published id is the memory hierarchy's path (v1), else cpuacct's,
 * else the unified one: the cgroup the container was given, as cAdvisor
 * names it. 0 or -ENOMEM. */
int docker_parse_proc_cgroup(char *text, struct docker_entry *e)
{
	entry_cgroup_clear(e);
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 && c2[1] == '/') {
			const char *path = c2 + 1;
			if (c2 == c1 + 1) { /* "0::path": cgroup2 */
				if (set_str(&e->cgroup[CGROUP_H_UNIFIED],
					    path) < 0)
					return -ENOMEM;
			}
			for (char *c = c1 + 1; c < c2;) {
				size_t len = strcspn(c, ",:");
				int h = controller_hier(c, len);
				if (h >= 0 && !e->cgroup[h] &&
				    set_str(&e->cgroup[h], path) < 0)
					return -ENOMEM;
				c += len + (c[len] == ',');
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	static const int pref[] = {CGROUP_H_MEMORY, CGROUP_H_CPUACCT,
				   CGROUP_H_CPU, CGROUP_H_UNIFIED};
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++)
		if (e->cgroup[pref[i]]) {
			e->cgroup_id = e->cgroup[pref[i]];
			break;
		}
	return 0;
}

/* The container's cgroups from its first process, read once per start. */
static void entry_read_cgroup(struct docker_entry *e, const char *procfs)
{
	entry_cgroup_clear(e);
	if (e->pid <= 0)
		return;
	char rel[32];
	struct hw_buf text = {0};
	snprintf(rel, sizeof(rel), "%d/cgroup", e->pid);
	/* fails when it exited since: the next event will tell */
	if (readfile_path(procfs, rel, &text, INV_CGROUP_FILE_MAX) == 0 &&
	    docker_parse_proc_cgroup(text.data, e) < 0)
		entry_cgroup_clear(e);
	buf_free(&text);
}

/* A run that ended OOM-killed, not counted yet: count it (unless `count`
 * is false: the first list, whose past is not ours to count). Docker's
 * oom events are not counted: on cgroup v1 they come once per OOM episode
 * (none, or hundreds for one kill), and State.OOMKilled may be set only
 * after the die event, when the oom event comes: every inspection looks. */
static void entry_count_oom(struct docker_entry *e,
			    const struct docker_container *c, bool count)
{
	if (!c->oom_killed || c->finished_at <= 0 ||
	    (c->state != DOCKER_S_EXITED && c->state != DOCKER_S_DEAD) ||
	    c->finished_at == e->oom_counted_at)
		return;
	if (count)
		e->oom_kills++;
	e->oom_counted_at = c->finished_at;
}

/* Take what an inspection says into e; count: whether an OOM death in it
 * counts. */
static int entry_apply(struct docker_table *t, struct docker_entry *e,
		       const struct docker_container *c, bool count,
		       const char *procfs)
{
	entry_count_oom(e, c, count);
	bool fresh = !e->name; /* just added */
	if (set_str(&e->name, c->name) < 0 || set_str(&e->image, c->image) < 0)
		return -ENOMEM;
	if (!e->label_values && t->nkeys &&
	    !(e->label_values = calloc(t->nkeys, sizeof(char *))))
		return -ENOMEM;
	for (size_t i = 0; i < t->nkeys; i++) {
		const char *v = i < c->nkeys && c->label_values
					? c->label_values[i]
					: NULL;
		if (set_str(&e->label_values[i], v) < 0)
			return -ENOMEM;
	}
	bool new_pid = c->pid != e->pid;
	/* Docker sets ExitCode back to 0 when the container starts again:
	 * the last run's code is kept until the next one ends. */
	if (fresh || c->state == DOCKER_S_EXITED || c->state == DOCKER_S_DEAD)
		e->exit_code = c->exit_code;
	e->state = c->state;
	e->health = c->health;
	e->pid = c->pid;
	e->docker_restarts = c->restart_count;
	e->created = c->created;
	e->started_at = c->started_at;
	e->finished_at = c->finished_at;
	if (new_pid || (e->pid > 0 && !e->cgroup_id))
		entry_read_cgroup(e, procfs);
	return 0;
}

/* ---- the table --------------------------------------------------------------- */

static struct tentry *table_find(struct docker_table *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].e.id, id) == 0)
			return &t->v[i];
	return NULL;
}

static struct tentry *table_add(struct docker_table *t, const char *id)
{
	if (t->n == INV_MAX) {
		if (!t->warned_max)
			log_warn("docker: more than %d containers: the others "
				 "are not published",
				 INV_MAX);
		t->warned_max = true;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct tentry *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct tentry *te = &t->v[t->n++];
	memset(te, 0, sizeof(*te));
	snprintf(te->e.id, sizeof(te->e.id), "%s", id);
	return te;
}

static void table_remove(struct docker_table *t, struct tentry *te)
{
	entry_clear(&te->e, t->nkeys);
	*te = t->v[--t->n];
}

/* "com.docker.compose.project" -> "container_label_com_docker_compose_project" */
static char *label_name(const char *key)
{
	static const char prefix[] = "container_label_";
	size_t n = strlen(key);
	char *s = malloc(sizeof(prefix) + n);
	if (!s)
		return NULL;
	memcpy(s, prefix, sizeof(prefix) - 1);
	for (size_t i = 0; i <= n; i++) {
		char c = key[i];
		s[sizeof(prefix) - 1 + i] =
			!c || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					(c >= '0' && c <= '9') || c == '_'
				? c
				: '_';
	}
	return s;
}

struct docker_table *docker_table_new(const char *const *keys, size_t nkeys)
{
	struct docker_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->generation = 1;
	if (nkeys) {
		t->keys = calloc(nkeys, sizeof(char *));
		t->label_names = calloc(nkeys, sizeof(char *));
		if (!t->keys || !t->label_names) {
			docker_table_free(t);
			return NULL;
		}
		t->nkeys = nkeys;
		for (size_t i = 0; i < nkeys; i++)
			if (!(t->keys[i] = strdup(keys[i])) ||
			    !(t->label_names[i] = label_name(keys[i]))) {
				docker_table_free(t);
				return NULL;
			}
	}
	return t;
}

void docker_table_free(struct docker_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		entry_clear(&t->v[i].e, t->nkeys);
	free(t->v);
	for (size_t i = 0; i < t->nkeys; i++) {
		free(t->keys ? t->keys[i] : NULL);
		free(t->label_names ? t->label_names[i] : NULL);
	}
	free(t->keys);
	free(t->label_names);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void docker_table_sync(struct docker_table *t,
		       const struct docker_container *c, size_t n, bool first,
		       double since, const char *procfs)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++)
		t->v[i].seen = false;
	for (size_t i = 0; i < n; i++) {
		struct tentry *te = table_find(t, c[i].id);
		if (!te) {
			if (!(te = table_add(t, c[i].id)))
				continue;
		} else if (!first && c[i].started_at > te->e.started_at) {
			/* Started again while we could not see it. From
			 * `since` on, the events are replayed: that start will
			 * be counted when its event comes (and the die before
			 * it may not come again). */
			if (since > 0 && c[i].started_at >= since) {
				te->died = true;
			} else {
				int d = c[i].restart_count -
					te->e.docker_restarts;
				te->e.restarts += d > 1 ? (uint64_t)d : 1;
				te->died = false;
			}
		}
		/* Exited or dead now: a start from here is a restart, whether
		 * or not its die was seen (before start, or while away). */
		if (c[i].state == DOCKER_S_EXITED || c[i].state == DOCKER_S_DEAD)
			te->died = true;
		te->seen = true;
		if (entry_apply(t, &te->e, &c[i], !first, procfs) < 0)
			log_warn("docker: out of memory");
	}
	for (size_t i = 0; i < t->n;) {
		if (!t->v[i].seen)
			table_remove(t, &t->v[i]); /* removed while away */
		else
			i++;
	}
	t->up = true;
	t->generation++;
	pthread_mutex_unlock(&t->lock);
}

static bool is(const struct docker_event *e, const char *action)
{
	return strcmp(e->action, action) == 0;
}

void docker_table_event(struct docker_table *t, const struct docker_event *e,
			const struct docker_container *inspected,
			const char *procfs)
{
	pthread_mutex_lock(&t->lock);
	struct tentry *te = table_find(t, e->id);
	if (is(e, "destroy") || is(e, "remove")) { /* remove: Podman's */
		if (te)
			table_remove(t, te);
		goto changed;
	}
	if (!te && inspected)
		te = table_add(t, e->id);
	if (!te)
		goto out; /* an event of a container we never saw: ignore */
	if (is(e, "die")) {
		te->died = true;
		if (e->exit_code >= 0)
			te->e.exit_code = e->exit_code;

	} else if (is(e, "start")) {
		if (te->died)
			te->e.restarts++;
		te->died = false;
	} else if (is(e, "health_status")) {
		te->e.health = strcmp(e->detail, "healthy") == 0 ? DOCKER_H_HEALTHY
			       : strcmp(e->detail, "unhealthy") == 0
				       ? DOCKER_H_UNHEALTHY
				       : DOCKER_H_STARTING;
	}
	if (inspected && entry_apply(t, &te->e, inspected, true, procfs) < 0)
		log_warn("docker: out of memory");
	if (is(e, "die") && e->exit_code >= 0)
		te->e.exit_code = e->exit_code; /* the event's, if it raced */
changed:
	t->generation++;
out:
	pthread_mutex_unlock(&t->lock);
}

bool docker_table_oom_due(struct docker_table *t, const char *id,
			  double every)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	pthread_mutex_lock(&t->lock);
	struct tentry *te = table_find(t, id);
	/* A container that has exited is always asked: a late oom event
	 * (the kernel's, after the exit) is what sets OOMKilled then. */
	bool due = !te || te->e.state == DOCKER_S_EXITED ||
		   te->e.state == DOCKER_S_DEAD || now - te->oom_inspected >= every;
	if (te && due)
		te->oom_inspected = now;
	pthread_mutex_unlock(&t->lock);
	return due;
}

double docker_table_started_at(struct docker_table *t, const char *id)
{
	pthread_mutex_lock(&t->lock);
	struct tentry *te = table_find(t, id);
	double v = te ? te->e.started_at : -1;
	pthread_mutex_unlock(&t->lock);
	return v;
}

void docker_table_set_up(struct docker_table *t, bool up)
{
	pthread_mutex_lock(&t->lock);
	if (t->up != up) {
		t->up = up;
		t->generation++;
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- snapshots ------------------------------------------------------------- */

static void snapshot_entries_clear(struct docker_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		entry_clear(&s->v[i], s->nkeys);
	s->n = 0;
}

static int copy_entry(struct docker_entry *d, const struct docker_entry *e,
		      size_t nkeys)
{
	*d = *e;
	d->name = d->image = NULL;
	d->label_values = NULL;
	d->cgroup_id = NULL;
	memset(d->cgroup, 0, sizeof(d->cgroup));
	if (set_str(&d->name, e->name) < 0 || set_str(&d->image, e->image) < 0)
		return -ENOMEM;
	if (nkeys) {
		if (!(d->label_values = calloc(nkeys, sizeof(char *))))
			return -ENOMEM;
		for (size_t k = 0; k < nkeys; k++)
			if (set_str(&d->label_values[k],
				    e->label_values ? e->label_values[k] : "") <
			    0)
				return -ENOMEM;
	}
	for (int h = 0; h < CGROUP_H_COUNT; h++) {
		if (e->cgroup[h] && !(d->cgroup[h] = strdup(e->cgroup[h])))
			return -ENOMEM;
		if (e->cgroup_id == e->cgroup[h])
			d->cgroup_id = d->cgroup[h];
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct docker_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

static int by_label_name(const void *a, const void *b, void *arg)
{
	char *const *names = arg;
	return strcmp(names[*(const uint32_t *)a], names[*(const uint32_t *)b]);
}

/* The keys once, with the order their labels are written in (labels go
 * out sorted by name). */
static int copy_keys(struct docker_snapshot *s, const struct docker_table *t)
{
	if (s->nkeys == t->nkeys)
		return 0;
	if (!(s->keys = calloc(t->nkeys, sizeof(char *))) ||
	    !(s->label_names = calloc(t->nkeys, sizeof(char *))) ||
	    !(s->key_order = calloc(t->nkeys, sizeof(uint32_t))))
		return -ENOMEM;
	for (size_t i = 0; i < t->nkeys; i++) {
		if (!(s->keys[i] = strdup(t->keys[i])) ||
		    !(s->label_names[i] = strdup(t->label_names[i])))
			return -ENOMEM;
		s->key_order[i] = (uint32_t)i;
	}
	qsort_r(s->key_order, t->nkeys, sizeof(uint32_t), by_label_name,
		s->label_names);
	s->nkeys = t->nkeys;
	return 0;
}

int docker_table_snapshot(struct docker_table *t,
			  struct docker_snapshot *s)
{
	int rc = 0;
	pthread_mutex_lock(&t->lock);
	if (s->generation == t->generation)
		goto out;
	if ((rc = copy_keys(s, t)) < 0)
		goto out;
	snapshot_entries_clear(s);
	if (t->n > s->cap) {
		struct docker_entry *v = realloc(s->v, t->n * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		s->v = v;
		s->cap = t->n;
	}
	for (size_t i = 0; i < t->n; i++) {
		rc = copy_entry(&s->v[i], &t->v[i].e, t->nkeys);
		s->n = i + 1;
		if (rc < 0)
			goto out;
	}
	s->up = t->up;
	s->generation = t->generation;
out:
	pthread_mutex_unlock(&t->lock);
	if (rc < 0) {
		snapshot_entries_clear(s);
		s->generation = 0;
	} else if (s->n > 1) {
		qsort(s->v, s->n, sizeof(*s->v), by_name);
	}
	return rc;
}

void docker_snapshot_free(struct docker_snapshot *s)
{
	snapshot_entries_clear(s);
	free(s->v);
	for (size_t i = 0; i < s->nkeys; i++) {
		free(s->keys ? s->keys[i] : NULL);
		free(s->label_names ? s->label_names[i] : NULL);
	}
	free(s->keys);
	free(s->label_names);
	free(s->key_order);
	memset(s, 0, sizeof(*s));
}

/* ---- the thread -------------------------------------------------------------- */

static struct {
	pthread_mutex_t lock; /* refs and start/stop */
	pthread_cond_t wake;  /* the thread's backoff sleep */
	unsigned refs;
	pthread_t thread;
	bool running;
	volatile bool stop;
	struct docker_table *table;
	char *socket, *procfs;
	_Atomic uint64_t requests_done; /* of clients already freed */
	struct docker_api *req, *ev;    /* the thread's */
	pthread_mutex_t api_lock;       /* req/ev while being replaced */
} inv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.api_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The events that change what an inspection says. */
static bool needs_inspection(const struct docker_event *e)
{
	static const char *const actions[] = {
		"create", "start", "die", "rename", "pause", "unpause",
		"update", "restart", "oom", "init", /* init: Podman's */
	};
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (is(e, actions[i]))
			return true;
	return false;
}

/* GET /containers/{id}/json into c: 0, 1 when it is gone (404), -errno. */
static int inspect(struct docker_api *a, const char *id, struct hw_buf *buf,
		   struct docker_container *c)
{
	char path[32 + DOCKER_ID_LEN], err[256];
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	int st = docker_api_get(a, path, buf, err, sizeof(err));
	if (st == 404)
		return 1;
	if (st != 200) {
		log_warn("docker: GET %s: %s", path,
			 st < 0 ? err : "unexpected status");
		return st < 0 ? st : -EIO;
	}
	const struct docker_table *t = inv.table;
	int rc = docker_parse_inspect(buf->data, (const char *const *)t->keys,
				      t->nkeys, c);
	if (rc < 0)
		log_warn("docker: %s: the daemon's inspection could not be "
			 "read",
			 id);
	return rc;
}

struct ev_ctx {
	struct hw_buf buf;
};

/* The inspection after a die still shows the run that died. */
static bool still_running(const struct docker_container *c, double run)
{
	return c->state == DOCKER_S_RUNNING && c->started_at == run;
}

/* Killed (137) but not (yet) OOMKilled: a loaded dockerd may record the
 * OOM kill after the exit, with no event of its own to tell us (seen in
 * CI under a parallel make check): asked again within the same five
 * seconds. Other exits end the questions at once. */
static bool oom_pending(const struct docker_container *c)
{
	return c->state == DOCKER_S_EXITED && c->exit_code == 137 &&
	       !c->oom_killed;
}

static int on_event(void *arg, const char *json, size_t len)
{
	struct ev_ctx *x = arg;
	struct docker_event e;
	(void)len;
	if (docker_parse_event(json, &e) < 0)
		return 0; /* not a container event, or one we cannot read */
	struct docker_container c, *cp = NULL;
	memset(&c, 0, sizeof(c));
	/* One OOM kill can bring hundreds of oom events (cgroup v1): one
	 * inspection for them every half second is enough. */
	bool ask = needs_inspection(&e) &&
		   (!is(&e, "oom") || docker_table_oom_due(inv.table, e.id, 0.5));
	if (ask && inspect(inv.req, e.id, &x->buf, &c) == 0)
		cp = &c;
	/* dockerd 20.10 sends die before it records the exit: an
	 * inspection right after may still say running, the same run, and
	 * not yet OOMKilled. Ask again until it says the run ended (or a new
	 * one began): 50 ms apart for a second, then 200 ms apart up to five
	 * seconds, as a loaded host's dockerd (seen under ASan on 2 cores)
	 * can take longer than a second; events wait in the socket. */
	double run = docker_table_started_at(inv.table, e.id);
	for (int i = 0; cp && is(&e, "die") && i < 40 &&
			  (still_running(&c, run) || oom_pending(&c));
	     i++) {
		struct timespec ts = {0, (i < 20 ? 50 : 200) * 1000000L};
		nanosleep(&ts, NULL);
		docker_container_clear(&c);
		memset(&c, 0, sizeof(c));
		if (inspect(inv.req, e.id, &x->buf, &c) != 0)
			cp = NULL;
	}
	docker_table_event(inv.table, &e, cp, inv.procfs);
	docker_container_clear(&c);
	docker_event_clear(&e);
	return 0;
}

/* List and inspect every container, and set the table from them. */
static int resync(struct hw_buf *buf, bool first, int64_t since)
{
	char err[256];
	int st = docker_api_get(inv.req, "/containers/json?all=1", buf, err,
				sizeof(err));
	if (st != 200) {
		log_warn("docker: GET /containers/json: %s",
			 st < 0 ? err : "unexpected status");
		return st < 0 ? st : -EIO;
	}
	char(*ids)[DOCKER_ID_LEN + 1] = NULL;
	size_t n = 0;
	int rc = docker_parse_list(buf->data, &ids, &n);
	if (rc < 0) {
		log_warn("docker: the container list could not be read");
		return rc;
	}
	struct docker_container *c = calloc(n ? n : 1, sizeof(*c));
	size_t got = 0;
	for (size_t i = 0; c && i < n && !inv.stop; i++) {
		rc = inspect(inv.req, ids[i], buf, &c[got]);
		if (rc == 0)
			got++;
		else if (rc < 0)
			break;
		rc = 0; /* removed since the list */
	}
	if (!c)
		rc = -ENOMEM;
	if (rc == 0 && !inv.stop)
		docker_table_sync(inv.table, c, got, first, (double)since,
				  inv.procfs);
	for (size_t i = 0; i < got; i++)
		docker_container_clear(&c[i]);
	free(c);
	free(ids);
	return rc;
}

static void clients_free(void)
{
	pthread_mutex_lock(&inv.api_lock);
	if (inv.req)
		inv.requests_done += docker_api_requests(inv.req);
	if (inv.ev)
		inv.requests_done += docker_api_requests(inv.ev);
	docker_api_free(inv.req);
	docker_api_free(inv.ev);
	inv.req = inv.ev = NULL;
	pthread_mutex_unlock(&inv.api_lock);
}

/* Sleep up to s seconds, or until stopped. */
static void backoff_sleep(unsigned s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s;
	pthread_mutex_lock(&inv.lock);
	while (!inv.stop &&
	       pthread_cond_timedwait(&inv.wake, &inv.lock, &until) == 0)
		;
	pthread_mutex_unlock(&inv.lock);
}

/* 0 when path is a Unix socket; else -ENOENT (or -ENOTSOCK) with why. */
static int socket_present(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		return e == ENOENT ? -ENOENT : -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "not a socket");
		return -ENOTSOCK;
	}
	return 0;
}

static void *inv_thread(void *arg)
{
	(void)arg;
	struct ev_ctx x = {{0}};
	unsigned backoff = 1;
	bool first = true, was_up = false, told_down = false;
	char err[256];
	while (!inv.stop) {
		/* No socket, no client: a host without Docker never loads
		 * libcurl (README, Memory). */
		int rc = socket_present(inv.socket, err, sizeof(err));
		if (rc == 0) {
			pthread_mutex_lock(&inv.api_lock);
			inv.req = docker_api_new(inv.socket, INV_TIMEOUT_MS);
			inv.ev = docker_api_new(inv.socket, INV_TIMEOUT_MS);
			pthread_mutex_unlock(&inv.api_lock);
			rc = inv.req && inv.ev ? 0 : -ENOMEM;
		}
		if (rc == 0)
			rc = docker_api_negotiate(inv.req, err, sizeof(err));
		if (rc == 0)
			rc = docker_api_negotiate(inv.ev, err, sizeof(err));
		/* events from before the list are replayed, none is lost */
		int64_t since = (int64_t)time(NULL);
		if (rc == 0)
			rc = resync(&x.buf, first, since);
		if (rc == 0 && !inv.stop) {
			log_info("docker: %s, API %s, at %s",
				 docker_api_engine(inv.req),
				 docker_api_version(inv.req), inv.socket);
			first = false;
			was_up = true;
			told_down = false;
			backoff = 1;
			rc = docker_api_events(inv.ev, since, on_event, &x,
					       &inv.stop, err, sizeof(err));
		}
		clients_free();
		if (inv.stop)
			break;
		docker_table_set_up(inv.table, false);
		if (was_up) {
			log_warn("docker: lost the daemon at %s (%s): "
				 "reconnecting",
				 inv.socket, rc < 0 ? err : "stream ended");
			was_up = false;
		} else if (!told_down) {
			if (rc == -ENOENT || rc == -ECONNREFUSED)
				log_info("docker: no daemon at %s (%s): "
					 "trying again every %d s at most",
					 inv.socket, err, INV_BACKOFF_MAX);
			else
				log_warn("docker: %s: %s", inv.socket, err);
			told_down = true;
		}
		backoff_sleep(backoff);
		backoff = backoff * 2 > INV_BACKOFF_MAX ? INV_BACKOFF_MAX
							: backoff * 2;
	}
	buf_free(&x.buf);
	return NULL;
}

/* "a,b" -> keys */
static int split_keys(const char *s, char ***keys, size_t *n)
{
	*keys = NULL;
	*n = 0;
	if (!s || !*s)
		return 0;
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	if (!(*keys = calloc(cap, sizeof(char *))))
		return -ENOMEM;
	for (const char *p = s;;) {
		size_t len = strcspn(p, ",");
		if (!((*keys)[(*n)++] = strndup(p, len)))
			return -ENOMEM;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int docker_inventory_acquire(const struct hw_config *cfg)
{
	int rc = 0;
	pthread_mutex_lock(&inv.lock);
	if (inv.refs++ > 0)
		goto out;
	char **keys;
	size_t nkeys;
	rc = split_keys(cfg->docker_labels, &keys, &nkeys);
	if (rc == 0 && !(inv.table = docker_table_new(
				 (const char *const *)keys, nkeys)))
		rc = -ENOMEM;
	free_keys(keys, nkeys);
	if (rc == 0 && (!(inv.socket = strdup(cfg->docker_socket)) ||
			!(inv.procfs = strdup(cfg->procfs))))
		rc = -ENOMEM;
	inv.stop = false;
	if (rc == 0) {
		/* The thread takes no signal: main's signalfd gets them all
		 * (a SIGHUP delivered here would kill the daemon), whenever
		 * the collectors are initialised. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = -pthread_create(&inv.thread, NULL, inv_thread, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		inv.running = rc == 0;
	}
	if (rc < 0) {
		docker_table_free(inv.table);
		inv.table = NULL;
		free(inv.socket);
		free(inv.procfs);
		inv.socket = inv.procfs = NULL;
		inv.refs = 0;
	}
out:
	pthread_mutex_unlock(&inv.lock);
	return rc;
}

void docker_inventory_release(void)
{
	pthread_mutex_lock(&inv.lock);
	if (inv.refs == 0 || --inv.refs > 0) {
		pthread_mutex_unlock(&inv.lock);
		return;
	}
	inv.stop = true;
	pthread_cond_broadcast(&inv.wake);
	pthread_mutex_unlock(&inv.lock);
	if (inv.running)
		pthread_join(inv.thread, NULL);
	inv.running = false;
	docker_table_free(inv.table);
	inv.table = NULL;
	free(inv.socket);
	free(inv.procfs);
	inv.socket = inv.procfs = NULL;
	inv.requests_done = 0;
}

int docker_inventory_snapshot(struct docker_snapshot *snap)
{
	if (!inv.table)
		return -ENOENT;
	return docker_table_snapshot(inv.table, snap);
}

uint64_t docker_inventory_requests(void)
{
	pthread_mutex_lock(&inv.api_lock);
	uint64_t n = inv.requests_done;
	if (inv.req)
		n += docker_api_requests(inv.req);
	if (inv.ev)
		n += docker_api_requests(inv.ev);
	pthread_mutex_unlock(&inv.api_lock);
	return n;
}
