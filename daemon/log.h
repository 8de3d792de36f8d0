/*
 * log: the daemon's one way to say something (ntpd log.h vocabulary).
 *
 * Lines go to stderr with an sd-daemon priority prefix ("<3>" error, "<4>"
 * warning, "<6>" info, "<7>" debug) so journald files them at the right level.
 * log_warn() appends strerror(errno); log_warnx() does not. fatal()/fatalx()
 * log at error level and exit(1): for start-up only. The level and the
 * timestamp switch are the daemon's only file-scope mutable state.
 */
#ifndef TF_DAEMON_LOG_H
#define TF_DAEMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Sets the most verbose level that is printed (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warning", "info", "debug"; returns the level or -EINVAL. */
int log_level_from_string(const char *s);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
