/*
 * fuzz_daemon_codec: the daemon's side of "every byte from a node is hostile".
 * The input is the plaintext of a frame (what is left after the AEAD, i.e. what
 * a node with a valid key can send): codec_decode_node() must reject or
 * accept it without reading out of bounds or allocating outside its arena,
 * and every accepted message must survive the JSON builders the daemon runs
 * on it, within their buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct codec_msg m;
	char json[2048];
	const Tinyfleet__V1__NodeMessage *msg;

	if (codec_decode_node(&m, data, size) != 0)
		return 0;
	msg = m.msg;
	(void)codec_seq(msg);
	switch (msg->body_case) {
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO:
		(void)codec_json_hello_caps(msg->hello, json, sizeof(json));
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_MODEL_STATUS:
		(void)codec_json_model_status(7, msg->model_status, 1, json, sizeof(json));
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE:
		(void)codec_inference_score(msg->inference);
		break;
	default:
		break;
	}
	/* Small buffers too: the builders must stop at the end, never past it. */
	if (msg->body_case == TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO)
		(void)codec_json_hello_caps(msg->hello, json, 16);
	return 0;
}
