/* Unit tests for sign.c: SHA-256 against FIPS 180-2's examples, HMAC-SHA256
 * against RFC 4231's test cases 1-7, both against python3's hashlib/hmac
 * on random inputs around the block boundaries, base64 against RFC 4648
 * section 10 and strict rejection, the Standard Webhooks and GitHub
 * signature examples, and notify_new_id's shape. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "hostwatch/notify_body.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static const char *sha_hex(const void *data, size_t len)
{
	static char out[2 * SHA256_LEN + 1];
	unsigned char d[SHA256_LEN];
	sha256(data, len, d);
	hex(d, sizeof(d), out);
	return out;
}

static const char *hmac_hex(const void *key, size_t keylen, const void *data,
			    size_t len)
{
	static char out[2 * SHA256_LEN + 1];
	unsigned char d[SHA256_LEN];
	hmac_sha256(key, keylen, data, len, d);
	hex(d, sizeof(d), out);
	return out;
}

/* FIPS 180-2 appendix B.1, B.2, B.3. */
START_TEST(test_sha256_fips)
{
	ck_assert_str_eq(sha_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223"
					    "b00361a396177a9cb410ff61f20015ad");
	const char *m448 =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	ck_assert_str_eq(sha_hex(m448, strlen(m448)),
			 "248d6a61d20638b8e5c026930c3e6039"
			 "a33ce45964ff2167f6ecedd419db06c1");
	char *million = malloc(1000000);
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	ck_assert_str_eq(sha_hex(million, 1000000),
			 "cdc76e5c9914fb9281a1c7e284d73e67"
			 "f1809a48a497200e046d39ccc7112cd0");
	free(million);
	ck_assert_str_eq(sha_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb924"
					 "27ae41e4649b934ca495991b7852b855");
}
END_TEST

/* RFC 4231 section 4.2-4.8 (HMAC-SHA-256 column). */
START_TEST(test_hmac_rfc4231)
{
	unsigned char k[131];

	memset(k, 0x0b, 20);
	ck_assert_str_eq(hmac_hex(k, 20, "Hi There", 8),
			 "b0344c61d8db38535ca8afceaf0bf12b"
			 "881dc200c9833da726e9376c2e32cff7");

	ck_assert_str_eq(hmac_hex("Jefe", 4, "what do ya want for nothing?", 28),
			 "5bdcc146bf60754e6a042426089575c7"
			 "5a003f089d2739839dec58b964ec3843");

	unsigned char d[50];
	memset(k, 0xaa, 20);
	memset(d, 0xdd, 50);
	ck_assert_str_eq(hmac_hex(k, 20, d, 50),
			 "773ea91e36800e46854db8ebd09181a7"
			 "2959098b3ef8c122d9635514ced565fe");

	for (int i = 0; i < 25; i++)
		k[i] = (unsigned char)(i + 1);
	memset(d, 0xcd, 50);
	ck_assert_str_eq(hmac_hex(k, 25, d, 50),
			 "82558a389a443c0ea4cc819899f2083a"
			 "85f0faa3e578f8077a2e3ff46729665b");

	/* Test case 5 is truncated to 128 bits. */
	memset(k, 0x0c, 20);
	const char *t5 = hmac_hex(k, 20, "Test With Truncation", 20);
	ck_assert_int_eq(strncmp(t5, "a3b6167473100ee06e0c796c2955552b", 32), 0);

	memset(k, 0xaa, 131);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	ck_assert_str_eq(hmac_hex(k, 131, m6, strlen(m6)),
			 "60e431591ee0b67f0d8a26aacbf5b77f"
			 "8e0bc6213728c5140546040f0ee37f54");
	const char *m7 = "This is a test using a larger than block-size key and "
			 "a larger than block-size data. The key needs to be "
			 "hashed before being used by the HMAC algorithm.";
	ck_assert_str_eq(hmac_hex(k, 131, m7, strlen(m7)),
			 "9b09ffa71b942fcb27635fbcd5b0e944"
			 "bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

/* Random keys and messages, lengths around the 64-byte block and the
 * 55/56-byte padding edge, against python3's hashlib and hmac. */
START_TEST(test_against_python)
{
	enum { N = 64 };
	static const size_t lens[] = {0,  1,  54,  55,  56,  57,  63,  64,
				      65, 119, 120, 127, 128, 129, 200, 1000};
	char path[] = "/tmp/test_sign_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	static unsigned char key[N][140], msg[N][1000];
	static char want[N][2][2 * SHA256_LEN + 1];
	for (int i = 0; i < N; i++) {
		size_t kl = (size_t)(i * 37 % 140), ml = lens[i % 16];
		ck_assert_int_eq(getrandom(key[i], kl, 0), (ssize_t)kl);
		if (ml)
			ck_assert_int_eq(getrandom(msg[i], ml, 0), (ssize_t)ml);
		char kh[281], mh[2001];
		hex(key[i], kl, kh);
		hex(msg[i], ml, mh);
		fprintf(f, "%s %s\n", kh[0] ? kh : "-", mh[0] ? mh : "-");
		strcpy(want[i][0], sha_hex(msg[i], ml));
		strcpy(want[i][1], hmac_hex(key[i], kl, msg[i], ml));
	}
	ck_assert_int_eq(fclose(f), 0);

	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys,hmac,hashlib\n"
		 "for l in open(sys.argv[1]):\n"
		 " k,m=[bytes.fromhex(x.replace(\"-\",\"\")) for x in l.split()]\n"
		 " print(hashlib.sha256(m).hexdigest(),"
		 "hmac.new(k,m,hashlib.sha256).hexdigest())' %s",
		 path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char line[256];
	int n = 0;
	while (fgets(line, sizeof(line), p)) {
		ck_assert_int_lt(n, N);
		char s[65], h[65];
		ck_assert_int_eq(sscanf(line, "%64s %64s", s, h), 2);
		ck_assert_str_eq(want[n][0], s);
		ck_assert_str_eq(want[n][1], h);
		n++;
	}
	ck_assert_int_eq(pclose(p), 0);
	unlink(path);
	ck_assert_int_eq(n, N);
}
END_TEST

static const char *b64(const char *s)
{
	static char out[64];
	struct hw_buf b = HW_BUF_INIT;
	base64_encode((const unsigned char *)s, strlen(s), &b);
	ck_assert(!b.failed);
	snprintf(out, sizeof(out), "%s", b.len ? buf_cstr(&b) : "");
	buf_free(&b);
	return out;
}

/* RFC 4648 section 10, and everything a strict decoder refuses. */
START_TEST(test_base64)
{
	static const char *const v[][2] = {
		{"", ""},	  {"f", "Zg=="},      {"fo", "Zm8="},
		{"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_str_eq(b64(v[i][0]), v[i][1]);
		unsigned char out[16];
		int n = base64_decode(v[i][1], out, sizeof(out));
		ck_assert_int_eq(n, (int)strlen(v[i][0]));
		ck_assert_int_eq(memcmp(out, v[i][0], (size_t)n), 0);
	}
	static const char *const bad[] = {
		"Zg=",	 "Zg",	  "Zg=a", "Z===", "====", "Zh==", "Zm9=",
		"Zm9v\n", "Zm 9", "Zm9-", "Zm9_", "=Zm9", "Zm=v", "Zg==Zm9v",
		"Zm9v=", "Zm9\x80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char out[16];
		ck_assert_msg(base64_decode(bad[i], out, sizeof(out)) == -EINVAL,
			      "accepted %s", bad[i]);
	}
	/* Too small an output is refused, not overrun. */
	unsigned char small[5];
	ck_assert_int_eq(base64_decode("Zm9vYmFy", small, sizeof(small)),
			 -EINVAL);
	ck_assert_int_eq(base64_decode("Zm9vYmE=", small, sizeof(small)), 5);

	/* Every byte value round-trips. */
	unsigned char all[256], back[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t len = 250; len <= 256; len++) {
		struct hw_buf b = HW_BUF_INIT;
		base64_encode(all, len, &b);
		ck_assert_int_eq(base64_decode(buf_cstr(&b), back, sizeof(back)),
				 (int)len);
		ck_assert_int_eq(memcmp(all, back, len), 0);
		buf_free(&b);
	}
}
END_TEST

/* The Standard Webhooks libraries' own vector
 * (standard-webhooks/standard-webhooks,
 * libraries/python/tests/test_webhooks.py, test_sign_function). */
START_TEST(test_sign_standard_vector)
{
	unsigned char key[64];
	int n = base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key,
			      sizeof(key));
	ck_assert_int_eq(n, 24);
	const char *body = "{\"test\": 2432232314}";
	struct hw_buf sig = HW_BUF_INIT;
	sign_standard(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		      1614265330, body, strlen(body), &sig);
	ck_assert_str_eq(buf_cstr(&sig),
			 "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Appends: a second signature (key rotation) follows a space the
	 * caller adds. */
	buf_putc(&sig, ' ');
	sign_standard(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		      1614265331, body, strlen(body), &sig);
	ck_assert_int_eq(sig.len, 2 * 47 + 1);
	ck_assert(strncmp(sig.data + 48, "v1,g0hM9", 8) != 0);
	buf_free(&sig);
}
END_TEST

/* docs.github.com, "Validating webhook deliveries", "Testing the webhook
 * payload validation". */
START_TEST(test_sign_github_vector)
{
	const char *secret = "It's a Secret to Everybody";
	struct hw_buf sig = HW_BUF_INIT;
	sign_github((const unsigned char *)secret, strlen(secret),
		    "Hello, World!", 13, &sig);
	ck_assert_str_eq(buf_cstr(&sig),
			 "sha256=757107ea0eb2509fc211221cce984b8a"
			 "37570b6d7586c22c46f4379c8b043e17");
	buf_free(&sig);
}
END_TEST

START_TEST(test_new_id)
{
	char a[32], b[32], small[8];
	notify_new_id(a, sizeof(a));
	notify_new_id(b, sizeof(b));
	ck_assert_uint_eq(strlen(a), 30);
	ck_assert_int_eq(strncmp(a, "msg_", 4), 0);
	ck_assert_uint_eq(strspn(a + 4, "abcdefghijklmnopqrstuvwxyz234567"), 26);
	ck_assert_str_ne(a, b);
	notify_new_id(small, sizeof(small));
	ck_assert_uint_eq(strlen(small), 7);
	ck_assert_int_eq(strncmp(small, "msg_", 4), 0);
	/* All 32 characters turn up over a few ids: every 5-bit group is
	 * drawn from the random bytes, none stuck at a constant. */
	unsigned seen = 0;
	for (int i = 0; i < 40; i++) {
		notify_new_id(a, sizeof(a));
		for (int j = 4; j < 30; j++)
			seen |= 1u << (strchr("abcdefghijklmnopqrstuvwxyz234567",
					      a[j]) -
				       "abcdefghijklmnopqrstuvwxyz234567");
	}
	ck_assert_uint_eq(seen, 0xffffffffu);
}
END_TEST

static Suite *sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sha256_fips);
	tcase_add_test(tc, test_hmac_rfc4231);
	tcase_add_test(tc, test_against_python);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_sign_standard_vector);
	tcase_add_test(tc, test_sign_github_vector);
	tcase_add_test(tc, test_new_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sign_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
