/* Unit tests for the notifications' configuration: [notify] (config.c's
 * table, config_notify.c), [webhook NAME] and [email NAME]
 * (config_channels*.c): every key, the defaults, every error with its
 * FILE:LINE, secrets kept out of messages, and the real binary's
 * --check-config exit code.
 *
 * config.c is #included, as tests/unit/test_config.c does, so that the
 * default configuration file can be pointed away from the host's /etc. */
#include "../../src/config.c"

#include <check.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostwatch/promql.h"

#include "testutil.h"

static struct hw_config cfg;
static struct hw_cli cli;
static char *errtext; /* what config_load wrote to `err` */
static char dir[] = "/tmp/hw-conf-chan.XXXXXX";
static char conf[PATH_MAX];	/* dir/hw.conf */
static char conf_arg[PATH_MAX + 16]; /* --config.file=... */

/* A 24-byte Standard Webhooks key, and its bytes. */
#define WHSEC "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"

static int load_argv(const char *const *args)
{
	return test_config_load(&cfg, &cli, args, &errtext);
}

#define LOAD(...) load_argv((const char *const[]){__VA_ARGS__, NULL})

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Write `text` as the configuration file and load it with `flag` (or
 * none); the default rules are left out (not installed in a build). */
static int load_conf(const char *text, const char *flag)
{
	put_file(conf, text);
	config_free(&cfg);
	return flag ? LOAD(conf_arg, "--no-rules.defaults", flag)
		    : LOAD(conf_arg, "--no-rules.defaults");
}

static void path_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void setup(void)
{
	config_default_file = "/nonexistent/hostwatch.conf";
	errtext = NULL;
	strcpy(dir, "/tmp/hw-conf-chan.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	path_in_dir(conf, sizeof(conf), "hw.conf");
	snprintf(conf_arg, sizeof(conf_arg), "--config.file=%s", conf);
	/* files the TLS and secret keys point at */
	char p[PATH_MAX];
	static const char *const files[][2] = {
		{"ca.pem", "ca\n"},
		{"cert.pem", "cert\n"},
		{"key.pem", "key\n"},
		{"whsec", WHSEC "\n"},
		{"gh", "s3cr3t value\r\n"},
		{"pw", "hunter2\n"},
		{"empty", "\n"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path_in_dir(p, sizeof(p), files[i][0]);
		put_file(p, files[i][1]);
	}
}

static void teardown(void)
{
	static const char *const names[] = {"hw.conf", "ca.pem", "cert.pem",
					    "key.pem", "whsec",   "gh",
					    "pw",      "empty"};
	char p[PATH_MAX];
	config_free(&cfg);
	free(errtext);
	errtext = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_dir(p, sizeof(p), names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static const char *hostname(void)
{
	static char host[HOST_NAME_MAX + 1];
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	return host;
}

/* ---- [notify] ------------------------------------------------------------ */

START_TEST(test_notify_defaults)
{
	char url[HOST_NAME_MAX + 32];
	ck_assert_int_eq(LOAD("--no-rules.defaults"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_uint_eq(cfg.nexternal_labels, 1);
	ck_assert_str_eq(cfg.external_labels[0].key, "instance");
	ck_assert_str_eq(cfg.external_labels[0].value, hostname());
	snprintf(url, sizeof(url), "http://%s:9100", hostname());
	ck_assert_str_eq(cfg.external_url, url);
	ck_assert_double_eq(cfg.resend_delay, 60);
	ck_assert(cfg.journal);
	ck_assert_double_eq(cfg.journal_repeat_interval, 14400);
	ck_assert_double_eq(cfg.retry_initial, 1);
	ck_assert_double_eq(cfg.retry_max, 300);
	ck_assert_uint_eq(cfg.spool_max_bytes, 64ULL << 20);
	ck_assert_double_eq(cfg.spool_max_age, 3 * 86400);
	ck_assert_uint_eq(cfg.nchannels, 0);
	ck_assert_ptr_null(cfg.channels);
	/* the port of the first listen address */
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--no-rules.defaults",
			      "--web.listen-address=[::1]:9200,:9300"),
			 0);
	snprintf(url, sizeof(url), "http://%s:9200", hostname());
	ck_assert_str_eq(cfg.external_url, url);
	/* an empty [notify] is the defaults too */
	ck_assert_int_eq(load_conf("[notify]\n", NULL), 0);
	ck_assert_double_eq(cfg.resend_delay, 60);
	ck_assert_str_eq(cfg.external_labels[0].value, hostname());
}
END_TEST

START_TEST(test_notify_keys)
{
	int rc = load_conf("[notify]\n"
			   "external_labels = instance=web1, region = eu ,x_1=a=b\n"
			   "external_url = https://hw.example.com:8443/prom/\n"
			   "resend_delay = 2m\n"
			   "journal = off\n"
			   "journal_repeat_interval = 0\n"
			   "retry_initial_interval = 500ms\n"
			   "retry_max_interval = 1h\n"
			   "spool_max_size = 10 MiB\n"
			   "spool_max_age = 24h\n",
			   NULL);
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.nexternal_labels, 3);
	ck_assert_str_eq(cfg.external_labels[0].key, "instance");
	ck_assert_str_eq(cfg.external_labels[0].value, "web1");
	ck_assert_str_eq(cfg.external_labels[1].key, "region");
	ck_assert_str_eq(cfg.external_labels[1].value, "eu");
	ck_assert_str_eq(cfg.external_labels[2].key, "x_1");
	ck_assert_str_eq(cfg.external_labels[2].value, "a=b");
	/* Prometheus drops the trailing slash of an external URL */
	ck_assert_str_eq(cfg.external_url, "https://hw.example.com:8443/prom");
	ck_assert_double_eq(cfg.resend_delay, 120);
	ck_assert(!cfg.journal);
	ck_assert_double_eq(cfg.journal_repeat_interval, 0);
	ck_assert_double_eq(cfg.retry_initial, 0.5);
	ck_assert_double_eq(cfg.retry_max, 3600);
	ck_assert_uint_eq(cfg.spool_max_bytes, 10ULL << 20);
	ck_assert_double_eq(cfg.spool_max_age, 86400);

	/* flags win over the file */
	put_file(conf, "[notify]\nexternal_labels = a=b\njournal = off\n"
		       "spool_max_size = 1GB\n");
	config_free(&cfg);
	rc = LOAD(conf_arg, "--no-rules.defaults",
		  "--notify.external-labels=dc=fra", "--notify.journal",
		  "--notify.spool-max-size=512KiB",
		  "--notify.external-url=http://[::1]:9100",
		  "--notify.resend-delay=5s",
		  "--notify.journal-repeat-interval=1h",
		  "--notify.retry-initial-interval=2s",
		  "--notify.retry-max-interval=10s",
		  "--notify.spool-max-age=1h");
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.nexternal_labels, 1);
	ck_assert_str_eq(cfg.external_labels[0].key, "dc");
	ck_assert(cfg.journal);
	ck_assert_uint_eq(cfg.spool_max_bytes, 512 * 1024);
	ck_assert_str_eq(cfg.external_url, "http://[::1]:9100");
	ck_assert_double_eq(cfg.resend_delay, 5);
	ck_assert_double_eq(cfg.journal_repeat_interval, 3600);
	ck_assert_double_eq(cfg.retry_initial, 2);
	ck_assert_double_eq(cfg.retry_max, 10);
	ck_assert_double_eq(cfg.spool_max_age, 3600);
	/* --no-notify.journal; empty external labels: none at all */
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--no-rules.defaults", "--no-notify.journal",
			      "--notify.external-labels="),
			 0);
	ck_assert(!cfg.journal);
	ck_assert_uint_eq(cfg.nexternal_labels, 0);
	ck_assert_ptr_null(cfg.external_labels);
}
END_TEST

/* external_labels, sizes and URLs through their flags: value -> error */
static const struct {
	const char *flag;
	const char *msg; /* NULL: accepted */
} notify_flags[] = {
	{"--notify.external-labels=a=1,b_2=x y", NULL},
	{"--notify.external-labels=1a=b",
	 "flag --notify.external-labels: \"1a\" is not a valid label name"},
	{"--notify.external-labels=a-b=c",
	 "flag --notify.external-labels: \"a-b\" is not a valid label name"},
	{"--notify.external-labels==c",
	 "flag --notify.external-labels: \"\" is not a valid label name"},
	{"--notify.external-labels=a=",
	 "flag --notify.external-labels: label a: the value is empty"},
	{"--notify.external-labels=a=b,a=c",
	 "flag --notify.external-labels: label a is given twice"},
	{"--notify.external-labels=ab",
	 "flag --notify.external-labels: \"ab\" is not name=value"},
	{"--notify.external-labels=a=b,,c=d",
	 "flag --notify.external-labels: an empty entry between commas"},
	{"--notify.external-url=ftp://x",
	 "flag --notify.external-url: \"ftp://x\": not a URL starting with "
	 "http:// or https://"},
	{"--notify.external-url=http://",
	 "flag --notify.external-url: \"http://\": the URL has no host"},
	{"--notify.external-url=http://h:0/",
	 "flag --notify.external-url: \"http://h:0/\": the URL's port is not "
	 "a number from 1 to 65535"},
	{"--notify.external-url=http://h x",
	 "flag --notify.external-url: \"http://h x\": the URL contains a "
	 "blank or a control character"},
	{"--notify.spool-max-size=1024", NULL},
	{"--notify.spool-max-size=2GiB", NULL},
	{"--notify.spool-max-size=10XB",
	 "flag --notify.spool-max-size: \"10XB\" is not a size (like 64MiB, "
	 "500KB or a number of bytes)"},
	{"--notify.spool-max-size=100",
	 "flag --notify.spool-max-size: \"100\" is out of range "
	 "(1KiB..1024GiB)"},
	{"--notify.spool-max-size=99999999999999999999",
	 "flag --notify.spool-max-size: \"99999999999999999999\" is out of "
	 "range (1KiB..1024GiB)"},
	{"--notify.resend-delay=0s",
	 "flag --notify.resend-delay: \"0s\" is out of range (1s..3600s)"},
	{"--notify.retry-initial-interval=10m",
	 "flag --notify.retry-initial-interval: --notify.retry-initial-"
	 "interval (600s) is longer than --notify.retry-max-interval (300s)"},
	{"--notify.journal=maybe",
	 "flag --notify.journal: \"maybe\" is not a boolean (true/false, "
	 "yes/no, on/off, 1/0)"},
};

START_TEST(test_notify_flags)
{
	int rc = LOAD("--no-rules.defaults", notify_flags[_i].flag);
	if (!notify_flags[_i].msg) {
		ck_assert_msg(rc == 0, "%s: %s", notify_flags[_i].flag, errtext);
		return;
	}
	ck_assert_int_eq(rc, -EINVAL);
	char want[512];
	snprintf(want, sizeof(want), "%s\n", notify_flags[_i].msg);
	ck_assert_str_eq(errtext, want);
	ck_assert_ptr_null(cfg.external_labels); /* freed */
}
END_TEST

START_TEST(test_notify_file_errors)
{
	ck_assert_int_eq(load_conf("[notify]\nretry_max_interval = 1s\n"
				   "retry_initial_interval = 2s\n",
				   NULL),
			 -EINVAL);
	char want[PATH_MAX + 200];
	snprintf(want, sizeof(want),
		 "%s:3: [notify] retry_initial_interval: "
		 "retry_initial_interval (2s) is longer than "
		 "retry_max_interval (1s)\n",
		 conf);
	ck_assert_str_eq(errtext, want);
	ck_assert_int_eq(load_conf("[notify]\nspool_max_sise = 1\n", NULL),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: [notify] spool_max_sise: unknown key\n", conf);
	ck_assert_str_eq(errtext, want);
	ck_assert_int_eq(load_conf("[notify]\nexternal_labels = a=b\n"
				   "  c=d\n",
				   NULL),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:3: [notify] external_labels: indented line continues "
		 "the value, which only listen and regex keys may do\n",
		 conf);
	ck_assert_str_eq(errtext, want);
}
END_TEST

/* ---- channels ------------------------------------------------------------ */

START_TEST(test_webhook_every_key)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "[webhook team-ml.1]\n"
		 "url = https://user:pw@hooks.example.com:8443/x?y=1\n"
		 "format = slack\n"
		 "header = Authorization: Bearer abc==  \n"
		 "header: X-Team:ml\n"
		 "timeout = 2s\n"
		 "tls_ca_file = %s/ca.pem\n"
		 "tls_cert_file = %s/cert.pem\n"
		 "tls_key_file = %s/key.pem\n"
		 "tls_insecure_skip_verify = yes\n"
		 "severity = Critical, page\n"
		 "match = team=\"ml\", env=~\"prod.*\"\n"
		 "group_by = alertname, instance\n"
		 "group_wait = 0s\n"
		 "group_interval = 1m\n"
		 "repeat_interval = 1h\n"
		 "send_resolved = false\n"
		 "max_alerts = 5\n"
		 "signature = standard\n"
		 "secret = " WHSEC "\n"
		 "[webhook gh]\n"
		 "url = http://127.0.0.1:9/hook\n"
		 "signature = github\n"
		 "secret_file = %s/gh\n"
		 "group_by = ...\n"
		 "[webhook am]\n"
		 "format = alertmanager-api\n"
		 "url = http://am1:9093/am/api/v2/alerts, http://am2:9093/\n"
		 "  http://am3:9093\n"
		 "match = {instance!=\"x\"}\n"
		 "group_by =\n"
		 "[webhook std-file]\n"
		 "url = http://h/\n"
		 "secret_file = %s/whsec\n"
		 "signature = standard\n",
		 dir, dir, dir, dir, dir);
	int rc = load_conf(text, NULL);
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.nchannels, 4);
	const struct hw_channel *ch = &cfg.channels[0];
	char p[PATH_MAX];
	ck_assert_int_eq(ch->type, HW_CHANNEL_WEBHOOK);
	ck_assert_str_eq(ch->name, "team-ml.1");
	ck_assert_uint_eq(ch->line, 1);
	ck_assert_uint_eq(ch->nurls, 1);
	ck_assert_str_eq(ch->urls[0],
			 "https://user:pw@hooks.example.com:8443/x?y=1");
	ck_assert_int_eq(ch->format, HW_FORMAT_SLACK);
	ck_assert_uint_eq(ch->nheaders, 2);
	ck_assert_str_eq(ch->headers[0], "Authorization: Bearer abc==");
	ck_assert_str_eq(ch->headers[1], "X-Team: ml");
	ck_assert_double_eq(ch->timeout, 2);
	path_in_dir(p, sizeof(p), "ca.pem");
	ck_assert_str_eq(ch->tls_ca_file, p);
	path_in_dir(p, sizeof(p), "cert.pem");
	ck_assert_str_eq(ch->tls_cert_file, p);
	path_in_dir(p, sizeof(p), "key.pem");
	ck_assert_str_eq(ch->tls_key_file, p);
	ck_assert(ch->tls_insecure_skip_verify);
	ck_assert_uint_eq(ch->nseverities, 2);
	ck_assert_str_eq(ch->severities[0], "critical");
	ck_assert_str_eq(ch->severities[1], "page");
	ck_assert_ptr_nonnull(ch->match);
	ck_assert_int_eq(ch->match->kind, PROMQL_SELECTOR);
	ck_assert_uint_eq(ch->match->u.sel.nmatchers, 2);
	ck_assert_str_eq(ch->match->u.sel.matchers[0].name, "team");
	ck_assert_str_eq(ch->match->u.sel.matchers[0].value, "ml");
	ck_assert_int_eq(ch->match->u.sel.matchers[0].op, PROMQL_MATCH_EQ);
	ck_assert_str_eq(ch->match->u.sel.matchers[1].name, "env");
	ck_assert_int_eq(ch->match->u.sel.matchers[1].op, PROMQL_MATCH_RE);
	ck_assert_uint_eq(ch->ngroup_by, 2);
	ck_assert_str_eq(ch->group_by[1], "instance");
	ck_assert(!ch->group_by_all);
	ck_assert_double_eq(ch->group_wait, 0);
	ck_assert_double_eq(ch->group_interval, 60);
	ck_assert_double_eq(ch->repeat_interval, 3600);
	ck_assert(!ch->send_resolved);
	ck_assert_uint_eq(ch->max_alerts, 5);
	ck_assert_int_eq(ch->signature, HW_SIGNATURE_STANDARD);
	ck_assert_uint_eq(ch->secret_len, 24);
	for (unsigned i = 0; i < 24; i++)
		ck_assert_uint_eq(ch->secret[i], i);

	ch = &cfg.channels[1];
	ck_assert_str_eq(ch->name, "gh");
	ck_assert_uint_eq(ch->line, 21);
	ck_assert_int_eq(ch->signature, HW_SIGNATURE_GITHUB);
	/* the file's bytes, its line end removed */
	ck_assert_uint_eq(ch->secret_len, 12);
	ck_assert_int_eq(memcmp(ch->secret, "s3cr3t value", 12), 0);
	ck_assert(ch->group_by_all);
	ck_assert_uint_eq(ch->ngroup_by, 0);

	ch = &cfg.channels[2];
	ck_assert_int_eq(ch->format, HW_FORMAT_ALERTMANAGER_API);
	ck_assert_uint_eq(ch->nurls, 3);
	/* a base URL gets Prometheus's API path; a URL with a path stays */
	ck_assert_str_eq(ch->urls[0], "http://am1:9093/am/api/v2/alerts");
	ck_assert_str_eq(ch->urls[1], "http://am2:9093/api/v2/alerts");
	ck_assert_str_eq(ch->urls[2], "http://am3:9093/api/v2/alerts");
	/* only a negative matcher: alertname=~".+" is added for PromQL */
	ck_assert_uint_eq(ch->match->u.sel.nmatchers, 2);
	ck_assert_str_eq(ch->match->u.sel.matchers[0].name, "alertname");
	ck_assert_str_eq(ch->match->u.sel.matchers[1].name, "instance");
	ck_assert_int_eq(ch->match->u.sel.matchers[1].op, PROMQL_MATCH_NE);
	/* group_by given empty: one group for everything */
	ck_assert_uint_eq(ch->ngroup_by, 0);
	ck_assert(!ch->group_by_all);

	ch = &cfg.channels[3];
	ck_assert_uint_eq(ch->secret_len, 24);
	ck_assert_uint_eq(ch->secret[23], 23);
}
END_TEST

START_TEST(test_channel_defaults)
{
	int rc = load_conf("[webhook a]\nurl = http://h/\n"
			   "[email b]\nurl = smtps://mail\nfrom = hw@x.org\n"
			   "to = o@x.org\n",
			   NULL);
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.nchannels, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct hw_channel *ch = &cfg.channels[i];
		ck_assert_int_eq(ch->format, HW_FORMAT_ALERTMANAGER);
		ck_assert_uint_eq(ch->nheaders, 0);
		ck_assert_double_eq(ch->timeout, 10);
		ck_assert_ptr_null(ch->tls_ca_file);
		ck_assert_ptr_null(ch->tls_cert_file);
		ck_assert(!ch->tls_insecure_skip_verify);
		ck_assert_uint_eq(ch->nseverities, 0);
		ck_assert_ptr_null(ch->match);
		ck_assert_uint_eq(ch->ngroup_by, 1);
		ck_assert_str_eq(ch->group_by[0], "alertname");
		ck_assert(!ch->group_by_all);
		ck_assert_double_eq(ch->group_wait, 30);
		ck_assert_double_eq(ch->group_interval, 300);
		ck_assert_double_eq(ch->repeat_interval, 14400);
		ck_assert(ch->send_resolved);
		ck_assert_uint_eq(ch->max_alerts, 0);
		ck_assert_int_eq(ch->signature, HW_SIGNATURE_NONE);
		ck_assert_ptr_null(ch->secret);
		ck_assert_ptr_null(ch->username);
		ck_assert_ptr_null(ch->password);
		ck_assert_int_eq(ch->starttls, HW_STARTTLS_DEFAULT);
	}
	ck_assert_int_eq(cfg.channels[1].type, HW_CHANNEL_EMAIL);
	ck_assert_str_eq(cfg.channels[1].urls[0], "smtps://mail");
}
END_TEST

START_TEST(test_email_every_key)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "[email oncall]\n"
		 "url = smtp://mail.example.com:587\n"
		 "from = hostwatch@example.com\n"
		 "to = a@example.com,\n"
		 "  b@example.com c.d+x@sub.example.com\n"
		 "username = hw\n"
		 "password_file = %s/pw\n"
		 "starttls = require\n"
		 "timeout = 30s\n"
		 "severity = critical\n"
		 "[email lazy]\n"
		 "url = smtp://[::1]:25\n"
		 "from = a@b\n"
		 "to = c@d\n"
		 "username = u\n"
		 "password = p w\n"
		 "starttls = off\n",
		 dir);
	int rc = load_conf(text, NULL);
	ck_assert_msg(rc == 0, "%s", errtext);
	const struct hw_channel *ch = &cfg.channels[0];
	ck_assert_int_eq(ch->type, HW_CHANNEL_EMAIL);
	ck_assert_str_eq(ch->urls[0], "smtp://mail.example.com:587");
	ck_assert_str_eq(ch->from, "hostwatch@example.com");
	ck_assert_uint_eq(ch->nto, 3);
	ck_assert_str_eq(ch->to[0], "a@example.com");
	ck_assert_str_eq(ch->to[2], "c.d+x@sub.example.com");
	ck_assert_str_eq(ch->username, "hw");
	ck_assert_str_eq(ch->password, "hunter2");
	ck_assert_int_eq(ch->starttls, HW_STARTTLS_REQUIRE);
	ck_assert_double_eq(ch->timeout, 30);
	ck_assert_str_eq(ch->severities[0], "critical");
	ch = &cfg.channels[1];
	ck_assert_str_eq(ch->password, "p w");
	ck_assert_int_eq(ch->starttls, HW_STARTTLS_OFF);
	/* try */
	ck_assert_int_eq(load_conf("[email x]\nurl = smtp://m\nfrom = a@b\n"
				   "to = c@d\nstarttls = try\n",
				   NULL),
			 0);
	ck_assert_int_eq(cfg.channels[0].starttls, HW_STARTTLS_TRY);
}
END_TEST

/* Reload: a second load into another struct, and loads that fail half way
 * through a channel, leak nothing (valgrind). */
START_TEST(test_reload_and_failures)
{
	static const char good[] =
		"[webhook a]\nurl = http://h/\nmatch = a=\"b\"\n"
		"signature = github\nsecret = x\nheader = X-A: b\n"
		"[email b]\nurl = smtp://m\nfrom = a@b\nto = c@d\n"
		"password = p\nusername = u\n";
	ck_assert_int_eq(load_conf(good, NULL), 0);
	struct hw_config second;
	struct hw_cli cli2;
	char *argv[] = {"hostwatch", conf_arg, "--no-rules.defaults", NULL};
	ck_assert_int_eq(config_load(&second, &cli2, 3, argv, stderr), 0);
	ck_assert_uint_eq(second.nchannels, 2);
	config_free(&second);
	ck_assert_uint_eq(second.nchannels, 0);
	/* errors after everything was allocated: at the end, mid-value */
	ck_assert_int_eq(load_conf("[webhook a]\nurl = http://h/\nmatch = a=\"b\"\n"
				   "secret = x\n",
				   NULL),
			 -EINVAL);
	ck_assert_int_eq(load_conf("[webhook a]\nurl = http://h/\n"
				   "signature = github\nsecret = x\nbad = 1\n",
				   NULL),
			 -EINVAL);
	ck_assert_int_eq(load_conf("[webhook a]\nurl = http://h/\n"
				   "signature = github\nsecret = x\n"
				   "[serverr]\n",
				   NULL),
			 -EINVAL);
	ck_assert_int_eq(load_conf("[webhook a]\nurl = http://h/,\n", NULL),
			 -EINVAL);
	/* a bad flag after a good file */
	ck_assert_int_eq(load_conf(good, "--notify.spool-max-size=1"), -EINVAL);
	ck_assert_uint_eq(cfg.nchannels, 0);
}
END_TEST

/* ---- every channel error, at its line ------------------------------------ */

static const struct {
	const char *text; /* "%s" in it: the temporary directory */
	const char *msg;  /* "%s": the file's path */
} bad[] = {
	{"[webhook a]\nformat = json\n",
	 "%s:1: [webhook a] url: missing: every [webhook] needs one"},
	{"[webhook a]\nurl = http://h/\nformat = xml\n",
	 "%s:3: [webhook a] format: \"xml\" is not a format (alertmanager, "
	 "alertmanager-api, slack, discord, ntfy, json)"},
	{"[webhook a]\nurl = ftp://h/\n",
	 "%s:2: [webhook a] url: not a URL starting with http:// or https://"},
	{"[webhook a]\nurl = http://:80/\n",
	 "%s:2: [webhook a] url: the URL has no host"},
	{"[webhook a]\nurl = http://a/, http://b/\n",
	 "%s:2: [webhook a] url: 2 URLs: only format = alertmanager-api takes "
	 "several (one per Alertmanager)"},
	{"[webhook a]\nurl = http://a/ ,, http://b/\nformat = alertmanager-api\n",
	 "%s:2: [webhook a] url: an empty entry between commas"},
	{"[webhook a]\nurl = http://h/\nsignature = standard\n"
	 "secret = MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
	 "%s:4: [webhook a] secret: the secret does not start with \"whsec_\" "
	 "(Standard Webhooks' prefix)"},
	{"[webhook a]\nurl = http://h/\nsecret = whsec_not*base64!!\n"
	 "signature = standard\n",
	 "%s:3: [webhook a] secret: the secret is not valid base64 after "
	 "\"whsec_\""},
	{"[webhook a]\nurl = http://h/\nsignature = standard\n"
	 "secret = whsec_AAECAwQFBgcICQoLDA0ODw==\n",
	 "%s:4: [webhook a] secret: the secret decodes to 16 bytes; Standard "
	 "Webhooks secrets are 24 to 64"},
	{"[webhook a]\nurl = http://h/\nsignature = standard\nsecret = whsec_"
	 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEy"
	 "MzQ1Njc4OTo7PD0+P0A=\n",
	 "%s:4: [webhook a] secret: the secret decodes to 65 bytes; Standard "
	 "Webhooks secrets are 24 to 64"},
	{"[webhook a]\nurl = http://h/\nsecret = " WHSEC "\n",
	 "%s:3: [webhook a] secret: a secret needs a signature (standard or "
	 "github)"},
	{"[webhook a]\nurl = http://h/\nsecret_file = %s/gh\n",
	 "%s:3: [webhook a] secret_file: a secret needs a signature (standard "
	 "or github)"},
	{"[webhook a]\nurl = http://h/\nsignature = github\n",
	 "%s:3: [webhook a] signature: needs a secret (secret or secret_file)"},
	{"[webhook a]\nurl = http://h/\nsignature = hmac\n",
	 "%s:3: [webhook a] signature: \"hmac\" is not a signature (none, "
	 "standard, github)"},
	{"[webhook a]\nurl = http://h/\nsignature = github\nsecret = x\n"
	 "secret_file = %s/gh\n",
	 "%s:5: [webhook a] secret_file: cannot be combined with secret (line "
	 "4)"},
	{"[webhook a]\nurl = http://h/\nsignature = github\n"
	 "secret_file = %s/empty\n",
	 "%s:4: [webhook a] secret_file: \"%s/empty\" is empty"},
	{"[webhook a]\nurl = http://h/\nsignature = github\n"
	 "secret_file = %s/nope\n",
	 "%s:4: [webhook a] secret_file: \"%s/nope\": cannot read: No such "
	 "file or directory"},
	{"[webhook a]\nurl = http://h/\nheader = X-Token abc\n",
	 "%s:3: [webhook a] header: not \"Name: value\" (no colon)"},
	{"[webhook a]\nurl = http://h/\nheader = X Token: abc\n",
	 "%s:3: [webhook a] header: \"X Token\" is not a header name "
	 "(letters, digits and !#$%%&'*+-.^_`|~)"},
	{"[webhook a]\nurl = http://h/\nheader = content-type: text/plain\n",
	 "%s:3: [webhook a] header: content-type is set by hostwatch and "
	 "cannot be configured"},
	{"[webhook a]\nurl = http://h/\nheader = Webhook-Signature: v1,x\n",
	 "%s:3: [webhook a] header: Webhook-Signature is set by hostwatch and "
	 "cannot be configured"},
	{"[webhook a]\nurl = http://h/\nheader = : v\n",
	 "%s:3: [webhook a] header: the header name is missing before \":\""},
	{"[webhook a]\nurl = http://h/\nmatch = team=ml\n",
	 "%s:3: [webhook a] match: column 6: unexpected identifier \"ml\" in "
	 "label matching, expected string"},
	{"[webhook a]\nurl = http://h/\nmatch = {a=~\"(\"}\n",
	 "%s:3: [webhook a] match: column 5: error parsing regexp: Unmatched ( "
	 "or \\("},
	{"[webhook a]\nurl = http://h/\nmatch = {a=\"b\"}[5m]\n",
	 "%s:3: [webhook a] match: not a list of label matchers (like "
	 "team=\"ml\", env=~\"prod.*\")"},
	{"[webhook a]\nurl = http://h/\nmatch = { }\n",
	 "%s:3: [webhook a] match: no matchers between the braces"},
	{"[webhook a]\nurl = http://h/\ncolour = red\n",
	 "%s:3: [webhook a] colour: unknown key"},
	{"[webhook a]\nurl = http://h/\nfrom = a@b\n",
	 "%s:3: [webhook a] from: only [email] sections take this key"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\nformat = json\n",
	 "%s:5: [email a] format: only [webhook] sections take this key"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\nsecret = x\n",
	 "%s:5: [email a] secret: only [webhook] sections take this key"},
	{"[webhook a]\nurl = http://h/\ntimeout = 1s\ntimeout = 2s\n",
	 "%s:4: [webhook a] timeout: given twice"},
	{"[webhook a]\nurl = http://h/\ntimeout = 10m\n",
	 "%s:3: [webhook a] timeout: \"10m\" is out of range (100ms..5m)"},
	{"[webhook a]\nurl = http://h/\ngroup_interval = 0s\n",
	 "%s:3: [webhook a] group_interval: \"0s\" is out of range "
	 "(100ms..24h)"},
	{"[webhook a]\nurl = http://h/\ngroup_wait = soon\n",
	 "%s:3: [webhook a] group_wait: \"soon\" is not a duration (like 10s, "
	 "1m30s, 500ms)"},
	{"[webhook a]\nurl = http://h/\nmax_alerts = -1\n",
	 "%s:3: [webhook a] max_alerts: \"-1\" must not be negative"},
	{"[webhook a]\nurl = http://h/\nsend_resolved = sometimes\n",
	 "%s:3: [webhook a] send_resolved: \"sometimes\" is not a boolean "
	 "(true/false, yes/no, on/off, 1/0)"},
	{"[webhook a]\nurl = http://h/\ngroup_by = alertname, ...\n",
	 "%s:3: [webhook a] group_by: \"...\" (every label) cannot be "
	 "combined with label names"},
	{"[webhook a]\nurl = http://h/\ngroup_by = job, job\n",
	 "%s:3: [webhook a] group_by: \"job\" is listed twice"},
	{"[webhook a]\nurl = http://h/\ngroup_by = a.b\n",
	 "%s:3: [webhook a] group_by: \"a.b\" is not a valid label name"},
	{"[webhook a]\nurl = http://h/\nseverity = critical,\n",
	 "%s:3: [webhook a] severity: the list ends with a comma"},
	{"[webhook a]\nurl = http://h/\nseverity = Page, page\n",
	 "%s:3: [webhook a] severity: \"page\" is listed twice"},
	{"[webhook a]\nurl = http://h/\ntimeout = 1s\n  2s\n",
	 "%s:4: [webhook a] timeout: indented line continues the value, which "
	 "only url, to, severity, group_by and match may do"},
	{"[webhook a]\nurl = http://h/\nformat =\n",
	 "%s:3: [webhook a] format: empty value"},
	{"[webhook a]\nurl = http://h/\ntls_ca_file = %s/nonexistent.pem\n",
	 "%s:3: [webhook a] tls_ca_file: \"%s/nonexistent.pem\": cannot read: "
	 "No such file or directory"},
	{"[webhook a]\nurl = http://h/\ntls_ca_file = ca.pem\n",
	 "%s:3: [webhook a] tls_ca_file: \"ca.pem\" is not an absolute path"},
	{"[webhook a]\nurl = http://h/\ntls_ca_file = %s\n",
	 "%s:3: [webhook a] tls_ca_file: \"%s\" is not a regular file"},
	{"[webhook a]\nurl = http://h/\ntls_cert_file = %s/cert.pem\n",
	 "%s:3: [webhook a] tls_cert_file: needs tls_key_file too"},
	{"[webhook a]\nurl = http://h/\ntls_key_file = %s/key.pem\n",
	 "%s:3: [webhook a] tls_key_file: needs tls_cert_file too"},
	{"[webhook a]\nurl = http://h/\n[email a]\n",
	 "%s:3: [email a]: the name is taken by [webhook a] at line 1"},
	{"[webhook a/b]\nurl = http://h/\n",
	 "%s:1: [webhook a/b]: the name may only contain letters, digits, "
	 "\"_\", \".\" and \"-\": write [webhook NAME], NAME of letters, "
	 "digits, \"_\", \".\" and \"-\""},
	{"[webhook ..]\nurl = http://h/\n",
	 "%s:1: [webhook ..]: the name may not start with \".\" (it names a "
	 "directory): write [webhook NAME], NAME of letters, digits, \"_\", "
	 "\".\" and \"-\""},
	{"[email]\n",
	 "%s:1: [email]: a name is missing: write [email NAME], NAME of "
	 "letters, digits, \"_\", \".\" and \"-\""},
	{"[webhook "
	 "a123456789a123456789a123456789a123456789a123456789a123456789a1234]\n",
	 "%s:1: [webhook "
	 "a123456789a123456789a123456789a123456789a123456789a123456789a1234]: "
	 "the name is longer than 64 characters: write [webhook NAME], NAME "
	 "of letters, digits, \"_\", \".\" and \"-\""},
	{"[webhooks]\n", "%s:1: unknown section [webhooks]"},
	{"[email a]\nurl = smtp://m\nto = c@d\n",
	 "%s:1: [email a] from: missing: the sender's address is needed"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\n",
	 "%s:1: [email a] to: missing: at least one recipient is needed"},
	{"[email a]\nfrom = a@b\nto = c@d\n",
	 "%s:1: [email a] url: missing: every [email] needs one"},
	{"[email a]\nurl = http://m\nfrom = a@b\nto = c@d\n",
	 "%s:2: [email a] url: not a URL starting with smtp:// or smtps://"},
	{"[email a]\nurl = smtp://m, smtp://n\nfrom = a@b\nto = c@d\n",
	 "%s:2: [email a] url: 2 URLs: only format = alertmanager-api takes "
	 "several (one per Alertmanager)"},
	{"[email a]\nurl = smtp://m\nfrom = Hostwatch <a@b>\nto = c@d\n",
	 "%s:3: [email a] from: \"Hostwatch <a@b>\" is not an email address "
	 "(like hostwatch@example.com)"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d, nobody\n",
	 "%s:4: [email a] to: \"nobody\" is not an email address (like "
	 "oncall@example.com)"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\npassword = p\n",
	 "%s:5: [email a] password: needs a username"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\n"
	 "password_file = %s/pw\n",
	 "%s:5: [email a] password_file: needs a username"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\nusername = u\n"
	 "password = p\npassword_file = %s/pw\n",
	 "%s:7: [email a] password_file: cannot be combined with password "
	 "(line 6)"},
	{"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\nstarttls = maybe\n",
	 "%s:5: [email a] starttls: \"maybe\" is not one of off, try, require"},
	{"[email a]\nurl = smtps://m\nfrom = a@b\nto = c@d\nstarttls = try\n",
	 "%s:5: [email a] starttls: the URL is smtps://, TLS from the start; "
	 "starttls is for smtp:// only"},
};

START_TEST(test_bad)
{
	char text[2048], want[2048];
	/* the texts use the directory once, the messages the file first */
	snprintf(text, sizeof(text), bad[_i].text, dir);
	snprintf(want, sizeof(want), bad[_i].msg, conf, dir);
	ck_assert_int_eq(load_conf(text, NULL), -EINVAL);
	size_t wl = strlen(want);
	ck_assert_msg(strncmp(errtext, want, wl) == 0 &&
			      strcmp(errtext + wl, "\n") == 0,
		      "case %d:\n got: %s\nwant: %s", _i, errtext, want);
	ck_assert_uint_eq(cfg.nchannels, 0);
}
END_TEST

/* No message ever shows a secret, a password, a header's value or a URL
 * (tokens live in URLs: Slack's, ntfy's). */
START_TEST(test_secrets_not_printed)
{
	static const char *const texts[] = {
		"[webhook a]\nurl = http://h/\nsignature = standard\n"
		"secret = whsec_TOPSECRET*\n",
		"[webhook a]\nurl = http://h/\nsignature = standard\n"
		"secret = TOPSECRET\n",
		"[webhook a]\nurl = http://h/\nsecret = TOPSECRET\n",
		"[webhook a]\nurl = http://h/\nheader = X-A: TOPSECRET\x01\n",
		"[webhook a]\nurl = ftp://TOPSECRET@h/\n",
		"[webhook a]\nurl = https://h:TOPSECRET/\n",
		"[webhook a]\nurl = https://h/TOPSECRET, http://x/\n",
		"[email a]\nurl = smtp://m\nfrom = a@b\nto = c@d\n"
		"password = TOPSECRET\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(load_conf(texts[i], NULL), -EINVAL);
		ck_assert_msg(strstr(errtext, "TOPSECRET") == NULL, "%s",
			      errtext);
		ck_assert_msg(strstr(errtext, "[webhook a]") ||
				      strstr(errtext, "[email a]"),
			      "%s", errtext);
	}
}
END_TEST

/* The real binary: --check-config on a bad channel exits 2 with the
 * message, on a good one 0. */
START_TEST(test_check_config_binary)
{
	char cmd[PATH_MAX * 2], out[1024] = "", want[PATH_MAX + 200];
	put_file(conf, "[webhook a]\nurl = http://h/\nsecret = " WHSEC "\n");
	snprintf(cmd, sizeof(cmd),
		 "%s --check-config --no-rules.defaults %s 2>&1", HOSTWATCH_BIN,
		 conf_arg);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), HW_EXIT_CONFIG);
	snprintf(want, sizeof(want),
		 "%s:3: [webhook a] secret: a secret needs a signature "
		 "(standard or github)\n",
		 conf);
	ck_assert_str_eq(out, want);

	put_file(conf, "[webhook a]\nurl = http://h/\nsecret = " WHSEC "\n"
		       "signature = standard\n");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", out);
}
END_TEST

static Suite *channels_suite(void)
{
	Suite *s = suite_create("config_channels");
	TCase *tc = tcase_create("config_channels");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_notify_defaults);
	tcase_add_test(tc, test_notify_keys);
	tcase_add_loop_test(tc, test_notify_flags, 0,
			    (int)(sizeof(notify_flags) / sizeof(notify_flags[0])));
	tcase_add_test(tc, test_notify_file_errors);
	tcase_add_test(tc, test_webhook_every_key);
	tcase_add_test(tc, test_channel_defaults);
	tcase_add_test(tc, test_email_every_key);
	tcase_add_test(tc, test_reload_and_failures);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_secrets_not_printed);
	tcase_add_test(tc, test_check_config_binary);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(channels_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
