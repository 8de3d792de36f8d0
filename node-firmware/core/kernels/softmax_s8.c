/*
 * softmax_s8.c: SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128).
 *
 * Bit-exact port of TFLite's reference_ops::Softmax for int8: the input
 * difference to the row maximum is rescaled by beta * input_scale (Q5.26),
 * exp() is gemmlowp's fixed-point exp_on_negative_values, the sum is kept in
 * Q12.19 and the reciprocal is gemmlowp's Newton-Raphson
 * one_over_one_plus_x_for_x_in_0_1. Setup (PreprocessSoftmaxScaling,
 * CalculateInputRadius) is done in integers.
 */
#include "fixedpoint.h"

struct softmax {
	const int8_t *in;
	int8_t *out;
	int32_t mult;     /* input_beta_multiplier */
	int32_t lshift;   /* input_beta_left_shift */
	int32_t diff_min; /* differences below this give 0 */
	int32_t outer, depth;
};

int
nn_softmax_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, out;
	int32_t in_idx, out_idx, mult;
	int err = NN_OK, shift;
	float beta = 1.0f;
	struct softmax *d = c->data;

	if (nn__ctx_opts(c, 9) < 0)
		return NN_EMODEL;
	if (c->oi.in.n != 1 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1 input and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &in, "input") < 0 || nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (out.zp != -128 || out.scale != 1.0f / 256)
		return nn__ctx_fail(c, NN_EQUANT,
		                    "output must have scale 1/256 and zero point -128", NN__NOVAL,
		                    NULL);
	/* The Q12.19 sum of up to 4096 exponentials (each <= 1) fits in int32;
	 * TFLite's own sum would overflow beyond that. */
	if (in.ndim >= 1 && in.dims[in.ndim - 1] > 4096)
		return nn__ctx_fail(c, NN_ENOTSUP, "softmax over more than 4096 classes", NN__NOVAL,
		                    NULL);
	if (in.ndim < 1 || in.elems != out.elems || in.dims[in.ndim - 1] < 1)
		return nn__ctx_fail(c, NN_EMODEL, "input and output shapes differ", NN__NOVAL,
		                    NULL);
	if (c->oi.has_opt)
		beta = nn__fb_f32(c->m, &c->oi.opt, 0, 1.0f, &err);
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	/* PreprocessSoftmaxScaling(beta, scale, 5): min(beta * scale * 2^26, 2^31 - 1). */
	if (nn__quant_mult_prod(beta, in.scale, 26, 1, &mult, &shift) < 0)
		return nn__ctx_fail(c, NN_EQUANT, "beta or input scale invalid", NN__NOVAL, NULL);
	if (shift < 1 || shift > 31)
		return nn__ctx_fail(c, NN_EQUANT, "beta * input scale out of range", NN__NOVAL,
		                    NULL);
	c->data_size = sizeof(struct softmax);
	if (!d)
		return NN_OK;
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->mult = mult;
	d->lshift = shift;
	/* CalculateInputRadius(5, shift, 31) = floor(31 * 2^26 / 2^shift). */
	d->diff_min = -(int32_t)(((int64_t)31 << 26) >> shift);
	d->depth = in.dims[in.ndim - 1];
	d->outer = (int32_t)(in.elems / (uint32_t)d->depth);
	return NN_OK;
}

static int
clz32(uint32_t x)
{
	int n = 0;

	if (x == 0)
		return 32;
	while (!(x & 0x80000000u)) {
		x <<= 1;
		n++;
	}
	return n;
}

void
nn_softmax_s8_eval(const void *data, void *scratch)
{
	const struct softmax *d = data;
	int32_t i, ch;

	(void)scratch;
	for (i = 0; i < d->outer; i++) {
		const int8_t *x = d->in + (size_t)i * d->depth;
		int8_t *y = d->out + (size_t)i * d->depth;
		int32_t max = -128, sum = 0, shifted_scale, exponent, hp1;

		for (ch = 0; ch < d->depth; ch++)
			max = x[ch] > max ? x[ch] : max;
		for (ch = 0; ch < d->depth; ch++) {
			int32_t diff = x[ch] - max;

			if (diff >= d->diff_min) {
				int32_t r =
				        fp_srdhm((int32_t)((uint32_t)diff << d->lshift), d->mult);

				sum += fp_rdbpot(fp_exp_neg(r, 5), 12);
			}
		}
		/* GetReciprocal(sum, 12, &num_bits_over_unit) */
		hp1 = clz32((uint32_t)sum);
		shifted_scale = fp_one_over_one_plus_x(
		        (int32_t)(((uint32_t)sum << hp1) - ((uint32_t)1 << 31)));
		exponent = (12 - hp1) + 31 - 8;
		for (ch = 0; ch < d->depth; ch++) {
			int32_t diff = x[ch] - max, out = -128;

			if (diff >= d->diff_min) {
				int32_t r =
				        fp_srdhm((int32_t)((uint32_t)diff << d->lshift), d->mult);
				int32_t e = fp_exp_neg(r, 5);

				out = fp_rdbpot(fp_srdhm(shifted_scale, e), exponent) - 128;
				out = out > 127 ? 127 : out < -128 ? -128 : out;
			}
			y[ch] = (int8_t)out;
		}
	}
}
