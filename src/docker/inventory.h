/* The container inventory (inventory.c): a thread of its own lists the
 * containers, inspects each, then follows the daemon's /events and keeps
 * the table current; scrapes only copy the table (no API call, no
 * blocking, and no copy at all while nothing changed).
 *
 * One inventory per process, shared by the collectors that publish
 * containers (cgroup.c for the container_* families, docker.c for the
 * rest): the first acquire starts it, the last release stops it. */
#ifndef HOSTWATCH_DOCKER_INVENTORY_H
#define HOSTWATCH_DOCKER_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/cgroup.h"
#include "hostwatch/config.h"
#include "hostwatch/docker.h"

/* What a scrape sees of one container. */
struct docker_entry {
	char id[DOCKER_ID_LEN + 1];
	char *name, *image;
	char **label_values; /* one per configured key; "" when it has none */
	enum docker_state state;
	enum docker_health health;
	int pid; /* 0 unless running or paused */
	int exit_code;
	int docker_restarts; /* Docker's RestartCount (not monotonic) */
	uint64_t restarts;   /* ours: every die followed by a start */
	uint64_t oom_kills;  /* ours: runs that ended with State.OOMKilled */
	double oom_counted_at; /* FinishedAt of the last one counted */
	double created, started_at, finished_at;
	/* While it runs: its cgroup on each hierarchy, from /proc/PID/cgroup
	 * (NULL: not on that one), and the one published as `id`. */
	char *cgroup[CGROUP_H_COUNT];
	char *cgroup_id;
};

struct docker_snapshot {
	struct docker_entry *v; /* sorted by name */
	size_t n, cap;
	uint64_t generation; /* of the inventory when copied; 0: never */
	bool up;             /* the daemon answers */
	/* the configured keys, and the metric label for each:
	 * container_label_ + the key with every byte but [A-Za-z0-9_] as '_' */
	char **keys, **label_names;
	uint32_t *key_order; /* indices of keys, sorted by label name */
	size_t nkeys;
};

/* Start the inventory on first use (later calls only count). 0, -ENOMEM,
 * or -EINVAL for a bad label list (logged). */
int docker_inventory_acquire(const struct hw_config *cfg);
void docker_inventory_release(void);

/* Bring snap up to date: a copy of the table when it changed since
 * snap->generation, else nothing. 0 or -ENOMEM (snap unchanged). */
int docker_inventory_snapshot(struct docker_snapshot *snap);
void docker_snapshot_free(struct docker_snapshot *snap);

/* API requests made so far, for the benchmark (0 when not started). */
uint64_t docker_inventory_requests(void);

/* ---- for the unit tests: the table without a thread or a daemon ---------
 * A table fed with what the thread would feed it. */
struct docker_table;
struct docker_table *docker_table_new(const char *const *keys, size_t nkeys);
void docker_table_free(struct docker_table *t);
/* The daemon's answers: a full resynchronisation from a fresh list (every
 * container inspected; first: the first one since start, when nothing may
 * be counted as a restart; since: Unix seconds from which the events will
 * be replayed after it, 0 for none), and then one event with the
 * container's inspection after it (NULL: it is gone, or the event needs
 * none). procfs: where /proc/PID/cgroup is read. */
void docker_table_sync(struct docker_table *t,
		       const struct docker_container *c, size_t n, bool first,
		       double since, const char *procfs);
void docker_table_event(struct docker_table *t, const struct docker_event *e,
			const struct docker_container *inspected,
			const char *procfs);
void docker_table_set_up(struct docker_table *t, bool up);
/* Whether an oom event of id is worth an inspection: it has exited (a
 * late oom event may be what sets OOMKilled), or none was inspected in
 * the last `every` seconds (the time is then recorded). */
bool docker_table_oom_due(struct docker_table *t, const char *id,
			  double every);
/* StartedAt of the run the table knows for id; -1 when it knows none. */
double docker_table_started_at(struct docker_table *t, const char *id);
/* Fill e->cgroup[] and e->cgroup_id from the text of /proc/PID/cgroup
 * (cut in place). 0 or -ENOMEM. */
int docker_parse_proc_cgroup(char *text, struct docker_entry *e);
/* What a snapshot would hold. */
int docker_table_snapshot(struct docker_table *t,
			  struct docker_snapshot *snap);

#endif
