/* Configuration: the INI file (inih) merged with node_exporter-style flags.
 * Flags win over the file; the file wins over built-in defaults.
 * config.c owns parsing and every check; everything else only reads. */
#ifndef HOSTWATCH_CONFIG_H
#define HOSTWATCH_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "hostwatch/log.h"
#include "hostwatch/ruledef.h"

#define HW_MAX_LISTEN 16
#define HW_MAX_COLLECTORS 32
#define HW_DEFAULT_CONFIG_FILE "/etc/hostwatch/hostwatch.conf"

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
