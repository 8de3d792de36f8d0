/*
 * flash.c: NOR-flash HAL over the memory-mapped STORE region (flash.h).
 */
#include <string.h>

#include "ports/cortex-m/board.h"
#include "ports/cortex-m/flash.h"

/* Semihosting operations (ARM semihosting specification 2.0). */
#define SH_OPEN        0x01u
#define SH_WRITE       0x05u
#define SH_READ        0x06u
#define SH_SEEK        0x0au
#define SH_FLEN        0x0cu
#define SH_MODE_RPLUSB 3u /* "r+b": the file must exist */

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

/* Writes store bytes [pos, pos+len) (store offsets, marker sector included) to the mirror. */
static void
mirror_put(struct cm_flash *f, uint32_t pos, size_t len)
{
	uint32_t seek[2] = {(uint32_t)f->mirror, pos};
	uint32_t wr[3] = {(uint32_t)f->mirror, (uint32_t)(uintptr_t)(__store_start + pos),
	                  (uint32_t)len};

	if (f->mirror < 0)
		return;
	if (board_semihost(SH_SEEK, seek) != 0 || board_semihost(SH_WRITE, wr) != 0)
		f->mirror_errors++;
}

/* Opens the mirror if QEMU's directory has one; load: read it into the store. */
static void
mirror_open(struct cm_flash *f, int load)
{
	static const char name[] = CM_FLASH_MIRROR;
	uint32_t open[3] = {(uint32_t)(uintptr_t)name, SH_MODE_RPLUSB, sizeof(name) - 1};
	uint32_t flen[1], rd[3];
	uint32_t total = (uint32_t)(uintptr_t)__store_size;

	f->mirror = board_semihost(SH_OPEN, open);
	if (f->mirror < 0 || !load)
		return;
	flen[0] = (uint32_t)f->mirror;
	if ((uint32_t)board_semihost(SH_FLEN, flen) != total)
		return; /* new or foreign file: formatted and written below */
	rd[0] = (uint32_t)f->mirror;
	rd[1] = (uint32_t)(uintptr_t)__store_start;
	rd[2] = total;
	if (board_semihost(SH_READ, rd) == 0)
		f->loaded = 1;
}

void
cm_flash_init(struct cm_flash *f)
{
	volatile uint32_t *marker = (volatile uint32_t *)(void *)__store_start;

	f->base = __store_start + CM_FLASH_SECTOR;
	f->size = (uint32_t)(uintptr_t)__store_size - CM_FLASH_SECTOR;
	f->writes = f->erases = 0;
	f->formatted = f->loaded = 0;
	f->mirror = -1;
	f->mirror_errors = 0;
	if (*marker == CM_FLASH_MARKER) {
		/* A software reset: memory is current; keep writing through. */
		mirror_open(f, 0);
		return;
	}
	mirror_open(f, 1);
	if (*marker != CM_FLASH_MARKER) {
		erase_bytes(f->base, f->size);
		erase_bytes(__store_start, CM_FLASH_SECTOR);
		*marker = CM_FLASH_MARKER;
		f->formatted = 1;
		f->loaded = 0;
		mirror_put(f, 0, (uint32_t)(uintptr_t)__store_size);
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
	mirror_put(f, CM_FLASH_SECTOR + off, len);
	return 0;
}

int
cm_flash_erase(struct cm_flash *f, uint32_t off, size_t len)
{
	if (!in_range(f, off, len) || off % CM_FLASH_SECTOR != 0 || len % CM_FLASH_SECTOR != 0)
		return PORT_EINVAL;
	erase_bytes(f->base + off, len);
	f->erases++;
	mirror_put(f, CM_FLASH_SECTOR + off, len);
	return 0;
}

const uint8_t *
cm_flash_map(const struct cm_flash *f, uint32_t off, uint32_t len)
{
	if (!in_range(f, off, len))
		return NULL;
	return f->base + off;
}
