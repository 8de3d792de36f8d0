/*
 * sensor.c: synthetic vibration windows (sensor.h). Integer phase arithmetic
 * and single-precision floats only (the FPU does them; no libm).
 */
#include "ports/cortex-m/sensor.h"

static uint32_t
mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Triangle wave in [-1, 1] of a 16-bit phase. */
static float
tri(uint32_t phase)
{
	int32_t p = (int32_t)(phase & 0xffffu) - 32768; /* -32768..32767 */
	int32_t a = p < 0 ? -p : p;                     /* 0..32768 */

	return (float)(a - 16384) / 16384.0f;
}

int
cm_sensor_is_anomaly(uint32_t node_id, uint32_t sample)
{
	return mix(node_id * 0x9e3779b9u ^ sample) % 20u == 0;
}

static int32_t
quantize(float v, float scale, int32_t zp, int32_t lo, int32_t hi)
{
	float x = v / scale;
	int32_t q = (int32_t)(x + (x >= 0.0f ? 0.5f : -0.5f)) + zp;

	return q < lo ? lo : q > hi ? hi : q;
}

int
cm_sensor_fill(uint32_t node_id, const struct port_sensor_req *req, uint8_t *buf, size_t len)
{
	size_t esize = req->dtype == 2 ? 2 : 1, n, i;
	float scale = req->scale > 0.0f ? req->scale : 1.0f / 128.0f;
	int anomaly = cm_sensor_is_anomaly(node_id, req->sample);
	float amp = anomaly ? 0.9f : 0.45f;
	uint32_t seed = mix(node_id ^ (req->sample * 0x85ebca6bu));

	if (buf == NULL || req->dtype > 2 || len % esize != 0)
		return PORT_EINVAL;
	n = len / esize;
	for (i = 0; i < n; i++) {
		uint32_t t = (uint32_t)(i / 3u), axis = (uint32_t)(i % 3u);
		/* ~25 Hz fundamental and its second harmonic, phase per axis. */
		uint32_t ph = t * 2200u + axis * 21845u + req->sample * 977u;
		float v = amp * tri(ph) + 0.15f * tri(2u * ph + 9000u);
		float noise = (float)((int32_t)(mix(seed + (uint32_t)i) & 0xffu) - 128) / 2560.0f;

		if (anomaly)
			v += 0.3f * tri(ph * 7u); /* bearing tone */
		v += noise;
		if (req->dtype == 0) {
			buf[i] = (uint8_t)(int8_t)quantize(v, scale, req->zero_point, -128, 127);
		} else if (req->dtype == 1) {
			buf[i] = (uint8_t)quantize(v, scale, req->zero_point, 0, 255);
		} else {
			int32_t q = quantize(v, scale, req->zero_point, -32768, 32767);
			buf[2 * i] = (uint8_t)((uint32_t)q & 0xffu);
			buf[2 * i + 1] = (uint8_t)(((uint32_t)q >> 8) & 0xffu);
		}
	}
	return 0;
}
