/* Configuration: the rule engine's part. [record NAME] and [alert NAME]
 * sections define rules in hostwatch.conf itself; [rules] files = names
 * Prometheus rule files; the default rules (etc/default.rules.yml) come
 * first unless [rules] defaults = off.
 *
 *   [alert HostHighCpu]
 *   expr = hostwatch_cpu_usage_percent{window="5m"} > 80
 *   for = 5m
 *   clear = hostwatch_cpu_usage_percent{window="5m"} < 70
 *   labels.severity = warning
 *   annotations.summary = CPU at {{ $value | printf "%.0f" }}%
 *
 * The same NAME may head several sections, as a Prometheus rule file may
 * hold several rules of one alert (a warning and a critical threshold).
 * Each value is checked at the line it is written on, once its indented
 * continuation lines are in: an expression error names FILE:LINE and the
 * column in the expression, as rule files' errors do. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/config.h"
#include "hostwatch/log.h"
#include "hostwatch/promql.h"
#include "hostwatch/ruledef.h"
#include "hostwatch/template.h"

#include "alert/yamldoc.h"
#include "config_internal.h"

#define CONF_RULES_MAX 1000
#define CONF_RULE_KV_MAX 64

/* The group the file's sections go to, kept in the configuration's set
 * while loading; config_rules_finish puts the other groups around it. */
static struct rule_group_def *conf_group(struct load *ld)
{
	struct rule_set_def *set = &ld->cfg->rules;
	if (set->n)
		return &set->groups[0];
	struct rule_group_def *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	const char *base = strrchr(ld->path, '/');
	if (!(g->name = strdup(base ? base + 1 : ld->path)) ||
	    !(g->file = strdup(ld->path))) {
		rule_group_def_free(g);
		free(g);
		return NULL;
	}
	set->groups = g;
	set->n = 1;
	return g;
}

int config_rules_header(struct load *ld, const char *text, size_t len)
{
	static const char *const kinds[] = {"record", "alert", NULL};
	const char *name;
	size_t nl;
	int k = config_named_split(text, len, kinds, &name, &nl);
	if (k < 0)
		return 0;
	enum rule_kind kind = k == 0 ? RULE_RECORD : RULE_ALERT;
	while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
		nl--;
	if (!nl) {
		config_load_fail(ld, "%s:%u: [%.*s]: a name is missing: write "
				 "[%s NAME]",
				 ld->path, ld->line, (int)len, text,
				 kind == RULE_ALERT ? "alert" : "record");
		return 1;
	}
	struct rule_group_def *g = conf_group(ld);
	if (!g) {
		config_load_fail(ld, "configuration: out of memory");
		return 1;
	}
	if (g->n == CONF_RULES_MAX) {
		config_load_fail(ld, "%s:%u: more than %d rule sections",
				 ld->path, ld->line, CONF_RULES_MAX);
		return 1;
	}
	struct rule_def *grown = realloc(g->rules, (g->n + 1) * sizeof(*grown));
	if (!grown) {
		config_load_fail(ld, "configuration: out of memory");
		return 1;
	}
	g->rules = grown;
	struct rule_def *r = &grown[g->n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->line = (int)ld->line;
	if (!(r->name = strndup(name, nl)) || !(r->file = strdup(ld->path))) {
		g->n++; /* freed with the group */
		config_load_fail(ld, "configuration: out of memory");
		return 1;
	}
	g->n++;
	ld->rule = r;
	return 1;
}

static const char *kind_name(const struct rule_def *r)
{
	return r->kind == RULE_ALERT ? "alert" : "record";
}

/* Check the value whose continuation lines are now all in. */
static void flush_pending(struct load *ld)
{
	struct rule_def *r = ld->rule;
	char **v = ld->rule_pending;
	if (!v)
		return;
	ld->rule_pending = NULL;
	const char *key = ld->rule_pending_key;
	unsigned line = ld->rule_pending_line;
	if (v == &r->expr || v == &r->clear) {
		struct promql_node *ast;
		struct promql_error perr;
		if (promql_parse(*v, &ast, &perr) < 0) {
			config_load_fail(ld, "%s:%u: [%s %s] %s: column %zu: %s",
					 ld->path, line, kind_name(r), r->name,
					 key, perr.column, perr.msg);
			return;
		}
		enum promql_type t = ast->type;
		promql_free(ast);
		if (t != PROMQL_TYPE_VECTOR &&
		    (r->kind == RULE_ALERT || t != PROMQL_TYPE_SCALAR))
			config_load_fail(ld,
					 "%s:%u: [%s %s] %s: the expression is "
					 "a %s; a rule needs an instant vector%s",
					 ld->path, line, kind_name(r), r->name,
					 key, promql_type_name(t),
					 r->kind == RULE_RECORD ? " or a scalar"
								: "");
		return;
	}
	if (r->kind == RULE_ALERT) {
		char why[256];
		if (template_check(*v, why, sizeof(why)) < 0)
			config_load_fail(ld, "%s:%u: [%s %s] %s: %s", ld->path,
					 line, kind_name(r), r->name, key, why);
	}
}

void config_rules_end(struct load *ld)
{
	struct rule_def *r = ld->rule;
	if (!r)
		return;
	flush_pending(ld);
	ld->rule = NULL;
	if (ld->failed)
		return;
	if (!r->expr) {
		config_load_fail(ld, "%s:%d: [%s %s]: no expr: every rule needs "
				 "one",
				 ld->path, r->line, kind_name(r), r->name);
		return;
	}
	char why[1024];
	if (ruledef_check(r, why, sizeof(why)) < 0)
		config_load_fail(ld, "%s", why);
}

/* labels.KEY / annotations.KEY: the value slot for KEY, added. */
static char **kv_slot(struct load *ld, struct rule_kv **kv, size_t *n,
		      const char *key, const char *what)
{
	struct rule_def *r = ld->rule;
	if (!*key) {
		config_load_fail(ld, "%s:%u: [%s %s] %s.: the %s name is "
				 "missing",
				 ld->path, ld->line, kind_name(r), r->name,
				 what, what);
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*kv)[i].key, key) == 0) {
			config_load_fail(ld, "%s:%u: [%s %s] %ss.%s: given twice",
					 ld->path, ld->line, kind_name(r),
					 r->name, what, key);
			return NULL;
		}
	if (*n == CONF_RULE_KV_MAX) {
		config_load_fail(ld, "%s:%u: [%s %s]: more than %d %ss",
				 ld->path, ld->line, kind_name(r), r->name,
				 CONF_RULE_KV_MAX, what);
		return NULL;
	}
	struct rule_kv *grown = realloc(*kv, (*n + 1) * sizeof(*grown));
	if (!grown)
		goto nomem;
	*kv = grown;
	grown[*n].value = NULL;
	if (!(grown[*n].key = strdup(key)))
		goto nomem;
	return &grown[(*n)++].value;
nomem:
	config_load_fail(ld, "configuration: out of memory");
	return NULL;
}

static int set_duration(struct load *ld, int64_t *ms, const char *key,
			const char *value)
{
	struct rule_def *r = ld->rule;
	if (yamldoc_duration(value, ms) < 0) {
		config_load_fail(ld, "%s:%u: [%s %s] %s: \"%s\" is not a "
				 "duration (like 5m, 1h30m, 10s)",
				 ld->path, ld->line, kind_name(r), r->name, key,
				 value);
		return -EINVAL;
	}
	return 0;
}

int config_rules_entry(struct load *ld, const char *key, const char *value,
		       bool cont)
{
	struct rule_def *r = ld->rule;
	if (cont) {
		if (!ld->rule_pending || strcmp(ld->rule_pending_key, key)) {
			config_load_fail(ld,
					 "%s:%u: [%s %s] %s: indented line "
					 "continues the value, which only expr, "
					 "clear and annotations may do",
					 ld->path, ld->line, kind_name(r),
					 r->name, key);
			return -EINVAL;
		}
		char **field = ld->rule_pending;
		size_t have = strlen(*field);
		char *joined = realloc(*field, have + strlen(value) + 2);
		if (!joined) {
			config_load_fail(ld, "configuration: out of memory");
			return -EINVAL;
		}
		joined[have] = '\n';
		strcpy(joined + have + 1, value);
		*field = joined;
		return 0;
	}
	flush_pending(ld);
	if (ld->failed)
		return -EINVAL;
	bool alert = r->kind == RULE_ALERT;
	char **field = NULL;
	bool continues = false;
	if (strcmp(key, "expr") == 0) {
		field = &r->expr, continues = true;
	} else if (alert && strcmp(key, "clear") == 0) {
		field = &r->clear, continues = true;
	} else if (alert && strcmp(key, "for") == 0) {
		return set_duration(ld, &r->for_ms, key, value);
	} else if (alert && strcmp(key, "keep_firing_for") == 0) {
		return set_duration(ld, &r->keep_firing_for_ms, key, value);
	} else if (strncmp(key, "labels.", 7) == 0) {
		field = kv_slot(ld, &r->labels, &r->nlabels, key + 7, "label");
		if (!field)
			return -EINVAL;
		/* a record rule's labels are plain values, not templates */
		continues = false;
		if (alert) {
			ld->rule_pending = field;
			snprintf(ld->rule_pending_keybuf,
				 sizeof(ld->rule_pending_keybuf), "%s", key);
			ld->rule_pending_key = ld->rule_pending_keybuf;
			ld->rule_pending_line = ld->line;
		}
	} else if (alert && strncmp(key, "annotations.", 12) == 0) {
		field = kv_slot(ld, &r->annotations, &r->nannotations, key + 12,
				"annotation");
		if (!field)
			return -EINVAL;
		continues = true;
	} else {
		config_load_fail(ld,
				 "%s:%u: [%s %s] %s: unknown key (%s)", ld->path,
				 ld->line, kind_name(r), r->name, key,
				 alert ? "expr, for, keep_firing_for, clear, "
					 "labels.NAME, annotations.NAME"
				       : "expr, labels.NAME");
		return -EINVAL;
	}
	if (*field) {
		config_load_fail(ld, "%s:%u: [%s %s] %s: given twice", ld->path,
				 ld->line, kind_name(r), r->name, key);
		return -EINVAL;
	}
	if (!*value && (field == &r->expr || field == &r->clear)) {
		config_load_fail(ld, "%s:%u: [%s %s] %s: empty value", ld->path,
				 ld->line, kind_name(r), r->name, key);
		return -EINVAL;
	}
	if (!(*field = strdup(value))) {
		config_load_fail(ld, "configuration: out of memory");
		return -EINVAL;
	}
	if (continues) {
		ld->rule_pending = field;
		/* inih's key buffer is reused: keep a copy */
		snprintf(ld->rule_pending_keybuf,
			 sizeof(ld->rule_pending_keybuf), "%s", key);
		ld->rule_pending_key = ld->rule_pending_keybuf;
		ld->rule_pending_line = ld->line;
	}
	return 0;
}

/* ---- [rules] files and the defaults -------------------------------------- */

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Load one name or glob of [rules] files, relative to `dir`. */
static int load_pattern(struct load *ld, const char *pat, size_t n,
			const char *dir)
{
	char path[4096], err[1024];
	while (n && (*pat == ' ' || *pat == '\t'))
		pat++, n--;
	while (n && (pat[n - 1] == ' ' || pat[n - 1] == '\t'))
		n--;
	int len = pat[0] == '/' ? snprintf(path, sizeof(path), "%.*s", (int)n, pat)
				: snprintf(path, sizeof(path), "%s/%.*s", dir,
					   (int)n, pat);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		config_load_fail(ld, "[rules] files: \"%.*s\": path too long",
				 (int)n, pat);
		return -EINVAL;
	}
	if (!has_glob(path)) {
		int rc = rulefile_load(path, &ld->cfg->rules, err, sizeof(err));
		if (rc == -EINVAL) {
			config_load_fail(ld, "%s", err);
		} else if (rc < 0) {
			config_load_fail(ld, "[rules] files: %s: %s", path,
					 strerror(-rc));
		}
		return rc;
	}
	/* As Prometheus globs rule_files: a pattern may match nothing. */
	glob_t gl;
	int grc = glob(path, GLOB_ERR, NULL, &gl);
	if (grc == GLOB_NOMATCH)
		return 0;
	if (grc != 0) {
		config_load_fail(ld, "[rules] files: %s: %s", path,
				 grc == GLOB_NOSPACE ? "out of memory"
						     : "cannot read a directory");
		return -EINVAL;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < gl.gl_pathc; i++) {
		rc = rulefile_load(gl.gl_pathv[i], &ld->cfg->rules, err,
				   sizeof(err));
		if (rc == -EINVAL)
			config_load_fail(ld, "%s", err);
		else if (rc < 0)
			config_load_fail(ld, "[rules] files: %s: %s",
					 gl.gl_pathv[i], strerror(-rc));
	}
	globfree(&gl);
	return rc;
}

int config_rules_finish(struct load *ld)
{
	struct hw_config *cfg = ld->cfg;
	char err[1024];
	/* The file's own group, alone in the set so far, goes after the
	 * defaults: take it out while those are loaded. */
	struct rule_set_def own = cfg->rules;
	memset(&cfg->rules, 0, sizeof(cfg->rules));
	int rc = 0;
	if (cfg->rules_defaults) {
		rc = rulefile_load(cfg->rules_defaults_file, &cfg->rules, err,
				   sizeof(err));
		if (rc == -ENOENT &&
		    strcmp(cfg->rules_defaults_file,
			   CONFIG_DEFAULT_RULES_FILE) == 0) {
			/* not installed (a build tree): say so, go on */
			log_warn("default rules %s not found: none loaded",
				 cfg->rules_defaults_file);
			rc = 0;
		} else if (rc == -EINVAL) {
			config_load_fail(ld, "%s", err);
		} else if (rc < 0) {
			config_load_fail(ld, "[rules] defaults_file: %s: %s",
					 cfg->rules_defaults_file,
					 strerror(-rc));
		}
	}
	if (own.n) {
		struct rule_group_def *grown =
			realloc(cfg->rules.groups,
				(cfg->rules.n + own.n) * sizeof(*grown));
		if (!grown) {
			rule_set_def_free(&own);
			config_load_fail(ld, "configuration: out of memory");
			return -ENOMEM;
		}
		memcpy(grown + cfg->rules.n, own.groups,
		       own.n * sizeof(*grown));
		cfg->rules.groups = grown;
		cfg->rules.n += own.n;
		free(own.groups);
	}
	if (rc < 0 || !cfg->rules_files)
		return rc < 0 ? -EINVAL : 0;
	/* relative names: from the configuration file's directory */
	char dir[4096] = ".";
	if (cfg->file) {
		const char *slash = strrchr(cfg->file, '/');
		if (slash)
			snprintf(dir, sizeof(dir), "%.*s",
				 (int)(slash - cfg->file), cfg->file);
		if (!dir[0])
			strcpy(dir, "/");
	}
	for (const char *p = cfg->rules_files; *p && rc == 0;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		rc = load_pattern(ld, p, n, dir);
		p += n + (end != NULL);
	}
	return rc < 0 ? -EINVAL : 0;
}
