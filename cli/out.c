/*
 * out.c: tables, relative times and time parsing for tinyfleetctl (out.h).
 */
#define _GNU_SOURCE /* timegm, strptime */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "out.h"

void
out_table_init(struct out_table *t, size_t ncols, const char *const *head, const bool *right)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < OUT_COLS_MAX ? ncols : OUT_COLS_MAX;
	for (size_t i = 0; i < t->ncols; i++) {
		t->head[i] = head[i];
		t->right[i] = right != NULL && right[i];
	}
}

int
out_table_add(struct out_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **nc = realloc(t->cells, cap * t->ncols * sizeof(*nc));

		if (nc == NULL)
			return -ENOMEM;
		t->cells = nc;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char *c = strdup(cells[i] != NULL ? cells[i] : "");

		if (c == NULL) {
			for (size_t k = 0; k < i; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = c;
	}
	t->nrows++;
	return 0;
}

/* Display width: count UTF-8 lead bytes only, so "…" is one column. */
static size_t
out_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
out_cell(FILE *f, const char *s, size_t width, bool right, bool last)
{
	size_t w = out_width(s);

	if (right)
		fprintf(f, "%*s%s", (int)(width - w), "", s);
	else if (last)
		fputs(s, f);
	else
		fprintf(f, "%s%*s", s, (int)(width - w), "");
}

void
out_table_print(const struct out_table *t, FILE *f)
{
	size_t width[OUT_COLS_MAX];

	for (size_t i = 0; i < t->ncols; i++)
		width[i] = out_width(t->head[i]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t w = out_width(t->cells[r * t->ncols + i]);

			if (w > width[i])
				width[i] = w;
		}
	for (size_t i = 0; i < t->ncols; i++) {
		out_cell(f, t->head[i], width[i], t->right[i], i + 1 == t->ncols);
		fputs(i + 1 == t->ncols ? "\n" : "  ", f);
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			out_cell(f, t->cells[r * t->ncols + i], width[i], t->right[i],
			         i + 1 == t->ncols);
			fputs(i + 1 == t->ncols ? "\n" : "  ", f);
		}
}

void
out_table_free(struct out_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

void
out_ago(int64_t now_ms, int64_t t_ms, char *buf, size_t size)
{
	int64_t d;
	bool future;

	if (t_ms <= 0) {
		snprintf(buf, size, "never");
		return;
	}
	d = (now_ms - t_ms) / 1000;
	future = d < 0;
	if (future)
		d = -d;
	if (d < 1) {
		snprintf(buf, size, "now");
		return;
	}
	if (d < 60)
		snprintf(buf, size, "%s%" PRId64 "s%s", future ? "in " : "", d,
		         future ? "" : " ago");
	else if (d < 3600)
		snprintf(buf, size, "%s%" PRId64 "m%s", future ? "in " : "", d / 60,
		         future ? "" : " ago");
	else if (d < 86400)
		snprintf(buf, size, "%s%" PRId64 "h%s", future ? "in " : "", d / 3600,
		         future ? "" : " ago");
	else
		snprintf(buf, size, "%s%" PRId64 "d%s", future ? "in " : "", d / 86400,
		         future ? "" : " ago");
}

void
out_duration(int64_t s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRId64 "h %02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRId64 "d %02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

void
out_bytes(int64_t b, char *buf, size_t size)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, size, "%" PRId64 " B", b);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, unit[u]);
}

void
out_iso(int64_t t_ms, char *buf, size_t size)
{
	time_t s = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(t_ms % 1000));
}

void
out_csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int64_t
out_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "+01:00", "-0530", "Z" after the time; returns 0 and the offset in seconds east. */
static int
parse_zone(const char *z, long *ret_off, bool *ret_has)
{
	int sign, hh, mm = 0;

	*ret_has = false;
	*ret_off = 0;
	if (*z == '\0')
		return 0;
	*ret_has = true;
	if (strcmp(z, "Z") == 0 || strcmp(z, "z") == 0)
		return 0;
	if (*z != '+' && *z != '-')
		return -EINVAL;
	sign = *z == '-' ? -1 : 1;
	z++;
	if (!isdigit((unsigned char)z[0]) || !isdigit((unsigned char)z[1]))
		return -EINVAL;
	hh = (z[0] - '0') * 10 + (z[1] - '0');
	z += 2;
	if (*z == ':')
		z++;
	if (*z != '\0') {
		if (!isdigit((unsigned char)z[0]) || !isdigit((unsigned char)z[1]) || z[2] != '\0')
			return -EINVAL;
		mm = (z[0] - '0') * 10 + (z[1] - '0');
	}
	if (hh > 14 || mm > 59)
		return -EINVAL;
	*ret_off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int
out_parse_time(const char *s, int64_t now_ms, int64_t *ret_ms)
{
	static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
	                                   "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	/* Relative: a number and a unit. */
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && s[0] != '-' && end[0] != '\0' && end[1] == '\0' &&
	    strchr("smhdw", end[0]) != NULL) {
		static const int64_t mult[] = {1, 60, 3600, 86400, 604800};
		int64_t m = mult[strchr("smhdw", end[0]) - "smhdw"];

		if (v > INT64_MAX / 1000 / m)
			return -EINVAL;
		*ret_ms = now_ms - v * m * 1000;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *rest;
		long frac_ms = 0, off;
		bool has_zone;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		if ((rest = strptime(s, fmts[i], &tm)) == NULL)
			continue;
		if (*rest == '.') {
			long scale = 100;

			for (rest++; isdigit((unsigned char)*rest); rest++) {
				frac_ms += (*rest - '0') * scale;
				scale /= 10;
			}
		}
		if (parse_zone(rest, &off, &has_zone) < 0)
			continue;
		if (has_zone) {
			t = timegm(&tm) - off;
		} else {
			tm.tm_isdst = -1;
			t = mktime(&tm);
		}
		if (t == (time_t)-1)
			return -EINVAL;
		*ret_ms = (int64_t)t * 1000 + frac_ms;
		return 0;
	}
	return -EINVAL;
}
