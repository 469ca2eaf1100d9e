/* Configuration: the INI file (inih) merged with node_exporter-style flags.
 * Flags win over the file; the file wins over built-in defaults.
 * config.c owns parsing and every check; everything else only reads. */
#ifndef HOSTWATCH_CONFIG_H
#define HOSTWATCH_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "hostwatch/log.h"
#include "hostwatch/netacl.h"
#include "hostwatch/ruledef.h"

#define HW_MAX_LISTEN 16
#define HW_MAX_COLLECTORS 32
/* Where `make install` puts it: $(sysconfdir), /etc for the packages. */
#ifdef SYSCONFDIR
#define HW_DEFAULT_CONFIG_FILE SYSCONFDIR "/hostwatch/hostwatch.conf"
#else
#define HW_DEFAULT_CONFIG_FILE "/etc/hostwatch/hostwatch.conf"
#endif

/* One [process NAME] section: a named group of processes. Every selector
 * given must match (as process-exporter's matchers combine); a process
 * belongs to the first group, in file order, that it matches. */
struct hw_procgroup {
	char *name;
	char *comm;    /* Go regex on /proc/PID/comm; NULL: any */
	char *exe;     /* Go regex on the executable's path */
	char *cmdline; /* Go regex on the arguments joined with spaces */
	char *cgroup;  /* Go regex on the cgroup path (cgroup v2 or name=systemd) */
	char *pidfile; /* absolute path of a file holding the PID */
	char *user;    /* as written: a user name or a numeric uid, matched
			* against the process's effective uid */
	unsigned uid;  /* `user` resolved at load time */
	bool has_user;
	unsigned line; /* of the section header, for messages */
};

/* Notification channels: one [webhook NAME] or [email NAME] section each
 * (src/config_channels.c). Durations in seconds. */
enum hw_channel_type {
	HW_CHANNEL_WEBHOOK,
	HW_CHANNEL_EMAIL,
};

enum hw_webhook_format {
	HW_FORMAT_ALERTMANAGER,     /* Alertmanager's webhook_config body, v4 */
	HW_FORMAT_ALERTMANAGER_API, /* POST /api/v2/alerts of Alertmanagers */
	HW_FORMAT_SLACK,
	HW_FORMAT_DISCORD,
	HW_FORMAT_NTFY,
	HW_FORMAT_JSON, /* hostwatch's documented generic body */
};

enum hw_signature {
	HW_SIGNATURE_NONE,
	HW_SIGNATURE_STANDARD, /* Standard Webhooks: webhook-id/-timestamp/-signature */
	HW_SIGNATURE_GITHUB,   /* X-Hub-Signature-256: sha256=HEX */
};

enum hw_starttls {
	HW_STARTTLS_DEFAULT, /* require when a username is set, else try */
	HW_STARTTLS_OFF,
	HW_STARTTLS_TRY,
	HW_STARTTLS_REQUIRE,
};

struct hw_channel {
	enum hw_channel_type type;
	char *name;
	unsigned line; /* of the section header, for messages */

	/* Where to: webhooks one URL, except alertmanager-api (one per
	 * Alertmanager of a cluster); email one smtp:// or smtps:// URL. */
	char **urls;
	size_t nurls;
	enum hw_webhook_format format; /* webhooks */
	char **headers; /* "Name: value", as given; webhooks */
	size_t nheaders;
	double timeout; /* per attempt, 10 */
	char *tls_ca_file;   /* NULL: the system's CAs */
	char *tls_cert_file; /* client certificate; NULL: none */
	char *tls_key_file;
	bool tls_insecure_skip_verify; /* false */

	/* Routing: an alert goes to this channel when its severity label is
	 * one of `severities` (none given: any, an alert without one too)
	 * and it matches every matcher of `match` (a PromQL selector without
	 * a name, parsed from `match = {team="ml", env=~"prod.*"}`; NULL:
	 * every alert). */
	char **severities;
	size_t nseverities;
	struct promql_node *match;

	/* Grouping, as Alertmanager's route: alerts with equal values of
	 * group_by are one notification; group_by_all (group_by = ...) makes
	 * every alert its own group. */
	char **group_by; /* default: alertname */
	size_t ngroup_by;
	bool group_by_all;
	double group_wait;      /* 30 */
	double group_interval;  /* 300 */
	double repeat_interval; /* 14400 */
	bool send_resolved;     /* true */
	unsigned max_alerts;    /* 0: no limit (Alertmanager's max_alerts) */

	enum hw_signature signature;
	unsigned char *secret; /* the key: whsec_'s base64 decoded for
				* standard, the bytes as given for github */
	size_t secret_len;

	/* email */
	char *from;
	char **to;
	size_t nto;
	char *username; /* NULL: no authentication */
	char *password; /* from password or password_file */
	enum hw_starttls starttls;
};

/* [server] access control (src/config_access.c): names as Prometheus's
 * exporter-toolkit web configuration spells them (min_version,
 * client_auth_type). */
enum hw_tls_version {
	HW_TLS12, /* default, as Go's crypto/tls for servers */
	HW_TLS13,
};

enum hw_client_auth {
	HW_CLIENT_NONE,            /* NoClientCert (default) */
	HW_CLIENT_REQUEST,         /* RequestClientCert: asked, not checked */
	HW_CLIENT_REQUIRE_ANY,     /* RequireAnyClientCert: required, not checked */
	HW_CLIENT_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	HW_CLIENT_REQUIRE_VERIFY,  /* RequireAndVerifyClientCert */
};

/* One [server] basic_auth_user line: a name and its bcrypt hash. */
struct hw_basic_user {
	char *name;
	char *hash;
};

struct hw_config {
	char *file; /* the file this was read from; NULL when none */

	/* [server] */
	char *listen[HW_MAX_LISTEN]; /* "127.0.0.1:9100", "[::1]:9100", ":9100" */
	unsigned n_listen;
	char *telemetry_path;            /* "/metrics" */
	unsigned max_connections;        /* total, 64 */
	unsigned max_connections_per_ip; /* 16 */
	unsigned connection_timeout;     /* seconds of inactivity, 10 */
	bool systemd_socket;             /* take listeners from sd_listen_fds */
	/* TLS: both files set, every listener speaks HTTPS only. Paths are
	 * absolute; the files are checked at load, read again by the HTTP
	 * server (and on SIGHUP). */
	char *tls_cert_file;      /* PEM chain, the server's first */
	char *tls_key_file;       /* PEM private key */
	char *tls_client_ca_file; /* PEM CAs that client certificates must
				   * chain to; NULL: none */
	enum hw_tls_version tls_min_version;
	enum hw_client_auth tls_client_auth;
	struct hw_basic_user *basic_auth_users; /* none: no authentication */
	size_t n_basic_auth_users;
	struct hw_cidr *allow; /* client networks; none: everyone */
	size_t n_allow;
	bool secrets_in_file; /* basic_auth_user lines came from `file` */

	/* [paths] */
	char *procfs; /* "/proc" */
	char *sysfs;  /* "/sys" */
	char *rootfs; /* "/" */
	char *udev_data; /* "/run/udev/data" */
	char *cgroupfs;  /* NULL: ask libcgroup where the hierarchies are */
	char *state_dir; /* alert states (and the notification spool) */

	/* [log] */
	enum hw_log_level log_level;

	/* [collectors]: the resolved result; index as in hw_collectors[] */
	bool enabled[HW_MAX_COLLECTORS];

	/* [cpu] */
	bool cpu_guest; /* node_cpu_guest_seconds_total, on by default */
	/* [filesystem]: regexes in node_exporter's (Go) syntax */
	char *fs_mount_points_exclude;
	char *fs_fs_types_exclude;
	double fs_mount_timeout; /* seconds a statfs may take, 5 */
	/* [diskstats] */
	char *diskstats_device_include; /* NULL: none */
	char *diskstats_device_exclude;
	/* [netdev] */
	char *netdev_device_include; /* NULL: none */
	char *netdev_device_exclude;
	bool netdev_netlink; /* stats over rtnetlink, not <procfs>/net/dev */
	/* [cgroup] */
	char *cgroup_root;      /* where the walk starts inside each hierarchy */
	unsigned cgroup_max_depth; /* levels below root that are walked */
	char *cgroup_include;   /* Go regex on the cgroup path; NULL: all */
	char *cgroup_exclude;   /* NULL: none */
	/* [docker] */
	char *docker_socket;    /* the Engine API's Unix socket */
	char *docker_labels;    /* label keys published as container_label_*,
				 * "a,b" (no blanks); NULL: none */
	/* [systemd]: regexes in Go syntax, matched whole as node_exporter
	 * does (^(?:re)$) */
	char *systemd_unit_include; /* NULL: all */
	char *systemd_unit_exclude; /* NULL: none */
	bool systemd_restarts;      /* node_systemd_service_restart_total */
	char *systemd_private_socket; /* tried before the system bus as root */

	/* [rules] */
	double rules_interval;     /* seconds between evaluations, 10 */
	char *rules_files;         /* Prometheus rule files (globs), separated
				    * by commas; relative to the config
				    * file's directory; NULL: none */
	bool rules_defaults;       /* load rules_defaults_file */
	char *rules_defaults_file; /* the shipped default rules */
	unsigned rules_max_series; /* the rule store's cap */

	/* Every rule, loaded and checked by config_load: the default rules'
	 * groups, then the [record NAME] / [alert NAME] sections of the file
	 * (one group named after the file), then the groups of
	 * rules_files, in that order. */
	struct rule_set_def rules;

	/* [notify]: what every channel shares */
	struct rule_kv *external_labels; /* added to every alert sent, as
					  * Prometheus's external_labels
					  * (key=value,...); default
					  * instance=<hostname> */
	size_t nexternal_labels;
	char *external_url;	 /* generatorURL/externalURL base; default
				  * http://<hostname>:<first listen port> */
	double resend_delay;	 /* Prometheus's rules.alert.resend-delay, 60 */
	bool journal;		 /* alert entries in the journal, on */
	double journal_repeat_interval; /* 14400 */
	double retry_initial;	 /* first retry's backoff ceiling, 1 */
	double retry_max;	 /* the backoff's ceiling, 300 */
	unsigned long long spool_max_bytes; /* per channel, 64 MiB */
	double spool_max_age;	 /* 86400 * 3 */

	/* [webhook NAME] and [email NAME] sections, in file order */
	struct hw_channel *channels;
	size_t nchannels;

	/* [process NAME] sections, in file order */
	struct hw_procgroup *procgroups;
	unsigned n_procgroups;
};

/* Exit codes: 0 success, 2 bad configuration or flags (as the issue and
 * most daemons use for usage errors). */
#define HW_EXIT_CONFIG 2

/* What the command line asked for beyond configuration. */
struct hw_cli {
	bool check_config; /* --check-config */
	bool version;      /* --version */
	bool help;         /* --help */
};

/* Fill cfg with built-in defaults. */
void config_defaults(struct hw_config *cfg);

/* Parse argv: find --config.file, read that file (or the default one when it
 * exists and none was named), then apply flags over it. On any error write
 * "FILE:LINE: what is wrong" (or "flag --x: what is wrong") to `err` and
 * return -EINVAL; the caller exits with HW_EXIT_CONFIG. */
int config_load(struct hw_config *cfg, struct hw_cli *cli, int argc,
		char **argv, FILE *err);

/* Release everything config_load allocated. */
void config_free(struct hw_config *cfg);

/* Write --help text. */
void config_usage(FILE *out);

#endif
