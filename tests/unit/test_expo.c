/* Unit tests for the exposition writer's hot path: the shortest-round-trip
 * number formatter (against a slow reference built on snprintf/strtod, and
 * against Go outputs written out), the escaping and name checks (against
 * the simple per-byte versions they replaced) and the inline buffer puts.
 *
 * HW_EXPO_RANDOM=N sets how many random doubles are compared (default
 * 500000, or 4000 under valgrind, where the reference is slow). */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#include "hostwatch/expo.h"

/* Under valgrind the snprintf/strtod reference runs ~50 times slower: the
 * loops below then sample their ranges more sparsely. */
static bool slow;

static bool under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return true;
#endif
	const char *pre = getenv("LD_PRELOAD");
	return pre && strstr(pre, "vgpreload");
}

/* --- the reference formatter ---------------------------------------------- */

/* Go's strconv.FormatFloat(v, 'g', -1, 64) the slow way: the fewest digits
 * p for which a p-digit decimal reads back as v (strtod), that decimal
 * being the correctly rounded one when it reads back. Then Go's layout. */
static void ref_digits(double a, uint64_t *digits, int *exp10)
{
	char e[48], alt[48];
	/* The search can start at 15 digits: a decimal of at most 15 digits
	 * that reads back is also a's correctly rounded 15-digit form, zeros
	 * appended (DBL_DIG). Subnormals carry fewer digits: search from 1. */
	int first = a < DBL_MIN ? 1 : 15;
	for (int p = first; p <= 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, a);
		uint64_t d = 0;
		const char *s = e;
		for (; *s != 'e'; s++)
			if (*s != '.')
				d = d * 10 + (uint64_t)(*s - '0');
		int x = atoi(s + 1) - (p - 1); /* a ~ d * 10^x */
		double back = strtod(e, NULL);
		if (back == a || p == 17) {
			*digits = d;
			*exp10 = x;
			return;
		}
		/* At a power of two the gap below is half the gap above, and
		 * the p-digit decimal on the far side of a may read back when
		 * the nearest does not: Go takes it. */
		uint64_t d2 = back < a ? d + 1 : d - 1;
		snprintf(alt, sizeof(alt), "%" PRIu64 "e%d", d2, x);
		if (strtod(alt, NULL) == a) {
			*digits = d2;
			*exp10 = x;
			return;
		}
	}
}

static void ref_format(char *out, double v, bool om)
{
	if (isnan(v)) {
		strcpy(out, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) { /* client_golang's writeFloat: -0 too */
		strcpy(out, om ? "0.0" : "0");
		return;
	}
	uint64_t d;
	int x;
	ref_digits(fabs(v), &d, &x);
	while (d % 10 == 0) {
		d /= 10;
		x++;
	}
	char dig[24];
	int nd = snprintf(dig, sizeof(dig), "%" PRIu64, d);
	int ex = x + nd - 1;
	char *o = out;
	if (v < 0)
		*o++ = '-';
	/* ftoa.go %g with shortest precision: %e when exp < -4 || exp >= 6,
	 * exponent at least two digits. */
	if (ex < -4 || ex >= 6) {
		o += sprintf(o, "%c", dig[0]);
		if (nd > 1)
			o += sprintf(o, ".%s", dig + 1);
		sprintf(o, "e%c%02d", ex < 0 ? '-' : '+', abs(ex));
		return;
	}
	if (x >= 0) { /* an integer */
		o += sprintf(o, "%s", dig);
		for (int i = 0; i < x; i++)
			*o++ = '0';
	} else if (ex < 0) {
		o += sprintf(o, "0.");
		for (int i = 0; i < -ex - 1; i++)
			*o++ = '0';
		o += sprintf(o, "%s", dig);
	} else {
		o += sprintf(o, "%.*s.%s", ex + 1, dig, dig + ex + 1);
	}
	*o = '\0';
	/* writeOpenMetricsFloat: ".0" when there is neither "e" nor ".". */
	if (om && !strpbrk(out, "e."))
		strcat(out, ".0");
}

/* --- number tests ----------------------------------------------------------- */

static const struct {
	double v;
	const char *text;
	const char *om;
} go_numbers[] = {
	{0, "0", "0.0"},
	{-0.0, "0", "0.0"}, /* client_golang special-cases 0: no "-0" */
	{1, "1", "1.0"},
	{-1, "-1", "-1.0"},
	{100000, "100000", "100000.0"},
	{123456, "123456", "123456.0"},
	{1e6, "1e+06", "1e+06"},
	{1e15, "1e+15", "1e+15"},
	{1e21, "1e+21", "1e+21"},
	{1e23, "1e+23", "1e+23"},
	{1e100, "1e+100", "1e+100"},
	{123456.7, "123456.7", "123456.7"},
	{999999.5, "999999.5", "999999.5"},
	{1234567.8, "1.2345678e+06", "1.2345678e+06"},
	{-1.5e300, "-1.5e+300", "-1.5e+300"},
	{0.1, "0.1", "0.1"},
	{0.3, "0.3", "0.3"},
	{0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
	{1.0 / 3, "0.3333333333333333", "0.3333333333333333"},
	{2.0 / 3, "0.6666666666666666", "0.6666666666666666"},
	{4.35, "4.35", "4.35"},
	{100.25, "100.25", "100.25"},
	{0.0001, "0.0001", "0.0001"},
	{0.000123, "0.000123", "0.000123"},
	{1.5e-4, "0.00015", "0.00015"},
	{1e-4 * 1.5, "0.00015000000000000001", "0.00015000000000000001"},
	{1e-05, "1e-05", "1e-05"},
	{1.5e-5, "1.5e-05", "1.5e-05"},
	{4.7256e-05, "4.7256e-05", "4.7256e-05"},
	{1e-07, "1e-07", "1e-07"},
	{1763712345.123456789, "1.7637123451234567e+09", "1.7637123451234567e+09"},
	{9007199254740991.0, "9.007199254740991e+15", "9.007199254740991e+15"},
	{9007199254740993.0, "9.007199254740992e+15", "9.007199254740992e+15"},
	{0x1p63, "9.223372036854776e+18", "9.223372036854776e+18"},
	{0x1p64, "1.8446744073709552e+19", "1.8446744073709552e+19"},
	{DBL_MAX, "1.7976931348623157e+308", "1.7976931348623157e+308"},
	{0x1p1023, "8.98846567431158e+307", "8.98846567431158e+307"},
	{DBL_MIN, "2.2250738585072014e-308", "2.2250738585072014e-308"},
	{2.225073858507201e-308, "2.225073858507201e-308", "2.225073858507201e-308"},
	{5e-324, "5e-324", "5e-324"},
	{1e-323, "1e-323", "1e-323"},
	{1.5e-323, "1.5e-323", "1.5e-323"},
	{4.940656e-318, "4.940656e-318", "4.940656e-318"},
	{1.18575755e-316, "1.18575755e-316", "1.18575755e-316"},
	{2.989102097996e-312, "2.989102097996e-312", "2.989102097996e-312"},
	/* Powers of two, where the gap below is half the gap above: 2^172 is
	 * "5.9863107065073784e+51" by the first round-tripping precision,
	 * but 16 digits on the far side read back, and Go prints those. */
	{0x1p172, "5.986310706507379e+51", "5.986310706507379e+51"},
	{0x1p-44, "5.684341886080802e-14", "5.684341886080802e-14"},
	{1.8014398509481984e16, "1.8014398509481984e+16", "1.8014398509481984e+16"},
	{3.6028797018963964e16, "3.6028797018963964e+16", "3.6028797018963964e+16"},
	{5.764607523034235e39, "5.764607523034235e+39", "5.764607523034235e+39"},
	{1.152921504606847e40, "1.152921504606847e+40", "1.152921504606847e+40"},
	{2.305843009213694e40, "2.305843009213694e+40", "2.305843009213694e+40"},
	/* Ryu's regression cases. */
	{2.109808898695963e16, "2.109808898695963e+16", "2.109808898695963e+16"},
	{9.0608011534336e15, "9.0608011534336e+15", "9.0608011534336e+15"},
	{4.708356024711512e18, "4.708356024711512e+18", "4.708356024711512e+18"},
	{9.409340012568248e18, "9.409340012568248e+18", "9.409340012568248e+18"},
	{1.7800590868057611e-307, "1.7800590868057611e-307", "1.7800590868057611e-307"},
	{2.8480945388892175e-306, "2.8480945388892175e-306", "2.8480945388892175e-306"},
	{2.446494580089078e-296, "2.446494580089078e-296", "2.446494580089078e-296"},
	{4.8929891601781557e-296, "4.8929891601781557e-296", "4.8929891601781557e-296"},
	{2.900835519859558e-216, "2.900835519859558e-216", "2.900835519859558e-216"},
	{5.801671039719115e-216, "5.801671039719115e-216", "5.801671039719115e-216"},
	{3.196104012172126e-27, "3.196104012172126e-27", "3.196104012172126e-27"},
};

START_TEST(test_go_numbers)
{
	char buf[EXPO_NUM_MAX], ref[64];
	for (size_t i = 0; i < sizeof(go_numbers) / sizeof(go_numbers[0]); i++) {
		double v = go_numbers[i].v;
		size_t n = expo_format_double(buf, v, EXPO_TEXT);
		ck_assert_msg(strcmp(buf, go_numbers[i].text) == 0,
			      "%a: got %s, want %s", v, buf, go_numbers[i].text);
		ck_assert_uint_eq(n, strlen(buf));
		expo_format_double(buf, v, EXPO_OPENMETRICS);
		ck_assert_msg(strcmp(buf, go_numbers[i].om) == 0,
			      "%a (OM): got %s, want %s", v, buf,
			      go_numbers[i].om);
		/* The reference agrees, or the random test proves nothing. */
		ref_format(ref, v, false);
		ck_assert_msg(strcmp(ref, go_numbers[i].text) == 0,
			      "reference %a: got %s, want %s", v, ref,
			      go_numbers[i].text);
	}
	expo_format_double(buf, NAN, EXPO_TEXT);
	ck_assert_str_eq(buf, "NaN");
	expo_format_double(buf, -NAN, EXPO_OPENMETRICS);
	ck_assert_str_eq(buf, "NaN");
	expo_format_double(buf, INFINITY, EXPO_OPENMETRICS);
	ck_assert_str_eq(buf, "+Inf");
	expo_format_double(buf, -INFINITY, EXPO_TEXT);
	ck_assert_str_eq(buf, "-Inf");
}
END_TEST

/* Plain ifs, not ck_assert: Check logs every passing assertion to a file,
 * which dominates loops this long. */
static void check_number(double v)
{
	char got[EXPO_NUM_MAX + 8], want[64];
	memset(got, 'X', sizeof(got));
	size_t n = expo_format_double(got, v, EXPO_TEXT);
	ref_format(want, v, false);
	if (strcmp(got, want) != 0 || n != strlen(want) || n >= EXPO_NUM_MAX)
		ck_abort_msg("%a (%.17g): got %s (%zu), want %s", v, v, got,
			     n, want);
	n = expo_format_double(got, v, EXPO_OPENMETRICS);
	if (!strpbrk(want, "e.IN")) /* as ref_format(want, v, true) */
		strcat(want, ".0");
	if (strcmp(got, want) != 0 || n != strlen(want))
		ck_abort_msg("%a (OM): got %s (%zu), want %s", v, got, n,
			     want);
}

static void check_around(double v)
{
	check_number(v);
	check_number(-v);
	check_number(nextafter(v, 0));
	check_number(nextafter(v, INFINITY));
}

/* Every power of two (the asymmetric intervals), every power of ten, the
 * ends of the range and of the exact integers, each with its neighbours. */
START_TEST(test_number_edges)
{
	for (int e = -1074; e <= 1023; e++)
		check_around(ldexp(1, e));
	for (int e = -323; e <= 308; e += slow ? 3 : 1) {
		char s[16];
		snprintf(s, sizeof(s), "1e%d", e);
		check_around(strtod(s, NULL));
	}
	check_around(DBL_MAX);
	check_around(DBL_MIN);
	check_around(nextafter(DBL_MIN, 0)); /* largest subnormal */
	check_around(DBL_TRUE_MIN);
	for (int i = -1000; i <= 1000; i += slow ? 25 : 1) {
		check_number(0x1p53 + i);
		check_number(0x1p53 + 2.0 * i);
		check_number(0x1p64 + 4096.0 * i);
		check_number(0x1p63 + 2048.0 * i);
		check_number(1e6 + i / 8.0);
		check_number(i / 100.0);
		check_number(i * 1e-7);
		/* The ends of the few-decimals path, 1e-4 and 1e9. */
		check_number(1e-4 + i * 1e-8);
		check_number(1e-4 - i * 1e-9);
		check_number(1e9 - 1000.5 + i * 1e-4);
		check_number(1e9 + i * 0.25);
	}
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double random_double(uint64_t kind)
{
	uint64_t r = rng();
	double v;
	switch (kind % 8) {
	case 0: /* any bit pattern */
	case 1:
		memcpy(&v, &r, sizeof(v));
		return isfinite(v) ? v : 1.0;
	case 2: /* few digits, as /proc gives */
		return (double)(r % 100000000) / pow(10, (double)((r >> 40) % 12));
	case 3: /* full mantissa, moderate exponent */
		return ldexp((double)(r >> 11), (int)((r >> 3) % 200) - 153);
	case 4: /* subnormal */
		r &= 0x800fffffffffffffull;
		memcpy(&v, &r, sizeof(v));
		return v;
	case 5: /* near 2^53, scaled */
		return ldexp(0x1p53 + (double)(r % 2000000) - 1e6,
			     (int)((r >> 50) % 14));
	case 6: /* timestamps with nanoseconds, durations */
		return r & 1 ? 1763712345.0 + (double)(r % 1000000000) * 1e-9
			     : (double)(r % 100000) * 1e-9;
	default: { /* a decimal of 1-17 digits, any exponent */
		char s[48];
		int nd = 1 + (int)(r % 17);
		uint64_t m = (rng() >> 4) % 100000000000000000ull;
		while (m >= 10 && snprintf(s, sizeof(s), "%" PRIu64, m) > nd)
			m /= 10;
		snprintf(s, sizeof(s), "%" PRIu64 "e%d", m,
			 (int)((r >> 20) % 640) - 340);
		v = strtod(s, NULL);
		return isfinite(v) ? v : 2.0;
	}
	}
}

START_TEST(test_number_random)
{
	long n = slow ? 4000 : 500000;
	const char *env = getenv("HW_EXPO_RANDOM");
	if (env)
		n = atol(env);
	for (long i = 0; i < n; i++)
		check_number(random_double((uint64_t)i));
}
END_TEST

/* --- names and escaping ----------------------------------------------------- */

/* The ctype checks expo_valid_name used to do (C locale). */
static bool ref_valid_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':'))
			return false;
	return true;
}

START_TEST(test_valid_name_table)
{
	char s[4] = {0};
	for (int a = 1; a < 256; a++) {
		s[0] = (char)a;
		s[1] = '\0';
		if (expo_valid_name(s) != ref_valid_name(s))
			ck_abort_msg("%02x", a);
		for (int b = 1; b < 256; b++) {
			s[1] = (char)b;
			s[2] = '\0';
			if (expo_valid_name(s) != ref_valid_name(s))
				ck_abort_msg("%02x %02x", a, b);
			s[2] = 'x';
			if (expo_valid_name(s) != ref_valid_name(s))
				ck_abort_msg("%02x %02x x", a, b);
		}
	}
	ck_assert(!expo_valid_name(""));
	ck_assert(expo_valid_name("node_memory_Active_anon_bytes"));
	ck_assert(!expo_valid_name("node_memory_(anon)"));
}
END_TEST

static size_t ref_utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* The byte-at-a-time escaping the writer used to do. */
static void ref_escape(struct hw_buf *b, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		if (*p == '\\') {
			buf_puts(b, "\\\\");
		} else if (*p == '\n') {
			buf_puts(b, "\\n");
		} else if (*p == '"') {
			buf_puts(b, quote ? "\\\"" : "\"");
		} else if (*p < 0x80) {
			buf_putc(b, (char)*p);
		} else {
			size_t n = ref_utf8_len(p);
			if (n) {
				buf_put(b, (const char *)p, n);
				p += n - 1;
			} else {
				buf_puts(b, "\xef\xbf\xbd");
			}
		}
	}
}

static void random_text(char *s, size_t max)
{
	static const char *const pieces[] = {
		"a", "node", "/var/lib/docker", "\"", "\\", "\n", "\t", "\x7f",
		"\x01", "\x80", "\xbf", "\xc0", "\xc2", "\xe0", "\xed", "\xf0",
		"\xf4", "\xf5", "\xff", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf", "\xe0\x80\xaf",
		"\xf4\x90\x80\x80", "\xe2\x82", "\xf0\x9f\x98",
	};
	size_t n = 0, len = rng() % max;
	while (n < len) {
		const char *p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t l = strlen(p);
		if (n + l >= max)
			break;
		memcpy(s + n, p, l);
		n += l;
	}
	s[n] = '\0';
}

/* Random help texts and label values through the writer, against the old
 * escaping; long values make the buffer grow mid-sample. */
START_TEST(test_escaping_equivalence)
{
	static char help[200], val[5000], val2[100];
	for (int f = 0; f < 2; f++) {
		enum expo_format fmt = f ? EXPO_OPENMETRICS : EXPO_TEXT;
		struct hw_buf out = HW_BUF_INIT, want = HW_BUF_INIT;
		for (int i = 0; i < (slow ? 300 : 3000); i++) {
			random_text(help, sizeof(help));
			random_text(val, i % 50 == 0 ? sizeof(val) : 60);
			random_text(val2, sizeof(val2));
			struct expo_writer w;
			buf_reset(&out);
			expo_init(&w, &out, fmt);
			sink_family(&w.sink, "x", help, HW_GAUGE);
			struct hw_label l[] = {{"a", val}, {"b", val2}};
			double v = random_double((uint64_t)i);
			sink_sample(&w.sink, l, 2, v);
			expo_finish(&w);

			char num[64];
			ref_format(num, v, f);
			buf_reset(&want);
			buf_puts(&want, "# HELP x ");
			ref_escape(&want, help, f);
			buf_puts(&want, "\n# TYPE x gauge\nx{a=\"");
			ref_escape(&want, val, true);
			buf_puts(&want, "\",b=\"");
			ref_escape(&want, val2, true);
			buf_puts(&want, "\"} ");
			buf_puts(&want, num);
			buf_puts(&want, f ? "\n# EOF\n" : "\n");
			if (out.failed ||
			    strcmp(buf_cstr(&out), buf_cstr(&want)) != 0)
				ck_abort_msg("got\n%s\nwant\n%s", buf_cstr(&out),
					     buf_cstr(&want));
		}
		buf_free(&out);
		buf_free(&want);
	}
}
END_TEST

/* Names at the length limit, and OpenMetrics' _total handling. */
START_TEST(test_names_and_suffix)
{
	char name[300];
	struct hw_buf out = HW_BUF_INIT;
	struct expo_writer w;
	memset(name, 'a', sizeof(name));
	name[EXPO_NAME_MAX - 1] = '\0'; /* longest kept */
	expo_init(&w, &out, EXPO_OPENMETRICS);
	sink_family(&w.sink, name, NULL, HW_COUNTER);
	sink_sample(&w.sink, NULL, 0, 2);
	ck_assert_uint_eq(w.invalid, 0);
	name[EXPO_NAME_MAX - 1] = 'a';
	name[EXPO_NAME_MAX] = '\0'; /* too long: dropped */
	sink_family(&w.sink, name, NULL, HW_COUNTER);
	sink_sample(&w.sink, NULL, 0, 3);
	ck_assert_uint_eq(w.invalid, 1);
	sink_family(&w.sink, "_total", NULL, HW_COUNTER);
	sink_sample(&w.sink, NULL, 0, 4);
	sink_family(&w.sink, "c_total", NULL, HW_COUNTER);
	sink_sample(&w.sink, NULL, 0, 5);
	sink_family(&w.sink, "g_total", NULL, HW_GAUGE);
	sink_sample(&w.sink, NULL, 0, 6);
	expo_finish(&w);
	name[EXPO_NAME_MAX - 1] = '\0';
	char want[1024];
	snprintf(want, sizeof(want),
		 "# TYPE %s counter\n%s_total 2.0\n"
		 "# TYPE _total counter\n_total_total 4.0\n"
		 "# TYPE c counter\nc_total 5.0\n"
		 "# TYPE g_total gauge\ng_total 6.0\n# EOF\n",
		 name, name);
	ck_assert_str_eq(buf_cstr(&out), want);
	buf_free(&out);
}
END_TEST

/* --- buffer ----------------------------------------------------------------- */

START_TEST(test_buf_inline)
{
	struct hw_buf b = HW_BUF_INIT;
	char want[70000];
	size_t n = 0;
	for (int i = 0; n < 65000; i++) {
		switch (i % 3) {
		case 0:
			buf_putc(&b, (char)('a' + i % 26));
			want[n++] = (char)('a' + i % 26);
			break;
		case 1:
			buf_puts(&b, "hello, ");
			memcpy(want + n, "hello, ", 7);
			n += 7;
			break;
		default:
			buf_put(&b, "0123456789", (size_t)(i % 11));
			memcpy(want + n, "0123456789", (size_t)(i % 11));
			n += (size_t)(i % 11);
		}
		if (b.len >= b.cap) /* no room left for buf_cstr's NUL */
			ck_abort_msg("len %zu, cap %zu", b.len, b.cap);
	}
	want[n] = '\0';
	ck_assert_uint_eq(b.len, n);
	ck_assert_str_eq(buf_cstr(&b), want);
	/* A failed buffer takes nothing more, room or not. */
	size_t len = b.len;
	b.failed = true;
	buf_putc(&b, 'x');
	buf_puts(&b, "more");
	buf_put(&b, "x", 1);
	ck_assert(!buf_reserve(&b, 1));
	ck_assert_uint_eq(b.len, len);
	buf_reset(&b);
	ck_assert(!b.failed);
	buf_put(&b, "", 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
	/* The first put into an empty buffer allocates. */
	buf_put(&b, "", 0);
	ck_assert_ptr_nonnull(b.data);
	buf_free(&b);
}
END_TEST

int main(void)
{
	slow = under_valgrind();
	Suite *s = suite_create("expo");
	TCase *tc = tcase_create("expo");
	tcase_add_test(tc, test_go_numbers);
	tcase_add_test(tc, test_number_edges);
	tcase_add_test(tc, test_number_random);
	tcase_add_test(tc, test_valid_name_table);
	tcase_add_test(tc, test_escaping_equivalence);
	tcase_add_test(tc, test_names_and_suffix);
	tcase_add_test(tc, test_buf_inline);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
