/*
 * sdnotify: the systemd notification protocol (sd_notify(3)). READY=1 once we
 * serve, STATUS= lines, STOPPING=1 on shutdown, and WATCHDOG=1 from a uv timer
 * at half of $WATCHDOG_USEC. Without $NOTIFY_SOCKET every call is a no-op.
 */
#ifndef TF_DAEMON_SDNOTIFY_H
#define TF_DAEMON_SDNOTIFY_H

#include <uv.h>

struct sdnotify;

/* Starts the watchdog timer if systemd asked for one. Returns 0 or -ENOMEM. */
int sdnotify_new(uv_loop_t *loop, struct sdnotify **ret);
/* Stops the timer; the memory goes in its close callback. Accepts NULL. */
void sdnotify_free(struct sdnotify *n);

void sdnotify_ready(struct sdnotify *n, const char *status);
void sdnotify_status(struct sdnotify *n, const char *status);
void sdnotify_reloading(struct sdnotify *n);
void sdnotify_stopping(struct sdnotify *n);
/* Watchdog interval in microseconds; 0 = none. */
uint64_t sdnotify_watchdog_usec(const struct sdnotify *n);

#endif
