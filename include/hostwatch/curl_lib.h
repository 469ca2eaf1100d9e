/* libcurl, loaded on first use and shared by the process (src/curl_lib.c).
 *
 * libcurl is not linked: with its TLS stack it costs ~6 MB of RSS before
 * main() runs (README, Memory), and only a configured Docker collector or
 * notification channel needs it. It is dlopen()ed by the first user,
 * preferring the GnuTLS build, whose TLS library libmicrohttpd has already
 * mapped. Users compile against <curl/curl.h> for the types and constants
 * but call libcurl only through the table `curl_fn`; no curl symbol is
 * referenced. The library stays loaded for the process's life:
 * curl_global_cleanup() is not safe while another thread may still use
 * libcurl. */
#ifndef HOSTWATCH_CURL_LIB_H
#define HOSTWATCH_CURL_LIB_H

#include <stddef.h>

#include <curl/curl.h>

#define CURL_MISSING "libcurl not found: install libcurl4 (Debian) / libcurl (RHEL)"

/* Every libcurl function hostwatch calls. multi_poll and multi_wakeup
 * set the floor: libcurl 7.68. */
struct curl_fns {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_wakeup) *multi_wakeup;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_strerror) *multi_strerror;
};

/* The process-wide table: valid once curl_lib_ready() returned 0. */
extern struct curl_fns curl_fn;

/* Make sure libcurl is loaded (the first call loads it, once, whichever
 * thread makes it): 0, or -ENOSYS with err (may be NULL) saying what to
 * install. */
int curl_lib_ready(char *err, size_t errlen);

/* Load the first of `names` (NULL-terminated sonames) that exists and has
 * every function of struct curl_fns into f, and initialise it. 0, or
 * -ENOSYS with why saying what is missing. curl_lib_ready's worker,
 * exported so that tests can try names that do not exist. */
int curl_lib_load(struct curl_fns *f, const char *const *names, char *why,
		  size_t whylen);

#endif
