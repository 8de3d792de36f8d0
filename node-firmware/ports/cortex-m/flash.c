/*
 * flash.c: NOR-flash HAL over the memory-mapped STORE region (flash.h).
 */
#include <string.h>

#include "ports/cortex-m/flash.h"

extern uint8_t __store_start[], __store_size[];

static int
in_range(const struct cm_flash *f, uint32_t off, size_t len)
{
	return off <= f->size && len <= f->size - off;
}

static void
erase_bytes(uint8_t *p, size_t len)
{
	memset(p, 0xff, len);
}

void
cm_flash_init(struct cm_flash *f)
{
	volatile uint32_t *marker = (volatile uint32_t *)(void *)__store_start;

	f->base = __store_start + CM_FLASH_SECTOR;
	f->size = (uint32_t)(uintptr_t)__store_size - CM_FLASH_SECTOR;
	f->writes = f->erases = 0;
	f->formatted = 0;
	if (*marker != CM_FLASH_MARKER) {
		erase_bytes(f->base, f->size);
		erase_bytes(__store_start, CM_FLASH_SECTOR);
		*marker = CM_FLASH_MARKER;
		f->formatted = 1;
	}
}

void
cm_flash_info(const struct cm_flash *f, struct port_flash_info *ret)
{
	ret->size = f->size;
	ret->sector_size = CM_FLASH_SECTOR;
}

int
cm_flash_read(const struct cm_flash *f, uint32_t off, void *buf, size_t len)
{
	if (buf == NULL || !in_range(f, off, len))
		return PORT_EINVAL;
	memcpy(buf, f->base + off, len);
	return 0;
}

int
cm_flash_write(struct cm_flash *f, uint32_t off, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	uint8_t *dst;
	size_t i;

	if (buf == NULL || !in_range(f, off, len))
		return PORT_EINVAL;
	dst = f->base + off;
	for (i = 0; i < len; i++)
		dst[i] &= src[i]; /* NOR: programming only clears bits */
	f->writes++;
	return 0;
}

int
cm_flash_erase(struct cm_flash *f, uint32_t off, size_t len)
{
	if (!in_range(f, off, len) || off % CM_FLASH_SECTOR != 0 || len % CM_FLASH_SECTOR != 0)
		return PORT_EINVAL;
	erase_bytes(f->base + off, len);
	f->erases++;
	return 0;
}

const uint8_t *
cm_flash_map(const struct cm_flash *f, uint32_t off, uint32_t len)
{
	if (!in_range(f, off, len))
		return NULL;
	return f->base + off;
}
