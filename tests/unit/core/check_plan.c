/*
 * check_plan: the ahead-of-time memory plan. The arena size comes from the
 * model alone and is always enough; smaller arenas fail cleanly; memory is
 * reused across tensor lifetimes; scratch is planned like a tensor.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn.h"
#include "tflite_builder.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A chain of `layers` FC layers of `units` each, input [1, units]. */
static uint8_t *
fc_chain(struct tb *b, int layers, int units, size_t *ret_len)
{
	int32_t shape[2] = {1, units}, wshape[2] = {units, units};
	int8_t *w = malloc((size_t)units * (size_t)units);
	int in, cur, i, j, first;
	struct tb_rng r;
	uint8_t *p;

	ck_assert_ptr_nonnull(w);
	tb_rng_seed(&r, 5);
	first = in = tb_tensor_q(b, TB_INT8, shape, 2, 0.05f, 3);
	for (i = 0; i < layers; i++) {
		int wt, out;

		for (j = 0; j < units * units; j++)
			w[j] = (int8_t)tb_rng_range(&r, -127, 127);
		wt = tb_const_q(b, TB_INT8, wshape, 2, w, (size_t)units * (size_t)units, 0.002f, 0);
		out = tb_tensor_q(b, TB_INT8, shape, 2, 0.05f, -2);
		tb_fc(b, in, wt, -1, out, TB_ACT_RELU, 0);
		in = out;
	}
	cur = in;
	tb_io(b, &first, 1, &cur, 1);
	free(w);
	p = tb_finish(b, ret_len, NULL);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void *
arena_alloc(size_t n)
{
	void *p =
	        aligned_alloc(NN_ARENA_ALIGN, (n + NN_ARENA_ALIGN) & ~(size_t)(NN_ARENA_ALIGN - 1));

	ck_assert_ptr_nonnull(p);
	return p;
}

/* ---- core ---- */

START_TEST(test_plan_exact_arena_size_is_enough)
{
	struct tb *b = tb_new();
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor t;
	size_t len, need;
	uint8_t *p = fc_chain(b, 4, 64, &len);
	void *arena;
	char why[NN_MSG_MAX];

	ck_assert_int_eq(nn_model_open(&m, p, len, why, sizeof(why)), NN_OK);
	need = nn_model_arena_size(&m);
	arena = arena_alloc(need);
	ck_assert_int_eq(nn_interp_bind(&m, arena, need, &ip, why, sizeof(why)), NN_OK);
	ck_assert_int_eq(nn_interp_input(ip, 0, &t), NN_OK);
	memset(t.data, 7, t.bytes);
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	/* every tensor the interpreter hands out lies inside the arena */
	ck_assert_int_eq(nn_interp_output(ip, 0, &t), NN_OK);
	ck_assert((uint8_t *)t.data >= (uint8_t *)arena &&
	          (uint8_t *)t.data + t.bytes <= (uint8_t *)arena + need);
	free(arena);
	tb_free(b);
}
END_TEST

START_TEST(test_plan_reuses_memory_across_lifetimes)
{
	struct tb *b = tb_new();
	struct nn_model m;
	size_t len, persistent, acts;
	uint8_t *p = fc_chain(b, 6, 64, &len);

	ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
	nn_model_arena_parts(&m, &persistent, &acts);
	/* 7 activations of 64 bytes, but at most two are alive at once */
	ck_assert_uint_eq(acts, 128);
	ck_assert_uint_eq(persistent + acts, nn_model_arena_size(&m));
	ck_assert_uint_eq(persistent % NN_ARENA_ALIGN, 0);
	tb_free(b);
}
END_TEST

START_TEST(test_plan_places_mean_scratch)
{
	static const int32_t in_shape[] = {1, 4, 4, 8}, out_shape[] = {1, 1, 1, 8},
	                     ax_shape[] = {2}, axes[] = {1, 2};
	struct tb *b = tb_new();
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor t;
	size_t len, persistent, acts;
	uint8_t *p;
	void *arena;
	int in, ax, out, i;

	in = tb_tensor_q(b, TB_INT8, in_shape, 4, 0.1f, 0);
	ax = tb_const_i32(b, ax_shape, 1, axes, 2);
	out = tb_tensor_q(b, TB_INT8, out_shape, 4, 0.1f, 0);
	tb_mean(b, in, ax, out, 1);
	tb_io(b, &in, 1, &out, 1);
	p = tb_finish(b, &len, NULL);
	ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
	nn_model_arena_parts(&m, &persistent, &acts);
	/* input 128 + output 8 + 8 int32 sums, all alive during the one op,
	 * rounded up to NN_ARENA_ALIGN */
	ck_assert_uint_eq(acts,
	                  (128 + 8 + 32 + NN_ARENA_ALIGN - 1) & ~(size_t)(NN_ARENA_ALIGN - 1));
	arena = arena_alloc(nn_model_arena_size(&m));
	ck_assert_int_eq(nn_interp_bind(&m, arena, nn_model_arena_size(&m), &ip, NULL, 0), NN_OK);
	ck_assert_int_eq(nn_interp_input(ip, 0, &t), NN_OK);
	for (i = 0; i < 128; i++)
		((int8_t *)t.data)[i] = (int8_t)(i % 8);
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	ck_assert_int_eq(nn_interp_output(ip, 0, &t), NN_OK);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(((int8_t *)t.data)[i], i);
	free(arena);
	tb_free(b);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_plan_bind_fails_cleanly_at_size_minus_16)
{
	struct tb *b = tb_new();
	struct nn_model m;
	struct nn_interp *ip = NULL;
	size_t len, need, i;
	uint8_t *p = fc_chain(b, 3, 32, &len), *arena;
	char why[NN_MSG_MAX];

	ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
	need = nn_model_arena_size(&m);
	arena = arena_alloc(need);
	memset(arena, 0xa5, need);
	ck_assert_int_eq(nn_interp_bind(&m, arena, need - 16, &ip, why, sizeof(why)), NN_ENOMEM);
	ck_assert_ptr_null(ip);
	ck_assert_ptr_nonnull(strstr(why, "arena too small"));
	for (i = 0; i < need; i++)
		ck_assert_int_eq(arena[i], 0xa5); /* nothing written */
	ck_assert_int_eq(nn_interp_bind(&m, arena, 0, &ip, NULL, 0), NN_ENOMEM);
	free(arena);
	tb_free(b);
}
END_TEST

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

START_TEST(test_plan_real_models_run_at_exact_size_and_fail_at_minus_16)
{
	const char *dir = getenv("TF_SHARED");
	char path[1024];
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor t;
	uint8_t *p, *arena;
	size_t need;
	long n;
	FILE *f;
	char why[NN_MSG_MAX];

	snprintf(path, sizeof(path), "%s/models/%s", dir ? dir : "../shared", shared_models[_i]);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "SKIP %s: ../shared absent\n", shared_models[_i]);
		return;
	}
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_int_eq(nn_model_open(&m, p, (size_t)n, why, sizeof(why)), NN_OK);
	need = nn_model_arena_size(&m);
	arena = arena_alloc(need);
	ck_assert_int_eq(nn_interp_bind(&m, arena, need - 16, &ip, NULL, 0), NN_ENOMEM);
	ck_assert_int_eq(nn_interp_bind(&m, arena, need, &ip, why, sizeof(why)), NN_OK);
	ck_assert_int_eq(nn_interp_input(ip, 0, &t), NN_OK);
	memset(t.data, 0, t.bytes);
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	free(arena);
	free(p);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_plan_rejects_misaligned_null_or_unopened)
{
	struct tb *b = tb_new();
	struct nn_model m, closed;
	struct nn_interp *ip = NULL;
	size_t len, need;
	uint8_t *p = fc_chain(b, 1, 16, &len), *arena;

	ck_assert_int_eq(nn_model_open(&m, p, len, NULL, 0), NN_OK);
	need = nn_model_arena_size(&m);
	arena = arena_alloc(need + 16);
	ck_assert_int_eq(nn_interp_bind(&m, arena + 1, need, &ip, NULL, 0), NN_EALIGN);
	ck_assert_int_eq(nn_interp_bind(&m, NULL, need, &ip, NULL, 0), NN_EINVAL);
	ck_assert_int_eq(nn_interp_bind(&m, arena, need, NULL, NULL, 0), NN_EINVAL);
	memset(&closed, 0, sizeof(closed));
	ck_assert_int_eq(nn_interp_bind(&closed, arena, need, &ip, NULL, 0), NN_EINVAL);
	ck_assert_int_eq(nn_interp_bind(NULL, arena, need, &ip, NULL, 0), NN_EINVAL);
	ck_assert_ptr_null(ip);
	free(arena);
	tb_free(b);
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_set_timeout(limits, 60);
	tcase_add_test(core, test_plan_exact_arena_size_is_enough);
	tcase_add_test(core, test_plan_reuses_memory_across_lifetimes);
	tcase_add_test(core, test_plan_places_mean_scratch);
	tcase_add_test(limits, test_plan_bind_fails_cleanly_at_size_minus_16);
	tcase_add_loop_test(limits, test_plan_real_models_run_at_exact_size_and_fail_at_minus_16, 0,
	                    (int)ARRAY_LEN(shared_models));
	tcase_add_test(errors, test_plan_rejects_misaligned_null_or_unopened);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
