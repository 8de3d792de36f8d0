/*
 * state.c: the persistent state record log in two sectors (see state.h).
 */
#include <string.h>

#include "agent/err.h"
#include "agent/hash.h"
#include "agent/state.h"

#define REC_BYTES ((uint32_t)sizeof(struct agent_state))

typedef char agent_state_size_check[(sizeof(struct agent_state) == 96) ? 1 : -1];

static int
rec_valid(const struct agent_state *r)
{
	return r->magic == AGENT_STATE_MAGIC &&
	       r->crc == agent_crc32(0, r, offsetof(struct agent_state, crc));
}

static int
rec_erased(const struct agent_state *r)
{
	const uint8_t *p = (const uint8_t *)r;
	uint32_t i;

	for (i = 0; i < REC_BYTES; i++)
		if (p[i] != 0xff)
			return 0;
	return 1;
}

int
agent_state_load(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                 struct agent_state *ret, struct agent_state_log *log)
{
	struct agent_state r, best;
	uint32_t sec, off, per = lay->sector / REC_BYTES;
	int found = 0;

	memset(&best, 0, sizeof(best));
	log->sector = 0;
	log->next_off = 0;
	log->dirty = 0;
	for (sec = 0; sec < 2; sec++) {
		uint32_t base = lay->state_off + sec * lay->sector;
		uint32_t last_valid_end = 0;
		int sec_has = 0;

		for (off = 0; off < per * REC_BYTES; off += REC_BYTES) {
			if (ops->flash_read(ctx, base + off, &r, REC_BYTES) < 0)
				return AGENT_EIO;
			if (rec_erased(&r))
				break;
			if (!rec_valid(&r))
				break; /* torn tail: later places are unused */
			sec_has = 1;
			last_valid_end = off + REC_BYTES;
			if (!found || (int32_t)(r.gen - best.gen) > 0) {
				best = r;
				found = 1;
				log->sector = sec;
				log->next_off = off + REC_BYTES;
				log->dirty = 0;
			}
		}
		/* The place right after the newest record must be erased to append there. */
		if (sec_has && found && log->sector == sec && last_valid_end == log->next_off &&
		    log->next_off < per * REC_BYTES) {
			if (ops->flash_read(ctx, base + log->next_off, &r, REC_BYTES) < 0)
				return AGENT_EIO;
			log->dirty = !rec_erased(&r);
		}
	}
	if (!found) {
		/* Nothing valid: start in sector 0, erasing it first if it holds junk. */
		if (ops->flash_read(ctx, lay->state_off, &r, REC_BYTES) < 0)
			return AGENT_EIO;
		log->dirty = !rec_erased(&r);
		log->next_off = 0;
		memset(ret, 0, sizeof(*ret));
		return AGENT_ENOENT;
	}
	*ret = best;
	return 0;
}

int
agent_state_save(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                 struct agent_state_log *log, struct agent_state *st)
{
	uint32_t per = lay->sector / REC_BYTES;
	uint32_t sec = log->sector, off = log->next_off;
	int fresh = (st->gen == 0 && log->next_off == 0);

	st->magic = AGENT_STATE_MAGIC;
	st->gen++;
	st->crc = agent_crc32(0, st, offsetof(struct agent_state, crc));
	if (fresh && log->dirty) {
		if (ops->flash_erase(ctx, lay->state_off + sec * lay->sector, lay->sector) < 0)
			return AGENT_EIO;
	} else if (off + REC_BYTES > per * REC_BYTES || log->dirty) {
		/* Move to the other sector; the newest record stays intact until then. */
		sec ^= 1;
		off = 0;
		if (ops->flash_erase(ctx, lay->state_off + sec * lay->sector, lay->sector) < 0)
			return AGENT_EIO;
	}
	if (ops->flash_write(ctx, lay->state_off + sec * lay->sector + off, st, REC_BYTES) < 0)
		return AGENT_EIO;
	log->sector = sec;
	log->next_off = off + REC_BYTES;
	log->dirty = 0;
	return 0;
}
