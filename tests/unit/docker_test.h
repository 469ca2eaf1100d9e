/* Shared by the Docker client's and parsers' unit tests
 * (test_docker_parse.c, test_docker_api.c): the fixtures, and checks. */
#ifndef HOSTWATCH_TEST_DOCKER_H
#define HOSTWATCH_TEST_DOCKER_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostwatch/buf.h"
#include "hostwatch/docker.h"

#define FIXDIR FIXTURES "/docker"
#define DOCKER_SOCK "/var/run/docker.sock"
#define IMAGE "hw-busybox:test"
#define WEB2 "0809083f942fc650814c25e2e819f63334d2bd139e4988c4b8395f75c84682e2"
#define CRASH "9a050d898d2b659c98985e1cc59f6a19ffb9748ba05b743215d5a59a3c00874e"
#define OOMC "889f16e4576910f195f979cc0640a2c184423c2aa3a23d2515576f831abb4411"

/* The labels the inventory would ask for, and one nobody has. */
static const char *const keys[] __attribute__((unused)) = {"com.docker.compose.project",
				   "com.docker.compose.service", "absent"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static inline char *slurp(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", FIXDIR, name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	struct hw_buf b = HW_BUF_INIT;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_put(&b, tmp, n);
	fclose(f);
	buf_cstr(&b);
	ck_assert(!b.failed);
	return b.data;
}

/* JSON written with ' for ", as the tables below are: malloc'ed. */
static inline char *j(const char *s)
{
	char *r = strdup(s);
	for (char *p = r; *p; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static inline bool has(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

/* Nothing of the label "secret" (value "x") or of the environment
 * (PASSWORD=hunter2) is anywhere in c. */
static inline void assert_no_secret(const struct docker_container *c)
{
	const char *s[] = {c->id, c->name, c->image};
	for (size_t i = 0; i < 3; i++)
		ck_assert(!has(s[i], "hunter2") && !has(s[i], "PASSWORD") &&
			  !has(s[i], "secret"));
	for (size_t i = 0; i < c->nkeys; i++) {
		const char *v = c->label_values[i];
		ck_assert(!has(v, "hunter2") && !has(v, "PASSWORD"));
		ck_assert(!v || strcmp(v, "x") != 0);
	}
}

static inline char *fill(size_t n, char ch)
{
	char *s = malloc(n + 1);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

#endif
