/* Go RE2 syntax -> POSIX ERE: see include/hostwatch/regex.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/regex.h"

/* Rewrite the RE2 constructs node_exporter's defaults and users' patterns use
 * into ERE. glibc's ERE already knows \w \W \s \S \b \B as extensions. */
static int translate(const char *in, char *out, size_t size, char *err,
		     size_t errsize)
{
	size_t o = 0;
	int in_bracket = 0;
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
