/*
 * check_frame: the v1 frame (DESIGN.md layout) byte by byte, interop with a frame built
 * by hand with libsodium, and the bad-input table: every malformed, forged, replayed
 * or oversized frame gets its own WIRE_E* code and changes nothing.
 */
#include <check.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/frame.h"
#include "wire/replay.h"
#include "wire/wire.h"

static const uint8_t test_key[32] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                     0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
                                     0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
                                     0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};

static uint64_t
rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
rnd_fill(uint64_t *s, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd_next(s);
}

/* Builds the reference frame: node 0x04030201, counter 0x0c0b0a0908070605, 40-byte msg. */
static size_t
make_frame(uint8_t *f, size_t cap, enum wire_dir dir, uint8_t msg[40])
{
	int n, i;

	for (i = 0; i < 40; i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	n = wire_frame_seal(test_key, dir, 0x04030201u, 0x0c0b0a0908070605ull, msg, 40, f, cap);
	ck_assert_int_eq(n, 70);
	return (size_t)n;
}

/* ---- core ------------------------------------------------------------------------- */

START_TEST(test_frame_layout_matches_design_card)
{
	static const uint8_t want_hdr[14] = {1,    0,    0x01, 0x02, 0x03, 0x04, 0x05,
	                                     0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};
	uint8_t f[WIRE_MAX_FRAME], msg[40], nonce[12], ct[40 + 16];
	unsigned long long ct_len;
	size_t len;

	len = make_frame(f, sizeof(f), WIRE_DIR_N2G, msg);
	ck_assert_mem_eq(f, want_hdr, 14);
	/* nonce = "TFup" || counter LE; AAD = bytes 0..13; ciphertext then tag */
	memcpy(nonce, "TFup", 4);
	memcpy(nonce + 4, want_hdr + 6, 8);
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, &ct_len, msg, 40, want_hdr, 14, NULL, nonce,
	                                          test_key);
	ck_assert_uint_eq(ct_len + 14, len);
	ck_assert_mem_eq(f + 14, ct, 40 + 16);

	len = make_frame(f, sizeof(f), WIRE_DIR_G2N, msg);
	ck_assert_uint_eq(f[1], WIRE_FRAME_FLAG_G2N);
	memcpy(nonce, "TFdn", 4);
	/* the AAD is the header as sent, flags included */
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, &ct_len, msg, 40, f, 14, NULL, nonce,
	                                          test_key);
	ck_assert_mem_eq(f + 14, ct, 40 + 16);
}
END_TEST

START_TEST(test_frame_built_with_libsodium_opens)
{
	uint8_t f[WIRE_MAX_FRAME], msg[WIRE_FRAME_MAX_PAYLOAD], out[WIRE_FRAME_MAX_PAYLOAD];
	uint8_t nonce[12];
	struct wire_frame_hdr hdr;
	unsigned long long ct_len;
	uint64_t seed = 0xf4a3e001, counter;
	uint32_t node;
	size_t n;
	int dir, r;

	for (n = 0; n <= WIRE_FRAME_MAX_PAYLOAD; n++) {
		dir = (int)(n & 1);
		node = (uint32_t)rnd_next(&seed);
		counter = rnd_next(&seed) | 1;
		rnd_fill(&seed, msg, n);
		f[0] = 1;
		f[1] = (uint8_t)dir;
		memcpy(f + 2, &node, 4); /* the host is little endian, as the wire */
		memcpy(f + 6, &counter, 8);
		memcpy(nonce, dir ? WIRE_FRAME_NONCE_G2N : WIRE_FRAME_NONCE_N2G, 4);
		memcpy(nonce + 4, f + 6, 8);
		crypto_aead_chacha20poly1305_ietf_encrypt(f + 14, &ct_len, msg, n, f, 14, NULL,
		                                          nonce, test_key);
		r = wire_frame_open(test_key, (enum wire_dir)dir, f, n + 30, &hdr, out,
		                    sizeof(out));
		ck_assert_int_eq(r, (int)n);
		ck_assert_mem_eq(out, msg, n);
		ck_assert_uint_eq(hdr.node_id, node);
		ck_assert_uint_eq(hdr.counter, counter);
		ck_assert_uint_eq(hdr.flags, (unsigned)dir);
	}
}
END_TEST

START_TEST(test_frame_sealed_by_us_opens_with_libsodium)
{
	uint8_t f[WIRE_MAX_FRAME], msg[WIRE_FRAME_MAX_PAYLOAD], out[WIRE_FRAME_MAX_PAYLOAD];
	uint8_t nonce[12];
	unsigned long long out_len;
	uint64_t seed = 0xf4a3e002, counter;
	size_t n;
	int r;

	for (n = 0; n <= WIRE_FRAME_MAX_PAYLOAD; n++) {
		counter = rnd_next(&seed) | 1;
		rnd_fill(&seed, msg, n);
		r = wire_frame_seal(test_key, WIRE_DIR_N2G, (uint32_t)n, counter, msg, n, f,
		                    sizeof(f));
		ck_assert_int_eq(r, (int)n + 30);
		memcpy(nonce, "TFup", 4);
		memcpy(nonce + 4, &counter, 8);
		ck_assert_int_eq(crypto_aead_chacha20poly1305_ietf_decrypt(out, &out_len, NULL,
		                                                           f + 14, n + 16, f, 14,
		                                                           nonce, test_key),
		                 0);
		ck_assert_uint_eq(out_len, n);
		ck_assert_mem_eq(out, msg, n);
	}
}
END_TEST

START_TEST(test_frame_parse_reads_header_without_key)
{
	uint8_t f[WIRE_MAX_FRAME], msg[40];
	struct wire_frame_hdr hdr;
	size_t len;

	len = make_frame(f, sizeof(f), WIRE_DIR_G2N, msg);
	ck_assert_int_eq(wire_frame_parse(f, len, &hdr), 40);
	ck_assert_uint_eq(hdr.version, 1);
	ck_assert_uint_eq(hdr.flags, WIRE_FRAME_FLAG_G2N);
	ck_assert_uint_eq(hdr.node_id, 0x04030201u);
	ck_assert_uint_eq(hdr.counter, 0x0c0b0a0908070605ull);
}
END_TEST

START_TEST(test_frame_seal_and_open_in_place)
{
	uint8_t f[WIRE_MAX_FRAME], msg[WIRE_FRAME_MAX_PAYLOAD], ref[WIRE_MAX_FRAME];
	uint64_t seed = 0xf4a3e003;
	size_t n;

	for (n = 0; n <= WIRE_FRAME_MAX_PAYLOAD; n += 13) {
		rnd_fill(&seed, msg, n);
		ck_assert_int_eq(
		        wire_frame_seal(test_key, WIRE_DIR_G2N, 7, n + 1, msg, n, ref, sizeof(ref)),
		        (int)n + 30);
		/* the agent encodes its message at f + 14 and seals there */
		memcpy(f + WIRE_FRAME_HDR_BYTES, msg, n);
		ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_G2N, 7, n + 1,
		                                 f + WIRE_FRAME_HDR_BYTES, n, f, sizeof(f)),
		                 (int)n + 30);
		ck_assert_mem_eq(f, ref, n + 30);
		ck_assert_int_eq(wire_frame_open(test_key, WIRE_DIR_G2N, f, n + 30, NULL,
		                                 f + WIRE_FRAME_HDR_BYTES, n),
		                 (int)n);
		ck_assert_mem_eq(f + WIRE_FRAME_HDR_BYTES, msg, n);
	}
}
END_TEST

START_TEST(test_frame_receive_moves_window_only_on_success)
{
	uint8_t f[WIRE_MAX_FRAME], msg[40], out[64];
	struct wire_replay w;
	struct wire_frame_hdr hdr;
	uint64_t c;
	int n;

	wire_replay_init(&w);
	for (c = 1; c <= 100; c++) {
		n = wire_frame_seal(test_key, WIRE_DIR_N2G, 9, c, msg, 10, f, sizeof(f));
		ck_assert_int_eq(n, 40);
		ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, (size_t)n, &hdr,
		                                    out, sizeof(out)),
		                 10);
		ck_assert_uint_eq(hdr.counter, c);
		ck_assert_uint_eq(w.highest, c);
		/* the same frame again is a replay */
		ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, (size_t)n, &hdr,
		                                    out, sizeof(out)),
		                 WIRE_EREPLAY);
	}
	/* a forged frame far ahead must not move the window */
	n = wire_frame_seal(test_key, WIRE_DIR_N2G, 9, 1000, msg, 10, f, sizeof(f));
	f[20] ^= 1;
	ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, (size_t)n, &hdr, out,
	                                    sizeof(out)),
	                 WIRE_EAUTH);
	ck_assert_uint_eq(w.highest, 100);
}
END_TEST

/* ---- limits ----------------------------------------------------------------------- */

START_TEST(test_frame_sizes_at_the_limits)
{
	uint8_t f[WIRE_MAX_FRAME + 8], msg[WIRE_FRAME_MAX_PAYLOAD + 1] = {0}, out[512];
	struct wire_frame_hdr hdr;

	ck_assert_int_eq(WIRE_FRAME_MAX_PAYLOAD, 482);
	/* empty message: a 30-byte frame */
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 1, NULL, 0, f, 30), 30);
	ck_assert_int_eq(wire_frame_open(test_key, WIRE_DIR_N2G, f, 30, &hdr, NULL, 0), 0);
	/* largest message: exactly 512 bytes, into an exact-size buffer */
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 2, msg, 482, f, 512), 512);
	ck_assert_int_eq(wire_frame_open(test_key, WIRE_DIR_N2G, f, 512, &hdr, out, 482), 482);
	/* one more is too big, whatever the buffer */
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 3, msg, 483, f, sizeof(f)),
	                 WIRE_ETOOBIG);
	/* buffers one byte short */
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 4, msg, 10, f, 39),
	                 WIRE_ENOSPC);
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 5, msg, 10, f, 40), 40);
	ck_assert_int_eq(wire_frame_open(test_key, WIRE_DIR_N2G, f, 40, &hdr, out, 9), WIRE_ENOSPC);
}
END_TEST

START_TEST(test_frame_counter_extremes)
{
	uint8_t f[64], out[8];
	struct wire_frame_hdr hdr;
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 0, NULL, 0, f, sizeof(f)),
	                 WIRE_EINVAL);
	ck_assert_int_eq(
	        wire_frame_seal(test_key, WIRE_DIR_N2G, 1, UINT64_MAX, NULL, 0, f, sizeof(f)), 30);
	ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, 30, &hdr, out, 0), 0);
	ck_assert_uint_eq(hdr.counter, UINT64_MAX);
	ck_assert_uint_eq(w.highest, UINT64_MAX);
}
END_TEST

START_TEST(test_frame_node_id_and_counter_use_all_bits)
{
	uint8_t f[64];
	struct wire_frame_hdr hdr;

	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 0xffffffffu, 0x8000000000000001ull,
	                                 NULL, 0, f, sizeof(f)),
	                 30);
	ck_assert_int_eq(wire_frame_parse(f, 30, &hdr), 0);
	ck_assert_uint_eq(hdr.node_id, 0xffffffffu);
	ck_assert_uint_eq(hdr.counter, 0x8000000000000001ull);
	ck_assert_uint_eq(f[13], 0x80);
	ck_assert_uint_eq(f[6], 0x01);
}
END_TEST

/* ---- errors: the bad-input table -------------------------------------------------- */

/*
 * One row per kind of bad input. Each starts from a valid 70-byte N2G frame (node
 * 0x04030201, counter 0x0c0b0a0908070605) and a receiver window, mutates the frame,
 * then runs wire_frame_receive() as the gateway would. The row's code must come back,
 * and neither the output buffer nor the window may change.
 */
struct bad_case {
	const char *name;
	size_t len;        /* frame length to present (0: keep 70) */
	int at;            /* byte to XOR with `xor` (-1: none) */
	uint8_t xor_mask;  /* bits to flip at `at` */
	enum wire_dir dir; /* direction the receiver expects */
	uint64_t highest;  /* receiver window before */
	uint64_t bitmap;
	int wrong_key; /* open with another key */
	int want;
};

#define C0 0x0c0b0a0908070605ull

static const struct bad_case bad_cases[] = {
        {"empty input", 1, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_ETRUNC},
        {"header only", 14, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_ETRUNC},
        {"one byte short of minimum", 29, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_ETRUNC},
        {"message cut short", 69, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_EAUTH},
        {"trailing garbage", 71, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_EAUTH},
        {"oversized 513", 513, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_ETOOBIG},
        {"oversized 1024", 1024, -1, 0, WIRE_DIR_N2G, 0, 0, 0, WIRE_ETOOBIG},
        {"version 0", 0, 0, 0x01, WIRE_DIR_N2G, 0, 0, 0, WIRE_EVERSION},
        {"version 2", 0, 0, 0x03, WIRE_DIR_N2G, 0, 0, 0, WIRE_EVERSION},
        {"version 0x81", 0, 0, 0x80, WIRE_DIR_N2G, 0, 0, 0, WIRE_EVERSION},
        {"reserved flag bit 1", 0, 1, 0x02, WIRE_DIR_N2G, 0, 0, 0, WIRE_EFLAGS},
        {"reserved flag bit 7", 0, 1, 0x80, WIRE_DIR_N2G, 0, 0, 0, WIRE_EFLAGS},
        {"all reserved flag bits", 0, 1, 0xfe, WIRE_DIR_N2G, 0, 0, 0, WIRE_EFLAGS},
        {"direction bit flipped", 0, 1, 0x01, WIRE_DIR_N2G, 0, 0, 0, WIRE_EFLAGS},
        {"receiver expects the other direction", 0, -1, 0, WIRE_DIR_G2N, 0, 0, 0, WIRE_EFLAGS},
        {"node_id changed", 0, 2, 0x01, WIRE_DIR_N2G, 0, 0, 0, WIRE_EAUTH},
        {"counter changed", 0, 13, 0x40, WIRE_DIR_N2G, 0, 0, 0, WIRE_EAUTH},
        {"ciphertext bit flipped", 0, 14, 0x10, WIRE_DIR_N2G, 0, 0, 0, WIRE_EAUTH},
        {"tag bit flipped", 0, 69, 0x80, WIRE_DIR_N2G, 0, 0, 0, WIRE_EAUTH},
        {"wrong key", 0, -1, 0, WIRE_DIR_N2G, 0, 0, 1, WIRE_EAUTH},
        {"replayed: equals highest", 0, -1, 0, WIRE_DIR_N2G, C0, 0, 0, WIRE_EREPLAY},
        {"replayed: inside window", 0, -1, 0, WIRE_DIR_N2G, C0 + 10, 1u << 9, 0, WIRE_EREPLAY},
        {"stale: 65 below highest", 0, -1, 0, WIRE_DIR_N2G, C0 + 65, 0, 0, WIRE_ESTALE},
        {"stale: far below highest", 0, -1, 0, WIRE_DIR_N2G, UINT64_MAX, 0, 0, WIRE_ESTALE},
};

START_TEST(test_frame_receive_rejects_bad_input_table)
{
	const struct bad_case *bc = &bad_cases[_i];
	uint8_t f[1024] = {0}, msg[40], out[64], canary[64];
	const uint8_t *key = test_key;
	uint8_t other_key[32];
	struct wire_replay w = {bc->highest, bc->bitmap};
	struct wire_frame_hdr hdr = {0, 0, 0, 0};
	size_t len;

	len = make_frame(f, sizeof(f), WIRE_DIR_N2G, msg);
	if (bc->len)
		len = bc->len;
	if (bc->at >= 0)
		f[bc->at] ^= bc->xor_mask;
	if (bc->wrong_key) {
		memcpy(other_key, test_key, 32);
		other_key[31] ^= 1;
		key = other_key;
	}
	memset(out, 0xa5, sizeof(out));
	memcpy(canary, out, sizeof(out));
	ck_assert_msg(wire_frame_receive(key, bc->dir, &w, f, len, &hdr, out, sizeof(out)) ==
	                      bc->want,
	              "case '%s': want %d (%s)", bc->name, bc->want, wire_strerror(bc->want));
	ck_assert_msg(memcmp(out, canary, sizeof(out)) == 0, "case '%s' wrote output", bc->name);
	ck_assert_msg(w.highest == bc->highest && w.bitmap == bc->bitmap,
	              "case '%s' moved the window", bc->name);
	ck_assert_msg(hdr.node_id == 0 && hdr.counter == 0, "case '%s' wrote the header", bc->name);
}
END_TEST

START_TEST(test_frame_rejects_truncation_at_every_length)
{
	uint8_t f[WIRE_MAX_FRAME], msg[40], out[64];
	struct wire_frame_hdr hdr;
	struct wire_replay w = {0, 0};
	size_t len, cut;

	len = make_frame(f, sizeof(f), WIRE_DIR_N2G, msg);
	for (cut = 0; cut < len; cut++) {
		int want = cut < WIRE_FRAME_MIN ? WIRE_ETRUNC : WIRE_EAUTH;

		ck_assert_int_eq(
		        wire_frame_open(test_key, WIRE_DIR_N2G, f, cut, &hdr, out, sizeof(out)),
		        want);
		ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, cut, &hdr, out,
		                                    sizeof(out)),
		                 want);
		if (cut < WIRE_FRAME_MIN)
			ck_assert_int_eq(wire_frame_parse(f, cut, &hdr), WIRE_ETRUNC);
	}
	ck_assert_uint_eq(w.highest, 0);
}
END_TEST

START_TEST(test_frame_rejects_every_single_bit_flip)
{
	uint8_t f[WIRE_MAX_FRAME], msg[40], out[64];
	struct wire_frame_hdr hdr;
	size_t len, i;
	int bit, r;

	len = make_frame(f, sizeof(f), WIRE_DIR_N2G, msg);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			f[i] ^= (uint8_t)(1u << bit);
			r = wire_frame_open(test_key, WIRE_DIR_N2G, f, len, &hdr, out, sizeof(out));
			if (i == 0)
				ck_assert_int_eq(r, WIRE_EVERSION);
			else if (i == 1)
				ck_assert_int_eq(r, WIRE_EFLAGS);
			else
				ck_assert_msg(r == WIRE_EAUTH, "byte %zu bit %d: %d", i, bit, r);
			f[i] ^= (uint8_t)(1u << bit);
		}
	ck_assert_int_eq(wire_frame_open(test_key, WIRE_DIR_N2G, f, len, &hdr, out, sizeof(out)),
	                 40);
	ck_assert_mem_eq(out, msg, 40);
}
END_TEST

START_TEST(test_frame_rejects_null_and_bad_arguments)
{
	uint8_t f[64] = {0}, out[8];
	struct wire_frame_hdr hdr;
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_frame_parse(NULL, 30, &hdr), WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_parse(f, 30, NULL), WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_seal(NULL, WIRE_DIR_N2G, 1, 1, NULL, 0, f, 64), WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 1, NULL, 1, f, 64),
	                 WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 1, NULL, 0, NULL, 64),
	                 WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_seal(test_key, (enum wire_dir)2, 1, 1, NULL, 0, f, 64),
	                 WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_seal(test_key, WIRE_DIR_N2G, 1, 1, NULL, 0, f, 64), 30);
	ck_assert_int_eq(wire_frame_open(NULL, WIRE_DIR_N2G, f, 30, &hdr, out, 8), WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_open(test_key, (enum wire_dir)7, f, 30, &hdr, out, 8),
	                 WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, NULL, f, 30, &hdr, out, 8),
	                 WIRE_EINVAL);
	ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, 30, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_frame_with_counter_zero_is_stale)
{
	uint8_t f[64], out[8];
	struct wire_replay w = {0, 0};
	uint8_t nonce[12];
	unsigned long long l;

	/* Nobody of ours seals counter 0, so build it by hand. */
	memset(f, 0, 14);
	f[0] = 1;
	memcpy(nonce, "TFup", 4);
	memset(nonce + 4, 0, 8);
	crypto_aead_chacha20poly1305_ietf_encrypt(f + 14, &l, NULL, 0, f, 14, NULL, nonce,
	                                          test_key);
	ck_assert_int_eq(wire_frame_open(test_key, WIRE_DIR_N2G, f, 30, NULL, out, 0), 0);
	ck_assert_int_eq(wire_frame_receive(test_key, WIRE_DIR_N2G, &w, f, 30, NULL, out, 0),
	                 WIRE_ESTALE);
}
END_TEST

static Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_frame_layout_matches_design_card);
	tcase_add_test(core, test_frame_built_with_libsodium_opens);
	tcase_add_test(core, test_frame_sealed_by_us_opens_with_libsodium);
	tcase_add_test(core, test_frame_parse_reads_header_without_key);
	tcase_add_test(core, test_frame_seal_and_open_in_place);
	tcase_add_test(core, test_frame_receive_moves_window_only_on_success);

	tcase_add_test(limits, test_frame_sizes_at_the_limits);
	tcase_add_test(limits, test_frame_counter_extremes);
	tcase_add_test(limits, test_frame_node_id_and_counter_use_all_bits);

	tcase_add_loop_test(errors, test_frame_receive_rejects_bad_input_table, 0,
	                    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(errors, test_frame_rejects_truncation_at_every_length);
	tcase_add_test(errors, test_frame_rejects_every_single_bit_flip);
	tcase_add_test(errors, test_frame_rejects_null_and_bad_arguments);
	tcase_add_test(errors, test_frame_with_counter_zero_is_stale);

	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	sr = srunner_create(frame_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
