/*
 * wire/pb: the protobuf wire format, low level (varint, zigzag, fixed32/64,
 * length-delimited, skipping unknown fields). wire/msg builds the message
 * codecs on it.
 *
 * Reading: a struct wire_pb_reader is a window [p, end) over borrowed input.
 * Every read checks bounds first and returns a negative WIRE_E* code on bad
 * input, leaving the reader where it was; nothing reads past end.
 *
 * Writing: a struct wire_pb_writer is a window over a caller-supplied buffer.
 * Writes never go past the end; the first failure is kept in w->err (sticky),
 * later writes do nothing, and wire_pb_writer_finish() reports it. That keeps
 * encoders free of an error check after every field.
 */
#ifndef TF_WIRE_PB_H
#define TF_WIRE_PB_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

/* Protobuf wire types. 3 and 4 (groups) are obsolete and refused, 6 and 7 do
 * not exist. */
enum wire_pb_wiretype {
	WIRE_PB_VARINT = 0,
	WIRE_PB_FIXED64 = 1,
	WIRE_PB_LEN = 2,
	WIRE_PB_FIXED32 = 5
};

/* Largest field number protobuf allows (2^29 - 1). */
#define WIRE_PB_FIELD_MAX 536870911u
/* Longest varint: 64 bits in 7-bit groups. */
#define WIRE_PB_VARINT_MAX 10

struct wire_pb_reader {
	const uint8_t *p;   /* next byte to read */
	const uint8_t *end; /* one past the last readable byte */
};

struct wire_pb_writer {
	uint8_t *buf; /* start of the caller's buffer */
	size_t cap;   /* its size */
	size_t pos;   /* bytes written so far */
	int err;      /* first error (WIRE_ENOSPC, WIRE_EFIELD), sticky; 0 if none */
};

/* ---- zigzag (sint32 / sint64) ---- */

static inline uint32_t
wire_pb_zigzag32(int32_t v)
{
	return ((uint32_t)v << 1) ^ (0u - ((uint32_t)v >> 31));
}

static inline int32_t
wire_pb_unzigzag32(uint32_t v)
{
	return (int32_t)((v >> 1) ^ (0u - (v & 1)));
}

static inline uint64_t
wire_pb_zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ ((uint64_t)0 - ((uint64_t)v >> 63));
}

static inline int64_t
wire_pb_unzigzag64(uint64_t v)
{
	return (int64_t)((v >> 1) ^ ((uint64_t)0 - (v & 1)));
}

/* ---- reading ---- */

/* Point r at in[0..len). */
void wire_pb_reader_init(struct wire_pb_reader *r, const uint8_t *in, size_t len);

/* Bytes left to read. */
static inline size_t
wire_pb_reader_left(const struct wire_pb_reader *r)
{
	return (size_t)(r->end - r->p);
}

/*
 * Read one varint into *v.
 * Returns 0, WIRE_ETRUNC (input ends inside it) or WIRE_EVARINT (longer than
 * 10 bytes, or a 10th byte carrying bits above 2^64).
 */
int wire_pb_read_varint(struct wire_pb_reader *r, uint64_t *v);

/* Read 4 / 8 little-endian bytes. Returns 0 or WIRE_ETRUNC. */
int wire_pb_read_fixed32(struct wire_pb_reader *r, uint32_t *v);
int wire_pb_read_fixed64(struct wire_pb_reader *r, uint64_t *v);

/*
 * Read a field key. Returns 0 with *field (1..WIRE_PB_FIELD_MAX) and *wiretype
 * (0, 1, 2 or 5), or WIRE_ETRUNC / WIRE_EVARINT from the varint, WIRE_EFIELD
 * for field number 0 or above WIRE_PB_FIELD_MAX, WIRE_EWIRETYPE for wire types
 * 3, 4 (groups), 6 and 7.
 */
int wire_pb_read_key(struct wire_pb_reader *r, uint32_t *field, unsigned *wiretype);

/*
 * Read a length prefix and hand out the bytes it covers as *sub, advancing r
 * past them. Returns 0, WIRE_ETRUNC / WIRE_EVARINT from the prefix, or
 * WIRE_ELENGTH when the length runs past r's end.
 */
int wire_pb_read_len(struct wire_pb_reader *r, struct wire_pb_reader *sub);

/*
 * Skip the value of a field of the given wire type (an unknown field).
 * Returns 0, or the error the matching read would give, or WIRE_EWIRETYPE.
 */
int wire_pb_skip(struct wire_pb_reader *r, unsigned wiretype);

/* ---- writing ---- */

/* Point w at buf[0..cap). */
void wire_pb_writer_init(struct wire_pb_writer *w, uint8_t *buf, size_t cap);

/* Bytes written so far, or the sticky error if one happened. */
int wire_pb_writer_finish(const struct wire_pb_writer *w);

/* Raw values, no key. */
void wire_pb_put_varint(struct wire_pb_writer *w, uint64_t v);
void wire_pb_put_fixed32(struct wire_pb_writer *w, uint32_t v);
void wire_pb_put_fixed64(struct wire_pb_writer *w, uint64_t v);
void wire_pb_put_bytes(struct wire_pb_writer *w, const void *p, size_t n);
void wire_pb_put_key(struct wire_pb_writer *w, uint32_t field, unsigned wiretype);

/* Bytes the varint encoding of v takes (1..10). */
size_t wire_pb_varint_size(uint64_t v);

/*
 * Length-delimited field whose length is not known up front (a sub-message or
 * a packed run): wire_pb_begin() writes the key and returns a mark;
 * wire_pb_end() writes the length in front of what was written since and
 * moves it up when the length takes more than one byte. The result is the
 * canonical (shortest) encoding.
 */
size_t wire_pb_begin(struct wire_pb_writer *w, uint32_t field);
void wire_pb_end(struct wire_pb_writer *w, size_t mark);

/* Record an error in w (the first one wins). */
static inline void
wire_pb_fail(struct wire_pb_writer *w, int err)
{
	if (w->err == 0)
		w->err = err;
}

#endif
