/* `hostwatch test-rules FILE...`: Prometheus's `promtool test rules`
 * (cmd/promtool/unittest.go of 2.42) on hostwatch's rule engine. A test
 * file names rule files (relative to its directory, globs allowed), input
 * series in promtool's expanding notation, and alert and PromQL
 * expectations checked on a simulated clock from time 0.
 *
 * Exit status: 0 when every test passes, 1 when one fails (promtool's
 * "FAILED:" report, expected against got), 2 for a file that cannot be
 * used (FILE:LINE: what is wrong). */
#ifndef HOSTWATCH_TESTRULES_H
#define HOSTWATCH_TESTRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hostwatch/buf.h"
#include "hostwatch/labels.h"

/* argv[0] is "test-rules"; then --help or the files. */
int testrules_main(int argc, char **argv);

/* Run one test file, reporting to out (progress) and err (failures).
 * 0 pass, 1 a test failed, 2 a bad file. */
int testrules_run_file(const char *path, FILE *out, FILE *err);

/* One value of an input series: a number (a stale marker is the
 * StaleNaN), or a gap. */
struct testrules_value {
	double v;
	bool omitted;
};

/* Expand a values string of input_series as promql/parser's series
 * descriptions do: "1 2 _ stale", "a+bxN" and "a-bxN" (N+1 values, b
 * added each step), "axN" (N+1 copies), "_xN" (N gaps), numbers with
 * signs, exponents, Inf and NaN. 0 and a malloc'd array (*n may be 0);
 * -EINVAL with a message naming the column; -ENOMEM. */
int testrules_parse_values(const char *s, struct testrules_value **out,
			   size_t *n, char *err, size_t errsize);

/* A metric as parser.ParseMetric reads it: `name`, `name{a="1"}`,
 * `{a="1"}`, `{}`, or "" (no labels). 0 and *out; -EINVAL with err. */
int testrules_parse_metric(const char *s, struct hw_labels **out, char *err,
			   size_t errsize);

/* Go's strconv.FormatFloat(v, 'E', -1, 64): "5E+00", "1.5E+02", "NaN". */
void testrules_format_float(double v, char *out, size_t size);
/* model.Duration's String(): "0s", "5m", "1h30m", "1d". */
void testrules_format_duration(int64_t ms, struct hw_buf *b);

#endif
