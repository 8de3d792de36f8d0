/* wire_strerror(): the one table of wire error texts. */
#include "wire/wire.h"

const char *
wire_strerror(int err)
{
	switch (err) {
	case WIRE_OK:
		return "success";
	case WIRE_EINVAL:
		return "invalid argument";
	case WIRE_ETRUNC:
		return "truncated input";
	case WIRE_ENOSPC:
		return "output buffer too small";
	case WIRE_EVERSION:
		return "unsupported frame version";
	case WIRE_EAUTH:
		return "authentication tag mismatch";
	case WIRE_EREPLAY:
		return "replayed counter";
	case WIRE_ESTALE:
		return "counter older than the replay window";
	case WIRE_ETOOBIG:
		return "frame too large";
	case WIRE_EVARINT:
		return "malformed varint";
	case WIRE_ELENGTH:
		return "length prefix past end of input";
	case WIRE_EWIRETYPE:
		return "invalid protobuf wire type";
	case WIRE_ECOBS:
		return "malformed COBS data";
	case WIRE_ENODELIM:
		return "COBS frame without delimiter";
	case WIRE_EFIELD:
		return "field value out of range";
	case WIRE_ETYPE:
		return "unknown message type";
	case WIRE_EFLAGS:
		return "bad frame flags";
	case WIRE_ECOUNTER:
		return "counter exhausted";
	default:
		return "unknown wire error";
	}
}
