/*
 * store_read: read-only queries for the control socket on a second SQLite
 * connection (see store_read.h). Divisions:
 *   1. errors, open / close
 *   2. summary, node lookup and detail
 *   3. cursors: nodes, readings, health, alerts
 *
 * The schema is store.c's (its migrations, STORE_SCHEMA_VERSION). Every
 * value from a request is bound, never pasted into SQL; the only text
 * assembled here are fixed fragments chosen by enum or flag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_read.h"

/* ---- 1. errors, open / close ---- */

struct store_read {
	sqlite3 *db;
};

enum cursor_kind { CUR_NODES, CUR_READINGS, CUR_HEALTH, CUR_ALERTS };

struct store_read_cursor {
	sqlite3_stmt *s;
	enum cursor_kind kind;
};

static int
sr_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EIO;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
		return -EACCES;
	default:
		return -EPROTO;
	}
}

int
store_read_open(const char *path, struct store_read **ret)
{
	struct store_read *sr;
	int rc;

	if (path == NULL || ret == NULL)
		return -EINVAL;
	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &sr->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = sr_err(rc);
		store_read_free(sr);
		return rc;
	}
	/* A WAL reader only waits while another connection recovers the WAL. */
	sqlite3_busy_timeout(sr->db, 200);
	*ret = sr;
	return 0;
}

void
store_read_free(struct store_read *sr)
{
	if (sr == NULL)
		return;
	sqlite3_close(sr->db);
	free(sr);
}

static void
col_text(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(dst, size, "%s", t != NULL ? (const char *)t : "");
}

static int
sr_prepare(struct store_read *sr, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(sr->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : sr_err(rc);
}

/* Runs a statement that yields one row of integers into v[0..n). */
static int
sr_ints(struct store_read *sr, const char *sql, int64_t bind1, int64_t *v, int n)
{
	sqlite3_stmt *s = NULL;
	int rc, r;

	if ((r = sr_prepare(sr, sql, &s)) < 0)
		return r;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, bind1);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		for (int i = 0; i < n; i++)
			v[i] = sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : sr_err(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
}

/* ---- 2. summary, node lookup and detail ---- */

/* An alert row is open while no later clear row of the same identity exists. */
#define SR_ALERT_OPEN                                                                              \
	"NOT EXISTS (SELECT 1 FROM alerts c WHERE c.id > a.id AND c.raised = 0 AND c.kind = "      \
	"a.kind AND c.node_id = a.node_id AND c.rule = a.rule)"

int
store_read_summary(struct store_read *sr, int64_t online_since_ms, struct store_read_summary *ret)
{
	int64_t v[3] = {0, 0, 0}, pages[1], size[1], freep[1];
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = sr_ints(sr,
	                 "SELECT COUNT(*), COALESCE(SUM(last_seen_ms >= ?1), 0), "
	                 "COALESCE(SUM(seqs_abandoned), 0) FROM nodes",
	                 online_since_ms, v, 3)) < 0)
		return r;
	ret->nodes_total = v[0];
	ret->nodes_online = v[1];
	ret->seqs_abandoned = v[2];
	if ((r = sr_ints(sr, "SELECT COUNT(*) FROM alerts a WHERE a.raised = 1 AND " SR_ALERT_OPEN,
	                 0, v, 1)) < 0)
		return r;
	ret->alerts_open = v[0];
	if ((r = sr_ints(sr, "PRAGMA page_count", 0, pages, 1)) < 0 ||
	    (r = sr_ints(sr, "PRAGMA page_size", 0, size, 1)) < 0 ||
	    (r = sr_ints(sr, "PRAGMA freelist_count", 0, freep, 1)) < 0)
		return r;
	ret->db_bytes = (pages[0] - freep[0]) * size[0];
	return 0;
}

#define SR_NODE_COLS                                                                               \
	"id, name, tags, created_ms, last_seen_ms, COALESCE(hello_ms, 0), COALESCE(firmware, "     \
	"''), "                                                                                    \
	"COALESCE(core_version, 0), seqs_abandoned"

static void
node_from_row(sqlite3_stmt *s, struct store_read_node *n)
{
	memset(n, 0, sizeof(*n));
	n->id = (uint32_t)sqlite3_column_int64(s, 0);
	col_text(s, 1, n->name, sizeof(n->name));
	col_text(s, 2, n->tags, sizeof(n->tags));
	n->created_ms = sqlite3_column_int64(s, 3);
	n->last_seen_ms = sqlite3_column_int64(s, 4);
	n->hello_ms = sqlite3_column_int64(s, 5);
	col_text(s, 6, n->firmware, sizeof(n->firmware));
	n->core_version = (uint32_t)sqlite3_column_int64(s, 7);
	n->seqs_abandoned = (uint64_t)sqlite3_column_int64(s, 8);
}

static bool
all_digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int
store_read_node_find(struct store_read *sr, const char *ref, struct store_read_node *ret)
{
	sqlite3_stmt *s = NULL;
	int rc, r;

	if (ref == NULL || ref[0] == '\0')
		return -EINVAL;
	/* A name wins over an id: "42" names node 42 unless a node is called "42". */
	r = sr_prepare(sr,
	               "SELECT " SR_NODE_COLS " FROM nodes WHERE name = ?1 OR id = ?2 "
	               "ORDER BY name = ?1 DESC LIMIT 1",
	               &s);
	if (r < 0)
		return r;
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, all_digits(ref) ? strtoll(ref, NULL, 10) : -1);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		node_from_row(s, ret);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : sr_err(rc);
}

/* Copies the first column of a one-row query on node_id into buf ("" if none). */
static int
sr_text_of_node(struct store_read *sr, const char *sql, uint32_t node_id, char *buf, size_t size)
{
	sqlite3_stmt *s = NULL;
	int rc, r;

	buf[0] = '\0';
	if ((r = sr_prepare(sr, sql, &s)) < 0)
		return r;
	sqlite3_bind_int64(s, 1, node_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_text(s, 0, buf, size);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sr_err(rc);
}

/* Digests the Hello capabilities and the ModelStatus slots with SQLite's JSON functions. */
static int
sr_digest(struct store_read *sr, uint32_t node_id, struct store_read_detail *d)
{
	sqlite3_stmt *s = NULL;
	int rc, r;

	r = sr_prepare(sr,
	               "SELECT COALESCE(json_extract(caps, '$.board'), ''), "
	               "COALESCE(json_extract(caps, '$.arena_bytes'), 0), "
	               "COALESCE(json_extract(caps, '$.slot_size'), 0), "
	               "COALESCE(json_extract(caps, '$.slots'), 0), "
	               "COALESCE(json_array_length(caps, '$.ops'), 0), "
	               "COALESCE((SELECT group_concat(json_extract(value, '$.name'), ',') FROM "
	               "json_each(nodes.caps, '$.sensors')), '') "
	               "FROM nodes WHERE id = ? AND json_valid(caps)",
	               &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, node_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		col_text(s, 0, d->board, sizeof(d->board));
		d->arena_bytes = (uint32_t)sqlite3_column_int64(s, 1);
		d->slot_size_bytes = (uint32_t)sqlite3_column_int64(s, 2);
		d->slot_count = (uint32_t)sqlite3_column_int64(s, 3);
		d->op_count = (uint32_t)sqlite3_column_int64(s, 4);
		col_text(s, 5, d->sensors, sizeof(d->sensors));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sr_err(rc);
	r = sr_prepare(sr,
	               "SELECT COALESCE(json_extract(value, '$.index'), 0), "
	               "COALESCE(json_extract(value, '$.model_id'), 0), "
	               "COALESCE(json_extract(value, '$.model_version'), 0), "
	               "COALESCE(json_extract(value, '$.state'), ''), "
	               "COALESCE(json_extract(value, '$.size_bytes'), 0), "
	               "COALESCE(json_extract(m.data, '$.active_slot'), 0) "
	               "FROM model_status m, json_each(m.data, '$.slots') "
	               "WHERE m.node_id = ? AND json_valid(m.data) LIMIT ?",
	               &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, node_id);
	sqlite3_bind_int(s, 2, STORE_READ_SLOTS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && d->n_slots < STORE_READ_SLOTS) {
		struct store_read_slot *sl = &d->slots[d->n_slots++];

		sl->index = (uint32_t)sqlite3_column_int64(s, 0);
		sl->model_id = (uint32_t)sqlite3_column_int64(s, 1);
		sl->model_version = (uint32_t)sqlite3_column_int64(s, 2);
		col_text(s, 3, sl->state, sizeof(sl->state));
		sl->size_bytes = (uint32_t)sqlite3_column_int64(s, 4);
		d->active_slot = (uint32_t)sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sr_err(rc);
}

int
store_read_node_detail(struct store_read *sr, uint32_t node_id, struct store_read_detail *d)
{
	struct store_read_query hq = {.node_id = node_id, .limit = 1};
	struct store_read_alert_query aq = {.node_id = node_id, .limit = STORE_READ_ALERTS};
	struct store_read_cursor *c = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = sr_text_of_node(sr, "SELECT caps FROM nodes WHERE id = ?", node_id, d->caps,
	                         sizeof(d->caps))) < 0 ||
	    (r = sr_text_of_node(sr, "SELECT data FROM model_status WHERE node_id = ?", node_id,
	                         d->model_status, sizeof(d->model_status))) < 0)
		return r;
	if ((r = sr_digest(sr, node_id, d)) < 0)
		return r;
	if ((r = sr_ints(sr, "SELECT COUNT(*) FROM readings WHERE node_id = ?", node_id,
	                 &d->readings, 1)) < 0)
		return r;
	if ((r = store_read_health(sr, &hq, &c)) < 0)
		return r;
	r = store_read_next_health(c, &d->health);
	store_read_cursor_free(c);
	c = NULL;
	if (r < 0)
		return r;
	d->have_health = r == 1;
	if ((r = store_read_alerts(sr, &aq, &c)) < 0)
		return r;
	while (d->n_alerts < STORE_READ_ALERTS &&
	       (r = store_read_next_alert(c, &d->alerts[d->n_alerts])) == 1)
		d->n_alerts++;
	store_read_cursor_free(c);
	return r < 0 ? r : 0;
}

/* ---- 3. cursors ---- */

static int
cursor_new(struct store_read *sr, const char *sql, enum cursor_kind kind,
           struct store_read_cursor **ret)
{
	struct store_read_cursor *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->kind = kind;
	if ((r = sr_prepare(sr, sql, &c->s)) < 0) {
		free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void
store_read_cursor_free(struct store_read_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->s);
	free(c);
}

int
store_read_nodes(struct store_read *sr, const struct store_read_node_query *q,
                 struct store_read_cursor **ret)
{
	static const char *const order[] = {
	        [STORE_READ_BY_ID] = "id",
	        [STORE_READ_BY_NAME] = "name",
	        [STORE_READ_BY_LAST_SEEN] = "last_seen_ms DESC, id",
	};
	struct store_read_cursor *c = NULL;
	char sql[512];
	int r;

	if ((unsigned)q->sort > STORE_READ_BY_LAST_SEEN || (unsigned)q->state > STORE_READ_OFFLINE)
		return -EINVAL;
	snprintf(sql, sizeof(sql),
	         "SELECT " SR_NODE_COLS " FROM nodes WHERE (?1 = '' OR instr(',' || "
	         "replace(tags, ' ', '') || ',', ',' || ?1 || ',') > 0) AND (?2 = 0 OR (?2 = 1 AND "
	         "last_seen_ms >= ?3) OR (?2 = 2 AND last_seen_ms < ?3)) ORDER BY %s",
	         order[q->sort]);
	if ((r = cursor_new(sr, sql, CUR_NODES, &c)) < 0)
		return r;
	sqlite3_bind_text(c->s, 1, q->tag ? q->tag : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(c->s, 2, (int)q->state);
	sqlite3_bind_int64(c->s, 3, q->online_since_ms);
	*ret = c;
	return 0;
}

/*
 * Builds the SQL of a readings or health window. cols are the table's
 * columns (aliased t), joined with the node's name; the three orderings are
 * described in store_read.h. Parameters: ?1 node, ?2 since, ?3 until,
 * ?4 label (number or -1), ?5 label text, ?6 limit, ?7 after_id.
 */
static int
window_sql(char *sql, size_t size, const char *table, const char *cols, bool label,
           const struct store_read_query *q)
{
	char where[512];
	int m;

	/*
	 * Only the filters that apply are written: a "(?1 = 0 OR node_id = ?1)"
	 * would keep SQLite from using the (node_id, t_ms) index.
	 */
	m = snprintf(where, sizeof(where), "%s%s%s%s%s", q->follow ? "t.id > ?7" : "1",
	             q->node_id != 0 ? " AND t.node_id = ?1" : "",
	             q->since_ms > 0 ? " AND t.t_ms >= ?2" : "",
	             q->until_ms > 0 ? " AND t.t_ms < ?3" : "",
	             label && q->label != NULL && q->label[0] != '\0'
	                     ? " AND (t.label = ?4 OR json_extract(t.data, '$.top_label') = ?5)"
	                     : "");
	if (m < 0 || (size_t)m >= sizeof(where))
		return -ENOSPC;
	if (q->follow)
		m = snprintf(sql, size,
		             "SELECT %s FROM %s t LEFT JOIN nodes n ON n.id = t.node_id WHERE %s "
		             "ORDER BY t.id LIMIT ?6",
		             cols, table, where);
	else if (q->since_ms > 0)
		m = snprintf(sql, size,
		             "SELECT %s FROM %s t LEFT JOIN nodes n ON n.id = t.node_id WHERE %s "
		             "ORDER BY t.t_ms, t.id LIMIT ?6",
		             cols, table, where);
	else
		/*
		 * The latest rows: of one node by its (node_id, t_ms) index; of
		 * every node by id (reception order), which needs no index.
		 */
		m = snprintf(sql, size,
		             "SELECT * FROM (SELECT %s FROM %s t LEFT JOIN nodes n ON n.id = "
		             "t.node_id WHERE %s ORDER BY %s LIMIT ?6) ORDER BY 5, 1",
		             cols, table, where,
		             q->node_id != 0 ? "t.t_ms DESC, t.id DESC" : "t.id DESC");
	return m < 0 || (size_t)m >= size ? -ENOSPC : 0;
}

static int
window_cursor(struct store_read *sr, const char *table, const char *cols, bool label,
              enum cursor_kind kind, const struct store_read_query *q,
              struct store_read_cursor **ret)
{
	struct store_read_cursor *c = NULL;
	const char *lbl = q->label ? q->label : "";
	char sql[2048];
	int r;

	if (q->limit == 0 || q->limit > STORE_READ_LIMIT || q->since_ms < 0 || q->until_ms < 0)
		return -EINVAL;
	if ((r = window_sql(sql, sizeof(sql), table, cols, label, q)) < 0)
		return r;
	if ((r = cursor_new(sr, sql, kind, &c)) < 0)
		return r;
	sqlite3_bind_int64(c->s, 1, q->node_id);
	sqlite3_bind_int64(c->s, 2, q->since_ms);
	sqlite3_bind_int64(c->s, 3, q->until_ms);
	if (label) {
		sqlite3_bind_int64(c->s, 4, all_digits(lbl) ? strtoll(lbl, NULL, 10) : -1);
		sqlite3_bind_text(c->s, 5, lbl, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(c->s, 6, q->limit);
	sqlite3_bind_int64(c->s, 7, q->follow ? q->after_id : 0);
	*ret = c;
	return 0;
}

int
store_read_readings(struct store_read *sr, const struct store_read_query *q,
                    struct store_read_cursor **ret)
{
	return window_cursor(sr, "readings",
	                     "t.id, t.node_id, COALESCE(n.name, ''), t.seq, t.t_ms, t.rx_ms, "
	                     "t.model_id, t.model_version, t.label, "
	                     "COALESCE(json_extract(t.data, '$.top_label'), ''), t.score, "
	                     "t.latency_us",
	                     true, CUR_READINGS, q, ret);
}

int
store_read_health(struct store_read *sr, const struct store_read_query *q,
                  struct store_read_cursor **ret)
{
	return window_cursor(sr, "health",
	                     "t.id, t.node_id, COALESCE(n.name, ''), t.seq, t.t_ms, t.rx_ms, "
	                     "t.battery_mv, t.rssi_dbm, t.uptime_s, t.reboots, "
	                     "COALESCE(json_extract(t.data, '$.free_mem_bytes'), 0), "
	                     "COALESCE(json_extract(t.data, '$.inferences'), 0), "
	                     "COALESCE(json_extract(t.data, '$.inference_errors'), 0), "
	                     "COALESCE(json_extract(t.data, '$.outbox_depth'), 0)",
	                     false, CUR_HEALTH, q, ret);
}

int
store_read_alerts(struct store_read *sr, const struct store_read_alert_query *q,
                  struct store_read_cursor **ret)
{
	struct store_read_cursor *c = NULL;
	char sql[2048];
	int m, r;

	if (q->limit == 0 || q->limit > STORE_READ_LIMIT)
		return -EINVAL;
	m = snprintf(sql, sizeof(sql),
	             "SELECT a.id, a.node_id, COALESCE(n.name, ''), a.t_ms, a.kind, a.rule, "
	             "a.severity, COALESCE(json_extract(a.data, '$.message'), ''), a.raised, "
	             "CASE WHEN a.raised = 0 THEN a.t_ms ELSE COALESCE((SELECT MIN(c.t_ms) FROM "
	             "alerts c WHERE c.id > a.id AND c.raised = 0 AND c.kind = a.kind AND "
	             "c.node_id = a.node_id AND c.rule = a.rule), 0) END, "
	             "COALESCE(k.t_ms, 0), COALESCE(k.uid, 0) "
	             "FROM alerts a LEFT JOIN nodes n ON n.id = a.node_id "
	             "LEFT JOIN alert_acks k ON k.alert_id = a.id "
	             "WHERE (?1 = 0 OR a.node_id = ?1) AND %s %s ORDER BY a.id %s LIMIT ?2",
	             q->follow ? "a.id > ?3" : "a.raised = 1",
	             q->open_only && !q->follow ? "AND " SR_ALERT_OPEN : "",
	             q->follow ? "" : "DESC");
	if (m < 0 || (size_t)m >= sizeof(sql))
		return -ENOSPC;
	if ((r = cursor_new(sr, sql, CUR_ALERTS, &c)) < 0)
		return r;
	sqlite3_bind_int64(c->s, 1, q->node_id);
	sqlite3_bind_int64(c->s, 2, q->limit);
	if (q->follow)
		sqlite3_bind_int64(c->s, 3, q->after_id);
	*ret = c;
	return 0;
}

static int
cursor_step(struct store_read_cursor *c, enum cursor_kind kind)
{
	int rc;

	if (c == NULL || c->kind != kind)
		return -EINVAL;
	rc = sqlite3_step(c->s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sr_err(rc);
}

int
store_read_next_node(struct store_read_cursor *c, struct store_read_node *ret)
{
	int r = cursor_step(c, CUR_NODES);

	if (r == 1)
		node_from_row(c->s, ret);
	return r;
}

int
store_read_next_reading(struct store_read_cursor *c, struct store_read_reading *ret)
{
	sqlite3_stmt *s = c ? c->s : NULL;
	int r = cursor_step(c, CUR_READINGS);

	if (r != 1)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->id = sqlite3_column_int64(s, 0);
	ret->node_id = (uint32_t)sqlite3_column_int64(s, 1);
	col_text(s, 2, ret->node, sizeof(ret->node));
	ret->seq = (uint32_t)sqlite3_column_int64(s, 3);
	ret->t_ms = sqlite3_column_int64(s, 4);
	ret->rx_ms = sqlite3_column_int64(s, 5);
	ret->model_id = (uint32_t)sqlite3_column_int64(s, 6);
	ret->model_version = (uint32_t)sqlite3_column_int64(s, 7);
	ret->label = (uint32_t)sqlite3_column_int64(s, 8);
	col_text(s, 9, ret->label_name, sizeof(ret->label_name));
	ret->score = sqlite3_column_double(s, 10);
	ret->latency_us = (uint32_t)sqlite3_column_int64(s, 11);
	return 1;
}

int
store_read_next_health(struct store_read_cursor *c, struct store_read_health *ret)
{
	sqlite3_stmt *s = c ? c->s : NULL;
	int r = cursor_step(c, CUR_HEALTH);

	if (r != 1)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->id = sqlite3_column_int64(s, 0);
	ret->node_id = (uint32_t)sqlite3_column_int64(s, 1);
	col_text(s, 2, ret->node, sizeof(ret->node));
	ret->seq = (uint32_t)sqlite3_column_int64(s, 3);
	ret->t_ms = sqlite3_column_int64(s, 4);
	ret->rx_ms = sqlite3_column_int64(s, 5);
	ret->battery_mv = (uint32_t)sqlite3_column_int64(s, 6);
	ret->rssi_dbm = (int32_t)sqlite3_column_int64(s, 7);
	ret->uptime_s = (uint32_t)sqlite3_column_int64(s, 8);
	ret->reboots = (uint32_t)sqlite3_column_int64(s, 9);
	ret->free_mem_bytes = (uint32_t)sqlite3_column_int64(s, 10);
	ret->inferences = (uint32_t)sqlite3_column_int64(s, 11);
	ret->inference_errors = (uint32_t)sqlite3_column_int64(s, 12);
	ret->outbox_depth = (uint32_t)sqlite3_column_int64(s, 13);
	return 1;
}

int
store_read_next_alert(struct store_read_cursor *c, struct store_read_alert *ret)
{
	sqlite3_stmt *s = c ? c->s : NULL;
	int r = cursor_step(c, CUR_ALERTS);

	if (r != 1)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->id = sqlite3_column_int64(s, 0);
	ret->node_id = (uint32_t)sqlite3_column_int64(s, 1);
	col_text(s, 2, ret->node, sizeof(ret->node));
	ret->t_ms = sqlite3_column_int64(s, 3);
	col_text(s, 4, ret->kind, sizeof(ret->kind));
	col_text(s, 5, ret->rule, sizeof(ret->rule));
	ret->severity = sqlite3_column_int(s, 6);
	col_text(s, 7, ret->message, sizeof(ret->message));
	ret->raised = sqlite3_column_int(s, 8) != 0;
	ret->cleared_ms = sqlite3_column_int64(s, 9);
	ret->acked_ms = sqlite3_column_int64(s, 10);
	ret->acked_uid = sqlite3_column_int64(s, 11);
	return 1;
}

int
store_read_max_ids(struct store_read *sr, int64_t *ret_reading, int64_t *ret_health,
                   int64_t *ret_alert)
{
	int64_t v[3];
	int r;

	r = sr_ints(sr,
	            "SELECT (SELECT COALESCE(MAX(id), 0) FROM readings), (SELECT COALESCE(MAX(id), "
	            "0) FROM health), (SELECT COALESCE(MAX(id), 0) FROM alerts)",
	            0, v, 3);
	if (r < 0)
		return r;
	*ret_reading = v[0];
	*ret_health = v[1];
	*ret_alert = v[2];
	return 0;
}
