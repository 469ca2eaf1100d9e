/* libsystemd's sd-bus, loaded when the systemd collector is enabled
 * (src/collectors/sdbus_lib.c).
 *
 * libsystemd is not linked: it would stay mapped, with its own dependencies
 * (liblzma, libzstd, liblz4, libgcrypt...), for the daemon's life (README,
 * Memory), while only the systemd collector, off by default as in
 * node_exporter, needs it. As libcurl (src/curl_lib.c), it is dlopen()ed
 * once for the process and never closed; callers compile against
 * <systemd/sd-bus.h> for the types and call it only through `sdbus_fn`. */
#ifndef HW_SDBUS_LIB_H
#define HW_SDBUS_LIB_H

#include <stddef.h>

#include <systemd/sd-bus.h>

#define SDBUS_MISSING                                                          \
	"libsystemd.so.0 not found: install libsystemd0 (Debian) / "           \
	"systemd-libs (RHEL)"

/* Every sd-bus function the collector calls; all exist since systemd 237
 * (sd_bus_is_ready), older than any distribution we package for (RHEL 8:
 * 239). */
struct sdbus_fns {
	__typeof__(sd_bus_new) *new_bus;
	__typeof__(sd_bus_set_address) *set_address;
	__typeof__(sd_bus_start) *start;
	__typeof__(sd_bus_open_system) *open_system;
	__typeof__(sd_bus_is_open) *is_open;
	__typeof__(sd_bus_is_ready) *is_ready;
	__typeof__(sd_bus_process) *process;
	__typeof__(sd_bus_wait) *wait;
	__typeof__(sd_bus_close) *close;
	__typeof__(sd_bus_unref) *unref;
	__typeof__(sd_bus_message_new_method_call) *new_method_call;
	__typeof__(sd_bus_message_append) *append;
	__typeof__(sd_bus_call) *call;
	__typeof__(sd_bus_message_unref) *message_unref;
	__typeof__(sd_bus_message_enter_container) *enter_container;
	__typeof__(sd_bus_message_exit_container) *exit_container;
	__typeof__(sd_bus_message_read) *read;
	__typeof__(sd_bus_error_free) *error_free;
};

/* The process-wide table: valid once sdbus_lib_ready() returned 0. */
extern struct sdbus_fns sdbus_fn;

/* Make sure libsystemd is loaded (the first call loads it, once, whichever
 * thread makes it): 0, or -ENOSYS with why (may be NULL) saying what to
 * install. */
int sdbus_lib_ready(char *why, size_t whylen);

/* Load the first of `names` (NULL-terminated sonames) that exists and has
 * every function of struct sdbus_fns into f. 0, or -ENOSYS with why saying
 * what is missing. sdbus_lib_ready's worker, exported so that tests can try
 * names that do not exist. */
int sdbus_lib_load(struct sdbus_fns *f, const char *const *names, char *why,
		   size_t whylen);

#endif
