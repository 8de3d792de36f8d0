/*
 * pad_s8.c: PAD, int8, constant int32 paddings [rank, 2], padding with the
 * output zero point (real 0), as TFLM does for quantized PAD.
 */
#include <string.h>

#include "core/nn_internal.h"

struct pad {
	const int8_t *in;
	int8_t *out;
	int32_t idims[NN_MAX_DIMS]; /* padded in front with 1s */
	int32_t odims[NN_MAX_DIMS];
	int32_t before[NN_MAX_DIMS];
	int32_t value;
};

int
nn_pad_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, pads, out;
	int32_t in_idx, pads_idx, out_idx;
	int i, p;
	struct pad tmp, *d = c->data;

	if (c->oi.in.n < 2 || c->oi.in.n > 3 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 2 inputs and 1 output", NN__NOVAL, NULL);
	if (c->oi.in.n == 3 && nn__op_in(c->m, &c->oi, 2) >= 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "constant_values input unsupported", NN__NOVAL,
		                    NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_in(c, 1, &pads, &pads_idx) < 0 ||
	    nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &in, "input") < 0 || nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (in.zp != out.zp || in.scale != out.scale)
		return nn__ctx_fail(c, NN_ENOTSUP, "output quantization differs from the input",
		                    NN__NOVAL, NULL);
	if (pads.type != NN_INT32 || !pads.cdata || pads.elems != 2u * (uint32_t)in.ndim ||
	    in.ndim != out.ndim || in.ndim < 1)
		return nn__ctx_fail(c, NN_ENOTSUP, "paddings must be a constant int32 [rank, 2]",
		                    NN__NOVAL, NULL);
	memset(&tmp, 0, sizeof(tmp));
	p = NN_MAX_DIMS - in.ndim;
	for (i = 0; i < NN_MAX_DIMS; i++) {
		int32_t b = 0, a = 0;

		tmp.idims[i] = i >= p ? in.dims[i - p] : 1;
		if (i >= p) {
			b = nn__ld32(pads.cdata + 8 * (i - p));
			a = nn__ld32(pads.cdata + 8 * (i - p) + 4);
		}
		if (b < 0 || a < 0 ||
		    (int64_t)tmp.idims[i] + b + a != (i >= p ? out.dims[i - p] : 1))
			return nn__ctx_fail(c, NN_EMODEL, "paddings do not match the output shape",
			                    NN__NOVAL, NULL);
		tmp.before[i] = b;
		tmp.odims[i] = tmp.idims[i] + b + a;
	}
	c->data_size = sizeof(struct pad);
	if (!d)
		return NN_OK;
	tmp.in = nn__ctx_ptr(c, in_idx);
	tmp.out = nn__ctx_ptr(c, out_idx);
	tmp.value = out.zp;
	*d = tmp;
	return NN_OK;
}

void
nn_pad_s8_eval(const void *data, void *scratch)
{
	const struct pad *d = data;
	const int last = NN_MAX_DIMS - 1;
	const int32_t ow = d->odims[last], iw = d->idims[last], b = d->before[last];
	int32_t idx[NN_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
	int8_t *o = d->out;
	const int8_t *x = d->in;
	int k;

	(void)scratch;
	/* One output row (innermost dim) at a time; idx walks the outer dims. */
	for (;;) {
		int inside = 1;

		for (k = 0; k < last; k++)
			if (idx[k] < d->before[k] || idx[k] >= d->before[k] + d->idims[k])
				inside = 0;
		if (inside) {
			memset(o, (int8_t)d->value, (size_t)b);
			memcpy(o + b, x, (size_t)iw);
			memset(o + b + iw, (int8_t)d->value, (size_t)(ow - b - iw));
			x += iw;
		} else {
			memset(o, (int8_t)d->value, (size_t)ow);
		}
		o += ow;
		for (k = last - 1; k >= 0; k--) {
			if (++idx[k] < d->odims[k])
				break;
			idx[k] = 0;
		}
		if (k < 0)
			break;
	}
}
