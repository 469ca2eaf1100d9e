/* PromQL subset parser and type checker, after Prometheus 2.42
 * promql/parser: generated_parser.y for the grammar and precedence
 * (or < and/unless < comparisons < + - < * / %, all left-associative; unary
 * -/+ binds as tightly as *, and folds into number literals), parse.go's
 * checkAST for the type rules and its messages. See promql.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "promql_internal.h"

static const struct pq_fn {
	const char *name;
	enum promql_func func;
	size_t nargs;
	enum promql_type args[2];
	enum promql_type ret;
} pq_fns[] = {
#define RANGE_FN(n, f) {n, f, 1, {PROMQL_TYPE_MATRIX}, PROMQL_TYPE_VECTOR}
	RANGE_FN("rate", PROMQL_FN_RATE),
	RANGE_FN("irate", PROMQL_FN_IRATE),
	RANGE_FN("increase", PROMQL_FN_INCREASE),
	RANGE_FN("delta", PROMQL_FN_DELTA),
	RANGE_FN("idelta", PROMQL_FN_IDELTA),
	RANGE_FN("avg_over_time", PROMQL_FN_AVG_OVER_TIME),
	RANGE_FN("min_over_time", PROMQL_FN_MIN_OVER_TIME),
	RANGE_FN("max_over_time", PROMQL_FN_MAX_OVER_TIME),
	RANGE_FN("sum_over_time", PROMQL_FN_SUM_OVER_TIME),
	RANGE_FN("count_over_time", PROMQL_FN_COUNT_OVER_TIME),
	RANGE_FN("last_over_time", PROMQL_FN_LAST_OVER_TIME),
#undef RANGE_FN
	{"absent", PROMQL_FN_ABSENT, 1, {PROMQL_TYPE_VECTOR}, PROMQL_TYPE_VECTOR},
	{"abs", PROMQL_FN_ABS, 1, {PROMQL_TYPE_VECTOR}, PROMQL_TYPE_VECTOR},
	{"clamp_min", PROMQL_FN_CLAMP_MIN, 2,
	 {PROMQL_TYPE_VECTOR, PROMQL_TYPE_SCALAR}, PROMQL_TYPE_VECTOR},
	{"clamp_max", PROMQL_FN_CLAMP_MAX, 2,
	 {PROMQL_TYPE_VECTOR, PROMQL_TYPE_SCALAR}, PROMQL_TYPE_VECTOR},
	{"time", PROMQL_FN_TIME, 0, {0}, PROMQL_TYPE_SCALAR},
};

static const char *const pq_aggs[] = {"sum", "avg", "min", "max", "count"};
/* Prometheus aggregations outside the subset. */
static const char *const pq_other_aggs[] = {
	"topk", "bottomk", "quantile", "count_values", "stddev", "stdvar",
	"group"};
/* Prometheus 2.42's other functions (promql/parser/functions.go): named
 * as outside the subset, not as unknown, so that a rule copied from
 * Prometheus gets a message that says what is missing. */
static const char *const pq_other_fns[] = {
	"absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
	"ceil", "changes", "clamp", "cos", "cosh",
	"day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
	"deriv", "exp", "floor", "histogram_count", "histogram_fraction",
	"histogram_quantile", "histogram_sum", "holt_winters", "hour", "label_join",
	"label_replace", "ln", "log10", "log2", "minute", "month", "pi",
	"predict_linear", "present_over_time", "quantile_over_time", "rad",
	"resets", "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_desc",
	"sqrt", "stddev_over_time", "stdvar_over_time", "tan", "tanh",
	"timestamp", "vector", "year"};

/* Keywords that can never start an expression. */
static const char *const pq_keywords[] = {
	"by",	 "without",    "on",	      "ignoring", "bool", "offset",
	"and",	 "or",	       "unless",      "atan2",	  "group_left",
	"group_right"};

static const char *const pq_binop_str[] = {
	"+", "-", "*", "/", "%", "==", "!=", ">", "<", ">=", "<=",
	"and", "or", "unless"};
static const char *const pq_agg_str[] = {"sum", "avg", "min", "max", "count"};

struct pq_parser {
	struct pq_lexer lx;
	struct promql_error *err;
	int depth;
};

#define TOK (p->lx.tok)

const char *promql_type_name(enum promql_type t)
{
	switch (t) {
	case PROMQL_TYPE_SCALAR: return "scalar";
	case PROMQL_TYPE_VECTOR: return "instant vector";
	case PROMQL_TYPE_MATRIX: return "range vector";
	case PROMQL_TYPE_STRING: return "string";
	}
	return "?";
}

static int next(struct pq_parser *p) { return pq_lex_next(&p->lx); }

static int unexpected(struct pq_parser *p, const char *ctx)
{
	char d[96];
	pq_tok_desc(&p->lx, d, sizeof(d));
	return pq_errf(p->err, TOK.pos, "unexpected %s%s", d, ctx);
}

static bool is_kw(const struct pq_parser *p, const char *w)
{
	return TOK.kind == T_IDENT && TOK.len == strlen(w) &&
	       strncasecmp(p->lx.in + TOK.pos, w, TOK.len) == 0;
}

static int kw_index(const struct pq_parser *p, const char *const *list,
		    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_kw(p, list[i]))
			return (int)i;
	return -1;
}
#define KW_INDEX(p, list) kw_index(p, list, sizeof(list) / sizeof(list[0]))

static struct promql_node *node_new(enum promql_kind k, size_t pos)
{
	struct promql_node *n = calloc(1, sizeof(*n));
	if (n) {
		n->kind = k;
		n->pos = pos;
	}
	return n;
}

static void labels_free(struct promql_labels *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}

void promql_free(struct promql_node *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case PROMQL_NUMBER:
		break;
	case PROMQL_STRING:
		free(n->u.string);
		break;
	case PROMQL_SELECTOR:
		for (size_t i = 0; i < n->u.sel.nmatchers; i++) {
			struct promql_matcher *m = &n->u.sel.matchers[i];
			free(m->name);
			free(m->value);
			hw_regex_free(&m->re);
		}
		free(n->u.sel.matchers);
		free(n->u.sel.name);
		break;
	case PROMQL_CALL:
		for (size_t i = 0; i < n->u.call.nargs; i++)
			promql_free(n->u.call.args[i]);
		break;
	case PROMQL_AGGREGATE:
		promql_free(n->u.agg.expr);
		labels_free(&n->u.agg.grouping);
		break;
	case PROMQL_BINARY:
		promql_free(n->u.binary.lhs);
		promql_free(n->u.binary.rhs);
		labels_free(&n->u.binary.matching);
		break;
	case PROMQL_UNARY:
		promql_free(n->u.unary.expr);
		break;
	case PROMQL_PAREN:
		promql_free(n->u.paren);
		break;
	}
	free(n);
}

static int parse_expr(struct pq_parser *p, int minprec,
		      struct promql_node **out);

/* A label name: an identifier (keywords included) without ':'. */
static int label_name(struct pq_parser *p, const char *ctx, char **out)
{
	if (TOK.kind != T_IDENT ||
	    memchr(p->lx.in + TOK.pos, ':', TOK.len) != NULL)
		return unexpected(p, ctx);
	*out = strndup(p->lx.in + TOK.pos, TOK.len);
	if (!*out)
		return -ENOMEM;
	/* A lexer error in the next token (found by fuzz/fuzz_promql): the
	 * caller has not counted the name yet, so it is ours to free. */
	int r = next(p);
	if (r < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* ( a, b, ) after by/without/on/ignoring. */
static int parse_grouping(struct pq_parser *p, struct promql_labels *l)
{
	int r;
	if (TOK.kind != T_LPAREN)
		return unexpected(p, " in grouping opts, expected \"(\"");
	if ((r = next(p)) < 0)
		return r;
	while (TOK.kind != T_RPAREN) {
		char **grown = realloc(l->names, (l->n + 1) * sizeof(char *));
		if (!grown)
			return -ENOMEM;
		l->names = grown;
		r = label_name(p, " in grouping opts, expected label", &l->names[l->n]);
		if (r < 0)
			return r;
		l->n++;
		if (TOK.kind == T_COMMA) {
			if ((r = next(p)) < 0)
				return r;
		} else if (TOK.kind != T_RPAREN) {
			return unexpected(p, " in grouping opts, expected \",\" or \")\"");
		}
	}
	return next(p);
}

/* Prometheus's labels.Matcher.Matches(""). */
static bool matches_empty(const struct promql_matcher *m)
{
	switch (m->op) {
	case PROMQL_MATCH_EQ: return m->value[0] == '\0';
	case PROMQL_MATCH_NE: return m->value[0] != '\0';
	case PROMQL_MATCH_RE: return hw_regex_match(&m->re, "");
	case PROMQL_MATCH_NRE: return !hw_regex_match(&m->re, "");
	}
	return true;
}

static int parse_matcher(struct pq_parser *p, struct promql_node *n)
{
	struct promql_matcher *m;
	struct promql_matcher *grown = realloc(
		n->u.sel.matchers, (n->u.sel.nmatchers + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	n->u.sel.matchers = grown;
	m = &grown[n->u.sel.nmatchers];
	memset(m, 0, sizeof(*m));
	n->u.sel.nmatchers++; /* freed with the node from here on */
	int r = label_name(p, " in label matching, expected label name", &m->name);
	if (r < 0)
		return r;
	switch (TOK.kind) {
	case T_ASSIGN: m->op = PROMQL_MATCH_EQ; break;
	case T_NEQ: m->op = PROMQL_MATCH_NE; break;
	case T_EQL_REGEX: m->op = PROMQL_MATCH_RE; break;
	case T_NEQ_REGEX: m->op = PROMQL_MATCH_NRE; break;
	default:
		return unexpected(p, " in label matching, expected label matching operator");
	}
	if ((r = next(p)) < 0)
		return r;
	if (TOK.kind != T_STRING)
		return unexpected(p, " in label matching, expected string");
	m->value = TOK.str;
	TOK.str = NULL;
	if (m->op == PROMQL_MATCH_RE || m->op == PROMQL_MATCH_NRE) {
		size_t len = strlen(m->value);
		char *anchored = malloc(len + 8), msg[200];
		if (!anchored)
			return -ENOMEM;
		snprintf(anchored, len + 8, "^(?:%s)$", m->value);
		r = hw_regex_compile(&m->re, anchored, msg, sizeof(msg));
		free(anchored);
		if (r < 0)
			return pq_errf(p->err, TOK.pos, "error parsing regexp: %s", msg);
	}
	return next(p);
}

/* name{...} or {...}; TOK is the token after the name (or the '{'). */
static int parse_selector(struct pq_parser *p, char *name, size_t pos,
			  struct promql_node **out)
{
	int r = 0;
	struct promql_node *n = node_new(PROMQL_SELECTOR, pos);
	if (!n) {
		free(name);
		return -ENOMEM;
	}
	n->type = PROMQL_TYPE_VECTOR;
	n->u.sel.name = name;
	if (TOK.kind == T_LBRACE) {
		if ((r = next(p)) < 0)
			goto out;
		while (TOK.kind != T_RBRACE) {
			if ((r = parse_matcher(p, n)) < 0)
				goto out;
			if (TOK.kind == T_COMMA) {
				if ((r = next(p)) < 0)
					goto out;
			} else if (TOK.kind != T_RBRACE) {
				r = unexpected(p, " in label matching, expected \",\" or \"}\"");
				goto out;
			}
		}
		if ((r = next(p)) < 0)
			goto out;
	}
	bool non_empty = name != NULL;
	for (size_t i = 0; i < n->u.sel.nmatchers; i++) {
		const struct promql_matcher *m = &n->u.sel.matchers[i];
		if (name && strcmp(m->name, "__name__") == 0) {
			r = pq_errf(p->err, pos,
				    "metric name must not be set twice: \"%s\" or \"%s\"",
				    name, m->value);
			goto out;
		}
		if (!matches_empty(m))
			non_empty = true;
	}
	if (!non_empty)
		r = pq_errf(p->err, pos,
			    "vector selector must contain at least one non-empty matcher");
out:
	if (r < 0)
		promql_free(n);
	else
		*out = n;
	return r;
}

static int parse_call(struct pq_parser *p, struct promql_node **out)
{
	size_t pos = TOK.pos, nargs = 0, i;
	const struct pq_fn *fn = NULL;
	int r;
	for (i = 0; i < sizeof(pq_fns) / sizeof(pq_fns[0]); i++)
		if (strlen(pq_fns[i].name) == TOK.len &&
		    memcmp(pq_fns[i].name, p->lx.in + pos, TOK.len) == 0)
			fn = &pq_fns[i];
	if (!fn) {
		for (i = 0; i < sizeof(pq_other_fns) / sizeof(pq_other_fns[0]); i++)
			if (strlen(pq_other_fns[i]) == TOK.len &&
			    memcmp(pq_other_fns[i], p->lx.in + pos, TOK.len) == 0)
				return pq_errf(p->err, pos,
					       "function \"%s\" is not supported",
					       pq_other_fns[i]);
		return pq_errf(p->err, pos, "unknown function with name \"%.*s\"",
			       (int)TOK.len, p->lx.in + pos);
	}
	struct promql_node *n = node_new(PROMQL_CALL, pos);
	if (!n)
		return -ENOMEM;
	n->type = fn->ret;
	n->u.call.func = fn->func;
	n->u.call.name = fn->name;
	if ((r = next(p)) < 0 || (r = next(p)) < 0) /* name, '(' */
		goto out;
	while (TOK.kind != T_RPAREN) {
		struct promql_node *a;
		if ((r = parse_expr(p, 0, &a)) < 0)
			goto out;
		if (nargs < 2)
			n->u.call.args[n->u.call.nargs++] = a;
		else
			promql_free(a);
		nargs++;
		if (TOK.kind == T_COMMA) {
			if ((r = next(p)) < 0)
				goto out;
		} else if (TOK.kind != T_RPAREN) {
			r = unexpected(p, " in call to function, expected \",\" or \")\"");
			goto out;
		}
	}
	if ((r = next(p)) < 0)
		goto out;
	if (nargs != fn->nargs) {
		r = pq_errf(p->err, pos,
			    "expected %zu argument(s) in call to \"%s\", got %zu",
			    fn->nargs, fn->name, nargs);
		goto out;
	}
	for (i = 0; i < nargs; i++) {
		const struct promql_node *a = n->u.call.args[i];
		if (a->type != fn->args[i]) {
			r = pq_errf(p->err, a->pos,
				    "expected type %s in call to function \"%s\", got %s",
				    promql_type_name(fn->args[i]), fn->name,
				    promql_type_name(a->type));
			goto out;
		}
	}
out:
	if (r < 0)
		promql_free(n);
	else
		*out = n;
	return r;
}

static int parse_agg_modifier(struct pq_parser *p, struct promql_node *n)
{
	int r;
	n->u.agg.has_grouping = true;
	n->u.agg.without = is_kw(p, "without");
	if ((r = next(p)) < 0)
		return r;
	return parse_grouping(p, &n->u.agg.grouping);
}

static int parse_aggregate(struct pq_parser *p, int op,
			   struct promql_node **out)
{
	size_t pos = TOK.pos, nargs = 0;
	int r;
	struct promql_node *n = node_new(PROMQL_AGGREGATE, pos);
	if (!n)
		return -ENOMEM;
	n->type = PROMQL_TYPE_VECTOR;
	n->u.agg.op = (enum promql_aggop)op;
	if ((r = next(p)) < 0)
		goto out;
	if ((is_kw(p, "by") || is_kw(p, "without")) &&
	    (r = parse_agg_modifier(p, n)) < 0)
		goto out;
	if (TOK.kind != T_LPAREN) {
		r = unexpected(p, " in aggregation, expected \"(\"");
		goto out;
	}
	if ((r = next(p)) < 0)
		goto out;
	while (TOK.kind != T_RPAREN) {
		struct promql_node *a;
		if ((r = parse_expr(p, 0, &a)) < 0)
			goto out;
		if (nargs++ == 0)
			n->u.agg.expr = a;
		else
			promql_free(a);
		if (TOK.kind == T_COMMA) {
			if ((r = next(p)) < 0)
				goto out;
		} else if (TOK.kind != T_RPAREN) {
			r = unexpected(p, " in aggregation, expected \",\" or \")\"");
			goto out;
		}
	}
	if (nargs == 0) {
		r = pq_errf(p->err, pos, "no arguments for aggregate expression provided");
		goto out;
	}
	if (nargs > 1) {
		r = pq_errf(p->err, pos,
			    "wrong number of arguments for aggregate expression provided, expected 1, got %zu",
			    nargs);
		goto out;
	}
	if ((r = next(p)) < 0)
		goto out;
	if (!n->u.agg.has_grouping && (is_kw(p, "by") || is_kw(p, "without")) &&
	    (r = parse_agg_modifier(p, n)) < 0)
		goto out;
	if (n->u.agg.expr->type != PROMQL_TYPE_VECTOR)
		r = pq_errf(p->err, n->u.agg.expr->pos,
			    "expected type instant vector in aggregation expression, got %s",
			    promql_type_name(n->u.agg.expr->type));
out:
	if (r < 0)
		promql_free(n);
	else
		*out = n;
	return r;
}

/* Hand out n once the token after it is read: when that fails (an invalid
 * byte right after a number, "2\xdd", found by fuzz/fuzz_promql) the
 * caller gets nothing and n is freed here, not leaked. */
static int primary_done(struct pq_parser *p, struct promql_node *n,
			struct promql_node **out)
{
	int r = next(p);
	if (r < 0) {
		promql_free(n);
		return r;
	}
	*out = n;
	return 0;
}

static int parse_primary(struct pq_parser *p, struct promql_node **out)
{
	struct promql_node *n;
	size_t pos = TOK.pos;
	int r, i;
	switch (TOK.kind) {
	case T_NUMBER:
		if (!(n = node_new(PROMQL_NUMBER, pos)))
			return -ENOMEM;
		n->type = PROMQL_TYPE_SCALAR;
		n->u.number = TOK.num;
		return primary_done(p, n, out);
	case T_STRING:
		if (!(n = node_new(PROMQL_STRING, pos)))
			return -ENOMEM;
		n->type = PROMQL_TYPE_STRING;
		n->u.string = TOK.str;
		TOK.str = NULL;
		return primary_done(p, n, out);
	case T_LPAREN:
		if ((r = next(p)) < 0 || (r = parse_expr(p, 0, &n)) < 0)
			return r;
		if (TOK.kind != T_RPAREN) {
			promql_free(n);
			if (TOK.kind == T_EOF)
				return pq_errf(p->err, pos, "unclosed left parenthesis");
			return unexpected(p, ", expected \")\"");
		}
		struct promql_node *pn = node_new(PROMQL_PAREN, pos);
		if (!pn) {
			promql_free(n);
			return -ENOMEM;
		}
		pn->type = n->type;
		pn->u.paren = n;
		return primary_done(p, pn, out);
	case T_LBRACE:
		return parse_selector(p, NULL, pos, out);
	case T_IDENT:
		break;
	default:
		return unexpected(p, "");
	}
	if ((i = KW_INDEX(p, pq_aggs)) >= 0)
		return parse_aggregate(p, i, out);
	if ((i = KW_INDEX(p, pq_other_aggs)) >= 0)
		return pq_errf(p->err, pos, "aggregation \"%s\" is not supported",
			       pq_other_aggs[i]);
	if (is_kw(p, "inf") || is_kw(p, "nan")) {
		if (!(n = node_new(PROMQL_NUMBER, pos)))
			return -ENOMEM;
		n->type = PROMQL_TYPE_SCALAR;
		n->u.number = is_kw(p, "inf") ? INFINITY : NAN;
		return primary_done(p, n, out);
	}
	if (KW_INDEX(p, pq_keywords) >= 0)
		return unexpected(p, "");
	/* An identifier followed by '(' is a call (lex.go peeks the same). */
	size_t after = TOK.pos + TOK.len;
	while (after < p->lx.len && strchr(" \t\r\n", p->lx.in[after]))
		after++;
	if (after < p->lx.len && p->lx.in[after] == '(')
		return parse_call(p, out);
	char *name = strndup(p->lx.in + pos, TOK.len);
	if (!name)
		return -ENOMEM;
	if ((r = next(p)) < 0) {
		free(name);
		return r;
	}
	return parse_selector(p, name, pos, out);
}

/* primary [duration] */
static int parse_postfix(struct pq_parser *p, struct promql_node **out)
{
	struct promql_node *n;
	int r = parse_primary(p, &n);
	if (r < 0)
		return r;
	while (TOK.kind == T_LBRACKET) {
		size_t lb = TOK.pos;
		int64_t ms;
		if ((r = pq_lex_duration(&p->lx, &ms)) < 0)
			goto fail;
		/* ':' would start an identifier: lex.go lexes it as COLON here. */
		if (TOK.kind == T_COLON ||
		    (TOK.kind == T_IDENT && p->lx.in[TOK.pos] == ':')) {
			r = pq_errf(p->err, TOK.pos, "subqueries are not supported");
			goto fail;
		}
		if (TOK.kind != T_RBRACKET) {
			r = unexpected(p, " in range, expected \"]\"");
			goto fail;
		}
		if (n->kind != PROMQL_SELECTOR || n->u.sel.range_ms) {
			r = pq_errf(p->err, lb, "ranges only allowed for vector selectors");
			goto fail;
		}
		n->u.sel.range_ms = ms;
		n->type = PROMQL_TYPE_MATRIX;
		if ((r = next(p)) < 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	promql_free(n);
	return r;
}

static int parse_unary(struct pq_parser *p, struct promql_node **out)
{
	int r;
	if (++p->depth > PROMQL_MAX_DEPTH) {
		r = pq_errf(p->err, TOK.pos,
			    "expression nesting too deep (more than %d levels)",
			    PROMQL_MAX_DEPTH);
		goto done;
	}
	if (TOK.kind != T_ADD && TOK.kind != T_SUB) {
		r = parse_postfix(p, out);
		goto done;
	}
	size_t pos = TOK.pos;
	char op = TOK.kind == T_SUB ? '-' : '+';
	struct promql_node *e, *n;
	if ((r = next(p)) < 0 || (r = parse_unary(p, &e)) < 0)
		goto done;
	if (e->kind == PROMQL_NUMBER) { /* generated_parser.y folds these */
		if (op == '-')
			e->u.number = -e->u.number;
		e->pos = pos;
		*out = e;
		goto done;
	}
	if (e->type != PROMQL_TYPE_SCALAR && e->type != PROMQL_TYPE_VECTOR) {
		r = pq_errf(p->err, pos,
			    "unary expression only allowed on expressions of type scalar or instant vector");
		promql_free(e);
		goto done;
	}
	if (!(n = node_new(PROMQL_UNARY, pos))) {
		promql_free(e);
		r = -ENOMEM;
		goto done;
	}
	n->type = e->type;
	n->u.unary.op = op;
	n->u.unary.expr = e;
	*out = n;
done:
	p->depth--;
	return r;
}

/* The binary operator at TOK and its precedence, or -1. */
static int binop(const struct pq_parser *p, enum promql_binop *op)
{
	switch (TOK.kind) {
	case T_ADD: *op = PROMQL_OP_ADD; return 4;
	case T_SUB: *op = PROMQL_OP_SUB; return 4;
	case T_MUL: *op = PROMQL_OP_MUL; return 5;
	case T_DIV: *op = PROMQL_OP_DIV; return 5;
	case T_MOD: *op = PROMQL_OP_MOD; return 5;
	case T_EQLC: *op = PROMQL_OP_EQ; return 3;
	case T_NEQ: *op = PROMQL_OP_NE; return 3;
	case T_GTR: *op = PROMQL_OP_GT; return 3;
	case T_LSS: *op = PROMQL_OP_LT; return 3;
	case T_GTE: *op = PROMQL_OP_GE; return 3;
	case T_LTE: *op = PROMQL_OP_LE; return 3;
	default: break;
	}
	if (is_kw(p, "and")) {
		*op = PROMQL_OP_AND;
		return 2;
	}
	if (is_kw(p, "unless")) {
		*op = PROMQL_OP_UNLESS;
		return 2;
	}
	if (is_kw(p, "or")) {
		*op = PROMQL_OP_OR;
		return 1;
	}
	return -1;
}

/* Features outside the subset, where an operator could stand. */
static int unsupported(struct pq_parser *p)
{
	if (TOK.kind == T_POW)
		return pq_errf(p->err, TOK.pos, "operator \"^\" is not supported");
	if (TOK.kind == T_AT)
		return pq_errf(p->err, TOK.pos, "@ modifier is not supported");
	if (is_kw(p, "offset"))
		return pq_errf(p->err, TOK.pos, "offset modifier is not supported");
	if (is_kw(p, "atan2"))
		return pq_errf(p->err, TOK.pos, "operator \"atan2\" is not supported");
	return 0;
}

static size_t height(const struct promql_node *n)
{
	size_t h = 1;
	while (n->kind == PROMQL_BINARY) { /* left spine: chains of a+b+c */
		h++;
		n = n->u.binary.lhs;
	}
	return h;
}

/* parse.go checkAST for BinaryExpr. */
static int check_binary(struct pq_parser *p, struct promql_node *n)
{
	struct promql_node *l = n->u.binary.lhs, *rr = n->u.binary.rhs;
	enum promql_binop op = n->u.binary.op;
	bool cmp = op >= PROMQL_OP_EQ && op <= PROMQL_OP_LE;
	bool set = op >= PROMQL_OP_AND;
	size_t at = n->u.binary.op_pos;
	if (n->u.binary.return_bool && !cmp)
		return pq_errf(p->err, at, "bool modifier can only be used on comparison operators");
	if (cmp && !n->u.binary.return_bool && l->type == PROMQL_TYPE_SCALAR &&
	    rr->type == PROMQL_TYPE_SCALAR)
		return pq_errf(p->err, at, "comparisons between scalars must use BOOL modifier");
	if (l->type != PROMQL_TYPE_SCALAR && l->type != PROMQL_TYPE_VECTOR)
		return pq_errf(p->err, l->pos, "binary expression must contain only scalar and instant vector types");
	if (rr->type != PROMQL_TYPE_SCALAR && rr->type != PROMQL_TYPE_VECTOR)
		return pq_errf(p->err, rr->pos, "binary expression must contain only scalar and instant vector types");
	if (l->type != PROMQL_TYPE_VECTOR || rr->type != PROMQL_TYPE_VECTOR) {
		if (n->u.binary.matching.n > 0)
			return pq_errf(p->err, at, "vector matching only allowed between instant vectors");
		n->u.binary.has_matching = false; /* Prometheus drops on() */
	}
	if (set && (l->type == PROMQL_TYPE_SCALAR || rr->type == PROMQL_TYPE_SCALAR))
		return pq_errf(p->err, at,
			       "set operator \"%s\" not allowed in binary scalar expression",
			       pq_binop_str[op]);
	n->type = l->type == PROMQL_TYPE_SCALAR && rr->type == PROMQL_TYPE_SCALAR
			  ? PROMQL_TYPE_SCALAR
			  : PROMQL_TYPE_VECTOR;
	if (height(n) > PROMQL_MAX_DEPTH)
		return pq_errf(p->err, at,
			       "expression nesting too deep (more than %d levels)",
			       PROMQL_MAX_DEPTH);
	return 0;
}

static int parse_expr(struct pq_parser *p, int minprec,
		      struct promql_node **out)
{
	struct promql_node *lhs, *n = NULL;
	enum promql_binop op;
	int prec, r = parse_unary(p, &lhs);
	if (r < 0)
		return r;
	for (;;) {
		if ((prec = binop(p, &op)) < 0) {
			r = unsupported(p);
			break;
		}
		if (prec < minprec)
			break;
		if (!(n = node_new(PROMQL_BINARY, lhs->pos))) {
			r = -ENOMEM;
			break;
		}
		n->u.binary.op = op;
		n->u.binary.op_pos = TOK.pos;
		n->u.binary.lhs = lhs;
		lhs = n;
		if ((r = next(p)) < 0)
			break;
		if (is_kw(p, "bool")) {
			n->u.binary.return_bool = true;
			if ((r = next(p)) < 0)
				break;
		}
		if (is_kw(p, "on") || is_kw(p, "ignoring")) {
			n->u.binary.has_matching = true;
			n->u.binary.on = is_kw(p, "on");
			if ((r = next(p)) < 0 ||
			    (r = parse_grouping(p, &n->u.binary.matching)) < 0)
				break;
		}
		if (is_kw(p, "group_left") || is_kw(p, "group_right")) {
			r = pq_errf(p->err, TOK.pos, "%s is not supported",
				    is_kw(p, "group_left") ? "group_left" : "group_right");
			break;
		}
		/* Left-associative: the right side binds only tighter ops. */
		if ((r = parse_expr(p, prec + 1, &n->u.binary.rhs)) < 0 ||
		    (r = check_binary(p, n)) < 0)
			break;
	}
	if (r < 0) {
		promql_free(lhs);
		return r;
	}
	*out = lhs;
	return 0;
}

int promql_parse(const char *expr, struct promql_node **out,
		 struct promql_error *err)
{
	struct pq_parser p = {.err = err};
	struct promql_node *n = NULL;
	size_t len = strlen(expr);
	int r;
	*out = NULL;
	err->column = 0;
	err->msg[0] = '\0';
	if (len > PROMQL_MAX_LEN)
		return pq_errf(err, PROMQL_MAX_LEN,
			       "expression too long (more than %d bytes)",
			       PROMQL_MAX_LEN);
	p.lx.in = expr;
	p.lx.len = len;
	p.lx.err = err;
	if ((r = next(&p)) < 0)
		goto out;
	if (p.lx.tok.kind == T_EOF) {
		r = pq_errf(err, p.lx.tok.pos, "no expression found in input");
		goto out;
	}
	if ((r = parse_expr(&p, 0, &n)) < 0)
		goto out;
	if (p.lx.tok.kind != T_EOF) {
		r = unexpected(&p, "");
		goto out;
	}
	if (n->type == PROMQL_TYPE_STRING)
		r = pq_errf(err, n->pos, "string literals are only supported as label values");
out:
	pq_lex_free(&p.lx);
	if (r == -ENOMEM)
		pq_errf(err, 0, "out of memory");
	if (r < 0) {
		promql_free(n);
		return r;
	}
	*out = n;
	return 0;
}

/* Go's strconv.Quote, enough to read back: escapes for quotes, backslash
 * and control bytes; other bytes as they are. */
static void format_string(struct hw_buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(b, "\\x%02x", c);
			else
				buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

/* The shortest %g that reads back as the same double. */
static void format_number(struct hw_buf *b, double v)
{
	char tmp[64];
	if (isnan(v)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v < 0 ? "-Inf" : "Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	buf_puts(b, tmp);
}

static void format_labels(struct hw_buf *b, const struct promql_labels *l)
{
	buf_putc(b, '(');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_puts(b, ", ");
		buf_puts(b, l->names[i]);
	}
	buf_putc(b, ')');
}

static void format_node(const struct promql_node *n, struct hw_buf *b)
{
	static const char *const match_str[] = {"=", "!=", "=~", "!~"};
	switch (n->kind) {
	case PROMQL_NUMBER:
		format_number(b, n->u.number);
		break;
	case PROMQL_STRING:
		format_string(b, n->u.string);
		break;
	case PROMQL_SELECTOR:
		if (n->u.sel.name)
			buf_puts(b, n->u.sel.name);
		if (n->u.sel.nmatchers) {
			buf_putc(b, '{');
			for (size_t i = 0; i < n->u.sel.nmatchers; i++) {
				const struct promql_matcher *m = &n->u.sel.matchers[i];
				if (i)
					buf_puts(b, ", ");
				buf_puts(b, m->name);
				buf_puts(b, match_str[m->op]);
				format_string(b, m->value);
			}
			buf_putc(b, '}');
		}
		if (n->u.sel.range_ms) {
			buf_putc(b, '[');
			pq_format_duration(n->u.sel.range_ms, b);
			buf_putc(b, ']');
		}
		break;
	case PROMQL_CALL:
		buf_puts(b, n->u.call.name);
		buf_putc(b, '(');
		for (size_t i = 0; i < n->u.call.nargs; i++) {
			if (i)
				buf_puts(b, ", ");
			format_node(n->u.call.args[i], b);
		}
		buf_putc(b, ')');
		break;
	case PROMQL_AGGREGATE:
		buf_puts(b, pq_agg_str[n->u.agg.op]);
		if (n->u.agg.has_grouping) {
			buf_puts(b, n->u.agg.without ? " without " : " by ");
			format_labels(b, &n->u.agg.grouping);
			buf_putc(b, ' ');
		}
		buf_putc(b, '(');
		format_node(n->u.agg.expr, b);
		buf_putc(b, ')');
		break;
	case PROMQL_BINARY:
		format_node(n->u.binary.lhs, b);
		buf_putc(b, ' ');
		buf_puts(b, pq_binop_str[n->u.binary.op]);
		if (n->u.binary.return_bool)
			buf_puts(b, " bool");
		if (n->u.binary.has_matching) {
			buf_puts(b, n->u.binary.on ? " on " : " ignoring ");
			format_labels(b, &n->u.binary.matching);
		}
		buf_putc(b, ' ');
		format_node(n->u.binary.rhs, b);
		break;
	case PROMQL_UNARY:
		buf_putc(b, n->u.unary.op);
		format_node(n->u.unary.expr, b);
		break;
	case PROMQL_PAREN:
		buf_putc(b, '(');
		format_node(n->u.paren, b);
		buf_putc(b, ')');
		break;
	}
}

int promql_format(const struct promql_node *n, struct hw_buf *b)
{
	format_node(n, b);
	return b->failed ? -ENOMEM : 0;
}

static void collect(const struct promql_node *n, const struct promql_node **out,
		    size_t max, size_t *count)
{
	switch (n->kind) {
	case PROMQL_SELECTOR:
		if (*count < max)
			out[*count] = n;
		(*count)++;
		break;
	case PROMQL_CALL:
		for (size_t i = 0; i < n->u.call.nargs; i++)
			collect(n->u.call.args[i], out, max, count);
		break;
	case PROMQL_AGGREGATE:
		collect(n->u.agg.expr, out, max, count);
		break;
	case PROMQL_BINARY:
		collect(n->u.binary.lhs, out, max, count);
		collect(n->u.binary.rhs, out, max, count);
		break;
	case PROMQL_UNARY:
		collect(n->u.unary.expr, out, max, count);
		break;
	case PROMQL_PAREN:
		collect(n->u.paren, out, max, count);
		break;
	default:
		break;
	}
}

size_t promql_selectors(const struct promql_node *n,
			const struct promql_node **out, size_t max)
{
	size_t count = 0;
	if (n)
		collect(n, out, max, &count);
	return count;
}

bool promql_matcher_matches(const struct promql_matcher *m, const char *value)
{
	switch (m->op) {
	case PROMQL_MATCH_EQ:
		return strcmp(value, m->value) == 0;
	case PROMQL_MATCH_NE:
		return strcmp(value, m->value) != 0;
	case PROMQL_MATCH_RE:
		return hw_regex_match(&m->re, value);
	case PROMQL_MATCH_NRE:
		return !hw_regex_match(&m->re, value);
	}
	return false;
}
