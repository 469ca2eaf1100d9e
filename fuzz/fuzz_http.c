/* The HTTP side: the fuzzer's bytes are one client's request, sent to the
 * real server (http_start: libmicrohttpd and http.c's routing, collect[]
 * filter, Accept and Accept-Encoding negotiation, gzip) listening on
 * 127.0.0.1 on a port of its own; the client then closes its side and
 * reads the answer to the end. The same bytes also go straight to the
 * exported pieces that see request data: expo_negotiate (Accept) and
 * scraper_lookup (a collect[] name).
 *
 * The scrape runs the loadavg collector on a scratch procfs, so that a
 * /metrics answer is real but cheap. Every other collector is off.
 *
 * Seeds: fuzz/corpus/fuzz_http/ (requests for every route, collect[],
 * both formats, gzip). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>

#include "hostwatch/expo.h"
#include "hostwatch/http.h"

#include "fuzz_util.h"

static struct hw_state state;
static struct hw_http *http;
static struct sockaddr_in addr;

static void fini(void)
{
	if (http)
		http_stop(http);
	scraper_fini(&state.scraper);
	config_free(&state.cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	char p[1024];
	static const char load[] = "0.20 0.18 0.12 1/80 11206\n";
	fz_write("proc/loadavg", load, sizeof(load) - 1);
	struct hw_config *cfg = &state.cfg;
	config_defaults(cfg);
	free(cfg->listen[0]);
	cfg->listen[0] = strdup("127.0.0.1:0");
	free(cfg->procfs);
	cfg->procfs = strdup(fz_path(p, sizeof(p), "proc"));
	for (unsigned i = 0; i < HW_MAX_COLLECTORS; i++)
		cfg->enabled[i] = false;
	int li = collector_index("loadavg");
	if (li < 0 || !cfg->listen[0] || !cfg->procfs)
		abort();
	cfg->enabled[li] = true;
	if (scraper_init(&state.scraper, cfg) < 0 ||
	    http_start(&http, &state) < 0) {
		fprintf(stderr, "fuzz_http: cannot start the server\n");
		abort();
	}
	/* "127.0.0.1:PORT" */
	const char *a = http_addresses(http);
	const char *colon = strrchr(a, ':');
	if (!colon)
		abort();
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(colon + 1));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	atexit(fini);
	return 0;
}

/* Whether buf (len bytes) holds a whole answer: its header, and as many
 * body bytes as Content-Length says (none for HEAD). libmicrohttpd keeps
 * an HTTP/1.1 connection open after answering even when our side is shut,
 * so waiting for it to close would cost the poll's timeout every time. */
static bool answered(const char *buf, size_t len, bool head)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end)
		return false;
	size_t hlen = (size_t)(end - buf) + 4;
	if (head)
		return true;
	for (const char *l = buf; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end + 2 - l));
		if (!nl)
			break;
		if (strncasecmp(l, "Content-Length:", 15) == 0)
			return len >= hlen + strtoul(l + 15, NULL, 10);
		l = nl + 1;
	}
	return false;
}

/* libFuzzer's -timeout watchdog is a SIGALRM without SA_RESTART: a
 * blocking connect() it interrupts fails with EINTR while the handshake
 * goes on (CI saw it once in 30 s). Wait for that handshake; true when it
 * completed. */
static bool connect_interrupted(int fd)
{
	if (errno != EINTR)
		return false;
	for (;;) {
		struct pollfd pfd = {fd, POLLOUT, 0};
		int n = poll(&pfd, 1, 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return false;
		errno = err;
		return err == 0;
	}
}

/* Send, close our side, read the answer: 200 ms at most without one (a
 * loadavg-only scrape takes a few; a request whose body never comes, none). */
static void exchange(const uint8_t *data, size_t size)
{
	int fd = -1;
	/* A loopback connect can also fail for a moment (EADDRNOTAVAIL while
	 * ports wait in TIME_WAIT, a full backlog): try again, for half a
	 * second in all; a server that stays unreachable is a failure. */
	for (int tries = 0; fd < 0; tries++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			abort();
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 ||
		    connect_interrupted(fd))
			break;
		if (tries == 50) {
			perror("fuzz_http: connect");
			abort();
		}
		close(fd);
		fd = -1;
		poll(NULL, 0, 10);
	}
	/* Close with a reset: at thousands of connections a second, our
	 * side's TIME_WAITs would use up the ephemeral ports within a minute
	 * (connect: EADDRNOTAVAIL, seen at 255,000 runs). */
	struct linger lg = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	size_t off = 0;
	while (off < size) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server may answer and close early (413) */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	bool head = size >= 5 && memcmp(data, "HEAD ", 5) == 0;
	/* A request without its blank line gets no answer (libmicrohttpd
	 * waits for the rest until its timeout, even after our FIN): give it
	 * 2 ms to read what there is (loopback: it is there at once), not the
	 * 200 ms an answer may take. */
	bool whole = memmem(data, size, "\n\r\n", 3) || memmem(data, size, "\n\n", 2);
	static char buf[1 << 20];
	size_t len = 0;
	while (len < sizeof(buf) && !answered(buf, len, head)) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, whole ? 200 : 2) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_cstr(data, size);
	expo_negotiate(s);
	unsigned idx;
	scraper_lookup(&state.scraper, s, &idx);
	free(s);
	exchange(data, size);
	return 0;
}
