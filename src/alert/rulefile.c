/* Loading a Prometheus rule file, as Prometheus 2.42's model/rulefmt
 * (ParseFile: yaml.v3 with KnownFields, then Validate) and `promtool check
 * rules` accept it: groups of name, interval, limit (accepted, ignored:
 * hostwatch does not limit), rules; rules of record | alert, expr, for,
 * keep_firing_for, labels, annotations, and hostwatch's `clear`. Messages
 * keep Prometheus's wording but always name FILE:LINE of the offending YAML
 * node, where promtool often gives 0:0 or no line at all. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/ruledef.h"
#include "yamldoc.h"

struct ld {
	struct yamldoc d;
	char *err;
	size_t errsize;
};

static yaml_node_t *node(struct ld *l, int id)
{
	return yaml_document_get_node(&l->d.doc, id);
}

static int nomem(struct ld *l)
{
	snprintf(l->err, l->errsize, "%s: out of memory", l->d.path);
	return -ENOMEM;
}

/* yaml.v3's resolved tag of a node, for "cannot unmarshal" messages. */
static const char *tag_name(const yaml_node_t *n)
{
	const char *s;
	char *end;

	if (n->type == YAML_MAPPING_NODE)
		return "!!map";
	if (n->type == YAML_SEQUENCE_NODE)
		return "!!seq";
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return "!!str";
	if (yamldoc_is_null(n))
		return "!!null";
	s = (const char *)n->data.scalar.value;
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return "!!bool";
	strtoll(s, &end, 0);
	if (!*end)
		return "!!int";
	strtod(s, &end);
	return *end ? "!!str" : "!!float";
}

static int type_err(struct ld *l, const yaml_node_t *n, const char *type)
{
	if (n->type == YAML_SCALAR_NODE)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "cannot unmarshal %s `%s` into %s",
				    tag_name(n), n->data.scalar.value, type);
	return yamldoc_errf(&l->d, n, l->err, l->errsize,
			    "cannot unmarshal %s into %s", tag_name(n), type);
}

/* A mapping with only `keys`, each at most once (KnownFields, and yaml.v3's
 * "already defined" check). */
static int check_map(struct ld *l, yaml_node_t *map, const char *type,
		     const char *const *keys)
{
	if (map->type != YAML_MAPPING_NODE)
		return type_err(l, map, type);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);
		const char *ks = yamldoc_scalar(k);
		if (!ks)
			return type_err(l, k, "string");
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p;
		     q++) {
			yaml_node_t *k2 = node(l, q->key);
			if (!strcmp(ks, yamldoc_scalar(k2) ? yamldoc_scalar(k2)
							  : ""))
				return yamldoc_errf(
					&l->d, k, l->err, l->errsize,
					"mapping key \"%s\" already defined at "
					"line %d",
					ks, yamldoc_line(k2));
		}
		if (!keys)
			continue;
		size_t i;
		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], ks))
				break;
		if (!keys[i])
			return yamldoc_errf(&l->d, k, l->err, l->errsize,
					    "field %s not found in type %s", ks,
					    type);
	}
	return 0;
}

/* A string field: a copy of the scalar ("" for a null), or NULL with an
 * error set in *rc. */
static char *str(struct ld *l, yaml_node_t *n, int *rc)
{
	char *s;

	*rc = 0;
	if (yamldoc_is_null(n))
		s = strdup("");
	else if (n->type != YAML_SCALAR_NODE) {
		*rc = type_err(l, n, "string");
		return NULL;
	} else
		s = strdup(yamldoc_scalar(n));
	if (!s)
		*rc = nomem(l);
	return s;
}

static int duration(struct ld *l, yaml_node_t *n, int64_t *ms)
{
	const char *s;

	*ms = 0;
	if (yamldoc_is_null(n))
		return 0;
	s = yamldoc_scalar(n);
	if (!s)
		return type_err(l, n, "model.Duration");
	if (yamldoc_duration(s, ms) < 0)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "not a valid duration string: \"%s\"", s);
	return 0;
}

/* labels: / annotations: into kv pairs, with the line of each value. */
static int kvs(struct ld *l, yaml_node_t *map, struct rule_kv **out,
	       size_t *n, int **lines)
{
	size_t cap;
	int rc;

	if (yamldoc_is_null(map))
		return 0;
	if ((rc = check_map(l, map, "map[string]string", NULL)))
		return rc;
	cap = (size_t)(map->data.mapping.pairs.top -
		       map->data.mapping.pairs.start);
	if (!cap)
		return 0;
	*out = calloc(cap, sizeof(**out));
	*lines = calloc(cap, sizeof(**lines));
	if (!*out || !*lines)
		return nomem(l);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *v = node(l, p->value);
		struct rule_kv *kv = &(*out)[*n];
		if (!(kv->key = str(l, node(l, p->key), &rc)))
			return rc;
		(*n)++;
		if (!(kv->value = str(l, v, &rc)))
			return rc;
		(*lines)[*n - 1] = yamldoc_line(v);
	}
	return 0;
}

static const char *const rule_keys[] = {
	"record",      "alert",	      "expr",  "for", "keep_firing_for",
	"labels",      "annotations", "clear", NULL};

static int load_rule(struct ld *l, yaml_node_t *rn, const char *group,
		     size_t index, struct rule_def *r)
{
	struct rule_def_lines lines = {0};
	int *label_lines = NULL, *ann_lines = NULL;
	char *record = NULL, *alert = NULL, *context = NULL;
	yaml_node_t *n;
	int rc;

	if ((rc = check_map(l, rn, "rulefmt.RuleNode", rule_keys)))
		return rc;
	r->line = yamldoc_line(rn);
	if (!(r->file = strdup(l->d.path)))
		return nomem(l);
	if (!(record = str(l, yamldoc_map_get(&l->d, rn, "record"), &rc)) ||
	    !(alert = str(l, yamldoc_map_get(&l->d, rn, "alert"), &rc)))
		goto out;
	if (asprintf(&context, "group \"%s\", rule %zu, \"%s\"", group,
		     index + 1, *alert ? alert : record) < 0) {
		context = NULL;
		rc = nomem(l);
		goto out;
	}
	if (*record && *alert) {
		rc = yamldoc_errf(&l->d, rn, l->err, l->errsize,
				  "%s: only one of 'record' and 'alert' must "
				  "be set",
				  context);
		goto out;
	}
	r->kind = *alert ? RULE_ALERT : RULE_RECORD;
	r->name = *alert ? alert : record;
	if (*alert)
		alert = NULL;
	else
		record = NULL;
	n = yamldoc_map_get(&l->d, rn, "expr");
	if (!(r->expr = str(l, n, &rc)))
		goto out;
	/* a block scalar (expr: |) starts on the next line */
	lines.expr = yamldoc_line(n) +
		     (n && n->type == YAML_SCALAR_NODE &&
		      (n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		       n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE));
	n = yamldoc_map_get(&l->d, rn, "clear");
	if (n && !yamldoc_is_null(n)) {
		if (!(r->clear = str(l, n, &rc)))
			goto out;
		lines.clear = yamldoc_line(n);
	}
	if ((rc = duration(l, yamldoc_map_get(&l->d, rn, "for"), &r->for_ms)) ||
	    (rc = duration(l, yamldoc_map_get(&l->d, rn, "keep_firing_for"),
			   &r->keep_firing_for_ms)) ||
	    (rc = kvs(l, yamldoc_map_get(&l->d, rn, "labels"), &r->labels,
		      &r->nlabels, &label_lines)) ||
	    (rc = kvs(l, yamldoc_map_get(&l->d, rn, "annotations"),
		      &r->annotations, &r->nannotations, &ann_lines)))
		goto out;
	lines.labels = label_lines;
	lines.annotations = ann_lines;
	rc = ruledef_check_at(r, &lines, context, l->err, l->errsize);
	if (rc == -ENOMEM)
		nomem(l);
out:
	free(record);
	free(alert);
	free(context);
	free(label_lines);
	free(ann_lines);
	return rc;
}

static const char *const group_keys[] = {"name", "interval", "limit",
					 "rules", NULL};

static int load_group(struct ld *l, yaml_node_t *gn,
		      const struct rule_group_def *prev, size_t nprev,
		      struct rule_group_def *g)
{
	yaml_node_t *name, *rules, *limit;
	int rc;

	if ((rc = check_map(l, gn, "rulefmt.RuleGroup", group_keys)))
		return rc;
	name = yamldoc_map_get(&l->d, gn, "name");
	if (!(g->name = str(l, name, &rc)))
		return rc;
	if (!(g->file = strdup(l->d.path)))
		return nomem(l);
	if (!*g->name)
		return yamldoc_errf(&l->d, gn, l->err, l->errsize,
				    "Groupname must not be empty");
	for (size_t i = 0; i < nprev; i++)
		if (!strcmp(prev[i].name, g->name))
			return yamldoc_errf(&l->d, name, l->err, l->errsize,
					    "groupname: \"%s\" is repeated in "
					    "the same file",
					    g->name);
	if ((rc = duration(l, yamldoc_map_get(&l->d, gn, "interval"),
			   &g->interval_ms)))
		return rc;
	limit = yamldoc_map_get(&l->d, gn, "limit");
	if (limit && !yamldoc_is_null(limit) && strcmp(tag_name(limit), "!!int"))
		return type_err(l, limit, "int");
	rules = yamldoc_map_get(&l->d, gn, "rules");
	if (yamldoc_is_null(rules))
		return 0;
	if (rules->type != YAML_SEQUENCE_NODE)
		return type_err(l, rules, "[]rulefmt.RuleNode");
	size_t n = (size_t)(rules->data.sequence.items.top -
			    rules->data.sequence.items.start);
	if (!n)
		return 0;
	if (!(g->rules = calloc(n, sizeof(*g->rules))))
		return nomem(l);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *rn = node(l, rules->data.sequence.items.start[i]);
		g->n++;
		if ((rc = load_rule(l, rn, g->name, i, &g->rules[i])))
			return rc;
	}
	return 0;
}

int rulefile_load(const char *path, struct rule_set_def *set, char *err,
		  size_t errsize)
{
	static const char *const top_keys[] = {"groups", NULL};
	struct ld l = {.err = err, .errsize = errsize};
	struct rule_set_def add = {0};
	yaml_node_t *root, *groups;
	int rc;

	if ((rc = yamldoc_load(&l.d, path, err, errsize)))
		return rc;
	root = yamldoc_root(&l.d);
	if (yamldoc_is_null(root))
		goto out; /* an empty file: no groups */
	if ((rc = check_map(&l, root, "rulefmt.RuleGroups", top_keys)))
		goto out;
	groups = yamldoc_map_get(&l.d, root, "groups");
	if (yamldoc_is_null(groups))
		goto out;
	if (groups->type != YAML_SEQUENCE_NODE) {
		rc = type_err(&l, groups, "[]rulefmt.RuleGroup");
		goto out;
	}
	size_t n = (size_t)(groups->data.sequence.items.top -
			    groups->data.sequence.items.start);
	if (!n)
		goto out;
	if (!(add.groups = calloc(n, sizeof(*add.groups)))) {
		rc = nomem(&l);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *gn = node(&l, groups->data.sequence.items.start[i]);
		add.n++;
		if ((rc = load_group(&l, gn, add.groups, i, &add.groups[i])))
			goto out;
	}
	struct rule_group_def *grown =
		realloc(set->groups, (set->n + n) * sizeof(*grown));
	if (!grown) {
		rc = nomem(&l);
		goto out;
	}
	memcpy(grown + set->n, add.groups, n * sizeof(*grown));
	set->groups = grown;
	set->n += n;
	free(add.groups);
	add.groups = NULL;
	add.n = 0;
out:
	rule_set_def_free(&add);
	yamldoc_free(&l.d);
	return rc;
}
