/* The systemd collector's side of sd-bus: one connection to systemd kept
 * across scrapes, and the three kinds of call it makes (ListUnits, and
 * Properties.Get of a string or a uint32). Every call of a scrape shares one
 * time budget, so a stuck systemd costs a scrape seconds, not sd-bus's
 * default 25 s per call. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "systemd_units.h"

#define SDU_SYSTEM_BUS "unix:path=/run/dbus/system_bus_socket"

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sdu_data_clear(struct sdu_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->units[i].type);
	free(d->units);
	free(d->version);
	free(d->system_state);
	memset(d, 0, sizeof(*d));
}

void sdu_bus_budget(struct sdu_bus *b, uint64_t usec)
{
	b->deadline = now_usec() + usec;
}

/* "unix:path=" plus the path escaped as the D-Bus specification's "Server
 * Addresses" says: bytes outside [-0-9A-Za-z_/.\*] as %XX. */
static int unix_address(const char *path, char *out, size_t size)
{
	static const char ok[] = "-_/.\\*";
	size_t n = (size_t)snprintf(out, size, "unix:path=");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		bool plain = (*p >= '0' && *p <= '9') ||
			     (*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') || strchr(ok, *p);
		if (n + 4 > size)
			return -ENAMETOOLONG;
		n += (size_t)snprintf(out + n, size - n, plain ? "%c" : "%%%02x",
				      *p);
	}
	return 0;
}

/* systemd's private socket: a direct connection to the manager, not a bus
 * (no Hello, no dbus-daemon); systemctl uses it as root too. */
static int connect_private(struct sdu_bus *b)
{
	char addr[4200];
	sd_bus *bus = NULL;
	int rc = unix_address(b->private_socket, addr, sizeof(addr));
	if (rc == 0)
		rc = sdbus_fn.new_bus(&bus);
	if (rc >= 0)
		rc = sdbus_fn.set_address(bus, addr);
	if (rc >= 0)
		rc = sdbus_fn.start(bus);
	if (rc < 0) {
		if (bus)
			sdbus_fn.unref(bus);
		return rc;
	}
	b->bus = bus;
	b->via = b->private_socket;
	return 0;
}

static int connect_any(struct sdu_bus *b, char *why, size_t whylen)
{
	bool tried = geteuid() == 0 && b->private_socket;
	int prc = tried ? connect_private(b) : 0;
	if (tried && prc == 0)
		return 0;
	/* sd_bus_open_system(3): DBUS_SYSTEM_BUS_ADDRESS, when set, wins. */
	const char *sys = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	int rc = sdbus_fn.open_system(&b->bus);
	if (rc < 0) {
		b->bus = NULL;
		if (tried)
			snprintf(why, whylen, "%s: %s; %s: %s",
				 b->private_socket, strerror(-prc),
				 sys ? sys : SDU_SYSTEM_BUS, strerror(-rc));
		else
			snprintf(why, whylen, "%s: %s",
				 sys ? sys : SDU_SYSTEM_BUS, strerror(-rc));
		return rc;
	}
	b->via = "the system bus";
	return 0;
}

/* Drive the authentication (and the bus's Hello) within the budget:
 * sd_bus_call would wait for them up to sd-bus's own auth timeout (90 s)
 * on a systemd that accepts the connection but does not answer. */
static int handshake(struct sdu_bus *b)
{
	int rc;
	while ((rc = sdbus_fn.is_ready(b->bus)) == 0) {
		rc = sdbus_fn.process(b->bus, NULL);
		if (rc > 0)
			continue;
		uint64_t now = now_usec();
		if (rc == 0 && now + 1000 >= b->deadline)
			rc = -ETIMEDOUT;
		if (rc == 0)
			rc = sdbus_fn.wait(b->bus, b->deadline - now);
		if (rc < 0)
			return rc;
	}
	return rc < 0 ? rc : 0;
}

int sdu_bus_connect(struct sdu_bus *b, char *why, size_t whylen)
{
	if (b->bus)
		return 0;
	int rc = connect_any(b, why, whylen);
	if (rc == 0 && (rc = handshake(b)) < 0) {
		snprintf(why, whylen, "%s: %s", b->via, strerror(-rc));
		sdu_bus_drop(b);
	}
	return rc;
}

void sdu_bus_release(struct sdu_bus *b)
{
	if (b->units_reply)
		sdbus_fn.message_unref(b->units_reply);
	b->units_reply = NULL;
}

void sdu_bus_drop(struct sdu_bus *b)
{
	sdu_bus_release(b);
	/* Not sd_bus_flush_close_unref: flushing waits for a handshake that
	 * may never end (up to 90 s); every call we make has had its reply. */
	if (b->bus) {
		sdbus_fn.close(b->bus);
		sdbus_fn.unref(b->bus);
	}
	b->bus = NULL;
}

bool sdu_bus_alive(const struct sdu_bus *b)
{
	return b->bus && sdbus_fn.is_open(b->bus) > 0;
}

/* Send m and wait for the reply within what is left of the budget. */
static int call(struct sdu_bus *b, sd_bus_message *m, sd_bus_message **reply)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint64_t now = now_usec();
	/* 0 would mean sd-bus's default timeout, not "none left". */
	if (now + 1000 >= b->deadline)
		return -ETIMEDOUT;
	int rc = sdbus_fn.call(b->bus, m, b->deadline - now, &err, reply);
	sdbus_fn.error_free(&err);
	return rc < 0 ? rc : 0;
}

/* Properties.Get(iface, prop): the reply, positioned inside its variant of
 * signature sig. */
static int get_property(struct sdu_bus *b, const char *path, const char *iface,
			const char *prop, const char *sig,
			sd_bus_message **reply)
{
	sd_bus_message *m = NULL;
	*reply = NULL;
	int rc = sdbus_fn.new_method_call(b->bus, &m, SDU_DEST, path,
					  "org.freedesktop.DBus.Properties",
					  "Get");
	if (rc >= 0)
		rc = sdbus_fn.append(m, "ss", iface, prop);
	if (rc >= 0)
		rc = call(b, m, reply);
	if (m)
		sdbus_fn.message_unref(m);
	if (rc >= 0)
		rc = sdbus_fn.enter_container(*reply, 'v', sig);
	if (rc == 0)
		rc = -EBADMSG; /* no variant, or another type */
	if (rc < 0 && *reply) {
		sdbus_fn.message_unref(*reply);
		*reply = NULL;
	}
	return rc < 0 ? rc : 0;
}

int sdu_bus_get_string(struct sdu_bus *b, const char *path, const char *iface,
		       const char *prop, char **out)
{
	sd_bus_message *reply;
	const char *s = NULL;
	int rc = get_property(b, path, iface, prop, "s", &reply);
	if (rc < 0)
		return rc;
	rc = sdbus_fn.read(reply, "s", &s);
	if (rc > 0 && !(*out = strdup(s)))
		rc = -ENOMEM;
	sdbus_fn.message_unref(reply);
	return rc < 0 ? rc : rc == 0 ? -EBADMSG : 0;
}

int sdu_bus_get_u32(struct sdu_bus *b, const char *path, const char *iface,
		    const char *prop, uint32_t *out)
{
	sd_bus_message *reply;
	int rc = get_property(b, path, iface, prop, "u", &reply);
	if (rc < 0)
		return rc;
	rc = sdbus_fn.read(reply, "u", out);
	sdbus_fn.message_unref(reply);
	return rc < 0 ? rc : rc == 0 ? -EBADMSG : 0;
}

static int add_unit(struct sdu_data *d, const char *name, const char *load,
		    const char *active, const char *path)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct sdu_unit *u = realloc(d->units, cap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		d->units = u;
		d->cap = cap;
	}
	d->units[d->n++] = (struct sdu_unit){
		.name = name, .load = load, .active = active, .path = path};
	return 0;
}

int sdu_bus_list_units(struct sdu_bus *b, struct sdu_data *d)
{
	sd_bus_message *m = NULL, *reply = NULL;
	int rc = sdbus_fn.new_method_call(b->bus, &m, SDU_DEST, SDU_PATH,
					  SDU_MANAGER, "ListUnits");
	if (rc >= 0)
		rc = call(b, m, &reply);
	if (m)
		sdbus_fn.message_unref(m);
	if (rc < 0)
		return rc;
	b->units_reply = reply;
	rc = sdbus_fn.enter_container(reply, 'a', "(ssssssouso)");
	if (rc == 0)
		return -EBADMSG;
	for (; rc > 0;) {
		const char *name, *desc, *load, *active, *sub, *following;
		const char *path, *job_type, *job_path;
		uint32_t job_id;
		rc = sdbus_fn.read(reply, "(ssssssouso)", &name, &desc, &load,
				   &active, &sub, &following, &path, &job_id,
				   &job_type, &job_path);
		if (rc > 0 && add_unit(d, name, load, active, path) < 0)
			return -ENOMEM;
	}
	if (rc < 0)
		return rc;
	rc = sdbus_fn.exit_container(reply);
	if (rc < 0)
		return rc;
	d->listed = true;
	return 0;
}
