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

/* Length of the valid UTF-8 sequence starting at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void
json_string_n(struct json *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	sep(j);
	fputc('"', j->f);
	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (c == '"' || c == '\\') {
			fprintf(j->f, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(j->f, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, j->f);
		} else if ((k = utf8_len(u + i, n - i)) > 0) {
			fwrite(u + i, 1, k, j->f);
			i += k - 1;
		} else {
			fputs("\\ufffd", j->f); /* not UTF-8: the replacement character */
		}
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
