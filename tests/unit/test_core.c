/* Unit tests for the core helpers: the exposition writer (number format,
 * escaping, OpenMetrics naming, negotiation), regex translation, readfile and
 * the number parsers. Expected numbers are Go's strconv.FormatFloat(v, 'g',
 * -1, 64) outputs, as client_golang prints them (several seen in
 * node_exporter 1.5's own output on this machine). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "hostwatch/clock.h"
#include "hostwatch/expo.h"
#include "hostwatch/filter.h"
#include "hostwatch/readfile.h"
#include "hostwatch/regex.h"

static const struct {
	double v;
	const char *text;
	const char *om;
} numbers[] = {
	{0, "0", "0.0"},
	{1, "1", "1.0"},
	{-1, "-1", "-1.0"},
	{0.5, "0.5", "0.5"},
	{100, "100", "100.0"},
	{263799, "263799", "263799.0"},
	{999999, "999999", "999999.0"},
	{1e6, "1e+06", "1e+06"},
	{1234567, "1.234567e+06", "1.234567e+06"},
	{15364096, "1.5364096e+07", "1.5364096e+07"},
	{0.0001, "0.0001", "0.0001"},
	{0.00001, "1e-05", "1e-05"},
	{2.929e-05, "2.929e-05", "2.929e-05"},
	{0.000211961, "0.000211961", "0.000211961"},
	{1.0 / 3, "0.3333333333333333", "0.3333333333333333"},
	{0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
	{1.795273219605037e+09, "1.795273219605037e+09", "1.795273219605037e+09"},
	{18446744073709551615.0, "1.8446744073709552e+19", "1.8446744073709552e+19"},
	{9007199254740992.0, "9.007199254740992e+15", "9.007199254740992e+15"},
	{5e-324, "5e-324", "5e-324"},
	{1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"},
	{123456.789, "123456.789", "123456.789"},
	{-2.5e-10, "-2.5e-10", "-2.5e-10"},
	{56.8, "56.8", "56.8"},
	{1e21, "1e+21", "1e+21"},
	{12.76, "12.76", "12.76"},
};

START_TEST(test_number_format)
{
	char buf[EXPO_NUM_MAX];
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		expo_format_double(buf, numbers[i].v, EXPO_TEXT);
		ck_assert_msg(strcmp(buf, numbers[i].text) == 0,
			      "%.17g: got %s, want %s", numbers[i].v, buf,
			      numbers[i].text);
		expo_format_double(buf, numbers[i].v, EXPO_OPENMETRICS);
		ck_assert_msg(strcmp(buf, numbers[i].om) == 0,
			      "%.17g (OM): got %s, want %s", numbers[i].v,
			      buf, numbers[i].om);
	}
	expo_format_double(buf, NAN, EXPO_TEXT);
	ck_assert_str_eq(buf, "NaN");
	expo_format_double(buf, INFINITY, EXPO_TEXT);
	ck_assert_str_eq(buf, "+Inf");
	expo_format_double(buf, -INFINITY, EXPO_OPENMETRICS);
	ck_assert_str_eq(buf, "-Inf");
}
END_TEST

/* Every printed number must read back as the same double. */
START_TEST(test_number_roundtrip)
{
	char buf[EXPO_NUM_MAX];
	unsigned seed = 42;
	for (int i = 0; i < 20000; i++) {
		uint64_t bits = ((uint64_t)rand_r(&seed) << 33) ^
				((uint64_t)rand_r(&seed) << 11) ^
				(uint64_t)rand_r(&seed);
		double v;
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		expo_format_double(buf, v, EXPO_TEXT);
		ck_assert_msg(strtod(buf, NULL) == v, "%a printed as %s", v,
			      buf);
	}
}
END_TEST

/* Significant digits in a printed number ("0.00120" -> 2, "1.5e+07" -> 2). */
static int sig_digits(const char *s)
{
	int n = 0, started = 0, trailing = 0;
	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0')
			started = 1;
		if (!started)
			continue;
		n++;
		trailing = *s == '0' ? trailing + 1 : 0;
	}
	return n - trailing;
}

/* In the decimal fast path's range, every value must print in exactly the
 * fewest significant digits that read back (found here by brute force). */
START_TEST(test_number_shortest)
{
	char buf[EXPO_NUM_MAX], e[40];
	unsigned seed = 7;
	for (int i = 0; i < 20000; i++) {
		double v;
		if (i % 2) /* a decimal with a few digits, as /proc gives */
			v = (double)(rand_r(&seed) % 100000000) /
			    pow(10, rand_r(&seed) % 9);
		else /* any double in range */
			v = pow(10, -4 + 13.0 * rand_r(&seed) / RAND_MAX);
		if (v < 1e-4 || v >= 1e9 || v == floor(v))
			continue;
		expo_format_double(buf, v, EXPO_TEXT);
		ck_assert_msg(strtod(buf, NULL) == v, "%.17g printed as %s", v, buf);
		int p = 1;
		for (; p < 17; p++) {
			snprintf(e, sizeof(e), "%.*e", p - 1, v);
			if (strtod(e, NULL) == v)
				break;
		}
		ck_assert_msg(sig_digits(buf) == p, "%.17g printed as %s, shortest has %d digits",
			      v, buf, p);
	}
}
END_TEST

static const char *render(enum expo_format f,
			  void (*emit)(struct sink *s))
{
	static struct hw_buf out = HW_BUF_INIT;
	struct expo_writer w;
	buf_reset(&out);
	expo_init(&w, &out, f);
	emit(&w.sink);
	expo_finish(&w);
	return buf_cstr(&out);
}

static void emit_basic(struct sink *s)
{
	struct hw_label l[] = {{"cpu", "0"}, {"mode", "idle"}};
	sink_family(s, "node_cpu_seconds_total",
		    "Seconds the CPUs spent in each mode.", HW_COUNTER);
	sink_sample(s, l, 2, 56.8);
	sink_family(s, "node_empty", "Never gets a sample.", HW_GAUGE);
	sink_family(s, "node_load1", "1m load average.", HW_GAUGE);
	sink_sample(s, NULL, 0, 0.49);
	sink_family(s, "bad name", "invalid", HW_GAUGE);
	sink_sample(s, NULL, 0, 1);
	sink_family(s, "node_intr", "A counter without _total.", HW_COUNTER);
	sink_sample(s, NULL, 0, 3);
	sink_family(s, "node_odd", "Untyped.", HW_UNTYPED);
	sink_sample(s, NULL, 0, 1);
}

START_TEST(test_text_output)
{
	ck_assert_str_eq(
		render(EXPO_TEXT, emit_basic),
		"# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
		"# TYPE node_cpu_seconds_total counter\n"
		"node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 56.8\n"
		"# HELP node_load1 1m load average.\n"
		"# TYPE node_load1 gauge\n"
		"node_load1 0.49\n"
		"# HELP node_intr A counter without _total.\n"
		"# TYPE node_intr counter\n"
		"node_intr 3\n"
		"# HELP node_odd Untyped.\n"
		"# TYPE node_odd untyped\n"
		"node_odd 1\n");
}
END_TEST

START_TEST(test_openmetrics_output)
{
	ck_assert_str_eq(
		render(EXPO_OPENMETRICS, emit_basic),
		"# HELP node_cpu_seconds Seconds the CPUs spent in each mode.\n"
		"# TYPE node_cpu_seconds counter\n"
		"node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 56.8\n"
		"# HELP node_load1 1m load average.\n"
		"# TYPE node_load1 gauge\n"
		"node_load1 0.49\n"
		"# HELP node_intr A counter without _total.\n"
		"# TYPE node_intr counter\n"
		"node_intr_total 3.0\n"
		"# HELP node_odd Untyped.\n"
		"# TYPE node_odd unknown\n"
		"node_odd 1.0\n"
		"# EOF\n");
}
END_TEST

static void emit_escapes(struct sink *s)
{
	struct hw_label l[] = {{"v", "a\\b\"c\nd\xff\xc3\xa9\xe2\x82"}};
	sink_family(s, "x", "help with \\ and \n and \"", HW_GAUGE);
	sink_sample(s, l, 1, 1);
}

START_TEST(test_escaping)
{
	/* Backslash, quote and newline escaped; an invalid byte and a cut
	 * sequence become U+FFFD; valid UTF-8 (é) is kept. */
	ck_assert_str_eq(render(EXPO_TEXT, emit_escapes),
			 "# HELP x help with \\\\ and \\n and \"\n"
			 "# TYPE x gauge\n"
			 "x{v=\"a\\\\b\\\"c\\nd\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\"} 1\n");
	/* OpenMetrics escapes the quote in HELP too. */
	ck_assert_ptr_nonnull(strstr(render(EXPO_OPENMETRICS, emit_escapes),
				     "# HELP x help with \\\\ and \\n and \\\"\n"));
}
END_TEST

START_TEST(test_negotiation)
{
	ck_assert_int_eq(expo_negotiate(NULL), EXPO_TEXT);
	ck_assert_int_eq(expo_negotiate("*/*"), EXPO_TEXT);
	ck_assert_int_eq(expo_negotiate("text/plain;version=0.0.4"), EXPO_TEXT);
	/* Prometheus 2.42's scrape Accept header. */
	ck_assert_int_eq(
		expo_negotiate("application/openmetrics-text;version=1.0.0,"
			       "application/openmetrics-text;version=0.0.1;q=0.75,"
			       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
		EXPO_OPENMETRICS);
	ck_assert_int_eq(expo_negotiate("application/openmetrics-text"),
			 EXPO_OPENMETRICS);
	ck_assert_int_eq(expo_negotiate("application/openmetrics-text; version=2.0.0"),
			 EXPO_TEXT);
	ck_assert_int_eq(expo_negotiate("application/openmetrics-text;q=0.3, text/plain"),
			 EXPO_TEXT);
	ck_assert_int_eq(expo_negotiate("application/openmetrics-text;q=0"),
			 EXPO_TEXT);
}
END_TEST

START_TEST(test_valid_name)
{
	ck_assert(expo_valid_name("node_memory_Active_anon_bytes"));
	ck_assert(expo_valid_name("a:b_c9"));
	ck_assert(!expo_valid_name(""));
	ck_assert(!expo_valid_name("9abc"));
	ck_assert(!expo_valid_name("node_memory_(anon)"));
}
END_TEST

START_TEST(test_regex)
{
	struct hw_regex r;
	char err[256];
	/* node_exporter's default diskstats exclude, with Go's \d. */
	ck_assert_int_eq(hw_regex_compile(&r, "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$", err, sizeof(err)), 0);
	ck_assert(hw_regex_match(&r, "sda1"));
	ck_assert(hw_regex_match(&r, "nvme0n1p2"));
	ck_assert(hw_regex_match(&r, "loop7"));
	ck_assert(!hw_regex_match(&r, "sda"));
	ck_assert(!hw_regex_match(&r, "nvme0n1"));
	ck_assert(!hw_regex_match(&r, "dm-0"));
	hw_regex_free(&r);
	ck_assert_int_eq(hw_regex_compile(&r, "^(?:eth|en)[\\d]+$", err, sizeof(err)), 0);
	ck_assert(hw_regex_match(&r, "eth12"));
	ck_assert(!hw_regex_match(&r, "ethx"));
	hw_regex_free(&r);
	ck_assert_int_eq(hw_regex_compile(&r, "^(unclosed", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(hw_regex_compile(&r, "(?i)abc", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "(?"));
	ck_assert_int_eq(hw_regex_compile(&r, "[abc", err, sizeof(err)), -EINVAL);
	/* Stacked repetition and counts over 1000, which Go's regexp refuses
	 * and glibc would expand exponentially (found by fuzz/fuzz_promql). */
	ck_assert_int_eq(hw_regex_compile(&r, "a++", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nested repetition"));
	ck_assert_int_eq(hw_regex_compile(&r, "a{2}{3}", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(hw_regex_compile(&r, "a*{2}", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(hw_regex_compile(&r, "a{1001}", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "1000"));
	/* lazy quantifiers and a literal '{' stay valid, as in RE2 */
	ck_assert_int_eq(hw_regex_compile(&r, "^a+?b{2,1000}$", err, sizeof(err)), 0);
	ck_assert(hw_regex_match(&r, "aabb"));
	ck_assert(!hw_regex_match(&r, "aab"));
	hw_regex_free(&r);
	ck_assert_int_eq(hw_regex_compile(&r, "^x{y$", err, sizeof(err)), 0);
	ck_assert(hw_regex_match(&r, "x{y"));
	hw_regex_free(&r);
}
END_TEST

/* deviceFilter semantics: exclude wins, an include must match, an unset
 * side never decides; a bad pattern is logged as the collectors always did. */
START_TEST(test_filter)
{
	struct hw_filter f;
	ck_assert_int_eq(filter_init(&f, "test", "device", NULL, ""), 0);
	ck_assert(!filter_ignored(&f, "sda"));
	filter_free(&f);
	ck_assert_int_eq(filter_init(&f, "test", "device", "^sd", "^sd[a-z]\\d+$"), 0);
	ck_assert(!filter_ignored(&f, "sda"));
	ck_assert(filter_ignored(&f, "sda1")); /* both match: excluded */
	ck_assert(filter_ignored(&f, "nvme0n1")); /* include does not match */
	filter_free(&f);
	ck_assert_int_eq(filter_init(&f, "test", "fs-types", NULL, "^tmpfs$"), 0);
	ck_assert(filter_ignored(&f, "tmpfs"));
	ck_assert(!filter_ignored(&f, "ext4"));
	filter_free(&f);
	filter_free(&f); /* twice is harmless */

	/* A bad exclude after a good include: -EINVAL, nothing left to free
	 * (valgrind checks), and the log line the collectors always wrote. */
	FILE *log = tmpfile();
	ck_assert_ptr_nonnull(log);
	int saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(log), 2), 0);
	int rc = filter_init(&f, "test", "device", "^sd", "[abc");
	bool empty = !filter_ignored(&f, "anything");
	filter_free(&f);
	int rc2 = filter_init(&f, "test", "device", "(?i)x", NULL);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert(empty);
	ck_assert_int_eq(rc2, -EINVAL);
	char line[512] = "";
	rewind(log);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), log));
	fclose(log);
	ck_assert_ptr_nonnull(strstr(line, "level=error msg=\"test: bad device-exclude regex \\\"[abc\\\": missing closing ]\"\n"));
}
END_TEST

START_TEST(test_parse_u64)
{
	const char *p = " 18446744073709551615 x";
	uint64_t v;
	ck_assert_int_eq(parse_u64(&p, &v), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_str_eq(p, " x");
	p = "18446744073709551616";
	ck_assert_int_eq(parse_u64(&p, &v), -ERANGE);
	p = "-1";
	ck_assert_int_eq(parse_u64(&p, &v), -EINVAL);
	p = "";
	ck_assert_int_eq(parse_u64(&p, &v), -EINVAL);
	double d;
	p = "0.49 0.14";
	ck_assert_int_eq(parse_double(&p, &d), 0);
	ck_assert(d == 0.49);
	p = "nan";
	ck_assert_int_eq(parse_double(&p, &d), -EINVAL);
	p = "1e999";
	ck_assert_int_eq(parse_double(&p, &d), -ERANGE);
	char tok[4];
	p = "  abc def";
	ck_assert_int_eq(parse_token(&p, tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "abc");
	ck_assert_int_eq(parse_token(&p, tok, 3), -ERANGE);
}
END_TEST

START_TEST(test_readfile)
{
	char dir[] = "/tmp/hw-readfile.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/f", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 3000; i++)
		fputs("0123456789\n", f);
	fclose(f);
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(readfile_path(dir, "f", &b, 1 << 20), 0);
	ck_assert_uint_eq(b.len, 33000);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_int_eq(readfile_path(dir, "f", &b, 1000), -EFBIG);
	ck_assert_int_eq(readfile_path(dir, "missing", &b, 1000), -ENOENT);
	char small[8];
	ck_assert_int_eq(readfile_small(AT_FDCWD, path, small, sizeof(small)), -EFBIG);
	f = fopen(path, "w");
	fputs("tsc\n", f);
	fclose(f);
	ck_assert_int_eq(readfile_small(AT_FDCWD, path, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "tsc");
	/* A text pseudo-file cut mid-line (no final newline) is refused;
	 * a complete one and an empty one are fine. */
	f = fopen(path, "w");
	fputs("MemTotal: 1 kB\nMemFr", f);
	fclose(f);
	ck_assert_int_eq(readfile_text_path(dir, "f", &b, 1000), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	f = fopen(path, "w");
	fputs("MemTotal: 1 kB\n", f);
	fclose(f);
	ck_assert_int_eq(readfile_text_path(dir, "f", &b, 1000), 0);
	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(readfile_text_path(dir, "f", &b, 1000), 0);
	/* A NUL inside a text file is refused. */
	f = fopen(path, "w");
	fwrite("a\0b\n", 1, 4, f);
	fclose(f);
	ck_assert_int_eq(readfile_path(dir, "f", &b, 1000), -EINVAL);
	unlink(path);
	rmdir(dir);
	buf_free(&b);
	char j[16];
	ck_assert_int_eq(path_join(j, sizeof(j), "/", "proc"), 0);
	ck_assert_str_eq(j, "/proc");
	ck_assert_int_eq(path_join(j, sizeof(j), "/x/", "/stat"), 0);
	ck_assert_str_eq(j, "/x/stat");
	ck_assert_int_eq(path_join(j, sizeof(j), "/long/base/path", "file"), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_buf)
{
	struct hw_buf b = HW_BUF_INIT;
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert(!b.failed);
	ck_assert_int_eq(strncmp(buf_cstr(&b), "0,1,2,", 6), 0);
	size_t cap = b.cap;
	buf_reset(&b);
	buf_puts(&b, "again");
	ck_assert_uint_eq(b.cap, cap); /* memory is kept for reuse */
	ck_assert_str_eq(buf_cstr(&b), "again");
	buf_free(&b);
}
END_TEST

/* Engine time: monotonic, anchored at the wall clock; unstepped, the
 * mapping to the wall clock and back is the identity. */
START_TEST(test_clock)
{
	int64_t e0 = clock_engine_ms(), w0 = clock_wall_ms();
	/* anchored at the wall clock (the two reads a moment apart) */
	ck_assert_int_le(e0 - w0, 50);
	ck_assert_int_le(w0 - e0, 50);
	ck_assert_int_eq(clock_wall_offset_ms(), 0);
	ck_assert_int_eq(clock_to_wall(e0), e0);
	ck_assert_int_eq(clock_from_wall(clock_to_wall(123456789)), 123456789);
	/* unset and never pass unchanged */
	ck_assert(clock_to_wall(INT64_MIN) == INT64_MIN);
	ck_assert(clock_from_wall(INT64_MAX) == INT64_MAX);
	int64_t prev = e0;
	for (int i = 0; i < 100000; i++) {
		int64_t e = clock_engine_ms();
		ck_assert_int_ge(e, prev);
		prev = e;
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_number_format);
	tcase_add_test(tc, test_number_roundtrip);
	tcase_add_test(tc, test_number_shortest);
	tcase_add_test(tc, test_text_output);
	tcase_add_test(tc, test_openmetrics_output);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_negotiation);
	tcase_add_test(tc, test_valid_name);
	tcase_add_test(tc, test_regex);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_parse_u64);
	tcase_add_test(tc, test_readfile);
	tcase_add_test(tc, test_buf);
	tcase_add_test(tc, test_clock);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
