/* Exposition writer: a sink that formats samples as the Prometheus text
 * format 0.0.4 or OpenMetrics 1.0 straight into a reused buffer.
 *
 * Numbers are printed the way client_golang prints them (strconv 'g', -1:
 * the shortest string that reads back as the same double), so our output is
 * byte-for-byte what node_exporter would print for the same value. */
#ifndef HOSTWATCH_EXPO_H
#define HOSTWATCH_EXPO_H

#include <stdbool.h>
#include <stddef.h>

#include "hostwatch/buf.h"
#include "hostwatch/sink.h"

enum expo_format {
	EXPO_TEXT,        /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

#define EXPO_NAME_MAX 256

struct expo_writer {
	struct sink sink;
	struct hw_buf *out;
	enum expo_format format;
	/* Name on the current family's sample lines: the family name, plus
	 * "_total" for an OpenMetrics counter named without it. */
	char name[EXPO_NAME_MAX + sizeof("_total")];
	size_t name_len;
	size_t header_mark;       /* out->len before the current HELP/TYPE */
	size_t samples;           /* samples in the current family */
	bool dropping;            /* current family has an invalid name */
	unsigned invalid;         /* families dropped for invalid names */
};

void expo_init(struct expo_writer *w, struct hw_buf *out,
	       enum expo_format format);
/* Close the output: drops an empty trailing family and writes OpenMetrics'
 * "# EOF". */
void expo_finish(struct expo_writer *w);

/* Format v as Go's strconv.FormatFloat(v, 'g', -1, 64) with client_golang's
 * special cases (NaN, +Inf, -Inf; OpenMetrics adds ".0" to integers).
 * dst must hold EXPO_NUM_MAX bytes; returns the length. */
#define EXPO_NUM_MAX 32
size_t expo_format_double(char *dst, double v, enum expo_format format);

const char *expo_content_type(enum expo_format format);

/* Pick the format from an Accept header as client_golang's expfmt.Negotiate
 * does: OpenMetrics when it is accepted (version 1.0.0, 0.0.1 or none) at
 * least as strongly as the text format. NULL means text. */
enum expo_format expo_negotiate(const char *accept);

/* Whether a metric or label name is valid: [a-zA-Z_:][a-zA-Z0-9_:]*. */
bool expo_valid_name(const char *s);

#endif
