/*
 * out.h: tinyfleetctl's output for people and scripts: aligned tables,
 * relative times ("5m ago"), sizes, durations, CSV fields, and the parser
 * of --since/--until (relative "1h" or ISO-8601).
 */
#ifndef TF_CLI_OUT_H
#define TF_CLI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_COLS_MAX 16

/* A table collected row by row, printed with every column as wide as its widest cell. */
struct out_table {
	size_t ncols;
	const char *head[OUT_COLS_MAX];
	bool right[OUT_COLS_MAX]; /* right-align (numbers) */
	char **cells;             /* nrows * ncols strings, owned */
	size_t nrows, cap;
};

void out_table_init(struct out_table *t, size_t ncols, const char *const *head, const bool *right);
/* Adds one row of ncols cells (copied). Returns 0 or -ENOMEM. */
int out_table_add(struct out_table *t, const char *const *cells);
void out_table_print(const struct out_table *t, FILE *f);
void out_table_free(struct out_table *t);

/* "never" (t 0), "now", "12s ago", "5m ago", "3h ago", "2d ago", "in 5m". */
void out_ago(int64_t now_ms, int64_t t_ms, char *buf, size_t size);
/* "45s", "5m 02s", "3h 04m", "2d 03h". */
void out_duration(int64_t seconds, char *buf, size_t size);
/* "812 B", "12.3 KiB", "4.0 MiB", "1.2 GiB". */
void out_bytes(int64_t bytes, char *buf, size_t size);
/* UTC ISO-8601 with milliseconds: 2026-11-25T18:52:00.123Z. */
void out_iso(int64_t t_ms, char *buf, size_t size);
/* Writes s as one CSV field (quoted when it holds a comma, quote or newline). */
void out_csv_field(FILE *f, const char *s);

/*
 * Parses a point in time: a duration back from now ("90s", "15m", "1h",
 * "2d", "1w") or ISO-8601 ("2026-11-25", "2026-11-25T18:00",
 * "2026-11-25 18:00:05", with "Z" or "+01:00" for a zone; none = local
 * time). Returns 0 and *ret_ms (unix ms), or -EINVAL.
 */
int out_parse_time(const char *s, int64_t now_ms, int64_t *ret_ms);

/* Unix time now in ms. */
int64_t out_now_ms(void);

#endif
