/* Parsing with the semantics of the Go functions node_exporter 1.5 uses, so
 * that what it accepts we accept and what it rejects we reject: strconv's
 * ParseFloat and ParseUint, fmt.Sscanf's %f token, strings.Fields, and the
 * client library's checks on metric names and label values. Private to the
 * collectors (the /proc ones, and filesystem, diskstats and netdev for the
 * UTF-8 check on label values). */
#ifndef HOSTWATCH_COLLECTORS_GOPARSE_H
#define HOSTWATCH_COLLECTORS_GOPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* strconv.ParseFloat(s[:n], 64): decimal with optional sign, fraction and
 * exponent, "inf"/"infinity"/"nan" in any case, hex floats with a 'p'
 * exponent. Out of range is -ERANGE, anything else malformed -EINVAL. */
int go_parse_float(const char *s, size_t n, double *out);

/* strconv.ParseUint(s[:n], 10, 64): digits only, overflow is -ERANGE. */
int go_parse_uint(const char *s, size_t n, uint64_t *out);

/* One %f verb of fmt.Sscanf at *p: skip blanks, take the longest float-like
 * token and ParseFloat it. 1 when a value was read, 0 at the end of the line
 * (io.EOF, which procfs tolerates for short cpu lines), -EINVAL otherwise. */
int go_scan_float(const char **p, const char *end, double *out);

/* strings.Fields: the next field in [*p, end), advancing *p past it. false
 * when there is none. Only ASCII white space separates, as for our inputs
 * (pseudo-files) the Unicode spaces Go also knows never occur. */
/* The ASCII white space of Go's unicode.IsSpace, which strings.Fields and
 * strings.TrimSpace split and trim on. Inline: the parsers ask it of every
 * byte of every file. */
static inline bool go_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* Next field of a NUL-terminated string as strings.Fields splits it: skip
 * white space, NUL-terminate the field in place, advance *s past it. NULL
 * when no field is left. */
char *go_cut_field(char **s);

bool go_next_field(const char **p, const char *end, const char **f,
		   size_t *flen);

/* utf8.ValidString: client_golang refuses (and node_exporter then panics on)
 * label values that are not valid UTF-8; we fail the collector instead. */
bool go_valid_utf8(const char *s, size_t n);

/* go_valid_utf8 on a NUL-terminated string. */
bool go_valid_utf8_str(const char *s);

/* model.IsValidMetricName: [a-zA-Z_:][a-zA-Z0-9_:]* */
bool go_valid_metric_name(const char *s);

#endif
