/* Regular expressions written in node_exporter's (Go RE2) syntax, run by the
 * C library's POSIX ERE engine. The common RE2-only escapes that exporters'
 * default patterns use (\d \D, (?:...)) are rewritten to ERE; anything the
 * rewrite cannot express is rejected at start-up with the reason, never
 * silently matched differently. Matching is unanchored, as Go's MatchString. */
#ifndef HOSTWATCH_REGEX_H
#define HOSTWATCH_REGEX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

struct hw_regex {
	regex_t re;
	bool compiled;
};

/* 0, or -EINVAL with a message in err. */
int hw_regex_compile(struct hw_regex *r, const char *pattern, char *err,
		     size_t errsize);
bool hw_regex_match(const struct hw_regex *r, const char *s);
void hw_regex_free(struct hw_regex *r);

#endif
