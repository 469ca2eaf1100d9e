/* For tests/integration/journal.sh: send a fixed set of entries for an
 * alert named argv[1] to the journal (or to the socket argv[2]), as the
 * notifier would, and exit 0 only when journald took every one.
 *
 *   firing    severity=warning instance=web1 (plus labels to sanitise)
 *   repeat    the same alert, still firing
 *   resolved  the same alert
 *   firing    severity=critical instance=db1
 *   firing    severity=info instance=cache1
 *   firing    no severity, instance=misc1
 *   event     priority 3, "<name> test event"
 *
 * With --big, one firing alert of 300 KB instead (the memfd path).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/journal.h"

static struct hw_labels *labels(const char *name, const char *severity,
				const char *instance, bool extra)
{
	struct hw_label p[] = {
		{"alertname", name},
		{"severity", severity},
		{"instance", instance},
		{"mode", "user"},
		/* sanitised: kept as ALERT_LABEL_KUBE_POD_NAME, _META_ZONE,
		 * _CAF__X; dropped: nothing valid is left */
		{"kube_pod.name", "pod-7"},
		{"__meta_zone", "eu-1"},
		{"caf\xc3\xa9-x", "latte"},
		{"___", "dropped"},
		{"\xc3\xa9", "dropped"},
	};
	return labels_new(p, extra ? sizeof(p) / sizeof(p[0]) : 4);
}

static int send_alert(const char *name, const char *severity, const char *instance,
		bool extra, enum journal_kind kind, double value)
{
	struct rule_kv ann[] = {
		{"description", "Multi-line\ndescription"},
		{"summary", "CPU above 80% for 5 minutes\nsee the runbook"},
	};
	/* fired 12 minutes ago (at .123), resolved now: "after 11m59s" */
	int64_t now = (int64_t)time(NULL);
	struct notify_alert a = {
		.labels = labels(name, severity, instance, extra),
		.annotations = ann,
		.nannotations = 2,
		.starts_at = (now - 720) * 1000 + 123,
		.ends_at = now * 1000,
		.resolved = kind == JOURNAL_RESOLVED,
		.value = value,
		.expr = "100 * (1 - avg by (instance, mode) "
			"(rate(node_cpu_seconds_total{mode=\"idle\"}[1m]))) > 80",
	};
	if (!a.labels)
		return -1;
	a.fingerprint = notify_fingerprint(a.labels);
	int rc = journal_alert(&a, kind);
	labels_unref(a.labels);
	return rc;
}

/* One firing alert whose summary (300 KB, lines of 100 bytes) is too
 * large for a datagram: it goes to journald as a sealed memfd. */
static int send_big(const char *name)
{
	size_t big = 300 * 1024;
	char *summary = malloc(big + 1);
	if (!summary)
		return -1;
	for (size_t i = 0; i < big; i++)
		summary[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
	summary[big] = '\0';
	struct rule_kv ann[] = {{"summary", summary}};
	struct hw_label p[] = {{"alertname", name}, {"severity", "warning"}};
	struct notify_alert a = {
		.labels = labels_new(p, 2),
		.annotations = ann,
		.nannotations = 1,
		.starts_at = (int64_t)time(NULL) * 1000,
		.value = 1,
		.expr = "vector(1) > 0",
	};
	int rc = -1;
	if (a.labels) {
		a.fingerprint = notify_fingerprint(a.labels);
		rc = journal_alert(&a, JOURNAL_FIRING);
	}
	labels_unref(a.labels);
	free(summary);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: journal_send ALERTNAME [SOCKET]\n"
				"       journal_send --big ALERTNAME\n");
		return 2;
	}
	if (strcmp(argv[1], "--big") == 0 && argc == 3) {
		int rc = send_big(argv[2]);
		journal_close();
		return rc ? 1 : 0;
	}
	const char *n = argv[1];
	if (argc > 2)
		journal_set_socket(argv[2]);
	int bad = 0;
	bad += send_alert(n, "warning", "web1", true, JOURNAL_FIRING, 93.2) != 0;
	bad += send_alert(n, "warning", "web1", true, JOURNAL_REPEAT, 95) != 0;
	bad += send_alert(n, "warning", "web1", true, JOURNAL_RESOLVED, 95) != 0;
	bad += send_alert(n, "Critical", "db1", false, JOURNAL_FIRING, 99.5) != 0;
	bad += send_alert(n, "info", "cache1", false, JOURNAL_FIRING, 81) != 0;
	bad += send_alert(n, "", "misc1", false, JOURNAL_FIRING, 1e6) != 0;
	char msg[256];
	snprintf(msg, sizeof(msg), "%s test event", n);
	bad += journal_event(3, msg) != 0;
	journal_close();
	return bad ? 1 : 0;
}
