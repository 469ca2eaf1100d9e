/* The one table of collectors. Adding a collector is one extern and one line
 * here; everything else (flags, [collectors] keys, collect[] filtering,
 * node_scrape_collector_* families) is derived from this table. */
#include "config.h"

#include <string.h>

#include "hostwatch/collector.h"

extern const struct collector collector_cgroup, collector_cpu,
	collector_diskstats, collector_docker,
	collector_filesystem, collector_loadavg, collector_meminfo,
	collector_netdev, collector_os, collector_pressure,
	collector_process_groups, collector_stat,
	collector_systemd, collector_time, collector_uname;

/* Sorted by name: node_exporter's output and its collector log are too. */
const struct collector *const hw_collectors[] = {
	&collector_cgroup,   &collector_cpu,
	&collector_diskstats, &collector_docker,     &collector_filesystem,
	&collector_loadavg,  &collector_meminfo,   &collector_netdev,
	&collector_os,       &collector_pressure,  &collector_process_groups,
	&collector_stat,     &collector_systemd,   &collector_time,
	&collector_uname,
};

const unsigned hw_collectors_count =
	sizeof(hw_collectors) / sizeof(hw_collectors[0]);

_Static_assert(sizeof(hw_collectors) / sizeof(hw_collectors[0]) <=
		       HW_MAX_COLLECTORS,
	       "raise HW_MAX_COLLECTORS");

int collector_index(const char *name)
{
	for (unsigned i = 0; i < hw_collectors_count; i++)
		if (strcmp(hw_collectors[i]->name, name) == 0)
			return (int)i;
	return -1;
}
