/*
 * The replay window: highest accepted counter plus a bitmap of the 64 counters below
 * it (see replay.h for the exact rules). Pure integer arithmetic, no state of its own.
 */
#include <stddef.h>

#include "wire/replay.h"
#include "wire/wire.h"

void
wire_replay_init(struct wire_replay *w)
{
	if (w == NULL)
		return;
	w->highest = 0;
	w->bitmap = 0;
}

int
wire_replay_check(const struct wire_replay *w, uint64_t counter)
{
	uint64_t back;

	if (w == NULL)
		return WIRE_EINVAL;
	/* 0 is reserved (senders start at 1), so a zeroed window needs no "empty" flag. */
	if (counter == 0)
		return WIRE_ESTALE;
	if (counter > w->highest)
		return 0;
	back = w->highest - counter;
	if (back == 0)
		return WIRE_EREPLAY;
	if (back > WIRE_REPLAY_WINDOW)
		return WIRE_ESTALE;
	if (w->bitmap & ((uint64_t)1 << (back - 1)))
		return WIRE_EREPLAY;
	return 0;
}

int
wire_replay_accept(struct wire_replay *w, uint64_t counter)
{
	uint64_t shift;
	int r;

	r = wire_replay_check(w, counter);
	if (r < 0)
		return r;
	if (counter > w->highest) {
		/*
		 * Slide forward: everything moves `shift` places further back and the old
		 * highest becomes the counter `shift` below the new one (bit shift - 1).
		 * Shifting a uint64_t by 64 or more is undefined, hence the branches.
		 */
		shift = counter - w->highest;
		if (shift > WIRE_REPLAY_WINDOW)
			w->bitmap = 0;
		else if (shift == WIRE_REPLAY_WINDOW)
			w->bitmap = (uint64_t)1 << 63;
		else
			w->bitmap = (w->bitmap << shift) | ((uint64_t)1 << (shift - 1));
		w->highest = counter;
	} else {
		w->bitmap |= (uint64_t)1 << (w->highest - counter - 1);
	}
	return 0;
}
