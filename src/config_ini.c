/* Configuration: the INI file, read whole and handed to inih line by line.
 *
 * inih does the parsing; the reader in front of it looks at each line first
 * so that every error gets a FILE:LINE and a reason, no line is silently
 * split, and indented continuation lines are handled on purpose. Values go
 * through config_opt_apply() like flags do. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "hostwatch/buf.h"
#include "hostwatch/collector.h"
#include "hostwatch/config.h"
#include "hostwatch/readfile.h"

#include "config_internal.h"

/* A configuration file is a few kilobytes; refuse anything absurd. */
#define CONFIG_MAX_FILE (1024 * 1024)

/* Every [section] config.c's table uses: any other is an error, even empty. */
static const char *const sections[] = {"server", "paths",  "log",
				       "collectors", "cpu", "filesystem",
				       "diskstats", "netdev", "cgroup",
				       "docker", "systemd", "rules", "notify"};

static const struct opt *opt_by_key(const char *section, const char *key,
				    int *ci)
{
	for (size_t i = 0; i < CONFIG_N_OPTS; i++) {
		const struct opt *o = &config_opts[i];
		if (strcmp(o->section, section) != 0)
			continue;
		if (o->type == OPT_COLLECTOR && (*ci = collector_index(key)) >= 0)
			return o;
		if (o->key && strcmp(o->key, key) == 0)
			return o;
	}
	return NULL;
}

/* inih's find_chars_or_comment (ini.c, r55): an inline comment starts at a
 * prefix character that follows whitespace. */
static const char *ini_find(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && !strchr(chars, *s) &&
	       !(INI_ALLOW_INLINE_COMMENTS && was_space &&
		 strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static bool section_known(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i]) == len &&
		    strncmp(sections[i], name, len) == 0)
			return true;
	return false;
}

/* Check the regex whose value is now complete (see struct load). */
static void ini_flush_pending(struct load *ld)
{
	const struct opt *o = ld->pending;
	char why[512];
	char *const *v = (char *const *)((char *)ld->cfg + o->off);
	ld->pending = NULL;
	if (*v && config_check_regex(*v, why, sizeof(why)) < 0)
		config_load_fail(ld, "%s:%u: [%s] %s: %s", ld->path,
				 ld->pending_line, o->section, o->key, why);
}

enum line_kind { LINE_BLANK, LINE_CONT, LINE_SECTION, LINE_KEY };

/* Look at one line the way inih's parser will (ini.c, ini_parse_stream) so
 * that what inih only counts as "an error on line N" gets a reason, and so
 * that an unknown section is reported at its header even when it is empty. */
static enum line_kind ini_kind(const struct load *ld, const char *line,
			       const char **startp)
{
	const char *start = line;
	if (ld->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3; /* inih skips a UTF-8 BOM (INI_ALLOW_BOM) */
	while (isspace((unsigned char)*start))
		start++;
	*startp = start;
	/* inih treats a blank line as a comment: neither ends a value. */
	if (!*start || strchr(INI_START_COMMENT_PREFIXES, *start))
		return LINE_BLANK;
	if (INI_ALLOW_MULTILINE && ld->prev_key && start > line)
		return LINE_CONT;
	return *start == '[' ? LINE_SECTION : LINE_KEY;
}

static void ini_check_line(struct load *ld, enum line_kind kind,
			   const char *start)
{
	ld->cont = kind == LINE_CONT;
	if (kind != LINE_SECTION && kind != LINE_KEY)
		return;
	if (ld->pending)
		ini_flush_pending(ld);
	if (kind == LINE_SECTION) {
		const char *end = ini_find(start + 1, "]");
		if (*end != ']') {
			config_load_fail(
				ld, "%s:%u: section header is missing \"]\"",
				ld->path, ld->line);
			return;
		}
		int len = (int)(end - start - 1);
		if (!config_named_header(ld, start + 1, (size_t)len) &&
		    !section_known(start + 1, (size_t)len))
			config_load_fail(ld, "%s:%u: unknown section [%.*s]",
					 ld->path, ld->line, len, start + 1);
		const char *rest = end + 1 + strspn(end + 1, " \t\r\n");
		/* inih ignores text after "]"; a typo there should not pass. */
		if (*rest && !strchr(INI_START_COMMENT_PREFIXES, *rest))
			config_load_fail(ld,
					 "%s:%u: unexpected text after \"]\"",
					 ld->path, ld->line);
		ld->prev_key = false;
		return;
	}
	const char *eq = ini_find(start, "=:");
	if (*eq != '=' && *eq != ':') {
		config_load_fail(ld, "%s:%u: expected \"key = value\"",
				 ld->path, ld->line);
		return;
	}
	if (eq == start)
		config_load_fail(ld, "%s:%u: missing key before \"%c\"",
				 ld->path, ld->line, *eq);
	ld->prev_key = true;
}

/* fgets-style reader for ini_parse_stream. inih calls it with its real line
 * buffer size as `num` (INI_MAX_LINE as the library was compiled, 200 in
 * Debian), and silently splits longer lines, so the rest of a long value
 * would become a line of its own. Handing inih whole lines only, and
 * refusing any that do not fit, also keeps inih's line numbers equal to ours.
 * Comments may be any length: inih gets an empty line in their place. */
static char *config_ini_read(char *str, int num, void *stream)
{
	struct load *ld = stream;
	if (ld->failed)
		return NULL;
	if (ld->pos >= ld->text.len) {
		if (ld->pending)
			ini_flush_pending(ld);
		config_named_end(ld);
		return NULL;
	}
	const char *p = ld->text.data + ld->pos;
	size_t left = ld->text.len - ld->pos;
	const char *nl = memchr(p, '\n', left);
	size_t n = nl ? (size_t)(nl - p) + 1 : left;
	size_t chars = n - (nl != NULL);
	if (chars && p[chars - 1] == '\r')
		chars--;
	ld->pos += n;
	ld->line++;
	/* ini.h: the buffer "must be 3 more than the longest line (due to
	 * '\r', '\n', and '\0')". */
	size_t limit = num > 3 ? (size_t)num - 3 : 0;
	bool fits = chars <= limit;
	if (fits)
		memcpy(str, p, n);
	else
		memcpy(str, p, limit);
	str[fits ? n : limit] = '\0';
	const char *start;
	enum line_kind kind = ini_kind(ld, str, &start);
	if (!fits && kind == LINE_BLANK) {
		strcpy(str, "\n");
		fits = true;
	}
	if (!fits) {
		config_load_fail(
			ld,
			"%s:%u: line is too long (%zu characters, at most %zu)",
			ld->path, ld->line, chars, limit);
		return NULL;
	}
	ini_check_line(ld, kind, start);
	return ld->failed ? NULL : str;
}

static int config_ini_entry(void *user, const char *section, const char *name,
			    const char *value)
{
	struct load *ld = user;
	char why[512];
	int ci = -1;
	if (ld->failed)
		return 0;
	if (!*section) {
		config_load_fail(ld, "%s:%u: %s: key outside of any [section]",
				 ld->path, ld->line, name);
		return 0;
	}
	if (ld->group)
		return config_named_entry(ld, name, value, ld->cont) == 0;
	if (ld->rule)
		return config_rules_entry(ld, name, value, ld->cont) == 0;
	if (ld->chan)
		return config_channels_entry(ld, name, value, ld->cont) == 0;
	const struct opt *o = opt_by_key(section, name, &ci);
	if (!o) {
		config_load_fail(ld, "%s:%u: [%s] %s: unknown key", ld->path,
				 ld->line, section, name);
		return 0;
	}
	/* inih hands an indented line to the previous key again (Python
	 * configparser style). A single value would silently be replaced; a
	 * list takes more entries and a regex goes on where it stopped. */
	if (ld->cont && o->type == OPT_REGEX) {
		char **field = (char **)((char *)ld->cfg + o->off);
		size_t have = *field ? strlen(*field) : 0;
		char *joined = realloc(*field, have + strlen(value) + 1);
		if (!joined) {
			config_load_fail(ld, "configuration: out of memory");
			return 0;
		}
		strcpy(joined + have, value);
		*field = joined;
		return 1;
	}
	if (ld->cont && o->type != OPT_LISTEN) {
		config_load_fail(
			ld,
			"%s:%u: [%s] %s: indented line continues the value, "
			"which only listen and regex keys may do",
			ld->path, ld->line, section, name);
		return 0;
	}
	if (config_opt_apply(ld, o, ci, false, value, why, sizeof(why)) < 0) {
		config_load_fail(ld, "%s:%u: [%s] %s: %s", ld->path, ld->line,
				 section, name, why);
		return 0;
	}
	if (o->type == OPT_REGEX) {
		ld->pending = o;
		ld->pending_line = ld->line;
	}
	ld->origin[OPT_IDX(o)] = (struct origin){true, ld->line, NULL, 0};
	return 1;
}

/* Read `path` whole, then feed it to inih line by line. A missing file is
 * fine only when nobody asked for it (the default path). */
int config_ini_load(struct load *ld, const char *path, bool must_exist)
{
	int rc = readfile_at(AT_FDCWD, path, &ld->text, CONFIG_MAX_FILE);
	if (rc == -ENOENT && !must_exist)
		return 0;
	if (rc == -EINVAL)
		config_load_fail(ld, "%s: contains a NUL byte: not a text file",
				 path);
	else if (rc == -EFBIG)
		config_load_fail(ld, "%s: larger than %d bytes", path,
				 CONFIG_MAX_FILE);
	else if (rc < 0)
		config_load_fail(ld, "%s: cannot read: %s", path,
				 strerror(-rc));
	if (rc < 0)
		return -EINVAL;
	if (config_set_string(&ld->cfg->file, path) < 0)
		return -ENOMEM;
	ld->path = path;
	rc = ini_parse_stream(config_ini_read, ld, config_ini_entry, ld);
	if (rc == -2)
		return -ENOMEM;
	/* Only reached if inih rejects a line ini_kind and ini_check_line let through. */
	if (rc > 0)
		config_load_fail(ld, "%s:%d: syntax error", path, rc);
	return ld->failed ? -EINVAL : 0;
}
