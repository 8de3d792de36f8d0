/*
 * cobs: Consistent Overhead Byte Stuffing for serial links (docs/PROTOCOL.md "Serial
 * framing"). Each frame is COBS-encoded, so it contains no 0x00, and followed by one
 * 0x00 delimiter. One link may carry frames of many nodes.
 *
 * Only the canonical encoding is accepted: wire_cobs_encode() always ends a frame
 * with a block whose code is below 0xFF (a run of 254 non-zero bytes at the very end
 * is followed by an empty 0x01 block), and decoders reject a frame whose last block
 * has code 0xFF. So every byte string has exactly one encoding, and every decoded
 * frame re-encodes to the bytes it came from.
 *
 * The streaming decoder takes bytes exactly as a UART delivers them, in pieces of any
 * size, decodes into a buffer the caller owns, and hands each complete frame to a
 * callback. After an error it drops everything up to the next 0x00 and starts over,
 * so noise between frames costs at most the frame it touches. Empty frames (two 0x00
 * in a row) are ignored: a sender may write a 0x00 before a frame to flush line noise.
 */
#ifndef TF_WIRE_COBS_H
#define TF_WIRE_COBS_H

#include <stddef.h>
#include <stdint.h>

/* Encoded size of n bytes, delimiter included: n + n/254 + 1 code bytes worst case + 1. */
#define WIRE_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 2u)

/*
 * Encodes len bytes of in into out and appends the 0x00 delimiter. Returns the number
 * of bytes written (at most WIRE_COBS_MAX_ENCODED(len)). in may be NULL when len is 0;
 * in and out must not overlap. Errors: WIRE_EINVAL (NULL, len > INT_MAX / 2),
 * WIRE_ENOSPC (out too small; out contents then undefined).
 */
int wire_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t out_size);

/*
 * Decodes one complete encoded frame of len bytes (WITHOUT the 0x00 delimiter) into
 * out. out may equal in (decoding never writes ahead of what it has read).
 * Returns the decoded length. Errors: WIRE_EINVAL, WIRE_ECOBS (a 0x00 inside, a block
 * running past the end, or a non-canonical final 0xFF block), WIRE_ENOSPC.
 */
int wire_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_size);

/*
 * Called by wire_cobs_stream_feed() once per event, in stream order:
 *   err == 0: a complete frame of len bytes (possibly 0) at frame. The bytes live in
 *             the decoder's buffer and are valid, and writable, until the callback
 *             returns.
 *   err <  0: a frame was dropped: WIRE_ECOBS (malformed) or WIRE_ENODELIM (more than
 *             the buffer holds before a delimiter); frame is NULL and len 0.
 * The callback must not call wire_cobs_stream_feed() on the same decoder.
 */
typedef void (*wire_cobs_cb)(void *arg, int err, uint8_t *frame, size_t len);

struct wire_cobs_stream {
	uint8_t *buf;         /* caller's buffer for the frame being decoded */
	size_t cap;           /* its size: the largest frame accepted */
	size_t len;           /* decoded bytes of the current frame */
	uint8_t code;         /* code byte of the current block; 0 = frame not started */
	uint8_t left;         /* data bytes still due in the current block */
	uint8_t discard;      /* 1: dropping input until the next 0x00 */
	wire_cobs_cb cb;      /* event sink */
	void *arg;            /* passed to cb */
	uint32_t frames;      /* frames delivered */
	uint32_t err_cobs;    /* frames dropped as WIRE_ECOBS */
	uint32_t err_nodelim; /* frames dropped as WIRE_ENODELIM */
};

/*
 * Prepares s to decode into buf (cap bytes, borrowed for the decoder's lifetime; use
 * WIRE_MAX_FRAME for wire frames) and deliver events to cb(arg, ...).
 * Returns 0 or WIRE_EINVAL (NULL s, buf or cb, cap 0).
 */
int wire_cobs_stream_init(struct wire_cobs_stream *s, uint8_t *buf, size_t cap, wire_cobs_cb cb,
                          void *arg);

/*
 * Feeds len received bytes. Every frame completed and every error found by these
 * bytes is reported to the callback before this returns; a partial frame stays in the
 * decoder for the next call. Never reads past data[len - 1] or writes past
 * buf[cap - 1]. Returns the number of frames delivered by this call, or WIRE_EINVAL
 * (NULL s, or NULL data with len > 0) without calling the callback.
 */
int wire_cobs_stream_feed(struct wire_cobs_stream *s, const uint8_t *data, size_t len);

/* Drops any partial frame (e.g. after the link was reopened); counters are kept. */
void wire_cobs_stream_reset(struct wire_cobs_stream *s);

#endif
