/*
 * board.h: the mps2-an386 board (Cortex-M4F) as this port uses it: memory
 * map, the few peripheral registers we touch, and the board services every
 * image shares (clock, cycle counter, UART, semihosting exit, reset).
 *
 * Only QEMU's model of the board is targeted; the registers are those of the
 * ARM CMSDK peripherals (UART, dual timer) and the ARMv7-M system block
 * (SysTick, NVIC, SCB, DWT), so a real CMSDK-based part differs only in
 * addresses and clock.
 */
#ifndef TF_CM_BOARD_H
#define TF_CM_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* Core clock: 25 MHz on mps2-an386 (SysTick and the dual timer both run from it). */
#define BOARD_CLOCK_HZ 25000000u

/* CMSDK APB UART0. */
#define UART0_BASE        0x40004000u
#define UART_DATA         REG32(UART0_BASE + 0x00u)
#define UART_STATE        REG32(UART0_BASE + 0x04u)
#define UART_CTRL         REG32(UART0_BASE + 0x08u)
#define UART_INTSTATUS    REG32(UART0_BASE + 0x0cu)
#define UART_BAUDDIV      REG32(UART0_BASE + 0x10u)
#define UART_STATE_TXFULL 0x1u
#define UART_STATE_RXFULL 0x2u
#define UART_CTRL_TXEN    0x1u
#define UART_CTRL_RXEN    0x2u
#define UART_CTRL_RXINT   0x8u
#define UART_INT_RX       0x2u
#define UART0_RX_IRQ      0

/* CMSDK dual timer, timer 1: 32-bit free-running down counter at the core clock. */
#define TIMER1_BASE      0x40002000u
#define TIMER1_LOAD      REG32(TIMER1_BASE + 0x00u)
#define TIMER1_VALUE     REG32(TIMER1_BASE + 0x04u)
#define TIMER1_CONTROL   REG32(TIMER1_BASE + 0x08u)
#define TIMER_CTRL_EN    0x80u /* enable */
#define TIMER_CTRL_32BIT 0x02u /* 32-bit counter; free-running, prescale 1, no interrupt */

/* CMSDK APB watchdog; its interrupt is the NMI on mps2 boards. */
#define WDOG_BASE    0x40008000u
#define WDOG_LOAD    REG32(WDOG_BASE + 0x000u)
#define WDOG_CONTROL REG32(WDOG_BASE + 0x008u)
#define WDOG_INTCLR  REG32(WDOG_BASE + 0x00cu)
#define WDOG_LOCK    REG32(WDOG_BASE + 0xc00u)
#define WDOG_UNLOCK  0x1acce551u
#define WDOG_INTEN   0x1u
#define WDOG_RESEN   0x2u

/* ARMv7-M system control space. */
#define SYST_CSR   REG32(0xe000e010u)
#define SYST_RVR   REG32(0xe000e014u)
#define SYST_CVR   REG32(0xe000e018u)
#define NVIC_ISER0 REG32(0xe000e100u)
#define NVIC_ICPR0 REG32(0xe000e280u)
#define SCB_VTOR   REG32(0xe000ed08u)
#define SCB_AIRCR  REG32(0xe000ed0cu)
#define SCB_SCR    REG32(0xe000ed10u)
#define SCB_CPACR  REG32(0xe000ed88u)
#define SCB_CFSR   REG32(0xe000ed28u)
#define DEMCR      REG32(0xe000edfcu)
#define DWT_CTRL   REG32(0xe0001000u)
#define DWT_CYCCNT REG32(0xe0001004u)

/* SysTick rate: the idle loop wakes at least this often. */
#define BOARD_TICK_HZ 100u

/*
 * Starts the board: FPU already on (startup), SysTick at BOARD_TICK_HZ, the
 * dual timer free-running, the cycle counter (DWT when it counts), the UART
 * with RX interrupts into its ring.
 */
void board_init(void);

/* Monotonic microseconds since board_init() (timer based; 64-bit, never wraps).
 * Must be called at least once every 171 s (the main loop does, every tick). */
uint64_t board_now_us(void);

/* SysTick interrupts taken since board_init(). */
uint32_t board_systicks(void);

/*
 * Free-running counter for profiling, modulo 2^32: core cycles from DWT on
 * hardware whose DWT counts, else 25 MHz timer ticks (in QEMU with
 * -icount shift=0 one tick is exactly 40 executed instructions).
 */
uint32_t board_cycles(void);

/* 1 when board_cycles() counts CPU cycles (DWT), 0 when it counts timer ticks. */
int board_cycles_are_dwt(void);

/*
 * Starts the watchdog: if board_watchdog_feed() is not called for `ms`
 * milliseconds, the NMI records BOOT_REASON_WATCHDOG and resets the core (and
 * should that fail, the watchdog's own reset follows one period later).
 */
void board_watchdog_start(uint32_t ms);

/* Restarts the watchdog period. */
void board_watchdog_feed(void);

/* Sleeps until the next interrupt (WFI). */
void board_idle(void);

/* Restarts the core (SCB AIRCR SYSRESETREQ). Never returns. */
void board_reset(void) __attribute__((noreturn));

/*
 * Ends the QEMU run with an exit code through semihosting's extended exit
 * (needs -semihosting-config enable=on,target=native). On hardware without a
 * debugger this would trap; images only call it in tests and the bench.
 */
void board_exit(int code) __attribute__((noreturn));

/*
 * Writes a NUL-terminated string to the debugger's console through
 * semihosting (SYS_WRITE0): QEMU prints it on its stderr. The UART is the
 * frame link, so logs cannot go there. Built only with CM_SEMIHOSTING (the
 * QEMU build); without it this does nothing, since a semihosting call on a
 * part with no debugger attached is a fault.
 */
void board_debug_puts(const char *s);

/*
 * One semihosting call (op in r0, args block in r1); returns r0. Only with
 * CM_SEMIHOSTING; otherwise returns -1 without trapping.
 */
int32_t board_semihost(uint32_t op, void *args);

/* Top of the stack and the lowest address it may reach (linker script). */
size_t board_stack_free(void);

/* ---- UART (uart.c) ---- */

/* Configures UART0: TX/RX enabled, RX interrupt on, ring emptied. */
void uart_init(void);

/* Writes n bytes, busy-waiting while the TX holding register is full. */
void uart_write(const void *buf, size_t n);

/* Writes a NUL-terminated string. */
void uart_puts(const char *s);

/* Writes v in decimal (no stdio in the image). */
void uart_put_u64(uint64_t v);

/* Writes v as 2*n lowercase hex digits, most significant first. */
void uart_put_hex(const uint8_t *p, size_t n);

/* Takes up to max received bytes out of the RX ring; returns how many. */
size_t uart_read(uint8_t *buf, size_t max);

/* Bytes waiting in the RX ring. */
size_t uart_pending(void);

/* Bytes dropped because the RX ring was full, since boot. */
uint32_t uart_rx_overruns(void);

#endif
