/* `hostwatch test-rules`: runs promtool rule unit tests (cmd/promtool/
 * unittest.go of Prometheus 2.42) on the rule manager. Per test group: a
 * fresh store and manager; a simulated clock from 0 to the largest
 * eval_time in steps of evaluation_interval; at each step the input
 * samples up to it are appended (promql.LazyLoader.WithSamplesTill), every
 * group is evaluated (group_eval_order first), and the alert tests whose
 * eval_time falls in [step, step + interval) are checked against that
 * evaluation; the PromQL tests are queried at the end, at their eval_time.
 * The checks are in testrules_check.c, the file loading in
 * testrules_file.c. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testrules_internal.h"

#define TR_SOURCE_RULES 1 /* the rules' store sources start here */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct gorder {
	size_t i;
	size_t key;
};

static int cmp_gorder(const void *a, const void *b)
{
	const struct gorder *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* orderedGroups: groups named in group_eval_order by their place there,
 * unnamed ones as if first (Go's map lookup gives 0); file order breaks
 * ties. */
static struct gorder *group_order(const struct tr_file *f,
				  const struct rules_manager *m)
{
	size_t n = rules_group_count(m);
	struct gorder *o = calloc(n + 1, sizeof(*o));
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = rules_group(m, i)->name;
		o[i].i = i;
		for (size_t k = 0; name && k < f->norder; k++)
			if (f->order[k] && strcmp(f->order[k], name) == 0)
				o[i].key = k;
	}
	if (n > 1)
		qsort(o, n, sizeof(*o), cmp_gorder);
	return o;
}

struct rerr {
	struct tr_run *r;
	int64_t ts;
	const struct rule_group_def *group;
};

static int rule_error(const struct rules_rule_info *rule, void *ctx)
{
	struct rerr *e = ctx;
	if (rule->group != e->group || rule->health != RULES_HEALTH_BAD ||
	    rule->last_eval != e->ts)
		return 0;
	tr_fail_begin(e->r);
	buf_printf(e->r->rep, "    rule: %s, time: ", rule->def->name);
	tr_go_duration(e->ts, e->r->rep);
	buf_printf(e->r->rep, ", err: %s", rule->last_error);
	tr_fail_end(e->r);
	return 0;
}

/* The simulated clock; 0, or -ENOMEM. Stops at the first step whose
 * evaluation failed, as promtool does. */
static int run_clock(struct tr_run *r)
{
	size_t nt = 0, curr = 0, ng = rules_group_count(r->m);
	int64_t maxt = 0;
	int64_t *times = calloc(r->g->nalerts + 1, sizeof(*times));
	struct gorder *order = group_order(r->f, r->m);
	int rc = -ENOMEM;
	if (!times || !order)
		goto out;
	for (size_t i = 0; i < r->g->nalerts; i++) {
		times[nt++] = r->g->alerts[i].eval_time;
		if (r->g->alerts[i].eval_time > maxt)
			maxt = r->g->alerts[i].eval_time;
	}
	for (size_t i = 0; i < r->g->nexprs; i++)
		if (r->g->exprs[i].eval_time > maxt)
			maxt = r->g->exprs[i].eval_time;
	if (nt > 1)
		qsort(times, nt, sizeof(*times), cmp_i64);
	for (int64_t ts = 0; ts <= maxt; ts += r->ei) {
		int errs = 0;
		tr_append_till(r, ts);
		for (size_t k = 0; k < ng; k++) {
			size_t gi = order[k].i;
			int e = rules_eval_group(r->m, gi, ts);
			if (e == 0)
				continue;
			struct rerr re = {r, ts, rules_group(r->m, gi)};
			rules_foreach_rule(r->m, rule_error, &re);
			errs++;
		}
		if (errs) {
			rc = 0;
			goto out;
		}
		/* Alert tests with ts <= eval_time < ts + interval. */
		while (curr < nt && times[curr] >= ts &&
		       times[curr] < ts + r->ei) {
			for (size_t i = 0; i < r->g->nalerts; i++)
				if (r->g->alerts[i].eval_time == times[curr] &&
				    (rc = tr_check_alert(r, &r->g->alerts[i])) <
					    0)
					goto out;
			int64_t t = times[curr];
			while (curr < nt && times[curr] == t)
				curr++;
		}
	}
	for (size_t i = 0; i < r->g->nexprs; i++)
		if ((rc = tr_check_expr(r, &r->g->exprs[i])) < 0)
			goto out;
	rc = 0;
out:
	free(times);
	free(order);
	return rc;
}

static int run_group(const struct tr_file *f, struct tr_group *g,
		     struct hw_buf *rep)
{
	struct tr_run r = {.f = f, .g = g, .rep = rep};
	struct rule_set_def set = {0};
	struct store_config sc = {0};
	char err[TR_ERR_MAX];
	int rc;

	r.ei = f->eval_interval_ms > 0 ? f->eval_interval_ms : 60 * 1000;
	for (size_t i = 0; i < g->nseries; i++)
		g->series[i].next = 0;
	for (size_t i = 0; i < f->nrule_files; i++) {
		rc = rulefile_load(f->rule_files[i], &set, err, sizeof(err));
		if (rc < 0) {
			buf_printf(rep, "%s\n\n", err);
			rule_set_def_free(&set);
			return 2;
		}
	}
	r.st = store_new(&sc);
	if (!r.st) {
		rule_set_def_free(&set);
		return -ENOMEM;
	}
	store_watch_all(r.st);
	struct rules_config rc_cfg = {
		.store = r.st,
		.source_base = TR_SOURCE_RULES,
	};
	rc = rules_new(&r.m, &set, &rc_cfg);
	if (rc < 0) {
		rule_set_def_free(&set);
		store_free(r.st);
		return rc;
	}
	rc = run_clock(&r);
	rules_free(r.m);
	store_free(r.st);
	return rc < 0 ? rc : r.result;
}

int testrules_run_file(const char *path, FILE *out, FILE *errf)
{
	struct tr_file f;
	struct hw_buf rep = HW_BUF_INIT;
	char err[TR_ERR_MAX];
	int result = 0;

	fprintf(out, "Unit Testing:  %s\n", path);
	int rc = tr_file_load(path, &f, err, sizeof(err));
	if (rc < 0) {
		fprintf(errf, "  FAILED:\n%s\n\n", err);
		return 2;
	}
	for (size_t i = 0; i < f.ngroups; i++) {
		rc = run_group(&f, &f.groups[i], &rep);
		if (rc < 0) {
			buf_printf(&rep, "%s\n\n", strerror(-rc));
			rc = 2;
		}
		if (rc > result)
			result = rc;
		if (rc == 2)
			break;
	}
	if (rep.failed)
		result = 2;
	if (result) {
		fflush(out);
		fprintf(errf, "  FAILED:\n%s", rep.len ? buf_cstr(&rep) : "\n");
		fflush(errf);
	} else {
		fprintf(out, "  SUCCESS\n\n");
	}
	buf_free(&rep);
	tr_file_free(&f);
	return result;
}

static void usage(FILE *f)
{
	fputs("usage: hostwatch test-rules [--help] FILE...\n"
	      "\n"
	      "Run rule unit tests written for `promtool test rules`\n"
	      "(Prometheus 2.42's format) on hostwatch's rule engine.\n"
	      "Exit status: 0 all tests passed, 1 a test failed, 2 a file\n"
	      "could not be used.\n",
	      f);
}

int testrules_main(int argc, char **argv)
{
	int result = 0, nfiles = 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			continue;
		nfiles++;
		int rc = testrules_run_file(argv[i], stdout, stderr);
		if (rc > result)
			result = rc;
	}
	if (!nfiles) {
		usage(stderr);
		return 2;
	}
	return result;
}
