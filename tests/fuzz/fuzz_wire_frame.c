/*
 * fuzz_wire_frame: arbitrary bytes into the frame decoder (header parse, open in both
 * directions, in place and into a buffer, and receive with a replay window) under a
 * fixed key; none of it may crash, read or write out of bounds, or accept a frame it
 * did not verify. The same bytes are also sealed as a message, which must open back
 * to them, and any single flipped bit of that frame must be rejected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/frame.h"
#include "wire/replay.h"
#include "wire/wire.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static const uint8_t fuzz_key[32] = {
        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

static int
is_wire_err(int r)
{
	return r < 0 && r > WIRE__ERR_MIN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy, out[WIRE_MAX_FRAME], f[WIRE_MAX_FRAME];
	struct wire_frame_hdr hdr;
	struct wire_replay w;
	uint64_t counter = 1;
	size_t i, flip;
	int r, n, d;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);

	r = wire_frame_parse(copy, size, &hdr);
	CHECK(r >= 0 ? (size_t)r + WIRE_FRAME_OVERHEAD == size : is_wire_err(r));
	for (d = 0; d < 2; d++) {
		r = wire_frame_open(fuzz_key, (enum wire_dir)d, copy, size, &hdr, out, sizeof(out));
		CHECK(r < 0 ? is_wire_err(r) : (size_t)r + WIRE_FRAME_OVERHEAD == size);
		/* in place, with an output size straight from the input */
		r = wire_frame_open(fuzz_key, (enum wire_dir)d, copy, size, NULL,
		                    size > WIRE_FRAME_HDR_BYTES ? copy + WIRE_FRAME_HDR_BYTES : out,
		                    size > 0 ? copy[0] : 0);
		CHECK(r < 0 ? is_wire_err(r) : 1);
		memcpy(copy, data, size);
		w.highest = size >= 8 ? (uint64_t)data[size - 1] << 8 | data[size - 2] : 0;
		w.bitmap = size >= 8 ? (uint64_t)data[size - 3] * 0x0101010101010101ull : 0;
		r = wire_frame_receive(fuzz_key, (enum wire_dir)d, &w, copy, size, &hdr, out,
		                       sizeof(out));
		CHECK(r < 0 ? is_wire_err(r) : 1);
	}

	/* The input as a message: seal, open back, and no flipped bit gets through. */
	if (size <= WIRE_FRAME_MAX_PAYLOAD) {
		for (i = 0; i < size && i < 8; i++)
			counter = counter << 8 | data[i];
		if (counter == 0)
			counter = 1;
		n = wire_frame_seal(fuzz_key, (enum wire_dir)(size & 1), (uint32_t)size, counter,
		                    copy, size, f, sizeof(f));
		CHECK(n == (int)(size + WIRE_FRAME_OVERHEAD));
		r = wire_frame_open(fuzz_key, (enum wire_dir)(size & 1), f, (size_t)n, &hdr, out,
		                    sizeof(out));
		CHECK(r == (int)size && memcmp(out, data, size) == 0);
		CHECK(hdr.counter == counter && hdr.node_id == (uint32_t)size);
		flip = size ? ((size_t)data[0] << 8 | data[size - 1]) % ((size_t)n * 8) : 0;
		f[flip / 8] ^= (uint8_t)(1u << (flip % 8));
		r = wire_frame_open(fuzz_key, (enum wire_dir)(size & 1), f, (size_t)n, &hdr, out,
		                    sizeof(out));
		CHECK(r == WIRE_EAUTH || r == WIRE_EVERSION || r == WIRE_EFLAGS);
	}
	free(copy);
	return 0;
}
