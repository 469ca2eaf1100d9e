/* PromQL lexer, after Prometheus 2.42 promql/parser/lex.go: numbers
 * (scanNumber + strconv.ParseInt(s, 0, 64) then ParseFloat), durations
 * (acceptRemainingDuration + model.ParseDuration), Go-escaped strings. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql_internal.h"

int pq_errf(struct promql_error *err, size_t pos, const char *fmt, ...)
{
	va_list ap;
	err->column = pos + 1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int at(const struct pq_lexer *lx, size_t i)
{
	return i < lx->len ? (unsigned char)lx->in[i] : 0;
}

static int accept(const struct pq_lexer *lx, size_t *p, const char *set)
{
	int c = at(lx, *p);
	if (c && strchr(set, c)) {
		(*p)++;
		return 1;
	}
	return 0;
}

/* lex.go scanNumber: true when the number is not followed by an
 * alphanumeric character. */
static int scan_number(const struct pq_lexer *lx, size_t *p)
{
	const char *digits = "0123456789";
	if (accept(lx, p, "0") && accept(lx, p, "xX"))
		digits = "0123456789abcdefABCDEF";
	while (accept(lx, p, digits))
		;
	if (accept(lx, p, "."))
		while (accept(lx, p, digits))
			;
	if (accept(lx, p, "eE")) {
		accept(lx, p, "+-");
		while (accept(lx, p, "0123456789"))
			;
	}
	return !is_alnum(at(lx, *p));
}

/* lex.go acceptRemainingDuration. */
static int remaining_duration(const struct pq_lexer *lx, size_t *p)
{
	if (!accept(lx, p, "smhdwy"))
		return 0;
	accept(lx, p, "s");
	while (accept(lx, p, "0123456789")) {
		while (accept(lx, p, "0123456789"))
			;
		if (!accept(lx, p, "smhdwy"))
			return 0;
		accept(lx, p, "s");
	}
	return !is_alnum(at(lx, *p));
}

/* parse.go parseNumber: Go's ParseInt(s, 0, 64) (0x.., leading-0 octal),
 * else ParseFloat, which takes no hex mantissa without a p exponent. */
static int parse_number(const char *s, size_t len, double *v)
{
	char tmp[128], *end;
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	long long i = strtoll(tmp, &end, 0);
	if (errno == 0 && *end == '\0' && end != tmp) {
		*v = (double)i;
		return 0;
	}
	if (tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))
		return -1;
	errno = 0;
	*v = strtod(tmp, &end);
	if (*end != '\0' || end == tmp || (errno == ERANGE && isinf(*v)))
		return -1;
	return 0;
}

/* Duration units, largest first: the order model.ParseDuration requires
 * and the one durations are written in. */
static const struct {
	const char *unit;
	int64_t ms;
} units[] = {{"y", 365LL * 86400000}, {"w", 7LL * 86400000},
	     {"d", 86400000},          {"h", 3600000},
	     {"m", 60000},             {"s", 1000},
	     {"ms", 1}};

/* model.ParseDuration: [Ny][Nw][Nd][Nh][Nm][Ns][Nms], each unit at most once
 * and in that order, or "0". */
static int parse_duration(const char *s, size_t len, int64_t *ms)
{
	const int64_t max_ms = INT64_MAX / 1000000; /* time.Duration in ns */
	size_t p = 0, next_unit = 0;
	int64_t total = 0;
	if (len == 1 && s[0] == '0') {
		*ms = 0;
		return 0;
	}
	if (len == 0)
		return -1;
	while (p < len) {
		uint64_t n = 0;
		size_t d = p;
		while (p < len && is_digit(s[p])) {
			if (n > (uint64_t)max_ms)
				return -2;
			n = n * 10 + (uint64_t)(s[p] - '0');
			p++;
		}
		if (p == d)
			return -1;
		size_t ulen = 0;
		while (p + ulen < len && !is_digit(s[p + ulen]))
			ulen++;
		size_t u;
		for (u = next_unit; u < sizeof(units) / sizeof(units[0]); u++)
			if (strlen(units[u].unit) == ulen &&
			    memcmp(units[u].unit, s + p, ulen) == 0)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		if (n > (uint64_t)(max_ms / units[u].ms) ||
		    total > max_ms - (int64_t)n * units[u].ms)
			return -2;
		total += (int64_t)n * units[u].ms;
		next_unit = u + 1;
		p += ulen;
	}
	*ms = total;
	return 0;
}

/* model.ParseDuration of a whole string, for YAML fields (for:, interval:)
 * that share the lexer's duration grammar: 0, or -EINVAL for a malformed or
 * out-of-range duration. */
int promql_parse_duration(const char *s, int64_t *ms)
{
	return parse_duration(s, strlen(s), ms) < 0 ? -EINVAL : 0;
}

void pq_format_duration(int64_t ms, struct hw_buf *b)
{
	if (ms == 0) {
		buf_puts(b, "0s");
		return;
	}
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (ms >= units[u].ms) {
			buf_printf(b, "%" PRId64 "%s", ms / units[u].ms,
				   units[u].unit);
			ms %= units[u].ms;
		}
	}
}

static void put_utf8(char *o, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		o[(*n)++] = (char)c;
	} else if (c < 0x800) {
		o[(*n)++] = (char)(0xC0 | (c >> 6));
		o[(*n)++] = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		o[(*n)++] = (char)(0xE0 | (c >> 12));
		o[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[(*n)++] = (char)(0x80 | (c & 0x3F));
	} else {
		o[(*n)++] = (char)(0xF0 | (c >> 18));
		o[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3F));
		o[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[(*n)++] = (char)(0x80 | (c & 0x3F));
	}
}

/* lex.go lexString/lexRawString/lexEscape, decoding as strconv.Unquote.
 * A decoded string never grows past its quoted form. Errors point at the
 * opening quote (unterminated) or at the backslash (bad escape). */
static int lex_string(struct pq_lexer *lx)
{
	size_t start = lx->pos, p = start + 1, n = 0;
	int q = at(lx, start);
	char *o = malloc(lx->len - start + 1);
	if (!o)
		return -ENOMEM;
	for (;;) {
		if (p >= lx->len || (q != '`' && lx->in[p] == '\n')) {
			free(o);
			return pq_errf(lx->err, start,
				       "unterminated quoted string");
		}
		int c = (unsigned char)lx->in[p];
		if (c == q) {
			p++;
			break;
		}
		if (c != '\\' || q == '`') {
			if (c == '\0')
				goto nul;
			o[n++] = (char)c;
			p++;
			continue;
		}
		size_t esc = p;
		int e = at(lx, p + 1);
		uint32_t v = 0;
		int want = 0, base = 16;
		p += 2;
		switch (e) {
		case 'a': o[n++] = '\a'; continue;
		case 'b': o[n++] = '\b'; continue;
		case 'f': o[n++] = '\f'; continue;
		case 'n': o[n++] = '\n'; continue;
		case 'r': o[n++] = '\r'; continue;
		case 't': o[n++] = '\t'; continue;
		case 'v': o[n++] = '\v'; continue;
		case '\\': o[n++] = '\\'; continue;
		case 'x': want = 2; break;
		case 'u': want = 4; break;
		case 'U': want = 8; break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			want = 3, base = 8, p--;
			break;
		default:
			if (e == q) {
				o[n++] = (char)q;
				continue;
			}
			free(o);
			if (e == 0 || (e == '\n'))
				return pq_errf(lx->err, start,
					       "unterminated quoted string");
			return pq_errf(lx->err, esc,
				       "unknown escape sequence '\\%c'", e);
		}
		for (int i = 0; i < want; i++, p++) {
			int d = hexval(at(lx, p));
			if (d < 0 || d >= base) {
				free(o);
				if (p >= lx->len)
					return pq_errf(lx->err, start,
						       "unterminated quoted string");
				return pq_errf(lx->err, esc,
					       "illegal character in escape sequence");
			}
			v = v * (uint32_t)base + (uint32_t)d;
		}
		if ((base == 8 && v > 255) ||
		    ((e == 'u' || e == 'U') &&
		     (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)))) {
			free(o);
			return pq_errf(lx->err, esc,
				       "escape sequence is an invalid Unicode code point");
		}
		if (v == 0)
			goto nul;
		if (e == 'u' || e == 'U')
			put_utf8(o, &n, v);
		else
			o[n++] = (char)v;
	}
	o[n] = '\0';
	lx->tok.kind = T_STRING;
	lx->tok.str = o;
	lx->pos = p;
	return 0;
nul:
	free(o);
	return pq_errf(lx->err, start, "NUL bytes in strings are not supported");
}

void pq_lex_free(struct pq_lexer *lx)
{
	free(lx->tok.str);
	lx->tok.str = NULL;
}

static int skip_space(struct pq_lexer *lx)
{
	for (;;) {
		int c = at(lx, lx->pos);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			lx->pos++;
		else if (c == '#')
			while (lx->pos < lx->len && lx->in[lx->pos] != '\n')
				lx->pos++;
		else
			return c;
	}
}

int pq_lex_next(struct pq_lexer *lx)
{
	pq_lex_free(lx);
	int c = skip_space(lx);
	size_t s = lx->pos, p = s;
	struct pq_tok *t = &lx->tok;
	t->pos = s;
	t->len = 1;
	if (s >= lx->len) {
		t->kind = T_EOF;
		t->len = 0;
		return 0;
	}
	if (c == '\0')
		return pq_errf(lx->err, s, "unexpected character: NUL");
	if (is_digit(c) || (c == '.' && is_digit(at(lx, s + 1)))) {
		if (scan_number(lx, &p)) {
			t->kind = T_NUMBER;
			t->len = p - s;
			if (parse_number(lx->in + s, p - s, &t->num) < 0)
				return pq_errf(lx->err, s,
					       "error parsing number: \"%.*s\"",
					       (int)(p - s), lx->in + s);
		} else if (remaining_duration(lx, &p)) {
			t->kind = T_DURATION;
			t->len = p - s;
		} else {
			while (is_alnum(at(lx, p)))
				p++;
			return pq_errf(lx->err, s,
				       "bad number or duration syntax: \"%.*s\"",
				       (int)(p - s), lx->in + s);
		}
		lx->pos = p;
		return 0;
	}
	if (is_alpha(c) || c == ':') {
		while (is_alnum(at(lx, p)) || at(lx, p) == ':')
			p++;
		t->kind = T_IDENT;
		t->len = p - s;
		lx->pos = p;
		return 0;
	}
	if (c == '"' || c == '\'' || c == '`') {
		t->len = 0;
		int r = lex_string(lx);
		t->len = lx->pos - s;
		return r;
	}
	int c2 = at(lx, s + 1);
	t->len = 1;
	switch (c) {
	case '(': t->kind = T_LPAREN; break;
	case ')': t->kind = T_RPAREN; break;
	case '{': t->kind = T_LBRACE; break;
	case '}': t->kind = T_RBRACE; break;
	case '[': t->kind = T_LBRACKET; break;
	case ']': t->kind = T_RBRACKET; break;
	case ',': t->kind = T_COMMA; break;
	case ':': t->kind = T_COLON; break;
	case '@': t->kind = T_AT; break;
	case '+': t->kind = T_ADD; break;
	case '-': t->kind = T_SUB; break;
	case '*': t->kind = T_MUL; break;
	case '/': t->kind = T_DIV; break;
	case '%': t->kind = T_MOD; break;
	case '^': t->kind = T_POW; break;
	case '=':
		if (c2 == '=')
			t->kind = T_EQLC, t->len = 2;
		else if (c2 == '~')
			t->kind = T_EQL_REGEX, t->len = 2;
		else
			t->kind = T_ASSIGN;
		break;
	case '!':
		if (c2 == '=')
			t->kind = T_NEQ, t->len = 2;
		else if (c2 == '~')
			t->kind = T_NEQ_REGEX, t->len = 2;
		else
			return pq_errf(lx->err, s,
				       "unexpected character after '!': '%c'",
				       c2 ? c2 : ' ');
		break;
	case '<':
		if (c2 == '=')
			t->kind = T_LTE, t->len = 2;
		else
			t->kind = T_LSS;
		break;
	case '>':
		if (c2 == '=')
			t->kind = T_GTE, t->len = 2;
		else
			t->kind = T_GTR;
		break;
	default:
		if (c >= 0x20 && c < 0x7f)
			return pq_errf(lx->err, s, "unexpected character: '%c'",
				       c);
		return pq_errf(lx->err, s, "unexpected character: 0x%02x", c);
	}
	lx->pos = s + t->len;
	return 0;
}

int pq_lex_duration(struct pq_lexer *lx, int64_t *ms)
{
	pq_lex_free(lx);
	skip_space(lx);
	size_t s = lx->pos, p = s;
	if (!is_digit(at(lx, s))) {
		int r = pq_lex_next(lx);
		if (r < 0)
			return r;
		char d[96];
		pq_tok_desc(lx, d, sizeof(d));
		return pq_errf(lx->err, s, "unexpected %s, expected duration", d);
	}
	if (scan_number(lx, &p))
		return pq_errf(lx->err, s, "missing unit character in duration");
	if (!remaining_duration(lx, &p)) {
		while (is_alnum(at(lx, p)))
			p++;
		return pq_errf(lx->err, s, "bad duration syntax: \"%.*s\"",
			       (int)(p - s), lx->in + s);
	}
	int r = parse_duration(lx->in + s, p - s, ms);
	if (r == -2)
		return pq_errf(lx->err, s, "duration out of range: \"%.*s\"",
			       (int)(p - s), lx->in + s);
	if (r < 0)
		return pq_errf(lx->err, s,
			       "not a valid duration string: \"%.*s\"",
			       (int)(p - s), lx->in + s);
	if (*ms == 0)
		return pq_errf(lx->err, s, "duration must be greater than 0");
	lx->pos = p;
	return pq_lex_next(lx);
}

void pq_tok_desc(const struct pq_lexer *lx, char *out, size_t size)
{
	const struct pq_tok *t = &lx->tok;
	int len = (int)(t->len > 40 ? 40 : t->len);
	const char *s = lx->in + t->pos;
	switch (t->kind) {
	case T_EOF:
		snprintf(out, size, "end of input");
		break;
	case T_IDENT:
		snprintf(out, size, "identifier \"%.*s\"", len, s);
		break;
	case T_NUMBER:
		snprintf(out, size, "number \"%.*s\"", len, s);
		break;
	case T_DURATION:
		snprintf(out, size, "duration \"%.*s\"", len, s);
		break;
	case T_STRING:
		snprintf(out, size, "string %.*s", len, s);
		break;
	default:
		snprintf(out, size, "\"%.*s\"", len, s);
		break;
	}
}
