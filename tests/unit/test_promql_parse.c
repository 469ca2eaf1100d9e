/* Unit tests for the PromQL subset parser (promql.h): valid expressions with
 * their canonical form and type, invalid ones with the column and message
 * Prometheus 2.42 would point at, round-trip, the selector walk, the depth
 * and length bounds, and every prefix of every valid expression (under
 * valgrind: no crash, no leak). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/promql.h"

#define S PROMQL_TYPE_SCALAR
#define V PROMQL_TYPE_VECTOR
#define M PROMQL_TYPE_MATRIX

static const struct valid {
	const char *in, *canon;
	enum promql_type type;
} valid[] = {
	/* numbers */
	{"1", "1", S},
	{"1.5", "1.5", S},
	{".5", "0.5", S},
	{"5.", "5", S},
	{"1e3", "1000", S},
	{"1E-3", "0.001", S},
	{"2.5e+2", "250", S},
	{"0x1F", "31", S},
	{"0X10", "16", S},
	{"010", "8", S},
	{"09", "9", S},
	{"Inf", "Inf", S},
	{"inf", "Inf", S},
	{"-Inf", "-Inf", S},
	{"+Inf", "Inf", S},
	{"NaN", "NaN", S},
	{"nan", "NaN", S},
	{"-1", "-1", S},
	{"- -1", "1", S},
	{"+1", "1", S},
	{"123456789012345678", "1.2345678901234568e+17", S},
	/* selectors */
	{"foo", "foo", V},
	{"foo:bar:rate5m", "foo:bar:rate5m", V},
	{"_x", "_x", V},
	{"foo{}", "foo", V},
	{"foo{a=\"b\"}", "foo{a=\"b\"}", V},
	{"foo{a='b'}", "foo{a=\"b\"}", V},
	{"foo{a=`b\\n`}", "foo{a=\"b\\\\n\"}", V},
	{"foo{a!=\"b\",}", "foo{a!=\"b\"}", V},
	{"foo{a=~\"b.*\", c!~\"d|e\"}", "foo{a=~\"b.*\", c!~\"d|e\"}", V},
	{"{a=\"b\"}", "{a=\"b\"}", V},
	{"{a!=\"\"}", "{a!=\"\"}", V},
	{"{__name__=~\"node_.*\"}", "{__name__=~\"node_.*\"}", V},
	{"{__name__=\"up\", job=\"x\"}", "{__name__=\"up\", job=\"x\"}", V},
	{"foo{by=\"x\", sum=\"y\"}", "foo{by=\"x\", sum=\"y\"}", V},
	{"foo{a=\"\\\"q\\\" \\t\\x41\\101\\u00e9\\U0001F600\"}",
	 "foo{a=\"\\\"q\\\" \\tAA\xc3\xa9\xf0\x9f\x98\x80\"}", V},
	{"foo{a='it\\'s'}", "foo{a=\"it's\"}", V},
	{"foo{a=~`\\d+`}", "foo{a=~\"\\\\d+\"}", V},
	{"foo{a=~\"\\\\d+\"}", "foo{a=~\"\\\\d+\"}", V},
	{"  foo  # comment\n", "foo", V},
	/* ranges */
	{"foo[5m]", "foo[5m]", M},
	{"foo[ 5m ]", "foo[5m]", M},
	{"foo{a=\"b\"}[30s]", "foo{a=\"b\"}[30s]", M},
	{"foo[1h30m]", "foo[1h30m]", M},
	{"foo[90m]", "foo[1h30m]", M},
	{"foo[100ms]", "foo[100ms]", M},
	{"foo[1y2w3d4h5m6s7ms]", "foo[1y2w3d4h5m6s7ms]", M},
	{"foo[7d]", "foo[1w]", M},
	{"foo[1d]", "foo[1d]", M},
	/* functions */
	{"rate(foo[5m])", "rate(foo[5m])", V},
	{"irate(foo[1m])", "irate(foo[1m])", V},
	{"increase(foo[1h])", "increase(foo[1h])", V},
	{"delta(foo[5m])", "delta(foo[5m])", V},
	{"idelta(foo[5m])", "idelta(foo[5m])", V},
	{"avg_over_time(foo[5m])", "avg_over_time(foo[5m])", V},
	{"min_over_time(foo[5m])", "min_over_time(foo[5m])", V},
	{"max_over_time(foo[5m])", "max_over_time(foo[5m])", V},
	{"sum_over_time(foo[5m])", "sum_over_time(foo[5m])", V},
	{"count_over_time(foo[5m])", "count_over_time(foo[5m])", V},
	{"last_over_time(foo[5m],)", "last_over_time(foo[5m])", V},
	{"absent(foo{job=\"x\"})", "absent(foo{job=\"x\"})", V},
	{"abs(-foo)", "abs(-foo)", V},
	{"clamp_min(foo, 0)", "clamp_min(foo, 0)", V},
	{"clamp_max(foo, -1.5)", "clamp_max(foo, -1.5)", V},
	{"clamp_max(foo, time())", "clamp_max(foo, time())", V},
	{"time()", "time()", S},
	{"time ( )", "time()", S},
	/* aggregations */
	{"sum(foo)", "sum(foo)", V},
	{"SUM(foo)", "sum(foo)", V},
	{"avg by (a, b) (foo)", "avg by (a, b) (foo)", V},
	{"min(foo) by (a)", "min by (a) (foo)", V},
	{"max without (a) (foo)", "max without (a) (foo)", V},
	{"count(foo) without (a,)", "count without (a) (foo)", V},
	{"sum by () (foo)", "sum by () (foo)", V},
	{"sum BY (on, sum) (foo)", "sum by (on, sum) (foo)", V},
	{"sum(rate(foo[5m])) by (job)", "sum by (job) (rate(foo[5m]))", V},
	/* binary operators, precedence and associativity */
	{"1 + 2", "1 + 2", S},
	{"1 - 2 * 3", "1 - 2 * 3", S},
	{"a - b - c", "a - b - c", V},
	{"a - (b - c)", "a - (b - c)", V},
	{"a / b * c % d", "a / b * c % d", V},
	{"a + b * c", "a + b * c", V},
	{"a or b and c", "a or b and c", V},
	{"a and b or c", "a and b or c", V},
	{"a unless b and c", "a unless b and c", V},
	{"a or b unless c", "a or b unless c", V},
	{"a > b + c", "a > b + c", V},
	{"a == b or c", "a == b or c", V},
	{"-a * b", "-a * b", V},
	{"-a + b", "-a + b", V},
	{"- - a", "--a", V},
	{"-(a + b)", "-(a + b)", V},
	{"+a", "+a", V},
	{"foo * 2", "foo * 2", V},
	{"2 * foo", "2 * foo", V},
	{"foo > 0", "foo > 0", V},
	{"foo >= bool 0", "foo >= bool 0", V},
	{"1 == bool 2", "1 == bool 2", S},
	{"1 < bool 2 + 3", "1 < bool 2 + 3", S},
	{"a != b", "a != b", V},
	{"a <= b", "a <= b", V},
	{"a < b", "a < b", V},
	{"a AND b", "a and b", V},
	{"a + on(x) b", "a + on (x) b", V},
	{"a + ignoring (x, y) b", "a + ignoring (x, y) b", V},
	{"a == bool on() b", "a == bool on () b", V},
	{"a and on(x) b", "a and on (x) b", V},
	{"1 + on() foo", "1 + foo", V},
	{"sum by (x) (a) / on(x) sum by (x) (b)",
	 "sum by (x) (a) / on (x) sum by (x) (b)", V},
	{"(1)", "(1)", S},
	{"((foo))", "((foo))", V},
	{"(foo) + 1", "(foo) + 1", V},
	{"rate(foo[5m]) / on (instance) group_by_x", NULL, V},
	{"sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) > 0.05",
	 "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) > 0.05",
	 V},
	{"absent(up{job=\"node\"} == 1)", "absent(up{job=\"node\"} == 1)", V},
	{"time() - node_boot_time_seconds", "time() - node_boot_time_seconds", V},
	{"offset_x + on_y", "offset_x + on_y", V},
	{"start + end", "start + end", V},
};

static const struct invalid {
	const char *in;
	size_t column;
	const char *msg;
} invalid[] = {
	{"", 1, "no expression found"},
	/* a lexer error right after a token: nothing leaks (valgrind; found
	 * by fuzz/fuzz_promql) */
	{"2\xdd", 2, "unexpected character: 0xdd"},
	{"sum by (a\xdd) (x)", 10, "unexpected character: 0xdd"},
	{"   ", 4, "no expression found"},
	{"1 +", 4, "unexpected end of input"},
	{"foo bar", 5, "unexpected identifier \"bar\""},
	{"(1))", 4, "unexpected \")\""},
	{"((1)", 1, "unclosed left parenthesis"},
	{"(1 2)", 4, "unexpected number \"2\""},
	{"*1", 1, "unexpected \"*\""},
	{"foo ^ 2", 5, "operator \"^\" is not supported"},
	{"foo offset 5m", 5, "offset modifier is not supported"},
	{"foo[5m] offset 1h", 9, "offset modifier is not supported"},
	{"foo @ 100", 5, "@ modifier is not supported"},
	{"foo[5m:1m]", 7, "subqueries are not supported"},
	{"rate(foo[5m])[10m:]", 18, "subqueries are not supported"},
	{"a + on(x) group_left b", 11, "group_left is not supported"},
	{"a * ignoring(x) group_right(y) b", 17, "group_right is not supported"},
	{"topk(3, foo)", 1, "aggregation \"topk\" is not supported"},
	{"quantile(0.9, foo)", 1, "aggregation \"quantile\" is not supported"},
	{"x + label_replace(y, \"a\", \"b\", \"c\", \"d\")", 5,
	 "function \"label_replace\" is not supported"},
	{"foo(bar)", 1, "unknown function with name \"foo\""},
	{"RATE(foo[5m])", 1, "unknown function with name \"RATE\""},
	{"histogram_quantile(0.9, x)", 1,
	 "function \"histogram_quantile\" is not supported"},
	{"nosuchfn(x)", 1, "unknown function with name \"nosuchfn\""},
	{"1 atan2 2", 3, "operator \"atan2\" is not supported"},
	{"rate(foo)", 6, "expected type range vector in call to function \"rate\", got instant vector"},
	{"rate(1)", 6, "expected type range vector in call to function \"rate\", got scalar"},
	{"abs(foo[5m])", 5, "expected type instant vector in call to function \"abs\", got range vector"},
	{"absent(1)", 8, "expected type instant vector in call to function \"absent\", got scalar"},
	{"clamp_min(foo, bar)", 16, "expected type scalar in call to function \"clamp_min\", got instant vector"},
	{"clamp_max(foo)", 1, "expected 2 argument(s) in call to \"clamp_max\", got 1"},
	{"rate(a[1m], b[1m], c[1m])", 1, "expected 1 argument(s) in call to \"rate\", got 3"},
	{"time(1)", 1, "expected 0 argument(s) in call to \"time\", got 1"},
	{"abs(\"x\")", 5, "got string"},
	{"sum(foo[5m])", 5, "expected type instant vector in aggregation expression, got range vector"},
	{"sum(1)", 5, "expected type instant vector in aggregation expression, got scalar"},
	{"sum()", 1, "no arguments for aggregate expression provided"},
	{"sum(a, b)", 1, "expected 1, got 2"},
	{"sum foo", 5, "unexpected identifier \"foo\""},
	{"sum (foo) by test", 14, "in grouping opts"},
	{"sum (foo) by (a) by (b)", 18, "unexpected identifier \"by\""},
	{"sum by (a) (foo) by (b)", 18, "unexpected identifier \"by\""},
	{"sum by (a:b) (foo)", 9, "in grouping opts"},
	{"foo[5m] + 1", 1, "binary expression must contain only scalar and instant vector types"},
	{"1 + foo[5m]", 5, "binary expression must contain only scalar and instant vector types"},
	{"1 == 1", 3, "comparisons between scalars must use BOOL modifier"},
	{"foo + bool bar", 5, "bool modifier can only be used on comparison operators"},
	{"foo and 1", 5, "set operator \"and\" not allowed in binary scalar expression"},
	{"1 or foo", 3, "set operator \"or\" not allowed in binary scalar expression"},
	{"foo == on(bar) 10", 5, "vector matching only allowed between instant vectors"},
	{"a - on(b) ignoring(c) d", 11, "unexpected identifier \"ignoring\""},
	{"-foo[5m]", 1, "unary expression only allowed on expressions of type scalar or instant vector"},
	{"\"foo\"", 1, "string literals are only supported as label values"},
	{"(foo)[5m]", 6, "ranges only allowed for vector selectors"},
	{"foo[5m][5m]", 8, "ranges only allowed for vector selectors"},
	{"sum(foo)[5m]", 9, "ranges only allowed for vector selectors"},
	{"foo[5]", 5, "missing unit character in duration"},
	{"foo[5mm]", 5, "bad duration syntax: \"5mm\""},
	{"foo[5m1]", 5, "bad duration syntax"},
	{"foo[0m]", 5, "duration must be greater than 0"},
	{"foo[0]", 5, "missing unit character in duration"},
	{"foo[30m1h]", 5, "not a valid duration string: \"30m1h\""},
	{"foo[5.5m]", 5, "not a valid duration string"},
	{"foo[1hs]", 5, "not a valid duration string"},
	{"foo[99999999999y]", 5, "duration out of range"},
	{"foo[]", 5, "unexpected \"]\", expected duration"},
	{"foo[5m", 7, "unexpected end of input in range"},
	{"foo + 5m", 7, "unexpected duration \"5m\""},
	{"1x", 1, "bad number or duration syntax: \"1x\""},
	{"0x1.8", 1, "error parsing number"},
	{"1e400", 1, "error parsing number"},
	{"{}", 1, "vector selector must contain at least one non-empty matcher"},
	{"{a=\"\"}", 1, "vector selector must contain at least one non-empty matcher"},
	{"{a=~\".*\"}", 1, "vector selector must contain at least one non-empty matcher"},
	{"{a!~\".+\"}", 1, "at least one non-empty matcher"},
	{"foo{__name__=\"bar\"}", 1, "metric name must not be set twice: \"foo\" or \"bar\""},
	{"foo{a}", 6, "expected label matching operator"},
	{"foo{a==\"b\"}", 6, "expected label matching operator"},
	{"foo{a=b}", 7, "in label matching, expected string"},
	{"foo{1=\"b\"}", 5, "expected label name"},
	{"foo{a:b=\"c\"}", 5, "expected label name"},
	{"foo{a=\"b\" c=\"d\"}", 11, "expected \",\" or \"}\""},
	{"foo{a=\"b\"", 10, "unexpected end of input"},
	{"foo{a=~\"(\"}", 8, "error parsing regexp"},
	{"foo{a!~\"*x\"}", 8, "error parsing regexp"},
	{"foo{a=\"b}", 7, "unterminated quoted string"},
	{"foo{a='b\n'}", 7, "unterminated quoted string"},
	{"foo{a=`b}", 7, "unterminated quoted string"},
	{"foo{a=\"\\c\"}", 8, "unknown escape sequence"},
	{"foo{a=\"\\d\"}", 8, "unknown escape sequence"},
	{"foo{a=\"\\'\"}", 8, "unknown escape sequence"},
	{"foo{a=\"\\xZZ\"}", 8, "illegal character in escape sequence"},
	{"foo{a=\"\\400\"}", 8, "invalid Unicode code point"},
	{"foo{a=\"\\uD800\"}", 8, "invalid Unicode code point"},
	{"foo{a=\"\\x00\"}", 7, "NUL bytes"},
	{"foo $ bar", 5, "unexpected character: '$'"},
	{"foo ! bar", 5, "unexpected character after '!'"},
	{"foo )", 5, "unexpected \")\""},
	{"sum(foo) foo", 10, "unexpected identifier \"foo\""},
	{"by", 1, "unexpected identifier \"by\""},
	{"rate(foo[5m] bar)", 14, "expected \",\" or \")\""},
	{"1 < 2 == bool 3", 3, "comparisons between scalars must use BOOL modifier"},
};

static const char *type_str(enum promql_type t) { return promql_type_name(t); }

START_TEST(test_valid)
{
	const struct valid *v = &valid[_i];
	struct promql_node *n = NULL;
	struct promql_error err;
	struct hw_buf b = HW_BUF_INIT;
	int r = promql_parse(v->in, &n, &err);
	ck_assert_msg(r == 0, "%s: %d at %zu: %s", v->in, r, err.column, err.msg);
	ck_assert_msg(n->type == v->type, "%s: type %s", v->in, type_str(n->type));
	ck_assert_int_eq(promql_format(n, &b), 0);
	if (v->canon)
		ck_assert_msg(strcmp(buf_cstr(&b), v->canon) == 0,
			      "%s: formatted as %s", v->in, buf_cstr(&b));
	/* Round trip: the canonical form parses to a tree formatting the same. */
	struct promql_node *n2 = NULL;
	struct hw_buf b2 = HW_BUF_INIT;
	r = promql_parse(buf_cstr(&b), &n2, &err);
	ck_assert_msg(r == 0, "%s: reparse: %s", buf_cstr(&b), err.msg);
	ck_assert_int_eq(n2->type, n->type);
	ck_assert_int_eq(n2->kind, n->kind);
	ck_assert_int_eq(promql_format(n2, &b2), 0);
	ck_assert_str_eq(buf_cstr(&b2), buf_cstr(&b));
	promql_free(n);
	promql_free(n2);
	buf_free(&b);
	buf_free(&b2);
}
END_TEST

START_TEST(test_invalid)
{
	const struct invalid *v = &invalid[_i];
	struct promql_node *n = (struct promql_node *)1;
	struct promql_error err;
	int r = promql_parse(v->in, &n, &err);
	ck_assert_msg(r == -EINVAL, "%s: accepted (%d)", v->in, r);
	ck_assert_ptr_null(n);
	ck_assert_msg(strstr(err.msg, v->msg) != NULL, "%s: message %s", v->in,
		      err.msg);
	ck_assert_msg(err.column == v->column, "%s: column %zu (%s)", v->in,
		      err.column, err.msg);
}
END_TEST

/* Every prefix of every valid expression: parses or fails cleanly. */
START_TEST(test_prefixes)
{
	char tmp[512];
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t len = strlen(valid[i].in);
		ck_assert_uint_lt(len, sizeof(tmp));
		for (size_t l = 0; l <= len; l++) {
			struct promql_node *n = NULL;
			struct promql_error err;
			memcpy(tmp, valid[i].in, l);
			tmp[l] = '\0';
			int r = promql_parse(tmp, &n, &err);
			ck_assert(r == 0 || r == -EINVAL);
			if (r == 0)
				ck_assert_ptr_nonnull(n);
			else
				ck_assert(err.column >= 1 && err.column <= l + 1 &&
					  err.msg[0]);
			promql_free(n);
		}
	}
}
END_TEST

START_TEST(test_selectors)
{
	struct promql_node *n;
	struct promql_error err;
	const struct promql_node *sel[4];
	const char *e = "sum(rate(a{x=~\"1|2\"}[5m])) / on(x) b > bool 2 or "
			"clamp_min(c, time()) + -d";
	ck_assert_int_eq(promql_parse(e, &n, &err), 0);
	ck_assert_uint_eq(promql_selectors(n, sel, 3), 4);
	ck_assert_str_eq(sel[0]->u.sel.name, "a");
	ck_assert_int_eq(sel[0]->u.sel.range_ms, 300000);
	ck_assert_int_eq(sel[0]->u.sel.matchers[0].op, PROMQL_MATCH_RE);
	ck_assert(hw_regex_match(&sel[0]->u.sel.matchers[0].re, "2"));
	ck_assert(!hw_regex_match(&sel[0]->u.sel.matchers[0].re, "12"));
	ck_assert_str_eq(sel[1]->u.sel.name, "b");
	ck_assert_str_eq(sel[2]->u.sel.name, "c");
	ck_assert_uint_eq(sel[2]->pos, (size_t)(strstr(e, "(c,") + 1 - e));
	ck_assert_uint_eq(promql_selectors(n, sel, 4), 4);
	ck_assert_str_eq(sel[3]->u.sel.name, "d");
	/* Structure: or at the top, > below it, / below that. */
	ck_assert_int_eq(n->kind, PROMQL_BINARY);
	ck_assert_int_eq(n->u.binary.op, PROMQL_OP_OR);
	ck_assert_int_eq(n->u.binary.lhs->u.binary.op, PROMQL_OP_GT);
	ck_assert(n->u.binary.lhs->u.binary.return_bool);
	ck_assert_int_eq(n->u.binary.lhs->u.binary.lhs->u.binary.op,
			 PROMQL_OP_DIV);
	ck_assert_int_eq(n->u.binary.rhs->u.binary.op, PROMQL_OP_ADD);
	ck_assert_int_eq(n->u.binary.rhs->u.binary.rhs->kind, PROMQL_UNARY);
	promql_free(n);

	/* a - b - c is (a - b) - c. */
	ck_assert_int_eq(promql_parse("a - b - c", &n, &err), 0);
	ck_assert_int_eq(n->u.binary.lhs->kind, PROMQL_BINARY);
	ck_assert_int_eq(n->u.binary.rhs->kind, PROMQL_SELECTOR);
	ck_assert_uint_eq(n->u.binary.op_pos, 6);
	promql_free(n);
	/* -a * b is (-a) * b. */
	ck_assert_int_eq(promql_parse("-a * b", &n, &err), 0);
	ck_assert_int_eq(n->kind, PROMQL_BINARY);
	ck_assert_int_eq(n->u.binary.lhs->kind, PROMQL_UNARY);
	promql_free(n);
	ck_assert_uint_eq(promql_selectors(NULL, sel, 4), 0);
}
END_TEST

START_TEST(test_limits)
{
	size_t big = PROMQL_MAX_LEN + 10;
	char *s = malloc(big + 1);
	struct promql_node *n;
	struct promql_error err;
	int d;
	ck_assert_ptr_nonnull(s);

	/* Length: just at the limit is parsed, one more byte is refused. */
	memset(s, ' ', PROMQL_MAX_LEN);
	s[0] = '1';
	s[PROMQL_MAX_LEN] = '\0';
	ck_assert_int_eq(promql_parse(s, &n, &err), 0);
	promql_free(n);
	s[PROMQL_MAX_LEN] = ' ';
	s[PROMQL_MAX_LEN + 1] = '\0';
	ck_assert_int_eq(promql_parse(s, &n, &err), -EINVAL);
	ck_assert_ptr_null(n);
	ck_assert_ptr_nonnull(strstr(err.msg, "too long"));

	/* Parentheses: 99 levels fit, thousands are refused, no recursion. */
	for (int depth = 0; depth < 2; depth++) {
		int levels = depth ? 30000 : PROMQL_MAX_DEPTH - 1;
		size_t o = 0;
		for (d = 0; d < levels; d++)
			s[o++] = '(';
		s[o++] = '1';
		for (d = 0; d < levels; d++)
			s[o++] = ')';
		s[o] = '\0';
		int r = promql_parse(s, &n, &err);
		ck_assert_int_eq(r, depth ? -EINVAL : 0);
		if (depth) {
			ck_assert_ptr_nonnull(strstr(err.msg, "too deep"));
			ck_assert_uint_eq(err.column, PROMQL_MAX_DEPTH + 1);
		}
		promql_free(n);
	}
	/* Unary chains and abs(abs(...)) too. */
	memset(s, '-', 30000);
	strcpy(s + 30000, "a");
	ck_assert_int_eq(promql_parse(s, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "too deep"));
	s[0] = '\0';
	for (d = 0; d < 5000; d++)
		strcat(s + d * 4, "abs(");
	ck_assert_int_eq(promql_parse(s, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "too deep"));
	/* A long flat chain a+a+...: the tree's height is bounded too. */
	size_t o = 0;
	for (d = 0; d < 20000; d++) {
		memcpy(s + o, "a+", 2);
		o += 2;
	}
	s[o++] = 'a';
	s[o] = '\0';
	ck_assert_int_eq(promql_parse(s, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "too deep"));
	o = 0;
	for (d = 0; d < 50; d++) {
		memcpy(s + o, "a+", 2);
		o += 2;
	}
	s[o++] = 'a';
	s[o] = '\0';
	ck_assert_int_eq(promql_parse(s, &n, &err), 0);
	promql_free(n);
	free(s);
}
END_TEST

static Suite *promql_suite(void)
{
	Suite *s = suite_create("promql_parse");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_valid, 0, sizeof(valid) / sizeof(valid[0]));
	tcase_add_loop_test(tc, test_invalid, 0,
			    sizeof(invalid) / sizeof(invalid[0]));
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_selectors);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(promql_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
