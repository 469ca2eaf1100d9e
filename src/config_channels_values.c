/* Configuration: the values of [webhook NAME] / [email NAME] keys, each
 * checked on its own (config_channels.c checks them together at the
 * section's end). Every check writes what is wrong into `why` without
 * quoting a secret, a password, a header's value or a URL. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/notify_body.h"
#include "hostwatch/promql.h"
#include "hostwatch/readfile.h"

#include "config_internal.h"

#define LIST_MAX 64	  /* urls, to, severity, group_by entries */
#define HEADERS_MAX 32
#define SECRET_FILE_MAX 4096
#define MAX_ALERTS_MAX 1000000

/* Standard Webhooks (spec/standard-webhooks.md, "Signature scheme"):
 * "whsec_" and the base64 of a key of 24 to 64 bytes. */
#define WHSEC "whsec_"
#define WHSEC_MIN 24
#define WHSEC_MAX 64

/* Entries separated by commas and/or blanks (an indented line continues
 * the list); no empty entry between two commas. */
static int split_list(const char *v, char ***out, size_t *nout, char *why,
		      size_t whysize)
{
	char **items = NULL;
	size_t n = 0;
	bool need = false; /* after a comma: an entry must come */
	int rc = 0;
	for (const char *p = v;;) {
		p += strspn(p, " \t");
		if (*p == ',') {
			if (!n || need) {
				rc = WHY("an empty entry between commas");
				goto fail;
			}
			need = true;
			p++;
			continue;
		}
		if (!*p) {
			if (need) {
				rc = WHY("the list ends with a comma");
				goto fail;
			}
			break;
		}
		size_t len = strcspn(p, ", \t");
		if (n == LIST_MAX) {
			rc = WHY("more than %d entries", LIST_MAX);
			goto fail;
		}
		char **grown = realloc(items, (n + 1) * sizeof(*items));
		if (!grown || !(grown[n] = strndup(p, len))) {
			items = grown ? grown : items;
			rc = -ENOMEM;
			goto fail;
		}
		items = grown;
		n++;
		need = false;
		p += len;
	}
	*out = items;
	*nout = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return rc;
}

static void list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int find_twice(char **v, size_t n, char *why, size_t whysize)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(v[i], v[j]) == 0)
				return WHY("\"%s\" is listed twice", v[i]);
	return 0;
}

/* addr-spec without comments or quoting (RFC 5321 Mailbox, dot-atoms):
 * local@domain. Non-ASCII is let through for SMTPUTF8. */
static bool address_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!at || at == s || !at[1] || strchr(s, '@') != at)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\\\"", c))
			return false;
		if (p > at && c < 0x80 && !isalnum(c) && c != '.' && c != '-')
			return false;
	}
	return at[1] != '.' && s[0] != '.' && at[-1] != '.';
}

/* RFC 9110 5.1 field-name: a token. */
static bool token_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "Name: value". Name is a token, and not one hostwatch sets itself (the
 * body's type and length, Host, the signature's). The value is trimmed. */
static int parse_header(struct hw_channel *ch, const char *v, char *why,
			size_t whysize)
{
	static const char *const reserved[] = {
		"Content-Type",	     "Content-Length",	  "Host",
		"Transfer-Encoding", "webhook-id",	  "webhook-timestamp",
		"webhook-signature", "X-Hub-Signature-256",
		"X-Hub-Signature",
	};
	const char *colon = strchr(v, ':');
	size_t nl = colon ? (size_t)(colon - v) : 0;
	if (!colon)
		return WHY("not \"Name: value\" (no colon)");
	if (!nl)
		return WHY("the header name is missing before \":\"");
	for (size_t i = 0; i < nl; i++)
		if (!token_char(v[i]))
			return WHY("\"%.*s\" is not a header name (letters, "
				   "digits and !#$%%&'*+-.^_`|~)",
				   (int)nl, v);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == nl &&
		    strncasecmp(reserved[i], v, nl) == 0)
			return WHY("%.*s is set by hostwatch and cannot be "
				   "configured",
				   (int)nl, v);
	const char *val = colon + 1 + strspn(colon + 1, " \t");
	for (const char *p = val; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return WHY("the value of %.*s contains a control "
				   "character",
				   (int)nl, v);
	size_t vl = strlen(val);
	while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
		vl--;
	if (ch->nheaders == HEADERS_MAX)
		return WHY("more than %d headers", HEADERS_MAX);
	char **grown = realloc(ch->headers, (ch->nheaders + 1) * sizeof(char *));
	if (!grown)
		return -ENOMEM;
	ch->headers = grown;
	size_t size = nl + vl + 3;
	if (!(grown[ch->nheaders] = malloc(size)))
		return -ENOMEM;
	snprintf(grown[ch->nheaders++], size, "%.*s: %.*s", (int)nl, v,
		 (int)vl, val);
	return 0;
}

/* The file exists, is a regular file and opens for reading now: a TLS
 * file missing at the first send would fail every send. */
static int check_readable(const char *path, char *why, size_t whysize)
{
	struct stat st;
	if (path[0] != '/')
		return WHY("\"%s\" is not an absolute path", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return WHY("\"%s\": cannot read: %s", path, strerror(errno));
	int rc = fstat(fd, &st);
	close(fd);
	if (rc < 0 || !S_ISREG(st.st_mode))
		return WHY("\"%s\" is not a regular file", path);
	return 0;
}

/* A secret or password file, read whole; trailing line ends removed (the
 * one `echo` leaves). *out is wiped and freed by the caller. */
static int read_secret(const char *path, char **out, size_t *len, char *why,
		       size_t whysize)
{
	struct hw_buf b = HW_BUF_INIT;
	if (path[0] != '/')
		return WHY("\"%s\" is not an absolute path", path);
	int rc = readfile_at(AT_FDCWD, path, &b, SECRET_FILE_MAX);
	if (rc == -EFBIG)
		rc = WHY("\"%s\" is larger than %d bytes", path,
			 SECRET_FILE_MAX);
	else if (rc == -EINVAL)
		rc = WHY("\"%s\" contains a NUL byte", path);
	else if (rc == -ENOMEM)
		;
	else if (rc < 0)
		rc = WHY("\"%s\": cannot read: %s", path, strerror(-rc));
	size_t n = b.len;
	while (rc == 0 && n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
		n--;
	if (rc == 0 && !n)
		rc = WHY("\"%s\" is empty", path);
	if (rc == 0 && !(*out = strndup(b.data, n)))
		rc = -ENOMEM;
	if (rc == 0)
		*len = n;
	if (b.data)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return rc;
}

static int set_secret(struct load *ld, char *s, size_t len)
{
	if (ld->chan_secret) {
		explicit_bzero(ld->chan_secret, ld->chan_secret_len);
		free(ld->chan_secret);
	}
	ld->chan_secret = s;
	ld->chan_secret_len = len;
	return 0;
}

/* match: PromQL matchers with or without their braces, parsed as a
 * selector without a metric name. PromQL wants one matcher that does not
 * match "" (parse.go: "vector selector must contain at least one
 * non-empty matcher"); a route of only negative matchers is fine in
 * Alertmanager, so such a list gets alertname=~".+", which every alert
 * satisfies. */
static int parse_match(struct hw_channel *ch, const char *v, char *why,
		       size_t whysize)
{
	static const char any[] = "alertname=~\".+\",";
	const char *p = v + strspn(v, " \t");
	bool braces = *p == '{';
	/* what goes between the braces, and where column 1 of the text
	 * parsed is in v (the brace we add sits before p) */
	const char *inner = braces ? p + 1 : p;
	size_t shift = (size_t)(p - v) - !braces;
	if (braces && inner[strspn(inner, " \t")] == '}')
		return WHY("no matchers between the braces");
	struct promql_node *n = NULL;
	struct promql_error perr;
	char *text = NULL;
	int rc = -ENOMEM, round;
	for (round = 0; round < 2; round++) {
		size_t size = strlen(inner) + sizeof(any) + 3;
		free(text);
		if (!(text = malloc(size)))
			goto out;
		/* braced: "{" any inner as written; bare: "{" any inner "}" */
		snprintf(text, size, "{%s%s%s", round ? any : "", inner,
			 braces ? "" : "}");
		rc = promql_parse(text, &n, &perr);
		if (rc != -EINVAL || round ||
		    !strstr(perr.msg, "at least one non-empty matcher"))
			break;
	}
	if (rc == -EINVAL) {
		size_t col = perr.column + shift;
		if (round && perr.column > sizeof(any))
			col -= sizeof(any) - 1;
		rc = WHY("column %zu: %s", col ? col : 1, perr.msg);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (n->kind != PROMQL_SELECTOR || n->u.sel.name ||
	    n->u.sel.range_ms) {
		promql_free(n);
		rc = WHY("not a list of label matchers (like team=\"ml\", "
			 "env=~\"prod.*\")");
		goto out;
	}
	ch->match = n;
out:
	free(text);
	return rc;
}

static int parse_group_by(struct hw_channel *ch, const char *v, char *why,
			  size_t whysize)
{
	int rc = split_list(v, &ch->group_by, &ch->ngroup_by, why, whysize);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < ch->ngroup_by; i++) {
		const char *l = ch->group_by[i];
		/* Alertmanager's route: `...` alone groups by every label */
		if (strcmp(l, "...") == 0 && ch->ngroup_by == 1) {
			ch->group_by_all = true;
			break;
		}
		if (strcmp(l, "...") == 0)
			return WHY("\"...\" (every label) cannot be combined "
				   "with label names");
		if (!config_label_name_ok(l, strlen(l)))
			return WHY("\"%s\" is not a valid label name", l);
	}
	if (ch->group_by_all) {
		list_free(ch->group_by, ch->ngroup_by);
		ch->group_by = NULL;
		ch->ngroup_by = 0;
		return 0;
	}
	return find_twice(ch->group_by, ch->ngroup_by, why, whysize);
}

static int parse_enum(const char *v, const char *const *names, size_t n,
		      int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return -EINVAL;
}

/* Durations and their bounds (Alertmanager refuses a zero group_interval
 * or repeat_interval: config/config.go, Route.UnmarshalYAML). */
static const struct {
	enum chan_key key;
	size_t off;
	double min, max;
	const char *range;
} durations[] = {
	{CK_TIMEOUT, offsetof(struct hw_channel, timeout), 0.1, 300,
	 "100ms..5m"},
	{CK_GROUP_WAIT, offsetof(struct hw_channel, group_wait), 0, 86400,
	 "0s..24h"},
	{CK_GROUP_INTERVAL, offsetof(struct hw_channel, group_interval), 0.1,
	 86400, "100ms..24h"},
	{CK_REPEAT_INTERVAL, offsetof(struct hw_channel, repeat_interval), 0.1,
	 30 * 86400, "100ms..720h"},
};

int config_channel_value(struct load *ld, enum chan_key k, const char *v,
			 char *why, size_t whysize)
{
	static const char *const http[] = {"http", "https", NULL};
	static const char *const smtp[] = {"smtp", "smtps", NULL};
	static const char *const formats[] = {
		[HW_FORMAT_ALERTMANAGER] = "alertmanager",
		[HW_FORMAT_ALERTMANAGER_API] = "alertmanager-api",
		[HW_FORMAT_SLACK] = "slack",
		[HW_FORMAT_DISCORD] = "discord",
		[HW_FORMAT_NTFY] = "ntfy",
		[HW_FORMAT_JSON] = "json",
	};
	static const char *const signatures[] = {
		[HW_SIGNATURE_NONE] = "none",
		[HW_SIGNATURE_STANDARD] = "standard",
		[HW_SIGNATURE_GITHUB] = "github",
	};
	static const char *const starttls[] = {"off", "try", "require"};
	static const enum hw_starttls starttls_v[] = {
		HW_STARTTLS_OFF, HW_STARTTLS_TRY, HW_STARTTLS_REQUIRE};
	struct hw_channel *ch = ld->chan;
	bool webhook = ch->type == HW_CHANNEL_WEBHOOK;
	char **path = NULL;
	char *s;
	size_t len;
	double d;
	int rc, e;

	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (durations[i].key != k)
			continue;
		if (config_parse_duration(v, &d) < 0)
			return WHY("\"%s\" is not a duration (like 10s, 1m30s, "
				   "500ms)",
				   v);
		if (d < durations[i].min || d > durations[i].max)
			return WHY("\"%s\" is out of range (%s)", v,
				   durations[i].range);
		*(double *)((char *)ch + durations[i].off) = d;
		return 0;
	}
	switch (k) {
	case CK_URL:
		if ((rc = split_list(v, &ch->urls, &ch->nurls, why, whysize)))
			return rc;
		for (size_t i = 0; i < ch->nurls; i++)
			if ((rc = config_check_url(ch->urls[i],
						   webhook ? http : smtp, why,
						   whysize)) < 0)
				return rc;
		return 0;
	case CK_FORMAT:
		if (parse_enum(v, formats, 6, &e) < 0)
			return WHY("\"%s\" is not a format (alertmanager, "
				   "alertmanager-api, slack, discord, ntfy, "
				   "json)",
				   v);
		ch->format = (enum hw_webhook_format)e;
		return 0;
	case CK_HEADER:
		return parse_header(ch, v, why, whysize);
	case CK_TLS_CA_FILE:
		path = &ch->tls_ca_file;
		break;
	case CK_TLS_CERT_FILE:
		path = &ch->tls_cert_file;
		break;
	case CK_TLS_KEY_FILE:
		path = &ch->tls_key_file;
		break;
	case CK_TLS_INSECURE:
		return config_parse_bool(v, &ch->tls_insecure_skip_verify, why,
					 whysize);
	case CK_SEND_RESOLVED:
		return config_parse_bool(v, &ch->send_resolved, why, whysize);
	case CK_SEVERITY:
		if ((rc = split_list(v, &ch->severities, &ch->nseverities, why,
				     whysize)))
			return rc;
		/* routing compares notify_severity(), lower-cased too */
		for (size_t i = 0; i < ch->nseverities; i++)
			for (char *c = ch->severities[i]; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		return find_twice(ch->severities, ch->nseverities, why,
				  whysize);
	case CK_MATCH:
		return parse_match(ch, v, why, whysize);
	case CK_GROUP_BY:
		return parse_group_by(ch, v, why, whysize);
	case CK_MAX_ALERTS:
		return config_parse_uint(v, 0, MAX_ALERTS_MAX, &ch->max_alerts,
					 why, whysize);
	case CK_SIGNATURE:
		if (parse_enum(v, signatures, 3, &e) < 0)
			return WHY("\"%s\" is not a signature (none, standard, "
				   "github)",
				   v);
		ch->signature = (enum hw_signature)e;
		return 0;
	case CK_SECRET:
		if (!(s = strdup(v)))
			return -ENOMEM;
		return set_secret(ld, s, strlen(s));
	case CK_SECRET_FILE:
		if ((rc = read_secret(v, &s, &len, why, whysize)) < 0)
			return rc;
		return set_secret(ld, s, len);
	case CK_FROM:
		if (!address_ok(v))
			return WHY("\"%s\" is not an email address (like "
				   "hostwatch@example.com)",
				   v);
		return (ch->from = strdup(v)) ? 0 : -ENOMEM;
	case CK_TO:
		if ((rc = split_list(v, &ch->to, &ch->nto, why, whysize)))
			return rc;
		for (size_t i = 0; i < ch->nto; i++)
			if (!address_ok(ch->to[i]))
				return WHY("\"%s\" is not an email address "
					   "(like oncall@example.com)",
					   ch->to[i]);
		return find_twice(ch->to, ch->nto, why, whysize);
	case CK_USERNAME:
		return (ch->username = strdup(v)) ? 0 : -ENOMEM;
	case CK_PASSWORD:
		return (ch->password = strdup(v)) ? 0 : -ENOMEM;
	case CK_PASSWORD_FILE:
		return read_secret(v, &ch->password, &len, why, whysize);
	case CK_STARTTLS:
		if (parse_enum(v, starttls, 3, &e) < 0)
			return WHY("\"%s\" is not one of off, try, require", v);
		ch->starttls = starttls_v[e];
		return 0;
	default:
		return WHY("not a channel key");
	}
	if ((rc = check_readable(v, why, whysize)) < 0)
		return rc;
	return (*path = strdup(v)) ? 0 : -ENOMEM;
}

int config_channel_secret(struct load *ld, char *why, size_t whysize)
{
	struct hw_channel *ch = ld->chan;
	const char *s = ld->chan_secret;
	size_t len = ld->chan_secret_len;
	if (ch->signature == HW_SIGNATURE_GITHUB) {
		/* GitHub's webhook secret: any string, used as the HMAC key
		 * byte for byte */
		if (!(ch->secret = malloc(len)))
			return -ENOMEM;
		memcpy(ch->secret, s, len);
		ch->secret_len = len;
		return 0;
	}
	if (strncmp(s, WHSEC, sizeof(WHSEC) - 1) != 0)
		return WHY("the secret does not start with \"" WHSEC "\" "
			   "(Standard Webhooks' prefix)");
	s += sizeof(WHSEC) - 1;
	/* room for whatever it decodes to, so too long is told apart */
	unsigned char *key = malloc(strlen(s) + 1);
	if (!key)
		return -ENOMEM;
	int n = base64_decode(s, key, strlen(s) + 1);
	int rc = 0;
	if (n < 0)
		rc = WHY("the secret is not valid base64 after \"" WHSEC "\"");
	else if (n < WHSEC_MIN || n > WHSEC_MAX)
		rc = WHY("the secret decodes to %d bytes; Standard Webhooks "
			 "secrets are %d to %d",
			 n, WHSEC_MIN, WHSEC_MAX);
	if (rc < 0) {
		explicit_bzero(key, strlen(s) + 1);
		free(key);
		return rc;
	}
	ch->secret = key;
	ch->secret_len = (size_t)n;
	return 0;
}
