/* Unit tests for the Docker Engine API client (docker.h, api.c):
 * against the real dockerd at /var/run/docker.sock and, when it is
 * installed, a real Podman service (both skipped, saying so, when absent);
 * against a small HTTP server on a Unix socket, written here, only for
 * what no real daemon on this machine can show: a MinAPIVersion above our
 * maximum, an old daemon, a stream closed mid-line or split at odd places,
 * answers too big or too slow.
 *
 * Includes the client's source to reach curl_load(), its limits and the
 * process-wide libcurl table. */
#include "../../src/docker/api.c"

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "docker_test.h"
#include "testutil.h"

/* ---- a fake daemon, for what no real one here shows --------------------- */

/* What the fake answers one connection with: wire (len bytes) written in
 * pieces of step bytes (all at once when 0), pause_ms apart; then it
 * closes, or holds the connection until the client closes it or the test
 * ends. silent: it answers nothing and holds. */
struct fake_reply {
	char *wire;
	size_t len, step;
	int pause_ms;
	bool hold, silent;
};

struct fake {
	char dir[48], path[96];
	int lfd;
	pthread_t thr;
	struct fake_reply *replies; /* one per connection; the last repeats */
	size_t nreplies;
	char reqs[8][512]; /* request lines, read after fake_stop */
	size_t nreqs;
	atomic_bool quit;
};

/* Wait up to 20 ms for fd to be readable: 1, 0 on timeout, or -1 when
 * the test is ending. */
static int fake_wait(struct fake *f, int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (atomic_load(&f->quit))
		return -1;
	return poll(&p, 1, 20) > 0;
}

/* Read one request head; record its first line. false when the client
 * went away first. */
static bool fake_read_request(struct fake *f, int c)
{
	char head[8192];
	size_t n = 0;
	while (!memmem(head, n, "\r\n\r\n", 4)) {
		int w = fake_wait(f, c);
		if (w < 0)
			return false;
		if (!w)
			continue;
		ssize_t r = recv(c, head + n, sizeof(head) - 1 - n, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	head[n] = '\0';
	if (f->nreqs < 8) {
		size_t l = strcspn(head, "\r");
		snprintf(f->reqs[f->nreqs++], 512, "%.*s", (int)l, head);
	}
	return true;
}

static void fake_serve(struct fake *f, int c, const struct fake_reply *r)
{
	if (!fake_read_request(f, c))
		return;
	size_t step = r->step ? r->step : r->len;
	for (size_t off = 0; !r->silent && off < r->len; off += step) {
		size_t n = r->len - off < step ? r->len - off : step;
		if (send(c, r->wire + off, n, MSG_NOSIGNAL) < 0)
			return;
		if (r->pause_ms)
			sleep_ms(r->pause_ms);
	}
	if (!r->hold && !r->silent)
		return;
	char sink[4096];
	for (int w; (w = fake_wait(f, c)) >= 0;)
		if (w && recv(c, sink, sizeof(sink), 0) <= 0)
			return;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	size_t i = 0;
	for (int w; (w = fake_wait(f, f->lfd)) >= 0;) {
		int c = w ? accept(f->lfd, NULL, NULL) : -1;
		if (c < 0)
			continue;
		size_t k = i < f->nreplies ? i : f->nreplies - 1;
		fake_serve(f, c, &f->replies[k]);
		close(c);
		i++;
	}
	return NULL;
}

static void fake_start(struct fake *f, struct fake_reply *r, size_t n)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/hw-docker-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/docker.sock", f->dir);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_Static_assert(sizeof(f->path) <= sizeof(sa.sun_path), "sun_path");
	memcpy(sa.sun_path, f->path, sizeof(f->path));
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->lfd, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->lfd, 8), 0);
	f->replies = r;
	f->nreplies = n;
	atomic_init(&f->quit, false);
	ck_assert_int_eq(pthread_create(&f->thr, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	atomic_store(&f->quit, true);
	pthread_join(f->thr, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	for (size_t i = 0; i < f->nreplies; i++)
		free(f->replies[i].wire);
}

/* A whole answer with a JSON body: r->wire is malloc'ed. */
static struct fake_reply answer(int status, const char *json)
{
	struct hw_buf b = HW_BUF_INIT;
	char *body = j(json);
	buf_printf(&b,
		   "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		   status, strlen(body), body);
	free(body);
	return (struct fake_reply){.wire = b.data, .len = b.len};
}

/* The head of a chunked stream, as dockerd starts /events. */
#define STREAM_HEAD                                                            \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"                \
	"Transfer-Encoding: chunked\r\n\r\n"

static void chunk(struct hw_buf *b, const char *data, size_t n)
{
	buf_printf(b, "%zx\r\n", n);
	buf_put(b, data, n);
	buf_puts(b, "\r\n");
}

/* ---- the client, against the fake --------------------------------------- */

static const struct {
	const char *version; /* ' for " */
	int rc;
	const char *want; /* the version spoken, or a piece of err */
} negotiations[] = {
	/* a daemon that refuses clients older than our newest: its minimum */
	{"{'ApiVersion':'1.45','MinAPIVersion':'1.44'}", 0, "1.44"},
	/* an old daemon: its own, compared as numbers ("1.9" < "1.43") */
	{"{'ApiVersion':'1.9','MinAPIVersion':'1.6'}", 0, "1.9"},
	/* a new one: ours */
	{"{'ApiVersion':'1.50','MinAPIVersion':'1.24'}", 0, DOCKER_API_MAX},
	{"{'ApiVersion':'1.41','MinAPIVersion':'1.12'}", 0, "1.41"},
	/* one too old to say: what moby's client assumes */
	{"{'Version':'1.11.0'}", 0, "1.24"},
	{"{'ApiVersion':'1.41','MinAPIVersion':'1.100'}", 0, "1.100"},
	{"{'ApiVersion':'one'}", -EPROTO, "malformed"},
	{"not json", -EPROTO, "malformed"},
};

START_TEST(test_fake_negotiate)
{
	struct fake f;
	struct fake_reply r[2] = {answer(200, negotiations[_i].version),
				  answer(200, "[]")};
	fake_start(&f, r, 2);
	struct docker_api *a = docker_api_new(f.path, 5000);
	char err[256] = "";
	int rc = docker_api_negotiate(a, err, sizeof(err));
	ck_assert_msg(rc == negotiations[_i].rc, "%d: %s", rc, err);
	if (rc == 0) {
		ck_assert_str_eq(docker_api_version(a), negotiations[_i].want);
		struct hw_buf b = HW_BUF_INIT;
		ck_assert_int_eq(docker_api_get(a, "/containers/json?all=1", &b,
						err, sizeof(err)),
				 200);
		ck_assert_str_eq(b.data, "[]");
		buf_free(&b);
		ck_assert_uint_eq(docker_api_requests(a), 2);
	} else {
		ck_assert_str_eq(docker_api_version(a), "");
		ck_assert_msg(strstr(err, negotiations[_i].want), "%s", err);
	}
	docker_api_free(a);
	fake_stop(&f);
	ck_assert_str_eq(f.reqs[0], "GET /version HTTP/1.1");
	if (rc == 0) {
		char want[128];
		snprintf(want, sizeof(want),
			 "GET /v%s/containers/json?all=1 HTTP/1.1",
			 negotiations[_i].want);
		ck_assert_str_eq(f.reqs[1], want);
	}
}
END_TEST

/* HTTP errors: the status, and the daemon's message in err. */
START_TEST(test_fake_http_error)
{
	struct fake f;
	struct fake_reply r[2] = {
		answer(500, "{'message':'server is on fire'}"),
		answer(404, "{'message':'No such container: x'}")};
	fake_start(&f, r, 2);
	struct docker_api *a = docker_api_new(f.path, 5000);
	char err[256] = "";
	ck_assert_int_eq(docker_api_negotiate(a, err, sizeof(err)), -EIO);
	ck_assert_str_eq(err, "GET /version: HTTP 500: server is on fire");
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(docker_api_get(a, "/containers/x/json", &b, err,
					sizeof(err)),
			 404);
	ck_assert_str_eq(err, "GET /containers/x/json: HTTP 404: No such "
			      "container: x");
	/* never a path that would change the request */
	ck_assert_int_eq(docker_api_get(a, "/x y", &b, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(docker_api_get(a, "x", &b, err, sizeof(err)), -EINVAL);
	buf_free(&b);
	docker_api_free(a);
	fake_stop(&f);
}
END_TEST

/* An answer over the cap is -EFBIG, however it arrives. */
START_TEST(test_fake_too_big)
{
	struct fake f;
	char *big = fill(5000, 'a');
	struct hw_buf w = HW_BUF_INIT;
	buf_printf(&w, "HTTP/1.1 200 OK\r\nContent-Length: 5002\r\n\r\n\"%s\"",
		   big);
	struct fake_reply r = {.wire = w.data, .len = w.len, .step = 1000};
	free(big);
	fake_start(&f, &r, 1);
	struct docker_api *a = docker_api_new(f.path, 5000);
	a->body_max = 4096;
	struct hw_buf b = HW_BUF_INIT;
	char err[256] = "";
	ck_assert_int_eq(docker_api_get(a, "/version", &b, err, sizeof(err)),
			 -EFBIG);
	ck_assert_msg(strstr(err, "larger than 4096"), "%s", err);
	ck_assert_uint_le(b.len, 4096);
	/* the same with room: it all comes */
	a->body_max = DOCKER_BODY_MAX;
	ck_assert_int_eq(docker_api_get(a, "/version", &b, err, sizeof(err)),
			 200);
	ck_assert_uint_eq(b.len, 5002);
	buf_free(&b);
	docker_api_free(a);
	fake_stop(&f);
}
END_TEST

/* A daemon that accepts and never answers: the timeout. */
START_TEST(test_fake_timeout)
{
	struct fake f;
	struct fake_reply r = {.silent = true};
	fake_start(&f, &r, 1);
	struct docker_api *a = docker_api_new(f.path, 300);
	struct hw_buf b = HW_BUF_INIT;
	char err[256] = "";
	double t0 = now_ms();
	ck_assert_int_eq(docker_api_get(a, "/version", &b, err, sizeof(err)),
			 -ETIMEDOUT);
	double dt = now_ms() - t0;
	ck_assert_msg(dt >= 250 && dt < 2000, "%.0f ms", dt);
	ck_assert_str_eq(err, "GET /version: no answer within 300 ms");
	buf_free(&b);
	docker_api_free(a);
	fake_stop(&f);
}
END_TEST

struct ev_log {
	char *lines[64];
	size_t n, stop_after; /* stop_after 0: never */
};

static int ev_collect(void *arg, const char *json, size_t len)
{
	struct ev_log *l = arg;
	if (strlen(json) != len)
		return -1; /* the test sees too few lines */
	if (l->n < 64)
		l->lines[l->n++] = strdup(json);
	return l->stop_after && l->n >= l->stop_after;
}

static void ev_log_free(struct ev_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->lines[i]);
}

/* The first n lines of events.jsonl, and a made-up one with a multibyte
 * name, as an array of malloc'ed strings. */
static size_t event_lines(char **out, size_t n)
{
	char *t = slurp("events.jsonl");
	size_t k = 0;
	for (char *l = t, *nl; k < n - 1 && (nl = strchr(l, '\n')); l = nl + 1)
		out[k++] = strndup(l, (size_t)(nl - l));
	free(t);
	out[k++] = strdup("{\"Type\":\"container\",\"Action\":\"start\","
			  "\"Actor\":{\"ID\":\"" WEB2 "\",\"Attributes\":"
			  "{\"name\":\"caf\xc3\xa9\"}},\"time\":1}");
	return k;
}

/* A chunked stream cut everywhere: inside chunk-size lines, between \r and
 * \n, mid-JSON, mid-character; several lines in one chunk, one line over
 * several chunks, empty lines and CRLF line ends. Every line arrives whole,
 * in order, and on_event's nonzero ends the stream with 0. */
START_TEST(test_fake_events_split)
{
	char *lines[6];
	size_t n = event_lines(lines, 6);
	struct hw_buf s = HW_BUF_INIT, w = HW_BUF_INIT;
	buf_printf(&s, "%s\n%s\r\n\n\n%s\n%s\n%s\n%s\n", lines[0], lines[1],
		   lines[2], lines[3], lines[4], lines[5]);
	buf_puts(&w, STREAM_HEAD);
	const size_t cuts[] = {1, 5, 200, 1, 900, 333, 2, 4000};
	size_t off = 0;
	for (size_t i = 0; off < s.len; i = (i + 1) % 8) {
		size_t c = s.len - off < cuts[i] ? s.len - off : cuts[i];
		chunk(&w, s.data + off, c);
		off += c;
	}
	buf_free(&s);
	struct fake f;
	struct fake_reply r = {.wire = w.data, .len = w.len, .step = 37,
			       .pause_ms = 1, .hold = true};
	fake_start(&f, &r, 1);
	struct docker_api *a = docker_api_new(f.path, 5000);
	struct ev_log log = {.stop_after = n};
	volatile bool stop = false;
	char err[256] = "";
	int rc = docker_api_events(a, 1795284695, ev_collect, &log, &stop, err,
				   sizeof(err));
	ck_assert_msg(rc == 0, "%d: %s", rc, err);
	ck_assert_uint_eq(log.n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(log.lines[i], lines[i]);
	struct docker_event e;
	ck_assert_int_eq(docker_parse_event(log.lines[5], &e), 0);
	ck_assert_str_eq(e.name, "caf\xc3\xa9");
	docker_event_clear(&e);
	ck_assert_uint_eq(docker_api_requests(a), 1);
	docker_api_free(a);
	fake_stop(&f);
	ck_assert_str_eq(f.reqs[0],
			 "GET /events?filters=%7B%22type%22%3A%5B%22container"
			 "%22%5D%7D&since=1795284695 HTTP/1.1");
	ev_log_free(&log);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
}
END_TEST

/* The daemon goes away mid-line: the whole lines before it were handed
 * on, the half line is not, and the end is an error. Chunked (the stream
 * ends inside a chunk) and not (the connection just closes). */
START_TEST(test_fake_events_closed)
{
	char *lines[2];
	event_lines(lines, 2);
	struct hw_buf w = HW_BUF_INIT;
	if (_i == 0) {
		buf_puts(&w, STREAM_HEAD);
		buf_printf(&w, "%zx\r\n%s\n", strlen(lines[0]) + 1 + 40,
			   lines[0]);
		buf_put(&w, lines[1], 20);
	} else {
		buf_printf(&w, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
			       "%s\n",
			   lines[0]);
		buf_put(&w, lines[1], 20);
	}
	struct fake f;
	struct fake_reply r = {.wire = w.data, .len = w.len, .step = 50};
	fake_start(&f, &r, 1);
	struct docker_api *a = docker_api_new(f.path, 5000);
	struct ev_log log = {0};
	volatile bool stop = false;
	char err[256] = "";
	int rc = docker_api_events(a, 0, ev_collect, &log, &stop, err,
				   sizeof(err));
	ck_assert_msg(rc == -ECONNRESET, "%d: %s", rc, err);
	ck_assert_msg(strstr(err, "the daemon closed the stream"), "%s", err);
	ck_assert_uint_eq(log.n, 1);
	ck_assert_str_eq(log.lines[0], lines[0]);
	docker_api_free(a);
	fake_stop(&f);
	ck_assert_str_eq(f.reqs[0],
			 "GET /events?filters=%7B%22type%22%3A%5B%22container"
			 "%22%5D%7D HTTP/1.1");
	ev_log_free(&log);
	free(lines[0]);
	free(lines[1]);
}
END_TEST

/* A line over 1 MB ends the stream with -EMSGSIZE; an HTTP error answer
 * to /events is -EIO with its message. */
START_TEST(test_fake_events_bad)
{
	struct hw_buf w = HW_BUF_INIT;
	char *big = fill(DOCKER_LINE_MAX + 1, 'a');
	buf_puts(&w, STREAM_HEAD);
	chunk(&w, "{}\n", 3);
	chunk(&w, big, DOCKER_LINE_MAX + 1);
	free(big);
	struct fake f;
	struct fake_reply r[2] = {
		{.wire = w.data, .len = w.len, .step = 65536, .hold = true},
		answer(400, "{'message':'invalid filter'}")};
	fake_start(&f, r, 2);
	struct docker_api *a = docker_api_new(f.path, 5000);
	struct ev_log log = {0};
	volatile bool stop = false;
	char err[256] = "";
	ck_assert_int_eq(docker_api_events(a, 0, ev_collect, &log, &stop, err,
					   sizeof(err)),
			 -EMSGSIZE);
	ck_assert_msg(strstr(err, "longer than 1 MB"), "%s", err);
	ck_assert_uint_eq(log.n, 1);
	ck_assert_int_eq(docker_api_events(a, 0, ev_collect, &log, &stop, err,
					   sizeof(err)),
			 -EIO);
	ck_assert_msg(strstr(err, "HTTP 400: invalid filter"), "%s", err);
	ck_assert_uint_eq(log.n, 1);
	docker_api_free(a);
	fake_stop(&f);
	ev_log_free(&log);
}
END_TEST

struct stopper {
	volatile bool *stop;
	int after_ms;
	double at; /* when it set *stop */
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	sleep_ms(s->after_ms);
	s->at = now_ms();
	*s->stop = true;
	return NULL;
}

/* While no event comes, *stop is still seen within 250 ms. */
START_TEST(test_fake_events_stop)
{
	char *lines[1];
	event_lines(lines, 1);
	struct hw_buf w = HW_BUF_INIT;
	buf_puts(&w, STREAM_HEAD);
	chunk(&w, lines[0], strlen(lines[0]));
	chunk(&w, "\n", 1);
	free(lines[0]);
	struct fake f;
	struct fake_reply r = {.wire = w.data, .len = w.len, .hold = true};
	fake_start(&f, &r, 1);
	struct docker_api *a = docker_api_new(f.path, 5000);
	struct ev_log log = {0};
	volatile bool stop = false;
	struct stopper s = {&stop, 700, 0};
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, stopper_main, &s), 0);
	char err[256] = "";
	int rc = docker_api_events(a, 0, ev_collect, &log, &stop, err,
				   sizeof(err));
	double late = now_ms() - s.at;
	pthread_join(thr, NULL);
	ck_assert_msg(rc == 0, "%d: %s", rc, err);
	ck_assert_uint_eq(log.n, 1);
	/* 250 ms at most, plus valgrind's slowness */
	ck_assert_msg(late < 400, "stopped %.0f ms after *stop", late);
	docker_api_free(a);
	fake_stop(&f);
	ev_log_free(&log);
}
END_TEST

/* ---- the client, without a daemon --------------------------------------- */

/* libcurl is not in the process until the first request needs it. Runs
 * first: once loaded, it stays. */
START_TEST(test_curl_lazy)
{
	ck_assert_ptr_null(dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_NOLOAD));
	ck_assert_ptr_null(dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD));
	struct docker_api *a = docker_api_new("/nonexistent/docker.sock", 1000);
	ck_assert_ptr_null(dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_NOLOAD));
	struct hw_buf b = HW_BUF_INIT;
	char err[256] = "";
	int rc = docker_api_get(a, "/version", &b, err, sizeof(err));
	if (rc == -ENOSYS) {
		ck_assert_str_eq(err, CURL_MISSING);
	} else {
		/* one libcurl, the GnuTLS one when it is installed */
		void *g = dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_NOLOAD);
		void *o = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
		ck_assert_msg(!g != !o, "gnutls %p, openssl %p", g, o);
		if (o) /* only when there is no GnuTLS build */
			ck_assert_ptr_null(g = dlopen("libcurl-gnutls.so.4",
						      RTLD_NOW | RTLD_LOCAL));
		if (g)
			dlclose(g); /* our NOLOAD reference only */
		if (o)
			dlclose(o);
	}
	buf_free(&b);
	docker_api_free(a);
}
END_TEST

/* Without libcurl: -ENOSYS, and err says what to install. */
START_TEST(test_curl_missing)
{
	struct curl_fns f;
	char why[192];
	const char *const names[] = {"libcurl-hw-nonexistent.so.9", NULL};
	ck_assert_int_eq(curl_load(&f, names, why, sizeof(why)), -ENOSYS);
	ck_assert_str_eq(why, "libcurl not found: install libcurl4 (Debian) / "
			      "libcurl (RHEL)");
	/* a library without curl's functions is not libcurl */
	const char *const libc[] = {"libc.so.6", NULL};
	ck_assert_int_eq(curl_load(&f, libc, why, sizeof(why)), -ENOSYS);
	ck_assert_msg(strstr(why, "lacks curl_"), "%s", why);
}
END_TEST

/* No daemon: the socket is missing, or nobody listens on it. */
START_TEST(test_no_daemon)
{
	char err[256] = "";
	struct hw_buf b = HW_BUF_INIT;
	volatile bool stop = false;
	struct docker_api *a = docker_api_new("/nonexistent/docker.sock", 1000);
	ck_assert_int_eq(docker_api_negotiate(a, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "cannot connect to /nonexistent/docker.sock: No "
			      "such file or directory");
	ck_assert_int_eq(docker_api_get(a, "/_ping", &b, err, sizeof(err)),
			 -ENOENT);
	ck_assert_int_eq(docker_api_events(a, 0, ev_collect, NULL, &stop, err,
					   sizeof(err)),
			 -ENOENT);
	ck_assert_msg(strstr(err, "No such file"), "%s", err);
	ck_assert_uint_eq(docker_api_requests(a), 3);
	docker_api_free(a);

	/* a socket nobody listens on (a daemon that died) */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path),
		 "/tmp/hw-docker-test-%d.sock", (int)getpid());
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listening: connect is refused */
	a = docker_api_new(sa.sun_path, 1000);
	ck_assert_int_eq(docker_api_get(a, "/_ping", &b, err, sizeof(err)),
			 -ECONNREFUSED);
	ck_assert_msg(strstr(err, "Connection refused"), "%s", err);
	docker_api_free(a);
	unlink(sa.sun_path);

	/* a path no sockaddr_un holds */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	a = docker_api_new(longp, 1000);
	ck_assert_int_eq(docker_api_get(a, "/_ping", &b, err, sizeof(err)),
			 -ENAMETOOLONG);
	docker_api_free(a);
	buf_free(&b);
}
END_TEST

/* ---- the client, against the real daemons -------------------------------- */

/* A client for the daemon at sock, negotiated; NULL (the test skipped,
 * saying why) when none answers there. */
static struct docker_api *real_client(const char *sock, const char *what)
{
	char err[256] = "";
	struct docker_api *a = docker_api_new(sock, 5000);
	int rc = docker_api_negotiate(a, err, sizeof(err));
	if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -EACCES ||
	    rc == -ENOSYS) {
		fprintf(stderr, "SKIP %s: no %s at %s: %s\n", tcase_name(),
			what, sock, err);
		docker_api_free(a);
		return NULL;
	}
	ck_assert_msg(rc == 0, "%s: %s", what, err);
	return a;
}

/* A container's events, as the events thread sees them. */
struct watch {
	struct docker_api *a;
	int64_t since;
	const char *name;
	volatile bool stop;
	pthread_mutex_t lock;
	char actions[32][32];
	int exit_code;
	size_t n;
	int rc;
	char err[256];
};

static int watch_event(void *arg, const char *json, size_t len)
{
	struct watch *w = arg;
	struct docker_event e;
	(void)len;
	if (docker_parse_event(json, &e) < 0)
		return 0;
	pthread_mutex_lock(&w->lock);
	if (e.name && strcmp(e.name, w->name) == 0 && w->n < 32) {
		snprintf(w->actions[w->n++], 32, "%s", e.action);
		if (strcmp(e.action, "die") == 0)
			w->exit_code = e.exit_code;
	}
	pthread_mutex_unlock(&w->lock);
	docker_event_clear(&e);
	return 0;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	w->rc = docker_api_events(w->a, w->since, watch_event, w, &w->stop,
				  w->err, sizeof(w->err));
	return NULL;
}

static bool watch_saw(struct watch *w, const char *action)
{
	bool saw = false;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n; i++)
		saw = saw || strcmp(w->actions[i], action) == 0;
	pthread_mutex_unlock(&w->lock);
	return saw;
}

/* Follow /events while cmd runs a container called name; until its last
 * event (last) is seen; then stop, within 250 ms. */
static void watch_run(struct watch *w, struct docker_api *a, const char *name,
		      const char *cmd, const char *last)
{
	memset(w, 0, sizeof(*w));
	w->a = a;
	w->name = name;
	w->since = (int64_t)time(NULL);
	pthread_mutex_init(&w->lock, NULL);
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, watch_main, w), 0);
	ck_assert_msg(system(cmd) >= 0, "%s", cmd);
	for (int i = 0; i < 1000 && !watch_saw(w, last); i++)
		sleep_ms(20);
	double t0 = now_ms();
	w->stop = true;
	pthread_join(thr, NULL);
	double late = now_ms() - t0;
	pthread_mutex_destroy(&w->lock);
	ck_assert_msg(w->rc == 0, "%d: %s", w->rc, w->err);
	ck_assert_msg(late < 400, "stopped %.0f ms after *stop", late);
}

START_TEST(test_real_docker)
{
	struct docker_api *a = real_client(DOCKER_SOCK, "dockerd");
	if (!a)
		return;
	char err[256] = "";
	ck_assert_str_eq(docker_api_version(a), "1.41");
	ck_assert_msg(strncmp(docker_api_engine(a), "Docker Engine ", 14) == 0,
		      "%s", docker_api_engine(a));
	struct hw_buf b = HW_BUF_INIT;
	ck_assert_int_eq(docker_api_get(a, "/containers/json?all=1", &b, err,
					sizeof(err)),
			 200);
	char(*ids)[DOCKER_ID_LEN + 1];
	size_t n;
	ck_assert_int_eq(docker_parse_list(b.data, &ids, &n), 0);
	for (size_t i = 0; i < n; i++) {
		char path[128];
		struct docker_container c;
		snprintf(path, sizeof(path), "/containers/%s/json", ids[i]);
		int st = docker_api_get(a, path, &b, err, sizeof(err));
		if (st == 404) /* removed since the list */
			continue;
		ck_assert_int_eq(st, 200);
		ck_assert_int_eq(docker_parse_inspect(b.data, keys, NKEYS, &c),
				 0);
		ck_assert_str_eq(c.id, ids[i]);
		docker_container_clear(&c);
	}
	free(ids);
	ck_assert_int_eq(docker_api_get(a, "/containers/" WEB2 "0/json", &b, err,
					sizeof(err)),
			 404);
	ck_assert_msg(strstr(err, "HTTP 404: No such container"), "%s", err);
	ck_assert_uint_eq(docker_api_requests(a), 3 + n);
	buf_free(&b);

	char name[64], cmd[256];
	struct watch w;
	/* no network: the test needs none, and another dockerd on this
	 * machine started with --bridge=none deletes docker0 */
	snprintf(name, sizeof(name), "hw-test-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "docker run --rm --network none --name %s " IMAGE
		 " true >/dev/null 2>&1",
		 name);
	watch_run(&w, a, name, cmd, "destroy");
	ck_assert_msg(watch_saw(&w, "start") && watch_saw(&w, "die"),
		      "%zu events", w.n);
	ck_assert_int_eq(w.exit_code, 0);
	docker_api_free(a);
}
END_TEST

/* Podman's Docker-compatible service, started here when podman is
 * installed: its pid, and its socket in sock. */
static pid_t podman_start(char *sock, size_t len)
{
	if (system("command -v podman >/dev/null 2>&1") != 0)
		return 0;
	snprintf(sock, len, "/tmp/hw-docker-test-podman-%d.sock", (int)getpid());
	char url[160];
	snprintf(url, sizeof(url), "unix://%s", sock);
	char *argv[] = {"podman", "system", "service", "--time=0", url, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid = 0;
	extern char **environ;
	int rc = posix_spawnp(&pid, "podman", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return 0;
	for (int i = 0; i < 300 && access(sock, F_OK) != 0; i++)
		sleep_ms(50);
	return pid;
}

/* The same against Podman, which names its engine, its events and its
 * states its own way (README of the fixtures; the report of this test). */
START_TEST(test_real_podman)
{
	char sock[128];
	pid_t pid = podman_start(sock, sizeof(sock));
	if (!pid) {
		fprintf(stderr, "SKIP %s: podman is not installed\n",
			tcase_name());
		return;
	}
	struct docker_api *a = real_client(sock, "podman service");
	if (!a)
		goto out;
	ck_assert_str_eq(docker_api_version(a), "1.41");
	ck_assert_msg(strncmp(docker_api_engine(a), "Podman Engine ", 14) == 0,
		      "%s", docker_api_engine(a));
	/* the image as the integration tests make it: busybox-static */
	if (system("podman image exists " IMAGE " || { d=$(mktemp -d) && "
		   "mkdir $d/bin && cp /bin/busybox $d/bin/ && for c in sh "
		   "true sleep cat echo; do ln -s busybox $d/bin/$c; done && "
		   "tar -C $d -c . | podman import -q - " IMAGE
		   " >/dev/null 2>&1; rc=$?; rm -rf $d; exit $rc; }") != 0) {
		fprintf(stderr, "SKIP %s: no image " IMAGE " for podman\n",
			tcase_name());
		goto out;
	}
	/* Podman sets nofile/nproc limits the caller may not raise (no
	 * CAP_SYS_RESOURCE): lower ones always work. */
	char name[64], cmd[512], err[256];
	struct watch w;
	snprintf(name, sizeof(name), "hw-test-podman-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "podman run --rm --network none --ulimit nofile=1024:1024 "
		 "--ulimit nproc=1024:1024 --name %s --label secret=x --label "
		 "com.docker.compose.project=p -e PASSWORD=hunter2 " IMAGE
		 " sh -c 'exit 7' >/dev/null 2>&1",
		 name);
	watch_run(&w, a, name, cmd, "remove");
	ck_assert(watch_saw(&w, "init") && watch_saw(&w, "start") &&
		  watch_saw(&w, "die") && !watch_saw(&w, "destroy"));
	ck_assert_int_eq(w.exit_code, 7);

	/* a created container: list and inspect */
	snprintf(cmd, sizeof(cmd),
		 "podman create --name %s --label secret=x --label "
		 "com.docker.compose.project=p -e PASSWORD=hunter2 " IMAGE
		 " true >/dev/null 2>&1",
		 name);
	ck_assert_int_eq(system(cmd), 0);
	struct hw_buf b = HW_BUF_INIT;
	char path[128];
	struct docker_container c;
	snprintf(path, sizeof(path), "/containers/%s/json", name);
	ck_assert_int_eq(docker_api_get(a, path, &b, err, sizeof(err)), 200);
	ck_assert_int_eq(docker_parse_inspect(b.data, keys, NKEYS, &c), 0);
	ck_assert_str_eq(c.name, name);
	ck_assert_int_eq(c.state, DOCKER_S_CREATED);
	ck_assert_int_eq(c.health, DOCKER_H_NONE);
	ck_assert_double_eq(c.started_at, 0);
	ck_assert_str_eq(c.label_values[0], "p");
	assert_no_secret(&c);
	ck_assert_int_eq(docker_api_get(a, "/containers/json?all=1", &b, err,
					sizeof(err)),
			 200);
	ck_assert_msg(strstr(b.data, c.id), "not listed: %s", c.id);
	docker_container_clear(&c);
	buf_free(&b);
	snprintf(cmd, sizeof(cmd), "podman rm %s >/dev/null 2>&1", name);
	ck_assert_int_eq(system(cmd), 0);
out:
	docker_api_free(a);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sock);
}
END_TEST

static Suite *docker_suite(void)
{
	Suite *s = suite_create("docker_api");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_curl_lazy); /* first: nothing loaded yet */
	tcase_add_test(tc, test_curl_missing);
	tcase_add_test(tc, test_no_daemon);
	tcase_add_loop_test(tc, test_fake_negotiate, 0,
			    (int)(sizeof(negotiations) /
				  sizeof(negotiations[0])));
	tcase_add_test(tc, test_fake_http_error);
	tcase_add_test(tc, test_fake_too_big);
	tcase_add_test(tc, test_fake_timeout);
	tcase_add_test(tc, test_fake_events_split);
	tcase_add_loop_test(tc, test_fake_events_closed, 0, 2);
	tcase_add_test(tc, test_fake_events_bad);
	tcase_add_test(tc, test_fake_events_stop);
	tcase_add_test(tc, test_real_docker);
	tcase_add_test(tc, test_real_podman);
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
