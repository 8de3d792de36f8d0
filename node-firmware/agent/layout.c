/*
 * layout.c: flash regions from the port's geometry (see layout.h).
 */
#include "agent/err.h"
#include "agent/layout.h"
#include "agent/outbox.h"
#include "agent/slots.h"

int
agent_layout_compute(const struct port_flash_info *fi, struct agent_layout *ret)
{
	struct agent_layout l;
	uint32_t s, half, used, rest;

	if (fi == NULL || ret == NULL || fi->sector_size < 256 ||
	    (fi->sector_size & (fi->sector_size - 1)) != 0 || fi->size % fi->sector_size != 0)
		return AGENT_EINVAL;
	s = fi->sector_size;
	half = (agent_outbox_log_need() + s - 1) / s * s;
	used = 2 * s + 2 * half;
	if (fi->size < used)
		return AGENT_ENOSPC;
	rest = (fi->size - used) / 2 / s * s;
	if (rest < s || rest < AGENT_SLOT_HDR_BYTES + s)
		return AGENT_ENOSPC;
	l.sector = s;
	l.state_off = 0;
	l.outbox_off = 2 * s;
	l.outbox_half = half;
	l.slot_off[0] = used;
	l.slot_off[1] = used + rest;
	l.slot_len = rest;
	*ret = l;
	return 0;
}
