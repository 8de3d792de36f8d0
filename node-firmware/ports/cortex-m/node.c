/*
 * node.c: node.elf, the tinyfleet node firmware on a Cortex-M4F.
 *
 * This is the port's main: it owns the single struct agent, the tensor arena
 * and the HAL table (ports/port.h), and runs the agent unchanged on a
 * cooperative loop:
 *
 *	board_init, flash, provisioning, built-in model, agent_init
 *	for (;;) {
 *		drain the UART RX ring into the COBS stream decoder -> agent_on_frame()
 *		agent_step() when its wake time has come
 *		perform a reset the agent asked for
 *		sleep (WFI) until the next interrupt: a UART byte or the SysTick
 *	}
 *
 * Frames go out COBS-encoded and 0x00-delimited on UART0 (the same framing as
 * the daemon's serial transport); there is nothing else on the UART. Logs go
 * to the debugger console (semihosting) in the QEMU build.
 *
 * No malloc, no stdio: every buffer below is static and sized at build time;
 * the linker fails the build when they do not fit the part's RAM.
 */
#include <string.h>

#include "agent/agent.h"
#include "agent/hash.h"
#include "ports/cortex-m/board.h"
#include "ports/cortex-m/boot.h"
#include "ports/cortex-m/flash.h"
#include "ports/cortex-m/provision.h"
#include "ports/cortex-m/sensor.h"
#include "wire/cobs.h"
#include "wire/wire.h"

#ifndef CM_ARENA
#define CM_ARENA (160u * 1024u) /* tensor arena: the largest slot model's need */
#endif
#ifndef CM_LOG_LEVEL
#define CM_LOG_LEVEL PORT_LOG_INFO
#endif
#ifndef CM_WATCHDOG_MS
#define CM_WATCHDOG_MS 8000u /* stuck-loop limit: far above the slowest inference */
#endif
#define RX_CHUNK      128u  /* bytes taken from the ring per decoder call */
#define RX_PER_WAKEUP 2048u /* bytes decoded per loop turn: bounded work */
#define BOARD_NAME    "mps2-an386"

/* The built-in model, embedded by model.S. */
extern const uint8_t cm_model[], cm_model_end[];

/* Everything the HAL callbacks need: the port's per-node context. */
struct cm_node {
	struct cm_flash flash;
	struct wire_cobs_stream rx;
	uint8_t rx_frame[WIRE_MAX_FRAME];                      /* frame being decoded */
	uint8_t tx_buf[WIRE_COBS_MAX_ENCODED(WIRE_MAX_FRAME)]; /* encoded frame */
	uint32_t rng;                                          /* xorshift32 state */
	uint64_t now_ms;                                       /* loop time, for agent_on_frame() */
	enum port_reset_reason boot_reason;
	enum port_reset_reason reset_why;
	uint8_t reset_pending;
	uint32_t tx_frames, rx_frames, rx_bad;
};

static struct agent node_agent;
static struct cm_node node_ctx;
static struct nn_model builtin_nn;
uint8_t node_arena[CM_ARENA] __attribute__((aligned(NN_ARENA_ALIGN)));

int main(void);

/* ---- HAL ---- */

static uint64_t
hal_now_us(void *ctx)
{
	return board_now_us();
}

static void
hal_random(void *ctx, uint8_t *buf, size_t n)
{
	struct cm_node *nd = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t x = nd->rng;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		nd->rng = x;
		buf[i] = (uint8_t)(x >> 24);
	}
}

static int
hal_link_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct cm_node *nd = ctx;
	int n;

	if (len > WIRE_MAX_FRAME)
		return PORT_EINVAL;
	n = wire_cobs_encode(frame, len, nd->tx_buf, sizeof(nd->tx_buf));
	if (n < 0)
		return PORT_EIO;
	uart_write(nd->tx_buf, (size_t)n);
	nd->tx_frames++;
	return 0;
}

static void
hal_flash_info(void *ctx, struct port_flash_info *ret)
{
	cm_flash_info(&((struct cm_node *)ctx)->flash, ret);
}

static int
hal_flash_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	return cm_flash_read(&((struct cm_node *)ctx)->flash, off, buf, len);
}

static int
hal_flash_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	return cm_flash_write(&((struct cm_node *)ctx)->flash, off, buf, len);
}

static int
hal_flash_erase(void *ctx, uint32_t off, size_t len)
{
	return cm_flash_erase(&((struct cm_node *)ctx)->flash, off, len);
}

static const uint8_t *
hal_flash_map(void *ctx, uint32_t off, uint32_t len, const uint8_t sha256[32])
{
	return cm_flash_map(&((struct cm_node *)ctx)->flash, off, len);
}

static int
hal_sensor_read(void *ctx, const struct port_sensor_req *req, uint8_t *buf, size_t len)
{
	return cm_sensor_fill(node_agent.node_id, req, buf, len);
}

static int
hal_sensors(void *ctx, struct port_sensor_desc *ret, int max)
{
	static const char name[] = "vibration";

	if (max < 1)
		return 0;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, name, sizeof(name));
	ret->rate_mhz = 1000000; /* one window per second */
	ret->channels = 3;
	return 1;
}

static void
hal_status(void *ctx, struct port_status *ret)
{
	ret->battery_mv = 0; /* mains powered (QEMU) */
	ret->rssi_dbm = 0;   /* wired UART */
	ret->free_memory = (uint32_t)board_stack_free();
}

static enum port_reset_reason
hal_reset_reason(void *ctx)
{
	return ((struct cm_node *)ctx)->boot_reason;
}

static void
hal_reset(void *ctx, enum port_reset_reason why)
{
	struct cm_node *nd = ctx;

	nd->reset_pending = 1;
	nd->reset_why = why;
}

static void
put_dec(char *out, size_t *pos, size_t cap, int64_t v)
{
	char d[20];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0;

	if (v < 0 && *pos < cap)
		out[(*pos)++] = '-';
	do {
		d[n++] = (char)('0' + u % 10u);
		u /= 10u;
	} while (u != 0 && n < sizeof(d));
	while (n > 0 && *pos < cap)
		out[(*pos)++] = d[--n];
}

static void
put_str(char *out, size_t *pos, size_t cap, const char *s)
{
	while (*s != '\0' && *pos < cap)
		out[(*pos)++] = *s++;
}

/* "<level>node ID: msg value\n" on the debugger console. */
static void
hal_log(void *ctx, enum port_log_level level, const char *msg, int64_t value)
{
	char line[128];
	size_t pos = 0, cap = sizeof(line) - 2;

	if ((int)level > CM_LOG_LEVEL)
		return;
	put_str(line, &pos, cap, "<");
	put_dec(line, &pos, cap, (int64_t)level);
	put_str(line, &pos, cap, ">node ");
	put_dec(line, &pos, cap, (int64_t)node_agent.node_id);
	put_str(line, &pos, cap, ": ");
	put_str(line, &pos, cap, msg);
	put_str(line, &pos, cap, " ");
	put_dec(line, &pos, cap, value);
	line[pos++] = '\n';
	line[pos] = '\0';
	board_debug_puts(line);
}

static const struct port_ops cm_ops = {
        .now_us = hal_now_us,
        .random = hal_random,
        .link_send = hal_link_send,
        .flash_info = hal_flash_info,
        .flash_read = hal_flash_read,
        .flash_write = hal_flash_write,
        .flash_erase = hal_flash_erase,
        .flash_map = hal_flash_map,
        .sensor_read = hal_sensor_read,
        .sensors = hal_sensors,
        .status = hal_status,
        .reset_reason = hal_reset_reason,
        .reset = hal_reset,
        .log = hal_log,
        .inference_hook = NULL,
};

/* ---- receive path ---- */

static void
on_cobs_frame(void *arg, int err, uint8_t *frame, size_t len)
{
	struct cm_node *nd = arg;

	if (err < 0) {
		nd->rx_bad++;
		return;
	}
	if (len == 0)
		return; /* a bare delimiter: the gateway resynchronising */
	nd->rx_frames++;
	(void)agent_on_frame(&node_agent, frame, len, nd->now_ms);
}

/* Feeds up to RX_PER_WAKEUP received bytes to the decoder; returns how many. */
static size_t
drain_rx(struct cm_node *nd)
{
	uint8_t chunk[RX_CHUNK];
	size_t total = 0, n;

	while (total < RX_PER_WAKEUP && (n = uart_read(chunk, sizeof(chunk))) > 0) {
		(void)wire_cobs_stream_feed(&nd->rx, chunk, n);
		total += n;
	}
	return total;
}

/* ---- boot ---- */

static enum port_reset_reason
take_boot_reason(void)
{
	enum port_reset_reason why = PORT_RESET_POWER_ON;

	if (boot_record.magic == BOOT_RECORD_MAGIC && boot_record.reason < PORT_RESET__MAX) {
		why = (enum port_reset_reason)boot_record.reason;
		boot_record.boots++;
	} else {
		boot_record.boots = 1;
		boot_record.detail = 0;
	}
	/* Until someone records a reason, an unexpected reset reads as a fault. */
	boot_record.magic = BOOT_RECORD_MAGIC;
	boot_record.reason = BOOT_REASON_FAULT;
	return why;
}

static void
die(const char *why)
{
	board_debug_puts(why);
	for (;;)
		board_idle();
}

int
main(void)
{
	struct cm_node *nd = &node_ctx;
	struct agent_params p;
	uint8_t builtin_sha[32];
	size_t builtin_len = (size_t)(cm_model_end - cm_model);
	uint64_t wake = 0;
	int r;

	board_init();
	nd->boot_reason = take_boot_reason();
	cm_flash_init(&nd->flash);
	(void)wire_cobs_stream_init(&nd->rx, nd->rx_frame, sizeof(nd->rx_frame), on_cobs_frame, nd);

	r = cm_provision_check(&cm_provision);
	if (r < 0)
		die(r == -2 ? "<3>node: not provisioned (tools/cm-provision), halting\n"
		            : "<3>node: provisioning record corrupt, halting\n");
	nd->rng = cm_provision.node_id * 2654435761u ^ board_cycles() ^ 0x5bd1e995u;
	if (nd->rng == 0)
		nd->rng = 1;

	memset(&p, 0, sizeof(p));
	p.node_id = cm_provision.node_id;
	memcpy(p.key, cm_provision.key, sizeof(p.key));
	if (builtin_len > 0 &&
	    nn_model_open(&builtin_nn, cm_model, builtin_len, NULL, 0) == NN_OK) {
		agent_sha256(cm_model, builtin_len, builtin_sha);
		p.builtin_model = cm_model;
		p.builtin_len = builtin_len;
		p.builtin_nn = &builtin_nn;
		p.builtin_sha256 = builtin_sha;
	}
	p.builtin_version = 1;
	p.arena = node_arena;
	p.arena_len = sizeof(node_arena);
	p.board = BOARD_NAME;
	p.inference_period_ms = cm_provision.inference_ms;
	p.health_period_ms = cm_provision.health_ms;

	/* A lone delimiter first: the gateway's decoder drops whatever came before. */
	uart_write("", 1);
	nd->now_ms = board_now_us() / 1000u;
	r = agent_init(&node_agent, &cm_ops, nd, &p);
	if (r < 0)
		die("<3>node: agent_init failed, halting\n");

	/*
	 * The loop turns at least every SysTick period; an inference or a burst of
	 * work far below this. A node stuck longer is restarted and says so.
	 */
	board_watchdog_start(CM_WATCHDOG_MS);
	for (;;) {
		board_watchdog_feed();
		nd->now_ms = board_now_us() / 1000u;
		drain_rx(nd);
		if (nd->now_ms >= wake)
			wake = agent_step(&node_agent, nd->now_ms);
		if (nd->reset_pending) {
			boot_record.reason = (uint32_t)nd->reset_why;
			board_reset();
		}
		/*
		 * Sleep unless bytes are waiting. Interrupts are masked around the
		 * check so a byte landing just before WFI still wakes it (a pending
		 * interrupt ends WFI even while masked; it runs after cpsie).
		 */
		__asm__ volatile("cpsid i" ::: "memory");
		if (uart_pending() == 0 && board_now_us() / 1000u < wake)
			board_idle();
		__asm__ volatile("cpsie i" ::: "memory");
	}
}
