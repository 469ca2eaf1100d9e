/* The rule engine's PromQL subset: lexer, parser and type checker (no
 * evaluation). Semantics follow Prometheus 2.42's promql/parser (lex.go,
 * generated_parser.y, parse.go's checkAST); everything outside the subset is
 * rejected with a message naming the construct, never parsed differently.
 *
 * Subset: vector selectors with = != =~ !~ matchers (regexes in Go syntax,
 * anchored ^(?:re)$ as Prometheus anchors them), range selectors, number
 * literals, string literals (label values), the functions listed in
 * promql_parse.c, sum/avg/min/max/count with by/without, binary operators
 * except ^ with bool and on/ignoring (one-to-one), unary -/+, parentheses. */
#ifndef HOSTWATCH_PROMQL_H
#define HOSTWATCH_PROMQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/regex.h"

#define PROMQL_MAX_LEN 65536 /* bytes of expression text */
#define PROMQL_MAX_DEPTH 100 /* nested sub-expressions */

enum promql_type {
	PROMQL_TYPE_SCALAR,
	PROMQL_TYPE_VECTOR, /* instant vector */
	PROMQL_TYPE_MATRIX, /* range vector */
	PROMQL_TYPE_STRING,
};

enum promql_kind {
	PROMQL_NUMBER,
	PROMQL_STRING,
	PROMQL_SELECTOR, /* instant or (range_ms > 0) range vector selector */
	PROMQL_CALL,
	PROMQL_AGGREGATE,
	PROMQL_BINARY,
	PROMQL_UNARY,
	PROMQL_PAREN,
};

enum promql_match_op {
	PROMQL_MATCH_EQ,  /* = */
	PROMQL_MATCH_NE,  /* != */
	PROMQL_MATCH_RE,  /* =~ */
	PROMQL_MATCH_NRE, /* !~ */
};

enum promql_binop {
	PROMQL_OP_ADD,
	PROMQL_OP_SUB,
	PROMQL_OP_MUL,
	PROMQL_OP_DIV,
	PROMQL_OP_MOD,
	PROMQL_OP_EQ,
	PROMQL_OP_NE,
	PROMQL_OP_GT,
	PROMQL_OP_LT,
	PROMQL_OP_GE,
	PROMQL_OP_LE,
	PROMQL_OP_AND,
	PROMQL_OP_OR,
	PROMQL_OP_UNLESS,
};

enum promql_func {
	PROMQL_FN_RATE,
	PROMQL_FN_IRATE,
	PROMQL_FN_INCREASE,
	PROMQL_FN_DELTA,
	PROMQL_FN_IDELTA,
	PROMQL_FN_AVG_OVER_TIME,
	PROMQL_FN_MIN_OVER_TIME,
	PROMQL_FN_MAX_OVER_TIME,
	PROMQL_FN_SUM_OVER_TIME,
	PROMQL_FN_COUNT_OVER_TIME,
	PROMQL_FN_LAST_OVER_TIME,
	PROMQL_FN_ABSENT,
	PROMQL_FN_ABS,
	PROMQL_FN_CLAMP_MIN,
	PROMQL_FN_CLAMP_MAX,
	PROMQL_FN_TIME,
};

enum promql_aggop {
	PROMQL_AGG_SUM,
	PROMQL_AGG_AVG,
	PROMQL_AGG_MIN,
	PROMQL_AGG_MAX,
	PROMQL_AGG_COUNT,
};

struct promql_matcher {
	char *name;
	char *value;
	enum promql_match_op op;
	struct hw_regex re; /* compiled ^(?:value)$ for =~ and !~ */
};

/* A list of label names (by/without/on/ignoring). */
struct promql_labels {
	char **names;
	size_t n;
};

struct promql_node {
	enum promql_kind kind;
	enum promql_type type;
	size_t pos; /* byte offset of the node's first token */
	union {
		double number;
		char *string;
		struct {
			char *name; /* NULL for {…}-only selectors */
			struct promql_matcher *matchers;
			size_t nmatchers;
			int64_t range_ms; /* 0: instant vector selector */
		} sel;
		struct {
			enum promql_func func;
			const char *name;
			struct promql_node *args[2];
			size_t nargs;
		} call;
		struct {
			enum promql_aggop op;
			struct promql_node *expr;
			bool has_grouping;
			bool without;
			struct promql_labels grouping;
		} agg;
		struct {
			enum promql_binop op;
			size_t op_pos;
			struct promql_node *lhs, *rhs;
			bool return_bool;
			bool has_matching; /* on(...) or ignoring(...) given */
			bool on;           /* on; else ignoring */
			struct promql_labels matching;
		} binary;
		struct {
			char op; /* '-' or '+' */
			struct promql_node *expr;
		} unary;
		struct promql_node *paren;
	} u;
};

struct promql_error {
	size_t column; /* 1-based: byte offset of the offending token + 1 */
	char msg[256];
};

/* Parse `expr` (NUL-terminated). 0 and *out set (free with promql_free);
 * -EINVAL with err filled for a parse or type error; -ENOMEM. *out is NULL
 * on any error. */
int promql_parse(const char *expr, struct promql_node **out,
		 struct promql_error *err);

/* Free a tree from promql_parse (NULL is fine). */
void promql_free(struct promql_node *n);

/* Append the canonical text of `n` to `b`: parsing it again gives the same
 * tree. 0, or -ENOMEM when the buffer failed. */
int promql_format(const struct promql_node *n, struct hw_buf *b);

/* Every vector selector of the tree, left to right: stores up to `max` of
 * them in out[] and returns how many there are in all. */
size_t promql_selectors(const struct promql_node *n,
			const struct promql_node **out, size_t max);

/* Whether `value` (the label's value, "" when the label is absent, as
 * Prometheus's model/labels/matcher.go is given) satisfies matcher m. */
bool promql_matcher_matches(const struct promql_matcher *m, const char *value);

/* "scalar", "instant vector", "range vector", "string". */
const char *promql_type_name(enum promql_type t);

#endif
