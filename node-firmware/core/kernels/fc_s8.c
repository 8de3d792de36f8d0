/*
 * fc_s8.c: FULLY_CONNECTED, int8 input/output, int8 weights [out, in]
 * (per-tensor or per-channel scales), optional int32 bias.
 *
 * TFLite reference semantics (reference_integer_ops::FullyConnected):
 * acc = bias + sum w * (x - in_zp); MultiplyByQuantizedMultiplier; + out_zp;
 * clamp. Four output rows share every input load.
 */
#include "core/nn_internal.h"

struct fc {
	const int8_t *in;    /* [batches, depth] */
	const int8_t *w;     /* [units, depth] */
	const uint8_t *bias; /* int32 [units] or NULL */
	int8_t *out;         /* [batches, units] */
	int32_t in_off, out_zp, act_min, act_max;
	int32_t batches, depth, units, per_channel;
	/* followed by int32 mult[n_mult], int8 shift[n_mult] */
};

int
nn_fc_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, w, out;
	int32_t in_idx, w_idx, out_idx, bias_idx, act = 0, wf = 0, lo, hi;
	int err = NN_OK, nm;
	struct fc *d = c->data;

	if (nn__ctx_opts(c, 8) < 0)
		return NN_EMODEL;
	if (c->oi.in.n < 2 || c->oi.in.n > 3 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 2-3 inputs and 1 output", NN__NOVAL,
		                    NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_in(c, 1, &w, &w_idx) < 0 ||
	    nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	bias_idx = nn__op_in(c->m, &c->oi, 2);
	if (nn__ctx_q8(c, &in, "input") < 0 || nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (c->oi.has_opt) {
		act = nn__fb_i8(c->m, &c->oi.opt, 0, 0, &err);
		wf = nn__fb_i8(c->m, &c->oi.opt, 1, 0, &err);
	}
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	if (wf != 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "weights format ", wf, " unsupported");
	if (w.ndim != 2 || w.dims[1] < 1 || w.dims[0] < 1)
		return nn__ctx_fail(c, NN_ENOTSUP, "filter must be 2-D [units, depth]", NN__NOVAL,
		                    NULL);
	if (in.elems % (uint32_t)w.dims[1] != 0)
		return nn__ctx_fail(c, NN_EMODEL, "input size not a multiple of depth ", w.dims[1],
		                    NULL);
	if ((uint64_t)(in.elems / (uint32_t)w.dims[1]) * (uint32_t)w.dims[0] != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "output size does not match ", w.dims[0],
		                    " units");
	if (nn__act_range(act, out.scale, out.zp, &lo, &hi) < 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "fused activation ", act, " unsupported");
	nm = nn__ctx_wquant(c, &w, 0, w.dims[0], bias_idx, in.scale, out.scale, NULL, NULL);
	if (nm < 0)
		return nm;
	c->data_size = sizeof(struct fc) + (size_t)nm * 5;
	if (!d)
		return NN_OK;

	d->in = nn__ctx_ptr(c, in_idx);
	d->w = (const int8_t *)w.cdata;
	d->bias = NULL;
	if (bias_idx >= 0) {
		struct nn__tinfo b;

		nn__tensor(c->m, bias_idx, &b, NULL, 0);
		d->bias = b.cdata;
	}
	d->out = nn__ctx_ptr(c, out_idx);
	d->in_off = -in.zp;
	d->out_zp = out.zp;
	d->act_min = lo;
	d->act_max = hi;
	d->depth = w.dims[1];
	d->units = w.dims[0];
	d->batches = (int32_t)(in.elems / (uint32_t)w.dims[1]);
	d->per_channel = nm > 1;
	return nn__ctx_wquant(c, &w, 0, w.dims[0], bias_idx, in.scale, out.scale,
	                      (int32_t *)(void *)(d + 1), (int8_t *)(void *)(d + 1) + 4 * nm) < 0
	               ? NN_EQUANT
	               : NN_OK;
}

void
nn_fc_s8_eval(const void *data, void *scratch)
{
	const struct fc *d = data;
	const int32_t *mult = (const int32_t *)(const void *)(d + 1);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->units : 1));
	const int32_t depth = d->depth, off = d->in_off, pc = d->per_channel;
	const int32_t zp = d->out_zp, lo = d->act_min, hi = d->act_max;
	const uint8_t *bias = d->bias;
	int32_t b, u, i;

	(void)scratch;
	for (b = 0; b < d->batches; b++) {
		const int8_t *x = d->in + (size_t)b * depth;
		int8_t *out = d->out + (size_t)b * d->units;

		/* Four rows share each input load; two inputs per iteration halve
		 * the loop overhead. */
		for (u = 0; u + 4 <= d->units; u += 4) {
			const int8_t *w0 = d->w + (size_t)u * depth, *w1 = w0 + depth;
			const int8_t *w2 = w1 + depth, *w3 = w2 + depth;
			const int32_t *mp = mult + u * pc;
			const int8_t *sp = shift + u * pc;
			int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

			i = 0;
#ifdef NN__DSP
			{
				const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;

				for (; i + 4 <= depth; i += 4) {
					uint32_t xv = nn__ld4(x + i), w_;
					uint32_t xe = nn__sxtab16(offs, xv);
					uint32_t xo = nn__sxtab16_hi(offs, xv);

					w_ = nn__ld4(w0 + i);
					a0 = nn__smlad(xo, nn__sxtb16_hi(w_),
					               nn__smlad(xe, nn__sxtb16(w_), a0));
					w_ = nn__ld4(w1 + i);
					a1 = nn__smlad(xo, nn__sxtb16_hi(w_),
					               nn__smlad(xe, nn__sxtb16(w_), a1));
					w_ = nn__ld4(w2 + i);
					a2 = nn__smlad(xo, nn__sxtb16_hi(w_),
					               nn__smlad(xe, nn__sxtb16(w_), a2));
					w_ = nn__ld4(w3 + i);
					a3 = nn__smlad(xo, nn__sxtb16_hi(w_),
					               nn__smlad(xe, nn__sxtb16(w_), a3));
				}
			}
#else
			for (; i + 2 <= depth; i += 2) {
				int32_t v0 = x[i] + off, v1 = x[i + 1] + off;

				a0 += v0 * w0[i] + v1 * w0[i + 1];
				a1 += v0 * w1[i] + v1 * w1[i + 1];
				a2 += v0 * w2[i] + v1 * w2[i + 1];
				a3 += v0 * w3[i] + v1 * w3[i + 1];
			}
#endif
			for (; i < depth; i++) {
				int32_t v0 = x[i] + off;

				a0 += v0 * w0[i];
				a1 += v0 * w1[i];
				a2 += v0 * w2[i];
				a3 += v0 * w3[i];
			}
#if UINTPTR_MAX > 0xffffffffu && !defined(NN__DSP)
			/* hosts: four epilogues inline (hello_world is epilogue-bound) */
			if (bias) {
				a0 = nn__addw(a0, nn__ld32(bias + 4 * u));
				a1 = nn__addw(a1, nn__ld32(bias + 4 * u + 4));
				a2 = nn__addw(a2, nn__ld32(bias + 4 * u + 8));
				a3 = nn__addw(a3, nn__ld32(bias + 4 * u + 12));
			}
			out[u] = nn__requant(a0, mp[0], sp[0], zp, lo, hi);
			out[u + 1] = nn__requant(a1, mp[pc], sp[pc], zp, lo, hi);
			out[u + 2] = nn__requant(a2, mp[2 * pc], sp[2 * pc], zp, lo, hi);
			out[u + 3] = nn__requant(a3, mp[3 * pc], sp[3 * pc], zp, lo, hi);
#else
			/* MCUs (and the DSP-emulating host build, which tests this path):
			 * one epilogue in a loop, for code size */
			{
				int32_t acc[4], j;

				acc[0] = a0;
				acc[1] = a1;
				acc[2] = a2;
				acc[3] = a3;
				for (j = 0; j < 4; j++) {
					int32_t a = acc[j];

					if (bias)
						a = nn__addw(a, nn__ld32(bias + 4 * (u + j)));
					out[u + j] =
					        nn__requant(a, mp[j * pc], sp[j * pc], zp, lo, hi);
				}
			}
#endif
		}
		for (; u < d->units; u++) {
			const int8_t *w0 = d->w + (size_t)u * depth;
			int32_t a0 = 0;

			for (i = 0; i < depth; i++)
				a0 += (x[i] + off) * w0[i];
			if (bias)
				a0 = nn__addw(a0, nn__ld32(bias + 4 * u));
			out[u] = nn__requant(a0, mult[u * pc], shift[u * pc], zp, lo, hi);
		}
	}
}
