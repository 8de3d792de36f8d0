/*
 * selftest.c: the port's flash HAL on the target (selftest.elf, linked with
 * node.ld like node.elf). Checks the NOR rules of ports/port.h on
 * cm_flash (a fresh store is formatted to 0xFF; a write only clears bits;
 * erase takes whole sectors only; every range is checked; map is the
 * memory-mapped address), then resets the core and checks that the store
 * kept its contents and was not formatted again. Prints one line per
 * failure and `selftest: N failures` over UART0; exits with N through
 * semihosting (tests/integration/60-cortex-m-boot.sh).
 */
#include <string.h>

#include "ports/cortex-m/board.h"
#include "ports/cortex-m/boot.h"
#include "ports/cortex-m/flash.h"

#define PHASE2 0x32455453u /* "STE2": boot_record.detail after our reset */

int main(void);

static unsigned failures;

static void
check(int ok, const char *what)
{
	if (ok)
		return;
	failures++;
	uart_puts("FAIL ");
	uart_puts(what);
	uart_puts("\n");
}

static int
all_bytes(const struct cm_flash *f, uint32_t off, uint32_t len, uint8_t v)
{
	uint8_t buf[256];
	uint32_t n;

	while (len > 0) {
		n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);
		if (cm_flash_read(f, off, buf, n) != 0)
			return 0;
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != v)
				return 0;
		off += n;
		len -= n;
	}
	return 1;
}

static void
phase1(struct cm_flash *f)
{
	struct port_flash_info fi;
	uint8_t b[8], pat[8] = {0x0f, 0xf0, 0x55, 0xaa, 0x00, 0xff, 0x12, 0x34};
	uint32_t last;

	check(f->formatted == 1, "a fresh store is formatted");
	cm_flash_info(f, &fi);
	check(fi.sector_size == CM_FLASH_SECTOR && fi.size % fi.sector_size == 0 && fi.size > 0,
	      "geometry");
	check(all_bytes(f, 0, fi.size, 0xff), "a formatted store reads 0xFF everywhere");

	/* A write only clears bits: 0x0F then 0xF0 over it leaves 0x00. */
	b[0] = 0x0f;
	check(cm_flash_write(f, 100, b, 1) == 0, "write");
	b[0] = 0xf0;
	check(cm_flash_write(f, 100, b, 1) == 0, "write over written bytes");
	check(cm_flash_read(f, 100, b, 1) == 0 && b[0] == 0x00, "write ANDs into old bits");

	/* Erase: whole sectors only, and it sets them to 0xFF. */
	check(cm_flash_erase(f, 1, CM_FLASH_SECTOR) == PORT_EINVAL,
	      "unaligned erase start refused");
	check(cm_flash_erase(f, 0, 100) == PORT_EINVAL, "partial-sector erase refused");
	check(cm_flash_read(f, 100, b, 1) == 0 && b[0] == 0x00, "a refused erase changes nothing");
	check(cm_flash_erase(f, 0, CM_FLASH_SECTOR) == 0, "sector erase");
	check(all_bytes(f, 0, CM_FLASH_SECTOR, 0xff), "an erased sector reads 0xFF");

	/* Ranges. */
	last = fi.size - CM_FLASH_SECTOR;
	check(cm_flash_read(f, fi.size, b, 1) == PORT_EINVAL, "read past the end refused");
	check(cm_flash_write(f, fi.size - 4, b, 8) == PORT_EINVAL, "write across the end refused");
	check(cm_flash_erase(f, fi.size, CM_FLASH_SECTOR) == PORT_EINVAL,
	      "erase past the end refused");
	check(cm_flash_read(f, 0xfffffff0u, b, 0x20) == PORT_EINVAL, "wrapping range refused");
	check(cm_flash_write(f, 0, NULL, 1) == PORT_EINVAL, "NULL buffer refused");
	check(cm_flash_map(f, fi.size - 4, 8) == NULL, "map past the end refused");
	check(cm_flash_map(f, 40, 8) == f->base + 40, "map is the memory-mapped address");

	/* A pattern in the last sector must survive the reset. */
	check(cm_flash_erase(f, last, CM_FLASH_SECTOR) == 0 &&
	              cm_flash_write(f, last + 8, pat, sizeof(pat)) == 0,
	      "write the reset pattern");
}

static void
phase2(struct cm_flash *f)
{
	struct port_flash_info fi;
	uint8_t b[8], pat[8] = {0x0f, 0xf0, 0x55, 0xaa, 0x00, 0xff, 0x12, 0x34};

	cm_flash_info(f, &fi);
	check(f->formatted == 0, "a software reset does not format the store again");
	check(cm_flash_read(f, fi.size - CM_FLASH_SECTOR + 8, b, sizeof(b)) == 0 &&
	              memcmp(b, pat, sizeof(b)) == 0,
	      "the store keeps its contents across a software reset");
	check(boot_record.reason == BOOT_REASON_SOFTWARE, "the reset reason survives");
}

int
main(void)
{
	struct cm_flash f;
	int second = boot_record.magic == BOOT_RECORD_MAGIC && boot_record.detail == PHASE2;

	board_init();
	cm_flash_init(&f);
	if (!second) {
		uart_puts("selftest: flash HAL\n");
		phase1(&f);
		if (failures == 0) {
			boot_record.magic = BOOT_RECORD_MAGIC;
			boot_record.reason = BOOT_REASON_SOFTWARE;
			boot_record.detail = PHASE2;
			board_reset();
		}
	} else {
		uart_puts("selftest: after reset\n");
		phase2(&f);
	}
	uart_puts("selftest: ");
	uart_put_u64(failures);
	uart_puts(" failures\n");
	board_exit((int)failures);
}
