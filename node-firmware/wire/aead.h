/*
 * aead: ChaCha20-Poly1305 as specified by RFC 8439 (the "IETF" construction: 96-bit
 * nonce, 32-bit block counter), plus its two building blocks.
 *
 * Portable C99 for 32-bit targets: no table lookups indexed by secret data, no
 * secret-dependent branches, bytes loaded and stored little endian one at a time (the
 * Cortex-M4 must not be assumed to do unaligned access). The tag comparison is
 * constant time. Key stream blocks, Poly1305 state and the one-time Poly1305 key are
 * wiped before every function returns.
 *
 * Byte-compatible with libsodium's crypto_aead_chacha20poly1305_ietf_encrypt_detached()
 * and _decrypt_detached(); the unit tests check it both ways.
 */
#ifndef TF_WIRE_AEAD_H
#define TF_WIRE_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_AEAD_KEY_BYTES   32
#define WIRE_AEAD_NONCE_BYTES 12
#define WIRE_AEAD_TAG_BYTES   16

/* Incremental Poly1305 (RFC 8439 section 2.5), 26-bit limbs: 32x32->64 multiplies only. */
struct wire_aead_poly1305 {
	uint32_t r[5];   /* clamped r, radix 2^26 */
	uint32_t h[5];   /* accumulator, radix 2^26 */
	uint32_t pad[4]; /* s, the second half of the one-time key */
	uint8_t buf[16]; /* a partial block waiting for more input */
	size_t buf_len;  /* bytes used in buf, 0..15 */
};

/*
 * Writes the 64-byte ChaCha20 block for (key, counter, nonce) to out (RFC 8439 2.3).
 */
void wire_aead_chacha20_block(const uint8_t key[WIRE_AEAD_KEY_BYTES], uint32_t counter,
                              const uint8_t nonce[WIRE_AEAD_NONCE_BYTES], uint8_t out[64]);

/*
 * XORs len bytes of in with the ChaCha20 key stream that starts at block `counter`
 * and writes them to out (RFC 8439 2.4). in == out (in place) is allowed; other
 * overlaps are not. Returns 0, or WIRE_EINVAL for NULL pointers with len > 0 or a
 * length that would wrap the 32-bit block counter.
 */
int wire_aead_chacha20_xor(const uint8_t key[WIRE_AEAD_KEY_BYTES], uint32_t counter,
                           const uint8_t nonce[WIRE_AEAD_NONCE_BYTES], const uint8_t *in,
                           uint8_t *out, size_t len);

/* Poly1305 in pieces: init with the 32-byte one-time key, update any number of times, finish. */
void wire_aead_poly1305_init(struct wire_aead_poly1305 *st, const uint8_t key[32]);
void wire_aead_poly1305_update(struct wire_aead_poly1305 *st, const uint8_t *msg, size_t len);
/* Writes the tag and wipes st. */
void wire_aead_poly1305_finish(struct wire_aead_poly1305 *st, uint8_t tag[16]);

/* One-shot Poly1305 (RFC 8439 2.5.2 vectors). */
void wire_aead_poly1305(const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t tag[16]);

/*
 * Constant-time comparison of two n-byte strings: returns 0 when equal, -1 otherwise;
 * the time taken depends on n only.
 */
int wire_aead_memcmp_ct(const uint8_t *a, const uint8_t *b, size_t n);

/*
 * Overwrites n bytes at p with zeros through a volatile pointer, so the compiler
 * cannot drop the stores as dead.
 */
void wire_aead_wipe(void *p, size_t n);

/*
 * AEAD_CHACHA20_POLY1305 encryption (RFC 8439 2.8): encrypts len bytes of pt into ct
 * and writes the 16-byte tag over aad || ct. pt == ct (in place) is allowed.
 * aad and pt may be NULL when their length is 0.
 * Returns 0, or WIRE_EINVAL (NULL key/nonce/tag/ct, or len past the 256 GiB RFC limit).
 */
int wire_aead_seal(const uint8_t key[WIRE_AEAD_KEY_BYTES],
                   const uint8_t nonce[WIRE_AEAD_NONCE_BYTES], const uint8_t *aad, size_t aad_len,
                   const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[WIRE_AEAD_TAG_BYTES]);

/*
 * AEAD_CHACHA20_POLY1305 decryption: verifies tag over aad || ct FIRST and only then
 * decrypts len bytes of ct into pt. pt == ct (in place) is allowed.
 * Returns 0; WIRE_EAUTH when the tag does not verify, in which case pt is not written;
 * or WIRE_EINVAL as for wire_aead_seal().
 */
int wire_aead_open(const uint8_t key[WIRE_AEAD_KEY_BYTES],
                   const uint8_t nonce[WIRE_AEAD_NONCE_BYTES], const uint8_t *aad, size_t aad_len,
                   const uint8_t *ct, size_t len, const uint8_t tag[WIRE_AEAD_TAG_BYTES],
                   uint8_t *pt);

#endif
