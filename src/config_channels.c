/* Configuration: notification channels, one [webhook NAME] or [email NAME]
 * section each.
 *
 *   [webhook team]
 *   url = https://hooks.example.com/alerts
 *   format = slack
 *   match = team="ml", env=~"prod.*"
 *   signature = standard
 *   secret_file = /etc/hostwatch/team.secret
 *
 *   [email oncall]
 *   url = smtp://mail.example.com:587
 *   from = hostwatch@example.com
 *   to = oncall@example.com, ops@example.com
 *
 * NAME names the channel's spool directory and its `channel` label, so it
 * is unique across both kinds and made of [A-Za-z0-9_.-]. A key's value is
 * checked once its indented continuation lines are in (list keys and
 * match may go on); the checks that need several keys (a signature needs
 * a secret, cert needs key...) and the defaults run at the section's end.
 * Secrets, passwords and URLs (which often carry a token) never appear in
 * a message: only what is wrong with them. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostwatch/config.h"
#include "hostwatch/log.h"
#include "hostwatch/promql.h"

#include "config_internal.h"

#define CHANNELS_MAX 64
#define CHANNEL_NAME_MAX 64

enum { WEBHOOK = 1, EMAIL = 2, BOTH = 3 };

static const struct chan_key_def {
	const char *name;
	unsigned kinds;
	bool cont; /* indented lines go on with the value */
} keys[] = {
	[CK_URL] = {"url", BOTH, true},
	[CK_FORMAT] = {"format", WEBHOOK, false},
	[CK_HEADER] = {"header", WEBHOOK, false},
	[CK_TIMEOUT] = {"timeout", BOTH, false},
	[CK_TLS_CA_FILE] = {"tls_ca_file", BOTH, false},
	[CK_TLS_CERT_FILE] = {"tls_cert_file", BOTH, false},
	[CK_TLS_KEY_FILE] = {"tls_key_file", BOTH, false},
	[CK_TLS_INSECURE] = {"tls_insecure_skip_verify", BOTH, false},
	[CK_SEVERITY] = {"severity", BOTH, true},
	[CK_MATCH] = {"match", BOTH, true},
	[CK_GROUP_BY] = {"group_by", BOTH, true},
	[CK_GROUP_WAIT] = {"group_wait", BOTH, false},
	[CK_GROUP_INTERVAL] = {"group_interval", BOTH, false},
	[CK_REPEAT_INTERVAL] = {"repeat_interval", BOTH, false},
	[CK_SEND_RESOLVED] = {"send_resolved", BOTH, false},
	[CK_MAX_ALERTS] = {"max_alerts", BOTH, false},
	[CK_SIGNATURE] = {"signature", WEBHOOK, false},
	[CK_SECRET] = {"secret", WEBHOOK, false},
	[CK_SECRET_FILE] = {"secret_file", WEBHOOK, false},
	[CK_FROM] = {"from", EMAIL, false},
	[CK_TO] = {"to", EMAIL, true},
	[CK_USERNAME] = {"username", EMAIL, false},
	[CK_PASSWORD] = {"password", EMAIL, false},
	[CK_PASSWORD_FILE] = {"password_file", EMAIL, false},
	[CK_STARTTLS] = {"starttls", EMAIL, false},
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) == CK_COUNT,
	       "a name for every channel key");

static const char *kind_name(const struct hw_channel *ch)
{
	return ch->type == HW_CHANNEL_WEBHOOK ? "webhook" : "email";
}

/* "FILE:LINE: [KIND NAME] KEY: what", the house format; -EINVAL. */
__attribute__((format(printf, 4, 5))) static int
chan_fail(struct load *ld, unsigned line, const char *key, const char *fmt,
	  ...)
{
	char what[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	config_load_fail(ld, "%s:%u: [%s %s] %s: %s", ld->path, line,
			 kind_name(ld->chan), ld->chan->name, key, what);
	return -EINVAL;
}

static int nomem(struct load *ld)
{
	config_load_fail(ld, "configuration: out of memory");
	return -EINVAL;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Secrets and passwords are wiped before their memory goes back. */
static void wipe_free(void *p, size_t len)
{
	if (p)
		explicit_bzero(p, len);
	free(p);
}

void config_channels_free(struct hw_config *cfg)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		struct hw_channel *ch = &cfg->channels[i];
		free(ch->name);
		strv_free(ch->urls, ch->nurls);
		strv_free(ch->headers, ch->nheaders);
		free(ch->tls_ca_file);
		free(ch->tls_cert_file);
		free(ch->tls_key_file);
		strv_free(ch->severities, ch->nseverities);
		promql_free(ch->match);
		strv_free(ch->group_by, ch->ngroup_by);
		wipe_free(ch->secret, ch->secret_len);
		free(ch->from);
		strv_free(ch->to, ch->nto);
		free(ch->username);
		if (ch->password)
			wipe_free(ch->password, strlen(ch->password));
	}
	free(cfg->channels);
	cfg->channels = NULL;
	cfg->nchannels = 0;
}

void config_channels_load_done(struct load *ld)
{
	if (ld->chan_value)
		wipe_free(ld->chan_value, strlen(ld->chan_value));
	wipe_free(ld->chan_secret, ld->chan_secret_len);
	ld->chan_value = ld->chan_secret = NULL;
	ld->chan_secret_len = 0;
}

/* ---- the header ---------------------------------------------------------- */

static const char *check_name(const char *s, size_t len)
{
	if (len == 0)
		return "a name is missing";
	if (len > CHANNEL_NAME_MAX)
		return "the name is longer than 64 characters";
	if (s[0] == '.')
		return "the name may not start with \".\" (it names a "
		       "directory)";
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") < len)
		return "the name may only contain letters, digits, \"_\", "
		       "\".\" and \"-\"";
	return NULL;
}

int config_channels_header(struct load *ld, const char *text, size_t len)
{
	static const char *const kinds[] = {"webhook", "email", NULL};
	const char *name;
	size_t nl;
	int k = config_named_split(text, len, kinds, &name, &nl);
	if (k < 0)
		return 0; /* [webhooks]: not ours, an unknown section */
	enum hw_channel_type type = k == 0 ? HW_CHANNEL_WEBHOOK
					   : HW_CHANNEL_EMAIL;
	const char *kind = kinds[k];
	while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
		nl--;
	const char *bad = check_name(name, nl);
	if (bad) {
		config_load_fail(ld, "%s:%u: [%.*s]: %s: write [%s NAME], NAME "
				 "of letters, digits, \"_\", \".\" and \"-\"",
				 ld->path, ld->line, (int)len, text, bad, kind);
		return 1;
	}
	struct hw_config *cfg = ld->cfg;
	for (size_t i = 0; i < cfg->nchannels; i++) {
		const struct hw_channel *o = &cfg->channels[i];
		if (strlen(o->name) == nl && memcmp(o->name, name, nl) == 0) {
			config_load_fail(ld, "%s:%u: [%s %.*s]: the name is "
					 "taken by [%s %s] at line %u",
					 ld->path, ld->line, kind, (int)nl,
					 name, kind_name(o), o->name, o->line);
			return 1;
		}
	}
	if (cfg->nchannels == CHANNELS_MAX) {
		config_load_fail(ld, "%s:%u: more than %d [webhook] and "
				 "[email] sections",
				 ld->path, ld->line, CHANNELS_MAX);
		return 1;
	}
	struct hw_channel *grown =
		realloc(cfg->channels, (cfg->nchannels + 1) * sizeof(*grown));
	if (!grown)
		return nomem(ld), 1;
	cfg->channels = grown;
	struct hw_channel *ch = &grown[cfg->nchannels];
	memset(ch, 0, sizeof(*ch));
	if (!(ch->name = strndup(name, nl)))
		return nomem(ld), 1;
	cfg->nchannels++;
	ch->type = type;
	ch->line = ld->line;
	/* Alertmanager's defaults (config/notifiers.go, dispatch/route.go) */
	ch->format = HW_FORMAT_ALERTMANAGER;
	ch->timeout = 10;
	ch->group_wait = 30;
	ch->group_interval = 300;
	ch->repeat_interval = 4 * 3600;
	ch->send_resolved = true;
	ch->starttls = HW_STARTTLS_DEFAULT;
	ld->chan = ch;
	memset(ld->chan_line, 0, sizeof(ld->chan_line));
	return 1;
}

/* ---- keys ---------------------------------------------------------------- */

static int apply(struct load *ld, enum chan_key k, const char *v,
		 unsigned line)
{
	char why[512];
	int rc = config_channel_value(ld, k, v, why, sizeof(why));
	if (rc == -ENOMEM)
		return nomem(ld);
	if (rc < 0)
		return chan_fail(ld, line, keys[k].name, "%s", why);
	return 0;
}

/* The pending key's value is complete: check and store it. */
static int flush(struct load *ld)
{
	char *v = ld->chan_value;
	if (!v)
		return 0;
	ld->chan_value = NULL;
	int rc = apply(ld, (enum chan_key)ld->chan_pending, v,
		       ld->chan_pending_line);
	wipe_free(v, strlen(v));
	return rc;
}

int config_channels_entry(struct load *ld, const char *key, const char *value,
			  bool cont)
{
	struct hw_channel *ch = ld->chan;
	unsigned kind = ch->type == HW_CHANNEL_WEBHOOK ? WEBHOOK : EMAIL;
	if (cont) {
		if (!ld->chan_value || strcmp(keys[ld->chan_pending].name, key) ||
		    !keys[ld->chan_pending].cont)
			return chan_fail(ld, ld->line, key,
					 "indented line continues the value, "
					 "which only url, to, severity, "
					 "group_by and match may do");
		size_t have = strlen(ld->chan_value);
		char *joined = malloc(have + strlen(value) + 2);
		if (!joined)
			return nomem(ld);
		memcpy(joined, ld->chan_value, have);
		joined[have] = ' ';
		strcpy(joined + have + 1, value);
		wipe_free(ld->chan_value, have);
		ld->chan_value = joined;
		return 0;
	}
	if (flush(ld) < 0)
		return -EINVAL;
	size_t k;
	for (k = 0; k < CK_COUNT; k++)
		if (strcmp(keys[k].name, key) == 0)
			break;
	if (k == CK_COUNT)
		return chan_fail(ld, ld->line, key, "unknown key");
	if (!(keys[k].kinds & kind))
		return chan_fail(ld, ld->line, key,
				 "only [%s] sections take this key",
				 kind == WEBHOOK ? "email" : "webhook");
	if (ld->chan_line[k] && k != CK_HEADER)
		return chan_fail(ld, ld->line, key, "given twice");
	static const enum chan_key exclusive[][2] = {
		{CK_SECRET, CK_SECRET_FILE},
		{CK_PASSWORD, CK_PASSWORD_FILE},
	};
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 2; j++)
			if (k == exclusive[i][j] &&
			    ld->chan_line[exclusive[i][!j]])
				return chan_fail(ld, ld->line, key,
						 "cannot be combined with %s "
						 "(line %u)",
						 keys[exclusive[i][!j]].name,
						 ld->chan_line[exclusive[i][!j]]);
	if (!*value && k != CK_GROUP_BY)
		return chan_fail(ld, ld->line, key, "empty value");
	ld->chan_line[k] = ld->line;
	if (!(ld->chan_value = strdup(value)))
		return nomem(ld);
	ld->chan_pending = (int)k;
	ld->chan_pending_line = ld->line;
	return 0;
}

/* ---- the section's end --------------------------------------------------- */

/* The line of whichever of two exclusive keys was given. */
static enum chan_key given(const struct load *ld, enum chan_key a,
			   enum chan_key b)
{
	return ld->chan_line[a] ? a : b;
}

/* An Alertmanager given as its base URL (http://am:9093, as in
 * Prometheus's alertmanager targets) gets the API path Prometheus posts
 * to appended; a URL with a path is taken as written. */
static int api_paths(struct hw_channel *ch)
{
	static const char path[] = "/api/v2/alerts";
	for (size_t i = 0; i < ch->nurls; i++) {
		const char *u = ch->urls[i];
		const char *host = strstr(u, "://");
		const char *slash = host ? strchr(host + 3, '/') : NULL;
		if (slash && strcmp(slash, "/") != 0)
			continue;
		size_t len = slash ? (size_t)(slash - u) : strlen(u);
		char *n = malloc(len + sizeof(path));
		if (!n)
			return -ENOMEM;
		memcpy(n, u, len);
		memcpy(n + len, path, sizeof(path));
		free(ch->urls[i]);
		ch->urls[i] = n;
	}
	return 0;
}

static int check_channel(struct load *ld)
{
	struct hw_channel *ch = ld->chan;
	const unsigned *at = ld->chan_line;
	bool webhook = ch->type == HW_CHANNEL_WEBHOOK;
	char why[512];
	int rc;

	if (!ch->nurls)
		return chan_fail(ld, ch->line, "url", "missing: every [%s] "
				 "needs one",
				 kind_name(ch));
	if (ch->nurls > 1 && (!webhook || ch->format !=
					      HW_FORMAT_ALERTMANAGER_API))
		return chan_fail(ld, at[CK_URL], "url",
				 "%zu URLs: only format = alertmanager-api "
				 "takes several (one per Alertmanager)",
				 ch->nurls);
	if (webhook && ch->format == HW_FORMAT_ALERTMANAGER_API &&
	    (rc = api_paths(ch)) < 0)
		return rc;
	if (!webhook && !ch->from)
		return chan_fail(ld, ch->line, "from",
				 "missing: the sender's address is needed");
	if (!webhook && !ch->nto)
		return chan_fail(ld, ch->line, "to",
				 "missing: at least one recipient is needed");
	if (ch->signature != HW_SIGNATURE_NONE && !ld->chan_secret)
		return chan_fail(ld, at[CK_SIGNATURE], "signature",
				 "needs a secret (secret or secret_file)");
	if (ld->chan_secret && ch->signature == HW_SIGNATURE_NONE) {
		enum chan_key k = given(ld, CK_SECRET, CK_SECRET_FILE);
		return chan_fail(ld, at[k], keys[k].name,
				 "a secret needs a signature (standard or "
				 "github)");
	}
	if (ld->chan_secret) {
		rc = config_channel_secret(ld, why, sizeof(why));
		if (rc == -ENOMEM)
			return nomem(ld);
		if (rc < 0) {
			enum chan_key k = given(ld, CK_SECRET, CK_SECRET_FILE);
			return chan_fail(ld, at[k], keys[k].name, "%s", why);
		}
	}
	if (!ch->tls_cert_file != !ch->tls_key_file) {
		enum chan_key k = given(ld, CK_TLS_CERT_FILE, CK_TLS_KEY_FILE);
		return chan_fail(ld, at[k], keys[k].name, "needs %s too",
				 k == CK_TLS_CERT_FILE ? "tls_key_file"
						       : "tls_cert_file");
	}
	if (ch->password && !ch->username) {
		enum chan_key k = given(ld, CK_PASSWORD, CK_PASSWORD_FILE);
		return chan_fail(ld, at[k], keys[k].name, "needs a username");
	}
	if (at[CK_STARTTLS] && strncasecmp(ch->urls[0], "smtps:", 6) == 0)
		return chan_fail(ld, at[CK_STARTTLS], "starttls",
				 "the URL is smtps://, TLS from the start; "
				 "starttls is for smtp:// only");
	if (!at[CK_GROUP_BY]) {
		/* hostwatch's default; Alertmanager's route has none */
		if (!(ch->group_by = calloc(1, sizeof(char *))) ||
		    !(ch->group_by[0] = strdup("alertname")))
			return nomem(ld);
		ch->ngroup_by = 1;
	}
	if (ch->tls_insecure_skip_verify)
		log_warn("%s:%u: [%s %s] tls_insecure_skip_verify is on: the "
			 "receiver's certificate is not checked",
			 ld->path, at[CK_TLS_INSECURE], kind_name(ch),
			 ch->name);
	return 0;
}

void config_channels_end(struct load *ld)
{
	if (!ld->chan)
		return;
	if (flush(ld) == 0 && !ld->failed)
		check_channel(ld);
	config_channels_load_done(ld);
	ld->chan = NULL;
}
