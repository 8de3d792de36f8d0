/*
 * smoke.c: the boot smoke image (smoke.elf). Proves the toolchain, startup,
 * linker script, SysTick, timer and UART work and that semihosting ends the
 * QEMU run with our exit code: prints a banner and a few board facts over
 * UART0 as raw bytes, waits 3 SysTick periods, then starves the watchdog:
 * its NMI records the reason in no-init RAM and resets the core; the second
 * boot finds the record, says so and exits with code 0
 * (tests/integration/60-cortex-m-boot.sh).
 */
#include "ports/cortex-m/board.h"
#include "ports/cortex-m/boot.h"

int main(void);

int
main(void)
{
	uint64_t t0, t1;
	uint32_t c0, c1, s0;
	volatile float f = 1.5f; /* the FPU must be on, or this faults */

	board_init();
	if (boot_record.magic == BOOT_RECORD_MAGIC && boot_record.reason == BOOT_REASON_WATCHDOG) {
		uart_puts("smoke: watchdog reset ok, no-init RAM kept\n");
		board_exit(0);
	}
	uart_puts("tinyfleet cortex-m smoke: boot ok\n");
	c0 = board_cycles();
	t0 = board_now_us();
	s0 = board_systicks();
	do
		board_idle();
	while ((t1 = board_now_us()) - t0 < 3u * (1000000u / BOARD_TICK_HZ));
	c1 = board_cycles();
	f = f * 2.0f;
	uart_puts("elapsed_us ");
	uart_put_u64(t1 - t0);
	uart_puts(" counter ");
	uart_puts(board_cycles_are_dwt() ? "dwt " : "timer ");
	uart_put_u64(c1 - c0);
	uart_puts(" systicks ");
	uart_put_u64(board_systicks() - s0);
	uart_puts(" fpu ");
	uart_put_u64((uint64_t)f);
	uart_puts(" stack_free ");
	uart_put_u64(board_stack_free());
	uart_puts("\nsmoke: done\n");
	if (f != 3.0f)
		board_exit(1);
	boot_record.magic = 0;
	board_watchdog_start(20);
	uart_puts("smoke: starving the watchdog\n");
	for (;;)
		board_idle(); /* the watchdog NMI resets us */
}
