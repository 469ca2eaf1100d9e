/* The floor served the way a scrape is (for the bench floor programs): one pass of
 * the floor for each HTTP request, on one keep-alive connection at a time,
 * answered with a 3-byte body. The bench scrapes it with the same client,
 * at the same pace, as hostwatch: between two passes its thread sleeps as
 * the daemon's does (on a VM an idle vCPU lends its core and caches to other
 * guests), which a tight loop never does. What it adds to the bare passes,
 * reading a request and writing a response, is a few microseconds.
 *
 *   floor_serve(pass, arg): listens on 127.0.0.1, an ephemeral port, prints
 *   "port N" on stdout, and serves until killed. */
#ifndef BENCH_FLOOR_SERVE_H
#define BENCH_FLOOR_SERVE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int floor_serve(void (*pass)(void *), void *arg)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 4) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
		perror("floor_serve");
		return 1;
	}
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);
	static const char reply[] = "HTTP/1.1 200 OK\r\n"
				    "Content-Type: text/plain\r\n"
				    "Content-Length: 3\r\n\r\nok\n";
	char req[8192];
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		size_t have = 0;
		for (;;) {
			ssize_t n = read(c, req + have, sizeof(req) - 1 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			req[have] = '\0';
			/* requests carry no body: each ends at a blank line */
			char *end;
			while ((end = strstr(req, "\r\n\r\n"))) {
				pass(arg);
				if (write(c, reply, sizeof(reply) - 1) < 0)
					break;
				end += 4;
				have -= (size_t)(end - req);
				memmove(req, end, have + 1);
			}
			if (have == sizeof(req) - 1)
				break; /* not HTTP */
		}
		close(c);
	}
}

#endif
