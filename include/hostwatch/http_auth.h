/* HTTP basic authentication against bcrypt hashes, as Prometheus's
 * exporter-toolkit does it (web/handler.go, "webHandler"): every path is
 * protected; an unknown user costs a bcrypt like a known one (compared
 * against a real hash, the result forced false) so that timing does not
 * tell which users exist; a small cache of recent (user, password) results
 * spares the bcrypt — 50-100 ms at cost 10 — on every scrape; bcrypt runs
 * one at a time, as exporter-toolkit's bcryptMtx makes it, so that a flood
 * of wrong passwords takes one core, not all of them.
 *
 * Hashes are checked by libxcrypt's crypt_rn, which is reentrant (crypt()
 * is not); the final comparisons are constant-time. */
#ifndef HOSTWATCH_HTTP_AUTH_H
#define HOSTWATCH_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/config.h"

/* Recent results kept: at most this many (user, password) pairs, each as a
 * salted SHA-256 (never the password itself). exporter-toolkit keeps 100. */
#define HTTP_AUTH_CACHE 64

enum http_auth_result {
	HTTP_AUTH_OK,
	HTTP_AUTH_MISSING,      /* no Authorization header */
	HTTP_AUTH_MALFORMED,    /* not "Basic base64(user:password)" */
	HTTP_AUTH_UNKNOWN_USER, /* no such user */
	HTTP_AUTH_BAD_PASSWORD, /* the user exists, the password is wrong */
	HTTP_AUTH_N_RESULTS
};

/* The `reason` label of hostwatch_http_auth_failures_total for a result
 * ("missing", "malformed", "unknown_user", "bad_password"); NULL for OK. */
const char *http_auth_reason(enum http_auth_result r);

struct http_auth;

/* Copy the n users (names and hashes, checked by http_auth_check_hash) into
 * a new checker. n == 0 gives NULL in *out: no authentication. 0 or
 * -ENOMEM. */
int http_auth_new(struct http_auth **out, const struct hw_basic_user *users,
		  size_t n);
void http_auth_free(struct http_auth *a);

/* Check the value of a request's Authorization header (NULL: none).
 * Thread-safe; may take a bcrypt's time. */
enum http_auth_result http_auth_check(struct http_auth *a,
				      const char *authorization);

/* bcrypt computations since start, in this process (the rest were answered
 * from the cache): what hostwatch_http_auth_bcrypt_total publishes, so an
 * operator sees whether scrapers hit the cache. */
uint64_t http_auth_bcrypt_count(void);

/* Whether `hash` is a bcrypt hash crypt_rn takes ($2a$, $2b$ or $2y$, cost
 * 04..31, 53 characters of salt and digest). 0, or -EINVAL with `why`. */
int http_auth_check_hash(const char *hash, char *why, size_t whysize);

/* Equality of n bytes in time that depends on n only (OpenSSL's
 * CRYPTO_memcmp): the compiler may not stop at the first difference. */
bool http_auth_equal(const void *a, const void *b, size_t n);

#endif
