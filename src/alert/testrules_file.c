/* Loading a promtool test file (cmd/promtool/unittest.go's unitTestFile,
 * read with yaml.UnmarshalStrict: unknown fields are errors) into struct
 * tr_file, with FILE:LINE for everything wrong. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testrules_internal.h"
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

/* Every key of a mapping must be one of `keys` (UnmarshalStrict). */
static int check_keys(struct ld *l, yaml_node_t *map, const char *what,
		      const char *const *keys)
{
	if (map->type != YAML_MAPPING_NODE)
		return yamldoc_errf(&l->d, map, l->err, l->errsize,
				    "%s must be a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);
		const char *ks = yamldoc_scalar(k);
		size_t i;
		for (i = 0; ks && keys[i]; i++)
			if (strcmp(keys[i], ks) == 0)
				break;
		if (!ks || !keys[i])
			return yamldoc_errf(&l->d, k, l->err, l->errsize,
					    "field %s not found in %s",
					    ks ? ks : "?", what);
	}
	return 0;
}

/* The items of a sequence (NULL and 0 for a null). */
static int seq(struct ld *l, yaml_node_t *n, const char *what,
	       yaml_node_item_t **items, size_t *count)
{
	*items = NULL;
	*count = 0;
	if (yamldoc_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "%s must be a list", what);
	*items = n->data.sequence.items.start;
	*count = (size_t)(n->data.sequence.items.top -
			  n->data.sequence.items.start);
	return 0;
}

static int str(struct ld *l, yaml_node_t *n, const char *what, char **out)
{
	*out = NULL;
	if (yamldoc_is_null(n))
		return 0;
	const char *s = yamldoc_scalar(n);
	if (!s)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "%s must be a string", what);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int dur(struct ld *l, yaml_node_t *n, const char *what, int64_t *ms)
{
	*ms = 0;
	if (yamldoc_is_null(n))
		return 0;
	const char *s = yamldoc_scalar(n);
	if (!s || yamldoc_duration(s, ms) < 0)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "%s: not a valid duration string: \"%s\"",
				    what, s ? s : "");
	return 0;
}

/* A YAML float as yaml.v2 resolves one: decimal, .inf, .nan. */
static int num(struct ld *l, yaml_node_t *n, const char *what, double *v)
{
	const char *s = yamldoc_scalar(n);
	char *end;
	*v = 0;
	if (yamldoc_is_null(n))
		return 0;
	if (s && (strcasecmp(s, ".inf") == 0 || strcasecmp(s, "+.inf") == 0)) {
		*v = INFINITY;
		return 0;
	}
	if (s && strcasecmp(s, "-.inf") == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (s && strcasecmp(s, ".nan") == 0) {
		*v = NAN;
		return 0;
	}
	if (s && *s && !strpbrk(s, "iInN")) {
		*v = strtod(s, &end);
		if (*end == '\0')
			return 0;
	}
	return yamldoc_errf(&l->d, n, l->err, l->errsize,
			    "%s: cannot unmarshal \"%s\" into a float", what,
			    s ? s : "");
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct rule_kv *)a)->key,
		      ((const struct rule_kv *)b)->key);
}

/* A string map (exp_labels, exp_annotations) as a sorted list. */
static int kvs(struct ld *l, yaml_node_t *n, const char *what,
	       struct tr_kvs *out)
{
	memset(out, 0, sizeof(*out));
	if (yamldoc_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "%s must be a mapping", what);
	size_t cnt = (size_t)(n->data.mapping.pairs.top -
			      n->data.mapping.pairs.start);
	out->kv = calloc(cnt + 1, sizeof(*out->kv));
	if (!out->kv)
		return -ENOMEM;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		struct rule_kv *kv = &out->kv[out->n];
		int rc = str(l, node(l, p->key), what, &kv->key);
		if (rc == 0 && !kv->key)
			rc = yamldoc_errf(&l->d, node(l, p->key), l->err,
					  l->errsize, "%s: empty key", what);
		if (rc == 0)
			rc = str(l, node(l, p->value), what, &kv->value);
		if (rc == 0 && !kv->value)
			kv->value = strdup("");
		out->n++;
		if (rc < 0)
			return rc;
		if (!kv->value)
			return -ENOMEM;
	}
	if (out->n > 1)
		qsort(out->kv, out->n, sizeof(*out->kv), cmp_kv);
	return 0;
}

static int load_series(struct ld *l, yaml_node_t *n, void *item)
{
	struct tr_series *s = item;
	static const char *const keys[] = {"series", "values", NULL};
	char e[512];
	int rc = check_keys(l, n, "input_series", keys);
	if (rc < 0)
		return rc;
	yaml_node_t *sn = yamldoc_map_get(&l->d, n, "series");
	yaml_node_t *vn = yamldoc_map_get(&l->d, n, "values");
	const char *ss = yamldoc_scalar(sn), *vs = yamldoc_scalar(vn);
	if (!ss || !*ss)
		return yamldoc_errf(&l->d, sn ? sn : n, l->err, l->errsize,
				    "input_series: missing series");
	if (testrules_parse_metric(ss, &s->labels, e, sizeof(e)) < 0)
		return yamldoc_errf(&l->d, sn, l->err, l->errsize,
				    "series %s: %s", ss, e);
	if (vs && testrules_parse_values(vs, &s->v, &s->n, e, sizeof(e)) < 0)
		return yamldoc_errf(&l->d, vn, l->err, l->errsize,
				    "values \"%s\": %s", vs, e);
	return 0;
}

static int load_alert(struct ld *l, yaml_node_t *n, void *item)
{
	struct tr_alert_test *a = item;
	static const char *const keys[] = {"eval_time", "alertname",
					   "exp_alerts", NULL};
	static const char *const ekeys[] = {"exp_labels", "exp_annotations",
					    NULL};
	yaml_node_item_t *it;
	int rc = check_keys(l, n, "alert_rule_test", keys);
	if (rc == 0)
		rc = dur(l, yamldoc_map_get(&l->d, n, "eval_time"), "eval_time",
			 &a->eval_time);
	if (rc == 0)
		rc = str(l, yamldoc_map_get(&l->d, n, "alertname"), "alertname",
			 &a->alertname);
	if (rc == 0 && (!a->alertname || !*a->alertname))
		rc = yamldoc_errf(&l->d, n, l->err, l->errsize,
				  "an item under alert_rule_test misses "
				  "required attribute alertname");
	if (rc == 0)
		rc = seq(l, yamldoc_map_get(&l->d, n, "exp_alerts"),
			 "exp_alerts", &it, &a->nexp);
	if (rc < 0)
		return rc;
	a->exp = calloc(a->nexp + 1, sizeof(*a->exp));
	if (!a->exp) {
		a->nexp = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->nexp; i++) {
		yaml_node_t *e = node(l, it[i]);
		if (yamldoc_is_null(e))
			continue;
		rc = check_keys(l, e, "exp_alerts", ekeys);
		if (rc == 0)
			rc = kvs(l, yamldoc_map_get(&l->d, e, "exp_labels"),
				 "exp_labels", &a->exp[i].labels);
		if (rc == 0)
			rc = kvs(l,
				 yamldoc_map_get(&l->d, e, "exp_annotations"),
				 "exp_annotations", &a->exp[i].annotations);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_expr(struct ld *l, yaml_node_t *n, void *item)
{
	struct tr_expr_test *x = item;
	static const char *const keys[] = {"expr", "eval_time", "exp_samples",
					   NULL};
	static const char *const skeys[] = {"labels", "value", NULL};
	yaml_node_item_t *it;
	int rc = check_keys(l, n, "promql_expr_test", keys);
	if (rc == 0)
		rc = str(l, yamldoc_map_get(&l->d, n, "expr"), "expr",
			 &x->expr);
	if (rc == 0 && !x->expr && !(x->expr = strdup("")))
		rc = -ENOMEM;
	if (rc == 0)
		rc = dur(l, yamldoc_map_get(&l->d, n, "eval_time"), "eval_time",
			 &x->eval_time);
	if (rc == 0)
		rc = seq(l, yamldoc_map_get(&l->d, n, "exp_samples"),
			 "exp_samples", &it, &x->nexp);
	if (rc < 0)
		return rc;
	x->exp = calloc(x->nexp + 1, sizeof(*x->exp));
	if (!x->exp) {
		x->nexp = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < x->nexp; i++) {
		yaml_node_t *e = node(l, it[i]);
		if (yamldoc_is_null(e))
			continue;
		rc = check_keys(l, e, "exp_samples", skeys);
		if (rc == 0)
			rc = str(l, yamldoc_map_get(&l->d, e, "labels"),
				 "labels", &x->exp[i].labels);
		if (rc == 0)
			rc = num(l, yamldoc_map_get(&l->d, e, "value"), "value",
				 &x->exp[i].v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

typedef int (*item_fn)(struct ld *l, yaml_node_t *n, void *item);

/* Load a list of items of `size` bytes each with fn into a new array. */
static int load_list(struct ld *l, yaml_node_t *n, const char *what, void **arr,
		     size_t *cnt, size_t size, item_fn fn)
{
	yaml_node_item_t *it;
	int rc = seq(l, n, what, &it, cnt);
	if (rc < 0)
		return rc;
	char *a = calloc(*cnt + 1, size);
	*arr = a;
	if (!a) {
		*cnt = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < *cnt; i++)
		rc = fn(l, node(l, it[i]), a + i * size);
	return rc;
}

#define LOAD_LIST(l, n, what, arr, cnt, fn)                                    \
	load_list(l, n, what, (void **)&(arr), &(cnt), sizeof(*(arr)), fn)

static int load_group(struct ld *l, yaml_node_t *n, void *item)
{
	struct tr_group *g = item;
	static const char *const keys[] = {"interval",
					   "input_series",
					   "alert_rule_test",
					   "promql_expr_test",
					   "external_labels",
					   "external_url",
					   "name",
					   NULL};
	struct tr_kvs ext;
	int rc = check_keys(l, n, "tests", keys);
	if (rc == 0)
		rc = dur(l, yamldoc_map_get(&l->d, n, "interval"), "interval",
			 &g->interval_ms);
	if (rc == 0)
		rc = str(l, yamldoc_map_get(&l->d, n, "name"), "name",
			 &g->name);
	/* Checked, then unused: templates print $externalLabels empty. */
	if (rc == 0) {
		rc = kvs(l, yamldoc_map_get(&l->d, n, "external_labels"),
			 "external_labels", &ext);
		tr_kvs_free(&ext);
	}
	if (rc == 0)
		rc = LOAD_LIST(l, yamldoc_map_get(&l->d, n, "input_series"),
			       "input_series", g->series, g->nseries,
			       load_series);
	if (rc == 0)
		rc = LOAD_LIST(l, yamldoc_map_get(&l->d, n, "alert_rule_test"),
			       "alert_rule_test", g->alerts, g->nalerts,
			       load_alert);
	if (rc == 0)
		rc = LOAD_LIST(l, yamldoc_map_get(&l->d, n, "promql_expr_test"),
			       "promql_expr_test", g->exprs, g->nexprs,
			       load_expr);
	return rc;
}

/* unittest.go resolveAndGlobFilepaths: relative to the test file's
 * directory, then globbed (a pattern matching nothing only warns). */
static int add_rule_files(struct ld *l, struct tr_file *f, yaml_node_t *n,
			  const char *dir)
{
	const char *pat = yamldoc_scalar(n);
	char *full = NULL;
	glob_t gl;
	int rc = 0;
	if (!pat)
		return yamldoc_errf(&l->d, n, l->err, l->errsize,
				    "rule_files: not a string");
	if (!*pat)
		return 0;
	if (pat[0] == '/')
		full = strdup(pat);
	else if (asprintf(&full, "%s/%s", dir, pat) < 0)
		full = NULL;
	if (!full)
		return -ENOMEM;
	int g = glob(full, 0, NULL, &gl);
	if (g == GLOB_NOMATCH) {
		fprintf(stderr, "  WARNING: no file match pattern %s\n", full);
		free(full);
		return 0;
	}
	free(full);
	if (g != 0)
		return g == GLOB_NOSPACE ? -ENOMEM : -EIO;
	char **nf = realloc(f->rule_files,
			    (f->nrule_files + gl.gl_pathc) * sizeof(*nf));
	if (!nf) {
		rc = -ENOMEM;
		goto out;
	}
	f->rule_files = nf;
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		nf[f->nrule_files] = strdup(gl.gl_pathv[i]);
		if (!nf[f->nrule_files]) {
			rc = -ENOMEM;
			goto out;
		}
		f->nrule_files++;
	}
out:
	globfree(&gl);
	return rc;
}

static int load_strings(struct ld *l, yaml_node_t *n, void *item)
{
	char **s = item;
	return str(l, n, "group_eval_order", s);
}

int tr_file_load(const char *path, struct tr_file *f, char *err, size_t errsize)
{
	static const char *const keys[] = {"rule_files", "evaluation_interval",
					   "group_eval_order", "tests", NULL};
	struct ld l = {.err = err, .errsize = errsize};
	yaml_node_item_t *it;
	size_t n;
	char *pcopy = NULL;
	int rc;

	memset(f, 0, sizeof(*f));
	rc = yamldoc_load(&l.d, path, err, errsize);
	if (rc < 0)
		return rc;
	yaml_node_t *root = yamldoc_root(&l.d);
	if (!root)
		goto out; /* empty file: nothing to test */
	rc = check_keys(&l, root, "the test file", keys);
	if (rc == 0)
		rc = dur(&l, yamldoc_map_get(&l.d, root, "evaluation_interval"),
			 "evaluation_interval", &f->eval_interval_ms);
	if (rc == 0)
		rc = seq(&l, yamldoc_map_get(&l.d, root, "rule_files"),
			 "rule_files", &it, &n);
	if (rc == 0 && !(pcopy = strdup(path)))
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add_rule_files(&l, f, node(&l, it[i]), dirname(pcopy));
	if (rc == 0)
		rc = LOAD_LIST(
			&l, yamldoc_map_get(&l.d, root, "group_eval_order"),
			"group_eval_order", f->order, f->norder, load_strings);
	for (size_t i = 0; rc == 0 && i < f->norder; i++)
		for (size_t j = 0; j < i; j++)
			if (f->order[i] && f->order[j] &&
			    strcmp(f->order[i], f->order[j]) == 0) {
				rc = yamldoc_errf(&l.d, root, err, errsize,
						  "group name repeated in "
						  "evaluation order: %s",
						  f->order[i]);
				break;
			}
	if (rc == 0)
		rc = LOAD_LIST(&l, yamldoc_map_get(&l.d, root, "tests"),
			       "tests", f->groups, f->ngroups, load_group);
out:
	if (rc == -ENOMEM)
		snprintf(err, errsize, "%s: out of memory", path);
	free(pcopy);
	yamldoc_free(&l.d);
	if (rc < 0)
		tr_file_free(f);
	return rc;
}

void tr_kvs_free(struct tr_kvs *k)
{
	for (size_t i = 0; k->kv && i < k->n; i++) {
		free(k->kv[i].key);
		free(k->kv[i].value);
	}
	free(k->kv);
	k->kv = NULL;
	k->n = 0;
}

int tr_kvs_cmp(const struct tr_kvs *a, const struct tr_kvs *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	for (size_t i = 0; i < n; i++) {
		int c = strcmp(a->kv[i].key, b->kv[i].key);
		if (c)
			return c;
		c = strcmp(a->kv[i].value, b->kv[i].value);
		if (c)
			return c;
	}
	return a->n < b->n ? -1 : a->n > b->n;
}

static void group_free(struct tr_group *g)
{
	free(g->name);
	for (size_t i = 0; g->series && i < g->nseries; i++) {
		labels_unref(g->series[i].labels);
		free(g->series[i].v);
	}
	free(g->series);
	for (size_t i = 0; g->alerts && i < g->nalerts; i++) {
		struct tr_alert_test *a = &g->alerts[i];
		free(a->alertname);
		for (size_t j = 0; a->exp && j < a->nexp; j++) {
			tr_kvs_free(&a->exp[j].labels);
			tr_kvs_free(&a->exp[j].annotations);
		}
		free(a->exp);
	}
	free(g->alerts);
	for (size_t i = 0; g->exprs && i < g->nexprs; i++) {
		struct tr_expr_test *x = &g->exprs[i];
		free(x->expr);
		for (size_t j = 0; x->exp && j < x->nexp; j++)
			free(x->exp[j].labels);
		free(x->exp);
	}
	free(g->exprs);
}

void tr_file_free(struct tr_file *f)
{
	for (size_t i = 0; i < f->nrule_files; i++)
		free(f->rule_files[i]);
	free(f->rule_files);
	for (size_t i = 0; f->order && i < f->norder; i++)
		free(f->order[i]);
	free(f->order);
	for (size_t i = 0; f->groups && i < f->ngroups; i++)
		group_free(&f->groups[i]);
	free(f->groups);
	memset(f, 0, sizeof(*f));
}
