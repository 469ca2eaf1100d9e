/* Alert templates: a parser and evaluator for the part of Go's
 * text/template (lex.go, parse.go, exec.go) that Prometheus alert labels and
 * annotations use, run in one pass over the text. template_check parses
 * only, with Go's parse-time checks (syntax, defined variables and
 * functions, pipeline stages); template_expand also evaluates.
 *
 * Prometheus (rules/alerting.go) prepends
 *   {{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
 *   {{$externalURL := .ExternalURL}}{{$value := .Value}}
 * (112 bytes on line 1) and parses with missingkey=zero, so error columns on
 * the first line are offset by 112 and a missing label prints "". Error
 * texts are Go's: "template: NAME:LINE: msg" when parsing,
 * "template: NAME:LINE:COL: executing "NAME" at <NODE>: msg" when running. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/template.h"
#include "template_internal.h"

static struct tvar *var_find(struct tctx *c, const char *name, size_t len)
{
	for (size_t i = c->nvars; i-- > 0;)
		if (c->vars[i].len == len && memcmp(c->vars[i].name, name, len) == 0)
			return &c->vars[i];
	return NULL;
}

/* Field access (exec.go evalField) on a value. */
static int field(struct tctx *c, struct tv *v, size_t fpos, size_t flen,
		 size_t npos)
{
	const char *f = c->t + fpos + 1;
	size_t n = flen - 1;

	if (v->k == TV_LABELS || v->k == TV_EMPTYMAP) {
		char key[256];
		const char *val = NULL;
		if (v->k == TV_LABELS && v->labels && n < sizeof(key)) {
			memcpy(key, f, n);
			key[n] = '\0';
			val = labels_get(v->labels, key);
		}
		v->k = TV_STR;
		v->s = val ? val : "";
		return 0;
	}
	if (v->k == TV_DATA) {
		static const char *const names[] = {"Labels", "ExternalLabels",
						    "ExternalURL", "Value"};
		static const enum tv_kind kinds[] = {TV_LABELS, TV_EMPTYMAP,
						     TV_STR, TV_FLOAT};
		for (size_t i = 0; i < 4; i++)
			if (strlen(names[i]) == n && !memcmp(names[i], f, n)) {
				v->k = kinds[i];
				v->labels = c->labels;
				v->s = "";
				v->f = c->value;
				return 0;
			}
	}
	return tmpl_xerr(c, fpos, npos, fpos + flen - npos,
		    "can't evaluate field %.*s in type %s",
		    (int)n, f, tv_type_name(v));
}

static int pipeline(struct tctx *c, struct tv *res, enum tk end);

/* One operand: a term and its field chain. `is_fn` reports a function
 * name (not evaluated: the caller calls it). */
static int operand(struct tctx *c, struct tv *v, const struct tfunc **fn,
		   size_t *npos, size_t *nlen)
{
	int r = 0;
	size_t start = c->tpos;
	bool unsup;
	struct hw_buf b = HW_BUF_INIT;

	*fn = NULL;
	memset(v, 0, sizeof(*v));
	switch (c->tok) {
	case K_LPAREN:
		if (++c->depth > MAX_DEPTH)
			return tmpl_perr(c, c->tpos, "expression nested too deeply");
		if ((r = tmpl_lex(c)))
			return r;
		if (c->tok == K_RPAREN)
			return tmpl_perr(c, start,
				    "missing value for parenthesized pipeline");
		if ((r = pipeline(c, v, K_RPAREN)))
			return r;
		c->depth--;
		if (v->k == TV_NONE)
			return tmpl_perr(c, start, "missing value for parenthesized pipeline");
		break;
	case K_STRING:
		if ((r = tmpl_unquote(c, &b)))
			goto out;
		v->k = TV_STR;
		v->s = c->exec ? tmpl_strndup(c, b.data ? b.data : "", b.len)
			       : "";
		if (!v->s || b.failed)
			r = tmpl_perr(c, start, "out of memory");
		break;
	case K_NUMBER:
		r = tmpl_number(c, v);
		break;
	case K_VAR: {
		struct tvar *tv = var_find(c, c->t + c->tpos, c->tlen);
		if (!tv)
			return tmpl_perr(c, c->tpos, "undefined variable \"%.*s\"",
				    (int)c->tlen, c->t + c->tpos);
		*v = tv->v;
		break;
	}
	case K_FIELD:
	case K_DOT:
		v->k = TV_DATA;
		v->labels = c->labels;
		v->f = c->value;
		if (c->tok == K_DOT)
			break;
		if (c->exec && (r = field(c, v, c->tpos, c->tlen, c->tpos)))
			return r;
		break;
	case K_IDENT:
		*fn = tfunc_find(c->t + c->tpos, c->tlen, &unsup);
		if (*fn)
			break;
		if (unsup)
			return tmpl_perr(c, c->tpos,
				    "function \"%.*s\" not supported by hostwatch",
				    (int)c->tlen, c->t + c->tpos);
		{
			static const char *const kw[] = {
				"if", "end", "range", "with", "define",
				"template", "block", "break", "continue",
				"nil", "false", "true", "else"};
			for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
				if (strlen(kw[i]) == c->tlen &&
				    !memcmp(kw[i], c->t + c->tpos, c->tlen))
					goto unsupported;
		}
		return tmpl_perr(c, c->tpos, "function \"%.*s\" not defined",
			    (int)c->tlen, c->t + c->tpos);
	unsupported:
		return tmpl_perr(c, c->tpos, "\"%.*s\" is not supported by hostwatch",
			    (int)c->tlen, c->t + c->tpos);
	default:
		return tmpl_perr(c, c->tpos, "unexpected \"%.*s\" in operand",
			    (int)c->tlen, c->t + c->tpos);
	}
	if (r)
		goto out;
	*npos = start;
	*nlen = c->pos - start;
	size_t end = c->pos;
	r = tmpl_lex(c);
	/* a field chain right after the term: $labels.job, .Labels.job */
	while (!r && c->tok == K_FIELD && c->tpos == end && !*fn) {
		*nlen = c->pos - start;
		end = c->pos;
		if (c->exec && (r = field(c, v, c->tpos, c->tlen, start)))
			break;
		r = tmpl_lex(c);
	}
out:
	buf_free(&b);
	return r;
}

static bool end_of_command(enum tk k)
{
	return k == K_PIPE || k == K_RDELIM || k == K_RPAREN || k == K_EOF;
}

/* Call `fn` with its arguments after the type checks of exec.go evalCall
 * and validateType. */
static int call(struct tctx *c, const struct tfunc *fn, struct tv *args,
		const size_t *apos, const size_t *alen, size_t n, bool final,
		size_t cpos, size_t clen, size_t fpos, size_t flen,
		struct tv *res)
{
	size_t want = strlen(fn->types);
	bool variadic = want && fn->types[want - 1] == '*';
	struct hw_buf b = HW_BUF_INIT;
	char msg[256];
	int r;

	if (variadic)
		want--;
	if (variadic ? n < want : n != want)
		return tmpl_xerr(c, fpos, fpos, flen,
			    "wrong number of args for %s: want %s%zu got %zu",
			    fn->name, variadic ? "at least " : "", want, n);
	for (size_t i = 0; i < want; i++) {
		char t = fn->types[i];
		bool last = final && i == n - 1;
		size_t p = last ? cpos : apos[i], l = last ? clen : alen[i];
		if (t == 's' && args[i].k == TV_INT && !last)
			return tmpl_xerr(c, p, p, l, "expected string; found %.*s",
				    (int)l, c->t + p);
		if ((t == 's' && args[i].k != TV_STR) ||
		    (t == 'f' && args[i].k != TV_STR && args[i].k != TV_FLOAT &&
		     args[i].k != TV_INT))
			return tmpl_xerr(c, p, p, l,
				    "wrong type for value; expected %s; got %s",
				    t == 's' ? "string" : "interface {}",
				    tv_type_name(&args[i]));
		if (t == 'f' && args[i].k == TV_INT) {
			args[i].k = TV_FLOAT;
			args[i].f = (double)args[i].i;
		}
	}
	r = fn->fn(args, n, &b, msg, sizeof(msg));
	if (r) {
		r = tmpl_xerr(c, cpos, cpos, clen, "error calling %s: %s", fn->name, msg);
		goto out;
	}
	res->k = TV_STR;
	res->s = tmpl_strndup(c, b.data ? b.data : "", b.len);
	if (!res->s || b.failed)
		r = tmpl_xerr(c, cpos, cpos, clen, "out of memory");
out:
	buf_free(&b);
	return r;
}

/* parse.go command + exec.go evalCommand; `prev` is the value piped in. */
static int command(struct tctx *c, const struct tv *prev, size_t stage,
		   struct tv *res)
{
	struct tv args[MAX_ARGS + 1];
	size_t apos[MAX_ARGS + 1], alen[MAX_ARGS + 1], n = 0;
	size_t cpos = c->tpos, clen, fpos = c->tpos, flen = c->tlen;
	const struct tfunc *fn, *afn;
	struct tv first;
	size_t npos = c->tpos, nlen = c->tlen;
	enum tk k0 = c->tok;
	int r;

	if (end_of_command(c->tok))
		return tmpl_perr(c, c->tpos, "missing value for command");
	if ((r = operand(c, &first, &fn, &npos, &nlen)))
		return r;
	if (stage > 0 && !fn &&
	    (k0 == K_STRING || k0 == K_NUMBER || k0 == K_DOT))
		return tmpl_perr(c, npos, "non executable command in pipeline stage %zu",
			    stage + 1);
	while (!end_of_command(c->tok)) {
		if (n == MAX_ARGS)
			return tmpl_perr(c, c->tpos, "too many arguments");
		apos[n] = c->tpos;
		if ((r = operand(c, &args[n], &afn, &apos[n], &alen[n])))
			return r;
		if (afn && c->exec &&
		    (r = call(c, afn, NULL, NULL, NULL, 0, false, apos[n],
			      alen[n], apos[n], alen[n], &args[n])))
			return r;
		n++;
	}
	clen = (n ? apos[n - 1] + alen[n - 1] : npos + nlen) - cpos;
	if (!c->exec) {
		res->k = TV_STR; /* some value, for the parse-time checks */
		res->s = "";
		return 0;
	}
	if (!fn) {
		if (n || prev)
			return tmpl_xerr(c, npos, npos, nlen,
				    "can't give argument to non-function %.*s",
				    (int)nlen, c->t + npos);
		*res = first;
		return 0;
	}
	if (prev)
		args[n++] = *prev;
	return call(c, fn, args, apos, alen, n, prev != NULL, cpos, clen, fpos,
		    flen, res);
}

/* [$x := | $x =] command ('|' command)*, up to the token `end`. */
static int pipeline(struct tctx *c, struct tv *res, enum tk end)
{
	struct tvar *decl = NULL;
	struct tv v = {0}, prev;
	size_t stage = 0;
	int r;

	if (c->tok == K_VAR) {
		/* look ahead for := or = */
		size_t save_pos = c->pos, vpos = c->tpos, vlen = c->tlen;
		if ((r = tmpl_lex(c)))
			return r;
		if (c->tok == K_DECLARE || c->tok == K_ASSIGN) {
			decl = var_find(c, c->t + vpos, vlen);
			if (c->tok == K_ASSIGN && !decl)
				return tmpl_perr(c, vpos, "undefined variable \"%.*s\"",
					    (int)vlen, c->t + vpos);
			if (c->tok == K_DECLARE) {
				if (c->nvars == MAX_VARS)
					return tmpl_perr(c, vpos, "too many variables");
				decl = &c->vars[c->nvars];
				decl->name = c->t + vpos;
				decl->len = vlen;
				decl->v.k = TV_NONE;
			}
			if ((r = tmpl_lex(c)))
				return r;
		} else {
			c->pos = save_pos; /* not a declaration: re-lex */
			c->tpos = vpos;
			c->tlen = vlen;
			c->tok = K_VAR;
		}
	}
	for (;;) {
		if ((r = command(c, stage ? &prev : NULL, stage, &v)))
			return r;
		if (c->tok != K_PIPE)
			break;
		prev = v;
		stage++;
		if ((r = tmpl_lex(c)))
			return r;
	}
	if (c->tok != end && end == K_RPAREN)
		return tmpl_perr(c, c->tpos, "unclosed left paren");
	if (c->tok != end)
		return tmpl_perr(c, c->tpos, "unexpected \"%.*s\" in command",
			    (int)c->tlen, c->t + c->tpos);
	if (decl) {
		/* a declaration is visible after its action, and prints
		 * nothing */
		decl->v = v;
		if (decl == &c->vars[c->nvars])
			c->nvars++;
		v.k = TV_NONE;
	}
	*res = v;
	return 0;
}

/* A comment action ({{/-star ... star-/}}) with optional trim markers;
 * c->pos is at the slash. */
static int comment(struct tctx *c, size_t start)
{
	const char *e = NULL;
	size_t p;

	for (p = c->pos + 2; p + 1 < c->len; p++)
		if (c->t[p] == '*' && c->t[p + 1] == '/') {
			e = c->t + p;
			break;
		}
	if (!e)
		return tmpl_perr(c, start, "unclosed comment");
	p += 2;
	c->trim_right = false;
	if (c->len - p >= 4 && tmpl_is_space(c->t[p]) &&
	    memcmp(c->t + p + 1, "-}}", 3) == 0) {
		c->trim_right = true;
		p += 4;
	} else if (c->len - p >= 2 && memcmp(c->t + p, "}}", 2) == 0) {
		p += 2;
	} else {
		return tmpl_perr(c, start, "comment ends before closing delimiter");
	}
	c->pos = p;
	return 0;
}

static void put_text(struct tctx *c, size_t s, size_t e, bool trim_left,
		     bool trim_right)
{
	if (trim_left)
		while (s < e && tmpl_is_space(c->t[s]))
			s++;
	if (trim_right)
		while (e > s && tmpl_is_space(c->t[e - 1]))
			e--;
	if (c->exec)
		buf_put(c->out, c->t + s, e - s);
}

static int run(struct tctx *c)
{
	bool trim_left = false;
	int r = 0;

	c->vars[0] = (struct tvar){
		"$", 1, {.k = TV_DATA, .labels = c->labels, .f = c->value}};
	c->vars[1] = (struct tvar){"$labels", 7,
				   {.k = TV_LABELS, .labels = c->labels}};
	c->vars[2] = (struct tvar){"$externalLabels", 15, {.k = TV_EMPTYMAP}};
	c->vars[3] = (struct tvar){"$externalURL", 12, {.k = TV_STR, .s = ""}};
	c->vars[4] = (struct tvar){"$value", 6, {.k = TV_FLOAT, .f = c->value}};
	c->nvars = 5;
	while (c->pos < c->len) {
		const char *a = strstr(c->t + c->pos, "{{");
		size_t as = a ? (size_t)(a - c->t) : c->len, p;
		/* the text is NUL-terminated: t[as + 3] exists after '-' */
		bool ltrim = a && c->t[as + 2] == '-' && tmpl_is_space(c->t[as + 3]);
		struct tv v;

		put_text(c, c->pos, as, trim_left, ltrim);
		if (!a)
			break;
		/* lex.go: a comment starts right after "{{" or "{{- " */
		p = as + (ltrim ? 4 : 2);
		c->pos = p;
		if (c->len - p >= 2 && c->t[p] == '/' && c->t[p + 1] == '*') {
			if ((r = comment(c, as)))
				break;
		} else {
			c->pos = ltrim ? as + 3 : as + 2;
			if ((r = tmpl_lex(c)) || (r = pipeline(c, &v, K_RDELIM)))
				break;
			if (c->exec && v.k != TV_NONE)
				tv_print(c->out, &v);
		}
		trim_left = c->trim_right;
	}
	if (!r && c->exec && c->out->failed)
		r = -ENOMEM;
	return r;
}

static void ctx_free(struct tctx *c)
{
	for (size_t i = 0; i < c->nallocs; i++)
		free(c->allocs[i]);
	free(c->allocs);
}

/* Parse `tmpl` as Go would in Prometheus's template named `name`
 * ("__alert_" + the alert name): 0, or -EINVAL with Go's parse error
 * ("template: NAME:LINE: msg") in err. */
int template_check_named(const char *tmpl, const char *name, char *err,
			 size_t errsize)
{
	struct tctx c = {.t = tmpl, .len = strlen(tmpl), .name = name,
			 .err = err, .errsize = errsize};
	int r = run(&c);
	ctx_free(&c);
	return r;
}

int template_check(const char *tmpl, char *err, size_t errsize)
{
	return template_check_named(tmpl, "__alert", err, errsize);
}

int template_expand_named(const char *tmpl, const char *name,
			  const struct hw_labels *labels, double value,
			  struct hw_buf *out, char *err, size_t errsize)
{
	char msg[768];
	struct tctx c = {.t = tmpl, .len = strlen(tmpl), .name = name,
			 .err = msg, .errsize = sizeof(msg)};
	size_t len0 = out->len;
	int r;

	/* Parse first, like Go, so that a syntax error late in the text
	 * does not leave half an expansion. */
	r = run(&c);
	ctx_free(&c);
	if (r) {
		snprintf(err, errsize, "error parsing template %s: %s", name, msg);
		return r;
	}
	c = (struct tctx){.t = tmpl, .len = strlen(tmpl), .name = name,
			  .exec = true, .labels = labels, .value = value,
			  .out = out, .err = msg, .errsize = sizeof(msg)};
	r = run(&c);
	ctx_free(&c);
	if (r) {
		out->len = len0;
		if (r == -ENOMEM)
			snprintf(err, errsize, "out of memory");
		else
			snprintf(err, errsize, "error executing template %s: %s",
				 name, msg);
	}
	return r;
}

int template_expand(const char *tmpl, const struct hw_labels *labels,
		    double value, struct hw_buf *out, char *err,
		    size_t errsize)
{
	return template_expand_named(tmpl, "__alert", labels, value, out, err,
				     errsize);
}
