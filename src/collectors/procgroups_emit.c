/* process_groups: the output, with process-exporter's names, help texts
 * and types (collector/process_collector.go). See procgroups.h. */
#include "config.h"

#include <stdint.h>

#include "hostwatch/sink.h"

#include "procgroups.h"

/* Sorted by label value: the order the samples are written in. */
static const char *const pg_state_names[PG_NSTATES] = {
	"Other", "Running", "Sleeping", "Waiting", "Zombie"};

enum pg_value { PG_V_RESTARTS, PG_V_UP, PG_V_NPROCS, PG_V_THREADS,
		PG_V_OLDEST, PG_V_FDS };

static double pg_value(const struct pg_state *st, const struct pg_group *g,
		       enum pg_value v)
{
	switch (v) {
	case PG_V_RESTARTS:
		return (double)g->restarts;
	case PG_V_UP:
		return g->n ? 1 : 0;
	case PG_V_NPROCS:
		return (double)g->n;
	case PG_V_THREADS:
		return (double)g->threads;
	case PG_V_OLDEST:
		/* process-exporter: time.Unix(btime).Add(start/USER_HZ)
		 * .Unix(), whole seconds; 0 for an empty group. */
		return g->n ? (double)(st->btime + g->oldest /
					 (uint64_t)st->clk_tck)
			    : 0;
	case PG_V_FDS:
		return (double)g->fds;
	}
	return 0;
}

static void pg_emit_simple(const struct pg_state *st, struct sink *sink,
			   const char *name, const char *help,
			   enum hw_type type, enum pg_value v)
{
	sink_family(sink, name, help, type);
	for (unsigned k = 0; k < st->ngroups; k++) {
		const struct pg_group *g = &st->groups[st->order[k]];
		struct hw_label l = {"groupname", g->cfg->name};
		sink_sample(sink, &l, 1, pg_value(st, g, v));
	}
}

/* Families sorted by name, as client_golang's registry writes them. */
void pg_emit(const struct pg_state *st, struct sink *sink)
{
	struct hw_label l[2] = {{"groupname", NULL}, {NULL, NULL}};
	double tck = (double)st->clk_tck;

	pg_emit_simple(st, sink, "hostwatch_process_group_restarts_total",
		       "Times every process of the group had gone and new "
		       "ones matched (a restart).",
		       HW_COUNTER, PG_V_RESTARTS);
	pg_emit_simple(st, sink, "hostwatch_process_group_up",
		       "1 while at least one process matches the group, 0 "
		       "when none does.",
		       HW_GAUGE, PG_V_UP);

	sink_family(sink, "namedprocess_namegroup_cpu_seconds_total",
		    "Cpu user usage in seconds", HW_COUNTER);
	l[1].name = "mode";
	for (unsigned k = 0; k < st->ngroups; k++) {
		const struct pg_group *g = &st->groups[st->order[k]];
		l[0].value = g->cfg->name;
		l[1].value = "system";
		sink_sample(sink, l, 2, (double)g->stime / tck);
		l[1].value = "user";
		sink_sample(sink, l, 2, (double)g->utime / tck);
	}

	sink_family(sink, "namedprocess_namegroup_memory_bytes",
		    "number of bytes of memory in use", HW_GAUGE);
	l[1].name = "memtype";
	for (unsigned k = 0; k < st->ngroups; k++) {
		const struct pg_group *g = &st->groups[st->order[k]];
		l[0].value = g->cfg->name;
		l[1].value = "resident";
		sink_sample(sink, l, 2,
			    (double)g->rss * (double)st->page_size);
		l[1].value = "swapped";
		sink_sample(sink, l, 2, (double)g->swap_kb * 1024.0);
		l[1].value = "virtual";
		sink_sample(sink, l, 2, (double)g->vsize);
	}

	pg_emit_simple(st, sink, "namedprocess_namegroup_num_procs",
		       "number of processes in this group", HW_GAUGE,
		       PG_V_NPROCS);
	pg_emit_simple(st, sink, "namedprocess_namegroup_num_threads",
		       "Number of threads", HW_GAUGE, PG_V_THREADS);
	pg_emit_simple(st, sink,
		       "namedprocess_namegroup_oldest_start_time_seconds",
		       "start time in seconds since 1970/01/01 of oldest "
		       "process in group",
		       HW_GAUGE, PG_V_OLDEST);
	pg_emit_simple(st, sink, "namedprocess_namegroup_open_filedesc",
		       "number of open file descriptors for this group",
		       HW_GAUGE, PG_V_FDS);

	sink_family(sink, "namedprocess_namegroup_states",
		    "Number of processes in states Running, Sleeping, "
		    "Waiting, Zombie, or Other",
		    HW_GAUGE);
	l[1].name = "state";
	for (unsigned k = 0; k < st->ngroups; k++) {
		const struct pg_group *g = &st->groups[st->order[k]];
		l[0].value = g->cfg->name;
		for (int s = 0; s < PG_NSTATES; s++) {
			l[1].value = pg_state_names[s];
			sink_sample(sink, l, 2, (double)g->states[s]);
		}
	}
}
