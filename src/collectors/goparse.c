/* Go-compatible parsing helpers: see goparse.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "goparse.h"

bool go_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

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
	/* strconv/atof.go special(): inf, infinity, nan (no sign on nan). */
	if (goparse_ieq(s + i, n - i, "inf") ||
	    goparse_ieq(s + i, n - i, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (i == 0 && goparse_ieq(s, n, "nan")) {
		*out = NAN;
		return 0;
	}
	/* Validate the syntax ourselves: strtod is more lenient (hex without
	 * an exponent, leading blanks, "nan(...)"). Underscores, which Go only
	 * allows after a base prefix, are rejected. */
	size_t j = i, digits = 0;
	if (n - j > 2 && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
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

static bool goparse_accept(const char **p, const char *end, const char *set)
{
	if (*p < end && **p && strchr(set, **p)) {
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
	if (goparse_accept(&t, end, "nN") && goparse_accept(&t, end, "aA") &&
	    goparse_accept(&t, end, "nN"))
		goto parse;
	t = s;
	goparse_accept(&t, end, "+-");
	const char *u = t;
	if (goparse_accept(&u, end, "iI") && goparse_accept(&u, end, "nN") &&
	    goparse_accept(&u, end, "fF")) {
		t = u;
		goto parse;
	}
	const char *digits = "0123456789_", *exp = "eEpP";
	if (goparse_accept(&t, end, "0") && goparse_accept(&t, end, "xX")) {
		digits = "0123456789aAbBcCdDeEfF_";
		exp = "pP";
	}
	while (goparse_accept(&t, end, digits))
		;
	if (goparse_accept(&t, end, "."))
		while (goparse_accept(&t, end, digits))
			;
	if (goparse_accept(&t, end, exp)) {
		goparse_accept(&t, end, "+-");
		while (goparse_accept(&t, end, "0123456789_"))
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
