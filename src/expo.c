/* Exposition writer: see include/hostwatch/expo.h.
 * Mirrors client_golang's expfmt/text_create.go and openmetrics_create.go. */
#include "config.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostwatch/expo.h"

/* --- numbers ------------------------------------------------------------ */

/* Decimal digits of u, most significant first, trailing zeros dropped (the
 * caller tracks the decimal point). Returns how many digits u has; *nd gets
 * how many were kept. */
static size_t u64_digits(uint64_t u, char *digits, size_t *nd)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	size_t k = 0;
	for (size_t i = n; i-- > 0;)
		digits[k++] = tmp[i];
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	*nd = k;
	return n;
}

/* Shortest decimal digits of |v| (no leading/trailing zeros) and the decimal
 * point position dp such that |v| = 0.DIGITS x 10^dp. */
static size_t shortest_digits(double v, char *digits, int *dp)
{
	v = fabs(v);
	/* Integers below 2^53 are exact: every neighbour is representable too, so
	 * their own digits are the shortest round-trip form. This covers most
	 * counters and is far cheaper than printf. */
	size_t nd;
	if (v < 9007199254740992.0 && v == floor(v)) {
		*dp = (int)u64_digits((uint64_t)v, digits, &nd);
		return nd;
	}
	/* Values with a few decimals (seconds from ticks or milliseconds, load
	 * averages) are most of the rest: find the fewest decimals k for which
	 * m = v * 10^k is a whole number that reads back as v. Below 2^50,
	 * nearbyint finds that m if it exists (the product errs by less than
	 * 0.25), and m / 10^k, both exact doubles, is a correctly rounded IEEE
	 * division: the same double strtod gives for "m e-k". Fewest decimals
	 * means fewest significant digits, so this is the shortest form. */
	static const double pow10[] = {1e1, 1e2, 1e3, 1e4, 1e5,
				       1e6, 1e7, 1e8, 1e9};
	if (v >= 1e-4 && v < 1e9) {
		for (int k = 0; k < 9; k++) {
			double m = nearbyint(v * pow10[k]);
			if (m >= 1125899906842624.0) /* 2^50 */
				break;
			if (m / pow10[k] != v)
				continue;
			*dp = (int)u64_digits((uint64_t)m, digits, &nd) - (k + 1);
			return nd;
		}
	}
	/* Otherwise the first precision (15, 16, 17 significant digits) whose
	 * correctly rounded form reads back exactly is the shortest: any decimal
	 * with at most 15 digits survives a round trip (DBL_DIG), so when one
	 * exists, rounding to 15 digits yields it with zeros appended. */
	char e[40];
	/* Subnormals carry fewer than 15 significant digits, so the argument
	 * above does not hold for them: search from one digit up. */
	int first = v < DBL_MIN ? 1 : 15;
	for (int prec = first; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if (prec == 17 || strtod(e, NULL) == v)
			break;
	}
	/* e is "D.DDDDe[+-]XX" */
	nd = 0;
	const char *p = e;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	int exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	*dp = exp10 + 1;
	return nd;
}

size_t expo_format_double(char *dst, double v, enum expo_format format)
{
	bool om = format == EXPO_OPENMETRICS;
	if (isnan(v))
		return (size_t)sprintf(dst, "NaN");
	if (isinf(v))
		return (size_t)sprintf(dst, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return (size_t)sprintf(dst, om ? "0.0" : "0");

	char digits[24];
	int dp;
	size_t nd = shortest_digits(v, digits, &dp);
	size_t n = 0;
	if (v < 0)
		dst[n++] = '-';
	int exp10 = dp - 1;
	/* strconv uses %e when the exponent is < -4 or >= 6 for shortest 'g'
	 * (ftoa.go: "if precision was the shortest possible, use precision 6"). */
	if (exp10 < -4 || exp10 >= 6) {
		dst[n++] = digits[0];
		if (nd > 1) {
			dst[n++] = '.';
			memcpy(dst + n, digits + 1, nd - 1);
			n += nd - 1;
		}
		n += (size_t)sprintf(dst + n, "e%c%02d", exp10 < 0 ? '-' : '+',
				     abs(exp10));
		return n;
	}
	bool has_point = false;
	if (dp <= 0) {
		dst[n++] = '0';
		dst[n++] = '.';
		for (int i = 0; i < -dp; i++)
			dst[n++] = '0';
		memcpy(dst + n, digits, nd);
		n += nd;
		has_point = true;
	} else if ((size_t)dp >= nd) {
		memcpy(dst + n, digits, nd);
		n += nd;
		for (size_t i = nd; i < (size_t)dp; i++)
			dst[n++] = '0';
	} else {
		memcpy(dst + n, digits, (size_t)dp);
		n += (size_t)dp;
		dst[n++] = '.';
		memcpy(dst + n, digits + dp, nd - (size_t)dp);
		n += nd - (size_t)dp;
		has_point = true;
	}
	/* openmetrics_create.go writeOpenMetricsFloat: integers get ".0". */
	if (om && !has_point) {
		dst[n++] = '.';
		dst[n++] = '0';
	}
	dst[n] = '\0';
	return n;
}

/* --- names and escaping --------------------------------------------------- */

bool expo_valid_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':'))
			return false;
	return true;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Escape s for a label value (quote=true) or a HELP text. The exposition
 * formats must be UTF-8; invalid bytes become U+FFFD, as Go's
 * strings.ToValidUTF8 would make them, instead of breaking the whole scrape. */
static void put_escaped(struct hw_buf *b, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const unsigned char *run = p;
		while (*p >= 0x20 && *p < 0x80 && *p != '\\' && *p != '"')
			p++;
		if (p > run)
			buf_put(b, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p == '\\') {
			buf_put(b, "\\\\", 2);
			p++;
		} else if (*p == '\n') {
			buf_put(b, "\\n", 2);
			p++;
		} else if (*p == '"') {
			if (quote)
				buf_put(b, "\\\"", 2);
			else
				buf_putc(b, '"');
			p++;
		} else if (*p < 0x80) {
			buf_putc(b, (char)*p); /* other control characters */
			p++;
		} else {
			size_t n = utf8_seq_len(p);
			if (n) {
				buf_put(b, (const char *)p, n);
				p += n;
			} else {
				buf_put(b, "\xef\xbf\xbd", 3);
				p++;
			}
		}
	}
}

/* --- the sink ------------------------------------------------------------- */

static struct expo_writer *as_writer(struct sink *s)
{
	return (struct expo_writer *)s;
}

/* A family that got no sample is removed again: a HELP/TYPE pair with no
 * series is legal but useless, and node_exporter never prints one. */
static void close_family(struct expo_writer *w)
{
	if (w->name[0] && w->samples == 0 && !w->dropping)
		w->out->len = w->header_mark;
}

static const char *type_name(enum hw_type type, bool om)
{
	switch (type) {
	case HW_COUNTER:
		return "counter";
	case HW_GAUGE:
		return "gauge";
	default:
		return om ? "unknown" : "untyped";
	}
}

static void writer_family(struct sink *s, const char *name, const char *help,
			  enum hw_type type)
{
	struct expo_writer *w = as_writer(s);
	close_family(w);
	w->samples = 0;
	w->suffix = "";
	size_t len = strlen(name);
	w->dropping = len >= sizeof(w->name) || !expo_valid_name(name);
	if (w->dropping) {
		w->invalid++;
		w->name[0] = '\0';
		return;
	}
	memcpy(w->name, name, len + 1);
	w->header_mark = w->out->len;

	bool om = w->format == EXPO_OPENMETRICS;
	size_t flen = len;
	/* OpenMetrics names a counter family without its _total suffix and
	 * requires the suffix on the samples (openmetrics_create.go). */
	if (om && type == HW_COUNTER) {
		if (len > 6 && strcmp(name + len - 6, "_total") == 0)
			flen = len - 6;
		else
			w->suffix = "_total";
	}
	struct hw_buf *b = w->out;
	if (help) {
		buf_put(b, "# HELP ", 7);
		buf_put(b, name, flen);
		buf_putc(b, ' ');
		put_escaped(b, help, om);
		buf_putc(b, '\n');
	}
	buf_put(b, "# TYPE ", 7);
	buf_put(b, name, flen);
	buf_putc(b, ' ');
	buf_puts(b, type_name(type, om));
	buf_putc(b, '\n');
}

static void writer_sample(struct sink *s, const struct hw_label *labels,
			  size_t nlabels, double value)
{
	struct expo_writer *w = as_writer(s);
	if (w->dropping || !w->name[0])
		return;
	struct hw_buf *b = w->out;
	buf_puts(b, w->name);
	buf_puts(b, w->suffix);
	if (nlabels) {
		buf_putc(b, '{');
		for (size_t i = 0; i < nlabels; i++) {
			if (i)
				buf_putc(b, ',');
			buf_puts(b, labels[i].name);
			buf_put(b, "=\"", 2);
			put_escaped(b, labels[i].value, true);
			buf_putc(b, '"');
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ' ');
	char num[EXPO_NUM_MAX];
	size_t n = expo_format_double(num, value, w->format);
	buf_put(b, num, n);
	buf_putc(b, '\n');
	w->samples++;
}

void expo_init(struct expo_writer *w, struct hw_buf *out,
	       enum expo_format format)
{
	memset(w, 0, sizeof(*w));
	w->sink.family = writer_family;
	w->sink.sample = writer_sample;
	w->out = out;
	w->format = format;
	w->suffix = "";
}

void expo_finish(struct expo_writer *w)
{
	close_family(w);
	w->name[0] = '\0';
	if (w->format == EXPO_OPENMETRICS)
		buf_puts(w->out, "# EOF\n");
}

const char *expo_content_type(enum expo_format format)
{
	return format == EXPO_OPENMETRICS
		       ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

/* --- content negotiation -------------------------------------------------- */

/* Parse one media range "type/sub;k=v;q=0.5" (len bytes at p). */
static void media_range(const char *p, size_t len, double *q_om,
			double *q_text)
{
	char mt[128], version[32] = "";
	double q = 1.0;
	size_t i = 0, n = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (i < len && p[i] != ';' && p[i] != ' ' && n + 1 < sizeof(mt))
		mt[n++] = (char)tolower((unsigned char)p[i++]);
	mt[n] = '\0';
	while (i < len) {
		while (i < len && (p[i] == ';' || p[i] == ' ' || p[i] == '\t'))
			i++;
		size_t ks = i;
		while (i < len && p[i] != '=' && p[i] != ';')
			i++;
		size_t kl = i - ks;
		if (i >= len || p[i] != '=')
			continue;
		i++;
		size_t vs = i;
		while (i < len && p[i] != ';')
			i++;
		size_t vl = i - vs;
		while (vl && (p[vs + vl - 1] == ' ' || p[vs + vl - 1] == '\t'))
			vl--;
		if (kl == 1 && tolower((unsigned char)p[ks]) == 'q') {
			char tmp[16];
			snprintf(tmp, sizeof(tmp), "%.*s", (int)vl, p + vs);
			q = strtod(tmp, NULL);
		} else if (kl == 7 && strncasecmp(p + ks, "version", 7) == 0) {
			snprintf(version, sizeof(version), "%.*s", (int)vl,
				 p + vs);
		}
	}
	if (strcmp(mt, "application/openmetrics-text") == 0) {
		if ((!version[0] || strcmp(version, "1.0.0") == 0 ||
		     strcmp(version, "0.0.1") == 0) &&
		    q > *q_om)
			*q_om = q;
	} else if (strcmp(mt, "text/plain") == 0 || strcmp(mt, "*/*") == 0 ||
		   strcmp(mt, "text/*") == 0) {
		if (q > *q_text)
			*q_text = q;
	}
}

enum expo_format expo_negotiate(const char *accept)
{
	if (!accept)
		return EXPO_TEXT;
	double q_om = 0, q_text = 0;
	const char *p = accept;
	while (*p) {
		size_t len = strcspn(p, ",");
		media_range(p, len, &q_om, &q_text);
		p += len;
		if (*p == ',')
			p++;
	}
	return q_om > 0 && q_om >= q_text ? EXPO_OPENMETRICS : EXPO_TEXT;
}
