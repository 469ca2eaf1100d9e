/* Checking a rule definition once it is loaded, whatever its source (a
 * Prometheus rule file or hostwatch.conf): the checks of Prometheus 2.42's
 * model/rulefmt/rulefmt.go (RuleNode.Validate, testTemplateParsing) with
 * its messages, plus hostwatch's stricter one that an expression has a type
 * the rule can use (Prometheus only finds out when it evaluates), and the
 * PromQL parse itself. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/ruledef.h"
#include "hostwatch/template.h"

/* model.IsValidMetricName: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static bool valid_metric_name(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = c == '_' || c == ':' || (c >= 'a' && c <= 'z') ||
			  (c >= 'A' && c <= 'Z') ||
			  (p > s && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

/* model.LabelName.IsValid: [a-zA-Z_][a-zA-Z0-9_]*. */
static bool valid_label_name(const char *s)
{
	return valid_metric_name(s) && !strchr(s, ':');
}

/* model.LabelValue.IsValid: utf8.ValidString. */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
			return false;
		unsigned long cp = *p & (0x7f >> n);
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

struct ctx {
	const struct rule_def *r;
	const char *context;
	char *err;
	size_t errsize;
};

static int fail(const struct ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(c->err, c->errsize, "%s:%d: ",
		       c->r->file ? c->r->file : "", line ? line : c->r->line);
	if (c->context && len >= 0 && (size_t)len < c->errsize)
		len += snprintf(c->err + len, c->errsize - (size_t)len, "%s: ",
				c->context);
	else if (len >= 0 && (size_t)len < c->errsize)
		len += snprintf(c->err + len, c->errsize - (size_t)len,
				"%s \"%s\": ",
				c->r->kind == RULE_ALERT ? "alert" : "record",
				c->r->name ? c->r->name : "");
	if (len < 0 || (size_t)len >= c->errsize)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + len, c->errsize - (size_t)len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Parse one expression and check its type; `what` names it in messages. */
static int parse_expr(const struct ctx *c, const char *expr, int line,
		      bool alert, const char *what, struct promql_node **out)
{
	struct promql_error perr;
	int r;

	r = promql_parse(expr, out, &perr);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* a multi-line expression: point at the line of the error */
		size_t col = perr.column;
		for (size_t i = 0; i + 1 < perr.column && expr[i]; i++)
			if (expr[i] == '\n') {
				line += line ? 1 : 0;
				col = perr.column - i - 1;
			}
		return fail(c, line, "could not parse %s: column %zu: %s", what,
			    col, perr.msg);
	}
	enum promql_type t = (*out)->type;
	if (t == PROMQL_TYPE_VECTOR || (!alert && t == PROMQL_TYPE_SCALAR))
		return 0;
	promql_free(*out);
	*out = NULL;
	return fail(c, line, "%s must be %s, not a %s", what,
		    alert ? "an instant vector"
			  : "an instant vector or a scalar",
		    promql_type_name(t));
}

static int check_kv(const struct ctx *c, const struct rule_kv *kv, size_t n,
		    const int *lines, bool labels, const char *tname)
{
	const struct rule_def *r = c->r;
	char msg[512];

	for (size_t i = 0; i < n; i++) {
		int line = lines ? lines[i] : 0;
		if (!valid_label_name(kv[i].key) ||
		    (labels && strcmp(kv[i].key, "__name__") == 0))
			return fail(c, line, "invalid %s name: %s",
				    labels ? "label" : "annotation", kv[i].key);
		if (labels && !valid_utf8(kv[i].value))
			return fail(c, line, "invalid label value: %s",
				    kv[i].value);
		if (r->kind == RULE_ALERT &&
		    template_check_named(kv[i].value, tname, msg,
					 sizeof(msg)) < 0)
			return fail(c, line, "%s \"%s\": %s",
				    labels ? "label" : "annotation", kv[i].key,
				    msg);
	}
	return 0;
}

int ruledef_check_at(struct rule_def *r, const struct rule_def_lines *lines,
		     const char *context, char *err, size_t errsize)
{
	static const struct rule_def_lines none = {0};
	struct ctx c = {r, context, err, errsize};
	char *tname = NULL;
	bool alert = r->kind == RULE_ALERT;
	int rc;

	if (!lines)
		lines = &none;
	if (!r->name || !*r->name)
		return fail(&c, 0, "one of 'record' or 'alert' must be set");
	if (!r->expr || !*r->expr)
		return fail(&c, 0, "field 'expr' must be set in rule");
	if (!alert) {
		if (!valid_metric_name(r->name))
			return fail(&c, 0, "invalid recording rule name: %s",
				    r->name);
		if (r->nannotations)
			return fail(&c, 0, "invalid field 'annotations' in "
					   "recording rule");
		if (r->for_ms)
			return fail(&c, 0, "invalid field 'for' in recording "
					   "rule");
		if (r->keep_firing_for_ms)
			return fail(&c, 0, "invalid field 'keep_firing_for' in "
					   "recording rule");
		if (r->clear)
			return fail(&c, lines->clear,
				    "invalid field 'clear' in recording rule");
	}
	if (r->for_ms < 0 || r->keep_firing_for_ms < 0)
		return fail(&c, 0, "durations must not be negative");
	/* rules/alerting.go names an alert's templates "__alert_" + name */
	if (asprintf(&tname, "__alert_%s", r->name) < 0)
		return -ENOMEM;
	rc = check_kv(&c, r->labels, r->nlabels, lines->labels, true, tname);
	if (!rc)
		rc = check_kv(&c, r->annotations, r->nannotations,
			      lines->annotations, false, tname);
	free(tname);
	if (rc)
		return rc;
	promql_free(r->ast);
	r->ast = NULL;
	promql_free(r->clear_ast);
	r->clear_ast = NULL;
	rc = parse_expr(&c, r->expr, lines->expr, alert, "expression", &r->ast);
	if (!rc && r->clear)
		rc = parse_expr(&c, r->clear, lines->clear, true,
				"clear expression", &r->clear_ast);
	return rc;
}

int ruledef_check(struct rule_def *r, char *err, size_t errsize)
{
	return ruledef_check_at(r, NULL, NULL, err, errsize);
}

static void kv_free(struct rule_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void rule_def_free(struct rule_def *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->expr);
	promql_free(r->ast);
	free(r->clear);
	promql_free(r->clear_ast);
	kv_free(r->labels, r->nlabels);
	kv_free(r->annotations, r->nannotations);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

void rule_group_def_free(struct rule_group_def *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		rule_def_free(&g->rules[i]);
	free(g->rules);
	free(g->name);
	free(g->file);
	memset(g, 0, sizeof(*g));
}

void rule_set_def_free(struct rule_set_def *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		rule_group_def_free(&s->groups[i]);
	free(s->groups);
	memset(s, 0, sizeof(*s));
}
