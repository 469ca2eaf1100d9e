/* Include/exclude name filters, as node_exporter's deviceFilter
 * (collector/device_filter.go): a collector compiles its two regexes once at
 * init, then asks per device, mount point or fs type whether to skip it. */
#ifndef HOSTWATCH_FILTER_H
#define HOSTWATCH_FILTER_H

#include <stdbool.h>

#include "hostwatch/regex.h"

struct hw_filter {
	struct hw_regex include, exclude;
	bool has_include, has_exclude;
};

/* Compile `include` and `exclude` (each NULL or "" for none: that side then
 * never decides). On a bad pattern, logs once as the collectors always have,
 * "<what>: bad <option>-include regex \"<pattern>\": <reason>" (or -exclude),
 * and returns -EINVAL with the filter left empty; filter_free is safe on it
 * either way. `what` is the collector, `option` the option's stem ("device"
 * for --collector.diskstats.device-include and -exclude). */
int filter_init(struct hw_filter *f, const char *what, const char *option,
		const char *include, const char *exclude);

/* deviceFilter.ignored(): true when the exclude regex matches `name`, or when
 * there is an include regex and it does not. */
bool filter_ignored(const struct hw_filter *f, const char *name);

/* Free the compiled regexes; the filter is empty (ignores nothing) after. */
void filter_free(struct hw_filter *f);

#endif
