/*
 * mean_s8.c: MEAN, int8, over any set of constant axes, with or without
 * keep_dims.
 *
 * TFLM semantics (reduce_common.cc EvalIntegerMean): int32 sums per output;
 * with identical input/output quantization the mean is sum / count with C
 * (truncating) division; otherwise QuantizedMeanOrSum: the in/out multiplier
 * absorbs 1/count ((mult << s) / count with s = min(floor(log2(count)), 32,
 * 31 + shift)) and (sum - in_zp * count) is requantized. Sums live in
 * planner-provided scratch.
 */
#include <string.h>

#include "core/nn_internal.h"

struct mean {
	const int8_t *in;
	int8_t *out;
	int32_t dims[NN_MAX_DIMS]; /* input shape, padded in front with 1s */
	int32_t ostr[NN_MAX_DIMS]; /* output stride per input dim; 0 = reduced */
	uint32_t n_in, n_out;
	int32_t count;  /* elements per output */
	int32_t same_q; /* identical input/output quantization */
	int32_t in_zp, out_zp, mult, shift;
};

int
nn_mean_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, ax, out;
	int32_t in_idx, ax_idx, out_idx, red[NN_MAX_DIMS], s, m = 0;
	int err = NN_OK, i, pad, sh = 0, keep = 0;
	uint32_t k, n_out = 1;
	int64_t count = 1;
	struct mean tmp, *d = c->data;

	if (nn__ctx_opts(c, 27) < 0)
		return NN_EMODEL;
	if (c->oi.in.n != 2 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 2 inputs and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_in(c, 1, &ax, &ax_idx) < 0 ||
	    nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &in, "input") < 0 || nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (ax.type != NN_INT32 || !ax.cdata)
		return nn__ctx_fail(c, NN_ENOTSUP, "axis must be a constant int32 tensor",
		                    NN__NOVAL, NULL);
	if (c->oi.has_opt)
		keep = nn__fb_u8(c->m, &c->oi.opt, 0, 0, &err);
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	(void)keep; /* the output tensor's shape says the same; only sizes are checked */
	memset(&tmp, 0, sizeof(tmp));
	pad = NN_MAX_DIMS - in.ndim;
	for (i = 0; i < NN_MAX_DIMS; i++) {
		tmp.dims[i] = i >= pad ? in.dims[i - pad] : 1;
		red[i] = 0;
	}
	for (k = 0; k < ax.elems; k++) {
		int32_t a = nn__ld32(ax.cdata + 4 * k);

		if (a < 0)
			a += in.ndim;
		if (a < 0 || a >= in.ndim)
			return nn__ctx_fail(c, NN_EMODEL, "axis ", a, " out of range");
		red[a + pad] = 1;
	}
	for (i = NN_MAX_DIMS - 1, s = 1; i >= 0; i--) {
		if (red[i]) {
			tmp.ostr[i] = 0;
			count *= tmp.dims[i];
		} else {
			tmp.ostr[i] = s;
			s *= tmp.dims[i];
			n_out *= (uint32_t)tmp.dims[i];
		}
	}
	if (n_out != out.elems || count < 1 || count > 0x7fffff)
		return nn__ctx_fail(c, NN_EMODEL, "output size does not match the reduced shape",
		                    NN__NOVAL, NULL);
	tmp.same_q = in.zp == out.zp && in.scale == out.scale;
	if (!tmp.same_q && nn__quant_check(in.scale, 1.0f, out.scale, 0) < 0)
		return nn__ctx_fail(c, NN_EQUANT, "scale ratio out of range", NN__NOVAL, NULL);
	c->data_size = sizeof(struct mean);
	c->scratch_size = (size_t)n_out * sizeof(int32_t);
	if (!d)
		return NN_OK;
	if (!tmp.same_q) {
		int lg = 0;

		nn__quant_mult(in.scale, 1.0f, out.scale, 0, &m, &sh);
		while (((int64_t)2 << lg) <= count)
			lg++;
		lg = lg < 32 ? lg : 32;
		lg = lg < 31 + sh ? lg : 31 + sh;
		m = (int32_t)(((int64_t)m << lg) / count);
		sh -= lg;
	}
	tmp.in = nn__ctx_ptr(c, in_idx);
	tmp.out = nn__ctx_ptr(c, out_idx);
	tmp.n_in = in.elems;
	tmp.n_out = n_out;
	tmp.count = (int32_t)count;
	tmp.in_zp = in.zp;
	tmp.out_zp = out.zp;
	tmp.mult = m;
	tmp.shift = sh;
	*d = tmp;
	return NN_OK;
}

void
nn_mean_s8_eval(const void *data, void *scratch)
{
	const struct mean *d = data;
	int32_t *sum = scratch, idx[NN_MAX_DIMS] = {0, 0, 0, 0, 0, 0}, o = 0;
	uint32_t i;
	int k;

	memset(sum, 0, d->n_out * sizeof(int32_t));
	for (i = 0; i < d->n_in; i++) {
		sum[o] += d->in[i];
		/* advance the input index; keep the output index in step */
		for (k = NN_MAX_DIMS - 1; k >= 0; k--) {
			o += d->ostr[k];
			if (++idx[k] < d->dims[k])
				break;
			o -= d->ostr[k] * d->dims[k];
			idx[k] = 0;
		}
	}
	for (i = 0; i < d->n_out; i++) {
		if (d->same_q) {
			d->out[i] = (int8_t)(sum[i] / d->count);
		} else {
			int32_t v = nn__mbqm(sum[i] - d->in_zp * d->count, d->mult, d->shift) +
			            d->out_zp;

			d->out[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
		}
	}
}
