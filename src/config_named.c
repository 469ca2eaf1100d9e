/* Configuration: sections of the form [KIND NAME], where the file defines as
 * many instances as it likes: [process NAME] (a process group) here, the
 * rule engine's [alert NAME] and [record NAME] in config_rules.c.
 *
 * inih hands us the whole header text ("process web") as the section name;
 * the INI reader asks config_named_header() about every header first, so a
 * bad name or a duplicate is reported at the header's line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/config.h"

#include "config_internal.h"

#define PROCGROUPS_MAX 256

void config_procgroups_free(struct hw_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_procgroups; i++) {
		struct hw_procgroup *g = &cfg->procgroups[i];
		free(g->name);
		free(g->comm);
		free(g->exe);
		free(g->cmdline);
		free(g->cgroup);
		free(g->pidfile);
		free(g->user);
	}
	free(cfg->procgroups);
	cfg->procgroups = NULL;
	cfg->n_procgroups = 0;
}

/* A group name becomes the groupname label: printable, no surrounding
 * blanks, at most 128 bytes (a label value, not a paragraph). */
static const char *check_group_name(const char *s, size_t len)
{
	if (len == 0)
		return "a name is missing: write [process NAME]";
	if (len > 128)
		return "the name is longer than 128 characters";
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]))
		return "the name has blanks around it";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '\\')
			return "the name may not contain quotes, backslashes or "
			       "control characters";
	return NULL;
}

static void check_pending(struct load *ld)
{
	char why[512];
	if (!ld->group_pending)
		return;
	if (*ld->group_pending &&
	    config_check_regex(*ld->group_pending, why, sizeof(why)) < 0)
		config_load_fail(ld, "%s:%u: [process %s] %s: %s", ld->path,
				 ld->group_pending_line, ld->group->name,
				 ld->group_pending_key, why);
	ld->group_pending = NULL;
}

void config_named_end(struct load *ld)
{
	config_rules_end(ld);
	config_channels_end(ld);
	struct hw_procgroup *g = ld->group;
	if (!g)
		return;
	check_pending(ld);
	if (!ld->failed && !g->comm && !g->exe && !g->cmdline && !g->cgroup &&
	    !g->pidfile && !g->user)
		config_load_fail(ld,
				 "%s:%u: [process %s]: no selector: give at "
				 "least one of comm, exe, cmdline, cgroup, "
				 "pidfile, user",
				 ld->path, g->line, g->name);
	ld->group = NULL;
}

int config_named_split(const char *text, size_t len,
		       const char *const *kinds, const char **name,
		       size_t *nl)
{
	for (int k = 0; kinds[k]; k++) {
		size_t kl = strlen(kinds[k]);
		if (len < kl || strncmp(text, kinds[k], kl) != 0 ||
		    (len > kl && text[kl] != ' ' && text[kl] != '\t'))
			continue; /* [webhooks], [alerts]: not this kind */
		*name = text + kl;
		*nl = len - kl;
		while (*nl && (**name == ' ' || **name == '\t'))
			(*name)++, (*nl)--;
		return k;
	}
	return -1;
}

int config_named_header(struct load *ld, const char *text, size_t len)
{
	static const char *const kinds[] = {"process", NULL};
	const char *name;
	size_t nl;
	config_named_end(ld);
	if (config_rules_header(ld, text, len) ||
	    config_channels_header(ld, text, len))
		return 1;
	/* trailing blanks are kept: check_group_name refuses them */
	if (config_named_split(text, len, kinds, &name, &nl) < 0)
		return 0;
	const char *bad = check_group_name(name, nl);
	if (bad) {
		config_load_fail(ld, "%s:%u: [%.*s]: %s", ld->path, ld->line,
				 (int)len, text, bad);
		return 1;
	}
	struct hw_config *cfg = ld->cfg;
	for (unsigned i = 0; i < cfg->n_procgroups; i++) {
		const struct hw_procgroup *o = &cfg->procgroups[i];
		if (strlen(o->name) == nl && memcmp(o->name, name, nl) == 0) {
			config_load_fail(ld,
					 "%s:%u: [process %.*s]: defined "
					 "again (first at line %u)",
					 ld->path, ld->line, (int)nl, name,
					 o->line);
			return 1;
		}
	}
	if (cfg->n_procgroups == PROCGROUPS_MAX) {
		config_load_fail(ld, "%s:%u: more than %d [process] sections",
				 ld->path, ld->line, PROCGROUPS_MAX);
		return 1;
	}
	struct hw_procgroup *grown = realloc(
		cfg->procgroups, (cfg->n_procgroups + 1) * sizeof(*grown));
	if (!grown) {
		config_load_fail(ld, "configuration: out of memory");
		return 1;
	}
	cfg->procgroups = grown;
	struct hw_procgroup *g = &grown[cfg->n_procgroups];
	memset(g, 0, sizeof(*g));
	g->line = ld->line;
	if (!(g->name = strndup(name, nl))) {
		config_load_fail(ld, "configuration: out of memory");
		return 1;
	}
	cfg->n_procgroups++;
	ld->group = g;
	return 1;
}

/* A user name, or digits for a uid that has no name (a container's). */
static int resolve_user(const char *v, unsigned *uid)
{
	char *end;
	if (isdigit((unsigned char)*v)) {
		unsigned long n = strtoul(v, &end, 10);
		if (*end || n > 0xfffffffeUL)
			return -EINVAL;
		*uid = (unsigned)n;
		return 0;
	}
	struct passwd *pw = getpwnam(v);
	if (!pw)
		return -ENOENT;
	*uid = (unsigned)pw->pw_uid;
	return 0;
}

int config_named_entry(struct load *ld, const char *key, const char *value,
		       bool cont)
{
	struct hw_procgroup *g = ld->group;
	static const struct {
		const char *key;
		size_t off;
	} regexes[] = {
		{"comm", offsetof(struct hw_procgroup, comm)},
		{"exe", offsetof(struct hw_procgroup, exe)},
		{"cmdline", offsetof(struct hw_procgroup, cmdline)},
		{"cgroup", offsetof(struct hw_procgroup, cgroup)},
	};
	if (cont) {
		/* Only a regex may go on over indented lines. */
		if (!ld->group_pending || strcmp(ld->group_pending_key, key)) {
			config_load_fail(ld,
					 "%s:%u: [process %s] %s: indented line "
					 "continues the value, which only regex "
					 "keys may do",
					 ld->path, ld->line, g->name, key);
			return -EINVAL;
		}
		char **field = ld->group_pending;
		size_t have = strlen(*field);
		char *joined = realloc(*field, have + strlen(value) + 1);
		if (!joined) {
			config_load_fail(ld, "configuration: out of memory");
			return -EINVAL;
		}
		strcpy(joined + have, value);
		*field = joined;
		return 0;
	}
	check_pending(ld);
	if (ld->failed)
		return -EINVAL;
	char **field = NULL;
	for (size_t i = 0; i < sizeof(regexes) / sizeof(regexes[0]); i++)
		if (strcmp(key, regexes[i].key) == 0)
			field = (char **)((char *)g + regexes[i].off);
	if (!field && strcmp(key, "pidfile") == 0)
		field = &g->pidfile;
	if (!field && strcmp(key, "user") == 0)
		field = &g->user;
	if (!field) {
		config_load_fail(ld,
				 "%s:%u: [process %s] %s: unknown key (comm, "
				 "exe, cmdline, cgroup, pidfile, user)",
				 ld->path, ld->line, g->name, key);
		return -EINVAL;
	}
	if (*field) {
		config_load_fail(ld, "%s:%u: [process %s] %s: given twice",
				 ld->path, ld->line, g->name, key);
		return -EINVAL;
	}
	if (!*value) {
		config_load_fail(ld, "%s:%u: [process %s] %s: empty value",
				 ld->path, ld->line, g->name, key);
		return -EINVAL;
	}
	if (field == &g->pidfile && value[0] != '/') {
		config_load_fail(ld,
				 "%s:%u: [process %s] pidfile: \"%s\" is not "
				 "an absolute path",
				 ld->path, ld->line, g->name, value);
		return -EINVAL;
	}
	if (field == &g->user) {
		int rc = resolve_user(value, &g->uid);
		if (rc < 0) {
			config_load_fail(ld,
					 "%s:%u: [process %s] user: \"%s\" %s",
					 ld->path, ld->line, g->name, value,
					 rc == -ENOENT
						 ? "is not a user on this host"
						 : "is not a user name or uid");
			return -EINVAL;
		}
		g->has_user = true;
	}
	if (!(*field = strdup(value))) {
		config_load_fail(ld, "configuration: out of memory");
		return -EINVAL;
	}
	if (field != &g->pidfile && field != &g->user) {
		ld->group_pending = field;
		ld->group_pending_key = field == &g->comm      ? "comm"
					: field == &g->exe     ? "exe"
					: field == &g->cmdline ? "cmdline"
							       : "cgroup";
		ld->group_pending_line = ld->line;
	}
	return 0;
}
