/*
 * check_cobs: COBS encoding vectors, one-shot round trips, and the streaming decoder
 * fed as a UART would: split at every position, byte by byte, with noise between
 * frames, zeros in payloads, runs of 254/255 non-zero bytes and frames longer than the
 * buffer.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/cobs.h"
#include "wire/wire.h"

static uint64_t
rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random bytes with about one zero in `zero_every`, to exercise short and long blocks. */
static void
rnd_payload(uint64_t *s, uint8_t *p, size_t n, unsigned zero_every)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = rnd_next(s);

		p[i] = zero_every && r % zero_every == 0 ? 0 : (uint8_t)(1 + (r >> 8) % 255);
	}
}

/* What the stream decoder reported, in order. */
#define MAX_EVENTS 64
struct sink {
	int n;
	int err[MAX_EVENTS];
	size_t len[MAX_EVENTS];
	uint8_t data[MAX_EVENTS][600];
};

static void
sink_cb(void *arg, int err, uint8_t *frame, size_t len)
{
	struct sink *k = arg;

	ck_assert_int_lt(k->n, MAX_EVENTS);
	if (err == 0)
		ck_assert_ptr_nonnull(frame);
	else
		ck_assert(frame == NULL && len == 0);
	k->err[k->n] = err;
	k->len[k->n] = len;
	if (len > 0)
		memcpy(k->data[k->n], frame, len);
	k->n++;
}

static void
expect_frame(const struct sink *k, int i, const uint8_t *p, size_t n)
{
	ck_assert_int_lt(i, k->n);
	ck_assert_int_eq(k->err[i], 0);
	ck_assert_uint_eq(k->len[i], n);
	if (n > 0)
		ck_assert_mem_eq(k->data[i], p, n);
}

static size_t
encode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	int r = wire_cobs_encode(p, n, out, cap);

	ck_assert_int_gt(r, 0);
	ck_assert_uint_le((size_t)r, WIRE_COBS_MAX_ENCODED(n));
	return (size_t)r;
}

/* ---- core ------------------------------------------------------------------------- */

START_TEST(test_cobs_encode_matches_vectors)
{
	static const struct {
		const char *in, *out; /* hex; "" = empty */
	} v[] = {
	        {"", "0100"},
	        {"00", "010100"},
	        {"0000", "01010100"},
	        {"11220033", "0311220233"
	                     "00"},
	        {"11223344", "051122334400"},
	        {"11000000", "021101010100"},
	};
	uint8_t in[300], out[300], want[300];
	size_t i, n, m;
	int r;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *h;

		for (n = 0, h = v[i].in; *h; h += 2, n++)
			in[n] = (uint8_t)strtoul((char[]){h[0], h[1], 0}, NULL, 16);
		for (m = 0, h = v[i].out; *h; h += 2, m++)
			want[m] = (uint8_t)strtoul((char[]){h[0], h[1], 0}, NULL, 16);
		r = wire_cobs_encode(in, n, out, sizeof(out));
		ck_assert_int_eq(r, (int)m);
		ck_assert_mem_eq(out, want, m);
		ck_assert_int_eq(wire_cobs_decode(out, m - 1, in, sizeof(in)), (int)n);
	}
}
END_TEST

START_TEST(test_cobs_encode_long_runs_end_with_a_short_block)
{
	uint8_t in[600], out[700];
	int r, i;

	/* 254 non-zero: FF <254> 01 00 (canonical: the last block is never FF) */
	for (i = 0; i < 254; i++)
		in[i] = (uint8_t)(i + 1);
	r = wire_cobs_encode(in, 254, out, sizeof(out));
	ck_assert_int_eq(r, 257);
	ck_assert_uint_eq(out[0], 0xff);
	ck_assert_mem_eq(out + 1, in, 254);
	ck_assert_uint_eq(out[255], 0x01);
	ck_assert_uint_eq(out[256], 0x00);

	/* 255 non-zero: FF <254> 02 <1> 00 */
	in[254] = 0xff;
	r = wire_cobs_encode(in, 255, out, sizeof(out));
	ck_assert_int_eq(r, 258);
	ck_assert_uint_eq(out[255], 0x02);
	ck_assert_uint_eq(out[256], 0xff);

	/* 00 then 254 non-zero: 01 FF <254> 01 00 */
	memmove(in + 1, in, 254);
	in[0] = 0;
	r = wire_cobs_encode(in, 255, out, sizeof(out));
	ck_assert_int_eq(r, 258);
	ck_assert_uint_eq(out[0], 0x01);
	ck_assert_uint_eq(out[1], 0xff);
	ck_assert_uint_eq(out[256], 0x01);

	/* 254 non-zero then 00: FF <254> 01 01 00 */
	for (i = 0; i < 254; i++)
		in[i] = 0x42;
	in[254] = 0;
	r = wire_cobs_encode(in, 255, out, sizeof(out));
	ck_assert_int_eq(r, 258);
	ck_assert_uint_eq(out[255], 0x01);
	ck_assert_uint_eq(out[256], 0x01);
	ck_assert_uint_eq(out[257], 0x00);

	/* 512 non-zero: the worst case WIRE_COBS_MAX_ENCODED allows for */
	memset(in, 0x7e, 512);
	r = wire_cobs_encode(in, 512, out, sizeof(out));
	ck_assert_int_eq(r, 512 + 3 + 1);
	ck_assert_uint_le((size_t)r, WIRE_COBS_MAX_ENCODED(512));
}
END_TEST

START_TEST(test_cobs_round_trip_random_payloads)
{
	uint8_t in[600], enc[700], dec[600];
	uint64_t seed = 0xc0b5001;
	unsigned zero_every[] = {0, 2, 8, 64, 300};
	size_t n, z, m;
	int r;

	for (z = 0; z < 5; z++)
		for (n = 0; n <= 600; n++) {
			rnd_payload(&seed, in, n, zero_every[z]);
			m = encode(in, n, enc, sizeof(enc));
			ck_assert_uint_eq(enc[m - 1], 0);
			ck_assert_ptr_null(memchr(enc, 0, m - 1));
			r = wire_cobs_decode(enc, m - 1, dec, sizeof(dec));
			ck_assert_int_eq(r, (int)n);
			ck_assert_mem_eq(dec, in, n);
			/* decoding in place gives the same */
			ck_assert_int_eq(wire_cobs_decode(enc, m - 1, enc, sizeof(enc)), (int)n);
			ck_assert_mem_eq(enc, in, n);
		}
}
END_TEST

START_TEST(test_cobs_stream_split_at_every_position)
{
	uint8_t f[3][512], wire[3 * 520];
	size_t flen[3] = {512, 77, 300}, total = 0, cut, i;
	uint8_t buf[512];
	struct wire_cobs_stream s;
	static struct sink k;
	uint64_t seed = 0xc0b5002;

	for (i = 0; i < 3; i++) {
		rnd_payload(&seed, f[i], flen[i], i == 0 ? 0 : 16);
		total += encode(f[i], flen[i], wire + total, sizeof(wire) - total);
	}
	for (cut = 0; cut <= total; cut++) {
		memset(&k, 0, sizeof(k));
		ck_assert_int_eq(wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k), 0);
		ck_assert_int_ge(wire_cobs_stream_feed(&s, wire, cut), 0);
		ck_assert_int_ge(wire_cobs_stream_feed(&s, wire + cut, total - cut), 0);
		ck_assert_int_eq(k.n, 3);
		for (i = 0; i < 3; i++)
			expect_frame(&k, (int)i, f[i], flen[i]);
		ck_assert_uint_eq(s.frames, 3);
		ck_assert_uint_eq(s.err_cobs + s.err_nodelim, 0);
	}
}
END_TEST

START_TEST(test_cobs_stream_byte_by_byte_and_random_chunks)
{
	uint8_t f[8][300], wire[8 * 310], buf[512];
	size_t flen[8], total = 0, pos, chunk, i;
	struct wire_cobs_stream s;
	static struct sink k;
	uint64_t seed = 0xc0b5003;
	int round, got;

	for (i = 0; i < 8; i++) {
		flen[i] = (size_t)(rnd_next(&seed) % 300);
		rnd_payload(&seed, f[i], flen[i], (unsigned)(i * 40));
		total += encode(f[i], flen[i], wire + total, sizeof(wire) - total);
	}
	for (round = 0; round < 50; round++) {
		memset(&k, 0, sizeof(k));
		wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
		got = 0;
		for (pos = 0; pos < total; pos += chunk) {
			chunk = round == 0 ? 1 : 1 + (size_t)(rnd_next(&seed) % 64);
			if (chunk > total - pos)
				chunk = total - pos;
			got += wire_cobs_stream_feed(&s, wire + pos, chunk);
		}
		ck_assert_int_eq(got, 8);
		for (i = 0; i < 8; i++)
			expect_frame(&k, (int)i, f[i], flen[i]);
	}
}
END_TEST

START_TEST(test_cobs_stream_recovers_from_noise_between_frames)
{
	static const uint8_t noise[] = {0x13, 0x37, 0xff, 0x02, 0x99, 0x05}; /* no 0x00 */
	uint8_t a[100], b[40], wire[400], buf[512];
	size_t n = 0, i;
	struct wire_cobs_stream s;
	static struct sink k;
	uint64_t seed = 0xc0b5004;
	int frames = 0;

	rnd_payload(&seed, a, sizeof(a), 10);
	rnd_payload(&seed, b, sizeof(b), 3);
	/* line noise, a 0x00 (the sender's leading delimiter), frame a, noise, 0x00, b */
	memcpy(wire + n, noise, sizeof(noise));
	n += sizeof(noise);
	wire[n++] = 0;
	n += encode(a, sizeof(a), wire + n, sizeof(wire) - n);
	memcpy(wire + n, noise, sizeof(noise));
	n += sizeof(noise);
	wire[n++] = 0;
	wire[n++] = 0; /* empty frames are ignored */
	n += encode(b, sizeof(b), wire + n, sizeof(wire) - n);

	memset(&k, 0, sizeof(k));
	wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
	for (i = 0; i < n; i++)
		frames += wire_cobs_stream_feed(&s, wire + i, 1);
	/* Each noise burst ends as either a malformed frame (ECOBS) or a short garbage
	 * frame that the frame layer rejects; a and b always come through intact. */
	ck_assert_int_eq(k.n, 4);
	ck_assert_int_eq(k.err[0], WIRE_ECOBS); /* 13 37 ff..: the FF block runs into 0x00 */
	expect_frame(&k, 1, a, sizeof(a));
	ck_assert_int_eq(k.err[2], WIRE_ECOBS);
	expect_frame(&k, 3, b, sizeof(b));
	ck_assert_int_eq(frames, 2);
	ck_assert_uint_eq(s.err_cobs, 2);
}
END_TEST

START_TEST(test_cobs_stream_noise_without_delimiter_costs_one_frame)
{
	uint8_t a[50], b[50], wire[300], buf[512];
	size_t n = 0;
	struct wire_cobs_stream s;
	static struct sink k;
	uint64_t seed = 0xc0b5005;

	rnd_payload(&seed, a, sizeof(a), 5);
	rnd_payload(&seed, b, sizeof(b), 5);
	/* garbage glued to the front of frame a: a is lost, b is not */
	wire[n++] = 0x07;
	wire[n++] = 0x55;
	n += encode(a, sizeof(a), wire + n, sizeof(wire) - n);
	n += encode(b, sizeof(b), wire + n, sizeof(wire) - n);
	memset(&k, 0, sizeof(k));
	wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
	wire_cobs_stream_feed(&s, wire, n);
	ck_assert_int_eq(k.n, 2);
	ck_assert(k.err[0] != 0 || k.len[0] != sizeof(a) || memcmp(k.data[0], a, sizeof(a)) != 0);
	expect_frame(&k, 1, b, sizeof(b));
}
END_TEST

/* ---- limits ----------------------------------------------------------------------- */

START_TEST(test_cobs_stream_frame_filling_the_buffer_exactly)
{
	uint8_t f[300], wire[400], buf[300];
	struct wire_cobs_stream s;
	static struct sink k;
	uint64_t seed = 0xc0b5006;
	size_t n;
	int zeros;

	for (zeros = 0; zeros < 2; zeros++) {
		rnd_payload(&seed, f, sizeof(f), zeros ? 7 : 0);
		f[sizeof(f) - 1] = zeros ? 0 : 0x33; /* a trailing zero is the last byte out */
		n = encode(f, sizeof(f), wire, sizeof(wire));
		memset(&k, 0, sizeof(k));
		wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
		ck_assert_int_eq(wire_cobs_stream_feed(&s, wire, n), 1);
		expect_frame(&k, 0, f, sizeof(f));
	}
}
END_TEST

START_TEST(test_cobs_stream_rejects_frame_longer_than_buffer)
{
	uint8_t big[301], small[20], wire[800], buf[300];
	struct wire_cobs_stream s;
	static struct sink k;
	uint64_t seed = 0xc0b5007;
	size_t n = 0;
	int zeros;

	for (zeros = 0; zeros < 2; zeros++) {
		n = 0;
		rnd_payload(&seed, big, sizeof(big), zeros ? 7 : 0);
		rnd_payload(&seed, small, sizeof(small), 4);
		n += encode(big, sizeof(big), wire + n, sizeof(wire) - n);
		n += encode(small, sizeof(small), wire + n, sizeof(wire) - n);
		memset(&k, 0, sizeof(k));
		wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
		ck_assert_int_eq(wire_cobs_stream_feed(&s, wire, n), 1);
		ck_assert_int_eq(k.n, 2);
		ck_assert_int_eq(k.err[0], WIRE_ENODELIM);
		expect_frame(&k, 1, small, sizeof(small));
		ck_assert_uint_eq(s.err_nodelim, 1);
	}
}
END_TEST

START_TEST(test_cobs_stream_endless_input_without_delimiter)
{
	uint8_t junk[1000], buf[64], small[10] = {1, 2, 3, 0, 5, 6, 7, 8, 9, 10}, wire[20];
	struct wire_cobs_stream s;
	static struct sink k;
	size_t n;
	int i;

	memset(junk, 0x01, sizeof(junk)); /* each 0x01 code byte decodes to a 0x00 */
	memset(&k, 0, sizeof(k));
	wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(wire_cobs_stream_feed(&s, junk, sizeof(junk)), 0);
	memset(junk, 0xff, sizeof(junk));
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(wire_cobs_stream_feed(&s, junk, sizeof(junk)), 0);
	/* one error for the whole run, then the next frame after a 0x00 is fine */
	ck_assert_int_eq(k.n, 1);
	ck_assert_int_eq(k.err[0], WIRE_ENODELIM);
	n = encode(small, sizeof(small), wire + 1, sizeof(wire) - 1);
	wire[0] = 0;
	ck_assert_int_eq(wire_cobs_stream_feed(&s, wire, n + 1), 1);
	expect_frame(&k, 1, small, sizeof(small));
}
END_TEST

START_TEST(test_cobs_stream_one_byte_buffer)
{
	static const uint8_t in[] = {0x02, 0x41, 0x00, 0x01, 0x00, 0x01, 0x01, 0x00,
	                             0x03, 0x41, 0x42, 0x00, 0x02, 0x43, 0x00};
	uint8_t buf[1];
	struct wire_cobs_stream s;
	static struct sink k;

	memset(&k, 0, sizeof(k));
	wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
	ck_assert_int_eq(wire_cobs_stream_feed(&s, in, sizeof(in)), 4);
	ck_assert_int_eq(k.n, 5);
	expect_frame(&k, 0, (const uint8_t *)"A", 1);
	expect_frame(&k, 1, NULL, 0);                 /* 01 00: the empty frame */
	expect_frame(&k, 2, (const uint8_t[]){0}, 1); /* 01 01 00: one zero byte */
	ck_assert_int_eq(k.err[3], WIRE_ENODELIM);    /* "AB" does not fit */
	expect_frame(&k, 4, (const uint8_t *)"C", 1);
}
END_TEST

START_TEST(test_cobs_encode_never_writes_past_out_size)
{
	uint8_t in[600], out[700];
	uint64_t seed = 0xc0b5008;
	size_t n, need, cap;
	int r;

	for (n = 0; n < 600; n += 23) {
		rnd_payload(&seed, in, n, n % 3 ? 50 : 0);
		need = encode(in, n, out, sizeof(out));
		for (cap = 0; cap < need; cap++) {
			memset(out, 0xee, sizeof(out));
			r = wire_cobs_encode(in, n, out, cap);
			ck_assert_int_eq(r, WIRE_ENOSPC);
			ck_assert_uint_eq(out[cap], 0xee);
		}
		ck_assert_int_eq(wire_cobs_encode(in, n, out, need), (int)need);
	}
}
END_TEST

/* ---- errors ----------------------------------------------------------------------- */

START_TEST(test_cobs_decode_rejects_malformed_blocks)
{
	static const struct {
		const char *name;
		uint8_t in[8];
		size_t len;
		int want;
	} v[] = {
	        {"block past end", {0x05, 0x11, 0x22}, 3, WIRE_ECOBS},
	        {"zero inside block", {0x03, 0x11, 0x00}, 3, WIRE_ECOBS},
	        {"zero as code", {0x02, 0x11, 0x00, 0x11}, 4, WIRE_ECOBS},
	        {"lone FF code", {0xff}, 1, WIRE_ECOBS},
	        {"output too small", {0x05, 0x11, 0x22, 0x33, 0x44}, 5, WIRE_ENOSPC},
	};
	uint8_t out[3];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(wire_cobs_decode(v[i].in, v[i].len, out, sizeof(out)) == v[i].want,
		              "%s", v[i].name);
}
END_TEST

START_TEST(test_cobs_decode_rejects_final_ff_block)
{
	uint8_t in[256], out[300];

	/* FF <254 non-zero> without a following block: the non-canonical twin of
	 * FF <254> 01, rejected so that every frame has one encoding */
	memset(in, 0x42, sizeof(in));
	in[0] = 0xff;
	ck_assert_int_eq(wire_cobs_decode(in, 255, out, sizeof(out)), WIRE_ECOBS);
	in[255] = 0x01;
	ck_assert_int_eq(wire_cobs_decode(in, 256, out, sizeof(out)), 254);
}
END_TEST

START_TEST(test_cobs_stream_reports_truncated_and_noncanonical_frames)
{
	uint8_t in[300], buf[512];
	struct wire_cobs_stream s;
	static struct sink k;
	size_t n = 0;

	in[n++] = 0x05; /* block of 4, only 2 arrive */
	in[n++] = 0x11;
	in[n++] = 0x22;
	in[n++] = 0x00;
	in[n++] = 0xff; /* final FF block */
	memset(in + n, 0x42, 254);
	n += 254;
	in[n++] = 0x00;
	in[n++] = 0x02; /* a good one */
	in[n++] = 0x99;
	in[n++] = 0x00;
	memset(&k, 0, sizeof(k));
	wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
	ck_assert_int_eq(wire_cobs_stream_feed(&s, in, n), 1);
	ck_assert_int_eq(k.n, 3);
	ck_assert_int_eq(k.err[0], WIRE_ECOBS);
	ck_assert_int_eq(k.err[1], WIRE_ECOBS);
	expect_frame(&k, 2, (const uint8_t[]){0x99}, 1);
	ck_assert_uint_eq(s.err_cobs, 2);
	ck_assert_uint_eq(s.frames, 1);
}
END_TEST

START_TEST(test_cobs_stream_reset_drops_partial_frame)
{
	uint8_t buf[64];
	struct wire_cobs_stream s;
	static struct sink k;

	memset(&k, 0, sizeof(k));
	wire_cobs_stream_init(&s, buf, sizeof(buf), sink_cb, &k);
	wire_cobs_stream_feed(&s, (const uint8_t[]){0x03, 0x11}, 2);
	wire_cobs_stream_reset(&s);
	ck_assert_int_eq(wire_cobs_stream_feed(&s, (const uint8_t[]){0x02, 0x22, 0x00}, 3), 1);
	expect_frame(&k, 0, (const uint8_t[]){0x22}, 1);
}
END_TEST

START_TEST(test_cobs_rejects_bad_arguments)
{
	uint8_t buf[8], out[8];
	struct wire_cobs_stream s;
	static struct sink k;

	ck_assert_int_eq(wire_cobs_encode(NULL, 1, out, 8), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_encode(buf, 1, NULL, 8), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_encode(NULL, 0, out, 1), WIRE_ENOSPC);
	ck_assert_int_eq(wire_cobs_encode(NULL, 0, out, 2), 2);
	ck_assert_int_eq(wire_cobs_decode(NULL, 1, out, 8), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_decode(buf, 1, NULL, 8), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_decode(NULL, 0, out, 8), 0);
	ck_assert_int_eq(wire_cobs_stream_init(NULL, buf, 8, sink_cb, &k), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_stream_init(&s, NULL, 8, sink_cb, &k), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_stream_init(&s, buf, 0, sink_cb, &k), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_stream_init(&s, buf, 8, NULL, &k), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_stream_init(&s, buf, 8, sink_cb, &k), 0);
	ck_assert_int_eq(wire_cobs_stream_feed(NULL, buf, 1), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_stream_feed(&s, NULL, 1), WIRE_EINVAL);
	ck_assert_int_eq(wire_cobs_stream_feed(&s, NULL, 0), 0);
	wire_cobs_stream_reset(NULL);
}
END_TEST

static Suite *
cobs_suite(void)
{
	Suite *s = suite_create("cobs");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_cobs_encode_matches_vectors);
	tcase_add_test(core, test_cobs_encode_long_runs_end_with_a_short_block);
	tcase_add_test(core, test_cobs_round_trip_random_payloads);
	tcase_add_test(core, test_cobs_stream_split_at_every_position);
	tcase_add_test(core, test_cobs_stream_byte_by_byte_and_random_chunks);
	tcase_add_test(core, test_cobs_stream_recovers_from_noise_between_frames);
	tcase_add_test(core, test_cobs_stream_noise_without_delimiter_costs_one_frame);
	tcase_set_timeout(core, 60);

	tcase_add_test(limits, test_cobs_stream_frame_filling_the_buffer_exactly);
	tcase_add_test(limits, test_cobs_stream_rejects_frame_longer_than_buffer);
	tcase_add_test(limits, test_cobs_stream_endless_input_without_delimiter);
	tcase_add_test(limits, test_cobs_stream_one_byte_buffer);
	tcase_add_test(limits, test_cobs_encode_never_writes_past_out_size);

	tcase_add_test(errors, test_cobs_decode_rejects_malformed_blocks);
	tcase_add_test(errors, test_cobs_decode_rejects_final_ff_block);
	tcase_add_test(errors, test_cobs_stream_reports_truncated_and_noncanonical_frames);
	tcase_add_test(errors, test_cobs_stream_reset_drops_partial_frame);
	tcase_add_test(errors, test_cobs_rejects_bad_arguments);

	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cobs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
