/* Optional libraries loaded at run time (libcurl, libsystemd): a feature
 * that is off costs no resident memory (README, Memory). */
#ifndef HOSTWATCH_DLIB_H
#define HOSTWATCH_DLIB_H

#include <stddef.h>

/* dlopen() the first of `names` (NULL-terminated) that loads, RTLD_NOW |
 * RTLD_LOCAL, and fill the caller's function table with resolve(lib, fns),
 * which returns the name of the first symbol missing, or NULL. On success
 * the library stays loaded for the process, *soname (when not NULL) names
 * it, and 0 is returned. Otherwise -ENOSYS, the library closed again, and
 * `why` says "<missing>" when none loaded, or "SONAME lacks SYMBOL:
 * <too_old>" when one is too old. */
int dlib_load(const char *const *names,
	      const char *(*resolve)(void *lib, void *fns), void *fns,
	      const char *missing, const char *too_old, const char **soname,
	      char *why, size_t whylen);

#endif
