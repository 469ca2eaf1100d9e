/* The template functions of Prometheus 2.42 (template/template.go
 * NewTemplateExpander's FuncMap) that make sense without a query engine,
 * plus Go text/template's print builtins and index. humanize* take a
 * float64 or a string (convertToFloat: strconv.ParseFloat). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template_internal.h"

/* template.go convertToFloat: float64 as is, strings through
 * strconv.ParseFloat, anything else an error. */
static int to_float(const struct tv *a, double *v, char *err, size_t errsize)
{
	char *end;

	if (a->k == TV_FLOAT) {
		*v = a->f;
		return 0;
	}
	if (a->k == TV_STR) {
		const char *s = a->s;
		/* ParseFloat takes no blanks, no hex without p exponent
		 * that strtod would accept loosely: good enough. */
		if (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			*v = strtod(s, &end);
			if (*end == '\0')
				return 0;
		}
		snprintf(err, errsize,
			 "strconv.ParseFloat: parsing \"%s\": invalid syntax",
			 s);
		return -EINVAL;
	}
	snprintf(err, errsize, "can't convert %s to float", tv_type_name(a));
	return -EINVAL;
}

static const char *const small_prefixes[] = {"m", "u", "n", "p",
					     "f", "a", "z", "y"};

/* v * 1000 until |v| >= 1, with its SI prefix (humanize for |v| < 1). */
static const char *scale_small(double *v)
{
	const char *prefix = "";
	for (size_t i = 0; i < 8; i++) {
		if (fabs(*v) >= 1)
			break;
		prefix = small_prefixes[i];
		*v *= 1000;
	}
	return prefix;
}

static int fn_humanize(const struct tv *a, size_t n, struct hw_buf *out,
		       char *err, size_t errsize)
{
	static const char *const big[] = {"k", "M", "G", "T",
					  "P", "E", "Z", "Y"};
	const char *prefix = "";
	double v;
	(void)n;

	if (to_float(a, &v, err, errsize))
		return -EINVAL;
	if (v == 0 || !isfinite(v)) {
		tv_fmt_g4(out, v);
		return 0;
	}
	if (fabs(v) >= 1) {
		for (size_t i = 0; i < 8; i++) {
			if (fabs(v) < 1000)
				break;
			prefix = big[i];
			v /= 1000;
		}
	} else {
		prefix = scale_small(&v);
	}
	tv_fmt_g4(out, v);
	buf_puts(out, prefix);
	return 0;
}

static int fn_humanize1024(const struct tv *a, size_t n, struct hw_buf *out,
			   char *err, size_t errsize)
{
	static const char *const big[] = {"ki", "Mi", "Gi", "Ti",
					  "Pi", "Ei", "Zi", "Yi"};
	const char *prefix = "";
	double v;
	(void)n;

	if (to_float(a, &v, err, errsize))
		return -EINVAL;
	if (fabs(v) <= 1 || !isfinite(v)) {
		tv_fmt_g4(out, v);
		return 0;
	}
	for (size_t i = 0; i < 8; i++) {
		if (fabs(v) < 1024)
			break;
		prefix = big[i];
		v /= 1024;
	}
	tv_fmt_g4(out, v);
	buf_puts(out, prefix);
	return 0;
}

/* Go's int64(f) on amd64: out-of-range values become INT64_MIN. */
static int64_t go_int64(double v)
{
	if (!(v > -9223372036854775808.0 && v < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)v;
}

static int fn_humanize_duration(const struct tv *a, size_t n,
				struct hw_buf *out, char *err, size_t errsize)
{
	const char *sign = "";
	double v;
	(void)n;

	if (to_float(a, &v, err, errsize))
		return -EINVAL;
	if (!isfinite(v)) {
		tv_fmt_g4(out, v);
		return 0;
	}
	if (v == 0) {
		tv_fmt_g4(out, v);
		buf_putc(out, 's');
		return 0;
	}
	if (fabs(v) >= 1) {
		if (v < 0) {
			sign = "-";
			v = -v;
		}
		int64_t iv = go_int64(v);
		int64_t seconds = iv % 60, minutes = (iv / 60) % 60,
			hours = (iv / 60 / 60) % 24, days = iv / 60 / 60 / 24;
		if (days != 0)
			buf_printf(out, "%s%lldd %lldh %lldm %llds", sign,
				   (long long)days, (long long)hours,
				   (long long)minutes, (long long)seconds);
		else if (hours != 0)
			buf_printf(out, "%s%lldh %lldm %llds", sign,
				   (long long)hours, (long long)minutes,
				   (long long)seconds);
		else if (minutes != 0)
			buf_printf(out, "%s%lldm %llds", sign,
				   (long long)minutes, (long long)seconds);
		else {
			buf_puts(out, sign);
			tv_fmt_g4(out, v);
			buf_putc(out, 's');
		}
		return 0;
	}
	const char *prefix = scale_small(&v);
	tv_fmt_g4(out, v);
	buf_puts(out, prefix);
	buf_putc(out, 's');
	return 0;
}

static int fn_humanize_percentage(const struct tv *a, size_t n,
				  struct hw_buf *out, char *err,
				  size_t errsize)
{
	double v;
	(void)n;

	if (to_float(a, &v, err, errsize))
		return -EINVAL;
	tv_fmt_g4(out, v * 100);
	buf_putc(out, '%');
	return 0;
}

/* model.TimeFromUnixNano(int64(v*1e9)).Time().UTC() printed by Go's
 * time.Time.String(): "2006-01-02 15:04:05.999999999 +0000 UTC" with the
 * milliseconds model.Time keeps. */
static int fn_humanize_timestamp(const struct tv *a, size_t n,
				 struct hw_buf *out, char *err,
				 size_t errsize)
{
	double v;
	struct tm tm;
	(void)n;

	if (to_float(a, &v, err, errsize))
		return -EINVAL;
	if (!isfinite(v)) {
		tv_fmt_g4(out, v);
		return 0;
	}
	int64_t ms = go_int64(v * 1e9) / 1000000;
	int64_t sec = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	if (!gmtime_r(&t, &tm)) {
		snprintf(err, errsize, "timestamp out of range");
		return -EINVAL;
	}
	buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
		   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
	if (frac) {
		char f[8];
		int len = snprintf(f, sizeof(f), "%03d", (int)frac);
		while (len > 0 && f[len - 1] == '0')
			f[--len] = '\0';
		buf_printf(out, ".%s", f);
	}
	buf_puts(out, " +0000 UTC");
	return 0;
}

static int fn_to_upper(const struct tv *a, size_t n, struct hw_buf *out,
		       char *err, size_t errsize)
{
	(void)n, (void)err, (void)errsize;
	for (const char *s = a->s; *s; s++)
		buf_putc(out, *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s);
	return 0;
}

static int fn_to_lower(const struct tv *a, size_t n, struct hw_buf *out,
		       char *err, size_t errsize)
{
	(void)n, (void)err, (void)errsize;
	for (const char *s = a->s; *s; s++)
		buf_putc(out, *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s);
	return 0;
}

/* strings.Title: upper-case the first letter of every word; letters,
 * digits, '_' and non-ASCII bytes do not separate words (ASCII only). */
static int fn_title(const struct tv *a, size_t n, struct hw_buf *out,
		    char *err, size_t errsize)
{
	bool sep = true;
	(void)n, (void)err, (void)errsize;

	for (const char *s = a->s; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool word = c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
			    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		buf_putc(out, sep && c >= 'a' && c <= 'z' ? (char)(c - 32)
							 : (char)c);
		sep = !word;
	}
	return 0;
}

static int fn_printf(const struct tv *a, size_t n, struct hw_buf *out,
		     char *err, size_t errsize)
{
	(void)err, (void)errsize;
	tv_sprintf(out, a[0].s, a + 1, n - 1);
	return 0;
}

static int fn_print(const struct tv *a, size_t n, struct hw_buf *out,
		    char *err, size_t errsize)
{
	(void)err, (void)errsize;
	tv_sprint(out, a, n, false);
	return 0;
}

static int fn_println(const struct tv *a, size_t n, struct hw_buf *out,
		      char *err, size_t errsize)
{
	(void)err, (void)errsize;
	tv_sprint(out, a, n, true);
	return 0;
}

/* text/template's index on a map[string]string: the zero value ("") for a
 * missing key. */
static int fn_index(const struct tv *a, size_t n, struct hw_buf *out,
		    char *err, size_t errsize)
{
	(void)n;
	if (a[0].k != TV_LABELS && a[0].k != TV_EMPTYMAP) {
		snprintf(err, errsize, "can't index item of type %s",
			 tv_type_name(&a[0]));
		return -EINVAL;
	}
	if (a[1].k != TV_STR) {
		snprintf(err, errsize, "value has type %s; should be string",
			 tv_type_name(&a[1]));
		return -EINVAL;
	}
	const char *v = a[0].k == TV_LABELS && a[0].labels
				? labels_get(a[0].labels, a[1].s)
				: NULL;
	buf_puts(out, v ? v : "");
	return 0;
}

/* externalURL and pathPrefix: hostwatch has no external URL. */
static int fn_empty(const struct tv *a, size_t n, struct hw_buf *out,
		    char *err, size_t errsize)
{
	(void)a, (void)n, (void)out, (void)err, (void)errsize;
	return 0;
}

/* types: one letter per argument: 'f' float64 or string (convertToFloat),
 * 's' string, 'x' anything; a trailing '*' repeats 'x'. */
static const struct tfunc tfuncs[] = {
	{"humanize", "f", fn_humanize},
	{"humanize1024", "f", fn_humanize1024},
	{"humanizeDuration", "f", fn_humanize_duration},
	{"humanizePercentage", "f", fn_humanize_percentage},
	{"humanizeTimestamp", "f", fn_humanize_timestamp},
	{"toUpper", "s", fn_to_upper},
	{"toLower", "s", fn_to_lower},
	{"title", "s", fn_title},
	{"printf", "s*", fn_printf},
	{"print", "*", fn_print},
	{"println", "*", fn_println},
	{"index", "xx", fn_index},
	{"externalURL", "", fn_empty},
	{"pathPrefix", "", fn_empty},
};

/* Defined by Prometheus or Go, but not by hostwatch: query functions,
 * control-flow helpers (no if/range here), HTML. */
static const char *const unsupported[] = {
	"query",     "first",	  "label", "value",	 "strvalue",
	"args",	     "reReplaceAll", "safeHtml", "match", "graphLink",
	"tableLink", "sortByLabel", "and",  "or",	 "not",
	"len",	     "html",	  "js",	   "urlquery", "call",
	"eq",	     "ne",	  "lt",	   "le",	 "gt",
	"ge",	     "slice",	  "tmpl",
};

const struct tfunc *tfunc_find(const char *name, size_t len,
			       bool *unsup)
{
	*unsup = false;
	for (size_t i = 0; i < sizeof(tfuncs) / sizeof(tfuncs[0]); i++)
		if (strlen(tfuncs[i].name) == len &&
		    memcmp(tfuncs[i].name, name, len) == 0)
			return &tfuncs[i];
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]);
	     i++)
		if (strlen(unsupported[i]) == len &&
		    memcmp(unsupported[i], name, len) == 0)
			*unsup = true;
	return NULL;
}
