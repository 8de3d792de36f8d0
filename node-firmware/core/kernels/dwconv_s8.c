/*
 * dwconv_s8.c: DEPTHWISE_CONV_2D, int8, per-channel or per-tensor weights,
 * any depth multiplier, kernel, stride, dilation, SAME/VALID.
 *
 * TFLite reference semantics (reference_integer_ops::DepthwiseConvPerChannel):
 * output channel oc = ic * depth_multiplier + m reads input channel ic;
 * acc = bias + sum over in-image taps of w[ky][kx][oc] * (x - in_zp).
 *
 * Loop order: output pixel, then blocks of four output channels kept in
 * registers, then the valid taps. Both the input and the filter are read
 * channel-contiguously, and no scratch or im2col buffer is needed.
 */
#include "core/nn_internal.h"

struct dwconv {
	const int8_t *in;    /* [n, ih, iw, ic] */
	const int8_t *w;     /* [1, kh, kw, oc] */
	const uint8_t *bias; /* int32 [oc] in model bytes, or NULL */
	int8_t *out;         /* [n, oh, ow, oc] */
	int32_t in_off, out_zp, act_min, act_max;
	int32_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, ph, pw, dm;
	int32_t per_channel;
	/* followed by int32 mult[n_mult], int8 shift[n_mult] */
};

int
nn_dwconv_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, w, out;
	int32_t in_idx, w_idx, out_idx, bias_idx, act;
	int32_t padding, sw, sh, dw, dh, dm, oh, ow, ph, pw, lo, hi;
	int err = NN_OK, nm;
	struct dwconv *d = c->data;

	if (nn__ctx_opts(c, 2) < 0)
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
	if (in.ndim != 4 || w.ndim != 4 || out.ndim != 4)
		return nn__ctx_fail(c, NN_ENOTSUP, "only 4-D input, filter and output", NN__NOVAL,
		                    NULL);
	padding = sw = sh = 0;
	dw = dh = dm = 1;
	act = 0;
	if (c->oi.has_opt) {
		padding = nn__fb_i8(c->m, &c->oi.opt, 0, 0, &err);
		sw = nn__fb_i32(c->m, &c->oi.opt, 1, 0, &err);
		sh = nn__fb_i32(c->m, &c->oi.opt, 2, 0, &err);
		dm = nn__fb_i32(c->m, &c->oi.opt, 3, 0, &err);
		act = nn__fb_i8(c->m, &c->oi.opt, 4, 0, &err);
		dw = nn__fb_i32(c->m, &c->oi.opt, 5, 1, &err);
		dh = nn__fb_i32(c->m, &c->oi.opt, 6, 1, &err);
	}
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	if (padding != 0 && padding != 1)
		return nn__ctx_fail(c, NN_ENOTSUP, "padding ", padding, " unsupported");
	if (sw < 1 || sh < 1 || sw > 1024 || sh > 1024)
		return nn__ctx_fail(c, NN_ENOTSUP, "stride ", sw < 1 || sw > 1024 ? sw : sh,
		                    " unsupported");
	if (dw < 1 || dh < 1 || dw > 1024 || dh > 1024)
		return nn__ctx_fail(c, NN_ENOTSUP, "dilation ", dw < 1 || dw > 1024 ? dw : dh,
		                    " unsupported");
	if (w.dims[0] != 1 || w.dims[3] != out.dims[3] || in.dims[0] != out.dims[0])
		return nn__ctx_fail(c, NN_EMODEL, "filter shape does not match output", NN__NOVAL,
		                    NULL);
	if (w.dims[1] < 1 || w.dims[2] < 1 || in.dims[1] < 1 || in.dims[2] < 1 || in.dims[3] < 1 ||
	    out.dims[3] < 1)
		return nn__ctx_fail(c, NN_EMODEL, "empty tensor", NN__NOVAL, NULL);
	/* TFLite derives the multiplier from the shapes; the option must agree if set. */
	if (out.dims[3] % in.dims[3] != 0)
		return nn__ctx_fail(c, NN_EMODEL, "output depth not a multiple of input depth",
		                    NN__NOVAL, NULL);
	if (dm != 0 && dm != out.dims[3] / in.dims[3])
		return nn__ctx_fail(c, NN_EMODEL, "depth multiplier ", dm,
		                    " does not match the shapes");
	dm = out.dims[3] / in.dims[3];
	nn__padding(padding == 0, sh, dh, in.dims[1], w.dims[1], &oh, &ph);
	nn__padding(padding == 0, sw, dw, in.dims[2], w.dims[2], &ow, &pw);
	if (oh != out.dims[1] || ow != out.dims[2])
		return nn__ctx_fail(c, NN_EMODEL, "output size ", out.dims[1],
		                    " does not match padding and stride");
	if (nn__act_range(act, out.scale, out.zp, &lo, &hi) < 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "fused activation ", act, " unsupported");
	nm = nn__ctx_wquant(c, &w, 3, out.dims[3], bias_idx, in.scale, out.scale, NULL, NULL);
	if (nm < 0)
		return nm;
	c->data_size = sizeof(struct dwconv) + (size_t)nm * 5;
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
	d->n = in.dims[0];
	d->ih = in.dims[1];
	d->iw = in.dims[2];
	d->ic = in.dims[3];
	d->oh = oh;
	d->ow = ow;
	d->oc = out.dims[3];
	d->kh = w.dims[1];
	d->kw = w.dims[2];
	d->sh = sh;
	d->sw = sw;
	d->dh = dh;
	d->dw = dw;
	d->ph = ph;
	d->pw = pw;
	d->dm = dm;
	d->per_channel = nm > 1;
	return nn__ctx_wquant(c, &w, 3, out.dims[3], bias_idx, in.scale, out.scale,
	                      (int32_t *)(void *)(d + 1), (int8_t *)(void *)(d + 1) + 4 * nm) < 0
	               ? NN_EQUANT
	               : NN_OK;
}

void
nn_dwconv_s8_eval(const void *data, void *scratch)
{
	const struct dwconv *d = data;
	const int32_t *mult = (const int32_t *)(const void *)(d + 1);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	const int32_t off = d->in_off, ic = d->ic, oc_n = d->oc, dm = d->dm;
	const int32_t rowstep = d->dh * d->iw * ic, colstep = d->dw * ic;
	int8_t *out = d->out;
	int32_t b, oy, ox;

	(void)scratch;
	for (b = 0; b < d->n; b++) {
		const int8_t *img = d->in + (size_t)b * d->ih * d->iw * ic;

		for (oy = 0; oy < d->oh; oy++) {
			int32_t iy0 = oy * d->sh - d->ph;
			int32_t ky0 = iy0 < 0 ? (-iy0 + d->dh - 1) / d->dh : 0;
			int32_t ky1 = (d->ih - iy0 + d->dh - 1) / d->dh;

			if (ky1 > d->kh)
				ky1 = d->kh;
			for (ox = 0; ox < d->ow; ox++) {
				int32_t ix0 = ox * d->sw - d->pw;
				int32_t kx0 = ix0 < 0 ? (-ix0 + d->dw - 1) / d->dw : 0;
				int32_t kx1 = (d->iw - ix0 + d->dw - 1) / d->dw;
				const int8_t *x0, *w0;
				int32_t oc;

				if (kx1 > d->kw)
					kx1 = d->kw;
				x0 = img +
				     ((size_t)(iy0 + ky0 * d->dh) * d->iw + (ix0 + kx0 * d->dw)) *
				             ic;
				w0 = d->w + ((size_t)ky0 * d->kw + kx0) * oc_n;
				for (oc = 0; oc < oc_n; oc += 4) {
					int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky, kx, j, nb;
					int32_t c0, c1, c2, c3;
					const int8_t *xr = x0, *wr = w0 + oc;

					nb = oc_n - oc < 4 ? oc_n - oc : 4;
					/* input channel of each of the four output channels */
					c0 = oc / dm;
					c1 = nb > 1 ? (oc + 1) / dm : c0;
					c2 = nb > 2 ? (oc + 2) / dm : c0;
					c3 = nb > 3 ? (oc + 3) / dm : c0;
					for (ky = ky0; ky < ky1; ky++) {
						const int8_t *x = xr, *w = wr;

						for (kx = kx0; kx < kx1; kx++) {
							a0 += (x[c0] + off) * w[0];
							if (nb == 4) {
								a1 += (x[c1] + off) * w[1];
								a2 += (x[c2] + off) * w[2];
								a3 += (x[c3] + off) * w[3];
							} else {
								if (nb > 1)
									a1 += (x[c1] + off) * w[1];
								if (nb > 2)
									a2 += (x[c2] + off) * w[2];
							}
							x += colstep;
							w += oc_n;
						}
						xr += rowstep;
						wr += (size_t)d->kw * oc_n;
					}
					for (j = 0; j < nb; j++) {
						int32_t ch = oc + j, mi = d->per_channel ? ch : 0;
						int32_t a = j == 0   ? a0
						            : j == 1 ? a1
						            : j == 2 ? a2
						                     : a3;

						if (d->bias)
							a += nn__ld32(d->bias + 4 * ch);
						out[ch] = nn__requant(a, mult[mi], shift[mi],
						                      d->out_zp, d->act_min,
						                      d->act_max);
					}
				}
				out += oc_n;
			}
		}
	}
}
