/*
 * conv_s8.c: CONV_2D, int8 activations, int8 weights (per-channel or
 * per-tensor), int32 bias; any kernel size, stride, dilation, SAME/VALID.
 *
 * TFLite reference semantics (reference_integer_ops::ConvPerChannel):
 * acc = bias + sum over in-image taps of w * (x - in_zp), then
 * MultiplyByQuantizedMultiplier, + out_zp, clamp. Padded taps contribute 0.
 *
 * No im2col: for each output pixel the valid taps of one filter row are one
 * contiguous run of (kx1 - kx0) * in_ch bytes in both the input and the
 * weights (dilation 1), so the inner loop is a plain dot product. Four output
 * channels share every input load (register blocking), which also amortises
 * the zero-point add to one per four MACs.
 */
#include "core/nn_internal.h"

#define MULT(d) ((const int32_t *)(const void *)((const struct nn__conv *)(d) + 1))

int
nn_conv_s8_prepare(struct nn__ctx *c)
{
	return nn__conv_prepare(c, 0);
}

/* Four output channels at once over one run: w points at channel 0's run, k is
 * the per-channel filter stride. */
static inline void
dot4(const int8_t *x, const int8_t *w, int32_t k, int32_t n, int32_t off, int32_t *a)
{
	int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], i = 0;
	const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;

#ifdef NN__DSP
	/* Four inputs per step as two halfword pairs (x + off fits in 16 bits);
	 * each weight word splits the same way; SMLAD does two MACs. */
	const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;

	for (; i + 4 <= n; i += 4) {
		uint32_t xv = nn__ld4(x + i), w_;
		uint32_t xe = nn__sxtab16(offs, xv), xo = nn__sxtab16_hi(offs, xv);

		w_ = nn__ld4(w + i);
		a0 = nn__smlad(xo, nn__sxtb16_hi(w_), nn__smlad(xe, nn__sxtb16(w_), a0));
		w_ = nn__ld4(w1 + i);
		a1 = nn__smlad(xo, nn__sxtb16_hi(w_), nn__smlad(xe, nn__sxtb16(w_), a1));
		w_ = nn__ld4(w2 + i);
		a2 = nn__smlad(xo, nn__sxtb16_hi(w_), nn__smlad(xe, nn__sxtb16(w_), a2));
		w_ = nn__ld4(w3 + i);
		a3 = nn__smlad(xo, nn__sxtb16_hi(w_), nn__smlad(xe, nn__sxtb16(w_), a3));
	}
#endif
	for (; i < n; i++) {
		int32_t v = x[i] + off;

		a0 += v * w[i];
		a1 += v * w1[i];
		a2 += v * w2[i];
		a3 += v * w3[i];
	}
	a[0] = a0;
	a[1] = a1;
	a[2] = a2;
	a[3] = a3;
}

static inline int32_t
dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t off)
{
	int32_t a = 0, i;

	for (i = 0; i < n; i++)
		a += (x[i] + off) * w[i];
	return a;
}

#if UINTPTR_MAX > 0xffffffffu && !defined(NN__DSP)
/*
 * 64-bit hosts (the daemon, the POSIX node): two output pixels share every
 * weight, so both inputs travel in one int64 as lo + hi * 2^32 and one 64-bit
 * multiply-add does two MACs. The halves are separated exactly afterwards
 * because each true sum fits in an int32 (as it must in the reference).
 */
#define NN_CONV_PAIRS 1

static inline void
dot4x2(const int8_t *xa, const int8_t *xb, const int8_t *w, int32_t k, int32_t n, int32_t off,
       int64_t *a)
{
	int64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
	const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
	int32_t i;

	for (i = 0; i < n; i++) {
		int64_t v = (int64_t)(xa[i] + off) + (int64_t)(xb[i] + off) * 4294967296;

		a0 += v * w[i];
		a1 += v * w1[i];
		a2 += v * w2[i];
		a3 += v * w3[i];
	}
	a[0] = a0;
	a[1] = a1;
	a[2] = a2;
	a[3] = a3;
}

static inline void
split(int64_t v, int32_t *lo, int32_t *hi)
{
	*lo = (int32_t)(uint32_t)(uint64_t)v;
	*hi = (int32_t)((v - *lo) / 4294967296);
}
#endif

static inline int8_t
finish(const struct nn__conv *d, int32_t acc, int32_t ch, const int32_t *mult, const int8_t *shift)
{
	int32_t mi = d->per_channel ? ch : 0;

	if (d->bias)
		acc = nn__addw(acc, nn__ld32(d->bias + 4 * ch));
	return nn__requant(acc, mult[mi], shift[mi], d->out_zp, d->act_min, d->act_max);
}

/* One output pixel: all output channels, valid taps [ky0,ky1) x [kx0,kx1). */
static void
pixel(const struct nn__conv *d, const int8_t *img, int32_t iy0, int32_t ix0, int32_t ky0,
      int32_t ky1, int32_t kx0, int32_t kx1, int8_t *out, const int32_t *mult, const int8_t *shift)
{
	const int32_t k = d->kh * d->kw * d->ic;
	int32_t run, step, nrun, oc, ky, r, j;

	if (d->dw == 1) {
		run = (kx1 - kx0) * d->ic;
		nrun = 1;
		step = 0;
	} else {
		run = d->ic;
		nrun = kx1 - kx0;
		step = d->dw * d->ic;
	}
	for (oc = 0; oc < d->oc; oc += 4) {
		int32_t acc[4] = {0, 0, 0, 0};
		int32_t nb = d->oc - oc < 4 ? d->oc - oc : 4;

		for (ky = ky0; ky < ky1; ky++) {
			const int8_t *x =
			        img +
			        ((size_t)(iy0 + ky * d->dh) * d->iw + (ix0 + kx0 * d->dw)) * d->ic;
			const int8_t *w =
			        d->w + (size_t)oc * k + ((size_t)ky * d->kw + kx0) * d->ic;

			for (r = 0; r < nrun; r++) {
				if (nb == 4) {
					dot4(x, w, k, run, d->in_off, acc);
				} else {
					for (j = 0; j < nb; j++)
						acc[j] += dot1(x, w + j * k, run, d->in_off);
				}
				x += step;
				w += d->ic;
			}
		}
		for (j = 0; j < nb; j++)
			out[oc + j] = finish(d, acc[j], oc + j, mult, shift);
	}
}

#ifdef NN_CONV_PAIRS
/* Two output pixels whose windows lie fully inside the image (any two: they
 * need not be neighbours). xa/xb point at their windows' first input byte. */
static void
pixel_pair(const struct nn__conv *d, const int8_t *xa, const int8_t *xb, int8_t *oa, int8_t *ob,
           const int32_t *mult, const int8_t *shift)
{
	const int32_t k = d->kh * d->kw * d->ic, rowstep = d->dh * d->iw * d->ic;
	int32_t run, step, nrun, oc, ky, r, j;

	if (d->dw == 1) {
		run = d->kw * d->ic;
		nrun = 1;
		step = 0;
	} else {
		run = d->ic;
		nrun = d->kw;
		step = d->dw * d->ic;
	}
	for (oc = 0; oc < d->oc; oc += 4) {
		int32_t nb = d->oc - oc < 4 ? d->oc - oc : 4;
		const int8_t *wbase = d->w + (size_t)oc * k;

		if (nb == 4) {
			int64_t acc[4] = {0, 0, 0, 0};

			for (ky = 0; ky < d->kh; ky++) {
				const int8_t *x = xa + (size_t)ky * rowstep;
				const int8_t *y = xb + (size_t)ky * rowstep;
				const int8_t *w = wbase + (size_t)ky * d->kw * d->ic;

				for (r = 0; r < nrun; r++) {
					dot4x2(x, y, w, k, run, d->in_off, acc);
					x += step;
					y += step;
					w += d->ic;
				}
			}
			for (j = 0; j < 4; j++) {
				int32_t lo, hi;

				split(acc[j], &lo, &hi);
				oa[oc + j] = finish(d, lo, oc + j, mult, shift);
				ob[oc + j] = finish(d, hi, oc + j, mult, shift);
			}
		} else {
			for (j = 0; j < nb; j++) {
				int32_t a = 0, b = 0;

				for (ky = 0; ky < d->kh; ky++) {
					const int8_t *x = xa + (size_t)ky * rowstep;
					const int8_t *y = xb + (size_t)ky * rowstep;
					const int8_t *w =
					        wbase + (size_t)j * k + (size_t)ky * d->kw * d->ic;

					for (r = 0; r < nrun; r++) {
						a += dot1(x, w, run, d->in_off);
						b += dot1(y, w, run, d->in_off);
						x += step;
						y += step;
						w += d->ic;
					}
				}
				oa[oc + j] = finish(d, a, oc + j, mult, shift);
				ob[oc + j] = finish(d, b, oc + j, mult, shift);
			}
		}
	}
}
#endif

void
nn_conv_s8_eval(const void *data, void *scratch)
{
	const struct nn__conv *d = data;
	const int32_t *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	int8_t *out = d->out;
	int32_t b, oy, ox;
#ifdef NN_CONV_PAIRS
	const int8_t *pend_x = NULL; /* a full-window pixel waiting for a partner */
	int8_t *pend_out = NULL;
#endif

	(void)scratch;
	for (b = 0; b < d->n; b++) {
		const int8_t *img = d->in + (size_t)b * d->ih * d->iw * d->ic;

		for (oy = 0; oy < d->oh; oy++) {
			int32_t iy0 = oy * d->sh - d->ph;
			/* valid ky: 0 <= iy0 + ky*dh < ih */
			int32_t ky0 = iy0 < 0 ? (-iy0 + d->dh - 1) / d->dh : 0;
			int32_t ky1 = (d->ih - iy0 + d->dh - 1) / d->dh;

			if (ky1 > d->kh)
				ky1 = d->kh;
			for (ox = 0; ox < d->ow; ox++, out += d->oc) {
				int32_t ix0 = ox * d->sw - d->pw;
				int32_t kx0 = ix0 < 0 ? (-ix0 + d->dw - 1) / d->dw : 0;
				int32_t kx1 = (d->iw - ix0 + d->dw - 1) / d->dw;

				if (kx1 > d->kw)
					kx1 = d->kw;
#ifdef NN_CONV_PAIRS
				if (ky0 == 0 && ky1 == d->kh && kx0 == 0 && kx1 == d->kw) {
					const int8_t *x =
					        img + ((size_t)iy0 * d->iw + (size_t)ix0) * d->ic;

					if (!pend_x) {
						pend_x = x;
						pend_out = out;
					} else {
						pixel_pair(d, pend_x, x, pend_out, out, mult,
						           shift);
						pend_x = NULL;
					}
					continue;
				}
#endif
				pixel(d, img, iy0, ix0, ky0, ky1, kx0, kx1, out, mult, shift);
			}
		}
#ifdef NN_CONV_PAIRS
		if (pend_x) {
			/* odd one out: a pixel of this image with a full window */
			int32_t iy = (int32_t)((pend_x - img) / d->ic / d->iw);
			int32_t ix = (int32_t)((pend_x - img) / d->ic % d->iw);

			pixel(d, img, iy, ix, 0, d->kh, 0, d->kw, pend_out, mult, shift);
			pend_x = NULL;
		}
#endif
	}
}
