/* hostwatch: start-up, flags, signals, the main loop, sd_notify and reload.
 *
 * The main thread waits for signals (signalfd), the watchdog timer and the
 * rule engine's tick (timerfds), and runs the ticks. Scrapes run in
 * libmicrohttpd's threads. */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/collector.h"
#include "hostwatch/clock.h"
#include "hostwatch/config.h"
#include "hostwatch/engine.h"
#include "hostwatch/gzip.h"
#include "hostwatch/http.h"
#include "hostwatch/log.h"
#include "hostwatch/notify.h"
#include "hostwatch/systemd.h"
#include "hostwatch/testrules.h"

#ifndef HW_REVISION
#define HW_REVISION "unknown"
#endif

/* Load the configuration from argv and build the collectors for it.
 * On failure the reason has been written to err (configuration) or logged
 * (a collector refusing its options). */
static int state_new(struct hw_state **out, struct hw_cli *cli, int argc,
		     char **argv, FILE *err)
{
	struct hw_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = config_load(&st->cfg, cli, argc, argv, err);
	if (rc < 0)
		goto fail_cfg;
	if (cli->help || cli->version || cli->check_config) {
		*out = st;
		return 0;
	}
	log_set_level(st->cfg.log_level);
	rc = scraper_init(&st->scraper, &st->cfg);
	if (rc < 0)
		goto fail;
	rc = engine_new(&st->engine, &st->cfg);
	if (rc < 0) {
		scraper_fini(&st->scraper);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	config_free(&st->cfg);
fail_cfg:
	free(st);
	return rc;
}

static void state_free(struct hw_state *st)
{
	if (!st)
		return;
	notifier_free(st->notifier);
	engine_free(st->engine);
	scraper_fini(&st->scraper);
	config_free(&st->cfg);
	free(st);
}

static bool same_server(const struct hw_config *a, const struct hw_config *b)
{
	if (a->n_listen != b->n_listen ||
	    strcmp(a->telemetry_path, b->telemetry_path) != 0 ||
	    a->max_connections != b->max_connections ||
	    a->max_connections_per_ip != b->max_connections_per_ip ||
	    a->connection_timeout != b->connection_timeout ||
	    a->systemd_socket != b->systemd_socket)
		return false;
	for (unsigned i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return false;
	return true;
}

/* Notifications for a state in use: after the previous state's notifier
 * has stopped, as both would work on the same spool. A notifier that
 * cannot start (the state directory unwritable) is logged; metrics and
 * alert evaluation go on without it. */
static void start_notifier(struct hw_state *st)
{
	if (!st->engine && !st->cfg.nchannels)
		return; /* the spool of configured channels still goes out */
	struct hw_notifier *n;
	if (notifier_new(&n, &st->cfg) < 0 || !n)
		return;
	__atomic_store_n(&st->notifier, n, __ATOMIC_RELEASE);
	engine_set_notifier(st->engine, n,
			    (int64_t)(st->cfg.resend_delay * 1000));
}

/* SIGHUP: build everything anew from the same flags and file. Any error
 * keeps the running configuration, logged, as the issue and every
 * well-behaved daemon do. */
static void reload(struct hw_http *http, struct hw_state **current, int argc,
		   char **argv)
{
	systemd_notify("RELOADING=1\nSTATUS=Reloading configuration");
	char *msg = NULL;
	size_t msglen = 0;
	FILE *err = open_memstream(&msg, &msglen);
	struct hw_cli cli;
	struct hw_state *fresh = NULL;
	enum hw_log_level before = log_get_level();
	int rc = state_new(&fresh, &cli, argc, argv, err ? err : stderr);
	if (err)
		fclose(err);
	if (rc < 0) {
		log_set_level(before);
		if (msg && msglen && msg[msglen - 1] == '\n')
			msg[msglen - 1] = '\0';
		log_error("reload failed, keeping the running configuration: %s",
			  msg && *msg ? msg : strerror(-rc));
		systemd_notifyf("READY=1\nSTATUS=Reload failed, running the previous "
			      "configuration; serving on %s",
			   http_addresses(http));
		free(msg);
		return;
	}
	free(msg);
	if (!same_server(&(*current)->cfg, &fresh->cfg))
		log_warn("[server] settings changed: they take effect on restart");
	struct hw_state *old = http_swap_state(http, fresh);
	*current = fresh;
	/* no scrape reads the old state any more: its rules' states and
	 * history go to the new engine */
	engine_adopt(fresh->engine, old->engine);
	if (fresh->engine && !old->engine)
		engine_restore(fresh->engine, clock_engine_ms());
	state_free(old);
	start_notifier(fresh);
	log_info("configuration reloaded");
	systemd_notifyf("READY=1\nSTATUS=Serving metrics on %s",
		   http_addresses(http));
}

/* The rule engine's tick: every interval, the first one at once. Disarmed
 * without rules. */
static void arm_tick(int fd, const struct hw_engine *e)
{
	int64_t ms = engine_interval_ms(e);
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (ms > 0) {
		its.it_interval.tv_sec = (time_t)(ms / 1000);
		its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000;
		its.it_value.tv_nsec = 1;
	}
	timerfd_settime(fd, 0, &its, NULL);
}

static int run(struct hw_state *state, int argc, char **argv)
{
	/* Block the signals we handle before any thread exists, so that the
	 * libmicrohttpd threads inherit the mask and signalfd gets them all. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		state_free(state);
		return 1;
	}

	struct hw_http *http;
	if (http_start(&http, state) < 0) {
		close(sfd);
		/* collectors' threads (the Docker inventory's) stop before
		 * exit() runs the libraries' destructors under them */
		state_free(state);
		return 1;
	}

	/* Ping the watchdog at half its interval, as sd_watchdog_enabled(3)
	 * recommends. */
	int tfd = -1;
	uint64_t wd_usec = systemd_watchdog_usec();
	if (wd_usec > 0) {
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		uint64_t half = wd_usec / 2;
		struct itimerspec its = {
			.it_interval = {(time_t)(half / 1000000),
					(long)(half % 1000000) * 1000},
			.it_value = {(time_t)(half / 1000000),
				     (long)(half % 1000000) * 1000},
		};
		if (tfd >= 0)
			timerfd_settime(tfd, 0, &its, NULL);
	}

	unsigned enabled = 0;
	for (unsigned i = 0; i < hw_collectors_count; i++)
		if (state->cfg.enabled[i]) {
			log_info("Enabled collector collector=%s",
				 hw_collectors[i]->name);
			enabled++;
		}
	log_info("hostwatch %s started: %u collectors, serving on %s",
		 PACKAGE_VERSION, enabled, http_addresses(http));
	systemd_notifyf("READY=1\nSTATUS=Serving metrics on %s",
		   http_addresses(http));

	int efd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (efd < 0)
		log_error("timerfd: %s: rules are not evaluated", strerror(errno));
	engine_restore(state->engine, clock_engine_ms());
	start_notifier(state);
	if (efd >= 0)
		arm_tick(efd, state->engine);

	bool running = true;
	while (running) {
		struct pollfd pfd[3] = {
			{sfd, POLLIN, 0}, {efd, POLLIN, 0}, {tfd, POLLIN, 0}};
		int n = poll(pfd, 3, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (efd >= 0 && (pfd[1].revents & POLLIN)) {
			uint64_t ticks;
			if (read(efd, &ticks, sizeof(ticks)) > 0)
				engine_tick(state->engine, &state->scraper,
					    clock_engine_ms());
		}
		if (tfd >= 0 && (pfd[2].revents & POLLIN)) {
			uint64_t ticks;
			if (read(tfd, &ticks, sizeof(ticks)) > 0)
				systemd_notify("WATCHDOG=1");
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				int64_t before = engine_interval_ms(state->engine);
				reload(http, &state, argc, argv);
				if (efd >= 0 &&
				    engine_interval_ms(state->engine) != before)
					arm_tick(efd, state->engine);
			} else {
				log_info("received %s, shutting down",
					 strsignal((int)si.ssi_signo));
				running = false;
			}
		}
	}
	systemd_notify("STOPPING=1\nSTATUS=Shutting down");
	http_set_ready(http, false);
	http_stop(http);
	state_free(state);
	if (tfd >= 0)
		close(tfd);
	if (efd >= 0)
		close(efd);
	close(sfd);
	return 0;
}

int main(int argc, char **argv)
{
	/* One malloc arena: the HTTP thread would otherwise get its own, and
	 * its touched pages (~250 KB) are a quarter of our private memory for
	 * no gain at one scrape at a time. */
	mallopt(M_ARENA_MAX, 1);

	/* `hostwatch test-rules FILE...`: promtool's rule unit tests. */
	if (argc > 1 && strcmp(argv[1], "test-rules") == 0)
		return testrules_main(argc - 1, argv + 1);

	struct hw_cli cli;
	struct hw_state *state = NULL;
	int rc = state_new(&state, &cli, argc, argv, stderr);
	if (rc == -EINVAL) {
		/* config_load already said FILE:LINE: what is wrong. */
		return HW_EXIT_CONFIG;
	}
	if (rc < 0) {
		fprintf(stderr, "hostwatch: %s\n", strerror(-rc));
		return 1;
	}
	if (cli.help) {
		config_usage(stdout);
		config_free(&state->cfg);
		free(state);
		return 0;
	}
	if (cli.version) {
		printf("hostwatch, version %s (revision: %s)\n", PACKAGE_VERSION,
		       HW_REVISION);
		printf("  gzip: %s\n", gzip_engine_name(gzip_default_engine()));
		config_free(&state->cfg);
		free(state);
		return 0;
	}
	if (cli.check_config) {
		/* Collectors validate their own options in init: run them. */
		struct hw_scraper s;
		rc = scraper_init(&s, &state->cfg);
		if (rc == 0)
			scraper_fini(&s);
		if (rc == 0)
			printf("%s: configuration is valid\n",
			       state->cfg.file ? state->cfg.file
					       : "(built-in defaults)");
		config_free(&state->cfg);
		free(state);
		return rc == 0 ? 0 : HW_EXIT_CONFIG;
	}
	return run(state, argc, argv);
}
