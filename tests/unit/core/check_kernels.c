/*
 * check_kernels: every kernel of the core against the slow reference kernels
 * (ref_kernels.c), byte for byte.
 *
 * Each case builds a one-operator .tflite model in memory (tflite_builder.c)
 * with random int8 data and weights from a fixed seed, runs it through the
 * public API (nn_model_open, nn_interp_bind, nn_invoke) and compares the
 * output with the reference. The cases are tables run as Check loop tests;
 * a failure names the case, e.g. "conv 10x4 s2 SAME RELU (kws first layer):
 * 3 of 1000 bytes differ, first at [0,12,3,5]: core 17, reference 18".
 *
 * Cases marked optional (dilation, batch > 1, broadcasting) may be refused
 * by nn_model_open with NN_ENOTSUP; they then pass with a note on stderr.
 *
 * Divisions: the harness (build, run, compare), then one section per op
 * family, then the multi-op chain, then the suite.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn.h"
#include "ref_kernels.h"
#include "tflite_builder.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- harness ---- */

struct harness {
	struct tb *b;
	uint8_t *copy; /* model bytes moved to an odd address (h_misalign), or NULL */
	int misalign;  /* run from bytes at an odd address */
	struct nn_model m;
	void *arena;
	struct nn_interp *ip;
	char why[NN_MSG_MAX];
};

static void
h_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	h->b = tb_new();
	ck_assert_ptr_nonnull(h->b);
}

static void
h_done(struct harness *h)
{
	free(h->arena);
	free(h->copy);
	tb_free(h->b);
	memset(h, 0, sizeof(*h));
}

/*
 * Finishes the model, opens and binds it, copies the inputs in, invokes once
 * and copies output 0 out. Returns 1 when it ran, 0 when an optional case was
 * refused with NN_ENOTSUP. Any other failure aborts the test, naming the case.
 */
static int
h_run(struct harness *h, const char *name, int optional, const void *const *ins,
      const size_t *in_len, int n_in, void *out, size_t out_len)
{
	struct nn_tensor t;
	uint8_t *bytes;
	size_t len, need;
	int r, i;

	bytes = tb_finish(h->b, &len, NULL);
	ck_assert_msg(bytes != NULL, "%s: the builder failed", name);
	if (h->misalign) {
		/* The core reads weights and biases in place, at any alignment. */
		h->copy = malloc(len + 1);
		ck_assert_ptr_nonnull(h->copy);
		memcpy(h->copy + 1, bytes, len);
		bytes = h->copy + 1;
	}
	r = nn_model_open(&h->m, bytes, len, h->why, sizeof(h->why));
	if (r == NN_ENOTSUP && optional) {
		fprintf(stderr, "note: %s: not supported by the core (%s), skipped\n", name,
		        h->why);
		return 0;
	}
	ck_assert_msg(r == NN_OK, "%s: nn_model_open: %s (%s)", name, nn_strerror(r), h->why);
	need = nn_model_arena_size(&h->m);
	h->arena = aligned_alloc(NN_ARENA_ALIGN,
	                         (need + NN_ARENA_ALIGN) & ~(size_t)(NN_ARENA_ALIGN - 1));
	ck_assert_ptr_nonnull(h->arena);
	r = nn_interp_bind(&h->m, h->arena, need, &h->ip, h->why, sizeof(h->why));
	ck_assert_msg(r == NN_OK, "%s: nn_interp_bind: %s (%s)", name, nn_strerror(r), h->why);
	for (i = 0; i < n_in; i++) {
		r = nn_interp_input(h->ip, i, &t);
		ck_assert_msg(r == NN_OK, "%s: input %d: %s", name, i, nn_strerror(r));
		ck_assert_msg(t.bytes == in_len[i], "%s: input %d holds %zu bytes, expected %zu",
		              name, i, t.bytes, in_len[i]);
		memcpy(t.data, ins[i], in_len[i]);
	}
	r = nn_invoke(h->ip);
	ck_assert_msg(r == NN_OK, "%s: nn_invoke: %s", name, nn_strerror(r));
	r = nn_interp_output(h->ip, 0, &t);
	ck_assert_msg(r == NN_OK, "%s: output: %s", name, nn_strerror(r));
	ck_assert_msg(t.bytes == out_len, "%s: output holds %zu bytes, expected %zu", name, t.bytes,
	              out_len);
	memcpy(out, t.data, out_len);
	return 1;
}

/* Compares int8 outputs; on a difference names the case and the first NHWC position. */
static void
expect_same_i8(const char *name, const int8_t *got, const int8_t *want, size_t n,
               struct ref_shape s)
{
	size_t i, first = n, bad = 0;

	for (i = 0; i < n; i++)
		if (got[i] != want[i]) {
			if (first == n)
				first = i;
			bad++;
		}
	if (bad == 0)
		return;
	{
		size_t c = first % (size_t)s.c, x = first / (size_t)s.c % (size_t)s.w;
		size_t y = first / ((size_t)s.c * (size_t)s.w) % (size_t)s.h;
		size_t b = first / ((size_t)s.c * (size_t)s.w * (size_t)s.h);

		ck_abort_msg("%s: %zu of %zu bytes differ, first at index %zu [%zu,%zu,%zu,%zu]: "
		             "core %d, reference %d",
		             name, bad, n, first, b, y, x, c, got[first], want[first]);
	}
}

static size_t
shape_elems(struct ref_shape s)
{
	return (size_t)s.n * (size_t)s.h * (size_t)s.w * (size_t)s.c;
}

static int8_t *
alloc_i8(size_t n)
{
	int8_t *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* Random per-channel scales in [lo, hi). */
static void
rand_scales(struct tb_rng *r, float *s, int n, float lo, float hi)
{
	int i;

	for (i = 0; i < n; i++)
		s[i] = lo + (hi - lo) * (float)(tb_rng_next(r) % 10000) / 10000.0f;
}

/*
 * An output scale that keeps a random int8 dot product of k terms mostly in
 * range: the accumulator's spread is about sqrt(k) * 74 * 74 input units.
 */
static float
fit_out_scale(int k, float in_scale, float w_scale)
{
	return (float)(sqrt((double)k) * 74.0 * 74.0 * in_scale * w_scale / 48.0);
}

/* ---- CONV_2D ---- */

struct conv_case {
	const char *name;
	int n, h, w, ic;
	int kh, kw, oc;
	int sw, sh, dw, dh;
	int pad, act;
	int per_channel, has_bias;
	int in_zp, out_zp;
	float out_scale_mult; /* 0 or 1: fitted; else multiplies the fitted scale */
	int optional;
};

static const struct conv_case conv_cases[] = {
        {"conv 1x1 s1 SAME RELU per-channel 16->24",
         1,
         6,
         5,
         16,
         1,
         1,
         24,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         -3,
         -128,
         1,
         0},
        {"conv 3x3 s1 SAME none 3->8",
         1,
         8,
         8,
         3,
         3,
         3,
         8,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         5,
         2,
         1,
         0},
        {"conv 3x3 s2 SAME RELU odd 9x9x5->7 (asymmetric padding)",
         1,
         9,
         9,
         5,
         3,
         3,
         7,
         2,
         2,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         0,
         -20,
         1,
         0},
        {"conv 10x4 s2 SAME RELU 49x10x1->8 (kws first layer)",
         1,
         49,
         10,
         1,
         10,
         4,
         8,
         2,
         2,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         83,
         -128,
         1,
         0},
        {"conv 1x1 s2 SAME none 8x8x16->32 (resnet shortcut)",
         1,
         8,
         8,
         16,
         1,
         1,
         32,
         2,
         2,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         -128,
         7,
         1,
         0},
        {"conv 3x3 s1 VALID 7x6x3->5",
         1,
         7,
         6,
         3,
         3,
         3,
         5,
         1,
         1,
         1,
         1,
         TB_VALID,
         TB_ACT_NONE,
         1,
         1,
         -1,
         0,
         1,
         0},
        {"conv 3x3 s2 VALID 8x8x2->4 (last column dropped)",
         1,
         8,
         8,
         2,
         3,
         3,
         4,
         2,
         2,
         1,
         1,
         TB_VALID,
         TB_ACT_RELU,
         1,
         1,
         10,
         -5,
         1,
         0},
        {"conv 3x3 s1 SAME RELU6 6x6x8->8",
         1,
         6,
         6,
         8,
         3,
         3,
         8,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU6,
         1,
         1,
         -128,
         -128,
         0.2f,
         0},
        {"conv 1x1 odd channels 13->11",
         1,
         4,
         3,
         13,
         1,
         1,
         11,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         3,
         1,
         1,
         0},
        {"conv 3x3 odd channels 5x7x3->7",
         1,
         5,
         7,
         3,
         3,
         3,
         7,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         -7,
         -100,
         1,
         0},
        {"conv 3x3 per-tensor weights 5x5x4->6",
         1,
         5,
         5,
         4,
         3,
         3,
         6,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         0,
         1,
         0,
         0,
         1,
         0},
        {"conv 3x3 without bias 5x5x4->6",
         1,
         5,
         5,
         4,
         3,
         3,
         6,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         0,
         12,
         -12,
         1,
         0},
        {"conv 1x1 wide 64->64 6x6 (unrolled paths)",
         1,
         6,
         6,
         64,
         1,
         1,
         64,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         -128,
         -128,
         1,
         0},
        {"conv 3x3 wide 32->48 4x4",
         1,
         4,
         4,
         32,
         3,
         3,
         48,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU6,
         1,
         1,
         -128,
         -128,
         0.3f,
         0},
        {"conv 4x4 s3 SAME even filter 10x11x2->3",
         1,
         10,
         11,
         2,
         4,
         4,
         3,
         3,
         3,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         4,
         4,
         1,
         0},
        {"conv 3x3 s1 SAME input zp 127 output zp 127",
         1,
         5,
         5,
         3,
         3,
         3,
         4,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         127,
         127,
         1,
         0},
        {"conv 3x3 tiny output scale (saturates)",
         1,
         5,
         5,
         3,
         3,
         3,
         4,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         0,
         0,
         0.01f,
         0},
        {"conv 3x3 huge output scale (multiplier flushes to 0)",
         1,
         5,
         5,
         3,
         3,
         3,
         4,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         0,
         9,
         1e9f,
         0},
        {"conv 3x3 stride w1 h2 SAME 9x6x3->4",
         1,
         9,
         6,
         3,
         3,
         3,
         4,
         1,
         2,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         -2,
         -30,
         1,
         0},
        {"conv 5x5 s1 SAME filter larger than 3x3 input",
         1,
         3,
         3,
         2,
         5,
         5,
         3,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         0,
         0,
         1,
         0},
        {"conv 1x1 VALID 1->1", 1, 3, 4,  1,   1, 1, 1, 1, 1, 1, 1, TB_VALID,
         TB_ACT_NONE,           1, 1, 33, -33, 1, 0},
        {"conv 3x3 dilation 2 SAME 9x9x3->4",
         1,
         9,
         9,
         3,
         3,
         3,
         4,
         1,
         1,
         2,
         2,
         TB_SAME,
         TB_ACT_NONE,
         1,
         1,
         0,
         0,
         1,
         1},
        {"conv 3x3 batch 2 SAME 5x5x3->4",
         2,
         5,
         5,
         3,
         3,
         3,
         4,
         1,
         1,
         1,
         1,
         TB_SAME,
         TB_ACT_RELU,
         1,
         1,
         0,
         -128,
         1,
         1},
};

static void
conv_like(const struct conv_case *cc, int depthwise, int dm, int seed, int misalign)
{
	struct harness h;
	struct tb_rng r;
	struct ref_conv_params p = {cc->pad, cc->sw, cc->sh, cc->dw, cc->dh, dm, cc->act};
	int oc = depthwise ? cc->ic * dm : cc->oc;
	int oh = ref_out_size(cc->pad, cc->h, cc->kh, cc->sh, cc->dh);
	int ow = ref_out_size(cc->pad, cc->w, cc->kw, cc->sw, cc->dw);
	struct ref_shape is = {cc->n, cc->h, cc->w, cc->ic};
	struct ref_shape fs = depthwise ? (struct ref_shape){1, cc->kh, cc->kw, oc}
	                                : (struct ref_shape){oc, cc->kh, cc->kw, cc->ic};
	struct ref_shape os = {cc->n, oh, ow, oc};
	size_t n_in = shape_elems(is), n_f = shape_elems(fs), n_out = shape_elems(os);
	int8_t *in = alloc_i8(n_in), *filt = alloc_i8(n_f);
	int8_t *got = alloc_i8(n_out), *want = alloc_i8(n_out);
	int32_t *bias = malloc(sizeof(int32_t) * (size_t)oc);
	float *fsc = malloc(sizeof(float) * (size_t)oc), *bsc = malloc(sizeof(float) * (size_t)oc);
	int n_sc = cc->per_channel ? oc : 1;
	struct ref_q iq = {0.0f, cc->in_zp}, oq = {0.0f, cc->out_zp};
	int32_t s_in[4] = {is.n, is.h, is.w, is.c}, s_f[4] = {fs.n, fs.h, fs.w, fs.c};
	int32_t s_b[1] = {oc}, s_out[4] = {os.n, os.h, os.w, os.c};
	int t_in, t_f, t_b = -1, t_out, i, k;
	const void *ins[1];
	size_t in_len[1];

	ck_assert_ptr_nonnull(bias);
	ck_assert_ptr_nonnull(fsc);
	ck_assert_ptr_nonnull(bsc);
	h_init(&h);
	h.misalign = misalign;
	tb_rng_seed(&r, (uint32_t)seed);
	tb_rng_fill_i8(&r, in, n_in, -128, 127);
	tb_rng_fill_i8(&r, filt, n_f, -127, 127);
	rand_scales(&r, fsc, oc, 0.002f, 0.02f);
	iq.scale = 0.02f + (float)(tb_rng_next(&r) % 100) / 1000.0f;
	for (i = 0; i < oc; i++) {
		bsc[i] = iq.scale * fsc[cc->per_channel ? i : 0];
		bias[i] = tb_rng_range(&r, -3000, 3000);
	}
	k = depthwise ? cc->kh * cc->kw : cc->kh * cc->kw * cc->ic;
	oq.scale = fit_out_scale(k, iq.scale, fsc[0]);
	if (cc->out_scale_mult != 0.0f)
		oq.scale *= cc->out_scale_mult;

	t_in = tb_tensor_q(h.b, TB_INT8, s_in, 4, iq.scale, iq.zp);
	t_f = tb_const_pc(h.b, TB_INT8, s_f, 4, filt, n_f, fsc, n_sc, depthwise ? 3 : 0);
	if (cc->has_bias)
		t_b = tb_const_pc(h.b, TB_INT32, s_b, 1, bias, sizeof(int32_t) * (size_t)oc, bsc,
		                  n_sc, 0);
	t_out = tb_tensor_q(h.b, TB_INT8, s_out, 4, oq.scale, oq.zp);
	if (depthwise)
		tb_dwconv2d(h.b, t_in, t_f, t_b, t_out, cc->pad, cc->sw, cc->sh, dm, cc->dw, cc->dh,
		            cc->act);
	else
		tb_conv2d(h.b, t_in, t_f, t_b, t_out, cc->pad, cc->sw, cc->sh, cc->dw, cc->dh,
		          cc->act);
	tb_io(h.b, &t_in, 1, &t_out, 1);

	if (depthwise)
		ref_dwconv2d(&p, is, in, iq, fs, filt, fsc, n_sc, cc->has_bias ? bias : NULL, os,
		             want, oq);
	else
		ref_conv2d(&p, is, in, iq, fs, filt, fsc, n_sc, cc->has_bias ? bias : NULL, os,
		           want, oq);
	ins[0] = in;
	in_len[0] = n_in;
	if (h_run(&h, cc->name, cc->optional, ins, in_len, 1, got, n_out))
		expect_same_i8(cc->name, got, want, n_out, os);

	h_done(&h);
	free(in);
	free(filt);
	free(got);
	free(want);
	free(bias);
	free(fsc);
	free(bsc);
}

START_TEST(test_conv2d_matches_reference)
{
	conv_like(&conv_cases[_i], 0, 1, 1000 + _i, 0);
}
END_TEST

/* ---- DEPTHWISE_CONV_2D (oc field unused; dm from the table below) ---- */

struct dw_case {
	struct conv_case c;
	int dm;
};

static const struct dw_case dw_cases[] = {
        {{"dwconv 3x3 s1 SAME RELU dm1 8ch",
          1,
          6,
          6,
          8,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU,
          1,
          1,
          -128,
          -128,
          1,
          0},
         1},
        {{"dwconv 3x3 s2 SAME RELU6 dm1 odd 5ch 9x9",
          1,
          9,
          9,
          5,
          3,
          3,
          0,
          2,
          2,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU6,
          1,
          1,
          3,
          -128,
          0.3f,
          0},
         1},
        {{"dwconv 3x3 s2 SAME RELU6 dm8 1ch (person_detect first layer)",
          1,
          9,
          9,
          1,
          3,
          3,
          0,
          2,
          2,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU6,
          1,
          1,
          -1,
          -128,
          0.3f,
          0},
         8},
        {{"dwconv 10x8 s2 SAME RELU dm8 1ch 20x16 (micro_speech)",
          1,
          20,
          16,
          1,
          10,
          8,
          0,
          2,
          2,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU,
          1,
          1,
          -128,
          -128,
          1,
          0},
         8},
        {{"dwconv 3x1 s1 VALID dm1 30x1x40 (sww)",
          1,
          30,
          1,
          40,
          3,
          1,
          0,
          1,
          1,
          1,
          1,
          TB_VALID,
          TB_ACT_NONE,
          1,
          1,
          -128,
          5,
          1,
          0},
         1},
        {{"dwconv 15x1 s1 VALID dm1 15x1x16 (sww last)",
          1,
          15,
          1,
          16,
          15,
          1,
          0,
          1,
          1,
          1,
          1,
          TB_VALID,
          TB_ACT_NONE,
          1,
          1,
          0,
          0,
          1,
          0},
         1},
        {{"dwconv 3x3 s1 SAME dm2 3ch",
          1,
          5,
          6,
          3,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          7,
          -7,
          1,
          0},
         2},
        {{"dwconv 3x3 s1 SAME per-tensor weights 6ch",
          1,
          5,
          5,
          6,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU,
          0,
          1,
          0,
          -50,
          1,
          0},
         1},
        {{"dwconv 3x3 s1 SAME without bias 7ch",
          1,
          4,
          5,
          7,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_NONE,
          1,
          0,
          -9,
          9,
          1,
          0},
         1},
        {{"dwconv 3x3 s1 SAME wide 64ch 6x6",
          1,
          6,
          6,
          64,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU6,
          1,
          1,
          -128,
          -128,
          0.3f,
          0},
         1},
        {{"dwconv 3x3 s2 SAME 33ch 7x7 (odd channels, stride 2)",
          1,
          7,
          7,
          33,
          3,
          3,
          0,
          2,
          2,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU,
          1,
          1,
          1,
          -128,
          1,
          0},
         1},
        {{"dwconv 3x3 s1 SAME on a 1x1 input",
          1,
          1,
          1,
          4,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          0,
          0,
          1,
          0},
         1},
        {{"dwconv 3x3 dilation 2 SAME 8x8x4",
          1,
          8,
          8,
          4,
          3,
          3,
          0,
          1,
          1,
          2,
          2,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          0,
          0,
          1,
          1},
         1},
        {{"dwconv 3x3 batch 2 SAME 5x5x4",
          2,
          5,
          5,
          4,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          0,
          0,
          1,
          1},
         1},
        /* the Cortex-M DSP paths (dwconv_s8.c): four output channels per
         * input channel, a filter width without an unrolled row, blocks whose
         * requantization is not the short form, a zero multiplier */
        {{"dwconv 3x3 s1 SAME RELU6 dm4 3ch 6x5",
          1,
          6,
          5,
          3,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU6,
          1,
          1,
          5,
          -3,
          1,
          0},
         4},
        {{"dwconv 3x3 dilation 2 SAME dm4 1ch 7x7",
          1,
          7,
          7,
          1,
          3,
          3,
          0,
          1,
          1,
          2,
          2,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          -4,
          4,
          1,
          1},
         4},
        {{"dwconv 5x5 s2 SAME per-tensor dm1 12ch 9x8",
          1,
          9,
          8,
          12,
          5,
          5,
          0,
          2,
          2,
          1,
          1,
          TB_SAME,
          TB_ACT_NONE,
          0,
          1,
          2,
          -2,
          1,
          0},
         1},
        {{"dwconv 3x3 s1 SAME dm1 16ch tiny output scale (saturates)",
          1,
          5,
          6,
          16,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          0,
          0,
          0.01f,
          0},
         1},
        {{"dwconv 3x3 s1 SAME dm1 8ch huge output scale (multiplier flushes to 0)",
          1,
          4,
          4,
          8,
          3,
          3,
          0,
          1,
          1,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU,
          1,
          1,
          0,
          9,
          1e9f,
          0},
         1},
        /* columns ([n, h, 1, c]) run as rows on the DSP path */
        {{"dwconv 5x1 s2 SAME RELU dm4 1ch 11x1 (column, four taps per word)",
          1,
          11,
          1,
          1,
          5,
          1,
          0,
          1,
          2,
          1,
          1,
          TB_SAME,
          TB_ACT_RELU,
          1,
          1,
          -6,
          -128,
          1,
          0},
         4},
        {{"dwconv 3x1 s2 SAME dilation 2 dm1 9x1x8 (column with edges)",
          1,
          9,
          1,
          8,
          3,
          1,
          0,
          1,
          2,
          1,
          2,
          TB_SAME,
          TB_ACT_NONE,
          1,
          1,
          3,
          1,
          1,
          1},
         1},
};

START_TEST(test_dwconv2d_matches_reference)
{
	conv_like(&dw_cases[_i].c, 1, dw_cases[_i].dm, 2000 + _i, 0);
}
END_TEST

/* Model bytes at an odd address: weights, biases and quantization are read in
 * place (zero copy), so every multi-byte read must tolerate misalignment
 * (UBSan's alignment check catches a plain int32 load in the asan build). */
START_TEST(test_conv_and_dwconv_run_from_misaligned_model_bytes)
{
	conv_like(&conv_cases[0], 0, 1, 1100, 1);
	conv_like(&conv_cases[1], 0, 1, 1101, 1);
	conv_like(&dw_cases[2].c, 1, dw_cases[2].dm, 2100, 1);
}
END_TEST

/* ---- FULLY_CONNECTED ---- */

struct fc_case {
	const char *name;
	int batches, depth, units;
	int act, has_bias;
	int in_zp, out_zp;
	int in_4d; /* input given as [1, 2, 2, depth / 4] */
	int optional;
};

static const struct fc_case fc_cases[] = {
        {"fc 64->12 none (kws head)", 1, 64, 12, TB_ACT_NONE, 1, -128, 0, 0, 0},
        {"fc 1->16 RELU (hello_world first)", 1, 1, 16, TB_ACT_RELU, 1, -128, -128, 0, 0},
        {"fc 16->1 none (hello_world last)", 1, 16, 1, TB_ACT_NONE, 1, -128, 5, 0, 0},
        {"fc 70->33 RELU", 1, 70, 33, TB_ACT_RELU, 1, 3, -128, 0, 0},
        {"fc odd 13->7", 1, 13, 7, TB_ACT_NONE, 1, -5, 5, 0, 0},
        {"fc without bias 32->8", 1, 32, 8, TB_ACT_NONE, 0, 0, 0, 0, 0},
        {"fc RELU6 48->10", 1, 48, 10, TB_ACT_RELU6, 1, 0, -128, 0, 0},
        {"fc 640->32 RELU (ad01 width)", 1, 640, 32, TB_ACT_RELU, 1, 89, -128, 0, 0},
        {"fc input 1x2x2x16 flattened -> 5", 1, 64, 5, TB_ACT_NONE, 1, 0, 0, 1, 0},
        {"fc batch 3 20->6", 3, 20, 6, TB_ACT_NONE, 1, 0, 0, 0, 1},
};

static void
run_fc(const struct fc_case *fc, uint32_t seed)
{
	struct harness h;
	struct tb_rng r;
	size_t n_in = (size_t)fc->batches * (size_t)fc->depth;
	size_t n_w = (size_t)fc->units * (size_t)fc->depth,
	       n_out = (size_t)fc->batches * (size_t)fc->units;
	int8_t *in = alloc_i8(n_in), *w = alloc_i8(n_w), *got = alloc_i8(n_out),
	       *want = alloc_i8(n_out);
	int32_t *bias = malloc(sizeof(int32_t) * (size_t)fc->units);
	float ws;
	struct ref_q iq = {0.0f, fc->in_zp}, oq = {0.0f, fc->out_zp};
	int32_t s_in2[2] = {fc->batches, fc->depth}, s_in4[4] = {1, 2, 2, fc->depth / 4};
	int32_t s_w[2] = {fc->units, fc->depth}, s_b[1] = {fc->units},
	        s_out[2] = {fc->batches, fc->units};
	struct ref_shape os = {1, 1, fc->batches, fc->units};
	int t_in, t_w, t_b = -1, t_out, i;
	const void *ins[1];
	size_t in_len[1];

	ck_assert_ptr_nonnull(bias);
	h_init(&h);
	tb_rng_seed(&r, seed);
	tb_rng_fill_i8(&r, in, n_in, -128, 127);
	tb_rng_fill_i8(&r, w, n_w, -127, 127);
	ws = 0.003f + (float)(tb_rng_next(&r) % 100) / 10000.0f;
	iq.scale = 0.05f + (float)(tb_rng_next(&r) % 100) / 1000.0f;
	for (i = 0; i < fc->units; i++)
		bias[i] = tb_rng_range(&r, -5000, 5000);
	oq.scale = fit_out_scale(fc->depth, iq.scale, ws);

	t_in = fc->in_4d ? tb_tensor_q(h.b, TB_INT8, s_in4, 4, iq.scale, iq.zp)
	                 : tb_tensor_q(h.b, TB_INT8, s_in2, 2, iq.scale, iq.zp);
	t_w = tb_const_q(h.b, TB_INT8, s_w, 2, w, n_w, ws, 0);
	if (fc->has_bias)
		t_b = tb_const_q(h.b, TB_INT32, s_b, 1, bias, sizeof(int32_t) * (size_t)fc->units,
		                 iq.scale * ws, 0);
	t_out = tb_tensor_q(h.b, TB_INT8, s_out, 2, oq.scale, oq.zp);
	tb_fc(h.b, t_in, t_w, t_b, t_out, fc->act, 0);
	tb_io(h.b, &t_in, 1, &t_out, 1);

	ref_fc(fc->batches, fc->depth, fc->units, in, iq, w, &ws, 1, 0, fc->has_bias ? bias : NULL,
	       want, oq, fc->act);
	ins[0] = in;
	in_len[0] = n_in;
	if (h_run(&h, fc->name, fc->optional, ins, in_len, 1, got, n_out))
		expect_same_i8(fc->name, got, want, n_out, os);
	h_done(&h);
	free(in);
	free(w);
	free(got);
	free(want);
	free(bias);
}

START_TEST(test_fc_matches_reference)
{
	run_fc(&fc_cases[_i], 3000 + (uint32_t)_i);
}
END_TEST

/* ---- AVERAGE_POOL_2D / MAX_POOL_2D ---- */

struct pool_case {
	const char *name;
	int is_max;
	int h, w, c;
	int fh, fw, sh, sw;
	int pad, act;
	int zp;
};

static const struct pool_case pool_cases[] = {
        {"avgpool 25x5 s25 VALID 25x5x64 (kws)", 0, 25, 5, 64, 25, 5, 25, 25, TB_VALID, TB_ACT_NONE,
         -128},
        {"avgpool 3x3 s2 VALID 7x7x16 (person_detect)", 0, 7, 7, 16, 3, 3, 2, 2, TB_VALID,
         TB_ACT_NONE, -1},
        {"avgpool 8x8 s8 VALID 8x8x64 (resnet8)", 0, 8, 8, 64, 8, 8, 8, 8, TB_VALID, TB_ACT_NONE,
         0},
        {"avgpool 3x3 s1 SAME 5x5x7 (partial windows at borders)", 0, 5, 5, 7, 3, 3, 1, 1, TB_SAME,
         TB_ACT_NONE, 3},
        {"avgpool 2x2 s2 SAME odd 5x5x3", 0, 5, 5, 3, 2, 2, 2, 2, TB_SAME, TB_ACT_NONE, 0},
        {"avgpool 3x3 s3 VALID 9x9x4 RELU6", 0, 9, 9, 4, 3, 3, 3, 3, TB_VALID, TB_ACT_RELU6, -10},
        {"avgpool 2x3 s1 VALID 4x6x5 RELU", 0, 4, 6, 5, 2, 3, 1, 1, TB_VALID, TB_ACT_RELU, 20},
        {"maxpool 2x2 s2 VALID 6x6x8", 1, 6, 6, 8, 2, 2, 2, 2, TB_VALID, TB_ACT_NONE, 0},
        {"maxpool 3x3 s2 SAME 7x7x5", 1, 7, 7, 5, 3, 3, 2, 2, TB_SAME, TB_ACT_NONE, -4},
        {"maxpool 2x2 s1 VALID 4x4x3 RELU", 1, 4, 4, 3, 2, 2, 1, 1, TB_VALID, TB_ACT_RELU, 30},
};

static void
run_pool(const struct pool_case *pc, uint32_t seed)
{
	struct harness h;
	struct tb_rng r;
	int oh = ref_out_size(pc->pad, pc->h, pc->fh, pc->sh, 1);
	int ow = ref_out_size(pc->pad, pc->w, pc->fw, pc->sw, 1);
	struct ref_shape is = {1, pc->h, pc->w, pc->c}, os = {1, oh, ow, pc->c};
	size_t n_in = shape_elems(is), n_out = shape_elems(os);
	int8_t *in = alloc_i8(n_in), *got = alloc_i8(n_out), *want = alloc_i8(n_out);
	struct ref_q q = {0.05f, pc->zp};
	int32_t s_in[4] = {1, pc->h, pc->w, pc->c}, s_out[4] = {1, oh, ow, pc->c};
	int t_in, t_out;
	const void *ins[1];
	size_t in_len[1];

	h_init(&h);
	tb_rng_seed(&r, seed);
	tb_rng_fill_i8(&r, in, n_in, -128, 127);
	t_in = tb_tensor_q(h.b, TB_INT8, s_in, 4, q.scale, q.zp);
	t_out = tb_tensor_q(h.b, TB_INT8, s_out, 4, q.scale, q.zp);
	tb_pool(h.b, pc->is_max ? TB_OP_MAX_POOL_2D : TB_OP_AVERAGE_POOL_2D, t_in, t_out, pc->pad,
	        pc->sw, pc->sh, pc->fw, pc->fh, pc->act);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	if (pc->is_max)
		ref_maxpool(pc->pad, pc->sw, pc->sh, pc->fw, pc->fh, pc->act, is, in, os, want, q);
	else
		ref_avgpool(pc->pad, pc->sw, pc->sh, pc->fw, pc->fh, pc->act, is, in, os, want, q);
	ins[0] = in;
	in_len[0] = n_in;
	if (h_run(&h, pc->name, 0, ins, in_len, 1, got, n_out))
		expect_same_i8(pc->name, got, want, n_out, os);
	h_done(&h);
	free(in);
	free(got);
	free(want);
}

START_TEST(test_pool_matches_reference)
{
	run_pool(&pool_cases[_i], 4000 + (uint32_t)_i);
}
END_TEST

/* ---- SOFTMAX ---- */

struct softmax_case {
	const char *name;
	int rows, depth;
	float in_scale;
	int in_zp;
	float beta;
	int lo, hi; /* input range */
};

static const struct softmax_case softmax_cases[] = {
        {"softmax 1x12 beta 1 (kws head)", 1, 12, 0.1f, 0, 1.0f, -128, 127},
        {"softmax 1x2 beta 1", 1, 2, 0.05f, -3, 1.0f, -128, 127},
        {"softmax 1x10 narrow inputs", 1, 10, 0.1f, 0, 1.0f, -10, 10},
        {"softmax 3x7 rows", 3, 7, 0.08f, 5, 1.0f, -128, 127},
        {"softmax beta 0.5", 1, 9, 0.1f, 0, 0.5f, -60, 60},
        {"softmax beta 2", 1, 9, 0.1f, 0, 2.0f, -60, 60},
        {"softmax large beta x scale (multiplier capped)", 1, 8, 1.0f, 0, 40.0f, -3, 3},
        {"softmax tiny input scale", 1, 8, 0.0005f, 0, 1.0f, -128, 127},
        {"softmax depth 100", 1, 100, 0.06f, -128, 1.0f, -128, 127},
        {"softmax all inputs equal", 1, 6, 0.1f, 0, 1.0f, 42, 42},
        {"softmax large input scale (one winner)", 1, 5, 2.0f, 0, 1.0f, -128, 127},
};

static void
run_softmax(const struct softmax_case *sc, uint32_t seed)
{
	struct harness h;
	struct tb_rng r;
	size_t n = (size_t)sc->rows * (size_t)sc->depth;
	int8_t *in = alloc_i8(n), *got = alloc_i8(n), *want = alloc_i8(n);
	struct ref_q iq = {sc->in_scale, sc->in_zp};
	struct ref_shape os = {1, 1, sc->rows, sc->depth};
	int32_t shape[2] = {sc->rows, sc->depth};
	int t_in, t_out;
	const void *ins[1];
	size_t in_len[1];

	h_init(&h);
	tb_rng_seed(&r, seed);
	tb_rng_fill_i8(&r, in, n, sc->lo, sc->hi);
	t_in = tb_tensor_q(h.b, TB_INT8, shape, 2, iq.scale, iq.zp);
	t_out = tb_tensor_q(h.b, TB_INT8, shape, 2, 1.0f / 256.0f, -128);
	tb_softmax(h.b, t_in, t_out, sc->beta);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	ref_softmax(sc->rows, sc->depth, in, iq, sc->beta, want);
	ins[0] = in;
	in_len[0] = n;
	if (h_run(&h, sc->name, 0, ins, in_len, 1, got, n))
		expect_same_i8(sc->name, got, want, n, os);
	h_done(&h);
	free(in);
	free(got);
	free(want);
}

START_TEST(test_softmax_matches_reference)
{
	run_softmax(&softmax_cases[_i], 5000 + (uint32_t)_i);
}
END_TEST

/* ---- ADD / MUL ---- */

struct bin_case {
	const char *name;
	int code;
	struct ref_shape s1, s2;
	float sc1, sc2, sco;
	int zp1, zp2, zpo;
	int act;
	int optional;
};

static const struct bin_case bin_cases[] = {
        {"add same shape different scales RELU (resnet8)",
         TB_OP_ADD,
         {1, 4, 4, 16},
         {1, 4, 4, 16},
         0.05f,
         0.12f,
         0.1f,
         -3,
         10,
         -128,
         TB_ACT_RELU,
         0},
        {"add odd element count 1x3x5x7",
         TB_OP_ADD,
         {1, 3, 5, 7},
         {1, 3, 5, 7},
         0.02f,
         0.02f,
         0.05f,
         0,
         0,
         3,
         TB_ACT_NONE,
         0},
        {"add second scale larger, RELU6",
         TB_OP_ADD,
         {1, 2, 3, 9},
         {1, 2, 3, 9},
         0.01f,
         0.08f,
         0.04f,
         127,
         -128,
         -128,
         TB_ACT_RELU6,
         0},
        {"add small output scale (saturates)",
         TB_OP_ADD,
         {1, 2, 2, 5},
         {1, 2, 2, 5},
         0.1f,
         0.1f,
         0.01f,
         0,
         0,
         0,
         TB_ACT_NONE,
         0},
        {"add broadcast channel vector",
         TB_OP_ADD,
         {1, 4, 4, 8},
         {1, 1, 1, 8},
         0.05f,
         0.03f,
         0.06f,
         1,
         -1,
         0,
         TB_ACT_NONE,
         1},
        {"add broadcast scalar",
         TB_OP_ADD,
         {1, 3, 3, 4},
         {1, 1, 1, 1},
         0.05f,
         0.03f,
         0.06f,
         1,
         -1,
         0,
         TB_ACT_NONE,
         1},
        {"mul same shape",
         TB_OP_MUL,
         {1, 4, 4, 6},
         {1, 4, 4, 6},
         0.05f,
         0.04f,
         0.1f,
         2,
         -2,
         1,
         TB_ACT_NONE,
         0},
        {"mul odd count RELU",
         TB_OP_MUL,
         {1, 3, 1, 11},
         {1, 3, 1, 11},
         0.1f,
         0.1f,
         0.3f,
         -128,
         0,
         -128,
         TB_ACT_RELU,
         0},
        {"mul broadcast channel vector",
         TB_OP_MUL,
         {1, 3, 3, 8},
         {1, 1, 1, 8},
         0.05f,
         0.02f,
         0.04f,
         0,
         0,
         0,
         TB_ACT_NONE,
         1},
};

static int
shape_rank4(struct ref_shape s, int32_t *d)
{
	d[0] = s.n;
	d[1] = s.h;
	d[2] = s.w;
	d[3] = s.c;
	return 4;
}

static void
run_binary(const struct bin_case *bc, uint32_t seed)
{
	struct harness h;
	struct tb_rng r;
	struct ref_shape os = {bc->s1.n > bc->s2.n ? bc->s1.n : bc->s2.n,
	                       bc->s1.h > bc->s2.h ? bc->s1.h : bc->s2.h,
	                       bc->s1.w > bc->s2.w ? bc->s1.w : bc->s2.w,
	                       bc->s1.c > bc->s2.c ? bc->s1.c : bc->s2.c};
	size_t n1 = shape_elems(bc->s1), n2 = shape_elems(bc->s2), no = shape_elems(os);
	int8_t *a = alloc_i8(n1), *b2 = alloc_i8(n2), *got = alloc_i8(no), *want = alloc_i8(no);
	struct ref_q q1 = {bc->sc1, bc->zp1}, q2 = {bc->sc2, bc->zp2}, qo = {bc->sco, bc->zpo};
	int32_t d1[4], d2[4], dout[4];
	int t1, t2, to, ins_t[2];
	const void *ins[2];
	size_t in_len[2];

	h_init(&h);
	tb_rng_seed(&r, seed);
	tb_rng_fill_i8(&r, a, n1, -128, 127);
	tb_rng_fill_i8(&r, b2, n2, -128, 127);
	t1 = tb_tensor_q(h.b, TB_INT8, d1, shape_rank4(bc->s1, d1), q1.scale, q1.zp);
	t2 = tb_tensor_q(h.b, TB_INT8, d2, shape_rank4(bc->s2, d2), q2.scale, q2.zp);
	to = tb_tensor_q(h.b, TB_INT8, dout, shape_rank4(os, dout), qo.scale, qo.zp);
	tb_binary(h.b, bc->code, t1, t2, to, bc->act);
	ins_t[0] = t1;
	ins_t[1] = t2;
	tb_io(h.b, ins_t, 2, &to, 1);
	if (bc->code == TB_OP_ADD)
		ref_add(bc->s1, a, q1, bc->s2, b2, q2, os, want, qo, bc->act);
	else
		ref_mul(bc->s1, a, q1, bc->s2, b2, q2, os, want, qo, bc->act);
	ins[0] = a;
	ins[1] = b2;
	in_len[0] = n1;
	in_len[1] = n2;
	if (h_run(&h, bc->name, bc->optional, ins, in_len, 2, got, no))
		expect_same_i8(bc->name, got, want, no, os);
	h_done(&h);
	free(a);
	free(b2);
	free(got);
	free(want);
}

START_TEST(test_binary_matches_reference)
{
	run_binary(&bin_cases[_i], 6000 + (uint32_t)_i);
}
END_TEST

/* ---- elementwise unary ops: QUANTIZE, LOGISTIC, TANH, RELU, RELU6 ---- */

struct unary_case {
	const char *name;
	int code;
	float in_scale;
	int in_zp;
	float out_scale;
	int out_zp;
	int n;
};

static const struct unary_case unary_cases[] = {
        {"quantize int8->int8 rescale", TB_OP_QUANTIZE, 0.05f, 3, 0.12f, -7, 301},
        {"quantize int8->int8 zero point shift only", TB_OP_QUANTIZE, 0.1f, -128, 0.1f, 0, 64},
        {"quantize int8->int8 finer output (saturates)", TB_OP_QUANTIZE, 0.2f, 0, 0.01f, 0, 77},
        {"logistic scale 0.05", TB_OP_LOGISTIC, 0.05f, 0, 1.0f / 256.0f, -128, 256},
        {"logistic scale 0.1 zp -5", TB_OP_LOGISTIC, 0.1f, -5, 1.0f / 256.0f, -128, 256},
        {"logistic tiny scale 0.002", TB_OP_LOGISTIC, 0.002f, 0, 1.0f / 256.0f, -128, 256},
        {"logistic large scale 0.5", TB_OP_LOGISTIC, 0.5f, 17, 1.0f / 256.0f, -128, 256},
        {"tanh scale 0.05", TB_OP_TANH, 0.05f, 0, 1.0f / 128.0f, 0, 256},
        {"tanh scale 0.1 zp 9", TB_OP_TANH, 0.1f, 9, 1.0f / 128.0f, 0, 256},
        {"tanh tiny scale 0.003", TB_OP_TANH, 0.003f, 0, 1.0f / 128.0f, 0, 256},
        {"tanh large scale 0.4", TB_OP_TANH, 0.4f, -30, 1.0f / 128.0f, 0, 256},
        {"relu same quantization", TB_OP_RELU, 0.05f, -20, 0.05f, -20, 256},
        {"relu rescaling to output quantization", TB_OP_RELU, 0.05f, 10, 0.03f, -128, 256},
        {"relu6 same quantization", TB_OP_RELU6, 0.04f, -30, 0.04f, -30, 256},
        {"relu6 coarse scale (six above int8 range)", TB_OP_RELU6, 0.01f, 0, 0.01f, 0, 256},
};

START_TEST(test_unary_matches_reference)
{
	const struct unary_case *uc = &unary_cases[_i];
	struct harness h;
	size_t n = (size_t)uc->n, i;
	int8_t *in = alloc_i8(n), *got = alloc_i8(n), *want = alloc_i8(n);
	struct ref_q iq = {uc->in_scale, uc->in_zp}, oq = {uc->out_scale, uc->out_zp};
	struct ref_shape os = {1, 1, 1, uc->n};
	int32_t shape[2] = {1, uc->n};
	int t_in, t_out;
	const void *ins[1];
	size_t in_len[1];

	h_init(&h);
	/* Every int8 value once (then wrapping), so each input code is checked. */
	for (i = 0; i < n; i++)
		in[i] = (int8_t)(uint8_t)(i * 1u);
	t_in = tb_tensor_q(h.b, TB_INT8, shape, 2, iq.scale, iq.zp);
	t_out = tb_tensor_q(h.b, TB_INT8, shape, 2, oq.scale, oq.zp);
	tb_unary(h.b, uc->code, t_in, t_out);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	switch (uc->code) {
	case TB_OP_QUANTIZE:
		ref_requantize(n, in, iq, want, oq);
		break;
	case TB_OP_LOGISTIC:
		ref_logistic(n, in, iq, want);
		break;
	case TB_OP_TANH:
		ref_tanh(n, in, iq, want);
		break;
	case TB_OP_RELU:
		ref_relu(n, in, iq, want, oq);
		break;
	default:
		ref_relu6(n, in, iq, want);
		break;
	}
	ins[0] = in;
	in_len[0] = n;
	if (h_run(&h, uc->name, 0, ins, in_len, 1, got, n))
		expect_same_i8(uc->name, got, want, n, os);
	h_done(&h);
	free(in);
	free(got);
	free(want);
}
END_TEST

START_TEST(test_quantize_float_input_matches_reference)
{
	struct harness h;
	struct tb_rng r;
	enum { N = 200 };
	float in[N];
	int8_t got[N], want[N];
	struct ref_q oq = {0.037f, -11};
	struct ref_shape os = {1, 1, 1, N};
	int32_t shape[2] = {1, N};
	int t_in, t_out, i;
	const void *ins[1] = {in};
	size_t in_len[1] = {sizeof(in)};

	h_init(&h);
	tb_rng_seed(&r, 7001);
	for (i = 0; i < N; i++)
		in[i] = ((float)tb_rng_range(&r, -100000, 100000)) / 10000.0f;
	in[0] = 0.0185f; /* exactly half a step: rounds away from zero */
	in[1] = -0.0185f;
	t_in = tb_tensor(h.b, TB_FLOAT32, shape, 2, "f", 0, NULL);
	t_out = tb_tensor_q(h.b, TB_INT8, shape, 2, oq.scale, oq.zp);
	tb_unary(h.b, TB_OP_QUANTIZE, t_in, t_out);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	ref_quantize_f32(N, in, want, oq);
	if (h_run(&h, "quantize float32->int8", 0, ins, in_len, 1, got, N))
		expect_same_i8("quantize float32->int8", got, want, N, os);
	h_done(&h);
}
END_TEST

START_TEST(test_dequantize_matches_reference)
{
	struct harness h;
	enum { N = 256 };
	int8_t in[N];
	float got[N], want[N];
	struct ref_q iq = {0.0731f, 13};
	int32_t shape[2] = {1, N};
	int t_in, t_out, i;
	const void *ins[1] = {in};
	size_t in_len[1] = {sizeof(in)};

	h_init(&h);
	for (i = 0; i < N; i++)
		in[i] = (int8_t)(i - 128);
	t_in = tb_tensor_q(h.b, TB_INT8, shape, 2, iq.scale, iq.zp);
	t_out = tb_tensor(h.b, TB_FLOAT32, shape, 2, "f", 0, NULL);
	tb_unary(h.b, TB_OP_DEQUANTIZE, t_in, t_out);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	ref_dequantize(N, in, iq, want);
	if (h_run(&h, "dequantize int8->float32", 0, ins, in_len, 1, got, sizeof(got))) {
		for (i = 0; i < N; i++)
			ck_assert_msg(
			        memcmp(&got[i], &want[i], sizeof(float)) == 0,
			        "dequantize int8->float32: element %d (%d): core %.9g, reference "
			        "%.9g",
			        i, in[i], (double)got[i], (double)want[i]);
	}
	h_done(&h);
}
END_TEST

/* ---- MEAN, CONCATENATION, PAD, RESHAPE ---- */

struct mean_case {
	const char *name;
	struct ref_shape is;
	int reduce[4];
	int keep_dims;
	float in_scale, out_scale;
	int in_zp, out_zp;
	int optional;
};

/* Input and output quantization differ in every case: TFLM versions disagree
 * on the rounding of the equal-quantization shortcut, so it is not pinned. */
static const struct mean_case mean_cases[] = {
        {"mean axes 1,2 keep_dims 4x5x8", {1, 4, 5, 8}, {0, 1, 1, 0}, 1, 0.05f, 0.03f, 3, -2, 0},
        {"mean axes 1,2 without keep_dims 3x3x17",
         {1, 3, 3, 17},
         {0, 1, 1, 0},
         0,
         0.1f,
         0.02f,
         -128,
         0,
         0},
        {"mean axis 3 keep_dims 2x3x10", {1, 2, 3, 10}, {0, 0, 0, 1}, 1, 0.05f, 0.06f, 0, 5, 1},
};

START_TEST(test_mean_matches_reference)
{
	const struct mean_case *mc = &mean_cases[_i];
	struct harness h;
	struct tb_rng r;
	int dims[4] = {mc->is.n, mc->is.h, mc->is.w, mc->is.c};
	int32_t s_in[4], s_out[4], axes[4];
	int n_axes = 0, n_out_dims = 0, k;
	size_t n_in = shape_elems(mc->is), n_out = 1;
	int8_t *in = alloc_i8(n_in), *got, *want;
	struct ref_q iq = {mc->in_scale, mc->in_zp}, oq = {mc->out_scale, mc->out_zp};
	int t_in, t_axes, t_out;
	int32_t s_axes[1];
	const void *ins[1];
	size_t in_len[1];

	for (k = 0; k < 4; k++) {
		s_in[k] = dims[k];
		if (mc->reduce[k]) {
			axes[n_axes++] = k;
			if (mc->keep_dims)
				s_out[n_out_dims++] = 1;
		} else {
			s_out[n_out_dims++] = dims[k];
			n_out *= (size_t)dims[k];
		}
	}
	got = alloc_i8(n_out);
	want = alloc_i8(n_out);
	h_init(&h);
	tb_rng_seed(&r, 8000 + (uint32_t)_i);
	tb_rng_fill_i8(&r, in, n_in, -128, 127);
	s_axes[0] = n_axes;
	t_in = tb_tensor_q(h.b, TB_INT8, s_in, 4, iq.scale, iq.zp);
	t_axes = tb_const_i32(h.b, s_axes, 1, axes, n_axes);
	t_out = tb_tensor_q(h.b, TB_INT8, s_out, n_out_dims, oq.scale, oq.zp);
	tb_mean(h.b, t_in, t_axes, t_out, mc->keep_dims);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	ref_mean(mc->is, in, iq, mc->reduce, want, oq);
	ins[0] = in;
	in_len[0] = n_in;
	if (h_run(&h, mc->name, mc->optional, ins, in_len, 1, got, n_out))
		expect_same_i8(mc->name, got, want, n_out, (struct ref_shape){1, 1, 1, (int)n_out});
	h_done(&h);
	free(in);
	free(got);
	free(want);
}
END_TEST

struct concat_case {
	const char *name;
	int n;
	struct ref_shape s[3];
	int axis; /* as written in the model (may be negative) */
};

static const struct concat_case concat_cases[] = {
        {"concat axis 3 two inputs", 2, {{1, 3, 3, 5}, {1, 3, 3, 7}}, 3},
        {"concat axis 1 three inputs", 3, {{1, 2, 4, 3}, {1, 1, 4, 3}, {1, 3, 4, 3}}, 1},
        {"concat axis -1 (negative) two inputs", 2, {{1, 2, 2, 4}, {1, 2, 2, 1}}, -1},
        {"concat axis 2", 2, {{1, 2, 3, 2}, {1, 2, 5, 2}}, 2},
};

START_TEST(test_concat_matches_reference)
{
	const struct concat_case *cc = &concat_cases[_i];
	struct harness h;
	struct tb_rng r;
	int axis = cc->axis < 0 ? cc->axis + 4 : cc->axis;
	struct ref_shape os = cc->s[0];
	int8_t *in[3] = {NULL, NULL, NULL}, *got, *want;
	const void *ins[3];
	size_t in_len[3], n_out;
	int32_t d[4], t_ins[3];
	int t_out, i;
	int *osd[4] = {&os.n, &os.h, &os.w, &os.c};

	h_init(&h);
	tb_rng_seed(&r, 9000 + (uint32_t)_i);
	for (i = 1; i < cc->n; i++) {
		int dd[4] = {cc->s[i].n, cc->s[i].h, cc->s[i].w, cc->s[i].c};

		*osd[axis] += dd[axis];
	}
	for (i = 0; i < cc->n; i++) {
		in_len[i] = shape_elems(cc->s[i]);
		in[i] = alloc_i8(in_len[i]);
		tb_rng_fill_i8(&r, in[i], in_len[i], -128, 127);
		ins[i] = in[i];
		t_ins[i] = tb_tensor_q(h.b, TB_INT8, d, shape_rank4(cc->s[i], d), 0.07f, -9);
	}
	n_out = shape_elems(os);
	got = alloc_i8(n_out);
	want = alloc_i8(n_out);
	t_out = tb_tensor_q(h.b, TB_INT8, d, shape_rank4(os, d), 0.07f, -9);
	tb_concat(h.b, t_ins, cc->n, t_out, cc->axis, TB_ACT_NONE);
	tb_io(h.b, t_ins, cc->n, &t_out, 1);
	ref_concat(cc->n, cc->s, (const int8_t *const *)in, axis, want);
	if (h_run(&h, cc->name, 0, ins, in_len, cc->n, got, n_out))
		expect_same_i8(cc->name, got, want, n_out, os);
	h_done(&h);
	for (i = 0; i < cc->n; i++)
		free(in[i]);
	free(got);
	free(want);
}
END_TEST

START_TEST(test_pad_matches_reference)
{
	static const int32_t pads[4][2] = {{0, 0}, {1, 2}, {2, 1}, {0, 0}};
	struct harness h;
	struct tb_rng r;
	struct ref_shape is = {1, 3, 4, 5}, os = {1, 6, 7, 5};
	int8_t in[60], got[210], want[210];
	int32_t s_in[4] = {1, 3, 4, 5}, s_out[4] = {1, 6, 7, 5}, s_p[2] = {4, 2};
	int t_in, t_p, t_out;
	const void *ins[1] = {in};
	size_t in_len[1] = {sizeof(in)};

	h_init(&h);
	tb_rng_seed(&r, 9500);
	tb_rng_fill_i8(&r, in, sizeof(in), -128, 127);
	t_in = tb_tensor_q(h.b, TB_INT8, s_in, 4, 0.1f, -17);
	t_p = tb_const_i32(h.b, s_p, 2, &pads[0][0], 8);
	t_out = tb_tensor_q(h.b, TB_INT8, s_out, 4, 0.1f, -17);
	tb_pad(h.b, t_in, t_p, t_out);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	ref_pad(is, in, pads, want, -17);
	if (h_run(&h, "pad h 1+2, w 2+1 with the zero point", 0, ins, in_len, 1, got, sizeof(got)))
		expect_same_i8("pad h 1+2, w 2+1 with the zero point", got, want, sizeof(got), os);
	h_done(&h);
}
END_TEST

static void
reshape_case(const char *name, int with_shape_tensor)
{
	struct harness h;
	struct tb_rng r;
	int8_t in[24], got[24];
	int32_t s_in[4] = {1, 2, 3, 4}, s_out[2] = {1, 24}, s_s[1] = {2};
	int t_in, t_s = -1, t_out;
	const void *ins[1] = {in};
	size_t in_len[1] = {sizeof(in)};

	h_init(&h);
	tb_rng_seed(&r, 9700);
	tb_rng_fill_i8(&r, in, sizeof(in), -128, 127);
	t_in = tb_tensor_q(h.b, TB_INT8, s_in, 4, 0.1f, 1);
	if (with_shape_tensor)
		t_s = tb_const_i32(h.b, s_s, 1, s_out, 2);
	t_out = tb_tensor_q(h.b, TB_INT8, s_out, 2, 0.1f, 1);
	tb_reshape(h.b, t_in, t_s, t_out, s_out, 2);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	if (h_run(&h, name, 0, ins, in_len, 1, got, sizeof(got)))
		expect_same_i8(name, got, in, sizeof(got), (struct ref_shape){1, 1, 1, 24});
	h_done(&h);
}

START_TEST(test_reshape_copies_bytes)
{
	reshape_case("reshape 1x2x3x4 -> 1x24 with a shape tensor", 1);
	reshape_case("reshape 1x2x3x4 -> 1x24 from options only", 0);
}
END_TEST

/* ---- random sweeps: many small configurations from fixed seeds ---- */

/*
 * Each iteration draws one configuration (shapes, filter, stride, dilation,
 * padding, activation, zero points, scales) from seed 50000 + i and checks it
 * like the table cases; the failure message prints the configuration. These
 * reach the remainder paths of unrolled loops that hand-picked cases miss.
 */
enum { SWEEP_N = 40 };

static const int sweep_acts[] = {TB_ACT_NONE, TB_ACT_RELU, TB_ACT_RELU6};

static const char *
act_name(int act)
{
	return act == TB_ACT_RELU ? "RELU" : act == TB_ACT_RELU6 ? "RELU6" : "NONE";
}

/* A random conv (depthwise when dw) configuration that has an output. */
static void
random_conv(struct tb_rng *r, int dw, struct conv_case *cc, int *dm, char *name, size_t name_len)
{
	int effh, effw;

	memset(cc, 0, sizeof(*cc));
	cc->n = tb_rng_range(r, 1, 4) == 4 ? 2 : 1;
	cc->h = tb_rng_range(r, 1, 12);
	cc->w = tb_rng_range(r, 1, 12);
	cc->ic = tb_rng_range(r, 1, dw ? 24 : 20);
	cc->oc = tb_rng_range(r, 1, 20);
	cc->kh = tb_rng_range(r, 1, 5);
	cc->kw = tb_rng_range(r, 1, 5);
	cc->sh = tb_rng_range(r, 1, 3);
	cc->sw = tb_rng_range(r, 1, 3);
	cc->dh = tb_rng_range(r, 1, 5) == 5 ? 2 : 1;
	cc->dw = tb_rng_range(r, 1, 5) == 5 ? 2 : 1;
	effh = (cc->kh - 1) * cc->dh + 1;
	effw = (cc->kw - 1) * cc->dw + 1;
	cc->pad = tb_rng_range(r, 0, 1) && effh <= cc->h && effw <= cc->w ? TB_VALID : TB_SAME;
	cc->act = sweep_acts[tb_rng_range(r, 0, 2)];
	cc->per_channel = tb_rng_range(r, 0, 3) != 0;
	cc->has_bias = tb_rng_range(r, 0, 3) != 0;
	cc->in_zp = tb_rng_range(r, -128, 127);
	cc->out_zp = tb_rng_range(r, -128, 127);
	cc->out_scale_mult = (float)tb_rng_range(r, 3, 30) / 10.0f;
	*dm = dw ? (tb_rng_range(r, 0, 2) == 0 ? tb_rng_range(r, 2, 4) : 1) : 1;
	snprintf(name, name_len,
	         "%s sweep: %dx%dx%dx%d k%dx%d %s%d s%dx%d d%dx%d %s %s%s%s zp %d/%d",
	         dw ? "dwconv" : "conv", cc->n, cc->h, cc->w, cc->ic, cc->kh, cc->kw,
	         dw ? "dm" : "oc", dw ? *dm : cc->oc, cc->sh, cc->sw, cc->dh, cc->dw,
	         cc->pad == TB_SAME ? "SAME" : "VALID", act_name(cc->act),
	         cc->per_channel ? " per-channel" : "", cc->has_bias ? "" : " no-bias", cc->in_zp,
	         cc->out_zp);
	cc->name = name;
}

START_TEST(test_conv2d_sweep_matches_reference)
{
	struct tb_rng r;
	struct conv_case cc;
	char name[160];
	int dm;

	tb_rng_seed(&r, 50000 + (uint32_t)_i);
	random_conv(&r, 0, &cc, &dm, name, sizeof(name));
	conv_like(&cc, 0, 1, 51000 + _i, 0);
}
END_TEST

START_TEST(test_dwconv2d_sweep_matches_reference)
{
	struct tb_rng r;
	struct conv_case cc;
	char name[160];
	int dm;

	tb_rng_seed(&r, 52000 + (uint32_t)_i);
	random_conv(&r, 1, &cc, &dm, name, sizeof(name));
	conv_like(&cc, 1, dm, 53000 + _i, 0);
}
END_TEST

START_TEST(test_fc_sweep_matches_reference)
{
	struct tb_rng r;
	struct fc_case fc;
	char name[128];

	memset(&fc, 0, sizeof(fc));
	tb_rng_seed(&r, 54000 + (uint32_t)_i);
	fc.batches = tb_rng_range(&r, 1, 3);
	fc.depth = tb_rng_range(&r, 1, 100);
	fc.units = tb_rng_range(&r, 1, 40);
	fc.act = sweep_acts[tb_rng_range(&r, 0, 2)];
	fc.has_bias = tb_rng_range(&r, 0, 3) != 0;
	fc.in_zp = tb_rng_range(&r, -128, 127);
	fc.out_zp = tb_rng_range(&r, -128, 127);
	snprintf(name, sizeof(name), "fc sweep: %dx%d -> %d %s%s zp %d/%d", fc.batches, fc.depth,
	         fc.units, act_name(fc.act), fc.has_bias ? "" : " no-bias", fc.in_zp, fc.out_zp);
	fc.name = name;
	run_fc(&fc, 55000 + (uint32_t)_i);
}
END_TEST

START_TEST(test_pool_sweep_matches_reference)
{
	struct tb_rng r;
	struct pool_case pc;
	char name[128];

	memset(&pc, 0, sizeof(pc));
	tb_rng_seed(&r, 56000 + (uint32_t)_i);
	pc.is_max = tb_rng_range(&r, 0, 1);
	pc.h = tb_rng_range(&r, 1, 12);
	pc.w = tb_rng_range(&r, 1, 12);
	pc.c = tb_rng_range(&r, 1, 20);
	pc.fh = tb_rng_range(&r, 1, 4);
	pc.fw = tb_rng_range(&r, 1, 4);
	pc.sh = tb_rng_range(&r, 1, 3);
	pc.sw = tb_rng_range(&r, 1, 3);
	pc.pad = tb_rng_range(&r, 0, 1) && pc.fh <= pc.h && pc.fw <= pc.w ? TB_VALID : TB_SAME;
	pc.act = sweep_acts[tb_rng_range(&r, 0, 2)];
	pc.zp = tb_rng_range(&r, -128, 127);
	snprintf(name, sizeof(name), "%s sweep: %dx%dx%d f%dx%d s%dx%d %s %s zp %d",
	         pc.is_max ? "maxpool" : "avgpool", pc.h, pc.w, pc.c, pc.fh, pc.fw, pc.sh, pc.sw,
	         pc.pad == TB_SAME ? "SAME" : "VALID", act_name(pc.act), pc.zp);
	pc.name = name;
	run_pool(&pc, 57000 + (uint32_t)_i);
}
END_TEST

START_TEST(test_binary_sweep_matches_reference)
{
	struct tb_rng r;
	struct bin_case bc;
	char name[160];
	int d1[4], d2[4], k;

	memset(&bc, 0, sizeof(bc));
	tb_rng_seed(&r, 58000 + (uint32_t)_i);
	bc.code = tb_rng_range(&r, 0, 1) ? TB_OP_MUL : TB_OP_ADD;
	for (k = 0; k < 4; k++) {
		d1[k] = k == 0 ? 1 : tb_rng_range(&r, 1, 7);
		/* Broadcast one side of a dimension now and then. */
		d2[k] = tb_rng_range(&r, 0, 3) == 0 ? 1 : d1[k];
		if (tb_rng_range(&r, 0, 5) == 0) {
			int t = d1[k];

			d1[k] = d2[k];
			d2[k] = t;
		}
	}
	bc.s1 = (struct ref_shape){d1[0], d1[1], d1[2], d1[3]};
	bc.s2 = (struct ref_shape){d2[0], d2[1], d2[2], d2[3]};
	bc.sc1 = (float)tb_rng_range(&r, 5, 200) / 1000.0f;
	bc.sc2 = (float)tb_rng_range(&r, 5, 200) / 1000.0f;
	bc.sco = bc.code == TB_OP_MUL ? bc.sc1 * bc.sc2 * (float)tb_rng_range(&r, 20, 120)
	                              : (float)tb_rng_range(&r, 5, 300) / 1000.0f;
	bc.zp1 = tb_rng_range(&r, -128, 127);
	bc.zp2 = tb_rng_range(&r, -128, 127);
	bc.zpo = tb_rng_range(&r, -128, 127);
	bc.act = sweep_acts[tb_rng_range(&r, 0, 2)];
	snprintf(name, sizeof(name),
	         "%s sweep: [%d,%d,%d,%d] x [%d,%d,%d,%d] scales %g %g -> %g zp %d %d -> %d %s",
	         bc.code == TB_OP_MUL ? "mul" : "add", d1[0], d1[1], d1[2], d1[3], d2[0], d2[1],
	         d2[2], d2[3], (double)bc.sc1, (double)bc.sc2, (double)bc.sco, bc.zp1, bc.zp2,
	         bc.zpo, act_name(bc.act));
	bc.name = name;
	run_binary(&bc, 59000 + (uint32_t)_i);
}
END_TEST

START_TEST(test_softmax_sweep_matches_reference)
{
	static const float betas[] = {0.25f, 0.5f, 1.0f, 2.0f};
	struct tb_rng r;
	struct softmax_case sc;
	char name[128];

	memset(&sc, 0, sizeof(sc));
	tb_rng_seed(&r, 60000 + (uint32_t)_i);
	sc.rows = tb_rng_range(&r, 1, 4);
	sc.depth = tb_rng_range(&r, 1, 40);
	sc.in_scale = (float)tb_rng_range(&r, 1, 1000) / 2000.0f;
	sc.in_zp = tb_rng_range(&r, -128, 127);
	sc.beta = betas[tb_rng_range(&r, 0, 3)];
	sc.lo = tb_rng_range(&r, -128, 0);
	sc.hi = tb_rng_range(&r, sc.lo, 127);
	snprintf(name, sizeof(name), "softmax sweep: %dx%d scale %g zp %d beta %g inputs %d..%d",
	         sc.rows, sc.depth, (double)sc.in_scale, sc.in_zp, (double)sc.beta, sc.lo, sc.hi);
	sc.name = name;
	run_softmax(&sc, 61000 + (uint32_t)_i);
}
END_TEST

/* ---- a chain of ops through the planner ---- */

/*
 * CONV -> DWCONV -> AVG_POOL -> RESHAPE -> FC -> SOFTMAX, the KWS shape in
 * miniature: the planner reuses activation bytes between ops, so this also
 * checks that no op reads a buffer another op has already overwritten.
 * Invoked twice with the input re-written, both outputs must match.
 */
START_TEST(test_chain_matches_reference_twice)
{
	struct harness h;
	struct tb_rng r;
	struct ref_shape is = {1, 10, 8, 2}, c1s = {1, 5, 4, 12}, c2s = {1, 5, 4, 12};
	struct ref_shape ps = {1, 1, 1, 12};
	struct ref_conv_params p1 = {TB_SAME, 2, 2, 1, 1, 1, TB_ACT_RELU};
	struct ref_conv_params p2 = {TB_SAME, 1, 1, 1, 1, 1, TB_ACT_RELU6};
	int8_t in[160], w1[12 * 3 * 3 * 2], w2[3 * 3 * 12], w3[5 * 12];
	int8_t a1[240], a2[240], a3[12], a4[5], want[5], got[5];
	int32_t b1[12], b2[12], b3[5];
	float s1[12], s2[12], s3 = 0.01f, bs1[12], bs2[12];
	struct ref_q qi = {0.1f, 3}, q1 = {0.0f, -128}, q2 = {0.0f, -128}, q3 = {0.0f, -128};
	struct ref_q q4 = {0.0f, 0};
	int t_in, t_w1, t_b1, t_a1, t_w2, t_b2, t_a2, t_a3, t_a3r, t_w3, t_b3, t_a4, t_out, i,
	        round;

	h_init(&h);
	tb_rng_seed(&r, 9900);
	tb_rng_fill_i8(&r, w1, sizeof(w1), -127, 127);
	tb_rng_fill_i8(&r, w2, sizeof(w2), -127, 127);
	tb_rng_fill_i8(&r, w3, sizeof(w3), -127, 127);
	rand_scales(&r, s1, 12, 0.005f, 0.02f);
	rand_scales(&r, s2, 12, 0.005f, 0.02f);
	for (i = 0; i < 12; i++) {
		b1[i] = tb_rng_range(&r, -2000, 2000);
		b2[i] = tb_rng_range(&r, -2000, 2000);
		bs1[i] = qi.scale * s1[i];
	}
	q1.scale = fit_out_scale(18, qi.scale, s1[0]);
	for (i = 0; i < 12; i++)
		bs2[i] = q1.scale * s2[i];
	q2.scale = fit_out_scale(9, q1.scale, s2[0]) * 0.5f;
	q3 = q2;
	for (i = 0; i < 5; i++)
		b3[i] = tb_rng_range(&r, -500, 500);
	q4.scale = fit_out_scale(12, q3.scale, s3);

	t_in = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 10, 8, 2}, 4, qi.scale, qi.zp);
	t_w1 = tb_const_pc(h.b, TB_INT8, (int32_t[]){12, 3, 3, 2}, 4, w1, sizeof(w1), s1, 12, 0);
	t_b1 = tb_const_pc(h.b, TB_INT32, (int32_t[]){12}, 1, b1, sizeof(b1), bs1, 12, 0);
	t_a1 = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5, 4, 12}, 4, q1.scale, q1.zp);
	t_w2 = tb_const_pc(h.b, TB_INT8, (int32_t[]){1, 3, 3, 12}, 4, w2, sizeof(w2), s2, 12, 3);
	t_b2 = tb_const_pc(h.b, TB_INT32, (int32_t[]){12}, 1, b2, sizeof(b2), bs2, 12, 0);
	t_a2 = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5, 4, 12}, 4, q2.scale, q2.zp);
	t_a3 = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 1, 1, 12}, 4, q3.scale, q3.zp);
	t_a3r = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 12}, 2, q3.scale, q3.zp);
	t_w3 = tb_const_q(h.b, TB_INT8, (int32_t[]){5, 12}, 2, w3, sizeof(w3), s3, 0);
	t_b3 = tb_const_q(h.b, TB_INT32, (int32_t[]){5}, 1, b3, sizeof(b3), q3.scale * s3, 0);
	t_a4 = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5}, 2, q4.scale, q4.zp);
	t_out = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5}, 2, 1.0f / 256.0f, -128);
	tb_conv2d(h.b, t_in, t_w1, t_b1, t_a1, TB_SAME, 2, 2, 1, 1, TB_ACT_RELU);
	tb_dwconv2d(h.b, t_a1, t_w2, t_b2, t_a2, TB_SAME, 1, 1, 1, 1, 1, TB_ACT_RELU6);
	tb_pool(h.b, TB_OP_AVERAGE_POOL_2D, t_a2, t_a3, TB_VALID, 4, 5, 4, 5, TB_ACT_NONE);
	tb_reshape(h.b, t_a3, tb_const_i32(h.b, (int32_t[]){2}, 1, (int32_t[]){1, 12}, 2), t_a3r,
	           (int32_t[]){1, 12}, 2);
	tb_fc(h.b, t_a3r, t_w3, t_b3, t_a4, TB_ACT_NONE, 0);
	tb_softmax(h.b, t_a4, t_out, 1.0f);
	tb_io(h.b, &t_in, 1, &t_out, 1);

	for (round = 0; round < 2; round++) {
		const void *ins[1] = {in};
		size_t in_len[1] = {sizeof(in)};
		struct nn_tensor t;

		tb_rng_fill_i8(&r, in, sizeof(in), -128, 127);
		ref_conv2d(&p1, is, in, qi, (struct ref_shape){12, 3, 3, 2}, w1, s1, 12, b1, c1s,
		           a1, q1);
		ref_dwconv2d(&p2, c1s, a1, q1, (struct ref_shape){1, 3, 3, 12}, w2, s2, 12, b2, c2s,
		             a2, q2);
		ref_avgpool(TB_VALID, 4, 5, 4, 5, TB_ACT_NONE, c2s, a2, ps, a3, q3);
		ref_fc(1, 12, 5, a3, q3, w3, &s3, 1, 0, b3, a4, q4, TB_ACT_NONE);
		ref_softmax(1, 5, a4, q4, 1.0f, want);
		if (round == 0) {
			ck_assert(h_run(&h, "chain conv-dwconv-pool-reshape-fc-softmax", 0, ins,
			                in_len, 1, got, sizeof(got)));
		} else {
			ck_assert_int_eq(nn_interp_input(h.ip, 0, &t), NN_OK);
			memcpy(t.data, in, sizeof(in));
			ck_assert_int_eq(nn_invoke(h.ip), NN_OK);
			ck_assert_int_eq(nn_interp_output(h.ip, 0, &t), NN_OK);
			memcpy(got, t.data, sizeof(got));
		}
		expect_same_i8(round ? "chain, second invoke" : "chain, first invoke", got, want,
		               sizeof(got), (struct ref_shape){1, 1, 1, 5});
	}
	h_done(&h);
}
END_TEST

/* ---- errors: kernels refuse what TFLite refuses ---- */

START_TEST(test_softmax_rejects_wrong_output_quantization)
{
	struct harness h;
	int32_t shape[2] = {1, 4};
	int t_in, t_out, r;
	uint8_t *bytes;
	size_t len;

	h_init(&h);
	t_in = tb_tensor_q(h.b, TB_INT8, shape, 2, 0.1f, 0);
	t_out = tb_tensor_q(h.b, TB_INT8, shape, 2, 0.1f, 0);
	tb_softmax(h.b, t_in, t_out, 1.0f);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	bytes = tb_finish(h.b, &len, NULL);
	r = nn_model_open(&h.m, bytes, len, h.why, sizeof(h.why));
	ck_assert_msg(r != NN_OK, "softmax with output scale 0.1: accepted");
	h_done(&h);
}
END_TEST

START_TEST(test_conv_rejects_filter_channel_mismatch)
{
	struct harness h;
	int8_t w[4 * 3 * 3 * 2] = {0};
	float s[4] = {0.01f, 0.01f, 0.01f, 0.01f};
	int t_in, t_w, t_out, r;
	uint8_t *bytes;
	size_t len;

	h_init(&h);
	t_in = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5, 5, 3}, 4, 0.1f, 0);
	t_w = tb_const_pc(h.b, TB_INT8, (int32_t[]){4, 3, 3, 2}, 4, w, sizeof(w), s, 4, 0);
	t_out = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5, 5, 4}, 4, 0.1f, 0);
	tb_conv2d(h.b, t_in, t_w, -1, t_out, TB_SAME, 1, 1, 1, 1, TB_ACT_NONE);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	bytes = tb_finish(h.b, &len, NULL);
	r = nn_model_open(&h.m, bytes, len, h.why, sizeof(h.why));
	ck_assert_msg(r != NN_OK, "conv with 3 input channels and a 2-channel filter: accepted");
	h_done(&h);
}
END_TEST

START_TEST(test_conv_rejects_wrong_output_shape)
{
	struct harness h;
	int8_t w[4 * 3 * 3 * 3] = {0};
	float s[4] = {0.01f, 0.01f, 0.01f, 0.01f};
	int t_in, t_w, t_out, r;
	uint8_t *bytes;
	size_t len;

	h_init(&h);
	t_in = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5, 5, 3}, 4, 0.1f, 0);
	t_w = tb_const_pc(h.b, TB_INT8, (int32_t[]){4, 3, 3, 3}, 4, w, sizeof(w), s, 4, 0);
	/* SAME stride 2 on 5x5 gives 3x3, not 5x5. */
	t_out = tb_tensor_q(h.b, TB_INT8, (int32_t[]){1, 5, 5, 4}, 4, 0.1f, 0);
	tb_conv2d(h.b, t_in, t_w, -1, t_out, TB_SAME, 2, 2, 1, 1, TB_ACT_NONE);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	bytes = tb_finish(h.b, &len, NULL);
	r = nn_model_open(&h.m, bytes, len, h.why, sizeof(h.why));
	ck_assert_msg(r != NN_OK, "conv stride 2 with a 5x5 output declared: accepted");
	h_done(&h);
}
END_TEST

/* TFLM's int8 CONCATENATION does not rescale: every input must share the
 * output's scale and zero point. */
START_TEST(test_concat_rejects_inputs_with_other_quantization)
{
	struct harness h;
	int32_t d[4] = {1, 2, 2, 3}, dout[4] = {1, 2, 2, 6};
	int32_t ins[2];
	int t_out, r;
	uint8_t *bytes;
	size_t len;

	h_init(&h);
	ins[0] = tb_tensor_q(h.b, TB_INT8, d, 4, 0.1f, 0);
	ins[1] = tb_tensor_q(h.b, TB_INT8, d, 4, 0.2f, 0);
	t_out = tb_tensor_q(h.b, TB_INT8, dout, 4, 0.1f, 0);
	tb_concat(h.b, ins, 2, t_out, 3, TB_ACT_NONE);
	tb_io(h.b, ins, 2, &t_out, 1);
	bytes = tb_finish(h.b, &len, NULL);
	r = nn_model_open(&h.m, bytes, len, h.why, sizeof(h.why));
	ck_assert_msg(r != NN_OK, "concat of inputs with scales 0.1 and 0.2: accepted");
	h_done(&h);
}
END_TEST

/* LOGISTIC's int8 output is fixed at zero point -128 (TFLite's Prepare checks it). */
START_TEST(test_logistic_rejects_wrong_output_zero_point)
{
	struct harness h;
	int32_t shape[2] = {1, 8};
	int t_in, t_out, r;
	uint8_t *bytes;
	size_t len;

	h_init(&h);
	t_in = tb_tensor_q(h.b, TB_INT8, shape, 2, 0.1f, 0);
	t_out = tb_tensor_q(h.b, TB_INT8, shape, 2, 1.0f / 256.0f, 0);
	tb_unary(h.b, TB_OP_LOGISTIC, t_in, t_out);
	tb_io(h.b, &t_in, 1, &t_out, 1);
	bytes = tb_finish(h.b, &len, NULL);
	r = nn_model_open(&h.m, bytes, len, h.why, sizeof(h.why));
	ck_assert_msg(r != NN_OK, "logistic with output zero point 0: accepted");
	h_done(&h);
}
END_TEST

/* ---- suite ---- */

static Suite *
kernels_suite(void)
{
	Suite *s = suite_create("kernels");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_set_timeout(core, 60);
	tcase_set_timeout(limits, 60);
	tcase_add_loop_test(core, test_conv2d_matches_reference, 0, (int)ARRAY_LEN(conv_cases));
	tcase_add_loop_test(core, test_dwconv2d_matches_reference, 0, (int)ARRAY_LEN(dw_cases));
	tcase_add_loop_test(core, test_fc_matches_reference, 0, (int)ARRAY_LEN(fc_cases));
	tcase_add_loop_test(core, test_pool_matches_reference, 0, (int)ARRAY_LEN(pool_cases));
	tcase_add_loop_test(core, test_softmax_matches_reference, 0, (int)ARRAY_LEN(softmax_cases));
	tcase_add_loop_test(core, test_binary_matches_reference, 0, (int)ARRAY_LEN(bin_cases));
	tcase_add_loop_test(core, test_unary_matches_reference, 0, (int)ARRAY_LEN(unary_cases));
	tcase_add_test(core, test_quantize_float_input_matches_reference);
	tcase_add_test(core, test_dequantize_matches_reference);
	tcase_add_loop_test(core, test_mean_matches_reference, 0, (int)ARRAY_LEN(mean_cases));
	tcase_add_loop_test(core, test_concat_matches_reference, 0, (int)ARRAY_LEN(concat_cases));
	tcase_add_test(core, test_pad_matches_reference);
	tcase_add_test(core, test_reshape_copies_bytes);
	tcase_add_loop_test(limits, test_conv2d_sweep_matches_reference, 0, SWEEP_N);
	tcase_add_loop_test(limits, test_dwconv2d_sweep_matches_reference, 0, SWEEP_N);
	tcase_add_loop_test(limits, test_fc_sweep_matches_reference, 0, SWEEP_N);
	tcase_add_loop_test(limits, test_pool_sweep_matches_reference, 0, SWEEP_N);
	tcase_add_loop_test(limits, test_binary_sweep_matches_reference, 0, SWEEP_N);
	tcase_add_loop_test(limits, test_softmax_sweep_matches_reference, 0, SWEEP_N);
	tcase_add_test(limits, test_chain_matches_reference_twice);
	tcase_add_test(limits, test_conv_and_dwconv_run_from_misaligned_model_bytes);
	tcase_add_test(errors, test_softmax_rejects_wrong_output_quantization);
	tcase_add_test(errors, test_conv_rejects_filter_channel_mismatch);
	tcase_add_test(errors, test_conv_rejects_wrong_output_shape);
	tcase_add_test(errors, test_concat_rejects_inputs_with_other_quantization);
	tcase_add_test(errors, test_logistic_rejects_wrong_output_zero_point);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kernels_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
