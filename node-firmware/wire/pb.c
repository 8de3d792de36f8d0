/*
 * wire/pb: protobuf wire format primitives. Readers check every length
 * against the end of their window before touching a byte; writers check
 * against the caller's capacity and keep the first error.
 */
#include <string.h>

#include "wire/pb.h"

/* ---- reading ---- */

void
wire_pb_reader_init(struct wire_pb_reader *r, const uint8_t *in, size_t len)
{
	r->p = in;
	r->end = in + len;
}

int
wire_pb_read_varint(struct wire_pb_reader *r, uint64_t *v)
{
	const uint8_t *p = r->p;
	uint64_t x = 0;
	unsigned i;

	for (i = 0; i < WIRE_PB_VARINT_MAX; i++) {
		uint8_t b;

		if (p == r->end)
			return WIRE_ETRUNC;
		b = *p++;
		/* The 10th byte holds bit 63 only: anything more overflows 64 bits. */
		if (i == WIRE_PB_VARINT_MAX - 1 && b > 1)
			return WIRE_EVARINT;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			r->p = p;
			*v = x;
			return 0;
		}
	}
	return WIRE_EVARINT;
}

/* Little-endian load of n <= 8 bytes the caller has checked are there. */
static uint64_t
pb_load_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

int
wire_pb_read_fixed32(struct wire_pb_reader *r, uint32_t *v)
{
	if (wire_pb_reader_left(r) < 4)
		return WIRE_ETRUNC;
	*v = (uint32_t)pb_load_le(r->p, 4);
	r->p += 4;
	return 0;
}

int
wire_pb_read_fixed64(struct wire_pb_reader *r, uint64_t *v)
{
	if (wire_pb_reader_left(r) < 8)
		return WIRE_ETRUNC;
	*v = pb_load_le(r->p, 8);
	r->p += 8;
	return 0;
}

int
wire_pb_read_key(struct wire_pb_reader *r, uint32_t *field, unsigned *wiretype)
{
	struct wire_pb_reader save = *r;
	uint64_t key;
	unsigned wt;
	int err;

	err = wire_pb_read_varint(r, &key);
	if (err < 0)
		return err;
	wt = (unsigned)(key & 7);
	if (key >> 3 == 0 || key >> 3 > WIRE_PB_FIELD_MAX) {
		*r = save;
		return WIRE_EFIELD;
	}
	if (wt != WIRE_PB_VARINT && wt != WIRE_PB_FIXED64 && wt != WIRE_PB_LEN &&
	    wt != WIRE_PB_FIXED32) {
		*r = save;
		return WIRE_EWIRETYPE;
	}
	*field = (uint32_t)(key >> 3);
	*wiretype = wt;
	return 0;
}

int
wire_pb_read_len(struct wire_pb_reader *r, struct wire_pb_reader *sub)
{
	struct wire_pb_reader save = *r;
	uint64_t n;
	int err;

	err = wire_pb_read_varint(r, &n);
	if (err < 0)
		return err;
	if (n > wire_pb_reader_left(r)) {
		*r = save;
		return WIRE_ELENGTH;
	}
	sub->p = r->p;
	sub->end = r->p + n;
	r->p = sub->end;
	return 0;
}

int
wire_pb_skip(struct wire_pb_reader *r, unsigned wiretype)
{
	struct wire_pb_reader sub;
	uint64_t v64;
	uint32_t v32;

	switch (wiretype) {
	case WIRE_PB_VARINT:
		return wire_pb_read_varint(r, &v64);
	case WIRE_PB_FIXED64:
		return wire_pb_read_fixed64(r, &v64);
	case WIRE_PB_LEN:
		return wire_pb_read_len(r, &sub);
	case WIRE_PB_FIXED32:
		return wire_pb_read_fixed32(r, &v32);
	default:
		return WIRE_EWIRETYPE;
	}
}

/* ---- writing ---- */

void
wire_pb_writer_init(struct wire_pb_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->pos = 0;
	w->err = 0;
}

int
wire_pb_writer_finish(const struct wire_pb_writer *w)
{
	if (w->err < 0)
		return w->err;
	return (int)w->pos;
}

/* Reserve n bytes; returns where they start or NULL (and records ENOSPC). */
static uint8_t *
pb_room(struct wire_pb_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err < 0)
		return NULL;
	if (n > w->cap - w->pos) {
		wire_pb_fail(w, WIRE_ENOSPC);
		return NULL;
	}
	p = w->buf + w->pos;
	w->pos += n;
	return p;
}

size_t
wire_pb_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Write v as a varint at p, which has room for it; returns bytes written. */
static size_t
pb_varint_at(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void
wire_pb_put_varint(struct wire_pb_writer *w, uint64_t v)
{
	uint8_t *p = pb_room(w, wire_pb_varint_size(v));

	if (p != NULL)
		(void)pb_varint_at(p, v);
}

void
wire_pb_put_fixed32(struct wire_pb_writer *w, uint32_t v)
{
	uint8_t *p = pb_room(w, 4);

	if (p == NULL)
		return;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
wire_pb_put_fixed64(struct wire_pb_writer *w, uint64_t v)
{
	wire_pb_put_fixed32(w, (uint32_t)v);
	wire_pb_put_fixed32(w, (uint32_t)(v >> 32));
}

void
wire_pb_put_bytes(struct wire_pb_writer *w, const void *src, size_t n)
{
	uint8_t *p = pb_room(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void
wire_pb_put_key(struct wire_pb_writer *w, uint32_t field, unsigned wiretype)
{
	if (field == 0 || field > WIRE_PB_FIELD_MAX) {
		wire_pb_fail(w, WIRE_EFIELD);
		return;
	}
	wire_pb_put_varint(w, (uint64_t)field << 3 | wiretype);
}

/*
 * The body is written right after the key, leaving no room for the length;
 * wire_pb_end() shifts it up by the length's size. Messages are at most a few
 * hundred bytes, so the move is cheap and the output stays canonical.
 */
size_t
wire_pb_begin(struct wire_pb_writer *w, uint32_t field)
{
	wire_pb_put_key(w, field, WIRE_PB_LEN);
	return w->pos;
}

void
wire_pb_end(struct wire_pb_writer *w, size_t mark)
{
	size_t n, k;

	if (w->err < 0)
		return;
	n = w->pos - mark;
	k = wire_pb_varint_size(n);
	if (pb_room(w, k) == NULL)
		return;
	memmove(w->buf + mark + k, w->buf + mark, n);
	(void)pb_varint_at(w->buf + mark, n);
}
