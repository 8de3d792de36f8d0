/*
 * conv_common.c: the prepare CONV_2D and DEPTHWISE_CONV_2D share: inputs,
 * options, window geometry, per-channel multipliers and the op data both
 * evals read (struct nn__conv). Sharing it halves the setup code on a node.
 */
#include "core/nn_internal.h"

int
nn__conv_prepare(struct nn__ctx *c, int depthwise)
{
	struct nn__tinfo in, w, out;
	struct nn__window g;
	int32_t in_idx, w_idx, out_idx, bias_idx, dm = 0;
	const struct nn__tab *o = &c->oi.opt;
	int err = NN_OK, nm, r, a = depthwise ? 1 : 0;
	struct nn__conv *d = c->data;

	if (nn__ctx_opts(c, depthwise ? 2 : 1) < 0)
		return NN_EMODEL;
	if (c->oi.in.n < 2 || c->oi.in.n > 3 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 2-3 inputs and 1 output", NN__NOVAL,
		                    NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_in(c, 1, &w, &w_idx) < 0 ||
	    nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	bias_idx = nn__op_in(c->m, &c->oi, 2);
	if ((r = nn__ctx_q8(c, &in, "input")) < 0 || (r = nn__ctx_q8(c, &out, "output")) < 0)
		return r;
	if (in.ndim != 4 || w.ndim != 4 || out.ndim != 4)
		return nn__ctx_fail(c, NN_ENOTSUP, "only 4-D input, filter and output", NN__NOVAL,
		                    NULL);
	/* Conv2DOptions: padding, stride_w, stride_h, act, dilation_w, dilation_h;
	 * DepthwiseConv2DOptions has depth_multiplier at 3 and the rest one later. */
	g.padding = c->oi.has_opt ? nn__fb_i8(c->m, o, 0, 0, &err) : 0;
	g.sw = c->oi.has_opt ? nn__fb_i32(c->m, o, 1, 0, &err) : 0;
	g.sh = c->oi.has_opt ? nn__fb_i32(c->m, o, 2, 0, &err) : 0;
	g.act = c->oi.has_opt ? nn__fb_i8(c->m, o, 3 + a, 0, &err) : 0;
	g.dw = c->oi.has_opt ? nn__fb_i32(c->m, o, 4 + a, 1, &err) : 1;
	g.dh = c->oi.has_opt ? nn__fb_i32(c->m, o, 5 + a, 1, &err) : 1;
	if (depthwise && c->oi.has_opt)
		dm = nn__fb_i32(c->m, o, 3, 0, &err);
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	if (in.dims[0] != out.dims[0] || in.dims[3] < 1 || out.dims[3] < 1)
		return nn__ctx_fail(c, NN_EMODEL, "input and output shapes disagree", NN__NOVAL,
		                    NULL);
	if (depthwise) {
		/* TFLite derives the multiplier from the shapes; the option must agree. */
		if (w.dims[0] != 1 || w.dims[3] != out.dims[3] || out.dims[3] % in.dims[3])
			return nn__ctx_fail(c, NN_EMODEL, "filter shape does not match output",
			                    NN__NOVAL, NULL);
		if (dm != 0 && dm != out.dims[3] / in.dims[3])
			return nn__ctx_fail(c, NN_EMODEL, "depth multiplier ", dm,
			                    " does not match the shapes");
		dm = out.dims[3] / in.dims[3];
	} else {
		if (w.dims[3] != in.dims[3])
			return nn__ctx_fail(c, NN_ENOTSUP, "filter depth ", w.dims[3],
			                    " differs from input depth (grouped conv unsupported)");
		if (w.dims[0] != out.dims[3])
			return nn__ctx_fail(c, NN_EMODEL, "output depth does not match filter",
			                    NN__NOVAL, NULL);
	}
	g.kh = w.dims[1];
	g.kw = w.dims[2];
	/* Row steps (dilation or stride x row bytes) must fit the kernels' int32 math. */
	if ((int64_t)(g.dh > g.sh ? g.dh : g.sh) * in.dims[2] * in.dims[3] > 0x7fffffff)
		return nn__ctx_fail(c, NN_ELIMIT, "stride or dilation too large for the input",
		                    NN__NOVAL, NULL);
	if ((r = nn__ctx_window(c, &in, &out, &g)) < 0)
		return r;
	nm = nn__ctx_wquant(c, &w, depthwise ? 3 : 0, out.dims[3], bias_idx, in.scale, out.scale,
	                    NULL, NULL);
	if (nm < 0)
		return nm;
	c->data_size = sizeof(struct nn__conv) + (size_t)nm * 5;
#ifdef NN__DSP
	if (!depthwise) {
		/* conv_s8.c: accumulators (2 pixels x even oc int32), im2col
		 * columns (2 pixels x K int16) and byte staging */
		uint64_t k = (uint64_t)g.kh * (uint64_t)g.kw * (uint64_t)in.dims[3];
		uint64_t s = 8 * ((uint64_t)out.dims[3] + (out.dims[3] & 1)) + 4 * k +
		             (in.dims[3] & 3 ? k : 0);

		c->scratch_size = s > 0x80000000u ? (size_t)0x80000000u : (size_t)s;
	}
#endif
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
	d->act_min = g.act_min;
	d->act_max = g.act_max;
	d->n = in.dims[0];
	d->ih = in.dims[1];
	d->iw = in.dims[2];
	d->ic = in.dims[3];
	d->oh = g.oh;
	d->ow = g.ow;
	d->oc = out.dims[3];
	d->kh = g.kh;
	d->kw = g.kw;
	d->sh = g.sh;
	d->sw = g.sw;
	d->dh = g.dh;
	d->dw = g.dw;
	d->ph = g.ph;
	d->pw = g.pw;
	d->dm = dm;
	d->per_channel = nm > 1;
	nn__ctx_wquant(c, &w, depthwise ? 3 : 0, out.dims[3], bias_idx, in.scale, out.scale,
	               (int32_t *)(void *)(d + 1), (int8_t *)(void *)(d + 1) + 4 * nm);
	d->rq_short = 1;
	for (r = 0; r < nm; r++)
		if (!nn__requant_short_ok(((const int32_t *)(const void *)(d + 1))[r],
		                          ((const int8_t *)(const void *)(d + 1))[4 * nm + r]))
			d->rq_short = 0;
	return NN_OK;
}
