/* Shared between the PromQL lexer and parser; nothing else includes it. */
#ifndef HOSTWATCH_PROMQL_INTERNAL_H
#define HOSTWATCH_PROMQL_INTERNAL_H

#include "hostwatch/promql.h"

enum pq_tok_kind {
	T_EOF,
	T_IDENT, /* identifiers and keywords: the parser tells them apart */
	T_NUMBER,
	T_DURATION,
	T_STRING,
	T_LPAREN,
	T_RPAREN,
	T_LBRACE,
	T_RBRACE,
	T_LBRACKET,
	T_RBRACKET,
	T_COMMA,
	T_COLON,
	T_AT,
	T_ADD,
	T_SUB,
	T_MUL,
	T_DIV,
	T_MOD,
	T_POW,
	T_ASSIGN, /* = */
	T_EQLC,   /* == */
	T_NEQ,
	T_LSS,
	T_GTR,
	T_LTE,
	T_GTE,
	T_EQL_REGEX,
	T_NEQ_REGEX,
};

struct pq_tok {
	enum pq_tok_kind kind;
	size_t pos, len;
	double num;   /* T_NUMBER */
	char *str;    /* T_STRING: decoded, owned by the lexer until taken */
};

struct pq_lexer {
	const char *in;
	size_t len, pos;
	struct pq_tok tok;
	struct promql_error *err;
};

/* Set err (column = pos + 1) and return -EINVAL. */
int pq_errf(struct promql_error *err, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Advance to the next token: 0, -EINVAL (err set) or -ENOMEM. */
int pq_lex_next(struct pq_lexer *lx);
/* Lex a duration right after a '[' (lx->pos is just past it) into *ms, and
 * advance to the token after it. */
int pq_lex_duration(struct pq_lexer *lx, int64_t *ms);
void pq_lex_free(struct pq_lexer *lx);

/* "ident", "number \"1\"", "\"]\"": how an error names the current token. */
void pq_tok_desc(const struct pq_lexer *lx, char *out, size_t size);

/* model.ParseDuration of a whole NUL-terminated string: 0 or -EINVAL. */
int promql_parse_duration(const char *s, int64_t *ms);

/* model.Duration's String(): 1h30m, 5m, 1d. */
void pq_format_duration(int64_t ms, struct hw_buf *b);

#endif
