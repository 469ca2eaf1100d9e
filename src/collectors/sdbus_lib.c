/* libsystemd's sd-bus, dlopen()ed once for the process: see sdbus_lib.h. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "hostwatch/dlib.h"
#include "sdbus_lib.h"

/* Not const: the unit tests, which #include this file, point it at a name
 * that does not exist. */
static const char *sdbus_sonames[] = {"libsystemd.so.0", NULL};

struct sdbus_fns sdbus_fn;
static int sf_status = -ENOSYS;
static char sf_why[192] = SDBUS_MISSING;
/* A lock and a flag rather than pthread_once: the unit tests clear sf_tried
 * to load again under another name. */
static pthread_mutex_t sf_lock = PTHREAD_MUTEX_INITIALIZER;
static bool sf_tried;

/* Resolve every function of f from lib; the name of the first missing
 * one, or NULL. */
static const char *sdbus_resolve(void *lib, void *fns)
{
	struct sdbus_fns *f = fns;
#define SDBUS_SYM(field, name)                                                 \
	do {                                                                   \
		if (!(*(void **)&f->field = dlsym(lib, name)))                 \
			return name;                                           \
	} while (0)
	SDBUS_SYM(new_bus, "sd_bus_new");
	SDBUS_SYM(set_address, "sd_bus_set_address");
	SDBUS_SYM(start, "sd_bus_start");
	SDBUS_SYM(open_system, "sd_bus_open_system");
	SDBUS_SYM(is_open, "sd_bus_is_open");
	SDBUS_SYM(is_ready, "sd_bus_is_ready");
	SDBUS_SYM(process, "sd_bus_process");
	SDBUS_SYM(wait, "sd_bus_wait");
	SDBUS_SYM(close, "sd_bus_close");
	SDBUS_SYM(unref, "sd_bus_unref");
	SDBUS_SYM(new_method_call, "sd_bus_message_new_method_call");
	SDBUS_SYM(append, "sd_bus_message_append");
	SDBUS_SYM(call, "sd_bus_call");
	SDBUS_SYM(message_unref, "sd_bus_message_unref");
	SDBUS_SYM(enter_container, "sd_bus_message_enter_container");
	SDBUS_SYM(exit_container, "sd_bus_message_exit_container");
	SDBUS_SYM(read, "sd_bus_message_read");
	SDBUS_SYM(error_free, "sd_bus_error_free");
#undef SDBUS_SYM
	return NULL;
}

int sdbus_lib_load(struct sdbus_fns *f, const char *const *names, char *why,
		   size_t whylen)
{
	return dlib_load(names, sdbus_resolve, f, SDBUS_MISSING,
			 "systemd >= 237 needed", NULL, why, whylen);
}

int sdbus_lib_ready(char *why, size_t whylen)
{
	pthread_mutex_lock(&sf_lock);
	if (!sf_tried)
		sf_status = sdbus_lib_load(&sdbus_fn, sdbus_sonames, sf_why,
					   sizeof(sf_why));
	sf_tried = true;
	int rc = sf_status;
	if (rc < 0 && why && whylen)
		snprintf(why, whylen, "%s", sf_why);
	pthread_mutex_unlock(&sf_lock);
	return rc;
}
