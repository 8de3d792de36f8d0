/*
 * logistic_s8.c: LOGISTIC, int8 in, int8 out (scale 1/256, zero point -128).
 *
 * TFLite's reference_integer_ops::Logistic: the input is rescaled to Q4.27
 * (multiplier from in_scale * 2^27), inputs beyond the radius saturate, the
 * rest go through gemmlowp's fixed-point logistic.
 */
#include "fixedpoint.h"

/* Shared with tanh_s8.c: a unary int8 op with a Q4.27 input rescale. */
struct q4op {
	const int8_t *in;
	int8_t *out;
	uint32_t n;
	int32_t zp, mult, shift, radius;
};

int nn__q4op_prepare(struct nn__ctx *c, int32_t out_zp, float out_scale);

int
nn__q4op_prepare(struct nn__ctx *c, int32_t out_zp, float out_scale)
{
	struct nn__tinfo in, out;
	int32_t in_idx, out_idx, m;
	int sh;
	struct q4op *d = c->data;

	if (c->oi.in.n != 1 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1 input and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &in, "input") < 0 || nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (out.zp != out_zp || out.scale != out_scale)
		return nn__ctx_fail(c, NN_EQUANT, "output zero point must be ", out_zp,
		                    " with the fixed output scale");
	if (in.elems != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "input and output sizes differ", NN__NOVAL, NULL);
	/* frexp(in_scale * 2^27): the shift is the exponent. */
	if (nn__quant_mult_prod(in.scale, 1.0f, 27, 0, &m, &sh) < 0 || sh > 30)
		return nn__ctx_fail(c, NN_EQUANT, "input scale out of range", NN__NOVAL, NULL);
	c->data_size = sizeof(struct q4op);
	if (!d)
		return NN_OK;
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->n = in.elems;
	d->zp = in.zp;
	d->mult = m;
	d->shift = sh;
	/* CalculateInputRadius(4, shift, 31) = floor(15 * 2^27 / 2^shift). */
	d->radius = sh <= 0 ? INT32_MAX : (int32_t)(((int64_t)15 << 27) >> sh);
	return NN_OK;
}

int
nn_logistic_s8_prepare(struct nn__ctx *c)
{
	return nn__q4op_prepare(c, -128, 1.0f / 256);
}

void
nn_logistic_s8_eval(const void *data, void *scratch)
{
	const struct q4op *d = data;
	uint32_t i;

	(void)scratch;
	for (i = 0; i < d->n; i++) {
		int32_t v = d->in[i] - d->zp, o;

		if (v <= -d->radius) {
			o = -128;
		} else if (v >= d->radius) {
			o = 127;
		} else {
			int32_t a = nn__mbqm(v, d->mult, d->shift), r;

			if (a == 0) {
				r = 1 << 30;
			} else {
				int32_t pos = fp_one_over_one_plus_x(fp_exp_neg(a > 0 ? -a : a, 4));

				r = a > 0 ? pos : INT32_MAX - pos;
			}
			o = fp_rdbpot(r, 23) - 128;
			o = o < -128 ? -128 : o > 127 ? 127 : o;
		}
		d->out[i] = (int8_t)o;
	}
}
