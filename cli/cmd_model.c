/*
 * cmd_model.c: `tinyfleetctl model ...`, the offline model tools. They use
 * the same inference core as the nodes (node-firmware/core), so "the core
 * can run it" here means a node with enough arena can too.
 *
 *	model inspect FILE [--json]
 *	model run FILE (--input RAW | --random SEED) [--repeat N] [--json]
 *
 * Divisions: helpers (file loading, types, the --random generator), a small
 * fallback reader that lists the ops of a model the core refuses, inspect,
 * run, and the group's dispatch table.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "core/nn.h"
#include "json.h"

const char cmd_model_usage[] =
        "  model inspect FILE [--json]\n"
        "      ops and counts, parameters, input/output shapes and quantization, arena\n"
        "      bytes, and whether the core can run the model (offline, no daemon)\n"
        "  model run FILE (--input RAW | --random SEED) [--repeat N] [--json]\n"
        "      runs the model on the core: raw bytes and dequantized values of each\n"
        "      output, and the time per inference; --random 1 is the oracle's input B\n";

/* Models larger than this are refused before reading (no node has such flash). */
#define MODEL_MAX_BYTES (64u << 20)
#define REPEAT_MAX      1000000L

/* ---- helpers ---- */

/* Reads a whole file into a malloc'd buffer. On failure prints why (naming
 * the file) and returns CLI_FAILED; *ret_buf is untouched then. */
static int
load_file(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len)
{
	FILE *f = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	size_t len;
	int r = CLI_FAILED;

	f = fopen(path, "rb");
	if (f == NULL) {
		cli_fail("'%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		cli_fail("'%s': not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		cli_fail("'%s': %lld bytes, more than the %zu-byte limit", path,
		         (long long)st.st_size, max);
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		cli_fail("'%s': out of memory", path);
		goto out;
	}
	if (len > 0 && fread(buf, 1, len, f) != len) {
		cli_fail("'%s': read failed", path);
		goto out;
	}
	*ret_buf = buf;
	buf = NULL; /* transferred */
	*ret_len = len;
	r = CLI_OK;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return r;
}

static const char *
type_name(int32_t type)
{
	switch (type) {
	case NN_FLOAT32:
		return "float32";
	case NN_INT32:
		return "int32";
	case NN_UINT8:
		return "uint8";
	case NN_INT16:
		return "int16";
	case NN_INT8:
		return "int8";
	case 4:
		return "int64";
	default:
		return "other";
	}
}

static size_t
type_size(int32_t type)
{
	switch (type) {
	case NN_FLOAT32:
	case NN_INT32:
		return 4;
	case NN_INT16:
		return 2;
	case NN_UINT8:
	case NN_INT8:
		return 1;
	case 4:
		return 8;
	default:
		return 0;
	}
}

/* Element i of a tensor's bytes as a real value (dequantized when quantized). */
static double
element_value(const struct nn_tensor *t, const uint8_t *p, size_t i)
{
	double q;

	switch (t->type) {
	case NN_FLOAT32: {
		float v;

		memcpy(&v, p + 4 * i, 4);
		return v;
	}
	case NN_INT32: {
		int32_t v;

		memcpy(&v, p + 4 * i, 4);
		q = v;
		break;
	}
	case NN_INT16: {
		int16_t v;

		memcpy(&v, p + 2 * i, 2);
		q = v;
		break;
	}
	case NN_UINT8:
		q = p[i];
		break;
	default:
		q = (int8_t)p[i];
		break;
	}
	if (t->n_scales == 0)
		return q;
	return (double)t->scale * (q - (double)t->zero_point);
}

static void
print_shape(FILE *f, const struct nn_tensor *t)
{
	int i;

	fputc('[', f);
	for (i = 0; i < t->ndim; i++)
		fprintf(f, "%s%d", i ? "," : "", (int)t->dims[i]);
	fputc(']', f);
}

/* A tensor name for the terminal: control bytes (escape sequences) as \xNN. */
static void
print_name(FILE *f, const char *name, size_t len)
{
	size_t i;

	for (i = 0; name != NULL && i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void
print_tensor_line(FILE *f, const char *what, int i, const struct nn_tensor *t)
{
	fprintf(f, "%s %d: '", what, i);
	print_name(f, t->name, t->name_len);
	fprintf(f, "' %s ", type_name(t->type));
	print_shape(f, t);
	if (t->n_scales == 1)
		fprintf(f, " scale %.9g zero_point %d", (double)t->scale, (int)t->zero_point);
	else if (t->n_scales > 1)
		fprintf(f, " per-channel (%d scales)", (int)t->n_scales);
	fprintf(f, ", %zu bytes\n", t->bytes);
}

static void
json_tensor_fields(struct json *j, const struct nn_tensor *t)
{
	int i;

	json_key(j, "index");
	json_int(j, t->index);
	json_key(j, "name");
	json_string_n(j, t->name ? t->name : "", t->name ? t->name_len : 0);
	json_key(j, "type");
	json_string(j, type_name(t->type));
	json_key(j, "shape");
	json_begin_array(j);
	for (i = 0; i < t->ndim; i++)
		json_int(j, t->dims[i]);
	json_end_array(j);
	json_key(j, "bytes");
	json_int(j, (int64_t)t->bytes);
	json_key(j, "scale");
	if (t->n_scales > 0)
		json_double(j, t->scale);
	else
		json_null(j);
	json_key(j, "zero_point");
	if (t->n_scales > 0)
		json_int(j, t->zero_point);
	else
		json_null(j);
	json_key(j, "scales");
	json_int(j, t->n_scales);
}

/*
 * --random SEED: the LCG of the oracle's input B (shared/oracle/README.md
 * section 3) started at SEED, so `--random 1` reproduces input B exactly.
 */
static void
fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t s = seed;
	size_t i;

	for (i = 0; i < n; i++) {
		s = s * 1664525u + 1013904223u;
		p[i] = (uint8_t)(s >> 24);
	}
}

static int
parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

/* ---- fallback reader: the op list of a model the core refuses ---- */

/*
 * Walks just enough of the flatbuffer (bounds-checked) to count the
 * operators of subgraph 0 by builtin code. Used by inspect when
 * nn_model_open() refuses a well-formed model the core cannot run, so the
 * operator still sees which ops it needs. Returns the number of distinct
 * codes written to codes/counts, or -1 when the bytes do not parse.
 */
struct fb {
	const uint8_t *b;
	size_t len;
};

static int
fb_u32(const struct fb *f, size_t at, uint32_t *ret)
{
	if (at > f->len || f->len - at < 4)
		return -1;
	*ret = (uint32_t)f->b[at] | (uint32_t)f->b[at + 1] << 8 | (uint32_t)f->b[at + 2] << 16 |
	       (uint32_t)f->b[at + 3] << 24;
	return 0;
}

/* Position of field id (size bytes) of the table at t (0 if absent), or -1. */
static int64_t
fb_field(const struct fb *f, size_t t, int id, size_t size)
{
	uint32_t so, vt, vlen, off;

	if (fb_u32(f, t, &so) < 0)
		return -1;
	vt = (uint32_t)((int64_t)t - (int64_t)(int32_t)so);
	if ((int64_t)t - (int64_t)(int32_t)so < 0 || vt + 4 > f->len)
		return -1;
	vlen = (uint32_t)f->b[vt] | (uint32_t)f->b[vt + 1] << 8;
	if ((uint32_t)(4 + 2 * id + 2) > vlen || vt + vlen > f->len)
		return 0;
	off = (uint32_t)f->b[vt + 4 + 2 * id] | (uint32_t)f->b[vt + 5 + 2 * id] << 8;
	if (off == 0)
		return 0;
	if (t + off + size > f->len)
		return -1;
	return (int64_t)(t + off);
}

/* Follows the uoffset at field id of table t: position of the target, 0 if absent, -1 bad. */
static int64_t
fb_ref(const struct fb *f, size_t t, int id)
{
	int64_t at = fb_field(f, t, id, 4);
	uint32_t v;

	if (at <= 0)
		return at;
	if (fb_u32(f, (size_t)at, &v) < 0 || (uint64_t)at + v + 4 > f->len)
		return -1;
	return at + v;
}

static int
fallback_op_counts(const uint8_t *bytes, size_t len, int32_t *codes, int *counts, int max,
                   int *ret_ops)
{
	struct fb f = {bytes, len};
	uint32_t root, n_codes, n_sg, n_ops, i, v;
	int64_t oc, sg, ops, sgt;
	int n = 0, k;

	if (fb_u32(&f, 0, &root) < 0 || root >= len)
		return -1;
	oc = fb_ref(&f, root, 1);
	sg = fb_ref(&f, root, 2);
	if (oc <= 0 || sg <= 0 || fb_u32(&f, (size_t)oc, &n_codes) < 0 ||
	    fb_u32(&f, (size_t)sg, &n_sg) < 0 || n_sg < 1 || n_codes > (len - (size_t)oc) / 4)
		return -1;
	if (fb_u32(&f, (size_t)sg + 4, &v) < 0)
		return -1;
	sgt = sg + 4 + v;
	ops = fb_ref(&f, (size_t)sgt, 3);
	if (ops <= 0 || fb_u32(&f, (size_t)ops, &n_ops) < 0 || n_ops > (len - (size_t)ops) / 4)
		return -1;
	for (i = 0; i < n_ops; i++) {
		uint32_t op, idx = 0, ct;
		int64_t at, code_t;
		int32_t code = 0;

		if (fb_u32(&f, (size_t)ops + 4 + 4 * i, &v) < 0)
			return -1;
		op = (uint32_t)ops + 4 + 4 * i + v;
		at = fb_field(&f, op, 0, 4);
		if (at < 0 || (at > 0 && fb_u32(&f, (size_t)at, &idx) < 0) || idx >= n_codes)
			return -1;
		if (fb_u32(&f, (size_t)oc + 4 + 4 * idx, &ct) < 0)
			return -1;
		code_t = (int64_t)oc + 4 + 4 * idx + ct;
		at = fb_field(&f, (size_t)code_t, 0, 1); /* deprecated_builtin_code, int8 */
		if (at < 0)
			return -1;
		if (at > 0)
			code = (int8_t)bytes[at];
		at = fb_field(&f, (size_t)code_t, 3, 4); /* builtin_code, int32 */
		if (at < 0 || (at > 0 && fb_u32(&f, (size_t)at, &v) < 0))
			return -1;
		if (at > 0 && (int32_t)v > code)
			code = (int32_t)v;
		for (k = 0; k < n; k++)
			if (codes[k] == code)
				break;
		if (k == n) {
			if (n == max)
				continue;
			codes[n] = code;
			counts[n++] = 0;
		}
		counts[k]++;
	}
	*ret_ops = (int)n_ops;
	return n;
}

/* ---- inspect ---- */

#define MAX_CODES 64

struct param_stats {
	int64_t total, int8, int32, other, tensors, bytes;
};

static void
count_params(const struct nn_model *m, struct param_stats *ps)
{
	struct nn_tensor t;
	int i, n = nn_model_tensor_count(m);

	memset(ps, 0, sizeof(*ps));
	for (i = 0; i < n; i++) {
		size_t es;
		int64_t elems;

		if (nn_model_tensor(m, i, &t) != NN_OK || !t.is_const)
			continue;
		es = type_size(t.type);
		elems = es ? (int64_t)(t.bytes / es) : 0;
		ps->tensors++;
		ps->bytes += (int64_t)t.bytes;
		ps->total += elems;
		if (t.type == NN_INT8)
			ps->int8 += elems;
		else if (t.type == NN_INT32)
			ps->int32 += elems;
		else
			ps->other += elems;
	}
}

static int
count_ops(const struct nn_model *m, int32_t *codes, int *counts, int max)
{
	struct nn_op_info info;
	int i, k, n = 0, n_ops = nn_model_op_count(m);

	for (i = 0; i < n_ops; i++) {
		if (nn_model_op(m, i, &info) != NN_OK)
			continue;
		for (k = 0; k < n; k++)
			if (codes[k] == info.code)
				break;
		if (k == n) {
			if (n == max)
				continue;
			codes[n] = info.code;
			counts[n++] = 0;
		}
		counts[k]++;
	}
	return n;
}

static void
inspect_print_table(const char *path, size_t len, const struct nn_model *m, int can_run,
                    const char *why, const int32_t *codes, const int *counts, int n_codes,
                    int n_ops)
{
	struct param_stats ps;
	struct nn_tensor t;
	size_t pers, act;
	int i;

	printf("model: %s (%zu bytes)\n", path, len);
	printf("core: %s%s%s\n", can_run ? "can run it" : "cannot run it", can_run ? "" : ": ",
	       can_run ? "" : why);
	printf("ops: %d operators, %d kinds\n", n_ops, n_codes);
	for (i = 0; i < n_codes; i++)
		printf("  %-28s %5d%s\n", nn_op_name(codes[i]), counts[i],
		       nn_op_supported(codes[i]) ? "" : "  (not supported by the core)");
	if (!can_run)
		return;
	count_params(m, &ps);
	printf("parameters: %lld (int8 %lld, int32 %lld, other %lld) in %lld constant tensors, "
	       "%lld bytes\n",
	       (long long)ps.total, (long long)ps.int8, (long long)ps.int32, (long long)ps.other,
	       (long long)ps.tensors, (long long)ps.bytes);
	for (i = 0; i < nn_model_input_count(m); i++)
		if (nn_model_input(m, i, &t) == NN_OK)
			print_tensor_line(stdout, "input", i, &t);
	for (i = 0; i < nn_model_output_count(m); i++)
		if (nn_model_output(m, i, &t) == NN_OK)
			print_tensor_line(stdout, "output", i, &t);
	nn_model_arena_parts(m, &pers, &act);
	printf("arena: %zu bytes (persistent %zu, activations %zu)\n", nn_model_arena_size(m), pers,
	       act);
}

static void
inspect_print_json(const char *path, size_t len, const struct nn_model *m, int can_run,
                   const char *why, const int32_t *codes, const int *counts, int n_codes, int n_ops)
{
	struct json j;
	struct param_stats ps;
	struct nn_tensor t;
	size_t pers, act;
	int i;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "file");
	json_string(&j, path);
	json_key(&j, "bytes");
	json_int(&j, (int64_t)len);
	json_key(&j, "can_run");
	json_bool(&j, can_run);
	json_key(&j, "why");
	if (can_run)
		json_null(&j);
	else
		json_string(&j, why);
	json_key(&j, "op_count");
	json_int(&j, n_ops);
	json_key(&j, "ops");
	json_begin_array(&j);
	for (i = 0; i < n_codes; i++) {
		json_begin_object(&j);
		json_key(&j, "name");
		json_string(&j, nn_op_name(codes[i]));
		json_key(&j, "code");
		json_int(&j, codes[i]);
		json_key(&j, "count");
		json_int(&j, counts[i]);
		json_key(&j, "supported");
		json_bool(&j, nn_op_supported(codes[i]));
		json_end_object(&j);
	}
	json_end_array(&j);
	if (can_run) {
		count_params(m, &ps);
		json_key(&j, "schema_version");
		json_int(&j, m->schema_version);
		json_key(&j, "tensor_count");
		json_int(&j, nn_model_tensor_count(m));
		json_key(&j, "parameters");
		json_begin_object(&j);
		json_key(&j, "total");
		json_int(&j, ps.total);
		json_key(&j, "int8");
		json_int(&j, ps.int8);
		json_key(&j, "int32");
		json_int(&j, ps.int32);
		json_key(&j, "other");
		json_int(&j, ps.other);
		json_key(&j, "const_tensors");
		json_int(&j, ps.tensors);
		json_key(&j, "const_bytes");
		json_int(&j, ps.bytes);
		json_end_object(&j);
		json_key(&j, "inputs");
		json_begin_array(&j);
		for (i = 0; i < nn_model_input_count(m); i++)
			if (nn_model_input(m, i, &t) == NN_OK) {
				json_begin_object(&j);
				json_tensor_fields(&j, &t);
				json_end_object(&j);
			}
		json_end_array(&j);
		json_key(&j, "outputs");
		json_begin_array(&j);
		for (i = 0; i < nn_model_output_count(m); i++)
			if (nn_model_output(m, i, &t) == NN_OK) {
				json_begin_object(&j);
				json_tensor_fields(&j, &t);
				json_end_object(&j);
			}
		json_end_array(&j);
		nn_model_arena_parts(m, &pers, &act);
		json_key(&j, "arena_bytes");
		json_int(&j, (int64_t)nn_model_arena_size(m));
		json_key(&j, "arena_persistent_bytes");
		json_int(&j, (int64_t)pers);
		json_key(&j, "arena_activation_bytes");
		json_int(&j, (int64_t)act);
	}
	json_end_object(&j);
	json_finish(&j);
}

static const char inspect_usage[] = "  model inspect FILE [--json]\n";

static int
model_inspect(int argc, char **argv)
{
	const char *path = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct nn_model m;
	char why[NN_MSG_MAX] = "";
	int32_t codes[MAX_CODES];
	int counts[MAX_CODES];
	int json = 0, i, r, n_codes, n_ops = 0, can_run;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(inspect_usage, "model inspect: unknown option '%s'",
			                       argv[i]);
		else if (path == NULL)
			path = argv[i];
		else
			return cli_usage_error(inspect_usage, "model inspect: extra argument '%s'",
			                       argv[i]);
	}
	if (path == NULL)
		return cli_usage_error(inspect_usage, "model inspect: FILE missing");
	r = load_file(path, MODEL_MAX_BYTES, &bytes, &len);
	if (r != CLI_OK)
		return r;

	r = nn_model_open(&m, bytes, len, why, sizeof(why));
	if (r == NN_OK) {
		can_run = 1;
		n_ops = nn_model_op_count(&m);
		n_codes = count_ops(&m, codes, counts, MAX_CODES);
	} else if (r == NN_ENOTSUP || r == NN_ELIMIT || r == NN_EQUANT) {
		/* Well formed, but not for this core: still list what it needs. */
		can_run = 0;
		n_codes = fallback_op_counts(bytes, len, codes, counts, MAX_CODES, &n_ops);
		if (n_codes < 0)
			n_codes = 0;
	} else {
		r = cli_fail("'%s': %s: %s", path, nn_strerror(r), why);
		goto out;
	}
	if (!can_run && why[0] == '\0')
		snprintf(why, sizeof(why), "%s", nn_strerror(r));
	if (json)
		inspect_print_json(path, len, &m, can_run, why, codes, counts, n_codes, n_ops);
	else
		inspect_print_table(path, len, &m, can_run, why, codes, counts, n_codes, n_ops);
	r = CLI_OK;
out:
	free(bytes);
	return r;
}

/* ---- run ---- */

static const char run_usage[] =
        "  model run FILE (--input RAW | --random SEED) [--repeat N] [--json]\n";

struct run_opts {
	const char *path;
	const char *input;
	uint32_t seed;
	int have_seed;
	long repeat;
	int json;
};

static int
parse_run(int argc, char **argv, struct run_opts *o)
{
	long v;
	int i;

	memset(o, 0, sizeof(*o));
	o->repeat = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--input") == 0 || strcmp(a, "--random") == 0 ||
		           strcmp(a, "--repeat") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error(run_usage, "model run: %s needs a value", a);
			if (strcmp(a, "--input") == 0) {
				o->input = argv[++i];
			} else if (strcmp(a, "--random") == 0) {
				if (parse_long(argv[++i], 0, 4294967295L, &v) < 0)
					return cli_usage_error(run_usage,
					                       "model run: --random '%s': not a "
					                       "seed 0..4294967295",
					                       argv[i]);
				o->seed = (uint32_t)v;
				o->have_seed = 1;
			} else {
				if (parse_long(argv[++i], 1, REPEAT_MAX, &v) < 0)
					return cli_usage_error(
					        run_usage,
					        "model run: --repeat '%s': not a count "
					        "1..%ld",
					        argv[i], REPEAT_MAX);
				o->repeat = v;
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			return cli_usage_error(run_usage, "model run: unknown option '%s'", a);
		} else if (o->path == NULL) {
			o->path = a;
		} else {
			return cli_usage_error(run_usage, "model run: extra argument '%s'", a);
		}
	}
	if (o->path == NULL)
		return cli_usage_error(run_usage, "model run: FILE missing");
	if ((o->input != NULL) == (o->have_seed != 0))
		return cli_usage_error(run_usage,
		                       "model run: give exactly one of --input and --random");
	return CLI_OK;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
run_print_table(const struct run_opts *o, const struct nn_interp *ip, const uint8_t *const *outs,
                double per)
{
	const struct nn_model *m = nn_interp_model(ip);
	struct nn_tensor t;
	int i;
	size_t k, es;

	printf("model: %s\n", o->path);
	for (i = 0; i < nn_model_input_count(m); i++) {
		if (nn_model_input(m, i, &t) != NN_OK)
			continue;
		print_tensor_line(stdout, "input", i, &t);
	}
	if (o->input != NULL)
		printf("input data: '%s'\n", o->input);
	else
		printf("input data: --random %u\n", (unsigned)o->seed);
	for (i = 0; i < nn_model_output_count(m); i++) {
		if (nn_model_output(m, i, &t) != NN_OK)
			continue;
		print_tensor_line(stdout, "output", i, &t);
		printf("  raw:");
		for (k = 0; k < t.bytes; k++)
			printf("%s%02x", k % 32 == 0 && k ? "\n       " : " ", outs[i][k]);
		printf("\n  values:");
		es = type_size(t.type);
		for (k = 0; es && k < t.bytes / es; k++)
			printf("%s%.6g", k % 16 == 0 && k ? "\n         " : " ",
			       element_value(&t, outs[i], k));
		printf("\n");
	}
	printf("time: %.3f ms per inference (mean of %ld)\n", per * 1e3, o->repeat);
}

static void
run_print_json(const struct run_opts *o, const struct nn_interp *ip, const uint8_t *const *outs,
               double per)
{
	const struct nn_model *m = nn_interp_model(ip);
	struct nn_tensor t;
	struct json j;
	int i;
	size_t k, es;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "file");
	json_string(&j, o->path);
	json_key(&j, "input_source");
	if (o->input != NULL) {
		json_string(&j, o->input);
	} else {
		char buf[32];

		snprintf(buf, sizeof(buf), "random:%u", (unsigned)o->seed);
		json_string(&j, buf);
	}
	json_key(&j, "repeat");
	json_int(&j, o->repeat);
	json_key(&j, "seconds_per_inference");
	json_double(&j, per);
	json_key(&j, "arena_bytes");
	json_int(&j, (int64_t)nn_model_arena_size(m));
	json_key(&j, "inputs");
	json_begin_array(&j);
	for (i = 0; i < nn_model_input_count(m); i++)
		if (nn_model_input(m, i, &t) == NN_OK) {
			json_begin_object(&j);
			json_tensor_fields(&j, &t);
			json_end_object(&j);
		}
	json_end_array(&j);
	json_key(&j, "outputs");
	json_begin_array(&j);
	for (i = 0; i < nn_model_output_count(m); i++) {
		if (nn_model_output(m, i, &t) != NN_OK)
			continue;
		json_begin_object(&j);
		json_tensor_fields(&j, &t);
		json_key(&j, "raw");
		json_begin_array(&j);
		for (k = 0; k < t.bytes; k++)
			json_int(&j, outs[i][k]);
		json_end_array(&j);
		json_key(&j, "values");
		json_begin_array(&j);
		es = type_size(t.type);
		for (k = 0; es && k < t.bytes / es; k++)
			json_double(&j, element_value(&t, outs[i], k));
		json_end_array(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

static int
model_run(int argc, char **argv)
{
	struct run_opts o;
	struct nn_model m;
	struct nn_interp *ip = NULL;
	struct nn_tensor t;
	char why[NN_MSG_MAX] = "";
	uint8_t *bytes = NULL, *input = NULL, *raw = NULL, *outs_buf = NULL;
	const uint8_t *outs[16];
	struct nn_tensor in_views[16];
	void *arena = NULL;
	size_t len = 0, need, in_total = 0, out_total = 0, raw_len = 0, off;
	int r, i, n_in, n_out;
	long k;
	double t0, per;

	r = parse_run(argc, argv, &o);
	if (r != CLI_OK)
		return r;
	r = load_file(o.path, MODEL_MAX_BYTES, &bytes, &len);
	if (r != CLI_OK)
		return r;
	r = nn_model_open(&m, bytes, len, why, sizeof(why));
	if (r != NN_OK) {
		r = cli_fail("'%s': %s: %s", o.path, nn_strerror(r), why);
		goto out;
	}
	n_in = nn_model_input_count(&m);
	n_out = nn_model_output_count(&m);
	if (n_out > (int)(sizeof(outs) / sizeof(outs[0]))) {
		r = cli_fail("'%s': %d outputs, at most %zu supported", o.path, n_out,
		             sizeof(outs) / sizeof(outs[0]));
		goto out;
	}
	if (n_in > (int)(sizeof(in_views) / sizeof(in_views[0]))) {
		r = cli_fail("'%s': %d inputs, at most %zu supported", o.path, n_in,
		             sizeof(in_views) / sizeof(in_views[0]));
		goto out;
	}
	need = nn_model_arena_size(&m);
	arena = aligned_alloc(NN_ARENA_ALIGN,
	                      (need + NN_ARENA_ALIGN - 1) / NN_ARENA_ALIGN * NN_ARENA_ALIGN +
	                              NN_ARENA_ALIGN);
	if (arena == NULL) {
		r = cli_fail("'%s': out of memory for a %zu-byte arena", o.path, need);
		goto out;
	}
	r = nn_interp_bind(&m, arena, need, &ip, why, sizeof(why));
	if (r != NN_OK) {
		r = cli_fail("'%s': binding the arena: %s: %s", o.path, nn_strerror(r), why);
		goto out;
	}

	/* All inputs back to back, from the file or the generator. */
	for (i = 0; i < n_in; i++)
		if (nn_model_input(&m, i, &t) == NN_OK)
			in_total += t.bytes;
	input = malloc(in_total ? in_total : 1);
	if (input == NULL) {
		r = cli_fail("out of memory");
		goto out;
	}
	if (o.input != NULL) {
		r = load_file(o.input, MODEL_MAX_BYTES, &raw, &raw_len);
		if (r != CLI_OK)
			goto out;
		if (raw_len != in_total) {
			r = cli_fail("input '%s' holds %zu bytes; the model's input%s need%s %zu",
			             o.input, raw_len, n_in > 1 ? "s" : "", n_in > 1 ? "" : "s",
			             in_total);
			goto out;
		}
		memcpy(input, raw, in_total);
	} else {
		fill_random(input, in_total, o.seed);
	}

	/* Invoke `repeat` times, re-writing the inputs before each (the core may
	 * reuse input bytes for activations); keep the first invoke's outputs. */
	for (i = 0; i < n_out; i++)
		if (nn_model_output(&m, i, &t) == NN_OK)
			out_total += t.bytes;
	outs_buf = malloc(out_total ? out_total : 1);
	if (outs_buf == NULL) {
		r = cli_fail("out of memory");
		goto out;
	}
	/* Input views once: their data pointers stay put for the interpreter's
	 * life, and re-reading them per invoke would add the flatbuffer walk of
	 * nn_interp_input() to every inference (bench-core measures this loop). */
	for (i = 0; i < n_in; i++) {
		r = nn_interp_input(ip, i, &in_views[i]);
		if (r != NN_OK) {
			r = cli_fail("'%s': input %d: %s", o.path, i, nn_strerror(r));
			goto out;
		}
	}
	t0 = now_seconds();
	for (k = 0; k < o.repeat; k++) {
		for (i = 0, off = 0; i < n_in; i++) {
			memcpy(in_views[i].data, input + off, in_views[i].bytes);
			off += in_views[i].bytes;
		}
		r = nn_invoke(ip);
		if (r != NN_OK) {
			r = cli_fail("'%s': invoke: %s", o.path, nn_strerror(r));
			goto out;
		}
		if (k == 0)
			for (i = 0, off = 0; i < n_out; i++) {
				nn_interp_output(ip, i, &t);
				memcpy(outs_buf + off, t.data, t.bytes);
				outs[i] = outs_buf + off;
				off += t.bytes;
			}
	}
	per = (now_seconds() - t0) / (double)o.repeat;
	if (o.json)
		run_print_json(&o, ip, outs, per);
	else
		run_print_table(&o, ip, outs, per);
	r = CLI_OK;
out:
	free(outs_buf);
	free(raw);
	free(input);
	free(arena);
	free(bytes);
	return r;
}

/* ---- dispatch ---- */

static const struct cli_cmd model_cmds[] = {
        {"inspect", model_inspect, inspect_usage},
        {"run", model_run, run_usage},
};

int
cmd_model(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage_error(cmd_model_usage, "model: subcommand missing");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage:\n%s", cmd_model_usage);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(model_cmds) / sizeof(model_cmds[0]); i++)
		if (strcmp(argv[1], model_cmds[i].name) == 0)
			return model_cmds[i].handler(argc - 1, argv + 1);
	return cli_usage_error(cmd_model_usage, "model: unknown subcommand '%s'", argv[1]);
}
