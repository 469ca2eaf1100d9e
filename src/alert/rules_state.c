/* The rule manager's outputs besides the store: the /metrics view of the
 * rules' last output (rules_write), notifications (rules_send_alerts, as
 * rules/alerting.go sendAlerts), and alert instances saved to and
 * restored from a JSON file across restarts. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/clock.h"
#include "hostwatch/jsonfile.h"

#include "rules_internal.h"

#define RULES_STATE_VERSION 1

/* ---- sink ---------------------------------------------------------------- */

struct wsample {
	const char *name;
	const struct rules_out *o;
};

static int cmp_wsample(const void *a, const void *b)
{
	const struct wsample *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : labels_cmp(x->o->labels, y->o->labels);
}

static void write_one(struct sink *s, const struct hw_labels *ls, double v)
{
	struct hw_label stack[32] = {{0}}, *p = stack;
	size_t n = 0;
	if (ls->n > 32) {
		p = malloc(ls->n * sizeof(*p));
		if (!p)
			return;
	}
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->l[i].name, LABEL_NAME) != 0)
			p[n++] = ls->l[i];
	sink_sample(s, p, n, v);
	if (p != stack)
		free(p);
}

void rules_write(const struct rules_manager *m, struct sink *s)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].n; j++)
			n += m->groups[i].rules[j].nout;
	if (!n)
		return;
	struct wsample *w = calloc(n, sizeof(*w));
	if (!w)
		return;
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].n; j++) {
			const struct rules_rule *r = &m->groups[i].rules[j];
			for (size_t x = 0; x < r->nout; x++) {
				const char *name = labels_get(r->out[x].labels,
							      LABEL_NAME);
				w[k].name = name ? name : "";
				w[k++].o = &r->out[x];
			}
		}
	if (k > 1)
		qsort(w, k, sizeof(*w), cmp_wsample);
	for (size_t i = 0; i < k; i++) {
		if (i == 0 || strcmp(w[i].name, w[i - 1].name) != 0) {
			bool alert = strncmp(w[i].name, "ALERTS", 6) == 0;
			sink_family(s, w[i].name,
				    alert ? "Alert instances of hostwatch's "
					    "alerting rules."
					  : "Recorded by a hostwatch "
					    "recording rule.",
				    HW_UNTYPED);
		} else if (labels_equal(w[i].o->labels, w[i - 1].o->labels)) {
			continue; /* two rules wrote one series: one line */
		}
		write_one(s, w[i].o->labels, w[i].o->v);
	}
	free(w);
}

/* ---- notifications ------------------------------------------------------- */

/* alerting.go needsSending. */
static bool needs_sending(const struct rules_alert *a, int64_t t,
			  int64_t resend)
{
	if (a->state == RULES_PENDING)
		return false;
	if (a->last_sent_at == RULES_TIME_UNSET)
		return true;
	if (a->resolved_at != RULES_TIME_UNSET &&
	    a->resolved_at > a->last_sent_at)
		return true;
	return a->last_sent_at + resend < t;
}

int rules_send_alerts(struct rules_manager *m, int64_t t,
		      int64_t resend_delay_ms, rules_alert_fn fn, void *ctx)
{
	for (size_t i = 0; i < m->ngroups; i++) {
		struct rules_group *g = &m->groups[i];
		int64_t delta = g->interval_ms > resend_delay_ms
					? g->interval_ms
					: resend_delay_ms;
		for (size_t j = 0; j < g->n; j++) {
			struct rules_rule *r = &g->rules[j];
			for (size_t k = 0; k < r->nalerts; k++) {
				struct rules_alert *a = r->alerts[k];
				if (!needs_sending(a, t, resend_delay_ms))
					continue;
				a->last_sent_at = t;
				a->valid_until = t + 4 * delta;
				int rc = fn(&r->info, a, ctx);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

/* ---- save ---------------------------------------------------------------- */

static json_t *labels_json(const struct hw_labels *ls)
{
	json_t *o = json_object();
	for (size_t i = 0; o && ls && i < ls->n; i++)
		json_object_set_new(o, ls->l[i].name,
				    json_string(ls->l[i].value));
	return o;
}

/* The file is read by the next process, whose engine clock starts anew:
 * its times are wall times (clock.h). */
static json_t *time_json(int64_t t)
{
	return t == RULES_TIME_UNSET ? json_null()
				     : json_integer(clock_to_wall(t));
}

static json_t *alert_json(const struct rules_rule *r,
			  const struct rules_alert *a)
{
	char v[40];
	json_t *ann = json_object();
	for (size_t i = 0; ann && i < a->nannotations; i++)
		json_object_set_new(ann, a->annotations[i].key,
				    json_string(a->annotations[i].value));
	/* As text: JSON has no NaN or Inf, and %.17g reads back exactly. */
	snprintf(v, sizeof(v), "%.17g", a->value);
	return json_pack(
		"{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, "
		"s:o, s:o, s:o, s:o}",
		"group", r->group->def->name ? r->group->def->name : "", "rule",
		r->def->name, "expr", r->def->expr, "labels",
		labels_json(a->labels), "series", labels_json(a->series),
		"annotations", ann ? ann : json_object(), "state",
		rules_state_name(a->state), "value", v, "active_at",
		time_json(a->active_at), "fired_at", time_json(a->fired_at),
		"resolved_at", time_json(a->resolved_at), "last_sent_at",
		time_json(a->last_sent_at), "valid_until",
		time_json(a->valid_until), "keep_firing_since",
		time_json(a->keep_firing_since));
}

int rules_save(const struct rules_manager *m, const char *path)
{
	int rc = 0;
	json_t *arr = json_array();
	json_t *root = json_pack("{s:i, s:o}", "version", RULES_STATE_VERSION,
				 "alerts", arr);
	if (!root)
		return -ENOMEM;
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < m->groups[i].n; j++) {
			const struct rules_rule *r = &m->groups[i].rules[j];
			for (size_t k = 0; k < r->nalerts; k++) {
				json_t *a = alert_json(r, r->alerts[k]);
				if (!a || json_array_append_new(arr, a) < 0) {
					rc = -ENOMEM;
					goto out;
				}
			}
		}
	rc = jsonfile_save(root, path, JSON_INDENT(1) | JSON_SORT_KEYS);
out:
	json_decref(root);
	return rc;
}

/* ---- restore ------------------------------------------------------------- */

static struct rules_rule *rule_find(struct rules_manager *m, const char *group,
				    const char *name, const char *expr)
{
	for (size_t i = 0; i < m->ngroups; i++) {
		const char *gn = m->groups[i].def->name;
		if (strcmp(gn ? gn : "", group) != 0)
			continue;
		for (size_t j = 0; j < m->groups[i].n; j++) {
			struct rules_rule *r = &m->groups[i].rules[j];
			if (r->def->kind == RULE_ALERT &&
			    strcmp(r->def->name, name) == 0 &&
			    strcmp(r->def->expr, expr) == 0)
				return r;
		}
	}
	return NULL;
}

static struct hw_labels *labels_from_json(json_t *o)
{
	size_t n = json_object_size(o), k = 0;
	struct hw_label *p = calloc(n ? n : 1, sizeof(*p));
	const char *key;
	json_t *v;
	if (!p)
		return NULL;
	json_object_foreach(o, key, v) {
		if (!json_is_string(v)) {
			free(p);
			return NULL;
		}
		p[k].name = key;
		p[k++].value = json_string_value(v);
	}
	struct hw_labels *ls = labels_new(p, k);
	free(p);
	return ls;
}

static int time_from_json(json_t *o, const char *key, int64_t *t)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*t = RULES_TIME_UNSET;
		return 0;
	}
	if (!json_is_integer(v))
		return -EINVAL;
	*t = clock_from_wall(json_integer_value(v));
	return 0;
}

static int state_from_name(const char *s, enum rules_alert_state *st)
{
	if (strcmp(s, "pending") == 0)
		*st = RULES_PENDING;
	else if (strcmp(s, "firing") == 0)
		*st = RULES_FIRING;
	else if (strcmp(s, "inactive") == 0)
		*st = RULES_INACTIVE;
	else
		return -EINVAL;
	return 0;
}

static int alert_from_json(json_t *o, struct rules_alert *a)
{
	json_t *lab, *ser, *ann;
	const char *state, *value, *key;
	json_t *v;
	if (json_unpack(o, "{s:o, s:o, s:o, s:s, s:s}", "labels", &lab,
			"series", &ser, "annotations", &ann, "state", &state,
			"value", &value) < 0 ||
	    !json_is_object(lab) || !json_is_object(ser) ||
	    !json_is_object(ann) || state_from_name(state, &a->state) < 0)
		return -EINVAL;
	a->value = strtod(value, NULL);
	if (time_from_json(o, "active_at", &a->active_at) < 0 ||
	    time_from_json(o, "fired_at", &a->fired_at) < 0 ||
	    time_from_json(o, "resolved_at", &a->resolved_at) < 0 ||
	    time_from_json(o, "last_sent_at", &a->last_sent_at) < 0 ||
	    time_from_json(o, "valid_until", &a->valid_until) < 0 ||
	    time_from_json(o, "keep_firing_since", &a->keep_firing_since) < 0)
		return -EINVAL;
	a->labels = labels_from_json(lab);
	a->series = labels_from_json(ser);
	if (!a->labels || !a->series)
		return -EINVAL;
	a->annotations =
		calloc(json_object_size(ann) + 1, sizeof(*a->annotations));
	if (!a->annotations)
		return -ENOMEM;
	json_object_foreach(ann, key, v) {
		if (!json_is_string(v))
			return -EINVAL;
		struct rule_kv *kv = &a->annotations[a->nannotations++];
		kv->key = strdup(key);
		kv->value = strdup(json_string_value(v));
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	return 0;
}

static bool has_alert(const struct rules_rule *r, const struct hw_labels *ls)
{
	for (size_t i = 0; i < r->nalerts; i++)
		if (labels_equal(r->alerts[i]->labels, ls))
			return true;
	return false;
}

int rules_restore(struct rules_manager *m, const char *path, int64_t now,
		  char *err, size_t errsize)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *arr;
	size_t i;
	json_t *o;
	int version = 0, rc = 0;
	if (!root) {
		if (access(path, F_OK) < 0)
			return -ENOENT;
		snprintf(err, errsize, "%s:%d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	if (json_unpack(root, "{s:i, s:o}", "version", &version, "alerts",
			&arr) < 0 ||
	    version != RULES_STATE_VERSION || !json_is_array(arr)) {
		snprintf(err, errsize, "%s: not a version %d alert state file",
			 path, RULES_STATE_VERSION);
		rc = -EINVAL;
		goto out;
	}
	json_array_foreach(arr, i, o) {
		const char *group, *rule, *expr;
		if (json_unpack(o, "{s:s, s:s, s:s}", "group", &group, "rule",
				&rule, "expr", &expr) < 0) {
			snprintf(err, errsize,
				 "%s: alert %zu: no group, rule "
				 "or expr",
				 path, i);
			rc = -EINVAL;
			goto out;
		}
		struct rules_rule *r = rule_find(m, group, rule, expr);
		if (!r)
			continue; /* the rule changed or went away */
		struct rules_alert *a = calloc(1, sizeof(*a));
		if (!a) {
			rc = -ENOMEM;
			goto out;
		}
		rc = alert_from_json(o, a);
		if (rc < 0) {
			rules_alert_free(a);
			snprintf(err, errsize, "%s: alert %zu: malformed", path,
				 i);
			goto out;
		}
		if (a->nannotations > 1)
			qsort(a->annotations, a->nannotations,
			      sizeof(*a->annotations), rules_kv_cmp);
		if (has_alert(r, a->labels) ||
		    (a->resolved_at != RULES_TIME_UNSET &&
		     now - a->resolved_at > RULES_RESOLVED_RETENTION_MS)) {
			rules_alert_free(a);
			continue;
		}
		rc = rules_alert_add(r, a);
		if (rc < 0) {
			rules_alert_free(a);
			goto out;
		}
		rules_rule_info_update(r);
	}
out:
	json_decref(root);
	return rc;
}
