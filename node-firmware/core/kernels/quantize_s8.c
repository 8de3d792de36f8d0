/*
 * quantize_s8.c: QUANTIZE to int8, from int8 (requantize: TFLite's
 * Requantize with QuantizeMultiplier(in_scale / out_scale)) or from float32
 * (AffineQuantize: round(x / scale) + zero point, single precision).
 */
#include "core/nn_internal.h"

struct quantize {
	const void *in;
	int8_t *out;
	uint32_t n;
	int32_t from_float; /* 1: float32 input */
	int32_t in_zp, out_zp, mult, shift;
	float out_scale;
};

int
nn_quantize_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, out;
	int32_t in_idx, out_idx, m = 0;
	int sh = 0;
	struct quantize *d = c->data;

	if (c->oi.in.n != 1 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1 input and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (in.elems != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "input and output sizes differ", NN__NOVAL, NULL);
	if (in.type == NN_INT8) {
		if (nn__ctx_q8(c, &in, "input") < 0)
			return NN_ENOTSUP;
		if (nn__quant_check(in.scale, 1.0f, out.scale, 0) < 0)
			return nn__ctx_fail(c, NN_EQUANT, "scale ratio out of range", NN__NOVAL,
			                    NULL);
	} else if (in.type != NN_FLOAT32) {
		return nn__ctx_fail(c, NN_ENOTSUP, "only int8 or float32 input is supported",
		                    NN__NOVAL, NULL);
	}
	c->data_size = sizeof(struct quantize);
	if (!d)
		return NN_OK;
	if (in.type == NN_INT8)
		nn__quant_mult(in.scale, 1.0f, out.scale, 0, &m, &sh);
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->n = in.elems;
	d->from_float = in.type == NN_FLOAT32;
	d->in_zp = in.zp;
	d->out_zp = out.zp;
	d->mult = m;
	d->shift = sh;
	d->out_scale = out.scale;
	return NN_OK;
}

void
nn_quantize_s8_eval(const void *data, void *scratch)
{
	const struct quantize *d = data;
	uint32_t i;

	(void)scratch;
	if (d->from_float) {
		const float *x = d->in;

		for (i = 0; i < d->n; i++) {
			int32_t v = nn__quantize_f(x[i], d->out_scale, d->out_zp);

			d->out[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
		}
	} else {
		const int8_t *x = d->in;

		for (i = 0; i < d->n; i++)
			d->out[i] = nn__requant(x[i] - d->in_zp, d->mult, d->shift, d->out_zp, -128,
			                        127);
	}
}
