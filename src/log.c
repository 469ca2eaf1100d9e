/* Logging to stderr in logfmt, with the sd-daemon(3) "<N>" priority prefix
 * when stderr is the journal, so `journalctl -p warning` filters correctly. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hostwatch/log.h"

static enum hw_log_level current_level = HW_LOG_INFO;
static int to_journal = -1; /* -1: not decided yet */

int log_parse_level(const char *s, enum hw_log_level *out)
{
	static const struct {
		const char *name;
		enum hw_log_level level;
	} levels[] = {
		{"debug", HW_LOG_DEBUG},
		{"info", HW_LOG_INFO},
		{"warn", HW_LOG_WARN},
		{"error", HW_LOG_ERROR},
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	return -EINVAL;
}

void log_set_level(enum hw_log_level level)
{
	current_level = level;
}

enum hw_log_level log_get_level(void)
{
	return current_level;
}

/* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; only then is the <N> prefix understood (systemd.exec(5)). */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

static const char *level_name(enum hw_log_level level)
{
	switch (level) {
	case HW_LOG_ERROR:
		return "error";
	case HW_LOG_WARN:
		return "warn";
	case HW_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_msg(enum hw_log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	if (to_journal < 0)
		to_journal = stderr_is_journal();
	char line[1024];
	size_t n = 0;
	if (to_journal) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>level=%s msg=\"",
				     (int)level, level_name(level));
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      ".%03ldZ level=%s msg=\"",
				      ts.tv_nsec / 1000000, level_name(level));
	}
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Quote the message as logfmt wants: escape quotes, backslashes and
	 * newlines so one event stays one line. */
	for (const char *p = msg; *p && n + 3 < sizeof(line); p++) {
		if (*p == '"' || *p == '\\') {
			line[n++] = '\\';
			line[n++] = *p;
		} else if (*p == '\n') {
			line[n++] = '\\';
			line[n++] = 'n';
		} else {
			line[n++] = *p;
		}
	}
	line[n++] = '"';
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}
