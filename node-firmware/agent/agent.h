/*
 * agent: the node runtime every tinyfleet node runs on top of core/ and wire/.
 *
 * The agent is cooperative and owns no thread, timer or buffer of its own: the
 * port allocates `struct agent` (no malloc anywhere), calls agent_init() once
 * per boot, agent_step() whenever the time it returned has come, and
 * agent_on_frame() for every frame the link received. All I/O goes through the
 * HAL in ports/port.h.
 *
 *	struct agent a;                          // ~10 KiB plus the arena
 *	agent_init(&a, &ops, ctx, &params);      // boot: state, counters, outbox, model
 *	for (;;) {
 *		wake = agent_step(&a, now_ms);   // bounded work
 *		... wait for a frame or `wake` ...
 *		agent_on_frame(&a, frame, len);
 *	}
 *
 * Boot: loads the persistent state, reserves a frame counter block (state.h),
 * restores the outbox (outbox.h), picks the model (active slot, else the other
 * slot, else the built-in model; a slot that is corrupt, fails to open or
 * crash-looped is marked failed and reported in ModelStatus), and queues Hello
 * and ModelStatus.
 *
 * Work: samples the sensor into the model's input, invokes the core and queues
 * an Inference every inference period; queues Health every health period;
 * (re)transmits due outbox entries, each sealed with a fresh frame counter and
 * carrying the outbox's current seq floor (NodeMessage.seq_floor: every seq
 * below it is acked or was dropped), so a full outbox's drops never stall the
 * gateway's ack window.
 *
 * Gateway messages honoured: Ack, TimeSync, Config. ModelOffer, Chunk, Activate
 * and Rollback are counted as unknown and ignored until the rollout issue; the
 * slot API (slots.h) is what they will use.
 */
#ifndef TF_AGENT_H
#define TF_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/err.h"
#include "agent/layout.h"
#include "agent/outbox.h"
#include "agent/state.h"
#include "core/nn.h"
#include "ports/port.h"
#include "wire/replay.h"

#define AGENT_FIRMWARE_VERSION "0.1.0"

/* Defaults that Config can override (0 in Config means "these"). */
#define AGENT_DEFAULT_INFERENCE_MS 1000u
#define AGENT_DEFAULT_HEALTH_MS    60000u
#define AGENT_DEFAULT_STATUS_MS    3600000u

/* Bounds on what Config may set (values outside are clamped). */
#define AGENT_MIN_INFERENCE_MS 10u
#define AGENT_MIN_HEALTH_MS    1000u
#define AGENT_MIN_STATUS_MS    10000u
#define AGENT_MAX_PERIOD_MS    86400000u /* one day */
#define AGENT_MIN_RTO_MS       50u
#define AGENT_MAX_RTO_MS       3600000u /* one hour */

/* Frames sent per agent_step() at most: bounded work per wakeup. */
#define AGENT_SEND_BURST 8

/* A slot that boots this many times without a good inference is marked failed. */
#define AGENT_TRIAL_BOOTS_MAX 3

/* Model id / version the built-in model reports. */
#define AGENT_BUILTIN_MODEL_ID 0u

/* What the port tells the agent at boot; everything is borrowed, not copied. */
struct agent_params {
	uint32_t node_id;             /* from provisioning */
	uint8_t key[32];              /* from provisioning (copied) */
	const uint8_t *builtin_model; /* .tflite bytes, or NULL: no built-in model */
	size_t builtin_len;
	const struct nn_model *builtin_nn; /* optional: builtin_model already opened (shared) */
	const uint8_t *builtin_sha256;     /* optional: SHA-256 of builtin_model (32 bytes) */
	uint32_t builtin_version;          /* version reported for the built-in model */
	void *arena;                       /* tensor arena, any alignment */
	size_t arena_len;
	const char *firmware;         /* NULL: AGENT_FIRMWARE_VERSION */
	const char *board;            /* NULL: "unknown" */
	uint32_t inference_period_ms; /* defaults before any Config; 0: built-in */
	uint32_t health_period_ms;
	uint32_t rto_initial_ms;
	uint32_t rto_max_ms;
};

struct agent_stats {
	uint32_t inferences;      /* since boot */
	uint32_t infer_errors;    /* sensor or invoke failures since boot */
	uint32_t reported;        /* Inference messages queued since boot */
	uint64_t lat_sum_us;      /* latency sum over the Health interval */
	uint32_t lat_n;           /* inferences in the interval */
	uint32_t lat_max_us;      /* max latency in the interval */
	uint32_t frames_sent;     /* frames handed to link_send() */
	uint32_t send_errors;     /* link_send() or seal failures */
	uint32_t frames_received; /* frames that verified */
	uint32_t frames_rejected; /* auth, replay, decode, wrong node */
	uint32_t unknown_msgs;    /* valid frames with a message we do not honour */
	uint32_t acks;            /* Ack messages */
	uint32_t fallbacks;       /* boots that did not run the active slot */
	uint32_t state_errors;    /* persistent state writes that failed */
};

struct agent {
	const struct port_ops *ops; /* the HAL (borrowed) */
	void *ctx;                  /* the port's per-node context */
	uint32_t node_id;
	uint8_t key[32];
	struct agent_layout lay;
	struct agent_state st; /* RAM copy of the newest persistent record */
	struct agent_state_log stlog;
	uint64_t counter;             /* next frame counter to use */
	uint64_t counter_limit;       /* first counter not covered by the saved reservation */
	struct wire_replay gw_window; /* gateway-to-node replay window */
	struct agent_outbox ob;

	/* model */
	struct nn_model model;     /* opened slot model (or unshared built-in) */
	const struct nn_model *mp; /* model running: &model or the shared one; NULL: none */
	struct nn_interp *ip;      /* bound interpreter inside the arena */
	uint8_t *arena;            /* aligned start of the arena */
	size_t arena_len;          /* usable bytes from there */
	uint32_t model_id;         /* running model's id, AGENT_BUILTIN_MODEL_ID for built-in */
	uint32_t model_version;
	uint32_t model_slot;   /* 0, 1 or AGENT_SLOT_BUILTIN */
	uint8_t model_sha[32]; /* zero for the built-in model */
	int32_t model_error;   /* AGENT_E* of the last slot that failed, 0 = none */
	const uint8_t *builtin;
	size_t builtin_len;
	const struct nn_model *builtin_nn;
	uint8_t builtin_sha[32]; /* zero when the port did not give it */
	uint32_t builtin_version;

	/* settings in force (Config or defaults) */
	uint32_t infer_ms, health_ms, status_ms, report_min_permille;
	uint32_t battery_low_mv; /* Config: below it, Health goes out at once; 0 = off */
	uint32_t def_infer_ms, def_health_ms, def_rto_initial, def_rto_max;

	/* time */
	uint64_t boot_ms; /* port ms at agent_init() */
	uint64_t next_infer_ms;
	uint64_t next_health_ms;
	uint64_t next_status_ms;
	int64_t unix_offset_ms; /* unix ms = mono ms since boot + offset */
	uint8_t synced;         /* 1 after the first TimeSync */
	uint8_t halted;         /* 1 after asking the port for a reset */
	uint8_t status_dirty;   /* queue a ModelStatus at the next step */
	uint8_t battery_low;    /* 1 while below battery_low_mv (reported once per crossing) */

	uint32_t sample; /* sensor samples taken since boot */
	enum port_reset_reason reset_reason;
	const char *firmware;
	const char *board;
	struct agent_stats stats;
};

/*
 * Boots the agent on the port `ops`/`ctx` with `p`. May be called again on the
 * same struct to simulate a reboot (the port does that for reset()).
 * Returns 0; AGENT_EINVAL (bad params or flash geometry), AGENT_EIO (the counter
 * reservation could not be written: the node must not send), AGENT_ENOSPC.
 * Running without any usable model is not an error: the node still reports
 * Health and ModelStatus (with the reason).
 */
int agent_init(struct agent *a, const struct port_ops *ops, void *ctx,
               const struct agent_params *p);

/*
 * Does the work that is due at now_ms (port monotonic ms) and returns the time
 * at which it wants to be called again (UINT64_MAX after reset()).
 */
uint64_t agent_step(struct agent *a, uint64_t now_ms);

/*
 * Takes one received frame (borrowed for the call). Returns 0 when it was
 * honoured, or a negative AGENT_E* code when it was dropped (also counted in
 * stats): AGENT_EWIRE for frames that fail authentication, replay or decoding,
 * AGENT_EINVAL for a frame addressed to another node.
 */
int agent_on_frame(struct agent *a, const uint8_t *frame, size_t len, uint64_t now_ms);

/* Node monotonic ms since boot, as reported in mono_ms fields. */
uint64_t agent_mono_ms(const struct agent *a, uint64_t now_ms);

/* Number of bytes of RAM one agent takes, arena excluded. */
size_t agent_ram_bytes(void);

#endif
