/*
 * flash.h: the flash device the agent gets (ports/port.h NOR rules) on the
 * STORE region of node.ld.
 *
 * In QEMU the board's code memory is writable RAM, so program and erase are
 * plain stores that keep NOR semantics (a write can only clear bits; an erase
 * sets a whole 4 KiB sector to 0xFF); on a real part these two functions are
 * where the flash controller (e.g. the nRF52840 NVMC) is driven, and nothing
 * else changes. Reads and mapping are direct: the region is memory-mapped, so
 * a model in a slot runs in place (XIP) with no copy into RAM.
 *
 * The first sector of STORE holds a format marker and is not part of the
 * agent's device. QEMU starts with that memory zeroed (not erased): when the
 * marker is missing the whole device is erased once and the marker written,
 * as a factory erase would. A software reset keeps the memory (QEMU reloads
 * only the image's own sections), so the agent's state, counter reservations,
 * outbox and model slots survive a reboot within one QEMU run.
 *
 * Across QEMU runs (a power cycle), the store persists when a mirror file is
 * there: with semihosting, if QEMU's working directory holds
 * CM_FLASH_MIRROR (cm-run creates it), a fresh boot loads the whole store
 * from it, and every program and erase is written through to it. The memory
 * stays the truth during a run; the file is what a power cycle keeps, like
 * the POSIX port's file-backed flash. An empty or wrong-sized file is
 * formatted.
 */
#ifndef TF_CM_FLASH_H
#define TF_CM_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "ports/port.h"

#define CM_FLASH_SECTOR 4096u
#define CM_FLASH_MARKER 0x54534654u /* "TFST" */
#define CM_FLASH_MIRROR "tinyfleet-flash.bin"

struct cm_flash {
	uint8_t *base;           /* first byte of the agent's device (STORE + one sector) */
	uint32_t size;           /* bytes, a multiple of CM_FLASH_SECTOR */
	uint32_t writes, erases; /* operations since boot */
	int32_t mirror;          /* semihosting handle of the mirror file, -1: none */
	uint32_t mirror_errors;  /* write-throughs that failed */
	uint8_t formatted;       /* 1 when this boot found no marker and erased */
	uint8_t loaded;          /* 1 when this boot loaded the store from the mirror */
};

/* Binds to STORE (linker symbols) and formats it when the marker is missing. */
void cm_flash_init(struct cm_flash *f);

void cm_flash_info(const struct cm_flash *f, struct port_flash_info *ret);
int cm_flash_read(const struct cm_flash *f, uint32_t off, void *buf, size_t len);
int cm_flash_write(struct cm_flash *f, uint32_t off, const void *buf, size_t len);
int cm_flash_erase(struct cm_flash *f, uint32_t off, size_t len);
const uint8_t *cm_flash_map(const struct cm_flash *f, uint32_t off, uint32_t len);

#endif
