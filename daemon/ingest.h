/*
 * ingest: the data path between the transports and the store, on the loop.
 *
 *   transport rx -> session checks -> stage record (+ JSON, + alert rules)
 *   -> group commit (batch_size records or batch_ms after the first, one
 *      transaction) -> acks out -> mqtt_kick.
 *
 * A failed commit (database locked, disk full, I/O error) keeps the whole
 * batch in memory, sends no ack, and retries from a timer with a doubling
 * delay (retry_min_ms .. retry_max_ms); the loop never spins on it. While the
 * batch is at its cap, new frames are dropped unacked (the nodes keep them
 * and retransmit). A "store_error" alert is raised when the first commit
 * fails and cleared when one succeeds again; both reach MQTT once the store
 * is back (the outbox lives in it).
 */
#ifndef TF_DAEMON_INGEST_H
#define TF_DAEMON_INGEST_H

#include <stdint.h>

#include <uv.h>

#include "alerts.h"
#include "config.h"
#include "session.h"
#include "store.h"
#include "transport.h"

struct mqtt;
struct ingest;

struct ingest_stats {
	uint64_t staged;          /* records staged */
	uint64_t committed;       /* records committed */
	uint64_t commits;         /* successful commits */
	uint64_t commit_failures; /* failed commits (retried) */
	uint64_t backpressure;    /* frames dropped unacked while the batch was full */
	uint64_t outbox_dropped;  /* outbox rows dropped by the bound */
	int store_failing;        /* 1 while commits fail */
	int last_error;           /* last store error */
	size_t pending;           /* records waiting in the batch */
};

/*
 * Creates the pipeline. cfg, st, sess and al are borrowed and must outlive
 * it (al may be NULL; set with ingest_set_alerts()). Returns 0 or -ENOMEM.
 */
int ingest_new(uv_loop_t *loop, const struct config *cfg, struct store *st, struct session *sess,
               struct ingest **ret);
void ingest_free(struct ingest *in);

/* Wires the publisher to kick after commits (may be NULL). */
void ingest_set_mqtt(struct ingest *in, struct mqtt *m);
void ingest_set_alerts(struct ingest *in, struct alerts *al);
/* The alerts_ops that stage alert records into the batch; arg is the ingest. */
extern const struct alerts_ops ingest_alerts_ops;
/* A new config (SIGHUP): batch size, timers, topics. */
void ingest_set_config(struct ingest *in, const struct config *cfg);

/* The transport rx callback; arg is the ingest. */
void ingest_rx(void *arg, uint8_t *frame, size_t len, const struct transport_peer *from);

/* Commits what is staged now (shutdown, tests). Returns 0 or the store error. */
int ingest_flush(struct ingest *in);
/* Housekeeping (call every housekeeping_ms): alert ticks, retention, outbox deletes. */
void ingest_housekeeping(struct ingest *in);

void ingest_get_stats(const struct ingest *in, struct ingest_stats *ret);

/* Unix time in ms. */
int64_t ingest_now_ms(void);

#endif
