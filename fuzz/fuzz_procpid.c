/* The per-process files of /proc/PID that the process_groups and docker
 * collectors parse: stat, status, cmdline and cgroup. The collectors read
 * each into a NUL-terminated buffer (pg_read_bounded, readfile) and hand it
 * to these functions; the first byte picks one, the rest is the file.
 *
 * Seeds: fuzz/corpus/fuzz_procpid/<selector>-<file>. */
#include "config.h"

#include "collectors/procgroups.h"
#include "docker/inventory.h"

#include "fuzz_util.h"

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0] % 5;
	/* as pg_read_bounded leaves it: the bytes, then a NUL */
	char *s = fz_cstr(data + 1, size - 1);
	size_t len = size - 1;
	switch (sel) {
	case 0: { /* /proc/PID/stat */
		struct pg_stat st;
		if (pg_parse_stat(s, &st) == 0 &&
		    strnlen(st.comm, sizeof(st.comm)) >= sizeof(st.comm))
			abort(); /* comm must come back NUL-terminated */
		break;
	}
	case 1: { /* /proc/PID/status */
		uint64_t kb;
		unsigned uid;
		pg_parse_status_swap(s, &kb);
		pg_parse_status_euid(s, &uid);
		break;
	}
	case 2: /* /proc/PID/cmdline: NULs are its separators */
		memcpy(s, data + 1, len);
		pg_cmdline_join(s, len);
		break;
	case 3: /* /proc/PID/cgroup, for process_groups' cgroup= */
		pg_cgroup_path(s);
		break;
	case 4: { /* /proc/PID/cgroup, for a container's cgroups */
		struct docker_entry e;
		memset(&e, 0, sizeof(e));
		docker_parse_proc_cgroup(s, &e);
		for (int h = 0; h < CGROUP_H_COUNT; h++)
			free(e.cgroup[h]);
		break;
	}
	}
	free(s);
	return 0;
}
