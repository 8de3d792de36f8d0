/*
 * ChaCha20-Poly1305 (RFC 8439) for the wire protocol.
 *
 * Divisions: helpers (little-endian loads and stores, wipe, constant-time compare),
 * ChaCha20 (2.3, 2.4), Poly1305 (2.5; 26-bit limbs after Andrew Moon's public domain
 * poly1305-donna-32, which needs only 32x32->64 multiplies: one UMULL/UMLAL each on a
 * Cortex-M4), and the AEAD construction (2.8).
 *
 * Every temporary that holds key stream, the one-time Poly1305 key or Poly1305 state
 * is wiped before returning, on success and on error.
 */
#include <string.h>

#include "wire/aead.h"
#include "wire/wire.h"

/* RFC 8439 2.8: at most 2^32 - 1 blocks of 64 bytes per nonce (block 0 is the OTK). */
#define AEAD_MAX_LEN ((uint64_t)64 * 0xfffffffeu)

/* ---- helpers ---------------------------------------------------------------------- */

static uint32_t
load32_le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
store32_le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
store64_le(uint8_t *p, uint64_t v)
{
	store32_le(p, (uint32_t)v);
	store32_le(p + 4, (uint32_t)(v >> 32));
}

void
wire_aead_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

int
wire_aead_memcmp_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	/* volatile so the compiler cannot turn the loop into an early-exit compare. */
	volatile uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	/* (d - 1) >> 8 has bit 0 set only when d == 0. */
	return (int)((1u & (((unsigned)d - 1u) >> 8)) - 1u);
}

/* ---- ChaCha20 --------------------------------------------------------------------- */

#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                                                             \
	do {                                                                                       \
		a += b;                                                                            \
		d ^= a;                                                                            \
		d = ROTL32(d, 16);                                                                 \
		c += d;                                                                            \
		b ^= c;                                                                            \
		b = ROTL32(b, 12);                                                                 \
		a += b;                                                                            \
		d ^= a;                                                                            \
		d = ROTL32(d, 8);                                                                  \
		c += d;                                                                            \
		b ^= c;                                                                            \
		b = ROTL32(b, 7);                                                                  \
	} while (0)

/* The state for (key, counter, nonce): constants, key, counter, nonce (RFC 8439 2.3). */
static void
chacha20_init(uint32_t st[16], const uint8_t key[WIRE_AEAD_KEY_BYTES], uint32_t counter,
              const uint8_t nonce[WIRE_AEAD_NONCE_BYTES])
{
	int i;

	/* "expand 32-byte k" */
	st[0] = 0x61707865u;
	st[1] = 0x3320646eu;
	st[2] = 0x79622d32u;
	st[3] = 0x6b206574u;
	for (i = 0; i < 8; i++)
		st[4 + i] = load32_le(key + 4 * i);
	st[12] = counter;
	st[13] = load32_le(nonce);
	st[14] = load32_le(nonce + 4);
	st[15] = load32_le(nonce + 8);
}

/* 20 rounds over st, added back, serialised into out; x is scratch the caller wipes. */
static void
chacha20_core(const uint32_t st[16], uint32_t x[16], uint8_t out[64])
{
	int i;

	for (i = 0; i < 16; i++)
		x[i] = st[i];
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 16; i++)
		store32_le(out + 4 * i, x[i] + st[i]);
}

void
wire_aead_chacha20_block(const uint8_t key[WIRE_AEAD_KEY_BYTES], uint32_t counter,
                         const uint8_t nonce[WIRE_AEAD_NONCE_BYTES], uint8_t out[64])
{
	uint32_t st[16], x[16];

	chacha20_init(st, key, counter, nonce);
	chacha20_core(st, x, out);
	wire_aead_wipe(x, sizeof(x));
	wire_aead_wipe(st, sizeof(st));
}

int
wire_aead_chacha20_xor(const uint8_t key[WIRE_AEAD_KEY_BYTES], uint32_t counter,
                       const uint8_t nonce[WIRE_AEAD_NONCE_BYTES], const uint8_t *in, uint8_t *out,
                       size_t len)
{
	uint32_t st[16], x[16];
	uint8_t ks[64];
	uint64_t blocks;
	size_t i, n;

	if (len == 0)
		return 0;
	if (key == NULL || nonce == NULL || in == NULL || out == NULL)
		return WIRE_EINVAL;
	blocks = ((uint64_t)len + 63) / 64;
	if (blocks - 1 > (uint64_t)(0xffffffffu - counter))
		return WIRE_EINVAL;

	/* The key schedule is set up once; the scratch is wiped once, at the end. */
	chacha20_init(st, key, counter, nonce);
	while (len > 0) {
		chacha20_core(st, x, ks);
		n = len < 64 ? len : 64;
		for (i = 0; i < n; i++)
			out[i] = in[i] ^ ks[i];
		in += n;
		out += n;
		len -= n;
		st[12]++;
	}
	wire_aead_wipe(ks, sizeof(ks));
	wire_aead_wipe(x, sizeof(x));
	wire_aead_wipe(st, sizeof(st));
	return 0;
}

/* ---- Poly1305 --------------------------------------------------------------------- */

#define M26 0x3ffffffu

/* Absorbs len (a multiple of 16) bytes; hibit is 2^128 in limb 4's units, or 0 for a
 * final block that the caller padded with 0x01 itself. */
static void
poly1305_blocks(struct wire_aead_poly1305 *st, const uint8_t *m, size_t len, uint32_t hibit)
{
	const uint32_t r0 = st->r[0], r1 = st->r[1], r2 = st->r[2], r3 = st->r[3], r4 = st->r[4];
	const uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
	uint32_t h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], h3 = st->h[3], h4 = st->h[4];
	uint64_t d0, d1, d2, d3, d4;
	uint32_t c;

	while (len >= 16) {
		h0 += load32_le(m + 0) & M26;
		h1 += (load32_le(m + 3) >> 2) & M26;
		h2 += (load32_le(m + 6) >> 4) & M26;
		h3 += (load32_le(m + 9) >> 6) & M26;
		h4 += (load32_le(m + 12) >> 8) | hibit;

		d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 +
		     (uint64_t)h4 * s1;
		d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 +
		     (uint64_t)h4 * s2;
		d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 +
		     (uint64_t)h4 * s3;
		d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 +
		     (uint64_t)h4 * s4;
		d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 +
		     (uint64_t)h4 * r0;

		c = (uint32_t)(d0 >> 26);
		h0 = (uint32_t)d0 & M26;
		d1 += c;
		c = (uint32_t)(d1 >> 26);
		h1 = (uint32_t)d1 & M26;
		d2 += c;
		c = (uint32_t)(d2 >> 26);
		h2 = (uint32_t)d2 & M26;
		d3 += c;
		c = (uint32_t)(d3 >> 26);
		h3 = (uint32_t)d3 & M26;
		d4 += c;
		c = (uint32_t)(d4 >> 26);
		h4 = (uint32_t)d4 & M26;
		h0 += c * 5;
		c = h0 >> 26;
		h0 &= M26;
		h1 += c;

		m += 16;
		len -= 16;
	}
	st->h[0] = h0;
	st->h[1] = h1;
	st->h[2] = h2;
	st->h[3] = h3;
	st->h[4] = h4;
}

void
wire_aead_poly1305_init(struct wire_aead_poly1305 *st, const uint8_t key[32])
{
	/* r is clamped as RFC 8439 2.5 requires, then split into 26-bit limbs. */
	st->r[0] = load32_le(key + 0) & 0x3ffffffu;
	st->r[1] = (load32_le(key + 3) >> 2) & 0x3ffff03u;
	st->r[2] = (load32_le(key + 6) >> 4) & 0x3ffc0ffu;
	st->r[3] = (load32_le(key + 9) >> 6) & 0x3f03fffu;
	st->r[4] = (load32_le(key + 12) >> 8) & 0x00fffffu;
	st->h[0] = st->h[1] = st->h[2] = st->h[3] = st->h[4] = 0;
	st->pad[0] = load32_le(key + 16);
	st->pad[1] = load32_le(key + 20);
	st->pad[2] = load32_le(key + 24);
	st->pad[3] = load32_le(key + 28);
	st->buf_len = 0;
}

void
wire_aead_poly1305_update(struct wire_aead_poly1305 *st, const uint8_t *m, size_t len)
{
	size_t want;

	if (len == 0)
		return;
	if (st->buf_len > 0) {
		want = 16 - st->buf_len;
		if (want > len)
			want = len;
		memcpy(st->buf + st->buf_len, m, want);
		st->buf_len += want;
		m += want;
		len -= want;
		if (st->buf_len < 16)
			return;
		poly1305_blocks(st, st->buf, 16, 1u << 24);
		st->buf_len = 0;
	}
	if (len >= 16) {
		want = len & ~(size_t)15;
		poly1305_blocks(st, m, want, 1u << 24);
		m += want;
		len -= want;
	}
	if (len > 0) {
		memcpy(st->buf, m, len);
		st->buf_len = len;
	}
}

void
wire_aead_poly1305_finish(struct wire_aead_poly1305 *st, uint8_t tag[16])
{
	uint32_t h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, c, mask;
	uint64_t f;

	if (st->buf_len > 0) {
		/* The last partial block gets its 2^(8*len) bit as a 0x01 byte, then zeros. */
		st->buf[st->buf_len] = 1;
		memset(st->buf + st->buf_len + 1, 0, 16 - st->buf_len - 1);
		poly1305_blocks(st, st->buf, 16, 0);
	}

	/* Carry h fully. */
	h0 = st->h[0];
	h1 = st->h[1];
	h2 = st->h[2];
	h3 = st->h[3];
	h4 = st->h[4];
	c = h1 >> 26;
	h1 &= M26;
	h2 += c;
	c = h2 >> 26;
	h2 &= M26;
	h3 += c;
	c = h3 >> 26;
	h3 &= M26;
	h4 += c;
	c = h4 >> 26;
	h4 &= M26;
	h0 += c * 5;
	c = h0 >> 26;
	h0 &= M26;
	h1 += c;

	/* g = h + 5 - 2^130; pick g if it did not borrow (h >= p), in constant time. */
	g0 = h0 + 5;
	c = g0 >> 26;
	g0 &= M26;
	g1 = h1 + c;
	c = g1 >> 26;
	g1 &= M26;
	g2 = h2 + c;
	c = g2 >> 26;
	g2 &= M26;
	g3 = h3 + c;
	c = g3 >> 26;
	g3 &= M26;
	g4 = h4 + c - (1u << 26);

	mask = (g4 >> 31) - 1; /* all ones when g4 did not go negative */
	g0 &= mask;
	g1 &= mask;
	g2 &= mask;
	g3 &= mask;
	g4 &= mask;
	mask = ~mask;
	h0 = (h0 & mask) | g0;
	h1 = (h1 & mask) | g1;
	h2 = (h2 & mask) | g2;
	h3 = (h3 & mask) | g3;
	h4 = (h4 & mask) | g4;

	/* h mod 2^128, plus s. */
	h0 = h0 | (h1 << 26);
	h1 = (h1 >> 6) | (h2 << 20);
	h2 = (h2 >> 12) | (h3 << 14);
	h3 = (h3 >> 18) | (h4 << 8);
	f = (uint64_t)h0 + st->pad[0];
	store32_le(tag + 0, (uint32_t)f);
	f = (uint64_t)h1 + st->pad[1] + (f >> 32);
	store32_le(tag + 4, (uint32_t)f);
	f = (uint64_t)h2 + st->pad[2] + (f >> 32);
	store32_le(tag + 8, (uint32_t)f);
	f = (uint64_t)h3 + st->pad[3] + (f >> 32);
	store32_le(tag + 12, (uint32_t)f);

	wire_aead_wipe(st, sizeof(*st));
}

void
wire_aead_poly1305(const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t tag[16])
{
	struct wire_aead_poly1305 st;

	wire_aead_poly1305_init(&st, key);
	wire_aead_poly1305_update(&st, msg, len);
	wire_aead_poly1305_finish(&st, tag);
}

/* ---- AEAD_CHACHA20_POLY1305 (RFC 8439 2.8) ---------------------------------------- */

/* The tag over aad || pad16 || ct || pad16 || le64(aad_len) || le64(len). */
static void
aead_tag(const uint8_t key[WIRE_AEAD_KEY_BYTES], const uint8_t nonce[WIRE_AEAD_NONCE_BYTES],
         const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len, uint8_t tag[16])
{
	static const uint8_t zeros[16] = {0};
	struct wire_aead_poly1305 st;
	uint8_t block[64]; /* block 0 of the key stream; its first 32 bytes are the OTK */
	uint8_t lens[16];

	wire_aead_chacha20_block(key, 0, nonce, block);
	wire_aead_poly1305_init(&st, block);
	wire_aead_wipe(block, sizeof(block));

	if (aad_len > 0)
		wire_aead_poly1305_update(&st, aad, aad_len);
	wire_aead_poly1305_update(&st, zeros, (16 - aad_len % 16) % 16);
	if (len > 0)
		wire_aead_poly1305_update(&st, ct, len);
	wire_aead_poly1305_update(&st, zeros, (16 - len % 16) % 16);
	store64_le(lens, (uint64_t)aad_len);
	store64_le(lens + 8, (uint64_t)len);
	wire_aead_poly1305_update(&st, lens, sizeof(lens));
	wire_aead_poly1305_finish(&st, tag); /* wipes st */
}

static int
aead_args_ok(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
             const uint8_t *in, const uint8_t *out, size_t len, const uint8_t *tag)
{
	if (key == NULL || nonce == NULL || tag == NULL)
		return 0;
	if (aad == NULL && aad_len > 0)
		return 0;
	if ((in == NULL || out == NULL) && len > 0)
		return 0;
#if SIZE_MAX > 0xffffffffu
	/* Only a 64-bit size_t can describe more than the RFC's 256 GiB. */
	if ((uint64_t)len > AEAD_MAX_LEN)
		return 0;
#endif
	return 1;
}

int
wire_aead_seal(const uint8_t key[WIRE_AEAD_KEY_BYTES], const uint8_t nonce[WIRE_AEAD_NONCE_BYTES],
               const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
               uint8_t tag[WIRE_AEAD_TAG_BYTES])
{
	int r;

	if (!aead_args_ok(key, nonce, aad, aad_len, pt, ct, len, tag))
		return WIRE_EINVAL;
	r = wire_aead_chacha20_xor(key, 1, nonce, pt, ct, len);
	if (r < 0)
		return r;
	aead_tag(key, nonce, aad, aad_len, ct, len, tag);
	return 0;
}

int
wire_aead_open(const uint8_t key[WIRE_AEAD_KEY_BYTES], const uint8_t nonce[WIRE_AEAD_NONCE_BYTES],
               const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
               const uint8_t tag[WIRE_AEAD_TAG_BYTES], uint8_t *pt)
{
	uint8_t calc[WIRE_AEAD_TAG_BYTES];
	int r;

	if (!aead_args_ok(key, nonce, aad, aad_len, ct, pt, len, tag))
		return WIRE_EINVAL;
	aead_tag(key, nonce, aad, aad_len, ct, len, calc);
	r = wire_aead_memcmp_ct(calc, tag, sizeof(calc));
	wire_aead_wipe(calc, sizeof(calc));
	if (r != 0)
		return WIRE_EAUTH;
	return wire_aead_chacha20_xor(key, 1, nonce, ct, pt, len);
}
