/* Between systemd_units.c (the collector: which units, what is published)
 * and systemd_bus.c (the sd-bus connection and the calls to systemd's
 * Manager); nothing else includes this. */
#ifndef HW_SYSTEMD_UNITS_H
#define HW_SYSTEMD_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdbus_lib.h"

#define SDU_DEST "org.freedesktop.systemd1"
#define SDU_PATH "/org/freedesktop/systemd1"
#define SDU_MANAGER "org.freedesktop.systemd1.Manager"

/* One unit as org.freedesktop.systemd1.Manager.ListUnits returns it (the
 * fields we use of its (ssssssouso) record), plus what the collector asks
 * a selected service or mount. */
struct sdu_unit {
	const char *name, *load, *active, *path; /* in the ListUnits reply */
	char *type;          /* Service or Mount "Type", malloc()ed; NULL: "" */
	uint32_t nrestarts;  /* Service "NRestarts" */
	bool has_nrestarts;
	bool selected; /* by unit_include/unit_exclude and LoadState */
};

/* What one scrape learned. */
struct sdu_data {
	struct sdu_unit *units;
	size_t n, cap;
	bool listed;        /* ListUnits answered */
	char *version;      /* Manager "Version"; NULL when it did not answer */
	char *system_state; /* Manager "SystemState"; NULL: not asked/failed */
};

void sdu_data_clear(struct sdu_data *d);

/* A connection to systemd, kept across scrapes. */
struct sdu_bus {
	sd_bus *bus;
	sd_bus_message *units_reply; /* what sdu_data's strings point into */
	const char *private_socket;  /* tried first when we are root */
	const char *via;             /* the address connected to, for logs */
	uint64_t deadline;           /* CLOCK_MONOTONIC µs: the scrape's budget */
};

/* Connect when not connected: systemd's private socket first when we are
 * root (as node_exporter's --collector.systemd.private; no dbus-daemon
 * needed), else the system bus (DBUS_SYSTEM_BUS_ADDRESS, or
 * /run/dbus/system_bus_socket). 0, or -errno with why saying which. */
int sdu_bus_connect(struct sdu_bus *b, char *why, size_t whylen);
/* Close the connection (the next scrape reconnects). */
void sdu_bus_drop(struct sdu_bus *b);
/* Whether the connection still stands after a failed call. */
bool sdu_bus_alive(const struct sdu_bus *b);
/* Start the budget every call of one scrape shares. */
void sdu_bus_budget(struct sdu_bus *b, uint64_t usec);

/* org.freedesktop.DBus.Properties.Get of a string (*out malloc()ed) or a
 * uint32 property. 0 or -errno (-ETIMEDOUT when the budget is spent). */
int sdu_bus_get_string(struct sdu_bus *b, const char *path, const char *iface,
		       const char *prop, char **out);
int sdu_bus_get_u32(struct sdu_bus *b, const char *path, const char *iface,
		    const char *prop, uint32_t *out);
/* Manager.ListUnits into d->units (strings stay valid until
 * sdu_bus_release). 0 or -errno. */
int sdu_bus_list_units(struct sdu_bus *b, struct sdu_data *d);
/* Let go of the ListUnits reply. */
void sdu_bus_release(struct sdu_bus *b);

#endif
