/* Rule expressions: promql_parse as the rule loaders call it (ruledef.c),
 * and for what parses, the promises promql.h makes: promql_format gives
 * text that parses again to the same canonical text, and
 * promql_selectors/promql_matcher_matches walk the tree without harm.
 *
 * Seeds: the expr: of tests/rules/ and etc/ (the .yml files), the fixtures' rules. */
#include "config.h"

#include "hostwatch/promql.h"

#include "fuzz_util.h"

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > PROMQL_MAX_LEN)
		return 0; /* the loaders refuse longer ones before parsing */
	char *expr = fz_cstr(data, size);
	struct promql_node *n = NULL;
	struct promql_error err;
	if (promql_parse(expr, &n, &err) == 0) {
		struct hw_buf a = HW_BUF_INIT, b = HW_BUF_INIT;
		if (promql_format(n, &a) == 0) {
			buf_cstr(&a);
			struct promql_node *again = NULL;
			if (promql_parse(a.data, &again, &err) != 0) {
				fprintf(stderr, "formatted text does not parse: "
					"%s\n  at %zu: %s\n", a.data,
					err.column, err.msg);
				abort();
			}
			if (promql_format(again, &b) == 0) {
				buf_cstr(&b);
				if (strcmp(a.data, b.data) != 0) {
					fprintf(stderr, "format not stable:\n"
						"  %s\n  %s\n", a.data, b.data);
					abort();
				}
			}
			promql_free(again);
		}
		buf_free(&a);
		buf_free(&b);
		const struct promql_node *sel[8];
		size_t ns = promql_selectors(n, sel, 8);
		for (size_t i = 0; i < ns && i < 8; i++)
			for (size_t j = 0; j < sel[i]->u.sel.nmatchers; j++)
				promql_matcher_matches(&sel[i]->u.sel.matchers[j],
						       expr);
	}
	promql_free(n);
	free(expr);
	return 0;
}
