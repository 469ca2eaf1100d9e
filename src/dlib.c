/* Optional libraries loaded at run time: see include/hostwatch/dlib.h. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "hostwatch/dlib.h"

int dlib_load(const char *const *names,
	      const char *(*resolve)(void *lib, void *fns), void *fns,
	      const char *missing, const char *too_old, const char **soname,
	      char *why, size_t whylen)
{
	void *lib = NULL;
	const char *name = NULL;
	for (size_t i = 0; names[i] && !lib; i++)
		lib = dlopen(name = names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(why, whylen, "%s", missing);
		return -ENOSYS;
	}
	const char *sym = resolve(lib, fns);
	if (sym) {
		snprintf(why, whylen, "%s lacks %s: %s", name, sym, too_old);
		dlclose(lib);
		return -ENOSYS;
	}
	if (soname)
		*soname = name;
	return 0;
}
