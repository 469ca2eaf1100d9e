/* Rule definitions as loaded, before any evaluation state: what a
 * Prometheus rule file (rulefile.c, libyaml) and hostwatch.conf's
 * [record NAME] / [alert NAME] sections (config) both produce, and what the
 * rule manager (rules.c) and `hostwatch test-rules` consume.
 *
 * Every expression is parsed and type-checked at load (an instant vector or
 * scalar; for an alert, an instant vector), every template checked, so that
 * a bad rule is an error naming FILE:LINE (and the expression's column) at
 * start-up, never at evaluation. */
#ifndef HOSTWATCH_RULEDEF_H
#define HOSTWATCH_RULEDEF_H

#include <stddef.h>
#include <stdint.h>

#include "hostwatch/promql.h"

enum rule_kind {
	RULE_RECORD,
	RULE_ALERT,
};

struct rule_kv {
	char *key;
	char *value; /* alerts: a template; records: a plain value */
};

struct rule_def {
	enum rule_kind kind;
	char *name; /* record: the metric name; alert: the alertname */
	char *expr;
	struct promql_node *ast;
	char *clear; /* hysteresis (alerts; NULL: none) */
	struct promql_node *clear_ast;
	int64_t for_ms;
	int64_t keep_firing_for_ms;
	struct rule_kv *labels;
	size_t nlabels;
	struct rule_kv *annotations; /* alerts only */
	size_t nannotations;
	char *file; /* where the rule was written, for messages */
	int line;
};

struct rule_group_def {
	char *name;
	char *file;
	int64_t interval_ms; /* 0: the global evaluation interval */
	struct rule_def *rules;
	size_t n;
};

struct rule_set_def {
	struct rule_group_def *groups;
	size_t n;
};

/* Load a Prometheus rule file (groups: name, interval, rules: record |
 * alert, expr, for, keep_firing_for, labels, annotations; hostwatch's
 * extension `clear`) and append its groups to `set`. 0; -EINVAL with
 * "FILE:LINE: message" (LINE 1-based, from libyaml's marks; for an
 * expression error also "column N" of the expression) in err; -ENOENT etc.
 * when the file cannot be read. */
int rulefile_load(const char *path, struct rule_set_def *set, char *err,
		  size_t errsize);

/* Check and parse one rule filled in by a loader: kind, name, expr, clear,
 * labels/annotations templates. The same checks for both sources. */
int ruledef_check(struct rule_def *r, char *err, size_t errsize);

/* Where each part of a rule was written (0: at the rule's own line), so
 * that a loader with more precise positions (rule files: the YAML node of
 * each field) can point at the offending one. */
struct rule_def_lines {
	int expr, clear;
	const int *labels;      /* [nlabels], or NULL */
	const int *annotations; /* [nannotations], or NULL */
};

/* ruledef_check with those lines and a context for messages in place of
 * the default `alert "NAME"` / `record "NAME"` (rule files use Prometheus's
 * `group "G", rule N, "NAME"`). lines and context may be NULL. */
int ruledef_check_at(struct rule_def *r, const struct rule_def_lines *lines,
		     const char *context, char *err, size_t errsize);

void rule_def_free(struct rule_def *r);
void rule_group_def_free(struct rule_group_def *g);
void rule_set_def_free(struct rule_set_def *s);

#endif
