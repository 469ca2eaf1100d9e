/* Unit tests for src/config.c: the INI file, the flags, and every error.
 *
 * config.c is #included (as chrony's tests do) so the test can point the
 * default configuration file at a fixture instead of the host's /etc. */
#include "../../src/config.c"

#include <check.h>
#include <unistd.h>

#include "testutil.h"

#define CONF FIXTURES "/config/"
#define NO_DEFAULT CONF "does-not-exist.conf"

static struct hw_config cfg;
static struct hw_cli cli;
static char *errtext; /* what config_load wrote to `err` */

/* config_load with argv = {"hostwatch", args..., NULL}; `err` captured. */
static int load_argv(const char *const *args)
{
	return test_config_load(&cfg, &cli, args, &errtext);
}

#define LOAD(...) load_argv((const char *const[]){__VA_ARGS__, NULL})

static void setup(void)
{
	config_default_file = NO_DEFAULT;
	errtext = NULL;
}

static void teardown(void)
{
	config_free(&cfg);
	free(errtext);
	errtext = NULL;
}

static void assert_defaults(const struct hw_config *c)
{
	ck_assert_uint_eq(c->n_listen, 1);
	ck_assert_str_eq(c->listen[0], ":9100");
	ck_assert_str_eq(c->telemetry_path, "/metrics");
	ck_assert_uint_eq(c->max_connections, 4096);
	ck_assert_uint_eq(c->max_connections_per_ip, 16);
	ck_assert_uint_eq(c->connection_timeout, 10);
	ck_assert(!c->systemd_socket);
	ck_assert_str_eq(c->procfs, "/proc");
	ck_assert_str_eq(c->sysfs, "/sys");
	ck_assert_str_eq(c->rootfs, "/");
	ck_assert_str_eq(c->udev_data, "/run/udev/data");
	ck_assert_int_eq(c->log_level, HW_LOG_INFO);
	for (unsigned i = 0; i < hw_collectors_count; i++)
		ck_assert_int_eq(c->enabled[i],
				 hw_collectors[i]->enabled_by_default);
	ck_assert(c->cpu_guest);
	ck_assert_str_eq(c->fs_mount_points_exclude, DEF_FS_MOUNT_POINTS_EXCLUDE);
	ck_assert_str_eq(c->fs_fs_types_exclude, DEF_FS_TYPES_EXCLUDE);
	ck_assert_double_eq(c->fs_mount_timeout, 5.0);
	ck_assert_ptr_null(c->diskstats_device_include);
	ck_assert_str_eq(c->diskstats_device_exclude,
			 DEF_DISKSTATS_DEVICE_EXCLUDE);
	ck_assert_ptr_null(c->netdev_device_include);
	ck_assert_str_eq(c->netdev_device_exclude, DEF_NETDEV_DEVICE_EXCLUDE);
	ck_assert(c->netdev_netlink);
	ck_assert_ptr_null(c->cgroupfs);
	ck_assert_str_eq(c->cgroup_root, "/");
	ck_assert_uint_eq(c->cgroup_max_depth, 3);
	ck_assert_str_eq(c->cgroup_include, DEF_CGROUP_INCLUDE);
	ck_assert_ptr_null(c->cgroup_exclude);
	ck_assert_uint_eq(c->n_procgroups, 0);
	ck_assert_str_eq(c->docker_socket, "/var/run/docker.sock");
	ck_assert_str_eq(c->docker_labels,
			 "com.docker.compose.project,com.docker.compose.service");
}

static bool enabled(const char *name)
{
	int i = collector_index(name);
	ck_assert_int_ge(i, 0);
	return cfg.enabled[i];
}

/* ---- defaults, files, flags ------------------------------------------- */

START_TEST(test_defaults)
{
	ck_assert_int_eq(LOAD(NULL), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_ptr_null(cfg.file);
	assert_defaults(&cfg);
	ck_assert(!cli.help && !cli.version && !cli.check_config);
}
END_TEST

START_TEST(test_default_file_used_when_present)
{
	config_default_file = CONF "default.conf";
	ck_assert_int_eq(LOAD(NULL), 0);
	ck_assert_str_eq(cfg.file, CONF "default.conf");
	ck_assert_str_eq(cfg.telemetry_path, "/from-default");
	config_free(&cfg);
	/* --config.file= with nothing: no file at all. */
	ck_assert_int_eq(LOAD("--config.file="), 0);
	ck_assert_ptr_null(cfg.file);
	ck_assert_str_eq(cfg.telemetry_path, "/metrics");
}
END_TEST

START_TEST(test_every_key)
{
	ck_assert_int_eq(LOAD("--config.file=" CONF "full.conf"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_str_eq(cfg.file, CONF "full.conf");
	ck_assert_uint_eq(cfg.n_listen, 4);
	ck_assert_str_eq(cfg.listen[0], "127.0.0.1:9101");
	ck_assert_str_eq(cfg.listen[1], "[::1]:9102");
	ck_assert_str_eq(cfg.listen[2], "host.example:9103");
	ck_assert_str_eq(cfg.listen[3], ":9104");
	ck_assert_str_eq(cfg.telemetry_path, "/node/metrics");
	ck_assert_uint_eq(cfg.max_connections, 200);
	ck_assert_uint_eq(cfg.max_connections_per_ip, 5);
	ck_assert_uint_eq(cfg.connection_timeout, 90);
	ck_assert(cfg.systemd_socket);
	ck_assert_str_eq(cfg.procfs, "/host/proc");
	ck_assert_str_eq(cfg.sysfs, "/host/sys");
	ck_assert_str_eq(cfg.rootfs, "/host");
	ck_assert_str_eq(cfg.udev_data, "/host/run/udev/data");
	ck_assert_int_eq(cfg.log_level, HW_LOG_DEBUG);
	/* disable_defaults = on; cpu and netdev named on, loadavg off. */
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		const char *n = hw_collectors[i]->name;
		bool want = strcmp(n, "cpu") == 0 || strcmp(n, "netdev") == 0;
		ck_assert_msg(cfg.enabled[i] == want, "collector %s", n);
	}
	ck_assert(!cfg.cpu_guest);
	/* Continued on an indented line: joined without a separator. */
	ck_assert_str_eq(cfg.fs_mount_points_exclude, "^/(boot|tmp)($|/)");
	ck_assert_str_eq(cfg.fs_fs_types_exclude, "^tmpfs$");
	ck_assert_double_eq_tol(cfg.fs_mount_timeout, 0.5, 1e-9);
	ck_assert_str_eq(cfg.diskstats_device_include, "^sd[a-z]$");
	/* An include replaces the default exclude (node_exporter 1.5). */
	ck_assert_ptr_null(cfg.diskstats_device_exclude);
	ck_assert_ptr_null(cfg.netdev_device_include); /* empty: none */
	ck_assert_str_eq(cfg.netdev_device_exclude, "^(lo|docker\\d+)$");
	ck_assert(!cfg.netdev_netlink);
}
END_TEST

START_TEST(test_docker)
{
	ck_assert_int_eq(LOAD("--config.file=" CONF "docker.conf"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_str_eq(cfg.docker_socket, "/run/podman/podman.sock");
	/* stored without the blanks */
	ck_assert_str_eq(cfg.docker_labels, "app,com.example/tier,team.name");
	config_free(&cfg);
	/* a flag overrides; empty means no label keys at all */
	ck_assert_int_eq(LOAD("--config.file=" CONF "docker.conf",
			      "--collector.docker.labels=",
			      "--collector.docker.socket=/tmp/d.sock"),
			 0);
	ck_assert_ptr_null(cfg.docker_labels);
	ck_assert_str_eq(cfg.docker_socket, "/tmp/d.sock");
	config_free(&cfg);
	/* at most 16 keys */
	char many[400] = "--collector.docker.labels=k0";
	for (int i = 1; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 ",k%d", i);
	ck_assert_int_eq(LOAD(many), -EINVAL);
	ck_assert_str_eq(errtext, "flag --collector.docker.labels: more than "
				  "16 label keys\n");
}
END_TEST

/* [record NAME] / [alert NAME] sections, [rules] files and the defaults:
 * the groups in their order, every field, continuation lines. */
START_TEST(test_rule_sections)
{
	char dir[] = "/tmp/hw-conf-rules.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char conf[512], rules[512], defaults[512];
	snprintf(conf, sizeof(conf), "%s/main.conf", dir);
	snprintf(rules, sizeof(rules), "%s/extra.yml", dir);
	snprintf(defaults, sizeof(defaults), "%s/../../etc/default.rules.yml",
		 FIXTURES);
	FILE *f = fopen(rules, "w");
	ck_assert_ptr_nonnull(f);
	fputs("groups:\n  - name: extra\n    rules:\n"
	      "      - record: job:x\n        expr: sum(x)\n", f);
	fclose(f);
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[rules]\nfiles = extra.yml, nomatch*.yml\n"
	      "evaluation_interval = 30s\n"
	      "[alert High]\nexpr = sum(rate(x[5m]))\n  > 1\nfor = 1m30s\n"
	      "keep_firing_for = 2m\nclear = sum(rate(x[5m])) < 0.5\n"
	      "labels.severity = page\n"
	      "annotations.summary = high: {{ $value }}\n  second line\n"
	      "[alert High]\nexpr = sum(x) > 10\n"
	      "[record r:y]\nexpr = 2 * y\nlabels.kind = double\n", f);
	fclose(f);
	char a1[600], a2[600];
	snprintf(a1, sizeof(a1), "--config.file=%s", conf);
	snprintf(a2, sizeof(a2), "--rules.defaults-file=%s", defaults);
	int rc = LOAD(a1, a2);
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_double_eq(cfg.rules_interval, 30.0);
	ck_assert_uint_eq(cfg.rules.n, 4); /* 2 default groups, main.conf, extra */
	ck_assert_str_eq(cfg.rules.groups[0].name, "hostwatch-recording");
	const struct rule_group_def *g = &cfg.rules.groups[2];
	ck_assert_str_eq(g->name, "main.conf");
	ck_assert_str_eq(g->file, conf);
	ck_assert_uint_eq(g->n, 3);
	const struct rule_def *r = &g->rules[0];
	ck_assert_int_eq(r->kind, RULE_ALERT);
	ck_assert_str_eq(r->name, "High");
	ck_assert_str_eq(r->expr, "sum(rate(x[5m]))\n> 1");
	ck_assert_ptr_nonnull(r->ast);
	ck_assert_ptr_nonnull(r->clear_ast);
	ck_assert_int_eq(r->for_ms, 90000);
	ck_assert_int_eq(r->keep_firing_for_ms, 120000);
	ck_assert_uint_eq(r->nlabels, 1);
	ck_assert_str_eq(r->labels[0].value, "page");
	ck_assert_str_eq(r->annotations[0].value,
			 "high: {{ $value }}\nsecond line");
	ck_assert_int_eq(r->line, 4);
	ck_assert_str_eq(g->rules[1].name, "High"); /* a second rule of it */
	ck_assert_int_eq(g->rules[2].kind, RULE_RECORD);
	ck_assert_str_eq(g->rules[2].labels[0].key, "kind");
	ck_assert_str_eq(cfg.rules.groups[3].name, "extra");
	config_free(&cfg);

	/* defaults off: only the file's own group; a missing file named by
	 * the user is an error */
	rc = LOAD(a1, "--no-rules.defaults");
	ck_assert_msg(rc == 0, "%s", errtext);
	ck_assert_uint_eq(cfg.rules.n, 2);
	config_free(&cfg);
	rc = LOAD(a1, "--rules.defaults-file=/nonexistent/x.yml");
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(errtext, "/nonexistent/x.yml"));
	/* a label given twice, a continuation of a key that may not go on */
	f = fopen(conf, "w");
	fputs("[alert A]\nexpr = up\nlabels.x = 1\nlabels.x = 2\n", f);
	fclose(f);
	rc = LOAD(a1, "--no-rules.defaults");
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(errtext, "main.conf:4: [alert A] labels.x: given twice"));
	f = fopen(conf, "w");
	fputs("[alert A]\nexpr = up\nfor = 1m\n  30s\n", f);
	fclose(f);
	rc = LOAD(a1, "--no-rules.defaults");
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(errtext, "main.conf:4: [alert A] for: indented line"));
	unlink(conf);
	unlink(rules);
	rmdir(dir);
}
END_TEST

START_TEST(test_procgroups_cgroup)
{
	ck_assert_int_eq(LOAD("--config.file=" CONF "procgroups.conf"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_str_eq(cfg.cgroup_root, "/system.slice");
	ck_assert_uint_eq(cfg.cgroup_max_depth, 5);
	ck_assert_str_eq(cfg.cgroup_include, "\\.service$");
	ck_assert_str_eq(cfg.cgroup_exclude,
			 "^/system\\.slice/(systemd-journald|cron)\\.service$");
	ck_assert_uint_eq(cfg.n_procgroups, 4);
	const struct hw_procgroup *g = cfg.procgroups;
	ck_assert_str_eq(g[0].name, "web");
	ck_assert_uint_eq(g[0].line, 9);
	ck_assert_str_eq(g[0].comm, "^(gunicorn|uvicorn)$");
	ck_assert_str_eq(g[0].cmdline, "myapp\\.wsgi");
	ck_assert_ptr_null(g[0].exe);
	ck_assert(!g[0].has_user);
	/* Blanks between "process" and the name do not count; inside do. */
	ck_assert_str_eq(g[1].name, "worker queue");
	ck_assert_str_eq(g[1].exe, "^/usr/bin/python3");
	ck_assert(g[1].has_user);
	ck_assert_uint_eq(g[1].uid, 0);
	ck_assert_str_eq(g[2].name, "sshd");
	ck_assert_str_eq(g[2].pidfile, "/run/sshd.pid");
	ck_assert_str_eq(g[3].cgroup, "/system\\.slice/api\\.service$");
	ck_assert_uint_eq(g[3].uid, 12345);
	ck_assert_str_eq(g[3].cmdline, "^python3 -muvicorn");
	/* Flags override the file's [cgroup] options like any other. */
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--config.file=" CONF "procgroups.conf",
			      "--collector.cgroup.max-depth=1",
			      "--path.cgroupfs=/host/sys/fs/cgroup"),
			 0);
	ck_assert_uint_eq(cfg.cgroup_max_depth, 1);
	ck_assert_str_eq(cfg.cgroupfs, "/host/sys/fs/cgroup");
	ck_assert_uint_eq(cfg.n_procgroups, 4);
}
END_TEST

/* Inline comments, "key: value", indented first key, case of booleans. */
START_TEST(test_inih_syntax)
{
	ck_assert_int_eq(LOAD("--config.file=" CONF "syntax.conf"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_str_eq(cfg.telemetry_path, "/indented");
	ck_assert_uint_eq(cfg.max_connections, 32);
	ck_assert_int_eq(cfg.log_level, HW_LOG_ERROR);
	ck_assert_str_eq(cfg.procfs, "/a;b"); /* ';' without a blank: value */
	ck_assert(!enabled("cpu"));
}
END_TEST

START_TEST(test_bom_crlf)
{
	ck_assert_int_eq(LOAD("--config.file=" CONF "bom-crlf.conf"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_uint_eq(cfg.max_connections, 7);
}
END_TEST

START_TEST(test_flags_override_file)
{
	ck_assert_int_eq(LOAD("--config.file", CONF "partial.conf",
			      "--web.telemetry-path=/flag",
			      "--web.max-connections", "20", "--log.level=debug",
			      "--collector.cpu", "--path.procfs", "/p",
			      "--no-collector.cpu.guest",
			      "--web.connection-timeout=2m",
			      "--collector.filesystem.mount-timeout", "250ms",
			      "--web.systemd-socket", "--path.sysfs=/s",
			      "--path.rootfs", "/r", "--path.udev.data", "/u",
			      "--no-collector.netdev.netlink",
			      "--web.max-connections-per-ip=3",
			      "--collector.netdev.device-include=^eth",
			      "--collector.diskstats.device-exclude=",
			      "--collector.filesystem.fs-types-exclude", "^x$",
			      "--collector.filesystem.mount-points-exclude=^/y"),
			 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_uint_eq(cfg.n_listen, 1);
	ck_assert_str_eq(cfg.listen[0], "10.0.0.1:9100"); /* from the file */
	ck_assert_str_eq(cfg.telemetry_path, "/flag");
	ck_assert_uint_eq(cfg.max_connections, 20);
	ck_assert_uint_eq(cfg.max_connections_per_ip, 3);
	ck_assert_uint_eq(cfg.connection_timeout, 120);
	ck_assert(cfg.systemd_socket);
	ck_assert_int_eq(cfg.log_level, HW_LOG_DEBUG);
	ck_assert_str_eq(cfg.procfs, "/p");
	ck_assert_str_eq(cfg.sysfs, "/s");
	ck_assert_str_eq(cfg.rootfs, "/r");
	ck_assert_str_eq(cfg.udev_data, "/u");
	ck_assert(!cfg.netdev_netlink);
	ck_assert(enabled("cpu"));      /* flag beats file */
	ck_assert(!enabled("meminfo")); /* file beats default */
	ck_assert(enabled("loadavg"));  /* default */
	ck_assert(!cfg.cpu_guest);
	ck_assert_double_eq_tol(cfg.fs_mount_timeout, 0.25, 1e-9);
	ck_assert_str_eq(cfg.netdev_device_include, "^eth");
	ck_assert_ptr_null(cfg.netdev_device_exclude);
	ck_assert_ptr_null(cfg.diskstats_device_exclude);
	ck_assert_str_eq(cfg.fs_fs_types_exclude, "^x$");
	ck_assert_str_eq(cfg.fs_mount_points_exclude, "^/y");
}
END_TEST

/* --path.udev.data and --[no-]collector.netdev.netlink over the file's
 * [paths] udev_data and [netdev] netlink, and their checks. */
START_TEST(test_udev_netlink)
{
	ck_assert_int_eq(LOAD("--config.file=" CONF "full.conf",
			      "--collector.netdev.netlink",
			      "--path.udev.data=/flag/udev"),
			 0);
	ck_assert_str_eq(errtext, "");
	ck_assert(cfg.netdev_netlink);
	ck_assert_str_eq(cfg.udev_data, "/flag/udev");
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--collector.netdev.netlink=false"), 0);
	ck_assert(!cfg.netdev_netlink);
	ck_assert_str_eq(cfg.udev_data, "/run/udev/data");
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--path.udev.data=run/udev/data"), -EINVAL);
	ck_assert_str_eq(errtext, "flag --path.udev.data: \"run/udev/data\" "
				  "is not an absolute path\n");
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--collector.netdev.netlink=maybe"), -EINVAL);
}
END_TEST

START_TEST(test_listen_repeated)
{
	/* The first flag replaces the file's list; later ones add. */
	ck_assert_int_eq(LOAD("--config.file=" CONF "partial.conf",
			      "--web.listen-address=[::1]:9100",
			      "--web.listen-address", "127.0.0.1:9200",
			      "--web.listen-address=[fe80::1%eth0]:1,:2"),
			 0);
	ck_assert_uint_eq(cfg.n_listen, 4);
	ck_assert_str_eq(cfg.listen[0], "[::1]:9100");
	ck_assert_str_eq(cfg.listen[1], "127.0.0.1:9200");
	ck_assert_str_eq(cfg.listen[2], "[fe80::1%eth0]:1");
	ck_assert_str_eq(cfg.listen[3], ":2");
}
END_TEST

START_TEST(test_meta_flags)
{
	ck_assert_int_eq(LOAD("--check-config"), 0);
	ck_assert(cli.check_config && !cli.help && !cli.version);
	config_free(&cfg);
	/* --help and --version do not read the file, not even a bad one. */
	ck_assert_int_eq(LOAD("-h", "--config.file=" CONF "bad-int.conf"), 0);
	ck_assert(cli.help);
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--version"), 0);
	ck_assert(cli.version);
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--help=false", "--check-config=yes"), 0);
	ck_assert(!cli.help && cli.check_config);
}
END_TEST

/* Collector precedence: explicit (flag over file), then disable_defaults
 * (flag over file), then the collector's own default. */
START_TEST(test_collector_matrix)
{
	static const struct {
		const char *file; /* [collectors] body, or NULL */
		const char *flags[3];
		int cpu, meminfo, loadavg; /* expected */
	} m[] = {
		{NULL, {NULL}, 1, 1, 1},
		{NULL, {"--collector.disable-defaults"}, 0, 0, 0},
		{NULL, {"--collector.disable-defaults", "--collector.cpu"}, 1, 0, 0},
		{NULL, {"--no-collector.cpu"}, 0, 1, 1},
		{NULL, {"--collector.cpu=false", "--collector.meminfo=true"}, 0, 1, 1},
		{"disable_defaults = true\n", {NULL}, 0, 0, 0},
		{"disable_defaults = true\ncpu = true\n", {NULL}, 1, 0, 0},
		{"disable_defaults = true\ncpu = true\n", {"--no-collector.cpu"}, 0, 0, 0},
		{"disable_defaults = true\n", {"--collector.meminfo"}, 0, 1, 0},
		{"disable_defaults = true\n", {"--no-collector.disable-defaults"}, 1, 1, 1},
		{"disable_defaults = true\n", {"--collector.disable-defaults=false"}, 1, 1, 1},
		{"cpu = false\n", {"--collector.disable-defaults"}, 0, 0, 0},
		{"cpu = true\n", {"--collector.disable-defaults"}, 1, 0, 0},
		{"meminfo = false\n", {NULL}, 1, 0, 1},
		{"meminfo = false\n", {"--collector.meminfo"}, 1, 1, 1},
	};
	char path[] = "/tmp/hw-test-config-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		FILE *f = fopen(path, "w");
		fprintf(f, "[collectors]\n%s", m[i].file ? m[i].file : "");
		fclose(f);
		char arg[64];
		snprintf(arg, sizeof(arg), "--config.file=%s", path);
		const char *args[5] = {arg, m[i].flags[0], m[i].flags[1],
				       m[i].flags[2], NULL};
		ck_assert_int_eq(load_argv(args), 0);
		ck_assert_msg(enabled("cpu") == m[i].cpu &&
				      enabled("meminfo") == m[i].meminfo &&
				      enabled("loadavg") == m[i].loadavg,
			      "row %zu: cpu %d meminfo %d loadavg %d", i,
			      enabled("cpu"), enabled("meminfo"),
			      enabled("loadavg"));
		config_free(&cfg);
	}
	unlink(path);
}
END_TEST

/* Reload: load twice into fresh structs, free both; a failed load frees
 * everything itself (valgrind checks both). */
START_TEST(test_reload)
{
	struct hw_config second;
	struct hw_cli cli2;
	char *argv[] = {"hostwatch", "--config.file=" CONF "full.conf",
			"--web.listen-address=:1", NULL};
	ck_assert_int_eq(LOAD("--config.file=" CONF "full.conf"), 0);
	ck_assert_int_eq(config_load(&second, &cli2, 3, argv, stderr), 0);
	ck_assert_uint_eq(cfg.n_listen, 4);
	ck_assert_uint_eq(second.n_listen, 1);
	ck_assert_str_eq(second.fs_mount_points_exclude, "^/(boot|tmp)($|/)");
	config_free(&second);
	/* A failing reload leaves the running config alone. */
	char *bad[] = {"hostwatch", "--config.file=" CONF "bad-regex.conf",
		       NULL};
	FILE *devnull = fopen("/dev/null", "w");
	ck_assert_int_eq(config_load(&second, &cli2, 2, bad, devnull), -EINVAL);
	fclose(devnull);
	ck_assert_ptr_null(second.telemetry_path);
	ck_assert_str_eq(cfg.telemetry_path, "/node/metrics");
	config_free(&second); /* harmless after a failure */
}
END_TEST

START_TEST(test_long_lines)
{
	/* 197 characters (inih's 200 minus \r \n \0) is the limit. */
	ck_assert_int_eq(LOAD("--config.file=" CONF "limit-line.conf"), 0);
	ck_assert_str_eq(errtext, "");
	ck_assert_uint_eq(strlen(cfg.telemetry_path), 197 - 17);
	config_free(&cfg);
	ck_assert_int_eq(LOAD("--config.file=" CONF "limit-line-crlf.conf"), 0);
	ck_assert_uint_eq(strlen(cfg.telemetry_path), 197 - 17);
	config_free(&cfg);
	/* A long comment is just a comment. */
	ck_assert_int_eq(LOAD("--config.file=" CONF "long-comment.conf"), 0);
	ck_assert_uint_eq(cfg.max_connections, 9);
}
END_TEST

/* The shipped file loads, and with every commented-out setting enabled it
 * gives exactly the built-in defaults: its comments tell the truth. */
START_TEST(test_shipped_config)
{
	ck_assert_int_eq(LOAD("--config.file=" ETCDIR "/hostwatch.conf"), 0);
	ck_assert_str_eq(errtext, "");
	assert_defaults(&cfg);
	config_free(&cfg);

	FILE *in = fopen(ETCDIR "/hostwatch.conf", "r");
	char path[] = "/tmp/hw-test-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *out = fdopen(fd, "w");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	char line[512];
	unsigned uncommented = 0;
	bool seen[HW_MAX_COLLECTORS] = {false};
	while (fgets(line, sizeof(line), in)) {
		if (line[0] == '#' && (islower((unsigned char)line[1]) ||
				       line[1] == '\t')) {
			fputs(line + 1, out);
			uncommented++;
			char name[64];
			if (sscanf(line + 1, "%63[a-z_] =", name) == 1 &&
			    collector_index(name) >= 0)
				seen[collector_index(name)] = true;
		} else {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
	ck_assert_uint_ge(uncommented, 30);
	for (unsigned i = 0; i < hw_collectors_count; i++)
		ck_assert_msg(seen[i], "collector %s not in hostwatch.conf",
			      hw_collectors[i]->name);
	char arg[64];
	snprintf(arg, sizeof(arg), "--config.file=%s", path);
	int rc = LOAD(arg);
	unlink(path);
	ck_assert_msg(rc == 0, "%s", errtext);
	assert_defaults(&cfg);
}
END_TEST

START_TEST(test_usage)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	config_usage(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "usage: hostwatch [<flags>]"));
	ck_assert_ptr_nonnull(strstr(text, "--web.listen-address=:9100 ..."));
	ck_assert_ptr_nonnull(strstr(text, "--web.telemetry-path=\"/metrics\""));
	ck_assert_ptr_nonnull(strstr(text, "--web.max-connections=4096 "));
	ck_assert_ptr_nonnull(strstr(text, "--web.connection-timeout=10s "));
	ck_assert_ptr_nonnull(strstr(text, "--log.level=info "));
	ck_assert_ptr_nonnull(strstr(text, "--collector.filesystem.mount-timeout=5s\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "--collector.diskstats.device-include=COLLECTOR.DISKSTATS."
		      "DEVICE-INCLUDE"));
	ck_assert_ptr_nonnull(strstr(text, "--[no-]collector.cpu.guest"));
	ck_assert_ptr_nonnull(strstr(
		text, "--path.udev.data=\"/run/udev/data\""));
	ck_assert_ptr_nonnull(strstr(text, "--[no-]collector.netdev.netlink "));
	ck_assert_ptr_nonnull(strstr(text, "--config.file="));
	ck_assert_ptr_nonnull(strstr(text, "--check-config"));
	ck_assert_ptr_nonnull(strstr(text, "--version"));
	ck_assert_ptr_nonnull(strstr(text, "-h, --help"));
	/* Every flag in the table and every collector is listed. */
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].type != OPT_COLLECTOR)
			ck_assert_msg(strstr(text, opts[i].flag), "%s", opts[i].flag);
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		char want[128];
		snprintf(want, sizeof(want), "--[no-]collector.%s ",
			 hw_collectors[i]->name);
		ck_assert_msg(strstr(text, want), "%s", want);
	}
	free(text);
}
END_TEST

START_TEST(test_durations)
{
	static const struct {
		const char *in;
		double secs; /* < 0: invalid */
	} d[] = {
		{"10", 10},  {"10s", 10},  {"1m", 60},    {"1m30s", 90},
		{"1h", 3600}, {"500ms", 0.5}, {"1.5s", 1.5}, {"", -1},
		{"s", -1},    {"10x", -1},   {"1m30", -1},  {"-1s", -1},
		{"1 s", -1},  {".", -1},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		double v = -1;
		int rc = parse_duration(d[i].in, &v);
		if (d[i].secs < 0)
			ck_assert_msg(rc < 0, "\"%s\" accepted", d[i].in);
		else
			ck_assert_msg(rc == 0 && v == d[i].secs, "\"%s\"",
				      d[i].in);
	}
}
END_TEST

/* ---- every error, with its exact message ---------------------------------- */

static const struct {
	const char *file; /* fixture, or NULL when only flags */
	const char *flags[3];
	const char *msg; /* "%s" is the fixture's path */
} bad[] = {
	{"unknown-section.conf", {NULL}, "%s:3: unknown section [servre]"},
	{"unknown-key.conf", {NULL}, "%s:2: [server] max_conections: unknown key"},
	{"no-section.conf", {NULL},
	 "%s:2: max_connections: key outside of any [section]"},
	{"bad-bool.conf", {NULL},
	 "%s:2: [server] systemd_socket: \"maybe\" is not a boolean "
	 "(true/false, yes/no, on/off, 1/0)"},
	{"bad-int.conf", {NULL},
	 "%s:3: [server] max_connections: \"abc\" is not a whole number"},
	{"negative-int.conf", {NULL},
	 "%s:2: [server] max_connections_per_ip: \"-3\" must not be negative"},
	{"range-int.conf", {NULL},
	 "%s:2: [server] max_connections: \"100001\" is out of range "
	 "(1..100000)"},
	{"zero-int.conf", {NULL},
	 "%s:2: [server] max_connections: \"0\" is out of range (1..100000)"},
	{"huge-int.conf", {NULL},
	 "%s:2: [server] max_connections: \"99999999999999999999999\" is out "
	 "of range (1..100000)"},
	{"bad-duration.conf", {NULL},
	 "%s:2: [server] connection_timeout: \"10x\" is not a duration (like "
	 "10s, 1m30s, 500ms)"},
	{"fraction-duration.conf", {NULL},
	 "%s:2: [server] connection_timeout: \"1.5s\" is not a whole number "
	 "of seconds"},
	{"bad-regex.conf", {NULL},
	 "%s:2: [filesystem] fs_types_exclude: \"^(tmpfs\" is not a valid "
	 "regular expression: "},
	{"bad-process-regex.conf", {NULL},
	 "%s:2: [process web] comm: \"(unclosed\" is not a valid regular "
	 "expression: "},
	{"bad-process-regex-cont.conf", {NULL},
	 "%s:2: [process web] comm: \"^a(b\" is not a valid regular "
	 "expression: "},
	{"bad-process-noselector.conf", {NULL},
	 "%s:2: [process web]: no selector: give at least one of comm, exe, "
	 "cmdline, cgroup, pidfile, user"},
	{"bad-process-noname.conf", {NULL},
	 "%s:1: [process ]: a name is missing: write [process NAME]"},
	{"bad-process-dup.conf", {NULL},
	 "%s:3: [process web]: defined again (first at line 1)"},
	{"bad-process-key.conf", {NULL},
	 "%s:2: [process web] color: unknown key (comm, exe, cmdline, cgroup, "
	 "pidfile, user)"},
	{"bad-process-user.conf", {NULL},
	 "%s:2: [process web] user: \"no-such-user-hw\" is not a user on this "
	 "host"},
	{"bad-process-pidfile.conf", {NULL},
	 "%s:2: [process web] pidfile: \"run/web.pid\" is not an absolute "
	 "path"},
	{"bad-process-twice.conf", {NULL},
	 "%s:3: [process web] comm: given twice"},
	{"bad-process-cont.conf", {NULL},
	 "%s:3: [process web] pidfile: indented line continues the value, "
	 "which only regex keys may do"},
	{"bad-process-kind.conf", {NULL}, "%s:1: unknown section [processes]"},
	{"bad-cgroup-depth.conf", {NULL},
	 "%s:2: [cgroup] max_depth: \"65\" is out of range (0..64)"},
	{NULL, {"--collector.cgroup.include=(x"},
	 "flag --collector.cgroup.include: \"(x\" is not a valid regular "
	 "expression: "},
	{"bad-regex-cont.conf", {NULL},
	 "%s:2: [filesystem] fs_types_exclude: \"^(tmpfs|ext4\" is not a "
	 "valid regular expression: "},
	{"bad-address.conf", {NULL},
	 "%s:2: [server] listen: \"localhost\" is not an address (host:port, "
	 "[ipv6]:port or :port)"},
	{"bad-port.conf", {NULL},
	 "%s:2: [server] listen: \"127.0.0.1:70000\": port 70000 is out of "
	 "range (0..65535)"},
	{"bad-ipv6.conf", {NULL},
	 "%s:2: [server] listen: \"::1:9100\": an IPv6 address needs "
	 "brackets, like [::1]:9100"},
	{"bad-loglevel.conf", {NULL},
	 "%s:2: [log] level: \"verbose\" is not a log level (debug, info, "
	 "warn, error)"},
	{"bad-path.conf", {NULL},
	 "%s:2: [paths] sysfs: \"sys\" is not an absolute path"},
	{"bad-telemetry.conf", {NULL},
	 "%s:2: [server] telemetry_path: \"/-/healthy\" clashes with the "
	 "built-in /-/ endpoints"},
	{"bad-continuation.conf", {NULL},
	 "%s:3: [log] level: indented line continues the value, which only "
	 "listen and regex keys may do"},
	{"inline-hash.conf", {NULL},
	 "%s:2: [collectors] cpu: \"false # off\" is not a boolean "
	 "(true/false, yes/no, on/off, 1/0)"},
	{"long-line.conf", {NULL},
	 "%s:3: line is too long (250 characters, at most 197)"},
	{"over-limit-line.conf", {NULL},
	 "%s:2: line is too long (198 characters, at most 197)"},
	{"missing-bracket.conf", {NULL}, "%s:3: section header is missing \"]\""},
	{"no-equals.conf", {NULL}, "%s:2: expected \"key = value\""},
	{"bad-docker-labels.conf", {NULL},
	 "%s:3: [docker] labels: \"bad=key\": '=' is not allowed in a label "
	 "key"},
	{NULL, {"--collector.docker.labels=a b"},
	 "flag --collector.docker.labels: \"a b\": keys are separated by "
	 "commas"},
	{"bad-docker-empty.conf", {NULL},
	 "%s:2: [docker] labels: \"app,,team\": an empty label key"},
	{"bad-docker-socket.conf", {NULL},
	 "%s:2: [docker] socket: \"docker.sock\" is not an absolute path"},
	{NULL, {"--collector.docker.labels=a,a"},
	 "flag --collector.docker.labels: \"a\" is listed twice"},
	{NULL, {"--collector.docker.labels=a$b"},
	 "flag --collector.docker.labels: \"a$b\": '$' is not allowed in a "
	 "label key"},
	{"exclusive.conf", {NULL},
	 "%s:3: [diskstats] device_include: cannot be combined with "
	 "device_exclude"},
	{"does-not-exist.conf", {NULL},
	 "%s: cannot read: No such file or directory"},
	/* flags */
	{NULL, {"--foo"}, "flag --foo: unknown flag (see --help)"},
	{NULL, {"--foo=bar"}, "flag --foo: unknown flag (see --help)"},
	{NULL, {"-x"}, "flag -x: unknown flag (see --help)"},
	{NULL, {"extra"}, "flag extra: unknown flag (see --help)"},
	{NULL, {"--collector.nosuch"},
	 "flag --collector.nosuch: unknown flag (see --help)"},
	{NULL, {"--no-web.telemetry-path"},
	 "flag --no-web.telemetry-path: unknown flag (see --help)"},
	{NULL, {"--web.max-connections", "x"},
	 "flag --web.max-connections: \"x\" is not a whole number"},
	{NULL, {"--web.max-connections=-1"},
	 "flag --web.max-connections: \"-1\" must not be negative"},
	{NULL, {"--web.listen-address"},
	 "flag --web.listen-address: needs a value"},
	{NULL, {"--web.listen-address", "--web.systemd-socket"},
	 "flag --web.listen-address: needs a value"},
	{NULL, {"--config.file"}, "flag --config.file: needs a value"},
	{NULL, {"--web.systemd-socket=perhaps"},
	 "flag --web.systemd-socket: \"perhaps\" is not a boolean (true/false, "
	 "yes/no, on/off, 1/0)"},
	{NULL, {"--no-collector.cpu=true"}, "flag --no-collector.cpu: takes no value"},
	{NULL, {"--log.level=loud"},
	 "flag --log.level: \"loud\" is not a log level (debug, info, warn, "
	 "error)"},
	{NULL, {"--web.telemetry-path=metrics"},
	 "flag --web.telemetry-path: \"metrics\" must start with \"/\""},
	{NULL, {"--web.telemetry-path=/"},
	 "flag --web.telemetry-path: \"/\" is the landing page; use a path "
	 "like /metrics"},
	{NULL, {"--web.listen-address=[::1]:65536"},
	 "flag --web.listen-address: \"[::1]:65536\": port 65536 is out of "
	 "range (0..65535)"},
	{NULL, {"--web.listen-address=[::1:9100"},
	 "flag --web.listen-address: \"[::1:9100\" is not an address "
	 "(host:port, [ipv6]:port or :port)"},
	{NULL, {"--web.listen-address=[::g]:9100"},
	 "flag --web.listen-address: \"[::g]:9100\": host is not an IPv6 "
	 "address"},
	{NULL, {"--web.listen-address=1.2.3.256:9100"},
	 "flag --web.listen-address: \"1.2.3.256:9100\": host is not an IPv4 "
	 "address"},
	{NULL, {"--web.listen-address=, ,"},
	 "flag --web.listen-address: no address given"},
	{NULL, {"--web.connection-timeout=0s"},
	 "flag --web.connection-timeout: \"0s\" is out of range (1s..3600s)"},
	{NULL, {"--collector.filesystem.mount-timeout=soon"},
	 "flag --collector.filesystem.mount-timeout: \"soon\" is not a "
	 "duration (like 10s, 1m30s, 500ms)"},
	{NULL, {"--collector.netdev.device-exclude=a(", NULL},
	 "flag --collector.netdev.device-exclude: \"a(\" is not a valid "
	 "regular expression: "},
	{NULL, {"--collector.netdev.device-include=^e", "--collector.netdev.device-exclude=^l"},
	 "flag --collector.netdev.device-include: cannot be combined with "
	 "--collector.netdev.device-exclude"},
	{NULL, {"--path.rootfs=host"},
	 "flag --path.rootfs: \"host\" is not an absolute path"},
};

START_TEST(test_bad)
{
	char path[512] = "", want[1024], arg[600];
	const char *args[5] = {NULL};
	size_t n = 0;
	if (bad[_i].file) {
		snprintf(path, sizeof(path), CONF "%s", bad[_i].file);
		snprintf(arg, sizeof(arg), "--config.file=%s", path);
		args[n++] = arg;
	}
	for (size_t j = 0; j < 3 && bad[_i].flags[j]; j++)
		args[n++] = bad[_i].flags[j];
	snprintf(want, sizeof(want), bad[_i].msg, path);
	ck_assert_int_eq(load_argv(args), -EINVAL);
	/* One line; messages ending in ": " go on with the C library's text. */
	size_t wl = strlen(want);
	bool prefix = want[wl - 1] == ' ';
	ck_assert_msg(prefix ? strncmp(errtext, want, wl) == 0
			     : strncmp(errtext, want, wl) == 0 &&
				       strcmp(errtext + wl, "\n") == 0,
		      "case %d:\n got: %s\nwant: %s", _i, errtext, want);
	ck_assert_ptr_eq(strchr(errtext, '\n'), errtext + strlen(errtext) - 1);
	/* Everything was freed already; config_free stays harmless. */
	ck_assert_ptr_null(cfg.telemetry_path);
	ck_assert_uint_eq(cfg.n_listen, 0);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_default_file_used_when_present);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_inih_syntax);
	tcase_add_test(tc, test_bom_crlf);
	tcase_add_test(tc, test_flags_override_file);
	tcase_add_test(tc, test_listen_repeated);
	tcase_add_test(tc, test_meta_flags);
	tcase_add_test(tc, test_collector_matrix);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_shipped_config);
	tcase_add_test(tc, test_udev_netlink);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_procgroups_cgroup);
	tcase_add_test(tc, test_rule_sections);
	tcase_add_test(tc, test_docker);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
