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

static inline int32_t
dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t off)
{
	int32_t a = 0, i;

	for (i = 0; i < n; i++)
		a += (x[i] + off) * w[i];
	return a;
}

#if UINTPTR_MAX > 0xffffffffu && !defined(NN__DSP) && !defined(NN_NO_SWAR)
/*
 * 64-bit hosts (the daemon, the POSIX node): two output pixels share every
 * weight, so both inputs travel in one int64 as lo + hi * 2^32 and one 64-bit
 * multiply-add does two MACs. The halves are separated exactly afterwards
 * because each true sum fits in an int32 (as it must in the reference).
 */
#define NN_CONV_SWAR 1

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
#elif defined(NN__DSP)
/*
 * Cortex-M DSP: two output pixels share every unpacked weight word, so each
 * SXTB16 pair feeds four SMLADs. a[0..3]: pixel a, channels 0..3; a[4..7]: pixel b.
 */
static void
dot4x2_i32(const int8_t *xa, const int8_t *xb, const int8_t *w, int32_t k, int32_t n, int32_t off,
           int32_t *a)
{
	const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;
	const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
	int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
	int32_t b0 = a[4], b1 = a[5], b2 = a[6], b3 = a[7], i = 0;

	for (; i + 4 <= n; i += 4) {
		uint32_t va = nn__ld4(xa + i), vb = nn__ld4(xb + i), wv, we, wo;
		uint32_t ae = nn__sxtab16(offs, va), ao = nn__sxtab16_hi(offs, va);
		uint32_t be = nn__sxtab16(offs, vb), bo = nn__sxtab16_hi(offs, vb);

		wv = nn__ld4(w + i);
		we = nn__sxtb16(wv);
		wo = nn__sxtb16_hi(wv);
		a0 = nn__smlad(ao, wo, nn__smlad(ae, we, a0));
		b0 = nn__smlad(bo, wo, nn__smlad(be, we, b0));
		wv = nn__ld4(w1 + i);
		we = nn__sxtb16(wv);
		wo = nn__sxtb16_hi(wv);
		a1 = nn__smlad(ao, wo, nn__smlad(ae, we, a1));
		b1 = nn__smlad(bo, wo, nn__smlad(be, we, b1));
		wv = nn__ld4(w2 + i);
		we = nn__sxtb16(wv);
		wo = nn__sxtb16_hi(wv);
		a2 = nn__smlad(ao, wo, nn__smlad(ae, we, a2));
		b2 = nn__smlad(bo, wo, nn__smlad(be, we, b2));
		wv = nn__ld4(w3 + i);
		we = nn__sxtb16(wv);
		wo = nn__sxtb16_hi(wv);
		a3 = nn__smlad(ao, wo, nn__smlad(ae, we, a3));
		b3 = nn__smlad(bo, wo, nn__smlad(be, we, b3));
	}
	for (; i < n; i++) {
		int32_t va = xa[i] + off, vb = xb[i] + off;

		a0 += va * w[i];
		b0 += vb * w[i];
		a1 += va * w1[i];
		b1 += vb * w1[i];
		a2 += va * w2[i];
		b2 += vb * w2[i];
		a3 += va * w3[i];
		b3 += vb * w3[i];
	}
	a[0] = a0;
	a[1] = a1;
	a[2] = a2;
	a[3] = a3;
	a[4] = b0;
	a[5] = b1;
	a[6] = b2;
	a[7] = b3;
}
#else
/* 32-bit targets without the DSP extension: the same pairing, scalar MACs. */
static void
dot4x2_i32(const int8_t *xa, const int8_t *xb, const int8_t *w, int32_t k, int32_t n, int32_t off,
           int32_t *a)
{
	const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
	int32_t i;

	for (i = 0; i < n; i++) {
		int32_t va = xa[i] + off, vb = xb[i] + off;

		a[0] += va * w[i];
		a[4] += vb * w[i];
		a[1] += va * w1[i];
		a[5] += vb * w1[i];
		a[2] += va * w2[i];
		a[6] += vb * w2[i];
		a[3] += va * w3[i];
		a[7] += vb * w3[i];
	}
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

/* The taps of an output pixel that fall inside the image: rows [ky0, ky1),
 * columns [kx0, kx1) of the filter. */
struct win {
	int32_t ky0, ky1, kx0, kx1;
};

/*
 * Two output pixels with the same valid window (a lone pixel is paired with
 * itself: oa == ob). xa/xb point at each pixel's first valid tap, channel 0.
 * Pairs share every weight load: one 64-bit multiply-add or two SMLADs per
 * unpacked weight word do the MACs of both pixels.
 */
static void
conv_pair(const struct nn__conv *d, const struct win *wn, const int8_t *xa, const int8_t *xb,
          int8_t *oa, int8_t *ob, const int32_t *mult, const int8_t *shift)
{
	const int32_t k = d->kh * d->kw * d->ic, rowstep = d->dh * d->iw * d->ic;
	const int32_t nky = wn->ky1 - wn->ky0;
	int32_t run, step, nrun, oc, ky, r, j;

	if (d->dw == 1) {
		run = (wn->kx1 - wn->kx0) * d->ic;
		nrun = 1;
		step = 0;
	} else {
		run = d->ic;
		nrun = wn->kx1 - wn->kx0;
		step = d->dw * d->ic;
	}
	for (oc = 0; oc < d->oc; oc += 4) {
		int32_t nb = d->oc - oc < 4 ? d->oc - oc : 4;
		const int8_t *wbase =
		        d->w + (size_t)oc * k + ((size_t)wn->ky0 * d->kw + wn->kx0) * d->ic;

		if (nb == 4) {
#ifndef NN_CONV_SWAR
			int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#else
			int64_t acc[4] = {0, 0, 0, 0};
#endif

			for (ky = 0; ky < nky; ky++) {
				const int8_t *x = xa + (size_t)ky * rowstep;
				const int8_t *y = xb + (size_t)ky * rowstep;
				const int8_t *w = wbase + (size_t)ky * d->kw * d->ic;

				for (r = 0; r < nrun; r++) {
#ifndef NN_CONV_SWAR
					dot4x2_i32(x, y, w, k, run, d->in_off, acc);
#else
					dot4x2(x, y, w, k, run, d->in_off, acc);
#endif
					x += step;
					y += step;
					w += d->ic;
				}
			}
			for (j = 0; j < 4; j++) {
#ifndef NN_CONV_SWAR
				int32_t lo = acc[j], hi = acc[4 + j];
#else
				int32_t lo, hi;

				split(acc[j], &lo, &hi);
#endif
				oa[oc + j] = finish(d, lo, oc + j, mult, shift);
				ob[oc + j] = finish(d, hi, oc + j, mult, shift);
			}
		} else {
			for (j = 0; j < nb; j++) {
				int32_t a = 0, b = 0;

				for (ky = 0; ky < nky; ky++) {
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

void
nn_conv_s8_eval(const void *data, void *scratch)
{
	const struct nn__conv *d = data;
	const int32_t *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	int8_t *out = d->out, *pend_out = NULL;
	const int8_t *pend_x = NULL; /* a pixel waiting for a partner with its window */
	struct win pend = {0, 0, 0, 0};
	int32_t b, oy, ox;

	(void)scratch;
	for (b = 0; b < d->n; b++) {
		const int8_t *img = d->in + (size_t)b * d->ih * d->iw * d->ic;

		for (oy = 0; oy < d->oh; oy++) {
			int32_t iy0 = oy * d->sh - d->ph;
			struct win wn;

			/* valid ky: 0 <= iy0 + ky*dh < ih */
			wn.ky0 = iy0 < 0 ? (-iy0 + d->dh - 1) / d->dh : 0;
			wn.ky1 = (d->ih - iy0 + d->dh - 1) / d->dh;
			if (wn.ky1 > d->kh)
				wn.ky1 = d->kh;
			for (ox = 0; ox < d->ow; ox++, out += d->oc) {
				int32_t ix0 = ox * d->sw - d->pw;
				const int8_t *x;

				wn.kx0 = ix0 < 0 ? (-ix0 + d->dw - 1) / d->dw : 0;
				wn.kx1 = (d->iw - ix0 + d->dw - 1) / d->dw;
				if (wn.kx1 > d->kw)
					wn.kx1 = d->kw;
				if (wn.ky0 >= wn.ky1 || wn.kx0 >= wn.kx1) {
					/* no tap inside the image: bias only */
					struct win none = {0, 0, 0, 0};

					conv_pair(d, &none, img, img, out, out, mult, shift);
					continue;
				}
				x = img + ((size_t)(iy0 + wn.ky0 * d->dh) * d->iw +
				           (size_t)(ix0 + wn.kx0 * d->dw)) *
				                  d->ic;
				if (pend_x && pend.ky0 == wn.ky0 && pend.ky1 == wn.ky1 &&
				    pend.kx0 == wn.kx0 && pend.kx1 == wn.kx1) {
					conv_pair(d, &wn, pend_x, x, pend_out, out, mult, shift);
					pend_x = NULL;
					continue;
				}
				if (pend_x)
					conv_pair(d, &pend, pend_x, pend_x, pend_out, pend_out,
					          mult, shift);
				pend_x = x;
				pend_out = out;
				pend = wn;
			}
		}
		if (pend_x)
			conv_pair(d, &pend, pend_x, pend_x, pend_out, pend_out, mult, shift);
		pend_x = NULL;
	}
}
