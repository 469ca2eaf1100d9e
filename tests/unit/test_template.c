/* Unit tests for alert templates (template.h): expansions and error texts
 * copied from what promtool 2.42 printed for the same templates (alert
 * rules with these annotations, `promtool test rules`, "got:" output),
 * Go's %v of float64 (strconv 'g' shortest), parse-time rejections, and
 * every prefix of every template (under valgrind: no crash, no leak). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/template.h"

/* Labels of the promtool series m{a="x", num="1234.5"}. */
static struct hw_labels *test_labels(void)
{
	static const struct hw_label l[] = {
		{"__name__", "m"}, {"a", "x"}, {"num", "1234.5"}};
	return labels_new(l, 3);
}

#define V1 1234567.125
static const struct expand {
	const char *in;
	double value;
	const char *out; /* NULL: an error, `err` is its text */
	const char *err;
} expand[] = {
	/* promtool 2.42, value 1234567.125 */
	{"{{ $value }}", V1, "1.234567125e+06", NULL},
	{"{{ $labels.num | humanize }}", V1, "1.234k", NULL},
	{"{{ $labels }}", V1, "map[__name__:m a:x num:1234.5]", NULL},
	{"{{ printf \"%d\" $value }}", V1, "%!d(float64=1.234567125e+06)", NULL},
	{"{{ printf \"%s\" $value }}", V1, "%!s(float64=1.234567125e+06)", NULL},
	{"{{ printf \"%v|%g|%e|%f|%5.1f|%-8.2f|%08.3f|%+.2e\" $value $value "
	 "$value $value $value $value $value $value }}",
	 V1,
	 "1.234567125e+06|1.234567125e+06|1.234567e+06|1234567.125000|"
	 "1234567.1|1234567.12|1234567.125|+1.23e+06",
	 NULL},
	{"{{ printf \"%f\" }}", V1, "%!f(MISSING)", NULL},
	{"{{ printf \"%f\" $value $value }}", V1,
	 "1234567.125000%!(EXTRA float64=1.234567125e+06)", NULL},
	{"{{ $value | humanizeDuration }}", V1, "14d 6h 56m 7s", NULL},
	{"{{ $value | humanizePercentage }}", V1, "1.235e+08%", NULL},
	{"{{ $value | humanize1024 }}", V1, "1.177Mi", NULL},
	{"{{ humanizeTimestamp $value }}", V1,
	 "1970-01-15 06:56:07.125 +0000 UTC", NULL},
	{"{{ title \"hello wORLD foo-bar x_y\" }} {{ toUpper \"abc\" }} "
	 "{{ toLower \"ABC\" }}",
	 V1, "Hello WORLD Foo-Bar X_y ABC abc", NULL},
	{"{{ .Labels.num }} {{ .Value }} {{ $externalLabels.x }}|"
	 "{{ $externalURL }}|",
	 V1, "1234.5 1.234567125e+06 ||", NULL},
	{"{{ printf \"%q %x %X %10s|%-4s|%.2s\" \"a\\tb\" \"hi\" \"hi\" "
	 "\"abc\" \"ab\" \"abc\" }}",
	 V1, "\"a\\tb\" 6869 6869        abc|ab  |ab", NULL},
	{"{{ print 1 2 \"a\" \"b\" 3.5 $value }}", V1,
	 "1 2ab3.5 1.234567125e+06", NULL},
	{"{{ index $labels \"num\" }}", V1, "1234.5", NULL},
	{"{{ $x := 5 }}{{ $x }}{{ $x = \"s\" }}{{ $x }}", V1, "5s", NULL},
	{"{{ printf \"%d %v %5d %x\" 42 42 42 255 }}", V1, "42 42    42 ff",
	 NULL},
	{"{{ 1.50 }} {{ 1e3 }} {{ 0x10 }} {{ -3 }} {{ 1_000 }}", V1,
	 "1.5 1000 16 -3 1000", NULL},
	{"{{ toUpper $value }}", V1, NULL,
	 "error executing template __alert: template: __alert:1:123: executing "
	 "\"__alert\" at <$value>: wrong type for value; expected string; got "
	 "float64"},
	{"{{ $labels.num | printf \"%s-%v\" \"x\" }}", V1, "x-1234.5", NULL},
	{"{{ printf \"%v %.3v %10v %-10v| %g\" 1234567.0 1234567.0 $value "
	 "$value 100000.0 }}",
	 V1, "1.234567e+06 1.23e+06 1.234567125e+06 1.234567125e+06| 100000",
	 NULL},
	{"{{ $value | printf \"%.1f\" | printf \"%s!\" }}", V1, "1234567.1!",
	 NULL},
	{"  {{- $value -}}  x {{- /* c */ -}} y {{/* c2 */}}", V1,
	 "1.234567125e+06xy ", NULL},
	{"{{ printf \"%6.2f%%\" 12.345 }} {{ printf \"%t\" 1.0 }} "
	 "{{ printf \"%5v|%05v|% v|%+v\" 1.5 1.5 1.5 1.5 }}",
	 V1, " 12.35% %!t(float64=1)   1.5|001.5| 1.5|1.5", NULL},
	/* promtool 2.42, value 1.5 */
	{"{{ humanize 5 }}", 1.5, "5", NULL},
	{"{{ humanize \"abc\" }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:115: executing "
	 "\"__alert\" at <humanize \"abc\">: error calling humanize: "
	 "strconv.ParseFloat: parsing \"abc\": invalid syntax"},
	{"{{ $labels.a | humanize }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:127: executing "
	 "\"__alert\" at <humanize>: error calling humanize: "
	 "strconv.ParseFloat: parsing \"x\": invalid syntax"},
	{"{{ $value | toUpper }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:124: executing "
	 "\"__alert\" at <toUpper>: wrong type for value; expected string; got "
	 "float64"},
	{"{{ .Foo }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:115: executing "
	 "\"__alert\" at <.Foo>: can't evaluate field Foo in type struct { "
	 "Labels map[string]string; ExternalLabels map[string]string; "
	 "ExternalURL string; Value float64 }"},
	{"{{ $value.x }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:121: executing "
	 "\"__alert\" at <$value.x>: can't evaluate field x in type float64"},
	{"{{ humanize }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:115: executing "
	 "\"__alert\" at <humanize>: wrong number of args for humanize: want 1 "
	 "got 0"},
	{"{{ humanize 1.0 2.0 }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:115: executing "
	 "\"__alert\" at <humanize>: wrong number of args for humanize: want 1 "
	 "got 2"},
	{"{{ $value 1 }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:115: executing "
	 "\"__alert\" at <$value>: can't give argument to non-function $value"},
	{"{{ 1 | $value }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:119: executing "
	 "\"__alert\" at <$value>: can't give argument to non-function $value"},
	{"{{ . }}", 1.5, "{map[__name__:m a:x num:1234.5] map[]  1.5}", NULL},
	{"{{ printf $value }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:122: executing "
	 "\"__alert\" at <$value>: wrong type for value; expected string; got "
	 "float64"},
	{"x\n{{ humanize \"abc\" }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:2:3: executing "
	 "\"__alert\" at <humanize \"abc\">: error calling humanize: "
	 "strconv.ParseFloat: parsing \"abc\": invalid syntax"},
	{"{{ index $labels 5 }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:115: executing "
	 "\"__alert\" at <index $labels 5>: error calling index: value has type "
	 "int; should be string"},
	{"{{ humanizeDuration 90061.5 }} {{ humanizeDuration 0.0015 }} "
	 "{{ humanizeDuration -61 }} {{ humanize -0.0001234 }}",
	 1.5, "1d 1h 1m 1s 1.5ms -1m 1s -123.4u", NULL},
	{"{{ toUpper 5 }}", 1.5, NULL,
	 "error executing template __alert: template: __alert:1:123: executing "
	 "\"__alert\" at <5>: expected string; found 5"},
	{"{{ \"\\u00e9\\x41\\101\\n\" }}|{{ `raw\\n` }}", 1.5,
	 "\xc3\xa9" "AA\n|raw\\n", NULL},
	{"{{ humanize1024 1048576 }} {{ humanize1024 1.0 }} "
	 "{{ humanizePercentage 0.123456 }}",
	 1.5, "1Mi 1 12.35%", NULL},
	{"{{ .Labels }}", 1.5, "map[__name__:m a:x num:1234.5]", NULL},
	/* the conformance corpus (tests/rules/30, 31, 32, 44) */
	{"{{ $value | humanize }}", 1234567, "1.235M", NULL},
	{"{{ $value | humanize }}", 2048, "2.048k", NULL},
	{"queue {{ $labels.a }} holds {{ $value | humanize }}B", 2048,
	 "queue x holds 2.048kB", NULL},
	{"{{ $value | humanize }}/s", 0.01, "10m/s", NULL},
	{"{{ $value | humanize }}/s", 0.00001, "10u/s", NULL},
	{"{{ $value | printf \"%.1f\" }}", 0.01, "0.0", NULL},
	{"[{{ $labels.nosuchlabel }}]", 1, "[]", NULL},
	{"page-{{ $labels.a }}", 0, "page-x", NULL},
	{"{{ printf \"%.2f\" $value }}", 85.456, "85.46", NULL},
	/* humanize's special cases (template.go) */
	{"{{ humanize 0.0 }} {{ humanize -0.0 }}", 0, "0 -0", NULL},
	{"{{ $value | humanize }}", INFINITY, "+Inf", NULL},
	{"{{ $value | humanize }}", -INFINITY, "-Inf", NULL},
	{"{{ $value | humanize }}", NAN, "NaN", NULL},
	{"{{ $value }} {{ printf \"%f|%5.1f|%05f\" $value $value $value }}",
	 INFINITY, "+Inf +Inf| +Inf| +Inf", NULL},
	{"{{ $value }}", NAN, "NaN", NULL},
	{"{{ humanize 1e30 }}", 0, "1e+06Y", NULL},
	{"{{ humanize 1e-30 }}", 0, "1e-06y", NULL},
	{"{{ humanize1024 -2048 }}", 0, "-2ki", NULL},
	{"{{ humanizeDuration 0.0 }} {{ humanizeDuration 59.5 }}", 0,
	 "0s 59.5s", NULL},
	{"{{ ($value | humanize) }}|{{ printf \"%s\" (humanize 2000) }}",
	 3000, "3k|2k", NULL},
	{"{{ printf \"%s %s\" externalURL pathPrefix }}|", 0, " |", NULL},
	{"{{ println 1 \"a\" }}", 0, "1 a\n", NULL},
	{"{{- 3 }}  {{ 4 -}}  \n 5", 0, "3  45", NULL},
	{"a{{/* x */}}b", 0, "ab", NULL},
	{"{{ $value }}", 100000, "100000", NULL},
	{"{{ $value }}", 1000000, "1e+06", NULL},
};

static void check_expand(const struct expand *e)
{
	struct hw_labels *ls = test_labels();
	struct hw_buf b = HW_BUF_INIT;
	char err[1024] = "";
	int r;

	ck_assert_ptr_nonnull(ls);
	r = template_expand(e->in, ls, e->value, &b, err, sizeof(err));
	if (e->out) {
		ck_assert_msg(r == 0, "%s: %s", e->in, err);
		ck_assert_str_eq(buf_cstr(&b), e->out);
		ck_assert_int_eq(template_check(e->in, err, sizeof(err)), 0);
	} else {
		ck_assert_msg(r == -EINVAL, "%s: r=%d", e->in, r);
		ck_assert_str_eq(err, e->err);
		ck_assert_uint_eq(b.len, 0);
	}
	buf_free(&b);
	labels_unref(ls);
}

START_TEST(test_expand)
{
	check_expand(&expand[_i]);
}
END_TEST

/* Parse-time errors, as promtool check rules prints them (after
 * "annotation NAME: "). */
static const struct invalid {
	const char *in, *err;
} invalid[] = {
	{"{{ foo $value }}", "template: __alert:1: function \"foo\" not defined"},
	{"{{ $value", "template: __alert:1: unclosed action"},
	{"{{ $nosuch }}", "template: __alert:1: undefined variable \"$nosuch\""},
	{"a\nb\n{{ $nosuch }}",
	 "template: __alert:3: undefined variable \"$nosuch\""},
	{"{{ if $value }}x",
	 "template: __alert:1: \"if\" is not supported by hostwatch"},
	{"{{ query \"up\" }}",
	 "template: __alert:1: function \"query\" not supported by hostwatch"},
	{"{{ }}", "template: __alert:1: missing value for command"},
	{"{{ $value | }}", "template: __alert:1: missing value for command"},
	{"{{ \"abc }}", "template: __alert:1: unterminated quoted string"},
	{"{{ `abc }}", "template: __alert:1: unterminated raw quoted string"},
	{"{{ # }}", "template: __alert:1: unexpected \"#\" in command"},
	{"{{ /* c */ }}", "template: __alert:1: unexpected \"/\" in command"},
	{"{{ ( ) }}",
	 "template: __alert:1: missing value for parenthesized pipeline"},
	{"{{ $x := }}", "template: __alert:1: missing value for command"},
	{"{{ 1e400 }}", "template: __alert:1: illegal number syntax: \"1e400\""},
	{"{{/* abc }}", "template: __alert:1: unclosed comment"},
	{"{{/* abc */ x}}",
	 "template: __alert:1: comment ends before closing delimiter"},
	{"{{ $value | 3 }}",
	 "template: __alert:1: non executable command in pipeline stage 2"},
	{"{{ $value | \"x\" }}",
	 "template: __alert:1: non executable command in pipeline stage 2"},
	{"{{ $x = 1 }}", "template: __alert:1: undefined variable \"$x\""},
	{"{{ (1 }}", "template: __alert:1: unclosed left paren"},
	{"{{ 1) }}", "template: __alert:1: unexpected \")\" in command"},
	{"{{ 1x }}", "template: __alert:1: bad number syntax: \"1x\""},
	{"{{ \"\\q\" }}", "template: __alert:1: invalid syntax"},
};

START_TEST(test_invalid)
{
	const struct invalid *t = &invalid[_i];
	char err[512] = "";

	ck_assert_int_eq(template_check(t->in, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, t->err);
}
END_TEST

START_TEST(test_named)
{
	struct hw_buf b = HW_BUF_INIT;
	char err[512];

	ck_assert_int_eq(template_check_named("{{ foo }}", "__alert_A", err,
					      sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "template: __alert_A:1: function \"foo\" not "
			      "defined");
	ck_assert_int_eq(template_expand_named("{{ foo }}", "__alert_A", NULL,
					       0, &b, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "error parsing template __alert_A: template: "
			      "__alert_A:1: function \"foo\" not defined");
	/* no labels at all: $labels is an empty map */
	ck_assert_int_eq(template_expand_named("[{{ $labels.x }}]{{ $labels }}",
					       "__alert_A", NULL, 0, &b, err,
					       sizeof(err)),
			 0);
	ck_assert_str_eq(buf_cstr(&b), "[]map[]");
	buf_free(&b);
}
END_TEST

/* strconv.FormatFloat(v, 'g', -1, 64). */
static const struct fmt {
	double v;
	const char *out;
} fmts[] = {
	{0, "0"},
	{-0.0, "-0"},
	{1, "1"},
	{-1, "-1"},
	{0.1, "0.1"},
	{0.0001, "0.0001"},
	{0.00001, "1e-05"},
	{0.000012345, "1.2345e-05"},
	{100000, "100000"},
	{123456, "123456"},
	{999999, "999999"},
	{1000000, "1e+06"},
	{1234567, "1.234567e+06"},
	{1e21, "1e+21"},
	{1e100, "1e+100"},
	{1.5e-300, "1.5e-300"},
	{5e-324, "5e-324"},
	{1.7976931348623157e308, "1.7976931348623157e+308"},
	{2.2250738585072014e-308, "2.2250738585072014e-308"},
	{0.1 + 0.2, "0.30000000000000004"},
	{1.0 / 3, "0.3333333333333333"},
	{2.0 / 3, "0.6666666666666666"},
	{123.456, "123.456"},
	{9007199254740993.0, "9.007199254740992e+15"},
	{4.35, "4.35"},
	{1e23, "1e+23"},
	{8.41e21, "8.41e+21"},
	{INFINITY, "+Inf"},
	{-INFINITY, "-Inf"},
	{NAN, "NaN"},
};

START_TEST(test_format_float)
{
	char out[32];

	template_format_float(fmts[_i].v, out, sizeof(out));
	ck_assert_str_eq(out, fmts[_i].out);
}
END_TEST

/* Round trip: the shortest text reads back as the same double. */
START_TEST(test_format_roundtrip)
{
	char out[32];
	unsigned long long x = 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < 20000; i++) {
		double v;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		template_format_float(v, out, sizeof(out));
		ck_assert_msg(strtod(out, NULL) == v, "%s", out);
	}
}
END_TEST

/* Every prefix of every template: an error or a result, no crash. */
START_TEST(test_prefixes)
{
	struct hw_labels *ls = test_labels();
	char err[1024];

	for (size_t i = 0; i < sizeof(expand) / sizeof(expand[0]); i++) {
		size_t len = strlen(expand[i].in);
		for (size_t n = 0; n <= len; n++) {
			char *t = strndup(expand[i].in, n);
			struct hw_buf b = HW_BUF_INIT;
			ck_assert_ptr_nonnull(t);
			int r = template_expand(t, ls, 1.5, &b, err, sizeof(err));
			ck_assert(r == 0 || r == -EINVAL);
			buf_free(&b);
			free(t);
		}
	}
	labels_unref(ls);
}
END_TEST

static Suite *template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_expand, 0,
			    sizeof(expand) / sizeof(expand[0]));
	tcase_add_loop_test(tc, test_invalid, 0,
			    sizeof(invalid) / sizeof(invalid[0]));
	tcase_add_test(tc, test_named);
	tcase_add_loop_test(tc, test_format_float, 0,
			    sizeof(fmts) / sizeof(fmts[0]));
	tcase_add_test(tc, test_format_roundtrip);
	tcase_add_test(tc, test_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(template_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
