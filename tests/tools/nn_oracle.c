/*
 * nn_oracle: runs a .tflite model through the core on one of the oracle's
 * deterministic inputs (../shared/oracle/README.md section 3) and prints the
 * output bytes in hex, and with -l the first 16 hex digits of the sha256 of
 * every operator's output (via the per-op callback), so that the integration
 * test can compare against TFLM's outputs and per-layer hashes.
 *
 *	nn_oracle [-l] [-n invokes] [-a arena_bytes] MODEL A|B|Z|file:PATH
 *
 * Output lines:
 *	arena <total> persistent <p> activations <a>
 *	layer <op> <NAME> t<tensor> <sha256 prefix>      (with -l, first invoke)
 *	output <hex>                                      (after the last invoke)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/nn.h"

static void
hex(const uint8_t *p, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++)
		printf("%02x", p[i]);
}

static void
layer_cb(void *arg, int op, int32_t code, const struct nn_tensor *out, uint32_t ticks)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	int *on = arg;

	(void)ticks;
	if (!*on)
		return;
	crypto_hash_sha256(h, out->data, out->bytes);
	printf("layer %d %s t%d ", op, nn_op_name(code), (int)out->index);
	hex(h, sizeof(h), 8);
	printf("\n");
}

static int
fill_input(const struct nn_tensor *t, const char *spec, uint8_t *dst)
{
	size_t i, n = t->bytes;

	if (strcmp(spec, "A") == 0) {
		for (i = 0; i < n; i++)
			dst[i] = (uint8_t)(((uint32_t)i * 1103515245u + 12345u) >> 16);
	} else if (strcmp(spec, "B") == 0) {
		uint32_t s = 1;

		for (i = 0; i < n; i++) {
			s = s * 1664525u + 1013904223u;
			dst[i] = (uint8_t)(s >> 24);
		}
	} else if (strcmp(spec, "Z") == 0) {
		if (t->type == NN_INT8 || t->type == NN_UINT8)
			memset(dst, (uint8_t)t->zero_point, n);
		else
			memset(dst, 0, n); /* int16 inputs of the oracle have zero point 0 */
	} else if (strncmp(spec, "file:", 5) == 0) {
		FILE *f = fopen(spec + 5, "rb");
		size_t got;

		if (!f) {
			fprintf(stderr, "nn_oracle: %s: %s\n", spec + 5, strerror(errno));
			return -1;
		}
		got = fread(dst, 1, n, f);
		fclose(f);
		if (got != n) {
			fprintf(stderr, "nn_oracle: %s: %zu bytes, input needs %zu\n", spec + 5,
			        got, n);
			return -1;
		}
	} else {
		fprintf(stderr, "nn_oracle: unknown input '%s'\n", spec);
		return -1;
	}
	return 0;
}

static uint8_t *
read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
		*ret_len = (size_t)len;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	char why[NN_MSG_MAX];
	struct nn_model m;
	struct nn_interp *ip = NULL;
	struct nn_tensor in, out;
	uint8_t *model = NULL, *input = NULL;
	void *arena = NULL;
	size_t len = 0, need, persistent, acts, arena_len = 0;
	int opt, layers = 0, invokes = 1, i, r, rc = 1, on = 0;

	while ((opt = getopt(argc, argv, "ln:a:")) != -1) {
		switch (opt) {
		case 'l':
			layers = 1;
			break;
		case 'n':
			invokes = atoi(optarg);
			break;
		case 'a':
			arena_len = (size_t)strtoul(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || invokes < 1)
		goto usage;
	if (sodium_init() < 0)
		return 1;
	model = read_file(argv[optind], &len);
	if (!model) {
		fprintf(stderr, "nn_oracle: cannot read '%s'\n", argv[optind]);
		goto out;
	}
	r = nn_model_open(&m, model, len, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "nn_oracle: %s: %s (%s)\n", argv[optind], why, nn_strerror(r));
		rc = 2;
		goto out;
	}
	need = nn_model_arena_size(&m);
	nn_model_arena_parts(&m, &persistent, &acts);
	printf("arena %zu persistent %zu activations %zu\n", need, persistent, acts);
	if (!arena_len)
		arena_len = need;
	arena = aligned_alloc(NN_ARENA_ALIGN, (arena_len + NN_ARENA_ALIGN - 1) & ~(size_t)15);
	if (!arena)
		goto out;
	r = nn_interp_bind(&m, arena, arena_len, &ip, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "nn_oracle: bind: %s (%s)\n", why, nn_strerror(r));
		rc = 3;
		goto out;
	}
	if (nn_interp_input(ip, 0, &in) < 0 || nn_interp_output(ip, 0, &out) < 0)
		goto out;
	input = malloc(in.bytes ? in.bytes : 1);
	if (!input || fill_input(&in, argv[optind + 1], input) < 0)
		goto out;
	if (layers)
		nn_interp_set_profiler(ip, layer_cb, NULL, &on);
	for (i = 0; i < invokes; i++) {
		memcpy(in.data, input, in.bytes); /* invoke may overwrite the input */
		on = i == 0;
		if (nn_invoke(ip) < 0)
			goto out;
	}
	printf("output ");
	hex(out.data, out.bytes, out.bytes);
	printf("\n");
	rc = 0;
out:
	free(input);
	free(arena);
	free(model);
	return rc;
usage:
	fprintf(stderr, "usage: nn_oracle [-l] [-n invokes] [-a arena] MODEL A|B|Z|file:PATH\n");
	return 64;
}
