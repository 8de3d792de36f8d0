/*
 * The v1 frame: header parse, seal and open (layout in frame.h and docs/PROTOCOL.md).
 *
 * The 14-byte header is the AAD, so every header bit is authenticated; the nonce is the
 * direction constant followed by the counter exactly as it appears in the header
 * (little endian), so the receiver rebuilds it from the frame and the direction it
 * expects, never from anything it has not checked.
 */
#include <string.h>

#include "wire/frame.h"

static uint32_t
load32_le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
load64_le(const uint8_t *p)
{
	return (uint64_t)load32_le(p) | (uint64_t)load32_le(p + 4) << 32;
}

static void
store32_le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
make_nonce(uint8_t nonce[WIRE_AEAD_NONCE_BYTES], enum wire_dir dir, const uint8_t counter_le[8])
{
	memcpy(nonce, dir == WIRE_DIR_G2N ? WIRE_FRAME_NONCE_G2N : WIRE_FRAME_NONCE_N2G, 4);
	memcpy(nonce + 4, counter_le, 8);
}

int
wire_frame_parse(const uint8_t *frame, size_t len, struct wire_frame_hdr *ret_hdr)
{
	if (frame == NULL || ret_hdr == NULL)
		return WIRE_EINVAL;
	if (len > WIRE_MAX_FRAME)
		return WIRE_ETOOBIG;
	if (len < WIRE_FRAME_MIN)
		return WIRE_ETRUNC;
	if (frame[0] != WIRE_FRAME_VERSION)
		return WIRE_EVERSION;
	if (frame[1] & WIRE_FRAME_FLAGS_RESERVED)
		return WIRE_EFLAGS;
	ret_hdr->version = frame[0];
	ret_hdr->flags = frame[1];
	ret_hdr->node_id = load32_le(frame + 2);
	ret_hdr->counter = load64_le(frame + 6);
	return (int)(len - WIRE_FRAME_OVERHEAD);
}

int
wire_frame_seal(const uint8_t key[WIRE_AEAD_KEY_BYTES], enum wire_dir dir, uint32_t node_id,
                uint64_t counter, const uint8_t *msg, size_t msg_len, uint8_t *out, size_t out_size)
{
	uint8_t hdr[WIRE_FRAME_HDR_BYTES];
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	int r;

	if (key == NULL || out == NULL || (msg == NULL && msg_len > 0))
		return WIRE_EINVAL;
	if (dir != WIRE_DIR_N2G && dir != WIRE_DIR_G2N)
		return WIRE_EINVAL;
	if (counter == 0)
		return WIRE_EINVAL;
	if (msg_len > WIRE_FRAME_MAX_PAYLOAD)
		return WIRE_ETOOBIG;
	if (out_size < msg_len + WIRE_FRAME_OVERHEAD)
		return WIRE_ENOSPC;

	hdr[0] = WIRE_FRAME_VERSION;
	hdr[1] = dir == WIRE_DIR_G2N ? WIRE_FRAME_FLAG_G2N : 0;
	store32_le(hdr + 2, node_id);
	store32_le(hdr + 6, (uint32_t)counter);
	store32_le(hdr + 10, (uint32_t)(counter >> 32));
	make_nonce(nonce, dir, hdr + 6);

	/* msg may be out + 14: the header bytes do not overlap it, and ChaCha20 reads each
	 * byte before writing the same position. */
	r = wire_aead_seal(key, nonce, hdr, sizeof(hdr), msg, msg_len, out + WIRE_FRAME_HDR_BYTES,
	                   out + WIRE_FRAME_HDR_BYTES + msg_len);
	if (r < 0)
		return r;
	memcpy(out, hdr, sizeof(hdr));
	return (int)(msg_len + WIRE_FRAME_OVERHEAD);
}

int
wire_frame_open(const uint8_t key[WIRE_AEAD_KEY_BYTES], enum wire_dir dir, const uint8_t *frame,
                size_t len, struct wire_frame_hdr *ret_hdr, uint8_t *out, size_t out_size)
{
	struct wire_frame_hdr hdr;
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	size_t msg_len;
	int r;

	if (key == NULL || (dir != WIRE_DIR_N2G && dir != WIRE_DIR_G2N))
		return WIRE_EINVAL;
	r = wire_frame_parse(frame, len, &hdr);
	if (r < 0)
		return r;
	msg_len = (size_t)r;
	if ((hdr.flags & WIRE_FRAME_FLAG_G2N) != (dir == WIRE_DIR_G2N ? WIRE_FRAME_FLAG_G2N : 0))
		return WIRE_EFLAGS;
	if (out == NULL && msg_len > 0)
		return WIRE_EINVAL;
	if (out_size < msg_len)
		return WIRE_ENOSPC;

	make_nonce(nonce, dir, frame + 6);
	r = wire_aead_open(key, nonce, frame, WIRE_FRAME_HDR_BYTES, frame + WIRE_FRAME_HDR_BYTES,
	                   msg_len, frame + WIRE_FRAME_HDR_BYTES + msg_len, out);
	if (r < 0)
		return r;
	if (ret_hdr != NULL)
		*ret_hdr = hdr;
	return (int)msg_len;
}

int
wire_frame_receive(const uint8_t key[WIRE_AEAD_KEY_BYTES], enum wire_dir dir,
                   struct wire_replay *window, const uint8_t *frame, size_t len,
                   struct wire_frame_hdr *ret_hdr, uint8_t *out, size_t out_size)
{
	struct wire_frame_hdr hdr;
	int r, n;

	if (window == NULL)
		return WIRE_EINVAL;
	r = wire_frame_parse(frame, len, &hdr);
	if (r < 0)
		return r;
	if ((dir == WIRE_DIR_G2N) != ((hdr.flags & WIRE_FRAME_FLAG_G2N) != 0))
		return WIRE_EFLAGS;
	/* Cheap rejection first: a replay costs no crypto. */
	r = wire_replay_check(window, hdr.counter);
	if (r < 0)
		return r;
	n = wire_frame_open(key, dir, frame, len, &hdr, out, out_size);
	if (n < 0)
		return n;
	/* Only an authentic frame moves the window. */
	r = wire_replay_accept(window, hdr.counter);
	if (r < 0)
		return r;
	if (ret_hdr != NULL)
		*ret_hdr = hdr;
	return n;
}
