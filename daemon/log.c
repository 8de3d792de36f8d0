/*
 * log: sd-daemon prefixed lines on stderr. See log.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* The only mutable file-scope state in the daemon besides main.c (STYLE.md 3.3). */
static enum log_level log_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_from_string(const char *s)
{
	if (strcasecmp(s, "error") == 0 || strcasecmp(s, "err") == 0)
		return LOG_LEVEL_ERR;
	if (strcasecmp(s, "warning") == 0 || strcasecmp(s, "warn") == 0)
		return LOG_LEVEL_WARNING;
	if (strcasecmp(s, "info") == 0)
		return LOG_LEVEL_INFO;
	if (strcasecmp(s, "debug") == 0)
		return LOG_LEVEL_DEBUG;
	return -EINVAL;
}

/*
 * Formats one line into a buffer first so it reaches stderr in a single write
 * and lines from a crashing process are never interleaved mid-line.
 */
static void
log_vline(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char buf[1024];
	int n, m;

	if (level > log_level)
		return;
	n = snprintf(buf, sizeof(buf), "<%d>", (int)level);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	if (errnum != 0) {
		m = snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(errnum));
		if (m > 0)
			n += m;
		if ((size_t)n > sizeof(buf) - 2)
			n = (int)sizeof(buf) - 2;
	}
	buf[n++] = '\n';
	fwrite(buf, 1, (size_t)n, stderr);
}

#define LOG_BODY(level, errnum)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vline((level), (errnum), fmt, ap);                                             \
		va_end(ap);                                                                        \
	} while (0)

void
log_err(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERR, 0);
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LEVEL_WARNING, e);
	errno = e;
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LEVEL_ERR, e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERR, 0);
	exit(1);
}
