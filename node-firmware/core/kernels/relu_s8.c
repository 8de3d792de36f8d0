/*
 * relu_s8.c: RELU and RELU6, int8.
 *
 * TFLM semantics: RELU requantizes to the output quantization
 * (QuantizeMultiplier(in_scale / out_scale)) and clamps at the output zero
 * point; RELU6 clamps the raw input between its zero point and the quantized
 * 6.0 and does not rescale.
 */
#include "core/nn_internal.h"

struct relu {
	const int8_t *in;
	int8_t *out;
	uint32_t n;
	int32_t is_relu6;
	int32_t in_zp, out_zp, mult, shift, lo, hi;
};

int
nn_relu_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, out;
	int32_t in_idx, out_idx, m = 0, lo, hi;
	int sh = 0, relu6 = c->oi.code == NN_OP_RELU6;
	struct relu *d = c->data;

	if (c->oi.in.n != 1 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1 input and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &in, "input") < 0 || nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (in.elems != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "input and output sizes differ", NN__NOVAL, NULL);
	if (!relu6 && nn__quant_check(in.scale, 1.0f, out.scale, 0) < 0)
		return nn__ctx_fail(c, NN_EQUANT, "scale ratio out of range", NN__NOVAL, NULL);
	c->data_size = sizeof(struct relu);
	if (!d)
		return NN_OK;
	if (relu6) {
		lo = in.zp;
		hi = nn__quantize_f(6.0f, in.scale, in.zp);
		hi = hi < -128 ? -128 : hi > 127 ? 127 : hi;
	} else {
		nn__quant_mult(in.scale, 1.0f, out.scale, 0, &m, &sh);
		lo = out.zp > -128 ? out.zp : -128;
		hi = 127;
	}
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->n = in.elems;
	d->is_relu6 = relu6;
	d->in_zp = in.zp;
	d->out_zp = out.zp;
	d->mult = m;
	d->shift = sh;
	d->lo = lo;
	d->hi = hi;
	return NN_OK;
}

void
nn_relu_s8_eval(const void *data, void *scratch)
{
	const struct relu *d = data;
	uint32_t i;

	(void)scratch;
	if (d->is_relu6) {
		for (i = 0; i < d->n; i++) {
			int32_t v = d->in[i];

			d->out[i] = (int8_t)(v < d->lo ? d->lo : v > d->hi ? d->hi : v);
		}
		return;
	}
	for (i = 0; i < d->n; i++)
		d->out[i] = nn__requant(d->in[i] - d->in_zp, d->mult, d->shift, d->out_zp, d->lo,
		                        d->hi);
}
