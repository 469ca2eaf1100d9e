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
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "hostwatch/expo.h"
#include "hostwatch/gzip.h"
#include "hostwatch/engine.h"
#include "hostwatch/notify.h"
#include "hostwatch/http.h"
#include "hostwatch/log.h"
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

static int start_daemon(struct hw_http *h, int fd, const struct hw_config *cfg)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		cfg->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
		cfg->connection_timeout, MHD_OPTION_END);
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
	return 0;
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

	int rc = 0;
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
	for (unsigned i = 0; i < POOL_SIZE; i++)
		buf_free(&h->pool[i].buf);
	pthread_mutex_destroy(&h->pool_lock);
	pthread_rwlock_destroy(&h->state_lock);
	free(h);
}
