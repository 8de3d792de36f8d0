/*
 * builtin_model: the small model tinyfleet-node runs when no --model is given.
 *
 * A vibration classifier shaped like a real one: int8 input [1, 96] (a window
 * of 32 three-axis accelerometer samples), FULLY_CONNECTED 96->16 with ReLU,
 * FULLY_CONNECTED 16->4, SOFTMAX over 4 classes (normal, imbalance, bearing,
 * misalignment). Its weights are deterministic pseudo-random numbers with a
 * bias towards energy features, so anomalous windows move the scores. It is
 * generated at build time with the core's test flatbuffer builder
 * (tests/unit/core/tflite_builder.c); nothing from ../shared is used.
 */
#ifndef TF_POSIX_BUILTIN_MODEL_H
#define TF_POSIX_BUILTIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define BUILTIN_MODEL_VERSION 1
#define BUILTIN_MODEL_INPUTS  96
#define BUILTIN_MODEL_CLASSES 4

/*
 * Builds the model. On success *ret_bytes (malloc'd, 16-byte aligned, the
 * caller frees it with free()) and *ret_len are set and 0 is returned;
 * -1 on out of memory.
 */
int builtin_model_build(uint8_t **ret_bytes, size_t *ret_len);

#endif
