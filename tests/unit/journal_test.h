/* Shared by the journal's unit tests (test_journal.c: what an entry
 * says; test_journal_proto.c: how it travels): alerts to send. */
#ifndef HOSTWATCH_TEST_JOURNAL_H
#define HOSTWATCH_TEST_JOURNAL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/journal.h"
#include "testutil.h"

static inline struct rule_kv *kv(const char *key, const char *value)
{
	struct rule_kv *a = calloc(1, sizeof(*a));
	ck_assert_ptr_nonnull(a);
	a->key = strdup(key);
	a->value = strdup(value);
	return a;
}

/* An alert with labels ls (taken over), value 93.2, fired at
 * 2024-05-01T10:02:00.123Z and resolved 12m0.5s later; free it with
 * notify_alert_free. */
static inline void make_alert(struct notify_alert *a, struct hw_labels *ls,
			      const char *expr, const char *summary)
{
	memset(a, 0, sizeof(*a));
	a->labels = ls;
	if (summary) {
		a->annotations = kv("summary", summary);
		a->nannotations = 1;
	}
	a->expr = expr ? strdup(expr) : NULL;
	a->value = 93.2;
	a->starts_at = 1714557720123; /* 2024-05-01T10:02:00.123Z */
	a->ends_at = a->starts_at + 12 * 60000 + 500;
	a->fingerprint = notify_fingerprint(ls);
}

static inline struct hw_labels *cpu_labels(const char *severity)
{
	return test_labels("alertname", "HostHighCpu", "severity", severity,
			   "instance", "web1", "mode", "user", NULL);
}

#define CPU_EXPR \
	"100 * (1 - avg by (instance, mode) " \
	"(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))) > 80"

#endif
