/* A filter's verdicts (filter_ignored) remembered per position, for the
 * collectors that ask it about the same names in the same order every scrape
 * (diskstats lines, the netlink link dump): the regexes run again only for a
 * name that is not the one seen at that position last time. The verdict is a
 * function of the name alone (the filter is compiled once at init), so the
 * answer is the same as asking the filter; only the cost differs. */
#ifndef HOSTWATCH_COLLECTORS_VERDICTS_H
#define HOSTWATCH_COLLECTORS_VERDICTS_H

#include <stdbool.h>
#include <stddef.h>

#include "hostwatch/filter.h"

struct verdict {
	char *name; /* NULL: nothing remembered at this position */
	bool ignored;
};

struct verdicts {
	struct verdict *v;
	size_t n;
};

/* Positions beyond this are not remembered: a host with more devices than
 * this pays the regexes, not unbounded memory. */
#define VERDICTS_MAX 4096

/* filter_ignored(f, name) for the name at position `pos` of this scrape. */
bool verdicts_ignored(struct verdicts *vs, const struct hw_filter *f,
		      size_t pos, const char *name);
void verdicts_free(struct verdicts *vs);

#endif
