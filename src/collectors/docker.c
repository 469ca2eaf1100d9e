/* docker: what Docker (or Podman) says of its containers, from the
 * inventory its own thread keeps (src/docker/inventory.h): the scrape makes
 * no API call.
 *
 * Published here: whether the daemon answers, each container's state,
 * health, last exit code, restarts (counted by hostwatch: Docker's own
 * RestartCount is not a counter), OOM kills, and cAdvisor's
 * container_start_time_seconds and container_last_seen. The container_*
 * families that come from cgroups (CPU, memory, processes, I/O) are the
 * cgroup collector's, which labels Docker's containers with their names
 * while this collector is on; with the cgroup collector off, this one
 * writes them for the containers alone (cgroup_containers_*). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/collector.h"
#include "hostwatch/log.h"

#include "../docker/inventory.h"
#include "cgroup_internal.h"

struct dk_priv {
	struct docker_snapshot snap;
	struct hw_ctx containers; /* the container_* families, when ours */
	bool own_containers;
};

static bool cgroup_enabled(const struct hw_config *cfg)
{
	int i = collector_index("cgroup");
	return i >= 0 && cfg->enabled[i];
}

static void dk_fini(struct hw_ctx *ctx)
{
	struct dk_priv *p = ctx->priv;
	if (!p)
		return;
	if (p->own_containers)
		cgroup_containers_fini(&p->containers);
	buf_free(&p->containers.buf);
	docker_snapshot_free(&p->snap);
	free(p);
	ctx->priv = NULL;
	docker_inventory_release();
}

static int dk_init(struct hw_ctx *ctx)
{
	struct dk_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = docker_inventory_acquire(ctx->cfg);
	if (rc < 0) {
		free(p);
		return rc;
	}
	ctx->priv = p;
	if (!cgroup_enabled(ctx->cfg)) {
		p->containers.cfg = ctx->cfg;
		rc = cgroup_containers_init(&p->containers);
		if (rc < 0) {
			dk_fini(ctx);
			return rc;
		}
		p->own_containers = true;
	}
	return 0;
}

/* The labels of a container's samples, in name order: its
 * container_label_* keys, image, name, then (ek, ev) when ek is set
 * ("state", "status": after "name"). Their number. */
static size_t dk_labels(const struct dk_priv *p, const struct docker_entry *e,
			const char *ek, const char *ev, bool with_id,
			struct hw_label *l)
{
	size_t n = 0;
	for (size_t k = 0; k < p->snap.nkeys; k++) {
		uint32_t i = p->snap.key_order[k];
		l[n++] = (struct hw_label){p->snap.label_names[i],
					   e->label_values[i]};
	}
	if (with_id)
		l[n++] = (struct hw_label){"id", e->cgroup_id};
	l[n++] = (struct hw_label){"image", e->image};
	l[n++] = (struct hw_label){"name", e->name};
	if (ek)
		l[n++] = (struct hw_label){ek, ev};
	return n;
}

#define DK_MAX_LABELS (DOCKER_LABEL_KEYS_MAX + 4)

/* A family with one sample per container: value(e), for the containers
 * `want` accepts (NULL: all). with_id: the cgroup's id label too (only
 * running containers have one). */
static void dk_family(struct dk_priv *p, struct sink *sink, const char *name,
		      const char *help, enum hw_type type,
		      double (*value)(const struct docker_entry *e),
		      bool (*want)(const struct docker_entry *e), bool with_id)
{
	struct hw_label l[DK_MAX_LABELS];
	sink_family(sink, name, help, type);
	for (size_t i = 0; i < p->snap.n; i++) {
		const struct docker_entry *e = &p->snap.v[i];
		if ((want && !want(e)) || (with_id && !e->cgroup_id))
			continue;
		size_t n = dk_labels(p, e, NULL, NULL, with_id, l);
		sink_sample(sink, l, n, value(e));
	}
}

static bool running(const struct docker_entry *e)
{
	return e->pid > 0 && e->cgroup_id;
}

static bool has_health(const struct docker_entry *e)
{
	return e->health != DOCKER_H_NONE;
}

/* whole seconds, as cAdvisor's time.Unix() */
static double v_created(const struct docker_entry *e)
{
	return floor(e->created);
}

static double v_restarts(const struct docker_entry *e)
{
	return (double)e->restarts;
}

static double v_docker_restarts(const struct docker_entry *e)
{
	return e->docker_restarts;
}

static double v_exit_code(const struct docker_entry *e)
{
	return e->exit_code;
}

static double v_oom(const struct docker_entry *e)
{
	return (double)e->oom_kills;
}

static double now_seconds;

static double v_now(const struct docker_entry *e)
{
	(void)e;
	return now_seconds;
}

static void dk_state(struct dk_priv *p, struct sink *sink)
{
	struct hw_label l[DK_MAX_LABELS];
	sink_family(sink, "hostwatch_container_state",
		    "Container state as Docker reports it: 1 for the current "
		    "one.",
		    HW_GAUGE);
	for (size_t i = 0; i < p->snap.n; i++) {
		const struct docker_entry *e = &p->snap.v[i];
		for (unsigned st = 0; st < DOCKER_S_COUNT; st++) {
			size_t n = dk_labels(p, e, "state",
					     docker_state_name((enum docker_state)st),
					     false, l);
			sink_sample(sink, l, n, (unsigned)e->state == st);
		}
	}
}

static void dk_health(struct dk_priv *p, struct sink *sink)
{
	static const struct {
		enum docker_health h;
		const char *name;
	} health[] = {{DOCKER_H_HEALTHY, "healthy"},
		      {DOCKER_H_STARTING, "starting"},
		      {DOCKER_H_UNHEALTHY, "unhealthy"}};
	struct hw_label l[DK_MAX_LABELS];
	sink_family(sink, "hostwatch_container_health_status",
		    "Healthcheck status of the containers that have a "
		    "healthcheck: 1 for the current one.",
		    HW_GAUGE);
	for (size_t i = 0; i < p->snap.n; i++) {
		const struct docker_entry *e = &p->snap.v[i];
		if (!has_health(e))
			continue;
		for (size_t h = 0; h < sizeof(health) / sizeof(health[0]); h++) {
			size_t n = dk_labels(p, e, "status", health[h].name,
					     false, l);
			sink_sample(sink, l, n, e->health == health[h].h);
		}
	}
}

static int dk_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct dk_priv *p = ctx->priv;
	int rc = 0;
	if (p->own_containers)
		rc = cgroup_containers_collect(&p->containers, sink);
	int src = docker_inventory_snapshot(&p->snap);
	if (src < 0)
		return src;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_seconds = (double)ts.tv_sec;

	/* cAdvisor's, for the containers that run (have a cgroup) */
	dk_family(p, sink, "container_last_seen",
		  "Last time a container was seen by the exporter", HW_GAUGE,
		  v_now, running, true);
	dk_family(p, sink, "container_start_time_seconds",
		  "Start time of the container since unix epoch in seconds.",
		  HW_GAUGE, v_created, running, true);
	/* hostwatch's, for every container Docker knows; by name */
	dk_family(p, sink, "hostwatch_container_docker_restarts",
		  "Docker's RestartCount: it goes back to 0 on docker start, "
		  "docker restart and when dockerd restarts.",
		  HW_GAUGE, v_docker_restarts, NULL, false);
	dk_health(p, sink);
	dk_family(p, sink, "hostwatch_container_last_exit_code",
		  "Exit code of the container's last run.", HW_GAUGE,
		  v_exit_code, NULL, false);
	dk_family(p, sink, "hostwatch_container_oom_killed_total",
		  "Times the container was OOM-killed (it died with "
		  "State.OOMKilled) since hostwatch started.",
		  HW_COUNTER, v_oom, NULL, false);
	dk_family(p, sink, "hostwatch_container_restarts_total",
		  "Restarts of the container seen since hostwatch started: "
		  "every start after a die, by a restart policy or by hand.",
		  HW_COUNTER, v_restarts, NULL, false);
	dk_state(p, sink);
	sink_single(sink, "hostwatch_docker_api_requests_total",
		    "Requests made to the Engine API since start (never by a "
		    "scrape).",
		    HW_COUNTER, (double)docker_inventory_requests());
	sink_single(sink, "hostwatch_docker_up",
		    "Whether the Docker (or Podman) Engine API answers: 1 "
		    "while its events are followed.",
		    HW_GAUGE, p->snap.up);
	return rc;
}

const struct collector collector_docker = {
	.name = "docker",
	.enabled_by_default = true,
	.init = dk_init,
	.collect = dk_collect,
	.fini = dk_fini,
};
