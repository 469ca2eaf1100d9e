/* Go RE2 syntax -> POSIX ERE: see include/hostwatch/regex.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/regex.h"

/* The length of an RE2 repeat bound at p ("{2}", "{2,}", "{2,5}"), 0 when p
 * does not start one (RE2 then takes the '{' literally). Each count must be
 * at most 1000, as in RE2: -1 otherwise. */
static int bound_len(const char *p)
{
	const char *q = p + 1;
	for (int part = 0; part < 2; part++) {
		const char *d = q;
		unsigned long v = 0;
		while (*q >= '0' && *q <= '9' && q - d < 5)
			v = v * 10 + (unsigned long)(*q++ - '0');
		if (q == d && part == 0)
			return 0;
		if (*q >= '0' && *q <= '9')
			return -1; /* five digits or more */
		if (v > 1000)
			return -1;
		if (*q == '}')
			return (int)(q - p + 1);
		if (*q != ',' || part == 1)
			return 0;
		q++;
	}
	return 0;
}

/* Rewrite the RE2 constructs node_exporter's defaults and users' patterns use
 * into ERE. glibc's ERE already knows \w \W \s \S \b \B as extensions. */
static int translate(const char *in, char *out, size_t size, char *err,
		     size_t errsize)
{
	size_t o = 0;
	int in_bracket = 0;
	/* The last token was a repetition operator (1), and its lazy '?'
	 * was taken too (2). RE2 with Perl flags (Go's regexp, so Prometheus)
	 * rejects stacked ones, "a++" or "a*{2}": glibc would accept them
	 * and build a tree exponential in their number (a 180-byte rule
	 * expression took more than 2 GB; found by fuzz/fuzz_promql). */
	int rep = 0;
#define EMIT(str)                                                              \
	do {                                                                   \
		size_t l_ = strlen(str);                                       \
		if (o + l_ >= size)                                            \
			goto too_long;                                         \
		memcpy(out + o, str, l_);                                      \
		o += l_;                                                       \
	} while (0)
	for (const char *p = in; *p; p++) {
		char one[2] = {*p, '\0'};
		if (in_bracket) {
			if (*p == '\\' && (p[1] == 'd')) {
				EMIT("0-9");
				p++;
			} else if (*p == '\\' && p[1]) {
				/* Inside ERE brackets a backslash is literal, so
				 * an escaped character is just itself. */
				one[0] = p[1];
				EMIT(one);
				p++;
			} else {
				if (*p == ']')
					in_bracket = 0;
				EMIT(one);
			}
			continue;
		}
		int blen = *p == '{' ? bound_len(p) : 0;
		if (blen < 0) {
			snprintf(err, errsize,
				 "invalid repeat count at offset %zu (more than 1000)",
				 (size_t)(p - in));
			return -EINVAL;
		}
		if (*p == '*' || *p == '+' || *p == '?' || blen > 0) {
			if (rep == 1 && *p == '?') {
				/* lazy: the same strings match (REG_NOSUB) */
				rep = 2;
				continue;
			}
			if (rep) {
				snprintf(err, errsize,
					 "invalid nested repetition operator at offset %zu",
					 (size_t)(p - in));
				return -EINVAL;
			}
			rep = 1;
			if (blen > 0) {
				char bound[16];
				snprintf(bound, sizeof(bound), "%.*s", blen, p);
				EMIT(bound);
				p += blen - 1;
			} else {
				EMIT(one);
			}
			continue;
		}
		rep = 0;
		if (*p == '{') {
			/* Not a repeat bound: RE2 takes it literally, ERE
			 * would call it an invalid interval. */
			EMIT("\\{");
			continue;
		}
		if (*p == '[') {
			in_bracket = 1;
			EMIT("[");
			/* A leading ] or ^] is literal, as in both syntaxes. */
			if (p[1] == '^') {
				EMIT("^");
				p++;
			}
			if (p[1] == ']') {
				EMIT("]");
				p++;
			}
			continue;
		}
		if (*p == '\\' && p[1] == 'd') {
			EMIT("[0-9]");
			p++;
		} else if (*p == '\\' && p[1] == 'D') {
			EMIT("[^0-9]");
			p++;
		} else if (*p == '(' && p[1] == '?' && p[2] == ':') {
			EMIT("(");
			p += 2;
		} else if (*p == '(' && p[1] == '?') {
			snprintf(err, errsize,
				 "unsupported group syntax \"(?\" at offset %zu",
				 (size_t)(p - in));
			return -EINVAL;
		} else if (*p == '\\' && p[1]) {
			one[0] = '\\';
			EMIT(one);
			one[0] = p[1];
			EMIT(one);
			p++;
		} else {
			EMIT(one);
		}
	}
	if (in_bracket) {
		snprintf(err, errsize, "missing closing ]");
		return -EINVAL;
	}
	out[o] = '\0';
	return 0;
too_long:
	snprintf(err, errsize, "pattern too long");
	return -EINVAL;
#undef EMIT
}

int hw_regex_compile(struct hw_regex *r, const char *pattern, char *err,
		     size_t errsize)
{
	char ere[2048];
	r->compiled = false;
	int rc = translate(pattern, ere, sizeof(ere), err, errsize);
	if (rc < 0)
		return rc;
	int ec = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB);
	if (ec != 0) {
		regerror(ec, &r->re, err, errsize);
		regfree(&r->re);
		return -EINVAL;
	}
	r->compiled = true;
	return 0;
}

bool hw_regex_match(const struct hw_regex *r, const char *s)
{
	return r->compiled && regexec(&r->re, s, 0, NULL, 0) == 0;
}

void hw_regex_free(struct hw_regex *r)
{
	if (r->compiled)
		regfree(&r->re);
	r->compiled = false;
}
