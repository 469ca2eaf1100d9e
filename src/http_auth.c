/* HTTP basic authentication with bcrypt: see include/hostwatch/http_auth.h. */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "hostwatch/http_auth.h"
#include "hostwatch/notify_body.h" /* sha256(), base64_decode() */

/* An Authorization header longer than this is malformed: 255 bytes of user
 * and password are plenty, base64 makes 4 of every 3. */
#define MAX_CREDENTIALS 512

struct user {
	char *name;
	size_t name_len;
	char *hash;
};

struct cached {
	unsigned char key[SHA256_LEN];
	bool used;
	bool ok;
};

struct http_auth {
	struct user *users;
	size_t n;
	pthread_mutex_t crypt_lock; /* one bcrypt at a time */
	struct crypt_data *cd;      /* ~32 KB: crypt_rn's scratch */
	pthread_mutex_t cache_lock;
	unsigned char salt[16]; /* per process: cache keys are not plain
				 * SHA-256 of a password */
	struct cached cache[HTTP_AUTH_CACHE];
	unsigned next; /* round-robin victim */
};

const char *http_auth_reason(enum http_auth_result r)
{
	switch (r) {
	case HTTP_AUTH_MISSING:
		return "missing";
	case HTTP_AUTH_MALFORMED:
		return "malformed";
	case HTTP_AUTH_UNKNOWN_USER:
		return "unknown_user";
	case HTTP_AUTH_BAD_PASSWORD:
		return "bad_password";
	default:
		return NULL;
	}
}

bool http_auth_equal(const void *a, const void *b, size_t n)
{
	/* volatile: every byte is read and OR-ed, whatever came before */
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

#define WHY(...) (snprintf(why, whysize, __VA_ARGS__), -EINVAL)

int http_auth_check_hash(const char *h, char *why, size_t whysize)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = strlen(h);
	if (len < 7 || h[0] != '$' || h[1] != '2' ||
	    !strchr("aby", h[2]) || h[3] != '$')
		return WHY("not a bcrypt hash (it starts with $2b$, $2y$ or "
			   "$2a$, as htpasswd -B or Python's bcrypt make)");
	if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' ||
	    h[6] != '$')
		return WHY("not a bcrypt hash: no cost after \"$2%c$\"", h[2]);
	int cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return WHY("bcrypt cost %d is out of range (04..31)", cost);
	if (len != 60 || strspn(h + 7, b64) != 53)
		return WHY("not a bcrypt hash: 53 characters of [./A-Za-z0-9] "
			   "must follow \"%.7s\"",
			   h);
	return 0;
}

int http_auth_new(struct http_auth **out, const struct hw_basic_user *users,
		  size_t n)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct http_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->users = calloc(n, sizeof(*a->users));
	a->cd = calloc(1, sizeof(*a->cd));
	if (!a->users || !a->cd)
		goto nomem;
	for (size_t i = 0; i < n; i++, a->n++) {
		a->users[i].name = strdup(users[i].name);
		a->users[i].hash = strdup(users[i].hash);
		if (!a->users[i].name || !a->users[i].hash) {
			a->n++;
			goto nomem;
		}
		a->users[i].name_len = strlen(users[i].name);
	}
	/* Not secret, only unpredictable; a short read leaves zeros, which
	 * weakens nothing that matters here. */
	if (getrandom(a->salt, sizeof(a->salt), GRND_NONBLOCK) < 0)
		memset(a->salt, 0, sizeof(a->salt));
	pthread_mutex_init(&a->crypt_lock, NULL);
	pthread_mutex_init(&a->cache_lock, NULL);
	*out = a;
	return 0;
nomem:
	for (size_t i = 0; i < a->n; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	free(a->cd);
	free(a);
	return -ENOMEM;
}

void http_auth_free(struct http_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->users[i].name);
		/* hashes are not secrets, the cache holds no password: the
		 * scratch area may, so it is wiped */
		free(a->users[i].hash);
	}
	explicit_bzero(a->cd, sizeof(*a->cd));
	free(a->cd);
	free(a->users);
	pthread_mutex_destroy(&a->crypt_lock);
	pthread_mutex_destroy(&a->cache_lock);
	free(a);
}

/* 1 and *ok set when the key is cached. */
static int cache_get(struct http_auth *a, const unsigned char *key, bool *ok)
{
	int found = 0;
	pthread_mutex_lock(&a->cache_lock);
	for (unsigned i = 0; i < HTTP_AUTH_CACHE; i++)
		if (a->cache[i].used &&
		    http_auth_equal(a->cache[i].key, key, SHA256_LEN)) {
			*ok = a->cache[i].ok;
			found = 1;
		}
	pthread_mutex_unlock(&a->cache_lock);
	return found;
}

static void cache_put(struct http_auth *a, const unsigned char *key, bool ok)
{
	pthread_mutex_lock(&a->cache_lock);
	struct cached *c = &a->cache[a->next];
	a->next = (a->next + 1) % HTTP_AUTH_CACHE;
	memcpy(c->key, key, SHA256_LEN);
	c->ok = ok;
	c->used = true;
	pthread_mutex_unlock(&a->cache_lock);
}

/* Process-wide, not per checker: a reload makes a new checker, and the
 * counter must not go back. */
static uint64_t bcrypt_runs;

uint64_t http_auth_bcrypt_count(void)
{
	return __atomic_load_n(&bcrypt_runs, __ATOMIC_RELAXED);
}

/* bcrypt(password, hash) == hash. */
static bool bcrypt_matches(struct http_auth *a, const char *password,
			   const char *hash)
{
	size_t hl = strlen(hash);
	__atomic_add_fetch(&bcrypt_runs, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&a->crypt_lock);
	const char *out = crypt_rn(password, hash, a->cd, sizeof(*a->cd));
	bool ok = out && strlen(out) == hl && http_auth_equal(out, hash, hl);
	explicit_bzero(a->cd, sizeof(*a->cd));
	pthread_mutex_unlock(&a->crypt_lock);
	return ok;
}

enum http_auth_result http_auth_check(struct http_auth *a,
				      const char *authorization)
{
	if (!authorization)
		return HTTP_AUTH_MISSING;
	/* RFC 7617: the scheme is case-insensitive; Go takes "Basic " with
	 * one space and base64 after it. */
	if (strncasecmp(authorization, "Basic ", 6) != 0)
		return HTTP_AUTH_MALFORMED;
	const char *b = authorization + 6;
	size_t bl = strlen(b);
	if (bl > MAX_CREDENTIALS)
		return HTTP_AUTH_MALFORMED;
	unsigned char cred[MAX_CREDENTIALS];
	/* RFC 4648 with padding, strict, as Go's base64.StdEncoding that
	 * net/http.Request.BasicAuth uses (the header value ends in NUL). */
	int n = base64_decode(b, cred, sizeof(cred) - 1);
	if (n < 0)
		return HTTP_AUTH_MALFORMED;
	cred[n] = '\0';
	unsigned char *colon = memchr(cred, ':', (size_t)n);
	/* A NUL would cut the password short for crypt_rn. */
	if (!colon || memchr(cred, '\0', (size_t)n))
		goto malformed;
	size_t ul = (size_t)(colon - cred);
	const char *password = (const char *)colon + 1;

	/* Every name is compared, and an unknown one is checked against the
	 * first user's hash, so an unknown user costs what a known one
	 * does. */
	const struct user *u = NULL;
	for (size_t i = 0; i < a->n; i++)
		if (a->users[i].name_len == ul &&
		    http_auth_equal(a->users[i].name, cred, ul) && !u)
			u = &a->users[i];
	const char *hash = u ? u->hash : a->users[0].hash;

	/* The cache key: salted SHA-256 of user, NUL, the hash checked, NUL,
	 * password (exporter-toolkit keys on the same three). */
	unsigned char key[SHA256_LEN];
	size_t hl = strlen(hash), pl = (size_t)n - ul - 1;
	size_t kl = sizeof(a->salt) + ul + 1 + hl + 1 + pl;
	unsigned char kbuf[sizeof(a->salt) + MAX_CREDENTIALS + 64 + 2];
	if (kl > sizeof(kbuf))
		goto malformed;
	unsigned char *k = kbuf;
	memcpy(k, a->salt, sizeof(a->salt));
	k += sizeof(a->salt);
	memcpy(k, cred, ul);
	k += ul;
	*k++ = '\0';
	memcpy(k, hash, hl);
	k += hl;
	*k++ = '\0';
	memcpy(k, password, pl);
	sha256(kbuf, kl, key);
	explicit_bzero(kbuf, sizeof(kbuf));

	bool ok;
	if (!cache_get(a, key, &ok)) {
		ok = bcrypt_matches(a, password, hash);
		cache_put(a, key, ok);
	}
	explicit_bzero(cred, sizeof(cred));
	if (!u)
		return HTTP_AUTH_UNKNOWN_USER;
	return ok ? HTTP_AUTH_OK : HTTP_AUTH_BAD_PASSWORD;
malformed:
	explicit_bzero(cred, sizeof(cred));
	return HTTP_AUTH_MALFORMED;
}
