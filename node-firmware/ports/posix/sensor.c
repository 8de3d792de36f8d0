/*
 * sensor.c: synthetic sensor signals and replay (see sensor.h).
 */
#include <math.h>
#include <string.h>

#include "ports/posix/sensor.h"

uint64_t
sensor_mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
unit(uint64_t *s)
{
	return (double)(sensor_mix(s) >> 11) / 9007199254740992.0; /* [0, 1) */
}

int
sensor_is_anomaly(uint64_t seed, uint32_t node_id, uint32_t sample)
{
	uint64_t s = seed ^ ((uint64_t)node_id << 32) ^ sample ^ 0xa11a11a1ull;

	return sensor_mix(&s) % 20 == 0;
}

static void
store(const struct port_sensor_req *req, uint8_t *buf, size_t i, double real)
{
	double scale = req->scale > 0 ? (double)req->scale : 1.0 / 32.0;
	long q = lround(real / scale) + req->zero_point;

	switch (req->dtype) {
	case 1:
		q = q < 0 ? 0 : (q > 255 ? 255 : q);
		buf[i] = (uint8_t)q;
		break;
	case 2:
		q = q < -32768 ? -32768 : (q > 32767 ? 32767 : q);
		buf[2 * i] = (uint8_t)(q & 0xff);
		buf[2 * i + 1] = (uint8_t)((q >> 8) & 0xff);
		break;
	default:
		q = q < -128 ? -128 : (q > 127 ? 127 : q);
		buf[i] = (uint8_t)(int8_t)q;
		break;
	}
}

/* Largest real value the input can represent (for signals defined in [0, 1]). */
static double
real_max(const struct port_sensor_req *req)
{
	double scale = req->scale > 0 ? (double)req->scale : 1.0 / 32.0;
	long top = req->dtype == 1 ? 255 : (req->dtype == 2 ? 32767 : 127);

	return scale * (double)(top - req->zero_point);
}

static void
vibration(uint64_t *s, const struct port_sensor_req *req, uint8_t *buf, size_t n, int anomaly,
          uint32_t node_id)
{
	int axes = n % 3 == 0 ? 3 : 1;
	double f = 25.0 + (double)(node_id % 7) * 0.5, fs = 1000.0, ph = unit(s) * 6.283185307;
	int kind = anomaly ? (int)(sensor_mix(s) % 3) + 1 : 0;
	size_t t, steps = n / (size_t)axes;
	int a;

	for (t = 0; t < steps; t++) {
		double w = 6.283185307 * f * (double)t / fs + ph;
		for (a = 0; a < axes; a++) {
			double v =
			        (a == 2 ? 0.3 : 1.0) * sin(w + a * 2.094) + 0.05 * (unit(s) - 0.5);
			if (kind == 1 && a == 0)
				v *= 2.5; /* imbalance */
			if (kind == 2)
				v += 0.8 *
				     sin(6.283185307 * 180.0 * (double)t / fs); /* bearing tone */
			if (kind == 3 && a == 1)
				v += 0.9 * sin(2.0 * w); /* misalignment: 2x harmonic */
			store(req, buf, t * (size_t)axes + (size_t)a, v);
		}
	}
}

static void
audio(uint64_t *s, const struct port_sensor_req *req, uint8_t *buf, size_t n, int anomaly)
{
	size_t rows = req->dims[1] > 0 ? req->dims[1] : 1, cols = n / rows, r, c;
	double f1 = unit(s) * 3.0, f2 = 2.0 + unit(s) * 4.0, amp = real_max(req) * 0.4;

	if (cols == 0)
		cols = 1;
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols && r * cols + c < n; c++) {
			double pos = (double)c / (double)cols * 8.0;
			double v =
			        exp(-(pos - f1) * (pos - f1)) + 0.6 * exp(-(pos - f2) * (pos - f2));
			if (anomaly)
				v += exp(-(pos - (double)r / (double)rows * 8.0) *
				         (pos - (double)r / (double)rows * 8.0));
			v = v * amp * (0.8 + 0.2 * sin((double)r * 0.3)) +
			    amp * 0.1 * (unit(s) - 0.5);
			store(req, buf, r * cols + c, v);
		}
}

static void
image(uint64_t *s, const struct port_sensor_req *req, uint8_t *buf, int anomaly)
{
	size_t h = req->dims[1], w = req->dims[2], ch = req->dims[3], y, x, c;
	double bx = unit(s) * (double)w, by = unit(s) * (double)h, br = (double)(w < h ? w : h) / 6;
	double top = real_max(req);

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double d = ((double)x - bx) * ((double)x - bx) +
			           ((double)y - by) * ((double)y - by);
			double base = 0.25 + 0.35 * (double)(x + y) / (double)(w + h);
			double blob = d < br * br ? 0.35 : 0.0;
			double occ = anomaly && x > w / 3 && x < w / 2 ? -0.3 : 0.0;
			for (c = 0; c < ch; c++) {
				double p = base + blob + occ + 0.05 * sin((double)(x * 3 + y + c));
				p = p < 0 ? 0 : (p > 1 ? 1 : p);
				store(req, buf, (y * w + x) * ch + c, p * top);
			}
		}
}

int
sensor_fill(uint64_t seed, uint32_t node_id, const struct port_sensor_req *req, uint8_t *buf,
            size_t len, const struct sensor_replay *replay)
{
	size_t esz = req->dtype == 2 ? 2 : 1, n = len / esz;
	uint64_t s = seed * 0x100000001b3ull ^ ((uint64_t)node_id << 24) ^ req->sample;
	int anomaly = sensor_is_anomaly(seed, node_id, req->sample);

	if (replay != NULL && replay->data != NULL) {
		size_t count;
		if (len == 0 || replay->len < len || replay->len % len != 0)
			return PORT_EINVAL;
		count = replay->len / len;
		memcpy(buf, replay->data + ((size_t)req->sample + node_id) % count * len, len);
		return 0;
	}
	if (req->ndims == 4 && (req->dims[3] == 1 || req->dims[3] == 3) && req->dims[1] >= 16 &&
	    req->dims[2] >= 16 && (size_t)req->dims[1] * req->dims[2] * req->dims[3] == n)
		image(&s, req, buf, anomaly);
	else if (req->ndims >= 3)
		audio(&s, req, buf, n, anomaly);
	else
		vibration(&s, req, buf, n, anomaly, node_id);
	return 0;
}
