/*
 * conv_s8.c: CONV_2D, int8 activations, int8 weights (per-channel or
 * per-tensor), int32 bias; any kernel size, stride, dilation, SAME/VALID.
 *
 * TFLite reference semantics (reference_integer_ops::ConvPerChannel):
 * acc = bias + sum over in-image taps of w * (x - in_zp), then
 * MultiplyByQuantizedMultiplier, + out_zp, clamp. Padded taps contribute 0.
 *
 * Two implementations. The portable one (hosts, cores without the DSP
 * extension) uses no im2col: for each output pixel the valid taps of one
 * filter row are one contiguous run of (kx1 - kx0) * in_ch bytes in both the
 * input and the weights (dilation 1), so the inner loop is a plain dot
 * product; four output channels share every input load (register blocking).
 * The Cortex-M DSP one (NN__DSP, at the end of the file) widens each window
 * into 16-bit columns and runs an SMLAD kernel; its comment says why.
 */
#include "core/nn_internal.h"

#define MULT(d) ((const int32_t *)(const void *)((const struct nn__conv *)(d) + 1))

int
nn_conv_s8_prepare(struct nn__ctx *c)
{
	return nn__conv_prepare(c, 0);
}

#ifndef NN__DSP
static inline int32_t
dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t off)
{
	int32_t a = 0, i;

	for (i = 0; i < n; i++)
		a += (x[i] + off) * w[i];
	return a;
}

#if UINTPTR_MAX > 0xffffffffu && !defined(NN_NO_SWAR)
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
#else  /* NN__DSP */
/*
 * Cortex-M DSP extension: im2col and a two-pixel by two-channel SMLAD kernel,
 * the arrangement CMSIS-NN's convolve_s8 uses. Each output pixel's window is
 * widened once into 16-bit columns with the input offset already added, so
 * padded taps are plain zeros and the inner loop has no bounds checks and no
 * offset adds. Per four taps it loads two column words for each of the two
 * pixels and one weight word for each of the two channels (SXTB16 twice) and
 * issues eight SMLADs. The two pixels' columns are interleaved word by word,
 * so one pointer serves both and the loop fits the register file.
 *
 * SXTB16 splits four int8 values into the halfword pairs (0,2) and (1,3); the
 * columns are stored in that order too, so nothing is repacked. A window
 * whose depth is a multiple of four is widened straight from the input;
 * other depths are first gathered byte by byte into the staging area.
 *
 * Scratch (nn__conv_prepare): 4 * K bytes of columns, K = kh * kw * ic, plus
 * K bytes of staging when ic % 4 != 0. Columns: K / 4 groups of four words
 * (pixel A pairs, pixel B pairs), then pixel A's K % 4 tail halfwords in
 * natural order, then pixel B's.
 */
/* Widens n input bytes (n % 4 == 0) into a pixel's column words. */
static inline uint32_t *
widen(uint32_t *col, const int8_t *x, int32_t n, uint32_t offs)
{
	for (; n > 0; n -= 4, x += 4, col += 4) {
		uint32_t v = nn__ld4(x);

		col[0] = nn__sxtab16(offs, v);
		col[1] = nn__sxtab16_hi(offs, v);
	}
	return col;
}

/* Padding in the columns: offset zeros. */
static inline uint32_t *
zeros(uint32_t *col, int32_t n)
{
	for (; n > 0; n -= 4, col += 4)
		col[0] = col[1] = 0;
	return col;
}

/* Copies n bytes to the staging area, a word at a time while it can. */
static inline int8_t *
stage_copy(int8_t *s, const int8_t *x, int32_t n)
{
	for (; n >= 4; n -= 4, x += 4, s += 4) {
		uint32_t v = nn__ld4(x);

		memcpy(s, &v, 4);
	}
	for (; n > 0; n--)
		*s++ = *x++;
	return s;
}

/* Padding in the staging area: the input zero point, which the offset turns into 0. */
static inline int8_t *
stage_fill(int8_t *s, int8_t zp, int32_t n)
{
	for (; n > 0; n--)
		*s++ = zp;
	return s;
}

static void
im2col(const struct nn__conv *d, int32_t pix, uint32_t *col, int16_t *tail, int8_t *stage)
{
	const int32_t ic = d->ic, per_img = d->oh * d->ow, off = d->in_off, dw = d->dw;
	const int32_t b = pix / per_img, r = pix - b * per_img, oy = r / d->ow, ox = r - oy * d->ow;
	const int32_t iy0 = oy * d->sh - d->ph, ix0 = ox * d->sw - d->pw;
	const int8_t *img = d->in + (size_t)b * d->ih * d->iw * ic;
	const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;
	const int staged = (ic & 3) != 0;
	const int8_t zp = (int8_t)-off;
	/* the filter columns whose taps fall inside the image: [kx0, kx1) */
	int32_t kx0 = ix0 < 0 ? (-ix0 + dw - 1) / dw : 0, kx1 = (d->iw - ix0 + dw - 1) / dw;
	int32_t pre, post, ky, kx, c, k;
	int8_t *s = stage;

	if (kx1 > d->kw)
		kx1 = d->kw;
	if (kx1 < kx0)
		kx1 = kx0;
	pre = kx0 * ic;
	post = (d->kw - kx1) * ic;
	for (ky = 0; ky < d->kh; ky++) {
		const int32_t iy = iy0 + ky * d->dh;
		const int8_t *x;

		if (iy < 0 || iy >= d->ih || kx0 == kx1) {
			if (staged)
				s = stage_fill(s, zp, d->kw * ic);
			else
				col = zeros(col, d->kw * ic);
			continue;
		}
		x = img + ((size_t)iy * d->iw + (ix0 + kx0 * dw)) * ic;
		if (staged) {
			s = stage_fill(s, zp, pre);
			if (dw == 1)
				s = stage_copy(s, x, (kx1 - kx0) * ic);
			else
				for (kx = kx0; kx < kx1; kx++, x += dw * ic)
					s = stage_copy(s, x, ic);
			s = stage_fill(s, zp, post);
		} else {
			col = zeros(col, pre);
			if (dw == 1)
				col = widen(col, x, (kx1 - kx0) * ic, offs);
			else
				for (kx = kx0; kx < kx1; kx++, x += dw * ic)
					col = widen(col, x, ic, offs);
			col = zeros(col, post);
		}
	}
	if (!staged)
		return;
	k = (int32_t)(s - stage);
	col = widen(col, stage, k & ~3, offs);
	for (c = k & ~3; c < k; c++)
		*tail++ = (int16_t)(stage[c] + off);
}

/* One column group (four taps of pixels A and B) times four weights of each of two
 * channels (w0, w1): eight SMLADs. */
static inline void
mac_group(const uint32_t *p, const int8_t *w0, const int8_t *w1, int32_t *a0, int32_t *b0,
          int32_t *a1, int32_t *b1)
{
	uint32_t v = nn__ld4(w0), we = nn__sxtb16(v), wo = nn__sxtb16_hi(v);

	*a0 = nn__smlad(p[1], wo, nn__smlad(p[0], we, *a0));
	*b0 = nn__smlad(p[3], wo, nn__smlad(p[2], we, *b0));
	v = nn__ld4(w1);
	we = nn__sxtb16(v);
	wo = nn__sxtb16_hi(v);
	*a1 = nn__smlad(p[1], wo, nn__smlad(p[0], we, *a1));
	*b1 = nn__smlad(p[3], wo, nn__smlad(p[2], we, *b1));
}

/*
 * The MACs of every output channel for the pixel pair in col, bias first:
 * acc[2 * oc] for pixel A, acc[2 * oc + 1] for pixel B. The requantization
 * runs afterwards in its own loop (requant_pair), which keeps its constants
 * in registers; done here it would reload them around this loop, which
 * needs every register.
 */
static void
conv_cols(const struct nn__conv *d, const uint32_t *col, const int16_t *ta, int32_t *acc)
{
	const int32_t k = d->kh * d->kw * d->ic, groups = k >> 2, tn = k & 3, n_oc = d->oc;
	const uint8_t *bias = d->bias;
	const int16_t *tb = ta + tn;
	const int8_t *w = d->w;
	int32_t oc;

	if (!tn && !(n_oc & 1)) {
		/* the usual shapes: no tail taps, channels in pairs; a loop with
		 * less to keep across the MACs */
		const int8_t *w_end = w + (size_t)n_oc * k;
		const uint32_t *col_end = col + 4 * groups;

		for (; w < w_end; w += 2 * (size_t)k, acc += 4) {
			const int8_t *w0 = w, *w1 = w + k;
			const uint32_t *p;
			int32_t a0 = 0, a1 = 0, b0, b1;

			if (bias) {
				a0 = nn__ld32(bias);
				a1 = nn__ld32(bias + 4);
				bias += 8;
			}
			b0 = a0;
			b1 = a1;
			for (p = col; p < col_end; p += 4, w0 += 4, w1 += 4)
				mac_group(p, w0, w1, &a0, &b0, &a1, &b1);
			acc[0] = a0;
			acc[1] = b0;
			acc[2] = a1;
			acc[3] = b1;
		}
		return;
	}
	for (oc = 0; oc < n_oc; oc += 2, w += 2 * (size_t)k, acc += 4) {
		/* an odd last channel runs twice through the second slot, unused */
		const int32_t two = oc + 1 < n_oc;
		const int8_t *w0 = w, *w1 = two ? w + k : w;
		const uint32_t *p = col;
		int32_t a0 = 0, a1 = 0, b0, b1, g, t;

		if (bias) {
			a0 = nn__ld32(bias + 4 * (size_t)oc);
			a1 = two ? nn__ld32(bias + 4 * (size_t)oc + 4) : a0;
		}
		b0 = a0;
		b1 = a1;
		for (g = groups; g > 0; g--, p += 4, w0 += 4, w1 += 4)
			mac_group(p, w0, w1, &a0, &b0, &a1, &b1);
		for (t = 0; t < tn; t++) {
			a0 += ta[t] * w0[t];
			b0 += tb[t] * w0[t];
			a1 += ta[t] * w1[t];
			b1 += tb[t] * w1[t];
		}
		acc[0] = a0;
		acc[1] = b0;
		acc[2] = a1;
		acc[3] = b1;
	}
}

/* The clamp, with bounds relative to the zero point, then the zero point. */
static inline int8_t
clamp_zp(int32_t v, int32_t zp, int32_t lo, int32_t hi)
{
	v = v < lo ? lo : v;
	v = v > hi ? hi : v;
	return (int8_t)(v + zp);
}

/* Requantizes conv_cols' accumulators into the two pixels' outputs. */
static void
requant_pair(const struct nn__conv *d, const int32_t *acc, int8_t *oa, int8_t *ob)
{
	const int32_t n_oc = d->oc, *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? n_oc : 1));
	const int32_t zp = d->out_zp, lo = d->act_min - zp, hi = d->act_max - zp;
	int32_t oc;

	/* per-channel layers (all of the reference models) take the short form;
	 * per-tensor ones, rare, the general loop */
	if (d->rq_short && d->per_channel && d->act_min == -128 && d->act_max == 127) {
		/* the usual case (no activation, or one the range already covers):
		 * the clamp is one saturation after the zero point */
		for (oc = 0; oc < n_oc; oc++, acc += 2) {
			const int32_t m = mult[oc], r = -shift[oc], h = (int32_t)((1u << r) >> 1);

			oa[oc] = (int8_t)nn__ssat8(nn__requant_short(acc[0], m, r, h) + zp);
			ob[oc] = (int8_t)nn__ssat8(nn__requant_short(acc[1], m, r, h) + zp);
		}
	} else if (d->rq_short && d->per_channel) {
		for (oc = 0; oc < n_oc; oc++, acc += 2) {
			const int32_t m = mult[oc], r = -shift[oc], h = (int32_t)((1u << r) >> 1);

			oa[oc] = clamp_zp(nn__requant_short(acc[0], m, r, h), zp, lo, hi);
			ob[oc] = clamp_zp(nn__requant_short(acc[1], m, r, h), zp, lo, hi);
		}
	} else {
		const int32_t mstep = d->per_channel ? 1 : 0;

		for (oc = 0; oc < n_oc; oc++, acc += 2) {
			const int32_t m = mult[oc * mstep], sh = shift[oc * mstep];

			oa[oc] = clamp_zp(nn__mbqm(acc[0], m, sh), zp, lo, hi);
			ob[oc] = clamp_zp(nn__mbqm(acc[1], m, sh), zp, lo, hi);
		}
	}
}

void
nn_conv_s8_eval(const void *data, void *scratch)
{
	const struct nn__conv *d = data;
	const int32_t k = d->kh * d->kw * d->ic, tn = k & 3;
	const int32_t total = d->n * d->oh * d->ow;
	int32_t *acc = scratch; /* 2 x oc, rounded up to an even oc */
	uint32_t *col = (uint32_t *)(void *)(acc + 2 * (d->oc + (d->oc & 1)));
	int16_t *tails = (int16_t *)(void *)(col + (k >> 2) * 4);
	int8_t *stage = (int8_t *)(void *)(tails + 2 * tn);
	int32_t pix;

	for (pix = 0; pix < total; pix += 2) {
		const int32_t pb = pix + 1 < total ? pix + 1 : pix;

		im2col(d, pix, col, tails, stage);
		im2col(d, pb, col + 2, tails + tn, stage);
		conv_cols(d, col, tails, acc);
		requant_pair(d, acc, d->out + (size_t)pix * d->oc, d->out + (size_t)pb * d->oc);
	}
}
#endif /* NN__DSP */
