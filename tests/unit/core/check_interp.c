/*
 * check_interp: the public run-time API. Binding, input/output views,
 * invoke, the per-operator profiling callback, the input-after-invoke
 * contract, and many interpreters sharing one model.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn.h"
#include "ref_kernels.h"
#include "tflite_builder.h"

/* Two-layer FC model [1,16] -> [1,8] -> [1,4] with known weights. */
struct fixture {
	struct tb *b;
	uint8_t *bytes;
	size_t len;
	int8_t w1[8 * 16], w2[4 * 8];
	int32_t b1[8], b2[4];
};

static const struct ref_q q_in = {0.1f, -5}, q_mid = {0.2f, 3}, q_out = {0.3f, -1};

static void
fixture_build(struct fixture *f)
{
	static const int32_t s_in[] = {1, 16}, s_mid[] = {1, 8}, s_out[] = {1, 4}, s_w1[] = {8, 16},
	                     s_w2[] = {4, 8}, s_b1[] = {8}, s_b2[] = {4};
	struct tb_rng r;
	int in, w1, b1, mid, w2, b2, out, i;

	memset(f, 0, sizeof(*f));
	tb_rng_seed(&r, 42);
	tb_rng_fill_i8(&r, f->w1, sizeof(f->w1), -127, 127);
	tb_rng_fill_i8(&r, f->w2, sizeof(f->w2), -127, 127);
	for (i = 0; i < 8; i++)
		f->b1[i] = tb_rng_range(&r, -500, 500);
	for (i = 0; i < 4; i++)
		f->b2[i] = tb_rng_range(&r, -500, 500);
	f->b = tb_new();
	ck_assert_ptr_nonnull(f->b);
	in = tb_tensor_q(f->b, TB_INT8, s_in, 2, q_in.scale, q_in.zp);
	w1 = tb_const_q(f->b, TB_INT8, s_w1, 2, f->w1, sizeof(f->w1), 0.01f, 0);
	b1 = tb_const_q(f->b, TB_INT32, s_b1, 1, f->b1, sizeof(f->b1), 0.001f, 0);
	mid = tb_tensor_q(f->b, TB_INT8, s_mid, 2, q_mid.scale, q_mid.zp);
	w2 = tb_const_q(f->b, TB_INT8, s_w2, 2, f->w2, sizeof(f->w2), 0.02f, 0);
	b2 = tb_const_q(f->b, TB_INT32, s_b2, 1, f->b2, sizeof(f->b2), 0.004f, 0);
	out = tb_tensor_q(f->b, TB_INT8, s_out, 2, q_out.scale, q_out.zp);
	tb_fc(f->b, in, w1, b1, mid, TB_ACT_RELU, 0);
	tb_fc(f->b, mid, w2, b2, out, TB_ACT_NONE, 0);
	tb_io(f->b, &in, 1, &out, 1);
	f->bytes = tb_finish(f->b, &f->len, NULL);
	ck_assert_ptr_nonnull(f->bytes);
}

static void
expected(const struct fixture *f, const int8_t *x, int8_t *y)
{
	static const float s1 = 0.01f, s2 = 0.02f;
	int8_t mid[8];

	ref_fc(1, 16, 8, x, q_in, f->w1, &s1, 1, 0, f->b1, mid, q_mid, REF_ACT_RELU);
	ref_fc(1, 8, 4, mid, q_mid, f->w2, &s2, 1, 0, f->b2, y, q_out, REF_ACT_NONE);
}

static struct nn_interp *
bind(const struct nn_model *m, void **ret_arena)
{
	size_t need = nn_model_arena_size(m);
	void *arena = aligned_alloc(NN_ARENA_ALIGN, (need + 15) & ~(size_t)15);
	struct nn_interp *ip = NULL;
	char why[NN_MSG_MAX];

	ck_assert_ptr_nonnull(arena);
	ck_assert_msg(nn_interp_bind(m, arena, need, &ip, why, sizeof(why)) == NN_OK, "%s", why);
	*ret_arena = arena;
	return ip;
}

/* ---- core ---- */

START_TEST(test_interp_runs_model_like_reference)
{
	struct fixture f;
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor in, out;
	int8_t x[16], want[4];
	void *arena;
	int i;

	fixture_build(&f);
	ck_assert_int_eq(nn_model_open(&m, f.bytes, f.len, NULL, 0), NN_OK);
	ip = bind(&m, &arena);
	ck_assert_ptr_eq(nn_interp_model(ip), &m);
	for (i = 0; i < 16; i++)
		x[i] = (int8_t)(i * 13 - 90);
	expected(&f, x, want);
	ck_assert_int_eq(nn_interp_input(ip, 0, &in), NN_OK);
	ck_assert_uint_eq(in.bytes, 16);
	ck_assert(in.scale == q_in.scale);
	ck_assert_int_eq(in.zero_point, q_in.zp);
	memcpy(in.data, x, 16);
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	ck_assert_int_eq(nn_interp_output(ip, 0, &out), NN_OK);
	ck_assert_int_eq(out.ndim, 2);
	ck_assert_int_eq(out.dims[1], 4);
	ck_assert_mem_eq(out.data, want, 4);
	free(arena);
	tb_free(f.b);
}
END_TEST

struct prof {
	int calls;
	int last_op;
	int32_t codes[4];
	uint32_t ticks[4];
	size_t bytes[4];
	uint32_t now;
};

static uint32_t
fake_clock(void *arg)
{
	struct prof *p = arg;

	p->now += 5;
	return p->now;
}

static void
on_op(void *arg, int op, int32_t code, const struct nn_tensor *out, uint32_t ticks)
{
	struct prof *p = arg;

	if (p->calls < 4) {
		p->codes[p->calls] = code;
		p->ticks[p->calls] = ticks;
		p->bytes[p->calls] = out->bytes;
	}
	p->calls++;
	p->last_op = op;
}

START_TEST(test_interp_profiler_called_after_each_op_with_ticks)
{
	struct fixture f;
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor in;
	struct prof p;
	void *arena;

	fixture_build(&f);
	ck_assert_int_eq(nn_model_open(&m, f.bytes, f.len, NULL, 0), NN_OK);
	ip = bind(&m, &arena);
	memset(&p, 0, sizeof(p));
	nn_interp_set_profiler(ip, on_op, fake_clock, &p);
	ck_assert_int_eq(nn_interp_input(ip, 0, &in), NN_OK);
	memset(in.data, 1, in.bytes);
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	ck_assert_int_eq(p.calls, 2);
	ck_assert_int_eq(p.last_op, 1);
	ck_assert_int_eq(p.codes[0], NN_OP_FULLY_CONNECTED);
	ck_assert_uint_eq(p.ticks[0], 5); /* one clock read before, one after */
	ck_assert_uint_eq(p.bytes[0], 8);
	ck_assert_uint_eq(p.bytes[1], 4);
	/* without a clock, ticks are 0; without a callback, nothing is called */
	memset(&p, 0, sizeof(p));
	nn_interp_set_profiler(ip, on_op, NULL, &p);
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	ck_assert_int_eq(p.calls, 2);
	ck_assert_uint_eq(p.ticks[1], 0);
	nn_interp_set_profiler(ip, NULL, NULL, NULL);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(nn_invoke(ip), NN_OK);
	ck_assert_int_eq(p.calls, 0);
	free(arena);
	tb_free(f.b);
}
END_TEST

START_TEST(test_interp_repeats_bit_for_bit_when_input_rewritten)
{
	struct fixture f;
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor in, out;
	int8_t x[16], first[4];
	void *arena;
	int i, k;

	fixture_build(&f);
	ck_assert_int_eq(nn_model_open(&m, f.bytes, f.len, NULL, 0), NN_OK);
	ip = bind(&m, &arena);
	for (i = 0; i < 16; i++)
		x[i] = (int8_t)(100 - i * 11);
	ck_assert_int_eq(nn_interp_input(ip, 0, &in), NN_OK);
	ck_assert_int_eq(nn_interp_output(ip, 0, &out), NN_OK);
	for (k = 0; k < 3; k++) {
		memcpy(in.data, x, 16); /* the documented contract: write before every invoke */
		ck_assert_int_eq(nn_invoke(ip), NN_OK);
		if (k == 0)
			memcpy(first, out.data, 4);
		else
			ck_assert_mem_eq(out.data, first, 4);
	}
	free(arena);
	tb_free(f.b);
}
END_TEST

START_TEST(test_interp_instances_share_one_model_independently)
{
	struct fixture f;
	struct nn_model m;
	struct nn_interp *a, *b;
	struct nn_tensor ia, ib, oa, ob;
	int8_t xa[16], xb[16], wa[4], wb[4];
	void *arena_a, *arena_b;
	int i;

	fixture_build(&f);
	ck_assert_int_eq(nn_model_open(&m, f.bytes, f.len, NULL, 0), NN_OK);
	a = bind(&m, &arena_a);
	b = bind(&m, &arena_b);
	for (i = 0; i < 16; i++) {
		xa[i] = (int8_t)(i * 5);
		xb[i] = (int8_t)(-i * 7);
	}
	expected(&f, xa, wa);
	expected(&f, xb, wb);
	nn_interp_input(a, 0, &ia);
	nn_interp_input(b, 0, &ib);
	memcpy(ia.data, xa, 16);
	memcpy(ib.data, xb, 16);
	ck_assert_int_eq(nn_invoke(a), NN_OK);
	ck_assert_int_eq(nn_invoke(b), NN_OK);
	nn_interp_output(a, 0, &oa);
	nn_interp_output(b, 0, &ob);
	ck_assert_mem_eq(oa.data, wa, 4);
	ck_assert_mem_eq(ob.data, wb, 4);
	/* the model struct is small: per-instance state lives in the arenas */
	ck_assert_uint_le(sizeof(struct nn_model), 96);
	free(arena_a);
	free(arena_b);
	tb_free(f.b);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_interp_tensor_views_cover_constants_and_activations)
{
	struct fixture f;
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor t;
	void *arena;

	fixture_build(&f);
	ck_assert_int_eq(nn_model_open(&m, f.bytes, f.len, NULL, 0), NN_OK);
	ip = bind(&m, &arena);
	ck_assert_int_eq(nn_interp_tensor(ip, 1, &t), NN_OK); /* weights: in the model bytes */
	ck_assert_int_eq(t.is_const, 1);
	ck_assert_mem_eq(t.data, f.w1, sizeof(f.w1));
	ck_assert_int_eq(nn_interp_tensor(ip, 3, &t), NN_OK); /* activation: in the arena */
	ck_assert_int_eq(t.is_const, 0);
	ck_assert_ptr_nonnull(t.data);
	ck_assert_int_eq(nn_interp_tensor(ip, 99, &t), NN_EINVAL);
	free(arena);
	tb_free(f.b);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_interp_rejects_bad_arguments)
{
	struct fixture f;
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor t;
	void *arena;

	fixture_build(&f);
	ck_assert_int_eq(nn_model_open(&m, f.bytes, f.len, NULL, 0), NN_OK);
	ip = bind(&m, &arena);
	ck_assert_int_eq(nn_invoke(NULL), NN_EINVAL);
	ck_assert_int_eq(nn_interp_input(ip, 1, &t), NN_EINVAL);
	ck_assert_int_eq(nn_interp_input(ip, -1, &t), NN_EINVAL);
	ck_assert_int_eq(nn_interp_output(ip, 1, &t), NN_EINVAL);
	ck_assert_int_eq(nn_interp_input(NULL, 0, &t), NN_EINVAL);
	ck_assert_ptr_null(nn_interp_model(NULL));
	nn_interp_set_profiler(NULL, NULL, NULL, NULL); /* harmless */
	free(arena);
	tb_free(f.b);
}
END_TEST

static Suite *
interp_suite(void)
{
	Suite *s = suite_create("interp");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_interp_runs_model_like_reference);
	tcase_add_test(core, test_interp_profiler_called_after_each_op_with_ticks);
	tcase_add_test(core, test_interp_repeats_bit_for_bit_when_input_rewritten);
	tcase_add_test(core, test_interp_instances_share_one_model_independently);
	tcase_add_test(limits, test_interp_tensor_views_cover_constants_and_activations);
	tcase_add_test(errors, test_interp_rejects_bad_arguments);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(interp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
