/*
 * tf-sqlite-bench: the machine's SQLite ceiling for the ingest benchmark.
 * Inserts N rows shaped like tinyfleetd's readings (same table, same index,
 * WAL, the given synchronous level) in transactions of BATCH rows with one
 * prepared statement, and prints rows per second.
 *
 *   tf-sqlite-bench DB N BATCH SYNCHRONOUS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char sql[64];
	long n, batch;
	double t0, t1;
	static const char payload[] =
	        "{\"node\":17,\"seq\":1234,\"time_ms\":1764090000123,\"model_id\":1,"
	        "\"model_version\":1,\"label\":2,\"top_label\":\"class2\",\"score\":0.9}";

	if (argc != 5) {
		fprintf(stderr, "usage: tf-sqlite-bench DB N BATCH SYNCHRONOUS\n");
		return 2;
	}
	n = atol(argv[2]);
	batch = atol(argv[3]);
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return 1;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s", argv[4]);
	sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_exec(db,
	             "CREATE TABLE readings (id INTEGER PRIMARY KEY, node_id INTEGER NOT NULL,"
	             " seq INTEGER NOT NULL, t_ms INTEGER NOT NULL, rx_ms INTEGER NOT NULL,"
	             " model_id INTEGER, model_version INTEGER, label INTEGER, score REAL,"
	             " latency_us INTEGER, data TEXT);"
	             "CREATE INDEX readings_node_t ON readings(node_id, t_ms);",
	             NULL, NULL, NULL);
	sqlite3_prepare_v2(
	        db,
	        "INSERT INTO readings(node_id, seq, t_ms, rx_ms, model_id, model_version,"
	        " label, score, latency_us, data) VALUES (?,?,?,?,1,1,2,0.9,1200,?)",
	        -1, &s, NULL);
	t0 = now();
	for (long i = 0; i < n; i++) {
		if (i % batch == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_int64(s, 1, i % 100);
		sqlite3_bind_int64(s, 2, i / 100);
		sqlite3_bind_int64(s, 3, 1764090000000LL + i);
		sqlite3_bind_int64(s, 4, 1764090000000LL + i);
		sqlite3_bind_text(s, 5, payload, -1, SQLITE_STATIC);
		sqlite3_step(s);
		sqlite3_reset(s);
		if (i % batch == batch - 1 || i == n - 1)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	t1 = now();
	sqlite3_finalize(s);
	sqlite3_close(db);
	printf("%.0f\n", (double)n / (t1 - t0));
	return 0;
}
