/* GET /api/v1/alerts and /api/v1/rules, field for field as Prometheus 2.42
 * writes them (web/api/v1/api.go: AlertDiscovery, RuleDiscovery), so that
 * Grafana, amtool-style scripts and `curl | jq` written for Prometheus read
 * hostwatch unchanged. Only active (pending and firing) alerts are listed,
 * as there. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/clock.h"
#include "hostwatch/engine.h"
#include "hostwatch/gotime.h"
#include "hostwatch/template.h"

#include "engine_internal.h"

/* time.Time's JSON, on the wall clock (clock.h); Go's zero time for
 * "never". */
static json_t *json_time(int64_t ms)
{
	char buf[GOTIME_LEN];
	if (ms == RULES_TIME_UNSET)
		return json_string(GOTIME_ZERO);
	gotime_format(clock_to_wall(ms), buf, sizeof(buf));
	return json_string(buf);
}

static json_t *json_labels(const struct hw_labels *ls)
{
	json_t *o = json_object();
	for (size_t i = 0; ls && o && i < ls->n; i++)
		json_object_set_new(o, ls->l[i].name,
				    json_string(ls->l[i].value));
	return o;
}

static json_t *json_kv(const struct rule_kv *kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].value));
	return o;
}

static json_t *json_alert(const struct rules_alert *a)
{
	char value[64];
	template_format_float_e(a->value, false, value, sizeof(value));
	json_t *o = json_object();
	json_object_set_new(o, "labels", json_labels(a->labels));
	json_object_set_new(o, "annotations",
			    json_kv(a->annotations, a->nannotations));
	json_object_set_new(o, "state",
			    json_string(rules_state_name(a->state)));
	json_object_set_new(o, "activeAt", json_time(a->active_at));
	if (a->keep_firing_since != RULES_TIME_UNSET)
		json_object_set_new(o, "keepFiringSince",
				    json_time(a->keep_firing_since));
	json_object_set_new(o, "value", json_string(value));
	return o;
}

static bool alert_active(const struct rules_alert *a)
{
	return a->state == RULES_PENDING || a->state == RULES_FIRING;
}

static int add_alert(const struct rules_rule_info *rule,
		     const struct rules_alert *a, void *ctx)
{
	(void)rule;
	if (alert_active(a))
		json_array_append_new(ctx, json_alert(a));
	return 0;
}

static int reply(json_t *data, struct hw_buf *out)
{
	json_t *root = json_object();
	json_object_set_new(root, "status", json_string("success"));
	json_object_set_new(root, "data", data);
	char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	buf_reset(out);
	buf_puts(out, text);
	free(text);
	return out->failed ? -ENOMEM : 0;
}

int engine_api_alerts(struct hw_engine *e, struct hw_buf *out)
{
	json_t *alerts = json_array();
	if (e) {
		pthread_mutex_lock(&e->lock);
		rules_foreach_alert(e->rules, add_alert, alerts);
		pthread_mutex_unlock(&e->lock);
	}
	json_t *data = json_object();
	json_object_set_new(data, "alerts", alerts);
	return reply(data, out);
}

/* ---- /api/v1/rules --------------------------------------------------------- */

struct rules_walk {
	const char *type; /* "alert", "record" or NULL */
	json_t *groups;
	const struct rule_group_def *group; /* the one being filled */
	json_t *grp, *list, *alerts_of; /* its JSON, its rules, the rule's */
	const struct rule_def *rule;
	double group_seconds;
	int64_t group_last;
	struct hw_engine *e;
};

static int64_t group_interval(const struct rules_manager *m,
			      const struct rule_group_def *g)
{
	for (size_t i = 0; i < rules_group_count(m); i++)
		if (rules_group(m, i) == g)
			return rules_group_interval(m, i);
	return 0;
}

static void group_close(struct rules_walk *w)
{
	if (!w->grp)
		return;
	json_object_set_new(w->grp, "rules", w->list);
	json_object_set_new(w->grp, "interval",
			    json_real((double)group_interval(w->e->rules, w->group) /
				      1000.0));
	json_object_set_new(w->grp, "limit", json_integer(0));
	json_object_set_new(w->grp, "evaluationTime",
			    json_real(w->group_seconds));
	json_object_set_new(w->grp, "lastEvaluation",
			    json_time(w->group_last));
	json_array_append_new(w->groups, w->grp);
	w->grp = NULL;
	w->list = NULL;
}

static int rule_alerts(const struct rules_rule_info *rule,
		       const struct rules_alert *a, void *ctx)
{
	struct rules_walk *w = ctx;
	if (rule->def == w->rule && alert_active(a))
		json_array_append_new(w->alerts_of, json_alert(a));
	return 0;
}

static int add_rule(const struct rules_rule_info *r, void *ctx)
{
	struct rules_walk *w = ctx;
	if (r->group != w->group) {
		group_close(w);
		w->group = r->group;
		w->grp = json_object();
		json_object_set_new(w->grp, "name", json_string(r->group->name));
		json_object_set_new(w->grp, "file",
				    json_string(r->group->file ? r->group->file
							       : ""));
		w->list = json_array();
		w->group_seconds = 0;
		w->group_last = RULES_TIME_UNSET;
	}
	w->group_seconds += r->eval_seconds;
	if (r->last_eval > w->group_last)
		w->group_last = r->last_eval;
	bool alert = r->def->kind == RULE_ALERT;
	if (w->type && strcmp(w->type, alert ? "alert" : "record") != 0)
		return 0;
	struct hw_buf q = HW_BUF_INIT;
	promql_format(r->def->ast, &q);
	json_t *o = json_object();
	if (alert)
		json_object_set_new(o, "state",
				    json_string(rules_state_name(r->state)));
	json_object_set_new(o, "name", json_string(r->def->name));
	json_object_set_new(o, "query",
			    json_string(q.failed ? "" : buf_cstr(&q)));
	buf_free(&q);
	if (alert) {
		json_object_set_new(o, "duration",
				    json_real((double)r->def->for_ms / 1000.0));
		json_object_set_new(
			o, "keepFiringFor",
			json_real((double)r->def->keep_firing_for_ms / 1000.0));
		json_object_set_new(o, "labels",
				    json_kv(r->def->labels, r->def->nlabels));
		json_object_set_new(o, "annotations",
				    json_kv(r->def->annotations,
					    r->def->nannotations));
		w->rule = r->def;
		w->alerts_of = json_array();
		rules_foreach_alert(w->e->rules, rule_alerts, w);
		json_object_set_new(o, "alerts", w->alerts_of);
		w->alerts_of = NULL;
	} else if (r->def->nlabels) {
		json_object_set_new(o, "labels",
				    json_kv(r->def->labels, r->def->nlabels));
	}
	json_object_set_new(o, "health",
			    json_string(rules_health_name(r->health)));
	if (r->last_error && *r->last_error)
		json_object_set_new(o, "lastError", json_string(r->last_error));
	json_object_set_new(o, "evaluationTime", json_real(r->eval_seconds));
	json_object_set_new(o, "lastEvaluation", json_time(r->last_eval));
	json_object_set_new(o, "type",
			    json_string(alert ? "alerting" : "recording"));
	json_array_append_new(w->list, o);
	return 0;
}

int engine_api_rules(struct hw_engine *e, const char *type,
		     struct hw_buf *out)
{
	struct rules_walk w = {.type = type, .groups = json_array(), .e = e};
	if (e) {
		pthread_mutex_lock(&e->lock);
		rules_foreach_rule(e->rules, add_rule, &w);
		group_close(&w);
		pthread_mutex_unlock(&e->lock);
	}
	json_t *data = json_object();
	json_object_set_new(data, "groups", w.groups);
	return reply(data, out);
}
