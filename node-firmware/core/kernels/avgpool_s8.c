/*
 * avgpool_s8.c: AVERAGE_POOL_2D, int8, SAME/VALID, any window and stride.
 *
 * TFLite reference semantics (reference_integer_ops::AveragePool): the
 * average is over the in-image part of the window only, rounded half away
 * from zero by integer division; no rescaling (input and output share their
 * quantization in converted models); fused activation clamp.
 */
#include "core/nn_internal.h"

struct pool {
	const int8_t *in;
	int8_t *out;
	int32_t act_min, act_max;
	int32_t n, ih, iw, c, oh, ow, fh, fw, sh, sw, ph, pw;
};

/* Shared by AVERAGE_POOL_2D and MAX_POOL_2D (Pool2DOptions, type 5). */
int nn__pool_prepare(struct nn__ctx *c);

int
nn__pool_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, out;
	struct nn__window g;
	const struct nn__tab *o = &c->oi.opt;
	int32_t in_idx, out_idx;
	int err = NN_OK, r, h = 0;
	struct pool *d = c->data;

	if (nn__ctx_opts(c, 5) < 0)
		return NN_EMODEL;
	if (c->oi.in.n != 1 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1 input and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if ((r = nn__ctx_q8(c, &in, "input")) < 0 || (r = nn__ctx_q8(c, &out, "output")) < 0)
		return r;
	if (in.ndim != 4 || out.ndim != 4)
		return nn__ctx_fail(c, NN_ENOTSUP, "only 4-D input and output", NN__NOVAL, NULL);
	/* Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, act */
	h = c->oi.has_opt;
	g.padding = h ? nn__fb_i8(c->m, o, 0, 0, &err) : 0;
	g.sw = h ? nn__fb_i32(c->m, o, 1, 0, &err) : 0;
	g.sh = h ? nn__fb_i32(c->m, o, 2, 0, &err) : 0;
	g.kw = h ? nn__fb_i32(c->m, o, 3, 0, &err) : 0;
	g.kh = h ? nn__fb_i32(c->m, o, 4, 0, &err) : 0;
	g.act = h ? nn__fb_i8(c->m, o, 5, 0, &err) : 0;
	g.dw = g.dh = 1;
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	if (in.dims[0] != out.dims[0] || in.dims[3] != out.dims[3])
		return nn__ctx_fail(c, NN_EMODEL, "output batch or depth differs from input",
		                    NN__NOVAL, NULL);
	if ((r = nn__ctx_window(c, &in, &out, &g)) < 0)
		return r;
	c->data_size = sizeof(struct pool);
	if (!d)
		return NN_OK;
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->act_min = g.act_min;
	d->act_max = g.act_max;
	d->n = in.dims[0];
	d->ih = in.dims[1];
	d->iw = in.dims[2];
	d->c = in.dims[3];
	d->oh = g.oh;
	d->ow = g.ow;
	d->fh = g.kh;
	d->fw = g.kw;
	d->sh = g.sh;
	d->sw = g.sw;
	d->ph = g.ph;
	d->pw = g.pw;
	return NN_OK;
}

int
nn_avgpool_s8_prepare(struct nn__ctx *c)
{
	return nn__pool_prepare(c);
}

void
nn_avgpool_s8_eval(const void *data, void *scratch)
{
	const struct pool *d = data;
	int8_t *out = d->out;
	int32_t b, oy, ox, ch, y, x;

	(void)scratch;
	for (b = 0; b < d->n; b++)
		for (oy = 0; oy < d->oh; oy++)
			for (ox = 0; ox < d->ow; ox++) {
				int32_t iy0 = oy * d->sh - d->ph, ix0 = ox * d->sw - d->pw;
				int32_t y0 = iy0 < 0 ? 0 : iy0, x0 = ix0 < 0 ? 0 : ix0;
				int32_t y1 = iy0 + d->fh > d->ih ? d->ih : iy0 + d->fh;
				int32_t x1 = ix0 + d->fw > d->iw ? d->iw : ix0 + d->fw;
				int32_t count = (y1 - y0) * (x1 - x0);

				for (ch = 0; ch < d->c; ch++) {
					int32_t acc = 0;

					for (y = y0; y < y1; y++) {
						const int8_t *p = d->in +
						                  (((size_t)b * d->ih + y) * d->iw +
						                   x0) * d->c +
						                  ch;

						for (x = x0; x < x1; x++, p += d->c)
							acc += *p;
					}
					if (count > 0)
						acc = acc > 0 ? (acc + count / 2) / count
						              : (acc - count / 2) / count;
					acc = acc < d->act_min ? d->act_min : acc;
					acc = acc > d->act_max ? d->act_max : acc;
					*out++ = (int8_t)acc;
				}
			}
}

int
nn_maxpool_s8_prepare(struct nn__ctx *c)
{
	return nn__pool_prepare(c);
}

void
nn_maxpool_s8_eval(const void *data, void *scratch)
{
	const struct pool *d = data;
	int8_t *out = d->out;
	int32_t b, oy, ox, ch, y, x;

	(void)scratch;
	for (b = 0; b < d->n; b++)
		for (oy = 0; oy < d->oh; oy++)
			for (ox = 0; ox < d->ow; ox++) {
				int32_t iy0 = oy * d->sh - d->ph, ix0 = ox * d->sw - d->pw;
				int32_t y0 = iy0 < 0 ? 0 : iy0, x0 = ix0 < 0 ? 0 : ix0;
				int32_t y1 = iy0 + d->fh > d->ih ? d->ih : iy0 + d->fh;
				int32_t x1 = ix0 + d->fw > d->iw ? d->iw : ix0 + d->fw;

				for (ch = 0; ch < d->c; ch++) {
					int32_t m = -128;

					for (y = y0; y < y1; y++) {
						const int8_t *p = d->in +
						                  (((size_t)b * d->ih + y) * d->iw +
						                   x0) * d->c +
						                  ch;

						for (x = x0; x < x1; x++, p += d->c)
							m = *p > m ? *p : m;
					}
					m = m < d->act_min ? d->act_min : m;
					m = m > d->act_max ? d->act_max : m;
					*out++ = (int8_t)m;
				}
			}
}
