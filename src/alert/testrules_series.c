/* test-rules' small parsers: input series values in promql/parser's series
 * description notation (lex.go lexValueSequence, generated_parser.y
 * series_values / series_item), metrics as parser.ParseMetric reads them
 * (through the PromQL lexer, so strings decode exactly as in queries), and
 * Go's number and duration formats for promtool-like reports. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostwatch/store.h"
#include "hostwatch/template.h"
#include "hostwatch/testrules.h"
#include "promql_internal.h"

/* A series longer than this is surely a typo ("0+1x100000000"). */
#define TR_MAX_VALUES (16u * 1024 * 1024)

/* ---- values -------------------------------------------------------------- */

enum vtok {
	V_EOF,
	V_SPACE,
	V_ADD,
	V_SUB,
	V_TIMES,
	V_BLANK,
	V_NUMBER,
	V_STALE,
};

struct vlex {
	const char *s;
	size_t pos, start;
	enum vtok tok;
	double num;
	char *err;
	size_t errsize;
};

static int verr(struct vlex *l, const char *msg)
{
	snprintf(l->err, l->errsize, "column %zu: %s", l->start + 1, msg);
	return -EINVAL;
}

/* strconv.ParseInt(s, 0, 64), falling back to ParseFloat (parser.number):
 * "010" is octal 8, "09" and "1.5" are floats. */
static int parse_num(const char *s, size_t len, double *v)
{
	char buf[128], *end;
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	long long i = strtoll(buf, &end, 0);
	if (*end == '\0' && errno == 0) {
		*v = (double)i;
		return 0;
	}
	errno = 0;
	*v = strtod(buf, &end);
	return *end == '\0' ? 0 : -EINVAL;
}

/* lex.go scanNumber in series mode: no hex, and an 'x' may follow. */
static int vlex_number(struct vlex *l)
{
	const char *s = l->s;
	size_t p = l->pos;
	while (isdigit((unsigned char)s[p]))
		p++;
	if (s[p] == '.') {
		p++;
		while (isdigit((unsigned char)s[p]))
			p++;
	}
	if (s[p] == 'e' || s[p] == 'E') {
		p++;
		if (s[p] == '+' || s[p] == '-')
			p++;
		while (isdigit((unsigned char)s[p]))
			p++;
	}
	if (s[p] != 'x' && (isalnum((unsigned char)s[p]) || s[p] == '_'))
		return verr(l, "bad number or duration syntax");
	l->tok = V_NUMBER;
	l->pos = p;
	if (parse_num(s + l->start, p - l->start, &l->num) < 0)
		return verr(l, "error parsing number");
	return 0;
}

static int vlex_next(struct vlex *l)
{
	const char *s = l->s;
	unsigned char c = (unsigned char)s[l->pos];
	l->start = l->pos;
	if (c == '\0') {
		l->tok = V_EOF;
		return 0;
	}
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
		while (s[l->pos] == ' ' || s[l->pos] == '\t' ||
		       s[l->pos] == '\n' || s[l->pos] == '\r')
			l->pos++;
		l->tok = V_SPACE;
		return 0;
	}
	l->pos++;
	switch (c) {
	case '+':
		l->tok = V_ADD;
		return 0;
	case '-':
		l->tok = V_SUB;
		return 0;
	case 'x':
		l->tok = V_TIMES;
		return 0;
	case '_':
		l->tok = V_BLANK;
		return 0;
	}
	l->pos--;
	if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[l->pos + 1])))
		return vlex_number(l);
	if (isalpha(c)) {
		size_t p = l->pos, n;
		while (isalnum((unsigned char)s[p]) || s[p] == '_' ||
		       s[p] == ':')
			p++;
		n = p - l->pos;
		l->pos = p;
		/* lex.go's keyword table maps inf and nan to NUMBER. */
		if (n == 3 && strncasecmp(s + l->start, "inf", 3) == 0) {
			l->tok = V_NUMBER;
			l->num = INFINITY;
			return 0;
		}
		if (n == 3 && strncasecmp(s + l->start, "nan", 3) == 0) {
			l->tok = V_NUMBER;
			l->num = NAN;
			return 0;
		}
		if (n == 5 && strncmp(s + l->start, "stale", 5) == 0) {
			l->tok = V_STALE;
			return 0;
		}
		return verr(l, "unexpected identifier in series values, "
			       "expected number "
			       "or \"stale\"");
	}
	return verr(l, "unexpected character in series sequence");
}

/* signed_number: + or - then a number. */
static int parse_signed(struct vlex *l, double *v)
{
	double sign = l->tok == V_SUB ? -1 : 1;
	int rc = vlex_next(l);
	if (rc < 0)
		return rc;
	if (l->tok != V_NUMBER)
		return verr(
			l,
			"unexpected token in series values, expected number");
	*v = sign * l->num;
	return vlex_next(l);
}

/* uint after 'x': strconv.ParseUint(s, 10, 64). */
static int parse_times(struct vlex *l, uint64_t *n)
{
	int rc = vlex_next(l);
	if (rc < 0)
		return rc;
	const char *s = l->s + l->start;
	size_t len = l->pos - l->start;
	if (l->tok != V_NUMBER || len == 0 || len > 19)
		return verr(l,
			    "unexpected token after \"x\", expected repetition "
			    "count");
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return verr(l, "invalid repetition in series values: "
				       "not an unsigned integer");
	*n = strtoull(s, NULL, 10);
	return vlex_next(l);
}

struct vbuf {
	struct testrules_value *v;
	size_t n, cap;
};

static int vpush(struct vbuf *b, double v, bool omitted)
{
	if (b->n == b->cap) {
		if (b->cap >= TR_MAX_VALUES)
			return -E2BIG;
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct testrules_value *n = realloc(b->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->v = n;
		b->cap = cap;
	}
	b->v[b->n++] = (struct testrules_value){v, omitted};
	return 0;
}

/* One series_item; the lexer stands on its first token. */
static int parse_item(struct vlex *l, struct vbuf *b)
{
	uint64_t times;
	double v, step = 0;
	bool with_step = false;
	int rc;
	if (l->tok == V_BLANK) {
		if ((rc = vlex_next(l)) < 0)
			return rc;
		if (l->tok != V_TIMES)
			return vpush(b, 0, true);
		if ((rc = parse_times(l, &times)) < 0)
			return rc;
		for (uint64_t i = 0; i < times; i++)
			if ((rc = vpush(b, 0, true)) < 0)
				return rc;
		return 0;
	}
	if (l->tok == V_STALE || l->tok == V_NUMBER) {
		v = l->tok == V_STALE ? store_stale_nan() : l->num;
		if ((rc = vlex_next(l)) < 0)
			return rc;
	} else if (l->tok == V_ADD || l->tok == V_SUB) {
		if ((rc = parse_signed(l, &v)) < 0)
			return rc;
	} else {
		return verr(l, "unexpected token in series values");
	}
	if (l->tok == V_ADD || l->tok == V_SUB) {
		if ((rc = parse_signed(l, &step)) < 0)
			return rc;
		with_step = true;
		if (l->tok != V_TIMES)
			return verr(l, "unexpected token in series values, "
				       "expected \"x\"");
	}
	if (l->tok != V_TIMES)
		return vpush(b, v, false);
	if ((rc = parse_times(l, &times)) < 0)
		return rc;
	/* N+1 values, the step added each time (parser: $1 += $2). */
	for (uint64_t i = 0; i <= times; i++) {
		if ((rc = vpush(b, v, false)) < 0)
			return rc;
		if (with_step)
			v += step;
	}
	return 0;
}

int testrules_parse_values(const char *s, struct testrules_value **out,
			   size_t *n, char *err, size_t errsize)
{
	struct vlex l = {.s = s, .err = err, .errsize = errsize};
	struct vbuf b = {0};
	int rc = vlex_next(&l);
	while (rc == 0) {
		if (l.tok == V_SPACE)
			rc = vlex_next(&l);
		if (rc < 0 || l.tok == V_EOF)
			break;
		rc = parse_item(&l, &b);
		if (rc < 0)
			break;
		if (l.tok != V_SPACE && l.tok != V_EOF)
			rc = verr(&l, "unexpected token in series values, "
				      "expected space");
	}
	if (rc == -E2BIG) {
		snprintf(err, errsize, "more than %u values in a series",
			 TR_MAX_VALUES);
		rc = -EINVAL;
	} else if (rc == -ENOMEM) {
		snprintf(err, errsize, "out of memory");
	}
	if (rc < 0) {
		free(b.v);
		return rc;
	}
	*out = b.v;
	*n = b.n;
	return 0;
}

/* ---- metrics ------------------------------------------------------------- */

#define TR_MAX_LABELS 256

int testrules_parse_metric(const char *s, struct hw_labels **out, char *err,
			   size_t errsize)
{
	struct promql_error pe = {0};
	struct pq_lexer lx = {.in = s, .len = strlen(s), .err = &pe};
	struct hw_label pairs[TR_MAX_LABELS];
	char *owned[TR_MAX_LABELS * 2 + 1];
	size_t np = 0, no = 0;
	int rc;

	*out = NULL;
	if ((rc = pq_lex_next(&lx)) < 0)
		goto out;
	if (lx.tok.kind == T_IDENT) {
		owned[no] = strndup(s + lx.tok.pos, lx.tok.len);
		if (!owned[no]) {
			rc = -ENOMEM;
			goto out;
		}
		pairs[np++] = (struct hw_label){LABEL_NAME, owned[no++]};
		if ((rc = pq_lex_next(&lx)) < 0)
			goto out;
	}
	if (lx.tok.kind == T_LBRACE) {
		for (;;) {
			if ((rc = pq_lex_next(&lx)) < 0)
				goto out;
			if (lx.tok.kind == T_RBRACE)
				break;
			if (lx.tok.kind != T_IDENT || np == TR_MAX_LABELS) {
				rc = pq_errf(&pe, lx.tok.pos,
					     "unexpected token in label set, "
					     "expected label name");
				goto out;
			}
			owned[no] = strndup(s + lx.tok.pos, lx.tok.len);
			if (!owned[no]) {
				rc = -ENOMEM;
				goto out;
			}
			const char *name = owned[no++];
			if ((rc = pq_lex_next(&lx)) < 0)
				goto out;
			if (lx.tok.kind != T_ASSIGN) {
				rc = pq_errf(&pe, lx.tok.pos,
					     "unexpected token in label set, "
					     "expected \"=\"");
				goto out;
			}
			if ((rc = pq_lex_next(&lx)) < 0)
				goto out;
			if (lx.tok.kind != T_STRING) {
				rc = pq_errf(&pe, lx.tok.pos,
					     "unexpected token in label set, "
					     "expected string");
				goto out;
			}
			owned[no++] = lx.tok.str;
			lx.tok.str = NULL;
			pairs[np++] = (struct hw_label){name, owned[no - 1]};
			if ((rc = pq_lex_next(&lx)) < 0)
				goto out;
			if (lx.tok.kind == T_RBRACE)
				break;
			if (lx.tok.kind != T_COMMA) {
				rc = pq_errf(&pe, lx.tok.pos,
					     "unexpected token in label set, "
					     "expected \",\" or \"}\"");
				goto out;
			}
		}
		if ((rc = pq_lex_next(&lx)) < 0)
			goto out;
	}
	if (lx.tok.kind != T_EOF) {
		rc = pq_errf(&pe, lx.tok.pos, "unexpected token after metric");
		goto out;
	}
	*out = labels_new(pairs, np);
	rc = *out ? 0 : -ENOMEM;
out:
	if (rc == -EINVAL)
		snprintf(err, errsize, "%zu:%zu: parse error: %s", (size_t)1,
			 pe.column, pe.msg);
	else if (rc == -ENOMEM)
		snprintf(err, errsize, "out of memory");
	for (size_t i = 0; i < no; i++)
		free(owned[i]);
	pq_lex_free(&lx);
	return rc;
}

/* ---- formats ------------------------------------------------------------- */

void testrules_format_float(double v, char *out, size_t size)
{
	template_format_float_e(v, true, out, size);
}

void testrules_format_duration(int64_t ms, struct hw_buf *b)
{
	pq_format_duration(ms, b);
}
