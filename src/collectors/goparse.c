/* Go-compatible parsing helpers: see goparse.h. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "goparse.h"

static bool goparse_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool goparse_is_xdigit(char c)
{
	return goparse_is_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool goparse_ieq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Powers of ten a double holds exactly (10^22 < 2^53 * 2^22). */
static const double goparse_pow10[] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The value of the already validated decimal s[:n] (digits, an optional
 * '.' and more digits, an optional exponent; no sign), when it can be had
 * exactly without strtod: Clinger's fast path. With the digits as an
 * integer m < 2^53 and the decimal exponent e within [-22, 22], both m and
 * 10^|e| are exact doubles, and one IEEE multiplication or division rounds
 * the exact product or quotient once, to nearest: the correctly rounded
 * value that strtod (and Go's ParseFloat) returns, bit for bit. Short
 * decimals (PSI averages, loadavg, meminfo and /proc/stat counters) always
 * take it; false sends anything else to strtod. Needs double arithmetic
 * without excess precision (FLT_EVAL_METHOD 0: x86-64 SSE, arm64). */
static bool goparse_exact_decimal(const char *s, size_t n, bool neg,
				  double *out)
{
#if FLT_EVAL_METHOD == 0
	const uint64_t limit = (uint64_t)1 << 53;
	uint64_t m = 0;
	long e = 0;
	size_t j = 0;
	for (; j < n && goparse_is_digit(s[j]); j++) {
		m = m * 10 + (uint64_t)(s[j] - '0');
		if (m >= limit)
			return false;
	}
	if (j < n && s[j] == '.') {
		for (j++; j < n && goparse_is_digit(s[j]); j++) {
			m = m * 10 + (uint64_t)(s[j] - '0');
			if (m >= limit)
				return false;
			e--;
		}
	}
	if (j < n) {
		/* the exponent: 'e' or 'E', a sign, digits (validated) */
		bool eneg = false;
		long x = 0;
		j++;
		if (s[j] == '+' || s[j] == '-')
			eneg = s[j++] == '-';
		for (; j < n; j++) {
			x = x * 10 + (s[j] - '0');
			if (x > 1000)
				return false;
		}
		e += eneg ? -x : x;
	}
	if (e < -22 || e > 22)
		return false;
	double v = (double)m;
	if (e < 0)
		v /= goparse_pow10[-e];
	else
		v *= goparse_pow10[e];
	*out = neg ? -v : v;
	return true;
#else
	(void)s;
	(void)n;
	(void)neg;
	(void)out;
	return false;
#endif
}

int go_parse_float(const char *s, size_t n, double *out)
{
	char tmp[128];
	size_t i = 0;
	bool neg = false;

	if (n == 0 || n >= sizeof(tmp))
		return n == 0 ? -EINVAL : -ERANGE;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	/* strconv/atof.go special(): inf, infinity, nan (no sign on nan).
	 * Numbers, nearly all we see, start with neither letter. */
	char c0 = i < n ? s[i] : '\0';
	if ((c0 == 'i' || c0 == 'I') &&
	    (goparse_ieq(s + i, n - i, "inf") ||
	     goparse_ieq(s + i, n - i, "infinity"))) {
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if ((c0 == 'n' || c0 == 'N') && i == 0 && goparse_ieq(s, n, "nan")) {
		*out = NAN;
		return 0;
	}
	/* Validate the syntax ourselves: strtod is more lenient (hex without
	 * an exponent, leading blanks, "nan(...)"). Underscores, which Go only
	 * allows after a base prefix, are rejected. */
	size_t j = i, digits = 0;
	bool hex = n - j > 2 && s[j] == '0' &&
		   (s[j + 1] == 'x' || s[j + 1] == 'X');
	if (hex) {
		j += 2;
		for (; j < n && goparse_is_xdigit(s[j]); j++)
			digits++;
		if (j < n && s[j] == '.')
			for (j++; j < n && goparse_is_xdigit(s[j]); j++)
				digits++;
		if (digits == 0 || j >= n || (s[j] != 'p' && s[j] != 'P'))
			return -EINVAL;
	} else {
		for (; j < n && goparse_is_digit(s[j]); j++)
			digits++;
		if (j < n && s[j] == '.')
			for (j++; j < n && goparse_is_digit(s[j]); j++)
				digits++;
		if (digits == 0)
			return -EINVAL;
		if (j < n && s[j] != 'e' && s[j] != 'E')
			return -EINVAL;
	}
	if (j < n) {
		j++; /* the exponent letter */
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		size_t ed = 0;
		for (; j < n && goparse_is_digit(s[j]); j++)
			ed++;
		if (ed == 0 || j != n)
			return -EINVAL;
	}
	if (!hex && goparse_exact_decimal(s + i, n - i, neg, out))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	char *end;
	double v = strtod(tmp, &end);
	if (end != tmp + n)
		return -EINVAL;
	/* Go returns ±Inf with ErrRange on overflow, but a silent 0 on
	 * underflow. */
	if (isinf(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int go_parse_uint(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!goparse_is_digit(s[i]))
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Character classes of fmt/scan.go floatToken(): each set it passes to
 * s.accept(). */
static bool gp_n(char c) { return c == 'n' || c == 'N'; }
static bool gp_a(char c) { return c == 'a' || c == 'A'; }
static bool gp_i(char c) { return c == 'i' || c == 'I'; }
static bool gp_f(char c) { return c == 'f' || c == 'F'; }
static bool gp_sign(char c) { return c == '+' || c == '-'; }
static bool gp_zero(char c) { return c == '0'; }
static bool gp_x(char c) { return c == 'x' || c == 'X'; }
static bool gp_dot(char c) { return c == '.'; }
static bool gp_dec(char c) { return goparse_is_digit(c) || c == '_'; }
static bool gp_hex(char c) { return goparse_is_xdigit(c) || c == '_'; }
static bool gp_exp_dec(char c)
{
	return c == 'e' || c == 'E' || c == 'p' || c == 'P';
}
static bool gp_exp_hex(char c) { return c == 'p' || c == 'P'; }

/* s.accept(set): take the next character if it is in the class. (A table
 * of predicates rather than strchr over a string: this runs for every
 * character of every number in /proc/stat and the PSI files.) */
static inline bool goparse_accept(const char **p, const char *end,
				  bool (*in)(char))
{
	if (*p < end && **p && in(**p)) {
		(*p)++;
		return true;
	}
	return false;
}

int go_scan_float(const char **p, const char *end, double *out)
{
	const char *s = *p;
	while (s < end && go_is_space(*s) && *s != '\n')
		s++;
	if (s >= end || *s == '\n') {
		*p = s;
		return 0;
	}
	/* fmt/scan.go floatToken(), which decides how far the token reaches
	 * before ParseFloat judges it. */
	const char *t = s;
	if (goparse_accept(&t, end, gp_n) && goparse_accept(&t, end, gp_a) &&
	    goparse_accept(&t, end, gp_n))
		goto parse;
	t = s;
	goparse_accept(&t, end, gp_sign);
	const char *u = t;
	if (goparse_accept(&u, end, gp_i) && goparse_accept(&u, end, gp_n) &&
	    goparse_accept(&u, end, gp_f)) {
		t = u;
		goto parse;
	}
	bool (*digits)(char) = gp_dec, (*exp)(char) = gp_exp_dec;
	if (goparse_accept(&t, end, gp_zero) && goparse_accept(&t, end, gp_x)) {
		digits = gp_hex;
		exp = gp_exp_hex;
	}
	while (goparse_accept(&t, end, digits))
		;
	if (goparse_accept(&t, end, gp_dot))
		while (goparse_accept(&t, end, digits))
			;
	if (goparse_accept(&t, end, exp)) {
		goparse_accept(&t, end, gp_sign);
		while (goparse_accept(&t, end, gp_dec))
			;
	}
parse:
	if (t == s)
		return -EINVAL;
	int rc = go_parse_float(s, (size_t)(t - s), out);
	if (rc < 0)
		return -EINVAL;
	*p = t;
	return 1;
}

char *go_cut_field(char **s)
{
	char *p = *s;
	while (go_is_space(*p))
		p++;
	if (!*p)
		return NULL;
	char *field = p;
	while (*p && !go_is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return field;
}

bool go_next_field(const char **p, const char *end, const char **f,
		   size_t *flen)
{
	const char *s = *p;
	while (s < end && go_is_space(*s))
		s++;
	const char *e = s;
	while (e < end && !go_is_space(*e))
		e++;
	*p = e;
	if (e == s)
		return false;
	*f = s;
	*flen = (size_t)(e - s);
	return true;
}

bool go_valid_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = u[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF are
		 * invalid for Go as for the standard. */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

bool go_valid_utf8_str(const char *s)
{
	return go_valid_utf8(s, strlen(s));
}

bool go_valid_metric_name(const char *s)
{
	if (!*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '_' || c == ':' || (i > 0 && goparse_is_digit(c));
		if (!ok)
			return false;
	}
	return true;
}
