/*
 * store: SQLite behind a small API (see store.h). This file is organised in
 * divisions:
 *   1. errors and helpers
 *   2. schema and migrations (PRAGMA user_version)
 *   3. open / close, cached statements
 *   4. nodes
 *   5. the batch commit (readings, health, alerts, node state, outbox)
 *   6. the outbox as the MQTT publisher sees it
 *   7. retention
 *   8. queries for tests and the control socket
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

/* ---- 1. errors and helpers ---- */

enum {
	ST_NODE_INSERT,
	ST_NODE_MAXID,
	ST_NODE_ALL,
	ST_NODE_BY_NAME,
	ST_NODE_COUNT,
	ST_NODE_STATE,
	ST_NODE_HELLO,
	ST_READING,
	ST_HEALTH,
	ST_ALERT,
	ST_MODEL_STATUS,
	ST_OUTBOX_INSERT,
	ST_OUTBOX_FETCH,
	ST_OUTBOX_DELETE,
	ST_OUTBOX_DROP,
	ST_OUTBOX_COUNT,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_RET_READINGS,
	ST_RET_HEALTH,
	ST_RET_SIZE_SPLIT,
	ST_RET_SIZE_READINGS,
	ST_RET_SIZE_HEALTH,
	ST_READINGS_COUNT,
	ST__MAX
};

static const char *const store_sql[ST__MAX] = {
        [ST_NODE_INSERT] = "INSERT INTO nodes(id, name, tags, key, created_ms) VALUES (?, ?, ?, ?, "
                           "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))",
        [ST_NODE_MAXID] = "SELECT COALESCE(MAX(id), 0) FROM nodes",
        [ST_NODE_ALL] = "SELECT id, name, tags, key, rx_highest, rx_bitmap, ack_cum, ack_sack, "
                        "tx_reserved, last_seen_ms, seqs_abandoned FROM nodes ORDER BY id",
        [ST_NODE_BY_NAME] = "SELECT id, name, tags, key, rx_highest, rx_bitmap, ack_cum, ack_sack, "
                            "tx_reserved, last_seen_ms, seqs_abandoned FROM nodes WHERE name = ?",
        [ST_NODE_COUNT] = "SELECT COUNT(*) FROM nodes",
        [ST_NODE_STATE] =
                "UPDATE nodes SET rx_highest = ?, rx_bitmap = ?, ack_cum = ?, ack_sack = ?, "
                "tx_reserved = ?, last_seen_ms = ?, seqs_abandoned = ? WHERE id = ?",
        [ST_NODE_HELLO] = "UPDATE nodes SET firmware = ?, core_version = ?, caps = ?, hello_ms = ? "
                          "WHERE id = ?",
        [ST_READING] = "INSERT INTO readings(node_id, seq, t_ms, rx_ms, model_id, model_version, "
                       "label, score, latency_us, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [ST_HEALTH] =
                "INSERT INTO health(node_id, seq, t_ms, rx_ms, battery_mv, rssi_dbm, uptime_s, "
                "reboots, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [ST_ALERT] = "INSERT INTO alerts(node_id, t_ms, kind, rule, severity, raised, data) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [ST_MODEL_STATUS] = "INSERT OR REPLACE INTO model_status(node_id, seq, t_ms, data) "
                            "VALUES (?, ?, ?, ?)",
        [ST_OUTBOX_INSERT] = "INSERT INTO outbox(kind, node_id, topic, payload, qos, retain) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
        [ST_OUTBOX_FETCH] = "SELECT id, topic, payload, qos, retain FROM outbox WHERE id > ? "
                            "ORDER BY id LIMIT ?",
        [ST_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id BETWEEN ? AND ?",
        [ST_OUTBOX_DROP] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE kind = ? "
                           "ORDER BY id LIMIT ?)",
        [ST_OUTBOX_COUNT] = "SELECT COUNT(*) FROM outbox",
        [ST_BEGIN] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
        /*
	 * Rows are inserted in reception order, so the lowest ids are the oldest:
	 * look at the first `batch` ids only (a primary key range, never a scan)
	 * and delete those received before the cutoff.
	 */
        [ST_RET_READINGS] = "DELETE FROM readings WHERE id IN (SELECT id FROM readings ORDER BY id "
                            "LIMIT ?) AND rx_ms < ?",
        [ST_RET_HEALTH] = "DELETE FROM health WHERE id IN (SELECT id FROM health ORDER BY id "
                          "LIMIT ?) AND rx_ms < ?",
        /*
	 * Retention by size takes the `batch` oldest rows of readings and
	 * health together. Each table is in reception order by id, so its
	 * first `batch` ids hold its candidates. Merged by receive time, the
	 * first `batch` of those say how many come from readings: that many
	 * readings and the rest from health are deleted (ST_RET_SIZE_*).
	 * Bounded work: at most 2 x batch rows looked at, never a scan.
	 */
        [ST_RET_SIZE_SPLIT] = "SELECT COALESCE(SUM(t = 0), 0), COUNT(*) FROM (SELECT t FROM ("
                              "  SELECT 0 AS t, rx_ms, id FROM "
                              "    (SELECT rx_ms, id FROM readings ORDER BY id LIMIT ?1) UNION ALL "
                              "  SELECT 1 AS t, rx_ms, id FROM "
                              "    (SELECT rx_ms, id FROM health ORDER BY id LIMIT ?1)) "
                              "ORDER BY rx_ms, t, id LIMIT ?1)",
        [ST_RET_SIZE_READINGS] = "DELETE FROM readings WHERE id IN (SELECT id FROM readings "
                                 "ORDER BY id LIMIT ?)",
        [ST_RET_SIZE_HEALTH] = "DELETE FROM health WHERE id IN (SELECT id FROM health ORDER BY id "
                               "LIMIT ?)",
        [ST_READINGS_COUNT] = "SELECT COUNT(*) FROM readings WHERE node_id = ?",
};

#define STORE_DONE_MAX 65536 /* done ids queued between commits */

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__MAX];
	int64_t outbox_max;
	int64_t outbox_rows;
	int64_t *done; /* outbox ids the broker has, to delete at the next commit */
	size_t n_done, cap_done;
	char *fetch_buf; /* strings of the last fetch */
	size_t fetch_cap;
	struct store_stats stats;
};

static int
store_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EIO;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	default:
		return -EPROTO;
	}
}

const char *
store_strerror(int err)
{
	switch (err) {
	case -EPROTO:
		return "database error";
	case -EEXIST:
		return "already exists";
	default:
		return strerror(-err);
	}
}

/* Runs one prepared statement that returns no rows, then resets it. */
static int
store_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : store_err(rc);
}

static int
store_exec(struct store *st, const char *sql)
{
	return store_err(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

static int
store_pragma_int(struct store *st, const char *sql, int64_t *ret)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_err(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
}

/* ---- 2. schema and migrations ---- */

/*
 * migrations[i] takes the schema from user_version i to i + 1. Append only:
 * a database in the field may be at any earlier version.
 */
static const char *const store_migrations[] = {
        /* 0 -> 1: the data path. */
        "CREATE TABLE nodes ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  tags TEXT NOT NULL DEFAULT '',"
        "  key BLOB NOT NULL,"
        "  created_ms INTEGER NOT NULL,"
        "  firmware TEXT, core_version INTEGER, caps TEXT, hello_ms INTEGER,"
        "  rx_highest INTEGER NOT NULL DEFAULT 0,"
        "  rx_bitmap INTEGER NOT NULL DEFAULT 0,"
        "  ack_cum INTEGER NOT NULL DEFAULT 0,"
        "  ack_sack INTEGER NOT NULL DEFAULT 0,"
        "  tx_reserved INTEGER NOT NULL DEFAULT 0,"
        "  last_seen_ms INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE readings ("
        "  id INTEGER PRIMARY KEY,"
        "  node_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
        "  t_ms INTEGER NOT NULL, rx_ms INTEGER NOT NULL,"
        "  model_id INTEGER, model_version INTEGER, label INTEGER, score REAL,"
        "  latency_us INTEGER, data TEXT);"
        /* The one index on the hot table: latest of node X, and node X since T. */
        "CREATE INDEX readings_node_t ON readings(node_id, t_ms);"
        "CREATE TABLE health ("
        "  id INTEGER PRIMARY KEY,"
        "  node_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
        "  t_ms INTEGER NOT NULL, rx_ms INTEGER NOT NULL,"
        "  battery_mv INTEGER, rssi_dbm INTEGER, uptime_s INTEGER, reboots INTEGER, data TEXT);"
        "CREATE INDEX health_node_t ON health(node_id, t_ms);"
        "CREATE TABLE alerts ("
        "  id INTEGER PRIMARY KEY, node_id INTEGER NOT NULL, t_ms INTEGER NOT NULL,"
        "  kind TEXT NOT NULL, rule TEXT NOT NULL DEFAULT '', severity INTEGER NOT NULL,"
        "  raised INTEGER NOT NULL, data TEXT);"
        "CREATE TABLE model_status ("
        "  node_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, t_ms INTEGER NOT NULL, data TEXT);"
        /* AUTOINCREMENT: ids never come back, so the publisher's `after_id` cursor is safe. */
        "CREATE TABLE outbox ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  kind INTEGER NOT NULL, node_id INTEGER NOT NULL,"
        "  topic TEXT NOT NULL, payload BLOB NOT NULL,"
        "  qos INTEGER NOT NULL, retain INTEGER NOT NULL);",
        /*
         * 1 -> 2: operators' acknowledgements, and the index the alert queries
         * need. Version 1 daemons created alert_acks on first use of the
         * control socket, so a version 1 database may already hold it, with
         * rows: IF NOT EXISTS keeps them. The index serves "the latest row of
         * each alert" (alerts_restore at start-up) and "is there a later clear
         * row of this alert" (every control query on open alerts): equality on
         * all three columns, then a range on the rowid the index ends with.
         */
        "CREATE TABLE IF NOT EXISTS alert_acks ("
        "  alert_id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL,"
        "  uid INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS alerts_kind_node_rule ON alerts(kind, node_id, rule);",
        /*
         * 2 -> 3: data a node lost. seqs_abandoned counts, per node, the seqs
         * its seq_floor skipped that were never stored here (the node dropped
         * them from its full outbox). Written with the node's ack window in
         * the batch's transaction; existing nodes start at 0 (what version 2
         * only logged is gone).
         */
        "ALTER TABLE nodes ADD COLUMN seqs_abandoned INTEGER NOT NULL DEFAULT 0;",
};

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION is the number of migrations");

static int
store_migrate(struct store *st)
{
	int64_t version;
	size_t n = sizeof(store_migrations) / sizeof(store_migrations[0]);
	int r;

	if ((r = store_pragma_int(st, "PRAGMA user_version", &version)) < 0)
		return r;
	if (version > (int64_t)n)
		return -EPROTO; /* written by a newer tinyfleetd: refuse rather than guess */
	if (version == 0) {
		/* Must precede the first table: lets retention give pages back to the FS. */
		if ((r = store_exec(st, "PRAGMA auto_vacuum = INCREMENTAL")) < 0)
			return r;
	}
	for (; version < (int64_t)n; version++) {
		char sql[64];

		if ((r = store_exec(st, "BEGIN IMMEDIATE")) < 0)
			return r;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)version + 1);
		if ((r = store_exec(st, store_migrations[version])) < 0 ||
		    (r = store_exec(st, sql)) < 0 || (r = store_exec(st, "COMMIT")) < 0) {
			(void)store_exec(st, "ROLLBACK");
			return r;
		}
	}
	return 0;
}

/* ---- 3. open / close ---- */

int
store_open(const struct store_opts *opts, struct store **ret_store)
{
	struct store *st = NULL;
	char sql[64];
	int fd, r, i;

	if (opts == NULL || opts->path == NULL || ret_store == NULL)
		return -EINVAL;
	/*
	 * Create the file ourselves so it is 0600 from its first byte: it holds
	 * every node's key. SQLite gives the -wal and -shm files the same mode.
	 */
	if (strcmp(opts->path, ":memory:") != 0) {
		fd = open(opts->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -ENOMEM;
	st->outbox_max = opts->outbox_max_rows;
	r = sqlite3_open_v2(opts->path, &st->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    opts->vfs);
	if (r != SQLITE_OK) {
		r = store_err(r);
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, opts->busy_timeout_ms);
	if ((r = store_exec(st, "PRAGMA journal_mode = WAL")) < 0)
		goto out;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %d", opts->synchronous);
	if ((r = store_exec(st, sql)) < 0 || (r = store_exec(st, "PRAGMA foreign_keys = OFF")) < 0)
		goto out;
	if ((r = store_migrate(st)) < 0)
		goto out;
	for (i = 0; i < ST__MAX; i++) {
		r = sqlite3_prepare_v3(st->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &st->stmt[i], NULL);
		if (r != SQLITE_OK) {
			r = store_err(r);
			goto out;
		}
	}
	if ((r = store_pragma_int(st, "SELECT COUNT(*) FROM outbox", &st->outbox_rows)) < 0)
		goto out;
	st->stats.outbox_rows = st->outbox_rows;
	*ret_store = st;
	st = NULL; /* transferred */
	r = 0;
out:
	store_free(st);
	return r;
}

void
store_free(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL) {
		/* Checkpoint on a clean close so the WAL does not outlive the daemon. */
		sqlite3_close(st->db);
	}
	free(st->done);
	free(st->fetch_buf);
	free(st);
}

struct sqlite3 *
store__db(struct store *st)
{
	return st->db;
}

void
store_set_outbox_max(struct store *st, int64_t max_rows)
{
	st->outbox_max = max_rows;
}

void
store_get_stats(const struct store *st, struct store_stats *ret_stats)
{
	*ret_stats = st->stats;
	ret_stats->outbox_rows = st->outbox_rows;
}

/* ---- 4. nodes ---- */

static int
store_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= STORE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
store_node_add(struct store *st, uint32_t id, const char *name, const char *tags,
               const uint8_t key[STORE_KEY_BYTES], uint32_t *ret_id)
{
	sqlite3_stmt *s;
	int64_t maxid = 0;
	int r;

	if (name == NULL || !store_name_valid(name) || key == NULL)
		return -EINVAL;
	if (tags == NULL)
		tags = "";
	if (strlen(tags) >= STORE_TAGS_MAX)
		return -EINVAL;
	if (id == 0) {
		s = st->stmt[ST_NODE_MAXID];
		r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			maxid = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (r != SQLITE_ROW)
			return store_err(r);
		if (maxid >= UINT32_MAX)
			return -ENOSPC;
		id = (uint32_t)maxid + 1;
	}
	s = st->stmt[ST_NODE_INSERT];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, tags, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, key, STORE_KEY_BYTES, SQLITE_STATIC);
	if ((r = store_step_done(s)) < 0)
		return r;
	if (ret_id != NULL)
		*ret_id = id;
	return 0;
}

int
store_tx_begin(struct store *st)
{
	return store_step_done(st->stmt[ST_BEGIN]);
}

int
store_tx_commit(struct store *st)
{
	int r = store_step_done(st->stmt[ST_COMMIT]);

	if (r < 0)
		store_tx_rollback(st);
	return r;
}

void
store_tx_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)store_step_done(st->stmt[ST_ROLLBACK]);
}

static void
store_node_from_row(sqlite3_stmt *s, struct store_node *n)
{
	const void *key = sqlite3_column_blob(s, 3);

	memset(n, 0, sizeof(*n));
	n->id = (uint32_t)sqlite3_column_int64(s, 0);
	snprintf(n->name, sizeof(n->name), "%s", (const char *)sqlite3_column_text(s, 1));
	snprintf(n->tags, sizeof(n->tags), "%s", (const char *)sqlite3_column_text(s, 2));
	if (key != NULL && sqlite3_column_bytes(s, 3) == STORE_KEY_BYTES)
		memcpy(n->key, key, STORE_KEY_BYTES);
	n->rx.highest = (uint64_t)sqlite3_column_int64(s, 4);
	n->rx.bitmap = (uint64_t)sqlite3_column_int64(s, 5);
	n->ack_cum = (uint32_t)sqlite3_column_int64(s, 6);
	n->ack_sack = (uint64_t)sqlite3_column_int64(s, 7);
	n->tx_reserved = (uint64_t)sqlite3_column_int64(s, 8);
	n->last_seen_ms = sqlite3_column_int64(s, 9);
	n->seqs_abandoned = (uint64_t)sqlite3_column_int64(s, 10);
}

int
store_node_foreach(struct store *st, int (*cb)(void *arg, const struct store_node *n), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_NODE_ALL];
	struct store_node n;
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_node_from_row(s, &n);
		r = cb(arg, &n);
		if (r != 0)
			break;
	}
	explicit_bzero(&n, sizeof(n));
	sqlite3_reset(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : store_err(rc);
}

int
store_node_get(struct store *st, uint32_t id, struct store_node *ret_node)
{
	static const char sql[] = "SELECT id, name, tags, key, rx_highest, rx_bitmap, ack_cum, "
	                          "ack_sack, tx_reserved, last_seen_ms, seqs_abandoned FROM nodes "
	                          "WHERE id = ?";
	sqlite3_stmt *s = NULL;
	int rc;

	/* Rare (an operator's change): prepared on demand, not cached. */
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(rc);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_node_from_row(s, ret_node);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : store_err(rc);
}

int
store_node_get_by_name(struct store *st, const char *name, struct store_node *ret_node)
{
	sqlite3_stmt *s = st->stmt[ST_NODE_BY_NAME];
	int rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_node_from_row(s, ret_node);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : store_err(rc);
}

int
store_node_count(struct store *st, int64_t *ret_n)
{
	sqlite3_stmt *s = st->stmt[ST_NODE_COUNT];
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*ret_n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_err(rc);
}

/* ---- 5. the batch commit ---- */

static int
store_put_rec(struct store *st, const struct store_rec *rec, int64_t *outbox_added)
{
	sqlite3_stmt *s;
	int r;

	switch (rec->kind) {
	case STORE_KIND_INFERENCE:
		s = st->stmt[ST_READING];
		sqlite3_bind_int64(s, 1, rec->node_id);
		sqlite3_bind_int64(s, 2, rec->seq);
		sqlite3_bind_int64(s, 3, rec->t_ms);
		sqlite3_bind_int64(s, 4, rec->rx_ms);
		sqlite3_bind_int64(s, 5, rec->u.inf.model_id);
		sqlite3_bind_int64(s, 6, rec->u.inf.model_version);
		sqlite3_bind_int64(s, 7, rec->u.inf.label);
		sqlite3_bind_double(s, 8, rec->u.inf.score);
		sqlite3_bind_int64(s, 9, rec->u.inf.latency_us);
		if (rec->data != NULL)
			sqlite3_bind_text(s, 10, rec->data, -1, SQLITE_STATIC);
		break;
	case STORE_KIND_HEALTH:
		s = st->stmt[ST_HEALTH];
		sqlite3_bind_int64(s, 1, rec->node_id);
		sqlite3_bind_int64(s, 2, rec->seq);
		sqlite3_bind_int64(s, 3, rec->t_ms);
		sqlite3_bind_int64(s, 4, rec->rx_ms);
		sqlite3_bind_int64(s, 5, rec->u.health.battery_mv);
		sqlite3_bind_int64(s, 6, rec->u.health.rssi_dbm);
		sqlite3_bind_int64(s, 7, rec->u.health.uptime_s);
		sqlite3_bind_int64(s, 8, rec->u.health.reboots);
		if (rec->data != NULL)
			sqlite3_bind_text(s, 9, rec->data, -1, SQLITE_STATIC);
		break;
	case STORE_KIND_HELLO:
		s = st->stmt[ST_NODE_HELLO];
		if (rec->u.hello.firmware != NULL)
			sqlite3_bind_text(s, 1, rec->u.hello.firmware, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, rec->u.hello.core_version);
		if (rec->u.hello.caps != NULL)
			sqlite3_bind_text(s, 3, rec->u.hello.caps, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, rec->rx_ms);
		sqlite3_bind_int64(s, 5, rec->node_id);
		break;
	case STORE_KIND_ALERT:
		s = st->stmt[ST_ALERT];
		sqlite3_bind_int64(s, 1, rec->node_id);
		sqlite3_bind_int64(s, 2, rec->t_ms);
		sqlite3_bind_text(s, 3, rec->u.alert.kind ? rec->u.alert.kind : "", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(s, 4, rec->u.alert.rule ? rec->u.alert.rule : "", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int(s, 5, rec->u.alert.severity);
		sqlite3_bind_int(s, 6, rec->u.alert.raised);
		if (rec->data != NULL)
			sqlite3_bind_text(s, 7, rec->data, -1, SQLITE_STATIC);
		break;
	case STORE_KIND_MODEL_STATUS:
		s = st->stmt[ST_MODEL_STATUS];
		sqlite3_bind_int64(s, 1, rec->node_id);
		sqlite3_bind_int64(s, 2, rec->seq);
		sqlite3_bind_int64(s, 3, rec->t_ms);
		if (rec->data != NULL)
			sqlite3_bind_text(s, 4, rec->data, -1, SQLITE_STATIC);
		break;
	case STORE_KIND_NODE_STATUS:
	case STORE_KIND_GATEWAY_STATUS:
		s = NULL; /* published only: the node row holds last_seen */
		break;
	default:
		return -EINVAL;
	}
	if (s != NULL && (r = store_step_done(s)) < 0)
		return r;
	if (rec->topic == NULL)
		return 0;
	s = st->stmt[ST_OUTBOX_INSERT];
	sqlite3_bind_int(s, 1, (int)rec->kind);
	sqlite3_bind_int64(s, 2, rec->node_id);
	sqlite3_bind_text(s, 3, rec->topic, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, rec->payload, (int)rec->payload_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, rec->qos);
	sqlite3_bind_int(s, 6, rec->retain);
	if ((r = store_step_done(s)) < 0)
		return r;
	(*outbox_added)++;
	return 0;
}

static int
store_put_node_state(struct store *st, const struct store_node_state *n)
{
	sqlite3_stmt *s = st->stmt[ST_NODE_STATE];

	sqlite3_bind_int64(s, 1, (int64_t)n->rx.highest);
	sqlite3_bind_int64(s, 2, (int64_t)n->rx.bitmap);
	sqlite3_bind_int64(s, 3, n->ack_cum);
	sqlite3_bind_int64(s, 4, (int64_t)n->ack_sack);
	sqlite3_bind_int64(s, 5, (int64_t)n->tx_reserved);
	sqlite3_bind_int64(s, 6, n->last_seen_ms);
	sqlite3_bind_int64(s, 7, (int64_t)n->seqs_abandoned);
	sqlite3_bind_int64(s, 8, n->id);
	return store_step_done(s);
}

static int
store_cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Deletes the done queue; *ret_deleted = rows actually deleted. PUBACKs come
 * back nearly in order, so sorted ids form a few long runs: one range DELETE
 * per run instead of one statement per row.
 */
static int
store_delete_done(struct store *st, int64_t *ret_deleted)
{
	sqlite3_stmt *s = st->stmt[ST_OUTBOX_DELETE];
	int64_t deleted = 0;
	size_t i = 0, j;
	int r;

	if (st->n_done > 1)
		qsort(st->done, st->n_done, sizeof(st->done[0]), store_cmp_id);
	while (i < st->n_done) {
		for (j = i + 1; j < st->n_done && st->done[j] <= st->done[j - 1] + 1; j++)
			;
		sqlite3_bind_int64(s, 1, st->done[i]);
		sqlite3_bind_int64(s, 2, st->done[j - 1]);
		if ((r = store_step_done(s)) < 0)
			return r;
		deleted += sqlite3_changes(st->db);
		i = j;
	}
	*ret_deleted = deleted;
	return 0;
}

/*
 * Applies the outbox bound inside the open transaction: oldest inference rows
 * first, then health. Alerts and status rows are never dropped, so the outbox
 * may exceed the bound by them alone.
 */
static int
store_outbox_bound(struct store *st, int64_t rows, int64_t *ret_dropped)
{
	static const int kinds[] = {STORE_KIND_INFERENCE, STORE_KIND_HEALTH};
	sqlite3_stmt *s = st->stmt[ST_OUTBOX_DROP];
	int64_t dropped = 0;
	int r;

	for (size_t i = 0; i < 2 && st->outbox_max > 0 && rows - dropped > st->outbox_max; i++) {
		sqlite3_bind_int(s, 1, kinds[i]);
		sqlite3_bind_int64(s, 2, rows - dropped - st->outbox_max);
		if ((r = store_step_done(s)) < 0)
			return r;
		dropped += sqlite3_changes(st->db);
	}
	*ret_dropped = dropped;
	return 0;
}

int
store_commit(struct store *st, const struct store_rec *recs, size_t n,
             const struct store_node_state *nodes, size_t n_nodes)
{
	int64_t added = 0, deleted = 0, dropped = 0;
	size_t i;
	int r;

	if ((r = store_step_done(st->stmt[ST_BEGIN])) < 0)
		goto fail_nobegin;
	for (i = 0; i < n; i++)
		if ((r = store_put_rec(st, &recs[i], &added)) < 0)
			goto fail;
	for (i = 0; i < n_nodes; i++)
		if ((r = store_put_node_state(st, &nodes[i])) < 0)
			goto fail;
	if ((r = store_delete_done(st, &deleted)) < 0)
		goto fail;
	if ((r = store_outbox_bound(st, st->outbox_rows + added - deleted, &dropped)) < 0)
		goto fail;
	if ((r = store_step_done(st->stmt[ST_COMMIT])) < 0)
		goto fail;
	st->outbox_rows += added - deleted - dropped;
	st->n_done = 0;
	st->stats.commits++;
	st->stats.rows_committed += (int64_t)n;
	st->stats.outbox_dropped += dropped;
	return 0;
fail:
	/*
	 * A failed COMMIT may have rolled back already (SQLITE_FULL does); the
	 * ROLLBACK then fails harmlessly. Either way nothing of the batch is in
	 * the database and the caller still holds all of it.
	 */
	if (!sqlite3_get_autocommit(st->db))
		(void)store_step_done(st->stmt[ST_ROLLBACK]);
fail_nobegin:
	st->stats.commit_failures++;
	return r;
}

/* ---- 6. the outbox as the publisher sees it ---- */

int
store_outbox_fetch(struct store *st, int64_t after_id, struct store_outbox_row *rows, size_t max,
                   size_t *ret_n)
{
	sqlite3_stmt *s = st->stmt[ST_OUTBOX_FETCH];
	size_t n = 0, used = 0;
	int rc;

	sqlite3_bind_int64(s, 1, after_id);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t tl = (size_t)sqlite3_column_bytes(s, 1);
		size_t pl = (size_t)sqlite3_column_bytes(s, 2);
		size_t need = used + tl + 1 + pl + 1;

		if (need > st->fetch_cap) {
			size_t cap = st->fetch_cap ? st->fetch_cap : 65536;
			char *nb;

			while (cap < need)
				cap *= 2;
			/*
			 * Earlier rows of this fetch point into the old buffer:
			 * rebase them after the move.
			 */
			if ((nb = realloc(st->fetch_buf, cap)) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			for (size_t i = 0; i < n; i++) {
				rows[i].topic = nb + (rows[i].topic - st->fetch_buf);
				rows[i].payload =
				        nb + ((const char *)rows[i].payload - st->fetch_buf);
			}
			st->fetch_buf = nb;
			st->fetch_cap = cap;
		}
		rows[n].id = sqlite3_column_int64(s, 0);
		memcpy(st->fetch_buf + used, sqlite3_column_text(s, 1), tl);
		st->fetch_buf[used + tl] = '\0';
		rows[n].topic = st->fetch_buf + used;
		used += tl + 1;
		if (pl > 0)
			memcpy(st->fetch_buf + used, sqlite3_column_blob(s, 2), pl);
		st->fetch_buf[used + pl] = '\0';
		rows[n].payload = st->fetch_buf + used;
		rows[n].payload_len = pl;
		used += pl + 1;
		rows[n].qos = sqlite3_column_int(s, 3);
		rows[n].retain = sqlite3_column_int(s, 4);
		n++;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_err(rc);
	*ret_n = n;
	return 0;
}

int
store_outbox_done(struct store *st, int64_t id)
{
	if (st->n_done == st->cap_done) {
		size_t cap = st->cap_done ? st->cap_done * 2 : 1024;
		int64_t *nd;

		if (cap > STORE_DONE_MAX * 16)
			return -ENOSPC;
		if ((nd = realloc(st->done, cap * sizeof(*nd))) == NULL)
			return -ENOMEM;
		st->done = nd;
		st->cap_done = cap;
	}
	st->done[st->n_done++] = id;
	return 0;
}

size_t
store_outbox_done_pending(const struct store *st)
{
	return st->n_done;
}

int
store_outbox_flush(struct store *st)
{
	if (st->n_done == 0)
		return 0;
	return store_commit(st, NULL, 0, NULL, 0);
}

/* ---- 7. retention ---- */

int
store_used_bytes(struct store *st, int64_t *ret_bytes)
{
	int64_t pages, freep, size;
	int r;

	if ((r = store_pragma_int(st, "PRAGMA page_count", &pages)) < 0 ||
	    (r = store_pragma_int(st, "PRAGMA freelist_count", &freep)) < 0 ||
	    (r = store_pragma_int(st, "PRAGMA page_size", &size)) < 0)
		return r;
	*ret_bytes = (pages - freep) * size;
	return 0;
}

/* Runs a retention DELETE: LIMIT batch, and (age) received before cutoff. */
static int
store_ret_delete(struct store *st, int which, int64_t batch, int64_t cutoff, int64_t *deleted)
{
	sqlite3_stmt *s = st->stmt[which];
	int r;

	if (batch <= 0)
		return 0;
	sqlite3_bind_int64(s, 1, batch);
	if (which == ST_RET_READINGS || which == ST_RET_HEALTH)
		sqlite3_bind_int64(s, 2, cutoff);
	if ((r = store_step_done(s)) < 0)
		return r;
	*deleted += sqlite3_changes(st->db);
	return 0;
}

/*
 * Retention by size: deletes the `batch` oldest rows of readings and health
 * together, oldest received first, so neither table outlives the other.
 */
static int
store_ret_size(struct store *st, int batch, int64_t *deleted)
{
	sqlite3_stmt *s = st->stmt[ST_RET_SIZE_SPLIT];
	int64_t from_readings, total;
	int rc, r;

	sqlite3_bind_int(s, 1, batch);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_err(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
	}
	from_readings = sqlite3_column_int64(s, 0);
	total = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	if ((r = store_ret_delete(st, ST_RET_SIZE_READINGS, from_readings, 0, deleted)) < 0 ||
	    (r = store_ret_delete(st, ST_RET_SIZE_HEALTH, total - from_readings, 0, deleted)) < 0)
		return r;
	return 0;
}

int
store_retention_step(struct store *st, int64_t now_ms, int64_t age_s, int64_t max_bytes, int batch,
                     int64_t *ret_deleted)
{
	int64_t deleted = 0, used;
	int r;

	if ((r = store_step_done(st->stmt[ST_BEGIN])) < 0)
		return r;
	if (age_s > 0) {
		int64_t cutoff = now_ms - age_s * 1000;

		if ((r = store_ret_delete(st, ST_RET_READINGS, batch, cutoff, &deleted)) < 0 ||
		    (r = store_ret_delete(st, ST_RET_HEALTH, batch, cutoff, &deleted)) < 0)
			goto fail;
	}
	if (max_bytes > 0) {
		if ((r = store_used_bytes(st, &used)) < 0)
			goto fail;
		if (used > max_bytes && (r = store_ret_size(st, batch, &deleted)) < 0)
			goto fail;
	}
	if ((r = store_step_done(st->stmt[ST_COMMIT])) < 0)
		goto fail;
	/* Hand freed pages back to the file system a few at a time. */
	if (deleted > 0)
		(void)store_exec(st, "PRAGMA incremental_vacuum(256)");
	st->stats.retention_deleted += deleted;
	*ret_deleted = deleted;
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->db))
		(void)store_step_done(st->stmt[ST_ROLLBACK]);
	return r;
}

/* ---- 8. queries ---- */

int
store_readings_count(struct store *st, uint32_t node_id, int64_t *ret_n)
{
	sqlite3_stmt *s = st->stmt[ST_READINGS_COUNT];
	int rc;

	sqlite3_bind_int64(s, 1, node_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*ret_n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_err(rc);
}

int
store_explain_hot_queries(struct store *st, char *buf, size_t len)
{
	static const char *const q[] = {
	        "EXPLAIN QUERY PLAN SELECT * FROM readings WHERE node_id = 1 "
	        "ORDER BY t_ms DESC LIMIT 10",
	        "EXPLAIN QUERY PLAN SELECT * FROM readings WHERE node_id = 1 AND t_ms >= 0 "
	        "ORDER BY t_ms",
	};
	size_t used = 0;

	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(st->db, q[i], -1, &s, NULL);

		if (rc != SQLITE_OK)
			return store_err(rc);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int m = snprintf(buf + used, len - used, "%s\n",
			                 (const char *)sqlite3_column_text(s, 3));

			if (m < 0 || (size_t)m >= len - used) {
				sqlite3_finalize(s);
				return -ENOSPC;
			}
			used += (size_t)m;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return store_err(rc);
	}
	return 0;
}

int
store_alerts_active(struct store *st,
                    int (*cb)(void *arg, const char *kind, uint32_t node_id, const char *rule),
                    void *arg)
{
	static const char sql[] = "SELECT kind, node_id, rule, raised FROM alerts WHERE id IN "
	                          "(SELECT MAX(id) FROM alerts GROUP BY kind, node_id, rule)";
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 3) == 0)
			continue;
		r = cb(arg, (const char *)sqlite3_column_text(s, 0),
		       (uint32_t)sqlite3_column_int64(s, 1),
		       (const char *)sqlite3_column_text(s, 2));
		if (r != 0)
			break;
	}
	sqlite3_finalize(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : store_err(rc);
}

/* ---- 9. administration for the control socket (issue 6, owner: control) ----
 *
 * Changes an operator makes through tinyfleetctl go through this, the writer
 * connection, like every other write. Their tables (alert_acks) come from the
 * migrations like every other table (schema version 2).
 */

/* Runs one bound write; -ENOENT when it changed no row. */
static int
store_admin_exec(struct store *st, const char *sql, sqlite3_stmt **ret_s)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, ret_s, NULL);

	return rc == SQLITE_OK ? 0 : store_err(rc);
}

static int
store_admin_step(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_err(rc);
	return sqlite3_changes(st->db) > 0 ? 0 : -ENOENT;
}

int
store_node_remove(struct store *st, uint32_t id)
{
	sqlite3_stmt *s = NULL;
	int r;

	/* Its readings and health stay (history); model_status goes with it. */
	if ((r = store_exec(st, "BEGIN IMMEDIATE")) < 0)
		return r;
	if ((r = store_admin_exec(st, "DELETE FROM model_status WHERE node_id = ?", &s)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_admin_step(st, s)) < 0 && r != -ENOENT)
		goto fail;
	if ((r = store_admin_exec(st, "DELETE FROM nodes WHERE id = ?", &s)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_admin_step(st, s)) < 0)
		goto fail;
	if ((r = store_exec(st, "COMMIT")) < 0)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->db))
		(void)store_exec(st, "ROLLBACK");
	return r;
}

int
store_node_set_tags(struct store *st, uint32_t id, const char *tags)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (tags == NULL || strlen(tags) >= STORE_TAGS_MAX)
		return -EINVAL;
	if ((r = store_admin_exec(st, "UPDATE nodes SET tags = ? WHERE id = ?", &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, tags, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	return store_admin_step(st, s);
}

int
store_node_set_key(struct store *st, uint32_t id, const uint8_t key[STORE_KEY_BYTES])
{
	sqlite3_stmt *s = NULL;
	int r;

	/* A new key is a new provisioning: the node starts its counters and seqs over. */
	r = store_admin_exec(
	        st,
	        "UPDATE nodes SET key = ?, rx_highest = 0, rx_bitmap = 0, ack_cum = 0, "
	        "ack_sack = 0 WHERE id = ?",
	        &s);
	if (r < 0)
		return r;
	sqlite3_bind_blob(s, 1, key, STORE_KEY_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	return store_admin_step(st, s);
}

int
store_alert_ack(struct store *st, int64_t alert_id, int64_t t_ms, int64_t uid)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = store_admin_exec(
	        st,
	        "INSERT OR REPLACE INTO alert_acks(alert_id, t_ms, uid) SELECT id, ?, ? "
	        "FROM alerts WHERE id = ? AND raised = 1",
	        &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, t_ms);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int64(s, 3, alert_id);
	return store_admin_step(st, s);
}
