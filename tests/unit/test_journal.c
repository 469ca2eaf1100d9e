/* Unit tests for what a journal entry says (journal.h): label names as
 * journal field names (systemd's journal_field_valid() rules), the
 * MESSAGE sentence for firing, repeat and resolved alerts, with and
 * without a threshold, capped, and PRIORITY. How entries travel:
 * test_journal_proto.c. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/journal.h"
#include "journal_test.h"
#include "testutil.h"

/* MESSAGE for a, in a static buffer. */
static const char *message(const struct notify_alert *a, enum journal_kind k)
{
	static char out[2048];
	struct hw_buf b = HW_BUF_INIT;
	journal_format_message(a, k, &b);
	ck_assert(!b.failed);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* ---- field names --------------------------------------------------------- */

static const char *field(const char *label)
{
	static char buf[128];
	if (!journal_field_name(label, buf, sizeof(buf)))
		return NULL;
	return buf;
}

START_TEST(test_field_name)
{
	ck_assert_str_eq(field("INSTANCE"), "ALERT_LABEL_INSTANCE");
	ck_assert_str_eq(field("instance"), "ALERT_LABEL_INSTANCE");
	ck_assert_str_eq(field("mount_point2"), "ALERT_LABEL_MOUNT_POINT2");
	ck_assert_str_eq(field("kube-pod.name"), "ALERT_LABEL_KUBE_POD_NAME");
	/* journald drops names with a leading digit or '_' */
	ck_assert_str_eq(field("__meta_x"), "ALERT_LABEL_META_X");
	ck_assert_str_eq(field("9lives"), "ALERT_LABEL_LIVES");
	ck_assert_str_eq(field("_1_a"), "ALERT_LABEL_A");
	/* one '_' per UTF-8 character */
	ck_assert_str_eq(field("caf\xc3\xa9_x"), "ALERT_LABEL_CAF__X");
	ck_assert_str_eq(field("\xc3\xa9t\xc3\xa9"), "ALERT_LABEL_T_");
	/* nothing left */
	ck_assert_ptr_null(field(""));
	ck_assert_ptr_null(field("___"));
	ck_assert_ptr_null(field("42"));
	ck_assert_ptr_null(field("\xc3\xa9"));
	ck_assert_ptr_null(field(NULL));
	/* at most 64 bytes with the prefix */
	char long_name[200];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	const char *f = field(long_name);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(strlen(f), 64);
	ck_assert(strncmp(f, "ALERT_LABEL_AAAA", 16) == 0);
	/* a buffer too small for the prefix */
	char tiny[8];
	ck_assert(!journal_field_name("x", tiny, sizeof(tiny)));
	/* a small buffer truncates */
	char small[16];
	ck_assert(journal_field_name("instance", small, sizeof(small)));
	ck_assert_str_eq(small, "ALERT_LABEL_INS");
}
END_TEST

/* ---- MESSAGE ------------------------------------------------------------- */

START_TEST(test_message_firing)
{
	struct notify_alert a;
	make_alert(&a, cpu_labels("warning"), CPU_EXPR,
		   "CPU above 80% for 5 minutes");
	ck_assert_str_eq(message(&a, JOURNAL_FIRING),
			 "HostHighCpu firing (warning): value 93.2 > threshold "
			 "80 for instance=\"web1\", mode=\"user\" \xe2\x80\x94 "
			 "CPU above 80% for 5 minutes");
	/* the threshold on the left, written from the value's side */
	free(a.expr);
	a.expr = strdup("80 <= node_load1");
	ck_assert_str_eq(message(&a, JOURNAL_FIRING),
			 "HostHighCpu firing (warning): value 93.2 >= threshold "
			 "80 for instance=\"web1\", mode=\"user\" \xe2\x80\x94 "
			 "CPU above 80% for 5 minutes");
	/* no threshold */
	free(a.expr);
	a.expr = strdup("absent(up{job=\"node\"})");
	ck_assert_str_eq(message(&a, JOURNAL_FIRING),
			 "HostHighCpu firing (warning): value 93.2 for "
			 "instance=\"web1\", mode=\"user\" \xe2\x80\x94 "
			 "CPU above 80% for 5 minutes");
	notify_alert_free(&a);

	/* no severity, no other labels, no summary; Go's %g for the value */
	make_alert(&a, test_labels("alertname", "Up", NULL), "up == 0", NULL);
	a.value = 1e-7;
	ck_assert_str_eq(message(&a, JOURNAL_FIRING),
			 "Up firing: value 1e-07 == threshold 0");
	notify_alert_free(&a);

	/* the description when there is no summary, on one line; Go
	 * quoting of label values; the severity lower-cased */
	make_alert(&a,
		   test_labels("alertname", "DiskFull", "severity", "CRITICAL",
			       "device", "/dev/\"sda\"", NULL),
		   "node_filesystem_avail_bytes < 1e9", NULL);
	a.annotations = kv("description", "  Disk\nalmost\n\n full ");
	a.nannotations = 1;
	a.value = 12345678;
	ck_assert_str_eq(message(&a, JOURNAL_FIRING),
			 "DiskFull firing (critical): value 1.2345678e+07 < "
			 "threshold 1e+09 for device=\"/dev/\\\"sda\\\"\" "
			 "\xe2\x80\x94 Disk almost full");
	notify_alert_free(&a);
}
END_TEST

START_TEST(test_message_resolved)
{
	struct notify_alert a;
	make_alert(&a, cpu_labels("warning"), CPU_EXPR, "CPU high");
	a.resolved = true;
	ck_assert_str_eq(message(&a, JOURNAL_RESOLVED),
			 "HostHighCpu resolved after 12m (warning): last value "
			 "93.2 (alerting when > 80) for instance=\"web1\", "
			 "mode=\"user\" \xe2\x80\x94 CPU high");
	a.ends_at = a.starts_at + 3600000 + 5 * 60000 + 3999;
	free(a.expr);
	a.expr = NULL;
	ck_assert_str_eq(message(&a, JOURNAL_RESOLVED),
			 "HostHighCpu resolved after 1h5m3s (warning): last "
			 "value 93.2 for instance=\"web1\", mode=\"user\" "
			 "\xe2\x80\x94 CPU high");
	notify_alert_free(&a);
}
END_TEST

START_TEST(test_message_repeat)
{
	struct notify_alert a;
	make_alert(&a, cpu_labels("warning"), CPU_EXPR, "CPU high");
	/* long ago: the date as well */
	ck_assert_str_eq(message(&a, JOURNAL_REPEAT),
			 "HostHighCpu still firing since 2024-05-01T10:02:00Z "
			 "(warning): value 93.2 > threshold 80 for "
			 "instance=\"web1\", mode=\"user\" \xe2\x80\x94 CPU high");
	/* within the last day: the time of day */
	time_t t = time(NULL) - 600;
	struct tm tm;
	char hms[32], want[256];
	gmtime_r(&t, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%SZ", &tm);
	a.starts_at = (int64_t)t * 1000 + 250;
	free(a.expr);
	a.expr = strdup("absent(up)");
	snprintf(want, sizeof(want),
		 "HostHighCpu still firing since %s (warning): value 93.2 "
		 "for instance=\"web1\", mode=\"user\" \xe2\x80\x94 CPU high",
		 hms);
	ck_assert_str_eq(message(&a, JOURNAL_REPEAT), want);
	notify_alert_free(&a);
}
END_TEST

/* Whether s is well-formed UTF-8 (no sequence cut in two). */
static bool utf8_valid(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3
			: (*p >> 3) == 30 ? 4 : 0;
		if (!n)
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

START_TEST(test_message_capped)
{
	/* A label value and a summary of kilobytes of 'é': the sentence
	 * keeps its head, is cut at a character boundary and stays under
	 * JOURNAL_MESSAGE_MAX. */
	char big[6001];
	for (size_t i = 0; i < 6000; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[6000] = '\0';
	struct notify_alert a;
	make_alert(&a, test_labels("alertname", "Big", "path", big, "zone",
				   big, NULL),
		   "x > 1", big);
	const char *m = message(&a, JOURNAL_FIRING);
	ck_assert_uint_le(strlen(m), JOURNAL_MESSAGE_MAX);
	static const char head[] = "Big firing: value 93.2 > threshold 1 for "
				   "path=\"\xc3\xa9";
	ck_assert(strncmp(m, head, sizeof(head) - 1) == 0);
	ck_assert(utf8_valid(m));
	ck_assert_ptr_nonnull(strstr(m, "\xe2\x80\xa6")); /* … */
	/* the summary still gets its share */
	ck_assert_ptr_nonnull(strstr(m, "\xe2\x80\x94 \xc3\xa9"));
	notify_alert_free(&a);
}
END_TEST

START_TEST(test_priority)
{
	static const struct {
		const char *severity;
		int firing, resolved;
	} cases[] = {
		{"critical", 2, 5}, {"Critical", 2, 5}, {"warning", 4, 5},
		{"info", 6, 5},	    {"page", 5, 5},	{"", 5, 5},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notify_alert a;
		make_alert(&a,
			   test_labels("alertname", "X", "severity",
				       cases[i].severity, NULL),
			   NULL, NULL);
		ck_assert_int_eq(journal_priority(&a, JOURNAL_FIRING),
				 cases[i].firing);
		ck_assert_int_eq(journal_priority(&a, JOURNAL_REPEAT),
				 cases[i].firing);
		ck_assert_int_eq(journal_priority(&a, JOURNAL_RESOLVED),
				 cases[i].resolved);
		notify_alert_free(&a);
	}
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_field_name);
	tcase_add_test(tc, test_message_firing);
	tcase_add_test(tc, test_message_resolved);
	tcase_add_test(tc, test_message_repeat);
	tcase_add_test(tc, test_message_capped);
	tcase_add_test(tc, test_priority);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
