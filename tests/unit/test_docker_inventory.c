/* Unit tests for the container inventory's table (src/docker/inventory.c)
 * without its thread: fed what the thread feeds it (inspections of the
 * captured fixtures, and events), it must count restarts itself (Docker's
 * RestartCount goes back to 0), OOM kills and health, forget destroyed
 * containers, rebuild itself from a fresh list after the daemon was away
 * (counting the restarts it missed), find each container's cgroups from
 * /proc/PID/cgroup, and hand scrapes copies only when something changed. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/readfile.h"

#include "../../src/docker/inventory.h"
#include "testutil.h"

#define FIX FIXTURES "/docker"

static const char *const keys[] = {"com.docker.compose.service",
				   "com.docker.compose.project"};
static char procfs[64];

static void write_proc_cgroup(int pid, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%d", procfs, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/cgroup", procfs, pid);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(procfs, sizeof(procfs), "/tmp/hw-dkinv.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(procfs));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", procfs);
	ck_assert_int_eq(system(cmd), 0);
}

/* An inspection from a fixture file, with its pid replaced. */
static void load(const char *file, struct docker_container *c, int pid)
{
	char path[256];
	snprintf(path, sizeof(path), FIX "/%s", file);
	struct hw_buf b = {0};
	ck_assert_int_eq(readfile_at(AT_FDCWD, path, &b, 1 << 20), 0);
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(docker_parse_inspect(b.data, keys, 2, c), 0);
	buf_free(&b);
	c->pid = pid;
}

static struct docker_event ev(const struct docker_container *c,
			      const char *action, int exit_code)
{
	struct docker_event e;
	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "%s", c->id);
	snprintf(e.action, sizeof(e.action), "%s", action);
	e.exit_code = exit_code;
	return e;
}

static bool has(const struct docker_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return true;
	return false;
}

/* The entry called name; the test fails when there is none. */
static const struct docker_entry *find(const struct docker_snapshot *s,
				       const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	ck_abort_msg("no container %s", name);
}

START_TEST(test_parse_proc_cgroup)
{
	struct docker_entry e;
	memset(&e, 0, sizeof(e));
	/* this VM, hybrid, cgroupfs driver (Linux 6.18, Docker 20.10) */
	char v1[] = "9:name=systemd:/docker/abc\n8:pids:/docker/abc\n"
		    "7:blkio:/docker/abc\n4:memory:/docker/abc\n"
		    "2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n"
		    "0::/docker/abc\n";
	ck_assert_int_eq(docker_parse_proc_cgroup(v1, &e), 0);
	ck_assert_str_eq(e.cgroup[CGROUP_H_MEMORY], "/docker/abc");
	ck_assert_str_eq(e.cgroup[CGROUP_H_CPUACCT], "/docker/abc");
	ck_assert_str_eq(e.cgroup[CGROUP_H_UNIFIED], "/docker/abc");
	ck_assert_ptr_eq(e.cgroup_id, e.cgroup[CGROUP_H_MEMORY]);
	/* cpu,cpuacct mounted together; systemd driver */
	char joint[] = "3:cpu,cpuacct:/system.slice/docker-abc.scope\n"
		       "1:name=systemd:/system.slice/docker-abc.scope\n";
	ck_assert_int_eq(docker_parse_proc_cgroup(joint, &e), 0);
	ck_assert_str_eq(e.cgroup[CGROUP_H_CPU], "/system.slice/docker-abc.scope");
	ck_assert_str_eq(e.cgroup[CGROUP_H_CPUACCT],
			 "/system.slice/docker-abc.scope");
	ck_assert_ptr_null(e.cgroup[CGROUP_H_MEMORY]);
	ck_assert_ptr_eq(e.cgroup_id, e.cgroup[CGROUP_H_CPUACCT]);
	/* a v2 host */
	char v2[] = "0::/system.slice/docker-abc.scope\n";
	ck_assert_int_eq(docker_parse_proc_cgroup(v2, &e), 0);
	ck_assert_ptr_null(e.cgroup[CGROUP_H_CPU]);
	ck_assert_str_eq(e.cgroup_id, "/system.slice/docker-abc.scope");
	/* nothing usable */
	char junk[] = "garbage\n5:devices\n";
	ck_assert_int_eq(docker_parse_proc_cgroup(junk, &e), 0);
	ck_assert_ptr_null(e.cgroup_id);
	for (int h = 0; h < CGROUP_H_COUNT; h++)
		free(e.cgroup[h]);
}
END_TEST

START_TEST(test_restarts_counted_by_us)
{
	struct docker_table *t = docker_table_new(keys, 2);
	struct docker_snapshot s = {0};
	struct docker_container web, crash;
	load("inspect_running.json", &web, 4242);
	load("inspect_exited.json", &crash, 0);
	write_proc_cgroup(4242, "4:memory:/docker/web\n0::/docker/web\n");
	struct docker_container both[2] = {web, crash};
	docker_table_sync(t, both, 2, true, 0, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert(s.up);
	/* sorted by name; keys' values, "" for a missing label */
	ck_assert_str_eq(s.v[0].name, "crash");
	ck_assert_str_eq(s.v[1].name, "web2");
	const struct docker_entry *w = find(&s, "web2");
	ck_assert_str_eq(w->label_values[0], "web");
	ck_assert_str_eq(w->label_values[1], "shop");
	ck_assert_str_eq(find(&s, "crash")->label_values[0], "");
	ck_assert_str_eq(s.label_names[0],
			 "container_label_com_docker_compose_service");
	ck_assert_str_eq(w->cgroup_id, "/docker/web");
	ck_assert_ptr_null(find(&s, "crash")->cgroup_id);
	/* the first sync counts nothing, whatever Docker's count */
	ck_assert_uint_eq(find(&s, "crash")->restarts, 0);
	ck_assert_int_eq(find(&s, "crash")->docker_restarts, 2);

	/* crash loops: die, start, die, start */
	crash.restart_count = 3;
	crash.state = DOCKER_S_RUNNING;
	crash.pid = 5000;
	write_proc_cgroup(5000, "4:memory:/docker/crash\n");
	for (int i = 0; i < 2; i++) {
		struct docker_event d = ev(&crash, "die", 3), st = ev(&crash, "start", -1);
		docker_table_event(t, &d, NULL, procfs);
		docker_table_event(t, &st, &crash, procfs);
	}
	/* a start that follows no die (a replayed event) counts nothing */
	struct docker_event st = ev(&crash, "start", -1);
	docker_table_event(t, &st, &crash, procfs);
	/* docker start by hand: Docker's count falls back to 0, ours not */
	struct docker_event d = ev(&crash, "die", 137);
	crash.state = DOCKER_S_EXITED;
	crash.pid = 0;
	docker_table_event(t, &d, &crash, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_int_eq(find(&s, "crash")->exit_code, 137);
	ck_assert_int_eq(find(&s, "crash")->state, DOCKER_S_EXITED);
	ck_assert_ptr_null(find(&s, "crash")->cgroup_id);
	crash.restart_count = 0;
	crash.state = DOCKER_S_RUNNING;
	crash.pid = 5000;
	docker_table_event(t, &st, &crash, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "crash")->restarts, 3);
	ck_assert_int_eq(find(&s, "crash")->docker_restarts, 0);
	ck_assert_str_eq(find(&s, "crash")->cgroup_id, "/docker/crash");

	/* running again: Docker's ExitCode is 0, the last run's stays */
	ck_assert_int_eq(find(&s, "crash")->exit_code, 137);

	/* Docker's oom events are not kills (v1: one per OOM episode); a
	 * death whose inspection says OOMKilled is */
	struct docker_event o = ev(&web, "oom", -1);
	docker_table_event(t, &o, &web, procfs);
	docker_table_event(t, &o, &web, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "web2")->oom_kills, 0);
	struct docker_event od = ev(&web, "die", 137);
	web.oom_killed = true;
	web.state = DOCKER_S_EXITED;
	docker_table_event(t, &od, &web, procfs);
	web.oom_killed = false;
	web.state = DOCKER_S_RUNNING;
	struct docker_event os = ev(&web, "start", -1);
	docker_table_event(t, &os, &web, procfs);
	struct docker_event h = ev(&web, "health_status", -1);
	snprintf(h.detail, sizeof(h.detail), "unhealthy");
	docker_table_event(t, &h, NULL, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "web2")->oom_kills, 1);
	ck_assert_uint_eq(find(&s, "web2")->restarts, 1);
	ck_assert_int_eq(find(&s, "web2")->health, DOCKER_H_UNHEALTHY);
	/* Docker may set OOMKilled only when its oom event comes, after
	 * the die: counted then, once, whatever inspection shows it */
	struct docker_event d2 = ev(&web, "die", 137), o2 = ev(&web, "oom", -1);
	web.state = DOCKER_S_EXITED;
	web.exit_code = 137;
	web.finished_at += 100;
	docker_table_event(t, &d2, &web, procfs);
	web.oom_killed = true;
	docker_table_event(t, &o2, &web, procfs);
	docker_table_event(t, &o2, &web, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "web2")->oom_kills, 2);
	web.oom_killed = false;
	web.state = DOCKER_S_RUNNING;
	web.exit_code = 0; /* Docker's, once it runs again */
	docker_table_event(t, &os, &web, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "web2")->restarts, 2);
	ck_assert_int_eq(find(&s, "web2")->exit_code, 137);
	/* a later inspection says what Docker says now */
	ck_assert_int_eq(find(&s, "web2")->health, DOCKER_H_HEALTHY);

	/* an event of a container never seen, without an inspection */
	struct docker_event stray = ev(&web, "die", 1);
	stray.id[0] = stray.id[0] == 'a' ? 'b' : 'a';
	docker_table_event(t, &stray, NULL, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(s.n, 2);

	/* destroy (Docker), remove (Podman) */
	struct docker_event x = ev(&crash, "destroy", -1);
	docker_table_event(t, &x, NULL, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert(!has(&s, "crash"));
	x = ev(&web, "remove", -1);
	docker_table_event(t, &x, NULL, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(s.n, 0);

	docker_snapshot_free(&s);
	docker_container_clear(&web);
	docker_container_clear(&crash);
	docker_table_free(t);
}
END_TEST

START_TEST(test_resync_counts_missed_restarts)
{
	struct docker_table *t = docker_table_new(keys, 2);
	struct docker_snapshot s = {0};
	struct docker_container a, b, c;
	load("inspect_running.json", &a, 0);
	load("inspect_exited.json", &b, 0);
	struct docker_container two[2] = {a, b};
	docker_table_sync(t, two, 2, true, 0, procfs);
	docker_table_set_up(t, false);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert(!s.up);
	/* while away: a restarted 3 times by policy (RestartCount 0 -> 3), b
	 * was started by hand (RestartCount back to 0), and c is new */
	a.started_at += 60;
	a.restart_count += 3;
	b.started_at += 60;
	b.restart_count = 0;
	b.state = DOCKER_S_RUNNING;
	load("inspect_running.json", &c, 0);
	memcpy(c.id, "c", 2);
	free(c.name);
	c.name = strdup("newcomer");
	struct docker_container three[3] = {a, b, c};
	docker_table_sync(t, three, 3, false, 0, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert(s.up);
	ck_assert_uint_eq(find(&s, "web2")->restarts, 3);
	ck_assert_uint_eq(find(&s, "crash")->restarts, 1);
	ck_assert_uint_eq(find(&s, "newcomer")->restarts, 0);
	/* b dies while away (OOM-killed), unseen; started again later: a
	 * restart, and an OOM kill */
	b.state = DOCKER_S_EXITED;
	b.oom_killed = true;
	b.finished_at = b.started_at + 5;
	struct docker_container bb[3] = {a, b, c};
	docker_table_sync(t, bb, 3, false, 0, procfs);
	struct docker_event st = ev(&b, "start", -1);
	b.state = DOCKER_S_RUNNING;
	b.oom_killed = false;
	docker_table_event(t, &st, &b, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "crash")->restarts, 2);
	ck_assert_uint_eq(find(&s, "crash")->oom_kills, 1);
	/* exited at the first sync: its first start is a restart too */
	struct docker_table *t2 = docker_table_new(keys, 2);
	struct docker_snapshot s2 = {0};
	b.state = DOCKER_S_EXITED;
	docker_table_sync(t2, &b, 1, true, 0, procfs);
	b.state = DOCKER_S_RUNNING;
	docker_table_event(t2, &st, &b, procfs);
	ck_assert_int_eq(docker_table_snapshot(t2, &s2), 0);
	ck_assert_uint_eq(s2.v[0].restarts, 1);
	ck_assert_uint_eq(s2.v[0].oom_kills, 0);
	docker_snapshot_free(&s2);
	docker_table_free(t2);

	/* unchanged: nothing more; and one removed while away goes */
	struct docker_container one[1] = {a};
	docker_table_sync(t, one, 1, false, 0, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(find(&s, "web2")->restarts, 3);
	/* Events from `since` on are replayed after the list: a start the
	 * list shows in that window is counted once, by its event, and not
	 * by the list as well (a dockerd that restarts its containers as it
	 * comes back does it within the second of the reconnection). */
	a.started_at += 30;
	a.restart_count += 1;
	struct docker_container again[1] = {a};
	docker_table_sync(t, again, 1, false, a.started_at - 0.5, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "web2")->restarts, 3);
	struct docker_event rs = ev(&a, "start", -1);
	docker_table_event(t, &rs, &a, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(find(&s, "web2")->restarts, 4);
	docker_snapshot_free(&s);
	docker_container_clear(&a);
	docker_container_clear(&b);
	docker_container_clear(&c);
	docker_table_free(t);
}
END_TEST

START_TEST(test_snapshot_copies_only_changes)
{
	struct docker_table *t = docker_table_new(NULL, 0);
	struct docker_snapshot s = {0};
	struct docker_container a;
	load("inspect_running.json", &a, 0);
	docker_table_sync(t, &a, 1, true, 0, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_eq(s.nkeys, 0);
	char *name = s.v[0].name;
	uint64_t gen = s.generation;
	/* nothing changed: the same copy, not a new one */
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_ptr_eq(s.v[0].name, name);
	ck_assert_uint_eq(s.generation, gen);
	/* an oom storm is inspected once per period, not once per event */
	ck_assert(docker_table_oom_due(t, a.id, 3600));
	ck_assert(!docker_table_oom_due(t, a.id, 3600));
	ck_assert(docker_table_oom_due(t, a.id, 0));
	/* once it has exited, a late oom event is always asked about */
	struct docker_event dd = ev(&a, "die", 137);
	a.state = DOCKER_S_EXITED;
	docker_table_event(t, &dd, &a, procfs);
	ck_assert(docker_table_oom_due(t, a.id, 3600));
	ck_assert(docker_table_oom_due(t, a.id, 3600));
	a.state = DOCKER_S_RUNNING;
	/* an event changes it */
	struct docker_event p = ev(&a, "pause", -1);
	a.state = DOCKER_S_PAUSED;
	docker_table_event(t, &p, &a, procfs);
	ck_assert_int_eq(docker_table_snapshot(t, &s), 0);
	ck_assert_uint_gt(s.generation, gen);
	ck_assert_int_eq(s.v[0].state, DOCKER_S_PAUSED);
	docker_snapshot_free(&s);
	docker_container_clear(&a);
	docker_table_free(t);
}
END_TEST

static Suite *inventory_suite(void)
{
	Suite *s = suite_create("docker_inventory");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse_proc_cgroup);
	tcase_add_test(tc, test_restarts_counted_by_us);
	tcase_add_test(tc, test_resync_counts_missed_restarts);
	tcase_add_test(tc, test_snapshot_copies_only_changes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(inventory_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
