/* Unit tests for label sets (labels.h): construction (order, empty values,
 * repeated names), Prometheus's Compare order, the Metric.String() and
 * Labels.String() forms with Go's strconv.Quote quoting, the builder, the
 * subset hashes, and reference counting (valgrind: no leak). */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/labels.h"
#include "testutil.h"

#define NPAIRS(a) (sizeof(a) / sizeof(a[0]))

#define mk test_labels

/* labels_format's text, in a static buffer freed at the next call. */
static const char *fmt(const struct hw_labels *ls, bool braces)
{
	struct hw_buf b = HW_BUF_INIT;
	static char out[512];
	if (braces)
		labels_format_braces(ls, &b);
	else
		labels_format(ls, &b);
	ck_assert(!b.failed);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

START_TEST(test_new_sorted)
{
	struct hw_labels *ls = mk("job", "node", "__name__", "up", "a", "1",
				  "Z", "z", "empty", "", NULL);
	ck_assert_uint_eq(ls->n, 4);
	ck_assert_str_eq(ls->l[0].name, "Z");
	ck_assert_str_eq(ls->l[1].name, "__name__");
	ck_assert_str_eq(ls->l[2].name, "a");
	ck_assert_str_eq(ls->l[3].name, "job");
	ck_assert_str_eq(labels_get(ls, "job"), "node");
	ck_assert_str_eq(labels_get(ls, "__name__"), "up");
	ck_assert_ptr_null(labels_get(ls, "empty"));
	ck_assert_ptr_null(labels_get(ls, "zz"));
	ck_assert_ptr_null(labels_get(ls, ""));
	labels_unref(ls);

	/* the last of a repeated name wins, even when it is empty */
	ls = mk("a", "1", "b", "x", "a", "2", "b", "", NULL);
	ck_assert_uint_eq(ls->n, 1);
	ck_assert_str_eq(labels_get(ls, "a"), "2");
	labels_unref(ls);

	ls = labels_new(NULL, 0);
	ck_assert_ptr_nonnull(ls);
	ck_assert_uint_eq(ls->n, 0);
	ck_assert_str_eq(fmt(ls, false), "{}");
	ck_assert_str_eq(fmt(ls, true), "{}");
	labels_unref(ls);
	labels_unref(NULL);

	/* more pairs than the stack array */
	struct hw_label p[100];
	char names[100][16];
	for (int i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "l%03d", 99 - i);
		p[i].name = names[i];
		p[i].value = "v";
	}
	ls = labels_new(p, 100);
	ck_assert_uint_eq(ls->n, 100);
	for (int i = 1; i < 100; i++)
		ck_assert_int_lt(strcmp(ls->l[i - 1].name, ls->l[i].name), 0);
	labels_unref(ls);
}
END_TEST

START_TEST(test_equal_hash_ref)
{
	struct hw_labels *a = mk("b", "2", "a", "1", NULL);
	struct hw_labels *b = mk("a", "1", "b", "2", NULL);
	struct hw_labels *c = mk("a", "1", "b", "3", NULL);
	ck_assert(labels_equal(a, b));
	ck_assert_uint_eq(a->hash, b->hash);
	ck_assert(!labels_equal(a, c));
	ck_assert_uint_ne(a->hash, c->hash);
	/* the separators keep "ab"+"c" apart from "a"+"bc" */
	struct hw_labels *d = mk("ab", "c", NULL), *e = mk("a", "bc", NULL);
	ck_assert_uint_ne(d->hash, e->hash);
	ck_assert(!labels_equal(d, e));
	/* the incremental hash is the set's */
	uint64_t h = labels_hash_init();
	h = labels_hash_add(h, "a", "1");
	h = labels_hash_add(h, "b", "2");
	ck_assert_uint_eq(labels_hash_end(h), a->hash);
	ck_assert_ptr_eq(labels_ref(a), a);
	ck_assert_uint_eq(a->refs, 2);
	labels_unref(a);
	labels_unref(a);
	labels_unref(b);
	labels_unref(c);
	labels_unref(d);
	labels_unref(e);
}
END_TEST

START_TEST(test_compare)
{
	/* model/labels/labels_test.go TestLabels_Compare, as ordered sets */
	struct hw_labels *base = mk("aaa", "111", "bbb", "222", NULL);
	struct {
		struct hw_labels *o;
		int want;
	} cases[] = {
		{mk("aaa", "111", NULL), 1},
		{mk("aaa", "111", "bbb", "222", "ccc", "333", NULL), -1},
		{mk("aaa", "111", "bar", "222", NULL), 1},
		{mk("aaa", "111", "bbb", "233", NULL), -1},
		{mk("aaa", "111", "bbb", "222", NULL), 0},
		{mk("aaa", "111", "bbc", "222", NULL), -1},
		{mk("aab", "111", NULL), -1},
		{mk("AAA", "111", NULL), 1}, /* byte order: 'A' < 'a' */
		{labels_new(NULL, 0), 1},
	};
	for (size_t i = 0; i < NPAIRS(cases); i++) {
		ck_assert_msg(labels_cmp(base, cases[i].o) == cases[i].want,
			      "case %zu", i);
		ck_assert_int_eq(labels_cmp(cases[i].o, base), -cases[i].want);
		ck_assert_int_eq(labels_equal(base, cases[i].o),
				 cases[i].want == 0);
		labels_unref(cases[i].o);
	}
	ck_assert_int_eq(labels_cmp(base, base), 0);
	labels_unref(base);
}
END_TEST

START_TEST(test_format)
{
	struct hw_labels *ls = mk("__name__", "up", NULL);
	ck_assert_str_eq(fmt(ls, false), "up");
	ck_assert_str_eq(fmt(ls, true), "{__name__=\"up\"}");
	labels_unref(ls);

	ls = mk("job", "node", "__name__", "up", "instance", "h:9100", NULL);
	ck_assert_str_eq(fmt(ls, false), "up{instance=\"h:9100\", job=\"node\"}");
	ck_assert_str_eq(fmt(ls, true), "{__name__=\"up\", instance=\"h:9100\", "
					 "job=\"node\"}");
	labels_unref(ls);

	ls = mk("b", "2", "a", "1", NULL);
	ck_assert_str_eq(fmt(ls, false), "{a=\"1\", b=\"2\"}");
	labels_unref(ls);

	/* Go's strconv.Quote */
	static const struct {
		const char *in, *out;
	} q[] = {
		{"plain", "{a=\"plain\"}"},
		{"say \"hi\"", "{a=\"say \\\"hi\\\"\"}"},
		{"C:\\dir", "{a=\"C:\\\\dir\"}"},
		{"l1\nl2", "{a=\"l1\\nl2\"}"},
		{"\t\r\a\b\f\v", "{a=\"\\t\\r\\a\\b\\f\\v\"}"},
		{"\x01\x1f\x7f", "{a=\"\\x01\\x1f\\x7f\"}"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "{a=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"},
		{"bad\xff\xc3", "{a=\"bad\\xff\\xc3\"}"},
		{"\xc0\xaf", "{a=\"\\xc0\\xaf\"}"},	    /* overlong '/' */
		{"\xed\xa0\x80", "{a=\"\\xed\\xa0\\x80\"}"}, /* surrogate */
		{"nb\xc2\xa0sp", "{a=\"nb\\u00a0sp\"}"},
		{"\xc2\x85", "{a=\"\\u0085\"}"},
		{"\xe2\x80\x8b", "{a=\"\\u200b\"}"},
		{"\xee\x80\x80", "{a=\"\\ue000\"}"},
		{"\xf3\xb0\x80\x80", "{a=\"\\U000f0000\"}"},
		{"'`", "{a=\"'`\"}"},
	};
	for (size_t i = 0; i < NPAIRS(q); i++) {
		ls = mk("a", q[i].in, NULL);
		ck_assert_str_eq(fmt(ls, false), q[i].out);
		labels_unref(ls);
	}
}
END_TEST

START_TEST(test_builder)
{
	struct hw_labels *base =
		mk("__name__", "m", "a", "1", "b", "2", "c", "3", NULL);
	struct labels_builder b;
	struct hw_labels *r;

	/* nothing changed: the same set */
	labels_builder_init(&b, base);
	r = labels_builder_done(&b);
	ck_assert_ptr_eq(r, base);
	ck_assert_uint_eq(base->refs, 2);
	labels_unref(r);
	labels_builder_init(&b, base);
	labels_builder_set(&b, "a", "1");
	labels_builder_del(&b, "zzz");
	r = labels_builder_done(&b);
	ck_assert_ptr_eq(r, base);
	labels_unref(r);

	/* drop the name, set one, add one */
	labels_builder_init(&b, base);
	labels_builder_del(&b, LABEL_NAME);
	labels_builder_set(&b, "b", "two");
	labels_builder_set(&b, "aa", "new");
	r = labels_builder_done(&b);
	ck_assert_str_eq(fmt(r, true),
			 "{a=\"1\", aa=\"new\", b=\"two\", c=\"3\"}");
	labels_unref(r);

	/* set "" deletes; the last edit of a name wins */
	labels_builder_init(&b, base);
	labels_builder_set(&b, "a", "");
	labels_builder_set(&b, "c", "x");
	labels_builder_del(&b, "c");
	labels_builder_del(&b, "b");
	labels_builder_set(&b, "b", "back");
	r = labels_builder_done(&b);
	ck_assert_str_eq(fmt(r, true), "{__name__=\"m\", b=\"back\"}");
	labels_unref(r);

	/* keep (by/on) applies before set */
	static const char *const keep[] = {"c", "a", "nope"};
	labels_builder_init(&b, base);
	labels_builder_keep(&b, keep, 3);
	labels_builder_set(&b, "z", "9");
	r = labels_builder_done(&b);
	ck_assert_str_eq(fmt(r, true), "{a=\"1\", c=\"3\", z=\"9\"}");
	labels_unref(r);
	labels_builder_init(&b, base);
	labels_builder_keep(&b, NULL, 0);
	r = labels_builder_done(&b);
	ck_assert_uint_eq(r->n, 0);
	labels_unref(r);

	/* a NULL base builds from nothing */
	labels_builder_init(&b, NULL);
	labels_builder_set(&b, "y", "1");
	labels_builder_set(&b, "x", "2");
	r = labels_builder_done(&b);
	ck_assert_str_eq(fmt(r, true), "{x=\"2\", y=\"1\"}");
	labels_unref(r);

	/* overflow */
	static char names[LABELS_BUILDER_MAX + 1][16];
	labels_builder_init(&b, base);
	for (int i = 0; i <= LABELS_BUILDER_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		labels_builder_set(&b, names[i], "v");
	}
	ck_assert(b.overflow);
	ck_assert_ptr_null(labels_builder_done(&b));
	ck_assert_uint_eq(base->refs, 1);
	labels_unref(base);
}
END_TEST

START_TEST(test_hash_subset)
{
	struct hw_labels *x = mk("__name__", "m1", "a", "1", "b", "2",
				 "instance", "i1", NULL);
	struct hw_labels *y = mk("__name__", "m2", "a", "1", "b", "2",
				 "instance", "i2", NULL);
	struct hw_labels *z = mk("a", "1", "b", "2", NULL);
	static const char *const on[] = {"b", "a"};
	static const char *const ign[] = {"instance"};
	static const char *const none[] = {"nope"};
	ck_assert_uint_eq(labels_hash_subset(x, on, 2, true),
			  labels_hash_subset(y, on, 2, true));
	ck_assert_uint_eq(labels_hash_subset(x, on, 2, true), z->hash);
	ck_assert_uint_ne(labels_hash_subset(x, on, 1, true),
			  labels_hash_subset(x, on, 2, true));
	/* ignoring/without always drops __name__ */
	ck_assert_uint_eq(labels_hash_subset(x, ign, 1, false),
			  labels_hash_subset(y, ign, 1, false));
	ck_assert_uint_eq(labels_hash_subset(x, ign, 1, false), z->hash);
	ck_assert_uint_ne(labels_hash_subset(x, NULL, 0, false),
			  labels_hash_subset(y, NULL, 0, false));
	ck_assert_uint_eq(labels_hash_subset(z, NULL, 0, false), z->hash);
	/* on() with no names: every set in one group */
	ck_assert_uint_eq(labels_hash_subset(x, NULL, 0, true),
			  labels_hash_subset(z, none, 1, true));
	labels_unref(x);
	labels_unref(y);
	labels_unref(z);
}
END_TEST

static Suite *labels_suite(void)
{
	Suite *s = suite_create("labels");
	TCase *tc = tcase_create("all");
	tcase_add_test(tc, test_new_sorted);
	tcase_add_test(tc, test_equal_hash_ref);
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_builder);
	tcase_add_test(tc, test_hash_subset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(labels_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
