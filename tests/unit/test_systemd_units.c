/* The systemd collector: its options, its choice of units and its output on
 * what a real systemd answered (tests/fixtures/systemd, compared byte for
 * byte with what node_exporter 1.5 printed for the same systemd), and its
 * behaviour where there is no systemd to ask or no libsystemd to load.
 * Talking to a live systemd is tests/integration/systemd_units.sh's. */
#include "../../src/collectors/sdbus_lib.c"
#include "../../src/collectors/systemd_bus.c"
#include "../../src/collectors/systemd_units.c"

#include <check.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hostwatch/expo.h"
#include "testutil.h"

#define FIX FIXTURES "/systemd/"

static struct hw_config cfg;
static struct hw_cli cli;
static char *errtext;

#define LOAD(...)                                                              \
	test_config_load(&cfg, &cli, (const char *const[]){__VA_ARGS__, NULL}, \
			 &errtext)

static void teardown(void)
{
	config_free(&cfg);
	free(errtext);
	errtext = NULL;
}

/* The whole file, NUL-terminated (malloc()ed; "" when empty). */
static char *slurp_or_empty(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	char *text = NULL;
	size_t cap = 0;
	if (getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(f);
	ck_assert_ptr_nonnull(text);
	return text;
}

static char *slurp(const char *path)
{
	char *text = slurp_or_empty(path);
	ck_assert_msg(text[0] != '\0', "%s is empty", path);
	return text;
}

/* ---- options ---------------------------------------------------------------- */

START_TEST(t_defaults)
{
	ck_assert_int_eq(LOAD("--config.file="), 0);
	ck_assert_str_eq(cfg.systemd_unit_include, ".+");
	/* Debian's build of node_exporter 1.5 adds "target" to upstream's. */
	ck_assert_str_eq(cfg.systemd_unit_exclude,
			 ".+\\.(automount|device|mount|scope|slice|target)");
	ck_assert(cfg.systemd_restarts);
	ck_assert_str_eq(cfg.systemd_private_socket, "/run/systemd/private");
	int i = collector_index("systemd");
	ck_assert_int_ge(i, 0);
	ck_assert(!hw_collectors[i]->enabled_by_default);
	ck_assert(!cfg.enabled[i]);
}
END_TEST

START_TEST(t_flags)
{
	ck_assert_int_eq(LOAD("--config.file=", "--collector.systemd",
			      "--collector.systemd.unit-include=(ssh|cron)\\.service",
			      "--collector.systemd.unit-exclude=",
			      "--no-collector.systemd.enable-restarts-metrics",
			      "--collector.systemd.private-socket=/tmp/p"),
			 0);
	ck_assert(cfg.enabled[collector_index("systemd")]);
	ck_assert_str_eq(cfg.systemd_unit_include, "(ssh|cron)\\.service");
	ck_assert_ptr_null(cfg.systemd_unit_exclude);
	ck_assert(!cfg.systemd_restarts);
	ck_assert_str_eq(cfg.systemd_private_socket, "/tmp/p");
}
END_TEST

START_TEST(t_bad_flags)
{
	ck_assert_int_eq(LOAD("--config.file=",
			      "--collector.systemd.unit-include=(ssh"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(errtext, "collector.systemd.unit-include"));
	ck_assert_int_eq(LOAD("--config.file=",
			      "--collector.systemd.private-socket=run/x"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(errtext, "not an absolute path"));
}
END_TEST

START_TEST(t_bad_regex_in_file)
{
	char path[] = "/tmp/hw-sdu-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char text[] = "[systemd]\nunit_include = .+\nunit_exclude = "
			    "foo(\n";
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	char flag[64];
	snprintf(flag, sizeof(flag), "--config.file=%s", path);
	ck_assert_int_eq(LOAD(flag), -EINVAL);
	unlink(path);
	char want[64];
	snprintf(want, sizeof(want), "%s:3: [systemd] unit_exclude: ", path);
	ck_assert_msg(strncmp(errtext, want, strlen(want)) == 0, "got: %s",
		      errtext);
}
END_TEST

/* ---- what a real systemd answered -------------------------------------------- */

/* user-manager.tsv in memory: the file's text, cut into fields in place. */
struct fixture {
	char *text;
	char *version, *system_state;
	char *unit[64][12];
	size_t n;
};

static void fixture_load(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->text = slurp(FIX "user-manager.tsv");
	for (char *line = strtok(fx->text, "\n"); line;
	     line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *f[13];
		size_t nf = 0;
		for (char *p = line; nf < 13;) {
			f[nf++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (strcmp(f[0], "version") == 0)
			fx->version = f[1];
		else if (strcmp(f[0], "system_state") == 0)
			fx->system_state = f[1];
		else {
			ck_assert_str_eq(f[0], "unit");
			ck_assert_uint_eq(nf, 13);
			ck_assert_uint_lt(fx->n, 64);
			memcpy(fx->unit[fx->n++], f + 1, sizeof(fx->unit[0]));
		}
	}
	ck_assert_uint_ge(fx->n, 20);
}

/* The scrape sdu_collect makes, on the fixture instead of the bus: the
 * units as ListUnits listed them, then for each selected one what
 * sdu_ask_units would have asked. */
static void fixture_scrape(const struct fixture *fx, struct sdu_priv *p,
			   struct sdu_data *d)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < fx->n; i++)
		ck_assert_int_eq(add_unit(d, fx->unit[i][0], fx->unit[i][2],
					  fx->unit[i][3], fx->unit[i][6]),
				 0);
	d->listed = true;
	d->version = strdup(fx->version);
	d->system_state = strdup(fx->system_state);
	sdu_select(p, d);
	for (size_t i = 0; i < d->n; i++) {
		struct sdu_unit *u = &d->units[i];
		if (!u->selected)
			continue;
		size_t k = 0;
		while (strcmp(fx->unit[k][0], u->name) != 0)
			k++;
		if (strcmp(fx->unit[k][10], "-") != 0)
			u->type = strdup(fx->unit[k][10]);
		if (p->restarts && strcmp(fx->unit[k][11], "-") != 0) {
			u->nrestarts = (uint32_t)strtoul(fx->unit[k][11], NULL,
							 10);
			u->has_nrestarts = true;
		}
	}
}

/* The collector's private state for cfg's options, without a bus. */
static void priv_init(struct sdu_priv *p)
{
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(sdu_compile(&p->include, &p->has_include,
				     cfg.systemd_unit_include, "unit_include"),
			 0);
	ck_assert_int_eq(sdu_compile(&p->exclude, &p->has_exclude,
				     cfg.systemd_unit_exclude, "unit_exclude"),
			 0);
	p->restarts = cfg.systemd_restarts;
}

static void priv_free(struct sdu_priv *p)
{
	if (p->has_include)
		hw_regex_free(&p->include);
	if (p->has_exclude)
		hw_regex_free(&p->exclude);
}

static char *render(const struct sdu_data *d, bool with_state)
{
	struct hw_buf out = HW_BUF_INIT;
	struct expo_writer w;
	expo_init(&w, &out, EXPO_TEXT);
	sdu_emit(&w.sink, d, with_state);
	expo_finish(&w);
	char *s = strdup(buf_cstr(&out));
	buf_free(&out);
	return s;
}

START_TEST(t_same_as_node_exporter)
{
	struct fixture fx;
	struct sdu_priv p;
	struct sdu_data d;
	ck_assert_int_eq(LOAD("--config.file="), 0);
	fixture_load(&fx);
	priv_init(&p);
	fixture_scrape(&fx, &p, &d);
	char *got = render(&d, true);
	char *want = slurp(FIX "node-exporter-1.5.prom");
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	sdu_data_clear(&d);
	priv_free(&p);
	free(fx.text);
}
END_TEST

START_TEST(t_selection)
{
	struct fixture fx;
	struct sdu_priv p;
	struct sdu_data d;
	struct capture_sink cs;
	fixture_load(&fx);

	/* Anchored as node_exporter's ^(?:re)$: "crash" alone selects
	 * nothing; a unit that is not loaded is never selected. */
	ck_assert_int_eq(LOAD("--config.file=",
			      "--collector.systemd.unit-include=crash|sdcol-"
			      "crash\\.service|blockdev@.*",
			      "--collector.systemd.unit-exclude="),
			 0);
	priv_init(&p);
	fixture_scrape(&fx, &p, &d);
	capture_init(&cs);
	sdu_emit(&cs.sink, &d, true);
	ck_assert_uint_eq(capture_count(&cs, "node_systemd_unit_state{"), 5);
	ck_assert_double_eq(
		capture_value(&cs, "node_systemd_unit_state{name=\"sdcol-crash."
				   "service\",state=\"failed\",type=\"simple\"}"),
		1);
	ck_assert_double_eq(
		capture_value(&cs, "node_systemd_service_restart_total{name="
				   "\"sdcol-crash.service\"}"),
		5);
	/* The summary counts every unit, selected or not. */
	ck_assert_double_eq(capture_value(&cs, "node_systemd_units{state="
					       "\"inactive\"}"),
			    5);
	ck_assert_double_eq(capture_value(&cs, "node_systemd_system_running"),
			    0);
	ck_assert_int_eq(cs.violations, 0);
	capture_free(&cs);
	sdu_data_clear(&d);
	priv_free(&p);
	teardown();

	/* Mounts when asked for, with their file system type; no
	 * restart counts when they are turned off. */
	ck_assert_int_eq(LOAD("--config.file=",
			      "--collector.systemd.unit-include=.+\\.mount",
			      "--collector.systemd.unit-exclude=",
			      "--no-collector.systemd.enable-restarts-metrics"),
			 0);
	priv_init(&p);
	fixture_scrape(&fx, &p, &d);
	capture_init(&cs);
	sdu_emit(&cs.sink, &d, true);
	ck_assert_double_eq(capture_value(&cs, "node_systemd_unit_state{name="
					       "\"-.mount\",state=\"active\","
					       "type=\"ext4\"}"),
			    1);
	ck_assert_ptr_null(
		capture_family(&cs, "node_systemd_service_restart_total"));
	capture_free(&cs);
	sdu_data_clear(&d);
	priv_free(&p);
	free(fx.text);
}
END_TEST

/* States beyond node_exporter's five are counted as they come, in order;
 * node_systemd_unit_state still has the five. */
START_TEST(t_other_states)
{
	struct sdu_priv p;
	struct sdu_data d = {0};
	struct capture_sink cs;
	ck_assert_int_eq(LOAD("--config.file="), 0);
	priv_init(&p);
	ck_assert_int_eq(add_unit(&d, "b.service", "loaded", "reloading", "/b"),
			 0);
	ck_assert_int_eq(add_unit(&d, "a.service", "loaded", "maintenance",
				  "/a"),
			 0);
	ck_assert_int_eq(add_unit(&d, "c.service", "masked", "inactive", "/c"),
			 0);
	d.listed = true;
	sdu_select(&p, &d);
	capture_init(&cs);
	sdu_emit(&cs.sink, &d, false);
	static const char *const want[] = {
		"activating", "active",	   "deactivating", "failed",
		"inactive",   "maintenance", "reloading"};
	size_t k = 0;
	for (size_t i = 0; i < cs.nsamples; i++) {
		if (strncmp(cs.samples[i].key, "node_systemd_units{", 19) != 0)
			continue;
		char key[96];
		snprintf(key, sizeof(key), "node_systemd_units{state=\"%s\"}",
			 want[k++]);
		ck_assert_str_eq(cs.samples[i].key, key);
		ck_assert_double_eq(cs.samples[i].value,
				    k == 5 || k == 6 || k == 7 ? 1 : 0);
	}
	ck_assert_uint_eq(k, 7);
	ck_assert_uint_eq(capture_count(&cs, "node_systemd_unit_state{name=\"a."),
			  5);
	ck_assert_uint_eq(capture_count(&cs, "node_systemd_unit_state{name=\"c."),
			  0);
	ck_assert_ptr_null(capture_family(&cs, "node_systemd_system_running"));
	/* No Version: node_exporter's version="" 0. */
	ck_assert_double_eq(capture_value(&cs, "node_systemd_version{version="
					       "\"\"}"),
			    0);
	capture_free(&cs);
	sdu_data_clear(&d);
	priv_free(&p);
}
END_TEST

START_TEST(t_version)
{
	double v = -1;
	ck_assert(sdu_version_number("252.39-1~deb12u2", &v));
	ck_assert_double_eq(v, 252.39);
	ck_assert(sdu_version_number("239 (239-78.el8)", &v));
	ck_assert_double_eq(v, 239);
	ck_assert(sdu_version_number("v12.253~rc1", &v));
	ck_assert_double_eq(v, 253);
	ck_assert(sdu_version_number("255.", &v));
	ck_assert_double_eq(v, 255);
	ck_assert(!sdu_version_number("v12", &v));
	ck_assert(!sdu_version_number("", &v));
}
END_TEST

/* ---- no systemd, no libsystemd ------------------------------------------------ */

/* Run f with stderr (the log) going to a file; the number of lines it
 * wrote there that contain `needle`. */
static unsigned count_log_lines(void (*f)(void), const char *needle)
{
	char path[] = "/tmp/hw-sdu-log-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	f();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	char *text = slurp_or_empty(path);
	unlink(path);
	unsigned n = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		n += strstr(l, needle) != NULL;
	free(text);
	return n;
}

static struct hw_ctx ctx;
static int rcs[3];

static void three_scrapes(void)
{
	ck_assert_int_eq(collector_systemd.init(&ctx), 0);
	for (int i = 0; i < 3; i++) {
		struct capture_sink cs;
		capture_init(&cs);
		rcs[i] = collector_systemd.collect(&ctx, &cs.sink);
		ck_assert_uint_eq(cs.nsamples, 0);
		capture_free(&cs);
	}
	collector_systemd.fini(&ctx);
}

START_TEST(t_no_bus)
{
	ck_assert_int_eq(
		LOAD("--config.file=", "--collector.systemd",
		     "--collector.systemd.private-socket=/nonexistent/private"),
		0);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ck_assert_uint_eq(count_log_lines(three_scrapes, "systemd"), 1);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rcs[i], -ENOENT);
}
END_TEST

START_TEST(t_no_library)
{
	char why[192];
	static const char *const none[] = {"libhostwatch-none.so.0", NULL};
	struct sdbus_fns f;
	ck_assert_int_eq(sdbus_lib_load(&f, none, why, sizeof(why)), -ENOSYS);
	ck_assert_ptr_nonnull(strstr(why, "libsystemd0"));

	/* The collector starts, says so once, and fails every scrape. */
	ck_assert_int_eq(LOAD("--config.file=", "--collector.systemd"), 0);
	const char *saved = sdbus_sonames[0];
	pthread_mutex_lock(&sf_lock);
	sdbus_sonames[0] = none[0];
	sf_tried = false;
	pthread_mutex_unlock(&sf_lock);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ck_assert_uint_eq(count_log_lines(three_scrapes, "libsystemd"), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rcs[i], -ENOSYS);
	pthread_mutex_lock(&sf_lock);
	sdbus_sonames[0] = saved;
	sf_tried = false;
	pthread_mutex_unlock(&sf_lock);
}
END_TEST

/* A peer that accepts the connection and never answers (a hung systemd)
 * costs the budget, not sd-bus's 90 s authentication timeout. */
START_TEST(t_silent_peer)
{
	char why[256];
	ck_assert_int_eq(sdbus_lib_ready(why, sizeof(why)), 0);
	char dir[] = "/tmp/hw-sdu-sock-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/private", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0); /* never accept()ed */
	char addr[128];
	snprintf(addr, sizeof(addr), "unix:path=%s", sa.sun_path);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1);

	struct sdu_bus b = {.private_socket = sa.sun_path};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sdu_bus_budget(&b, 300000);
	ck_assert_int_eq(sdu_bus_connect(&b, why, sizeof(why)), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(took >= 0.25 && took < 2, "took %.3f s", took);
	ck_assert_ptr_null(b.bus);
	ck_assert_ptr_nonnull(strstr(why, "timed out"));

	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	close(fd);
	unlink(sa.sun_path);
	rmdir(dir);
}
END_TEST

START_TEST(t_address_escaping)
{
	char a[64];
	ck_assert_int_eq(unix_address("/run/systemd/private", a, sizeof(a)), 0);
	ck_assert_str_eq(a, "unix:path=/run/systemd/private");
	ck_assert_int_eq(unix_address("/tmp/a b;c=d,e", a, sizeof(a)), 0);
	ck_assert_str_eq(a, "unix:path=/tmp/a%20b%3bc%3dd%2ce");
	ck_assert_int_eq(unix_address("/a-very-long-path-indeed-that-will-"
				      "not-fit-in-the-buffer-we-give",
				      a, sizeof(a)),
			 -ENAMETOOLONG);
}
END_TEST

static Suite *systemd_suite(void)
{
	Suite *s = suite_create("systemd_units");
	TCase *tc = tcase_create("options");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_flags);
	tcase_add_test(tc, t_bad_flags);
	tcase_add_test(tc, t_bad_regex_in_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("units");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, t_same_as_node_exporter);
	tcase_add_test(tc, t_selection);
	tcase_add_test(tc, t_other_states);
	tcase_add_test(tc, t_version);
	suite_add_tcase(s, tc);
	tc = tcase_create("bus");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, t_no_bus);
	tcase_add_test(tc, t_no_library);
	tcase_add_test(tc, t_silent_peer);
	tcase_add_test(tc, t_address_escaping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(systemd_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
