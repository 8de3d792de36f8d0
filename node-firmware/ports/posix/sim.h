/*
 * sim: the internals tinyfleet-node's files share (main.c, node.c, link.c).
 *
 * One process, one thread, one epoll loop: `struct sim` owns N simulated nodes
 * (`struct pnode`, each a full agent with its own flash file and arena), a
 * min-heap of their wake times, the link to the gateway (one UDP socket or one
 * serial line that carries every node's frames, as a radio concentrator would)
 * and the impairment queue that delays, duplicates and reorders frames.
 */
#ifndef TF_POSIX_SIM_H
#define TF_POSIX_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agent/agent.h"
#include "ports/posix/flash.h"
#include "ports/posix/sensor.h"
#include "wire/cobs.h"
#include "wire/wire.h"

struct sim_opts {
	const char *gateway;     /* host:port, or NULL: from the provisioning file */
	const char *serial;      /* serial device path, or NULL for UDP */
	const char *provision;   /* provisioning file */
	const char *model;       /* .tflite to run as the built-in model, or NULL */
	const char *state_dir;   /* NULL: a temporary directory removed at exit */
	const char *sensor_file; /* raw input tensors to replay, or NULL */
	const char *dump;        /* write every node's outbox here at exit, or NULL */
	const char *fault_nodes; /* comma-separated node ids the faults apply to; NULL = all */
	uint32_t count;          /* nodes to run (0 = all in the file) */
	uint32_t period_ms;      /* inference period default */
	uint32_t health_ms;      /* health period default */
	uint32_t rto_ms;         /* first retransmit timeout default */
	uint32_t rto_max_ms;     /* retransmit cap default */
	uint32_t flash_kib;      /* flash per node */
	uint32_t ramp_ms;        /* nodes boot spread over this long */
	uint64_t seed;
	double duration_s;         /* 0 = until SIGINT/SIGTERM */
	double loss, dup, reorder; /* probabilities, each direction */
	uint32_t delay_ms;         /* added to every frame, each direction */
	int stats;                 /* print the JSON figures at exit */
	int log_level;             /* agent logs at or above this go to stderr */
	/* faults */
	uint32_t reboot_loop_ms; /* > 0: each faulty node resets this long after boot */
	uint32_t slow_ms;        /* > 0: faulty nodes report inferences this much slower */
	char crash_prefix[65]; /* faulty nodes crash running a model whose SHA-256 hex starts so */
};

struct pnode {
	struct agent a;      /* the node's agent (first: the big part) */
	struct pflash flash; /* its flash file */
	struct sim *sim;
	uint32_t idx;          /* index in sim->nodes */
	uint32_t heap_pos;     /* place in sim->heap */
	uint64_t wake_ms;      /* next agent_step() */
	uint64_t rng;          /* per-node random state */
	uint64_t reboot_at_ms; /* reboot-loop fault: when to reset; 0 = never */
	uint8_t reset_pending; /* the agent asked for a reset */
	uint8_t reset_why;     /* enum port_reset_reason of that reset */
	uint8_t boot_reason;   /* reason for the current boot */
	uint8_t faulty;        /* 1: the --fault hooks apply to this node */
	uint8_t booted;        /* agent_init() succeeded */
	uint8_t pad_[3];
	uint32_t boots; /* boots in this process */
};

/* A frame held back by the impairment layer. */
struct pkt {
	uint64_t due_ms;
	uint32_t node_idx;
	uint8_t to_node; /* 1: gateway-to-node, 0: node-to-gateway */
	uint16_t len;
	uint8_t data[WIRE_MAX_FRAME];
};

/* A slot model shared by every node that maps the same SHA-256 (node.c). */
struct model_cache {
	uint8_t sha[32];
	uint32_t len;
	uint8_t *bytes;
	struct model_cache *next;
};

struct link_stats {
	uint64_t sent, received, lost, duplicated, reordered, delayed;
	uint64_t send_errors, unknown_node, queue_full, bad_frames, reopens;
};

/* UDP frames gathered per sendmmsg(). */
#define SEND_BATCH 64

struct link {
	uint8_t batch[SEND_BATCH][WIRE_MAX_FRAME]; /* UDP frames not yet sent */
	uint16_t batch_len[SEND_BATCH];
	uint32_t n_batch;
	int fd;     /* UDP socket or serial fd */
	int serial; /* 1: COBS over fd */
	struct sockaddr_storage gw;
	socklen_t gw_len;
	struct wire_cobs_stream cobs;
	uint8_t cobs_buf[WIRE_MAX_FRAME];
	uint8_t *out; /* serial output buffer */
	size_t out_len, out_cap;
	struct link_stats st;
};

struct sim {
	struct sim_opts o;
	struct pnode *nodes;
	uint32_t n;
	uint32_t *heap; /* node indices, min-heap on wake_ms */
	uint32_t heap_n;
	struct pkt **dq; /* impairment delay queue, min-heap on due_ms */
	uint32_t dq_n, dq_cap;
	uint32_t *by_id; /* node indices sorted by node id */
	struct link link;
	uint64_t rng; /* impairment randomness */
	int epfd;
	int sigfd;
	uint64_t start_ms;
	/* the shared built-in model */
	uint8_t *model_bytes;
	size_t model_len;
	struct nn_model model;
	int model_ok;
	uint8_t model_sha[32];
	size_t arena_need; /* bytes each node's arena gets */
	uint8_t *arenas;   /* n * arena_need, one block */
	struct pflash_pool pool;
	char tmp_dir[256]; /* non-empty: remove at exit */
	struct sensor_replay replay;
	struct model_cache *model_cache;
	/* steady-state figures for --stats (after every node booted) */
	double warm_cpu, steady_cpu;
	uint64_t warm_frames, steady_frames, warm_ms;
	/* totals over reboots */
	uint64_t reboots, steps, frames_delivered;
};

/* Monotonic ms / us of the process (CLOCK_MONOTONIC). */
uint64_t sim_now_ms(void);
uint64_t sim_now_us(void);

/* Uniform [0, 1) from the impairment PRNG. */
double sim_unit(struct sim *s);

/* node.c */
extern const struct port_ops pnode_ops;
int pnode_boot(struct sim *s, struct pnode *pn, enum port_reset_reason why);
void pnode_schedule(struct sim *s, struct pnode *pn, uint64_t wake_ms);
struct pnode *sim_find_node(struct sim *s, uint32_t node_id);

/* link.c */
int link_open(struct sim *s);
void link_close(struct sim *s);
/* Node -> gateway, through impairment. */
int link_send_frame(struct sim *s, struct pnode *pn, const uint8_t *frame, size_t len);
/* Reads what the link has (bounded); delivers through impairment. */
void link_read(struct sim *s);
/* Runs due held-back frames; returns the next due time or UINT64_MAX. */
uint64_t link_run_queue(struct sim *s, uint64_t now_ms);
/* Sends what is buffered (UDP batch, serial bytes); called once per loop turn. */
void link_flush(struct sim *s);
/* Serial: the device went away; close it. link_reopen() tries to get it back (0 = open). */
void link_lost(struct sim *s);
int link_reopen(struct sim *s);
/* Delivers a gateway frame to its node now. */
void sim_deliver(struct sim *s, const uint8_t *frame, size_t len);

#endif
