/* Alert templates: the part of Go's text/template and Prometheus's template
 * functions (template/template.go) that alert labels and annotations use:
 *
 *   {{ $value }}  {{ .Value }}  {{ $labels.NAME }}  {{ .Labels.NAME }}
 *   {{ $value | humanize }}  {{ humanize $value }}  humanize1024,
 *   humanizePercentage, humanizeDuration
 *   {{ $value | printf "%.1f" }}  {{ printf "%.2f" $value }}
 *   {{ $externalLabels.NAME }} (empty), literal text, comment actions,
 *   trim markers {{- and -}}.
 *
 * $value prints as Go's %v of a float64 ('g' with the shortest repr, e.g.
 * 1.234567e+06); a missing label prints as Go prints a missing map key in
 * Prometheus's templates: nothing. Anything else is rejected by
 * template_check with the position of the offending action. */
#ifndef HOSTWATCH_TEMPLATE_H
#define HOSTWATCH_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "hostwatch/buf.h"
#include "hostwatch/labels.h"

/* 0, or -EINVAL with a message naming the action in err. */
int template_check(const char *tmpl, char *err, size_t errsize);

/* Expand `tmpl` for one alert instance. 0; -EINVAL (with err) when the
 * expansion fails at run time (Prometheus then uses the error text as the
 * value: the caller does the same). */
int template_expand(const char *tmpl, const struct hw_labels *labels,
		    double value, struct hw_buf *out, char *err,
		    size_t errsize);

/* The same with the template name Prometheus uses in its messages
 * ("__alert_" + the alert name; the plain functions use "__alert"): err
 * then holds Go's error text exactly, e.g. "template: __alert_X:1: function
 * \"foo\" not defined" from check, and from expand "error executing
 * template __alert_X: template: __alert_X:1:115: executing \"__alert_X\" at
 * <humanize \"a\">: error calling humanize: ...", which Prometheus shows as
 * the value "<error expanding template: ERR>" (rules/alerting.go). */
int template_check_named(const char *tmpl, const char *name, char *err,
			 size_t errsize);
int template_expand_named(const char *tmpl, const char *name,
			  const struct hw_labels *labels, double value,
			  struct hw_buf *out, char *err, size_t errsize);

/* Go's strconv.FormatFloat(v, 'g', -1, 64) as %v prints it: the shortest
 * text that reads back as v; "+Inf", "-Inf", "NaN". Into out (>= 32 bytes). */
void template_format_float(double v, char *out, size_t size);

/* strconv.FormatFloat(v, 'e' or 'E', -1, 64): the shortest mantissa that
 * reads back as v, "8.5e+01"; "+Inf", "-Inf", "NaN". Prometheus's API
 * prints alert values so, promtool its test failures (upper case). */
void template_format_float_e(double v, bool upper, char *out, size_t size);

#endif
