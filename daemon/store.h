/*
 * store: the daemon's SQLite database, and the only file with SQL in it.
 *
 * One connection, one writer (the loop thread). WAL journal; `synchronous`
 * from the config; every statement prepared once at open; the schema is
 * migrated step by step by PRAGMA user_version. The data path writes through
 * store_commit(): all rows of a batch (readings, health, node state, alerts
 * and the outbox rows that will be published for them) in ONE transaction, so
 * a reading is either stored, counted in its node's ack window and queued for
 * MQTT, or none of these. Acks go out only after store_commit() returns 0.
 *
 * Errors are negative errno values: -EBUSY (locked by another process),
 * -ENOSPC (disk or database full), -EIO (I/O error), -EROFS (read-only),
 * -ENOMEM, -EINVAL, -EEXIST (duplicate node), -ENOENT, -EPROTO (other SQLite
 * error). A failed store_commit() rolls back and leaves the caller's batch
 * untouched so it can be retried as is.
 */
#ifndef TF_DAEMON_STORE_H
#define TF_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/replay.h"

#define STORE_KEY_BYTES      32
#define STORE_NAME_MAX       64  /* node names: 1..63 of [A-Za-z0-9._-] */
#define STORE_TAGS_MAX       256 /* comma list */
#define STORE_SCHEMA_VERSION 3   /* PRAGMA user_version after store_open() */

struct store;

struct store_opts {
	const char *path;        /* database file; created 0600 */
	const char *vfs;         /* SQLite VFS name, NULL = default (tests inject faults) */
	int synchronous;         /* 0 off, 1 normal, 2 full, 3 extra */
	int busy_timeout_ms;     /* sqlite3_busy_timeout */
	int64_t outbox_max_rows; /* bound; 0 = unbounded */
};

/* What each outbox / stored row is. Values are stored: never renumber. */
enum store_kind {
	STORE_KIND_INFERENCE = 1,
	STORE_KIND_HEALTH = 2,
	STORE_KIND_NODE_STATUS = 3, /* retained online/offline of a node */
	STORE_KIND_ALERT = 4,
	STORE_KIND_HELLO = 5,
	STORE_KIND_MODEL_STATUS = 6,
	STORE_KIND_GATEWAY_STATUS = 7,
};

/* A node as enrolled, with its persisted session state. */
struct store_node {
	uint32_t id;
	char name[STORE_NAME_MAX];
	char tags[STORE_TAGS_MAX];
	uint8_t key[STORE_KEY_BYTES]; /* secret: never log */
	struct wire_replay rx;        /* node->gateway replay window as of the last commit */
	uint32_t ack_cum;             /* every seq <= ack_cum is stored */
	uint64_t ack_sack;            /* bit i: seq ack_cum + 1 + i stored */
	uint64_t tx_reserved;         /* gateway->node counters below this may have been used */
	int64_t last_seen_ms;         /* unix ms of the last accepted frame; 0 = never */
	uint64_t seqs_abandoned;      /* seqs the node's seq_floor skipped, never stored */
};

/* Per-node state written by a commit (only nodes the batch touched). */
struct store_node_state {
	uint32_t id;
	struct wire_replay rx;
	uint32_t ack_cum;
	uint64_t ack_sack;
	uint64_t tx_reserved;
	int64_t last_seen_ms;
	uint64_t seqs_abandoned; /* total so far, this batch's included */
};

/*
 * One staged record. kind says which table it goes to (HELLO updates the node
 * row; NODE_STATUS and GATEWAY_STATUS only publish). topic/payload, when
 * topic is not NULL, also become an outbox row in the same transaction. The
 * strings are borrowed for the duration of store_commit().
 */
struct store_rec {
	enum store_kind kind;
	uint32_t node_id; /* 0 = the gateway itself */
	uint32_t seq;     /* application seq; 0 for records the gateway makes */
	int64_t t_ms;     /* node's unix time of the event, or rx_ms when unsynced */
	int64_t rx_ms;    /* gateway unix time of reception */
	union {
		struct {
			uint32_t model_id, model_version, label, latency_us;
			float score; /* top score, dequantized */
		} inf;
		struct {
			uint32_t battery_mv, uptime_s, reboots;
			int32_t rssi_dbm;
		} health;
		struct {
			const char *firmware;
			uint32_t core_version;
			const char *caps; /* JSON of ops, arena, slots, sensors, board */
		} hello;
		struct {
			const char *kind; /* alert_kind_name(), or "store_error" */
			const char *rule; /* rule name or "" */
			int severity;     /* 0 info, 1 warning, 2 critical */
			int raised;       /* 1 raised, 0 cleared */
		} alert;
	} u;
	const char *data;  /* JSON stored with the row (usually == payload); may be NULL */
	const char *topic; /* NULL = not published */
	const char *payload;
	size_t payload_len;
	int qos, retain;
};

/* One row handed to the MQTT publisher (mqtt.h's struct mqtt_outbox_row has the same shape). */
struct store_outbox_row {
	int64_t id;
	const char *topic;
	const void *payload;
	size_t payload_len;
	int qos;
	int retain;
};

struct store_stats {
	int64_t commits, commit_failures, rows_committed;
	int64_t outbox_rows;       /* rows in the outbox now */
	int64_t outbox_dropped;    /* inference/health rows dropped by the bound, total */
	int64_t retention_deleted; /* rows deleted by retention, total */
};

int store_open(const struct store_opts *opts, struct store **ret_store);
void store_free(struct store *st);
const char *store_strerror(int err);

/* ---- nodes ---- */

/*
 * Enrolls a node. id 0 = assign the next free id. name must be 1..63 bytes of
 * [A-Za-z0-9._-] and unique. Stores the id in *ret_id (may be NULL).
 * Returns 0, -EINVAL, -EEXIST (id or name taken), or a store error.
 */
int store_node_add(struct store *st, uint32_t id, const char *name, const char *tags,
                   const uint8_t key[STORE_KEY_BYTES], uint32_t *ret_id);
/* Explicit transaction around many store_node_add() calls (enrollment in bulk). */
int store_tx_begin(struct store *st);
int store_tx_commit(struct store *st);
void store_tx_rollback(struct store *st);
/* Calls cb for every node, in id order; stops early when cb returns non-zero (returned). */
int store_node_foreach(struct store *st, int (*cb)(void *arg, const struct store_node *n),
                       void *arg);
int store_node_count(struct store *st, int64_t *ret_n);
/* Looks one node up by id. -ENOENT when there is none. */
int store_node_get(struct store *st, uint32_t id, struct store_node *ret_node);
/* Looks one node up by name. -ENOENT when there is none. */
int store_node_get_by_name(struct store *st, const char *name, struct store_node *ret_node);

/* ---- the data path ---- */

/*
 * Writes n records and the state of n_nodes nodes in one transaction, applies
 * the outbox bound (oldest inference rows first, then health; never alerts or
 * status) and deletes the outbox rows store_outbox_done() queued. Returns 0
 * when everything is durable (as `synchronous` promises), or a negative error
 * after rolling back.
 */
int store_commit(struct store *st, const struct store_rec *recs, size_t n,
                 const struct store_node_state *nodes, size_t n_nodes);

/*
 * Rows with id > after_id, oldest first, at most max. Pointers in rows stay
 * valid until the next store_outbox_fetch(). Returns 0 or an error.
 */
int store_outbox_fetch(struct store *st, int64_t after_id, struct store_outbox_row *rows,
                       size_t max, size_t *ret_n);
/* Queues an outbox row for deletion (the broker has it); deleted at the next commit. */
int store_outbox_done(struct store *st, int64_t id);
/* Deletes queued done rows now, in one transaction (when no batch is committing). */
int store_outbox_flush(struct store *st);
/* Rows waiting in the done queue. */
size_t store_outbox_done_pending(const struct store *st);

/*
 * One retention step: deletes at most `batch` of the oldest readings and
 * health rows received before now_ms - age_s (age_s 0 = no age limit), and,
 * when the database holds more than max_bytes of used pages, at most `batch`
 * of the oldest rows of readings and health together (oldest received first,
 * from either table) regardless of age. *ret_deleted = rows deleted (0:
 * nothing left to do). Returns 0 or an error.
 */
int store_retention_step(struct store *st, int64_t now_ms, int64_t age_s, int64_t max_bytes,
                         int batch, int64_t *ret_deleted);

/* Bytes of database pages in use (page_count - freelist_count) * page_size. */
int store_used_bytes(struct store *st, int64_t *ret_bytes);

void store_get_stats(const struct store *st, struct store_stats *ret_stats);
/* Changes the outbox bound (SIGHUP). */
void store_set_outbox_max(struct store *st, int64_t max_rows);

/* Query helpers used by tests and the future control socket. */
int store_readings_count(struct store *st, uint32_t node_id, int64_t *ret_n);
/*
 * Writes the EXPLAIN QUERY PLAN detail lines of the two hot queries ("latest
 * readings of node X" and "readings of node X since T") into buf, one per
 * line. Returns 0 or an error.
 */
int store_explain_hot_queries(struct store *st, char *buf, size_t len);

/*
 * Calls cb for every alert whose latest row is "raised" (for alerts_restore()
 * at start-up). rule is "" for built-in kinds.
 */
int store_alerts_active(struct store *st,
                        int (*cb)(void *arg, const char *kind, uint32_t node_id, const char *rule),
                        void *arg);

/* The raw connection, for tests only. */
struct sqlite3 *store__db(struct store *st);

/* ---- administration for the control socket (issue 6, owner: control) ---- */

/* Deletes a node (its readings and health stay). -ENOENT when there is none. */
int store_node_remove(struct store *st, uint32_t id);
/* Replaces a node's tags (comma list, < STORE_TAGS_MAX). -ENOENT, -EINVAL. */
int store_node_set_tags(struct store *st, uint32_t id, const char *tags);
/* Gives a node a new key and resets its replay and ack windows. -ENOENT. */
int store_node_set_key(struct store *st, uint32_t id, const uint8_t key[STORE_KEY_BYTES]);
/*
 * Acknowledges the raised alert row alert_id (again: the latest ack wins).
 * -ENOENT when no raised alert has that id.
 */
int store_alert_ack(struct store *st, int64_t alert_id, int64_t t_ms, int64_t uid);

#endif
