/* Shared by the template files (template.c: parser and evaluator,
 * template_fmt.c: Go's fmt for the values templates print,
 * template_funcs.c: Prometheus's template functions); nothing else
 * includes it. */
#ifndef HOSTWATCH_TEMPLATE_INTERNAL_H
#define HOSTWATCH_TEMPLATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/labels.h"

/* The Go types a value can have in an alert template. */
enum tv_kind {
	TV_NONE, /* no value (a declaration) */
	TV_STR,
	TV_FLOAT,   /* float64 */
	TV_INT,     /* untyped integer constants are int */
	TV_LABELS,  /* $labels: map[string]string */
	TV_EMPTYMAP, /* $externalLabels: an empty map[string]string */
	TV_DATA,    /* dot: the template data struct */
};

struct tv {
	enum tv_kind k;
	const char *s; /* TV_STR: NUL-terminated, owned by the context */
	double f;
	long long i;
	const struct hw_labels *labels; /* TV_LABELS (may be NULL: empty) */
};

/* Go's name of a value's type, for fmt's %!v(TYPE=...) and errors. */
const char *tv_type_name(const struct tv *v);

/* fmt.Fprint of one value (%v). */
void tv_print(struct hw_buf *b, const struct tv *v);
/* fmt.Sprint / fmt.Sprintln of several. */
void tv_sprint(struct hw_buf *b, const struct tv *args, size_t n, bool ln);
/* fmt.Sprintf(format, args...). */
void tv_sprintf(struct hw_buf *b, const char *format, const struct tv *args,
		size_t n);
/* Go's %.4g (C's, except for "+Inf", "-Inf", "NaN"). */
void tv_fmt_g4(struct hw_buf *b, double v);

/* Template functions (template_funcs.c): the string result appended to
 * `out`, or -EINVAL with the Go error text in err (the evaluator adds
 * "error calling NAME: "). Argument types are checked by the evaluator
 * first: `types` has one letter per argument, 'f' float64 or string
 * (convertToFloat), 's' string, 'x' anything; a trailing '*' repeats 'x'. */
struct tfunc {
	const char *name;
	const char *types;
	int (*fn)(const struct tv *args, size_t n, struct hw_buf *out,
		  char *err, size_t errsize);
};
/* The function called `name` (len bytes), or NULL. *unsupported is set
 * for Prometheus functions hostwatch does not implement. */
const struct tfunc *tfunc_find(const char *name, size_t len,
			       bool *unsupported);

/* The evaluator's state (template.c, template_lex.c). Prometheus's prefix
 * of variable definitions is PREFIX_LEN bytes on line 1: Go's error
 * columns on that line count it. */
#define PREFIX_LEN 112 /* Prometheus's variable definitions, see above */
#define MAX_VARS 32
#define MAX_ARGS 16
#define MAX_DEPTH 32

enum tk {
	K_EOF, /* end of the template inside an action */
	K_RDELIM,
	K_PIPE,
	K_LPAREN,
	K_RPAREN,
	K_STRING,
	K_NUMBER,
	K_VAR,
	K_FIELD,
	K_DOT,
	K_IDENT,
	K_DECLARE,
	K_ASSIGN,
};

struct tvar {
	const char *name;
	size_t len;
	struct tv v;
};

struct tctx {
	const char *t;
	size_t len, pos;
	enum tk tok;
	size_t tpos, tlen; /* current token */
	bool trim_right;   /* the action ended with " -}}" */
	const char *name;
	bool exec;
	const struct hw_labels *labels;
	double value;
	struct hw_buf *out;
	char *err;
	size_t errsize;
	struct tvar vars[MAX_VARS];
	size_t nvars;
	char **allocs;
	size_t nallocs, acap;
	int depth;
};

bool tmpl_is_space(char c);
bool tmpl_is_alnum(char c);
/* A parse error: "template: NAME:LINE: msg" in c->err; -EINVAL. */
int tmpl_perr(struct tctx *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A run-time error at `pos` (Go's node position) naming the node text
 * [npos, npos+nlen): "template: NAME:LINE:COL: executing ..."; -EINVAL. */
int tmpl_xerr(struct tctx *c, size_t pos, size_t npos, size_t nlen,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Keep a malloc'd string (or a copy of s[0..n)) alive until ctx_free;
 * NULL on ENOMEM. */
const char *tmpl_keep(struct tctx *c, char *s);
const char *tmpl_strndup(struct tctx *c, const char *s, size_t n);
/* lex.go lexInsideAction: the next token into c->tok/tpos/tlen; 0 or
 * -EINVAL (c->err set). */
int tmpl_lex(struct tctx *c);
/* strconv.Unquote of the current K_STRING token, appended to b. */
int tmpl_unquote(struct tctx *c, struct hw_buf *b);
/* parse.go's number node as an untyped constant: int without a fraction
 * or exponent, else float64. */
int tmpl_number(struct tctx *c, struct tv *v);

#endif
