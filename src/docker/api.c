/* The Docker Engine API client: HTTP over the daemon's Unix socket with
 * libcurl, version negotiation, GETs and the /events stream. See
 * include/hostwatch/docker.h.
 *
 * libcurl is not linked but loaded on the first request
 * (include/hostwatch/curl_lib.h, which says why). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <curl/curl.h>

#include "hostwatch/curl_lib.h"
#include "hostwatch/docker.h"

/* The largest answer to a GET we hold (containers/json of a host with
 * thousands of containers is a few MB), and the longest /events line. */
#define DOCKER_BODY_MAX ((size_t)64 << 20)
#define DOCKER_LINE_MAX ((size_t)1 << 20)
/* What an error answer's body is kept to, for its message. */
#define DOCKER_ERRBODY_MAX 4096
/* How often docker_api_events looks at *stop while no event comes. */
#define DOCKER_POLL_MS 250
/* The version to assume when /version names none: what moby's client
 * assumes too (client/client.go, negotiateAPIVersionPing), the last one
 * before daemons said theirs. */
#define DOCKER_API_FALLBACK "1.24"

/* The loader under the name tests/unit/test_docker_api.c (which includes
 * this file) calls it. */
static inline int curl_load(struct curl_fns *f, const char *const *names,
			    char *why, size_t whylen)
{
	return curl_lib_load(f, names, why, whylen);
}

/* ---- the client --------------------------------------------------------- */

struct docker_api {
	char *socket_path;
	long timeout_ms;
	CURL *easy; /* for the GETs; kept, so that its connection is reused */
	char curl_err[CURL_ERROR_SIZE];
	char version[16]; /* "" until negotiated: requests are unversioned */
	char engine[160];
	size_t body_max, line_max; /* DOCKER_BODY_MAX, _LINE_MAX; tests lower */
	_Atomic uint64_t requests;
};

static void api_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void api_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct docker_api *docker_api_new(const char *socket_path, long timeout_ms)
{
	struct docker_api *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (!(a->socket_path = strdup(socket_path))) {
		free(a);
		return NULL;
	}
	a->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	a->body_max = DOCKER_BODY_MAX;
	a->line_max = DOCKER_LINE_MAX;
	atomic_init(&a->requests, 0);
	return a;
}

void docker_api_free(struct docker_api *a)
{
	if (!a)
		return;
	if (a->easy)
		curl_fn.easy_cleanup(a->easy);
	free(a->socket_path);
	free(a);
}

const char *docker_api_version(const struct docker_api *a)
{
	return a->version;
}

const char *docker_api_engine(const struct docker_api *a)
{
	return a->engine;
}

uint64_t docker_api_requests(const struct docker_api *a)
{
	return atomic_load_explicit(&a->requests, memory_order_relaxed);
}

/* The options every handle of a shares. errbuf must outlive h. */
static int api_setup(const struct docker_api *a, CURL *h, char *errbuf)
{
	CURLcode cc = CURLE_OK;
	/* NOSIGNAL: we run in threads; name resolution, which would need
	 * SIGALRM for its timeout, never happens over a Unix socket. */
	cc |= curl_fn.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_fn.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, a->socket_path);
	cc |= curl_fn.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, a->timeout_ms);
	cc |= curl_fn.easy_setopt(h, CURLOPT_USERAGENT, "hostwatch/" PACKAGE_VERSION);
	cc |= curl_fn.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	return cc == CURLE_OK ? 0 : -EIO;
}

/* Before any request: libcurl loaded, and a socket path that fits a
 * sockaddr_un (libcurl would only say "couldn't connect"). */
static int api_ready(const struct docker_api *a, char *err, size_t errlen)
{
	int rc = curl_lib_ready(err, errlen);
	if (rc < 0)
		return rc;
	if (strlen(a->socket_path) >=
	    sizeof(((struct sockaddr_un *)0)->sun_path)) {
		api_err(err, errlen, "socket path too long: %s", a->socket_path);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The request URL of path (which must be "/..." and plain ASCII: every
 * path is ours, but a bad one must not reach the wire) at the negotiated
 * version. */
static int api_url(const struct docker_api *a, const char *path, char *url,
		   size_t len)
{
	if (path[0] != '/')
		return -EINVAL;
	for (const char *p = path; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return -EINVAL;
	int n = snprintf(url, len, "http://localhost%s%s%s",
			 a->version[0] ? "/v" : "", a->version, path);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* What a failed transfer means as -errno, with err saying so. */
static int api_fail(struct docker_api *a, CURL *h, CURLcode cc,
		    const char *errbuf, const char *what, char *err,
		    size_t errlen)
{
	long os = 0;
	const char *why = errbuf[0] ? errbuf : curl_fn.easy_strerror(cc);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		curl_fn.easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
		if (os <= 0)
			os = ECONNREFUSED;
		api_err(err, errlen, "cannot connect to %s: %s",
			a->socket_path, strerror((int)os));
		return -(int)os;
	case CURLE_OPERATION_TIMEDOUT:
		api_err(err, errlen, "%s: no answer within %ld ms", what,
			a->timeout_ms);
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		api_err(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	default:
		api_err(err, errlen, "%s: %s", what, why);
		return -EIO;
	}
}

/* err for an HTTP error status: the daemon's message when it sent one. */
static void api_err_status(const char *what, long status, const char *body,
			   char *err, size_t errlen)
{
	char msg[256];
	if (docker_parse_message(body, msg, sizeof(msg)) < 0)
		snprintf(msg, sizeof(msg), "(no message)");
	api_err(err, errlen, "%s: HTTP %ld: %s", what, status, msg);
}

struct get_ctx {
	struct hw_buf *out;
	size_t max;
	bool too_big;
};

/* libcurl's write callback for a GET: append, within the cap. Returning
 * less than was given makes libcurl fail the transfer. */
static size_t get_write(char *p, size_t size, size_t n, void *arg)
{
	struct get_ctx *g = arg;
	size_t len = size * n; /* size is 1: CURLOPT_WRITEFUNCTION */
	if (len > g->max - g->out->len) {
		g->too_big = true;
		return 0;
	}
	buf_put(g->out, p, len);
	return g->out->failed ? 0 : len;
}

/* The GET handle, created on first use. */
static int api_easy(struct docker_api *a, char *err, size_t errlen)
{
	if (a->easy)
		return 0;
	if (!(a->easy = curl_fn.easy_init())) {
		api_err(err, errlen, "curl_easy_init failed");
		return -ENOMEM;
	}
	CURLcode cc = CURLE_OK;
	cc |= curl_fn.easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, a->timeout_ms);
	cc |= curl_fn.easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, get_write);
	if (api_setup(a, a->easy, a->curl_err) < 0 || cc != CURLE_OK) {
		api_err(err, errlen, "cannot set up libcurl");
		curl_fn.easy_cleanup(a->easy);
		a->easy = NULL;
		return -EIO;
	}
	return 0;
}

int docker_api_get(struct docker_api *a, const char *path, struct hw_buf *out,
		   char *err, size_t errlen)
{
	char url[1024], what[1100];
	int rc = api_ready(a, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = api_url(a, path, url, sizeof(url))) < 0) {
		api_err(err, errlen, "bad request path");
		return rc;
	}
	if ((rc = api_easy(a, err, errlen)) < 0)
		return rc;
	snprintf(what, sizeof(what), "GET %s", url + strlen("http://localhost"));

	struct get_ctx g = {out, a->body_max, false};
	buf_reset(out);
	a->curl_err[0] = '\0';
	curl_fn.easy_setopt(a->easy, CURLOPT_URL, url);
	curl_fn.easy_setopt(a->easy, CURLOPT_WRITEDATA, &g);
	atomic_fetch_add_explicit(&a->requests, 1, memory_order_relaxed);
	CURLcode cc = curl_fn.easy_perform(a->easy);
	const char *body = buf_cstr(out);
	if (g.too_big) {
		api_err(err, errlen, "%s: answer larger than %zu bytes", what,
			a->body_max);
		return -EFBIG;
	}
	if (out->failed) {
		api_err(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	if (cc != CURLE_OK)
		return api_fail(a, a->easy, cc, a->curl_err, what, err, errlen);
	long status = 0;
	curl_fn.easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400)
		api_err_status(what, status, body, err, errlen);
	return (int)status;
}

/* ---- version negotiation ------------------------------------------------ */

/* Compare two API versions ("1.9" < "1.41") as numbers, major then minor;
 * docker_parse_version has checked that both are digits.digits. */
static int api_version_cmp(const char *x, const char *y)
{
	char *ex, *ey;
	unsigned long xm = strtoul(x, &ex, 10), ym = strtoul(y, &ey, 10);
	if (xm != ym)
		return xm < ym ? -1 : 1;
	unsigned long xn = strtoul(ex + 1, NULL, 10);
	unsigned long yn = strtoul(ey + 1, NULL, 10);
	return xn < yn ? -1 : xn > yn;
}

/* The version to speak: the daemon's, at most ours, and never below the
 * daemon's minimum, which wins over our maximum (such a daemon answers
 * an older version with HTTP 400; a newer one it understands). */
static void api_version_pick(const struct docker_version *v, char out[16])
{
	const char *pick = v->api[0] ? v->api : DOCKER_API_FALLBACK;
	if (api_version_cmp(pick, DOCKER_API_MAX) > 0)
		pick = DOCKER_API_MAX;
	if (v->min_api[0] && api_version_cmp(pick, v->min_api) < 0)
		pick = v->min_api;
	snprintf(out, 16, "%s", pick);
}

int docker_api_negotiate(struct docker_api *a, char *err, size_t errlen)
{
	struct hw_buf b = HW_BUF_INIT;
	struct docker_version v;
	a->version[0] = '\0'; /* GET /version unversioned */
	a->engine[0] = '\0';
	int rc = docker_api_get(a, "/version", &b, err, errlen);
	if (rc >= 0 && rc != 200) {
		if (rc < 400) /* 1xx/3xx: api_err_status did not say */
			api_err(err, errlen, "GET /version: HTTP %d", rc);
		rc = -EIO;
	} else if (rc == 200 && docker_parse_version(b.data, &v) < 0) {
		api_err(err, errlen, "GET /version: malformed answer");
		rc = -EPROTO;
	} else if (rc == 200) {
		api_version_pick(&v, a->version);
		snprintf(a->engine, sizeof(a->engine), "%s %s",
			 v.engine[0] ? v.engine : "unknown engine", v.version);
		rc = 0;
	}
	buf_free(&b);
	return rc;
}

/* ---- the events stream -------------------------------------------------- */

struct ev_ctx {
	CURL *h;
	struct hw_buf line; /* the incomplete line so far */
	struct hw_buf body; /* an error answer's body, for its message */
	size_t line_max;
	int (*on_event)(void *arg, const char *json, size_t len);
	void *arg;
	bool stopped; /* on_event asked to stop */
	int fail;     /* -errno of our own making: line too long, no memory */
};

/* Hand the complete line in x->line to on_event, and forget it. */
static bool ev_line(struct ev_ctx *x)
{
	struct hw_buf *l = &x->line;
	if (l->len && l->data[l->len - 1] == '\r')
		l->len--;
	if (!l->len)
		return true;
	buf_cstr(l);
	int stop = x->on_event(x->arg, l->data, l->len);
	l->len = 0;
	if (stop)
		x->stopped = true;
	return !stop;
}

/* libcurl's write callback for /events: split what comes (chunks end
 * anywhere: mid-line, mid-character) into lines. */
static size_t ev_write(char *p, size_t size, size_t n, void *arg)
{
	struct ev_ctx *x = arg;
	size_t len = size * n;
	long status = 0;
	curl_fn.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) { /* an error: keep the start of its message */
		size_t room = DOCKER_ERRBODY_MAX - x->body.len;
		buf_put(&x->body, p, len < room ? len : room);
		return len;
	}
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(p + off, '\n', len - off);
		size_t seg = (nl ? (size_t)(nl - p) : len) - off;
		if (seg > x->line_max - x->line.len) {
			x->fail = -EMSGSIZE;
			return 0;
		}
		buf_put(&x->line, p + off, seg);
		if (x->line.failed) {
			x->fail = -ENOMEM;
			return 0;
		}
		off += seg;
		if (!nl)
			break;
		off++; /* the newline */
		if (!ev_line(x))
			return 0;
	}
	return len;
}

/* The transfer ended by itself: why, as -errno and err. */
static int ev_ended(struct docker_api *a, struct ev_ctx *x, CURLM *m,
		    const char *errbuf, const char *what, char *err,
		    size_t errlen)
{
	CURLcode cc = CURLE_OK;
	int left;
	CURLMsg *msg;
	while ((msg = curl_fn.multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			cc = msg->data.result;
	long status = 0;
	curl_fn.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		api_err(err, errlen, "%s: the daemon closed the stream%s%s", what,
			cc == CURLE_OK ? "" : ": ",
			cc == CURLE_OK ? "" : curl_fn.easy_strerror(cc));
		return -ECONNRESET;
	}
	if (status != 0) {
		api_err_status(what, status, buf_cstr(&x->body), err, errlen);
		return -EIO;
	}
	if (cc == CURLE_OK) /* no answer at all, yet no error */
		cc = CURLE_GOT_NOTHING;
	return api_fail(a, x->h, cc, errbuf, what, err, errlen);
}

/* Drive the transfer until it ends or is stopped; *stop is looked at
 * after every burst of data and at least every DOCKER_POLL_MS. */
static int ev_run(struct docker_api *a, struct ev_ctx *x, CURLM *m,
		  const volatile bool *stop, const char *errbuf,
		  const char *what, char *err, size_t errlen)
{
	for (;;) {
		int running = 0;
		if (*stop)
			return 0;
		CURLMcode mc = curl_fn.multi_perform(m, &running);
		if (mc == CURLM_OK && x->stopped)
			return 0;
		if (x->fail) {
			api_err(err, errlen, "%s: %s", what,
				x->fail == -EMSGSIZE
					? "an event line longer than 1 MB"
					: "out of memory");
			return x->fail;
		}
		if (mc == CURLM_OK && !running)
			return ev_ended(a, x, m, errbuf, what, err, errlen);
		if (mc == CURLM_OK)
			mc = curl_fn.multi_poll(m, NULL, 0, DOCKER_POLL_MS, NULL);
		if (mc != CURLM_OK) {
			api_err(err, errlen, "%s: %s", what,
				curl_fn.multi_strerror(mc));
			return -EIO;
		}
	}
}

/* The events URL: filters={"type":["container"]}, percent-encoded as a
 * query must be, and since. */
static int ev_url(struct docker_api *a, int64_t since, char *url, size_t len)
{
	char path[160];
	int n = snprintf(path, sizeof(path),
			 "/events?filters=%%7B%%22type%%22%%3A%%5B%%22"
			 "container%%22%%5D%%7D");
	if (since > 0)
		snprintf(path + n, sizeof(path) - (size_t)n, "&since=%" PRId64,
			 since);
	return api_url(a, path, url, len);
}

int docker_api_events(struct docker_api *a, int64_t since,
		      int (*on_event)(void *arg, const char *json, size_t len),
		      void *arg, const volatile bool *stop, char *err,
		      size_t errlen)
{
	char url[256], what[256], errbuf[CURL_ERROR_SIZE] = "";
	struct ev_ctx x = {.line_max = a->line_max, .on_event = on_event,
			   .arg = arg};
	CURLM *m = NULL;
	int rc = api_ready(a, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = ev_url(a, since, url, sizeof(url))) < 0) {
		api_err(err, errlen, "bad request path");
		return rc;
	}
	snprintf(what, sizeof(what), "GET %s", url + strlen("http://localhost"));
	if (!(x.h = curl_fn.easy_init()) || !(m = curl_fn.multi_init())) {
		api_err(err, errlen, "%s: out of memory", what);
		rc = -ENOMEM;
		goto out;
	}
	CURLcode cc = CURLE_OK;
	cc |= curl_fn.easy_setopt(x.h, CURLOPT_URL, url);
	cc |= curl_fn.easy_setopt(x.h, CURLOPT_WRITEFUNCTION, ev_write);
	cc |= curl_fn.easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	if (api_setup(a, x.h, errbuf) < 0 || cc != CURLE_OK ||
	    curl_fn.multi_add_handle(m, x.h) != CURLM_OK) {
		api_err(err, errlen, "%s: cannot set up libcurl", what);
		rc = -EIO;
		goto out;
	}
	atomic_fetch_add_explicit(&a->requests, 1, memory_order_relaxed);
	rc = ev_run(a, &x, m, stop, errbuf, what, err, errlen);
	curl_fn.multi_remove_handle(m, x.h);
out:
	if (m)
		curl_fn.multi_cleanup(m);
	if (x.h)
		curl_fn.easy_cleanup(x.h);
	buf_free(&x.line);
	buf_free(&x.body);
	return rc;
}
