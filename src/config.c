/* Configuration: INI file (inih) + node_exporter-style flags.
 * SKELETON: defaults and free are final; config_load is being written. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/config.h"

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

void config_defaults(struct hw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen[0] = strdup(":9100");
	cfg->n_listen = 1;
	cfg->telemetry_path = strdup("/metrics");
	cfg->max_connections = 64;
	cfg->max_connections_per_ip = 16;
	cfg->connection_timeout = 10;
	cfg->procfs = strdup("/proc");
	cfg->sysfs = strdup("/sys");
	cfg->rootfs = strdup("/");
	cfg->log_level = HW_LOG_INFO;
	for (unsigned i = 0; i < hw_collectors_count; i++)
		cfg->enabled[i] = hw_collectors[i]->enabled_by_default;
	cfg->cpu_guest = true;
	cfg->fs_mount_points_exclude = strdup(DEF_FS_MOUNT_POINTS_EXCLUDE);
	cfg->fs_fs_types_exclude = strdup(DEF_FS_TYPES_EXCLUDE);
	cfg->fs_mount_timeout = 5.0;
	cfg->diskstats_device_exclude = strdup(DEF_DISKSTATS_DEVICE_EXCLUDE);
	cfg->netdev_device_exclude = strdup(DEF_NETDEV_DEVICE_EXCLUDE);
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
	free(cfg->fs_mount_points_exclude);
	free(cfg->fs_fs_types_exclude);
	free(cfg->diskstats_device_include);
	free(cfg->diskstats_device_exclude);
	free(cfg->netdev_device_include);
	free(cfg->netdev_device_exclude);
	memset(cfg, 0, sizeof(*cfg));
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* Minimal flag handling until the full parser lands. */
int config_load(struct hw_config *cfg, struct hw_cli *cli, int argc,
		char **argv, FILE *err)
{
	config_defaults(cfg);
	memset(cli, 0, sizeof(*cli));
	bool listen_seen = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		const char *v = eq ? eq + 1 : "";
		if (strncmp(a, "--path.procfs=", 14) == 0)
			set_str(&cfg->procfs, v);
		else if (strncmp(a, "--path.sysfs=", 13) == 0)
			set_str(&cfg->sysfs, v);
		else if (strncmp(a, "--path.rootfs=", 14) == 0)
			set_str(&cfg->rootfs, v);
		else if (strncmp(a, "--web.listen-address=", 21) == 0) {
			if (!listen_seen) {
				for (unsigned j = 0; j < cfg->n_listen; j++)
					free(cfg->listen[j]);
				cfg->n_listen = 0;
				listen_seen = true;
			}
			cfg->listen[cfg->n_listen++] = strdup(v);
		} else if (strcmp(a, "--collector.disable-defaults") == 0) {
			memset(cfg->enabled, 0, sizeof(cfg->enabled));
		} else if (strncmp(a, "--collector.", 12) == 0 &&
			   collector_index(a + 12) >= 0) {
			cfg->enabled[collector_index(a + 12)] = true;
		} else if (strncmp(a, "--no-collector.", 15) == 0 &&
			   collector_index(a + 15) >= 0) {
			cfg->enabled[collector_index(a + 15)] = false;
		} else if (strncmp(a, "--config.file=", 14) == 0) {
			set_str(&cfg->file, v);
		} else {
			fprintf(err, "flag %s: unknown flag\n", a);
			return -EINVAL;
		}
	}
	return 0;
}

void config_usage(FILE *out)
{
	fputs("usage: hostwatch [flags]\n", out);
}
