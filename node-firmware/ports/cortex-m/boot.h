/*
 * boot.h: the reset-reason record the port keeps in no-init RAM.
 *
 * RAM that startup does not clear survives a software reset but not a power
 * cycle (QEMU starts with zeroed RAM, like a cold part whose RAM content is
 * undefined; the magic tells the two apart). Whoever resets the core writes
 * the reason first; the next boot reads and clears it.
 */
#ifndef TF_CM_BOOT_H
#define TF_CM_BOOT_H

#include <stdint.h>

#define BOOT_RECORD_MAGIC 0x544f4f42u /* "BOOT" */

/* Same numbering as enum port_reset_reason (ports/port.h). */
enum boot_reason {
	BOOT_REASON_POWER_ON = 0,
	BOOT_REASON_SOFTWARE = 1,
	BOOT_REASON_WATCHDOG = 2,
	BOOT_REASON_FAULT = 3
};

struct boot_record {
	uint32_t magic;  /* BOOT_RECORD_MAGIC when reason is valid */
	uint32_t reason; /* enum boot_reason */
	uint32_t detail; /* fault status register (CFSR) for faults */
	uint32_t boots;  /* boots since power-on */
};

extern struct boot_record boot_record;

#endif
