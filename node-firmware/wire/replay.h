/*
 * replay: the per-node, per-direction sliding replay window (DESIGN.md: highest
 * counter plus a 64-bit bitmap).
 *
 * The window remembers `highest`, the largest counter accepted so far, and in `bitmap`
 * which of the 64 counters just below it were accepted: bit i (0..63) stands for
 * counter highest - 1 - i. A counter is
 *   - new (0) when it is above highest, or 1..64 below it with its bit clear;
 *   - WIRE_EREPLAY when it equals highest or its bit is set;
 *   - WIRE_ESTALE when it is 65 or more below highest (too old to tell).
 * Counter 0 is reserved: senders start at 1, and 0 is always WIRE_ESTALE. So a fresh
 * window ({0, 0}, from wire_replay_init() or zeroed memory) accepts any counter >= 1.
 *
 * Receivers call wire_replay_check() (pure, may run before the expensive tag check)
 * and wire_replay_accept() only AFTER the frame's tag verified, so a forged frame can
 * never move the window. The struct is two plain integers: the daemon may persist it
 * as is.
 */
#ifndef TF_WIRE_REPLAY_H
#define TF_WIRE_REPLAY_H

#include <stdint.h>

/* How many counters below `highest` the bitmap remembers. */
#define WIRE_REPLAY_WINDOW 64

struct wire_replay {
	uint64_t highest; /* largest accepted counter; 0 = none yet */
	uint64_t bitmap;  /* bit i set: counter highest - 1 - i was accepted */
};

/* Resets w to "nothing seen". */
void wire_replay_init(struct wire_replay *w);

/*
 * Would `counter` be accepted? Does not modify w.
 * Returns 0 (new), WIRE_EREPLAY, WIRE_ESTALE, or WIRE_EINVAL (w NULL).
 */
int wire_replay_check(const struct wire_replay *w, uint64_t counter);

/*
 * Checks like wire_replay_check() and, when the counter is new, records it (moving the
 * window forward if it is above highest). Call only for frames whose tag verified.
 * Returns 0, or the same errors as wire_replay_check() with w unchanged.
 */
int wire_replay_accept(struct wire_replay *w, uint64_t counter);

#endif
