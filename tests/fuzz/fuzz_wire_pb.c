/*
 * fuzz_wire_pb: arbitrary bytes into both envelope decoders (wire/msg.c on
 * wire/pb.c) and the raw field walker.
 *
 * Beyond "no crash, no hang, no out-of-bounds access" (ASan, UBSan), it checks
 * the round-trip invariant: whatever decodes re-encodes within one frame's
 * plaintext, decodes again to the same struct, and the re-encoding is stable
 * (encode(decode(encode(x))) == encode(x)). Errors must be WIRE_E* codes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/msg.h"
#include "wire/pb.h"

static void
check_err(int err)
{
	if (err > 0 || err <= WIRE__ERR_MIN)
		abort();
}

static void
fuzz_node(const uint8_t *data, size_t size)
{
	struct wire_node_msg a, b;
	uint8_t out1[1024], out2[1024];
	int n1, n2, err;

	err = wire_msg_node_decode(data, size, &a);
	if (err < 0) {
		check_err(err);
		return;
	}
	if (err != 0 || a.type == WIRE_NODE_NONE)
		abort();
	n1 = wire_msg_node_encode(&a, out1, sizeof(out1));
	if (n1 <= 0 || n1 > WIRE_MSG_MAX)
		abort();
	if (wire_msg_node_decode(out1, (size_t)n1, &b) != 0)
		abort();
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	n2 = wire_msg_node_encode(&b, out2, sizeof(out2));
	if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
		abort();
}

static void
fuzz_gw(const uint8_t *data, size_t size)
{
	struct wire_gw_msg a, b;
	uint8_t out1[1024], out2[1024];
	int n1, n2, err;

	err = wire_msg_gw_decode(data, size, &a);
	if (err < 0) {
		check_err(err);
		return;
	}
	if (err != 0 || a.type == WIRE_GW_NONE)
		abort();
	n1 = wire_msg_gw_encode(&a, out1, sizeof(out1));
	if (n1 <= 0 || n1 > WIRE_MSG_MAX)
		abort();
	if (wire_msg_gw_decode(out1, (size_t)n1, &b) != 0)
		abort();
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	n2 = wire_msg_gw_encode(&b, out2, sizeof(out2));
	if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
		abort();
}

/* Walk top-level fields with the primitives alone; every step either
 * consumes bytes or fails, so this terminates. */
static void
fuzz_walk(const uint8_t *data, size_t size)
{
	struct wire_pb_reader r;

	wire_pb_reader_init(&r, data, size);
	while (wire_pb_reader_left(&r) > 0) {
		const uint8_t *before = r.p;
		uint32_t field;
		unsigned wt;
		int err;

		err = wire_pb_read_key(&r, &field, &wt);
		if (err == 0)
			err = wire_pb_skip(&r, wt);
		if (err < 0) {
			check_err(err);
			return;
		}
		if (r.p <= before || r.p > data + size)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_node(data, size);
	fuzz_gw(data, size);
	fuzz_walk(data, size);
	return 0;
}
