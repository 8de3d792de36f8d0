/*
 * slots.c: model slot headers, verification and writing (see slots.h).
 */
#include <stddef.h>
#include <string.h>

#include "agent/err.h"
#include "agent/hash.h"
#include "agent/slots.h"

#define HDR_CRC_BYTES ((uint32_t)offsetof(struct agent_slot_info, crc))
#define FAILED_OFF    ((uint32_t)offsetof(struct agent_slot_info, failed))

typedef char
        agent_slot_hdr_check[(sizeof(struct agent_slot_info) <= AGENT_SLOT_HDR_BYTES) ? 1 : -1];

uint32_t
agent_slot_capacity(const struct agent_layout *lay)
{
	return lay->slot_len - AGENT_SLOT_HDR_BYTES;
}

static int
erased(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0xff)
			return 0;
	return 1;
}

int
agent_slot_read(const struct port_ops *ops, void *ctx, const struct agent_layout *lay, unsigned idx,
                struct agent_slot_info *ret)
{
	struct agent_slot_info h;

	if (idx > 1 || ret == NULL)
		return AGENT_EINVAL;
	if (ops->flash_read(ctx, lay->slot_off[idx], &h, sizeof(h)) < 0)
		return AGENT_EIO;
	if (erased(&h, HDR_CRC_BYTES + 4))
		return AGENT_ENOENT;
	if (h.magic != AGENT_SLOT_MAGIC || h.crc != agent_crc32(0, &h, HDR_CRC_BYTES) ||
	    h.size == 0 || h.size > agent_slot_capacity(lay))
		return AGENT_ECORRUPT;
	*ret = h;
	return 0;
}

int
agent_slot_verify(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                  unsigned idx, const struct agent_slot_info *info)
{
	struct agent_sha256 s;
	uint8_t buf[256], d[32];
	uint32_t off = 0, base;

	if (idx > 1 || info->size > agent_slot_capacity(lay))
		return AGENT_EINVAL;
	base = lay->slot_off[idx] + AGENT_SLOT_HDR_BYTES;
	agent_sha256_init(&s);
	while (off < info->size) {
		uint32_t n =
		        info->size - off > sizeof(buf) ? (uint32_t)sizeof(buf) : info->size - off;
		if (ops->flash_read(ctx, base + off, buf, n) < 0)
			return AGENT_EIO;
		agent_sha256_update(&s, buf, n);
		off += n;
	}
	agent_sha256_final(&s, d);
	return memcmp(d, info->sha256, 32) == 0 ? 0 : AGENT_ECORRUPT;
}

int
agent_slot_mark_failed(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                       unsigned idx)
{
	uint32_t zero = 0;

	if (idx > 1)
		return AGENT_EINVAL;
	return ops->flash_write(ctx, lay->slot_off[idx] + FAILED_OFF, &zero, 4) < 0 ? AGENT_EIO : 0;
}

int
agent_slot_erase(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                 unsigned idx)
{
	if (idx > 1)
		return AGENT_EINVAL;
	return ops->flash_erase(ctx, lay->slot_off[idx], lay->slot_len) < 0 ? AGENT_EIO : 0;
}

int
agent_slot_write(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                 unsigned idx, uint32_t off, const void *data, uint32_t len)
{
	if (idx > 1)
		return AGENT_EINVAL;
	if (off > agent_slot_capacity(lay) || len > agent_slot_capacity(lay) - off)
		return AGENT_ENOSPC;
	if (ops->flash_write(ctx, lay->slot_off[idx] + AGENT_SLOT_HDR_BYTES + off, data, len) < 0)
		return AGENT_EIO;
	return 0;
}

int
agent_slot_commit(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                  unsigned idx, const struct agent_slot_info *info)
{
	struct agent_slot_info h;
	int r;

	if (idx > 1 || info->model_id == 0 || info->size == 0)
		return AGENT_EINVAL;
	if (info->size > agent_slot_capacity(lay))
		return AGENT_ENOSPC;
	r = agent_slot_verify(ops, ctx, lay, idx, info);
	if (r < 0)
		return r;
	h = *info;
	h.magic = AGENT_SLOT_MAGIC;
	memset(h.reserved, 0, sizeof(h.reserved));
	h.crc = agent_crc32(0, &h, HDR_CRC_BYTES);
	if (ops->flash_write(ctx, lay->slot_off[idx], &h, HDR_CRC_BYTES + 4) < 0)
		return AGENT_EIO;
	return 0;
}
