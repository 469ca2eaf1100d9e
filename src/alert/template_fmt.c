/* Go's fmt for the values an alert template prints: float64 through
 * strconv.FormatFloat (%v and %g are 'g' with the shortest digits that read
 * back exactly, in exponent form when the exponent is < -4 or >= 6:
 * strconv/ftoa.go's "eprec = 6" for the shortest form), ints,
 * strings and map[string]string, and fmt.Sprintf's verbs, flags and error
 * forms (%!d(float64=1.5), %!f(MISSING), %!(EXTRA ...)) from fmt/print.go
 * and fmt/format.go. Checked against promtool 2.42's template output. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/expo.h"
#include "hostwatch/template.h"
#include "template_internal.h"

/* The shortest decimal digits of v (finite, > 0) that read back as v, and
 * the decimal exponent of the first one (v = d.ddd x 10^exp), as Go's
 * shortest formatting picks them: taken from expo_format_double, the
 * exposition writer's strconv.FormatFloat(v, 'g', -1, 64). */
static int shortest_digits(double v, char *digits, int *exp)
{
	char g[EXPO_NUM_MAX];
	expo_format_double(g, v, EXPO_TEXT);
	char *e = strchr(g, 'e');
	size_t len = e ? (size_t)(e - g) : strlen(g);
	const char *dot = memchr(g, '.', len);
	int intlen = dot ? (int)(dot - g) : (int)len;
	int nd = 0, first = -1;
	for (size_t i = 0, k = 0; i < len; i++) {
		if (g[i] == '.')
			continue;
		if (first < 0 && g[i] != '0')
			first = (int)k;
		if (first >= 0)
			digits[nd++] = g[i];
		k++;
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	*exp = e ? atoi(e + 1) : intlen - 1 - first;
	return nd;
}

/* strconv's %e and %f layouts of shortest digits. */
static void put_shortest(struct hw_buf *b, const char *d, int nd, int exp,
			 char e)
{
	if (exp < -4 || exp >= 6) {
		buf_putc(b, d[0]);
		if (nd > 1) {
			buf_putc(b, '.');
			buf_put(b, d + 1, (size_t)nd - 1);
		}
		buf_printf(b, "%c%c%02d", e, exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	if (exp < 0) {
		buf_puts(b, "0.");
		for (int i = -1; i > exp; i--)
			buf_putc(b, '0');
		buf_put(b, d, (size_t)nd);
		return;
	}
	for (int i = 0; i <= exp || i < nd; i++) {
		if (i == exp + 1)
			buf_putc(b, '.');
		buf_putc(b, i < nd ? d[i] : '0');
	}
}

/* The unsigned text of |v| for a float verb (v, g, G, e, E, f, F) and a
 * precision (-1: none); false for a verb floats do not have. */
static bool float_digits(struct hw_buf *b, double v, char verb, int prec)
{
	char tmp[400], f[8];

	v = fabs(v);
	if (isnan(v)) {
		buf_puts(b, "NaN");
		return true;
	}
	if (isinf(v)) {
		buf_puts(b, "Inf");
		return true;
	}
	switch (verb) {
	case 'v':
	case 'g':
	case 'G':
		if (prec < 0) {
			char d[32];
			int exp = 0, nd;
			if (v == 0) {
				buf_putc(b, '0');
				return true;
			}
			nd = shortest_digits(v, d, &exp);
			put_shortest(b, d, nd, exp, verb == 'G' ? 'E' : 'e');
			return true;
		}
		/* C's %.Ng: the same digits and the same layout rule as
		 * strconv's 'g' with a precision (ftoa.go: eprec). */
		snprintf(f, sizeof(f), "%%.*%c", verb == 'G' ? 'G' : 'g');
		break;
	case 'e':
	case 'E':
	case 'f':
	case 'F':
		if (prec < 0)
			prec = 6;
		snprintf(f, sizeof(f), "%%.*%c", verb == 'F' ? 'f' : verb);
		break;
	default:
		return false;
	}
	if (prec > 300)
		prec = 300;
	snprintf(tmp, sizeof(tmp), f, prec, v);
	buf_puts(b, tmp);
	return true;
}

struct spec {
	bool minus, plus, space, zero, sharp;
	int width, prec; /* -1: none */
};

/* fmt.pad: width in runes, zero padding after the sign. */
static void put_padded(struct hw_buf *b, const struct spec *sp,
		       const char *sign, const char *s, size_t len, bool zero)
{
	size_t runes = strlen(sign);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			runes++;
	size_t pad = sp->width > 0 && (size_t)sp->width > runes
			     ? (size_t)sp->width - runes
			     : 0;
	if (sp->minus) {
		buf_puts(b, sign);
		buf_put(b, s, len);
		for (size_t i = 0; i < pad; i++)
			buf_putc(b, ' ');
		return;
	}
	if (zero) {
		buf_puts(b, sign);
		for (size_t i = 0; i < pad; i++)
			buf_putc(b, '0');
	} else {
		for (size_t i = 0; i < pad; i++)
			buf_putc(b, ' ');
		buf_puts(b, sign);
	}
	buf_put(b, s, len);
}

/* fmt/format.go fmtFloat: sign rules (Inf always signed, NaN only with +
 * or space), no zero padding of Inf and NaN. */
static bool fmt_float(struct hw_buf *b, const struct spec *sp, double v,
		      char verb)
{
	struct hw_buf t = HW_BUF_INIT;
	const char *sign = "";
	bool ok;

	ok = float_digits(&t, v, verb, sp->prec);
	if (ok) {
		if (isnan(v))
			sign = sp->plus ? "+" : sp->space ? " " : "";
		else if (signbit(v))
			sign = "-";
		else if (sp->plus || isinf(v))
			sign = sp->space && !sp->plus ? " " : "+";
		else if (sp->space)
			sign = " ";
		put_padded(b, sp, sign, t.data ? t.data : "", t.len,
			   sp->zero && !sp->minus && isfinite(v));
	}
	buf_free(&t);
	return ok;
}

static bool fmt_int(struct hw_buf *b, const struct spec *sp, long long i,
		    char verb)
{
	char tmp[80];
	const char *sign = i < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i
				     : (unsigned long long)i;

	switch (verb) {
	case 'd':
	case 'v':
		snprintf(tmp, sizeof(tmp), "%llu", u);
		break;
	case 'x':
		snprintf(tmp, sizeof(tmp), "%llx", u);
		break;
	case 'X':
		snprintf(tmp, sizeof(tmp), "%llX", u);
		break;
	case 'o':
		snprintf(tmp, sizeof(tmp), "%llo", u);
		break;
	default:
		return false;
	}
	put_padded(b, sp, sign, tmp, strlen(tmp), sp->zero && !sp->minus);
	return true;
}

/* strconv.Quote for the ASCII escapes; other bytes are kept. */
static void put_quoted(struct hw_buf *b, const char *s, size_t len)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(b, "\\x%02x", c);
			else
				buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

static bool fmt_str(struct hw_buf *b, const struct spec *sp, const char *s,
		    char verb)
{
	struct hw_buf t = HW_BUF_INIT;
	size_t len = strlen(s);

	if (sp->prec >= 0) { /* precision truncates, in runes */
		size_t runes = 0, i;
		for (i = 0; i < len; i++)
			if (((unsigned char)s[i] & 0xc0) != 0x80 &&
			    runes++ == (size_t)sp->prec)
				break;
		len = i;
	}
	switch (verb) {
	case 's':
	case 'v':
		put_padded(b, sp, "", s, len, sp->zero && !sp->minus);
		return true;
	case 'q':
		put_quoted(&t, s, len);
		break;
	case 'x':
	case 'X':
		for (size_t i = 0; i < len; i++)
			buf_printf(&t, verb == 'x' ? "%02x" : "%02X",
				   (unsigned char)s[i]);
		break;
	default:
		return false;
	}
	put_padded(b, sp, "", t.data ? t.data : "", t.len,
		   sp->zero && !sp->minus);
	buf_free(&t);
	return true;
}

/* Go prints map[string]string sorted by key, as map[k:v k2:v2]; a label
 * set is already sorted by name. */
static void put_map(struct hw_buf *b, const struct hw_labels *ls)
{
	buf_puts(b, "map[");
	for (size_t i = 0; ls && i < ls->n; i++) {
		if (i)
			buf_putc(b, ' ');
		buf_puts(b, ls->l[i].name);
		buf_putc(b, ':');
		buf_puts(b, ls->l[i].value);
	}
	buf_putc(b, ']');
}

const char *tv_type_name(const struct tv *v)
{
	switch (v->k) {
	case TV_STR:
		return "string";
	case TV_FLOAT:
		return "float64";
	case TV_INT:
		return "int";
	case TV_LABELS:
	case TV_EMPTYMAP:
		return "map[string]string";
	case TV_DATA:
		return "struct { Labels map[string]string; ExternalLabels "
		       "map[string]string; ExternalURL string; Value float64 }";
	case TV_NONE:
		break;
	}
	return "<nil>";
}

void tv_print(struct hw_buf *b, const struct tv *v)
{
	char tmp[40];

	switch (v->k) {
	case TV_STR:
		buf_puts(b, v->s);
		break;
	case TV_FLOAT:
		template_format_float(v->f, tmp, sizeof(tmp));
		buf_puts(b, tmp);
		break;
	case TV_INT:
		buf_printf(b, "%lld", v->i);
		break;
	case TV_LABELS:
		put_map(b, v->labels);
		break;
	case TV_EMPTYMAP:
		put_map(b, NULL);
		break;
	case TV_DATA: /* Go's %v of the data struct */
		buf_putc(b, '{');
		put_map(b, v->labels);
		buf_puts(b, " map[]  ");
		template_format_float(v->f, tmp, sizeof(tmp));
		buf_puts(b, tmp);
		buf_putc(b, '}');
		break;
	case TV_NONE:
		buf_puts(b, "<nil>");
		break;
	}
}

void tv_sprint(struct hw_buf *b, const struct tv *args, size_t n, bool ln)
{
	for (size_t i = 0; i < n; i++) {
		/* Sprint: a space between operands when neither is a
		 * string; Sprintln: always. */
		if (i > 0 && (ln || (args[i].k != TV_STR &&
				     args[i - 1].k != TV_STR)))
			buf_putc(b, ' ');
		tv_print(b, &args[i]);
	}
	if (ln)
		buf_putc(b, '\n');
}

void template_format_float(double v, char *out, size_t size)
{
	struct hw_buf b = HW_BUF_INIT;
	struct spec sp = {.width = -1, .prec = -1};

	fmt_float(&b, &sp, v, 'v');
	snprintf(out, size, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_free(&b);
}

void tv_fmt_g4(struct hw_buf *b, double v)
{
	struct spec sp = {.width = -1, .prec = 4};

	fmt_float(b, &sp, v, 'g');
}

static void bad_verb(struct hw_buf *b, char verb, const struct tv *a)
{
	buf_printf(b, "%%!%c(", verb);
	if (a->k == TV_NONE) {
		buf_puts(b, "<nil>)");
		return;
	}
	buf_printf(b, "%s=", tv_type_name(a));
	tv_print(b, a);
	buf_putc(b, ')');
}

static int parse_num(const char **p)
{
	int n = 0;
	while (**p >= '0' && **p <= '9') {
		if (n < 100000)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

void tv_sprintf(struct hw_buf *b, const char *format, const struct tv *args,
		size_t n)
{
	const char *p = format;
	size_t argi = 0;

	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			buf_puts(b, p);
			break;
		}
		buf_put(b, p, (size_t)(pct - p));
		p = pct + 1;
		struct spec sp = {.width = -1, .prec = -1};
		for (;; p++) {
			if (*p == '-')
				sp.minus = true;
			else if (*p == '+')
				sp.plus = true;
			else if (*p == ' ')
				sp.space = true;
			else if (*p == '0')
				sp.zero = true;
			else if (*p == '#')
				sp.sharp = true;
			else
				break;
		}
		if (*p >= '0' && *p <= '9')
			sp.width = parse_num(&p);
		if (*p == '.') {
			p++;
			sp.prec = parse_num(&p);
		}
		if (!*p) {
			buf_puts(b, "%!(NOVERB)");
			break;
		}
		char verb = *p++;
		if (verb == '%') {
			buf_putc(b, '%');
			continue;
		}
		if (argi >= n) {
			buf_printf(b, "%%!%c(MISSING)", verb);
			continue;
		}
		const struct tv *a = &args[argi++];
		bool ok = false;
		if (verb == 'v' && sp.plus) /* %+v: plusV, no sign */
			sp.plus = false;
		switch (a->k) {
		case TV_FLOAT:
			ok = fmt_float(b, &sp, a->f, verb);
			break;
		case TV_INT:
			ok = fmt_int(b, &sp, a->i, verb);
			break;
		case TV_STR:
			ok = fmt_str(b, &sp, a->s, verb);
			break;
		case TV_LABELS:
		case TV_EMPTYMAP:
		case TV_DATA:
			if (verb == 'v' || verb == 's') {
				struct hw_buf t = HW_BUF_INIT;
				tv_print(&t, a);
				put_padded(b, &sp, "", t.data ? t.data : "",
					   t.len, false);
				buf_free(&t);
				ok = true;
			}
			break;
		case TV_NONE:
			break;
		}
		if (!ok)
			bad_verb(b, verb, a);
	}
	if (argi < n) {
		buf_puts(b, "%!(EXTRA ");
		for (size_t i = argi; i < n; i++) {
			if (i > argi)
				buf_puts(b, ", ");
			buf_printf(b, "%s=", tv_type_name(&args[i]));
			tv_print(b, &args[i]);
		}
		buf_putc(b, ')');
	}
}

void template_format_float_e(double v, bool upper, char *out, size_t size)
{
	if (isnan(v) || isinf(v)) {
		snprintf(out, size, "%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
		return;
	}
	char d[32];
	int exp = 0, nd = 1;
	if (v == 0)
		strcpy(d, "0");
	else
		nd = shortest_digits(fabs(v), d, &exp);
	snprintf(out, size, "%s%c%s%.*s%c%c%02d", signbit(v) ? "-" : "", d[0],
		 nd > 1 ? "." : "", nd - 1, d + 1, upper ? 'E' : 'e',
		 exp < 0 ? '-' : '+', abs(exp));
}
