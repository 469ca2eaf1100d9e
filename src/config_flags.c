/* Configuration: node_exporter-style command-line flags, and --help.
 *
 * Flags are read in two passes around the file they override: first names
 * and values (config_flags_scan), then, once the file is in, the values are
 * checked and stored (config_flags_apply). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/config.h"

#include "config_internal.h"

/* `name` is the flag without "--", `len` long (it may go on with "=v"). */
static const struct opt *opt_by_flag(const char *name, size_t len, int *ci)
{
	char buf[128];
	for (size_t i = 0; i < CONFIG_N_OPTS; i++) {
		const struct opt *o = &config_opts[i];
		size_t fl = strlen(o->flag);
		if (o->type == OPT_COLLECTOR) {
			if (len <= fl || len - fl >= sizeof(buf) ||
			    strncmp(name, o->flag, fl) != 0)
				continue;
			memcpy(buf, name + fl, len - fl);
			buf[len - fl] = '\0';
			if ((*ci = collector_index(buf)) >= 0)
				return o;
		} else if (fl == len && strncmp(name, o->flag, len) == 0) {
			return o;
		}
	}
	return NULL;
}

static bool opt_is_bool(const struct opt *o)
{
	return o->type == OPT_BOOL || o->type == OPT_DISABLE_DEFAULTS ||
	       o->type == OPT_COLLECTOR;
}

static int meta_bool(struct load *ld, const char *a, int len, const char *eq,
		     bool *out)
{
	char why[200];
	if (!eq) {
		*out = true;
		return 0;
	}
	if (config_parse_bool(eq, out, why, sizeof(why)) == 0)
		return 0;
	config_load_fail(ld, "flag --%.*s: %s", len, a, why);
	return -EINVAL;
}

/* First pass: names and values, no checking of values yet, because the
 * file they override has not been read. */
int config_flags_scan(struct load *ld, struct hw_cli *cli, int argc,
		      char **argv, struct flag_item *items, size_t *nitems,
		      struct flag_meta *meta)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0) {
			cli->help = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || !a[2]) {
			config_load_fail(
				ld, "flag %s: unknown flag (see --help)", a);
			return -EINVAL;
		}
		const char *name = a + 2;
		int len = (int)strcspn(name, "=");
		const char *eq = name[len] == '=' ? name + len + 1 : NULL;
#define IS(s) (len == (int)strlen(s) && strncmp(name, s, (size_t)len) == 0)
		if (IS("help") || IS("version") || IS("check-config")) {
			bool *dst = IS("help")	   ? &cli->help
				    : IS("version") ? &cli->version
						    : &cli->check_config;
			if (meta_bool(ld, name, len, eq, dst) < 0)
				return -EINVAL;
			continue;
		}
		bool neg = strncmp(name, "no-", 3) == 0;
		int ci = -1;
		const struct opt *o =
			IS("config.file")
				? NULL
				: opt_by_flag(name + (neg ? 3 : 0),
					      (size_t)len - (neg ? 3 : 0), &ci);
		if (!IS("config.file") && (!o || (neg && !opt_is_bool(o)))) {
			config_load_fail(
				ld, "flag --%.*s: unknown flag (see --help)",
				len, name);
			return -EINVAL;
		}
#undef IS
		const char *v = eq;
		if (o && opt_is_bool(o)) {
			if (neg && eq) {
				config_load_fail(ld,
						 "flag --%.*s: takes no value",
						 len, name);
				return -EINVAL;
			}
			if (!eq)
				v = neg ? "false" : "true";
		} else if (!eq) {
			/* kingpin's "--flag value"; a following flag means the
			 * value was forgotten, not that it is "--foo". */
			if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
				config_load_fail(ld,
						 "flag --%.*s: needs a value",
						 len, name);
				return -EINVAL;
			}
			v = argv[++i];
		}
		if (!o)
			meta->config_file = v;
		else
			items[(*nitems)++] =
				(struct flag_item){o, ci, v, name, len};
	}
	return 0;
}

/* Second pass, once the file is in: check each value and store it over
 * whatever the file said. */
int config_flags_apply(struct load *ld, const struct flag_item *items,
		       size_t nitems)
{
	char why[512];
	for (size_t i = 0; i < nitems; i++) {
		const struct flag_item *it = &items[i];
		if (config_opt_apply(ld, it->o, it->ci, true, it->value, why,
				     sizeof(why)) < 0) {
			config_load_fail(ld, "flag --%.*s: %s", it->len,
					 it->name, why);
			return -EINVAL;
		}
		ld->origin[OPT_IDX(it->o)] =
			(struct origin){true, 0, it->name, it->len};
	}
	return 0;
}

/* ---- --help, in kingpin's layout ------------------------------------------- */

#define USAGE_COL 40

static void usage_line(FILE *out, const char *flag, const char *help,
		       const char *dflt)
{
	int n = fprintf(out, "  %s%s", strncmp(flag, "-h", 2) ? "    " : "",
			flag);
	if (n > USAGE_COL + 1)
		fprintf(out, "\n%*s", USAGE_COL + 2, "");
	else
		fprintf(out, "%*s", USAGE_COL + 2 - n, "");
	fprintf(out, "%s%s%s\n", help, dflt ? " " : "", dflt ? dflt : "");
}

void config_usage(FILE *out)
{
	struct hw_config d;
	char flag[1024], help[256];
	config_defaults(&d);
	fputs("usage: hostwatch [<flags>]\n\n"
	      "Prometheus node_exporter compatible host metrics exporter.\n\n"
	      "Flags:\n",
	      out);
	usage_line(out, "-h, --help", "Show context-sensitive help.", NULL);
	for (size_t i = 0; i < CONFIG_N_OPTS; i++) {
		const struct opt *o = &config_opts[i];
		const void *field = (const char *)&d + o->off;
		const char *dflt = NULL;
		int n = snprintf(flag, sizeof(flag), "--%s=", o->flag);
		char *v = flag + n;
		size_t room = sizeof(flag) - (size_t)n;
		switch (o->type) {
		case OPT_LISTEN:
			snprintf(v, room, "%s ...", d.listen[0] ? d.listen[0] : "");
			break;
		case OPT_URLPATH:
		case OPT_PATH:
		case OPT_REGEX:
		case OPT_LABELKEYS:
		case OPT_FILES:
			if (*(char *const *)field)
				snprintf(v, room, "\"%s\"", *(char *const *)field);
			else
				for (const char *p = o->flag; *p && room > 1;
				     p++, room--)
					*v++ = (char)toupper((unsigned char)*p),
					*v = '\0';
			break;
		case OPT_UINT:
			snprintf(v, room, "%u", *(const unsigned *)field);
			break;
		case OPT_SECONDS:
			snprintf(v, room, "%us", *(const unsigned *)field);
			break;
		case OPT_DURATION:
			snprintf(v, room, "%gs", *(const double *)field);
			break;
		case OPT_LOGLEVEL:
			for (size_t l = 0; l < 4; l++) {
				static const char *const names[] = {
					"debug", "info", "warn", "error"};
				enum hw_log_level lvl;
				if (log_parse_level(names[l], &lvl) == 0 &&
				    lvl == d.log_level)
					snprintf(v, room, "%s", names[l]);
			}
			break;
		case OPT_BOOL:
			snprintf(flag, sizeof(flag), "--[no-]%s", o->flag);
			dflt = *(const bool *)field ? "(default: enabled)"
						    : "(default: disabled)";
			break;
		case OPT_DISABLE_DEFAULTS:
			snprintf(flag, sizeof(flag), "--[no-]%s", o->flag);
			dflt = "(default: disabled)";
			break;
		case OPT_LABELS:
		case OPT_URL:
		case OPT_BYTES:
			config_notify_show(o, &d, v, room);
			break;
		case OPT_ACCESS:
			config_access_show(o, &d, v, room);
			break;
		case OPT_COLLECTOR:
			for (unsigned c = 0; c < hw_collectors_count; c++) {
				snprintf(flag, sizeof(flag), "--[no-]%s%s",
					 o->flag, hw_collectors[c]->name);
				snprintf(help, sizeof(help),
					 "Enable the %s collector (default: %s).",
					 hw_collectors[c]->name,
					 d.enabled[c] ? "enabled" : "disabled");
				usage_line(out, flag, help, NULL);
			}
			continue;
		}
		usage_line(out, flag, o->help, dflt);
	}
	usage_line(out, "--config.file=\"" CONFIG_DEFAULT_FILE "\"",
		   "INI configuration file; flags override it. Read only if it "
		   "exists, unless named here. Empty: no file.",
		   NULL);
	usage_line(out, "--check-config",
		   "Check the configuration file and flags, then exit.", NULL);
	usage_line(out, "--version", "Show application version.", NULL);
	config_free(&d);
}
