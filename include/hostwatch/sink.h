/* The sink: where collectors write samples, without knowing whether they end
 * up in an HTTP response (expo.c) or in the rule engine's store.
 *
 * Contract for collectors:
 *  - Emit family by family: sink_family() once, then every sample of that
 *    family with sink_sample(). A family must not be begun twice in one
 *    collect call (the text format forbids repeated HELP/TYPE lines).
 *  - Pass labels sorted by name, as node_exporter's registry prints them.
 *  - Strings only need to live for the duration of the call: sinks copy what
 *    they keep. Label values may be any bytes; sinks escape them. */
#ifndef HOSTWATCH_SINK_H
#define HOSTWATCH_SINK_H

#include <stddef.h>

enum hw_type {
	HW_GAUGE,
	HW_COUNTER,
	HW_UNTYPED,
};

struct hw_label {
	const char *name;
	const char *value;
};

struct sink {
	void (*family)(struct sink *s, const char *name, const char *help,
		       enum hw_type type);
	void (*sample)(struct sink *s, const struct hw_label *labels,
		       size_t nlabels, double value);
};

static inline void sink_family(struct sink *s, const char *name,
			       const char *help, enum hw_type type)
{
	s->family(s, name, help, type);
}

static inline void sink_sample(struct sink *s, const struct hw_label *labels,
			       size_t nlabels, double value)
{
	s->sample(s, labels, nlabels, value);
}

/* A family with a single unlabelled sample: node_load1, node_boot_time_seconds... */
static inline void sink_single(struct sink *s, const char *name,
			       const char *help, enum hw_type type, double value)
{
	s->family(s, name, help, type);
	s->sample(s, NULL, 0, value);
}

#endif
