/*
 * check_pb: the low-level protobuf wire codec (node-firmware/wire/pb.c).
 *
 * core:   varints, zigzag, fixed32/64 and length-delimited values round-trip
 *         and match the protobuf encoding byte for byte.
 * limits: 10-byte varints, 2^64 - 1, field number bounds, exact-capacity writes,
 *         sub-messages whose length prefix grows past one byte.
 * errors: the bad-input table: every malformed input gets its distinct code and
 *         leaves the reader where it was.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire/pb.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* ---- core ---- */

START_TEST(test_pb_varint_encodes_canonically)
{
	static const struct {
		uint64_t v;
		uint8_t bytes[10];
		size_t n;
	} cases[] = {
	        {0, {0x00}, 1},
	        {1, {0x01}, 1},
	        {127, {0x7f}, 1},
	        {128, {0x80, 0x01}, 2},
	        {300, {0xac, 0x02}, 2},
	        {16383, {0xff, 0x7f}, 2},
	        {16384, {0x80, 0x80, 0x01}, 3},
	        {0xffffffffu, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
	        {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[16];
		struct wire_pb_writer w;
		struct wire_pb_reader r;
		uint64_t v = 0;

		wire_pb_writer_init(&w, buf, sizeof(buf));
		wire_pb_put_varint(&w, cases[i].v);
		ck_assert_int_eq(wire_pb_writer_finish(&w), (int)cases[i].n);
		ck_assert_mem_eq(buf, cases[i].bytes, cases[i].n);
		ck_assert_uint_eq(wire_pb_varint_size(cases[i].v), cases[i].n);

		wire_pb_reader_init(&r, cases[i].bytes, cases[i].n);
		ck_assert_int_eq(wire_pb_read_varint(&r, &v), 0);
		ck_assert_uint_eq(v, cases[i].v);
		ck_assert_uint_eq(wire_pb_reader_left(&r), 0);
	}
}
END_TEST

START_TEST(test_pb_varint_accepts_non_minimal_encoding)
{
	struct wire_pb_reader r;
	uint64_t v = 99;

	wire_pb_reader_init(&r, BYTES(0x81, 0x80, 0x80, 0x00));
	ck_assert_int_eq(wire_pb_read_varint(&r, &v), 0);
	ck_assert_uint_eq(v, 1);
}
END_TEST

START_TEST(test_pb_zigzag_maps_signed_to_small_unsigned)
{
	ck_assert_uint_eq(wire_pb_zigzag32(0), 0);
	ck_assert_uint_eq(wire_pb_zigzag32(-1), 1);
	ck_assert_uint_eq(wire_pb_zigzag32(1), 2);
	ck_assert_uint_eq(wire_pb_zigzag32(-2), 3);
	ck_assert_uint_eq(wire_pb_zigzag32(INT32_MAX), 0xfffffffeu);
	ck_assert_uint_eq(wire_pb_zigzag32(INT32_MIN), 0xffffffffu);
	ck_assert_int_eq(wire_pb_unzigzag32(0xffffffffu), INT32_MIN);
	ck_assert_int_eq(wire_pb_unzigzag32(0xfffffffeu), INT32_MAX);
	ck_assert_int_eq(wire_pb_unzigzag32(3), -2);
	ck_assert_uint_eq(wire_pb_zigzag64(INT64_MIN), UINT64_MAX);
	ck_assert_uint_eq(wire_pb_zigzag64(-1), 1);
	ck_assert(wire_pb_unzigzag64(UINT64_MAX) == INT64_MIN);
	ck_assert(wire_pb_unzigzag64(UINT64_MAX - 1) == INT64_MAX);
}
END_TEST

START_TEST(test_pb_fixed_values_are_little_endian)
{
	uint8_t buf[12];
	struct wire_pb_writer w;
	struct wire_pb_reader r;
	uint32_t v32 = 0;
	uint64_t v64 = 0;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_fixed32(&w, 0x04030201u);
	wire_pb_put_fixed64(&w, 0x0c0b0a0908070605ull);
	ck_assert_int_eq(wire_pb_writer_finish(&w), 12);
	ck_assert_mem_eq(buf, ((const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), 12);

	wire_pb_reader_init(&r, buf, sizeof(buf));
	ck_assert_int_eq(wire_pb_read_fixed32(&r, &v32), 0);
	ck_assert_uint_eq(v32, 0x04030201u);
	ck_assert_int_eq(wire_pb_read_fixed64(&r, &v64), 0);
	ck_assert_uint_eq(v64, 0x0c0b0a0908070605ull);
}
END_TEST

START_TEST(test_pb_key_round_trips_field_and_wiretype)
{
	uint8_t buf[8];
	struct wire_pb_writer w;
	struct wire_pb_reader r;
	uint32_t field = 0;
	unsigned wt = 9;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_key(&w, 1, WIRE_PB_LEN);
	wire_pb_put_key(&w, 16, WIRE_PB_FIXED32);
	ck_assert_int_eq(wire_pb_writer_finish(&w), 3);
	ck_assert_mem_eq(buf, ((const uint8_t[]){0x0a, 0x85, 0x01}), 3);

	wire_pb_reader_init(&r, buf, 3);
	ck_assert_int_eq(wire_pb_read_key(&r, &field, &wt), 0);
	ck_assert_uint_eq(field, 1);
	ck_assert_uint_eq(wt, WIRE_PB_LEN);
	ck_assert_int_eq(wire_pb_read_key(&r, &field, &wt), 0);
	ck_assert_uint_eq(field, 16);
	ck_assert_uint_eq(wt, WIRE_PB_FIXED32);
}
END_TEST

START_TEST(test_pb_read_len_hands_out_exactly_the_prefixed_bytes)
{
	struct wire_pb_reader r, sub;

	wire_pb_reader_init(&r, BYTES(0x03, 'a', 'b', 'c', 0x08));
	ck_assert_int_eq(wire_pb_read_len(&r, &sub), 0);
	ck_assert_uint_eq(wire_pb_reader_left(&sub), 3);
	ck_assert_mem_eq(sub.p, "abc", 3);
	ck_assert_uint_eq(wire_pb_reader_left(&r), 1);
	ck_assert_uint_eq(*r.p, 0x08);
}
END_TEST

START_TEST(test_pb_skip_passes_over_every_wiretype)
{
	/* varint 300, fixed64, len 2, fixed32, then one marker byte. */
	struct wire_pb_reader r;

	wire_pb_reader_init(
	        &r, BYTES(0xac, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 'h', 'i', 1, 2, 3, 4, 0x55));
	ck_assert_int_eq(wire_pb_skip(&r, WIRE_PB_VARINT), 0);
	ck_assert_int_eq(wire_pb_skip(&r, WIRE_PB_FIXED64), 0);
	ck_assert_int_eq(wire_pb_skip(&r, WIRE_PB_LEN), 0);
	ck_assert_int_eq(wire_pb_skip(&r, WIRE_PB_FIXED32), 0);
	ck_assert_uint_eq(wire_pb_reader_left(&r), 1);
	ck_assert_uint_eq(*r.p, 0x55);
}
END_TEST

START_TEST(test_pb_begin_end_writes_length_before_body)
{
	uint8_t buf[16];
	struct wire_pb_writer w;
	size_t mark;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	mark = wire_pb_begin(&w, 2);
	wire_pb_put_varint(&w, 150);
	wire_pb_end(&w, mark);
	ck_assert_int_eq(wire_pb_writer_finish(&w), 4);
	ck_assert_mem_eq(buf, ((const uint8_t[]){0x12, 0x02, 0x96, 0x01}), 4);
}
END_TEST

START_TEST(test_pb_begin_end_writes_empty_body)
{
	uint8_t buf[4];
	struct wire_pb_writer w;
	size_t mark;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	mark = wire_pb_begin(&w, 1);
	wire_pb_end(&w, mark);
	ck_assert_int_eq(wire_pb_writer_finish(&w), 2);
	ck_assert_mem_eq(buf, ((const uint8_t[]){0x0a, 0x00}), 2);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_pb_varint_takes_ten_bytes_with_top_bit)
{
	struct wire_pb_reader r;
	uint64_t v = 0;

	/* 2^63: nine continuation bytes then 0x01. */
	wire_pb_reader_init(&r, BYTES(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
	ck_assert_int_eq(wire_pb_read_varint(&r, &v), 0);
	ck_assert_uint_eq(v, 1ull << 63);
}
END_TEST

START_TEST(test_pb_key_accepts_largest_field_number)
{
	uint8_t buf[8];
	struct wire_pb_writer w;
	struct wire_pb_reader r;
	uint32_t field = 0;
	unsigned wt = 0;
	int n;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_key(&w, WIRE_PB_FIELD_MAX, WIRE_PB_FIXED64);
	n = wire_pb_writer_finish(&w);
	ck_assert_int_eq(n, 5);
	wire_pb_reader_init(&r, buf, (size_t)n);
	ck_assert_int_eq(wire_pb_read_key(&r, &field, &wt), 0);
	ck_assert_uint_eq(field, WIRE_PB_FIELD_MAX);
	ck_assert_uint_eq(wt, WIRE_PB_FIXED64);
}
END_TEST

START_TEST(test_pb_writer_fills_buffer_exactly)
{
	uint8_t buf[5];
	struct wire_pb_writer w;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_varint(&w, 0xffffffffu);
	ck_assert_int_eq(wire_pb_writer_finish(&w), 5);
}
END_TEST

START_TEST(test_pb_end_moves_body_when_length_needs_two_bytes)
{
	uint8_t buf[300];
	uint8_t body[200];
	struct wire_pb_writer w;
	size_t mark;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	wire_pb_writer_init(&w, buf, sizeof(buf));
	mark = wire_pb_begin(&w, 3);
	wire_pb_put_bytes(&w, body, sizeof(body));
	wire_pb_end(&w, mark);
	ck_assert_int_eq(wire_pb_writer_finish(&w), 1 + 2 + 200);
	ck_assert_mem_eq(buf, ((const uint8_t[]){0x1a, 0xc8, 0x01}), 3);
	ck_assert_mem_eq(buf + 3, body, sizeof(body));
}
END_TEST

START_TEST(test_pb_end_fails_when_length_does_not_fit)
{
	/* Body fits exactly, but the one-byte length does not. */
	uint8_t buf[4];
	struct wire_pb_writer w;
	size_t mark;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	mark = wire_pb_begin(&w, 1);
	wire_pb_put_bytes(&w, "abc", 3);
	wire_pb_end(&w, mark);
	ck_assert_int_eq(wire_pb_writer_finish(&w), WIRE_ENOSPC);
}
END_TEST

START_TEST(test_pb_empty_input_reads_nothing)
{
	struct wire_pb_reader r;
	uint64_t v;

	wire_pb_reader_init(&r, NULL, 0);
	ck_assert_uint_eq(wire_pb_reader_left(&r), 0);
	ck_assert_int_eq(wire_pb_read_varint(&r, &v), WIRE_ETRUNC);
}
END_TEST

/* ---- errors ---- */

enum pb_op { OP_VARINT, OP_FIXED32, OP_FIXED64, OP_KEY, OP_LEN, OP_SKIP_LEN, OP_SKIP_WT };

/* The bad-input table: each row is hostile bytes for one reader call. */
static const struct bad_case {
	const char *name;
	enum pb_op op;
	unsigned wt; /* for OP_SKIP_WT */
	uint8_t bytes[16];
	size_t n;
	int want;
} bad_cases[] = {
        {"empty varint", OP_VARINT, 0, {0}, 0, WIRE_ETRUNC},
        {"varint ends on continuation", OP_VARINT, 0, {0x80}, 1, WIRE_ETRUNC},
        {"varint ends after 9 continuations",
         OP_VARINT,
         0,
         {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
         9,
         WIRE_ETRUNC},
        {"varint of 11 bytes",
         OP_VARINT,
         0,
         {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
         11,
         WIRE_EVARINT},
        {"varint of 10 bytes still continuing",
         OP_VARINT,
         0,
         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00},
         11,
         WIRE_EVARINT},
        {"varint overflowing 64 bits",
         OP_VARINT,
         0,
         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
         10,
         WIRE_EVARINT},
        {"fixed32 with 3 bytes", OP_FIXED32, 0, {1, 2, 3}, 3, WIRE_ETRUNC},
        {"fixed64 with 7 bytes", OP_FIXED64, 0, {1, 2, 3, 4, 5, 6, 7}, 7, WIRE_ETRUNC},
        {"key of field 0", OP_KEY, 0, {0x00}, 1, WIRE_EFIELD},
        {"key of field 0 wiretype 2", OP_KEY, 0, {0x02}, 1, WIRE_EFIELD},
        {"key with field above 2^29-1", OP_KEY, 0, {0xf8, 0xff, 0xff, 0xff, 0x20}, 5, WIRE_EFIELD},
        {"key with wiretype 3 (group start)", OP_KEY, 0, {0x0b}, 1, WIRE_EWIRETYPE},
        {"key with wiretype 4 (group end)", OP_KEY, 0, {0x0c}, 1, WIRE_EWIRETYPE},
        {"key with wiretype 6", OP_KEY, 0, {0x0e}, 1, WIRE_EWIRETYPE},
        {"key with wiretype 7", OP_KEY, 0, {0x0f}, 1, WIRE_EWIRETYPE},
        {"key truncated", OP_KEY, 0, {0x88}, 1, WIRE_ETRUNC},
        {"length past the end", OP_LEN, 0, {0x05, 'a', 'b'}, 3, WIRE_ELENGTH},
        {"length 1 with no data", OP_LEN, 0, {0x01}, 1, WIRE_ELENGTH},
        {"length of 2^64-1",
         OP_LEN,
         0,
         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
         10,
         WIRE_ELENGTH},
        {"length prefix truncated", OP_LEN, 0, {0x80}, 1, WIRE_ETRUNC},
        {"length prefix of 11 bytes",
         OP_LEN,
         0,
         {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
         11,
         WIRE_EVARINT},
        {"skip length past the end", OP_SKIP_LEN, 0, {0x7f, 0}, 2, WIRE_ELENGTH},
        {"skip group", OP_SKIP_WT, 3, {0}, 1, WIRE_EWIRETYPE},
        {"skip wiretype 6", OP_SKIP_WT, 6, {0}, 1, WIRE_EWIRETYPE},
        {"skip truncated fixed64", OP_SKIP_WT, WIRE_PB_FIXED64, {1, 2, 3, 4}, 4, WIRE_ETRUNC},
        {"skip truncated fixed32", OP_SKIP_WT, WIRE_PB_FIXED32, {1}, 1, WIRE_ETRUNC},
        {"skip truncated varint", OP_SKIP_WT, WIRE_PB_VARINT, {0xff, 0xff}, 2, WIRE_ETRUNC},
};

START_TEST(test_pb_rejects_bad_input_with_distinct_code)
{
	const struct bad_case *c = &bad_cases[_i];
	struct wire_pb_reader r, sub;
	uint64_t v64 = 0;
	uint32_t v32 = 0, field = 0;
	unsigned wt = 0;
	int got = 1;

	wire_pb_reader_init(&r, c->bytes, c->n);
	switch (c->op) {
	case OP_VARINT:
		got = wire_pb_read_varint(&r, &v64);
		break;
	case OP_FIXED32:
		got = wire_pb_read_fixed32(&r, &v32);
		break;
	case OP_FIXED64:
		got = wire_pb_read_fixed64(&r, &v64);
		break;
	case OP_KEY:
		got = wire_pb_read_key(&r, &field, &wt);
		break;
	case OP_LEN:
		got = wire_pb_read_len(&r, &sub);
		break;
	case OP_SKIP_LEN:
		got = wire_pb_skip(&r, WIRE_PB_LEN);
		break;
	case OP_SKIP_WT:
		got = wire_pb_skip(&r, c->wt);
		break;
	}
	ck_assert_msg(got == c->want, "%s: got %d (%s), want %d (%s)", c->name, got,
	              wire_strerror(got), c->want, wire_strerror(c->want));
	/* A failed read consumes nothing. */
	ck_assert_msg(r.p == c->bytes, "%s: reader moved", c->name);
}
END_TEST

START_TEST(test_pb_writer_reports_enospc_and_stays_failed)
{
	uint8_t buf[3];
	struct wire_pb_writer w;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_fixed32(&w, 1);
	ck_assert_int_eq(wire_pb_writer_finish(&w), WIRE_ENOSPC);
	wire_pb_put_varint(&w, 1); /* would fit, but the writer has failed */
	ck_assert_int_eq(wire_pb_writer_finish(&w), WIRE_ENOSPC);
	ck_assert_uint_eq(w.pos, 0);
}
END_TEST

START_TEST(test_pb_writer_zero_capacity_fails)
{
	struct wire_pb_writer w;

	wire_pb_writer_init(&w, NULL, 0);
	wire_pb_put_varint(&w, 0);
	ck_assert_int_eq(wire_pb_writer_finish(&w), WIRE_ENOSPC);
}
END_TEST

START_TEST(test_pb_put_key_rejects_field_zero_and_too_large)
{
	uint8_t buf[8];
	struct wire_pb_writer w;

	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_key(&w, 0, WIRE_PB_VARINT);
	ck_assert_int_eq(wire_pb_writer_finish(&w), WIRE_EFIELD);
	wire_pb_writer_init(&w, buf, sizeof(buf));
	wire_pb_put_key(&w, WIRE_PB_FIELD_MAX + 1, WIRE_PB_VARINT);
	ck_assert_int_eq(wire_pb_writer_finish(&w), WIRE_EFIELD);
}
END_TEST

static Suite *
pb_suite(void)
{
	Suite *s = suite_create("pb");
	TCase *tc_core = tcase_create("core");
	TCase *tc_limits = tcase_create("limits");
	TCase *tc_errors = tcase_create("errors");

	tcase_add_test(tc_core, test_pb_varint_encodes_canonically);
	tcase_add_test(tc_core, test_pb_varint_accepts_non_minimal_encoding);
	tcase_add_test(tc_core, test_pb_zigzag_maps_signed_to_small_unsigned);
	tcase_add_test(tc_core, test_pb_fixed_values_are_little_endian);
	tcase_add_test(tc_core, test_pb_key_round_trips_field_and_wiretype);
	tcase_add_test(tc_core, test_pb_read_len_hands_out_exactly_the_prefixed_bytes);
	tcase_add_test(tc_core, test_pb_skip_passes_over_every_wiretype);
	tcase_add_test(tc_core, test_pb_begin_end_writes_length_before_body);
	tcase_add_test(tc_core, test_pb_begin_end_writes_empty_body);
	suite_add_tcase(s, tc_core);

	tcase_add_test(tc_limits, test_pb_varint_takes_ten_bytes_with_top_bit);
	tcase_add_test(tc_limits, test_pb_key_accepts_largest_field_number);
	tcase_add_test(tc_limits, test_pb_writer_fills_buffer_exactly);
	tcase_add_test(tc_limits, test_pb_end_moves_body_when_length_needs_two_bytes);
	tcase_add_test(tc_limits, test_pb_end_fails_when_length_does_not_fit);
	tcase_add_test(tc_limits, test_pb_empty_input_reads_nothing);
	suite_add_tcase(s, tc_limits);

	tcase_add_loop_test(tc_errors, test_pb_rejects_bad_input_with_distinct_code, 0,
	                    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc_errors, test_pb_writer_reports_enospc_and_stays_failed);
	tcase_add_test(tc_errors, test_pb_writer_zero_capacity_fails);
	tcase_add_test(tc_errors, test_pb_put_key_rejects_field_zero_and_too_large);
	suite_add_tcase(s, tc_errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pb_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
