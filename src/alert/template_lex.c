/* The lexer of alert templates (Go's text/template/parse/lex.go inside
 * an action, strconv.Unquote for string literals, parse.go's number nodes)
 * and the error texts both template passes share; see template.c. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_internal.h"

bool tmpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool tmpl_is_alnum(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

/* Go's ErrorContext: the line, and the 0-based byte column in it, of a
 * position, in the template with Prometheus's prefix. */
static void line_col(const struct tctx *c, size_t pos, int *line, size_t *col)
{
	size_t nl = 0, last = 0;
	for (size_t i = 0; i < pos && i < c->len; i++)
		if (c->t[i] == '\n') {
			nl++;
			last = i + 1;
		}
	*line = (int)nl + 1;
	*col = nl ? pos - last : pos + PREFIX_LEN;
}

int tmpl_perr(struct tctx *c, size_t pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int line;
	size_t col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(c, pos, &line, &col);
	snprintf(c->err, c->errsize, "template: %s:%d: %s", c->name, line, msg);
	return -EINVAL;
}

int tmpl_xerr(struct tctx *c, size_t pos, size_t npos, size_t nlen,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line;
	size_t col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(c, pos, &line, &col);
	snprintf(c->err, c->errsize,
		 "template: %s:%d:%zu: executing \"%s\" at <%.*s>: %s",
		 c->name, line, col, c->name, (int)nlen, c->t + npos, msg);
	return -EINVAL;
}

const char *tmpl_keep(struct tctx *c, char *s)
{
	if (!s)
		return NULL;
	if (c->nallocs == c->acap) {
		size_t ncap = c->acap ? c->acap * 2 : 16;
		char **n = realloc(c->allocs, ncap * sizeof(*n));
		if (!n) {
			free(s);
			return NULL;
		}
		c->allocs = n;
		c->acap = ncap;
	}
	c->allocs[c->nallocs++] = s;
	return s;
}

const char *tmpl_strndup(struct tctx *c, const char *s, size_t n)
{
	return tmpl_keep(c, strndup(s, n));
}

int tmpl_lex(struct tctx *c)
{
	const char *t = c->t;
	size_t p = c->pos, s;
	bool spaced = false;

	while (p < c->len && tmpl_is_space(t[p])) {
		p++;
		spaced = true;
	}
	c->tpos = s = p;
	if (p >= c->len) {
		c->tok = K_EOF;
		return tmpl_perr(c, c->len, "unclosed action");
	}
	if (spaced && c->len - p >= 3 && memcmp(t + p, "-}}", 3) == 0) {
		c->tok = K_RDELIM;
		c->trim_right = true;
		p += 3;
	} else if (c->len - p >= 2 && memcmp(t + p, "}}", 2) == 0) {
		c->tok = K_RDELIM;
		c->trim_right = false;
		p += 2;
	} else if (t[p] == '|') {
		c->tok = K_PIPE;
		p++;
	} else if (t[p] == '(') {
		c->tok = K_LPAREN;
		p++;
	} else if (t[p] == ')') {
		c->tok = K_RPAREN;
		p++;
	} else if (t[p] == '"' || t[p] == '`') {
		char q = t[p++];
		while (p < c->len && t[p] != q) {
			if (q == '"' && t[p] == '\\' && p + 1 < c->len)
				p++;
			else if (q == '"' && t[p] == '\n')
				break;
			p++;
		}
		if (p >= c->len || t[p] != q)
			return tmpl_perr(c, s, q == '"' ? "unterminated quoted string"
						   : "unterminated raw quoted string");
		p++;
		c->tok = K_STRING;
	} else if (t[p] == '$' || (t[p] == '.' && p + 1 < c->len &&
				   !(t[p + 1] >= '0' && t[p + 1] <= '9'))) {
		c->tok = t[p] == '$' ? K_VAR : K_FIELD;
		p++;
		while (p < c->len && tmpl_is_alnum(t[p]))
			p++;
		if (c->tok == K_FIELD && p == s + 1)
			c->tok = K_DOT;
	} else if ((t[p] >= '0' && t[p] <= '9') || t[p] == '.' ||
		   ((t[p] == '-' || t[p] == '+') && p + 1 < c->len &&
		    ((t[p + 1] >= '0' && t[p + 1] <= '9') || t[p + 1] == '.'))) {
		p++;
		while (p < c->len &&
		       (tmpl_is_alnum(t[p]) || t[p] == '.' ||
			((t[p] == '+' || t[p] == '-') &&
			 (t[p - 1] == 'e' || t[p - 1] == 'E' ||
			  t[p - 1] == 'p' || t[p - 1] == 'P'))))
			p++;
		c->tok = K_NUMBER;
	} else if (tmpl_is_alnum(t[p])) {
		while (p < c->len && tmpl_is_alnum(t[p]))
			p++;
		c->tok = K_IDENT;
	} else if (c->len - p >= 2 && t[p] == ':' && t[p + 1] == '=') {
		c->tok = K_DECLARE;
		p += 2;
	} else if (t[p] == '=') {
		c->tok = K_ASSIGN;
		p++;
	} else {
		return tmpl_perr(c, p, "unexpected \"%c\" in command", t[p]);
	}
	c->tlen = p - s;
	c->pos = p;
	return 0;
}

static void put_utf8(struct hw_buf *b, unsigned long r)
{
	if (r < 0x80) {
		buf_putc(b, (char)r);
	} else if (r < 0x800) {
		buf_putc(b, (char)(0xc0 | (r >> 6)));
		buf_putc(b, (char)(0x80 | (r & 0x3f)));
	} else if (r < 0x10000) {
		buf_putc(b, (char)(0xe0 | (r >> 12)));
		buf_putc(b, (char)(0x80 | ((r >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (r & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (r >> 18)));
		buf_putc(b, (char)(0x80 | ((r >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((r >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (r & 0x3f)));
	}
}

int tmpl_unquote(struct tctx *c, struct hw_buf *b)
{
	const char *s = c->t + c->tpos + 1, *e = c->t + c->tpos + c->tlen - 1;

	if (c->t[c->tpos] == '`') {
		buf_put(b, s, (size_t)(e - s));
		return 0;
	}
	while (s < e) {
		if (*s != '\\') {
			buf_putc(b, *s++);
			continue;
		}
		s++;
		const char *esc = "abfnrtv\\\"", *val = "\a\b\f\n\r\t\v\\\"";
		const char *hit = strchr(esc, *s);
		if (*s && hit) {
			buf_putc(b, val[hit - esc]);
			s++;
			continue;
		}
		int nd = *s == 'x' ? 2 : *s == 'u' ? 4 : *s == 'U' ? 8 : 0;
		int base = 16;
		if (*s >= '0' && *s <= '7') {
			nd = 3;
			base = 8;
			s--;
		}
		if (!nd || e - s - 1 < nd)
			return tmpl_perr(c, c->tpos, "invalid syntax");
		char tmp[12] = {0}, *end;
		memcpy(tmp, s + 1, (size_t)nd);
		unsigned long r = strtoul(tmp, &end, base);
		if (*end || r > (base == 8 ? 255UL : 0x10ffffUL))
			return tmpl_perr(c, c->tpos, "invalid syntax");
		if (*s == 'x' || base == 8)
			buf_putc(b, (char)r);
		else
			put_utf8(b, r);
		s += nd + 1;
	}
	return 0;
}

int tmpl_number(struct tctx *c, struct tv *v)
{
	char tmp[64], *end;
	size_t o = 0;
	bool hex;

	if (c->tlen >= sizeof(tmp))
		return tmpl_perr(c, c->tpos, "bad number syntax: \"%.*s\"",
			    (int)c->tlen, c->t + c->tpos);
	for (size_t i = 0; i < c->tlen; i++)
		if (c->t[c->tpos + i] != '_')
			tmp[o++] = c->t[c->tpos + i];
	tmp[o] = '\0';
	hex = strstr(tmp, "0x") || strstr(tmp, "0X");
	errno = 0;
	v->k = TV_INT;
	v->i = strtoll(tmp, &end, 0);
	if (*end == '\0' && errno == 0)
		return 0;
	v->k = TV_FLOAT;
	v->f = strtod(tmp, &end);
	if (*end != '\0' || end == tmp || (hex && !strpbrk(tmp, "pP")))
		return tmpl_perr(c, c->tpos, "bad number syntax: \"%.*s\"",
			    (int)c->tlen, c->t + c->tpos);
	if (errno == ERANGE && isinf(v->f))
		return tmpl_perr(c, c->tpos, "illegal number syntax: \"%.*s\"",
			    (int)c->tlen, c->t + c->tpos);
	return 0;
}
