/*
 * wire: the node <-> gateway protocol, shared by the node firmware and the daemon.
 *
 * Every wire function returns 0 (or a byte count) on success and a negative
 * WIRE_E* code on failure; wire_strerror() names it. Nothing here allocates,
 * logs or calls the OS: callers own every buffer, so the same code runs on a
 * Cortex-M4 and in tinyfleetd.
 */
#ifndef TF_WIRE_H
#define TF_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum wire_err {
	WIRE_OK = 0,
	WIRE_EINVAL = -1,     /* bad argument from the caller (NULL, zero size) */
	WIRE_ETRUNC = -2,     /* input ends before the structure it announces */
	WIRE_ENOSPC = -3,     /* the caller's output buffer is too small */
	WIRE_EVERSION = -4,   /* frame version is not one we speak */
	WIRE_EAUTH = -5,      /* AEAD tag does not verify: forged or corrupted */
	WIRE_EREPLAY = -6,    /* counter already seen inside the replay window */
	WIRE_ESTALE = -7,     /* counter older than the replay window */
	WIRE_ETOOBIG = -8,    /* frame or message larger than WIRE_MAX_FRAME */
	WIRE_EVARINT = -9,    /* varint longer than 10 bytes or overflowing */
	WIRE_ELENGTH = -10,   /* length prefix points past the end of the input */
	WIRE_EWIRETYPE = -11, /* protobuf wire type that does not exist (6, 7) or groups */
	WIRE_ECOBS = -12,     /* malformed COBS block */
	WIRE_ENODELIM = -13,  /* COBS data ran past the limit without a 0x00 delimiter */
	WIRE_EFIELD = -14,    /* field value out of range, or more items than the struct holds */
	WIRE_ETYPE = -15,     /* message type unknown to this side */
	WIRE_EFLAGS = -16,    /* frame flags say the wrong direction or use reserved bits */
	WIRE_ECOUNTER = -17,  /* counter space exhausted (would wrap) */
	WIRE__ERR_MIN = -18
};

/* Largest frame on any link, header and tag included (DESIGN.md: 512 bytes). */
#define WIRE_MAX_FRAME 512

/* Returns a constant, human-readable description of a WIRE_E* code. */
const char *wire_strerror(int err);

#endif
