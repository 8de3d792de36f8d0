/*
 * sdnotify: sd_notify over libsystemd, the watchdog on the loop. See sdnotify.h.
 *
 * The watchdog is kicked from a loop timer on purpose: if the loop stalls (a
 * callback that blocks), the kicks stop and systemd restarts us.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "sdnotify.h"

struct sdnotify {
	uv_timer_t timer;
	uint64_t watchdog_usec;
};

static void
sdnotify_kick(uv_timer_t *t)
{
	(void)t;
	(void)sd_notify(0, "WATCHDOG=1");
}

int
sdnotify_new(uv_loop_t *loop, struct sdnotify **ret)
{
	struct sdnotify *n;
	uint64_t usec = 0;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -ENOMEM;
	uv_timer_init(loop, &n->timer);
	n->timer.data = n;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		uint64_t ms = usec / 2000; /* half the interval, in ms */

		n->watchdog_usec = usec;
		uv_timer_start(&n->timer, sdnotify_kick, ms ? ms : 1, ms ? ms : 1);
	}
	*ret = n;
	return 0;
}

static void
sdnotify_closed(uv_handle_t *h)
{
	free(h->data);
}

void
sdnotify_free(struct sdnotify *n)
{
	if (n == NULL)
		return;
	uv_close((uv_handle_t *)&n->timer, sdnotify_closed);
}

void
sdnotify_ready(struct sdnotify *n, const char *status)
{
	(void)n;
	(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
sdnotify_status(struct sdnotify *n, const char *status)
{
	(void)n;
	(void)sd_notifyf(0, "STATUS=%s", status);
}

void
sdnotify_reloading(struct sdnotify *n)
{
	(void)n;
	(void)sd_notify(0, "RELOADING=1");
}

void
sdnotify_stopping(struct sdnotify *n)
{
	(void)n;
	(void)sd_notify(0, "STOPPING=1");
}

uint64_t
sdnotify_watchdog_usec(const struct sdnotify *n)
{
	return n->watchdog_usec;
}
