/*
 * json.h: a minimal JSON writer for tinyfleetctl's --json output.
 *
 * It tracks only whether a separator is due, so callers write values in
 * order: json_key() before each member of an object, then the value.
 * Strings are escaped (control characters, quotes, backslash); valid UTF-8
 * is copied, and a byte that is not valid UTF-8 (a tensor name is arbitrary
 * bytes) becomes U+FFFD, so the output is always valid JSON.
 * Non-finite numbers are written as null.
 */
#ifndef TF_CLI_JSON_H
#define TF_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	int need_comma[16]; /* per nesting level */
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif
