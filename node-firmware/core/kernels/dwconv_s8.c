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

int
nn_dwconv_s8_prepare(struct nn__ctx *c)
{
	return nn__conv_prepare(c, 1);
}

void
nn_dwconv_s8_eval(const void *data, void *scratch)
{
	const struct nn__conv *d = data;
	const int32_t *mult = (const int32_t *)(const void *)(d + 1);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	const int32_t off = d->in_off, ic = d->ic, oc_n = d->oc, dm = d->dm;
	const int32_t rowstep = d->dh * d->iw * ic, colstep = d->dw * ic;
#ifdef NN__DSP
	const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;
#endif
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
					const int8_t *xr = x0, *wr = w0 + oc;

					nb = oc_n - oc < 4 ? oc_n - oc : 4;
					if (dm == 1 && nb == 4) {
						/* depth multiplier 1: four channels side by side in
						 * both the input and the filter */
						for (ky = ky0; ky < ky1; ky++) {
							const int8_t *x = xr + oc, *w = wr;

							for (kx = kx0; kx < kx1; kx++) {
#ifdef NN__DSP
								uint32_t xv = nn__ld4(x),
								         wv = nn__ld4(w);
								uint32_t xe = nn__sxtab16(offs, xv);
								uint32_t xo =
								        nn__sxtab16_hi(offs, xv);
								uint32_t we = nn__sxtb16(wv);
								uint32_t wo = nn__sxtb16_hi(wv);

								a0 = nn__smlabb(xe, we, a0);
								a2 = nn__smlatt(xe, we, a2);
								a1 = nn__smlabb(xo, wo, a1);
								a3 = nn__smlatt(xo, wo, a3);
#else
								a0 += (x[0] + off) * w[0];
								a1 += (x[1] + off) * w[1];
								a2 += (x[2] + off) * w[2];
								a3 += (x[3] + off) * w[3];
#endif
								x += colstep;
								w += oc_n;
							}
							xr += rowstep;
							wr += (size_t)d->kw * oc_n;
						}
					} else {
						/* input channel of each of the four output channels */
						int32_t c0 = oc / dm;
						int32_t c1 = nb > 1 ? (oc + 1) / dm : c0;
						int32_t c2 = nb > 2 ? (oc + 2) / dm : c0;
						int32_t c3 = nb > 3 ? (oc + 3) / dm : c0;

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
										a1 += (x[c1] +
										       off) *
										      w[1];
									if (nb > 2)
										a2 += (x[c2] +
										       off) *
										      w[2];
								}
								x += colstep;
								w += oc_n;
							}
							xr += rowstep;
							wr += (size_t)d->kw * oc_n;
						}
					}
					for (j = 0; j < nb; j++) {
						int32_t ch = oc + j, mi = d->per_channel ? ch : 0;
						int32_t a = j == 0   ? a0
						            : j == 1 ? a1
						            : j == 2 ? a2
						                     : a3;

						if (d->bias)
							a = nn__addw(a, nn__ld32(d->bias + 4 * ch));
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
