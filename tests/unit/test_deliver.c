/* Unit tests for notification delivery (deliver.h: deliver.c,
 * deliver_xfer.c) over real sockets: a webhook receiver written for the
 * test (tests/unit/deliver_receiver.py: it fails, stalls and asks for
 * Retry-After on demand, and verifies signatures as the Standard Webhooks
 * and GitHub documentation tell receivers to), and aiosmtpd, a real SMTP
 * server (tests/unit/deliver_smtp.py stores what it accepts). The real
 * spool (spool.c) and journal client (journal.c) are used; the journal
 * socket is one the test binds, to read the event a rejection sends. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/curl_lib.h"
#include "hostwatch/deliver.h"
#include "hostwatch/journal.h"
#include "hostwatch/log.h"
#include "hostwatch/notify_body.h"
#include "testutil.h"

#include "../../src/notify/deliver_internal.h"

extern char **environ;

#define SCRIPTS FIXTURES "/../unit/"
#define PYTHON "/usr/bin/python3"
/* The Standard Webhooks key (raw bytes) and its base64 for the receiver. */
#define STD_KEY "hostwatch-test-key-32-bytes-long"
#define STD_KEY_B64 "aG9zdHdhdGNoLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmc="
/* Secrets that must never reach a log line or the metrics. */
#define URL_TOKEN "T0KEN-in-path-9f8e7d"
#define URL_PASSWORD "hunter2-url-password"
#define HDR_SECRET "Bearer s3cr3t-header-value"
#define SMTP_PASSWORD "smtp-pa55word-xyz"

/* ---- helpers: processes ------------------------------------------------- */

/* Every child still running, for teardown to stop when a test failed
 * half-way (Check's no-fork mode jumps out of the test). */
static pid_t children[16];

static void child_forget(pid_t pid)
{
	for (size_t i = 0; i < sizeof(children) / sizeof(*children); i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void children_stop(void)
{
	for (size_t i = 0; i < sizeof(children) / sizeof(*children); i++)
		if (children[i] > 0) {
			kill(children[i], SIGTERM);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
}

struct proc {
	pid_t pid;
	int port;
	char log[128];
};

/* Start `script` with args, read the port it prints. */
static void proc_start(struct proc *p, const char *dir, const char *name,
		       char *const *args)
{
	static int seq;
	char *argv[16], errpath[160];
	size_t n = 0;
	int fds[2];
	snprintf(p->log, sizeof(p->log), "%s/%s-%d.jsonl", dir, name, ++seq);
	snprintf(errpath, sizeof(errpath), "%s/%s-%d.err", dir, name, seq);
	char script[256];
	snprintf(script, sizeof(script), SCRIPTS "deliver_%s.py", name);
	argv[n++] = PYTHON;
	argv[n++] = script;
	argv[n++] = "--log";
	argv[n++] = p->log;
	for (size_t i = 0; args && args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, errpath,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	ck_assert_int_eq(posix_spawn(&p->pid, PYTHON, &fa, NULL, argv, environ),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	for (size_t i = 0; i < sizeof(children) / sizeof(*children); i++)
		if (!children[i]) {
			children[i] = p->pid;
			break;
		}
	char line[32] = "";
	size_t got = 0;
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	while (got < sizeof(line) - 1 && !strchr(line, '\n') &&
	       poll(&pfd, 1, 10000) == 1) {
		ssize_t r = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		line[got] = '\0';
	}
	close(fds[0]);
	p->port = atoi(line);
	ck_assert_msg(p->port > 0, "%s did not start (see %s)", script, errpath);
}

static void proc_stop(struct proc *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	waitpid(p->pid, NULL, 0);
	child_forget(p->pid);
	p->pid = 0;
}

/* The receiver: script as deliver_receiver.py's --script; port 0: any. */
static void rx_start(struct proc *p, const char *dir, const char *script,
		     int port, const char *const *more)
{
	char portbuf[16];
	char *args[12];
	size_t n = 0;
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	args[n++] = "--port";
	args[n++] = portbuf;
	args[n++] = "--script";
	args[n++] = (char *)(script ? script : "[]");
	for (size_t i = 0; more && more[i]; i++)
		args[n++] = (char *)more[i];
	args[n] = NULL;
	proc_start(p, dir, "receiver", args);
}

/* Every JSON line the process logged, as an array. */
static json_t *proc_records(const struct proc *p)
{
	json_t *a = json_array();
	FILE *f = fopen(p->log, "r");
	char *line = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		json_error_t e;
		json_t *j = json_loads(line, 0, &e);
		ck_assert_msg(j, "bad log line: %s", line);
		json_array_append_new(a, j);
	}
	free(line);
	if (f)
		fclose(f);
	return a;
}

static const char *rq_str(json_t *a, size_t i, const char *key)
{
	json_t *v = json_object_get(json_array_get(a, i), key);
	ck_assert_msg(json_is_string(v), "request %zu has no %s", i, key);
	return json_string_value(v);
}

static const char *rq_header(json_t *a, size_t i, const char *name)
{
	json_t *h = json_object_get(json_array_get(a, i), "headers");
	const char *k;
	json_t *v;
	json_object_foreach(h, k, v)
	{
		if (strcasecmp(k, name) == 0)
			return json_string_value(v);
	}
	return NULL;
}

static double rq_time(json_t *a, size_t i)
{
	return json_number_value(json_object_get(json_array_get(a, i), "t"));
}

/* ---- helpers: the fixture ------------------------------------------------ */

static struct {
	char dir[64];
	struct hw_config cfg;
	struct hw_channel ch[2];
	char *urls[2][3];
	char *headers[2];
	char *to[2];
	struct deliver *d;
	int saved_stderr;
	char logpath[96];
	int fds_before;
} T;

static int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void setup(void)
{
	memset(&T, 0, sizeof(T));
	ck_assert_int_eq(curl_lib_ready(NULL, 0), 0); /* its fds are for good */
	T.fds_before = fd_count();
	strcpy(T.dir, "/tmp/test_deliver.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T.dir));
	T.cfg.state_dir = T.dir;
	T.cfg.retry_initial = 0.05;
	T.cfg.retry_max = 0.2;
	T.cfg.spool_max_bytes = 1 << 20;
	T.cfg.spool_max_age = 3600;
	T.cfg.channels = T.ch;
	T.cfg.nchannels = 1;
	for (int i = 0; i < 2; i++) {
		T.ch[i].type = HW_CHANNEL_WEBHOOK;
		T.ch[i].format = HW_FORMAT_JSON;
		T.ch[i].timeout = 5;
		T.ch[i].urls = T.urls[i];
		T.ch[i].nurls = 1;
	}
	T.ch[0].name = "hooks";
	T.ch[1].name = "other";
	/* every log line of the test goes to a file, for the secrets check */
	snprintf(T.logpath, sizeof(T.logpath), "%s/log.txt", T.dir);
	fflush(stderr);
	T.saved_stderr = dup(2);
	int fd = open(T.logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
	log_set_level(HW_LOG_DEBUG);
	/* journal events to stderr (the captured log), not to the host's
	 * journal; test_reject_4xx listens itself */
	char jpath[160];
	snprintf(jpath, sizeof(jpath), "%s/no-journal.sock", T.dir);
	journal_set_socket(jpath);
}

/* The log so far, as one string (to be freed). */
static char *log_text(void)
{
	fflush(stderr);
	FILE *f = fopen(T.logpath, "r");
	ck_assert_ptr_nonnull(f);
	char *s = calloc(1, 1 << 20);
	size_t n = fread(s, 1, (1 << 20) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void teardown(void)
{
	children_stop();
	deliver_free(T.d);
	T.d = NULL;
	journal_set_socket(NULL);
	journal_close();
	char *log = log_text();
	fflush(stderr);
	dup2(T.saved_stderr, 2);
	close(T.saved_stderr);
	log_set_level(HW_LOG_INFO);
	if (getenv("HW_TEST_SHOWLOG")) /* for debugging */
		fputs(log, stderr);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++)
			free(T.urls[i][j]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", T.dir);
	int rc = system(cmd);
	/* secrets: never in a log line, whatever the test did */
	static const char *const secrets[] = {
		URL_TOKEN, URL_PASSWORD, HDR_SECRET, "s3cr3t", SMTP_PASSWORD,
		STD_KEY, STD_KEY_B64,
	};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		if (strstr(log, secrets[i])) {
			fprintf(stderr, "secret %s logged:\n%s", secrets[i], log);
			free(log);
			ck_abort_msg("secret %s logged", secrets[i]);
		}
	free(log);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(fd_count(), T.fds_before);
}

static char *url_of(int port, const char *path)
{
	char *u = NULL;
	ck_assert_int_gt(asprintf(&u, "http://127.0.0.1:%d%s", port, path), 0);
	return u;
}

/* A port nobody listens on (a receiver's, stopped). */
static int dead_port(void)
{
	struct proc p = {0};
	rx_start(&p, T.dir, NULL, 0, NULL);
	proc_stop(&p);
	return p.port;
}

static double metric(const char *channel, const char *result)
{
	struct capture_sink cs;
	char key[160];
	capture_init(&cs);
	deliver_write_metrics(T.d, &cs.sink);
	if (result)
		snprintf(key, sizeof(key),
			 "hostwatch_notifications_total{channel=\"%s\","
			 "result=\"%s\"}",
			 channel, result);
	else
		snprintf(key, sizeof(key),
			 "hostwatch_notification_queue_length{channel=\"%s\"}",
			 channel);
	double v = capture_value(&cs, key);
	capture_free(&cs);
	return v;
}

/* Run deliver_poll until `result` of `channel` reaches n; fail after
 * `secs`. */
static void pump_until(const char *channel, const char *result, double n,
		       double secs)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ck_assert_int_eq(deliver_poll(T.d, 20, -1), 0);
		if (metric(channel, result) >= n)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		double el = (double)(t.tv_sec - t0.tv_sec) +
			    (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
		ck_assert_msg(el < secs, "%s %s stayed at %g < %g after %gs",
			      channel, result, metric(channel, result), n, secs);
	}
}

/* Run deliver_poll for about `secs`. */
static void pump_for(double secs)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ck_assert_int_eq(deliver_poll(T.d, 20, -1), 0);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) +
			 (double)(t.tv_nsec - t0.tv_nsec) / 1e9 <
		 secs);
}

/* Spool one record on channel ch; its id into id (>= 64 bytes). */
static void enqueue(size_t ch, const char *body, char *id)
{
	struct spool_rec r;
	memset(&r, 0, sizeof(r));
	notify_new_id(r.id, sizeof(r.id));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.created_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	static const char hdrs[] = "Content-Type: application/json\0"
				   "X-Format: test\0";
	buf_put(&r.headers, hdrs, sizeof(hdrs) - 1);
	buf_puts(&r.body, body);
	ck_assert_int_eq(deliver_enqueue(T.d, ch, &r), 0);
	if (id)
		strcpy(id, r.id);
	spool_rec_free(&r);
}

/* ---- webhooks ------------------------------------------------------------ */

/* 500 three times, then 200: each record delivered once, with the same id
 * on every attempt, in order; signed (Standard Webhooks) at each attempt;
 * the channel's headers sent; the URL's secrets never logged. */
START_TEST(test_retry_5xx_in_order)
{
	struct proc rx = {0};
	const char *const more[] = {"--standard-key", STD_KEY_B64, NULL};
	rx_start(&rx, T.dir, "[{\"status\": 500, \"times\": 3}]", 0, more);
	ck_assert_int_gt(asprintf(&T.urls[0][0],
				  "http://user:" URL_PASSWORD
				  "@127.0.0.1:%d/hook/" URL_TOKEN "?k=v",
				  rx.port),
			 0);
	T.headers[0] = "Authorization: " HDR_SECRET;
	T.headers[1] = "X-Team: ops";
	T.ch[0].headers = T.headers;
	T.ch[0].nheaders = 2;
	T.ch[0].signature = HW_SIGNATURE_STANDARD;
	T.ch[0].secret = (unsigned char *)STD_KEY;
	T.ch[0].secret_len = strlen(STD_KEY);
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	char id[3][64];
	enqueue(0, "{\"n\":1}", id[0]);
	enqueue(0, "{\"n\":2}", id[1]);
	enqueue(0, "{\"n\":3}", id[2]);
	ck_assert_double_eq(metric("hooks", NULL), 3);
	pump_until("hooks", "success", 3, 20);
	proc_stop(&rx);

	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 6);
	static const char *const bodies[6] = {"{\"n\":1}", "{\"n\":1}",
					      "{\"n\":1}", "{\"n\":1}",
					      "{\"n\":2}", "{\"n\":3}"};
	static const int rec_of[6] = {0, 0, 0, 0, 1, 2};
	for (size_t i = 0; i < 6; i++) {
		ck_assert_str_eq(rq_str(a, i, "method"), "POST");
		ck_assert_str_eq(rq_str(a, i, "path"), "/hook/" URL_TOKEN "?k=v");
		ck_assert_str_eq(rq_str(a, i, "body"), bodies[i]);
		ck_assert_str_eq(rq_header(a, i, "webhook-id"), id[rec_of[i]]);
		ck_assert_ptr_nonnull(rq_header(a, i, "webhook-timestamp"));
		ck_assert_msg(json_is_true(json_object_get(
				      json_array_get(a, i), "sig_standard")),
			      "request %zu: bad signature", i);
		ck_assert_str_eq(rq_header(a, i, "Authorization"), HDR_SECRET);
		ck_assert_str_eq(rq_header(a, i, "X-Team"), "ops");
		ck_assert_str_eq(rq_header(a, i, "X-Format"), "test");
		ck_assert_str_eq(rq_header(a, i, "Content-Type"),
				 "application/json");
		ck_assert_str_eq(rq_header(a, i, "User-Agent"),
				 "hostwatch/" PACKAGE_VERSION);
	}
	json_decref(a);
	ck_assert_double_eq(metric("hooks", "success"), 3);
	ck_assert_double_eq(metric("hooks", "retry"), 3);
	ck_assert_double_eq(metric("hooks", "rejected"), 0);
	ck_assert_double_eq(metric("hooks", "dropped"), 0);
	ck_assert_double_eq(metric("hooks", NULL), 0);
	/* the failures were logged, by name and scheme://host:port */
	char *log = log_text(), want[160];
	snprintf(want, sizeof(want),
		 "channel=hooks url=http://127.0.0.1:%d id=%s", rx.port, id[0]);
	ck_assert_msg(strstr(log, want), "no \"%s\" in:\n%s", want, log);
	free(log);
}
END_TEST

/* 503 with Retry-After as an HTTP date, and 429 with Retry-After: 2
 * (seconds): the next attempt comes no sooner, although the backoff alone
 * would be at most 50 ms. */
START_TEST(test_retry_after)
{
	struct proc rx = {0};
	char script[256], date[64];
	time_t when = time(NULL) + 4;
	struct tm tm;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(script, sizeof(script),
		 "[{\"status\": 503, \"headers\": {\"Retry-After\": \"%s\"}}, "
		 "{\"status\": 200}, "
		 "{\"status\": 429, \"headers\": {\"Retry-After\": \"2\"}}]",
		 date);
	rx_start(&rx, T.dir, script, 0, NULL);
	T.urls[0][0] = url_of(rx.port, "/");
	T.cfg.retry_max = 1; /* Retry-After is capped at 4 * retry_max */
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "{}", NULL);
	pump_until("hooks", "success", 1, 10);
	enqueue(0, "{}", NULL);
	pump_until("hooks", "success", 2, 10);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 4);
	double gap1 = rq_time(a, 1) - rq_time(a, 0);
	double gap2 = rq_time(a, 3) - rq_time(a, 2);
	/* the date is 4 s ahead when the test starts, >= 3 s at the answer */
	ck_assert_msg(gap1 >= 2.5, "503 Retry-After %s: again after %.3fs",
		      date, gap1);
	ck_assert_msg(gap2 >= 1.9, "429 Retry-After 2: again after %.3fs", gap2);
	ck_assert_str_eq(rq_header(a, 0, "webhook-id") ? "signed" : "unsigned",
			 "unsigned"); /* no signature configured, none sent */
	json_decref(a);
	ck_assert_double_eq(metric("hooks", "retry"), 2);
}
END_TEST

/* A journal socket of our own, to read the events deliver sends. */
static int journal_listen(char *path, size_t size)
{
	snprintf(path, size, "%s/journal.sock", T.dir);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	journal_set_socket(path);
	return fd;
}

/* 400: not retried, removed, counted rejected, logged with the status and
 * the answer's start, a journal event; the next record goes on. */
START_TEST(test_reject_4xx)
{
	char jpath[100];
	int jfd = journal_listen(jpath, sizeof(jpath));
	struct proc rx = {0};
	rx_start(&rx, T.dir,
		 "[{\"status\": 400, \"body\": \"bad payload: field x\\n"
		 "second line\"}, {\"status\": 404}]",
		 0, NULL);
	T.urls[0][0] = url_of(rx.port, "/x/" URL_TOKEN);
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	char id[3][64];
	enqueue(0, "one", id[0]);
	enqueue(0, "two", id[1]);
	enqueue(0, "three", id[2]);
	pump_until("hooks", "success", 1, 10);
	pump_for(0.3); /* nothing more comes */
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 3);
	ck_assert_str_eq(rq_str(a, 0, "body"), "one");
	ck_assert_str_eq(rq_str(a, 1, "body"), "two");
	ck_assert_str_eq(rq_str(a, 2, "body"), "three");
	json_decref(a);
	ck_assert_double_eq(metric("hooks", "rejected"), 2);
	ck_assert_double_eq(metric("hooks", "retry"), 0);
	ck_assert_double_eq(metric("hooks", "success"), 1);
	ck_assert_double_eq(metric("hooks", NULL), 0);

	char *log = log_text();
	ck_assert_msg(strstr(log, "notification rejected: channel=hooks") &&
			      strstr(log, "status=400") &&
			      strstr(log, "status=404") &&
			      strstr(log, "answer=\\\"bad payload: field x "
					  "second line\\\""),
		      "%s", log);
	free(log);

	/* the journal got an operational event per rejection */
	char dg[4096];
	for (int i = 0; i < 2; i++) {
		ssize_t n = recv(jfd, dg, sizeof(dg) - 1, MSG_DONTWAIT);
		ck_assert_int_gt(n, 0);
		dg[n] = '\0';
		ck_assert_ptr_nonnull(
			strstr(dg, "MESSAGE_ID=" JOURNAL_MSGID_EVENT "\n"));
		ck_assert_ptr_nonnull(strstr(dg, "PRIORITY=4\n"));
		ck_assert_ptr_nonnull(strstr(dg, id[i]));
		ck_assert_ptr_nonnull(strstr(dg, "channel hooks"));
		ck_assert_ptr_null(strstr(dg, URL_TOKEN));
	}
	ck_assert_int_lt(recv(jfd, dg, sizeof(dg), MSG_DONTWAIT), 0);
	journal_set_socket(NULL);
	journal_close();
	close(jfd);
}
END_TEST

/* A receiver that answers after the attempt's timeout: retried, same id. */
START_TEST(test_timeout_retried)
{
	struct proc rx = {0};
	rx_start(&rx, T.dir, "[{\"status\": 200, \"sleep\": 3}]", 0, NULL);
	T.urls[0][0] = url_of(rx.port, "/");
	T.ch[0].timeout = 0.5;
	T.ch[0].signature = HW_SIGNATURE_STANDARD;
	T.ch[0].secret = (unsigned char *)STD_KEY;
	T.ch[0].secret_len = strlen(STD_KEY);
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	char id[64];
	enqueue(0, "slow", id);
	pump_until("hooks", "success", 1, 10);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert_str_eq(rq_header(a, 0, "webhook-id"), id);
	ck_assert_str_eq(rq_header(a, 1, "webhook-id"), id);
	ck_assert_msg(rq_time(a, 1) - rq_time(a, 0) >= 0.45, "%f",
		      rq_time(a, 1) - rq_time(a, 0));
	json_decref(a);
	ck_assert_double_eq(metric("hooks", "retry"), 1);
	char *log = log_text();
	ck_assert_msg(strstr(log, "Timeout was reached"), "%s", log);
	free(log);
}
END_TEST

/* Nobody listening: retried (and the queue metrics show it waiting)
 * until the receiver comes up. */
START_TEST(test_refused_until_up)
{
	int port = dead_port();
	T.urls[0][0] = url_of(port, "/");
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	char id[64];
	enqueue(0, "waiting", id);
	pump_until("hooks", "retry", 3, 10);
	ck_assert_double_eq(metric("hooks", "success"), 0);
	ck_assert_double_eq(metric("hooks", NULL), 1);
	struct capture_sink cs;
	capture_init(&cs);
	deliver_write_metrics(T.d, &cs.sink);
	ck_assert_double_gt(
		capture_value(&cs, "hostwatch_notification_oldest_seconds{"
				   "channel=\"hooks\"}"),
		0);
	capture_free(&cs);
	char *log = log_text();
	ck_assert_msg(strstr(log, "Couldn't connect to server (Connection "
				  "refused)"),
		      "%s", log);
	free(log);

	struct proc rx = {0};
	rx_start(&rx, T.dir, NULL, port, NULL);
	pump_until("hooks", "success", 1, 10);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 1);
	ck_assert_str_eq(rq_str(a, 0, "body"), "waiting");
	json_decref(a);
	capture_init(&cs);
	deliver_write_metrics(T.d, &cs.sink);
	ck_assert_double_eq(
		capture_value(&cs, "hostwatch_notification_oldest_seconds{"
				   "channel=\"hooks\"}"),
		0);
	capture_free(&cs);
}
END_TEST

/* Freed with records pending (one in flight at a stalled receiver): a
 * new deliver on the same state directory sends them, same ids, in
 * order. */
START_TEST(test_restart_delivers_pending)
{
	struct proc rx = {0};
	rx_start(&rx, T.dir, "[{\"status\": 500, \"sleep\": 2}]", 0, NULL);
	T.urls[0][0] = url_of(rx.port, "/");
	T.ch[0].signature = HW_SIGNATURE_STANDARD;
	T.ch[0].secret = (unsigned char *)STD_KEY;
	T.ch[0].secret_len = strlen(STD_KEY);
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	char id[2][64];
	enqueue(0, "first", id[0]);
	enqueue(0, "second", id[1]);
	pump_for(0.3); /* the first is at the receiver, stalled */
	deliver_free(T.d);
	T.d = NULL;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	ck_assert_double_eq(metric("hooks", NULL), 2);
	pump_until("hooks", "success", 2, 10);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 3);
	ck_assert_str_eq(rq_header(a, 0, "webhook-id"), id[0]);
	ck_assert_str_eq(rq_header(a, 1, "webhook-id"), id[0]);
	ck_assert_str_eq(rq_str(a, 1, "body"), "first");
	ck_assert_str_eq(rq_header(a, 2, "webhook-id"), id[1]);
	ck_assert_str_eq(rq_str(a, 2, "body"), "second");
	json_decref(a);
}
END_TEST

/* GitHub's X-Hub-Signature-256, checked by the receiver, and the value
 * GitHub's documentation gives for its example ("Validating webhook
 * deliveries": secret "It's a Secret to Everybody", payload "Hello,
 * World!"). */
START_TEST(test_github_signature)
{
	static const char secret[] = "It's a Secret to Everybody";
	struct proc rx = {0};
	const char *const more[] = {"--github-secret", secret, NULL};
	rx_start(&rx, T.dir, NULL, 0, more);
	T.urls[0][0] = url_of(rx.port, "/gh");
	T.ch[0].signature = HW_SIGNATURE_GITHUB;
	T.ch[0].secret = (unsigned char *)secret;
	T.ch[0].secret_len = strlen(secret);
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "Hello, World!", NULL);
	enqueue(0, "{\"other\": \"body\"}", NULL);
	pump_until("hooks", "success", 2, 10);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert_str_eq(rq_header(a, 0, "X-Hub-Signature-256"),
			 "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c2"
			 "2c46f4379c8b043e17");
	for (size_t i = 0; i < 2; i++) {
		ck_assert(json_is_true(
			json_object_get(json_array_get(a, i), "sig_github")));
		ck_assert_ptr_null(rq_header(a, i, "webhook-signature"));
	}
	json_decref(a);
}
END_TEST

/* alertmanager-api with three Alertmanagers: every one is tried each
 * time, one 2xx is enough. One is down, one fails then takes it, one
 * always rejects. */
START_TEST(test_alertmanager_api_urls)
{
	struct proc ok = {0}, bad = {0};
	rx_start(&ok, T.dir, "[{\"status\": 503}]", 0, NULL);
	rx_start(&bad, T.dir, "[{\"status\": 400, \"times\": 10}]", 0, NULL);
	T.ch[0].format = HW_FORMAT_ALERTMANAGER_API;
	T.urls[0][0] = url_of(dead_port(), "/api/v2/alerts");
	T.urls[0][1] = url_of(ok.port, "/api/v2/alerts");
	T.urls[0][2] = url_of(bad.port, "/api/v2/alerts");
	T.ch[0].nurls = 3;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "[{\"labels\": {}}]", NULL);
	pump_until("hooks", "success", 1, 10);
	proc_stop(&ok);
	proc_stop(&bad);
	json_t *a = proc_records(&ok), *b = proc_records(&bad);
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert_uint_eq(json_array_size(b), 2);
	ck_assert_str_eq(rq_str(a, 1, "path"), "/api/v2/alerts");
	json_decref(a);
	json_decref(b);
	ck_assert_double_eq(metric("hooks", "retry"), 1);
	ck_assert_double_eq(metric("hooks", "rejected"), 0);

	/* every one rejecting: rejected, not retried */
	deliver_free(T.d);
	T.d = NULL;
	struct proc no1 = {0}, no2 = {0};
	rx_start(&no1, T.dir, "[{\"status\": 422}]", 0, NULL);
	rx_start(&no2, T.dir, "[{\"status\": 400}]", 0, NULL);
	for (int i = 0; i < 3; i++) {
		free(T.urls[0][i]);
		T.urls[0][i] = NULL;
	}
	T.urls[0][0] = url_of(no1.port, "/api/v2/alerts");
	T.urls[0][1] = url_of(no2.port, "/api/v2/alerts");
	T.ch[0].nurls = 2;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "[]", NULL);
	pump_until("hooks", "rejected", 1, 10);
	pump_for(0.2);
	proc_stop(&no1);
	proc_stop(&no2);
	ck_assert_double_eq(metric("hooks", "success"), 0);
	ck_assert_double_eq(metric("hooks", "retry"), 0);
	a = proc_records(&no1);
	b = proc_records(&no2);
	ck_assert_uint_eq(json_array_size(a), 1);
	ck_assert_uint_eq(json_array_size(b), 1);
	json_decref(a);
	json_decref(b);
}
END_TEST

/* A client certificate (tls_cert_file, tls_key_file) for a receiver that
 * requires one: presented and accepted; a channel without one fails the
 * handshake and is retried, never sent. */
START_TEST(test_https_client_cert)
{
	char cmd[1024], cert[128], key[128], ccert[128], ckey[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", T.dir);
	snprintf(key, sizeof(key), "%s/key.pem", T.dir);
	snprintf(ccert, sizeof(ccert), "%s/client.pem", T.dir);
	snprintf(ckey, sizeof(ckey), "%s/client-key.pem", T.dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout %s -out %s >/dev/null 2>&1 && "
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		 "-subj /CN=hostwatch-client -keyout %s -out %s "
		 ">/dev/null 2>&1",
		 key, cert, ckey, ccert);
	if (system(cmd) != 0) {
		printf("SKIP test_https_client_cert: openssl cannot make "
		       "certificates\n");
		return;
	}
	struct proc rx = {0};
	const char *const more[] = {"--tls-cert",	cert, "--tls-key", key,
				    "--tls-client-ca", ccert, NULL};
	rx_start(&rx, T.dir, NULL, 0, more);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_gt(asprintf(&T.urls[i][0],
					  "https://127.0.0.1:%d/c%d", rx.port,
					  i),
				 0);
		T.ch[i].tls_ca_file = cert;
		T.ch[i].timeout = 60; /* valgrind: see test_https */
	}
	T.ch[0].tls_cert_file = ccert;
	T.ch[0].tls_key_file = ckey;
	T.cfg.nchannels = 2;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "with-cert", NULL);
	enqueue(1, "without", NULL);
	pump_until("hooks", "success", 1, 60);
	pump_until("other", "retry", 2, 60);
	ck_assert_double_eq(metric("other", "success"), 0);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 1);
	ck_assert_str_eq(rq_str(a, 0, "body"), "with-cert");
	ck_assert_str_eq(rq_str(a, 0, "client_cn"), "hostwatch-client");
	json_decref(a);
}
END_TEST

/* HTTPS: the receiver's self-signed certificate (made here with the
 * openssl tool) is trusted through tls_ca_file, or with verification off;
 * without either the TLS error is retried, never sent past. */
START_TEST(test_https)
{
	char cmd[512], cert[128], key[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", T.dir);
	snprintf(key, sizeof(key), "%s/key.pem", T.dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0) {
		printf("SKIP test_https: openssl cannot make a certificate\n");
		return;
	}
	struct proc rx = {0};
	const char *const more[] = {"--tls-cert", cert, "--tls-key", key, NULL};
	rx_start(&rx, T.dir, NULL, 0, more);
	ck_assert_int_gt(asprintf(&T.urls[0][0], "https://127.0.0.1:%d/t",
				  rx.port),
			 0);
	ck_assert_int_gt(asprintf(&T.urls[1][0], "https://127.0.0.1:%d/u",
				  rx.port),
			 0);
	T.ch[0].tls_ca_file = cert;
	/* "other": the system's CAs, which do not know it. Under valgrind
	 * GnuTLS takes seconds to read them, on the one thread that runs
	 * every transfer: generous timeouts. */
	T.cfg.nchannels = 2;
	T.ch[0].timeout = T.ch[1].timeout = 60;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "trusted", NULL);
	enqueue(1, "untrusted", NULL);
	pump_until("hooks", "success", 1, 60);
	pump_until("other", "retry", 2, 60);
	ck_assert_double_eq(metric("other", "success"), 0);
	deliver_free(T.d);
	T.d = NULL;
	T.ch[1].tls_insecure_skip_verify = true;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	pump_until("other", "success", 1, 60);
	proc_stop(&rx);
	json_t *a = proc_records(&rx);
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert_str_eq(rq_str(a, 0, "body"), "trusted");
	ck_assert_str_eq(rq_str(a, 1, "body"), "untrusted");
	json_decref(a);
	char *log = log_text();
	ck_assert_msg(strstr(log, "channel=other url=https://127.0.0.1:"), "%s",
		      log);
	free(log);
}
END_TEST

/* ---- email ----------------------------------------------------------------- */

static const char email_body[] =
	"From: hostwatch <hw@example.org>\r\n"
	"To: ops@example.org\r\n"
	"Subject: [FIRING:1] DiskFull\r\n"
	"Message-ID: <msg_x@hostwatch>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Disk / is 95% full.\r\n"
	".a line starting with a dot\r\n";

START_TEST(test_email)
{
	struct proc smtp = {0};
	proc_start(&smtp, T.dir, "smtp", NULL);
	ck_assert_int_gt(asprintf(&T.urls[0][0], "smtp://127.0.0.1:%d",
				  smtp.port),
			 0);
	T.to[0] = "ops@example.org";
	T.to[1] = "On Call <oncall@example.org>";
	T.ch[0].type = HW_CHANNEL_EMAIL;
	T.ch[0].name = "mail";
	T.ch[0].from = "hostwatch <hw@example.org>";
	T.ch[0].to = T.to;
	T.ch[0].nto = 2;
	T.ch[0].starttls = HW_STARTTLS_OFF;
	/* the second channel: a recipient the server refuses for good */
	ck_assert_int_gt(asprintf(&T.urls[1][0], "smtp://127.0.0.1:%d",
				  smtp.port),
			 0);
	static char *reject_to[] = {"reject@example.org"};
	T.ch[1].type = HW_CHANNEL_EMAIL;
	T.ch[1].from = "hw@example.org";
	T.ch[1].to = reject_to;
	T.ch[1].nto = 1;
	T.ch[1].starttls = HW_STARTTLS_OFF;
	T.cfg.nchannels = 2;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, email_body, NULL);
	enqueue(1, email_body, NULL);
	pump_until("mail", "success", 1, 10);
	pump_until("other", "rejected", 1, 10);
	proc_stop(&smtp);
	json_t *a = proc_records(&smtp);
	ck_assert_uint_eq(json_array_size(a), 1);
	ck_assert_str_eq(rq_str(a, 0, "mail_from"), "hw@example.org");
	json_t *to = json_object_get(json_array_get(a, 0), "rcpt_tos");
	ck_assert_uint_eq(json_array_size(to), 2);
	ck_assert_str_eq(json_string_value(json_array_get(to, 0)),
			 "ops@example.org");
	ck_assert_str_eq(json_string_value(json_array_get(to, 1)),
			 "oncall@example.org");
	/* as sent: curl dot-stuffs, the server un-stuffs */
	ck_assert_str_eq(rq_str(a, 0, "data"), email_body);
	json_decref(a);
	ck_assert_double_eq(metric("mail", "retry"), 0);
	ck_assert_double_eq(metric("other", "success"), 0);
	char *log = log_text();
	ck_assert_msg(strstr(log, "channel=other url=smtp://127.0.0.1:") &&
			      strstr(log, "status=550"),
		      "%s", log);
	free(log);
}
END_TEST

/* A transient SMTP refusal (451) is retried; a server that is down too;
 * authentication without TLS is refused by curl rather than sent in the
 * clear (starttls default: required with a username). */
START_TEST(test_email_transient)
{
	struct proc smtp = {0};
	proc_start(&smtp, T.dir, "smtp", NULL);
	ck_assert_int_gt(asprintf(&T.urls[0][0], "smtp://127.0.0.1:%d",
				  smtp.port),
			 0);
	static char *later_to[] = {"later@example.org"};
	T.ch[0].type = HW_CHANNEL_EMAIL;
	T.ch[0].from = "hw@example.org";
	T.ch[0].to = later_to;
	T.ch[0].nto = 1;
	T.ch[0].starttls = HW_STARTTLS_OFF;
	ck_assert_int_gt(asprintf(&T.urls[1][0], "smtp://127.0.0.1:%d",
				  smtp.port),
			 0);
	static char *to[] = {"ops@example.org"};
	T.ch[1].type = HW_CHANNEL_EMAIL;
	T.ch[1].from = "hw@example.org";
	T.ch[1].to = to;
	T.ch[1].nto = 1;
	T.ch[1].username = "hw";
	T.ch[1].password = SMTP_PASSWORD;
	T.ch[1].starttls = HW_STARTTLS_DEFAULT;
	T.cfg.nchannels = 2;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, email_body, NULL);
	enqueue(1, email_body, NULL);
	pump_until("hooks", "retry", 2, 10);
	pump_until("other", "retry", 2, 10);
	proc_stop(&smtp);
	json_t *a = proc_records(&smtp);
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	ck_assert_double_eq(metric("hooks", "success"), 0);
	ck_assert_double_eq(metric("hooks", "rejected"), 0);
	ck_assert_double_eq(metric("other", "success"), 0);
	ck_assert_double_eq(metric("hooks", NULL), 1);
}
END_TEST

/* ---- metrics --------------------------------------------------------------- */

/* Families sorted by name, channels by name, every result from 0. */
START_TEST(test_metrics_shape)
{
	T.urls[0][0] = strdup("http://127.0.0.1:9/");
	T.urls[1][0] = strdup("http://127.0.0.1:9/");
	T.ch[0].name = "zeta";
	T.ch[1].name = "alpha";
	T.cfg.nchannels = 2;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	struct capture_sink cs;
	capture_init(&cs);
	deliver_write_metrics(T.d, &cs.sink);
	ck_assert_int_eq(cs.violations, 0);
	ck_assert_uint_eq(cs.nfamilies, 3);
	ck_assert_str_eq(cs.families[0].name,
			 "hostwatch_notification_oldest_seconds");
	ck_assert_str_eq(cs.families[1].name,
			 "hostwatch_notification_queue_length");
	ck_assert_str_eq(cs.families[2].name, "hostwatch_notifications_total");
	ck_assert_int_eq(cs.families[0].type, HW_GAUGE);
	ck_assert_int_eq(cs.families[1].type, HW_GAUGE);
	ck_assert_int_eq(cs.families[2].type, HW_COUNTER);
	static const char *const keys[] = {
		"hostwatch_notification_oldest_seconds{channel=\"alpha\"}",
		"hostwatch_notification_oldest_seconds{channel=\"zeta\"}",
		"hostwatch_notification_queue_length{channel=\"alpha\"}",
		"hostwatch_notification_queue_length{channel=\"zeta\"}",
		"hostwatch_notifications_total{channel=\"alpha\",result=\"dropped\"}",
		"hostwatch_notifications_total{channel=\"alpha\",result=\"rejected\"}",
		"hostwatch_notifications_total{channel=\"alpha\",result=\"retry\"}",
		"hostwatch_notifications_total{channel=\"alpha\",result=\"success\"}",
		"hostwatch_notifications_total{channel=\"zeta\",result=\"dropped\"}",
		"hostwatch_notifications_total{channel=\"zeta\",result=\"rejected\"}",
		"hostwatch_notifications_total{channel=\"zeta\",result=\"retry\"}",
		"hostwatch_notifications_total{channel=\"zeta\",result=\"success\"}",
	};
	ck_assert_uint_eq(cs.nsamples, 12);
	for (size_t i = 0; i < 12; i++) {
		ck_assert_str_eq(cs.samples[i].key, keys[i]);
		ck_assert_double_eq(cs.samples[i].value, 0);
	}
	capture_free(&cs);
	/* no channel: no families at all */
	deliver_free(T.d);
	T.cfg.nchannels = 0;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	capture_init(&cs);
	deliver_write_metrics(T.d, &cs.sink);
	ck_assert_uint_eq(cs.nfamilies, 0);
	capture_free(&cs);
}
END_TEST

/* The URL as logs show it. */
START_TEST(test_url_redact)
{
	static const char *const cases[][2] = {
		{"http://127.0.0.1:8080/x?y#z", "http://127.0.0.1:8080"},
		{"https://u:p@hooks.slack.com/services/T/B/X",
		 "https://hooks.slack.com:443"},
		{"http://[::1]/a", "http://[::1]:80"},
		{"http://[::1]:9093/a", "http://[::1]:9093"},
		{"smtps://a@b:c@mail.example.org", "smtps://mail.example.org:465"},
		{"smtp://mail:2525", "smtp://mail:2525"},
		{"ntfy.sh/topic", "(invalid URL)"},
	};
	char out[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		dl_url_redact(cases[i][0], out, sizeof(out));
		ck_assert_str_eq(out, cases[i][1]);
	}
}
END_TEST

/* ---- bounds and waking ------------------------------------------------------ */

/* spool_max_bytes: the oldest are dropped, and counted, while the
 * receiver is away; spool_max_age: what is too old is dropped before an
 * attempt. */
START_TEST(test_dropped)
{
	T.urls[0][0] = url_of(dead_port(), "/");
	T.cfg.spool_max_bytes = 1500;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	char body[400];
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (int i = 0; i < 8; i++)
		enqueue(0, body, NULL);
	double dropped = metric("hooks", "dropped"), q = metric("hooks", NULL);
	ck_assert_double_gt(dropped, 0);
	ck_assert_double_eq(dropped + q, 8);
	char *log = log_text();
	ck_assert_msg(strstr(log, "notifications dropped: channel=hooks"), "%s",
		      log);
	/* and a journal event (to stderr here: no journald in the test) */
	ck_assert_msg(strstr(log, "of channel hooks dropped unsent: "
				  "spool_max_size reached"),
		      "%s", log);
	ck_assert_msg(strstr(log, "MESSAGE_ID=" JOURNAL_MSGID_EVENT), "%s", log);
	free(log);
	deliver_free(T.d);

	T.cfg.spool_max_age = 0.5;
	T.cfg.spool_max_bytes = 1 << 20;
	ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
	enqueue(0, "old", NULL);
	pump_until("hooks", "dropped", q + 1, 10);
	ck_assert_double_eq(metric("hooks", NULL), 0);
	ck_assert_double_eq(metric("hooks", "success"), 0);
}
END_TEST

/* deliver_poll returns when wake_fd is readable, long before its
 * timeout, with or without channels. */
START_TEST(test_wake_fd)
{
	T.urls[0][0] = url_of(dead_port(), "/");
	for (int nch = 0; nch < 2; nch++) {
		T.cfg.nchannels = (size_t)nch;
		ck_assert_int_eq(deliver_new(&T.d, &T.cfg), 0);
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ck_assert_int_ge(efd, 0);
		uint64_t one = 1;
		ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(deliver_poll(T.d, 10000, efd), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
		/* not drained by deliver_poll: the caller does that */
		ck_assert_int_eq(read(efd, &one, sizeof(one)), sizeof(one));
		close(efd);
		struct spool_rec r;
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(deliver_enqueue(T.d, (size_t)nch, &r), -EINVAL);
		deliver_free(T.d);
		T.d = NULL;
	}
}
END_TEST

static Suite *deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("deliver");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_retry_5xx_in_order);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_reject_4xx);
	tcase_add_test(tc, test_timeout_retried);
	tcase_add_test(tc, test_refused_until_up);
	tcase_add_test(tc, test_restart_delivers_pending);
	tcase_add_test(tc, test_github_signature);
	tcase_add_test(tc, test_alertmanager_api_urls);
	tcase_add_test(tc, test_https);
	tcase_add_test(tc, test_https_client_cert);
	tcase_add_test(tc, test_email);
	tcase_add_test(tc, test_email_transient);
	tcase_add_test(tc, test_dropped);
	tcase_add_test(tc, test_wake_fd);
	tcase_add_test(tc, test_metrics_shape);
	tcase_add_test(tc, test_url_redact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* the test's receivers are on loopback: no proxy between */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	SRunner *sr = srunner_create(deliver_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
