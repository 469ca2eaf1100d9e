/* HTTP endpoints over libmicrohttpd: see include/hostwatch/http.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "hostwatch/expo.h"
#include "hostwatch/gzip.h"
#include "hostwatch/engine.h"
#include "hostwatch/notify.h"
#include "hostwatch/http.h"
#include "hostwatch/http_auth.h"
#include "hostwatch/http_tls.h"
#include "hostwatch/log.h"
#include "hostwatch/netacl.h"
#include "hostwatch/systemd.h"

#define MAX_DAEMONS HW_MAX_LISTEN
#define POOL_SIZE 4

/* A response body. Pooled so that steady-state scrapes reuse the same memory
 * (RSS stays flat); a burst beyond the pool gets a temporary one. */
struct body {
	struct hw_http *owner;
	struct hw_buf buf;
	bool busy;
	bool temporary;
};

struct hw_http {
	struct MHD_Daemon *daemons[MAX_DAEMONS];
	unsigned n_daemons;
	pthread_rwlock_t state_lock;
	struct hw_state *state;
	volatile bool ready;
	pthread_mutex_t pool_lock;
	struct body pool[POOL_SIZE];
	char addresses[512];
	/* Fixed at start like the listeners: [server] changes need a restart. */
	char telemetry[256];
	/* Access control. TLS (on or off, its minimum version) is fixed at
	 * start; its files, the users and the allow-list follow reloads. The
	 * users' checker is swapped under state_lock with the state. */
	struct http_tls *tls; /* NULL: plain HTTP */
	enum hw_tls_version tls_min_version;
	struct http_auth *auth; /* NULL: no basic auth */
	/* counters, __atomic: they outlive reloads */
	uint64_t auth_failures[HTTP_AUTH_N_RESULTS];
	uint64_t denied_allow_list;
};

static const char landing_page[] =
	"<html>\n<head><title>hostwatch</title></head>\n<body>\n"
	"<h1>hostwatch</h1>\n"
	"<p>Host metrics in node_exporter's format.</p>\n"
	"<ul>\n<li><a href=\"%s\">Metrics</a></li>\n"
	"<li><a href=\"/-/healthy\">Health</a></li>\n"
	"<li><a href=\"/-/ready\">Readiness</a></li>\n"
	"<li><a href=\"/api/v1/alerts\">Alerts</a> and "
	"<a href=\"/api/v1/rules\">rules</a> (JSON)</li>\n</ul>\n"
	"<p>Version " PACKAGE_VERSION "</p>\n</body>\n</html>\n";

/* --- body pool ------------------------------------------------------------ */

static struct body *body_get(struct hw_http *h)
{
	pthread_mutex_lock(&h->pool_lock);
	for (unsigned i = 0; i < POOL_SIZE; i++) {
		if (!h->pool[i].busy) {
			h->pool[i].busy = true;
			pthread_mutex_unlock(&h->pool_lock);
			buf_reset(&h->pool[i].buf);
			return &h->pool[i];
		}
	}
	pthread_mutex_unlock(&h->pool_lock);
	struct body *b = calloc(1, sizeof(*b));
	if (b) {
		b->owner = h;
		b->busy = true;
		b->temporary = true;
	}
	return b;
}

static void body_put(void *cls)
{
	struct body *b = cls;
	if (b->temporary) {
		buf_free(&b->buf);
		free(b);
		return;
	}
	pthread_mutex_lock(&b->owner->pool_lock);
	b->busy = false;
	pthread_mutex_unlock(&b->owner->pool_lock);
}

/* --- request handling ----------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* 401 with the challenge RFC 7617 describes; the body is Go's
 * http.StatusText, as exporter-toolkit sends. */
static enum MHD_Result unauthorized(struct MHD_Connection *conn)
{
	static const char text[] = "Unauthorized\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Basic realm=\"hostwatch\"");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return ret;
}

/* hostwatch_http_*: what the access checks refused, since start. */
static void write_access_metrics(struct hw_http *h, struct sink *s)
{
	sink_family(s, "hostwatch_http_auth_failures_total",
		    "HTTP requests refused by basic authentication, by reason.",
		    HW_COUNTER);
	for (int r = HTTP_AUTH_MISSING; r < HTTP_AUTH_N_RESULTS; r++) {
		struct hw_label l = {"reason", http_auth_reason(r)};
		sink_sample(s, &l, 1,
			    (double)__atomic_load_n(&h->auth_failures[r],
						    __ATOMIC_RELAXED));
	}
	sink_family(s, "hostwatch_http_auth_bcrypt_total",
		    "bcrypt computations for basic authentication (the other "
		    "checks were answered from the cache of recent credentials).",
		    HW_COUNTER);
	sink_sample(s, NULL, 0, (double)http_auth_bcrypt_count());
	sink_family(s, "hostwatch_http_requests_denied_total",
		    "Connections refused before any request was read: by the "
		    "allow-list, or a client certificate that did not verify.",
		    HW_COUNTER);
	struct hw_label l = {"reason", "allow_list"};
	sink_sample(s, &l, 1,
		    (double)__atomic_load_n(&h->denied_allow_list,
					    __ATOMIC_RELAXED));
	l.value = "client_cert";
	sink_sample(s, &l, 1, (double)http_tls_client_cert_failures(h->tls));
}

struct filter {
	struct hw_scraper *scraper;
	bool only[HW_MAX_COLLECTORS];
	bool any;
	char error[160];
};

/* collect[]=NAME selects collectors as node_exporter's filtered handler does
 * (node_exporter.go, collector.NewNodeCollector): an unknown or disabled
 * name is a 400 with the same words. */
static enum MHD_Result filter_arg(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	struct filter *f = cls;
	(void)kind;
	if (strcmp(key, "collect[]") != 0 || f->error[0])
		return MHD_YES;
	unsigned idx;
	int rc = scraper_lookup(f->scraper, value ? value : "", &idx);
	if (rc == -ENOENT)
		snprintf(f->error, sizeof(f->error),
			 "Couldn't create filtered metrics handler: missing "
			 "collector: %s\n",
			 value ? value : "");
	else if (rc == -EPERM)
		snprintf(f->error, sizeof(f->error),
			 "Couldn't create filtered metrics handler: disabled "
			 "collector: %s\n",
			 value);
	else {
		f->only[idx] = true;
		f->any = true;
	}
	return MHD_YES;
}

/* Whether Accept-Encoding allows gzip (and does not give it q=0). */
static bool accepts_gzip(const char *ae)
{
	if (!ae)
		return false;
	const char *p = ae;
	while ((p = strstr(p, "gzip"))) {
		const char *q = p + 4;
		while (*q == ' ')
			q++;
		if (*q == ';') {
			const char *qv = strstr(q, "q=");
			const char *end = strchr(q, ',');
			if (qv && (!end || qv < end) && strtod(qv + 2, NULL) == 0)
				return false;
		}
		return true;
	}
	return strstr(ae, "*") != NULL;
}

static enum MHD_Result serve_metrics(struct hw_http *h,
				     struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *ae = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum expo_format format = expo_negotiate(accept);

	struct body *text = body_get(h);
	if (!text)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			     "out of memory\n");

	pthread_rwlock_rdlock(&h->state_lock);
	struct filter f;
	memset(&f, 0, sizeof(f));
	f.scraper = &h->state->scraper;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, filter_arg, &f);
	if (f.error[0]) {
		pthread_rwlock_unlock(&h->state_lock);
		body_put(text);
		return reply(conn, MHD_HTTP_BAD_REQUEST,
			     "text/plain; charset=utf-8", f.error);
	}
	struct expo_writer w;
	expo_init(&w, &text->buf, format);
	scraper_run(&h->state->scraper, f.any ? f.only : NULL, &w.sink);
	/* recorded series and ALERTS: not a collector, so not with collect[] */
	if (!f.any) {
		engine_write_metrics(h->state->engine, &w.sink);
		notifier_write_metrics(__atomic_load_n(&h->state->notifier,
						       __ATOMIC_ACQUIRE),
				       &w.sink);
		/* Only where access control is configured: a plain
		 * exporter publishes nothing node_exporter does not. */
		if (h->tls || h->auth || h->state->cfg.n_allow)
			write_access_metrics(h, &w.sink);
	}
	expo_finish(&w);
	pthread_rwlock_unlock(&h->state_lock);

	struct body *out = text;
	bool gzipped = false;
	if (!text->buf.failed && accepts_gzip(ae)) {
		struct body *z = body_get(h);
		if (z && gzip_compress(&text->buf, &z->buf) == 0) {
			body_put(text);
			out = z;
			gzipped = true;
		} else if (z) {
			body_put(z);
		}
	}
	if (out->buf.failed) {
		body_put(out);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			     "out of memory\n");
	}
	struct MHD_Response *r =
		MHD_create_response_from_buffer_with_free_callback_cls(
			out->buf.len, out->buf.data, body_put, out);
	if (!r) {
		body_put(out);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				expo_content_type(format));
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gzipped)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					"gzip");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* GET /api/v1/alerts, /api/v1/rules[?type=alert|record]. */
static enum MHD_Result serve_api(struct hw_http *h, struct MHD_Connection *conn,
				 const char *url)
{
	const char *type = NULL;
	bool rules = strcmp(url, "/api/v1/rules") == 0;
	if (rules) {
		type = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
						   "type");
		if (type && !*type)
			type = NULL;
		if (type && strcmp(type, "alert") != 0 &&
		    strcmp(type, "record") != 0)
			return reply(conn, MHD_HTTP_BAD_REQUEST,
				     "application/json",
				     "{\"status\":\"error\",\"errorType\":"
				     "\"bad_data\",\"error\":\"unsupported "
				     "type\"}");
	}
	struct body *b = body_get(h);
	if (!b)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			     "out of memory\n");
	pthread_rwlock_rdlock(&h->state_lock);
	int rc = rules ? engine_api_rules(h->state->engine, type, &b->buf)
		       : engine_api_alerts(h->state->engine, &b->buf);
	pthread_rwlock_unlock(&h->state_lock);
	if (rc < 0) {
		body_put(b);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			     "out of memory\n");
	}
	struct MHD_Response *r =
		MHD_create_response_from_buffer_with_free_callback_cls(
			b->buf.len, b->buf.data, body_put, b);
	if (!r) {
		body_put(b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct hw_http *h = cls;
	(void)version;
	(void)upload_data;
	/* The first call only announces the request. Answering then would make
	 * libmicrohttpd close the connection (the request is not complete yet),
	 * costing Prometheus a new TCP connection per scrape; so answer on the
	 * next call, once any body has been read and dropped. */
	if (*con_cls == NULL) {
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* exporter-toolkit protects every path, the landing page and the
	 * health checks too, and says nothing else to a stranger. */
	{
		const char *authz = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		/* h->auth changes with a reload, under the write lock */
		pthread_rwlock_rdlock(&h->state_lock);
		enum http_auth_result ar =
			h->auth ? http_auth_check(h->auth, authz) : HTTP_AUTH_OK;
		pthread_rwlock_unlock(&h->state_lock);
		if (ar != HTTP_AUTH_OK) {
			__atomic_add_fetch(&h->auth_failures[ar], 1,
					   __ATOMIC_RELAXED);
			log_debug("HTTP basic auth refused: %s",
				  http_auth_reason(ar));
			return unauthorized(conn);
		}
	}
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		   strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	const char *telemetry = h->telemetry;
	bool known = strcmp(url, telemetry) == 0 || strcmp(url, "/") == 0 ||
		     strcmp(url, "/-/healthy") == 0 ||
		     strcmp(url, "/-/ready") == 0 ||
		     strcmp(url, "/api/v1/alerts") == 0 ||
		     strcmp(url, "/api/v1/rules") == 0;
	if (!known)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			     "404 page not found\n");
	if (!get)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "text/plain; charset=utf-8",
			     "405 method not allowed\n");
	if (strcmp(url, telemetry) == 0)
		return serve_metrics(h, conn);
	if (strncmp(url, "/api/v1/", 8) == 0)
		return serve_api(h, conn, url);
	if (strcmp(url, "/-/healthy") == 0)
		return reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8",
			     "hostwatch is Healthy.\n");
	if (strcmp(url, "/-/ready") == 0)
		return h->ready ? reply(conn, MHD_HTTP_OK,
					"text/plain; charset=utf-8",
					"hostwatch is Ready.\n")
				: reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
					"text/plain; charset=utf-8",
					"hostwatch is not ready.\n");
	char page[sizeof(landing_page) + 256];
	snprintf(page, sizeof(page), landing_page, telemetry);
	return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", page);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* --- listeners ------------------------------------------------------------ */

/* Split "host:port", "[v6]:port" or ":port". */
static int split_address(const char *addr, char *host, size_t hsize,
			 char *port, size_t psize)
{
	const char *colon;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		snprintf(host, hsize, "%.*s", (int)(end - addr - 1), addr + 1);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		snprintf(host, hsize, "%.*s", (int)(colon - addr), addr);
	}
	snprintf(port, psize, "%s", colon + 1);
	return port[0] ? 0 : -EINVAL;
}

static void describe(int fd, char *dst, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
			port = ntohs(s4->sin_port);
			snprintf(dst, size, "%s:%u", host, port);
			return;
		}
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(dst, size, "[%s]:%u", host, port);
}

/* Bind one listen address. An empty host means every address, v4 and v6, as
 * Go's net.Listen(":9100") does: a dual-stack socket, or IPv4 alone when the
 * host has no IPv6. */
static int bind_address(const char *addr)
{
	char host[256], port[32];
	if (split_address(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		log_error("listen address %s: expected host:port", addr);
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc;
	if (!host[0]) {
		hints.ai_family = AF_INET6;
		rc = getaddrinfo(NULL, port, &hints, &res);
		if (rc != 0 || !res) {
			hints.ai_family = AF_INET;
			rc = getaddrinfo(NULL, port, &hints, &res);
		}
	} else {
		hints.ai_family = AF_UNSPEC;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0) {
		log_error("listen address %s: %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	int err = 0, fd = -1;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1, zero = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		log_error("listen address %s: %s", addr, strerror(err));
		return -err;
	}
	return fd;
}

/* The allow-list, at accept: before TLS or any parsing, the cheapest gate
 * there is. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr,
				     socklen_t addrlen)
{
	struct hw_http *h = cls;
	pthread_rwlock_rdlock(&h->state_lock);
	const struct hw_config *cfg = &h->state->cfg;
	bool ok = netacl_allows(cfg->allow, cfg->n_allow, addr, addrlen);
	pthread_rwlock_unlock(&h->state_lock);
	if (!ok) {
		__atomic_add_fetch(&h->denied_allow_list, 1, __ATOMIC_RELAXED);
		char host[INET6_ADDRSTRLEN] = "?";
		if (addr->sa_family == AF_INET)
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)addr)->sin_addr,
				  host, sizeof(host));
		else if (addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)addr)->sin6_addr,
				  host, sizeof(host));
		log_debug("connection from %s refused: not in [server] allow",
			  host);
	}
	return ok ? MHD_YES : MHD_NO;
}

static void notify_connection(void *cls, struct MHD_Connection *conn,
			      void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct hw_http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		http_tls_connection_started(h->tls, conn, socket_context);
	else
		http_tls_connection_closed(socket_context);
}

/* Each connection is a descriptor. systemd starts services with a soft
 * RLIMIT_NOFILE of 1024 and a hard one of 524288 (systemd.exec(5)
 * LimitNOFILE=, which asks services that need more to raise the soft limit
 * themselves, as this does): raise it so max_connections can be reached,
 * and say so when even the hard limit cannot hold them with a margin for
 * the collectors' own descriptors (kept /proc files, sockets). The number
 * of connections MHD accepts, clamped to what the limit holds. */
#define FD_MARGIN 256
static unsigned connection_limit(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	rlim_t need = (rlim_t)want + FD_MARGIN;
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= need)
		return want;
	unsigned fit = rl.rlim_cur > 2 * FD_MARGIN
			       ? (unsigned)(rl.rlim_cur - FD_MARGIN)
			       : (unsigned)(rl.rlim_cur / 2);
	log_warn("max_connections %u lowered to %u: the open files limit is "
		 "%llu (LimitNOFILE=)",
		 want, fit, (unsigned long long)rl.rlim_cur);
	return fit;
}

/* What one connection may buffer of a request (its line and headers):
 * MHD's default, set here so that an upgrade of the library cannot move
 * the limits the tests check (414 and 431 past it). */
#define CONNECTION_MEMORY 32768

static int start_daemon(struct hw_http *h, int fd, const struct hw_config *cfg)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
		 (void *)(intptr_t)http_tls_cert_callback},
		{MHD_OPTION_HTTPS_PRIORITIES, 0,
		 (void *)http_tls_priorities(h->tls_min_version)},
		{MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_connection, h},
		{MHD_OPTION_END, 0, NULL},
	};
	if (h->tls)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, accept_policy, h, handle, h,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		connection_limit(cfg->max_connections),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		cfg->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
		cfg->connection_timeout, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!d) {
		log_error("could not start the HTTP server");
		return -EIO;
	}
	h->daemons[h->n_daemons++] = d;
	char where[128];
	describe(fd, where, sizeof(where));
	size_t used = strlen(h->addresses);
	snprintf(h->addresses + used, sizeof(h->addresses) - used, "%s%s",
		 used ? " " : "", where);
	log_info("Listening on address=%s", where);
	/* exporter-toolkit's line (web/tls_config.go) */
	log_info("TLS is %s. http2=false address=%s",
		 h->tls ? "enabled" : "disabled", where);
	return 0;
}

/* Secrets (basic_auth_user hashes) in a configuration file every user may
 * read: worth a line at start and reload, not a refusal. */
static void warn_secrets(const struct hw_config *cfg)
{
	struct stat st;
	if (cfg->file && cfg->secrets_in_file && stat(cfg->file, &st) == 0 &&
	    (st.st_mode & S_IROTH))
		log_warn("%s holds basic_auth_user password hashes and is "
			 "readable by every user: run chmod 640 %s and chown "
			 "root:hostwatch %s",
			 cfg->file, cfg->file, cfg->file);
	if (cfg->n_basic_auth_users && !http_tls_wanted(cfg))
		log_warn("basic_auth_user without TLS: passwords cross the "
			 "network in clear text; set tls_cert_file and "
			 "tls_key_file");
}

static int access_start(struct hw_http *h, const struct hw_config *cfg)
{
	char why[600];
	int rc;
	warn_secrets(cfg);
	h->tls_min_version = cfg->tls_min_version;
	if (http_tls_wanted(cfg) &&
	    (rc = http_tls_new(&h->tls, cfg, why, sizeof(why))) < 0) {
		log_error("%s", rc == -ENOMEM ? "TLS: out of memory" : why);
		return rc;
	}
	rc = http_auth_new(&h->auth, cfg->basic_auth_users,
			   cfg->n_basic_auth_users);
	if (rc < 0)
		log_error("basic auth: %s", strerror(-rc));
	return rc;
}

/* A reload: the TLS files read again and the users replaced. What the
 * listeners were started with (TLS or not, the minimum version) stays. */
static void access_reload(struct hw_http *h, const struct hw_config *cfg)
{
	char why[600];
	warn_secrets(cfg);
	if (!h->tls != !http_tls_wanted(cfg))
		log_warn("[server] %s TLS: that takes a restart",
			 h->tls ? "tls_cert_file unset disables"
				: "tls_cert_file set enables");
	else if (h->tls && h->tls_min_version != cfg->tls_min_version)
		log_warn("[server] tls_min_version changed: that takes a "
			 "restart");
	if (h->tls && http_tls_wanted(cfg)) {
		int rc = http_tls_reload(h->tls, cfg, why, sizeof(why));
		if (rc < 0)
			log_error("TLS files not reloaded, the previous ones "
				  "stay in use: %s",
				  rc == -ENOMEM ? "out of memory" : why);
	}
	struct http_auth *a;
	if (http_auth_new(&a, cfg->basic_auth_users,
			  cfg->n_basic_auth_users) < 0) {
		log_error("basic auth: out of memory; the previous users stay");
		return;
	}
	http_auth_free(h->auth);
	h->auth = a;
}

int http_start(struct hw_http **out, struct hw_state *state)
{
	const struct hw_config *cfg = &state->cfg;
	struct hw_http *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_rwlock_init(&h->state_lock, NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	for (unsigned i = 0; i < POOL_SIZE; i++)
		h->pool[i].owner = h;
	h->state = state;
	snprintf(h->telemetry, sizeof(h->telemetry), "%s", cfg->telemetry_path);

	int rc = access_start(h, cfg);
	if (rc < 0)
		goto fail;
	int n = systemd_listen_fds();
	if (n < 0) {
		log_error("socket activation: %s", strerror(-n));
		rc = n;
		goto fail;
	}
	if (n == 0 && cfg->systemd_socket) {
		log_error("systemd_socket is set but systemd passed no socket");
		rc = -EINVAL;
		goto fail;
	}
	if (n > 0) {
		for (int i = 0; i < n && i < MAX_DAEMONS; i++) {
			int fd = SYSTEMD_LISTEN_FDS_START + i;
			if (systemd_is_listening_stream(fd) <= 0) {
				log_error("socket activation: fd %d is not a "
					  "listening stream socket",
					  fd);
				rc = -EINVAL;
				goto fail;
			}
			if ((rc = start_daemon(h, fd, cfg)) < 0)
				goto fail;
		}
	} else {
		for (unsigned i = 0; i < cfg->n_listen; i++) {
			int fd = bind_address(cfg->listen[i]);
			if (fd < 0) {
				rc = fd;
				goto fail;
			}
			if ((rc = start_daemon(h, fd, cfg)) < 0) {
				close(fd);
				goto fail;
			}
		}
	}
	h->ready = true;
	*out = h;
	return 0;
fail:
	http_stop(h);
	return rc;
}

struct hw_state *http_swap_state(struct hw_http *h, struct hw_state *state)
{
	pthread_rwlock_wrlock(&h->state_lock);
	struct hw_state *old = h->state;
	h->state = state;
	access_reload(h, &state->cfg);
	pthread_rwlock_unlock(&h->state_lock);
	return old;
}

void http_set_ready(struct hw_http *h, bool ready)
{
	h->ready = ready;
}

const char *http_addresses(const struct hw_http *h)
{
	return h->addresses;
}

void http_stop(struct hw_http *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n_daemons; i++) {
		/* MHD does not close a socket passed with LISTEN_SOCKET. */
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(
			h->daemons[i], MHD_DAEMON_INFO_LISTEN_FD);
		int fd = info ? info->listen_fd : -1;
		MHD_stop_daemon(h->daemons[i]);
		if (fd >= 0)
			close(fd);
	}
	/* every connection has closed with its daemon */
	http_tls_free(h->tls);
	http_auth_free(h->auth);
	for (unsigned i = 0; i < POOL_SIZE; i++)
		buf_free(&h->pool[i].buf);
	pthread_mutex_destroy(&h->pool_lock);
	pthread_rwlock_destroy(&h->state_lock);
	free(h);
}
