/* Private to src/config*.c: the settings table's types, the per-load state
 * and the helpers the INI reader, the flag parser and config_load share.
 * Nothing outside the configuration code includes this; the public
 * interface is include/hostwatch/config.h. */
#ifndef HW_CONFIG_INTERNAL_H
#define HW_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/docker.h"

/* Unit tests point this at a fixture so they do not depend on the host. */
#ifndef CONFIG_DEFAULT_FILE
#define CONFIG_DEFAULT_FILE HW_DEFAULT_CONFIG_FILE
#endif
/* The default rules, installed next to hostwatch.conf (etc/). */
#ifndef CONFIG_DEFAULT_RULES_FILE
#define CONFIG_DEFAULT_RULES_FILE SYSCONFDIR "/hostwatch/default.rules.yml"
#endif

/* ---- the table (config.c) ------------------------------------------------ */

enum opt_type {
	OPT_LISTEN,   /* list of addresses; char *listen[] */
	OPT_URLPATH,  /* char *, the telemetry path */
	OPT_UINT,     /* unsigned, [min, max] */
	OPT_SECONDS,  /* unsigned seconds, given as a duration, [min, max] */
	OPT_DURATION, /* double seconds, given as a duration, [min, max] */
	OPT_BOOL,     /* bool */
	OPT_PATH,     /* char *, absolute */
	OPT_LOGLEVEL, /* enum hw_log_level */
	OPT_REGEX,    /* char *, Go syntax; empty means NULL (no filter) */
	OPT_LABELKEYS, /* char *, Docker label keys separated by commas,
			* stored as given without blanks; empty means NULL */
	OPT_FILES,    /* char *, file names or globs separated by commas;
		       * empty means NULL */
	OPT_DISABLE_DEFAULTS,
	OPT_COLLECTOR, /* one per hw_collectors[]: key and flag are its name */
	OPT_LABELS,    /* struct rule_kv * + count: name=value,...; [notify]
			* external_labels (config_notify.c) */
	OPT_URL,       /* char *, an http:// or https:// URL */
	OPT_BYTES,     /* unsigned long long, bytes with an optional KiB, MiB,
			* GiB, KB, MB, GB suffix, [min, max] */
	OPT_ACCESS,    /* [server] TLS version, client auth, basic auth
			* users, allowed networks (config_access.c) */
};

struct opt {
	const char *section;
	const char *key;
	const char *flag; /* without the leading "--" */
	enum opt_type type;
	size_t off; /* offsetof(struct hw_config, field) */
	double min, max;
	const char *help;
};

/* [docker] labels: at most this many keys of at most 128 bytes. */
#define CONFIG_LABEL_KEYS DOCKER_LABEL_KEYS_MAX
#define CONFIG_LABEL_KEYS_MAX (CONFIG_LABEL_KEYS * 129)

/* Entries in the table; config.c checks this against the table itself. */
#define CONFIG_N_OPTS 55

/* The table, CONFIG_N_OPTS entries: one per setting, the collectors' entry
 * last. */
extern const struct opt *const config_opts;

#define OPT_IDX(o) ((size_t)((o) - config_opts))

/* ---- per-load state ------------------------------------------------------ */

/* Keys of [webhook NAME] / [email NAME] (config_channels.c). */
enum chan_key {
	CK_URL,
	CK_FORMAT,
	CK_HEADER,
	CK_TIMEOUT,
	CK_TLS_CA_FILE,
	CK_TLS_CERT_FILE,
	CK_TLS_KEY_FILE,
	CK_TLS_INSECURE,
	CK_SEVERITY,
	CK_MATCH,
	CK_GROUP_BY,
	CK_GROUP_WAIT,
	CK_GROUP_INTERVAL,
	CK_REPEAT_INTERVAL,
	CK_SEND_RESOLVED,
	CK_MAX_ALERTS,
	CK_SIGNATURE,
	CK_SECRET,
	CK_SECRET_FILE,
	CK_FROM,
	CK_TO,
	CK_USERNAME,
	CK_PASSWORD,
	CK_PASSWORD_FILE,
	CK_STARTTLS,
	CK_COUNT
};

enum { UNSET = -1 };

/* Where a setting last came from, for messages about combinations. */
struct origin {
	bool set;
	unsigned line;    /* 0: from a flag */
	const char *flag; /* the flag as typed, up to '=' */
	int flaglen;
};

struct load {
	struct hw_config *cfg;
	FILE *err;
	bool failed;

	/* The file, read whole, and the reader's position in it. */
	const char *path;
	struct hw_buf text;
	size_t pos;
	unsigned line;
	bool prev_key; /* inih has a previous key, so indenting continues it */
	bool cont;     /* the current line is such a continuation */
	/* A regex from the file is checked once its last continuation line
	 * has been seen: a long pattern may be split anywhere. */
	const struct opt *pending;
	unsigned pending_line;

	/* The first address of each source replaces the list it inherits. */
	bool listen_from_file, listen_from_flags;
	/* Likewise basic_auth_user and allow: the first from flags replaces
	 * the file's (config_access.c). */
	bool users_from_flags, allow_from_flags;
	signed char coll_file[HW_MAX_COLLECTORS], coll_flag[HW_MAX_COLLECTORS];
	signed char dd_file, dd_flag;
	struct origin origin[CONFIG_N_OPTS];

	/* The [KIND NAME] section being read (config_named.c); NULL in a
	 * plain section. Its key whose regex may still get continuation
	 * lines is checked at the next key or section. */
	struct hw_procgroup *group;
	char **group_pending;
	const char *group_pending_key;
	unsigned group_pending_line;

	/* The [record NAME] or [alert NAME] section being read
	 * (config_rules.c), and the key that continuation lines extend. */
	struct rule_def *rule;
	char **rule_pending;
	const char *rule_pending_key; /* points into rule_pending_keybuf */
	char rule_pending_keybuf[128];
	unsigned rule_pending_line;

	/* The [webhook NAME] or [email NAME] section being read
	 * (config_channels.c): the line each key was given on (0: not
	 * given), the key whose value indented lines may still extend, and
	 * the secret as written until the section's signature is known. */
	struct hw_channel *chan;
	unsigned chan_line[CK_COUNT];
	int chan_pending; /* the key of chan_value, when that is not NULL */
	unsigned chan_pending_line;
	char *chan_value; /* the pending key's value, continuations joined */
	char *chan_secret;
	size_t chan_secret_len;
};

/* One flag from argv, kept by config_flags_scan for config_flags_apply. */
struct flag_item {
	const struct opt *o;
	int ci;
	const char *value;
	const char *name; /* as typed, without "--", `len` long */
	int len;
};

/* Flags that are not settings of the table. */
struct flag_meta {
	const char *config_file; /* NULL: not given */
};

/* Value checks write `why` and return -EINVAL. */
#define WHY(...) (snprintf(why, whysize, __VA_ARGS__), -EINVAL)

/* ---- config.c ------------------------------------------------------------ */

/* Print "fmt\n" to ld->err and mark the load failed; only the first error
 * is printed, as the rest often follow from it. */
__attribute__((format(printf, 2, 3))) void
config_load_fail(struct load *ld, const char *fmt, ...);

/* true/false, yes/no, on/off, 1/0, in any case. */
int config_parse_bool(const char *v, bool *out, char *why, size_t whysize);

/* 0 if `v` compiles as a (Go syntax) regular expression. */
int config_check_regex(const char *v, char *why, size_t whysize);

/* [rules] files: names or globs separated by commas, none empty. */
int config_check_files(const char *v, char *why, size_t whysize);

/* Replace *dst, which may be NULL, by a copy of `v`, or NULL; -ENOMEM. */
int config_set_string(char **dst, const char *v);

/* Go-style durations (10s, 1m30s, 500ms, 1h; a bare number is seconds)
 * into seconds; -EINVAL. */
int config_parse_duration(const char *v, double *out);

/* Digits only, in [min, max]; on failure `why` says why. */
int config_parse_uint(const char *v, double min, double max, unsigned *out,
		      char *why, size_t whysize);

/* Check `v` for option `o` (collector index `ci` for OPT_COLLECTOR) and
 * store it in ld->cfg; from_flag tells the flag parser from the INI file.
 * On failure `why` says what is wrong with the value. */
int config_opt_apply(struct load *ld, const struct opt *o, int ci,
		     bool from_flag, const char *v, char *why, size_t whysize);

/* ---- config_listen.c ----------------------------------------------------- */

/* Check the addresses in `v` (separated by commas and/or blanks) and add
 * them to ld->cfg->listen; the first addresses from the file, and again the
 * first from flags, replace the list inherited so far. */
int config_listen_apply(struct load *ld, bool from_flag, const char *v,
			char *why, size_t whysize);

/* ---- config_access.c ------------------------------------------------------ */

/* An OPT_ACCESS value: checked and stored. 0, or -EINVAL with `why`;
 * -ENOMEM. */
int config_access_apply(struct load *ld, const struct opt *o, bool from_flag,
			const char *v, char *why, size_t whysize);
/* After the file and flags: the checks across keys, and the TLS files read
 * and checked. 0 or -EINVAL (reported with FILE:LINE or the flag). */
int config_access_finish(struct load *ld);
/* An OPT_ACCESS option's default in `d`, for --help. */
void config_access_show(const struct opt *o, const struct hw_config *d,
			char *v, size_t room);
/* What the [server] access settings hold. */
void config_access_free(struct hw_config *cfg);

/* ---- config_ini.c -------------------------------------------------------- */

/* Read `path` and apply its settings; a missing file is no error unless
 * must_exist. 0, -EINVAL (reported through config_load_fail) or -ENOMEM. */
int config_ini_load(struct load *ld, const char *path, bool must_exist);

/* ---- config_named.c ------------------------------------------------------- */

/* Sections of the form [KIND NAME], one instance per NAME: [process NAME]
 * today. config_named_header() is called for every section header, with
 * the text between the brackets: 1 when it is such a section (it has been
 * checked and begun, or an error reported), 0 when it is a plain one. */
int config_named_header(struct load *ld, const char *text, size_t len);
/* A header "KIND NAME" of one of `kinds` (NULL-terminated): the index of
 * its kind, with *name / *nl the text after the kind and its blanks (the
 * caller decides about blanks at the end); -1 when the header is none of
 * them (another word, or a longer one: [webhooks], [alerts]). */
int config_named_split(const char *text, size_t len,
		       const char *const *kinds, const char **name,
		       size_t *nl);
/* A key inside the current named section; `cont` for a continuation line.
 * 0, or -EINVAL after reporting FILE:LINE. */
int config_named_entry(struct load *ld, const char *key, const char *value,
		       bool cont);
/* Checks that need the whole section (a selector given, regexes complete):
 * called at the next section header and at the end of the file. */
void config_named_end(struct load *ld);
void config_procgroups_free(struct hw_config *cfg);

/* ---- config_rules.c ------------------------------------------------------ */

/* [record NAME] and [alert NAME], called by config_named_header with the
 * header's text: 1 when it is one of them (begun, or an error reported),
 * 0 otherwise. */
int config_rules_header(struct load *ld, const char *text, size_t len);
int config_rules_entry(struct load *ld, const char *key, const char *value,
		       bool cont);
/* The section's checks (expr given, the expression and templates valid). */
void config_rules_end(struct load *ld);
/* After the file and flags: load the default rules and [rules] files
 * into cfg->rules around the file's own group. 0 or -EINVAL (reported). */
int config_rules_finish(struct load *ld);

/* ---- config_notify.c ------------------------------------------------------ */

/* [notify]'s defaults that need the host: external_labels =
 * instance=<hostname>. Left NULL when memory is short. */
void config_notify_defaults(struct hw_config *cfg);
/* OPT_LABELS, OPT_URL and OPT_BYTES values: checked and stored. */
int config_notify_apply(struct load *ld, const struct opt *o, const char *v,
			char *why, size_t whysize);
/* After the file and flags: external_url's default (it needs the first
 * listen port) and the checks across keys. 0, -EINVAL (reported) or
 * -ENOMEM. */
int config_notify_finish(struct load *ld);
/* The value of an OPT_LABELS, OPT_URL or OPT_BYTES option in `d`, for
 * --help; "" when unset. */
void config_notify_show(const struct opt *o, const struct hw_config *d,
			char *v, size_t room);
/* What [notify] and the channels hold. */
void config_notify_free(struct hw_config *cfg);

/* 0 if `v` is a URL of one of `schemes` ("http", ...; NULL-terminated)
 * with a host. `why` never quotes the URL: it may hold credentials. */
int config_check_url(const char *v, const char *const *schemes, char *why,
		     size_t whysize);
/* A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*. */
bool config_label_name_ok(const char *s, size_t len);

/* ---- config_channels.c ----------------------------------------------------- */

/* [webhook NAME] and [email NAME], called by config_named_header with the
 * header's text: 1 when it is one of them (begun, or an error reported),
 * 0 otherwise. */
int config_channels_header(struct load *ld, const char *text, size_t len);
/* A key of the current channel section; `cont` for an indented line.
 * 0, or -EINVAL after reporting FILE:LINE. */
int config_channels_entry(struct load *ld, const char *key, const char *value,
			  bool cont);
/* The section's checks across keys, and its defaults: at the next section
 * header and at the end of the file. */
void config_channels_end(struct load *ld);
/* What a load left over when it stopped early (a pending value). */
void config_channels_load_done(struct load *ld);
void config_channels_free(struct hw_config *cfg);

/* ---- config_channels_values.c ---------------------------------------------- */

/* Check the complete value `v` of key `k` and store it in ld->chan (a
 * secret in ld->chan_secret, until the signature is known). 0; -EINVAL
 * with `why` (never quoting a secret, a password or a URL); -ENOMEM. */
int config_channel_value(struct load *ld, enum chan_key k, const char *v,
			 char *why, size_t whysize);
/* Standard Webhooks' or GitHub's secret, as written (ld->chan_secret),
 * into ld->chan->secret for ld->chan->signature. 0, -EINVAL with `why`,
 * -ENOMEM. */
int config_channel_secret(struct load *ld, char *why, size_t whysize);

/* ---- config_flags.c ------------------------------------------------------ */

/* First pass over argv: set cli's -h/--help, --version and --check-config,
 * note --config.file in `meta`, and collect the settings into `items`
 * (room for argc entries) without checking their values. 0 or -EINVAL. */
int config_flags_scan(struct load *ld, struct hw_cli *cli, int argc,
		      char **argv, struct flag_item *items, size_t *nitems,
		      struct flag_meta *meta);

/* Second pass, after the file: check and store the collected flags, so they
 * override the file. 0 or -EINVAL. */
int config_flags_apply(struct load *ld, const struct flag_item *items,
		       size_t nitems);

#endif
