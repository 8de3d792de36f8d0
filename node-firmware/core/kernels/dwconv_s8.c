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
 * channel-contiguously, and no im2col buffer is needed.
 *
 * With the Cortex-M DSP extension (NN__DSP) most of the cost is per output,
 * not per MAC (about 9 taps per output), so the DSP paths keep everything the
 * loops read in locals (an int8 store may alias any field of the op data):
 * - scratch holds one row of requantization constants per output channel
 *   (bias, multiplier, shift, rounding half), filled at the start of eval, so
 *   a block starts its accumulators from the bias and its epilogue reads three
 *   words per output and branches on nothing;
 * - depth multiplier 1: one word of input and one of weights per tap (four
 *   channels), SXTAB16/SXTB16 and SMLABB/SMLATT; rows of 3 and 2 valid taps
 *   (3x3 filters, their edges) are unrolled and addressed from one pointer;
 * - depth multiplier a multiple of 4: four output channels share one input
 *   byte, SMLABB/SMLABT against the unpacked weights; with one input channel
 *   and no dilation one word of input is four taps (SXTAB16 gives taps 0/2
 *   and 1/3, SMLATx reads the top halfword);
 * - other depth multipliers and odd channel tails take the portable loop.
 */
#include "core/nn_internal.h"

#if defined(__GNUC__)
#define DW_INLINE static inline __attribute__((always_inline))
#else
#define DW_INLINE static inline
#endif

#define MULT(d) ((const int32_t *)(const void *)((const struct nn__conv *)(d) + 1))

int
nn_dwconv_s8_prepare(struct nn__ctx *c)
{
	int r = nn__conv_prepare(c, 1);
#ifdef NN__DSP
	struct nn__tinfo out;

	/* four int32 requantization constants per output channel */
	if (r == NN_OK && nn__ctx_out(c, 0, &out, NULL) == NN_OK)
		c->scratch_size = 16 * (size_t)out.dims[3];
#endif
	return r;
}

/* One output pixel's valid window: rows and columns of the filter inside the
 * image, and the input and filter at its first tap (channel 0). */
struct pix {
	const int8_t *x;
	const int8_t *w;
	int32_t nky, nkx;
};

/*
 * The portable loop, for output channels [ch0, oc) of one pixel. Four
 * channels are accumulated at a time; with depth multiplier 1 they sit side by
 * side in both the input and the filter, otherwise each reads its own input
 * channel.
 */
static void
generic_pixel(const struct nn__conv *d, const struct pix *p, int8_t *out, int32_t ch0)
{
	const int32_t *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	const uint8_t *bias = d->bias;
	const int32_t off = d->in_off, n_oc = d->oc, dm = d->dm, pc = d->per_channel;
	const int32_t colstep = d->dw * d->ic, rowstep = d->dh * d->iw * d->ic;
	const int32_t wrow = d->kw * n_oc, nky = p->nky, nkx = p->nkx;
	const int32_t zp = d->out_zp, lo = d->act_min, hi = d->act_max;
	int32_t oc;

	for (oc = ch0; oc < n_oc; oc += 4) {
		int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky, kx, j;
		int32_t nb = n_oc - oc < 4 ? n_oc - oc : 4;
		const int8_t *xr = p->x, *wr = p->w + oc;

		if (dm == 1 && nb == 4) {
			for (ky = 0; ky < nky; ky++) {
				const int8_t *x = xr + oc, *w = wr;

				for (kx = 0; kx < nkx; kx++) {
					a0 += (x[0] + off) * w[0];
					a1 += (x[1] + off) * w[1];
					a2 += (x[2] + off) * w[2];
					a3 += (x[3] + off) * w[3];
					x += colstep;
					w += n_oc;
				}
				xr += rowstep;
				wr += wrow;
			}
		} else {
			/* input channel of each of the four output channels */
			int32_t c0 = oc / dm;
			int32_t c1 = nb > 1 ? (oc + 1) / dm : c0;
			int32_t c2 = nb > 2 ? (oc + 2) / dm : c0;
			int32_t c3 = nb > 3 ? (oc + 3) / dm : c0;

			for (ky = 0; ky < nky; ky++) {
				const int8_t *x = xr, *w = wr;

				for (kx = 0; kx < nkx; kx++) {
					a0 += (x[c0] + off) * w[0];
					if (nb > 1)
						a1 += (x[c1] + off) * w[1];
					if (nb > 2)
						a2 += (x[c2] + off) * w[2];
					if (nb > 3)
						a3 += (x[c3] + off) * w[3];
					x += colstep;
					w += n_oc;
				}
				xr += rowstep;
				wr += wrow;
			}
		}
		for (j = 0; j < nb; j++) {
			int32_t ch = oc + j, mi = pc ? ch : 0;
			int32_t a = j == 0 ? a0 : j == 1 ? a1 : j == 2 ? a2 : a3;

			if (bias)
				a = nn__addw(a, nn__ld32(bias + 4 * ch));
			out[ch] = nn__requant(a, mult[mi], shift[mi], zp, lo, hi);
		}
	}
}

#ifdef NN__DSP
#if defined(__ARM_FEATURE_DSP) && !defined(NN_DSP_EMULATE)
/* acc + a.lo * b.hi */
static inline int32_t
smlabt(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlabt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}

/* acc + a.hi * b.lo */
static inline int32_t
smlatb(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}
#else
static inline int32_t
smlabt(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a & 0xffff) * (int16_t)(b >> 16)));
}

static inline int32_t
smlatb(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a >> 16) * (int16_t)(b & 0xffff)));
}
#endif

/* Per output channel, in scratch: the row fill_q() writes. */
enum { Q_BIAS, Q_MULT, Q_SHIFT, Q_HALF, Q_N };

/* Output zero point and clamp (relative to it), and which requantization. */
struct rqc {
	int32_t zp, lo, hi, rq_short;
};

static void
fill_q(const struct nn__conv *d, int32_t *q)
{
	const int32_t *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	const int32_t n_oc = d->oc, step = d->per_channel ? 1 : 0, rq_short = d->rq_short;
	const uint8_t *bias = d->bias;
	int32_t ch;

	for (ch = 0; ch < n_oc; ch++, q += Q_N) {
		int32_t s = shift[ch * step];

		q[Q_BIAS] = bias ? nn__ld32(bias + 4 * ch) : 0;
		q[Q_MULT] = mult[ch * step];
		/* nn__requant_short() takes the right shift and half of its
		 * divisor; nn__mbqm() the signed shift */
		q[Q_SHIFT] = rq_short ? -s : s;
		q[Q_HALF] = rq_short ? (int32_t)((1u << -s) >> 1) : 0;
	}
}

DW_INLINE int8_t
rq1(int32_t a, const int32_t *q, const struct rqc *c)
{
	int32_t v = c->rq_short ? nn__requant_short(a, q[Q_MULT], q[Q_SHIFT], q[Q_HALF])
	                        : nn__mbqm(a, q[Q_MULT], q[Q_SHIFT]);

	v = v < c->lo ? c->lo : v;
	v = v > c->hi ? c->hi : v;
	return (int8_t)(v + c->zp);
}

DW_INLINE void
store4(int8_t *out, const int32_t *q, int32_t a0, int32_t a1, int32_t a2, int32_t a3,
       const struct rqc *c)
{
	out[0] = rq1(a0, q, c);
	out[1] = rq1(a1, q + Q_N, c);
	out[2] = rq1(a2, q + 2 * Q_N, c);
	out[3] = rq1(a3, q + 3 * Q_N, c);
}

/* One tap of four channels with depth multiplier 1: input and weights of
 * channels c..c+3 side by side. */
#define DM1_TAP(xp, wp)                                                                            \
	do {                                                                                       \
		uint32_t xv_ = nn__ld4(xp), wv_ = nn__ld4(wp);                                     \
		uint32_t xe_ = nn__sxtab16(offs, xv_), we_ = nn__sxtb16(wv_);                      \
                                                                                                   \
		a0 = nn__smlabb(xe_, we_, a0);                                                     \
		a2 = nn__smlatt(xe_, we_, a2);                                                     \
		xe_ = nn__sxtab16_hi(offs, xv_);                                                   \
		we_ = nn__sxtb16_hi(wv_);                                                          \
		a1 = nn__smlabb(xe_, we_, a1);                                                     \
		a3 = nn__smlatt(xe_, we_, a3);                                                     \
	} while (0)

/*
 * Depth multiplier 1, channel blocks [0, nblk) of one pixel. kwc is a
 * compile-time row width: 3 or 2 unroll the row with the taps xs apart in both
 * the input and the filter (dilation 1, where xs = ws = channels); 0 loops
 * over nkx taps.
 */
DW_INLINE void
dm1_pixel(const struct pix *p, int8_t *out, const int32_t *q, int32_t nblk, const int kwc,
          int32_t xs, int32_t ws, int32_t xrow, int32_t wrow, uint32_t offs, const struct rqc *c)
{
	const int8_t *x = p->x, *w = p->w;
	const int32_t nky = p->nky, nkx = p->nkx;

	for (; nblk > 0; nblk--, x += 4, w += 4, out += 4, q += 4 * Q_N) {
		int32_t a0 = q[Q_BIAS], a1 = q[Q_N + Q_BIAS], a2 = q[2 * Q_N + Q_BIAS];
		int32_t a3 = q[3 * Q_N + Q_BIAS], ky, kx;
		const int8_t *xr = x, *wr = w;

		for (ky = nky; ky > 0; ky--) {
			if (kwc == 3) {
				DM1_TAP(xr, wr);
				DM1_TAP(xr + xs, wr + xs);
				DM1_TAP(xr + 2 * xs, wr + 2 * xs);
			} else if (kwc == 2) {
				DM1_TAP(xr, wr);
				DM1_TAP(xr + xs, wr + xs);
			} else {
				const int8_t *xp = xr, *wp = wr;

				for (kx = nkx; kx > 0; kx--) {
					DM1_TAP(xp, wp);
					xp += xs;
					wp += ws;
				}
			}
			xr += xrow;
			wr += wrow;
		}
		store4(out, q, a0, a1, a2, a3, c);
	}
}

/* One tap of four output channels that read the same input value, held in
 * the bottom (B) or top (T) halfword of xh. */
#define DMX_TAP(xh, wp, MB, MT)                                                                    \
	do {                                                                                       \
		uint32_t wv_ = nn__ld4(wp);                                                        \
		uint32_t we_ = nn__sxtb16(wv_), wo_ = nn__sxtb16_hi(wv_);                          \
                                                                                                   \
		a0 = MB(xh, we_, a0);                                                              \
		a2 = MT(xh, we_, a2);                                                              \
		a1 = MB(xh, wo_, a1);                                                              \
		a3 = MT(xh, wo_, a3);                                                              \
	} while (0)
#define DMX_TAPB(xh, wp) DMX_TAP(xh, wp, nn__smlabb, smlabt)
#define DMX_TAPT(xh, wp) DMX_TAP(xh, wp, smlatb, nn__smlatt)

/*
 * Depth multiplier a multiple of 4: every block of four output channels reads
 * one input channel. ws is the filter's tap step (the output channel count,
 * a compile-time constant where it is common); words: one input channel and
 * dilation 1, so a row's taps are consecutive input bytes, read four at once.
 */
DW_INLINE void
dmx_pixel(const struct pix *p, int8_t *out, const int32_t *q, int32_t n_oc, const int32_t ws,
          int32_t dm, const int words, int32_t xs, int32_t xrow, int32_t wrow, int32_t off,
          uint32_t offs, const struct rqc *c)
{
	const int32_t nky = p->nky, nkx = p->nkx;
	int32_t oc;

	for (oc = 0; oc < n_oc; oc += 4, q += 4 * Q_N) {
		int32_t a0 = q[Q_BIAS], a1 = q[Q_N + Q_BIAS], a2 = q[2 * Q_N + Q_BIAS];
		int32_t a3 = q[3 * Q_N + Q_BIAS], ky, k;
		const int8_t *xr = p->x + oc / dm, *wr = p->w + oc;

		for (ky = nky; ky > 0; ky--) {
			const int8_t *xp = xr, *wp = wr;

			k = nkx;
			if (words) {
				for (; k >= 4; k -= 4) {
					uint32_t xv = nn__ld4(xp);
					uint32_t xe = nn__sxtab16(offs, xv),
					         xo = nn__sxtab16_hi(offs, xv);

					DMX_TAPB(xe, wp);
					DMX_TAPB(xo, wp + ws);
					DMX_TAPT(xe, wp + 2 * ws);
					DMX_TAPT(xo, wp + 3 * ws);
					xp += 4;
					wp += 4 * ws;
				}
			}
			for (; k > 0; k--) {
				uint32_t xh = (uint32_t)(*xp + off);

				DMX_TAPB(xh, wp);
				xp += xs;
				wp += ws;
			}
			xr += xrow;
			wr += wrow;
		}
		store4(out + oc, q, a0, a1, a2, a3, c);
	}
}
#endif /* NN__DSP */

void
nn_dwconv_s8_eval(const void *data, void *scratch)
{
	const struct nn__conv *d = data;
	const int32_t ic = d->ic, n_oc = d->oc, kh = d->kh, kw = d->kw, ih = d->ih, iw = d->iw;
	const int32_t sh = d->sh, sw = d->sw, dh = d->dh, dw = d->dw, ph = d->ph, pw = d->pw;
	const int32_t oh = d->oh, ow = d->ow, nbatch = d->n;
	const int8_t *in = d->in, *filt = d->w;
	int8_t *out = d->out;
	int32_t b, oy, ox;
#ifdef NN__DSP
	const int32_t dm = d->dm, off = d->in_off;
	const int32_t xs = dw * ic, xrow = dh * iw * ic, wrow = kw * n_oc;
	const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;
	const struct rqc rc = {d->out_zp, d->act_min - d->out_zp, d->act_max - d->out_zp,
	                       d->rq_short};
	int32_t *q = scratch;
	/* 1: depth multiplier 1; 2: a multiple of 4; 3: that, one input
	 * channel, no dilation; 0: the portable loop */
	const int mode = dm == 1 ? 1 : dm % 4 ? 0 : ic == 1 && dw == 1 ? 3 : 2;

	fill_q(d, q);
#else
	(void)scratch;
#endif
	for (b = 0; b < nbatch; b++) {
		const int8_t *img = in + (size_t)b * ih * iw * ic;

		for (oy = 0; oy < oh; oy++) {
			int32_t iy0 = oy * sh - ph;
			int32_t ky0 = iy0 < 0 ? (-iy0 + dh - 1) / dh : 0;
			int32_t ky1 = (ih - iy0 + dh - 1) / dh;
			const int8_t *row;

			if (ky1 > kh)
				ky1 = kh;
			row = img + (size_t)(iy0 + ky0 * dh) * iw * ic;
			for (ox = 0; ox < ow; ox++) {
				int32_t ix0 = ox * sw - pw;
				int32_t kx0 = ix0 < 0 ? (-ix0 + dw - 1) / dw : 0;
				int32_t kx1 = (iw - ix0 + dw - 1) / dw;
				struct pix p;

				if (kx1 > kw)
					kx1 = kw;
				p.x = row + (size_t)(ix0 + kx0 * dw) * ic;
				p.w = filt + ((size_t)ky0 * kw + kx0) * n_oc;
				p.nky = ky1 - ky0;
				p.nkx = kx1 - kx0;
#ifdef NN__DSP
				if (mode == 1) {
					int32_t nblk = n_oc >> 2;

					if (dw == 1 && p.nkx == 3)
						dm1_pixel(&p, out, q, nblk, 3, xs, n_oc, xrow, wrow,
						          offs, &rc);
					else if (dw == 1 && p.nkx == 2)
						dm1_pixel(&p, out, q, nblk, 2, xs, n_oc, xrow, wrow,
						          offs, &rc);
					else
						dm1_pixel(&p, out, q, nblk, 0, xs, n_oc, xrow, wrow,
						          offs, &rc);
					if (n_oc & 3)
						generic_pixel(d, &p, out, n_oc & ~3);
				} else if (mode == 3 && n_oc == 8) {
					dmx_pixel(&p, out, q, 8, 8, dm, 1, 1, xrow, wrow, off, offs,
					          &rc);
				} else if (mode == 3) {
					dmx_pixel(&p, out, q, n_oc, n_oc, dm, 1, 1, xrow, wrow, off,
					          offs, &rc);
				} else if (mode == 2) {
					dmx_pixel(&p, out, q, n_oc, n_oc, dm, 0, xs, xrow, wrow,
					          off, offs, &rc);
				} else {
					generic_pixel(d, &p, out, 0);
				}
#else
				generic_pixel(d, &p, out, 0);
#endif
				out += n_oc;
			}
		}
	}
}
