/*
 * dwconv_s8.c: DEPTHWISE_CONV_2D, int8, per-channel or per-tensor weights,
 * any depth multiplier, kernel, stride, dilation, SAME/VALID.
 *
 * TFLite reference semantics (reference_integer_ops::DepthwiseConvPerChannel):
 * output channel oc = ic * depth_multiplier + m reads input channel ic;
 * acc = bias + sum over in-image taps of w[ky][kx][oc] * (x - in_zp).
 *
 * Portable loop order: output pixel, then blocks of four output channels
 * kept in registers, then the valid taps. Both the input and the filter are
 * read channel-contiguously, and no scratch or im2col buffer is needed.
 *
 * With the Cortex-M DSP extension (NN__DSP) most of the cost is per output,
 * not per MAC (about 9 taps per output), so the order turns around: blocks
 * of four output channels outermost, then the pixels. A block first unpacks
 * its weights (SXTB16: channels 0/2 and 1/3 of every tap, one LDRD per tap
 * later) and its bias and requantization constants into a table on the
 * stack (about 700 bytes), so the pixel loops read nothing from the op data
 * (an int8 store may alias any of it), and the arena gains nothing. Then:
 * - depth multiplier 1: one input word per tap (four channels), SXTAB16 adds
 *   the offset, SMLABB/SMLATT; a 3x3 window inside the image is unrolled,
 *   and the pixels whose window lies inside the image columns (the interior)
 *   run without the edge arithmetic;
 * - depth multiplier a multiple of 4: the block's four output channels share
 *   one input byte, SMLABB/SMLABT; with one input channel and no dilation
 *   one input word is four taps (SXTAB16 gives taps 0/2 and 1/3, SMLATx reads
 *   the top halfword);
 * - the epilogue is nn__requant_short() per channel, then zero point and
 *   clamp two channels per instruction (QADD16, SSAT16 or SSUB16/SEL) and one
 *   word stored.
 * A column layer ([n, h, 1, c], filter kh x 1) is the same bytes as a row
 * and runs as one. Other depth multipliers, odd channel tails, filters of
 * more than DW_MAXT taps and blocks whose requantization needs nn__mbqm()
 * take the portable loop.
 *
 * The DSP paths are about 10 KB of specialised, unrolled code (the portable
 * loop is 1 KB); a build for size (-Os, the configuration the core's code
 * size is measured and bounded in) keeps the portable loop only.
 */
#include "core/nn_internal.h"

/* GCC's pre-allocation scheduler hoists every load and SXTAB16 of an unrolled
 * window ahead of the MACs, runs out of registers and spills (measured: 1 M
 * more instructions on vww); the post-allocation scheduler stays on. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
#pragma GCC optimize("no-schedule-insns")
#endif

#if defined(NN__DSP) && !defined(__OPTIMIZE_SIZE__)
#define DW_DSP 1
#endif

#if defined(__GNUC__)
#define DW_INLINE   static inline __attribute__((always_inline))
#define DW_NOINLINE static __attribute__((noinline))
#else
#define DW_INLINE   static inline
#define DW_NOINLINE static
#endif

#define MULT(d) ((const int32_t *)(const void *)((const struct nn__conv *)(d) + 1))

int
nn_dwconv_s8_prepare(struct nn__ctx *c)
{
	return nn__conv_prepare(c, 1);
}

/*
 * The portable loop, for output channels [ch0, ch1) of every pixel. Four
 * channels are accumulated at a time; with depth multiplier 1 they sit side by
 * side in both the input and the filter, otherwise each reads its own input
 * channel. Out of line: inlined into the eval, x86-64 GCC allocates its
 * registers worse (4-7% more instructions, callgrind).
 */
DW_NOINLINE void
generic_layer(const struct nn__conv *d, int32_t ch0, int32_t ch1)
{
	const int32_t *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	const int32_t off = d->in_off, ic = d->ic, oc_n = d->oc, dm = d->dm;
	const int32_t rowstep = d->dh * d->iw * ic, colstep = d->dw * ic;
	int8_t *out = d->out;
	int32_t b, oy, ox;

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
				for (oc = ch0; oc < ch1; oc += 4) {
					int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky, kx, j, nb;
					const int8_t *xr = x0, *wr = w0 + oc;

					nb = ch1 - oc < 4 ? ch1 - oc : 4;
					if (dm == 1 && nb == 4) {
						for (ky = ky0; ky < ky1; ky++) {
							const int8_t *x = xr + oc, *w = wr;

							for (kx = kx0; kx < kx1; kx++) {
								a0 += (x[0] + off) * w[0];
								a1 += (x[1] + off) * w[1];
								a2 += (x[2] + off) * w[2];
								a3 += (x[3] + off) * w[3];
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

#ifdef DW_DSP
/* Taps of the unpacked weight table on the stack (8 bytes each): enough for
 * micro_speech's 10x8 filter. */
#define DW_MAXT 80

/* One block of four output channels, on the stack. */
struct blk {
	uint64_t w[DW_MAXT]; /* per tap: SXTB16 of channels 0/2 (low word), of 1/3 */
	int32_t bias[4];
	struct {
		int32_t mult, r, half; /* nn__requant_short(): right shift, 2^(r - 1) */
	} q[4];
};

/* Output zero point and clamp as halfword pairs. */
struct rqc {
	uint32_t zp2, min2, max2;
	int full; /* the clamp is the whole int8 range */
};

/*
 * Fills blk for output channels oc..oc+3: weights of every tap (the filter is
 * [1, kh, kw, oc], so a tap's four channels are one word) and constants.
 * Returns 0 if a multiplier or shift needs nn__mbqm() (the portable loop).
 */
static int
blk_fill(const struct nn__conv *d, int32_t oc, struct blk *k)
{
	const int32_t *mult = MULT(d);
	const int8_t *shift = (const int8_t *)(mult + (d->per_channel ? d->oc : 1));
	const int32_t n_oc = d->oc, nt = d->kh * d->kw, step = d->per_channel ? 1 : 0;
	const int8_t *w = d->w + oc;
	int32_t t, j;

	for (t = 0; t < nt; t++, w += n_oc) {
		uint32_t wv = nn__ld4(w);

		k->w[t] = nn__sxtb16(wv) | (uint64_t)nn__sxtb16_hi(wv) << 32;
	}
	for (j = 0; j < 4; j++) {
		int32_t m = mult[(oc + j) * step], s = shift[(oc + j) * step];

		/* a zero multiplier gives 0 with any shift (a dead channel) */
		if (m == 0)
			s = -1;
		if (!nn__requant_short_ok(m, s))
			return 0;
		k->bias[j] = d->bias ? nn__ld32(d->bias + 4 * (oc + j)) : 0;
		k->q[j].mult = m;
		k->q[j].r = -s;
		k->q[j].half = (int32_t)((1u << -s) >> 1);
	}
	return 1;
}

/*
 * Requantizes a block's four accumulators and stores the four bytes. The
 * short form saturates each result to int16 (the clamp bounds are within
 * +-255 of it, so nothing changes), adds the zero point and clamps two
 * channels per instruction, and stores one word.
 */
DW_INLINE void
store4(int8_t *out, int32_t a0, int32_t a1, int32_t a2, int32_t a3, const struct blk *k,
       const struct rqc *c)
{
	int32_t v0, v1, v2, v3;
	uint32_t p02, p13, word;

	v0 = nn__ssat16(nn__requant_short(a0, k->q[0].mult, k->q[0].r, k->q[0].half));
	v1 = nn__ssat16(nn__requant_short(a1, k->q[1].mult, k->q[1].r, k->q[1].half));
	v2 = nn__ssat16(nn__requant_short(a2, k->q[2].mult, k->q[2].r, k->q[2].half));
	v3 = nn__ssat16(nn__requant_short(a3, k->q[3].mult, k->q[3].r, k->q[3].half));
	p02 = nn__qadd16(nn__pkhbt(v0, v2), c->zp2);
	p13 = nn__qadd16(nn__pkhbt(v1, v3), c->zp2);
	if (c->full) {
		p02 = nn__ssat16_8(p02);
		p13 = nn__ssat16_8(p13);
	} else {
		p02 = nn__min16(nn__max16(p02, c->min2), c->max2);
		p13 = nn__min16(nn__max16(p13, c->min2), c->max2);
	}
	word = (p02 & 0x00ff00ffu) | (p13 & 0x00ff00ffu) << 8;
	memcpy(out, &word, sizeof(word));
}

/* One tap of four channels with depth multiplier 1 (input channels c..c+3
 * side by side) against the tap's unpacked weights *wp. */
#define DM1_TAP(xp, wp)                                                                            \
	do {                                                                                       \
		uint64_t wt_ = *(wp);                                                              \
		uint32_t xv_ = nn__ld4(xp), xe_ = nn__sxtab16(offs, xv_);                          \
                                                                                                   \
		a0 = nn__smlabb(xe_, (uint32_t)wt_, a0);                                           \
		a2 = nn__smlatt(xe_, (uint32_t)wt_, a2);                                           \
		xe_ = nn__sxtab16_hi(offs, xv_);                                                   \
		a1 = nn__smlabb(xe_, (uint32_t)(wt_ >> 32), a1);                                   \
		a3 = nn__smlatt(xe_, (uint32_t)(wt_ >> 32), a3);                                   \
	} while (0)

/* The first n (compile-time, 0 for the run-time nkx) taps of one filter row. */
#define DM1_ROW(xp, wq, n)                                                                         \
	do {                                                                                       \
		if ((n) >= 1)                                                                      \
			DM1_TAP(xp, wq);                                                           \
		if ((n) >= 2)                                                                      \
			DM1_TAP((xp) + xs, (wq) + 1);                                              \
		if ((n) >= 3)                                                                      \
			DM1_TAP((xp) + 2 * xs, (wq) + 2);                                          \
		if ((n) == 0)                                                                      \
			for (kx = 0; kx < nkx; kx++)                                               \
				DM1_TAP((xp) + kx * xs, (wq) + kx);                                \
	} while (0)

/*
 * One pixel of a depth-multiplier-1 block: x at the first valid tap (channel
 * oc), wp at its weights, wrow table entries per filter row. Compile-time
 * shapes (0: the run-time value): nkxc valid taps per row; full3 a 3x3 window
 * wholly inside the image (rows unrolled too).
 */
DW_INLINE void
dm1_px(const int8_t *x, const uint64_t *wp, int32_t nky, int32_t nkx, const int nkxc, int32_t wrow,
       const int full3, int32_t xs, int32_t xrow, uint32_t offs, int8_t *out, const struct blk *k,
       const struct rqc *c)
{
	int32_t a0 = k->bias[0], a1 = k->bias[1], a2 = k->bias[2], a3 = k->bias[3], ky, kx;

	if (full3) {
		DM1_ROW(x, wp, 3);
		x += xrow;
		DM1_ROW(x, wp + 3, 3);
		x += xrow;
		DM1_ROW(x, wp + 6, 3);
	} else {
		for (ky = 0; ky < nky; ky++) {
			DM1_ROW(x, wp, nkxc);
			x += xrow;
			wp += wrow;
		}
	}
	store4(out, a0, a1, a2, a3, k, c);
}

/* One tap of four output channels that read the same input value, held in
 * the bottom (B) or top (T) halfword of xh. */
#define DMX_TAP(xh, wp, MB, MT)                                                                    \
	do {                                                                                       \
		uint64_t wt_ = *(wp);                                                              \
                                                                                                   \
		a0 = MB(xh, (uint32_t)wt_, a0);                                                    \
		a2 = MT(xh, (uint32_t)wt_, a2);                                                    \
		a1 = MB(xh, (uint32_t)(wt_ >> 32), a1);                                            \
		a3 = MT(xh, (uint32_t)(wt_ >> 32), a3);                                            \
	} while (0)

/* Three taps of a row, xs apart, against the row's unpacked weights wq. */
#define DMX_ROW3(xp, wq)                                                                           \
	do {                                                                                       \
		uint32_t x0_ = (uint32_t)((xp)[0] + off), x1_ = (uint32_t)((xp)[xs] + off);        \
		uint32_t x2_ = (uint32_t)((xp)[2 * xs] + off);                                     \
                                                                                                   \
		DMX_TAP(x0_, wq, nn__smlabb, nn__smlabt);                                          \
		DMX_TAP(x1_, (wq) + 1, nn__smlabb, nn__smlabt);                                    \
		DMX_TAP(x2_, (wq) + 2, nn__smlabb, nn__smlabt);                                    \
	} while (0)

/*
 * One pixel of a block whose four output channels read one input channel
 * (depth multiplier a multiple of 4). words (compile-time): one input channel
 * and dilation 1, so a row's taps are consecutive bytes, four per word.
 * row3 (compile-time): every row has 3 valid taps, unrolled; with full3 the
 * window is 3x3 inside the image and the rows are unrolled too.
 */
DW_INLINE void
dmx_px(const int8_t *x, const uint64_t *wp, int32_t nky, int32_t nkx, const int words,
       const int row3, const int full3, int32_t wskip, int32_t xs, int32_t xrow, int32_t off,
       uint32_t offs, int8_t *out, const struct blk *k, const struct rqc *c)
{
	int32_t a0 = k->bias[0], a1 = k->bias[1], a2 = k->bias[2], a3 = k->bias[3], ky, kx;

	if (full3) {
		DMX_ROW3(x, wp);
		x += xrow;
		DMX_ROW3(x, wp + 3);
		x += xrow;
		DMX_ROW3(x, wp + 6);
		store4(out, a0, a1, a2, a3, k, c);
		return;
	}
	for (ky = nky; ky > 0; ky--) {
		const int8_t *xp = x;

		kx = nkx;
		if (row3) {
			DMX_ROW3(xp, wp);
			kx = 0;
			wp += 3;
		}
		if (words) {
			for (; kx >= 4; kx -= 4) {
				uint32_t xv = nn__ld4(xp);
				uint32_t xe = nn__sxtab16(offs, xv), xo = nn__sxtab16_hi(offs, xv);

				DMX_TAP(xe, wp, nn__smlabb, nn__smlabt);
				DMX_TAP(xo, wp + 1, nn__smlabb, nn__smlabt);
				DMX_TAP(xe, wp + 2, nn__smlatb, nn__smlatt);
				DMX_TAP(xo, wp + 3, nn__smlatb, nn__smlatt);
				xp += 4;
				wp += 4;
			}
		}
		for (; kx > 0; kx--) {
			uint32_t xh = (uint32_t)(*xp + off);

			DMX_TAP(xh, wp, nn__smlabb, nn__smlabt);
			xp += xs;
			wp += 1;
		}
		wp += wskip;
		x += xrow;
	}
	store4(out, a0, a1, a2, a3, k, c);
}

/*
 * Every pixel of one block. Output columns [ox_lo, ox_hi) have every filter
 * column inside the image (the interior); the ones around them are edges.
 * mode 1: depth multiplier 1; 2: a multiple of 4; 3: that with words. kwc:
 * the filter width when it is 3 or 1 (unrolled rows), else 0.
 */
DW_INLINE void
blk_run(const struct nn__conv *d, const struct blk *k, int32_t oc, const int mode, const int kwc,
        int32_t ox_lo, int32_t ox_hi, const struct rqc *c)
{
	const int32_t ic = d->ic, n_oc = d->oc, kw = d->kw, ow = d->ow, oh = d->oh;
	const int32_t sw = d->sw, sh = d->sh, dh = d->dh, dw = d->dw, pw = d->pw, ph = d->ph;
	const int32_t ih = d->ih, iw = d->iw, kh = d->kh, off = d->in_off;
	const int32_t xs = dw * ic, xrow = dh * iw * ic, xstep = sw * ic;
	const uint32_t offs = (uint32_t)(uint16_t)off * 0x10001u;
	/* the input channel the block reads */
	const int32_t ch = mode == 1 ? oc : oc / d->dm;
	int8_t *out = d->out + oc;
	int32_t b, oy, ox;

	for (b = 0; b < d->n; b++) {
		const int8_t *img = d->in + (size_t)b * ih * iw * ic + ch;

		for (oy = 0; oy < oh; oy++) {
			int32_t iy0 = oy * sh - ph;
			int32_t ky0 = iy0 < 0 ? (-iy0 + dh - 1) / dh : 0;
			int32_t ky1 = (ih - iy0 + dh - 1) / dh, nky;
			const int8_t *row, *x;
			const uint64_t *wrow;

			if (ky1 > kh)
				ky1 = kh;
			nky = ky1 - ky0;
			row = img + (size_t)(iy0 + ky0 * dh) * iw * ic;
			wrow = k->w + ky0 * kw;
			ox = 0;
			while (ox < ow) {
				int32_t ix0, kx0, kx1;

				if (ox == ox_lo && ox < ox_hi) {
					/* the interior: whole filter rows */
					x = row + (size_t)(ox * sw - pw) * ic;
					for (; ox < ox_hi; ox++) {
						if (mode == 1 && kwc == 3 && nky == 3)
							dm1_px(x, wrow, 3, 3, 3, 3, 1, xs, xrow,
							       offs, out, k, c);
						else if (mode == 1 && kwc == 3)
							dm1_px(x, wrow, nky, 3, 3, 3, 0, xs, xrow,
							       offs, out, k, c);
						else if (mode == 1 && kwc == 1)
							dm1_px(x, wrow, nky, 1, 1, 1, 0, xs, xrow,
							       offs, out, k, c);
						else if (mode == 1)
							dm1_px(x, wrow, nky, kw, 0, kw, 0, xs, xrow,
							       offs, out, k, c);
						else if (kwc == 3 && nky == 3)
							dmx_px(x, wrow, 3, 3, 0, 1, 1, 0, xs, xrow,
							       off, offs, out, k, c);
						else if (kwc == 3)
							dmx_px(x, wrow, nky, 3, 0, 1, 0, 0, xs,
							       xrow, off, offs, out, k, c);
						else
							dmx_px(x, wrow, nky, kw, mode == 3, 0, 0, 0,
							       xs, xrow, off, offs, out, k, c);
						x += xstep;
						out += n_oc;
					}
					continue;
				}
				ix0 = ox * sw - pw;
				kx0 = ix0 < 0 ? (-ix0 + dw - 1) / dw : 0;
				kx1 = (iw - ix0 + dw - 1) / dw;
				if (kx1 > kw)
					kx1 = kw;
				x = row + (size_t)(ix0 + kx0 * dw) * ic;
				if (mode == 1 && kwc == 3 && kx1 - kx0 == 2)
					dm1_px(x, wrow + kx0, nky, 2, 2, 3, 0, xs, xrow, offs, out,
					       k, c);
				else if (mode == 1)
					dm1_px(x, wrow + kx0, nky, kx1 - kx0, 0, kw, 0, xs, xrow,
					       offs, out, k, c);
				else
					dmx_px(x, wrow + kx0, nky, kx1 - kx0, mode == 3, 0, 0,
					       kw - (kx1 - kx0), xs, xrow, off, offs, out, k, c);
				out += n_oc;
				ox++;
			}
		}
	}
}

/* The DSP paths for every block of the layer; returns the first output
 * channel left to the portable loop. */
static int32_t
dsp_layer(const struct nn__conv *d)
{
	const int32_t n_oc = d->oc, dm = d->dm;
	struct nn__conv g = *d; /* the geometry blk_run() sees */
	struct rqc c;
	struct blk k;
	int32_t oc, ox_lo, ox_hi, lim, kw, t;
	int mode;

	if (d->kh * d->kw > DW_MAXT)
		return 0;
	if (g.iw == 1 && g.ow == 1 && g.kw == 1 && g.pw == 0) {
		/* A column ([n, h, 1, c] in and out, a [1, kh, 1, oc] filter)
		 * is the same bytes as a row: run it as one, so that its pixels
		 * take the interior column loop (sww's 1-D layers). */
#define DW_SWAP(a, b) (t = (a), (a) = (b), (b) = t)
		DW_SWAP(g.ih, g.iw);
		DW_SWAP(g.kh, g.kw);
		DW_SWAP(g.sh, g.sw);
		DW_SWAP(g.dh, g.dw);
		DW_SWAP(g.ph, g.pw);
		DW_SWAP(g.oh, g.ow);
#undef DW_SWAP
	}
	kw = g.kw;
	mode = dm == 1 ? 1 : dm % 4 ? 0 : g.ic == 1 && g.dw == 1 ? 3 : 2;
	if (mode == 0)
		return 0;
	c.zp2 = (uint32_t)(uint16_t)d->out_zp * 0x10001u;
	c.min2 = (uint32_t)(uint16_t)d->act_min * 0x10001u;
	c.max2 = (uint32_t)(uint16_t)d->act_max * 0x10001u;
	c.full = d->act_min == -128 && d->act_max == 127;
	/* interior columns: ix0 >= 0 and ix0 + (kw - 1) * dw <= iw - 1 */
	ox_lo = (g.pw + g.sw - 1) / g.sw;
	lim = g.iw - 1 - (kw - 1) * g.dw + g.pw;
	ox_hi = lim < 0 ? 0 : lim / g.sw + 1;
	if (ox_lo > g.ow)
		ox_lo = g.ow;
	if (ox_hi > g.ow)
		ox_hi = g.ow;
	if (ox_hi < ox_lo)
		ox_hi = ox_lo;
	for (oc = 0; oc + 4 <= n_oc; oc += 4) {
		if (!blk_fill(d, oc, &k))
			generic_layer(d, oc, oc + 4);
		else if (mode == 1 && kw == 3)
			blk_run(&g, &k, oc, 1, 3, ox_lo, ox_hi, &c);
		else if (mode == 1 && kw == 1)
			blk_run(&g, &k, oc, 1, 1, ox_lo, ox_hi, &c);
		else if (mode == 1)
			blk_run(&g, &k, oc, 1, 0, ox_lo, ox_hi, &c);
		else if (mode == 3 && kw == 3)
			blk_run(&g, &k, oc, 3, 3, ox_lo, ox_hi, &c);
		else if (mode == 3)
			blk_run(&g, &k, oc, 3, 0, ox_lo, ox_hi, &c);
		else if (kw == 3)
			blk_run(&g, &k, oc, 2, 3, ox_lo, ox_hi, &c);
		else
			blk_run(&g, &k, oc, 2, 0, ox_lo, ox_hi, &c);
	}
	return oc;
}
#endif /* DW_DSP */

void
nn_dwconv_s8_eval(const void *data, void *scratch)
{
	const struct nn__conv *d = data;
	int32_t ch0 = 0;

	(void)scratch;
#ifdef DW_DSP
	ch0 = dsp_layer(d);
#endif
	if (ch0 < d->oc)
		generic_layer(d, ch0, d->oc);
}
