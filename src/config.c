/* Configuration: the INI file (inih) merged with node_exporter-style flags.
 *
 * One table, `opts`, names every setting once: its [section] and key, its
 * flag, its type and where it lives in struct hw_config. The INI handler and
 * the flag parser both look settings up there and both go through
 * config_opt_apply(), so a value is checked the same way whichever way it came.
 *
 * Everything a load needs lives in a struct load on config_load's stack:
 * nothing is global, so a SIGHUP reload is just another call into a fresh
 * struct hw_config. Only the first error is reported; on any error the
 * struct is freed and config_load returns -EINVAL.
 *
 * This file holds the table, the defaults, the value checks and config_load,
 * which puts the sources together. config_ini.c reads the file,
 * config_flags.c the command line (and writes --help), config_listen.c checks
 * and collects listen addresses; config_internal.h is what they share. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostwatch/buf.h"
#include "hostwatch/collector.h"
#include "hostwatch/config.h"
#include "hostwatch/regex.h"

#include "config_internal.h"

/* node_exporter 1.5's defaults as Debian builds them (see
 * `prometheus-node-exporter --help`): the same exclusions give the same
 * series, which is what makes us a drop-in. */
#define DEF_FS_MOUNT_POINTS_EXCLUDE                                            \
	"^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/" \
	"storage/.+)($|/)"
#define DEF_FS_TYPES_EXCLUDE                                                   \
	"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|"  \
	"fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|"    \
	"rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$"
#define DEF_DISKSTATS_DEVICE_EXCLUDE                                           \
	"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$"
#define DEF_NETDEV_DEVICE_EXCLUDE "^lo$"
/* What cAdvisor shows for a systemd host: the root, its slices and services;
 * not every session scope, nor Docker's scopes (the docker collector's). */
#define DEF_CGROUP_INCLUDE "^/$|\\.(slice|service)$"
/* node_exporter 1.5 as Debian builds it: upstream's list plus "target"
 * (`prometheus-node-exporter --help`), so --collector.systemd gives the
 * same units on both. */
#define DEF_SYSTEMD_UNIT_EXCLUDE ".+\\.(automount|device|mount|scope|slice|target)"

/* Not const: the unit tests, which #include this file, point it elsewhere. */
static const char *config_default_file = CONFIG_DEFAULT_FILE;

void config_defaults(struct hw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen[0] = strdup(":9100");
	cfg->n_listen = 1;
	cfg->telemetry_path = strdup("/metrics");
	/* Enough that idle connections from many addresses (a slowloris)
	 * cannot lock scrapers out; one address gets max_connections_per_ip. */
	cfg->max_connections = 4096;
	cfg->max_connections_per_ip = 16;
	cfg->connection_timeout = 10;
	cfg->procfs = strdup("/proc");
	cfg->sysfs = strdup("/sys");
	cfg->rootfs = strdup("/");
	cfg->udev_data = strdup("/run/udev/data");
	cfg->log_level = HW_LOG_INFO;
	for (unsigned i = 0; i < hw_collectors_count; i++)
		cfg->enabled[i] = hw_collectors[i]->enabled_by_default;
	cfg->cpu_guest = true;
	cfg->fs_mount_points_exclude = strdup(DEF_FS_MOUNT_POINTS_EXCLUDE);
	cfg->fs_fs_types_exclude = strdup(DEF_FS_TYPES_EXCLUDE);
	cfg->fs_mount_timeout = 5.0;
	cfg->diskstats_device_exclude = strdup(DEF_DISKSTATS_DEVICE_EXCLUDE);
	cfg->netdev_device_exclude = strdup(DEF_NETDEV_DEVICE_EXCLUDE);
	cfg->netdev_netlink = true;
	cfg->cgroup_root = strdup("/");
	cfg->cgroup_max_depth = 3;
	cfg->cgroup_include = strdup(DEF_CGROUP_INCLUDE);
	cfg->docker_socket = strdup("/var/run/docker.sock");
	cfg->docker_labels =
		strdup("com.docker.compose.project,com.docker.compose.service");
	cfg->systemd_unit_include = strdup(".+");
	cfg->systemd_unit_exclude = strdup(DEF_SYSTEMD_UNIT_EXCLUDE);
	cfg->systemd_restarts = true;
	cfg->systemd_private_socket = strdup("/run/systemd/private");
	cfg->state_dir = strdup("/var/lib/hostwatch");
	cfg->rules_interval = 10.0;
	cfg->rules_defaults = true;
	cfg->rules_defaults_file = strdup(CONFIG_DEFAULT_RULES_FILE);
	cfg->rules_max_series = 50000;
	config_notify_defaults(cfg);
}

void config_free(struct hw_config *cfg)
{
	free(cfg->file);
	for (unsigned i = 0; i < cfg->n_listen; i++)
		free(cfg->listen[i]);
	free(cfg->telemetry_path);
	free(cfg->procfs);
	free(cfg->sysfs);
	free(cfg->rootfs);
	free(cfg->udev_data);
	free(cfg->fs_mount_points_exclude);
	free(cfg->fs_fs_types_exclude);
	free(cfg->diskstats_device_include);
	free(cfg->diskstats_device_exclude);
	free(cfg->netdev_device_include);
	free(cfg->netdev_device_exclude);
	free(cfg->cgroupfs);
	free(cfg->cgroup_root);
	free(cfg->cgroup_include);
	free(cfg->cgroup_exclude);
	free(cfg->docker_socket);
	free(cfg->docker_labels);
	free(cfg->systemd_unit_include);
	free(cfg->systemd_unit_exclude);
	free(cfg->systemd_private_socket);
	free(cfg->state_dir);
	free(cfg->rules_files);
	free(cfg->rules_defaults_file);
	rule_set_def_free(&cfg->rules);
	config_procgroups_free(cfg);
	config_notify_free(cfg);
	config_access_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- the table ---------------------------------------------------------- */

#define F(field) offsetof(struct hw_config, field)

static const struct opt opts[] = {
	{"server", "listen", "web.listen-address", OPT_LISTEN, F(listen), 0, 0,
	 "Addresses on which to expose metrics and web interface. Repeatable "
	 "for multiple addresses."},
	{"server", "telemetry_path", "web.telemetry-path", OPT_URLPATH,
	 F(telemetry_path), 0, 0, "Path under which to expose metrics."},
	{"server", "max_connections", "web.max-connections", OPT_UINT,
	 F(max_connections), 1, 100000,
	 "Maximum number of simultaneous connections."},
	{"server", "max_connections_per_ip", "web.max-connections-per-ip",
	 OPT_UINT, F(max_connections_per_ip), 1, 100000,
	 "Maximum number of simultaneous connections from one client address."},
	{"server", "connection_timeout", "web.connection-timeout", OPT_SECONDS,
	 F(connection_timeout), 1, 3600,
	 "Close a connection after this long without activity."},
	{"server", "systemd_socket", "web.systemd-socket", OPT_BOOL,
	 F(systemd_socket), 0, 0,
	 "Use systemd socket activation listeners instead of port listeners."},
	/* Access control (config_access.c), as exporter-toolkit's web
	 * configuration names it; node_exporter has no flags for these, so
	 * the flags are ours. */
	{"server", "tls_cert_file", "web.tls-cert-file", OPT_PATH,
	 F(tls_cert_file), 0, 0,
	 "PEM certificate (chain) for HTTPS; with --web.tls-key-file, every "
	 "listener serves HTTPS only. Re-read on SIGHUP."},
	{"server", "tls_key_file", "web.tls-key-file", OPT_PATH,
	 F(tls_key_file), 0, 0,
	 "PEM private key of --web.tls-cert-file. Re-read on SIGHUP."},
	{"server", "tls_min_version", "web.tls-min-version", OPT_ACCESS,
	 F(tls_min_version), 0, 0,
	 "Oldest TLS version accepted: TLS12 or TLS13."},
	{"server", "tls_client_ca_file", "web.tls-client-ca-file", OPT_PATH,
	 F(tls_client_ca_file), 0, 0,
	 "PEM CA certificates client certificates are verified against."},
	{"server", "tls_client_auth", "web.tls-client-auth", OPT_ACCESS,
	 F(tls_client_auth), 0, 0,
	 "Client certificate policy: NoClientCert, RequestClientCert, "
	 "RequireAnyClientCert, VerifyClientCertIfGiven or "
	 "RequireAndVerifyClientCert."},
	{"server", "basic_auth_user", "web.basic-auth-user", OPT_ACCESS,
	 F(basic_auth_users), 0, 0,
	 "A user allowed in by HTTP basic auth, \"NAME BCRYPT-HASH\" (as "
	 "htpasswd -B makes). Repeatable."},
	{"server", "allow", "web.allow", OPT_ACCESS, F(allow), 0, 0,
	 "Client networks (CIDR, IPv4 and IPv6) allowed to connect, "
	 "separated by commas; repeatable. Default: everyone."},
	{"paths", "procfs", "path.procfs", OPT_PATH, F(procfs), 0, 0,
	 "procfs mountpoint."},
	{"paths", "sysfs", "path.sysfs", OPT_PATH, F(sysfs), 0, 0,
	 "sysfs mountpoint."},
	{"paths", "rootfs", "path.rootfs", OPT_PATH, F(rootfs), 0, 0,
	 "rootfs mountpoint."},
	{"paths", "cgroupfs", "path.cgroupfs", OPT_PATH, F(cgroupfs), 0, 0,
	 "cgroup mount point: the unified hierarchy, or the directory holding "
	 "one per controller (v1). Default: where libcgroup finds them."},
	{"paths", "udev_data", "path.udev.data", OPT_PATH, F(udev_data), 0, 0,
	 "udev data path."},
	{"paths", "state_directory", "path.state-directory", OPT_PATH,
	 F(state_dir), 0, 0,
	 "Where alert states are kept across restarts."},
	{"log", "level", "log.level", OPT_LOGLEVEL, F(log_level), 0, 0,
	 "Only log messages with the given severity or above. One of: "
	 "[debug, info, warn, error]"},
	{"collectors", "disable_defaults", "collector.disable-defaults",
	 OPT_DISABLE_DEFAULTS, 0, 0, 0,
	 "Set all collectors to disabled by default."},
	{"cpu", "guest", "collector.cpu.guest", OPT_BOOL, F(cpu_guest), 0, 0,
	 "Enables metric node_cpu_guest_seconds_total."},
	{"filesystem", "mount_points_exclude",
	 "collector.filesystem.mount-points-exclude", OPT_REGEX,
	 F(fs_mount_points_exclude), 0, 0,
	 "Regexp of mount points to exclude for filesystem collector."},
	{"filesystem", "fs_types_exclude",
	 "collector.filesystem.fs-types-exclude", OPT_REGEX,
	 F(fs_fs_types_exclude), 0, 0,
	 "Regexp of filesystem types to exclude for filesystem collector."},
	{"filesystem", "mount_timeout", "collector.filesystem.mount-timeout",
	 OPT_DURATION, F(fs_mount_timeout), 0.001, 3600,
	 "How long to wait for a mount to respond before marking it as stale."},
	{"diskstats", "device_include", "collector.diskstats.device-include",
	 OPT_REGEX, F(diskstats_device_include), 0, 0,
	 "Regexp of diskstats devices to include (mutually exclusive to "
	 "device-exclude)."},
	{"diskstats", "device_exclude", "collector.diskstats.device-exclude",
	 OPT_REGEX, F(diskstats_device_exclude), 0, 0,
	 "Regexp of diskstats devices to exclude (mutually exclusive to "
	 "device-include)."},
	{"netdev", "device_include", "collector.netdev.device-include",
	 OPT_REGEX, F(netdev_device_include), 0, 0,
	 "Regexp of net devices to include (mutually exclusive to "
	 "device-exclude)."},
	{"netdev", "device_exclude", "collector.netdev.device-exclude",
	 OPT_REGEX, F(netdev_device_exclude), 0, 0,
	 "Regexp of net devices to exclude (mutually exclusive to "
	 "device-include)."},
	{"netdev", "netlink", "collector.netdev.netlink", OPT_BOOL,
	 F(netdev_netlink), 0, 0,
	 "Use netlink to gather stats instead of /proc/net/dev."},
	{"cgroup", "root", "collector.cgroup.root", OPT_PATH, F(cgroup_root), 0,
	 0, "cgroup (path inside the hierarchy) where the walk starts."},
	{"cgroup", "max_depth", "collector.cgroup.max-depth", OPT_UINT,
	 F(cgroup_max_depth), 0, 64,
	 "How many levels below the root cgroup are walked."},
	{"cgroup", "include", "collector.cgroup.include", OPT_REGEX,
	 F(cgroup_include), 0, 0,
	 "Regexp of cgroup paths to publish (empty: all walked)."},
	{"cgroup", "exclude", "collector.cgroup.exclude", OPT_REGEX,
	 F(cgroup_exclude), 0, 0, "Regexp of cgroup paths not to publish."},
	{"docker", "socket", "collector.docker.socket", OPT_PATH,
	 F(docker_socket), 0, 0,
	 "Unix socket of the Docker (or Podman) Engine API."},
	{"docker", "labels", "collector.docker.labels", OPT_LABELKEYS,
	 F(docker_labels), 0, 0,
	 "Container label keys published as container_label_<key> labels, "
	 "separated by commas (empty: none). Never all labels."},
	{"systemd", "unit_include", "collector.systemd.unit-include", OPT_REGEX,
	 F(systemd_unit_include), 0, 0,
	 "Regexp of systemd units to include. Units must both match include "
	 "and not match exclude to be included."},
	{"systemd", "unit_exclude", "collector.systemd.unit-exclude", OPT_REGEX,
	 F(systemd_unit_exclude), 0, 0,
	 "Regexp of systemd units to exclude. Units must both match include "
	 "and not match exclude to be included."},
	{"systemd", "enable_restarts_metrics",
	 "collector.systemd.enable-restarts-metrics", OPT_BOOL,
	 F(systemd_restarts), 0, 0,
	 "Enables service unit metric service_restart_total."},
	{"systemd", "private_socket", "collector.systemd.private-socket",
	 OPT_PATH, F(systemd_private_socket), 0, 0,
	 "systemd's private socket, tried before the system bus when running "
	 "as root."},
	{"rules", "evaluation_interval", "rules.evaluation-interval",
	 OPT_DURATION, F(rules_interval), 1, 3600,
	 "How often rules are evaluated (and their series sampled)."},
	{"rules", "files", "rules.files", OPT_FILES, F(rules_files), 0, 0,
	 "Prometheus rule files (globs allowed), separated by commas; "
	 "relative to the configuration file's directory."},
	{"rules", "defaults", "rules.defaults", OPT_BOOL, F(rules_defaults), 0,
	 0, "Evaluate the default rules shipped with hostwatch."},
	{"rules", "defaults_file", "rules.defaults-file", OPT_PATH,
	 F(rules_defaults_file), 0, 0, "The default rules' file."},
	{"rules", "max_series", "rules.max-series", OPT_UINT,
	 F(rules_max_series), 100, 10000000,
	 "At most this many series are kept for rules; more are dropped "
	 "(hostwatch_rule_series_dropped_total)."},
	{"notify", "external_labels", "notify.external-labels", OPT_LABELS,
	 F(external_labels), 0, 0,
	 "Labels added to every alert sent, name=value separated by commas "
	 "(as Prometheus's external_labels)."},
	{"notify", "external_url", "notify.external-url", OPT_URL,
	 F(external_url), 0, 0,
	 "The URL notifications link to (generatorURL, externalURL). "
	 "Default: http://<hostname>:<first listen port>."},
	{"notify", "resend_delay", "notify.resend-delay", OPT_DURATION,
	 F(resend_delay), 1, 3600,
	 "Minimum wait before an alert still firing is sent again (as "
	 "Prometheus's --rules.alert.resend-delay)."},
	{"notify", "journal", "notify.journal", OPT_BOOL, F(journal), 0, 0,
	 "Write alert transitions to the systemd journal."},
	{"notify", "journal_repeat_interval", "notify.journal-repeat-interval",
	 OPT_DURATION, F(journal_repeat_interval), 0, 604800,
	 "Repeat the journal entry of an alert still firing this often (0: "
	 "never)."},
	{"notify", "retry_initial_interval", "notify.retry-initial-interval",
	 OPT_DURATION, F(retry_initial), 0.01, 3600,
	 "Longest wait before the first retry of a failed delivery."},
	{"notify", "retry_max_interval", "notify.retry-max-interval",
	 OPT_DURATION, F(retry_max), 0.01, 86400,
	 "Longest wait between retries (the backoff's ceiling)."},
	{"notify", "spool_max_size", "notify.spool-max-size", OPT_BYTES,
	 F(spool_max_bytes), 1024, 1099511627776.0,
	 "Most bytes of undelivered notifications kept per channel; the "
	 "oldest go first."},
	{"notify", "spool_max_age", "notify.spool-max-age", OPT_DURATION,
	 F(spool_max_age), 1, 30 * 86400,
	 "Undelivered notifications older than this are dropped."},
	{"collectors", NULL, "collector.", OPT_COLLECTOR, 0, 0, 0, NULL},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* The table keeps its short static name, which the unit tests (they #include
 * this file) use too; the other config_*.c files see it as config_opts. */
_Static_assert(N_OPTS == CONFIG_N_OPTS, "CONFIG_N_OPTS must count opts[]");
const struct opt *const config_opts = opts;

/* include/exclude pairs that node_exporter 1.5 treats as exclusive. */
static const struct {
	size_t include, exclude;
} opt_pairs[] = {
	{F(diskstats_device_include), F(diskstats_device_exclude)},
	{F(netdev_device_include), F(netdev_device_exclude)},
};

/* ---- errors -------------------------------------------------------------- */

/* Report the first error only: the rest often follow from it. */
void config_load_fail(struct load *ld, const char *fmt, ...)
{
	if (ld->failed)
		return;
	ld->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(ld->err, fmt, ap);
	va_end(ap);
	fputc('\n', ld->err);
}

/* ---- value checks: each writes `why` and returns -EINVAL ---------------- */

int config_parse_bool(const char *v, bool *out, char *why, size_t whysize)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return WHY("\"%s\" is not a boolean (true/false, yes/no, on/off, 1/0)",
		   v);
}

/* Digits only: strtoul alone would take "  12", "+12" and wrap "-1". */
static int parse_uint(const char *v, double min, double max, unsigned *out,
		      char *why, size_t whysize)
{
	const char *d = v[0] == '-' ? v + 1 : v;
	bool digits = *d != '\0';
	for (const char *p = d; *p; p++)
		digits = digits && isdigit((unsigned char)*p);
	if (!digits)
		return WHY("\"%s\" is not a whole number", v);
	if (d != v)
		return WHY("\"%s\" must not be negative", v);
	errno = 0;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (errno == ERANGE || *end || n < min || n > max)
		return WHY("\"%s\" is out of range (%.0f..%.0f)", v, min, max);
	*out = (unsigned)n;
	return 0;
}

int config_parse_uint(const char *v, double min, double max, unsigned *out,
		      char *why, size_t whysize)
{
	return parse_uint(v, min, max, out, why, whysize);
}

/* Go's time.ParseDuration for the units that make sense here (h, m, s, ms),
 * as node_exporter's duration flags take; a bare number is seconds. */
static int parse_duration(const char *v, double *out)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {{"ms", 0.001}, {"h", 3600}, {"m", 60}, {"s", 1}};
	const char *p = v;
	double total = 0;
	if (!*p)
		return -EINVAL;
	while (*p) {
		const char *start = p;
		double n = 0, scale = 1;
		bool any = false;
		for (; isdigit((unsigned char)*p); p++, any = true)
			n = n * 10 + (*p - '0');
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++, any = true)
				n += (*p - '0') * (scale /= 10);
		if (!any || n > 1e9)
			return -EINVAL;
		if (!*p && start == v) {
			total = n; /* a bare number: seconds */
			break;
		}
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(p, units[i].unit, strlen(units[i].unit)) ==
			    0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		p += strlen(units[i].unit);
		total += n * units[i].secs;
	}
	*out = total;
	return 0;
}

int config_parse_duration(const char *v, double *out)
{
	return parse_duration(v, out);
}

static int check_urlpath(const char *v, char *why, size_t whysize)
{
	if (v[0] != '/')
		return WHY("\"%s\" must start with \"/\"", v);
	if (strcmp(v, "/") == 0)
		return WHY("\"/\" is the landing page; use a path like /metrics");
	/* /-/healthy, /-/ready and whatever else we add there are ours. */
	if (strncmp(v, "/-/", 3) == 0 || strcmp(v, "/-") == 0)
		return WHY("\"%s\" clashes with the built-in /-/ endpoints", v);
	size_t ok = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			      "WXYZ0123456789-._~!$&'()*+,;=:@/");
	if (v[ok])
		return WHY("\"%s\": '%c' is not allowed in a URL path", v,
			   v[ok]);
	return 0;
}

/* Docker label keys, "a.b, c/d": each non-empty, at most 128 bytes of
 * [A-Za-z0-9._/-] (what Docker's reverse-DNS keys use; the metric label is
 * container_label_ + the key with every other character made '_', as
 * cAdvisor names it), no key twice, at most CONFIG_LABEL_KEYS keys.
 * Written to dst without the blanks. */
static int check_label_keys(const char *v, char *dst, size_t size, char *why,
			    size_t whysize)
{
	size_t n = 0, len = 0;
	dst[0] = '\0';
	const char *p = v;
	for (;;) {
		p += strspn(p, " \t");
		size_t k = strcspn(p, ", \t");
		const char *key = p;
		p += k;
		p += strspn(p, " \t");
		if (*p && *p != ',')
			return WHY("\"%s\": keys are separated by commas", v);
		if (k == 0) {
			if (!*p && n == 0)
				return 0; /* empty: none */
			return WHY("\"%s\": an empty label key", v);
		}
		if (k > 128)
			return WHY("\"%.*s...\": a label key longer than 128 "
				   "bytes", 32, key);
		size_t ok = strspn(key, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-");
		if (ok < k)
			return WHY("\"%.*s\": '%c' is not allowed in a label key",
				   (int)k, key, key[ok]);
		for (const char *q = dst; *q;) {
			size_t ql = strcspn(q, ",");
			if (ql == k && memcmp(q, key, k) == 0)
				return WHY("\"%.*s\" is listed twice", (int)k,
					   key);
			q += ql + (q[ql] == ',');
		}
		if (++n > CONFIG_LABEL_KEYS || len + k + 1 >= size)
			return WHY("more than %d label keys", CONFIG_LABEL_KEYS);
		if (len)
			dst[len++] = ',';
		memcpy(dst + len, key, k);
		len += k;
		dst[len] = '\0';
		if (!*p)
			return 0;
		p++; /* the comma */
	}
}

int config_check_regex(const char *v, char *why, size_t whysize)
{
	struct hw_regex re;
	char rerr[200];
	if (hw_regex_compile(&re, v, rerr, sizeof(rerr)) < 0)
		return WHY("\"%s\" is not a valid regular expression: %s", v,
			   rerr);
	hw_regex_free(&re);
	return 0;
}

int config_set_string(char **dst, const char *v)
{
	char *s = NULL;
	if (v && !(s = strdup(v)))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* [rules] files: names or globs separated by commas, none empty. */
int config_check_files(const char *v, char *why, size_t whysize)
{
	for (const char *p = v; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t lead = strspn(p, " \t");
		if (lead == n && (end || p != v))
			return WHY("an empty file name between commas");
		p += n + (end != NULL);
	}
	return 0;
}

/* Check `v` for option `o` (collector index `ci` for OPT_COLLECTOR) and store
 * it. Both the INI handler and the flag parser land here. */
int config_opt_apply(struct load *ld, const struct opt *o, int ci,
		     bool from_flag, const char *v, char *why, size_t whysize)
{
	void *field = (char *)ld->cfg + o->off;
	unsigned u;
	double d;
	bool b;
	enum hw_log_level lvl;
	char label_keys[CONFIG_LABEL_KEYS_MAX + 1];
	int rc;

	switch (o->type) {
	case OPT_LISTEN:
		return config_listen_apply(ld, from_flag, v, why, whysize);
	case OPT_URLPATH:
		if ((rc = check_urlpath(v, why, whysize)) < 0)
			return rc;
		break;
	case OPT_PATH:
		if (v[0] != '/')
			return WHY("\"%s\" is not an absolute path", v);
		break;
	case OPT_UINT:
		if ((rc = parse_uint(v, o->min, o->max, &u, why, whysize)) < 0)
			return rc;
		*(unsigned *)field = u;
		return 0;
	case OPT_SECONDS:
	case OPT_DURATION:
		if (parse_duration(v, &d) < 0)
			return WHY("\"%s\" is not a duration (like 10s, 1m30s, "
				   "500ms)",
				   v);
		if (d < o->min || d > o->max)
			return WHY("\"%s\" is out of range (%gs..%gs)", v,
				   o->min, o->max);
		if (o->type == OPT_DURATION) {
			*(double *)field = d;
			return 0;
		}
		if (d != (unsigned)d)
			return WHY("\"%s\" is not a whole number of seconds", v);
		*(unsigned *)field = (unsigned)d;
		return 0;
	case OPT_BOOL:
	case OPT_DISABLE_DEFAULTS:
	case OPT_COLLECTOR:
		if ((rc = config_parse_bool(v, &b, why, whysize)) < 0)
			return rc;
		if (o->type == OPT_BOOL)
			*(bool *)field = b;
		else if (o->type == OPT_DISABLE_DEFAULTS)
			*(from_flag ? &ld->dd_flag : &ld->dd_file) = b;
		else
			(from_flag ? ld->coll_flag : ld->coll_file)[ci] = b;
		return 0;
	case OPT_LOGLEVEL:
		if (log_parse_level(v, &lvl) < 0)
			return WHY("\"%s\" is not a log level (debug, info, warn, "
				   "error)",
				   v);
		*(enum hw_log_level *)field = lvl;
		return 0;
	case OPT_LABELKEYS:
		if ((rc = check_label_keys(v, label_keys, sizeof(label_keys),
					   why, whysize)) < 0)
			return rc;
		v = label_keys[0] ? label_keys : NULL;
		break;
	case OPT_FILES:
		if ((rc = config_check_files(v, why, whysize)) < 0)
			return rc;
		if (!*v)
			v = NULL;
		break;
	case OPT_LABELS:
	case OPT_URL:
	case OPT_BYTES:
		return config_notify_apply(ld, o, v, why, whysize);
	case OPT_ACCESS:
		return config_access_apply(ld, o, from_flag, v, why, whysize);
	case OPT_REGEX:
		if (!*v) {
			v = NULL; /* no filter */
			break;
		}
		/* From the file, continuation lines may follow: checked by
		 * ini_flush_pending once the value is complete. */
		if (from_flag && (rc = config_check_regex(v, why, whysize)) < 0)
			return rc;
		break;
	}
	if (config_set_string(field, v) < 0)
		return WHY("out of memory");
	return 0;
}

/* ---- putting it together ---------------------------------------------------- */

static void resolve_collectors(struct load *ld)
{
	int dd = ld->dd_flag != UNSET ? ld->dd_flag : ld->dd_file;
	for (unsigned i = 0; i < hw_collectors_count; i++) {
		int v = ld->coll_flag[i] != UNSET ? ld->coll_flag[i]
						  : ld->coll_file[i];
		if (v != UNSET)
			ld->cfg->enabled[i] = v;
		else if (dd == 1)
			ld->cfg->enabled[i] = false;
		else
			ld->cfg->enabled[i] = hw_collectors[i]->enabled_by_default;
	}
}

static size_t opt_by_off(size_t off)
{
	size_t i = 0;
	while (i < N_OPTS - 1 && opts[i].off != off)
		i++;
	return i;
}

/* node_exporter 1.5 (collector/diskstats_common.go, netdev_common.go): an
 * include pattern replaces the default exclude, and giving both is an
 * error. */
static int resolve_filters(struct load *ld)
{
	for (size_t i = 0; i < sizeof(opt_pairs) / sizeof(opt_pairs[0]); i++) {
		size_t in = opt_by_off(opt_pairs[i].include);
		size_t ex = opt_by_off(opt_pairs[i].exclude);
		char **inc = (char **)((char *)ld->cfg + opts[in].off);
		char **exc = (char **)((char *)ld->cfg + opts[ex].off);
		const struct origin *w = &ld->origin[in];
		if (!*inc)
			continue;
		if (!ld->origin[ex].set) {
			config_set_string(exc, NULL);
			continue;
		}
		if (!*exc)
			continue;
		if (w->line)
			config_load_fail(
				ld,
				"%s:%u: [%s] %s: cannot be combined with %s",
				ld->path, w->line, opts[in].section,
				opts[in].key, opts[ex].key);
		else
			config_load_fail(
				ld, "flag --%.*s: cannot be combined with --%s",
				w->flaglen, w->flag, opts[ex].flag);
		return -EINVAL;
	}
	return 0;
}

int config_load(struct hw_config *cfg, struct hw_cli *cli, int argc,
		char **argv, FILE *err)
{
	struct load ld;
	struct flag_meta meta = {NULL};
	struct flag_item *items = NULL;
	size_t nitems = 0;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ld.err = err;
	ld.text = (struct hw_buf)HW_BUF_INIT;
	memset(ld.coll_file, UNSET, sizeof(ld.coll_file));
	memset(ld.coll_flag, UNSET, sizeof(ld.coll_flag));
	ld.dd_file = ld.dd_flag = UNSET;
	memset(cli, 0, sizeof(*cli));
	config_defaults(cfg);

	items = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*items));
	if (!items || !cfg->listen[0] || !cfg->telemetry_path || !cfg->procfs ||
	    !cfg->sysfs || !cfg->rootfs || !cfg->udev_data ||
	    !cfg->fs_mount_points_exclude ||
	    !cfg->fs_fs_types_exclude || !cfg->diskstats_device_exclude ||
	    !cfg->netdev_device_exclude || !cfg->cgroup_root ||
	    !cfg->cgroup_include || !cfg->docker_socket || !cfg->docker_labels ||
	    !cfg->systemd_unit_include || !cfg->systemd_unit_exclude ||
	    !cfg->systemd_private_socket ||
	    !cfg->state_dir || !cfg->rules_defaults_file ||
	    !cfg->external_labels) {
		rc = -ENOMEM;
		goto out;
	}
	rc = config_flags_scan(&ld, cli, argc, argv, items, &nitems, &meta);
	if (rc < 0 || cli->help || cli->version)
		goto out;

	/* An empty --config.file= means: no file, not even the default. */
	if (meta.config_file)
		rc = *meta.config_file
			     ? config_ini_load(&ld, meta.config_file, true)
			     : 0;
	else
		rc = config_ini_load(&ld, config_default_file, false);
	if (rc < 0)
		goto out;

	rc = config_flags_apply(&ld, items, nitems);
	if (rc < 0)
		goto out;
	resolve_collectors(&ld);
	rc = resolve_filters(&ld);
	if (rc == 0)
		rc = config_rules_finish(&ld);
	if (rc == 0)
		rc = config_notify_finish(&ld);
	if (rc == 0)
		rc = config_access_finish(&ld);
out:
	if (rc == -ENOMEM)
		config_load_fail(&ld, "configuration: out of memory");
	config_channels_load_done(&ld);
	buf_free(&ld.text);
	free(items);
	if (rc < 0)
		config_free(cfg);
	return rc;
}
