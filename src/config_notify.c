/* Configuration: [notify], what every notification channel shares.
 *
 *   [notify]
 *   external_labels = instance=web1, region=eu
 *   external_url = https://web1.example.com:9100
 *   resend_delay = 1m
 *   spool_max_size = 64MiB
 *
 * The keys are ordinary entries of config.c's table (flags --notify.KEY);
 * this file holds the three value types only they use (a label set, a URL,
 * a size in bytes), the defaults that need the host (its name, the first
 * listen port) and the checks across keys. The channels themselves are
 * config_channels.c's. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hostwatch/config.h"
#include "hostwatch/ruledef.h"

#include "config_internal.h"

/* Prometheus's external labels are few; more is a mistake. */
#define EXTERNAL_LABELS_MAX 32

static void labels_free(struct rule_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void config_notify_free(struct hw_config *cfg)
{
	labels_free(cfg->external_labels, cfg->nexternal_labels);
	cfg->external_labels = NULL;
	cfg->nexternal_labels = 0;
	free(cfg->external_url);
	cfg->external_url = NULL;
	config_channels_free(cfg);
}

static void host_name(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0 || !buf[0])
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
}

void config_notify_defaults(struct hw_config *cfg)
{
	char host[HOST_NAME_MAX + 1];
	cfg->resend_delay = 60;
	cfg->journal = true;
	cfg->journal_repeat_interval = 4 * 3600;
	cfg->retry_initial = 1;
	cfg->retry_max = 300;
	cfg->spool_max_bytes = 64ULL << 20;
	cfg->spool_max_age = 3 * 86400;
	/* Prometheus has no default external labels; without one, alerts
	 * from several hosts would be told apart by nothing. */
	host_name(host, sizeof(host));
	struct rule_kv *kv = calloc(1, sizeof(*kv));
	if (!kv)
		return;
	kv->key = strdup("instance");
	kv->value = strdup(host);
	if (!kv->key || !kv->value) {
		labels_free(kv, 1);
		return;
	}
	cfg->external_labels = kv;
	cfg->nexternal_labels = 1;
}

/* ASCII only: isalpha() would follow the locale. */
static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool config_label_name_ok(const char *s, size_t len)
{
	if (!len || !name_start(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!name_start(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "name=value, name=value": Prometheus's external_labels as one line.
 * Names are label names (model.LabelName.IsValid); values are non-empty
 * and go to the next comma, blanks around them removed. Empty: none. */
static int parse_labels(const char *v, struct rule_kv **out, size_t *nout,
			char *why, size_t whysize)
{
	struct rule_kv *kv = NULL;
	size_t n = 0;
	int rc = 0;
	const char *p = v + strspn(v, " \t");
	*out = NULL;
	*nout = 0;
	if (!*p)
		return 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *item = p, *end = p + len;
		while (item < end && blank(*item))
			item++;
		while (end > item && blank(end[-1]))
			end--;
		const char *eq = memchr(item, '=', (size_t)(end - item));
		if (item == end) {
			rc = WHY("an empty entry between commas");
			goto fail;
		}
		if (!eq) {
			rc = WHY("\"%.*s\" is not name=value", (int)(end - item),
				 item);
			goto fail;
		}
		const char *nend = eq, *val = eq + 1;
		while (nend > item && blank(nend[-1]))
			nend--;
		while (val < end && blank(*val))
			val++;
		int nl = (int)(nend - item);
		if (!config_label_name_ok(item, (size_t)(nend - item))) {
			rc = WHY("\"%.*s\" is not a valid label name", nl, item);
			goto fail;
		}
		if (val == end) {
			rc = WHY("label %.*s: the value is empty", nl, item);
			goto fail;
		}
		for (const char *c = val; c < end; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				rc = WHY("label %.*s: the value contains a "
					 "control character",
					 nl, item);
				goto fail;
			}
		for (size_t i = 0; i < n; i++)
			if (strlen(kv[i].key) == (size_t)nl &&
			    memcmp(kv[i].key, item, (size_t)nl) == 0) {
				rc = WHY("label %.*s is given twice", nl, item);
				goto fail;
			}
		if (n == EXTERNAL_LABELS_MAX) {
			rc = WHY("more than %d labels", EXTERNAL_LABELS_MAX);
			goto fail;
		}
		struct rule_kv *grown = realloc(kv, (n + 1) * sizeof(*kv));
		if (!grown)
			goto nomem;
		kv = grown;
		kv[n].key = strndup(item, (size_t)nl);
		kv[n].value = strndup(val, (size_t)(end - val));
		n++;
		if (!kv[n - 1].key || !kv[n - 1].value)
			goto nomem;
		p += len;
		if (!*p)
			break;
		p++;
	}
	*out = kv;
	*nout = n;
	return 0;
nomem:
	rc = WHY("out of memory");
fail:
	labels_free(kv, n);
	return rc;
}

int config_check_url(const char *v, const char *const *schemes, char *why,
		     size_t whysize)
{
	char list[64] = "";
	size_t i, used = 0;
	for (i = 0; schemes[i]; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s%s://", i ? " or " : "",
					 schemes[i]);
	const char *sep = strstr(v, "://");
	for (i = 0; sep && schemes[i]; i++)
		if (strlen(schemes[i]) == (size_t)(sep - v) &&
		    strncasecmp(v, schemes[i], (size_t)(sep - v)) == 0)
			break;
	if (!sep || !schemes[i])
		return WHY("not a URL starting with %s", list);
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return WHY("the URL contains a blank or a control "
				   "character");
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *host = auth;
	for (size_t j = 0; j < alen; j++)
		if (auth[j] == '@')
			host = auth + j + 1; /* after user:password@ */
	const char *hend = auth + alen, *port = NULL;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(hend - host));
		if (!close || close == host + 1)
			return WHY("the URL's IPv6 host is not in [brackets]");
		if (close + 1 < hend) {
			if (close[1] != ':')
				return WHY("the URL's host is followed by "
					   "something other than :port");
			port = close + 2;
		}
	} else {
		const char *colon = memchr(host, ':', (size_t)(hend - host));
		if (colon) {
			port = colon + 1;
			hend = colon;
		}
		if (hend == host)
			return WHY("the URL has no host");
	}
	if (port) {
		unsigned long n = 0;
		const char *c = port;
		for (; c < auth + alen && *c >= '0' && *c <= '9' && n < 65536;
		     c++)
			n = n * 10 + (unsigned long)(*c - '0');
		if (c == port || c != auth + alen || n < 1 || n > 65535)
			return WHY("the URL's port is not a number from 1 to "
				   "65535");
	}
	return 0;
}

/* A size: digits, then optionally blanks and a unit; IEC units are
 * powers of 1024, SI ones of 1000 (as `systemd.exec`'s K/M/G are not:
 * both are written out, so neither reader has to guess). */
static const struct {
	const char *unit;
	unsigned long long mult;
} byte_units[] = {
	{"", 1},	       {"B", 1},	  {"KiB", 1ULL << 10},
	{"MiB", 1ULL << 20},   {"GiB", 1ULL << 30}, {"KB", 1000},
	{"MB", 1000 * 1000},   {"GB", 1000 * 1000 * 1000},
};

static int parse_bytes(const char *v, unsigned long long *out)
{
	unsigned long long n = 0;
	const char *p = v;
	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (ULLONG_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	p += strspn(p, " \t");
	for (size_t i = 0; i < sizeof(byte_units) / sizeof(byte_units[0]);
	     i++) {
		if (strcmp(p, byte_units[i].unit) != 0)
			continue;
		if (n > ULLONG_MAX / byte_units[i].mult)
			return -ERANGE;
		*out = n * byte_units[i].mult;
		return 0;
	}
	return -EINVAL;
}

/* The largest IEC unit that divides n: 67108864 is "64MiB". */
static void format_bytes(unsigned long long n, char *buf, size_t size)
{
	static const char *const units[] = {"GiB", "MiB", "KiB"};
	for (int i = 0; i < 3; i++) {
		unsigned long long m = 1ULL << (10 * (3 - i));
		if (n && n % m == 0) {
			snprintf(buf, size, "%llu%s", n / m, units[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu", n);
}

int config_notify_apply(struct load *ld, const struct opt *o, const char *v,
			char *why, size_t whysize)
{
	static const char *const http[] = {"http", "https", NULL};
	struct hw_config *cfg = ld->cfg;
	void *field = (char *)cfg + o->off;
	struct rule_kv *kv;
	char what[256];
	unsigned long long n;
	size_t len;
	int rc;

	switch (o->type) {
	case OPT_LABELS:
		/* one option of this type: external_labels */
		if ((rc = parse_labels(v, &kv, &len, why, whysize)) < 0)
			return rc;
		labels_free(cfg->external_labels, cfg->nexternal_labels);
		cfg->external_labels = kv;
		cfg->nexternal_labels = len;
		return 0;
	case OPT_URL:
		if ((rc = config_check_url(v, http, what, sizeof(what))) < 0)
			return WHY("\"%s\": %s", v, what);
		/* Prometheus strips the trailing slash of --web.external-url
		 * (web.go computeExternalURL): links append "/graph?...". */
		len = strlen(v);
		while (len && v[len - 1] == '/')
			len--;
		char *s = strndup(v, len);
		if (!s)
			return WHY("out of memory");
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case OPT_BYTES: {
		char lo[32], hi[32];
		rc = parse_bytes(v, &n);
		if (rc == -EINVAL)
			return WHY("\"%s\" is not a size (like 64MiB, 500KB or "
				   "a number of bytes)",
				   v);
		format_bytes((unsigned long long)o->min, lo, sizeof(lo));
		format_bytes((unsigned long long)o->max, hi, sizeof(hi));
		if (rc < 0 || n < o->min || n > o->max)
			return WHY("\"%s\" is out of range (%s..%s)", v, lo, hi);
		*(unsigned long long *)field = n;
		return 0;
	}
	default:
		return WHY("not a [notify] value type");
	}
}

void config_notify_show(const struct opt *o, const struct hw_config *d,
			char *v, size_t room)
{
	const void *field = (const char *)d + o->off;
	size_t used = 0;
	v[0] = '\0';
	switch (o->type) {
	case OPT_LABELS:
		for (size_t i = 0; i < d->nexternal_labels && used < room; i++)
			used += (size_t)snprintf(
				v + used, room - used, "%s%s=%s",
				i ? "," : "\"", d->external_labels[i].key,
				d->external_labels[i].value);
		if (used && used < room)
			snprintf(v + used, room - used, "\"");
		break;
	case OPT_URL:
		if (*(char *const *)field)
			snprintf(v, room, "\"%s\"", *(char *const *)field);
		else
			for (const char *p = o->flag; *p && room > 1;
			     p++, room--)
				*v++ = (char)toupper((unsigned char)*p),
				*v = '\0';
		break;
	case OPT_BYTES:
		format_bytes(*(const unsigned long long *)field, v, room);
		break;
	default:
		break;
	}
}

static const struct opt *opt_at(size_t off)
{
	for (size_t i = 0; i < CONFIG_N_OPTS; i++)
		if (config_opts[i].off == off &&
		    config_opts[i].type != OPT_COLLECTOR)
			return &config_opts[i];
	return NULL;
}

int config_notify_finish(struct load *ld)
{
	struct hw_config *cfg = ld->cfg;
	if (!cfg->external_url) {
		/* Prometheus's default external URL is http://<hostname>:<port
		 * of --web.listen-address> (web.go computeExternalURL). */
		char host[HOST_NAME_MAX + 1];
		const char *port = "9100";
		host_name(host, sizeof(host));
		if (cfg->n_listen) {
			const char *c = strrchr(cfg->listen[0], ':');
			if (c && c[1])
				port = c + 1;
		}
		size_t size = strlen(host) + strlen(port) + 16;
		if (!(cfg->external_url = malloc(size)))
			return -ENOMEM;
		snprintf(cfg->external_url, size, "http://%s:%s", host, port);
	}
	if (cfg->retry_initial > cfg->retry_max) {
		const struct opt *a = opt_at(offsetof(struct hw_config,
						      retry_initial));
		const struct opt *b = opt_at(offsetof(struct hw_config,
						      retry_max));
		/* blame what came last: a flag, else the later line */
		const struct origin *oa = &ld->origin[OPT_IDX(a)];
		const struct origin *ob = &ld->origin[OPT_IDX(b)];
		bool blame_b = ob->set && (!oa->set || !ob->line ||
					   (oa->line && ob->line > oa->line));
		const struct origin *w = blame_b ? ob : oa;
		if (w->line)
			config_load_fail(ld,
					 "%s:%u: [notify] %s: "
					 "retry_initial_interval (%gs) is longer "
					 "than retry_max_interval (%gs)",
					 ld->path, w->line, (blame_b ? b : a)->key,
					 cfg->retry_initial, cfg->retry_max);
		else
			config_load_fail(ld,
					 "flag --%.*s: --%s (%gs) is longer than "
					 "--%s (%gs)",
					 w->flaglen, w->flag, a->flag,
					 cfg->retry_initial, b->flag,
					 cfg->retry_max);
		return -EINVAL;
	}
	return 0;
}
