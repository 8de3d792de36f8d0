/*
 * make_test_model: writes a small .tflite model built with the test tree's
 * flatbuffer builder, for integration tests that must not depend on
 * ../shared.
 *
 *	make_test_model OUT.tflite [ok|unsupported|corrupt|names|two_inputs]
 *
 * ok:          input int8 [1,8,8,2] -> CONV_2D 3x3 RELU (4 ch, per-channel)
 *              -> AVERAGE_POOL_2D 8x8 -> RESHAPE [1,4] -> FULLY_CONNECTED 3
 *              -> SOFTMAX; output int8 [1,3] (scale 1/256, zero point -128)
 * unsupported: the same input feeding an SVDF-coded operator the core lacks
 * corrupt:     the ok model with the Model table's vtable offset broken
 * names:       one FULLY_CONNECTED whose tensor names hold a quote, a
 *              backslash, a newline, UTF-8 and a byte that is not UTF-8
 * two_inputs:  ADD of a [1,4] and a [1,2,4] input (broadcast), output [1,2,4],
 *              all scales 1 and zero points 0, so the output is the sum
 *
 * Weights come from a fixed seed, so the bytes are the same on every run.
 */
#include <stdio.h>
#include <string.h>

#include "../unit/core/tflite_builder.h"

static int
build_ok(struct tb *b)
{
	struct tb_rng r;
	int8_t w1[4 * 3 * 3 * 2], w2[3 * 4];
	int32_t b1[4], b2[3];
	float s1[4] = {0.011f, 0.007f, 0.013f, 0.009f}, bs1[4];
	float in_scale = 0.05f, a1_scale = 0.06f, s2 = 0.01f, a3_scale = 0.1f;
	int t_in, t_w1, t_b1, t_a1, t_a2, t_a2r, t_w2, t_b2, t_a3, t_out, i;

	tb_rng_seed(&r, 42);
	tb_rng_fill_i8(&r, w1, sizeof(w1), -127, 127);
	tb_rng_fill_i8(&r, w2, sizeof(w2), -127, 127);
	for (i = 0; i < 4; i++) {
		b1[i] = tb_rng_range(&r, -500, 500);
		bs1[i] = in_scale * s1[i];
	}
	for (i = 0; i < 3; i++)
		b2[i] = tb_rng_range(&r, -500, 500);

	t_in = tb_tensor(b, TB_INT8, (int32_t[]){1, 8, 8, 2}, 4, "input", 0,
	                 &(struct tb_quant){1, &in_scale, (int64_t[]){-3}, 0});
	t_w1 = tb_const_pc(b, TB_INT8, (int32_t[]){4, 3, 3, 2}, 4, w1, sizeof(w1), s1, 4, 0);
	t_b1 = tb_const_pc(b, TB_INT32, (int32_t[]){4}, 1, b1, sizeof(b1), bs1, 4, 0);
	t_a1 = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 8, 8, 4}, 4, a1_scale, -128);
	t_a2 = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 1, 1, 4}, 4, a1_scale, -128);
	t_a2r = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 4}, 2, a1_scale, -128);
	t_w2 = tb_const_q(b, TB_INT8, (int32_t[]){3, 4}, 2, w2, sizeof(w2), s2, 0);
	t_b2 = tb_const_q(b, TB_INT32, (int32_t[]){3}, 1, b2, sizeof(b2), a1_scale * s2, 0);
	t_a3 = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 3}, 2, a3_scale, 0);
	t_out = tb_tensor(b, TB_INT8, (int32_t[]){1, 3}, 2, "scores", 0,
	                  &(struct tb_quant){1, (float[]){1.0f / 256.0f}, (int64_t[]){-128}, 0});
	tb_conv2d(b, t_in, t_w1, t_b1, t_a1, TB_SAME, 1, 1, 1, 1, TB_ACT_RELU);
	tb_pool(b, TB_OP_AVERAGE_POOL_2D, t_a1, t_a2, TB_VALID, 8, 8, 8, 8, TB_ACT_NONE);
	tb_reshape(b, t_a2, tb_const_i32(b, (int32_t[]){2}, 1, (int32_t[]){1, 4}, 2), t_a2r,
	           (int32_t[]){1, 4}, 2);
	tb_fc(b, t_a2r, t_w2, t_b2, t_a3, TB_ACT_NONE, 0);
	tb_softmax(b, t_a3, t_out, 1.0f);
	return tb_io(b, &t_in, 1, &t_out, 1);
}

static int
build_unsupported(struct tb *b)
{
	int t_in = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 16}, 2, 0.1f, 0);
	int t_out = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 16}, 2, 0.1f, 0);
	struct tb_op op = {TB_OP_SVDF, 1, NULL, &t_in, 1, &t_out, 1, 0, {{0}}, 0};

	tb_op(b, &op);
	return tb_io(b, &t_in, 1, &t_out, 1);
}

static int
build_names(struct tb *b)
{
	int8_t w[2 * 3] = {1, -2, 3, -4, 5, -6};
	float s_in = 0.1f, s_out = 0.2f;
	int64_t zp = 0;
	struct tb_quant qi = {1, &s_in, &zp, 0}, qo = {1, &s_out, &zp, 0};
	int t_in = tb_tensor(b, TB_INT8, (int32_t[]){1, 3}, 2, "in \"q\"\\x\n", 0, &qi);
	int t_w = tb_const_q(b, TB_INT8, (int32_t[]){2, 3}, 2, w, sizeof(w), 0.05f, 0);
	int t_out = tb_tensor(b, TB_INT8, (int32_t[]){1, 2}, 2, "out \xc3\xa9 \xff", 0, &qo);

	tb_fc(b, t_in, t_w, -1, t_out, TB_ACT_NONE, 0);
	return tb_io(b, &t_in, 1, &t_out, 1);
}

static int
build_two_inputs(struct tb *b)
{
	int32_t ins[2];
	int t_out;

	ins[0] = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 4}, 2, 1.0f, 0);
	ins[1] = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 2, 4}, 3, 1.0f, 0);
	t_out = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 2, 4}, 3, 1.0f, 0);
	tb_binary(b, TB_OP_ADD, ins[0], ins[1], t_out, TB_ACT_NONE);
	return tb_io(b, ins, 2, &t_out, 1);
}

int
main(int argc, char **argv)
{
	const char *kind = argc > 2 ? argv[2] : "ok";
	struct tb *b;
	uint8_t *bytes;
	size_t len;
	FILE *f;
	int rc = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: make_test_model OUT.tflite "
		                "[ok|unsupported|corrupt|names|two_inputs]\n");
		return 2;
	}
	b = tb_new();
	if (b == NULL)
		return 1;
	if (strcmp(kind, "ok") == 0) {
		build_ok(b);
	} else if (strcmp(kind, "unsupported") == 0) {
		build_unsupported(b);
	} else if (strcmp(kind, "two_inputs") == 0) {
		build_two_inputs(b);
	} else if (strcmp(kind, "names") == 0) {
		build_names(b);
	} else if (strcmp(kind, "corrupt") == 0) {
		build_ok(b);
		tb_break(b, TB_BREAK_VTABLE_OFFSET);
	} else {
		fprintf(stderr, "make_test_model: unknown kind '%s'\n", kind);
		tb_free(b);
		return 2;
	}
	bytes = tb_finish(b, &len, NULL);
	if (bytes == NULL) {
		fprintf(stderr, "make_test_model: the builder failed\n");
		goto out;
	}
	f = fopen(argv[1], "wb");
	if (f == NULL || fwrite(bytes, 1, len, f) != len) {
		fprintf(stderr, "make_test_model: cannot write '%s'\n", argv[1]);
		if (f != NULL)
			fclose(f);
		goto out;
	}
	if (fclose(f) != 0)
		goto out;
	rc = 0;
out:
	tb_free(b);
	return rc;
}
