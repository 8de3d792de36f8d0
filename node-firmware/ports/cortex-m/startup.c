/*
 * startup.c: vector table and reset handler for the Cortex-M4F images.
 *
 * The reset handler copies .data from flash, zeroes .bss, turns the FPU on
 * (CP10/CP11 full access) before any floating-point instruction can run, points
 * VTOR at our table and calls main(). This file is built with
 * -fno-tree-loop-distribute-patterns so GCC does not turn the copy loops into
 * memcpy/memset calls that would run before .data exists.
 *
 * Faults (HardFault, MemManage, BusFault, UsageFault) record PORT_RESET_FAULT
 * in the no-init RAM word that survives a software reset, then reset the core:
 * a node that crashes comes back and says why in its next Health. The NMI is
 * the watchdog's interrupt on mps2 boards: it records PORT_RESET_WATCHDOG.
 */
#include <stdint.h>

#include "ports/cortex-m/board.h"
#include "ports/cortex-m/boot.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void Fault_Handler(void);
void NMI_Handler(void);
void SysTick_Handler(void);
void UART0_RX_Handler(void);

/* Weak hooks: an image without a UART driver or tick still links. */
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UART0_RX_Handler(void) __attribute__((weak, alias("Default_Handler")));

/* Reset-reason record; lives in .noinit so a software reset keeps it. */
struct boot_record boot_record __attribute__((section(".noinit")));

typedef void (*vector_fn)(void);

__attribute__((section(".vectors"), used)) const vector_fn vectors[16 + 32] = {
        (vector_fn)(uintptr_t)&__stack_top,
        Reset_Handler,
        NMI_Handler,   /* the watchdog (mps2) */
        Fault_Handler, /* HardFault */
        Fault_Handler, /* MemManage */
        Fault_Handler, /* BusFault */
        Fault_Handler, /* UsageFault */
        0,
        0,
        0,
        0,
        Default_Handler, /* SVCall */
        Default_Handler, /* DebugMonitor */
        0,
        Default_Handler, /* PendSV */
        SysTick_Handler,
        [16 + UART0_RX_IRQ] = UART0_RX_Handler,
};

void
Reset_Handler(void)
{
	uint32_t *src = &__data_load, *dst = &__data_start;

	while (dst < &__data_end)
		*dst++ = *src++;
	for (dst = &__bss_start; dst < &__bss_end; dst++)
		*dst = 0;
	SCB_CPACR |= 0xfu << 20;
	__asm__ volatile("dsb\n\tisb" ::: "memory");
	SCB_VTOR = (uint32_t)(uintptr_t)vectors;
	(void)main();
	board_exit(0);
}

void
Default_Handler(void)
{
	for (;;)
		__asm__ volatile("wfi");
}

void
Fault_Handler(void)
{
	boot_record.magic = BOOT_RECORD_MAGIC;
	boot_record.reason = BOOT_REASON_FAULT;
	boot_record.detail = SCB_CFSR;
	board_reset();
}

void
NMI_Handler(void)
{
	boot_record.magic = BOOT_RECORD_MAGIC;
	boot_record.reason = BOOT_REASON_WATCHDOG;
	boot_record.detail = 0;
	board_reset();
}
