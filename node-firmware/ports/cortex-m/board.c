/*
 * board.c: clock, cycle counter, sleep, reset and semihosting exit for the
 * mps2-an386 images (board.h).
 *
 * Time comes from the CMSDK dual timer, free-running at the core clock,
 * extended to 64 bits in software (it wraps every 171 s; the main loop reads
 * the time at least once per SysTick period). Counting SysTick interrupts
 * instead loses time: an emulator on a loaded host (and a real part with
 * interrupts masked too long) can merge several expired periods into one
 * interrupt. SysTick only wakes the idle loop BOARD_TICK_HZ times a second.
 *
 * The profiling counter is DWT CYCCNT when it counts (real silicon) and the
 * same timer otherwise: QEMU leaves DWT at zero, and with -icount shift=0 one
 * timer tick is exactly 40 executed instructions.
 *
 * The tick count and the time extension are file-scope state: interrupt
 * handlers and the clock have no context argument to hang them on.
 */
#include "ports/cortex-m/board.h"
#include "ports/cortex-m/boot.h"

#define TICK_RELOAD (BOARD_CLOCK_HZ / BOARD_TICK_HZ)

static volatile uint32_t systicks; /* SysTick interrupts since board_init() */
static uint32_t time_last;         /* timer count (up) at the last board_now_us() */
static uint64_t time_base;         /* 64-bit extension: count at time_last */
static uint8_t cycles_dwt;         /* 1: board_cycles() reads DWT */

extern uint32_t __stack_limit;

void SysTick_Handler(void);

static uint32_t
timer_up(void)
{
	return 0xffffffffu - TIMER1_VALUE; /* the timer counts down */
}

void
SysTick_Handler(void)
{
	systicks = systicks + 1;
}

void
board_init(void)
{
	uint32_t before;
	int i;

	SYST_CSR = 0;
	SYST_RVR = TICK_RELOAD - 1;
	SYST_CVR = 0;
	SYST_CSR = 0x7u; /* core clock, interrupt, enable */

	TIMER1_CONTROL = 0;
	TIMER1_LOAD = 0xffffffffu;
	TIMER1_CONTROL = TIMER_CTRL_EN | TIMER_CTRL_32BIT;
	time_last = timer_up();
	time_base = 0;

	/* DWT: enable trace and the cycle counter; keep it only if it moves. */
	DEMCR |= 1u << 24;
	DWT_CYCCNT = 0;
	DWT_CTRL |= 1u;
	before = DWT_CYCCNT;
	for (i = 0; i < 8; i++)
		__asm__ volatile("nop");
	cycles_dwt = DWT_CYCCNT != before;

	uart_init();
	__asm__ volatile("cpsie i" ::: "memory");
}

uint64_t
board_now_us(void)
{
	uint32_t now = timer_up();

	time_base += now - time_last; /* modulo 2^32: one wrap at most in between */
	time_last = now;
	return time_base / (BOARD_CLOCK_HZ / 1000000u);
}

uint32_t
board_systicks(void)
{
	return systicks;
}

uint32_t
board_cycles(void)
{
	if (cycles_dwt)
		return DWT_CYCCNT;
	return timer_up();
}

int
board_cycles_are_dwt(void)
{
	return cycles_dwt;
}

void
board_watchdog_start(uint32_t ms)
{
	WDOG_LOCK = WDOG_UNLOCK;
	WDOG_LOAD = (BOARD_CLOCK_HZ / 1000u) * ms;
	WDOG_INTCLR = 1u;
	WDOG_CONTROL = WDOG_INTEN | WDOG_RESEN;
	WDOG_LOCK = 0;
}

void
board_watchdog_feed(void)
{
	WDOG_LOCK = WDOG_UNLOCK;
	WDOG_INTCLR = 1u; /* clears the interrupt and reloads the counter */
	WDOG_LOCK = 0;
}

void
board_idle(void)
{
	__asm__ volatile("dsb\n\twfi" ::: "memory");
}

void
board_reset(void)
{
	__asm__ volatile("dsb" ::: "memory");
	SCB_AIRCR = (0x5fau << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
	__asm__ volatile("dsb" ::: "memory");
	for (;;)
		__asm__ volatile("nop");
}

void
board_exit(int code)
{
	/* SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit (0x20026). */
	volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
	register uint32_t r0 __asm__("r0") = 0x20u;
	register volatile uint32_t *r1 __asm__("r1") = block;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	for (;;)
		__asm__ volatile("wfi");
}

void
board_debug_puts(const char *s)
{
#ifdef CM_SEMIHOSTING
	register uint32_t r0 __asm__("r0") = 0x04u; /* SYS_WRITE0 */
	register const char *r1 __asm__("r1") = s;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
#else
	(void)s;
#endif
}

int32_t
board_semihost(uint32_t op, void *args)
{
#ifdef CM_SEMIHOSTING
	register uint32_t r0 __asm__("r0") = op;
	register void *r1 __asm__("r1") = args;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return (int32_t)r0;
#else
	(void)op;
	(void)args;
	return -1;
#endif
}

size_t
board_stack_free(void)
{
	uint32_t sp;

	__asm__ volatile("mov %0, sp" : "=r"(sp));
	return sp - (uint32_t)(uintptr_t)&__stack_limit;
}
