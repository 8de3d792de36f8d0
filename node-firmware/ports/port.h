/*
 * port.h: the HAL contract between the node agent and the board it runs on.
 *
 * The agent (node-firmware/agent) never includes an OS header; everything it
 * needs from the outside world goes through one `struct port_ops` vtable plus
 * an opaque context pointer that the port owns. A port (ports/posix, the
 * Cortex-M4 port) fills in the table once and hands it to agent_init(). One
 * process may run many agents against one table with a different `ctx` each
 * (the POSIX simulator runs up to 10,000 nodes this way).
 *
 * Rules every port must keep (tests/unit/agent/check_port.c checks them on the
 * mock port the unit tests use, and on the POSIX flash backend):
 *
 *   - Every call is non-blocking and returns quickly: the agent is cooperative
 *     and runs from the port's event loop.
 *   - now_us() is monotonic (never goes backwards) from an arbitrary origin.
 *   - Flash behaves like NOR flash: erase() sets whole sectors to 0xFF; write()
 *     can only clear bits (a write over non-erased bytes stores old & new);
 *     read() returns what is stored. Offsets and lengths are checked against
 *     the geometry; erase() takes sector-aligned ranges only. A write that is
 *     interrupted by a reset may leave any mix of old and new bits in the bytes
 *     it covered, and nothing else: the agent's records carry CRCs for this.
 *   - link_send() takes one sealed frame (at most WIRE_MAX_FRAME bytes) and
 *     either queues it or drops it: links are lossy and the agent retransmits.
 *     Frames received by the port are pushed to agent_on_frame(); there is no
 *     receive call in this table.
 *   - reset() asks the port to restart the node. It returns to the agent, which
 *     stops doing work at once; the port performs the restart from its loop
 *     (POSIX: re-runs agent_init() on the same flash; MCU: NVIC_SystemReset()).
 *
 * Every int-returning function returns 0 (or a byte count) on success and a
 * negative PORT_E* code on failure.
 */
#ifndef TF_PORT_H
#define TF_PORT_H

#include <stddef.h>
#include <stdint.h>

enum port_err {
	PORT_OK = 0,
	PORT_EINVAL = -1, /* bad argument: NULL, out of range, unaligned erase */
	PORT_EIO = -2,    /* the device failed (flash I/O error, link down) */
	PORT_EAGAIN = -3, /* try later: link queue full, sensor not ready */
	PORT_ENOTSUP = -4 /* the port has no such device (no sensor, no XIP) */
};

/* Why the node last started; persisted by the agent and reported in Health. */
enum port_reset_reason {
	PORT_RESET_POWER_ON = 0, /* cold start, or no record of a previous boot */
	PORT_RESET_SOFTWARE = 1, /* the agent called reset() (e.g. after an update) */
	PORT_RESET_WATCHDOG = 2, /* the watchdog fired: the agent stopped stepping */
	PORT_RESET_FAULT = 3,    /* a crash: hard fault, assertion, simulated crash */
	PORT_RESET_BROWNOUT = 4, /* supply dropped */
	PORT_RESET__MAX = 5
};

enum port_log_level { PORT_LOG_ERR = 3, PORT_LOG_WARN = 4, PORT_LOG_INFO = 6, PORT_LOG_DEBUG = 7 };

/*
 * Flash geometry. The agent carves the device into regions (persistent state,
 * the outbox log, model slots A and B) in sector units; see agent/layout.h.
 */
struct port_flash_info {
	uint32_t size;        /* total bytes, a multiple of sector_size */
	uint32_t sector_size; /* erase granularity, a power of two >= 256 */
};

/*
 * What the sensor must produce: a tensor in the model's input quantization.
 * `dims` follow the model (NHWC, batch first); the port shapes its synthetic
 * or replayed data to match (vibration windows, audio-like features, images).
 */
struct port_sensor_req {
	uint32_t dims[4]; /* unused trailing dims are 1 */
	uint8_t ndims;    /* 1..4 */
	uint8_t dtype;    /* 0 = int8, 1 = uint8, 2 = int16 (little endian) */
	float scale;      /* input quantization: real = scale * (q - zero_point) */
	int32_t zero_point;
	uint32_t sample; /* 0, 1, 2, ...: index of this sample since boot */
};

/* One sensor, as Hello reports it. */
struct port_sensor_desc {
	char name[16];     /* NUL-terminated, at most 15 bytes */
	uint32_t rate_mhz; /* sample rate in millihertz; 0 = on demand */
	uint32_t channels; /* values per sample */
};

/* Power and radio state for Health; fields the port cannot measure are 0. */
struct port_status {
	uint32_t battery_mv;  /* 0: mains powered or unknown */
	int32_t rssi_dbm;     /* 0: unknown (wired links) */
	uint32_t free_memory; /* bytes the port could still hand out (heap/stack slack) */
};

struct port_ops {
	/* Monotonic microseconds since an arbitrary origin. */
	uint64_t (*now_us)(void *ctx);

	/* Fills buf with n random bytes (jitter, nonces are counters, not random). */
	void (*random)(void *ctx, uint8_t *buf, size_t n);

	/* Queues one sealed frame for the gateway. 0, PORT_EAGAIN or PORT_EIO. */
	int (*link_send)(void *ctx, const uint8_t *frame, size_t len);

	/* Flash: see the NOR rules above. */
	void (*flash_info)(void *ctx, struct port_flash_info *ret_info);
	int (*flash_read)(void *ctx, uint32_t off, void *buf, size_t len);
	int (*flash_write)(void *ctx, uint32_t off, const void *buf, size_t len);
	int (*flash_erase)(void *ctx, uint32_t off, size_t len);

	/*
	 * Returns a read-only pointer to `len` flash bytes at `off` whose SHA-256 the
	 * agent has already verified to be `sha256`, for running a model in place
	 * (XIP). NULL when the port cannot map flash; the agent then falls back to
	 * the built-in model. The POSIX port shares one copy between all nodes with
	 * the same hash. The pointer stays valid until the next flash_erase() of
	 * that range or reset().
	 */
	const uint8_t *(*flash_map)(void *ctx, uint32_t off, uint32_t len,
	                            const uint8_t sha256[32]);

	/*
	 * Reads one sample shaped by `req` into buf (`len` bytes, exactly the
	 * tensor size). 0, PORT_EAGAIN (no sample ready) or PORT_ENOTSUP.
	 */
	int (*sensor_read)(void *ctx, const struct port_sensor_req *req, uint8_t *buf, size_t len);

	/* Describes up to max sensors for Hello; returns how many were written. */
	int (*sensors)(void *ctx, struct port_sensor_desc *ret, int max);

	void (*status)(void *ctx, struct port_status *ret_status);

	/* The reason the port saw for this boot (the agent also keeps its own). */
	enum port_reset_reason (*reset_reason)(void *ctx);

	/* Requests a restart; returns, and the agent stops at once. */
	void (*reset)(void *ctx, enum port_reset_reason why);

	/*
	 * Log hook: a constant message plus one number. The agent formats nothing
	 * itself, so it needs no stdio. May be NULL.
	 */
	void (*log)(void *ctx, enum port_log_level level, const char *msg, int64_t value);

	/*
	 * Fault hook for tests (may be NULL): called by the agent before each
	 * inference with the running model's SHA-256 (all zero for a model that is
	 * not in a slot and has no known hash). A port that simulates a crash on
	 * that model calls reset(PORT_RESET_FAULT) and returns nonzero: the agent
	 * then stops at once. A port that simulates a slow inference sets
	 * *ret_extra_us, which the agent adds to the latency it measures (the loop
	 * is never blocked).
	 */
	int (*inference_hook)(void *ctx, const uint8_t sha256[32], uint32_t *ret_extra_us);
};

#endif
