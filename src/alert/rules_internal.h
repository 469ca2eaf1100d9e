/* The rule manager's internals, shared by rules.c (manager, groups,
 * recording rules, carry-over), rules_alert.c (the alert state machine)
 * and rules_state.c (sink output, save and restore). See
 * include/hostwatch/rules.h for the contract. */
#ifndef HOSTWATCH_RULES_INTERNAL_H
#define HOSTWATCH_RULES_INTERNAL_H

#include "hostwatch/buf.h"
#include "hostwatch/eval.h"
#include "hostwatch/rules.h"

#define RULES_ERR_MAX 512

/* One series of a rule's last output. */
struct rules_out {
	struct hw_labels *labels;
	double v;
};

struct rules_rule {
	struct rules_rule_info info; /* info.last_error points at err */
	struct rules_manager *m;
	struct rules_group *group;
	const struct rule_def *def;
	unsigned source;
	char err[RULES_ERR_MAX];
	struct rules_out *out; /* appended at the last good evaluation */
	size_t nout, capout;
	struct rules_alert **alerts; /* alerting rules */
	size_t nalerts, capalerts;
	bool carried; /* rules_carry_over: matched by a successor */
};

struct rules_group {
	const struct rule_group_def *def;
	struct rules_rule *rules;
	size_t n;
	int64_t interval_ms;
	int64_t last_eval; /* RULES_TIME_UNSET before the first */
};

struct rules_manager {
	struct rule_set_def set;
	struct rules_config cfg;
	struct rules_group *groups;
	size_t ngroups;
	unsigned *stale_sources; /* of rules gone at a reload */
	size_t nstale;
	struct hw_buf buf; /* template expansion scratch */
};

/* Evaluate one alerting rule at t: state machine, notifications, and its
 * output vector (ALERTS, ALERTS_FOR_STATE) into *out (labels are new
 * references). 0, -EINVAL (message in r->err), -ENOMEM. */
int rules_alert_eval(struct rules_rule *r, int64_t t, struct rules_out **out,
		     size_t *nout);
void rules_alert_free(struct rules_alert *a);
/* Append an instance to r's list; 0 or -ENOMEM. */
int rules_alert_add(struct rules_rule *r, struct rules_alert *a);
void rules_rule_info_update(struct rules_rule *r);
/* qsort order of struct rule_kv by key. */
int rules_kv_cmp(const void *a, const void *b);
int rules_query(struct rules_rule *r, const struct promql_node *expr, int64_t t,
		struct eval_result *res);

#endif
