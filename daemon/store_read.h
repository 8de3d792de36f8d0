/*
 * store_read: the read side of the store for the control socket.
 *
 * A SECOND SQLite connection to the daemon's database, opened read-only.
 * With WAL, a reader sees the last committed snapshot and never waits for
 * the writer (store.c's connection), and the writer never waits for it: an
 * operator listing 10,000 nodes or paging through readings cannot stretch
 * the data path's group commits. This is the one file besides store.c with
 * SQL in it (docs/ARCHITECTURE.md says why); it only ever reads.
 *
 * Long answers are read through cursors (one prepared statement each) that
 * the caller steps a page at a time between loop turns. An open cursor holds
 * a read snapshot, which keeps the WAL from being checkpointed past it: the
 * control server bounds how long one may stay open.
 *
 * Errors are negative errno values, as in store.h: -ENOENT (no such node),
 * -EINVAL, -ENOMEM, -EIO, -EBUSY, -EPROTO (other SQLite errors).
 */
#ifndef TF_DAEMON_STORE_READ_H
#define TF_DAEMON_STORE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_READ_TEXT   64  /* firmware, kind, rule, label names */
#define STORE_READ_MSG    256 /* alert messages */
#define STORE_READ_JSON   4096
#define STORE_READ_LIMIT  1000000 /* rows one query may return at most */
#define STORE_READ_ALERTS 5       /* recent alerts in a node's detail */

struct store_read;
struct store_read_cursor;

struct store_read_node {
	uint32_t id;
	char name[STORE_NAME_MAX];
	char tags[STORE_TAGS_MAX];
	int64_t created_ms;
	int64_t last_seen_ms; /* 0 = never */
	int64_t hello_ms;     /* 0 = no Hello yet */
	char firmware[STORE_READ_TEXT];
	uint32_t core_version;
	uint64_t seqs_abandoned; /* seqs its seq_floor skipped, never stored (committed) */
};

struct store_read_reading {
	int64_t id;
	uint32_t node_id;
	char node[STORE_NAME_MAX]; /* "" when the node was removed since */
	uint32_t seq;
	int64_t t_ms, rx_ms;
	uint32_t model_id, model_version, label;
	char label_name[STORE_READ_TEXT]; /* the node's top_label, may be "" */
	double score;
	uint32_t latency_us;
};

struct store_read_health {
	int64_t id;
	uint32_t node_id;
	char node[STORE_NAME_MAX];
	uint32_t seq;
	int64_t t_ms, rx_ms;
	uint32_t battery_mv;
	int32_t rssi_dbm;
	uint32_t uptime_s, reboots;
	uint32_t free_mem_bytes, inferences, inference_errors, outbox_depth;
};

struct store_read_alert {
	int64_t id; /* the alerts row */
	uint32_t node_id;
	char node[STORE_NAME_MAX];
	int64_t t_ms;
	char kind[STORE_READ_TEXT];
	char rule[STORE_READ_TEXT];
	int severity; /* enum alert_severity */
	char message[STORE_READ_MSG];
	bool raised;        /* false: this row is a clear (watch only) */
	int64_t cleared_ms; /* raised rows: when it was cleared; 0 = still raised */
	int64_t acked_ms;   /* 0 = not acknowledged */
	int64_t acked_uid;
};

enum store_read_state { STORE_READ_ANY = 0, STORE_READ_ONLINE = 1, STORE_READ_OFFLINE = 2 };
enum store_read_sort { STORE_READ_BY_ID = 0, STORE_READ_BY_NAME = 1, STORE_READ_BY_LAST_SEEN = 2 };

struct store_read_node_query {
	const char *tag; /* NULL or "" = any */
	enum store_read_state state;
	int64_t online_since_ms; /* a node seen at or after this is online */
	enum store_read_sort sort;
};

/*
 * A window of readings or health rows. Ordering: with after_id > 0 (watch),
 * rows with a larger id in id order; with since_ms > 0, the first `limit`
 * rows from since_ms on in time order; otherwise the latest `limit` rows,
 * returned in time order.
 */
struct store_read_query {
	uint32_t node_id;  /* 0 = every node */
	int64_t since_ms;  /* 0 = unbounded */
	int64_t until_ms;  /* 0 = unbounded; exclusive */
	const char *label; /* readings: decimal index or top_label; NULL/"" = any */
	uint32_t limit;    /* 1..STORE_READ_LIMIT */
	bool follow;       /* watch: rows with id > after_id, in id order */
	int64_t after_id;
};

struct store_read_alert_query {
	uint32_t node_id; /* 0 = every node */
	bool open_only;   /* only alerts not cleared yet */
	uint32_t limit;   /* newest first */
	bool follow; /* watch: every row (raised and cleared) with id > after_id, in id order */
	int64_t after_id;
};

/* The gateway-wide figures of `tinyfleetctl status` that live in the database. */
struct store_read_summary {
	int64_t nodes_total, nodes_online;
	int64_t seqs_abandoned; /* sum over the enrolled nodes */
	int64_t alerts_open;
	int64_t db_bytes;
};

/* Opens path read-only (the writer must have created it). */
int store_read_open(const char *path, struct store_read **ret);
/* Frees sr; every cursor must have been freed before. Accepts NULL. */
void store_read_free(struct store_read *sr);

int store_read_summary(struct store_read *sr, int64_t online_since_ms,
                       struct store_read_summary *ret);

/*
 * Resolves "NAME" or a decimal id to a node. Returns 0, -ENOENT, or an error.
 */
int store_read_node_find(struct store_read *sr, const char *ref, struct store_read_node *ret);

#define STORE_READ_SLOTS 8 /* model slots reported in a node's detail */

struct store_read_slot {
	uint32_t index, model_id, model_version, size_bytes;
	char state[32];
};

/* What `nodes show` reports beyond the node row. */
struct store_read_detail {
	char caps[STORE_READ_JSON];         /* Hello capabilities JSON, "" when none */
	char model_status[STORE_READ_JSON]; /* latest ModelStatus JSON, "" when none */
	char board[STORE_READ_TEXT];        /* digested from caps */
	uint32_t arena_bytes, slot_size_bytes, slot_count, op_count;
	char sensors[STORE_READ_MSG]; /* sensor names, comma separated */
	uint32_t active_slot;         /* from model_status */
	struct store_read_slot slots[STORE_READ_SLOTS];
	size_t n_slots;
	struct store_read_health health; /* the latest health row, if have_health */
	bool have_health;
	struct store_read_alert alerts[STORE_READ_ALERTS]; /* recent, newest first */
	size_t n_alerts;
	int64_t readings; /* stored readings of the node */
};

/* Fills *ret with the detail of one node (a large struct: allocate it). */
int store_read_node_detail(struct store_read *sr, uint32_t node_id, struct store_read_detail *ret);

/* Cursors: create, then call the matching next function until it returns 0. */
int store_read_nodes(struct store_read *sr, const struct store_read_node_query *q,
                     struct store_read_cursor **ret);
int store_read_readings(struct store_read *sr, const struct store_read_query *q,
                        struct store_read_cursor **ret);
int store_read_health(struct store_read *sr, const struct store_read_query *q,
                      struct store_read_cursor **ret);
int store_read_alerts(struct store_read *sr, const struct store_read_alert_query *q,
                      struct store_read_cursor **ret);

/* Each returns 1 with a row in *ret, 0 at the end, or a negative error. */
int store_read_next_node(struct store_read_cursor *c, struct store_read_node *ret);
int store_read_next_reading(struct store_read_cursor *c, struct store_read_reading *ret);
int store_read_next_health(struct store_read_cursor *c, struct store_read_health *ret);
int store_read_next_alert(struct store_read_cursor *c, struct store_read_alert *ret);

/* Ends the query (and its read snapshot). Accepts NULL. */
void store_read_cursor_free(struct store_read_cursor *c);

/* The largest row id of readings, health and alerts (where `watch` starts). */
int store_read_max_ids(struct store_read *sr, int64_t *ret_reading, int64_t *ret_health,
                       int64_t *ret_alert);

#endif
