/* The HTTP side: libmicrohttpd daemons (one internal epoll thread per listen
 * socket, never thread-per-connection) serving /metrics, /, /-/healthy and
 * /-/ready, with the connection limits and timeout from [server].
 *
 * What a scrape needs (configuration + collectors) is a struct hw_state that
 * main swaps on SIGHUP; requests hold a read lock on it only while they run
 * the collectors, never while sending. */
#ifndef HOSTWATCH_HTTP_H
#define HOSTWATCH_HTTP_H

#include <pthread.h>
#include <stdbool.h>

#include "hostwatch/config.h"
#include "hostwatch/scrape.h"

struct hw_engine;
struct hw_notifier;

struct hw_state {
	struct hw_config cfg;
	struct hw_scraper scraper;
	struct hw_engine *engine; /* the rule engine; NULL without rules */
	/* Notifications: started by main once the state is in use (a reload
	 * stops the old state's first: both would share the spool), so
	 * read with __atomic_load_n. NULL: none. */
	struct hw_notifier *notifier;
};

struct hw_http;

/* Listen as cfg says, or on the sockets systemd passed (LISTEN_FDS) when
 * there are any or [server] systemd_socket is set. Logs each bound address
 * (useful with port 0). 0 or -errno, with the reason logged. */
int http_start(struct hw_http **out, struct hw_state *state);
/* Replace the state scrapes use; returns the old one for the caller to free
 * once no request uses it (this waits for running scrapes). */
struct hw_state *http_swap_state(struct hw_http *h, struct hw_state *state);
/* Report not ready on /-/ready (shutting down). */
void http_set_ready(struct hw_http *h, bool ready);
/* Stop every daemon; waits for their threads. */
void http_stop(struct hw_http *h);
/* The addresses bound, "127.0.0.1:9100 [::1]:9100", for STATUS=. */
const char *http_addresses(const struct hw_http *h);

#endif
