/* Docker's /events stream: the bytes are what the socket delivers, split
 * into lines as api.c's ev_write does (a newline ends one, a CR before it
 * is dropped, empty lines skipped), each line through docker_parse_event
 * and, when it is a container event, into the inventory's table as the
 * events thread applies it (docker_table_event, without a re-inspection:
 * the table must cope with events for containers it never saw), then a
 * snapshot as a scrape takes one.
 *
 * Seeds: tests/fixtures/docker/events.jsonl, cut into a few streams. */
#include "config.h"

#include "hostwatch/docker.h"
#include "docker/inventory.h"

#include "fuzz_util.h"

static const char *const keys[] = {"com.docker.compose.project"};

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char procfs[1024];
	fz_path(procfs, sizeof(procfs), "proc");
	struct docker_table *t = docker_table_new(keys, 1);
	if (!t)
		return 0;
	docker_table_set_up(t, true);
	char *all = fz_cstr(data, size);
	size_t off = 0;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = (nl ? (size_t)(nl - data) : size) - off;
		/* the stream's last line without a newline is never handed on */
		if (!nl)
			break;
		char *line = all + off;
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		off = (size_t)(nl - data) + 1;
		if (!len)
			continue;
		struct docker_event e;
		if (docker_parse_event(line, &e) == 0) {
			docker_table_event(t, &e, NULL, procfs);
			docker_event_clear(&e);
		}
	}
	struct docker_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	docker_table_snapshot(t, &snap);
	docker_snapshot_free(&snap);
	docker_table_free(t);
	free(all);
	return 0;
}
