/* systemd's service protocols, spoken directly: readiness and status
 * notification (NOTIFY_SOCKET), socket activation (LISTEN_FDS, LISTEN_PID)
 * and the watchdog (WATCHDOG_USEC, WATCHDOG_PID).
 *
 * These are stable, documented interfaces (sd_notify(3), sd_listen_fds(3),
 * systemd.io "Socket Activation" / "Service notification"). Implementing them
 * here instead of linking libsystemd saves ~1 MB of resident memory: linking
 * libsystemd maps it together with libgcrypt, liblzma, libzstd and liblz4
 * before main() runs (see README, Memory). */
#ifndef HOSTWATCH_SYSTEMD_H
#define HOSTWATCH_SYSTEMD_H

#include <stdint.h>

#define SYSTEMD_LISTEN_FDS_START 3

/* Send a state string ("READY=1\nSTATUS=...") to the service manager.
 * 1 when sent, 0 when not running under a manager (no NOTIFY_SOCKET),
 * -errno on failure. Never blocks for long: the socket is a datagram one. */
int systemd_notify(const char *state);
int systemd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Number of sockets passed by socket activation (starting at fd 3), 0 when
 * none were passed to this process. The variables are removed from the
 * environment so children do not inherit them. */
int systemd_listen_fds(void);

/* 1 when fd is a listening stream socket, 0 when not, -errno on error. */
int systemd_is_listening_stream(int fd);

/* The watchdog interval in microseconds when the manager expects pings from
 * this process, else 0. */
uint64_t systemd_watchdog_usec(void);

#endif
