/* Logging: one line per event on stderr in logfmt, which journald stores as
 * MESSAGE when we run under systemd; the <N> prefix that sd-daemon(3)
 * describes gives journald the priority. */
#ifndef HOSTWATCH_LOG_H
#define HOSTWATCH_LOG_H

enum hw_log_level {
	HW_LOG_ERROR = 3,
	HW_LOG_WARN = 4,
	HW_LOG_INFO = 6,
	HW_LOG_DEBUG = 7,
};

/* Parse "debug", "info", "warn", "error"; -EINVAL otherwise. */
int log_parse_level(const char *s, enum hw_log_level *out);
void log_set_level(enum hw_log_level level);
enum hw_log_level log_get_level(void);
void log_msg(enum hw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(HW_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(HW_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(HW_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(HW_LOG_DEBUG, __VA_ARGS__)

#endif
