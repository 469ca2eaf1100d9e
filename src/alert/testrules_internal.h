/* test-rules internals: the loaded test file (testrules_file.c) that the
 * runner (testrules.c) executes. Mirrors unittest.go's unitTestFile. */
#ifndef HOSTWATCH_TESTRULES_INTERNAL_H
#define HOSTWATCH_TESTRULES_INTERNAL_H

#include <stdint.h>

#include "hostwatch/labels.h"
#include "hostwatch/rules.h"
#include "hostwatch/store.h"
#include "hostwatch/ruledef.h"
#include "hostwatch/testrules.h"

#define TR_ERR_MAX 1024

struct tr_kvs {
	struct rule_kv *kv; /* sorted by key; empty values kept */
	size_t n;
};

struct tr_series {
	struct hw_labels *labels;
	struct testrules_value *v;
	size_t n;
	size_t next; /* the first value not yet appended */
};

struct tr_alert_exp {
	struct tr_kvs labels, annotations;
};

struct tr_alert_test {
	int64_t eval_time;
	char *alertname;
	struct tr_alert_exp *exp;
	size_t nexp;
};

struct tr_sample_exp {
	char *labels; /* parsed when the test runs, as promtool does */
	double v;
};

struct tr_expr_test {
	char *expr;
	int64_t eval_time;
	struct tr_sample_exp *exp;
	size_t nexp;
};

struct tr_group {
	char *name;
	int64_t interval_ms;
	struct tr_series *series;
	size_t nseries;
	struct tr_alert_test *alerts;
	size_t nalerts;
	struct tr_expr_test *exprs;
	size_t nexprs;
};

struct tr_file {
	char **rule_files; /* resolved against the test's directory */
	size_t nrule_files;
	int64_t eval_interval_ms;
	char **order; /* group_eval_order */
	size_t norder;
	struct tr_group *groups;
	size_t ngroups;
};

/* One test group being run (testrules.c), as the checks see it. */
struct tr_run {
	const struct tr_file *f;
	struct tr_group *g;
	int64_t ei; /* evaluation interval */
	struct hw_store *st;
	struct rules_manager *m;
	struct hw_buf *rep; /* failures, each followed by a blank line */
	int result;	    /* 0 pass, 1 failed, 2 bad file */
};

/* Start and end one failure report in r->rep (and set r->result). */
void tr_fail_begin(struct tr_run *r);
void tr_fail_end(struct tr_run *r);
/* Append every input sample at or before ts (LazyLoader.WithSamplesTill). */
void tr_append_till(struct tr_run *r, int64_t ts);
/* Check one test against the current state; 0 (failures reported in
 * r->rep) or -ENOMEM. */
int tr_check_alert(struct tr_run *r, const struct tr_alert_test *t);
int tr_check_expr(struct tr_run *r, const struct tr_expr_test *x);
/* Go's time.Duration String() of whole milliseconds ("1m0s"). */
void tr_go_duration(int64_t ms, struct hw_buf *b);

/* Load a test file. 0; -EINVAL with "FILE:LINE: message" in err. */
int tr_file_load(const char *path, struct tr_file *f, char *err,
		 size_t errsize);
void tr_file_free(struct tr_file *f);

/* Prometheus's labels.Compare on sorted key/value lists. */
int tr_kvs_cmp(const struct tr_kvs *a, const struct tr_kvs *b);
void tr_kvs_free(struct tr_kvs *k);

#endif
