/* systemd service protocols: see include/hostwatch/systemd.h. Behaviour
 * follows libsystemd's sd-daemon.c for the same variables. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostwatch/systemd.h"

int systemd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	/* A path, or an abstract socket written with a leading '@'. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      len + (path[0] == '/'));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
			   (struct sockaddr *)&sa, salen);
	int rc = n < 0 ? -errno : 1;
	close(fd);
	return rc;
}

int systemd_notifyf(const char *fmt, ...)
{
	char state[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	return systemd_notify(state);
}

/* The variable names a PID, and only that process is meant (sd-daemon.c). */
static int pid_matches(const char *var)
{
	const char *s = getenv(var);
	if (!s)
		return -1;
	char *end;
	errno = 0;
	unsigned long pid = strtoul(s, &end, 10);
	return errno == 0 && *s && *end == '\0' && pid == (unsigned long)getpid();
}

int systemd_listen_fds(void)
{
	int n = 0;
	if (pid_matches("LISTEN_PID") == 1) {
		const char *s = getenv("LISTEN_FDS");
		char *end;
		long v = s ? strtol(s, &end, 10) : 0;
		if (s && *s && *end == '\0' && v > 0 && v < 4096)
			n = (int)v;
	}
	for (int fd = SYSTEMD_LISTEN_FDS_START;
	     fd < SYSTEMD_LISTEN_FDS_START + n; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

int systemd_is_listening_stream(int fd)
{
	int type = 0, listening = 0;
	socklen_t l = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return -errno;
	l = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) < 0)
		return -errno;
	return type == SOCK_STREAM && listening;
}

uint64_t systemd_watchdog_usec(void)
{
	/* WATCHDOG_PID is optional; when set it must be us. */
	if (pid_matches("WATCHDOG_PID") == 0)
		return 0;
	const char *s = getenv("WATCHDOG_USEC");
	if (!s || !*s)
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return 0;
	return (uint64_t)v;
}
