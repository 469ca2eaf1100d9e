/* systemd: what systemd says of its units, over sd-bus, as node_exporter
 * 1.5's systemd collector publishes it (collector/systemd_linux.go): every
 * selected unit's active state (node_systemd_unit_state, labelled with the
 * service's or mount's Type as there), each selected service's NRestarts
 * (node_systemd_service_restart_total, which node_exporter has behind
 * --collector.systemd.enable-restarts-metrics and we publish by default),
 * the count of all units by state, whether the system is "running", and
 * systemd's version. Timers, sockets, tasks and start times, which
 * node_exporter has behind further flags, are not published.
 *
 * Off by default, as in node_exporter. libsystemd is dlopen()ed at init
 * (sdbus_lib.h); the connection is kept across scrapes and made again
 * after an error. Where there is no systemd to ask (no private socket, no
 * system bus), a scrape fails (node_scrape_collector_success 0) and says
 * why once, not at every scrape. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/log.h"
#include "hostwatch/regex.h"

#include "systemd_units.h"

/* Every call of one scrape together: well under Prometheus's default 10 s
 * scrape timeout, and node_exporter has none of its own. */
#define SDU_BUDGET_USEC (5 * 1000000u)

/* node_exporter's minSystemdVersionSystemState: SystemState exists since
 * systemd 212. */
#define SDU_MIN_VERSION_SYSTEM_STATE 212

/* node_exporter's unitStatesName: the states node_systemd_unit_state has a
 * sample for, and node_systemd_units always counts. */
static const char *const sdu_states[] = {"active", "activating",
					 "deactivating", "inactive", "failed"};
#define SDU_NSTATES (sizeof(sdu_states) / sizeof(sdu_states[0]))

struct sdu_priv {
	struct hw_regex include, exclude;
	bool has_include, has_exclude;
	bool restarts;
	int lib;           /* sdbus_lib_ready(): 0 or -ENOSYS */
	int logged_err;    /* the connect error last logged; 0: none */
	struct sdu_bus bus;
	struct sdu_data data;
};

/* ---- which units ---------------------------------------------------------- */

/* node_exporter's filterUnits: the name matches include and not exclude
 * (both anchored: ^(?:re)$), and the unit is loaded. */
static bool sdu_unit_selected(const struct sdu_priv *p, const struct sdu_unit *u)
{
	if (strcmp(u->load, "loaded") != 0)
		return false;
	if (p->has_include && !hw_regex_match(&p->include, u->name))
		return false;
	return !(p->has_exclude && hw_regex_match(&p->exclude, u->name));
}

static int sdu_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct sdu_unit *)a)->name,
		      ((const struct sdu_unit *)b)->name);
}

/* Sort by name (client_golang sorts a family's samples by label values,
 * byte by byte) and mark the selected units. */
static void sdu_select(const struct sdu_priv *p, struct sdu_data *d)
{
	qsort(d->units, d->n, sizeof(d->units[0]), sdu_cmp_name);
	for (size_t i = 0; i < d->n; i++)
		d->units[i].selected = sdu_unit_selected(p, &d->units[i]);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- version -------------------------------------------------------------- */

/* node_exporter's getSystemdVersion: the leftmost match of
 * [0-9]{3,}(\.[0-9]+)? in Version ("252.39-1~deb12u2" -> 252.39); false
 * when there is none. */
static bool sdu_version_number(const char *v, double *out)
{
	for (const char *p = v; *p; p++) {
		size_t digits = strspn(p, "0123456789");
		if (digits < 3)
			continue;
		size_t n = digits;
		if (p[n] == '.' && strspn(p + n + 1, "0123456789") > 0)
			n += 1 + strspn(p + n + 1, "0123456789");
		char num[64];
		if (n >= sizeof(num))
			return false;
		memcpy(num, p, n);
		num[n] = '\0';
		*out = strtod(num, NULL);
		return true;
	}
	return false;
}

/* ---- publishing ------------------------------------------------------------ */

/* node_exporter's summarizeUnits: every unit counted under its active state;
 * the five usual states always present, any other one ("reloading",
 * "maintenance"...) as it is met. */
struct sdu_count {
	const char *state;
	unsigned n;
};

static int sdu_cmp_count(const void *a, const void *b)
{
	return strcmp(((const struct sdu_count *)a)->state,
		      ((const struct sdu_count *)b)->state);
}

static void sdu_emit_summary(struct sink *sink, const struct sdu_data *d)
{
	struct sdu_count c[16];
	size_t nc = SDU_NSTATES;
	for (size_t i = 0; i < SDU_NSTATES; i++)
		c[i] = (struct sdu_count){sdu_states[i], 0};
	for (size_t i = 0; i < d->n; i++) {
		size_t k = 0;
		while (k < nc && strcmp(c[k].state, d->units[i].active) != 0)
			k++;
		if (k == nc) {
			if (nc == sizeof(c) / sizeof(c[0]))
				continue; /* systemd has 8 states; ignore junk */
			c[nc++] = (struct sdu_count){d->units[i].active, 0};
		}
		c[k].n++;
	}
	qsort(c, nc, sizeof(c[0]), sdu_cmp_count);
	sink_family(sink, "node_systemd_units", "Summary of systemd unit states",
		    HW_GAUGE);
	for (size_t i = 0; i < nc; i++) {
		struct hw_label l = {"state", c[i].state};
		sink_sample(sink, &l, 1, c[i].n);
	}
}

/* Every family, in name order as node_exporter's registry writes them. */
static void sdu_emit(struct sink *sink, const struct sdu_data *d,
		     bool with_state)
{
	bool any = false;
	for (size_t i = 0; i < d->n; i++) {
		const struct sdu_unit *u = &d->units[i];
		if (!u->selected || !u->has_nrestarts)
			continue;
		if (!any)
			sink_family(sink, "node_systemd_service_restart_total",
				    "Service unit count of Restart triggers",
				    HW_COUNTER);
		any = true;
		struct hw_label l = {"name", u->name};
		sink_sample(sink, &l, 1, u->nrestarts);
	}
	if (with_state && d->system_state)
		sink_single(sink, "node_systemd_system_running",
			    "Whether the system is operational (see "
			    "'systemctl is-system-running')",
			    HW_GAUGE,
			    strcmp(d->system_state, "running") == 0);
	any = false;
	for (size_t i = 0; i < d->n; i++) {
		const struct sdu_unit *u = &d->units[i];
		if (!u->selected)
			continue;
		if (!any)
			sink_family(sink, "node_systemd_unit_state",
				    "Systemd unit", HW_GAUGE);
		any = true;
		/* The states in label order: activating, active, ... */
		static const unsigned order[] = {1, 0, 2, 4, 3};
		for (size_t k = 0; k < SDU_NSTATES; k++) {
			const char *st = sdu_states[order[k]];
			struct hw_label l[3] = {{"name", u->name},
						{"state", st},
						{"type", u->type ? u->type : ""}};
			sink_sample(sink, l, 3, strcmp(u->active, st) == 0);
		}
	}
	if (d->listed)
		sdu_emit_summary(sink, d);
	double v = 0;
	bool has_v = d->version && sdu_version_number(d->version, &v);
	struct hw_label l = {"version", has_v ? d->version : ""};
	sink_family(sink, "node_systemd_version", "Detected systemd version",
		    HW_GAUGE);
	sink_sample(sink, &l, 1, v);
}

/* ---- the scrape ------------------------------------------------------------- */

/* What node_exporter asks of each selected unit: a service's or mount's
 * Type (the "type" label), a service's NRestarts. A unit that does not
 * answer is published without them, as there; a connection that broke, or
 * a budget spent, ends the walk. */
static int sdu_ask_units(struct sdu_priv *p)
{
	for (size_t i = 0; i < p->data.n; i++) {
		struct sdu_unit *u = &p->data.units[i];
		bool service = ends_with(u->name, ".service");
		if (!u->selected || (!service && !ends_with(u->name, ".mount")))
			continue;
		int rc = sdu_bus_get_string(
			&p->bus, u->path,
			service ? "org.freedesktop.systemd1.Service"
				: "org.freedesktop.systemd1.Mount",
			"Type", &u->type);
		if (rc < 0)
			log_debug("systemd: %s: Type: %s", u->name,
				  strerror(-rc));
		if (rc != -ETIMEDOUT && sdu_bus_alive(&p->bus) && service &&
		    p->restarts) {
			/* NRestarts exists since systemd 235. */
			rc = sdu_bus_get_u32(&p->bus, u->path,
					     "org.freedesktop.systemd1.Service",
					     "NRestarts", &u->nrestarts);
			u->has_nrestarts = rc == 0;
			if (rc < 0)
				log_debug("systemd: %s: NRestarts: %s",
					  u->name, strerror(-rc));
		}
		if (rc == -ETIMEDOUT || !sdu_bus_alive(&p->bus))
			return rc < 0 ? rc : -ENOTCONN;
	}
	return 0;
}

/* Connect, logging a failure once: not at every scrape of a host without
 * systemd, but again once it changes or after a success. */
static int sdu_connect(struct sdu_priv *p)
{
	char why[512];
	int rc = sdu_bus_connect(&p->bus, why, sizeof(why));
	if (rc < 0) {
		if (rc != p->logged_err)
			log_info("systemd: cannot reach systemd (%s): "
				 "node_systemd_* not published",
				 why);
		p->logged_err = rc;
		return rc;
	}
	if (p->logged_err)
		log_info("systemd: connected to systemd via %s", p->bus.via);
	p->logged_err = 0;
	return 0;
}

static int sdu_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct sdu_priv *p = ctx->priv;
	if (p->lib < 0)
		return p->lib;
	sdu_bus_budget(&p->bus, SDU_BUDGET_USEC);
	int rc = sdu_connect(p);
	if (rc < 0)
		return rc;

	struct sdu_data *d = &p->data;
	double version = 0;
	int vrc = sdu_bus_get_string(&p->bus, SDU_PATH, SDU_MANAGER, "Version",
				     &d->version);
	if (vrc < 0)
		log_debug("systemd: Version: %s", strerror(-vrc));
	if (vrc < 0 && !sdu_bus_alive(&p->bus))
		rc = vrc;
	if (rc == 0 && (rc = sdu_bus_list_units(&p->bus, d)) < 0)
		log_debug("systemd: ListUnits: %s", strerror(-rc));
	if (rc == 0) {
		sdu_select(p, d);
		rc = sdu_ask_units(p);
	}
	bool with_state = d->version &&
			  sdu_version_number(d->version, &version) &&
			  version >= SDU_MIN_VERSION_SYSTEM_STATE;
	if (rc == 0 && with_state) {
		rc = sdu_bus_get_string(&p->bus, SDU_PATH, SDU_MANAGER,
					"SystemState", &d->system_state);
		if (rc < 0)
			log_debug("systemd: SystemState: %s", strerror(-rc));
	}
	sdu_emit(sink, d, with_state);
	/* A call that failed on a connection that still stands (an error
	 * reply, the budget spent) keeps it; a broken one is made again. */
	if (rc < 0 && !sdu_bus_alive(&p->bus)) {
		log_debug("systemd: connection to %s lost", p->bus.via);
		sdu_bus_drop(&p->bus);
	}
	sdu_bus_release(&p->bus);
	sdu_data_clear(d);
	return rc;
}

/* ---- life cycle ------------------------------------------------------------- */

/* node_exporter compiles the flags as ^(?:re)$. */
static int sdu_compile(struct hw_regex *re, bool *has, const char *pattern,
		       const char *key)
{
	*has = false;
	if (!pattern)
		return 0;
	size_t n = strlen(pattern) + sizeof("^(?:)$");
	char *anchored = malloc(n);
	if (!anchored)
		return -ENOMEM;
	snprintf(anchored, n, "^(?:%s)$", pattern);
	char err[200];
	int rc = hw_regex_compile(re, anchored, err, sizeof(err));
	free(anchored);
	if (rc < 0) {
		log_error("systemd: [systemd] %s \"%s\": %s", key, pattern, err);
		return -EINVAL;
	}
	*has = true;
	return 0;
}

static void sdu_fini(struct hw_ctx *ctx)
{
	struct sdu_priv *p = ctx->priv;
	if (!p)
		return;
	if (p->lib == 0)
		sdu_bus_drop(&p->bus);
	sdu_data_clear(&p->data);
	if (p->has_include)
		hw_regex_free(&p->include);
	if (p->has_exclude)
		hw_regex_free(&p->exclude);
	free(p);
	ctx->priv = NULL;
}

static int sdu_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	struct sdu_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ctx->priv = p;
	int rc = sdu_compile(&p->include, &p->has_include,
			     cfg->systemd_unit_include, "unit_include");
	if (rc == 0)
		rc = sdu_compile(&p->exclude, &p->has_exclude,
				 cfg->systemd_unit_exclude, "unit_exclude");
	if (rc < 0) {
		sdu_fini(ctx);
		return rc;
	}
	p->restarts = cfg->systemd_restarts;
	p->bus.private_socket = cfg->systemd_private_socket;
	/* A missing libsystemd is not a configuration error: the scrape
	 * reports it (success 0), and this is the one line that says why. */
	char why[192];
	p->lib = sdbus_lib_ready(why, sizeof(why));
	if (p->lib < 0)
		log_warn("systemd: %s: node_systemd_* not published", why);
	return 0;
}

const struct collector collector_systemd = {
	.name = "systemd",
	.enabled_by_default = false,
	.init = sdu_init,
	.collect = sdu_collect,
	.fini = sdu_fini,
};
