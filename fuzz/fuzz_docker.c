/* Docker Engine API answers, through the parsers the inventory thread runs
 * on them (src/docker/parse.c), then into the inventory's table the way
 * the thread feeds it: the first byte picks GET /version, an error's
 * {"message"}, GET /containers/json or GET /containers/{id}/json, the rest
 * is the body. An inspection that parses is synced into a table and
 * snapshotted, as a scrape copies it, so a hostile container's name,
 * image and labels go through everything up to the collectors' copy.
 *
 * Seeds: tests/fixtures/docker/ (version, list, inspect_*). */
#include "config.h"

#include "hostwatch/docker.h"
#include "docker/inventory.h"

#include "fuzz_util.h"

/* What docker_labels names by default, and one more. */
static const char *const keys[] = {
	"com.docker.compose.project",
	"com.docker.compose.service",
	"maintainer",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

FZ_QUIET_INITIALIZE

static void table(const struct docker_container *c)
{
	char procfs[1024];
	/* /proc/PID/cgroup of a running one is read there: nothing is */
	fz_path(procfs, sizeof(procfs), "proc");
	struct docker_table *t = docker_table_new(keys, NKEYS);
	if (!t)
		return;
	docker_table_sync(t, c, 1, true, 0, procfs);
	struct docker_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	docker_table_snapshot(t, &snap);
	docker_snapshot_free(&snap);
	docker_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *json = fz_cstr(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0: {
		struct docker_version v;
		docker_parse_version(json, &v);
		break;
	}
	case 1: {
		char msg[256];
		docker_parse_message(json, msg, sizeof(msg));
		break;
	}
	case 2: {
		char (*ids)[DOCKER_ID_LEN + 1] = NULL;
		size_t n = 0;
		docker_parse_list(json, &ids, &n);
		free(ids);
		break;
	}
	case 3: {
		struct docker_container c;
		memset(&c, 0, sizeof(c));
		if (docker_parse_inspect(json, keys, NKEYS, &c) == 0) {
			table(&c);
			docker_container_clear(&c);
		}
		break;
	}
	}
	free(json);
	return 0;
}
