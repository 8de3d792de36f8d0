/*
 * check_aead: ChaCha20, Poly1305 and the AEAD against RFC 8439 (sections 2.3.2, 2.4.2,
 * 2.5.2, 2.8.2 and Appendix A.1-A.5) and against libsodium's
 * crypto_aead_chacha20poly1305_ietf_* in both directions.
 */
#include <check.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/aead.h"
#include "wire/wire.h"

/* ---- helpers -------------------------------------------------------------------- */

/* Parses hex (whitespace ignored) into out; returns the byte count. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	ck_assert_int_eq(hi, -1);
	return n;
}

/* Deterministic test data: splitmix64, so a failure reproduces. */
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

static const char ladies[] = "Ladies and Gentlemen of the class of '99: If I could offer you only "
                             "one tip for the future, sunscreen would be it.";

static const char ietf_contribution[] =
        "Any submission to the IETF intended by the Contributor for publication as all or part of "
        "an IETF Internet-Draft or RFC and any statement made within the context of an IETF "
        "activity is considered an \"IETF Contribution\". Such statements include oral "
        "statements in IETF sessions, as well as written and electronic communications made at "
        "any time or place, which are addressed to";

static const char jabberwocky[] = "'Twas brillig, and the slithy toves\nDid gyre and gimble in the "
                                  "wabe:\nAll mimsy were the borogoves,\nAnd the mome raths "
                                  "outgrabe.";

static const char key_1c92[] = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";

static void
key_seq(uint8_t key[32], uint8_t first)
{
	int i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(first + i);
}

/* ---- core: RFC 8439 section 2 vectors -------------------------------------------- */

START_TEST(test_chacha20_block_matches_rfc8439_2_3_2)
{
	uint8_t key[32], nonce[12], out[64], want[64];

	key_seq(key, 0);
	unhex("000000090000004a00000000", nonce, sizeof(nonce));
	unhex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
	      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
	      want, sizeof(want));
	wire_aead_chacha20_block(key, 1, nonce, out);
	ck_assert_mem_eq(out, want, 64);
}
END_TEST

START_TEST(test_chacha20_encrypt_matches_rfc8439_2_4_2)
{
	uint8_t key[32], nonce[12], out[sizeof(ladies)], want[sizeof(ladies)];
	size_t n = sizeof(ladies) - 1;

	key_seq(key, 0);
	unhex("000000000000004a00000000", nonce, sizeof(nonce));
	ck_assert_uint_eq(unhex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
	                        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
	                        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
	                        "5af90bbf74a35be6b40b8eedf2785e42874d",
	                        want, sizeof(want)),
	                  n);
	ck_assert_int_eq(wire_aead_chacha20_xor(key, 1, nonce, (const uint8_t *)ladies, out, n), 0);
	ck_assert_mem_eq(out, want, n);
	/* and back, in place */
	ck_assert_int_eq(wire_aead_chacha20_xor(key, 1, nonce, out, out, n), 0);
	ck_assert_mem_eq(out, ladies, n);
}
END_TEST

START_TEST(test_poly1305_matches_rfc8439_2_5_2)
{
	static const char msg[] = "Cryptographic Forum Research Group";
	uint8_t key[32], tag[16], want[16];

	unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", key, 32);
	unhex("a8061dc1305136c6c22b8baf0c0127a9", want, 16);
	wire_aead_poly1305(key, (const uint8_t *)msg, sizeof(msg) - 1, tag);
	ck_assert_mem_eq(tag, want, 16);
}
END_TEST

START_TEST(test_aead_seal_matches_rfc8439_2_8_2)
{
	uint8_t key[32], nonce[12], aad[12], ct[sizeof(ladies)], want[sizeof(ladies)], tag[16],
	        want_tag[16], pt[sizeof(ladies)];
	size_t n = sizeof(ladies) - 1;

	key_seq(key, 0x80);
	unhex("070000004041424344454647", nonce, 12);
	unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	      "3ff4def08e4b7a9de576d26586cec64b6116",
	      want, sizeof(want));
	unhex("1ae10b594f09e26a7e902ecbd0600691", want_tag, 16);

	ck_assert_int_eq(wire_aead_seal(key, nonce, aad, 12, (const uint8_t *)ladies, n, ct, tag),
	                 0);
	ck_assert_mem_eq(ct, want, n);
	ck_assert_mem_eq(tag, want_tag, 16);
	ck_assert_int_eq(wire_aead_open(key, nonce, aad, 12, ct, n, tag, pt), 0);
	ck_assert_mem_eq(pt, ladies, n);
}
END_TEST

/* ---- core: RFC 8439 Appendix A ---------------------------------------------------- */

START_TEST(test_chacha20_block_matches_appendix_a1)
{
	static const struct {
		const char *key, *nonce;
		uint32_t counter;
		const char *out;
	} v[] = {
	        {"00", "00", 0,
	         "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
	         "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"},
	        {"00", "00", 1,
	         "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
	         "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"},
	        {"0000000000000000000000000000000000000000000000000000000000000001", "00", 1,
	         "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
	         "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"},
	        {"00ff", "00", 2,
	         "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
	         "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096"},
	        {"00", "000000000000000000000002", 0,
	         "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
	         "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d"},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t key[32] = {0}, nonce[12] = {0}, out[64], want[64];

		unhex(v[i].key, key, 32);
		unhex(v[i].nonce, nonce, 12);
		unhex(v[i].out, want, 64);
		wire_aead_chacha20_block(key, v[i].counter, nonce, out);
		ck_assert_msg(memcmp(out, want, 64) == 0, "A.1 vector #%zu", i + 1);
	}
}
END_TEST

START_TEST(test_chacha20_xor_matches_appendix_a2)
{
	uint8_t key[32], nonce[12] = {0}, out[512], want[512];
	size_t n;

	/* #2: 375 bytes from block 1 */
	memset(key, 0, 32);
	key[31] = 1;
	nonce[11] = 2;
	n = sizeof(ietf_contribution) - 1;
	ck_assert_uint_eq(unhex("a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec"
	                        "2a97948bd3722915c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d"
	                        "4042e02785ececfa4b4bb5e8ead0440e20b6e8db09d881a7c6132f420e527950"
	                        "42bdfa7773d8a9051447b3291ce1411c680465552aa6c405b7764d5e87bea85a"
	                        "d00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259d"
	                        "c4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b"
	                        "0871cdac638939e25e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6c"
	                        "cc3aaf9f3979c92b3720fc88dc95ed84a1be059c6499b9fda236e7e818b04b0b"
	                        "c39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80ef2554d7189c411f"
	                        "5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6"
	                        "98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab"
	                        "7ac61dd29c6f21ba5b862f3730e37cfdc4fd806c22f221",
	                        want, sizeof(want)),
	                  n);
	ck_assert_int_eq(
	        wire_aead_chacha20_xor(key, 1, nonce, (const uint8_t *)ietf_contribution, out, n),
	        0);
	ck_assert_mem_eq(out, want, n);

	/* #3: the Jabberwocky from block 42 */
	unhex(key_1c92, key, 32);
	n = sizeof(jabberwocky) - 1;
	ck_assert_uint_eq(unhex("62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf"
	                        "166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb"
	                        "f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f77"
	                        "04c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1",
	                        want, sizeof(want)),
	                  n);
	ck_assert_int_eq(
	        wire_aead_chacha20_xor(key, 42, nonce, (const uint8_t *)jabberwocky, out, n), 0);
	ck_assert_mem_eq(out, want, n);
}
END_TEST

START_TEST(test_poly1305_matches_appendix_a3)
{
	static const struct {
		const char *key, *msg, *tag;
	} v[] = {
	        /* #5..#11: the reduction's edge cases */
	        {"02", "ffffffffffffffffffffffffffffffff", "03"},
	        {"02000000000000000000000000000000"
	         "ffffffffffffffffffffffffffffffff",
	         "02000000000000000000000000000000", "03"},
	        {"01",
	         "ffffffffffffffffffffffffffffffff"
	         "f0ffffffffffffffffffffffffffffff"
	         "11000000000000000000000000000000",
	         "05"},
	        {"01",
	         "ffffffffffffffffffffffffffffffff"
	         "fbfefefefefefefefefefefefefefefe"
	         "01010101010101010101010101010101",
	         "00"},
	        {"02", "fdffffffffffffffffffffffffffffff", "faffffffffffffffffffffffffffffff"},
	        {"01000000000000000400000000000000",
	         "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
	         "0000000000000000000000000000000001000000000000000000000000000000",
	         "14000000000000005500000000000000"},
	        {"01000000000000000400000000000000",
	         "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
	         "00000000000000000000000000000000",
	         "13000000000000000000000000000000"},
	};
	uint8_t key[32], msg[128], tag[16], want[16];
	size_t i, n;

	/* #1: all zero */
	memset(key, 0, 32);
	memset(msg, 0, 64);
	wire_aead_poly1305(key, msg, 64, tag);
	memset(want, 0, 16);
	ck_assert_mem_eq(tag, want, 16);

	/* #2, #3: the IETF contribution text with r = 0, then s = 0 */
	unhex("00000000000000000000000000000000"
	      "36e5f6b5c5e06070f0efca96227a863e",
	      key, 32);
	wire_aead_poly1305(key, (const uint8_t *)ietf_contribution, sizeof(ietf_contribution) - 1,
	                   tag);
	unhex("36e5f6b5c5e06070f0efca96227a863e", want, 16);
	ck_assert_mem_eq(tag, want, 16);
	unhex("36e5f6b5c5e06070f0efca96227a863e"
	      "00000000000000000000000000000000",
	      key, 32);
	wire_aead_poly1305(key, (const uint8_t *)ietf_contribution, sizeof(ietf_contribution) - 1,
	                   tag);
	unhex("f3477e7cd95417af89a6b8794c310cf0", want, 16);
	ck_assert_mem_eq(tag, want, 16);

	/* #4: Jabberwocky */
	unhex(key_1c92, key, 32);
	wire_aead_poly1305(key, (const uint8_t *)jabberwocky, sizeof(jabberwocky) - 1, tag);
	unhex("4541669a7eaaee61e708dc7cbcc5eb62", want, 16);
	ck_assert_mem_eq(tag, want, 16);

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(key, 0, 32);
		memset(want, 0, 16);
		unhex(v[i].key, key, 32);
		n = unhex(v[i].msg, msg, sizeof(msg));
		unhex(v[i].tag, want, 16);
		wire_aead_poly1305(key, msg, n, tag);
		ck_assert_msg(memcmp(tag, want, 16) == 0, "A.3 vector #%zu", i + 5);
	}
}
END_TEST

START_TEST(test_poly1305_keygen_matches_appendix_a4)
{
	uint8_t key[32] = {0}, nonce[12] = {0}, block[64], want[32];

	key[31] = 1;
	nonce[11] = 2;
	wire_aead_chacha20_block(key, 0, nonce, block);
	unhex("ecfa254f845f647473d3cb140da9e87606cb33066c447b87bc2666dde3fbb739", want, 32);
	ck_assert_mem_eq(block, want, 32);

	unhex(key_1c92, key, 32);
	wire_aead_chacha20_block(key, 0, nonce, block);
	unhex("965e3bc6f9ec7ed9560808f4d229f94b137ff275ca9b3fcbdd59deaad23310ae", want, 32);
	ck_assert_mem_eq(block, want, 32);
}
END_TEST

START_TEST(test_aead_open_matches_appendix_a5)
{
	static const char want[] =
	        "Internet-Drafts are draft documents valid for a maximum of six months and may be "
	        "updated, replaced, or obsoleted by other documents at any time. It is "
	        "inappropriate to use Internet-Drafts as reference material or to cite them other "
	        "than as /\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
	uint8_t key[32], nonce[12], aad[12], tag[16], ct[512], pt[512];
	size_t n;

	unhex(key_1c92, key, 32);
	unhex("000000000102030405060708", nonce, 12);
	unhex("f33388860000000000004e91", aad, 12);
	unhex("eead9d67890cbb22392336fea1851f38", tag, 16);
	n = unhex("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
	          "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
	          "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	          "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
	          "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
	          "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	          "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
	          "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
	          "a6ad5cb4022b02709b",
	          ct, sizeof(ct));
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_int_eq(wire_aead_open(key, nonce, aad, 12, ct, n, tag, pt), 0);
	ck_assert_mem_eq(pt, want, n);
}
END_TEST

/* ---- core: libsodium interop ---------------------------------------------------- */

START_TEST(test_seal_is_opened_by_libsodium)
{
	uint8_t key[32], nonce[12], aad[14], pt[512], ct[512 + 16], back[512];
	unsigned long long back_len;
	uint64_t seed = 0x5eed0001;
	size_t n, aad_len;
	int i;

	for (i = 0; i < 2000; i++) {
		n = i < 513 ? (size_t)i : (size_t)(rnd_next(&seed) % 513);
		aad_len = (size_t)(rnd_next(&seed) % 15); /* 14: a frame header */
		rnd_fill(&seed, key, 32);
		rnd_fill(&seed, nonce, 12);
		rnd_fill(&seed, aad, aad_len);
		rnd_fill(&seed, pt, n);
		ck_assert_int_eq(wire_aead_seal(key, nonce, aad, aad_len, pt, n, ct, ct + n), 0);
		ck_assert_msg(crypto_aead_chacha20poly1305_ietf_decrypt(back, &back_len, NULL, ct,
		                                                        n + 16, aad, aad_len, nonce,
		                                                        key) == 0,
		              "libsodium rejected our seal (len %zu, aad %zu)", n, aad_len);
		ck_assert_uint_eq(back_len, n);
		ck_assert_mem_eq(back, pt, n);
	}
}
END_TEST

START_TEST(test_open_accepts_libsodium_encrypt)
{
	uint8_t key[32], nonce[12], aad[14], pt[512], ct[512 + 16], back[512];
	unsigned long long ct_len;
	uint64_t seed = 0x5eed0002;
	size_t n, aad_len;
	int i;

	for (i = 0; i < 2000; i++) {
		n = i < 513 ? (size_t)i : (size_t)(rnd_next(&seed) % 513);
		aad_len = (size_t)(rnd_next(&seed) % 15);
		rnd_fill(&seed, key, 32);
		rnd_fill(&seed, nonce, 12);
		rnd_fill(&seed, aad, aad_len);
		rnd_fill(&seed, pt, n);
		crypto_aead_chacha20poly1305_ietf_encrypt(ct, &ct_len, pt, n, aad, aad_len, NULL,
		                                          nonce, key);
		ck_assert_uint_eq(ct_len, n + 16);
		ck_assert_msg(wire_aead_open(key, nonce, aad, aad_len, ct, n, ct + n, back) == 0,
		              "we rejected libsodium's ciphertext (len %zu, aad %zu)", n, aad_len);
		ck_assert_mem_eq(back, pt, n);
	}
}
END_TEST

START_TEST(test_poly1305_matches_libsodium_at_every_split)
{
	uint8_t key[32], msg[600], tag[16], want[16];
	struct wire_aead_poly1305 st;
	uint64_t seed = 0x5eed0003;
	size_t n, a, b;

	for (n = 0; n < 600; n += 7) {
		rnd_fill(&seed, key, 32);
		rnd_fill(&seed, msg, n);
		crypto_onetimeauth_poly1305(want, msg, n, key);
		wire_aead_poly1305(key, msg, n, tag);
		ck_assert_mem_eq(tag, want, 16);
		/* fed in three pieces */
		a = n ? (size_t)(rnd_next(&seed) % (n + 1)) : 0;
		b = a + (n - a ? (size_t)(rnd_next(&seed) % (n - a + 1)) : 0);
		wire_aead_poly1305_init(&st, key);
		wire_aead_poly1305_update(&st, msg, a);
		wire_aead_poly1305_update(&st, msg + a, b - a);
		wire_aead_poly1305_update(&st, msg + b, n - b);
		wire_aead_poly1305_finish(&st, tag);
		ck_assert_mem_eq(tag, want, 16);
	}
}
END_TEST

START_TEST(test_chacha20_matches_libsodium_stream)
{
	uint8_t key[32], nonce[12], in[1000], out[1000], want[1000];
	uint64_t seed = 0x5eed0004;
	uint32_t ic;
	size_t n;

	for (n = 0; n < 1000; n += 37) {
		rnd_fill(&seed, key, 32);
		rnd_fill(&seed, nonce, 12);
		rnd_fill(&seed, in, n);
		ic = (uint32_t)rnd_next(&seed) & 0xffff;
		crypto_stream_chacha20_ietf_xor_ic(want, in, n, nonce, ic, key);
		ck_assert_int_eq(wire_aead_chacha20_xor(key, ic, nonce, in, out, n), 0);
		ck_assert_mem_eq(out, want, n);
	}
}
END_TEST

/* ---- limits ------------------------------------------------------------------------ */

START_TEST(test_seal_in_place_equals_separate_buffers)
{
	uint8_t key[32], nonce[12], aad[14], pt[512], ct[512], buf[512], tag1[16], tag2[16];
	uint64_t seed = 0x5eed0005;
	size_t n;

	for (n = 0; n <= 512; n += 17) {
		rnd_fill(&seed, key, 32);
		rnd_fill(&seed, nonce, 12);
		rnd_fill(&seed, aad, 14);
		rnd_fill(&seed, pt, n);
		memcpy(buf, pt, n);
		ck_assert_int_eq(wire_aead_seal(key, nonce, aad, 14, pt, n, ct, tag1), 0);
		ck_assert_int_eq(wire_aead_seal(key, nonce, aad, 14, buf, n, buf, tag2), 0);
		ck_assert_mem_eq(buf, ct, n);
		ck_assert_mem_eq(tag1, tag2, 16);
		ck_assert_int_eq(wire_aead_open(key, nonce, aad, 14, buf, n, tag2, buf), 0);
		ck_assert_mem_eq(buf, pt, n);
	}
}
END_TEST

START_TEST(test_aead_handles_empty_message_and_aad)
{
	uint8_t key[32] = {1}, nonce[12] = {2}, tag[16], want[16];
	unsigned long long tl;

	ck_assert_int_eq(wire_aead_seal(key, nonce, NULL, 0, NULL, 0, NULL, tag), 0);
	crypto_aead_chacha20poly1305_ietf_encrypt(want, &tl, NULL, 0, NULL, 0, NULL, nonce, key);
	ck_assert_uint_eq(tl, 16);
	ck_assert_mem_eq(tag, want, 16);
	ck_assert_int_eq(wire_aead_open(key, nonce, NULL, 0, NULL, 0, tag, NULL), 0);
}
END_TEST

START_TEST(test_chacha20_xor_rejects_counter_wrap)
{
	uint8_t key[32] = {0}, nonce[12] = {0}, buf[129] = {0};

	/* The last block may use counter 0xffffffff, but never wrap to 0. */
	ck_assert_int_eq(wire_aead_chacha20_xor(key, 0xffffffffu, nonce, buf, buf, 64), 0);
	ck_assert_int_eq(wire_aead_chacha20_xor(key, 0xffffffffu, nonce, buf, buf, 65),
	                 WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_chacha20_xor(key, 0xfffffffeu, nonce, buf, buf, 128), 0);
	ck_assert_int_eq(wire_aead_chacha20_xor(key, 0xfffffffeu, nonce, buf, buf, 129),
	                 WIRE_EINVAL);
}
END_TEST

START_TEST(test_memcmp_ct_reports_any_difference)
{
	uint8_t a[16] = {0}, b[16] = {0};
	int i, bit;

	ck_assert_int_eq(wire_aead_memcmp_ct(a, b, 16), 0);
	ck_assert_int_eq(wire_aead_memcmp_ct(a, b, 0), 0);
	for (i = 0; i < 16; i++)
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(wire_aead_memcmp_ct(a, b, 16), -1);
			b[i] ^= (uint8_t)(1u << bit);
		}
}
END_TEST

START_TEST(test_poly1305_finish_wipes_state)
{
	static const uint8_t zero[sizeof(struct wire_aead_poly1305)];
	struct wire_aead_poly1305 st;
	uint8_t key[32], tag[16];

	memset(key, 0xa5, 32);
	wire_aead_poly1305_init(&st, key);
	wire_aead_poly1305_update(&st, key, 21);
	wire_aead_poly1305_finish(&st, tag);
	ck_assert_mem_eq(&st, zero, sizeof(st));
}
END_TEST

/* ---- errors ----------------------------------------------------------------------- */

START_TEST(test_open_rejects_any_flipped_bit)
{
	uint8_t key[32], nonce[12], aad[14], pt[40], ct[40 + 16], out[40], canary[40];
	uint64_t seed = 0x5eed0006;
	size_t n = 40, i;
	int bit;

	rnd_fill(&seed, key, 32);
	rnd_fill(&seed, nonce, 12);
	rnd_fill(&seed, aad, 14);
	rnd_fill(&seed, pt, n);
	ck_assert_int_eq(wire_aead_seal(key, nonce, aad, 14, pt, n, ct, ct + n), 0);
	memset(canary, 0x5a, sizeof(canary));
	for (i = 0; i < n + 16; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(out, canary, sizeof(out));
			ct[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_eq(wire_aead_open(key, nonce, aad, 14, ct, n, ct + n, out),
			                 WIRE_EAUTH);
			ct[i] ^= (uint8_t)(1u << bit);
			/* nothing is decrypted when the tag fails */
			ck_assert_mem_eq(out, canary, sizeof(out));
		}
	for (i = 0; i < 14; i++) {
		aad[i] ^= 0x80;
		ck_assert_int_eq(wire_aead_open(key, nonce, aad, 14, ct, n, ct + n, out),
		                 WIRE_EAUTH);
		aad[i] ^= 0x80;
	}
	for (i = 0; i < 12; i++) {
		nonce[i] ^= 0x01;
		ck_assert_int_eq(wire_aead_open(key, nonce, aad, 14, ct, n, ct + n, out),
		                 WIRE_EAUTH);
		nonce[i] ^= 0x01;
	}
	/* a shorter AAD or ciphertext is a different message too */
	ck_assert_int_eq(wire_aead_open(key, nonce, aad, 13, ct, n, ct + n, out), WIRE_EAUTH);
	ck_assert_int_eq(wire_aead_open(key, nonce, aad, 14, ct, n - 1, ct + n, out), WIRE_EAUTH);
	ck_assert_int_eq(wire_aead_open(key, nonce, aad, 14, ct, n, ct + n, out), 0);
	ck_assert_mem_eq(out, pt, n);
}
END_TEST

START_TEST(test_aead_rejects_null_arguments)
{
	uint8_t key[32] = {0}, nonce[12] = {0}, buf[16] = {0}, tag[16] = {0};

	ck_assert_int_eq(wire_aead_seal(NULL, nonce, NULL, 0, buf, 1, buf, tag), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_seal(key, NULL, NULL, 0, buf, 1, buf, tag), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_seal(key, nonce, NULL, 1, buf, 1, buf, tag), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_seal(key, nonce, NULL, 0, NULL, 1, buf, tag), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_seal(key, nonce, NULL, 0, buf, 1, NULL, tag), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_seal(key, nonce, NULL, 0, buf, 1, buf, NULL), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_open(key, nonce, NULL, 0, buf, 1, NULL, buf), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_open(key, nonce, NULL, 0, buf, 1, tag, NULL), WIRE_EINVAL);
	ck_assert_int_eq(wire_aead_chacha20_xor(NULL, 0, nonce, buf, buf, 1), WIRE_EINVAL);
}
END_TEST

static Suite *
aead_suite(void)
{
	Suite *s = suite_create("aead");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_chacha20_block_matches_rfc8439_2_3_2);
	tcase_add_test(core, test_chacha20_encrypt_matches_rfc8439_2_4_2);
	tcase_add_test(core, test_poly1305_matches_rfc8439_2_5_2);
	tcase_add_test(core, test_aead_seal_matches_rfc8439_2_8_2);
	tcase_add_test(core, test_chacha20_block_matches_appendix_a1);
	tcase_add_test(core, test_chacha20_xor_matches_appendix_a2);
	tcase_add_test(core, test_poly1305_matches_appendix_a3);
	tcase_add_test(core, test_poly1305_keygen_matches_appendix_a4);
	tcase_add_test(core, test_aead_open_matches_appendix_a5);
	tcase_add_test(core, test_seal_is_opened_by_libsodium);
	tcase_add_test(core, test_open_accepts_libsodium_encrypt);
	tcase_add_test(core, test_poly1305_matches_libsodium_at_every_split);
	tcase_add_test(core, test_chacha20_matches_libsodium_stream);
	tcase_set_timeout(core, 60);

	tcase_add_test(limits, test_seal_in_place_equals_separate_buffers);
	tcase_add_test(limits, test_aead_handles_empty_message_and_aad);
	tcase_add_test(limits, test_chacha20_xor_rejects_counter_wrap);
	tcase_add_test(limits, test_memcmp_ct_reports_any_difference);
	tcase_add_test(limits, test_poly1305_finish_wipes_state);

	tcase_add_test(errors, test_open_rejects_any_flipped_bit);
	tcase_add_test(errors, test_aead_rejects_null_arguments);

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
	sr = srunner_create(aead_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
