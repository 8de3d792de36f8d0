/*
 * COBS framing for serial links: one-shot encode and decode, and the streaming
 * decoder that turns UART bytes into frames (rules in cobs.h).
 *
 * A frame is a sequence of blocks. A block is a code byte c (1..255) followed by c - 1
 * non-zero data bytes; a block with c < 255 stands for its data plus one 0x00, except
 * the last block of the frame, whose 0x00 is not part of the frame. Canonical form:
 * the last block never has c == 255.
 */
#include <limits.h>
#include <string.h>

#include "wire/cobs.h"
#include "wire/wire.h"

int
wire_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t out_size)
{
	size_t code_at = 0; /* where the current block's code byte goes */
	size_t o = 1;       /* next output position */
	uint8_t code = 1;   /* 1 + data bytes in the current block so far */
	size_t i;

	if (out == NULL || (in == NULL && len > 0) || len > INT_MAX / 2)
		return WIRE_EINVAL;
	if (out_size < 2)
		return WIRE_ENOSPC;

	for (i = 0; i < len; i++) {
		if (in[i] != 0) {
			if (o >= out_size)
				return WIRE_ENOSPC;
			out[o++] = in[i];
			if (++code != 0xff)
				continue;
			/* A full block carries no 0x00; a next block always follows, even
			 * at the end of input, because the last block must not be 0xFF. */
		}
		out[code_at] = code;
		if (o >= out_size)
			return WIRE_ENOSPC;
		code_at = o++;
		code = 1;
	}
	out[code_at] = code;
	if (o >= out_size)
		return WIRE_ENOSPC;
	out[o++] = 0x00;
	return (int)o;
}

int
wire_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_size)
{
	size_t i = 0, o = 0, n;
	uint8_t code = 0;

	if ((in == NULL && len > 0) || out == NULL || len > INT_MAX)
		return WIRE_EINVAL;
	while (i < len) {
		if (code != 0 && code != 0xff) {
			if (o >= out_size)
				return WIRE_ENOSPC;
			out[o++] = 0x00;
		}
		code = in[i++];
		if (code == 0)
			return WIRE_ECOBS;
		n = (size_t)code - 1;
		if (n > len - i)
			return WIRE_ECOBS;
		if (n > out_size - o)
			return WIRE_ENOSPC;
		/* out may equal in: every block writes no more bytes than it read, so the
		 * write position never passes the read position. */
		for (; n > 0; n--) {
			if (in[i] == 0)
				return WIRE_ECOBS;
			out[o++] = in[i++];
		}
	}
	if (code == 0xff)
		return WIRE_ECOBS;
	return (int)o;
}

/* ---- streaming decoder ---------------------------------------------------------- */

static void
stream_restart(struct wire_cobs_stream *s)
{
	s->len = 0;
	s->code = 0;
	s->left = 0;
}

static void
stream_error(struct wire_cobs_stream *s, int err)
{
	if (err == WIRE_ENODELIM)
		s->err_nodelim++;
	else
		s->err_cobs++;
	s->cb(s->arg, err, NULL, 0);
}

int
wire_cobs_stream_init(struct wire_cobs_stream *s, uint8_t *buf, size_t cap, wire_cobs_cb cb,
                      void *arg)
{
	if (s == NULL || buf == NULL || cap == 0 || cb == NULL)
		return WIRE_EINVAL;
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->cap = cap;
	s->cb = cb;
	s->arg = arg;
	return 0;
}

void
wire_cobs_stream_reset(struct wire_cobs_stream *s)
{
	if (s == NULL)
		return;
	stream_restart(s);
	s->discard = 0;
}

int
wire_cobs_stream_feed(struct wire_cobs_stream *s, const uint8_t *data, size_t len)
{
	int delivered = 0;
	size_t i;
	uint8_t b;

	if (s == NULL || s->buf == NULL || s->cb == NULL || (data == NULL && len > 0))
		return WIRE_EINVAL;

	for (i = 0; i < len; i++) {
		b = data[i];
		if (b == 0x00) {
			/* Delimiter: ends the frame, the error, or an empty frame. */
			if (s->discard) {
				s->discard = 0;
			} else if (s->code == 0) {
				/* two 0x00 in a row: nothing to report */
			} else if (s->left > 0 || s->code == 0xff) {
				stream_error(s, WIRE_ECOBS);
			} else {
				s->frames++;
				if (delivered < INT_MAX)
					delivered++;
				s->cb(s->arg, 0, s->buf, s->len);
			}
			stream_restart(s);
			continue;
		}
		if (s->discard)
			continue;
		if (s->left == 0) {
			/* A code byte: the previous block (if it was not full) ended in 0x00. */
			if (s->code != 0 && s->code != 0xff) {
				if (s->len >= s->cap)
					goto overflow;
				s->buf[s->len++] = 0x00;
			}
			s->code = b;
			s->left = (uint8_t)(b - 1);
			continue;
		}
		if (s->len >= s->cap)
			goto overflow;
		s->buf[s->len++] = b;
		s->left--;
		continue;
	overflow:
		stream_error(s, WIRE_ENODELIM);
		stream_restart(s);
		s->discard = 1;
	}
	return delivered;
}
