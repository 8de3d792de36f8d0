/*
 * check_model: nn_model_open validation (flatbuffer structure, tensors,
 * operators, quantization), the model accessors, and the integer
 * quantization setup against TFLite's double-precision QuantizeMultiplier.
 *
 * Models are built in memory with tflite_builder.c; the real models in
 * ../shared/models are opened when present (TF_SHARED) and skipped otherwise.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn.h"
#include "core/nn_internal.h"
#include "tflite_builder.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A one-layer FC model: int8 [1,8] -> [1,4], optionally with damage or
 * quirks. Returns the builder (owning the bytes). */
static struct tb *
fc_model(int with_input_quant, uint8_t **ret, size_t *ret_len)
{
	static const int32_t in_shape[] = {1, 8}, w_shape[] = {4, 8}, b_shape[] = {4},
	                     out_shape[] = {1, 4};
	int8_t w[32];
	int32_t bias[4] = {10, -20, 30, -40};
	struct tb *b = tb_new();
	int in, wt, bt, out, i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 32; i++)
		w[i] = (int8_t)(i * 7 - 100);
	if (with_input_quant)
		in = tb_tensor_q(b, TB_INT8, in_shape, 2, 0.5f, -3);
	else
		in = tb_tensor(b, TB_INT8, in_shape, 2, "in", 0, NULL);
	wt = tb_const_q(b, TB_INT8, w_shape, 2, w, sizeof(w), 0.01f, 0);
	bt = tb_const_q(b, TB_INT32, b_shape, 1, bias, sizeof(bias), 0.005f, 0);
	out = tb_tensor_q(b, TB_INT8, out_shape, 2, 0.25f, 5);
	tb_fc(b, in, wt, bt, out, TB_ACT_RELU, 0);
	tb_io(b, &in, 1, &out, 1);
	if (ret) {
		*ret = tb_finish(b, ret_len, NULL);
		ck_assert_ptr_nonnull(*ret);
	}
	return b;
}

static int
open_bytes(const uint8_t *p, size_t len, char *why, size_t why_len)
{
	struct nn_model m;

	return nn_model_open(&m, p, len, why, why_len);
}

/* ---- core ---- */

START_TEST(test_model_open_accepts_fc_model_and_reports_counts)
{
	struct nn_model m;
	struct nn_op_info oi;
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	struct tb *b = fc_model(1, &p, &len);

	ck_assert_int_eq(nn_model_open(&m, p, len, why, sizeof(why)), NN_OK);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(nn_model_tensor_count(&m), 4);
	ck_assert_int_eq(nn_model_op_count(&m), 1);
	ck_assert_int_eq(nn_model_input_count(&m), 1);
	ck_assert_int_eq(nn_model_output_count(&m), 1);
	ck_assert_int_eq(nn_model_op(&m, 0, &oi), NN_OK);
	ck_assert_int_eq(oi.code, NN_OP_FULLY_CONNECTED);
	ck_assert_int_eq(oi.n_inputs, 3);
	ck_assert_int_eq(oi.n_outputs, 1);
	ck_assert_int_eq(nn_model_op_input(&m, 0, 1), 1);
	ck_assert_int_eq(nn_model_op_output(&m, 0, 0), 3);
	ck_assert_str_eq(nn_op_name(oi.code), "FULLY_CONNECTED");
	ck_assert_uint_gt(nn_model_arena_size(&m), 0);
	tb_free(b);
}
END_TEST

START_TEST(test_model_tensor_view_reports_shape_quant_and_constness)
{
	struct nn_model m;
	struct nn_tensor t;
	uint8_t *p;
	size_t len;
	struct tb *b = fc_model(1, &p, &len);

	ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
	ck_assert_int_eq(nn_model_input(&m, 0, &t), NN_OK);
	ck_assert_int_eq(t.type, NN_INT8);
	ck_assert_int_eq(t.ndim, 2);
	ck_assert_int_eq(t.dims[1], 8);
	ck_assert_uint_eq(t.bytes, 8);
	ck_assert(t.scale == 0.5f);
	ck_assert_int_eq(t.zero_point, -3);
	ck_assert_int_eq(t.is_const, 0);
	ck_assert_ptr_null(t.data);
	ck_assert_int_eq(nn_model_tensor(&m, 1, &t), NN_OK);
	ck_assert_int_eq(t.is_const, 1);
	ck_assert_ptr_nonnull(t.data);
	ck_assert_uint_eq(t.bytes, 32);
	ck_assert_int_eq(nn_model_output(&m, 0, &t), NN_OK);
	ck_assert_int_eq(t.zero_point, 5);
	tb_free(b);
}
END_TEST

START_TEST(test_model_reads_real_code_from_either_opcode_field)
{
	static const enum tb_opcode_style styles[] = {TB_CODES_BOTH, TB_CODES_DEPRECATED,
	                                              TB_CODES_BUILTIN};
	size_t i;

	for (i = 0; i < ARRAY_LEN(styles); i++) {
		struct nn_model m;
		struct nn_op_info oi;
		uint8_t *p;
		size_t len;
		struct tb *b = fc_model(1, NULL, NULL);

		tb_set_opcode_style(b, styles[i]);
		p = tb_finish(b, &len, NULL);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
		ck_assert_int_eq(nn_model_op(&m, 0, &oi), NN_OK);
		ck_assert_int_eq(oi.code, NN_OP_FULLY_CONNECTED);
		tb_free(b);
	}
}
END_TEST

START_TEST(test_model_keeps_weights_in_place)
{
	struct nn_model m;
	struct nn_tensor t;
	uint8_t *p;
	size_t len;
	struct tb *b = fc_model(1, &p, &len);

	ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
	ck_assert_int_eq(nn_model_tensor(&m, 1, &t), NN_OK);
	/* zero copy: the constant's data points into the model bytes */
	ck_assert((uint8_t *)t.data >= p && (uint8_t *)t.data + t.bytes <= p + len);
	tb_free(b);
}
END_TEST

/* TFLite's QuantizeMultiplier, in double, as the reference for our integer code. */
static void
ref_qm(double d, int32_t *ret_m, int *ret_s)
{
	int s;
	double q;
	int64_t qf;

	if (d == 0.0) {
		*ret_m = 0;
		*ret_s = 0;
		return;
	}
	q = frexp(d, &s);
	qf = (int64_t)round(q * (double)(1LL << 31));
	if (qf == (1LL << 31)) {
		qf /= 2;
		s++;
	}
	if (s < -31) {
		s = 0;
		qf = 0;
	}
	*ret_m = (int32_t)qf;
	*ret_s = s;
}

static float
rand_scale(struct tb_rng *r)
{
	/* mantissa and exponent spread over the range real models use */
	float m = 1.0f + (float)(tb_rng_next(r) & 0xffffff) / 16777216.0f;

	return ldexpf(m, tb_rng_range(r, -30, 4));
}

START_TEST(test_quant_multiplier_matches_double_reference_bit_for_bit)
{
	struct tb_rng r;
	int i;

	tb_rng_seed(&r, 1234);
	for (i = 0; i < 200000; i++) {
		float a = rand_scale(&r), bsc = rand_scale(&r), c = rand_scale(&r);
		int32_t m, rm;
		int s, rs, pw = i % 3 == 0 ? tb_rng_range(&r, 0, 20) : 0;

		ck_assert_int_eq(nn__quant_mult(a, bsc, c, pw, &m, &s), NN_OK);
		ref_qm((double)a * (double)bsc / ((double)c * ldexp(1.0, pw)), &rm, &rs);
		ck_assert_msg(m == rm && s == rs,
		              "%.9g * %.9g / (%.9g * 2^%d): core %d/%d, double %d/%d", (double)a,
		              (double)bsc, (double)c, pw, (int)m, s, (int)rm, rs);
	}
}
END_TEST

START_TEST(test_quant_multiplier_prod_matches_softmax_preprocessing)
{
	struct tb_rng r;
	int i;

	tb_rng_seed(&r, 99);
	for (i = 0; i < 50000; i++) {
		float beta = i % 2 ? 1.0f : rand_scale(&r) * 8, s = rand_scale(&r);
		double real = (double)beta * (double)s * (double)(1 << 26);
		int32_t m, rm;
		int sh, rs;

		if (real > 2147483647.0)
			real = 2147483647.0;
		ck_assert_int_eq(nn__quant_mult_prod(beta, s, 26, 1, &m, &sh), NN_OK);
		ref_qm(real, &rm, &rs);
		ck_assert_msg(m == rm && sh == rs, "beta %.9g scale %.9g: core %d/%d, double %d/%d",
		              (double)beta, (double)s, (int)m, sh, (int)rm, rs);
	}
}
END_TEST

START_TEST(test_quant_mbqm_matches_reference_formula)
{
	struct tb_rng r;
	int i;

	tb_rng_seed(&r, 7);
	for (i = 0; i < 200000; i++) {
		int32_t x = (int32_t)tb_rng_next(&r) >> tb_rng_range(&r, 0, 20);
		int32_t m = (int32_t)(0x40000000u | (tb_rng_next(&r) & 0x3fffffff));
		int s = tb_rng_range(&r, -31, 6), left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
		int64_t ab;
		int32_t hi, mask, rem, thr, want;

		if (left && (x > (INT32_MAX >> left) || x < (INT32_MIN >> left)))
			continue; /* the reference overflows there (undefined) */
		/* SaturatingRoundingDoublingHighMul + RoundingDivideByPOT, as TFLite */
		ab = (int64_t)(x * (1 << left)) * m;
		hi = (int32_t)((ab + (ab >= 0 ? (1 << 30) : (1 - (1 << 30)))) / (1LL << 31));
		mask = (int32_t)((1LL << right) - 1);
		rem = hi & mask;
		thr = (mask >> 1) + (hi < 0 ? 1 : 0);
		want = (hi >> right) + (rem > thr ? 1 : 0);
		ck_assert_msg(nn__mbqm(x, m, s) == want, "x %d m %d s %d: %d vs %d", (int)x, (int)m,
		              s, (int)nn__mbqm(x, m, s), (int)want);
	}
}
END_TEST

START_TEST(test_quantize_f_rounds_half_away_from_zero)
{
	ck_assert_int_eq(nn__quantize_f(6.0f, 0.5f, 0), 12);
	ck_assert_int_eq(nn__quantize_f(1.0f, 0.4f, 0), 3);   /* 2.5 -> 3 */
	ck_assert_int_eq(nn__quantize_f(-1.0f, 0.4f, 0), -3); /* -2.5 -> -3 */
	ck_assert_int_eq(nn__quantize_f(0.0f, 0.1f, -128), -128);
	ck_assert_int_eq(nn__quantize_f(6.0f, 0.0235294122f, -128), 127);
}
END_TEST

/* ---- limits ---- */

static const char *const shared_models[] = {
        "mlperf-tiny/kws_ds_cnn_int8.tflite",
        "mlperf-tiny/vww_96_int8.tflite",
        "mlperf-tiny/ic_resnet8_int8.tflite",
        "mlperf-tiny/ad01_fc_autoencoder_int8.tflite",
        "mlperf-tiny/sww_streaming_wakeword_int8.tflite",
        "tflm-examples/hello_world_int8.tflite",
        "tflm-examples/micro_speech_quantized.tflite",
        "tflm-examples/person_detect.tflite",
};

static uint8_t *
read_shared(const char *rel, size_t *ret_len)
{
	const char *dir = getenv("TF_SHARED");
	char path[1024];
	FILE *f;
	uint8_t *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/models/%s", dir ? dir : "../shared", rel);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*ret_len = (size_t)n;
	}
	fclose(f);
	return buf;
}

START_TEST(test_model_opens_every_core_model_when_shared_present)
{
	uint8_t *p;
	size_t len = 0;
	struct nn_model m;
	char why[NN_MSG_MAX];

	p = read_shared(shared_models[_i], &len);
	if (!p) {
		fprintf(stderr, "SKIP %s: ../shared absent\n", shared_models[_i]);
		return;
	}
	ck_assert_msg(nn_model_open(&m, p, len, why, sizeof(why)) == NN_OK, "%s: %s",
	              shared_models[_i], why);
	ck_assert_uint_gt(nn_model_arena_size(&m), 0);
	free(p);
}
END_TEST

START_TEST(test_model_names_the_unsupported_op_of_stateful_models)
{
	uint8_t *p;
	size_t len = 0;
	char why[NN_MSG_MAX];

	p = read_shared("tflm-examples/mnist_lstm_int8.tflite", &len);
	if (!p) {
		fprintf(stderr, "SKIP mnist_lstm: ../shared absent\n");
		return;
	}
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_ENOTSUP);
	ck_assert_str_eq(why, "op 0 UNIDIRECTIONAL_SEQUENCE_LSTM: unsupported operator");
	free(p);
}
END_TEST

START_TEST(test_model_message_truncates_to_the_buffer)
{
	uint8_t *p;
	size_t len;
	char why[8];
	struct tb *b = fc_model(0, &p, &len);

	memset(why, 'x', sizeof(why));
	ck_assert_int_lt(open_bytes(p, len, why, sizeof(why)), 0);
	ck_assert_uint_eq(strlen(why), sizeof(why) - 1);
	ck_assert_int_lt(open_bytes(p, len, NULL, 0), 0);
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_rank_above_six)
{
	static const int32_t shape[] = {1, 1, 1, 1, 1, 1, 2};
	struct tb *b = tb_new();
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, out;

	in = tb_tensor_q(b, TB_INT8, shape, 7, 0.5f, 0);
	out = tb_tensor_q(b, TB_INT8, shape, 7, 0.5f, 0);
	tb_unary(b, TB_OP_RELU, in, out);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_ELIMIT);
	ck_assert_str_eq(why, "tensor 0: rank above 6");
	tb_free(b);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_model_rejects_every_damaged_flatbuffer)
{
	struct tb *b = fc_model(1, NULL, NULL);
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int r;

	tb_break(b, (enum tb_break)_i);
	p = tb_finish(b, &len, NULL);
	ck_assert_ptr_nonnull(p);
	r = open_bytes(p, len, why, sizeof(why));
	ck_assert_msg(r == NN_EMODEL, "damage %d: got %d (%s)", _i, r, why);
	ck_assert_msg(why[0] != '\0', "damage %d: no message", _i);
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_missing_input_quantization)
{
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	struct tb *b = fc_model(0, &p, &len);

	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_EQUANT);
	ck_assert_str_eq(why, "op 0 FULLY_CONNECTED: input: int8 scale missing or invalid");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_unsupported_op_naming_it)
{
	static const int32_t shape[] = {1, 4};
	struct tb *b = tb_new();
	struct tb_op op;
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, out;

	in = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	out = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	memset(&op, 0, sizeof(op));
	op.code = TB_OP_SVDF;
	op.inputs = &in;
	op.n_inputs = 1;
	op.outputs = &out;
	op.n_outputs = 1;
	tb_op(b, &op);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_ENOTSUP);
	ck_assert_str_eq(why, "op 0 SVDF: unsupported operator");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_custom_op)
{
	static const int32_t shape[] = {1, 4};
	struct tb *b = tb_new();
	struct tb_op op;
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, out;

	in = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	out = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	memset(&op, 0, sizeof(op));
	op.code = TB_OP_CUSTOM;
	op.custom_code = "SignalWindow";
	op.inputs = &in;
	op.n_inputs = 1;
	op.outputs = &out;
	op.n_outputs = 1;
	tb_op(b, &op);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_ENOTSUP);
	ck_assert_str_eq(why, "op 0 CUSTOM: custom operators unsupported");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_too_new_op_version)
{
	static const int32_t shape[] = {1, 4};
	struct tb *b = tb_new();
	struct tb_op op;
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, out;

	in = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	out = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	memset(&op, 0, sizeof(op));
	op.code = TB_OP_RELU;
	op.version = 99;
	op.inputs = &in;
	op.n_inputs = 1;
	op.outputs = &out;
	op.n_outputs = 1;
	tb_op(b, &op);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_ENOTSUP);
	ck_assert_str_eq(why, "op 0 RELU: version 99 unsupported");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_buffer_shape_mismatch)
{
	static const int32_t in_shape[] = {1, 8}, w_shape[] = {4, 8}, out_shape[] = {1, 4};
	int8_t w[31] = {0};
	struct tb *b = tb_new();
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, wt, out;

	in = tb_tensor_q(b, TB_INT8, in_shape, 2, 0.5f, 0);
	wt = tb_const_q(b, TB_INT8, w_shape, 2, w, sizeof(w), 0.01f, 0);
	out = tb_tensor_q(b, TB_INT8, out_shape, 2, 0.5f, 0);
	tb_fc(b, in, wt, -1, out, TB_ACT_NONE, 0);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_EMODEL);
	ck_assert_str_eq(why, "tensor 1: buffer size does not match its shape");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_operator_tensor_index_out_of_range)
{
	static const int32_t shape[] = {1, 4};
	struct tb *b = tb_new();
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, out;

	in = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	out = tb_tensor_q(b, TB_INT8, shape, 2, 0.5f, 0);
	tb_unary(b, TB_OP_RELU, in, 7);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_EMODEL);
	ck_assert_str_eq(why, "op 0 RELU: output tensor index 7 out of range");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_conv_stride_zero)
{
	static const int32_t in_shape[] = {1, 4, 4, 2}, w_shape[] = {3, 1, 1, 2},
	                     out_shape[] = {1, 4, 4, 3};
	int8_t w[6] = {1, 2, 3, 4, 5, 6};
	struct tb *b = tb_new();
	uint8_t *p;
	size_t len;
	char why[NN_MSG_MAX];
	int in, wt, out;

	in = tb_tensor_q(b, TB_INT8, in_shape, 4, 0.5f, 0);
	wt = tb_const_q(b, TB_INT8, w_shape, 4, w, sizeof(w), 0.01f, 0);
	out = tb_tensor_q(b, TB_INT8, out_shape, 4, 0.5f, 0);
	tb_conv2d(b, in, wt, -1, out, TB_SAME, 0, 1, 1, 1, TB_ACT_NONE);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(open_bytes(p, len, why, sizeof(why)), NN_ENOTSUP);
	ck_assert_str_eq(why, "op 0 CONV_2D: stride 0 unsupported");
	tb_free(b);
}
END_TEST

START_TEST(test_model_rejects_bad_arguments)
{
	struct nn_model m;
	uint8_t zeros[64] = {0};
	char why[NN_MSG_MAX];

	ck_assert_int_eq(nn_model_open(NULL, zeros, sizeof(zeros), why, sizeof(why)), NN_EINVAL);
	ck_assert_int_eq(nn_model_open(&m, NULL, 10, why, sizeof(why)), NN_EINVAL);
	ck_assert_int_eq(nn_model_open(&m, zeros, 8, why, sizeof(why)), NN_EMODEL);
	ck_assert_int_eq(nn_model_open(&m, zeros, sizeof(zeros), why, sizeof(why)), NN_EMODEL);
	/* a model that failed to open is refused everywhere */
	ck_assert_uint_eq(nn_model_arena_size(&m), 0);
	ck_assert_int_eq(nn_model_op_count(&m), 0);
	ck_assert_int_eq(nn_model_tensor_count(&m), 0);
}
END_TEST

START_TEST(test_strerror_names_every_code)
{
	int e;

	for (e = NN_OK; e > NN__ERR_MIN; e--)
		ck_assert_str_ne(nn_strerror(e), "unknown core error");
	ck_assert_str_eq(nn_strerror(-100), "unknown core error");
	ck_assert_str_eq(nn_op_name(3), "CONV_2D");
	ck_assert_str_eq(nn_op_name(4000), "UNKNOWN");
	ck_assert_int_eq(nn_op_supported(NN_OP_CONV_2D), 1);
	ck_assert_int_eq(nn_op_supported(27), 0);
	ck_assert_int_ge(nn_supported_ops(NULL, 0), 18);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_set_timeout(core, 60);
	tcase_add_test(core, test_model_open_accepts_fc_model_and_reports_counts);
	tcase_add_test(core, test_model_tensor_view_reports_shape_quant_and_constness);
	tcase_add_test(core, test_model_reads_real_code_from_either_opcode_field);
	tcase_add_test(core, test_model_keeps_weights_in_place);
	tcase_add_test(core, test_quant_multiplier_matches_double_reference_bit_for_bit);
	tcase_add_test(core, test_quant_multiplier_prod_matches_softmax_preprocessing);
	tcase_add_test(core, test_quant_mbqm_matches_reference_formula);
	tcase_add_test(core, test_quantize_f_rounds_half_away_from_zero);
	tcase_add_loop_test(limits, test_model_opens_every_core_model_when_shared_present, 0,
	                    (int)ARRAY_LEN(shared_models));
	tcase_add_test(limits, test_model_names_the_unsupported_op_of_stateful_models);
	tcase_add_test(limits, test_model_message_truncates_to_the_buffer);
	tcase_add_test(limits, test_model_rejects_rank_above_six);
	tcase_add_loop_test(errors, test_model_rejects_every_damaged_flatbuffer, 1,
	                    TB_BREAK__COUNT);
	tcase_add_test(errors, test_model_rejects_missing_input_quantization);
	tcase_add_test(errors, test_model_rejects_unsupported_op_naming_it);
	tcase_add_test(errors, test_model_rejects_custom_op);
	tcase_add_test(errors, test_model_rejects_too_new_op_version);
	tcase_add_test(errors, test_model_rejects_buffer_shape_mismatch);
	tcase_add_test(errors, test_model_rejects_operator_tensor_index_out_of_range);
	tcase_add_test(errors, test_model_rejects_conv_stride_zero);
	tcase_add_test(errors, test_model_rejects_bad_arguments);
	tcase_add_test(errors, test_strerror_names_every_code);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(model_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
