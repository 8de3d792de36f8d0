/*
 * fuzz_wire_cobs: the streaming COBS decoder on arbitrary bytes, fed in arbitrary piece
 * sizes, checked against the one-shot decoder and the encoder.
 *
 * Input: byte 0 picks the decoder's buffer size (1..512), byte 1 seeds the piece sizes,
 * the rest is the serial stream. Because the decoder resynchronises only at 0x00, every
 * non-empty 0x00-terminated segment of the stream yields exactly one event, in order:
 *   - a frame: wire_cobs_decode() of the segment gives the same bytes, and re-encoding
 *     them gives the segment back byte for byte (COBS is canonical);
 *   - WIRE_ECOBS: the one-shot decoder rejects the segment as WIRE_ECOBS too;
 *   - WIRE_ENODELIM: the segment does not decode into the buffer.
 * An unterminated last segment yields no event unless it overflows the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/cobs.h"
#include "wire/wire.h"

struct oracle {
	const uint8_t *in; /* the whole stream */
	size_t len;
	size_t cursor; /* start of the next segment not yet matched to an event */
	uint8_t *buf;  /* the decoder's buffer */
	size_t cap;
	unsigned events;
};

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void
on_event(void *arg, int err, uint8_t *frame, size_t len)
{
	static uint8_t dec[1024 + 8], enc[WIRE_COBS_MAX_ENCODED(1024) + 8];
	struct oracle *o = arg;
	const uint8_t *seg, *end;
	size_t seg_len;
	int r;

	/* the next non-empty segment */
	while (o->cursor < o->len && o->in[o->cursor] == 0)
		o->cursor++;
	CHECK(o->cursor < o->len);
	seg = o->in + o->cursor;
	end = memchr(seg, 0, o->len - o->cursor);
	seg_len = end ? (size_t)(end - seg) : o->len - o->cursor;
	o->cursor += seg_len + (end ? 1 : 0);
	o->events++;

	r = wire_cobs_decode(seg, seg_len, dec, o->cap);
	if (err == 0) {
		CHECK(end != NULL);
		CHECK(frame == o->buf && len <= o->cap);
		CHECK(r >= 0 && (size_t)r == len && memcmp(dec, frame, len) == 0);
		r = wire_cobs_encode(frame, len, enc, sizeof(enc));
		CHECK(r >= 0 && (size_t)r == seg_len + 1);
		CHECK(memcmp(enc, seg, seg_len) == 0 && enc[seg_len] == 0);
	} else if (err == WIRE_ECOBS) {
		CHECK(end != NULL && frame == NULL && len == 0);
		CHECK(r == WIRE_ECOBS);
	} else {
		CHECK(err == WIRE_ENODELIM && frame == NULL && len == 0);
		CHECK(r == WIRE_ENOSPC || r == WIRE_ECOBS);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[512];
	struct wire_cobs_stream s;
	struct oracle o;
	uint32_t rng;
	size_t pos, chunk, rest;
	int r, frames = 0;

	if (size < 2 || size > 4096)
		return 0;
	memset(&o, 0, sizeof(o));
	o.in = data + 2;
	o.len = size - 2;
	o.buf = buf;
	o.cap = 1 + (size_t)data[0] * 2;
	rng = 0x9e3779b9u ^ data[1];
	CHECK(wire_cobs_stream_init(&s, buf, o.cap, on_event, &o) == 0);

	for (pos = 0; pos < o.len; pos += chunk) {
		rng = rng * 1103515245u + 12345u;
		chunk = 1 + (rng >> 16) % (data[1] & 1 ? 7 : 300);
		if (chunk > o.len - pos)
			chunk = o.len - pos;
		r = wire_cobs_stream_feed(&s, o.in + pos, chunk);
		CHECK(r >= 0);
		frames += r;
	}
	CHECK((unsigned)frames == s.frames);
	CHECK(s.frames + s.err_cobs + s.err_nodelim == o.events);

	/* every terminated non-empty segment has had its event */
	rest = o.cursor;
	while (rest < o.len && o.in[rest] == 0)
		rest++;
	CHECK(rest == o.len || memchr(o.in + rest, 0, o.len - rest) == NULL);
	return 0;
}
