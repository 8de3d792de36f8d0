/*
 * check_store: the daemon's SQLite store. Migrations (and the upgrade of a
 * version 1 or 2 database in place), the one-transaction batch commit, dedup
 * state that survives a reopen, the outbox bound and drain, retention, the
 * query plans of the hot and the alert queries, and fault injection
 * (disk full, I/O error, locked by another process) through a VFS shim that
 * fails writes on demand, as SQLite's own tests do.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "faultvfs.h"
#include "store.h"

/* ---- fixtures ---- */

static char dir[64], path[128];
static struct store *st;
static const uint8_t key[32] = {1, 2, 3};

static struct store *
open_store(const char *vfs, int64_t outbox_max)
{
	struct store_opts o = {
	        .path = path, .vfs = vfs, .synchronous = 2, .outbox_max_rows = outbox_max};
	struct store *s = NULL;

	ck_assert_int_eq(store_open(&o, &s), 0);
	return s;
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tf.db", dir);
	fault_vfs_register();
	fault_rc = 0;
	st = open_store("faulty", 0);
	ck_assert_int_eq(store_node_add(st, 0, "n1", "a,b", key, NULL), 0);
	ck_assert_int_eq(store_node_add(st, 0, "n2", "", key, NULL), 0);
}

static void
teardown(void)
{
	char cmd[128];

	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

static struct store_rec
reading(uint32_t node, uint32_t seq, int64_t rx_ms)
{
	static const char *const topics[] = {"tinyfleet/gw/nodes/0/inference",
	                                     "tinyfleet/gw/nodes/1/inference",
	                                     "tinyfleet/gw/nodes/2/inference"};
	const char *topic = topics[node % 3];
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_KIND_INFERENCE;
	r.node_id = node;
	r.seq = seq;
	r.t_ms = r.rx_ms = rx_ms;
	r.data = r.payload = "{\"x\":1}";
	r.payload_len = 7;
	r.topic = topic;
	r.qos = 1;
	return r;
}

static int64_t
count(const char *table)
{
	char sql[128];
	sqlite3_stmt *s;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	ck_assert_int_eq(sqlite3_prepare_v2(store__db(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* The first column of the first row of sql on db. */
static int64_t
sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* The EXPLAIN QUERY PLAN detail lines of sql, one per line. */
static void
explain(const char *sql, char *plan, size_t len)
{
	char q[1024];
	sqlite3_stmt *s;
	size_t used = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	plan[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2(store__db(st), q, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && used < len)
		used += (size_t)snprintf(plan + used, len - used, "%s\n",
		                         (const char *)sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
}

/*
 * The schema exactly as tinyfleetd wrote it at version 1 (store.c's first
 * migration, frozen here: a database in the field looks like this), plus
 * alert_acks as version 1's store_admin_prepare() created it on the first
 * start with a control socket.
 */
static const char v1_schema[] =
        "PRAGMA auto_vacuum = INCREMENTAL;"
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
        "CREATE TABLE outbox ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  kind INTEGER NOT NULL, node_id INTEGER NOT NULL,"
        "  topic TEXT NOT NULL, payload BLOB NOT NULL,"
        "  qos INTEGER NOT NULL, retain INTEGER NOT NULL);"
        "INSERT INTO nodes(id, name, key, created_ms, ack_cum) VALUES (7, 'old', x'01', 1, 42);"
        "INSERT INTO readings(node_id, seq, t_ms, rx_ms, label, score) VALUES"
        "  (7, 41, 100, 100, 1, 0.5), (7, 42, 200, 200, 2, 0.75);"
        "INSERT INTO health(node_id, seq, t_ms, rx_ms, battery_mv) VALUES (7, 40, 90, 90, 3300);"
        "INSERT INTO alerts(node_id, t_ms, kind, rule, severity, raised) VALUES"
        "  (7, 10, 'battery_low', '', 1, 1), (7, 20, 'battery_low', '', 1, 0),"
        "  (7, 30, 'rule', 'hot', 2, 1);"
        "INSERT INTO outbox(kind, node_id, topic, payload, qos, retain) VALUES"
        "  (0, 7, 't', 'p', 1, 0);"
        "PRAGMA user_version = 1;";
static const char v1_acks[] = "CREATE TABLE IF NOT EXISTS alert_acks ("
                              "  alert_id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL,"
                              "  uid INTEGER NOT NULL);"
                              "INSERT INTO alert_acks VALUES (1, 15, 1000);";

/*
 * Version 2 as tinyfleetd wrote it: version 1 plus store.c's second
 * migration (frozen here), with an acknowledgement.
 */
static const char v2_upgrade[] =
        "CREATE TABLE IF NOT EXISTS alert_acks ("
        "  alert_id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL,"
        "  uid INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS alerts_kind_node_rule ON alerts(kind, node_id, rule);"
        "INSERT INTO alert_acks VALUES (3, 35, 1000);"
        "PRAGMA user_version = 2;";

/* Replaces the fixture's database with a version 1 one; with_acks: alert_acks too. */
static void
make_v1_database(bool with_acks)
{
	char f[160];
	sqlite3 *db;

	store_free(st);
	st = NULL;
	for (int i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, (const char *[]){"", "-wal", "-shm"}[i]);
		(void)unlink(f);
	}
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
	if (with_acks)
		ck_assert_int_eq(sqlite3_exec(db, v1_acks, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sql_int(db, "PRAGMA user_version"), 1);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

/* Replaces the fixture's database with a version 2 one. */
static void
make_v2_database(void)
{
	sqlite3 *db;

	make_v1_database(false);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, v2_upgrade, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sql_int(db, "PRAGMA user_version"), 2);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

/* ---- core ---- */

START_TEST(test_store_migrates_new_database_to_current_version)
{
	sqlite3_stmt *s;

	ck_assert_int_eq(sqlite3_prepare_v2(store__db(st), "PRAGMA user_version", -1, &s, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	ck_assert_int_eq(sqlite3_prepare_v2(store__db(st), "PRAGMA journal_mode", -1, &s, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
}
END_TEST

START_TEST(test_store_database_file_is_0600)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
}
END_TEST

START_TEST(test_store_commit_writes_rows_state_and_outbox_together)
{
	struct store_rec r[3] = {reading(1, 1, 1000), reading(1, 2, 1001), reading(2, 1, 1002)};
	struct store_node_state ns = {
	        .id = 1, .ack_cum = 2, .tx_reserved = 1024, .rx = {.highest = 7, .bitmap = 3}};

	ck_assert_int_eq(store_commit(st, r, 3, &ns, 1), 0);
	ck_assert_int_eq(count("readings"), 3);
	ck_assert_int_eq(count("outbox"), 3);
}
END_TEST

static int
find_n1(void *arg, const struct store_node *n)
{
	if (n->id == 1)
		*(struct store_node *)arg = *n;
	return 0;
}

START_TEST(test_store_node_state_survives_reopen)
{
	struct store_rec r = reading(1, 5, 1000);
	struct store_node_state ns = {.id = 1,
	                              .ack_cum = 5,
	                              .ack_sack = 0x5,
	                              .tx_reserved = 2048,
	                              .rx = {.highest = 99, .bitmap = 0xff},
	                              .last_seen_ms = 1234,
	                              .seqs_abandoned = 77};
	struct store_node n;

	ck_assert_int_eq(store_commit(st, &r, 1, &ns, 1), 0);
	store_free(st);
	st = open_store(NULL, 0);
	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(store_node_foreach(st, find_n1, &n), 0);
	ck_assert_uint_eq(n.ack_cum, 5);
	ck_assert_uint_eq(n.ack_sack, 0x5);
	ck_assert_uint_eq(n.tx_reserved, 2048);
	ck_assert_uint_eq(n.rx.highest, 99);
	ck_assert_uint_eq(n.rx.bitmap, 0xff);
	ck_assert_int_eq(n.last_seen_ms, 1234);
	ck_assert_uint_eq(n.seqs_abandoned, 77);
	ck_assert_int_eq(memcmp(n.key, key, 32), 0);
	ck_assert_str_eq(n.tags, "a,b");
	/* By id too (the session's reload after an operator's change reads it so). */
	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(store_node_get(st, 1, &n), 0);
	ck_assert_uint_eq(n.seqs_abandoned, 77);
}
END_TEST

START_TEST(test_store_outbox_fetch_in_id_order_and_done_deletes_at_next_commit)
{
	struct store_rec r[4] = {reading(1, 1, 1), reading(2, 1, 2), reading(1, 2, 3),
	                         reading(2, 2, 4)};
	struct store_outbox_row rows[8];
	size_t n = 0;

	ck_assert_int_eq(store_commit(st, r, 4, NULL, 0), 0);
	ck_assert_int_eq(store_outbox_fetch(st, 0, rows, 2, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_lt(rows[0].id, rows[1].id);
	ck_assert_str_eq(rows[0].topic, "tinyfleet/gw/nodes/1/inference");
	ck_assert_int_eq(store_outbox_fetch(st, rows[1].id, rows, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(store_outbox_done(st, rows[0].id), 0);
	ck_assert_int_eq(count("outbox"), 4); /* deleted with the next transaction */
	ck_assert_int_eq(store_outbox_flush(st), 0);
	ck_assert_int_eq(count("outbox"), 3);
}
END_TEST

START_TEST(test_store_hot_queries_use_the_node_time_index)
{
	char plan[1024];

	ck_assert_int_eq(store_explain_hot_queries(st, plan, sizeof(plan)), 0);
	printf("EXPLAIN QUERY PLAN (latest of node X; node X since T):\n%s", plan);
	/* Both are index searches on (node_id, t_ms): no scan, no temp b-tree sort. */
	ck_assert_ptr_nonnull(
	        strstr(plan, "SEARCH readings USING INDEX readings_node_t (node_id=?)"));
	ck_assert_ptr_nonnull(
	        strstr(plan, "SEARCH readings USING INDEX readings_node_t (node_id=? AND t_ms>?)"));
	ck_assert_ptr_null(strstr(plan, "SCAN"));
	ck_assert_ptr_null(strstr(plan, "TEMP B-TREE"));
}
END_TEST

START_TEST(test_store_hot_queries_keep_the_index_at_100m_rows)
{
	char plan[1024];

	/*
	 * Make the planner believe the table holds 100 million rows from 10,000
	 * nodes (sqlite_stat1, as ANALYZE would write it): the plan must stay
	 * an index range scan, not a full scan or a sort.
	 */
	ck_assert_int_eq(sqlite3_exec(store__db(st),
	                              "ANALYZE; DELETE FROM sqlite_stat1;"
	                              "INSERT INTO sqlite_stat1 VALUES"
	                              " ('readings', 'readings_node_t', '100000000 10000 1'),"
	                              " ('readings', NULL, '100000000');"
	                              "ANALYZE sqlite_schema;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(store_explain_hot_queries(st, plan, sizeof(plan)), 0);
	printf("EXPLAIN QUERY PLAN with 100M-row statistics:\n%s", plan);
	ck_assert_ptr_nonnull(
	        strstr(plan, "SEARCH readings USING INDEX readings_node_t (node_id=?)"));
	ck_assert_ptr_nonnull(
	        strstr(plan, "SEARCH readings USING INDEX readings_node_t (node_id=? AND t_ms>?)"));
	ck_assert_ptr_null(strstr(plan, "SCAN"));
	ck_assert_ptr_null(strstr(plan, "TEMP B-TREE"));
}
END_TEST

START_TEST(test_store_retention_deletes_old_rows_in_small_batches)
{
	struct store_rec r[10];
	int64_t deleted = -1;

	for (int i = 0; i < 10; i++)
		r[i] = reading(1, (uint32_t)i + 1, i < 7 ? 1000 : 999500000);
	ck_assert_int_eq(store_commit(st, r, 10, NULL, 0), 0);
	/* now = 1e9 ms, keep 1e3 s: rows received at 1000 ms are old, at 9e8 are not. */
	ck_assert_int_eq(store_retention_step(st, 1000000000, 1000, 0, 5, &deleted), 0);
	ck_assert_int_eq(deleted, 5);
	ck_assert_int_eq(store_retention_step(st, 1000000000, 1000, 0, 5, &deleted), 0);
	ck_assert_int_eq(deleted, 2);
	ck_assert_int_eq(store_retention_step(st, 1000000000, 1000, 0, 5, &deleted), 0);
	ck_assert_int_eq(deleted, 0);
	ck_assert_int_eq(count("readings"), 3);
}
END_TEST

START_TEST(test_store_new_database_has_alert_acks_and_alerts_index)
{
	sqlite3 *db = store__db(st);

	ck_assert_int_eq(sql_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND "
	                             "name = 'alert_acks'"),
	                 1);
	ck_assert_int_eq(sql_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND "
	                             "name = 'alerts_kind_node_rule'"),
	                 1);
}
END_TEST

/* _i = 0: a version 1 database that never had a control socket; 1: with acks. */
START_TEST(test_store_upgrades_version_1_database_in_place_keeping_rows)
{
	bool with_acks = _i == 1;
	sqlite3 *db;

	make_v1_database(with_acks);
	st = open_store(NULL, 0);
	db = store__db(st);
	ck_assert_int_eq(sql_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(STORE_SCHEMA_VERSION, 3);
	/* Every row of version 1 is still there. */
	ck_assert_int_eq(count("nodes"), 1);
	ck_assert_int_eq(sql_int(db, "SELECT ack_cum FROM nodes WHERE id = 7"), 42);
	ck_assert_int_eq(count("readings"), 2);
	ck_assert_int_eq(sql_int(db, "SELECT seq FROM readings ORDER BY id DESC LIMIT 1"), 42);
	ck_assert_int_eq(count("health"), 1);
	ck_assert_int_eq(count("alerts"), 3);
	ck_assert_int_eq(count("outbox"), 1);
	ck_assert_int_eq(count("alert_acks"), with_acks ? 1 : 0);
	if (with_acks)
		ck_assert_int_eq(sql_int(db, "SELECT uid FROM alert_acks WHERE alert_id = 1"),
		                 1000);
	ck_assert_int_eq(sql_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND "
	                             "name = 'alerts_kind_node_rule'"),
	                 1);
	ck_assert_int_eq(sql_int(db, "PRAGMA auto_vacuum"), 2); /* still incremental */
	/* The upgraded database works: new rows, acks on the raised rule alert. */
	struct store_rec r = reading(7, 43, 300);
	ck_assert_int_eq(store_commit(st, &r, 1, NULL, 0), 0);
	ck_assert_int_eq(count("readings"), 3);
	ck_assert_int_eq(store_alert_ack(st, 3, 40, 0), 0);
	ck_assert_int_eq(count("alert_acks"), with_acks ? 2 : 1);
	/* Opening again changes nothing. */
	store_free(st);
	st = open_store(NULL, 0);
	ck_assert_int_eq(sql_int(store__db(st), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(count("readings"), 3);
	ck_assert_int_eq(count("alert_acks"), with_acks ? 2 : 1);
	ck_assert_int_eq(sql_int(store__db(st), "SELECT seqs_abandoned FROM nodes WHERE id = 7"),
	                 0);
}
END_TEST

START_TEST(test_store_upgrades_version_2_database_in_place_with_seqs_abandoned)
{
	struct store_node_state ns = {
	        .id = 7, .ack_cum = 50, .last_seen_ms = 500, .seqs_abandoned = 6};
	struct store_rec r = reading(7, 50, 500);
	struct store_node n;
	sqlite3 *db;

	make_v2_database();
	st = open_store(NULL, 0);
	db = store__db(st);
	ck_assert_int_eq(sql_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(STORE_SCHEMA_VERSION, 3);
	/* Every row of version 2 is still there; the node starts with nothing abandoned. */
	ck_assert_int_eq(count("nodes"), 1);
	ck_assert_int_eq(sql_int(db, "SELECT ack_cum FROM nodes WHERE id = 7"), 42);
	ck_assert_int_eq(sql_int(db, "SELECT seqs_abandoned FROM nodes WHERE id = 7"), 0);
	ck_assert_int_eq(count("readings"), 2);
	ck_assert_int_eq(count("health"), 1);
	ck_assert_int_eq(count("alerts"), 3);
	ck_assert_int_eq(count("outbox"), 1);
	ck_assert_int_eq(count("alert_acks"), 1);
	ck_assert_int_eq(sql_int(db, "PRAGMA auto_vacuum"), 2);
	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(store_node_get(st, 7, &n), 0);
	ck_assert_uint_eq(n.ack_cum, 42);
	ck_assert_uint_eq(n.seqs_abandoned, 0);
	/* The count is written with the batch's rows and survives a reopen. */
	ck_assert_int_eq(store_commit(st, &r, 1, &ns, 1), 0);
	store_free(st);
	st = open_store(NULL, 0);
	ck_assert_int_eq(sql_int(store__db(st), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(count("readings"), 3);
	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(store_node_get(st, 7, &n), 0);
	ck_assert_uint_eq(n.ack_cum, 50);
	ck_assert_uint_eq(n.seqs_abandoned, 6);
}
END_TEST

START_TEST(test_store_alert_queries_use_the_alerts_index)
{
	char plan[1024];

	/* Is there a later clear row of this alert? (every open-alerts control query) */
	explain("SELECT COUNT(*) FROM alerts a WHERE a.raised = 1 AND NOT EXISTS (SELECT 1 FROM "
	        "alerts c WHERE c.id > a.id AND c.raised = 0 AND c.kind = a.kind AND "
	        "c.node_id = a.node_id AND c.rule = a.rule)",
	        plan, sizeof(plan));
	printf("EXPLAIN QUERY PLAN (open alerts):\n%s", plan);
	ck_assert_ptr_nonnull(strstr(plan, "SEARCH c USING INDEX alerts_kind_node_rule "
	                                   "(kind=? AND node_id=? AND rule=? AND rowid>?)"));
	/* The latest row of each alert (alerts_restore at start-up). */
	explain("SELECT kind, node_id, rule, raised FROM alerts WHERE id IN "
	        "(SELECT MAX(id) FROM alerts GROUP BY kind, node_id, rule)",
	        plan, sizeof(plan));
	printf("EXPLAIN QUERY PLAN (latest row of each alert):\n%s", plan);
	ck_assert_ptr_nonnull(strstr(plan, "USING COVERING INDEX alerts_kind_node_rule"));
	ck_assert_ptr_null(strstr(plan, "TEMP B-TREE"));
}
END_TEST

/* ---- limits ---- */

START_TEST(test_store_outbox_bound_drops_oldest_inference_never_alerts)
{
	struct store_rec r[6];
	struct store_outbox_row rows[8];
	size_t n;

	store_free(st);
	st = open_store(NULL, 4);
	for (int i = 0; i < 6; i++)
		r[i] = reading(1, (uint32_t)i + 1, i);
	r[0].kind = STORE_KIND_ALERT; /* the oldest row is an alert: it must stay */
	r[0].u.alert.kind = "battery_low";
	ck_assert_int_eq(store_commit(st, r, 6, NULL, 0), 0);
	ck_assert_int_eq(count("outbox"), 4);
	ck_assert_int_eq(store_outbox_fetch(st, 0, rows, 8, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(rows[0].id, 1); /* the alert */
	ck_assert_int_eq(rows[1].id, 4); /* inference 2 and 3 went */
	struct store_stats ss;
	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.outbox_dropped, 2);
	ck_assert_int_eq(ss.outbox_rows, 4);
}
END_TEST

START_TEST(test_store_retention_by_size_deletes_oldest)
{
	struct store_rec r[200];
	int64_t deleted = 0, used = 0;

	for (int i = 0; i < 200; i++)
		r[i] = reading(1, (uint32_t)i + 1, 1000000);
	ck_assert_int_eq(store_commit(st, r, 200, NULL, 0), 0);
	ck_assert_int_eq(store_used_bytes(st, &used), 0);
	ck_assert_int_eq(store_retention_step(st, 1000001, 0, 1, 50, &deleted), 0);
	ck_assert_int_eq(deleted, 50);
	ck_assert_int_eq(count("readings"), 150);
}
END_TEST

static struct store_rec
health(uint32_t node, uint32_t seq, int64_t rx_ms)
{
	struct store_rec r = reading(node, seq, rx_ms);

	r.kind = STORE_KIND_HEALTH;
	r.u.health.battery_mv = 3300;
	r.topic = NULL; /* not published: keeps the outbox out of the counts */
	return r;
}

START_TEST(test_store_retention_by_size_deletes_oldest_of_readings_and_health_together)
{
	struct store_rec r[260];
	int64_t deleted = 0;
	int n = 0;

	/* 60 health reports, then 200 readings received after them. */
	for (int i = 0; i < 60; i++)
		r[n++] = health(1, (uint32_t)i + 1, 100 + i);
	for (int i = 0; i < 200; i++)
		r[n++] = reading(1, (uint32_t)i + 100, 1000 + i);
	ck_assert_int_eq(store_commit(st, r, (size_t)n, NULL, 0), 0);
	/* Over the cap (1 byte): the 50 oldest rows are health reports. */
	ck_assert_int_eq(store_retention_step(st, 2000, 0, 1, 50, &deleted), 0);
	ck_assert_int_eq(deleted, 50);
	ck_assert_int_eq(count("health"), 10);
	ck_assert_int_eq(count("readings"), 200);
	/* Next step: the last 10 health reports, then the 40 oldest readings. */
	ck_assert_int_eq(store_retention_step(st, 2000, 0, 1, 50, &deleted), 0);
	ck_assert_int_eq(deleted, 50);
	ck_assert_int_eq(count("health"), 0);
	ck_assert_int_eq(count("readings"), 160);
	ck_assert_int_eq(sql_int(store__db(st), "SELECT MIN(rx_ms) FROM readings"), 1040);
}
END_TEST

START_TEST(test_store_retention_by_size_interleaves_by_receive_time)
{
	struct store_rec r[40];
	int64_t deleted = 0;

	/* Readings at even ms, health at odd ms: the 10 oldest are 5 of each. */
	for (int i = 0; i < 20; i++) {
		r[2 * i] = reading(2, (uint32_t)i + 1, 1000 + 2 * i);
		r[2 * i + 1] = health(2, (uint32_t)i + 100, 1001 + 2 * i);
	}
	ck_assert_int_eq(store_commit(st, r, 40, NULL, 0), 0);
	ck_assert_int_eq(store_retention_step(st, 5000, 0, 1, 10, &deleted), 0);
	ck_assert_int_eq(deleted, 10);
	ck_assert_int_eq(count("readings"), 15);
	ck_assert_int_eq(count("health"), 15);
	ck_assert_int_eq(sql_int(store__db(st), "SELECT MIN(rx_ms) FROM readings"), 1010);
	ck_assert_int_eq(sql_int(store__db(st), "SELECT MIN(rx_ms) FROM health"), 1011);
}
END_TEST

START_TEST(test_store_retention_by_size_deletes_health_when_there_are_no_readings)
{
	struct store_rec r[30];
	int64_t deleted = 0;

	for (int i = 0; i < 30; i++)
		r[i] = health(1, (uint32_t)i + 1, 1000 + i);
	ck_assert_int_eq(store_commit(st, r, 30, NULL, 0), 0);
	ck_assert_int_eq(store_retention_step(st, 5000, 0, 1, 20, &deleted), 0);
	ck_assert_int_eq(deleted, 20);
	ck_assert_int_eq(store_retention_step(st, 5000, 0, 1, 20, &deleted), 0);
	ck_assert_int_eq(deleted, 10);
	ck_assert_int_eq(count("health"), 0);
	/* Nothing left to delete: a step says so, although the cap is still exceeded. */
	ck_assert_int_eq(store_retention_step(st, 5000, 0, 1, 20, &deleted), 0);
	ck_assert_int_eq(deleted, 0);
}
END_TEST

START_TEST(test_store_retention_under_size_cap_deletes_nothing)
{
	struct store_rec r[2] = {reading(1, 1, 1000), health(1, 2, 999)};
	int64_t deleted = -1;

	ck_assert_int_eq(store_commit(st, r, 2, NULL, 0), 0);
	ck_assert_int_eq(store_retention_step(st, 5000, 0, 1LL << 40, 50, &deleted), 0);
	ck_assert_int_eq(deleted, 0);
	ck_assert_int_eq(count("readings") + count("health"), 2);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_store_commit_on_full_disk_rolls_back_and_retries)
{
	struct store_rec r[2] = {reading(1, 1, 1), reading(1, 2, 2)};
	struct store_node_state ns = {.id = 1, .ack_cum = 2};

	fault_rc = SQLITE_FULL;
	ck_assert_int_lt(store_commit(st, r, 2, &ns, 1), 0);
	fault_rc = 0;
	ck_assert_int_eq(count("readings"), 0);
	ck_assert_int_eq(count("outbox"), 0);
	/* The disk has room again: the same batch goes in once. */
	ck_assert_int_eq(store_commit(st, r, 2, &ns, 1), 0);
	ck_assert_int_eq(count("readings"), 2);
}
END_TEST

START_TEST(test_store_commit_io_error_returns_eio_and_keeps_nothing)
{
	struct store_rec r = reading(1, 1, 1);
	int rc;

	fault_rc = SQLITE_IOERR_WRITE;
	rc = store_commit(st, &r, 1, NULL, 0);
	fault_rc = 0;
	ck_assert(rc == -EIO || rc == -ENOSPC);
	ck_assert_int_eq(count("readings"), 0);
	ck_assert_int_eq(store_commit(st, &r, 1, NULL, 0), 0);
	ck_assert_int_eq(count("readings"), 1);
}
END_TEST

START_TEST(test_store_commit_locked_by_other_process_is_ebusy)
{
	struct store_rec r = reading(1, 1, 1);
	sqlite3 *other;

	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_commit(st, &r, 1, NULL, 0), -EBUSY);
	ck_assert_int_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_eq(store_commit(st, &r, 1, NULL, 0), 0);
}
END_TEST

START_TEST(test_store_open_refuses_schema_from_newer_daemon)
{
	store_free(st);
	st = open_store(NULL, 0);
	ck_assert_int_eq(sqlite3_exec(store__db(st), "PRAGMA user_version = 99", NULL, NULL, NULL),
	                 SQLITE_OK);
	store_free(st);
	struct store_opts o = {.path = path, .synchronous = 2};
	st = NULL;
	ck_assert_int_eq(store_open(&o, &st), -EPROTO);
	{
		sqlite3 *db;

		char sql[64];

		/* Back to the current version: migrations only ever run once on a database. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_close(db);
	}
	st = open_store(NULL, 0); /* teardown wants one */
}
END_TEST

START_TEST(test_store_node_add_rejects_bad_and_duplicate_names)
{
	ck_assert_int_eq(store_node_add(st, 0, "bad/name", "", key, NULL), -EINVAL);
	ck_assert_int_eq(store_node_add(st, 0, "", "", key, NULL), -EINVAL);
	ck_assert_int_eq(store_node_add(st, 0, "n1", "", key, NULL), -EEXIST);
	ck_assert_int_eq(store_node_add(st, 2, "n9", "", key, NULL), -EEXIST);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_store_migrates_new_database_to_current_version);
	tcase_add_test(core, test_store_database_file_is_0600);
	tcase_add_test(core, test_store_commit_writes_rows_state_and_outbox_together);
	tcase_add_test(core, test_store_node_state_survives_reopen);
	tcase_add_test(core, test_store_outbox_fetch_in_id_order_and_done_deletes_at_next_commit);
	tcase_add_test(core, test_store_hot_queries_use_the_node_time_index);
	tcase_add_test(core, test_store_retention_deletes_old_rows_in_small_batches);
	tcase_add_test(core, test_store_new_database_has_alert_acks_and_alerts_index);
	tcase_add_loop_test(core, test_store_upgrades_version_1_database_in_place_keeping_rows, 0,
	                    2);
	tcase_add_test(core, test_store_upgrades_version_2_database_in_place_with_seqs_abandoned);
	tcase_add_test(core, test_store_alert_queries_use_the_alerts_index);
	tcase_add_test(limits, test_store_hot_queries_keep_the_index_at_100m_rows);
	tcase_add_test(limits, test_store_outbox_bound_drops_oldest_inference_never_alerts);
	tcase_add_test(limits, test_store_retention_by_size_deletes_oldest);
	tcase_add_test(limits,
	               test_store_retention_by_size_deletes_oldest_of_readings_and_health_together);
	tcase_add_test(limits, test_store_retention_by_size_interleaves_by_receive_time);
	tcase_add_test(limits,
	               test_store_retention_by_size_deletes_health_when_there_are_no_readings);
	tcase_add_test(limits, test_store_retention_under_size_cap_deletes_nothing);
	tcase_add_test(errors, test_store_commit_on_full_disk_rolls_back_and_retries);
	tcase_add_test(errors, test_store_commit_io_error_returns_eio_and_keeps_nothing);
	tcase_add_test(errors, test_store_commit_locked_by_other_process_is_ebusy);
	tcase_add_test(errors, test_store_open_refuses_schema_from_newer_daemon);
	tcase_add_test(errors, test_store_node_add_rejects_bad_and_duplicate_names);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
