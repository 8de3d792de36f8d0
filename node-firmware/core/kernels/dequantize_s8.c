/*
 * dequantize_s8.c: DEQUANTIZE int8 -> float32. TFLite computes
 * (double)scale * (x - zp) and rounds to float; that product is exact in a
 * double (24 x 9 bits), so one single-precision multiply rounds it the same
 * way and no double arithmetic is needed.
 */
#include "core/nn_internal.h"

struct dequantize {
	const int8_t *in;
	float *out;
	uint32_t n;
	int32_t zp;
	float scale;
};

int
nn_dequantize_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, out;
	int32_t in_idx, out_idx;
	struct dequantize *d = c->data;

	if (c->oi.in.n != 1 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1 input and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &in, "input") < 0)
		return NN_ENOTSUP;
	if (out.type != NN_FLOAT32)
		return nn__ctx_fail(c, NN_ENOTSUP, "only float32 output is supported", NN__NOVAL,
		                    NULL);
	if (in.elems != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "input and output sizes differ", NN__NOVAL, NULL);
	c->data_size = sizeof(struct dequantize);
	if (!d)
		return NN_OK;
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->n = in.elems;
	d->zp = in.zp;
	d->scale = in.scale;
	return NN_OK;
}

void
nn_dequantize_s8_eval(const void *data, void *scratch)
{
	const struct dequantize *d = data;
	uint32_t i;

	(void)scratch;
	for (i = 0; i < d->n; i++)
		d->out[i] = d->scale * (float)(d->in[i] - d->zp);
}
