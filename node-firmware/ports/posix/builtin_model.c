/*
 * builtin_model.c: builds the built-in vibration model (see builtin_model.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ports/posix/builtin_model.h"
#include "tflite_builder.h"

int
builtin_model_build(uint8_t **ret_bytes, size_t *ret_len)
{
	enum { IN = BUILTIN_MODEL_INPUTS, HID = 16, OUT = BUILTIN_MODEL_CLASSES };
	int8_t w1[HID * IN], w2[OUT * HID];
	int32_t b1[HID], b2[OUT];
	struct tb_rng rng;
	struct tb *b = NULL;
	uint8_t *bytes, *copy = NULL;
	size_t len;
	int in, f1, bb1, h, f2, bb2, logits, out, i, j, r = -1;

	tb_rng_seed(&rng, 0x7f1ee7u);
	tb_rng_fill_i8(&rng, w1, sizeof(w1), -40, 40);
	/* Half the hidden units see |signal| energy-like positive weights. */
	for (i = 0; i < HID / 2; i++)
		for (j = 0; j < IN; j++)
			w1[i * IN + j] = (int8_t)(j % 3 == i % 3 ? 30 : 2);
	tb_rng_fill_i8(&rng, w2, sizeof(w2), -60, 60);
	for (i = 0; i < HID; i++)
		b1[i] = tb_rng_range(&rng, -200, 200);
	for (i = 0; i < OUT; i++)
		b2[i] = tb_rng_range(&rng, -100, 100);

	b = tb_new();
	if (b == NULL)
		goto out;
	in = tb_tensor_q(b, TB_INT8, (int32_t[]){1, IN}, 2, 0.05f, 0);
	f1 = tb_const_q(b, TB_INT8, (int32_t[]){HID, IN}, 2, w1, sizeof(w1), 0.01f, 0);
	bb1 = tb_const_q(b, TB_INT32, (int32_t[]){HID}, 1, b1, sizeof(b1), 0.0005f, 0);
	h = tb_tensor_q(b, TB_INT8, (int32_t[]){1, HID}, 2, 0.1f, -128);
	f2 = tb_const_q(b, TB_INT8, (int32_t[]){OUT, HID}, 2, w2, sizeof(w2), 0.01f, 0);
	bb2 = tb_const_q(b, TB_INT32, (int32_t[]){OUT}, 1, b2, sizeof(b2), 0.001f, 0);
	logits = tb_tensor_q(b, TB_INT8, (int32_t[]){1, OUT}, 2, 0.1f, 0);
	out = tb_tensor_q(b, TB_INT8, (int32_t[]){1, OUT}, 2, 1.0f / 256.0f, -128);
	if (tb_fc(b, in, f1, bb1, h, TB_ACT_RELU, 0) < 0 ||
	    tb_fc(b, h, f2, bb2, logits, TB_ACT_NONE, 0) < 0 ||
	    tb_softmax(b, logits, out, 1.0f) < 0 || tb_io(b, &in, 1, &out, 1) < 0)
		goto out;
	bytes = tb_finish(b, &len, NULL);
	if (bytes == NULL)
		goto out;
	copy = aligned_alloc(16, (len + 15) / 16 * 16);
	if (copy == NULL)
		goto out;
	memcpy(copy, bytes, len);
	*ret_bytes = copy;
	*ret_len = len;
	copy = NULL; /* transferred */
	r = 0;
out:
	free(copy);
	tb_free(b);
	return r;
}
