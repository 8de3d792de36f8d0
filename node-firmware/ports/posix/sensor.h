/*
 * sensor: synthetic, deterministic sensor data for tinyfleet-node, shaped for
 * the running model's input, or replayed from a file of raw input tensors.
 *
 * The same (seed, node id, sample index) always gives the same bytes, so runs
 * are repeatable. The shape picks the kind of signal:
 *   - [1, H, W, C] with C = 1 or 3 and H, W >= 16: an image-like tensor
 *     (gradient, texture and a bright blob; the anomaly is a dark occluder);
 *   - other rank >= 3: audio-like features, rows = time, columns = bins
 *     (smooth spectral envelope with moving formants; the anomaly is a chirp);
 *   - rank <= 2: a vibration window, three interleaved axes when the length
 *     is a multiple of 3 (a running machine at ~25 Hz; about one window in 20
 *     carries an injected anomaly: imbalance, bearing tone or misalignment).
 * Real values are quantized with the request's scale and zero point, for int8,
 * uint8 or int16 (little endian) inputs.
 */
#ifndef TF_POSIX_SENSOR_H
#define TF_POSIX_SENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "ports/port.h"

/* A file of raw input tensors, back to back (mapped read-only, shared). */
struct sensor_replay {
	const uint8_t *data;
	size_t len;
};

/* Fills buf (len bytes) for req; returns 0 or PORT_EINVAL (replay tensor size mismatch). */
int sensor_fill(uint64_t seed, uint32_t node_id, const struct port_sensor_req *req, uint8_t *buf,
                size_t len, const struct sensor_replay *replay);

/* 1 when sample `sample` of node_id carries an injected anomaly. */
int sensor_is_anomaly(uint64_t seed, uint32_t node_id, uint32_t sample);

/* splitmix64 step: the port's one PRNG. */
uint64_t sensor_mix(uint64_t *state);

#endif
