/* libcurl, dlopen()ed once for the process: see include/hostwatch/curl_lib.h.
 * Moved here from src/docker/api.c when notifications became its second
 * user. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "hostwatch/curl_lib.h"
#include "hostwatch/dlib.h"

/* The sonames tried, in order: the GnuTLS build shares the TLS library
 * libmicrohttpd already maps; the OpenSSL one is the fallback. */
static const char *const curl_sonames[] = {"libcurl-gnutls.so.4",
					   "libcurl.so.4", NULL};

struct curl_fns curl_fn;
static int cf_status = -ENOSYS;
static char cf_why[192] = CURL_MISSING;
static pthread_once_t cf_once = PTHREAD_ONCE_INIT;

/* Resolve every function of f from lib; the name of the first missing
 * one, or NULL. */
static const char *curl_resolve(void *lib, void *fns)
{
	struct curl_fns *f = fns;
#define CURL_SYM(field, name)                                                  \
	do {                                                                   \
		if (!(*(void **)&f->field = dlsym(lib, name)))                 \
			return name;                                           \
	} while (0)
	CURL_SYM(global_init, "curl_global_init");
	CURL_SYM(easy_init, "curl_easy_init");
	CURL_SYM(easy_setopt, "curl_easy_setopt");
	CURL_SYM(easy_perform, "curl_easy_perform");
	CURL_SYM(easy_getinfo, "curl_easy_getinfo");
	CURL_SYM(easy_cleanup, "curl_easy_cleanup");
	CURL_SYM(easy_strerror, "curl_easy_strerror");
	CURL_SYM(slist_append, "curl_slist_append");
	CURL_SYM(slist_free_all, "curl_slist_free_all");
	CURL_SYM(multi_init, "curl_multi_init");
	CURL_SYM(multi_add_handle, "curl_multi_add_handle");
	CURL_SYM(multi_remove_handle, "curl_multi_remove_handle");
	CURL_SYM(multi_perform, "curl_multi_perform");
	CURL_SYM(multi_poll, "curl_multi_poll");	 /* 7.66 */
	CURL_SYM(multi_wakeup, "curl_multi_wakeup"); /* 7.68 */
	CURL_SYM(multi_info_read, "curl_multi_info_read");
	CURL_SYM(multi_cleanup, "curl_multi_cleanup");
	CURL_SYM(multi_strerror, "curl_multi_strerror");
#undef CURL_SYM
	return NULL;
}

int curl_lib_load(struct curl_fns *f, const char *const *names, char *why,
		  size_t whylen)
{
	const char *soname;
	int rc = dlib_load(names, curl_resolve, f, CURL_MISSING,
			   "libcurl >= 7.68 needed", &soname, why, whylen);
	if (rc < 0)
		return rc;
	/* Thread-safe only since 7.84, hence the pthread_once around us. */
	CURLcode cc = f->global_init(CURL_GLOBAL_DEFAULT);
	if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s: curl_global_init: %s", soname,
			 f->easy_strerror(cc));
		return -ENOSYS;
	}
	return 0;
}

static void curl_load_once(void)
{
	cf_status = curl_lib_load(&curl_fn, curl_sonames, cf_why,
				  sizeof(cf_why));
}

int curl_lib_ready(char *err, size_t errlen)
{
	pthread_once(&cf_once, curl_load_once);
	if (cf_status < 0 && err && errlen)
		snprintf(err, errlen, "%s", cf_why);
	return cf_status;
}
