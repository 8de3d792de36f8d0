/*
 * tanh_s8.c: TANH, int8 in, int8 out (scale 1/128, zero point 0).
 *
 * TFLite's reference_integer_ops::Tanh: Q4.27 input rescale (shared with
 * LOGISTIC), saturation beyond the radius, gemmlowp's fixed-point tanh.
 */
#include "fixedpoint.h"

struct q4op {
	const int8_t *in;
	int8_t *out;
	uint32_t n;
	int32_t zp, mult, shift, radius;
};

int nn__q4op_prepare(struct nn__ctx *c, int32_t out_zp, float out_scale);

int
nn_tanh_s8_prepare(struct nn__ctx *c)
{
	return nn__q4op_prepare(c, 0, 1.0f / 128);
}

void
nn_tanh_s8_eval(const void *data, void *scratch)
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
			int32_t a = nn__mbqm(v, d->mult, d->shift), r = 0;

			if (a != 0) {
				/* exp(2n) for n = -|a|: the same raw value read with 5 integer bits */
				int32_t t = fp_one_minus_x_over_one_plus_x(
				        fp_exp_neg(a < 0 ? a : -a, 5));

				r = a < 0 ? -t : t;
			}
			o = fp_rdbpot(r, 24);
			o = o < -128 ? -128 : o > 127 ? 127 : o;
		}
		d->out[i] = (int8_t)o;
	}
}
