/* Unit tests for rule files (ruledef.h): every rule file of the
 * conformance corpus (tests/rules/) loads; a file with every field loads
 * into the expected definitions; hand-made broken files
 * (tests/fixtures/rules/) fail with their exact FILE:LINE message, in
 * Prometheus 2.42's wording (`promtool check rules` on the same files) but
 * pointing at the offending line. Also ruledef_check on its own, as
 * hostwatch.conf's rule sections use it. Runs under valgrind: no leaks on
 * any error path. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/ruledef.h"

#define RULES FIXTURES "/rules/"

START_TEST(test_corpus)
{
	glob_t gl;
	struct rule_set_def set = {0};
	char err[1024];
	size_t rules = 0;

	ck_assert_int_eq(glob(FIXTURES "/../rules/*.rules.yml", 0, NULL, &gl),
			 0);
	ck_assert_uint_ge(gl.gl_pathc, 44);
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		int r = rulefile_load(gl.gl_pathv[i], &set, err, sizeof(err));
		ck_assert_msg(r == 0, "%s", err);
	}
	ck_assert_uint_ge(set.n, gl.gl_pathc);
	for (size_t i = 0; i < set.n; i++)
		for (size_t j = 0; j < set.groups[i].n; j++) {
			ck_assert_ptr_nonnull(set.groups[i].rules[j].ast);
			rules++;
		}
	ck_assert_uint_ge(rules, 44);
	rule_set_def_free(&set);
	globfree(&gl);
}
END_TEST

START_TEST(test_full)
{
	struct rule_set_def set = {0};
	char err[1024];
	const struct rule_def *r;

	ck_assert_int_eq(rulefile_load(RULES "empty.rules.yml", &set, err,
				       sizeof(err)),
			 0);
	ck_assert_int_eq(rulefile_load(RULES "comment_only.rules.yml", &set,
				       err, sizeof(err)),
			 0);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_msg(rulefile_load(RULES "full.rules.yml", &set, err,
				    sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_str_eq(set.groups[0].name, "first");
	ck_assert_str_eq(set.groups[0].file, RULES "full.rules.yml");
	ck_assert_int_eq(set.groups[0].interval_ms, 30000);
	ck_assert_uint_eq(set.groups[0].n, 3);
	ck_assert_str_eq(set.groups[1].name, "second");
	ck_assert_int_eq(set.groups[1].interval_ms, 0);
	ck_assert_uint_eq(set.groups[1].n, 0);

	r = &set.groups[0].rules[0];
	ck_assert_int_eq(r->kind, RULE_RECORD);
	ck_assert_str_eq(r->name, "job:up:sum");
	ck_assert_str_eq(r->expr, "sum by (job) (up)");
	ck_assert_int_eq(r->ast->type, PROMQL_TYPE_VECTOR);
	ck_assert_int_eq(r->line, 7);
	ck_assert_uint_eq(r->nlabels, 1);
	ck_assert_str_eq(r->labels[0].key, "team");
	ck_assert_str_eq(r->labels[0].value,
			 "{{ not a template for records }}");
	r = &set.groups[0].rules[1];
	ck_assert_int_eq(r->ast->type, PROMQL_TYPE_SCALAR);
	r = &set.groups[0].rules[2];
	ck_assert_int_eq(r->kind, RULE_ALERT);
	ck_assert_str_eq(r->name, "HighLoad");
	ck_assert_str_eq(r->expr, "load1 > 4\n");
	ck_assert_int_eq(r->for_ms, 90000);
	ck_assert_int_eq(r->keep_firing_for_ms, 300000);
	ck_assert_str_eq(r->clear, "load1 > 3");
	ck_assert_ptr_nonnull(r->clear_ast);
	ck_assert_uint_eq(r->nannotations, 1);
	ck_assert_str_eq(r->annotations[0].key, "summary");
	ck_assert_str_eq(r->file, RULES "full.rules.yml");
	ck_assert_int_eq(r->line, 13);

	/* a second file appends */
	ck_assert_int_eq(rulefile_load(FIXTURES "/../rules/01_selectors_equal"
					       ".rules.yml",
				       &set, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(set.n, 3);
	rule_set_def_free(&set);
}
END_TEST

static const struct broken {
	const char *file, *err;
} broken[] = {
	{"bad_yaml", ":3: yaml: did not find expected '-' indicator"},
	{"unknown_key", ":6: field bogus not found in type rulefmt.RuleNode"},
	{"bad_expr", ":5: group \"g\", rule 1, \"a\": could not parse "
		     "expression: column 7: unexpected end of input in "
		     "aggregation, expected \",\" or \")\""},
	{"bad_expr_multiline",
	 ":8: group \"g\", rule 1, \"A\": could not parse expression: column 1: "
	 "unexpected end of input in label matching, expected label name"},
	{"range_alert", ":5: group \"g\", rule 1, \"A\": expression must be an "
			"instant vector, not a range vector"},
	{"scalar_alert", ":5: group \"g\", rule 1, \"A\": expression must be an "
			 "instant vector, not a scalar"},
	{"bad_clear", ":6: group \"g\", rule 1, \"A\": clear expression must be "
		      "an instant vector, not a range vector"},
	{"bad_template",
	 ":10: group \"g\", rule 1, \"A\": annotation \"description\": template: "
	 "__alert_A:1: function \"nosuch\" not defined"},
	{"dup_group", ":6: groupname: \"g\" is repeated in the same file"},
	{"bad_duration", ":6: not a valid duration string: \"5x\""},
	{"bad_interval", ":3: not a valid duration string: \"-1m\""},
	{"both", ":4: group \"g\", rule 1, \"b\": only one of 'record' and "
		 "'alert' must be set"},
	{"neither", ":4: group \"g\", rule 1, \"\": one of 'record' or 'alert' "
		    "must be set"},
	{"record_for", ":4: group \"g\", rule 1, \"a\": invalid field 'for' in "
		       "recording rule"},
	{"bad_label_name", ":7: group \"g\", rule 1, \"A\": invalid label name: "
			   "a-b"},
	{"bad_record_name", ":4: group \"g\", rule 1, \"a b\": invalid "
			    "recording rule name: a b"},
	{"dup_key", ":3: mapping key \"name\" already defined at line 2"},
	{"no_expr", ":4: group \"g\", rule 1, \"a\": field 'expr' must be set "
		    "in rule"},
	{"no_name", ":2: Groupname must not be empty"},
	{"groups_scalar", ":1: cannot unmarshal !!int `5` into "
			  "[]rulefmt.RuleGroup"},
};

START_TEST(test_broken)
{
	const struct broken *b = &broken[_i];
	struct rule_set_def set = {0};
	char path[512], want[1024], err[1024] = "";

	snprintf(path, sizeof(path), RULES "%s.rules.yml", b->file);
	snprintf(want, sizeof(want), "%s%s", path, b->err);
	ck_assert_int_eq(rulefile_load(path, &set, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(set.n, 0);
}
END_TEST

START_TEST(test_missing_file)
{
	struct rule_set_def set = {0};
	char err[256];

	ck_assert_int_eq(rulefile_load(RULES "nonexistent.yml", &set, err,
				       sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "nonexistent.yml"));
}
END_TEST

/* ruledef_check as hostwatch.conf uses it: messages name the rule. */
START_TEST(test_check)
{
	struct rule_def r = {0};
	char err[512];

	r.kind = RULE_ALERT;
	r.name = strdup("Hot");
	r.expr = strdup("temp > ");
	r.file = strdup("hostwatch.conf");
	r.line = 12;
	ck_assert_int_eq(ruledef_check(&r, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "hostwatch.conf:12: alert \"Hot\": could not "
			      "parse expression: column 8: unexpected end of "
			      "input");
	free(r.expr);
	r.expr = strdup("temp > 80");
	ck_assert_int_eq(ruledef_check(&r, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(r.ast);
	/* checked twice: the old tree is replaced, not leaked */
	ck_assert_int_eq(ruledef_check(&r, err, sizeof(err)), 0);
	r.for_ms = -1;
	ck_assert_int_eq(ruledef_check(&r, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "hostwatch.conf:12: alert \"Hot\": durations "
			      "must not be negative");
	r.for_ms = 0;
	r.kind = RULE_RECORD;
	ck_assert_int_eq(ruledef_check(&r, err, sizeof(err)), 0);
	r.clear = strdup("temp > 70");
	ck_assert_int_eq(ruledef_check(&r, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "hostwatch.conf:12: record \"Hot\": invalid "
			      "field 'clear' in recording rule");
	rule_def_free(&r);
	rule_def_free(NULL);
	rule_group_def_free(NULL);
	rule_set_def_free(NULL);
}
END_TEST

static Suite *rulefile_suite(void)
{
	Suite *s = suite_create("rulefile");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_full);
	tcase_add_loop_test(tc, test_broken, 0,
			    sizeof(broken) / sizeof(broken[0]));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rulefile_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
