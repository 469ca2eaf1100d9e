/* Unit tests for the Docker Engine API's parsers (docker.h, parse.c):
 * every fixture of tests/fixtures/docker (real answers of dockerd 20.10.24,
 * see its README) field by field, every line of events.jsonl and Podman
 * 4.3.1's event lines, RFC 3339 times, and malformed input: truncated
 * JSON, wrong types, bad IDs, missing fields, huge strings. The client is
 * tested in test_docker_api.c.
 *
 * Includes the parsers' source to reach their limits and id_valid(). */
#include "../../src/docker/parse.c"

#include <check.h>
#include <errno.h>

#include "docker_test.h"
#include "testutil.h"

/* ---- parsers on the real answers ---------------------------------------- */

START_TEST(test_version)
{
	char *t = slurp("version.json");
	struct docker_version v;
	ck_assert_int_eq(docker_parse_version(t, &v), 0);
	ck_assert_str_eq(v.api, "1.41");
	ck_assert_str_eq(v.min_api, "1.12");
	ck_assert_str_eq(v.version, "20.10.24+dfsg1");
	ck_assert_str_eq(v.engine, "Docker Engine");
	free(t);
	/* Podman's, as its service answers on this machine */
	t = j("{'Components':[{'Name':'Podman Engine','Version':'4.3.1'},"
	      "{'Name':'Conmon','Version':'2.1.6'}],'Version':'4.3.1',"
	      "'ApiVersion':'1.41','MinAPIVersion':'1.24'}");
	ck_assert_int_eq(docker_parse_version(t, &v), 0);
	ck_assert_str_eq(v.engine, "Podman Engine");
	ck_assert_str_eq(v.min_api, "1.24");
	free(t);
}
END_TEST

START_TEST(test_list)
{
	char *t = slurp("list.json");
	char(*ids)[DOCKER_ID_LEN + 1];
	size_t n;
	ck_assert_int_eq(docker_parse_list(t, &ids, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ids[0], OOMC);
	ck_assert_str_eq(ids[1], CRASH);
	ck_assert_str_eq(ids[2], WEB2);
	free(ids);
	free(t);
	ck_assert_int_eq(docker_parse_list("[]", &ids, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ids);
}
END_TEST

START_TEST(test_inspect_running)
{
	char *t = slurp("inspect_running.json");
	struct docker_container c;
	ck_assert_int_eq(docker_parse_inspect(t, keys, NKEYS, &c), 0);
	ck_assert_str_eq(c.id, WEB2);
	ck_assert_str_eq(c.name, "web2");
	ck_assert_str_eq(c.image, IMAGE);
	ck_assert_int_eq(c.state, DOCKER_S_RUNNING);
	ck_assert_int_eq(c.health, DOCKER_H_HEALTHY);
	ck_assert_int_eq(c.pid, 5755);
	ck_assert_int_eq(c.exit_code, 0);
	ck_assert(!c.oom_killed);
	ck_assert_int_eq(c.restart_count, 0);
	ck_assert_double_eq_tol(c.created, 1795284695.57974063, 1e-6);
	ck_assert_double_eq_tol(c.started_at, 1795284700.904429479, 1e-6);
	ck_assert_double_eq_tol(c.finished_at, 1795284700.548951084, 1e-6);
	ck_assert_uint_eq(c.nkeys, NKEYS);
	ck_assert_str_eq(c.label_values[0], "shop");
	ck_assert_str_eq(c.label_values[1], "web");
	ck_assert_ptr_null(c.label_values[2]);
	assert_no_secret(&c);
	docker_container_clear(&c);
	ck_assert_ptr_null(c.name);
	/* no keys asked: no labels kept at all */
	ck_assert_int_eq(docker_parse_inspect(t, NULL, 0, &c), 0);
	ck_assert_ptr_null(c.label_values);
	ck_assert_uint_eq(c.nkeys, 0);
	docker_container_clear(&c);
	free(t);
}
END_TEST

START_TEST(test_inspect_exited)
{
	char *t = slurp("inspect_exited.json");
	struct docker_container c;
	ck_assert_int_eq(docker_parse_inspect(t, keys, NKEYS, &c), 0);
	ck_assert_str_eq(c.id, CRASH);
	ck_assert_str_eq(c.name, "crash");
	ck_assert_int_eq(c.state, DOCKER_S_EXITED);
	ck_assert_str_eq(docker_state_name(c.state), "exited");
	ck_assert_int_eq(c.health, DOCKER_H_NONE);
	ck_assert_int_eq(c.pid, 0);
	ck_assert_int_eq(c.exit_code, 3);
	ck_assert_int_eq(c.restart_count, 2);
	ck_assert_double_eq_tol(c.created, 1795284695.912990052, 1e-6);
	ck_assert_double_eq_tol(c.started_at, 1795284697.714429006, 1e-6);
	ck_assert_double_eq_tol(c.finished_at, 1795284698.017720053, 1e-6);
	for (size_t i = 0; i < NKEYS; i++)
		ck_assert_ptr_null(c.label_values[i]);
	docker_container_clear(&c);
	free(t);
}
END_TEST

START_TEST(test_state_names)
{
	const char *want[] = {"created", "running",  "paused",	"restarting",
			      "exited",	 "dead",     "removing"};
	for (int s = 0; s < DOCKER_S_COUNT; s++)
		ck_assert_str_eq(docker_state_name((enum docker_state)s),
				 want[s]);
	ck_assert_str_eq(docker_state_name(DOCKER_S_COUNT), "unknown");
}
END_TEST

/* Every line of events.jsonl: per action, how many, and what each says. */
START_TEST(test_events)
{
	static const struct {
		const char *action;
		int n;
	} count[] = {
		{"exec_create", 32}, {"exec_start", 32}, {"exec_die", 32},
		{"die", 6},	     {"start", 6},	 {"kill", 3},
		{"create", 3},	     {"health_status", 2}, {"destroy", 1},
		{"oom", 1},	     {"stop", 1},	 {"restart", 1},
		{"rename", 1},	     {"pause", 1},	 {"unpause", 1},
	};
	static const struct {
		int line;
		const char *name;
		int exit_code;
	} dies[] = {{2, "t1", 137},  {10, "crash", 3}, {16, "crash", 3},
		    {21, "crash", 3}, {26, "oom", 137},  {32, "web", 137}};
	int seen[sizeof(count) / sizeof(count[0])] = {0};
	size_t ndie = 0;
	char *t = slurp("events.jsonl");
	int line = 0;
	for (char *l = t, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		line++;
		struct docker_event e;
		ck_assert_int_eq(docker_parse_event(l, &e), 0);
		ck_assert(id_valid(e.id));
		ck_assert_ptr_nonnull(e.name);
		ck_assert_str_ne(e.name, "x"); /* the "secret" label */
		/* timeNano, to the microsecond a double keeps */
		const char *tn = strstr(l, "\"timeNano\":");
		ck_assert_double_eq_tol(e.time, strtod(tn + 11, NULL) / 1e9,
					1e-6);
		size_t k;
		for (k = 0; k < sizeof(count) / sizeof(count[0]); k++)
			if (strcmp(e.action, count[k].action) == 0)
				break;
		ck_assert_msg(k < sizeof(count) / sizeof(count[0]),
			      "line %d: action %s", line, e.action);
		seen[k]++;
		if (strcmp(e.action, "health_status") == 0)
			ck_assert_str_eq(e.detail, "healthy");
		else
			ck_assert_str_eq(e.detail, ""); /* no command lines */
		if (strcmp(e.action, "die") == 0) {
			ck_assert_uint_lt(ndie, 6);
			ck_assert_int_eq(line, dies[ndie].line);
			ck_assert_str_eq(e.name, dies[ndie].name);
			ck_assert_int_eq(e.exit_code, dies[ndie].exit_code);
			ndie++;
		} else if (strcmp(e.action, "exec_die") == 0) {
			ck_assert_int_eq(e.exit_code, 0);
		} else {
			ck_assert_int_eq(e.exit_code, -1);
		}
		if (line == 36) { /* renamed: the event carries the new name */
			ck_assert_str_eq(e.action, "rename");
			ck_assert_str_eq(e.name, "web2");
		}
		docker_event_clear(&e);
	}
	ck_assert_int_eq(line, 123);
	ck_assert_uint_eq(ndie, 6);
	for (size_t k = 0; k < sizeof(count) / sizeof(count[0]); k++)
		ck_assert_msg(seen[k] == count[k].n, "%s: %d, want %d",
			      count[k].action, seen[k], count[k].n);
	free(t);
}
END_TEST

/* Lines of Podman 4.3.1's /events (its service on this machine, as the
 * Docker-compatible API sends them; ' for "): its own words, and the
 * health status in HealthStatus. */
static const char *const podman_events[] = {
	"{'status':'die','id':'fcefb1513d07416b1a9b082838372eada03c5f87104053"
	"d4b2f6ad631924c3d6','from':'localhost/hw-busybox:test','Type':'conta"
	"iner','Action':'die','Actor':{'ID':'fcefb1513d07416b1a9b082838372ead"
	"a03c5f87104053d4b2f6ad631924c3d6','Attributes':{'containerExitCode':"
	"'137','exitCode':'137','image':'localhost/hw-busybox:test','name':'h"
	"wpodh','podId':''}},'scope':'local','time':1795286125,'timeNano':179"
	"5286125539250292}",
	"{'status':'exec_died','id':'fcefb1513d07416b1a9b082838372eada03c5f87"
	"104053d4b2f6ad631924c3d6','from':'localhost/hw-busybox:test','Type':"
	"'container','Action':'exec_died','Actor':{'ID':'fcefb1513d07416b1a9b"
	"082838372eada03c5f87104053d4b2f6ad631924c3d6','Attributes':{'contain"
	"erExitCode':'0','image':'localhost/hw-busybox:test','name':'hwpodh',"
	"'podId':''}},'scope':'local','time':1795286123,'timeNano':1795286123"
	"212325843}",
	"{'status':'health_status','id':'fcefb1513d07416b1a9b082838372eada03c"
	"5f87104053d4b2f6ad631924c3d6','from':'localhost/hw-busybox:test','Ty"
	"pe':'container','Action':'health_status','Actor':{'ID':'fcefb1513d07"
	"416b1a9b082838372eada03c5f87104053d4b2f6ad631924c3d6','Attributes':{"
	"'containerExitCode':'0','image':'localhost/hw-busybox:test','name':'"
	"hwpodh','podId':''}},'scope':'local','time':1795286123,'timeNano':17"
	"95286123185095501,'HealthStatus':'starting'}",
	"{'status':'remove','id':'fcefb1513d07416b1a9b082838372eada03c5f87104"
	"053d4b2f6ad631924c3d6','from':'localhost/hw-busybox:test','Type':'co"
	"ntainer','Action':'remove','Actor':{'ID':'fcefb1513d07416b1a9b082838"
	"372eada03c5f87104053d4b2f6ad631924c3d6','Attributes':{'containerExit"
	"Code':'0','image':'localhost/hw-busybox:test','name':'hwpodh','podId"
	"':''}},'scope':'local','time':1795286126,'timeNano':1795286126584289"
	"800}",
};

START_TEST(test_events_podman)
{
	static const struct {
		const char *action, *detail;
		int exit_code;
	} want[] = {{"die", "", 137},
		    {"exec_died", "", -1},
		    {"health_status", "starting", -1},
		    {"remove", "", -1}};
	for (size_t i = 0; i < 4; i++) {
		char *t = j(podman_events[i]);
		struct docker_event e;
		ck_assert_int_eq(docker_parse_event(t, &e), 0);
		ck_assert_str_eq(e.action, want[i].action);
		ck_assert_str_eq(e.detail, want[i].detail);
		ck_assert_int_eq(e.exit_code, want[i].exit_code);
		ck_assert_str_eq(e.name, "hwpodh");
		docker_event_clear(&e);
		free(t);
	}
}
END_TEST

static const struct {
	const char *s;
	int rc;
	double t;
} times[] = {
	{"0001-01-01T00:00:00Z", 0, 0},
	{"1970-01-01T00:00:00Z", 0, 0},
	{"2026-11-21T18:11:35.57974063Z", 0, 1795284695.57974063},
	{"2026-11-21T18:11:35Z", 0, 1795284695},
	{"2026-11-21T18:11:35.1Z", 0, 1795284695.1},
	{"2026-11-21T18:11:35.000000001Z", 0, 1795284695.000000001},
	{"2026-11-21T20:11:35.5+02:00", 0, 1795284695.5},
	{"2026-11-21T13:41:35-04:30", 0, 1795284695},
	{"2026-05-07T21:09:36.000000000+00:00", 0, 1778188176},
	{"2026-11-21t18:11:35z", 0, 1795284695},
	{"1969-12-31T23:59:59Z", 0, -1},
	{"2024-02-29T00:00:00Z", 0, 1709164800},
	{"9999-12-31T23:59:59Z", 0, 253402300799.0},
	{"2023-02-29T00:00:00Z", -EINVAL, 0},
	{"2026-13-01T00:00:00Z", -EINVAL, 0},
	{"2026-11-00T00:00:00Z", -EINVAL, 0},
	{"2026-11-21T24:00:00Z", -EINVAL, 0},
	{"2026-11-21T18:60:00Z", -EINVAL, 0},
	{"2026-11-21T18:11:60Z", -EINVAL, 0},
	{"2026-11-21T18:11:35.Z", -EINVAL, 0},
	{"2026-11-21T18:11:35.1234567890Z", -EINVAL, 0},
	{"2026-11-21T18:11:35", -EINVAL, 0},
	{"2026-11-21 18:11:35Z", -EINVAL, 0},
	{"2026-11-21T18:11:35Zjunk", -EINVAL, 0},
	{"2026-11-21T18:11:35+0200", -EINVAL, 0},
	{"2026-11-21T18:11:35+24:00", -EINVAL, 0},
	{"2026-11-21T18:11:35+02:00x", -EINVAL, 0},
	{"26-11-21T18:11:35Z", -EINVAL, 0},
	{"2026-1-21T18:11:35Z", -EINVAL, 0},
	{"+026-11-21T18:11:35Z", -EINVAL, 0},
	{"", -EINVAL, 0},
};

START_TEST(test_time)
{
	double t = 42;
	ck_assert_msg(docker_parse_time(times[_i].s, &t) == times[_i].rc,
		      "%s", times[_i].s);
	ck_assert_double_eq_tol(t, times[_i].t, 1e-6);
}
END_TEST

/* ---- parsers on malformed input ----------------------------------------- */

#define ID64 "'" WEB2 "'"
#define STATE "'State':{'Status':'running','Pid':1,'ExitCode':0}"
#define CONFIG "'Config':{'Image':'i','Labels':{'absent':'v'}}"
#define TOP "'Id':" ID64 ",'Name':'/n','Created':'2026-11-21T18:11:35Z'"

enum kind { K_VERSION, K_LIST, K_INSPECT, K_EVENT };

static const struct {
	enum kind kind;
	const char *json; /* ' for " */
	int rc;
} bad[] = {
	/* the minimal good ones, to show the others fail for their fault */
	{K_INSPECT, "{" TOP "," STATE "," CONFIG "}", 0},
	{K_EVENT, "{'Type':'container','Action':'start','id':" ID64 ",'time':1}",
	 0},
	{K_LIST, "[{'Id':" ID64 "}]", 0},
	{K_VERSION, "{}", 0},
	/* not JSON, not the right JSON */
	{K_INSPECT, "", -EINVAL},
	{K_INSPECT, "[]", -EINVAL},
	{K_INSPECT, "{" TOP "," STATE "," CONFIG "} x", -EINVAL},
	{K_INSPECT, "{" TOP "," TOP "," STATE "," CONFIG "}", -EINVAL},
	{K_LIST, "{}", -EINVAL},
	{K_LIST, "[1]", -EINVAL},
	{K_LIST, "[{'Id':5}]", -EINVAL},
	{K_LIST, "[{'Names':['/a']}]", -EINVAL},
	{K_VERSION, "[]", -EINVAL},
	{K_EVENT, "null", -EINVAL},
	/* bad IDs */
	{K_LIST, "[{'Id':'0809083f'}]", -EINVAL},
	{K_LIST, "[{'Id':'" WEB2 "0'}]", -EINVAL},
	{K_LIST, "[{'Id':'0809083F942FC650814C25E2E819F63334D2BD139E4988C4B8395F"
		 "75C84682E2'}]",
	 -EINVAL},
	{K_LIST, "[{'Id':'g809083f942fc650814c25e2e819f63334d2bd139e4988c4b8395f"
		 "75c84682e2'}]",
	 -EINVAL},
	{K_LIST, "[{'Id':" ID64 "},{'Id':'../../etc'}]", -EINVAL},
	{K_INSPECT, "{'Id':'web2','Name':'/n','Created':'2026-11-21T18:11:35Z',"
		    STATE "," CONFIG "}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'start','id':'abc','time':1}",
	 -EINVAL},
	/* missing fields */
	{K_INSPECT, "{'Name':'/n','Created':'2026-11-21T18:11:35Z'," STATE
		    "," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{'Id':" ID64 ",'Created':'2026-11-21T18:11:35Z'," STATE
		    "," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{'Id':" ID64 ",'Name':'/n'," STATE "," CONFIG "}", -EINVAL},
	{K_INSPECT, "{" TOP "," CONFIG "}", -EINVAL},
	{K_INSPECT, "{" TOP "," STATE "}", -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Pid':1,'ExitCode':0}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','ExitCode':0},"
		    CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':1}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP "," STATE ",'Config':{'Labels':{}}}", -EINVAL},
	{K_EVENT, "{'Action':'start','id':" ID64 ",'time':1}", -EINVAL},
	{K_EVENT, "{'Type':'container','id':" ID64 ",'time':1}", -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'start','time':1}", -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'start','id':" ID64 "}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'','id':" ID64 ",'time':1}",
	 -EINVAL},
	/* wrong types */
	{K_INSPECT, "{'Id':7,'Name':'/n','Created':'2026-11-21T18:11:35Z',"
		    STATE "," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{'Id':" ID64 ",'Name':['/n'],'Created':'x'," STATE
		    "," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{'Id':" ID64 ",'Name':'/n','Created':1," STATE "," CONFIG
		    "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':'running'," CONFIG "}", -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':1,'Pid':1,'ExitCode':0},"
		    CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':'1',"
		    "'ExitCode':0}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':-1,"
		    "'ExitCode':0}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':4294967296,"
		    "'ExitCode':0}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':1,"
		    "'ExitCode':0.5}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':1,"
		    "'ExitCode':0,'OOMKilled':'no'}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':1,"
		    "'ExitCode':0,'Health':{'Status':'sick'}}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':1,"
		    "'ExitCode':0,'Health':[]}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'running','Pid':1,"
		    "'ExitCode':0,'StartedAt':'yesterday'}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'State':{'Status':'zombie','Pid':1,"
		    "'ExitCode':0}," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'RestartCount':-1," STATE "," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP ",'RestartCount':'2'," STATE "," CONFIG "}",
	 -EINVAL},
	{K_INSPECT, "{" TOP "," STATE ",'Config':[]}", -EINVAL},
	{K_INSPECT, "{" TOP "," STATE ",'Config':{'Image':1}}", -EINVAL},
	{K_INSPECT, "{" TOP "," STATE ",'Config':{'Image':'i','Labels':[]}}",
	 -EINVAL},
	{K_INSPECT, "{" TOP "," STATE ",'Config':{'Image':'i','Labels':"
		    "{'absent':1}}}",
	 -EINVAL},
	{K_VERSION, "{'ApiVersion':1.41}", -EINVAL},
	{K_VERSION, "{'ApiVersion':'1.41.0'}", -EINVAL},
	{K_VERSION, "{'ApiVersion':'v1.41'}", -EINVAL},
	{K_VERSION, "{'ApiVersion':'1.'}", -EINVAL},
	{K_VERSION, "{'ApiVersion':'11111111111111.1'}", -EINVAL},
	{K_VERSION, "{'MinAPIVersion':true}", -EINVAL},
	{K_VERSION, "{'Version':4}", -EINVAL},
	{K_VERSION, "{'Components':{}}", -EINVAL},
	{K_VERSION, "{'Components':[{'Version':'1'}]}", -EINVAL},
	{K_EVENT, "{'Type':5,'Action':'start','id':" ID64 ",'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':['start'],'id':" ID64
		  ",'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'start','id':" ID64
		  ",'time':'1'}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'start','id':" ID64
		  ",'timeNano':1.5}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':{'ID':" ID64
		  ",'Attributes':{'exitCode':137}},'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':{'ID':" ID64
		  ",'Attributes':{'exitCode':'13x'}},'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':{'ID':" ID64
		  ",'Attributes':{'exitCode':''}},'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':{'ID':" ID64
		  ",'Attributes':{'exitCode':'99999999999'}},'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':{'ID':" ID64
		  ",'Attributes':{'name':7}},'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':{'ID':" ID64
		  ",'Attributes':[]},'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'die','Actor':'x','id':" ID64
		  ",'time':1}",
	 -EINVAL},
	{K_EVENT, "{'Type':'container','Action':'health_status','id':" ID64
		  ",'time':1,'HealthStatus':5}",
	 -EINVAL},
	/* not a container's: not ours to parse */
	{K_EVENT, "{'Type':'network','Action':'connect','id':'x','time':1}",
	 -ENOENT},
	{K_EVENT, "{'Type':'image','Action':'pull'}", -ENOENT},
};

START_TEST(test_malformed)
{
	char *t = j(bad[_i].json);
	int rc = -1;
	switch (bad[_i].kind) {
	case K_VERSION: {
		struct docker_version v;
		rc = docker_parse_version(t, &v);
		break;
	}
	case K_LIST: {
		char(*ids)[DOCKER_ID_LEN + 1];
		size_t n;
		rc = docker_parse_list(t, &ids, &n);
		if (rc < 0)
			ck_assert(ids == NULL && n == 0);
		free(ids);
		break;
	}
	case K_INSPECT: {
		struct docker_container c;
		rc = docker_parse_inspect(t, keys, NKEYS, &c);
		if (rc < 0)
			ck_assert(!c.name && !c.image && !c.label_values);
		docker_container_clear(&c);
		break;
	}
	case K_EVENT: {
		struct docker_event e;
		rc = docker_parse_event(t, &e);
		if (rc < 0)
			ck_assert_ptr_null(e.name);
		docker_event_clear(&e);
		break;
	}
	}
	ck_assert_msg(rc == bad[_i].rc, "%s: %d, want %d", t, rc, bad[_i].rc);
	free(t);
}
END_TEST

/* Every fixture, cut short anywhere, is an error and nothing leaks. */
START_TEST(test_truncated)
{
	const char *files[] = {"version.json", "list.json",
			       "inspect_running.json", "inspect_exited.json"};
	for (size_t f = 0; f < 4; f++) {
		char *t = slurp(files[f]);
		size_t len = strlen(t);
		while (len && t[len - 1] == '\n')
			len--;
		for (size_t cut = 0; cut < len; cut += 1 + len / 53) {
			char *p = strndup(t, cut);
			struct docker_version v;
			struct docker_container c;
			char(*ids)[DOCKER_ID_LEN + 1];
			size_t n;
			int rc = f == 0	  ? docker_parse_version(p, &v)
				 : f == 1 ? docker_parse_list(p, &ids, &n)
					  : docker_parse_inspect(p, keys, NKEYS,
								 &c);
			ck_assert_msg(rc == -EINVAL, "%s cut at %zu: %d",
				      files[f], cut, rc);
			free(p);
		}
		free(t);
	}
	char *t = slurp("events.jsonl");
	char *nl = strchr(t, '\n');
	for (size_t cut = 0; cut < (size_t)(nl - t); cut += 7) {
		char *p = strndup(t, cut);
		struct docker_event e;
		ck_assert_int_eq(docker_parse_event(p, &e), -EINVAL);
		free(p);
	}
	free(t);
}
END_TEST

/* A string of n copies of ch, malloc'ed. */

/* Huge strings are cut, at a character boundary, never copied whole. */
START_TEST(test_huge_strings)
{
	char *big = fill(1 << 20, 'a');
	struct hw_buf b = HW_BUF_INIT;
	buf_printf(&b,
		   "{\"Id\":\"%s\",\"Name\":\"/%s\",\"Created\":"
		   "\"2026-11-21T18:11:35Z\",\"State\":{\"Status\":\"running\","
		   "\"Pid\":1,\"ExitCode\":0},\"Config\":{\"Image\":\"%s\","
		   "\"Labels\":{\"absent\":\"%s\"}}}",
		   WEB2, big, big, big);
	struct docker_container c;
	ck_assert_int_eq(docker_parse_inspect(buf_cstr(&b), keys, NKEYS, &c),
			 0);
	ck_assert_uint_eq(strlen(c.name), PARSE_NAME_MAX);
	ck_assert_uint_eq(strlen(c.image), PARSE_IMAGE_MAX);
	ck_assert_uint_eq(strlen(c.label_values[2]), PARSE_LABEL_MAX);
	docker_container_clear(&c);

	/* a 2-byte character astride the cut is dropped whole */
	buf_reset(&b);
	big[PARSE_NAME_MAX - 1] = '\0';
	buf_printf(&b,
		   "{\"Id\":\"%s\",\"Name\":\"%s\\u00e9\",\"Created\":"
		   "\"2026-11-21T18:11:35Z\",\"State\":{\"Status\":\"running\","
		   "\"Pid\":1,\"ExitCode\":0},\"Config\":{\"Image\":\"i\"}}",
		   WEB2, big);
	ck_assert_int_eq(docker_parse_inspect(buf_cstr(&b), keys, NKEYS, &c),
			 0);
	ck_assert_uint_eq(strlen(c.name), PARSE_NAME_MAX - 1);
	docker_container_clear(&c);
	big[PARSE_NAME_MAX - 1] = 'a';

	/* an event's action, detail and name */
	struct docker_event e;
	buf_reset(&b);
	buf_printf(&b,
		   "{\"Type\":\"container\",\"Action\":\"%s: x\",\"Actor\":"
		   "{\"ID\":\"%s\",\"Attributes\":{\"name\":\"%s\"}},"
		   "\"time\":1}",
		   big, WEB2, big);
	ck_assert_int_eq(docker_parse_event(buf_cstr(&b), &e), 0);
	ck_assert_uint_eq(strlen(e.action), sizeof(e.action) - 1);
	ck_assert_uint_eq(strlen(e.name), PARSE_NAME_MAX);
	docker_event_clear(&e);
	buf_reset(&b);
	buf_printf(&b,
		   "{\"Type\":\"container\",\"Action\":\"health_status: %s\","
		   "\"id\":\"%s\",\"time\":1}",
		   big, WEB2);
	ck_assert_int_eq(docker_parse_event(buf_cstr(&b), &e), 0);
	ck_assert_str_eq(e.action, "health_status");
	ck_assert_uint_eq(strlen(e.detail), sizeof(e.detail) - 1);
	docker_event_clear(&e);
	/* the error message of an answer */
	char msg[16];
	buf_reset(&b);
	buf_printf(&b, "{\"message\":\"%s\"}", big);
	ck_assert_int_eq(docker_parse_message(buf_cstr(&b), msg, sizeof(msg)),
			 0);
	ck_assert_uint_eq(strlen(msg), sizeof(msg) - 1);
	ck_assert_int_eq(docker_parse_message("{}", msg, sizeof(msg)), -EINVAL);
	buf_free(&b);
	free(big);
}
END_TEST

static Suite *docker_suite(void)
{
	Suite *s = suite_create("docker_parse");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_inspect_running);
	tcase_add_test(tc, test_inspect_exited);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_events_podman);
	tcase_add_loop_test(tc, test_time, 0,
			    (int)(sizeof(times) / sizeof(times[0])));
	tcase_add_loop_test(tc, test_malformed, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_huge_strings);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(docker_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
