/*
 * mock_port: an in-memory port for the agent's unit tests.
 *
 * NOR flash in RAM with fault injection (failed and torn writes), a clock the
 * test moves by hand, captured outgoing frames, a deterministic random source
 * and a sensor that fills a counting pattern. One struct per simulated node;
 * mock_port_ops is the vtable to give agent_init().
 */
#ifndef TF_TESTS_MOCK_PORT_H
#define TF_TESTS_MOCK_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "ports/port.h"

#define MOCK_FLASH_SIZE  (256u * 1024u)
#define MOCK_SECTOR      4096u
#define MOCK_FRAMES_MAX  256
#define MOCK_FRAME_BYTES 512

struct mock_port {
	uint8_t flash[MOCK_FLASH_SIZE];
	uint64_t now_us;
	uint32_t rng;
	/* fault injection */
	int fail_writes_after; /* >= 0: that many more writes succeed, then all fail */
	int tear_next_write;   /* > 0: the next write stores only this many bytes, then fails */
	int fail_erase;        /* 1: erases fail */
	int fail_send;         /* 1: link_send fails */
	/* observations */
	uint32_t writes, erases, reads;
	uint8_t frames[MOCK_FRAMES_MAX][MOCK_FRAME_BYTES];
	size_t frame_len[MOCK_FRAMES_MAX];
	int n_frames; /* frames captured (oldest kept when full) */
	int resets;   /* reset() calls */
	enum port_reset_reason last_reset;
	enum port_reset_reason boot_reason;
	int crash_on_model; /* 1: the inference hook simulates a crash */
	uint32_t extra_latency_us;
	int sensor_fail;
};

extern const struct port_ops mock_port_ops;

/* Fresh node: erased flash, clock at 1 s, no faults. */
void mock_port_init(struct mock_port *m);

/* Forgets captured frames. */
void mock_port_clear_frames(struct mock_port *m);

#endif
