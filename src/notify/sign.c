/* Webhook signatures: SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104),
 * base64 (RFC 4648) and the two signature headers receivers verify
 * (Standard Webhooks' webhook-signature, GitHub's X-Hub-Signature-256).
 * Written here rather than linked: no crypto library may be added to the
 * daemon (README "Memory"), and these few hundred lines are all a signer
 * needs. Nothing here is secret-dependent in timing except the key itself
 * feeding HMAC, which is the usual construction. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/notify_body.h"

/* ---- SHA-256 (FIPS 180-4 section 6.2) ----------------------------------- */

struct sha256_ctx {
	uint32_t h[8];
	uint64_t total; /* bytes hashed so far */
	unsigned char blk[64];
	size_t nblk;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_init(struct sha256_ctx *c)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(c->h, h0, sizeof(h0));
	c->total = 0;
	c->nblk = 0;
}

static void sha256_block(struct sha256_ctx *c, const unsigned char *p)
{
	uint32_t w[64], s[8];
	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
		       (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^
			      (w[t - 15] >> 3);
		uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^
			      (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	memcpy(s, c->h, sizeof(s));
	for (int t = 0; t < 64; t++) {
		uint32_t e = s[4], a = s[0];
		uint32_t t1 = s[7] + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			      ((e & s[5]) ^ (~e & s[6])) + sha256_k[t] + w[t];
		uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
			      ((a & s[1]) ^ (a & s[2]) ^ (s[1] & s[2]));
		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		c->h[i] += s[i];
}

static void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	c->total += len;
	if (c->nblk) {
		size_t n = 64 - c->nblk < len ? 64 - c->nblk : len;
		memcpy(c->blk + c->nblk, p, n);
		c->nblk += n;
		p += n;
		len -= n;
		if (c->nblk < 64)
			return;
		sha256_block(c, c->blk);
		c->nblk = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha256_block(c, p);
	memcpy(c->blk, p, len);
	c->nblk = len;
}

static void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_LEN])
{
	/* 5.1.1: a 1 bit, zeros to 56 mod 64, the length in bits, big
	 * endian. */
	uint64_t bits = c->total * 8;
	unsigned char pad[72] = {0x80};
	size_t n = c->nblk < 56 ? 56 - c->nblk : 120 - c->nblk;
	for (int i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, pad, n + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

/* The digest of `len` bytes at `data` (FIPS 180-4 SHA-256). */
void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}

/* ---- HMAC (RFC 2104) ---------------------------------------------------- */

static void hmac_begin(struct sha256_ctx *c, const unsigned char *key,
		       size_t keylen, unsigned char opad[64])
{
	/* RFC 2104 section 2: keys longer than the block are hashed first;
	 * shorter ones are zero-padded. */
	unsigned char k[64] = {0}, ipad[64];
	if (keylen > 64)
		sha256(key, keylen, k);
	else if (keylen)
		memcpy(k, key, keylen);
	for (int i = 0; i < 64; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	sha256_init(c);
	sha256_update(c, ipad, 64);
}

static void hmac_end(struct sha256_ctx *c, const unsigned char opad[64],
		     unsigned char out[SHA256_LEN])
{
	unsigned char inner[SHA256_LEN];
	sha256_final(c, inner);
	sha256_init(c);
	sha256_update(c, opad, 64);
	sha256_update(c, inner, sizeof(inner));
	sha256_final(c, out);
}

/* HMAC-SHA256 of `len` bytes at `data` under `key` (RFC 2104, any key
 * length; RFC 4231's test cases). */
void hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
		 size_t len, unsigned char out[SHA256_LEN])
{
	struct sha256_ctx c;
	unsigned char opad[64];
	hmac_begin(&c, key, keylen, opad);
	sha256_update(&c, data, len);
	hmac_end(&c, opad, out);
}

/* ---- base64 (RFC 4648 section 4) ---------------------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* `len` bytes as padded standard base64, appended to b. */
void base64_encode(const unsigned char *in, size_t len, struct hw_buf *b)
{
	if (!buf_reserve(b, (len + 2) / 3 * 4))
		return;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
			     i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=',
			     i + 2 < len ? b64_alphabet[v & 63] : '='};
		buf_put(b, q, 4);
	}
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict decoding of a NUL-terminated string: the length is a multiple of
 * four, padding only at the end (at most two '='), no whitespace, and the
 * bits a padded quantum leaves over are zero (RFC 4648 section 3.5: a
 * decoder MAY reject them; we do, so that one secret has one spelling).
 * The number of bytes written to out, or -EINVAL (also when out is too
 * small). */
int base64_decode(const char *in, unsigned char *out, size_t outsize)
{
	size_t len = strlen(in), n = 0;
	if (len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			char c = in[i + j];
			if (c == '=' && i + 4 == len && j >= 2) {
				pad++;
				v[j] = 0;
				continue;
			}
			if (pad) /* a character after '=' */
				return -EINVAL;
			if ((v[j] = b64_value(c)) < 0)
				return -EINVAL;
		}
		if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3)))
			return -EINVAL;
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t k = 3 - (size_t)pad;
		if (n + k > outsize)
			return -EINVAL;
		for (size_t j = 0; j < k; j++)
			out[n++] = (unsigned char)(x >> (16 - 8 * j));
		if (n > INT32_MAX)
			return -EINVAL;
	}
	return (int)n;
}

/* ---- signatures --------------------------------------------------------- */

/* Standard Webhooks (github.com/standard-webhooks/standard-webhooks,
 * spec/standard-webhooks.md "Signature scheme"): the signed content is
 * msg_id "." timestamp "." body, HMAC-SHA256 under the decoded secret,
 * sent as "v1," base64(mac). Appended to sig. */
void sign_standard(const unsigned char *key, size_t keylen, const char *id,
		   int64_t timestamp, const void *body, size_t len,
		   struct hw_buf *sig)
{
	struct sha256_ctx c;
	unsigned char opad[64], mac[SHA256_LEN];
	char ts[32];
	int n = snprintf(ts, sizeof(ts), ".%" PRId64 ".", timestamp);
	hmac_begin(&c, key, keylen, opad);
	sha256_update(&c, id, strlen(id));
	sha256_update(&c, ts, (size_t)n);
	sha256_update(&c, body, len);
	hmac_end(&c, opad, mac);
	buf_puts(sig, "v1,");
	base64_encode(mac, sizeof(mac), sig);
}

/* GitHub's X-Hub-Signature-256 (docs.github.com "Validating webhook
 * deliveries"): "sha256=" and the lower-case hex HMAC-SHA256 of the body
 * under the secret as given. Appended to sig. */
void sign_github(const unsigned char *secret, size_t len, const void *body,
		 size_t bodylen, struct hw_buf *sig)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[SHA256_LEN];
	char out[2 * SHA256_LEN];
	hmac_sha256(secret, len, body, bodylen, mac);
	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	buf_puts(sig, "sha256=");
	buf_put(sig, out, sizeof(out));
}

/* ---- ids ---------------------------------------------------------------- */

/* A fresh id: "msg_" and 26 characters of RFC 4648 base32 in lower case
 * (130 bits; the shape of the ids in Standard Webhooks' examples, which
 * receivers use for deduplication). getrandom() cannot fail for 16 bytes
 * once the pool is initialised; should it, time and pid and a counter
 * still keep ids of this process distinct. */
void notify_new_id(char *buf, size_t size)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	static unsigned counter;
	unsigned char r[17] = {0};
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned char seed[32];
		int n = snprintf((char *)seed, sizeof(seed), "%lld%ld%d%u",
				 (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(),
				 __atomic_fetch_add(&counter, 1,
						    __ATOMIC_RELAXED));
		unsigned char d[SHA256_LEN];
		sha256(seed, n > 0 ? (size_t)n : 0, d);
		memcpy(r, d, sizeof(r));
	}
	char id[31] = "msg_";
	for (int i = 0; i < 26; i++) {
		/* 5 bits at a time from the 130-bit string. */
		unsigned bit = (unsigned)i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = ((unsigned)r[byte] << 8 | r[byte + 1]) >> (11 - off);
		id[4 + i] = b32[v & 31];
	}
	id[30] = '\0';
	if (size)
		snprintf(buf, size, "%s", id);
}
