/* Include/exclude name filters: see include/hostwatch/filter.h. */
#include "config.h"

#include <string.h>

#include "hostwatch/filter.h"
#include "hostwatch/log.h"

/* Compile one side if it is set; the message names the option as the user
 * wrote it, so it is logged here where the pattern is known. */
static int filter_compile(struct hw_regex *r, bool *has, const char *what,
			  const char *option, const char *side,
			  const char *pattern)
{
	char err[256];
	if (!pattern || !*pattern)
		return 0;
	int rc = hw_regex_compile(r, pattern, err, sizeof(err));
	if (rc < 0) {
		log_error("%s: bad %s-%s regex \"%s\": %s", what, option, side,
			  pattern, err);
		return rc;
	}
	*has = true;
	return 0;
}

int filter_init(struct hw_filter *f, const char *what, const char *option,
		const char *include, const char *exclude)
{
	memset(f, 0, sizeof(*f));
	int rc = filter_compile(&f->include, &f->has_include, what, option,
				"include", include);
	if (rc == 0)
		rc = filter_compile(&f->exclude, &f->has_exclude, what, option,
				    "exclude", exclude);
	if (rc < 0)
		filter_free(f);
	return rc;
}

bool filter_ignored(const struct hw_filter *f, const char *name)
{
	if (f->has_exclude && hw_regex_match(&f->exclude, name))
		return true;
	if (f->has_include && !hw_regex_match(&f->include, name))
		return true;
	return false;
}

void filter_free(struct hw_filter *f)
{
	if (f->has_include)
		hw_regex_free(&f->include);
	if (f->has_exclude)
		hw_regex_free(&f->exclude);
	f->has_include = false;
	f->has_exclude = false;
}
