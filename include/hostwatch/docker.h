/* Docker (and Podman's Docker-compatible) Engine API: the client, the JSON
 * it answers with, and the container inventory that a thread of its own
 * keeps from them. The scrape path only ever reads the inventory: it makes
 * no API call (README, Docker).
 *
 *   src/docker/api.c        libcurl over the Unix socket, version
 *                           negotiation, GETs and the /events stream
 *   src/docker/parse.c      jansson: /version, /containers/json,
 *                           /containers/{id}/json, one /events line
 *   src/docker/inventory.c  the thread and the table it keeps */
#ifndef HOSTWATCH_DOCKER_H
#define HOSTWATCH_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"

/* The newest API version this code was written against; a daemon that
 * speaks an older one is used at its own version. */
#define DOCKER_API_MAX "1.43"
/* [docker] labels keys at most (config.c checks it). */
#define DOCKER_LABEL_KEYS_MAX 16
/* Container IDs: 64 hex digits. */
#define DOCKER_ID_LEN 64

/* ---- the client (api.c) ------------------------------------------------- */

struct docker_api;

/* A client for the daemon at socket_path (an absolute path of a Unix
 * socket). Every request but the events stream times out after
 * timeout_ms. NULL when out of memory. Connects nothing yet. */
struct docker_api *docker_api_new(const char *socket_path, long timeout_ms);
void docker_api_free(struct docker_api *a);

/* GET /version (unversioned, as every client's first call), and settle
 * the version every later request is made with: the daemon's ApiVersion
 * ("1.24" when it names none, as moby's client assumes), at most
 * DOCKER_API_MAX, and never below its MinAPIVersion (a daemon that
 * refuses old clients must still be spoken to); compared as numbers,
 * "1.9" < "1.41". 0, or -errno with a one-line reason in err (as
 * docker_api_get; -EIO for an HTTP error status, -EPROTO for a malformed
 * answer). On failure the version is "" again. */
int docker_api_negotiate(struct docker_api *a, char *err, size_t errlen);
/* "1.41": the negotiated version ("" before docker_api_negotiate). */
const char *docker_api_version(const struct docker_api *a);
/* The engine's name and version from /version ("Docker Engine 20.10.24",
 * "Podman Engine 4.3.1"), for the log. */
const char *docker_api_engine(const struct docker_api *a);

/* GET /v<version><path> into out (replaced, NUL-terminated; unversioned
 * before docker_api_negotiate). Returns the HTTP status (200, 404, ...;
 * from 400 on, err holds the daemon's message) or -errno (-ECONNREFUSED,
 * -ENOENT for a missing socket, -EACCES, -ETIMEDOUT, -EFBIG for an answer
 * over 64 MB, -EINVAL for a path that is not plain "/...", -ENOSYS when
 * libcurl cannot be loaded, -EIO for anything else), err saying why.
 * libcurl is dlopen()ed by the first request of the process, not linked. */
int docker_api_get(struct docker_api *a, const char *path,
		   struct hw_buf *out, char *err, size_t errlen);

/* Follow GET /v<version>/events?filters={"type":["container"]} (plus
 * since=<since> when since > 0, so that nothing between a list and the
 * stream is lost) on a connection of its own, without a timeout, calling
 * on_event for every complete non-empty JSON line (NUL-terminated, no
 * newline; on the calling thread). on_event returning nonzero, or *stop
 * becoming true (checked at least every 250 ms, also while no event
 * comes), ends it. Returns 0 when it was stopped (by *stop or on_event),
 * or -errno when the connection failed (as docker_api_get), the daemon
 * closed it (-ECONNRESET: dockerd stopped; a partial last line is
 * dropped), answered an HTTP error (-EIO), or sent a line over 1 MB
 * (-EMSGSIZE); err saying why. */
int docker_api_events(struct docker_api *a, int64_t since,
		      int (*on_event)(void *arg, const char *json, size_t len),
		      void *arg, const volatile bool *stop, char *err,
		      size_t errlen);

/* Requests made so far (every GET, every events connection): the bench
 * checks that scrapes add none. Thread-safe to read. */
uint64_t docker_api_requests(const struct docker_api *a);

/* ---- what the daemon answers (parse.c) ---------------------------------- */

enum docker_state {
	DOCKER_S_CREATED,
	DOCKER_S_RUNNING,
	DOCKER_S_PAUSED,
	DOCKER_S_RESTARTING,
	DOCKER_S_EXITED,
	DOCKER_S_DEAD,
	DOCKER_S_REMOVING,
	DOCKER_S_COUNT,
};
/* "created", "running", ... as the API (and hostwatch_container_state's
 * state label) spells them. */
const char *docker_state_name(enum docker_state s);

enum docker_health {
	DOCKER_H_NONE, /* no healthcheck */
	DOCKER_H_STARTING,
	DOCKER_H_HEALTHY,
	DOCKER_H_UNHEALTHY,
};

/* GET /version: ApiVersion and MinAPIVersion ("" when absent: a daemon
 * too old to say), Version, and the engine's name ("Docker Engine" from
 * Components[].Name "Engine"; Podman says "Podman Engine"). 0 or -EINVAL. */
struct docker_version {
	char api[16], min_api[16], version[64], engine[64];
};
int docker_parse_version(const char *json, struct docker_version *v);

/* The "message" of an error answer ({"message":"No such container: x"})
 * into msg (len bytes, cut at a character boundary), for err texts. 0 or
 * -EINVAL. */
int docker_parse_message(const char *json, char *msg, size_t len);

/* GET /containers/json?all=1: the IDs, in the daemon's order, into ids
 * (malloc'ed array of DOCKER_ID_LEN+1-byte strings; *n of them; NULL
 * when there are none). 0, -EINVAL (one bad ID rejects the answer),
 * -ENOMEM. */
int docker_parse_list(const char *json, char (**ids)[DOCKER_ID_LEN + 1],
		      size_t *n);

/* GET /containers/{id}/json: what the inventory keeps of a container.
 * Strings are malloc'ed (docker_container_clear frees them). Only the
 * labels whose keys are in label_keys are kept (values[i] for
 * label_keys[i], NULL when the container has no such label): never all
 * labels, never the environment. c is overwritten (clear it first if it
 * held one); on error nothing is left to free. Strings are cut at a
 * character boundary: name at 255 bytes, image and label values at 1023.
 * Required: Id (64 lowercase hex), Name, Created, State.Status, State.Pid,
 * State.ExitCode, Config.Image; a field of the wrong type is -EINVAL. */
struct docker_container {
	char id[DOCKER_ID_LEN + 1];
	char *name;  /* Name without its leading '/' */
	char *image; /* Config.Image: the image as the user named it */
	char **label_values; /* nkeys entries */
	size_t nkeys;
	enum docker_state state;
	enum docker_health health;
	int pid;        /* State.Pid: 0 when not running */
	int exit_code;  /* State.ExitCode */
	bool oom_killed; /* State.OOMKilled */
	int restart_count; /* RestartCount: Docker's, not monotonic */
	double created;    /* Created, Unix seconds */
	double started_at; /* State.StartedAt, 0 when never started */
	double finished_at; /* State.FinishedAt, 0 when never finished */
};
int docker_parse_inspect(const char *json, const char *const *label_keys,
			 size_t nkeys, struct docker_container *c);
void docker_container_clear(struct docker_container *c);

/* One line of /events. Only type "container" events are parsed (others:
 * -ENOENT). action is the word before any ':' ("health_status: healthy"
 * gives action "health_status", detail "healthy"; "exec_start: /bin/sh"
 * gives "exec_start" and no detail: a command line may hold a secret).
 * exit_code is Actor.Attributes.exitCode when there is one (die,
 * exec_die), else -1. time: timeNano / 1e9 (or time). name is
 * Actor.Attributes.name (malloc'ed, may be NULL). 0, -ENOENT, -EINVAL,
 * -ENOMEM; on error nothing is left to free. Podman's words differ:
 * "remove" (Docker: "destroy"), "exec" and "exec_died" (Docker:
 * exec_create/exec_start/exec_die, and no exitCode), it adds "init" and
 * "cleanup", and its "health_status" carries the status in a top-level
 * HealthStatus, taken as detail (it may lag: "starting" for a check that
 * just passed; re-inspect rather than trust it). */
struct docker_event {
	char id[DOCKER_ID_LEN + 1];
	char action[32];
	char detail[32];
	int exit_code;
	double time;
	char *name;
};
int docker_parse_event(const char *json, struct docker_event *e);
void docker_event_clear(struct docker_event *e);

/* Parse an RFC 3339 time as the API writes it
 * ("2026-11-21T18:11:15.338138861Z", "0001-01-01T00:00:00Z" for never):
 * Unix seconds, 0 for the zero time. 0 or -EINVAL. */
int docker_parse_time(const char *s, double *t);

#endif
