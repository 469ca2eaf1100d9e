/* The JSON of the Docker Engine API (and of Podman's Docker-compatible
 * one): see include/hostwatch/docker.h. Field names and types follow
 * moby's api/types (ContainerJSON, events.Message, types.Version); Podman's
 * differences are noted where they matter. Everything the daemon sends is
 * checked: a field of the wrong type is an error, never a guess, and no
 * string is copied without a bound. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hostwatch/docker.h"

/* Bounds on what is kept of the daemon's strings (bytes, without the NUL):
 * enough for any name Docker accepts (its name regex has no limit, but a
 * name longer than this is an attack on our memory, not a container) and
 * for an image reference with its digest. */
#define PARSE_NAME_MAX 255
#define PARSE_IMAGE_MAX 1023
#define PARSE_LABEL_MAX 1023

static const char *const state_names[DOCKER_S_COUNT] = {
	[DOCKER_S_CREATED] = "created",	      [DOCKER_S_RUNNING] = "running",
	[DOCKER_S_PAUSED] = "paused",	      [DOCKER_S_RESTARTING] = "restarting",
	[DOCKER_S_EXITED] = "exited",	      [DOCKER_S_DEAD] = "dead",
	[DOCKER_S_REMOVING] = "removing",
};

const char *docker_state_name(enum docker_state s)
{
	if ((unsigned)s >= DOCKER_S_COUNT)
		return "unknown";
	return state_names[s];
}

/* ---- helpers ------------------------------------------------------------ */

/* How many bytes of s (len bytes, valid UTF-8: jansson checks it) fit in
 * max without cutting a character in two. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	/* back off continuation bytes (10xxxxxx) to the character's start */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Copy s into dst (size bytes), cut at a character boundary. */
static void copy_cut(char *dst, size_t size, const char *s)
{
	size_t n = utf8_cut(s, strlen(s), size - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* A malloc'ed copy of s of at most max bytes; NULL when out of memory. */
static char *dup_cut(const char *s, size_t max)
{
	return strndup(s, utf8_cut(s, strlen(s), max));
}

/* A container ID as the API writes it: exactly 64 lowercase hex digits. */
static bool id_valid(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++) {
		if (i >= DOCKER_ID_LEN ||
		    !((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return i == DOCKER_ID_LEN;
}

/* The JSON text as a tree; NULL when it is not JSON. Duplicate keys are
 * refused: two "Id"s would let a peer show one value to one reader and
 * another to the next. */
static json_t *parse_json(const char *text)
{
	if (!text)
		return NULL;
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

/* Member key of object o as a string: 0 with *s set, -ENOENT when absent
 * (or null, which Go writes for a nil string pointer), -EINVAL when it is
 * of another type. */
static int get_str(const json_t *o, const char *key, const char **s)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return -ENOENT;
	if (!json_is_string(v))
		return -EINVAL;
	*s = json_string_value(v);
	return 0;
}

/* Member key as an int in [min, INT_MAX]: 0, -ENOENT, -EINVAL. */
static int get_int(const json_t *o, const char *key, int min, int *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return -ENOENT;
	if (!json_is_integer(v))
		return -EINVAL;
	json_int_t n = json_integer_value(v);
	if (n < min || n > INT_MAX)
		return -EINVAL;
	*out = (int)n;
	return 0;
}

/* Member key as an object: 0, -ENOENT (absent or null), -EINVAL. */
static int get_obj(const json_t *o, const char *key, json_t **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return -ENOENT;
	if (!json_is_object(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* An optional member: absent is fine (rc -ENOENT becomes 0), anything
 * else passes through. */
static int optional(int rc)
{
	return rc == -ENOENT ? 0 : rc;
}

/* A required member: absent is malformed too. */
static int required(int rc)
{
	return rc == -ENOENT ? -EINVAL : rc;
}

/* ---- GET /version ------------------------------------------------------- */

/* An API version as it must look to be compared: "1.41". */
static bool api_version_valid(const char *s)
{
	const char *dot = strchr(s, '.');
	if (!dot || dot == s || !dot[1])
		return false;
	for (const char *p = s; *p; p++)
		if (p != dot && (*p < '0' || *p > '9'))
			return false;
	return true;
}

/* ApiVersion or MinAPIVersion into dst (16 bytes): "" when absent. A
 * value that does not fit, or does not look like "1.41", is malformed
 * rather than cut: the negotiation compares it. */
static int version_field(const json_t *root, const char *key, char dst[16])
{
	const char *s = NULL;
	int rc = get_str(root, key, &s);
	dst[0] = '\0';
	if (rc < 0)
		return optional(rc);
	if (!*s)
		return 0;
	if (strlen(s) >= 16 || !api_version_valid(s))
		return -EINVAL;
	strcpy(dst, s);
	return 0;
}

/* The engine's name from Components[]: Docker calls its daemon "Engine"
 * (we say "Docker Engine"), Podman "Podman Engine". */
static int version_engine(const json_t *root, struct docker_version *v)
{
	json_t *comps = json_object_get(root, "Components");
	if (!comps || json_is_null(comps))
		return 0;
	if (!json_is_array(comps))
		return -EINVAL;
	size_t i;
	json_t *c;
	json_array_foreach(comps, i, c)
	{
		const char *name;
		if (!json_is_object(c) || get_str(c, "Name", &name) < 0)
			return -EINVAL;
		if (strcmp(name, "Engine") == 0) {
			copy_cut(v->engine, sizeof(v->engine), "Docker Engine");
			return 0;
		}
		size_t n = strlen(name);
		if (n > 7 && strcmp(name + n - 7, " Engine") == 0) {
			copy_cut(v->engine, sizeof(v->engine), name);
			return 0;
		}
	}
	return 0;
}

int docker_parse_version(const char *json, struct docker_version *v)
{
	memset(v, 0, sizeof(*v));
	json_t *root = parse_json(json);
	if (!json_is_object(root)) {
		json_decref(root);
		return -EINVAL;
	}
	const char *ver = NULL;
	int rc = version_field(root, "ApiVersion", v->api);
	if (rc == 0)
		rc = version_field(root, "MinAPIVersion", v->min_api);
	if (rc == 0)
		rc = optional(get_str(root, "Version", &ver));
	if (rc == 0 && ver)
		copy_cut(v->version, sizeof(v->version), ver);
	if (rc == 0)
		rc = version_engine(root, v);
	json_decref(root);
	if (rc < 0)
		memset(v, 0, sizeof(*v));
	return rc;
}

/* ---- errors: {"message": "..."} ----------------------------------------- */

int docker_parse_message(const char *json, char *msg, size_t len)
{
	if (len == 0)
		return -EINVAL;
	msg[0] = '\0';
	json_t *root = parse_json(json);
	const char *s = NULL;
	int rc = json_is_object(root) ? required(get_str(root, "message", &s))
				       : -EINVAL;
	if (rc == 0)
		copy_cut(msg, len, s);
	json_decref(root);
	return rc;
}

/* ---- GET /containers/json ----------------------------------------------- */

int docker_parse_list(const char *json, char (**ids)[DOCKER_ID_LEN + 1],
		      size_t *n)
{
	*ids = NULL;
	*n = 0;
	json_t *root = parse_json(json);
	if (!json_is_array(root)) {
		json_decref(root);
		return -EINVAL;
	}
	int rc = 0;
	size_t count = json_array_size(root);
	char(*out)[DOCKER_ID_LEN + 1] = NULL;
	if (count) {
		out = calloc(count, sizeof(*out));
		if (!out) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < count; i++) {
		json_t *c = json_array_get(root, i);
		const char *id;
		if (!json_is_object(c) || get_str(c, "Id", &id) < 0 ||
		    !id_valid(id)) {
			rc = -EINVAL;
			goto out;
		}
		memcpy(out[i], id, DOCKER_ID_LEN + 1);
	}
	*ids = out;
	*n = count;
	out = NULL;
out:
	free(out);
	json_decref(root);
	return rc;
}

/* ---- GET /containers/{id}/json ------------------------------------------ */

/* State.Status. Podman's compat API says what Docker says, but libpod's
 * own words are mapped too, should one pass through ("configured" and
 * "initialized" are created-but-not-started, "stopped" is exited,
 * "stopping" is still running). */
static int parse_state_name(const char *s, enum docker_state *st)
{
	static const struct {
		const char *name;
		enum docker_state state;
	} alias[] = {
		{"configured", DOCKER_S_CREATED},
		{"initialized", DOCKER_S_CREATED},
		{"stopped", DOCKER_S_EXITED},
		{"stopping", DOCKER_S_RUNNING},
	};
	for (int i = 0; i < DOCKER_S_COUNT; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*st = (enum docker_state)i;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
		if (strcmp(s, alias[i].name) == 0) {
			*st = alias[i].state;
			return 0;
		}
	}
	return -EINVAL;
}

/* State.Health.Status; no Health, or Podman's "" for a container without
 * a healthcheck, is DOCKER_H_NONE. */
static int parse_health(const json_t *state, enum docker_health *h)
{
	static const char *const names[] = {
		[DOCKER_H_NONE] = "none",
		[DOCKER_H_STARTING] = "starting",
		[DOCKER_H_HEALTHY] = "healthy",
		[DOCKER_H_UNHEALTHY] = "unhealthy",
	};
	json_t *health;
	const char *s;
	*h = DOCKER_H_NONE;
	int rc = get_obj(state, "Health", &health);
	if (rc < 0)
		return optional(rc);
	rc = get_str(health, "Status", &s);
	if (rc < 0)
		return optional(rc);
	if (!*s)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*h = (enum docker_health)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* A member holding an RFC 3339 time, as Unix seconds; absent is 0 unless
 * the member is required. */
static int get_time(const json_t *o, const char *key, bool req, double *t)
{
	const char *s;
	*t = 0;
	int rc = get_str(o, key, &s);
	if (rc < 0)
		return req ? required(rc) : optional(rc);
	return docker_parse_time(s, t);
}

/* The State object. */
static int parse_state(const json_t *state, struct docker_container *c)
{
	const char *status;
	int rc = required(get_str(state, "Status", &status));
	if (rc == 0)
		rc = parse_state_name(status, &c->state);
	if (rc == 0)
		rc = required(get_int(state, "Pid", 0, &c->pid));
	if (rc == 0)
		rc = required(get_int(state, "ExitCode", INT_MIN, &c->exit_code));
	if (rc == 0) {
		json_t *oom = json_object_get(state, "OOMKilled");
		if (oom && !json_is_null(oom) && !json_is_boolean(oom))
			rc = -EINVAL;
		c->oom_killed = json_is_true(oom);
	}
	if (rc == 0)
		rc = parse_health(state, &c->health);
	if (rc == 0)
		rc = get_time(state, "StartedAt", false, &c->started_at);
	if (rc == 0)
		rc = get_time(state, "FinishedAt", false, &c->finished_at);
	return rc;
}

/* Config: the image as named, and the requested labels only. Nothing
 * else of Config is looked at; Config.Env in particular holds secrets. */
static int parse_config(const json_t *config, const char *const *keys,
			size_t nkeys, struct docker_container *c)
{
	const char *image;
	json_t *labels = NULL;
	int rc = required(get_str(config, "Image", &image));
	if (rc < 0)
		return rc;
	if (!(c->image = dup_cut(image, PARSE_IMAGE_MAX)))
		return -ENOMEM;
	rc = get_obj(config, "Labels", &labels);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (nkeys == 0)
		return 0;
	if (!(c->label_values = calloc(nkeys, sizeof(char *))))
		return -ENOMEM;
	c->nkeys = nkeys;
	for (size_t i = 0; labels && i < nkeys; i++) {
		const char *v;
		rc = get_str(labels, keys[i], &v);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		if (!(c->label_values[i] = dup_cut(v, PARSE_LABEL_MAX)))
			return -ENOMEM;
	}
	return 0;
}

/* The top level of an inspect answer. */
static int parse_inspect(const json_t *root, const char *const *keys,
			 size_t nkeys, struct docker_container *c)
{
	const char *id, *name;
	json_t *state, *config;
	int rc = required(get_str(root, "Id", &id));
	if (rc == 0 && !id_valid(id))
		rc = -EINVAL;
	if (rc < 0)
		return rc;
	memcpy(c->id, id, DOCKER_ID_LEN + 1);
	if ((rc = required(get_str(root, "Name", &name))) < 0)
		return rc;
	if (*name == '/') /* Docker's names are paths of its old link tree */
		name++;
	if (!(c->name = dup_cut(name, PARSE_NAME_MAX)))
		return -ENOMEM;
	if ((rc = optional(get_int(root, "RestartCount", 0,
				   &c->restart_count))) < 0 ||
	    (rc = get_time(root, "Created", true, &c->created)) < 0 ||
	    (rc = required(get_obj(root, "State", &state))) < 0 ||
	    (rc = parse_state(state, c)) < 0 ||
	    (rc = required(get_obj(root, "Config", &config))) < 0)
		return rc;
	return parse_config(config, keys, nkeys, c);
}

int docker_parse_inspect(const char *json, const char *const *label_keys,
			 size_t nkeys, struct docker_container *c)
{
	memset(c, 0, sizeof(*c));
	json_t *root = parse_json(json);
	int rc = json_is_object(root)
			 ? parse_inspect(root, label_keys, nkeys, c)
			 : -EINVAL;
	json_decref(root);
	if (rc < 0)
		docker_container_clear(c);
	return rc;
}

void docker_container_clear(struct docker_container *c)
{
	free(c->name);
	free(c->image);
	for (size_t i = 0; c->label_values && i < c->nkeys; i++)
		free(c->label_values[i]);
	free(c->label_values);
	memset(c, 0, sizeof(*c));
}

/* ---- one line of /events ------------------------------------------------ */

/* Action into action and detail. "health_status: healthy" is the one
 * action whose tail is a value we keep; the tail of exec_create: and
 * exec_start: is the command line, which may carry a password and is
 * dropped. */
static void event_action(const char *s, struct docker_event *e)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	n = utf8_cut(s, n, sizeof(e->action) - 1);
	memcpy(e->action, s, n);
	e->action[n] = '\0';
	if (colon && strcmp(e->action, "health_status") == 0) {
		const char *d = colon + 1;
		while (*d == ' ')
			d++;
		copy_cut(e->detail, sizeof(e->detail), d);
	}
}

/* Podman (4.3) sends a bare "health_status" and says the status in a
 * top-level HealthStatus. */
static int event_health(const json_t *root, struct docker_event *e)
{
	const char *s;
	if (strcmp(e->action, "health_status") != 0 || e->detail[0])
		return 0;
	int rc = get_str(root, "HealthStatus", &s);
	if (rc == 0)
		copy_cut(e->detail, sizeof(e->detail), s);
	return optional(rc);
}

/* Actor.Attributes.exitCode ("137": Go formats it with strconv.Itoa) into
 * e->exit_code; -1 when there is none. Podman adds containerExitCode to
 * every event, "0" while the container runs: it is not used. */
static int event_exit_code(const json_t *attrs, struct docker_event *e)
{
	const char *s;
	e->exit_code = -1;
	int rc = attrs ? get_str(attrs, "exitCode", &s) : -ENOENT;
	if (rc < 0)
		return optional(rc);
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	e->exit_code = (int)v;
	return 0;
}

/* timeNano (since API 1.22) or, failing it, time. */
static int event_time(const json_t *root, struct docker_event *e)
{
	json_t *ns = json_object_get(root, "timeNano");
	json_t *s = json_object_get(root, "time");
	if (ns && json_is_integer(ns))
		e->time = (double)json_integer_value(ns) / 1e9;
	else if (!ns && s && json_is_integer(s))
		e->time = (double)json_integer_value(s);
	else
		return -EINVAL;
	return 0;
}

/* The container's ID: Actor.ID, or the older top-level id. */
static int event_id(const json_t *root, const json_t *actor,
		    struct docker_event *e)
{
	const char *id;
	int rc = actor ? get_str(actor, "ID", &id) : -ENOENT;
	if (rc == -ENOENT)
		rc = get_str(root, "id", &id);
	if (rc < 0 || !id_valid(id))
		return -EINVAL;
	memcpy(e->id, id, DOCKER_ID_LEN + 1);
	return 0;
}

static int parse_event(const json_t *root, struct docker_event *e)
{
	const char *type, *action, *name;
	json_t *actor = NULL, *attrs = NULL;
	int rc = required(get_str(root, "Type", &type));
	if (rc < 0)
		return rc;
	if (strcmp(type, "container") != 0)
		return -ENOENT;
	if ((rc = required(get_str(root, "Action", &action))) < 0 ||
	    (rc = optional(get_obj(root, "Actor", &actor))) < 0 ||
	    (actor && (rc = optional(get_obj(actor, "Attributes", &attrs))) < 0))
		return rc;
	if ((rc = event_id(root, actor, e)) < 0 ||
	    (rc = event_exit_code(attrs, e)) < 0 ||
	    (rc = event_time(root, e)) < 0)
		return rc;
	event_action(action, e);
	if (!e->action[0])
		return -EINVAL;
	if ((rc = event_health(root, e)) < 0)
		return rc;
	rc = attrs ? get_str(attrs, "name", &name) : -ENOENT;
	if (rc < 0)
		return optional(rc);
	if (!(e->name = dup_cut(name, PARSE_NAME_MAX)))
		return -ENOMEM;
	return 0;
}

int docker_parse_event(const char *json, struct docker_event *e)
{
	memset(e, 0, sizeof(*e));
	e->exit_code = -1;
	json_t *root = parse_json(json);
	int rc = json_is_object(root) ? parse_event(root, e) : -EINVAL;
	json_decref(root);
	if (rc < 0)
		docker_event_clear(e);
	return rc;
}

void docker_event_clear(struct docker_event *e)
{
	free(e->name);
	memset(e, 0, sizeof(*e));
	e->exit_code = -1;
}

/* ---- RFC 3339 ----------------------------------------------------------- */

/* n decimal digits at *p into *v, advancing *p. */
static bool digits(const char **p, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return false;
		x = x * 10 + (ch - '0');
	}
	*p += n;
	*v = x;
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): no timegm(), no TZ, and year 1
 * works. */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : len[m - 1];
}

/* ".338138861": 1 to 9 digits, as nanoseconds. */
static bool fraction(const char **p, long *ns)
{
	int n = 0;
	long v = 0;
	*ns = 0;
	if (**p != '.')
		return true;
	(*p)++;
	while (**p >= '0' && **p <= '9') {
		if (++n > 9)
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	for (int i = n; i < 9; i++)
		v *= 10;
	*ns = v;
	return n > 0;
}

/* "Z" or "+hh:mm"/"-hh:mm" as seconds east of UTC, and nothing after. */
static bool zone(const char *p, int *off)
{
	int h, m;
	*off = 0;
	if ((*p == 'Z' || *p == 'z') && !p[1])
		return true;
	if (*p != '+' && *p != '-')
		return false;
	int sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &m) || *p ||
	    h > 23 || m > 59)
		return false;
	*off = sign * (h * 3600 + m * 60);
	return true;
}

int docker_parse_time(const char *s, double *t)
{
	/* Go's time.Time{}: what the API writes for "never" */
	static const long long go_zero = -62135596800LL;
	int y, mo, d, h, mi, se, off;
	long ns;
	const char *p = s;

	*t = 0;
	if (!s || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return -EINVAL;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &se) || !fraction(&p, &ns) ||
	    !zone(p, &off))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	long long secs = days_from_civil(y, mo, d) * 86400LL + h * 3600 +
			 mi * 60 + se - off;
	if (secs == go_zero && ns == 0)
		return 0;
	*t = (double)secs + (double)ns / 1e9;
	return 0;
}
