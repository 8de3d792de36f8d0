/*
 * json.c: see json.h.
 */
#include <math.h>

#include "json.h"

void
json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = 0;
}

/* Writes the separator a new value at this level needs. */
static void
sep(struct json *j)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = 1;
}

static void
open_level(struct json *j, int c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

void
json_begin_object(struct json *j)
{
	open_level(j, '{');
}

void
json_end_object(struct json *j)
{
	if (j->depth > 0)
		j->depth--;
	fputc('}', j->f);
}

void
json_begin_array(struct json *j)
{
	open_level(j, '[');
}

void
json_end_array(struct json *j)
{
	if (j->depth > 0)
		j->depth--;
	fputc(']', j->f);
}

void
json_string_n(struct json *j, const char *s, size_t n)
{
	size_t i;

	sep(j);
	fputc('"', j->f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(j->f, "\\u%04x", c);
		else
			fputc(c, j->f);
	}
	fputc('"', j->f);
}

void
json_key(struct json *j, const char *key)
{
	size_t n = 0;

	while (key[n] != '\0')
		n++;
	json_string_n(j, key, n);
	fputc(':', j->f);
	/* The value that follows needs no comma of its own. */
	j->need_comma[j->depth] = 0;
}

void
json_string(struct json *j, const char *s)
{
	size_t n = 0;

	if (s == NULL) {
		json_null(j);
		return;
	}
	while (s[n] != '\0')
		n++;
	json_string_n(j, s, n);
}

void
json_int(struct json *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%lld", (long long)v);
}

void
json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	sep(j);
	fprintf(j->f, "%.9g", v);
}

void
json_bool(struct json *j, int v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void
json_null(struct json *j)
{
	sep(j);
	fputs("null", j->f);
}

void
json_finish(struct json *j)
{
	fputc('\n', j->f);
}
