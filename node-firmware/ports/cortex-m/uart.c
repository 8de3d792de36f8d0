/*
 * uart.c: CMSDK UART0 driver. Transmit busy-waits on the holding register
 * (frames are short and the gateway side always reads); receive is
 * interrupt-driven into a ring that the main loop drains, so bytes arriving
 * while the node computes an inference are not lost as long as the ring holds
 * them (there is no flow control: UART_RX_RING must hold the largest burst the
 * gateway sends before the node reads, i.e. a few frames).
 *
 * The ring is single producer (the RX interrupt writes head) and single
 * consumer (the main loop writes tail); both indices run freely and wrap
 * modulo 2^32. It is file-scope state because an interrupt handler has no
 * context argument.
 */
#include "ports/cortex-m/board.h"

#ifndef UART_RX_RING
#define UART_RX_RING 4096u /* power of two */
#endif

static uint8_t rx_ring[UART_RX_RING];
static volatile uint32_t rx_head, rx_tail, rx_overruns;

void UART0_RX_Handler(void);

void
UART0_RX_Handler(void)
{
	uint32_t head = rx_head;

	/*
	 * Acknowledge first: a byte that lands while we drain then raises the
	 * interrupt again instead of being left behind with the flag cleared.
	 */
	UART_INTSTATUS = UART_INT_RX;
	while (UART_STATE & UART_STATE_RXFULL) {
		uint8_t c = (uint8_t)UART_DATA;
		if (head - rx_tail < UART_RX_RING) {
			rx_ring[head % UART_RX_RING] = c;
			head++;
		} else {
			rx_overruns = rx_overruns + 1;
		}
	}
	rx_head = head;
}

void
uart_init(void)
{
	UART_CTRL = 0;
	UART_BAUDDIV = 16;
	rx_head = rx_tail = 0;
	UART_INTSTATUS = 0xfu;
	UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXINT;
	NVIC_ICPR0 = 1u << UART0_RX_IRQ;
	NVIC_ISER0 = 1u << UART0_RX_IRQ;
}

void
uart_write(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n-- > 0) {
		while (UART_STATE & UART_STATE_TXFULL)
			;
		UART_DATA = *p++;
	}
}

void
uart_puts(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	uart_write(s, n);
}

void
uart_put_u64(uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n] = (char)('0' + v % 10u);
		v /= 10u;
		n++;
	} while (v != 0);
	uart_write(d + sizeof(d) - n, n);
}

void
uart_put_hex(const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char two[2];

	while (n-- > 0) {
		two[0] = hex[*p >> 4];
		two[1] = hex[*p & 0xf];
		uart_write(two, 2);
		p++;
	}
}

size_t
uart_read(uint8_t *buf, size_t max)
{
	uint32_t head = rx_head, tail = rx_tail;
	size_t n = 0;

	while (tail != head && n < max) {
		buf[n++] = rx_ring[tail % UART_RX_RING];
		tail++;
	}
	rx_tail = tail;
	return n;
}

uint32_t
uart_rx_overruns(void)
{
	return rx_overruns;
}

size_t
uart_pending(void)
{
	return (size_t)(rx_head - rx_tail);
}
