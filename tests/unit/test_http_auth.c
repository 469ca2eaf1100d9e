/* Unit tests for the HTTP access checks: CIDR allow-lists (src/netacl.c),
 * basic auth with bcrypt (src/http_auth.c) against hashes made by Apache's
 * htpasswd -B (Debian package apache2-utils), the constant-time compare,
 * and the [server] access keys of the configuration (src/config_access.c)
 * with TLS files made by openssl. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/config.h"
#include "hostwatch/http_auth.h"
#include "hostwatch/netacl.h"

#include "testutil.h"

/* ---- CIDR ---------------------------------------------------------------- */

static struct sockaddr_storage sa4(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage sa6(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	return ss;
}

static bool allows(const struct hw_cidr *l, size_t n, const char *ip)
{
	struct sockaddr_storage ss = strchr(ip, ':') ? sa6(ip) : sa4(ip);
	return netacl_allows(l, n, (struct sockaddr *)&ss,
			     ss.ss_family == AF_INET
				     ? sizeof(struct sockaddr_in)
				     : sizeof(struct sockaddr_in6));
}

START_TEST(test_cidr_match)
{
	struct hw_cidr *l = NULL;
	size_t n = 0;
	char why[200];
	ck_assert_int_eq(netacl_parse_list("127.0.0.0/8, ::1/128 10.0.0.0/8,"
					   "fd00::/8,192.168.1.7",
					   &l, &n, why, sizeof(why)),
			 0);
	ck_assert_uint_eq(n, 5);
	ck_assert(allows(l, n, "127.0.0.1"));
	ck_assert(allows(l, n, "127.255.255.255"));
	ck_assert(allows(l, n, "10.1.2.3"));
	ck_assert(!allows(l, n, "11.0.0.1"));
	ck_assert(!allows(l, n, "128.0.0.1"));
	ck_assert(allows(l, n, "192.168.1.7")); /* a bare address: /32 */
	ck_assert(!allows(l, n, "192.168.1.8"));
	ck_assert(allows(l, n, "::1"));
	ck_assert(!allows(l, n, "::2"));
	ck_assert(allows(l, n, "fdab:1::5"));
	ck_assert(!allows(l, n, "fe80::1"));
	/* IPv4-mapped peers (a dual-stack socket) match IPv4 entries */
	ck_assert(allows(l, n, "::ffff:127.0.0.1"));
	ck_assert(allows(l, n, "::ffff:10.9.9.9"));
	ck_assert(!allows(l, n, "::ffff:11.0.0.1"));
	/* an IPv4 entry does not match an IPv6 address with the same bits */
	ck_assert(!allows(l, n, "::a01:203"));
	/* nothing listed: everyone */
	ck_assert(allows(NULL, 0, "203.0.113.9"));
	char f[64];
	netacl_format(&l[0], f, sizeof(f));
	ck_assert_str_eq(f, "127.0.0.0/8");
	netacl_format(&l[3], f, sizeof(f));
	ck_assert_str_eq(f, "fd00::/8");
	free(l);

	/* 0.0.0.0/0 is every IPv4 client, not IPv6 ones; ::/0 is all */
	l = NULL;
	n = 0;
	ck_assert_int_eq(netacl_parse_list("0.0.0.0/0", &l, &n, why,
					   sizeof(why)),
			 0);
	ck_assert(allows(l, n, "8.8.8.8"));
	ck_assert(!allows(l, n, "2001:db8::1"));
	ck_assert_int_eq(netacl_parse_list("::/0", &l, &n, why, sizeof(why)),
			 0);
	ck_assert(allows(l, n, "2001:db8::1"));
	/* an AF_UNIX peer never matches a list */
	struct sockaddr_storage un = {.ss_family = AF_UNIX};
	ck_assert(!netacl_allows(l, n, (struct sockaddr *)&un, sizeof(un)));
	free(l);
}
END_TEST

static const struct {
	const char *in, *why;
} bad_cidrs[] = {
	{"10.0.0.1/8", "\"10.0.0.1/8\" has host bits set: did you mean "
		       "10.0.0.0/8?"},
	{"10.0.0.0/33", "\"10.0.0.0/33\": the prefix length is more than 32"},
	{"::1/129", "\"::1/129\": the prefix length is more than 128"},
	{"fe80::1/10", "\"fe80::1/10\" has host bits set: did you mean "
		       "fe80::/10?"},
	{"10.0.0.0/", "\"10.0.0.0/\": the prefix length is not a number"},
	{"10.0.0.0/08", "\"10.0.0.0/08\": the prefix length is not a number"},
	{"10.0.0.0/+8", "\"10.0.0.0/+8\": the prefix length is not a number"},
	{"10.0.0/8", "\"10.0.0/8\": \"10.0.0\" is not an IPv4 or IPv6 "
		     "address"},
	{"localhost", "\"localhost\": \"localhost\" is not an IPv4 or IPv6 "
		      "address"},
	{"/8", "\"/8\" is not a network (like 10.0.0.0/8 or ::1/128)"},
	{"1.2.3.4.5/32", "\"1.2.3.4.5/32\": \"1.2.3.4.5\" is not an IPv4 or "
			 "IPv6 address"},
};

START_TEST(test_cidr_bad)
{
	struct hw_cidr c;
	char why[200];
	ck_assert_int_eq(netacl_parse(bad_cidrs[_i].in, &c, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, bad_cidrs[_i].why);
}
END_TEST

START_TEST(test_cidr_list_bad)
{
	struct hw_cidr *l = NULL;
	size_t n = 0;
	char why[200];
	ck_assert_int_eq(netacl_parse_list(" , ", &l, &n, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "no network given");
	/* the good entries before a bad one are kept by the caller's list,
	 * which config_load then frees with the rest */
	ck_assert_int_eq(netacl_parse_list("10.0.0.0/8, 10.0.0.1/8", &l, &n,
					   why, sizeof(why)),
			 -EINVAL);
	ck_assert_uint_eq(n, 1);
	free(l);
}
END_TEST

/* ---- constant-time compare ------------------------------------------------ */

START_TEST(test_equal)
{
	ck_assert(http_auth_equal("abc", "abc", 3));
	ck_assert(!http_auth_equal("abc", "abd", 3));
	ck_assert(!http_auth_equal("xbc", "abc", 3));
	ck_assert(http_auth_equal("", "x", 0));
	unsigned char a[64], b[64];
	for (int i = 0; i < 64; i++)
		a[i] = b[i] = (unsigned char)i;
	ck_assert(http_auth_equal(a, b, 64));
	for (int i = 0; i < 64; i++) {
		b[i] ^= 0x80;
		ck_assert(!http_auth_equal(a, b, 64));
		b[i] ^= 0x80;
	}
}
END_TEST

/* The compare takes as long whatever the position of the first
 * difference: timed over many rounds, a difference in the first byte costs
 * within a few percent of one in the last, where memcmp stops at once. */
START_TEST(test_equal_timing)
{
	enum { N = 4096, ROUNDS = 4000 };
	static unsigned char a[N], first[N], last[N];
	memset(a, 'x', N);
	memcpy(first, a, N);
	memcpy(last, a, N);
	first[0] = 'y';
	last[N - 1] = 'y';
	double best[2] = {1e9, 1e9};
	for (int trial = 0; trial < 5; trial++)
		for (int w = 0; w < 2; w++) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			for (int r = 0; r < ROUNDS; r++)
				ck_assert(!http_auth_equal(
					a, w ? last : first, N));
			clock_gettime(CLOCK_MONOTONIC, &t1);
			double t = (double)(t1.tv_sec - t0.tv_sec) +
				   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			if (t < best[w])
				best[w] = t;
		}
	/* generous bound: valgrind and a busy machine both add noise; a
	 * compare that stops early would differ by ~4096x */
	ck_assert_msg(best[0] > best[1] * 0.5 && best[0] < best[1] * 2,
		      "first-byte %.6fs vs last-byte %.6fs", best[0], best[1]);
}
END_TEST

/* ---- bcrypt ------------------------------------------------------------------ */

/* Made with `htpasswd -nbB -C 4 alice secret` (apache2-utils 2.4.62, Debian
 * 12): $2y$, as Apache writes them. */
#define ALICE_HASH "$2y$04$gMYk7qwdsi/H1Z990ibyLOXqD3Fw.W0h6/Z4M0tAM18P9y2slJfI2"

/* A fresh hash from htpasswd itself, cost 4 (the test's speed). */
static char *htpasswd(const char *user, const char *password)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "htpasswd -nbB -C 4 '%s' '%s' 2>/dev/null",
		 user, password);
	FILE *p = popen(cmd, "r");
	ck_assert_msg(p, "popen htpasswd");
	char line[256] = "";
	char *ok = fgets(line, sizeof(line), p);
	int st = pclose(p);
	ck_assert_msg(ok && st == 0,
		      "htpasswd failed: install apache2-utils");
	char *colon = strchr(line, ':');
	ck_assert(colon);
	colon[1 + strcspn(colon + 1, "\r\n")] = '\0';
	return strdup(colon + 1);
}

static char *basic(const char *userpass)
{
	/* base64 by hand: the test should not trust the decoder it tests */
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(userpass);
	char *out = malloc(6 + (n + 2) / 3 * 4 + 1);
	strcpy(out, "Basic ");
	char *o = out + 6;
	const unsigned char *s = (const unsigned char *)userpass;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*o++ = t[v >> 18 & 63];
		*o++ = t[v >> 12 & 63];
		*o++ = i + 1 < n ? t[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? t[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static enum http_auth_result check(struct http_auth *a, const char *userpass)
{
	char *h = basic(userpass);
	enum http_auth_result r = http_auth_check(a, h);
	free(h);
	return r;
}

START_TEST(test_bcrypt)
{
	char *bob = htpasswd("bob", "p@ss w:rd");
	struct hw_basic_user users[] = {
		{"alice", ALICE_HASH},
		{"bob", bob},
	};
	struct http_auth *a;
	ck_assert_int_eq(http_auth_new(&a, users, 2), 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(check(a, "alice:secret"), HTTP_AUTH_OK);
	ck_assert_int_eq(check(a, "alice:secret"), HTTP_AUTH_OK); /* cached */
	ck_assert_int_eq(check(a, "alice:Secret"), HTTP_AUTH_BAD_PASSWORD);
	ck_assert_int_eq(check(a, "alice:"), HTTP_AUTH_BAD_PASSWORD);
	ck_assert_int_eq(check(a, "bob:p@ss w:rd"), HTTP_AUTH_OK);
	ck_assert_int_eq(check(a, "bob:secret"), HTTP_AUTH_BAD_PASSWORD);
	/* alice's password under another name: unknown, whatever it is */
	ck_assert_int_eq(check(a, "carol:secret"), HTTP_AUTH_UNKNOWN_USER);
	ck_assert_int_eq(check(a, "Alice:secret"), HTTP_AUTH_UNKNOWN_USER);
	ck_assert_int_eq(check(a, ":secret"), HTTP_AUTH_UNKNOWN_USER);
	/* a cached success does not leak to another password, nor a cached
	 * failure to the right one */
	ck_assert_int_eq(check(a, "alice:secret2"), HTTP_AUTH_BAD_PASSWORD);
	ck_assert_int_eq(check(a, "alice:secret"), HTTP_AUTH_OK);
	/* more pairs than the cache holds: evicted ones are checked again */
	for (int i = 0; i < HTTP_AUTH_CACHE + 3; i++) {
		char up[64];
		snprintf(up, sizeof(up), "alice:wrong%d", i);
		ck_assert_int_eq(check(a, up), HTTP_AUTH_BAD_PASSWORD);
	}
	ck_assert_int_eq(check(a, "alice:secret"), HTTP_AUTH_OK);
	ck_assert_int_eq(check(a, "bob:p@ss w:rd"), HTTP_AUTH_OK);
	http_auth_free(a);
	free(bob);
}
END_TEST

/* $2b$ and $2a$ name the same algorithm as Apache's $2y$ for ASCII
 * passwords (OpenBSD's and crypt_blowfish's notes): libxcrypt takes all
 * three, as Go's bcrypt does. */
START_TEST(test_bcrypt_prefixes)
{
	static const char prefixes[] = "bay";
	for (int i = 0; prefixes[i]; i++) {
		char hash[] = ALICE_HASH;
		hash[2] = prefixes[i];
		struct hw_basic_user u = {"alice", hash};
		struct http_auth *a;
		ck_assert_int_eq(http_auth_new(&a, &u, 1), 0);
		ck_assert_int_eq(check(a, "alice:secret"), HTTP_AUTH_OK);
		ck_assert_int_eq(check(a, "alice:secreT"),
				 HTTP_AUTH_BAD_PASSWORD);
		http_auth_free(a);
	}
}
END_TEST

START_TEST(test_malformed)
{
	struct hw_basic_user u = {"alice", ALICE_HASH};
	struct http_auth *a;
	ck_assert_int_eq(http_auth_new(&a, &u, 1), 0);
	ck_assert_int_eq(http_auth_check(a, NULL), HTTP_AUTH_MISSING);
	ck_assert_int_eq(http_auth_check(a, "Bearer abc"), HTTP_AUTH_MALFORMED);
	ck_assert_int_eq(http_auth_check(a, "Basic"), HTTP_AUTH_MALFORMED);
	ck_assert_int_eq(http_auth_check(a, "Basic !!!!"), HTTP_AUTH_MALFORMED);
	ck_assert_int_eq(http_auth_check(a, "Basic YWxpY2U="),
			 HTTP_AUTH_MALFORMED); /* "alice": no colon */
	ck_assert_int_eq(http_auth_check(a, "Basic YWxpY2U6c2VjcmV0"),
			 HTTP_AUTH_OK); /* scheme, then exact base64 */
	ck_assert_int_eq(http_auth_check(a, "basic YWxpY2U6c2VjcmV0"),
			 HTTP_AUTH_OK); /* RFC 7617: any case */
	ck_assert_int_eq(http_auth_check(a, "Basic YWxpY2U6c2VjcmV0="),
			 HTTP_AUTH_MALFORMED); /* bad padding */
	ck_assert_int_eq(http_auth_check(a, "Basic YWxpY2U6c2Vj=mV0"),
			 HTTP_AUTH_MALFORMED); /* '=' inside */
	/* "alice:sec\0ret": a NUL would cut the password for crypt */
	ck_assert_int_eq(http_auth_check(a, "Basic YWxpY2U6c2VjAHJldA=="),
			 HTTP_AUTH_MALFORMED);
	char big[2048] = "Basic ";
	memset(big + 6, 'A', 1200);
	big[1206] = '\0';
	ck_assert_int_eq(http_auth_check(a, big), HTTP_AUTH_MALFORMED);
	http_auth_free(a);
	ck_assert_str_eq(http_auth_reason(HTTP_AUTH_UNKNOWN_USER),
			 "unknown_user");
	ck_assert_ptr_null(http_auth_reason(HTTP_AUTH_OK));
	/* no users: no checker */
	ck_assert_int_eq(http_auth_new(&a, NULL, 0), 0);
	ck_assert_ptr_null(a);
}
END_TEST

/* An unknown user costs a bcrypt like a known one: the time of a wrong
 * password for a real user and for a made-up one are alike, and both far
 * above a cache hit. Cost 8 makes bcrypt (~15 ms) stand out of the noise. */
START_TEST(test_unknown_user_timing)
{
	/* htpasswd -nbB -C 8 alice x */
	char hash[] = "$2y$08$0EvROnWpC/bGhuJsNWtXmey6RadfPEt4yY364EzQsP5vf/BCLW6lC";
	struct hw_basic_user u = {"alice", hash};
	struct http_auth *a;
	ck_assert_int_eq(http_auth_new(&a, &u, 1), 0);
	double t[2] = {0, 0};
	for (int r = 0; r < 3; r++)
		for (int w = 0; w < 2; w++) {
			char up[64];
			snprintf(up, sizeof(up), "%s:guess%d",
				 w ? "mallory" : "alice", r);
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			enum http_auth_result res = check(a, up);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ck_assert_int_eq(res, w ? HTTP_AUTH_UNKNOWN_USER
						: HTTP_AUTH_BAD_PASSWORD);
			t[w] += (double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		}
	ck_assert_msg(t[1] > t[0] * 0.5 && t[1] < t[0] * 2,
		      "known user %.4fs, unknown user %.4fs", t[0], t[1]);
	http_auth_free(a);
}
END_TEST

static const struct {
	const char *hash, *why;
} bad_hashes[] = {
	{"secret", "not a bcrypt hash (it starts with $2b$, $2y$ or $2a$, as "
		   "htpasswd -B or Python's bcrypt make)"},
	{"$1$abc$def", "not a bcrypt hash (it starts with $2b$, $2y$ or $2a$, "
		       "as htpasswd -B or Python's bcrypt make)"},
	{"$2x$10$abc", "not a bcrypt hash (it starts with $2b$, $2y$ or $2a$, "
		       "as htpasswd -B or Python's bcrypt make)"},
	{"$2y$ab$cUcmvNEsg3VCqfrdW3S9vOWfWAO7H4oHxAaf12cHzWSR9jXgTeQ4.",
	 "not a bcrypt hash: no cost after \"$2y$\""},
	{"$2y$03$cUcmvNEsg3VCqfrdW3S9vOWfWAO7H4oHxAaf12cHzWSR9jXgTeQ4.",
	 "bcrypt cost 3 is out of range (04..31)"},
	{"$2y$10$cUcmvNEsg3VCqfrdW3S9vOWfWAO7H4oHxAaf12cHzWSR9jXgTeQ4",
	 "not a bcrypt hash: 53 characters of [./A-Za-z0-9] must follow "
	 "\"$2y$10$\""},
	{"$2y$10$cUcmvNEsg3VCqfrdW3S9vOWfWAO7H4oHxAaf12cHzWSR9jXgTeQ4!",
	 "not a bcrypt hash: 53 characters of [./A-Za-z0-9] must follow "
	 "\"$2y$10$\""},
};

START_TEST(test_bad_hash)
{
	char why[200];
	ck_assert_int_eq(http_auth_check_hash(bad_hashes[_i].hash, why,
					      sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, bad_hashes[_i].why);
}
END_TEST

/* ---- [server] keys -------------------------------------------------------------- */

static char dir[] = "/tmp/hw-test-http-auth-XXXXXX";

static void make_tls_files(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout a.key -out a.crt "
		 "-days 2 -subj /CN=a 2>/dev/null && openssl req -x509 -newkey "
		 "ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout b.key "
		 "-out b.crt -days 2 -subj /CN=b 2>/dev/null && echo garbage "
		 ">junk.pem && chmod 600 a.key b.key",
		 dir);
	ck_assert_msg(system(cmd) == 0, "openssl failed");
}

static void remove_tls_files(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *conf_path(const char *text)
{
	static char path[600];
	snprintf(path, sizeof(path), "%s/hostwatch.conf", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load `text` as the file (with every "@" replaced by the temp dir) plus
 * up to two flags; the error text (or "") into *err. */
static int load(struct hw_config *cfg, const char *text, const char *flag1,
		const char *flag2, char **err)
{
	char body[4096], arg[700];
	size_t o = 0;
	for (const char *p = text; *p && o < sizeof(body) - 64; p++)
		if (*p == '@')
			o += (size_t)snprintf(body + o, sizeof(body) - o, "%s",
					      dir);
		else
			body[o++] = *p;
	body[o] = '\0';
	snprintf(arg, sizeof(arg), "--config.file=%s", conf_path(body));
	char f1[700] = "", f2[700] = "";
	if (flag1)
		snprintf(f1, sizeof(f1), flag1, dir);
	if (flag2)
		snprintf(f2, sizeof(f2), flag2, dir);
	const char *args[] = {arg, flag1 ? f1 : NULL, flag2 ? f2 : NULL, NULL};
	struct hw_cli cli;
	*err = NULL;
	return test_config_load(cfg, &cli, args, err);
}

START_TEST(test_config_keys)
{
	struct hw_config cfg;
	char *err;
	ck_assert_int_eq(
		load(&cfg,
		     "[server]\n"
		     "tls_cert_file = @/a.crt\n"
		     "tls_key_file = @/a.key\n"
		     "tls_min_version = TLS13\n"
		     "tls_client_ca_file = @/b.crt\n"
		     "tls_client_auth = RequireAndVerifyClientCert\n"
		     "basic_auth_user = alice " ALICE_HASH "\n"
		     "basic_auth_user = bob:" ALICE_HASH "\n"
		     "allow = 127.0.0.0/8, ::1/128\n"
		     "allow = 10.0.0.0/8\n",
		     NULL, NULL, &err),
		0);
	ck_assert_int_eq(cfg.tls_min_version, HW_TLS13);
	ck_assert_int_eq(cfg.tls_client_auth, HW_CLIENT_REQUIRE_VERIFY);
	ck_assert_uint_eq(cfg.n_basic_auth_users, 2);
	ck_assert_str_eq(cfg.basic_auth_users[0].name, "alice");
	ck_assert_str_eq(cfg.basic_auth_users[1].name, "bob");
	ck_assert_str_eq(cfg.basic_auth_users[1].hash, ALICE_HASH);
	ck_assert(cfg.secrets_in_file);
	ck_assert_uint_eq(cfg.n_allow, 3);
	config_free(&cfg);
	free(err);

	/* flags replace the file's lists, and add to each other */
	ck_assert_int_eq(load(&cfg,
			      "[server]\nallow = 10.0.0.0/8\n"
			      "basic_auth_user = alice " ALICE_HASH "\n",
			      "--web.allow=192.0.2.0/24",
			      "--web.basic-auth-user=carol " ALICE_HASH, &err),
			 0);
	ck_assert_uint_eq(cfg.n_allow, 1);
	ck_assert_uint_eq(cfg.n_basic_auth_users, 1);
	ck_assert_str_eq(cfg.basic_auth_users[0].name, "carol");
	config_free(&cfg);
	free(err);

	/* defaults: no TLS, no users, everyone */
	ck_assert_int_eq(load(&cfg, "[server]\n", NULL, NULL, &err), 0);
	ck_assert_ptr_null(cfg.tls_cert_file);
	ck_assert_int_eq(cfg.tls_min_version, HW_TLS12);
	ck_assert_int_eq(cfg.tls_client_auth, HW_CLIENT_NONE);
	ck_assert_uint_eq(cfg.n_basic_auth_users, 0);
	ck_assert_uint_eq(cfg.n_allow, 0);
	ck_assert(!cfg.secrets_in_file);
	config_free(&cfg);
	free(err);
}
END_TEST

/* Each bad setting: "FILE:LINE: [server] key: why" (or the flag), with %s
 * the temp directory where a path is quoted. */
static const struct {
	const char *text, *flag, *msg;
} bad_keys[] = {
	{"[server]\nallow = 10.0.0.1/8\n", NULL,
	 "%s/hostwatch.conf:2: [server] allow: \"10.0.0.1/8\" has host bits "
	 "set: did you mean 10.0.0.0/8?\n"},
	{"[server]\n\nallow = 10.0.0.0/8 nonsense\n", NULL,
	 "%s/hostwatch.conf:3: [server] allow: \"nonsense\": \"nonsense\" is "
	 "not an IPv4 or IPv6 address\n"},
	{"[server]\n", "--web.allow=::1/200",
	 "flag --web.allow: \"::1/200\": the prefix length is more than 128\n"},
	{"[server]\ntls_min_version = TLS11\n", NULL,
	 "%s/hostwatch.conf:2: [server] tls_min_version: \"TLS11\": TLS 1.0 "
	 "and 1.1 are not offered (deprecated by RFC 8996); use TLS12 or "
	 "TLS13\n"},
	{"[server]\ntls_min_version = tls12\n", NULL,
	 "%s/hostwatch.conf:2: [server] tls_min_version: \"tls12\" is not a "
	 "TLS version (TLS12, TLS13)\n"},
	{"[server]\ntls_client_auth = Verify\n", NULL,
	 "%s/hostwatch.conf:2: [server] tls_client_auth: \"Verify\" is not a "
	 "client auth type (NoClientCert, RequestClientCert, "
	 "RequireAnyClientCert, VerifyClientCertIfGiven, "
	 "RequireAndVerifyClientCert)\n"},
	{"[server]\nbasic_auth_user = alice\n", NULL,
	 "%s/hostwatch.conf:2: [server] basic_auth_user: user \"alice\": no "
	 "bcrypt hash after the name\n"},
	{"[server]\nbasic_auth_user = alice secret\n", NULL,
	 "%s/hostwatch.conf:2: [server] basic_auth_user: user \"alice\": not "
	 "a bcrypt hash (it starts with $2b$, $2y$ or $2a$, as htpasswd -B or "
	 "Python's bcrypt make)\n"},
	{"[server]\nbasic_auth_user = a " ALICE_HASH "\nbasic_auth_user = a "
	 ALICE_HASH "\n",
	 NULL,
	 "%s/hostwatch.conf:3: [server] basic_auth_user: user \"a\" is given "
	 "twice\n"},
	{"[server]\nbasic_auth_user = a " ALICE_HASH " extra\n", NULL,
	 "%s/hostwatch.conf:2: [server] basic_auth_user: user \"a\": text "
	 "after the hash\n"},
	{"[server]\ntls_cert_file = @/a.crt\n", NULL,
	 "%s/hostwatch.conf:2: [server] tls_cert_file: needs tls_key_file "
	 "(--web.tls-key-file) too\n"},
	{"[server]\n", "--web.tls-key-file=%s/a.key",
	 "flag --web.tls-key-file: needs tls_cert_file (--web.tls-cert-file) "
	 "too\n"},
	{"[server]\ntls_client_auth = RequireAnyClientCert\n", NULL,
	 "%s/hostwatch.conf:2: [server] tls_client_auth: client certificates "
	 "need TLS: set tls_cert_file and tls_key_file\n"},
	{"[server]\ntls_cert_file = @/a.crt\ntls_key_file = @/a.key\n"
	 "tls_client_ca_file = @/b.crt\n",
	 NULL,
	 "%s/hostwatch.conf:4: [server] tls_client_ca_file: client CAs are "
	 "configured without a client auth policy: set tls_client_auth (e.g. "
	 "RequireAndVerifyClientCert)\n"},
	{"[server]\ntls_cert_file = @/a.crt\ntls_key_file = @/a.key\n"
	 "tls_client_auth = VerifyClientCertIfGiven\n",
	 NULL,
	 "%s/hostwatch.conf:4: [server] tls_client_auth: verifying client "
	 "certificates needs tls_client_ca_file\n"},
	{"[server]\ntls_cert_file = @/a.crt\ntls_key_file = @/b.key\n", NULL,
	 "%s/hostwatch.conf:3: [server] tls_key_file: %s/b.key "
	 "does not go with tls_cert_file %s/a.crt: The certificate and the "
	 "given key do not match.\n"},
	{"[server]\ntls_cert_file = @/junk.pem\ntls_key_file = @/a.key\n", NULL,
	 "%s/hostwatch.conf:2: [server] tls_cert_file: "
	 "%s/junk.pem: No certificate was found.\n"},
	{"[server]\ntls_cert_file = @/a.crt\ntls_key_file = @/missing.key\n",
	 NULL,
	 "%s/hostwatch.conf:3: [server] tls_key_file: "
	 "%s/missing.key: cannot read: No such file or directory\n"},
	{"[server]\ntls_cert_file = @/a.crt\ntls_key_file = @/a.key\n"
	 "tls_client_auth = RequireAndVerifyClientCert\n"
	 "tls_client_ca_file = @/junk.pem\n",
	 NULL,
	 "%s/hostwatch.conf:5: [server] tls_client_ca_file: "
	 "%s/junk.pem: No certificate was found.\n"},
};

START_TEST(test_config_bad)
{
	struct hw_config cfg;
	char *err;
	ck_assert_int_eq(load(&cfg, bad_keys[_i].text, bad_keys[_i].flag,
			      NULL, &err),
			 -EINVAL);
	char want[2048];
	snprintf(want, sizeof(want), bad_keys[_i].msg, dir, dir, dir);
	ck_assert_str_eq(err, want);
	free(err);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("http_auth");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, make_tls_files, remove_tls_files);
	tcase_add_test(tc, test_cidr_match);
	tcase_add_loop_test(tc, test_cidr_bad, 0,
			    (int)(sizeof(bad_cidrs) / sizeof(bad_cidrs[0])));
	tcase_add_test(tc, test_cidr_list_bad);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_equal_timing);
	tcase_add_test(tc, test_bcrypt);
	tcase_add_test(tc, test_bcrypt_prefixes);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_unknown_user_timing);
	tcase_add_loop_test(tc, test_bad_hash, 0,
			    (int)(sizeof(bad_hashes) / sizeof(bad_hashes[0])));
	tcase_add_test(tc, test_config_keys);
	tcase_add_loop_test(tc, test_config_bad, 0,
			    (int)(sizeof(bad_keys) / sizeof(bad_keys[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
